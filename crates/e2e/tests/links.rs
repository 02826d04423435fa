//! The e-mailed-link flows through the gateway, following the links the sandbox
//! captured: password reset (ends every session), e-mail verification, magic link.

use e2e::get;
use e2e::iam::{call, from_last_email, set_cookie, sign_in, sign_up, PASSWORD};
use serde_json::json;

#[test]
fn password_reset_by_link_ends_every_session() {
    let p = sign_up("reset");
    let other = sign_in(&p.email, PASSWORD);
    let other_token = other.json()["token"].as_str().unwrap().to_string();

    let req = call(
        "POST",
        "/auth/request-password-reset",
        Some(&json!({"email": p.email, "redirectTo": "/reset"})),
        None,
    );
    assert_eq!(req.status, 200, "{}", req.body);
    assert_eq!(req.json()["status"], true);
    // Unknown addresses get the same answer.
    let unknown = call(
        "POST",
        "/auth/request-password-reset",
        Some(&json!({"email": "nobody-here@example.com"})),
        None,
    );
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.json(), req.json());
    let untrusted = call(
        "POST",
        "/auth/request-password-reset",
        Some(&json!({"email": p.email, "redirectTo": "https://evil.example/steal"})),
        None,
    );
    assert_eq!(untrusted.status, 403, "{}", untrusted.body);

    let token = from_last_email(&p.email, "Reset token");
    // The link in the e-mail sends the browser on to the app with the token.
    let link = get(
        &e2e::iam::url(&format!(
            "/auth/reset-password/{token}?callbackURL=%2Freset"
        )),
        &[],
    );
    assert_eq!(link.status, 302, "{}", link.body);
    assert!(link
        .header("location")
        .unwrap()
        .ends_with(&format!("/reset?token={token}")));

    let short = call(
        "POST",
        "/auth/reset-password",
        Some(&json!({"newPassword": "short", "token": token})),
        None,
    );
    assert_eq!(short.status, 422, "{}", short.body);
    let done = call(
        "POST",
        "/auth/reset-password",
        Some(&json!({"newPassword": "a brand new password", "token": token})),
        None,
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let reused = call(
        "POST",
        "/auth/reset-password",
        Some(&json!({"newPassword": "yet another password", "token": token})),
        None,
    );
    assert_eq!(reused.status, 400, "single use: {}", reused.body);
    assert_eq!(reused.json()["code"], "INVALID_TOKEN");

    for t in [&p.token, &other_token] {
        let s = call(
            "GET",
            "/auth/get-session",
            None,
            Some(&format!("Bearer {t}")),
        );
        assert_eq!(s.body, "null", "every session ended");
    }
    assert_eq!(sign_in(&p.email, PASSWORD).status, 401);
    assert_eq!(sign_in(&p.email, "a brand new password").status, 200);
}

#[test]
fn email_verification_by_link() {
    let p = sign_up("verify");
    let send = p.post("/auth/send-verification-email", &json!({"email": p.email}));
    assert_eq!(send.status, 200, "{}", send.body);
    let token = from_last_email(&p.email, "Verification token");
    let v = get(
        &e2e::iam::url(&format!("/auth/verify-email?token={token}")),
        &[],
    );
    assert_eq!(v.status, 200, "{}", v.body);
    let s = p.get("/auth/get-session");
    assert_eq!(s.json()["user"]["emailVerified"], true, "{}", s.body);
    let again = get(
        &e2e::iam::url(&format!("/auth/verify-email?token={token}")),
        &[],
    );
    assert_eq!(again.status, 401, "{}", again.body);
    let redirected = get(
        &e2e::iam::url(&format!(
            "/auth/verify-email?token={token}&callbackURL=%2Fdone"
        )),
        &[],
    );
    assert_eq!(redirected.status, 302);
    assert!(redirected
        .header("location")
        .unwrap()
        .contains("/done?error=INVALID_TOKEN"));
    let already = p.post("/auth/send-verification-email", &json!({"email": p.email}));
    assert_eq!(already.status, 409, "{}", already.body);
    let mismatch = p.post(
        "/auth/send-verification-email",
        &json!({"email": "someone-else@example.com"}),
    );
    assert_eq!(mismatch.status, 400, "{}", mismatch.body);
}

#[test]
fn magic_link_signs_up_then_signs_in() {
    let email = e2e::iam::email("magic");
    let r = call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(
            &json!({"email": email, "name": "Magic Person", "callbackURL": "/home", "newUserCallbackURL": "/welcome"}),
        ),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let link = from_last_email(&email, "Sign in");
    assert!(
        link.contains("/magic-link/verify?token=") && link.contains("callbackURL=%2Fhome"),
        "{link}"
    );
    let token = from_last_email(&email, "Sign-in token");
    let first = get(
        &e2e::iam::url(&format!("/auth/magic-link/verify?token={token}&callbackURL=%2Fhome&newUserCallbackURL=%2Fwelcome")),
        &[],
    );
    assert_eq!(first.status, 302, "{}", first.body);
    assert!(
        first.header("location").unwrap().ends_with("/welcome"),
        "a new user goes to the welcome page"
    );
    let cookie = set_cookie(&first, "better-auth.session_token").expect("session cookie");
    let s = get(&e2e::iam::url("/auth/get-session"), &[("cookie", &cookie)]);
    assert_eq!(s.json()["user"]["email"], email.as_str());
    assert_eq!(s.json()["user"]["name"], "Magic Person");
    assert_eq!(s.json()["user"]["emailVerified"], true);
    // Single use.
    let reuse = get(
        &e2e::iam::url(&format!("/auth/magic-link/verify?token={token}")),
        &[],
    );
    assert_eq!(reuse.status, 401, "{}", reuse.body);

    // The second time, the same person signs in (no callback: JSON).
    call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(&json!({"email": email})),
        None,
    );
    let token = from_last_email(&email, "Sign-in token");
    let second = get(
        &e2e::iam::url(&format!("/auth/magic-link/verify?token={token}")),
        &[],
    );
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(second.json()["user"]["email"], email.as_str());

    let evil = call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(&json!({"email": email, "callbackURL": "https://evil.example/"})),
        None,
    );
    assert_eq!(evil.status, 403, "{}", evil.body);
    assert_eq!(evil.json()["code"], "INVALID_CALLBACK_URL");
}

#[test]
fn an_unverified_sign_up_is_claimed_by_whoever_proves_the_address() {
    // Someone registers an address that is not theirs, and makes a key...
    let squatter = sign_up("claimed");
    let key = squatter.post(
        "/nno/apikey",
        &json!({"name": "mine", "scopes": ["iam:read"]}),
    );
    assert_eq!(key.status, 201, "{}", key.body);
    let key_bearer = format!("Bearer {}", key.json()["key"].as_str().unwrap());
    // ...the owner of the address signs in by magic link: the squatter's password and
    // sessions stop working.
    call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(&json!({"email": squatter.email})),
        None,
    );
    let token = from_last_email(&squatter.email, "Sign-in token");
    let r = get(
        &e2e::iam::url(&format!("/auth/magic-link/verify?token={token}")),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sign_in(&squatter.email, PASSWORD).status, 401);
    let old = squatter.get("/auth/get-session");
    assert_eq!(old.body, "null");
    let key_use = call("GET", "/nno/apikey?orgId=x", None, Some(&key_bearer));
    assert_eq!(
        key_use.status, 401,
        "the squatter's key is gone: {}",
        key_use.body
    );
}

#[test]
fn callback_urls_must_be_relative_or_trusted_everywhere() {
    let email = e2e::iam::email("cb");
    let up = call(
        "POST",
        "/auth/sign-up/email",
        Some(
            &json!({"name": "Cb", "email": email, "password": PASSWORD, "callbackURL": "https://evil.example/x"}),
        ),
        None,
    );
    assert_eq!(up.status, 403, "{}", up.body);
    assert_eq!(up.json()["code"], "INVALID_CALLBACK_URL");
    let ok = call(
        "POST",
        "/auth/sign-up/email",
        Some(
            &json!({"name": "Cb", "email": email, "password": PASSWORD, "callbackURL": "http://localhost:5174/home"}),
        ),
        None,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let signin = call(
        "POST",
        "/auth/sign-in/email",
        Some(&json!({"email": email, "password": PASSWORD, "callbackURL": "//evil.example"})),
        None,
    );
    assert_eq!(signin.status, 403, "{}", signin.body);
    let link = get(
        &e2e::iam::url("/auth/verify-email?token=x&callbackURL=https%3A%2F%2Fevil.example"),
        &[],
    );
    assert_eq!(link.status, 403, "{}", link.body);
    assert!(link.header("location").is_none(), "no redirect off-site");
}
