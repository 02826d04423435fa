//! One iam crate, many deployments: NNO's own IAM (behind the gateway) and a client
//! platform's auth Worker (the same code with its own platform id and D1, started
//! alone by `cargo xtask test` and called here as that platform's gateway would call
//! it, with a signed identity). Users, sessions and tenants never cross between them.

use e2e::iam::{call, create_org, sign_up, PASSWORD};
use e2e::{send, Reply};
use nno_core::identity::{INTERNAL_JSON, NONE_JSON};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// A request to the client platform's iam, signed like its gateway signs them.
fn client(
    method: &str,
    path: &str,
    identity: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Reply {
    signed_for("iam", path, method, path, identity, body, token)
}

/// A request to `path`, with a signature made for `service` and `signed_target`.
fn signed_for(
    service: &str,
    signed_target: &str,
    method: &str,
    path: &str,
    identity: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let request_id = format!("e2e-deploy-{now}");
    let bound = nno_auth::caller::Bound {
        request_id: &request_id,
        service,
        method,
        target: signed_target,
    };
    let (id, sig) = nno_auth::caller::sign(e2e::internal_key().as_bytes(), identity, &bound, now);
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![
        ("x-request-id", request_id.as_str()),
        ("x-nno-identity", id.as_str()),
        ("x-nno-signature", sig.as_str()),
        ("content-type", "application/json"),
    ];
    if let Some(b) = &bearer {
        headers.push(("authorization", b.as_str()));
    }
    let body = body.map(|b| b.to_string());
    send(
        method,
        &format!("{}{path}", e2e::client_iam()),
        &headers,
        body.as_deref().map(str::as_bytes),
    )
}

#[test]
fn users_sessions_and_tenants_stay_in_their_deployment() {
    let nno = sign_up("deployments");
    let org = create_org(&nno, "Only At NNO");

    // NNO's session means nothing to the client platform.
    let foreign = client(
        "GET",
        "/api/nno/session",
        INTERNAL_JSON,
        None,
        Some(&nno.token),
    );
    assert_eq!(foreign.status, 401, "{}", foreign.body);

    // The same address signs up there as a different user of that platform.
    let up = client(
        "POST",
        "/api/auth/sign-up/email",
        NONE_JSON,
        Some(&json!({"name": "Client User", "email": nno.email, "password": PASSWORD})),
        None,
    );
    assert_eq!(up.status, 200, "{}", up.body);
    let there = up.json();
    assert_ne!(there["user"]["id"], nno.id.as_str());
    let token = there["token"].as_str().unwrap().to_string();
    let who = client("GET", "/api/nno/session", INTERNAL_JSON, None, Some(&token));
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(who.json()["platformId"], e2e::client_platform_id().as_str());
    assert_eq!(who.json()["tenant"], Value::Null);

    // NNO's tenant does not exist there, even for a member of it at NNO.
    let orgs = client(
        "GET",
        "/api/auth/organization/list",
        NONE_JSON,
        None,
        Some(&token),
    );
    assert_eq!(orgs.status, 200, "{}", orgs.body);
    assert_eq!(orgs.json(), json!([]));
    let full = client(
        "GET",
        &format!("/api/auth/organization/get-full-organization?organizationId={org}"),
        NONE_JSON,
        None,
        Some(&token),
    );
    assert!(
        (400..500).contains(&full.status) && !full.body.contains("Only At NNO"),
        "{} {}",
        full.status,
        full.body
    );

    // And the client platform's session means nothing at NNO.
    let back = call(
        "GET",
        "/nno/session",
        None,
        Some(&format!("Bearer {token}")),
    );
    assert_eq!(back.status, 401, "{}", back.body);
    let home = nno.get("/nno/session");
    assert_eq!(home.json()["platformId"], "k3m9p2xw7q");
    assert_eq!(home.json()["tenant"]["id"], org.as_str());
}

#[test]
fn a_signature_is_good_for_one_service_path_and_query() {
    let path = "/api/auth/organization/list?limit=5";
    let ok = signed_for("iam", path, "GET", path, NONE_JSON, None, None);
    // Signed right: the caller is accepted, and only the missing session is refused.
    assert_eq!(ok.status, 401, "{}", ok.body);
    assert!(!ok.body.contains("caller signature"), "{}", ok.body);
    for (service, target) in [
        ("registry", path),
        ("iam", "/api/auth/organization/list"),
        ("iam", "/api/auth/organization/list?limit=500"),
    ] {
        let r = signed_for(service, target, "GET", path, NONE_JSON, None, None);
        assert_eq!(r.status, 401, "{service} {target}: {}", r.body);
        assert!(
            r.body.contains("caller signature is not valid"),
            "{service} {target}: {}",
            r.body
        );
    }
}
