//! Rate limits through the gateway: exact per key, a 429 envelope with Retry-After and
//! RateLimit headers, other keys unaffected, and recovery once the window has passed.

use e2e::iam::wrong_sign_in_from;
use e2e::unique_ip;

#[test]
fn sign_in_is_limited_per_ip_and_recovers() {
    let ip = unique_ip();
    for attempt in 1..=3 {
        let r = wrong_sign_in_from(&ip);
        assert_eq!(r.status, 401, "attempt {attempt}: {}", r.body);
    }
    let limited = wrong_sign_in_from(&ip);
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
    assert_eq!(wrong_sign_in_from(&unique_ip()).status, 401);

    // After the window the same client may try again.
    std::thread::sleep(std::time::Duration::from_secs(retry + 1));
    assert_eq!(wrong_sign_in_from(&ip).status, 401, "recovered");
}
