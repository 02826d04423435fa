//! Helpers for the billing tests: the sandbox's Stripe API at Stripe's paths and in
//! its wire format (form bodies, bearer key), test clocks, and waiting for what
//! billing and registry make of Stripe's webhooks.

use crate::iam::{sandbox, Person};
use crate::platforms::api;
use crate::{send, Reply};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The sandbox's Stripe key (billing's `STRIPE_SECRET_KEY` locally).
pub const STRIPE_KEY: &str = "sk_test_local_sandbox";
/// The webhook endpoint's signing secret (billing's `STRIPE_WEBHOOK_SECRET` locally).
pub const WEBHOOK_SECRET: &str = "whsec_local_sandbox";

/// `method /v1/...` on the sandbox's Stripe API, with a form body.
pub fn stripe(method: &str, path: &str, form: &[(&str, &str)]) -> Reply {
    let body = nno_core::urls::form(form);
    let auth = format!("Bearer {STRIPE_KEY}");
    let mut headers = vec![("authorization", auth.as_str())];
    headers.push(("content-type", "application/x-www-form-urlencoded"));
    let (url, bytes) = if method == "GET" {
        let q = if body.is_empty() {
            String::new()
        } else {
            format!("?{body}")
        };
        (format!("{}{path}{q}", sandbox()), None)
    } else {
        (format!("{}{path}", sandbox()), Some(body.into_bytes()))
    };
    send(method, &url, &headers, bytes.as_deref())
}

/// A sandbox test control (`/_sandbox/stripe/...`) with a JSON body.
pub fn control(method: &str, path: &str, body: Option<&Value>) -> Reply {
    let bytes = body.map(|b| b.to_string().into_bytes());
    send(
        method,
        &format!("{}/_sandbox/stripe/{path}", sandbox()),
        &[("content-type", "application/json")],
        bytes.as_deref(),
    )
}

/// The platform's subscription as billing answers it.
pub fn subscription(who: &str, pid: &str) -> Reply {
    api(
        "GET",
        &format!("/api/v1/billing/subscription?platformId={pid}"),
        None,
        Some(who),
    )
}

pub fn subscription_ok(who: &Person, pid: &str) -> Value {
    let r = subscription(&who.bearer(), pid);
    assert_eq!(r.status, 200, "subscription: {}", r.body);
    r.json()
}

/// The registry's platform.
pub fn platform(who: &str, pid: &str) -> Value {
    let r = api("GET", &format!("/api/v1/platforms/{pid}"), None, Some(who));
    assert_eq!(r.status, 200, "platform: {}", r.body);
    r.json()
}

/// Polls `read` until `done` holds or `within` passes; the last value.
pub fn wait_for(
    within: Duration,
    read: impl Fn() -> Value,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let v = read();
        if done(&v) || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The test clock the platform's Stripe customer runs on.
pub fn clock_of(customer: &str) -> String {
    let r = stripe("GET", &format!("/v1/customers/{customer}"), &[]);
    assert_eq!(r.status, 200, "customer: {}", r.body);
    r.json()["test_clock"]
        .as_str()
        .unwrap_or_else(|| panic!("the customer has no test clock: {}", r.body))
        .to_string()
}

/// Moves the clock to `to` (unix s) and waits until Stripe has done what falls due.
pub fn advance(clock: &str, to: i64) {
    let t = to.to_string();
    let r = stripe(
        "POST",
        &format!("/v1/test_helpers/test_clocks/{clock}/advance"),
        &[("frozen_time", &t)],
    );
    assert_eq!(r.status, 200, "advance: {}", r.body);
    let v = wait_for(
        Duration::from_secs(30),
        || stripe("GET", &format!("/v1/test_helpers/test_clocks/{clock}"), &[]).json(),
        |c| c["status"] == "ready",
    );
    assert_eq!(v["status"], "ready", "the clock did not finish: {v}");
}

/// The clock's present time (unix s).
pub fn clock_time(clock: &str) -> i64 {
    let r = stripe("GET", &format!("/v1/test_helpers/test_clocks/{clock}"), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["frozen_time"].as_i64().expect("frozen_time")
}

/// `POST /api/v1/billing/{path}` as `who`.
pub fn billing_post(who: &str, path: &str, body: &Value) -> Reply {
    api(
        "POST",
        &format!("/api/v1/billing/{path}"),
        Some(body),
        Some(who),
    )
}

pub fn platform_body(pid: &str) -> Value {
    json!({ "platformId": pid })
}
