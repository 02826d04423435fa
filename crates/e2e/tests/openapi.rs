//! The OpenAPI document the gateway serves, and the defects schemathesis found against
//! it (each test failed before its fix).

use e2e::iam::{call, create_org, sign_up, PASSWORD};
use e2e::{gateway, get, send};
use serde_json::{json, Value};

#[test]
fn the_document_is_served_public_as_committed() {
    let r = get(&format!("{}/api/v1/openapi.json", gateway()), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    assert!(r.header("x-request-id").is_some());
    assert!(r.header("traceresponse").is_some());
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../nno-openapi/openapi.json"),
    )
    .unwrap();
    assert_eq!(r.body, committed, "the gateway serves the committed file");
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/iam/auth/sign-in/email"]["post"].is_object());
}

#[test]
fn the_document_answers_only_get() {
    let r = send(
        "POST",
        &format!("{}/api/v1/openapi.json", gateway()),
        &[],
        None,
    );
    assert_eq!(r.status, 405, "{}", r.body);
    r.envelope("METHOD_NOT_ALLOWED");
    assert_eq!(r.header("allow"), Some("GET"));
}

#[test]
fn every_401_names_the_scheme() {
    // IAM's own 401s (a wrong password, an invalid link) as well as the gateway's.
    let wrong = call(
        "POST",
        "/auth/sign-in/email",
        Some(&json!({"email": "nobody@example.com", "password": "not the password"})),
        None,
    );
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
    let link = call("GET", "/auth/verify-email?token=nope", None, None);
    assert_eq!(link.status, 401, "{}", link.body);
    assert_eq!(link.header("www-authenticate"), Some("Bearer"));
    let anonymous = call("GET", "/auth/list-sessions", None, None);
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn a_body_is_an_object_not_an_array_of_its_fields() {
    let ada = sign_up("arraybody");
    // serde's derived structs take `[email, password]` for `{email, password}`.
    let r = call(
        "POST",
        "/auth/sign-in/email",
        Some(&json!([ada.email, PASSWORD])),
        None,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    r.envelope("VALIDATION_FAILED");
    let org = create_org(&ada, "Array body");
    for body in [
        json!({ "organizationId": org, "data": ["Renamed", null, null, null] }),
        json!([null, null]),
    ] {
        let path = if body.is_array() {
            "/auth/organization/set-active"
        } else {
            "/auth/organization/update"
        };
        let r = ada.post(path, &body);
        assert_eq!(r.status, 422, "{path} {body}: {}", r.body);
    }
    let key = ada.post(
        "/nno/apikey",
        &json!({ "name": "k", "scopes": ["iam:read"], "rateLimit": [100, 60] }),
    );
    assert_eq!(key.status, 422, "{}", key.body);
    let full = ada.get(&format!(
        "/auth/organization/get-full-organization?organizationId={org}"
    ));
    assert_eq!(full.json()["name"], Value::from("Array body"));
}
