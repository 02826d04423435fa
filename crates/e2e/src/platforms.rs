//! Helpers for the platform tests: calls to any gateway path, onboarding a platform
//! and waiting for it, and the sandbox's Cloudflare state.

use crate::iam::{create_org, sign_up, Person};
use crate::{gateway, send, unique_ip, Reply};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// `method path` at the gateway (a full `/api/v1/...` path) as `authorization`.
pub fn api(method: &str, path: &str, body: Option<&Value>, authorization: Option<&str>) -> Reply {
    let ip = unique_ip();
    let mut h = vec![("cf-connecting-ip", ip.as_str())];
    if body.is_some() {
        h.push(("content-type", "application/json"));
    }
    if let Some(a) = authorization {
        h.push(("authorization", a));
    }
    let bytes = body.map(|b| b.to_string().into_bytes());
    send(
        method,
        &format!("{}{path}", gateway()),
        &h,
        bytes.as_deref(),
    )
}

pub fn service() -> String {
    format!("Bearer {}", crate::service_key())
}

/// A fresh slug.
pub fn slug(tag: &str) -> String {
    let mail = crate::iam::email(tag);
    let local = mail.split('@').next().unwrap_or(tag);
    let s: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    s.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// A person with a tenant of their own (active), as onboarding needs.
pub fn customer(tag: &str) -> (Person, String) {
    let p = sign_up(tag);
    let org = create_org(&p, &format!("{tag} tenant"));
    (p, org)
}

/// Onboards `slug` as `who`; the session (201).
pub fn onboard(who: &Person, slug: &str) -> Value {
    let r = api(
        "POST",
        "/api/v1/onboarding/sessions",
        Some(&json!({"platformName": format!("Platform {slug}"), "slug": slug, "tier": "starter"})),
        Some(&who.bearer()),
    );
    assert_eq!(r.status, 201, "onboard: {}", r.body);
    r.json()
}

/// Polls the session until `done(session)` or `within` passes; the last session.
pub fn wait_session(who: &str, id: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let r = api(
            "GET",
            &format!("/api/v1/onboarding/sessions/{id}"),
            None,
            Some(who),
        );
        assert_eq!(r.status, 200, "session: {}", r.body);
        let v = r.json();
        if done(&v) || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Onboards and waits for the platform to be active; its id.
pub fn active_platform(who: &Person, slug: &str) -> String {
    let s = onboard(who, slug);
    let id = s["id"].as_str().unwrap().to_string();
    let v = wait_session(&who.bearer(), &id, Duration::from_secs(90), |v| {
        v["platformStatus"] == "active" || v["status"] == "failed"
    });
    assert_eq!(v["platformStatus"], "active", "session: {v}");
    v["platformId"].as_str().unwrap().to_string()
}

/// The sandbox's Cloudflare state (`/_sandbox/cloudflare/state`).
pub fn cloudflare_state() -> Value {
    let r = crate::get(
        &format!("{}/_sandbox/cloudflare/state", crate::iam::sandbox()),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}
