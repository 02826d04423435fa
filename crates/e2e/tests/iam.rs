//! Identity through the gateway: sign-up, sign-in, session by bearer and by cookie,
//! sign-out, and the errors for bad input — always the envelope, never a 5xx.

use e2e::{gateway, get, send, Reply};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

fn url(path: &str) -> String {
    format!("{}/api/v1/iam{path}", gateway())
}

/// Every request from its own client address: authentication endpoints are limited
/// per IP (3 per 10 s), and these tests are many clients, not one brute-forcing.
fn post_json(path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
    let ip = e2e::unique_ip();
    let mut h = vec![
        ("content-type", "application/json"),
        ("cf-connecting-ip", ip.as_str()),
    ];
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
        again.json()["code"],
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    );
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
    // The HttpOnly cookie keeps the token from script: the answer does not hand it out.
    assert!(
        by_cookie.json()["session"].get("token").is_none(),
        "{}",
        by_cookie.body
    );
    assert!(!by_cookie.body.contains(&token), "{}", by_cookie.body);

    // A session opens the rest of the API: registry answers (404, no such route).
    let through = get(
        &format!("{}/api/v1/platforms/abcdefghij/nothing-here", gateway()),
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
        let ip = e2e::unique_ip();
        let r = send(
            "POST",
            &url(path),
            &[("content-type", ct), ("cf-connecting-ip", &ip)],
            Some(&body),
        );
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

#[test]
fn cookie_writes_need_a_trusted_origin() {
    let e = email();
    let up = sign_up(&e, "origin-check-pass");
    assert_eq!(up.status, 200, "{}", up.body);
    let cookie = cookie_of(&up);
    for origin in [None, Some("https://evil.example")] {
        let mut headers = vec![("cookie", cookie.as_str())];
        headers.extend(origin.map(|o| ("origin", o)));
        let r = send("POST", &url("/auth/sign-out"), &headers, None);
        assert_eq!(r.status, 403, "{origin:?}: {}", r.body);
        r.envelope("FORBIDDEN");
    }
    // Reads with the cookie need no Origin; the session is still alive.
    let read = get(&url("/auth/get-session"), &[("cookie", &cookie)]);
    assert_eq!(read.json()["user"]["email"], e);
    let ok = send(
        "POST",
        &url("/auth/sign-out"),
        &[("cookie", &cookie), ("origin", "http://localhost:5174")],
        None,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        get(&url("/auth/get-session"), &[("cookie", &cookie)]).body,
        "null"
    );
}

fn sign_in(email: &str, password: &str) -> Reply {
    post_json(
        "/auth/sign-in/email",
        &json!({"email": email, "password": password}),
        &[],
    )
}

fn bearer_of(r: &Reply) -> String {
    format!("Bearer {}", r.json()["token"].as_str().expect("token"))
}

fn alive(bearer: &str) -> bool {
    get(&url("/auth/get-session"), &[("authorization", bearer)]).body != "null"
}

#[test]
fn sessions_can_be_listed_and_revoked_by_their_owner_only() {
    let e = email();
    let a = bearer_of(&sign_up(&e, "many-sessions-pw"));
    let b = bearer_of(&sign_in(&e, "many-sessions-pw"));
    let c_reply = sign_in(&e, "many-sessions-pw");
    let c = bearer_of(&c_reply);
    let listed = get(&url("/auth/list-sessions"), &[("authorization", &a)]);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let list = listed.json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    // Tokens are never stored, so never listed: `token` is the session id, a handle
    // revoke-session accepts and that signs nobody in.
    assert_eq!(list[0]["token"], list[0]["id"]);
    let c_token = c_reply.json()["token"].as_str().unwrap().to_string();
    assert_ne!(list[0]["token"].as_str(), Some(c_token.as_str()));
    assert!(!alive(&format!(
        "Bearer {}",
        list[0]["id"].as_str().unwrap()
    )));
    let b_handle = list[1]["token"].as_str().unwrap().to_string();

    // Someone else cannot end these sessions, even knowing a token.
    let other = bearer_of(&sign_up(&email(), "someone-else-pw"));
    let foreign = post_json(
        "/auth/revoke-session",
        &json!({"token": c_token}),
        &[("authorization", &other)],
    );
    assert_eq!(foreign.status, 404, "{}", foreign.body);
    assert!(alive(&c));

    let own = post_json(
        "/auth/revoke-session",
        &json!({"token": c_token}),
        &[("authorization", &a)],
    );
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(!alive(&c));
    let foreign_handle = post_json(
        "/auth/revoke-session",
        &json!({"token": b_handle}),
        &[("authorization", &other)],
    );
    assert_eq!(foreign_handle.status, 404, "{}", foreign_handle.body);
    assert!(alive(&b));
    let by_handle = post_json(
        "/auth/revoke-session",
        &json!({"token": b_handle}),
        &[("authorization", &a)],
    );
    assert_eq!(by_handle.status, 200, "{}", by_handle.body);
    assert!(!alive(&b));
    let d = bearer_of(&sign_in(&e, "many-sessions-pw"));
    let others = send(
        "POST",
        &url("/auth/revoke-other-sessions"),
        &[("authorization", &a)],
        None,
    );
    assert_eq!(others.status, 200, "{}", others.body);
    assert!(!alive(&d));
    assert!(alive(&a));
    assert!(alive(&other));

    let bad = post_json(
        "/auth/revoke-session",
        &json!({"id": "x"}),
        &[("authorization", &a)],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let anonymous = get(&url("/auth/list-sessions"), &[]);
    assert_eq!(anonymous.status, 401);
}

#[test]
fn changing_the_password_ends_other_sessions() {
    let e = email();
    let a = bearer_of(&sign_up(&e, "old-password-1"));
    let b = bearer_of(&sign_in(&e, "old-password-1"));
    let wrong = post_json(
        "/auth/change-password",
        &json!({"currentPassword": "not-it-at-all", "newPassword": "new-password-2"}),
        &[("authorization", &a)],
    );
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert_eq!(
        wrong.envelope("VALIDATION_FAILED")["error"]["details"]["field"],
        "currentPassword"
    );
    assert_eq!(wrong.json()["code"], "INVALID_PASSWORD");
    let short = post_json(
        "/auth/change-password",
        &json!({"currentPassword": "old-password-1", "newPassword": "short"}),
        &[("authorization", &a)],
    );
    assert_eq!(short.status, 422);
    assert_eq!(short.json()["code"], "PASSWORD_TOO_SHORT");
    let long = post_json(
        "/auth/change-password",
        &json!({"currentPassword": "old-password-1", "newPassword": "x".repeat(129)}),
        &[("authorization", &a)],
    );
    assert_eq!(long.json()["code"], "PASSWORD_TOO_LONG", "{}", long.body);
    let ok = post_json(
        "/auth/change-password",
        &json!({"currentPassword": "old-password-1", "newPassword": "new-password-2"}),
        &[("authorization", &a)],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["user"]["email"], e);
    assert!(alive(&a), "the session that changed it stays");
    assert!(!alive(&b), "every other session ends");
    assert_eq!(sign_in(&e, "old-password-1").status, 401);
    assert_eq!(sign_in(&e, "new-password-2").status, 200);
}

#[test]
fn a_session_signed_out_through_the_gateway_is_refused_at_once() {
    let p = e2e::iam::sign_up("cached");
    // Warm the gateway's short-lived session memory with a protected route.
    for _ in 0..3 {
        assert_eq!(p.get("/nno/session").status, 200);
    }
    let out = p.post("/auth/sign-out", &json!({}));
    assert_eq!(out.status, 200, "{}", out.body);
    let after = p.get("/nno/session");
    assert_eq!(after.status, 401, "{}", after.body);
}
