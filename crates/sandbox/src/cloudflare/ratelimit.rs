//! Cloudflare's Client API limit: `limit` requests per sliding `window` per token,
//! and past it every call is refused for a block period (Cloudflare: 1,200 per 5
//! minutes, blocked for the next 5 minutes). Time is passed in so tests need no sleep.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

pub struct RateLimiter {
    pub limit: usize,
    pub window: Duration,
    pub block: Duration,
    tokens: HashMap<String, TokenWindow>,
    /// Most requests seen inside any one window, over all tokens.
    pub max_in_window: usize,
    pub exceeded: bool,
}

#[derive(Default)]
struct TokenWindow {
    seen: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

/// What the limiter says about one call.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Allowed {
        remaining: usize,
        reset_secs: u64,
    },
    /// Refused; retry after this many whole seconds (rounded up).
    Blocked {
        retry_after_secs: u64,
    },
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration, block: Duration) -> RateLimiter {
        RateLimiter {
            limit,
            window,
            block,
            tokens: HashMap::new(),
            max_in_window: 0,
            exceeded: false,
        }
    }

    /// Forgets every window and block and the records (keeps the configuration).
    pub fn clear(&mut self) {
        self.clear_windows();
        self.max_in_window = 0;
        self.exceeded = false;
    }

    /// Forgets every window and block, keeping the records.
    pub fn clear_windows(&mut self) {
        self.tokens.clear();
    }

    pub fn check(&mut self, token: &str, now: Instant) -> Verdict {
        let w = self.tokens.entry(token.to_string()).or_default();
        if let Some(until) = w.blocked_until {
            if now < until {
                return Verdict::Blocked {
                    retry_after_secs: ceil_secs(until - now),
                };
            }
            w.blocked_until = None;
            w.seen.clear();
        }
        while w
            .seen
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            w.seen.pop_front();
        }
        if w.seen.len() >= self.limit {
            // Refused calls do not count towards the window; the block does the work.
            self.exceeded = true;
            w.blocked_until = Some(now + self.block);
            return Verdict::Blocked {
                retry_after_secs: ceil_secs(self.block),
            };
        }
        w.seen.push_back(now);
        self.max_in_window = self.max_in_window.max(w.seen.len());
        let reset = w
            .seen
            .front()
            .map(|t| self.window.saturating_sub(now.duration_since(*t)))
            .unwrap_or(self.window);
        Verdict::Allowed {
            remaining: self.limit - w.seen.len(),
            reset_secs: ceil_secs(reset),
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_past_the_limit_then_recovers() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(3, Duration::from_secs(10), Duration::from_millis(2500));
        for i in 0..3 {
            assert!(matches!(
                rl.check("a", t0 + Duration::from_millis(i)),
                Verdict::Allowed { .. }
            ));
        }
        assert_eq!(rl.max_in_window, 3);
        assert!(!rl.exceeded);
        // The fourth call is refused and starts a 2.5 s block: retry-after rounds up to 3.
        assert_eq!(
            rl.check("a", t0 + Duration::from_millis(5)),
            Verdict::Blocked {
                retry_after_secs: 3
            }
        );
        assert!(rl.exceeded);
        // Another token is not affected.
        assert!(matches!(rl.check("b", t0), Verdict::Allowed { .. }));
        // Still blocked 1.1 s later, with the remaining time rounded up.
        assert_eq!(
            rl.check("a", t0 + Duration::from_millis(1105)),
            Verdict::Blocked {
                retry_after_secs: 2
            }
        );
        // After the block the token starts afresh.
        assert_eq!(
            rl.check("a", t0 + Duration::from_millis(2600)),
            Verdict::Allowed {
                remaining: 2,
                reset_secs: 10
            }
        );
    }

    #[test]
    fn the_window_slides() {
        let t0 = Instant::now();
        let mut rl = RateLimiter::new(2, Duration::from_secs(1), Duration::from_secs(1));
        assert!(matches!(rl.check("a", t0), Verdict::Allowed { .. }));
        assert!(matches!(
            rl.check("a", t0 + Duration::from_millis(600)),
            Verdict::Allowed { .. }
        ));
        // The first call has left the window by 1.0 s.
        assert!(matches!(
            rl.check("a", t0 + Duration::from_millis(1000)),
            Verdict::Allowed { .. }
        ));
        assert_eq!(rl.max_in_window, 2);
    }
}
