//! Social sign-in through the gateway against the sandbox's GitHub and Google: the
//! authorization URL (state, PKCE), the provider's redirect back, the callback that
//! signs the person in, and the refusals (unknown provider, foreign state).

use e2e::iam::{call, email, sandbox, set_cookie, ORIGIN};
use e2e::{get, Reply};
use serde_json::json;

/// Starts the flow: the provider URL and the state cookie.
fn start(provider: &str) -> (String, String) {
    let r = call(
        "POST",
        "/auth/sign-in/social",
        Some(
            &json!({"provider": provider, "callbackURL": "/dash", "newUserCallbackURL": "/hello"}),
        ),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["redirect"], true);
    let url = v["url"].as_str().unwrap().to_string();
    assert_eq!(r.header("location"), Some(url.as_str()));
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("code_challenge="),
        "{url}"
    );
    assert!(
        url.contains("state=") && url.starts_with(&sandbox()),
        "{url}"
    );
    (
        url,
        set_cookie(&r, "better-auth.state").expect("state cookie"),
    )
}

/// The provider approves as `who`; returns the callback path+query it redirects to.
fn approve(url: &str, hint_param: &str, who: &str) -> String {
    let r = get(&format!("{url}&{hint_param}={who}"), &[]);
    assert_eq!(r.status, 302, "{}", r.body);
    let location = r.header("location").unwrap();
    let at = location.find("/api/v1/iam/").expect("callback path");
    location[at + "/api/v1/iam".len()..].to_string()
}

fn callback(path_and_query: &str, state_cookie: Option<&str>) -> Reply {
    // Its own client address: the callback is limited per IP (10 per minute), and
    // requests without one would all share a single budget across the suite.
    let ip = e2e::unique_ip();
    let mut h = vec![("origin", ORIGIN), ("cf-connecting-ip", ip.as_str())];
    if let Some(c) = state_cookie {
        h.push(("cookie", c));
    }
    get(&e2e::iam::url(path_and_query), &h)
}

fn signed_in_as(r: &Reply) -> serde_json::Value {
    let cookie = set_cookie(r, "better-auth.session_token").expect("session cookie");
    get(&e2e::iam::url("/auth/get-session"), &[("cookie", &cookie)]).json()
}

#[test]
fn github_sign_in_creates_then_finds_the_user() {
    let who = email("octo");
    let (url, state) = start("github");
    let back = approve(&url, "login", &who);
    let r = callback(&back, Some(&state));
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(
        r.header("location").unwrap().ends_with("/hello"),
        "new users go to the welcome page"
    );
    let s = signed_in_as(&r);
    assert_eq!(s["user"]["email"], who.as_str());
    assert_eq!(s["user"]["emailVerified"], true);
    // The code is single use: replaying the callback fails.
    let replay = callback(&back, Some(&state));
    assert_eq!(replay.status, 400, "{}", replay.body);

    // The second time, the same account signs in and lands on the callback page.
    let (url, state) = start("github");
    let r = callback(&approve(&url, "login", &who), Some(&state));
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r.header("location").unwrap().ends_with("/dash"));
    assert_eq!(signed_in_as(&r)["user"]["email"], who.as_str());
}

#[test]
fn google_sign_in_reads_the_id_token() {
    let who = email("gmail.person");
    let (url, state) = start("google");
    assert!(url.contains("scope=email%20profile%20openid"), "{url}");
    let r = callback(&approve(&url, "login_hint", &who), Some(&state));
    assert_eq!(r.status, 302, "{}", r.body);
    let s = signed_in_as(&r);
    assert_eq!(s["user"]["email"], who.as_str());
}

#[test]
fn state_must_come_back_to_the_browser_that_started() {
    let (url, _state) = start("github");
    let back = approve(&url, "login", &email("csrf"));
    // Without the state cookie (someone else's browser), no session.
    let r = callback(&back, None);
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r
        .header("location")
        .unwrap()
        .contains("/dash?error=state_mismatch"));
    assert!(set_cookie(&r, "better-auth.session_token").is_none());
    let unknown = callback("/auth/callback/github?code=x&state=never-issued", None);
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

#[test]
fn unknown_providers_and_bad_targets_are_refused() {
    let r = call(
        "POST",
        "/auth/sign-in/social",
        Some(&json!({"provider": "myspace"})),
        None,
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.json()["code"], "PROVIDER_NOT_FOUND");
    let evil = call(
        "POST",
        "/auth/sign-in/social",
        Some(&json!({"provider": "github", "callbackURL": "//evil.example"})),
        None,
    );
    assert_eq!(evil.status, 403, "{}", evil.body);
}

#[test]
fn a_provider_vouching_for_an_address_claims_its_unverified_account() {
    let p = e2e::iam::sign_up("linked");
    let (url, state) = start("github");
    let r = callback(&approve(&url, "login", &p.email), Some(&state));
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(
        r.header("location").unwrap().ends_with("/dash"),
        "an existing user"
    );
    let s = signed_in_as(&r);
    assert_eq!(s["user"]["id"], p.id.as_str(), "the same account");
    // Whoever had set a password on the unverified address lost it...
    assert_eq!(e2e::iam::sign_in(&p.email, e2e::iam::PASSWORD).status, 401);
    // ...and the GitHub account stays linked.
    let (url, state) = start("github");
    let again = callback(&approve(&url, "login", &p.email), Some(&state));
    assert_eq!(signed_in_as(&again)["user"]["id"], p.id.as_str());
}

#[test]
fn an_address_the_provider_did_not_verify_stays_claimable() {
    // Someone signs in with a GitHub account whose address GitHub never checked.
    let victim = email("unchecked");
    let (url, state) = start("github");
    let back = approve(&format!("{url}&email_verified=false"), "login", &victim);
    let r = callback(&back, Some(&state));
    assert_eq!(r.status, 302, "{}", r.body);
    let s = signed_in_as(&r);
    assert_eq!(s["user"]["email"], victim.as_str());
    assert_eq!(s["user"]["emailVerified"], false, "not vouched for");
    let squatter_id = s["user"]["id"].as_str().unwrap().to_string();

    // The address's real owner proves it by magic link: the account is theirs, and the
    // squatter's GitHub link is gone with everything else they set up.
    call(
        "POST",
        "/auth/sign-in/magic-link",
        Some(&json!({"email": victim})),
        None,
    );
    let token = e2e::iam::from_last_email(&victim, "Sign-in token");
    let owner = get(
        &e2e::iam::url(&format!("/auth/magic-link/verify?token={token}")),
        &[],
    );
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert_eq!(owner.json()["user"]["id"], squatter_id.as_str());
    assert_eq!(owner.json()["user"]["emailVerified"], true);

    let (url, state) = start("github");
    let back = approve(&format!("{url}&email_verified=false"), "login", &victim);
    let again = callback(&back, Some(&state));
    assert_eq!(again.status, 302, "{}", again.body);
    assert!(
        again
            .header("location")
            .unwrap()
            .contains("error=account_not_linked"),
        "{:?}",
        again.header("location")
    );
    assert!(set_cookie(&again, "better-auth.session_token").is_none());
}
