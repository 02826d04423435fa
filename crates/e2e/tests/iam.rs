//! Identity through the gateway: sign-up, sign-in, session by bearer and by cookie,
//! sign-out, and the errors for bad input — always the envelope, never a 5xx.

use e2e::{gateway, get, send, Reply};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

fn url(path: &str) -> String {
    format!("{}/api/v1/iam{path}", gateway())
}

fn post_json(path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    send("POST", &url(path), &h, Some(body.to_string().as_bytes()))
}

/// A fresh address per call, so tests are independent of each other and of order.
fn email() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let pid = std::process::id();
    format!(
        "user{pid}-{}@example.com",
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn sign_up(email: &str, password: &str) -> Reply {
    post_json(
        "/auth/sign-up/email",
        &json!({"name": "Ada Lovelace", "email": email, "password": password}),
        &[],
    )
}

fn cookie_of(r: &Reply) -> String {
    let set = r.header("set-cookie").expect("set-cookie");
    set.split(';').next().unwrap().to_string()
}

#[test]
fn sign_up_returns_a_token_a_user_and_a_session_cookie() {
    let e = email();
    let r = sign_up(&e, "correct horse battery");
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert!(v["token"].as_str().unwrap().len() >= 43);
    assert_eq!(v["user"]["email"], e);
    assert_eq!(v["user"]["name"], "Ada Lovelace");
    assert_eq!(v["user"]["emailVerified"], false);
    assert_eq!(v["user"]["role"], "user");
    assert!(
        v["user"]["createdAt"].as_str().unwrap().ends_with('Z'),
        "ISO dates"
    );
    let set = r.header("set-cookie").unwrap();
    assert!(set.starts_with("better-auth.session_token="));
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "local is plain http");
    assert!(
        v.get("password").is_none() && !r.body.contains("pbkdf2"),
        "no hash ever leaves IAM"
    );
}

#[test]
fn the_same_email_cannot_sign_up_twice_in_any_case() {
    let e = email();
    assert_eq!(sign_up(&e, "password-one").status, 200);
    let again = sign_up(&e.to_uppercase(), "password-two");
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(
        again.envelope("CONFLICT")["error"]["details"]["field"],
        "email"
    );
}

#[test]
fn sign_in_session_and_sign_out() {
    let e = email();
    assert_eq!(sign_up(&e, "s3cret-passphrase").status, 200);

    let bad = post_json(
        "/auth/sign-in/email",
        &json!({"email": e, "password": "wrong-passphrase"}),
        &[],
    );
    assert_eq!(bad.status, 401);
    let unknown = post_json(
        "/auth/sign-in/email",
        &json!({"email": email(), "password": "wrong-passphrase"}),
        &[],
    );
    assert_eq!(unknown.status, 401);
    assert_eq!(
        bad.envelope("UNAUTHORIZED")["error"]["message"],
        unknown.envelope("UNAUTHORIZED")["error"]["message"],
        "the answer must not reveal whether the e-mail exists"
    );

    let ok = post_json(
        "/auth/sign-in/email",
        &json!({"email": e.to_uppercase(), "password": "s3cret-passphrase"}),
        &[],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let v = ok.json();
    assert_eq!(v["redirect"], false);
    let token = v["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");

    // By bearer and by cookie, through the gateway.
    let by_bearer = get(&url("/auth/get-session"), &[("authorization", &bearer)]);
    assert_eq!(by_bearer.status, 200, "{}", by_bearer.body);
    assert_eq!(by_bearer.json()["user"]["email"], e);
    assert_eq!(by_bearer.json()["session"]["token"], token);
    let cookie = cookie_of(&ok);
    let by_cookie = get(&url("/auth/get-session"), &[("cookie", &cookie)]);
    assert_eq!(by_cookie.json()["user"]["email"], e, "{}", by_cookie.body);

    // A session opens the rest of the API: registry answers (404, no route yet).
    let through = get(
        &format!("{}/api/v1/platforms/abcdefghij", gateway()),
        &[("authorization", &bearer)],
    );
    assert_eq!(through.status, 404, "{}", through.body);
    assert_eq!(
        through.envelope("NOT_FOUND")["error"]["details"]["service"],
        "registry"
    );

    let out = send(
        "POST",
        &url("/auth/sign-out"),
        &[("authorization", &bearer)],
        None,
    );
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(out.json()["success"], true);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));

    // The session is gone everywhere.
    assert_eq!(
        get(&url("/auth/get-session"), &[("cookie", &cookie)]).body,
        "null"
    );
    let after = get(
        &format!("{}/api/v1/platforms/abcdefghij", gateway()),
        &[("authorization", &bearer)],
    );
    assert_eq!(after.status, 401, "{}", after.body);
}

#[test]
fn get_session_without_a_valid_session_is_null() {
    for headers in [
        vec![],
        vec![("authorization", "Bearer not-a-session")],
        vec![("cookie", "better-auth.session_token=abc.forged")],
    ] {
        let r = get(&url("/auth/get-session"), &headers);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body, "null");
    }
    // Elsewhere a token that is no session is refused at the gateway.
    let r = get(
        &format!("{}/api/v1/platforms/abcdefghij", gateway()),
        &[("authorization", "Bearer not-a-session")],
    );
    assert_eq!(r.status, 401, "{}", r.body);
    r.envelope("UNAUTHORIZED");
}

#[test]
fn bad_input_gets_a_4xx_envelope() {
    let path = "/auth/sign-up/email";
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (
            b"{\"name\": ".to_vec(),
            "application/json",
            400,
            "INVALID_JSON",
        ),
        (b"[]".to_vec(), "application/json", 422, "VALIDATION_FAILED"),
        (
            br#"{"name":"A","email":"a@example.com"}"#.to_vec(),
            "application/json",
            422,
            "VALIDATION_FAILED",
        ),
        (
            br#"{"name":1,"email":"a@example.com","password":"12345678"}"#.to_vec(),
            "application/json",
            422,
            "VALIDATION_FAILED",
        ),
        (
            br#"{"name":"A","email":"a@example.com","password":"12345678","admin":true}"#.to_vec(),
            "application/json",
            422,
            "VALIDATION_FAILED",
        ),
        (
            br#"{"name":"A","email":"not-an-email","password":"12345678"}"#.to_vec(),
            "application/json",
            422,
            "VALIDATION_FAILED",
        ),
        (
            br#"{"name":"A","email":"a@example.com","password":"short"}"#.to_vec(),
            "application/json",
            422,
            "VALIDATION_FAILED",
        ),
        (
            br#"{"name":"   ","email":"a@example.com","password":"12345678"}"#.to_vec(),
            "application/json",
            422,
            "VALIDATION_FAILED",
        ),
        (
            br#"{"name":"A","email":"a@example.com","password":"12345678"}"#.to_vec(),
            "text/plain",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            format!(
                r#"{{"name":"{}","email":"a@example.com","password":"12345678"}}"#,
                "x".repeat(70_000)
            )
            .into_bytes(),
            "application/json",
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (body, ct, status, code) in cases {
        let r = send("POST", &url(path), &[("content-type", ct)], Some(&body));
        assert_eq!(
            r.status,
            status,
            "{} -> {}",
            String::from_utf8_lossy(&body[..body.len().min(80)]),
            r.body
        );
        r.envelope(code);
    }
    let long = "x".repeat(129);
    let r = sign_up(&email(), &long);
    assert_eq!(r.status, 422);
    assert_eq!(
        r.envelope("VALIDATION_FAILED")["error"]["details"]["field"],
        "password"
    );
    let wrong_method = get(&url("/auth/sign-in/email"), &[]);
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.body);
    wrong_method.envelope("METHOD_NOT_ALLOWED");
}
