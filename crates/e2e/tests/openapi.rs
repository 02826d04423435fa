//! The OpenAPI document the gateway serves, and the defects schemathesis found against
//! it (each test failed before its fix).

use e2e::iam::call;
use serde_json::json;

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
