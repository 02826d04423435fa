//! Every first factor (password, magic link, GitHub) finishes a sign-in the same way:
//! a two-factor user gets the challenge, unless the browser carries this user's trust
//! cookie, which is then used up and replaced.

use e2e::iam::{call, from_last_email, github_callback, set_cookie, sign_up, ORIGIN, PASSWORD};
use e2e::{get, send, unique_ip, Reply};
use serde_json::{json, Value};

fn post_with_cookie(path: &str, cookie: Option<&str>, body: &Value) -> Reply {
    let ip = unique_ip();
    let mut h = vec![
        ("content-type", "application/json"),
        ("origin", ORIGIN),
        ("cf-connecting-ip", ip.as_str()),
    ];
    if let Some(c) = cookie {
        h.push(("cookie", c));
    }
    send(
        "POST",
        &e2e::iam::url(path),
        &h,
        Some(body.to_string().as_bytes()),
    )
}

fn challenged(r: &Reply) -> bool {
    let redirected = r
        .header("location")
        .is_some_and(|l| l.contains("twoFactorRedirect=true"));
    let json = r.status == 200 && r.json()["twoFactorRedirect"] == true;
    (json || redirected)
        && set_cookie(r, "better-auth.two_factor").is_some()
        && set_cookie(r, "better-auth.session_token").is_none()
}

fn signed_in(r: &Reply) -> bool {
    set_cookie(r, "better-auth.session_token").is_some()
        && set_cookie(r, "better-auth.two_factor").is_none()
}

/// Password sign-in, with an optional cookie header.
fn by_password(email: &str, cookie: Option<&str>) -> Reply {
    post_with_cookie(
        "/auth/sign-in/email",
        cookie,
        &json!({"email": email, "password": PASSWORD}),
    )
}

/// A magic link requested and followed, with an optional cookie header.
fn by_magic_link(email: &str, cookie: Option<&str>) -> Reply {
    let asked = call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(&json!({"email": email})),
        None,
    );
    assert_eq!(asked.status, 200, "{}", asked.body);
    let token = from_last_email(email, "Sign-in token");
    let ip = unique_ip();
    let mut h = vec![("origin", ORIGIN), ("cf-connecting-ip", ip.as_str())];
    if let Some(c) = cookie {
        h.push(("cookie", c));
    }
    get(
        &e2e::iam::url(&format!("/auth/magic-link/verify?token={token}")),
        &h,
    )
}

fn by_github(email: &str, cookie: Option<&str>) -> Reply {
    github_callback(email, cookie)
}

#[test]
fn every_sign_in_path_honours_two_factor_and_trusted_devices_alike() {
    let p = sign_up("paths");
    // Verified first: proving an unverified address would claim the account (and
    // switch two-factor off), which is a different rule.
    p.verify();

    let en = p.post("/auth/two-factor/enable", &json!({"password": PASSWORD}));
    assert_eq!(en.status, 200, "{}", en.body);
    let backup: Vec<String> = en.json()["backupCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let confirm = p.post(
        "/auth/two-factor/verify-backup-code",
        &json!({"code": backup[0]}),
    );
    assert_eq!(confirm.status, 200, "{}", confirm.body);

    type Path = fn(&str, Option<&str>) -> Reply;
    let paths: [(&str, Path); 3] = [
        ("password", by_password),
        ("magic link", by_magic_link),
        ("github", by_github),
    ];
    // Without a trusted device, each path asks for the second factor.
    for (name, path) in paths {
        let r = path(&p.email, None);
        assert!(challenged(&r), "{name}: {} {:?}", r.body, r.headers);
    }

    // Complete one challenge, trusting the browser.
    let first = by_password(&p.email, None);
    let challenge = set_cookie(&first, "better-auth.two_factor").unwrap();
    let done = post_with_cookie(
        "/auth/two-factor/verify-backup-code",
        Some(&challenge),
        &json!({"code": backup[1], "trustDevice": true}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let mut trust = set_cookie(&done, "better-auth.trust_device").expect("trust cookie");

    // With it, each path signs in at once and replaces the cookie; the replaced one
    // then counts for nothing on any path.
    for (name, path) in paths {
        let r = path(&p.email, Some(&trust));
        assert!(signed_in(&r), "{name}: {} {:?}", r.body, r.headers);
        let renewed = set_cookie(&r, "better-auth.trust_device")
            .unwrap_or_else(|| panic!("{name}: no renewed trust cookie"));
        assert_ne!(renewed, trust, "{name}");
        let stale = path(&p.email, Some(&trust));
        assert!(
            challenged(&stale),
            "{name} with a used cookie: {}",
            stale.body
        );
        trust = renewed;
    }
}
