//! API keys through the gateway: created with a session, shown once, used as a bearer
//! token, bounded by their scopes, revoked with immediate effect; malformed and unknown
//! keys refused, an IP that keeps guessing throttled before its keys are looked up, and
//! each key held to its own rate limit.

use e2e::iam::{call, create_org, join, sign_up};
use serde_json::json;

#[test]
fn create_use_scope_refused_revoke() {
    let owner = sign_up("keyowner");
    let org = create_org(&owner, "Keyed");
    let created = owner.post(
        "/nno/apikey",
        &json!({"name": "ci reader", "scopes": ["iam:read"], "orgId": org, "expiresIn": 3600}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let v = created.json();
    let key = v["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("nno_") && key.len() == 36, "{key}");
    assert_eq!(v["owner"]["type"], "tenant");
    assert!(v["expiresAt"].is_string());
    let id = v["id"].as_str().unwrap().to_string();

    // The key works as a bearer token for what its scopes allow.
    let bearer = format!("Bearer {key}");
    let read = call(
        "GET",
        &format!("/nno/roles?orgId={org}"),
        None,
        Some(&bearer),
    );
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json()["orgId"], org.as_str());
    // ...and not for more.
    let write = call(
        "POST",
        "/nno/roles",
        Some(&json!({"orgId": org, "role": "member", "permissions": ["billing:read"]})),
        Some(&bearer),
    );
    assert_eq!(write.status, 403, "{}", write.body);
    assert_eq!(
        write.json()["error"]["details"]["required"],
        "iam:manage-roles"
    );
    // A tenant key does not reach another tenant.
    let other_owner = sign_up("otherkeyowner");
    let other = create_org(&other_owner, "Other");
    let across = call(
        "GET",
        &format!("/nno/roles?orgId={other}"),
        None,
        Some(&bearer),
    );
    assert_eq!(across.status, 403, "{}", across.body);

    // Listings never show the key again, only its start and when it was last used.
    let list = owner.get(&format!("/nno/apikey?orgId={org}"));
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(!list.body.contains(&key), "the key is shown once");
    let listed = &list.json()["keys"][0];
    assert_eq!(listed["id"], id.as_str());
    assert!(key.starts_with(listed["start"].as_str().unwrap()));
    assert!(listed["lastUsedAt"].is_string(), "{}", list.body);

    // Revocation takes effect on the next request.
    let revoked = owner.delete(&format!("/nno/apikey/{id}"));
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let after = call(
        "GET",
        &format!("/nno/roles?orgId={org}"),
        None,
        Some(&bearer),
    );
    assert_eq!(after.status, 401, "{}", after.body);
    after.envelope("UNAUTHORIZED");
    let twice = owner.delete(&format!("/nno/apikey/{id}"));
    assert_eq!(twice.status, 409, "{}", twice.body);
}

#[test]
fn scopes_are_checked_when_a_key_is_made() {
    let owner = sign_up("scopeowner");
    let org = create_org(&owner, "Scoped");
    let member = sign_up("scopemember");
    join(&owner, &member, &org, "member");
    // A member cannot make tenant keys at all.
    let r = member.post(
        "/nno/apikey",
        &json!({"name": "k", "scopes": ["iam:read"], "orgId": org}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    for (body, field) in [
        (json!({"name": "k", "scopes": []}), "scopes"),
        (
            json!({"name": "k", "scopes": ["Not A Permission"]}),
            "scopes",
        ),
        (json!({"name": "", "scopes": ["iam:read"]}), "name"),
        (
            json!({"name": "k", "scopes": ["iam:read"], "expiresIn": 5}),
            "expiresIn",
        ),
        (
            json!({"name": "k", "scopes": ["iam:read"], "rateLimit": {"max": 0, "windowSeconds": 60}}),
            "rateLimit",
        ),
    ] {
        let r = owner.post("/nno/apikey", &body);
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.json()["error"]["details"]["field"], field, "{}", r.body);
    }
    let unknown = owner.post(
        "/nno/apikey",
        &json!({"name": "k", "scopes": ["iam:read"], "admin": true}),
    );
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    // A personal key can only do what its owner can do in a tenant, today.
    let personal = member.post(
        "/nno/apikey",
        &json!({"name": "mine", "scopes": ["iam:read", "iam:manage-roles"]}),
    );
    assert_eq!(personal.status, 201, "{}", personal.body);
    let key = personal.json()["key"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {key}");
    let read = call(
        "GET",
        &format!("/nno/roles?orgId={org}"),
        None,
        Some(&bearer),
    );
    assert_eq!(read.status, 200, "{}", read.body);
    let write = call(
        "POST",
        "/nno/roles",
        Some(&json!({"orgId": org, "role": "member", "permissions": ["billing:read"]})),
        Some(&bearer),
    );
    assert_eq!(
        write.status, 403,
        "member's key cannot exceed the member: {}",
        write.body
    );
    // A key cannot mint keys.
    let mint = call(
        "POST",
        "/nno/apikey",
        Some(&json!({"name": "child", "scopes": ["iam:read"]})),
        Some(&bearer),
    );
    assert_eq!(mint.status, 401, "{}", mint.body);
}

#[test]
fn malformed_and_unknown_keys_are_refused_and_guessing_is_throttled() {
    let ip = e2e::unique_ip();
    let get = |key: &str| {
        e2e::get(
            &e2e::iam::url("/nno/session"),
            &[
                ("authorization", &format!("Bearer {key}")),
                ("cf-connecting-ip", &ip),
            ],
        )
    };
    // Wrong shape: refused without any lookup, and not counted.
    for _ in 0..12 {
        let r = get("nno_short");
        assert_eq!(r.status, 401, "{}", r.body);
    }
    // Well-formed but unknown: refused, and counted against this IP.
    let unknown = "nno_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for i in 0..10 {
        let r = get(unknown);
        assert_eq!(r.status, 401, "attempt {i}: {}", r.body);
    }
    let throttled = get(unknown);
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    throttled.envelope("RATE_LIMITED");
    assert!(throttled.header("retry-after").is_some());
    assert_eq!(throttled.json()["error"]["details"]["rule"], "bad-key");
}

#[test]
fn each_key_has_its_own_rate_limit() {
    let owner = sign_up("limitowner");
    let r = owner.post(
        "/nno/apikey",
        &json!({"name": "tight", "scopes": ["iam:read"], "rateLimit": {"max": 2, "windowSeconds": 60}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let bearer = format!("Bearer {}", r.json()["key"].as_str().unwrap());
    let list = || call("GET", "/nno/apikey?orgId=none", None, Some(&bearer));
    for _ in 0..2 {
        let ok = list();
        assert_ne!(ok.status, 429, "{}", ok.body);
    }
    let limited = list();
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.header("ratelimit-policy"), Some("2;w=60"));
    assert_eq!(limited.json()["error"]["details"]["rule"], "key");
}

#[test]
fn key_verification_is_for_the_gateway_only() {
    let owner = sign_up("verifyowner");
    let r = owner.post("/nno/apikey", &json!({"name": "k", "scopes": ["iam:read"]}));
    let key = r.json()["key"].as_str().unwrap().to_string();
    // Forwarded from a client, verification would bypass the gateway's throttling of
    // unknown keys: refused, whoever asks.
    let by_user = owner.post("/nno/apikey/verify", &json!({"key": key}));
    assert_eq!(by_user.status, 403, "{}", by_user.body);
    let (_, service) = e2e::service_auth();
    let by_service = call(
        "POST",
        "/nno/apikey/verify",
        Some(&json!({"key": key})),
        Some(service),
    );
    assert_eq!(by_service.status, 403, "{}", by_service.body);
    // The key itself still works through the gateway.
    let used = call(
        "GET",
        "/nno/apikey?orgId=x",
        None,
        Some(&format!("Bearer {key}")),
    );
    assert_ne!(used.status, 401, "{}", used.body);
}
