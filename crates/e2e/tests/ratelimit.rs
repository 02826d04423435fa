//! Rate limits through the gateway: exact per key, a 429 envelope with Retry-After and
//! RateLimit headers, other keys unaffected, and recovery once the window has passed.

use e2e::{gateway, send, unique_ip, Reply};

fn sign_in_from(ip: &str) -> Reply {
    // A fresh address each time: the per-account budget is not what is tested here.
    let body = serde_json::json!({"email": e2e::iam::email("nobody"), "password": "guess-guess"});
    send(
        "POST",
        &format!("{}/api/v1/iam/auth/sign-in/email", gateway()),
        &[
            ("content-type", "application/json"),
            ("cf-connecting-ip", ip),
        ],
        Some(body.to_string().as_bytes()),
    )
}

#[test]
fn sign_in_is_limited_per_ip_and_recovers() {
    let ip = unique_ip();
    for attempt in 1..=3 {
        let r = sign_in_from(&ip);
        assert_eq!(r.status, 401, "attempt {attempt}: {}", r.body);
    }
    let limited = sign_in_from(&ip);
    assert_eq!(limited.status, 429, "{}", limited.body);
    let v = limited.envelope("RATE_LIMITED");
    assert_eq!(v["error"]["details"]["limit"], 3);
    let retry: u64 = limited
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    assert!(limited.header("ratelimit").unwrap().contains("remaining=0"));
    assert_eq!(limited.header("ratelimit-policy"), Some("3;w=10"));

    // Another client is not affected.
    assert_eq!(sign_in_from(&unique_ip()).status, 401);

    // After the window the same client may try again.
    std::thread::sleep(std::time::Duration::from_secs(retry + 1));
    assert_eq!(sign_in_from(&ip).status, 401, "recovered");
}
