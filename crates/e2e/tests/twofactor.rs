//! Two-factor through the gateway: enable with the password (otpauth URI and backup
//! codes), confirm with a TOTP code computed here (RFC 6238), then a sign-in that
//! stops at the challenge and completes with a code or a single-use backup code.

use e2e::iam::{call, set_cookie, sign_in, sign_up, PASSWORD};
use e2e::{send, unique_ip, Reply};
use nno_auth::totp;
use serde_json::{json, Value};

fn secret_of(uri: &str) -> Vec<u8> {
    let secret = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .expect("secret in the otpauth URI");
    nno_core::encoding::from_base32(secret).expect("base32")
}

fn step_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

/// The code of one time step (IAM accepts the current step ±1, each step's code once).
fn code_at(key: &[u8], step: u64) -> String {
    totp::hotp(key, step, totp::Params::default())
}

fn code(key: &[u8]) -> String {
    code_at(key, step_now())
}

/// POST with only a cookie (the challenge), from a trusted origin.
fn post_with_cookie(path: &str, cookie: &str, body: &Value) -> Reply {
    let ip = unique_ip();
    send(
        "POST",
        &e2e::iam::url(path),
        &[
            ("content-type", "application/json"),
            ("cookie", cookie),
            ("origin", e2e::iam::ORIGIN),
            ("cf-connecting-ip", &ip),
        ],
        Some(body.to_string().as_bytes()),
    )
}

#[test]
fn enable_then_sign_in_with_the_challenge() {
    let p = sign_up("totp");
    let wrong = p.post(
        "/auth/two-factor/enable",
        &json!({"password": "not my password"}),
    );
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert_eq!(wrong.json()["code"], "INVALID_PASSWORD");

    let en = p.post("/auth/two-factor/enable", &json!({"password": PASSWORD}));
    assert_eq!(en.status, 200, "{}", en.body);
    let v = en.json();
    let uri = v["totpURI"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/NNO:"), "{uri}");
    assert!(uri.contains("issuer=NNO") && uri.contains("digits=6") && uri.contains("period=30"));
    let backup: Vec<String> = v["backupCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(backup.len(), 10);
    let key = secret_of(uri);

    // Not enforced until the first code is confirmed.
    let before = sign_in(&p.email, PASSWORD);
    assert!(before.json()["token"].is_string(), "{}", before.body);

    let bad = p.post("/auth/two-factor/verify-totp", &json!({"code": "000000"}));
    assert!(bad.status == 401 || code(&key) == "000000", "{}", bad.body);
    let step = step_now();
    let ok = p.post(
        "/auth/two-factor/verify-totp",
        &json!({"code": code_at(&key, step)}),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["user"]["twoFactorEnabled"], true);

    // Now a password alone is not enough.
    let first = sign_in(&p.email, PASSWORD);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        first.json(),
        json!({"twoFactorRedirect": true, "twoFactorMethods": ["totp"]})
    );
    assert!(
        set_cookie(&first, "better-auth.session_token").is_none(),
        "no session yet"
    );
    let challenge = set_cookie(&first, "better-auth.two_factor").expect("challenge cookie");

    let no_cookie = call(
        "POST",
        "/auth/two-factor/verify-totp",
        Some(&json!({"code": code(&key)})),
        None,
    );
    assert_eq!(no_cookie.status, 401, "{}", no_cookie.body);
    assert_eq!(no_cookie.json()["code"], "INVALID_TWO_FACTOR_COOKIE");

    // The code used to turn two-factor on is spent; the next step's is good.
    let spent = post_with_cookie(
        "/auth/two-factor/verify-totp",
        &challenge,
        &json!({"code": code_at(&key, step)}),
    );
    assert_eq!(spent.status, 401, "a used code: {}", spent.body);
    assert_eq!(spent.json()["code"], "INVALID_CODE");
    let done = post_with_cookie(
        "/auth/two-factor/verify-totp",
        &challenge,
        &json!({"code": code_at(&key, step + 1)}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let token = done.json()["token"].as_str().unwrap().to_string();
    assert!(set_cookie(&done, "better-auth.session_token").is_some());
    assert!(
        set_cookie(&done, "better-auth.trust_device").is_none(),
        "trusted without asking"
    );
    let me = call(
        "GET",
        "/auth/get-session",
        None,
        Some(&format!("Bearer {token}")),
    );
    assert_eq!(me.json()["user"]["email"], p.email.as_str());
    // The challenge is single use.
    let replay = post_with_cookie(
        "/auth/two-factor/verify-totp",
        &challenge,
        &json!({"code": code(&key)}),
    );
    assert_eq!(replay.status, 401, "{}", replay.body);

    // A backup code completes a challenge once.
    let second = sign_in(&p.email, PASSWORD);
    let challenge = set_cookie(&second, "better-auth.two_factor").unwrap();
    let used = post_with_cookie(
        "/auth/two-factor/verify-backup-code",
        &challenge,
        &json!({"code": backup[0]}),
    );
    assert_eq!(used.status, 200, "{}", used.body);
    let third = sign_in(&p.email, PASSWORD);
    let challenge = set_cookie(&third, "better-auth.two_factor").unwrap();
    let again = post_with_cookie(
        "/auth/two-factor/verify-backup-code",
        &challenge,
        &json!({"code": backup[0]}),
    );
    assert_eq!(again.status, 401, "{}", again.body);
    assert_eq!(again.json()["code"], "INVALID_BACKUP_CODE");

    // Disabling needs the password; afterwards a password suffices again.
    let off = p.post("/auth/two-factor/disable", &json!({"password": PASSWORD}));
    assert_eq!(off.status, 200, "{}", off.body);
    let plain = sign_in(&p.email, PASSWORD);
    assert!(plain.json()["token"].is_string(), "{}", plain.body);
}

#[test]
fn wrong_codes_end_the_challenge_after_five_tries() {
    let p = sign_up("totp5");
    let en = p.post("/auth/two-factor/enable", &json!({"password": PASSWORD}));
    let key = secret_of(en.json()["totpURI"].as_str().unwrap());
    assert_eq!(
        p.post("/auth/two-factor/verify-totp", &json!({"code": code(&key)}))
            .status,
        200
    );
    let r = sign_in(&p.email, PASSWORD);
    let challenge = set_cookie(&r, "better-auth.two_factor").unwrap();
    let wrong = if code(&key) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let mut last = None;
    for _ in 0..5 {
        last = Some(post_with_cookie(
            "/auth/two-factor/verify-totp",
            &challenge,
            &json!({"code": wrong}),
        ));
    }
    let last = last.unwrap();
    assert_eq!(last.status, 400, "{}", last.body);
    assert_eq!(last.json()["code"], "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE");
    let late = post_with_cookie(
        "/auth/two-factor/verify-totp",
        &challenge,
        &json!({"code": code(&key)}),
    );
    assert_eq!(late.status, 401, "the challenge is gone: {}", late.body);
}

#[test]
fn ten_wrong_codes_in_a_row_lock_verification() {
    let p = sign_up("totplock");
    let en = p.post("/auth/two-factor/enable", &json!({"password": PASSWORD}));
    let key = secret_of(en.json()["totpURI"].as_str().unwrap());
    let step = step_now();
    assert_eq!(
        p.post(
            "/auth/two-factor/verify-totp",
            &json!({"code": code_at(&key, step)})
        )
        .status,
        200
    );
    // Wrong codes that are also not the step's neighbours' codes.
    let good: Vec<String> = (step.saturating_sub(2)..=step + 3)
        .map(|s| code_at(&key, s))
        .collect();
    let wrong = (0..)
        .map(|n| format!("{:06}", 111_111 * (n % 9 + 1)))
        .find(|c| !good.contains(c))
        .unwrap();
    for _ in 0..2 {
        let r = sign_in(&p.email, PASSWORD);
        let challenge = set_cookie(&r, "better-auth.two_factor").unwrap();
        for _ in 0..5 {
            post_with_cookie(
                "/auth/two-factor/verify-totp",
                &challenge,
                &json!({"code": wrong}),
            );
        }
    }
    let r = sign_in(&p.email, PASSWORD);
    let challenge = set_cookie(&r, "better-auth.two_factor").unwrap();
    let locked = post_with_cookie(
        "/auth/two-factor/verify-totp",
        &challenge,
        &json!({"code": code_at(&key, step + 1)}),
    );
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert_eq!(locked.json()["code"], "ACCOUNT_TEMPORARILY_LOCKED");
    // It says when to come back, in the header and in the envelope.
    let retry: u64 = locked
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(
        locked.json()["error"]["details"]["retryAfterSeconds"],
        retry,
        "{}",
        locked.body
    );
}

/// Two-factor switched on for `p`; its backup codes.
fn with_two_factor(p: &e2e::iam::Person) -> Vec<String> {
    let en = p.post("/auth/two-factor/enable", &json!({"password": PASSWORD}));
    assert_eq!(en.status, 200, "{}", en.body);
    let key = secret_of(en.json()["totpURI"].as_str().unwrap());
    let on = p.post("/auth/two-factor/verify-totp", &json!({"code": code(&key)}));
    assert_eq!(on.status, 200, "{}", on.body);
    en.json()["backupCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn asks_for_the_second_factor(r: &Reply) -> bool {
    r.status == 200 && r.json()["twoFactorRedirect"] == true
}

#[test]
fn a_trusted_device_skips_the_second_factor_until_two_factor_is_disabled() {
    let p = sign_up("trusted");
    let backup = with_two_factor(&p);
    let credentials = json!({"email": p.email, "password": PASSWORD});
    let first = sign_in(&p.email, PASSWORD);
    assert!(asks_for_the_second_factor(&first), "{}", first.body);
    let challenge = set_cookie(&first, "better-auth.two_factor").unwrap();
    let done = post_with_cookie(
        "/auth/two-factor/verify-backup-code",
        &challenge,
        &json!({"code": backup[0], "trustDevice": true}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let trust = set_cookie(&done, "better-auth.trust_device").expect("trust cookie");

    // The trusted browser signs in with the password alone; its cookie is replaced.
    let again = post_with_cookie("/auth/sign-in/email", &trust, &credentials);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.json()["token"].is_string(), "{}", again.body);
    let renewed = set_cookie(&again, "better-auth.trust_device").expect("renewed cookie");
    assert_ne!(renewed, trust);
    // So a copy of the old cookie counts for nothing now, and is cleared.
    let copy = post_with_cookie("/auth/sign-in/email", &trust, &credentials);
    assert!(asks_for_the_second_factor(&copy), "{}", copy.body);
    assert!(copy.headers.get_all("set-cookie").iter().any(|c| c
        .to_str()
        .unwrap_or("")
        .starts_with("better-auth.trust_device=;")));

    // The cookie is this user's only: another two-factor user still gets the challenge.
    let q = sign_up("trustedother");
    with_two_factor(&q);
    let other = post_with_cookie(
        "/auth/sign-in/email",
        &renewed,
        &json!({"email": q.email, "password": PASSWORD}),
    );
    assert!(asks_for_the_second_factor(&other), "{}", other.body);

    // Disabling two-factor forgets every trusted device: switched on again, it asks.
    let off = p.post("/auth/two-factor/disable", &json!({"password": PASSWORD}));
    assert_eq!(off.status, 200, "{}", off.body);
    with_two_factor(&p);
    let after = post_with_cookie("/auth/sign-in/email", &renewed, &credentials);
    assert!(asks_for_the_second_factor(&after), "{}", after.body);
}
