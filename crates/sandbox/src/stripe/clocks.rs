//! Test clocks: `POST /v1/test_helpers/test_clocks {frozen_time*, name}`, `GET` (list,
//! retrieve), `DELETE` (also deletes its customers, their subscriptions and invoices),
//! `POST …/{id}/advance {frozen_time*}`.
//!
//! An advance runs synchronously before it answers: everything due on the clock's
//! customers up to the target, in time order (renewals and period-end cancellations,
//! payment retries, expiry of incomplete subscriptions after 23 h). It answers the
//! clock with `status: advancing` and turns `ready` (`test_helpers.test_clock.ready`)
//! `clockReadyMs` later (default 200 ms). An advance may go at most two intervals of
//! the shortest subscription interval on the clock (two years without subscriptions)
//! and is refused while the clock is still advancing.

use super::errors::{ApiError, Res};
use super::{allow, events, int, list, new_id, now, subscriptions, text, Call, Stripe};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Clock {
    pub id: String,
    pub name: Option<String>,
    pub frozen_time: i64,
    pub created: i64,
    pub status: String,
    pub target: Option<i64>,
    pub ready_at: Option<Instant>,
}

impl Clock {
    pub fn new(id: &str, name: Option<String>, frozen_time: i64) -> Clock {
        Clock {
            id: id.into(),
            name,
            frozen_time,
            created: now(),
            status: "ready".into(),
            target: None,
            ready_at: None,
        }
    }

    pub fn render(&self) -> Value {
        json!({
            "id": self.id, "object": "test_helpers.test_clock", "created": self.created,
            "deletes_after": self.created + 30 * 86_400, "frozen_time": self.frozen_time,
            "livemode": false, "name": self.name, "status": self.status,
            "status_details": match self.target {
                Some(t) if self.status == "advancing" => json!({"advancing": {"target_frozen_time": t}}),
                _ => json!({}),
            },
        })
    }
}

/// The latest allowed target from `frozen`: two of the shortest intervals among
/// `intervals` ((interval, count)), or two years.
pub fn advance_limit(frozen: i64, intervals: &[(String, i64)]) -> i64 {
    intervals
        .iter()
        .map(|(i, c)| subscriptions::boundary(frozen, i, *c, 2))
        .min()
        .unwrap_or_else(|| super::proration::add_months(frozen, 24))
}

enum Due {
    Renew(String),
    Retry(String),
    Expire(String),
}

/// Runs, in time order, what falls due up to `target` for the customers on `clock`
/// (`None`: customers on the real clock).
pub fn run_due(st: &mut Stripe, clock: Option<&str>, target: i64) {
    for _ in 0..10_000 {
        let on = |st: &Stripe, cus: &str| st.clock_of(cus).as_deref() == clock;
        let mut best: Option<(i64, Due)> = None;
        let mut consider = |t: i64, d: Due| {
            if t <= target && best.as_ref().is_none_or(|(bt, _)| t < *bt) {
                best = Some((t, d));
            }
        };
        for s in &st.subscriptions {
            if !on(st, &s.customer) {
                continue;
            }
            match s.status.as_str() {
                "active" | "past_due" | "trialing" | "unpaid" => {
                    consider(s.period().1, Due::Renew(s.id.clone()))
                }
                "incomplete" => consider(s.created + 23 * 3600, Due::Expire(s.id.clone())),
                _ => {}
            }
        }
        for inv in &st.invoices {
            if inv.status == "open" && on(st, &inv.customer) {
                if let Some(t) = inv.next_payment_attempt.filter(|_| inv.attempt_count > 0) {
                    consider(t, Due::Retry(inv.id.clone()));
                }
            }
        }
        let Some((t, due)) = best else { break };
        if let Some(c) = clock.and_then(|id| st.clocks.iter_mut().find(|c| c.id == id)) {
            c.frozen_time = c.frozen_time.max(t);
        }
        match due {
            Due::Renew(id) => subscriptions::renew(st, &id, t),
            Due::Expire(id) => subscriptions::expire(st, &id, t),
            Due::Retry(id) => {
                super::invoices::attempt(st, &id, t, true);
            }
        }
    }
}

/// Clocks whose advance is done turn `ready`.
pub fn settle(st: &mut Stripe) {
    let at = Instant::now();
    let ready: Vec<usize> = st
        .clocks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.status == "advancing" && c.ready_at.is_some_and(|r| r <= at))
        .map(|(i, _)| i)
        .collect();
    for i in ready {
        let c = &mut st.clocks[i];
        c.status = "ready".into();
        c.target = None;
        c.ready_at = None;
        let (snap, t) = (c.render(), c.frozen_time);
        events::emit(st, "test_helpers.test_clock.ready", snap, None, t);
    }
}

fn index(st: &Stripe, id: &str) -> Res<usize> {
    st.clocks
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(|| ApiError::no_such("test_helpers.test_clock", id, "test_clock"))
}

pub fn create(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(p, &["frozen_time", "name"])?;
    let frozen = int(p, "frozen_time")?.ok_or_else(|| ApiError::missing("frozen_time"))?;
    let name = text(p, "name")
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let clock = Clock::new(&new_id("clock_"), name, frozen);
    let v = clock.render();
    st.clocks.push(clock);
    events::emit(
        st,
        "test_helpers.test_clock.created",
        v.clone(),
        None,
        frozen,
    );
    Ok(v)
}

pub fn retrieve(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let i = index(st, c.seg(2))?;
    Ok(st.clocks[i].render())
}

pub fn list(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &["limit", "starting_after", "ending_before"])?;
    let items: Vec<Value> = st.clocks.iter().rev().map(Clock::render).collect();
    list::respond(
        &items,
        &c.params,
        "test_helpers.test_clock",
        "/v1/test_helpers/test_clocks",
    )
}

pub fn delete(st: &mut Stripe, c: &Call) -> Res<Value> {
    allow(&c.params, &[])?;
    let i = index(st, c.seg(2))?;
    let clock = st.clocks.remove(i);
    let customers: Vec<String> = st
        .customers
        .iter()
        .filter(|x| x["test_clock"] == clock.id.as_str())
        .filter_map(|x| x["id"].as_str().map(str::to_string))
        .collect();
    st.customers
        .retain(|x| x["test_clock"] != clock.id.as_str());
    st.subscriptions
        .retain(|s| !customers.contains(&s.customer));
    st.invoices.retain(|v| !customers.contains(&v.customer));
    for cus in customers {
        st.failing.remove(&cus);
        st.deleted_customers.insert(cus);
    }
    let snap = clock.render();
    events::emit(
        st,
        "test_helpers.test_clock.deleted",
        snap,
        None,
        clock.frozen_time,
    );
    Ok(json!({ "id": clock.id, "object": "test_helpers.test_clock", "deleted": true }))
}

pub fn advance(st: &mut Stripe, c: &Call) -> Res<Value> {
    let p = &c.params;
    allow(p, &["frozen_time"])?;
    let i = index(st, c.seg(2))?;
    let target = int(p, "frozen_time")?.ok_or_else(|| ApiError::missing("frozen_time"))?;
    let clock = st.clocks[i].clone();
    if clock.status == "advancing" {
        return Err(ApiError::invalid(
            None,
            format!(
                "The test clock {} is advancing; wait until its status is ready.",
                clock.id
            ),
        ));
    }
    if target <= clock.frozen_time {
        return Err(ApiError::invalid(
            None,
            "The test clock's frozen_time can only move forward: it must be after the current frozen_time.",
        )
        .with_param("frozen_time"));
    }
    let intervals: Vec<(String, i64)> = st
        .subscriptions
        .iter()
        .filter(|s| s.test_clock.as_deref() == Some(clock.id.as_str()) && subscriptions::is_live(s))
        .map(|s| (s.interval.clone(), s.interval_count))
        .collect();
    let limit = advance_limit(clock.frozen_time, &intervals);
    if target > limit {
        return Err(ApiError::invalid(
            None,
            format!(
                "Cannot advance the test clock to {target}: an advance may go at most two intervals of the shortest subscription interval on the clock (at most to {limit})."
            ),
        )
        .with_param("frozen_time"));
    }
    {
        let c = &mut st.clocks[i];
        c.status = "advancing".into();
        c.target = Some(target);
    }
    let snap = st.clocks[i].render();
    events::emit(
        st,
        "test_helpers.test_clock.advancing",
        snap,
        None,
        clock.frozen_time,
    );
    run_due(st, Some(&clock.id), target);
    let ready_in = Duration::from_millis(st.cfg.clock_ready_ms);
    let i = index(st, &clock.id)?;
    let c = &mut st.clocks[i];
    c.frozen_time = target;
    c.ready_at = Some(Instant::now() + ready_in);
    Ok(c.render())
}

#[cfg(test)]
mod tests {
    use super::super::form;
    use super::super::proration::{add_months, DAY};
    use super::*;

    fn call(st: &mut Stripe, method: &str, path: &str, body: &str) -> Res<Value> {
        let c = Call {
            method: method.into(),
            segs: path
                .trim_start_matches("/v1/")
                .split('/')
                .map(str::to_string)
                .collect(),
            params: form::parse("", body),
            path: path.into(),
        };
        super::super::route(st, &c)
    }

    fn s(v: &Value, k: &str) -> String {
        v[k].as_str().unwrap_or("").to_string()
    }

    const T0: i64 = 1_700_000_000;

    fn setup(fail: bool) -> (Stripe, String, String, String) {
        let mut st = Stripe::from_env();
        st.cfg.clock_ready_ms = 0;
        let clock = call(
            &mut st,
            "POST",
            "/v1/test_helpers/test_clocks",
            &format!("frozen_time={T0}"),
        )
        .expect("clock");
        let md = if fail {
            "&metadata[sandbox_payment_behavior]=fail"
        } else {
            ""
        };
        let cus = call(
            &mut st,
            "POST",
            "/v1/customers",
            &format!("test_clock={}{md}", s(&clock, "id")),
        )
        .expect("customer");
        let sub = call(
            &mut st,
            "POST",
            "/v1/subscriptions",
            &format!(
                "customer={}&items[0][price]=price_nno_starter_monthly",
                s(&cus, "id")
            ),
        )
        .expect("sub");
        (st, s(&clock, "id"), s(&cus, "id"), s(&sub, "id"))
    }

    fn advance_to(st: &mut Stripe, clock: &str, t: i64) -> Res<Value> {
        let r = call(
            st,
            "POST",
            &format!("/v1/test_helpers/test_clocks/{clock}/advance"),
            &format!("frozen_time={t}"),
        );
        settle(st);
        r
    }

    #[test]
    fn renewals_invoice_each_month_and_limit_is_two_intervals() {
        let (mut st, clock, _cus, sub) = setup(false);
        let v = advance_to(&mut st, &clock, T0 + 31 * DAY).expect("advanced");
        assert_eq!(v["status"], "advancing");
        assert_eq!(st.clocks[0].status, "ready");
        let invs: Vec<_> = st
            .invoices
            .iter()
            .filter(|i| i.subscription.as_deref() == Some(sub.as_str()))
            .collect();
        assert_eq!(invs.len(), 2);
        assert!(invs.iter().all(|i| i.status == "paid"));
        assert_eq!(invs[1].billing_reason, "subscription_cycle");
        assert_eq!(invs[1].lines[0].start, add_months(T0, 1));
        let too_far =
            advance_to(&mut st, &clock, add_months(T0 + 31 * DAY, 2) + DAY).expect_err("too far");
        assert_eq!(too_far.param.as_deref(), Some("frozen_time"));
        assert!(advance_to(&mut st, &clock, T0).is_err());
        assert_eq!(advance_limit(T0, &[]), add_months(T0, 24));
    }

    #[test]
    fn failed_renewal_retries_on_days_3_8_15_then_cancels() {
        let (mut st, clock, cus, sub) = setup(false);
        st.failing.insert(cus);
        let renewal = add_months(T0, 1);
        advance_to(&mut st, &clock, renewal + DAY).expect("advanced");
        let sub_status = |st: &Stripe| {
            st.subscriptions
                .iter()
                .find(|s| s.id == sub)
                .map(|s| s.status.clone())
        };
        assert_eq!(sub_status(&st).as_deref(), Some("past_due"));
        let inv = st.invoices.last().cloned().expect("invoice");
        assert_eq!((inv.status.as_str(), inv.attempt_count), ("open", 1));
        assert_eq!(inv.next_payment_attempt, Some(renewal + 3 * DAY));
        advance_to(&mut st, &clock, renewal + 14 * DAY).expect("advanced");
        let inv = st
            .invoices
            .iter()
            .find(|i| i.id == inv.id)
            .cloned()
            .expect("invoice");
        assert_eq!(inv.attempt_count, 3);
        assert_eq!(inv.next_payment_attempt, Some(renewal + 15 * DAY));
        advance_to(&mut st, &clock, renewal + 16 * DAY).expect("advanced");
        assert_eq!(sub_status(&st).as_deref(), Some("canceled"));
        let failed = st
            .events
            .iter()
            .filter(|e| e["type"] == "invoice.payment_failed")
            .count();
        assert_eq!(failed, 4);
        assert!(st
            .events
            .iter()
            .any(|e| e["type"] == "customer.subscription.deleted"));
    }

    #[test]
    fn cancel_at_period_end_ends_at_the_period_end() {
        let (mut st, clock, _cus, sub) = setup(false);
        call(
            &mut st,
            "POST",
            &format!("/v1/subscriptions/{sub}"),
            "cancel_at_period_end=true",
        )
        .expect("updated");
        advance_to(&mut st, &clock, T0 + 40 * DAY).expect("advanced");
        let s = st
            .subscriptions
            .iter()
            .find(|s| s.id == sub)
            .cloned()
            .expect("sub");
        assert_eq!(s.status, "canceled");
        assert_eq!(s.ended_at, Some(add_months(T0, 1)));
        assert_eq!(st.invoices.len(), 1);
    }

    #[test]
    fn failing_customer_starts_incomplete_and_pay_activates() {
        let (mut st, _clock, cus, sub) = setup(true);
        let s = st
            .subscriptions
            .iter()
            .find(|s| s.id == sub)
            .cloned()
            .expect("sub");
        assert_eq!(s.status, "incomplete");
        let inv = s.latest_invoice.clone().unwrap_or_default();
        let e =
            call(&mut st, "POST", &format!("/v1/invoices/{inv}/pay"), "").expect_err("declined");
        assert_eq!((e.status, e.kind), (402, "card_error"));
        st.failing.remove(&cus);
        let paid = call(&mut st, "POST", &format!("/v1/invoices/{inv}/pay"), "").expect("paid");
        assert_eq!(paid["status"], "paid");
        assert_eq!(paid["attempt_count"], 3);
        let s = st
            .subscriptions
            .iter()
            .find(|s| s.id == sub)
            .cloned()
            .expect("sub");
        assert_eq!(s.status, "active");
    }

    #[test]
    fn update_prorations_match_the_preview() {
        let (mut st, _clock, _cus, sub) = setup(false);
        let si = st.subscriptions[0].items[0].id.clone();
        let at = T0 + 10 * DAY;
        let q = format!("subscription={sub}&subscription_details[items][0][id]={si}&subscription_details[items][0][price]=price_nno_growth_monthly&subscription_details[proration_date]={at}&subscription_details[proration_behavior]=always_invoice");
        let preview = call(&mut st, "POST", "/v1/invoices/create_preview", &q).expect("preview");
        assert!(s(&preview, "id").starts_with("upcoming_in_"));
        let period = (add_months(T0, 1) - T0) as i128;
        let left = (add_months(T0, 1) - at) as i128;
        let credit = -((4900 * left * 2 + period) / (2 * period)) as i64;
        let charge = ((19900 * left * 2 + period) / (2 * period)) as i64;
        assert_eq!(preview["lines"]["data"][0]["amount"], credit);
        assert_eq!(preview["lines"]["data"][1]["amount"], charge);
        assert_eq!(preview["total"], credit + charge);
        call(&mut st, "POST", &format!("/v1/subscriptions/{sub}"), &format!("items[0][id]={si}&items[0][price]=price_nno_growth_monthly&proration_date={at}&proration_behavior=always_invoice")).expect("updated");
        let inv = st.invoices.last().cloned().expect("invoice");
        assert_eq!(inv.billing_reason, "subscription_update");
        assert_eq!(
            inv.lines.iter().map(|l| l.amount).collect::<Vec<_>>(),
            vec![credit, charge]
        );
        assert_eq!(inv.status, "paid");
        assert!(inv.lines.iter().all(|l| l.proration));
        // create_prorations: pending, then on the renewal invoice.
        let at2 = at + DAY;
        call(
            &mut st,
            "POST",
            &format!("/v1/subscriptions/{sub}"),
            &format!(
                "items[0][id]={si}&items[0][price]=price_nno_scale_monthly&proration_date={at2}"
            ),
        )
        .expect("updated");
        assert_eq!(st.subscriptions[0].pending.len(), 2);
        let bad = call(
            &mut st,
            "POST",
            &format!("/v1/subscriptions/{sub}"),
            "proration_behavior=sometimes",
        )
        .expect_err("enum");
        assert_eq!(bad.param.as_deref(), Some("proration_behavior"));
    }
}
