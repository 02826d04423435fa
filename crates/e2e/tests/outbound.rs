//! Calls to external APIs fail into the documented envelopes: a provider that does not
//! answer within the deadline is 504 `UPSTREAM_TIMEOUT`, one that answers something
//! other than JSON 502 `UPSTREAM_ERROR`. Its own test binary: the sandbox's faults are
//! global, and no other test may take them.

use e2e::iam::sandbox;
use e2e::{send, Reply};
use serde_json::json;
use std::time::{Duration, Instant};

fn arm(fault: serde_json::Value) {
    let r = send(
        "POST",
        &format!("{}/_sandbox/faults", sandbox()),
        &[("content-type", "application/json")],
        Some(fault.to_string().as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn github_callback() -> Reply {
    e2e::iam::github_callback(&e2e::iam::email("slow"), None)
}

#[test]
fn a_provider_past_the_deadline_is_a_504_and_garbage_a_502() {
    arm(json!({"pathPrefix": "/github/login/oauth/access_token", "delayMs": 12000}));
    let started = Instant::now();
    let slow = github_callback();
    let waited = started.elapsed();
    assert_eq!(slow.status, 504, "{}", slow.body);
    assert_eq!(slow.json()["error"]["code"], "UPSTREAM_TIMEOUT");
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(12),
        "answered after {waited:?}: the deadline is 10 s"
    );
    assert!(!slow.body.contains("client_secret"), "{}", slow.body);

    arm(
        json!({"pathPrefix": "/github/login/oauth/access_token", "status": 200,
               "body": "<html><body>502 Bad Gateway</body></html>"}),
    );
    let garbled = github_callback();
    assert_eq!(garbled.status, 502, "{}", garbled.body);
    assert_eq!(garbled.json()["error"]["code"], "UPSTREAM_ERROR");
    assert!(!garbled.body.contains("<html>"), "{}", garbled.body);
}
