//! Guards that follow the account or the mailbox rather than the client address:
//! the per-account password budget (shared by every endpoint that checks a password),
//! the per-recipient mail cap, one live reset link, and the route table's 405s.

use e2e::iam::{call, emails_to, from_last_email, sign_in, sign_up, PASSWORD};
use e2e::{gateway, send, service_auth, unique_ip};
use serde_json::json;

#[test]
fn wrong_passwords_from_many_addresses_are_spaced_out_per_account() {
    let p = sign_up("budget");
    // Every attempt comes from its own address, so per-IP limits never apply.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(sign_in(&p.email, "not the password").status);
    }
    assert_eq!(&statuses[..5], &[401; 5], "{statuses:?}");
    // The sixth is checked (and wrong) and sets a delay; the ones after wait it out.
    assert_eq!(statuses[5], 401, "{statuses:?}");
    assert_eq!(&statuses[6..], &[429, 429], "{statuses:?}");
    let locked = sign_in(&p.email, PASSWORD);
    assert_eq!(
        locked.status, 429,
        "the right password waits too: {}",
        locked.body
    );
    assert_eq!(locked.json()["code"], "ACCOUNT_TEMPORARILY_LOCKED");
    let retry: u64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=30).contains(&retry), "{retry}");

    // The owner is not locked out: a magic link and a reset still reach them.
    let link = call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(&json!({"email": p.email})),
        None,
    );
    assert_eq!(link.status, 200, "{}", link.body);
    from_last_email(&p.email, "Sign-in token");

    // An unknown address is budgeted the same way, so the lock tells nothing.
    let ghost = e2e::iam::email("ghost");
    let ghost_statuses: Vec<u16> = (0..8)
        .map(|_| sign_in(&ghost, "not the password").status)
        .collect();
    assert_eq!(ghost_statuses, statuses);
}

#[test]
fn two_factor_password_checks_share_the_sign_in_budget() {
    let p = sign_up("oracle");
    for _ in 0..3 {
        assert_eq!(sign_in(&p.email, "wrong").status, 401);
    }
    for path in [
        "/auth/two-factor/get-totp-uri",
        "/auth/two-factor/generate-backup-codes",
        "/auth/two-factor/disable",
    ] {
        let r = p.post(path, &json!({"password": "wrong"}));
        assert!(
            matches!(r.status, 400 | 401 | 422),
            "{path}: {} {}",
            r.status,
            r.body
        );
    }
    // Six failures in all: the next check waits, whichever endpoint asks.
    let r = p.post(
        "/auth/two-factor/get-totp-uri",
        &json!({"password": "wrong"}),
    );
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(sign_in(&p.email, PASSWORD).status, 429);

    // And they are as strictly limited per client address as sign-in.
    let ip = unique_ip();
    let q = sign_up("oracle-ip");
    let statuses: Vec<u16> = (0..4)
        .map(|_| {
            send(
                "POST",
                &e2e::iam::url("/auth/two-factor/get-totp-uri"),
                &[
                    ("content-type", "application/json"),
                    ("authorization", &q.bearer()),
                    ("cf-connecting-ip", &ip),
                ],
                Some(br#"{"password":"correct horse battery"}"#),
            )
            .status
        })
        .collect();
    assert_eq!(statuses[3], 429, "{statuses:?}");
}

#[test]
fn one_address_gets_a_bounded_number_of_mails_and_one_live_reset_link() {
    let p = sign_up("mailcap");
    let before = emails_to(&p.email).len();
    let ask = || {
        call(
            "POST",
            "/auth/request-password-reset",
            Some(&json!({"email": p.email})),
            None,
        )
    };
    let first = ask();
    assert_eq!(first.status, 200, "{}", first.body);
    let old = from_last_email(&p.email, "Reset token");
    assert_eq!(ask().status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let new = loop {
        let t = from_last_email(&p.email, "Reset token");
        if t != old || std::time::Instant::now() > deadline {
            break t;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_ne!(new, old, "a second link was sent");
    // Only the newest link works.
    let stale = call(
        "POST",
        "/auth/reset-password",
        Some(&json!({"token": old, "newPassword": "another long password"})),
        None,
    );
    assert!(stale.status >= 400, "{}", stale.body);
    assert_eq!(stale.json()["code"], "INVALID_TOKEN", "{}", stale.body);
    let fresh = call(
        "POST",
        "/auth/reset-password",
        Some(&json!({"token": new, "newPassword": "another long password"})),
        None,
    );
    assert_eq!(fresh.status, 200, "{}", fresh.body);

    // Flooding the address: every request is answered alike, at most 8 mails go out.
    for _ in 0..12 {
        assert_eq!(ask().status, 200);
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    let sent = emails_to(&p.email).len() - before;
    assert_eq!(sent, 8, "mails to one address in the window");
    // A foreground send says so.
    let link = call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(&json!({"email": p.email})),
        None,
    );
    assert_eq!(link.status, 429, "{}", link.body);
    assert!(link.header("retry-after").is_some());
}

#[test]
fn methods_come_from_the_route_table() {
    let url = |p: &str| format!("{}/api/v1/iam{p}", gateway());
    let ip = unique_ip();
    let service = service_auth();
    for (method, path, allow) in [
        ("POST", "/auth/reset-password/x", "GET"),
        ("POST", "/auth/callback/github", "GET"),
        ("GET", "/nno/roles/o/r", "DELETE"),
        ("PUT", "/nno/roles", "GET, POST"),
        ("PATCH", "/auth/get-session", "GET"),
        ("DELETE", "/auth/sign-in/email", "POST"),
    ] {
        let r = send(
            method,
            &url(path),
            &[service, ("cf-connecting-ip", &ip)],
            None,
        );
        assert_eq!(r.status, 405, "{method} {path}: {}", r.body);
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(r.json()["error"]["code"], "METHOD_NOT_ALLOWED");
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains(&format!("allowed: {allow}")), "{message}");
    }
    // A path the table does not have is a 404, whatever the method.
    let r = send(
        "POST",
        &url("/auth/sign-in/email/"),
        &[service, ("cf-connecting-ip", &ip)],
        Some(b"{}"),
    );
    assert_eq!(r.status, 404, "{}", r.body);
}
