//! Customers: `POST /v1/customers`, `GET|POST|DELETE /v1/customers/{id}`,
//! `GET /v1/customers` (`email` exact, `test_clock`, `created`; customers on a test
//! clock are listed only when `test_clock` is given). `metadata[sandbox_payment_behavior]
//! =fail` at creation makes the customer's payments fail (also
//! `POST /_sandbox/stripe/customers/{id}/payment`).

use super::errors::{ApiError, Res};
use super::{allow, apply_metadata, events, list, new_id, text, Call, Stripe};
use serde_json::{json, Value};

const FIELDS: &[&str] = &[
    "email",
    "name",
    "description",
    "phone",
    "address",
    "preferred_locales",
    "invoice_settings",
    "metadata",
    "shipping",
    "tax_exempt",
];

/// Sets the plain fields given (an empty string clears).
fn apply(c: &mut Value, p: &Value) {
    for f in ["email", "name", "description", "phone"] {
        if let Some(v) = text(p, f) {
            c[f] = if v.is_empty() { Value::Null } else { json!(v) };
        }
    }
    if let Some(a) = p.get("address") {
        c["address"] = if a.is_object() {
            a.clone()
        } else {
            Value::Null
        };
    }
    if let Some(Value::Array(l)) = p.get("preferred_locales") {
        c["preferred_locales"] = json!(l);
    }
    if let Some(t) = text(p, "tax_exempt") {
        c["tax_exempt"] = json!(t);
    }
}

pub fn create(st: &mut Stripe, call: &Call) -> Res<Value> {
    let p = &call.params;
    let mut allowed = FIELDS.to_vec();
    allowed.extend(["test_clock", "payment_method", "source", "balance"]);
    allow(p, &allowed)?;
    let clock = text(p, "test_clock").filter(|s| !s.is_empty());
    if let Some(id) = clock {
        if !st.clocks.iter().any(|c| c.id == id) {
            return Err(
                ApiError::no_such("test_helpers.test_clock", id, "test_clock").with_status(400),
            );
        }
    }
    let created = st.time_on(clock);
    let id = new_id("cus_");
    let mut c = json!({
        "id": id, "object": "customer", "address": null, "balance": 0, "created": created,
        "currency": null, "default_source": null, "delinquent": false, "description": null,
        "discount": null, "email": null, "invoice_prefix": id[4..12].to_ascii_uppercase(),
        "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null,
                             "rendering_options": null},
        "livemode": false, "metadata": {}, "name": null, "next_invoice_sequence": 1,
        "phone": null, "preferred_locales": [], "shipping": null, "tax_exempt": "none",
        "test_clock": clock,
    });
    apply(&mut c, p);
    apply_metadata(&mut c["metadata"], p)?;
    if c["metadata"]["sandbox_payment_behavior"] == "fail" {
        st.failing.insert(id.clone());
    }
    st.customers.push(c.clone());
    events::emit(st, "customer.created", c.clone(), None, created);
    Ok(c)
}

fn find(st: &Stripe, id: &str) -> Res<usize> {
    st.customers
        .iter()
        .position(|c| c["id"] == id)
        .ok_or_else(|| ApiError::no_such("customer", id, "id"))
}

pub fn retrieve(st: &mut Stripe, call: &Call) -> Res<Value> {
    allow(&call.params, &[])?;
    let id = call.seg(1);
    if st.deleted_customers.contains(id) {
        return Ok(json!({ "id": id, "object": "customer", "deleted": true }));
    }
    let i = find(st, id)?;
    Ok(st.customers[i].clone())
}

pub fn update(st: &mut Stripe, call: &Call) -> Res<Value> {
    let p = &call.params;
    let mut allowed = FIELDS.to_vec();
    allowed.extend(["default_source", "source", "balance"]);
    allow(p, &allowed)?;
    let i = find(st, call.seg(1))?;
    let before = st.customers[i].clone();
    let mut c = before.clone();
    apply(&mut c, p);
    apply_metadata(&mut c["metadata"], p)?;
    st.customers[i] = c.clone();
    if let Some(prev) = events::previous_attributes(&before, &c) {
        let at = st.customer_now(call.seg(1));
        events::emit(st, "customer.updated", c.clone(), Some(prev), at);
    }
    Ok(c)
}

pub fn delete(st: &mut Stripe, call: &Call) -> Res<Value> {
    allow(&call.params, &[])?;
    let id = call.seg(1).to_string();
    let i = find(st, &id)?;
    let at = st.customer_now(&id);
    let subs: Vec<String> = st
        .subscriptions
        .iter()
        .filter(|s| s.customer == id && s.status != "canceled" && s.status != "incomplete_expired")
        .map(|s| s.id.clone())
        .collect();
    for s in subs {
        super::subscriptions::end(st, &s, at, "cancellation_requested");
    }
    let c = st.customers.remove(i);
    st.deleted_customers.insert(id.clone());
    st.failing.remove(&id);
    events::emit(st, "customer.deleted", c, None, at);
    Ok(json!({ "id": id, "object": "customer", "deleted": true }))
}

pub fn list(st: &mut Stripe, call: &Call) -> Res<Value> {
    let p = &call.params;
    allow(
        p,
        &[
            "email",
            "test_clock",
            "created",
            "limit",
            "starting_after",
            "ending_before",
        ],
    )?;
    let email = text(p, "email");
    let clock = text(p, "test_clock").filter(|s| !s.is_empty());
    let mut items = Vec::new();
    for c in st.customers.iter().rev() {
        let on_clock = c["test_clock"].as_str();
        if on_clock != clock {
            continue;
        }
        if email.is_some_and(|e| c["email"] != e) {
            continue;
        }
        if !super::created_matches(p, c["created"].as_i64().unwrap_or(0))? {
            continue;
        }
        items.push(c.clone());
    }
    list::respond(&items, p, "customer", "/v1/customers")
}

#[cfg(test)]
mod tests {
    use super::super::form;
    use super::*;

    fn call(method: &str, path: &str, body: &str) -> Call {
        Call {
            method: method.into(),
            segs: path
                .trim_start_matches("/v1/")
                .split('/')
                .map(str::to_string)
                .collect(),
            params: form::parse("", body),
            path: path.into(),
        }
    }

    #[test]
    fn create_update_list_delete() {
        let mut st = Stripe::from_env();
        let c = create(
            &mut st,
            &call("POST", "/v1/customers", "email=a%40x.test&metadata[t]=1"),
        )
        .expect("created");
        let id = c["id"].as_str().unwrap_or("").to_string();
        assert_eq!(c["email"], "a@x.test");
        assert_eq!(c["metadata"]["t"], "1");
        let e = create(&mut st, &call("POST", "/v1/customers", "emali=x")).expect_err("unknown");
        assert_eq!(e.param.as_deref(), Some("emali"));
        let u = update(
            &mut st,
            &call(
                "POST",
                &format!("/v1/customers/{id}"),
                "name=N&metadata[t]=",
            ),
        )
        .expect("updated");
        assert_eq!(
            (u["name"].as_str(), u["metadata"].get("t")),
            (Some("N"), None)
        );
        assert_eq!(
            st.events.last().map(|e| e["type"].clone()),
            Some(json!("customer.updated"))
        );
        let l = list(&mut st, &call("GET", "/v1/customers", "email=a%40x.test")).expect("list");
        assert_eq!(l["data"][0]["id"], id.as_str());
        delete(&mut st, &call("DELETE", &format!("/v1/customers/{id}"), "")).expect("deleted");
        let r = retrieve(&mut st, &call("GET", &format!("/v1/customers/{id}"), "")).expect("stub");
        assert_eq!(r["deleted"], true);
        let missing =
            retrieve(&mut st, &call("GET", "/v1/customers/cus_nope", "")).expect_err("404");
        assert_eq!(missing.status, 404);
    }

    #[test]
    fn clock_customers_are_listed_only_with_their_clock_and_fail_flag_is_read() {
        let mut st = Stripe::from_env();
        st.clocks.push(super::super::clocks::Clock::new(
            "clock_1",
            None,
            1_700_000_000,
        ));
        let c = create(
            &mut st,
            &call(
                "POST",
                "/v1/customers",
                "test_clock=clock_1&metadata[sandbox_payment_behavior]=fail",
            ),
        )
        .expect("created");
        assert_eq!(c["created"], 1_700_000_000);
        assert!(st.failing.contains(c["id"].as_str().unwrap_or("")));
        let plain = list(&mut st, &call("GET", "/v1/customers", "")).expect("list");
        assert_eq!(plain["data"].as_array().map(Vec::len), Some(0));
        let on = list(&mut st, &call("GET", "/v1/customers", "test_clock=clock_1")).expect("list");
        assert_eq!(on["data"].as_array().map(Vec::len), Some(1));
        assert!(create(
            &mut st,
            &call("POST", "/v1/customers", "test_clock=clock_x")
        )
        .is_err());
    }
}
