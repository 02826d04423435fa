//! Rate limits: which rule a request falls under, and the fixed-window counter that
//! enforces it (one counter per key, kept by one Durable Object per key, so counts are
//! exact rather than approximate per location).

/// A limit of `limit` requests per `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub limit: u32,
    pub window_ms: u64,
}

/// Sign-in, sign-up, two-factor verification and password changes: 3 per 10 s per
/// client IP, as Better Auth's own defaults for these paths.
pub const AUTH_STRICT: Rule = Rule {
    name: "auth-strict",
    limit: 3,
    window_ms: 10_000,
};
/// Other public authentication endpoints (magic link, reset request, verification):
/// 10 per minute per IP.
pub const AUTH: Rule = Rule {
    name: "auth",
    limit: 10,
    window_ms: 60_000,
};
/// Everything a signed-in user does through the gateway: 600 per minute per user.
pub const USER: Rule = Rule {
    name: "user",
    limit: 600,
    window_ms: 60_000,
};

/// Failed API-key attempts per client IP: 10 per 5 minutes. Checked before a presented
/// key is looked up, so guessing keys costs the guesser, not the database.
pub const BAD_KEY: Rule = Rule {
    name: "bad-key",
    limit: 10,
    window_ms: 300_000,
};

/// The gateway's deep `/health` (and each service's `/health` under its prefix) for
/// callers without the service key: 30 per minute per client IP. Each deep check costs
/// service-binding calls and storage round trips, so unlimited it would be an
/// amplifier.
pub const HEALTH: Rule = Rule {
    name: "health",
    limit: 30,
    window_ms: 60_000,
};

/// The fastest an API key's own limit may be set: on average 100 requests per second
/// over its window, so `max <= 100 * windowSeconds`.
pub const KEY_MAX_PER_SECOND: u64 = 100;
/// A key's own limit: at most this many requests per window...
pub const KEY_MAX_PER_WINDOW: u64 = 10_000;
/// ...and windows of 1 second to 1 hour.
pub const KEY_WINDOW_SECONDS: std::ops::RangeInclusive<u64> = 1..=3600;

/// Whether `max` requests per `window_seconds` is a limit a key may be given.
pub fn key_limit_allowed(max: u64, window_seconds: u64) -> bool {
    KEY_WINDOW_SECONDS.contains(&window_seconds)
        && (1..=KEY_MAX_PER_WINDOW).contains(&max)
        && max <= KEY_MAX_PER_SECOND.saturating_mul(window_seconds)
}

/// The client-IP part of a per-IP limiter key, from `CF-Connecting-IP`: trimmed, the
/// first address if a list was sent, an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`)
/// as its IPv4 address, and any other IPv6 address as its /64 (one subscriber gets a
/// whole /64, so its addresses share one budget), written canonically.
///
/// `None` when the request carries no usable address. Cloudflare's edge always sets the
/// header (and `wrangler dev` does locally), so such a request did not come through the
/// edge; it must not share one bucket with every other such request (one client could
/// then lock out all of them), so the caller keys it by something unique per request
/// (see `unknown_client_key`).
pub fn client_key(raw: Option<&str>) -> Option<String> {
    use std::net::IpAddr;
    let first = raw?.split(',').next()?.trim();
    let unbracketed = first
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map(|(inside, _)| inside)
        .unwrap_or(first);
    // A zone index (`fe80::1%eth0`) does not name another host.
    let bare = unbracketed.split('%').next().unwrap_or("");
    let ip: IpAddr = bare.parse().ok()?;
    Some(match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    })
}

/// The key of a request without a usable client address: `unknown:` and a per-request
/// random value, so such requests never share a bucket.
pub fn unknown_client_key(random: &[u8; 16]) -> String {
    let mut s = String::with_capacity(8 + 32);
    s.push_str("unknown:");
    for b in random {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl Rule {
    /// Whether this rule allows fewer requests per unit of time than `other`.
    pub fn stricter_than(&self, other: &Rule) -> bool {
        (self.limit as u128) * (other.window_ms as u128)
            < (other.limit as u128) * (self.window_ms as u128)
    }
}

/// A key's own limit, as set when it was created.
pub fn key_rule(limit: u32, window_ms: u64) -> Rule {
    Rule {
        name: "key",
        limit,
        window_ms,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub start_ms: u64,
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Milliseconds until the window resets.
    pub reset_ms: u64,
}

impl Decision {
    /// `Retry-After` and the IETF `RateLimit`/`RateLimit-Policy` header values.
    pub fn headers(&self, rule: &Rule) -> [(&'static str, String); 3] {
        let reset_s = self.reset_ms.div_ceil(1000);
        [
            ("retry-after", reset_s.to_string()),
            (
                "ratelimit",
                format!(
                    "limit={}, remaining={}, reset={reset_s}",
                    self.limit, self.remaining
                ),
            ),
            (
                "ratelimit-policy",
                format!("{};w={}", rule.limit, rule.window_ms / 1000),
            ),
        ]
    }
}

impl Window {
    /// The decision a request at `now_ms` would get, without counting it.
    pub fn peek(&self, rule: &Rule, now_ms: u64) -> Decision {
        let mut copy = *self;
        let mut d = copy.hit(rule, now_ms);
        if d.allowed {
            d.remaining += 1;
        }
        d
    }

    /// Counts one request at `now_ms` under `rule`.
    pub fn hit(&mut self, rule: &Rule, now_ms: u64) -> Decision {
        if now_ms >= self.start_ms + rule.window_ms || now_ms < self.start_ms {
            *self = Window {
                start_ms: now_ms,
                count: 0,
            };
        }
        let allowed = self.count < rule.limit;
        if allowed {
            self.count += 1;
        }
        Decision {
            allowed,
            limit: rule.limit,
            remaining: rule.limit - self.count.min(rule.limit),
            reset_ms: self.start_ms + rule.window_ms - now_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_exactly_and_recovers_after_the_window() {
        let mut w = Window::default();
        let t0 = 1_000_000;
        for i in 0..3 {
            let d = w.hit(&AUTH_STRICT, t0 + i);
            assert!(d.allowed);
            assert_eq!(d.remaining, 2 - i as u32);
        }
        let refused = w.hit(&AUTH_STRICT, t0 + 4_000);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_ms, 6_000);
        assert!(!w.hit(&AUTH_STRICT, t0 + 9_999).allowed);
        let again = w.hit(&AUTH_STRICT, t0 + 10_000);
        assert!(again.allowed);
        assert_eq!(again.remaining, 2);
    }

    #[test]
    fn peek_does_not_count() {
        let mut w = Window::default();
        assert!(w.peek(&BAD_KEY, 0).allowed);
        assert_eq!(w.peek(&BAD_KEY, 0).remaining, 10);
        for _ in 0..10 {
            w.hit(&BAD_KEY, 1);
        }
        assert!(!w.peek(&BAD_KEY, 2).allowed);
        assert!(w.peek(&BAD_KEY, 300_001).allowed);
        assert_eq!(w.count, 10);
    }

    #[test]
    fn client_keys_fold_one_client_into_one_bucket() {
        let k = |raw: &str| client_key(Some(raw));
        assert_eq!(k("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(k("  203.0.113.7 ").as_deref(), Some("203.0.113.7"));
        assert_eq!(k("203.0.113.7, 10.0.0.1").as_deref(), Some("203.0.113.7"));
        // IPv4-mapped IPv6 is the IPv4 client.
        assert_eq!(k("::ffff:203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(k("::FFFF:cb00:7107").as_deref(), Some("203.0.113.7"));
        // One /64, one bucket; however the address is written.
        let a = k("2001:db8:1:2:aaaa::1").unwrap();
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(k("2001:db8:1:2:bbbb::2").unwrap(), a);
        assert_eq!(k("2001:0DB8:0001:0002:0000:0000:0000:0009").unwrap(), a);
        assert_eq!(k("[2001:db8:1:2::9]").unwrap(), a);
        assert_eq!(k("2001:db8:1:2::9%eth0").unwrap(), a);
        assert_ne!(k("2001:db8:1:3::1").unwrap(), a);
        assert_eq!(k("2001:db8::1").as_deref(), Some("2001:db8::/64"));
        assert_eq!(k("::1").as_deref(), Some("::/64"));
        // Nothing usable: the caller keys the request uniquely.
        for bad in [
            "",
            "  ",
            "not-an-ip",
            "999.1.1.1",
            ",203.0.113.7",
            "1.2.3.4:80",
        ] {
            assert_eq!(k(bad), None, "{bad:?}");
        }
        assert_eq!(client_key(None), None);
        let u = unknown_client_key(&[0xab; 16]);
        assert_eq!(u, format!("unknown:{}", "ab".repeat(16)));
        assert_ne!(u, unknown_client_key(&[0xac; 16]));
    }

    #[test]
    fn key_limits_are_bounded() {
        assert!(key_limit_allowed(120, 60));
        assert!(key_limit_allowed(100, 1));
        assert!(key_limit_allowed(6_000, 60));
        assert!(key_limit_allowed(10_000, 3600));
        // The finding: 10,000 per second.
        assert!(!key_limit_allowed(10_000, 1));
        assert!(!key_limit_allowed(101, 1));
        assert!(!key_limit_allowed(10_000, 60));
        assert!(!key_limit_allowed(10_001, 3600));
        assert!(!key_limit_allowed(0, 60));
        assert!(!key_limit_allowed(1, 0));
        assert!(!key_limit_allowed(1, 3601));
        assert!(!key_limit_allowed(u64::MAX, u64::MAX));
    }

    #[test]
    fn headers_follow_the_ietf_draft() {
        let mut w = Window::default();
        for _ in 0..3 {
            w.hit(&AUTH_STRICT, 0);
        }
        let d = w.hit(&AUTH_STRICT, 2_500);
        let h = d.headers(&AUTH_STRICT);
        assert_eq!(h[0], ("retry-after", "8".to_string()));
        assert_eq!(h[1].1, "limit=3, remaining=0, reset=8");
        assert_eq!(h[2].1, "3;w=10");
    }
}
