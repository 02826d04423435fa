//! Subscriptions: `POST /v1/subscriptions`, `GET /v1/subscriptions` (`customer`,
//! `status` incl. `all`; canceled ones only with `status=canceled|all`), `GET|POST
//! /v1/subscriptions/{id}`, `DELETE /v1/subscriptions/{id}` (cancel now).
//!
//! Periods are calendar months (or the price's interval) from the start, the day
//! clamped (`proration::add_months`); `current_period_start/end` live on the items.
//! The first invoice is charged at creation: `active`, or `incomplete` with an open
//! invoice when the customer's payments fail (`error_if_incomplete`: 402 and nothing
//! created; `default_incomplete`: `incomplete`, not charged).
//!
//! Updates prorate per changed item at `proration_date` (default: the clock's now):
//! a credit line "Unused time on …" and a charge line "Remaining time on …", each
//! `round(unit × quantity × remaining / period)`. `create_prorations` keeps them
//! pending for the next renewal, `always_invoice` invoices and charges them now,
//! `none` makes none.

use super::errors::{ApiError, Res};
use super::invoices::{self, Line};
use super::proration::{self, date_text, DAY};
use super::{
    allow, apply_metadata, boolean, boolean_at, events, expands, int, int_at, list, new_id, one_of,
    required, text, Call, Stripe,
};
use serde_json::{json, Value};

#[derive(Clone, Debug)]
pub struct Item {
    pub id: String,
    pub price: String,
    pub quantity: i64,
    pub created: i64,
    pub metadata: Value,
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub items: Vec<Item>,
    pub created: i64,
    pub anchor: i64,
    /// Completed periods since the anchor.
    pub periods: i64,
    pub interval: String,
    pub interval_count: i64,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub cancel_reason: Option<String>,
    pub cancel_comment: Option<String>,
    pub cancel_feedback: Option<String>,
    pub metadata: Value,
    pub collection_method: String,
    pub days_until_due: Option<i64>,
    pub latest_invoice: Option<String>,
    /// Proration lines waiting for the next renewal invoice.
    pub pending: Vec<Line>,
    pub test_clock: Option<String>,
}

/// The `k`-th period boundary from `anchor`.
pub fn boundary(anchor: i64, interval: &str, count: i64, k: i64) -> i64 {
    match interval {
        "year" => proration::add_months(anchor, 12 * count * k),
        "week" => anchor + 7 * DAY * count * k,
        "day" => anchor + DAY * count * k,
        _ => proration::add_months(anchor, count * k),
    }
}

impl Subscription {
    pub fn boundary(&self, k: i64) -> i64 {
        boundary(self.anchor, &self.interval, self.interval_count, k)
    }
    pub fn period(&self) -> (i64, i64) {
        (self.boundary(self.periods), self.boundary(self.periods + 1))
    }
}

/// Not ended: renews, prorates, previews.
pub fn is_live(s: &Subscription) -> bool {
    matches!(
        s.status.as_str(),
        "active" | "past_due" | "trialing" | "unpaid" | "incomplete"
    )
}

fn plan_json(p: &Value) -> Value {
    let r = &p["recurring"];
    json!({
        "id": p["id"], "object": "plan", "active": p["active"], "amount": p["unit_amount"],
        "amount_decimal": p["unit_amount_decimal"], "billing_scheme": "per_unit",
        "created": p["created"], "currency": p["currency"], "interval": r["interval"],
        "interval_count": r["interval_count"], "livemode": false, "metadata": p["metadata"],
        "meter": r["meter"], "nickname": p["nickname"], "product": p["product"],
        "tiers_mode": null, "transform_usage": null, "trial_period_days": null,
        "usage_type": r["usage_type"],
    })
}

pub fn render(st: &Stripe, s: &Subscription) -> Value {
    let (ps, pe) = s.period();
    let items: Vec<Value> = s
        .items
        .iter()
        .map(|i| {
            let price = st.price(&i.price).cloned().unwrap_or(Value::Null);
            json!({
                "id": i.id, "object": "subscription_item", "billing_thresholds": null,
                "created": i.created, "current_period_end": pe, "current_period_start": ps,
                "discounts": [], "metadata": i.metadata, "plan": plan_json(&price), "price": price,
                "quantity": i.quantity, "subscription": s.id, "tax_rates": [],
            })
        })
        .collect();
    json!({
        "id": s.id, "object": "subscription", "application": null, "application_fee_percent": null,
        "automatic_tax": {"enabled": false, "liability": null, "disabled_reason": null},
        "billing_cycle_anchor": s.anchor, "billing_cycle_anchor_config": null,
        "billing_mode": {"type": "flexible"}, "billing_thresholds": null,
        "cancel_at": if s.cancel_at_period_end && s.ended_at.is_none() { json!(pe) } else { Value::Null },
        "cancel_at_period_end": s.cancel_at_period_end, "canceled_at": s.canceled_at,
        "cancellation_details": {"comment": s.cancel_comment, "feedback": s.cancel_feedback, "reason": s.cancel_reason},
        "collection_method": s.collection_method, "created": s.created, "currency": "usd",
        "customer": s.customer, "days_until_due": s.days_until_due, "default_payment_method": null,
        "default_source": null, "default_tax_rates": [], "description": null, "discounts": [],
        "ended_at": s.ended_at,
        "invoice_settings": {"account_tax_ids": null, "issuer": {"type": "self"}},
        "items": {"object": "list", "data": items, "has_more": false, "total_count": s.items.len(),
                  "url": format!("/v1/subscription_items?subscription={}", s.id)},
        "latest_invoice": s.latest_invoice, "livemode": false, "metadata": s.metadata,
        "next_pending_invoice_item_invoice": null, "on_behalf_of": null, "pause_collection": null,
        "payment_settings": {"payment_method_options": null, "payment_method_types": null,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": null, "pending_setup_intent": null, "pending_update": null,
        "schedule": null, "start_date": s.created, "status": s.status, "test_clock": s.test_clock,
        "transfer_data": null, "trial_end": null,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": null,
    })
}

fn render_expanded(st: &Stripe, s: &Subscription, expand: &[String], prefix: &str) -> Value {
    let mut v = render(st, s);
    for e in expand {
        let Some(field) = e.strip_prefix(prefix) else {
            continue;
        };
        match field {
            "latest_invoice" => {
                if let Some(inv) = s
                    .latest_invoice
                    .as_ref()
                    .and_then(|id| st.invoices.iter().find(|i| &i.id == id))
                {
                    v["latest_invoice"] = invoices::render(st, inv);
                }
            }
            "customer" => {
                if let Some(c) = st.customer(&s.customer) {
                    v["customer"] = c.clone();
                }
            }
            _ => {}
        }
    }
    v
}

fn index(st: &Stripe, id: &str) -> Res<usize> {
    st.subscriptions
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| ApiError::no_such("subscription", id, "id"))
}

/// Status change with `customer.subscription.updated` (and its previous attributes).
pub fn set_status(st: &mut Stripe, id: &str, status: &str, now: i64) {
    let Ok(i) = index(st, id) else { return };
    let before = render(st, &st.subscriptions[i]);
    st.subscriptions[i].status = status.into();
    let after = render(st, &st.subscriptions[i]);
    let prev = events::previous_attributes(&before, &after);
    events::emit(st, "customer.subscription.updated", after, prev, now);
}

/// Ends a subscription at `now` (`customer.subscription.deleted`); its open invoices
/// are no longer retried.
pub fn end(st: &mut Stripe, id: &str, now: i64, reason: &str) {
    let Ok(i) = index(st, id) else { return };
    let s = &mut st.subscriptions[i];
    s.status = "canceled".into();
    s.canceled_at = Some(s.canceled_at.unwrap_or(now));
    s.ended_at = Some(now);
    s.cancel_reason = Some(reason.into());
    s.pending.clear();
    for inv in st
        .invoices
        .iter_mut()
        .filter(|v| v.subscription.as_deref() == Some(id))
    {
        inv.next_payment_attempt = None;
    }
    let snap = render(st, &st.subscriptions[i]);
    events::emit(st, "customer.subscription.deleted", snap, None, now);
}

/// A price and its quantity.
type Holding = (String, i64);

pub struct Plan {
    pub items: Vec<Item>,
    pub prorations: Vec<Line>,
}

pub fn check_proration_date(sub: &Subscription, at: i64, param: &str) -> Res<()> {
    let (ps, pe) = sub.period();
    if at < ps || at > pe {
        return Err(ApiError::invalid(
            None,
            format!("The proration date must be within the current period ({ps} to {pe})."),
        )
        .with_param(param));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn proration_line(
    st: &Stripe,
    sub: &Subscription,
    item: &str,
    price: &str,
    qty: i64,
    amount: i64,
    at: i64,
    unused: bool,
) -> Line {
    let (_, pe) = sub.period();
    let what = if unused {
        "Unused time on"
    } else {
        "Remaining time on"
    };
    Line {
        id: new_id("il_"),
        amount,
        description: format!(
            "{what} {qty} × {} after {}",
            st.product_name(price),
            date_text(at)
        ),
        start: at,
        end: pe,
        price: price.into(),
        quantity: qty,
        proration: true,
        subscription: Some(sub.id.clone()),
        subscription_item: Some(item.into()),
    }
}

/// What `items[i]{id, price, quantity, deleted}` do to `sub` at `at`: the new items
/// and (when `prorate`) the proration lines. Shared by the update and the preview.
pub fn plan(
    st: &Stripe,
    sub: &Subscription,
    items: Option<&Value>,
    prefix: &str,
    at: i64,
    prorate: bool,
) -> Res<Plan> {
    let mut new_items = sub.items.clone();
    let entries: Vec<Value> = match items {
        None => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Object(o)) => o.values().cloned().collect(),
        Some(_) => {
            return Err(
                ApiError::invalid(None, format!("Invalid array: {prefix}")).with_param(prefix)
            )
        }
    };
    let mut changes: Vec<(String, Option<Holding>, Option<Holding>)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let param = |k: &str| format!("{prefix}[{i}][{k}]");
        if let Some(o) = e.as_object() {
            for k in o.keys() {
                if ![
                    "id",
                    "price",
                    "quantity",
                    "deleted",
                    "metadata",
                    "clear_usage",
                ]
                .contains(&k.as_str())
                {
                    return Err(ApiError::unknown(&param(k)));
                }
            }
        }
        let price = e["price"].as_str().filter(|s| !s.is_empty());
        if let Some(p) = price {
            if st.price(p).is_none() {
                return Err(ApiError::no_such("price", p, &param("price")).with_status(400));
            }
        }
        let qty = int_at(e.get("quantity"), &param("quantity"))?;
        if qty.is_some_and(|q| q < 0) {
            return Err(ApiError::bad_value(
                &param("quantity"),
                "parameter_invalid_integer",
                "This value must be greater than or equal to 0.",
            ));
        }
        let deleted = boolean_at(e.get("deleted"), &param("deleted"))?.unwrap_or(false);
        match e["id"].as_str().filter(|s| !s.is_empty()) {
            Some(id) => {
                let Some(pos) = new_items.iter().position(|x| x.id == id) else {
                    return Err(ApiError::invalid(
                        Some("resource_missing"),
                        format!("No such subscription item: '{id}'"),
                    )
                    .with_param(&param("id")));
                };
                let old = (new_items[pos].price.clone(), new_items[pos].quantity);
                if deleted {
                    new_items.remove(pos);
                    changes.push((id.into(), Some(old), None));
                    continue;
                }
                let it = &mut new_items[pos];
                if let Some(p) = price {
                    it.price = p.into();
                }
                if let Some(q) = qty {
                    it.quantity = q;
                }
                if let Some(Value::Object(_)) = e.get("metadata") {
                    let _ = apply_metadata(&mut it.metadata, e);
                }
                let new = (it.price.clone(), it.quantity);
                if new != old {
                    changes.push((id.into(), Some(old), Some(new)));
                }
            }
            None => {
                let Some(p) = price else {
                    return Err(ApiError::missing(&param("price")));
                };
                let id = new_id("si_");
                let q = qty.unwrap_or(1);
                new_items.push(Item {
                    id: id.clone(),
                    price: p.into(),
                    quantity: q,
                    created: at,
                    metadata: json!({}),
                });
                changes.push((id, None, Some((p.into(), q))));
            }
        }
    }
    let mut lines = Vec::new();
    if prorate {
        let (ps, pe) = sub.period();
        for (item, old, new) in changes {
            let old_total = old.as_ref().map_or(0, |(p, q)| st.unit_amount(p) * q);
            let new_total = new.as_ref().map_or(0, |(p, q)| st.unit_amount(p) * q);
            let (credit, charge) = proration::prorate(old_total, new_total, ps, pe, at);
            if let Some((p, q)) = &old {
                lines.push(proration_line(st, sub, &item, p, *q, credit, at, true));
            }
            if let Some((p, q)) = &new {
                lines.push(proration_line(st, sub, &item, p, *q, charge, at, false));
            }
        }
    }
    Ok(Plan {
        items: new_items,
        prorations: lines,
    })
}

pub fn create(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "customer",
            "items",
            "metadata",
            "proration_behavior",
            "payment_behavior",
            "collection_method",
            "days_until_due",
            "cancel_at_period_end",
            "default_payment_method",
            "off_session",
            "description",
        ],
    )?;
    let customer = required(p, "customer")?;
    if st.customer(&customer).is_none() {
        return Err(ApiError::no_such("customer", &customer, "customer").with_status(400));
    }
    one_of(
        p,
        "proration_behavior",
        &["always_invoice", "create_prorations", "none"],
    )?;
    let behavior = one_of(
        p,
        "payment_behavior",
        &[
            "allow_incomplete",
            "default_incomplete",
            "error_if_incomplete",
            "pending_if_incomplete",
        ],
    )?
    .unwrap_or_else(|| "allow_incomplete".into());
    let collection = one_of(
        p,
        "collection_method",
        &["charge_automatically", "send_invoice"],
    )?
    .unwrap_or_else(|| "charge_automatically".into());
    let entries = match p.get("items") {
        Some(Value::Array(a)) if !a.is_empty() => a.clone(),
        Some(Value::Object(o)) if !o.is_empty() => o.values().cloned().collect(),
        _ => return Err(ApiError::missing("items")),
    };
    let now = st.customer_now(&customer);
    let mut items = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let param = |k: &str| format!("items[{i}][{k}]");
        if let Some(o) = e.as_object() {
            for k in o.keys() {
                if !["price", "quantity", "metadata"].contains(&k.as_str()) {
                    return Err(ApiError::unknown(&param(k)));
                }
            }
        }
        let Some(price) = e["price"].as_str().filter(|s| !s.is_empty()) else {
            return Err(ApiError::missing(&param("price")));
        };
        let Some(pv) = st.price(price) else {
            return Err(ApiError::no_such("price", price, &param("price")).with_status(400));
        };
        if pv["type"] != "recurring" {
            return Err(ApiError::invalid(None, format!("The price specified ({price}) is not recurring. Subscriptions only accept recurring prices.")).with_param(&param("price")));
        }
        let quantity = int_at(e.get("quantity"), &param("quantity"))?.unwrap_or(1);
        let mut metadata = json!({});
        apply_metadata(&mut metadata, e)?;
        items.push(Item {
            id: new_id("si_"),
            price: price.into(),
            quantity,
            created: now,
            metadata,
        });
    }
    let first = st
        .price(&items[0].price)
        .map(|p| p["recurring"].clone())
        .unwrap_or(Value::Null);
    let total: i64 = items
        .iter()
        .map(|i| st.unit_amount(&i.price) * i.quantity)
        .sum();
    let failing = st.failing.contains(&customer);
    let charges = collection == "charge_automatically" && total > 0;
    let status = if charges && behavior == "default_incomplete" {
        "incomplete"
    } else if charges && failing {
        if behavior == "error_if_incomplete" {
            return Err(ApiError::card_declined());
        }
        "incomplete"
    } else {
        "active"
    };
    let mut metadata = json!({});
    apply_metadata(&mut metadata, p)?;
    let cancel = boolean(p, "cancel_at_period_end")?.unwrap_or(false);
    let inv_id = new_id("in_");
    let sub = Subscription {
        id: new_id("sub_"),
        customer: customer.clone(),
        status: status.into(),
        items,
        created: now,
        anchor: now,
        periods: 0,
        interval: first["interval"].as_str().unwrap_or("month").into(),
        interval_count: first["interval_count"].as_i64().unwrap_or(1).max(1),
        cancel_at_period_end: cancel,
        canceled_at: cancel.then_some(now),
        ended_at: None,
        cancel_reason: cancel.then(|| "cancellation_requested".into()),
        cancel_comment: None,
        cancel_feedback: None,
        metadata,
        collection_method: collection,
        days_until_due: int(p, "days_until_due")?,
        latest_invoice: Some(inv_id.clone()),
        pending: Vec::new(),
        test_clock: st.clock_of(&customer),
    };
    let id = sub.id.clone();
    st.subscriptions.push(sub.clone());
    events::emit(
        st,
        "customer.subscription.created",
        render(st, &sub),
        None,
        now,
    );
    let (ps, pe) = sub.period();
    let lines = sub
        .items
        .iter()
        .map(|i| invoices::item_line(st, &sub, i, ps, pe))
        .collect();
    invoices::open(
        st,
        &inv_id,
        &customer,
        Some(&sub),
        lines,
        "subscription_create",
        (now, now),
        now,
    );
    if sub.collection_method == "charge_automatically" && behavior != "default_incomplete" {
        invoices::attempt(st, &inv_id, now, true);
    }
    let i = index(st, &id)?;
    Ok(render_expanded(st, &st.subscriptions[i], &expands(p), ""))
}

pub fn retrieve(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let i = index(st, c.seg(1))?;
    Ok(render_expanded(
        st,
        &st.subscriptions[i],
        &expands(&c.params),
        "",
    ))
}

pub fn list(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "customer",
            "status",
            "price",
            "test_clock",
            "collection_method",
            "created",
            "limit",
            "starting_after",
            "ending_before",
        ],
    )?;
    let status = one_of(
        p,
        "status",
        &[
            "active",
            "all",
            "canceled",
            "ended",
            "incomplete",
            "incomplete_expired",
            "past_due",
            "paused",
            "trialing",
            "unpaid",
        ],
    )?;
    let customer = text(p, "customer");
    let price = text(p, "price");
    let clock = text(p, "test_clock");
    let ex = expands(p);
    let mut items = Vec::new();
    for s in st.subscriptions.iter().rev() {
        let status_ok = match status.as_deref() {
            None => !matches!(s.status.as_str(), "canceled" | "incomplete_expired"),
            Some("all") => true,
            Some("ended") => matches!(s.status.as_str(), "canceled" | "incomplete_expired"),
            Some(x) => s.status == x,
        };
        if status_ok
            && customer.is_none_or(|x| x == s.customer)
            && price.is_none_or(|x| s.items.iter().any(|i| i.price == x))
            && clock.is_none_or(|x| s.test_clock.as_deref() == Some(x))
            && super::created_matches(p, s.created)?
        {
            items.push(render_expanded(st, s, &ex, "data."));
        }
    }
    list::respond(&items, p, "subscription", "/v1/subscriptions")
}

pub fn update(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "items",
            "proration_behavior",
            "proration_date",
            "cancel_at_period_end",
            "metadata",
            "payment_behavior",
            "default_payment_method",
            "off_session",
            "description",
            "cancellation_details",
        ],
    )?;
    let i = index(st, c.seg(1))?;
    let sub = st.subscriptions[i].clone();
    if !is_live(&sub) {
        let only_metadata = p.as_object().is_some_and(|o| {
            o.keys()
                .all(|k| k == "metadata" || k == "expand" || k == "cancellation_details")
        });
        if !only_metadata {
            return Err(ApiError::invalid(
                None,
                "A canceled subscription can only update its cancellation_details and metadata.",
            ));
        }
    }
    let behavior = one_of(
        p,
        "proration_behavior",
        &["always_invoice", "create_prorations", "none"],
    )?
    .unwrap_or_else(|| "create_prorations".into());
    let payment = one_of(
        p,
        "payment_behavior",
        &[
            "allow_incomplete",
            "default_incomplete",
            "error_if_incomplete",
            "pending_if_incomplete",
        ],
    )?;
    let now = st.customer_now(&sub.customer);
    let at = int(p, "proration_date")?.unwrap_or(now);
    check_proration_date(&sub, at, "proration_date")?;
    let plan = plan(st, &sub, p.get("items"), "items", at, behavior != "none")?;
    let mut lines = sub.pending.clone();
    lines.extend(plan.prorations.iter().cloned());
    let due: i64 = lines.iter().map(|l| l.amount).sum();
    if behavior == "always_invoice"
        && due > 0
        && st.failing.contains(&sub.customer)
        && matches!(
            payment.as_deref(),
            Some("error_if_incomplete" | "pending_if_incomplete")
        )
    {
        return Err(ApiError::card_declined());
    }
    let before = render(st, &sub);
    let mut s = sub.clone();
    s.items = plan.items;
    if let Some(cancel) = boolean(p, "cancel_at_period_end")? {
        s.cancel_at_period_end = cancel;
        s.canceled_at = cancel.then_some(now);
        s.cancel_reason = cancel.then(|| "cancellation_requested".into());
    }
    if let Some(d) = p.get("cancellation_details") {
        if let Some(x) = d["comment"].as_str() {
            s.cancel_comment = Some(x.into()).filter(|x: &String| !x.is_empty());
        }
        if let Some(x) = d["feedback"].as_str() {
            s.cancel_feedback = Some(x.into()).filter(|x: &String| !x.is_empty());
        }
    }
    apply_metadata(&mut s.metadata, p)?;
    let invoice_now = behavior == "always_invoice" && !lines.is_empty();
    match behavior.as_str() {
        "create_prorations" => s.pending.extend(plan.prorations),
        "always_invoice" => s.pending.clear(),
        _ => {}
    }
    let inv_id = new_id("in_");
    if invoice_now {
        s.latest_invoice = Some(inv_id.clone());
    }
    st.subscriptions[i] = s.clone();
    let after = render(st, &s);
    if let Some(prev) = events::previous_attributes(&before, &after) {
        events::emit(st, "customer.subscription.updated", after, Some(prev), now);
    }
    if invoice_now {
        invoices::open(
            st,
            &inv_id,
            &s.customer,
            Some(&s),
            lines,
            "subscription_update",
            (at, at),
            now,
        );
        invoices::attempt(st, &inv_id, now, true);
    }
    let i = index(st, c.seg(1))?;
    Ok(render_expanded(st, &st.subscriptions[i], &expands(p), ""))
}

pub fn cancel(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(p, &["invoice_now", "prorate", "cancellation_details"])?;
    boolean(p, "invoice_now")?;
    boolean(p, "prorate")?;
    let i = index(st, c.seg(1))?;
    if !is_live(&st.subscriptions[i]) {
        return Err(ApiError::invalid(
            None,
            format!(
                "This subscription ({}) has already been canceled.",
                st.subscriptions[i].id
            ),
        ));
    }
    if let Some(d) = p.get("cancellation_details") {
        let s = &mut st.subscriptions[i];
        s.cancel_comment = d["comment"].as_str().map(str::to_string);
        s.cancel_feedback = d["feedback"].as_str().map(str::to_string);
    }
    let id = st.subscriptions[i].id.clone();
    let now = st.customer_now(&st.subscriptions[i].customer.clone());
    st.subscriptions[i].canceled_at = None;
    end(st, &id, now, "cancellation_requested");
    Ok(render(st, &st.subscriptions[i]))
}

/// A period ends at `at`: renew (a new period, its invoice with the pending
/// prorations, charged), or end a subscription set to cancel at period end.
pub fn renew(st: &mut Stripe, id: &str, at: i64) {
    let Ok(i) = index(st, id) else { return };
    if st.subscriptions[i].cancel_at_period_end {
        end(st, id, at, "cancellation_requested");
        return;
    }
    let before = render(st, &st.subscriptions[i]);
    let inv_id = new_id("in_");
    let (old_start, old_end) = st.subscriptions[i].period();
    let s = &mut st.subscriptions[i];
    s.periods += 1;
    s.latest_invoice = Some(inv_id.clone());
    let mut lines = std::mem::take(&mut s.pending);
    let s = s.clone();
    let (ps, pe) = s.period();
    for item in &s.items {
        lines.push(invoices::item_line(st, &s, item, ps, pe));
    }
    let after = render(st, &s);
    let prev = events::previous_attributes(&before, &after);
    events::emit(st, "customer.subscription.updated", after, prev, at);
    invoices::open(
        st,
        &inv_id,
        &s.customer,
        Some(&s),
        lines,
        "subscription_cycle",
        (old_start, old_end),
        at,
    );
    if s.collection_method == "charge_automatically" {
        invoices::attempt(st, &inv_id, at, true);
    }
}

/// An `incomplete` subscription whose first invoice was not paid within 23 hours.
pub fn expire(st: &mut Stripe, id: &str, at: i64) {
    let Ok(i) = index(st, id) else { return };
    let before = render(st, &st.subscriptions[i]);
    st.subscriptions[i].status = "incomplete_expired".into();
    st.subscriptions[i].ended_at = Some(at);
    if let Some(inv) = st.subscriptions[i].latest_invoice.clone() {
        invoices::void(st, &inv, at);
    }
    let after = render(st, &st.subscriptions[i]);
    let prev = events::previous_attributes(&before, &after);
    events::emit(st, "customer.subscription.updated", after, prev, at);
}
