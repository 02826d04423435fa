//! The Stripe objects billing reads, as the facts it keeps, and the form bodies it
//! sends (`application/x-www-form-urlencoded` with bracket notation). Shapes are
//! those of API version 2026-10-28 (`shared/reference/stripe-api.md`): a
//! subscription's current period lives on its items; an invoice names its
//! subscription under `parent.subscription_details`.

use crate::plans::tier_of_lookup_key;
use nno_core::platform::Tier;
use serde_json::Value;

/// Stripe's form body: pairs in order, keys with brackets (`items[0][price]`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn new() -> Form {
        Form::default()
    }

    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Form {
        self.0.push((key.into(), value.into()));
        self
    }

    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// As a query string (GET parameters use the same encoding).
    pub fn query(&self) -> String {
        nno_core::urls::form(&self.0)
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(String::from)
}

/// A field that is an id, or an expanded object carrying one.
fn id_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// What billing keeps of a Stripe subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub cancel_at_period_end: bool,
    /// The (first) item's id, which a tier change updates.
    pub item_id: String,
    pub price_id: String,
    /// From the price's `lookup_key`; `None` for a price that is not one of NNO's.
    pub tier: Option<Tier>,
    pub unit_amount: Option<i64>,
    pub currency: Option<String>,
    /// Unix seconds.
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub test_clock: Option<String>,
    pub latest_invoice: Option<String>,
    pub platform_id: Option<String>,
}

impl Subscription {
    /// `None` when `v` is not a subscription with at least one item.
    pub fn read(v: &Value) -> Option<Subscription> {
        if v.get("object").and_then(Value::as_str) != Some("subscription") {
            return None;
        }
        let item = v.get("items")?.get("data")?.as_array()?.first()?;
        let price = item.get("price")?;
        Some(Subscription {
            id: text(v, "id")?,
            customer: id_of(v, "customer")?,
            status: text(v, "status")?,
            cancel_at_period_end: v
                .get("cancel_at_period_end")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            item_id: text(item, "id")?,
            price_id: text(price, "id")?,
            tier: price
                .get("lookup_key")
                .and_then(Value::as_str)
                .and_then(tier_of_lookup_key),
            unit_amount: int(price, "unit_amount"),
            currency: text(price, "currency"),
            // Newer API versions keep the period on the item; older ones on the
            // subscription.
            current_period_start: int(item, "current_period_start")
                .or_else(|| int(v, "current_period_start")),
            current_period_end: int(item, "current_period_end")
                .or_else(|| int(v, "current_period_end")),
            test_clock: id_of(v, "test_clock"),
            latest_invoice: id_of(v, "latest_invoice"),
            platform_id: v
                .get("metadata")
                .and_then(|m| m.get("platform_id"))
                .and_then(Value::as_str)
                .map(String::from),
        })
    }
}

/// One line of an invoice, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub description: Option<String>,
    /// Cents; negative for a credit.
    pub amount: i64,
    pub proration: bool,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
}

/// An invoice (or an invoice preview), as billing answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// `None` for a preview, whose id Stripe does not keep.
    pub id: Option<String>,
    pub status: Option<String>,
    pub currency: String,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub total: i64,
    pub attempt_count: u32,
    /// Unix seconds.
    pub next_payment_attempt: Option<i64>,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub created: Option<i64>,
    pub hosted_invoice_url: Option<String>,
    #[serde(skip)]
    pub subscription: Option<String>,
    pub lines: Vec<Line>,
}

impl Invoice {
    pub fn read(v: &Value) -> Option<Invoice> {
        if v.get("object").and_then(Value::as_str) != Some("invoice") {
            return None;
        }
        let lines = v
            .get("lines")
            .and_then(|l| l.get("data"))
            .and_then(Value::as_array)
            .map(|ls| ls.iter().filter_map(line).collect())
            .unwrap_or_default();
        let id = text(v, "id").filter(|id| id.starts_with("in_"));
        Some(Invoice {
            id,
            status: text(v, "status"),
            currency: text(v, "currency").unwrap_or_else(|| "usd".into()),
            amount_due: int(v, "amount_due")?,
            amount_paid: int(v, "amount_paid").unwrap_or(0),
            total: int(v, "total").unwrap_or(0),
            attempt_count: int(v, "attempt_count")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
            next_payment_attempt: int(v, "next_payment_attempt"),
            period_start: int(v, "period_start"),
            period_end: int(v, "period_end"),
            created: int(v, "created"),
            hosted_invoice_url: text(v, "hosted_invoice_url"),
            subscription: v
                .get("parent")
                .and_then(|p| p.get("subscription_details"))
                .and_then(|d| id_of(d, "subscription"))
                .or_else(|| id_of(v, "subscription")),
            lines,
        })
    }

    /// The sum of the proration lines (what a tier change itself costs).
    pub fn proration_total(&self) -> i64 {
        self.lines
            .iter()
            .filter(|l| l.proration)
            .map(|l| l.amount)
            .sum()
    }
}

fn line(v: &Value) -> Option<Line> {
    let proration = v
        .get("parent")
        .and_then(|p| p.get("subscription_item_details"))
        .and_then(|d| d.get("proration"))
        .and_then(Value::as_bool)
        .or_else(|| v.get("proration").and_then(Value::as_bool))
        .unwrap_or(false);
    let period = v.get("period");
    Some(Line {
        description: text(v, "description"),
        amount: int(v, "amount")?,
        proration,
        period_start: period.and_then(|p| int(p, "start")),
        period_end: period.and_then(|p| int(p, "end")),
    })
}

/// Stripe's error body: `{"error": {"type", "code", "message", "param"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeError {
    pub kind: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub param: Option<String>,
}

impl StripeError {
    pub fn read(v: &Value) -> Option<StripeError> {
        let e = v.get("error")?;
        Some(StripeError {
            kind: text(e, "type")?,
            code: text(e, "code"),
            message: text(e, "message"),
            param: text(e, "param"),
        })
    }
}

/// A webhook event's envelope: what it is about, and when Stripe made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub created: i64,
    pub object: Value,
}

impl Event {
    pub fn read(v: &Value) -> Option<Event> {
        if v.get("object").and_then(Value::as_str) != Some("event") {
            return None;
        }
        let id = text(v, "id")?;
        if id.is_empty() || id.len() > 255 {
            return None;
        }
        Some(Event {
            id,
            kind: text(v, "type")?,
            created: int(v, "created")?,
            object: v.get("data")?.get("object")?.clone(),
        })
    }

    /// The subscription the event is about, if any: the object itself, or the
    /// invoice's.
    pub fn subscription_id(&self) -> Option<String> {
        match self.object.get("object").and_then(Value::as_str)? {
            "subscription" => text(&self.object, "id"),
            "invoice" => Invoice::read(&self.object)?.subscription,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subscription() -> Value {
        json!({
            "id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
            "cancel_at_period_end": false, "test_clock": "clock_1", "latest_invoice": "in_1",
            "metadata": {"platform_id": "abcdefghij"},
            "items": {"object": "list", "data": [{
                "id": "si_1", "object": "subscription_item",
                "current_period_start": 1_700_000_000, "current_period_end": 1_702_592_000,
                "price": {"id": "price_nno_growth_monthly", "lookup_key": "nno_growth_monthly",
                          "unit_amount": 19900, "currency": "usd"}
            }]}
        })
    }

    #[test]
    fn a_subscription_reads_its_period_from_the_item() {
        let s = Subscription::read(&subscription()).unwrap();
        assert_eq!(s.id, "sub_1");
        assert_eq!(s.tier, Some(Tier::Growth));
        assert_eq!(s.item_id, "si_1");
        assert_eq!(s.current_period_end, Some(1_702_592_000));
        assert_eq!(s.platform_id.as_deref(), Some("abcdefghij"));
        assert_eq!(s.test_clock.as_deref(), Some("clock_1"));
        // An expanded customer is read by its id.
        let mut v = subscription();
        v["customer"] = json!({"id": "cus_9", "object": "customer"});
        assert_eq!(Subscription::read(&v).unwrap().customer, "cus_9");
    }

    #[test]
    fn what_is_not_a_subscription_is_refused() {
        assert!(Subscription::read(&json!({"object": "customer"})).is_none());
        let mut v = subscription();
        v["items"]["data"] = json!([]);
        assert!(Subscription::read(&v).is_none());
        let mut v = subscription();
        v["items"]["data"][0]["price"]["lookup_key"] = json!("someone_elses");
        assert_eq!(Subscription::read(&v).unwrap().tier, None);
    }

    #[test]
    fn an_invoice_and_its_prorations() {
        let v = json!({
            "id": "in_1", "object": "invoice", "status": "open", "currency": "usd",
            "amount_due": 7500, "amount_paid": 0, "total": 7500, "attempt_count": 2,
            "next_payment_attempt": 1_700_500_000,
            "parent": {"subscription_details": {"subscription": "sub_1"}},
            "lines": {"data": [
                {"amount": -2450, "description": "Unused time on Starter",
                 "parent": {"subscription_item_details": {"proration": true}},
                 "period": {"start": 1, "end": 2}},
                {"amount": 9950, "description": "Remaining time on Growth",
                 "parent": {"subscription_item_details": {"proration": true}}},
                {"amount": 19900, "description": "1 × Growth",
                 "parent": {"subscription_item_details": {"proration": false}}}
            ]}
        });
        let i = Invoice::read(&v).unwrap();
        assert_eq!(i.subscription.as_deref(), Some("sub_1"));
        assert_eq!(i.attempt_count, 2);
        assert_eq!(i.proration_total(), 7500);
        assert_eq!(i.lines[0].period_start, Some(1));
        // A preview's id is not an invoice id.
        let mut p = v.clone();
        p["id"] = json!("upcoming_in_1");
        assert_eq!(Invoice::read(&p).unwrap().id, None);
    }

    #[test]
    fn errors_and_events() {
        let e = StripeError::read(&json!({"error": {"type": "invalid_request_error",
            "code": "resource_missing", "param": "customer", "message": "No such customer"}}))
        .unwrap();
        assert_eq!(e.code.as_deref(), Some("resource_missing"));
        assert!(StripeError::read(&json!({"id": "cus_1"})).is_none());
        let ev = Event::read(
            &json!({"id": "evt_1", "object": "event", "type": "invoice.paid",
            "created": 5, "data": {"object": {"object": "invoice", "amount_due": 0,
            "parent": {"subscription_details": {"subscription": "sub_7"}}}}}),
        )
        .unwrap();
        assert_eq!(ev.subscription_id().as_deref(), Some("sub_7"));
        let ev = Event::read(&json!({"id": "evt_2", "object": "event",
            "type": "customer.subscription.updated", "created": 5,
            "data": {"object": subscription()}}))
        .unwrap();
        assert_eq!(ev.subscription_id().as_deref(), Some("sub_1"));
        assert!(Event::read(&json!({"id": "evt_3", "object": "event", "type": "x"})).is_none());
    }

    #[test]
    fn forms_keep_brackets_and_order() {
        let f = Form::new()
            .set("items[0][price]", "price_1")
            .set("email", "a@b.co");
        assert_eq!(
            f.pairs(),
            vec![("items[0][price]", "price_1"), ("email", "a@b.co")]
        );
        assert!(f.query().contains("email=a%40b.co"));
    }
}
