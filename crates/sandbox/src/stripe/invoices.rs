//! Invoices: `GET /v1/invoices` (`customer`, `subscription`, `status`, `created`),
//! `GET /v1/invoices/{id}`, `POST /v1/invoices/{id}/pay`, and
//! `POST /v1/invoices/create_preview` (not saved; id `upcoming_in_…`).
//!
//! An invoice is created (`invoice.created`), finalized at once (`invoice.finalized`;
//! Stripe waits about an hour on renewals) and charged. A charge fails when the
//! customer is set to fail: the invoice stays `open` with `attempt_count`,
//! `next_payment_attempt` (3, 5, 7 days after each failed automatic attempt) and
//! `invoice.payment_failed`. Zero or negative totals are paid without a charge (the
//! credit of a negative total is not kept: customer balances are not modelled).

use super::errors::{ApiError, Res};
use super::proration::{self, money};
use super::subscriptions::{self, Subscription};
use super::{allow, allow_nested, boolean, events, int_at, list, new_id, text, Call, Stripe};
use serde_json::{json, Value};

#[derive(Clone, Debug)]
pub struct Line {
    pub id: String,
    pub amount: i64,
    pub description: String,
    pub start: i64,
    pub end: i64,
    pub price: String,
    pub quantity: i64,
    pub proration: bool,
    pub subscription: Option<String>,
    pub subscription_item: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Invoice {
    pub id: String,
    pub customer: String,
    pub subscription: Option<String>,
    pub status: String,
    pub billing_reason: String,
    pub created: i64,
    pub period_start: i64,
    pub period_end: i64,
    pub lines: Vec<Line>,
    pub attempt_count: u32,
    pub attempted: bool,
    pub next_payment_attempt: Option<i64>,
    pub amount_paid: i64,
    pub finalized_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub voided_at: Option<i64>,
    pub test_clock: Option<String>,
    pub collection_method: String,
    pub due_date: Option<i64>,
    pub number: Option<String>,
}

impl Invoice {
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.amount).sum()
    }
    pub fn amount_due(&self) -> i64 {
        self.total().max(0)
    }
}

/// The line for a period of a licensed item: "1 × NNO Growth (at $199.00 / month)".
pub fn item_line(
    st: &Stripe,
    sub: &Subscription,
    item: &subscriptions::Item,
    start: i64,
    end: i64,
) -> Line {
    let unit = st.unit_amount(&item.price);
    Line {
        id: new_id("il_"),
        amount: unit * item.quantity,
        description: format!(
            "{} × {} (at {} / {})",
            item.quantity,
            st.product_name(&item.price),
            money(unit),
            sub.interval
        ),
        start,
        end,
        price: item.price.clone(),
        quantity: item.quantity,
        proration: false,
        subscription: Some(sub.id.clone()),
        subscription_item: Some(item.id.clone()),
    }
}

fn line_json(st: &Stripe, inv: &str, l: &Line) -> Value {
    let product = st
        .price(&l.price)
        .map(|p| p["product"].clone())
        .unwrap_or(Value::Null);
    json!({
        "id": l.id, "object": "line_item", "amount": l.amount, "currency": "usd",
        "description": l.description, "discount_amounts": [], "discountable": !l.proration,
        "discounts": [], "invoice": inv, "livemode": false, "metadata": {},
        "parent": {
            "type": "subscription_item_details",
            "invoice_item_details": null,
            "subscription_item_details": {
                "invoice_item": if l.proration { json!(format!("ii_{}", &l.id[3..])) } else { Value::Null },
                "proration": l.proration,
                "proration_details": {"credited_items": null},
                "subscription": l.subscription,
                "subscription_item": l.subscription_item,
            },
        },
        "period": {"start": l.start, "end": l.end},
        "pretax_credit_amounts": [],
        "pricing": {
            "type": "price_details",
            "price_details": {"price": l.price, "product": product},
            "unit_amount_decimal": st.unit_amount(&l.price).to_string(),
        },
        "quantity": l.quantity, "quantity_decimal": l.quantity.to_string(),
        "subtotal": l.amount, "taxes": [],
    })
}

pub fn render(st: &Stripe, inv: &Invoice) -> Value {
    let cus = st.customer(&inv.customer);
    let total = inv.total();
    let due = inv.amount_due();
    let remaining = if inv.status == "paid" || inv.status == "void" {
        0
    } else {
        due - inv.amount_paid
    };
    let lines: Vec<Value> = inv
        .lines
        .iter()
        .map(|l| line_json(st, &inv.id, l))
        .collect();
    json!({
        "id": inv.id, "object": "invoice", "account_country": "US", "account_name": "NNO (sandbox)",
        "account_tax_ids": null, "amount_due": due, "amount_overpaid": 0, "amount_paid": inv.amount_paid,
        "amount_remaining": remaining, "amount_shipping": 0, "application": null,
        "attempt_count": inv.attempt_count, "attempted": inv.attempted,
        "auto_advance": inv.status == "draft" || inv.status == "open",
        "automatic_tax": {"enabled": false, "liability": null, "disabled_reason": null, "provider": null, "status": null},
        "automatically_finalizes_at": null,
        "billing_reason": inv.billing_reason, "collection_method": inv.collection_method,
        "created": inv.created, "currency": "usd", "custom_fields": null, "customer": inv.customer,
        "customer_address": cus.map(|c| c["address"].clone()),
        "customer_email": cus.map(|c| c["email"].clone()),
        "customer_name": cus.map(|c| c["name"].clone()),
        "customer_phone": cus.map(|c| c["phone"].clone()),
        "customer_shipping": null, "customer_tax_exempt": "none", "customer_tax_ids": [],
        "default_payment_method": null, "default_source": null, "default_tax_rates": [],
        "description": null, "discounts": [], "due_date": inv.due_date,
        "effective_at": inv.finalized_at, "ending_balance": inv.finalized_at.map(|_| 0),
        "footer": null, "from_invoice": null,
        "hosted_invoice_url": inv.finalized_at.map(|_| format!("https://invoice.stripe.com/i/sandbox/{}", inv.id)),
        "invoice_pdf": inv.finalized_at.map(|_| format!("https://pay.stripe.com/invoice/sandbox/{}/pdf", inv.id)),
        "issuer": {"type": "self"}, "last_finalization_error": null, "latest_revision": null,
        "lines": {"object": "list", "data": lines, "has_more": false, "total_count": inv.lines.len(),
                  "url": format!("/v1/invoices/{}/lines", inv.id)},
        "livemode": false, "metadata": {}, "next_payment_attempt": inv.next_payment_attempt,
        "number": inv.number, "on_behalf_of": null,
        "parent": match &inv.subscription {
            Some(s) => json!({"type": "subscription_details", "quote_details": null,
                              "subscription_details": {"metadata": st.subscriptions.iter().find(|x| &x.id == s).map(|x| x.metadata.clone()), "subscription": s}}),
            None => Value::Null,
        },
        "payment_settings": {"default_mandate": null, "payment_method_options": null, "payment_method_types": null},
        "period_end": inv.period_end, "period_start": inv.period_start,
        "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
        "receipt_number": null, "rendering": null, "shipping_cost": null, "shipping_details": null,
        "starting_balance": 0, "statement_descriptor": null, "status": inv.status,
        "status_transitions": {"finalized_at": inv.finalized_at, "marked_uncollectible_at": null,
                               "paid_at": inv.paid_at, "voided_at": inv.voided_at},
        "subtotal": total, "subtotal_excluding_tax": total, "test_clock": inv.test_clock,
        "total": total, "total_discount_amounts": [], "total_excluding_tax": total,
        "total_pretax_credit_amounts": [], "total_taxes": [], "webhooks_delivered_at": inv.created,
    })
}

fn index(st: &Stripe, id: &str) -> Option<usize> {
    st.invoices.iter().position(|i| i.id == id)
}

fn snapshot(st: &Stripe, id: &str) -> Value {
    index(st, id).map_or(Value::Null, |i| render(st, &st.invoices[i]))
}

/// A new invoice `id`, created and finalized at `now` (events `invoice.created`,
/// `invoice.finalized`).
#[allow(clippy::too_many_arguments)]
pub fn open(
    st: &mut Stripe,
    id: &str,
    customer: &str,
    sub: Option<&Subscription>,
    lines: Vec<Line>,
    reason: &str,
    period: (i64, i64),
    now: i64,
) {
    let count = st
        .invoices
        .iter()
        .filter(|i| i.customer == customer)
        .count();
    let prefix = st
        .customer(customer)
        .and_then(|c| c["invoice_prefix"].as_str())
        .unwrap_or("SANDBOX")
        .to_string();
    let collection = sub.map_or("charge_automatically".to_string(), |s| {
        s.collection_method.clone()
    });
    let due_date = match (collection.as_str(), sub.and_then(|s| s.days_until_due)) {
        ("send_invoice", d) => Some(now + d.unwrap_or(30) * proration::DAY),
        _ => None,
    };
    let inv = Invoice {
        id: id.to_string(),
        customer: customer.to_string(),
        subscription: sub.map(|s| s.id.clone()),
        status: "draft".into(),
        billing_reason: reason.into(),
        created: now,
        period_start: period.0,
        period_end: period.1,
        lines,
        attempt_count: 0,
        attempted: false,
        next_payment_attempt: None,
        amount_paid: 0,
        finalized_at: None,
        paid_at: None,
        voided_at: None,
        test_clock: st.clock_of(customer),
        collection_method: collection,
        due_date,
        number: None,
    };
    st.invoices.push(inv);
    let snap = snapshot(st, id);
    events::emit(st, "invoice.created", snap, None, now);
    if let Some(i) = index(st, id) {
        let inv = &mut st.invoices[i];
        inv.status = "open".into();
        inv.finalized_at = Some(now);
        inv.number = Some(format!("{prefix}-{:04}", count + 1));
    }
    let snap = snapshot(st, id);
    events::emit(st, "invoice.finalized", snap, None, now);
}

/// Charges an open invoice. `automatic`: an attempt of Stripe's own (creation,
/// renewal, retry), which schedules the next retry and moves the subscription to
/// `past_due` / `canceled`; a `/pay` call only records the attempt.
pub fn attempt(st: &mut Stripe, id: &str, now: i64, automatic: bool) -> bool {
    let Some(i) = index(st, id) else { return false };
    if st.invoices[i].status != "open" {
        return false;
    }
    let customer = st.invoices[i].customer.clone();
    let sub_id = st.invoices[i].subscription.clone();
    let sub_status = sub_id
        .as_ref()
        .and_then(|s| st.subscriptions.iter().find(|x| &x.id == s))
        .map(|s| s.status.clone());
    let charge = st.invoices[i].amount_due() > 0;
    if charge && st.failing.contains(&customer) {
        let inv = &mut st.invoices[i];
        inv.attempt_count += 1;
        inv.attempted = true;
        let first_invoice = sub_status.as_deref() == Some("incomplete");
        if automatic {
            inv.next_payment_attempt = if first_invoice {
                None
            } else {
                proration::next_attempt(inv.attempt_count, now)
            };
        }
        let last = automatic && !first_invoice && inv.next_payment_attempt.is_none();
        let snap = snapshot(st, id);
        events::emit(st, "invoice.payment_failed", snap, None, now);
        if let (Some(s), true) = (&sub_id, automatic) {
            if sub_status.as_deref() == Some("active") {
                subscriptions::set_status(st, s, "past_due", now);
            }
            if last && matches!(sub_status.as_deref(), Some("active" | "past_due")) {
                subscriptions::end(st, s, now, "payment_failed");
            }
        }
        return false;
    }
    let inv = &mut st.invoices[i];
    if charge {
        inv.attempt_count += 1;
    }
    inv.attempted = true;
    inv.amount_paid = inv.amount_due();
    inv.status = "paid".into();
    inv.paid_at = Some(now);
    inv.next_payment_attempt = None;
    let snap = snapshot(st, id);
    events::emit(st, "invoice.paid", snap.clone(), None, now);
    events::emit(st, "invoice.payment_succeeded", snap, None, now);
    if let Some(s) = &sub_id {
        if matches!(
            sub_status.as_deref(),
            Some("past_due" | "incomplete" | "unpaid")
        ) {
            subscriptions::set_status(st, s, "active", now);
        }
    }
    true
}

/// Voids an open invoice (an expired first invoice).
pub fn void(st: &mut Stripe, id: &str, now: i64) {
    if let Some(i) = index(st, id) {
        let inv = &mut st.invoices[i];
        if inv.status == "open" {
            inv.status = "void".into();
            inv.voided_at = Some(now);
            inv.next_payment_attempt = None;
            let snap = snapshot(st, id);
            events::emit(st, "invoice.voided", snap, None, now);
        }
    }
}

pub fn list(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "customer",
            "subscription",
            "status",
            "collection_method",
            "created",
            "limit",
            "starting_after",
            "ending_before",
        ],
    )?;
    let customer = text(p, "customer");
    let sub = text(p, "subscription");
    let status = super::one_of(
        p,
        "status",
        &["draft", "open", "paid", "uncollectible", "void"],
    )?;
    let mut items = Vec::new();
    for inv in st.invoices.iter().rev() {
        if customer.is_some_and(|x| x != inv.customer)
            || sub.is_some_and(|x| inv.subscription.as_deref() != Some(x))
            || status.as_ref().is_some_and(|x| *x != inv.status)
            || !super::created_matches(p, inv.created)?
        {
            continue;
        }
        items.push(render(st, inv));
    }
    list::respond(&items, p, "invoice", "/v1/invoices")
}

pub fn retrieve(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let id = c.seg(1);
    let i = index(st, id).ok_or_else(|| ApiError::no_such("invoice", id, "id"))?;
    let mut v = render(st, &st.invoices[i]);
    if super::expands(&c.params)
        .iter()
        .any(|e| e == "subscription")
    {
        if let Some(s) = st.invoices[i].subscription.clone() {
            if let Some(sub) = st.subscriptions.iter().find(|x| x.id == s) {
                v["parent"]["subscription_details"]["subscription"] =
                    subscriptions::render(st, sub);
            }
        }
    }
    Ok(v)
}

pub fn pay(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "paid_out_of_band",
            "payment_method",
            "source",
            "off_session",
            "forgive",
            "mandate",
        ],
    )?;
    let id = c.seg(1).to_string();
    let i = index(st, &id).ok_or_else(|| ApiError::no_such("invoice", &id, "id"))?;
    match st.invoices[i].status.as_str() {
        "open" => {}
        "paid" => {
            return Err(ApiError::invalid(
                Some("invoice_already_paid"),
                "Invoice is already paid",
            ))
        }
        s => {
            return Err(ApiError::invalid(
                Some("invoice_not_open"),
                format!("You can only pay an open invoice; this one is {s}."),
            ))
        }
    }
    let now = st.customer_now(&st.invoices[i].customer.clone());
    if boolean(p, "paid_out_of_band")? == Some(true) {
        let customer = st.invoices[i].customer.clone();
        let was = st.failing.remove(&customer);
        attempt(st, &id, now, false);
        if was {
            st.failing.insert(customer);
        }
    } else if !attempt(st, &id, now, false) {
        return Err(ApiError::card_declined());
    }
    Ok(snapshot(st, &id))
}

/// `POST /v1/invoices/create_preview`: the invoice a subscription change would
/// produce. With `always_invoice`, the invoice the update creates at once (pending
/// items and the prorations); otherwise the next renewal (the items as changed for
/// the next period, pending items, and with `create_prorations` the new prorations).
/// Proration lines are computed exactly as the update computes them.
pub fn create_preview(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(
        p,
        &[
            "customer",
            "subscription",
            "subscription_details",
            "automatic_tax",
            "preview_mode",
            "currency",
        ],
    )?;
    allow_nested(
        p,
        "subscription_details",
        &[
            "items",
            "proration_behavior",
            "proration_date",
            "cancel_at_period_end",
            "metadata",
            "billing_cycle_anchor",
        ],
    )?;
    let details = p.get("subscription_details").cloned().unwrap_or(json!({}));
    let sub = match text(p, "subscription").filter(|s| !s.is_empty()) {
        Some(id) => st
            .subscriptions
            .iter()
            .find(|s| s.id == id)
            .cloned()
            .ok_or_else(|| {
                ApiError::no_such("subscription", id, "subscription").with_status(400)
            })?,
        None => {
            let Some(cus) = text(p, "customer").filter(|s| !s.is_empty()) else {
                return Err(ApiError::missing("customer"));
            };
            if st.customer(cus).is_none() {
                return Err(ApiError::no_such("customer", cus, "customer").with_status(400));
            }
            st.subscriptions
                .iter()
                .rev()
                .find(|s| s.customer == cus && subscriptions::is_live(s))
                .cloned()
                .ok_or_else(|| {
                    ApiError::invalid(
                        Some("invoice_upcoming_none"),
                        format!("No upcoming invoices for customer: {cus}"),
                    )
                })?
        }
    };
    if let Some(cus) = text(p, "customer").filter(|s| !s.is_empty()) {
        if cus != sub.customer {
            return Err(ApiError::invalid(
                None,
                "The subscription does not belong to this customer",
            )
            .with_param("customer"));
        }
    }
    if !subscriptions::is_live(&sub) {
        return Err(ApiError::invalid(
            Some("invoice_upcoming_none"),
            format!("No upcoming invoices for customer: {}", sub.customer),
        ));
    }
    let behavior = match details["proration_behavior"].as_str().unwrap_or("") {
        "" => "create_prorations".to_string(),
        b @ ("create_prorations" | "always_invoice" | "none") => b.to_string(),
        _ => {
            return Err(ApiError::invalid(None, "Invalid subscription_details[proration_behavior]: must be one of always_invoice, create_prorations, or none")
                .with_param("subscription_details[proration_behavior]"))
        }
    };
    let now = st.customer_now(&sub.customer);
    let at = int_at(
        details.get("proration_date"),
        "subscription_details[proration_date]",
    )?
    .unwrap_or(now);
    subscriptions::check_proration_date(&sub, at, "subscription_details[proration_date]")?;
    let plan = subscriptions::plan(
        st,
        &sub,
        details.get("items"),
        "subscription_details[items]",
        at,
        behavior != "none",
    )?;
    let cancel = super::boolean_at(
        details.get("cancel_at_period_end"),
        "subscription_details[cancel_at_period_end]",
    )?
    .unwrap_or(sub.cancel_at_period_end);
    let id = new_id("upcoming_in_");
    let mut changed = sub.clone();
    changed.items = plan.items.clone();
    let (ps, pe) = sub.period();
    let (lines, reason, period, created) = if behavior == "always_invoice" {
        let mut lines = sub.pending.clone();
        lines.extend(plan.prorations);
        (lines, "subscription_update", (at, at), at)
    } else {
        let mut lines = sub.pending.clone();
        lines.extend(plan.prorations);
        if !cancel {
            let (ns, ne) = (pe, changed.boundary(changed.periods + 2));
            for item in &changed.items {
                lines.push(item_line(st, &changed, item, ns, ne));
            }
        }
        (lines, "upcoming", (ps, pe), pe)
    };
    let inv = Invoice {
        id,
        customer: sub.customer.clone(),
        subscription: Some(sub.id.clone()),
        status: "draft".into(),
        billing_reason: reason.into(),
        created,
        period_start: period.0,
        period_end: period.1,
        lines,
        attempt_count: 0,
        attempted: false,
        next_payment_attempt: Some(created),
        amount_paid: 0,
        finalized_at: None,
        paid_at: None,
        voided_at: None,
        test_clock: sub.test_clock.clone(),
        collection_method: sub.collection_method.clone(),
        due_date: None,
        number: None,
    };
    Ok(render(st, &inv))
}
