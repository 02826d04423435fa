//! The budget's counting, pure: a sliding window kept as per-slot counts (60 slots
//! per window). A token is granted only if the grants in every slot that overlaps the
//! last `window` (plus a safety margin for the time a request takes to arrive) are
//! below the limit, so no window of that length, however aligned, ever holds more
//! than `limit` grants.

use serde::{Deserialize, Serialize};

const SLOTS_PER_WINDOW: u64 = 60;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// `(slot start ms, grants)`, oldest first.
    pub slots: Vec<(u64, u32)>,
    /// No grants before this time (Cloudflare said 429).
    pub blocked_until: u64,
}

/// Requests may arrive this much later than their grant (a busy API takes a request
/// off its queue late, even one the caller already gave up on after its deadline).
pub fn margin(window_ms: u64) -> u64 {
    (window_ms / 10).max(3_000)
}

impl Window {
    /// Takes one token at `now`, or says how many ms until one may be free.
    pub fn take(&mut self, now: u64, limit: u32, window_ms: u64) -> Result<(), u64> {
        if now < self.blocked_until {
            return Err(self.blocked_until - now);
        }
        let span = window_ms.max(1) + margin(window_ms);
        let slot_ms = (window_ms / SLOTS_PER_WINDOW).max(1);
        // Slots wholly before the span no longer count.
        self.slots.retain(|(start, _)| start + slot_ms + span > now);
        let used: u64 = self.slots.iter().map(|(_, n)| u64::from(*n)).sum();
        if used >= u64::from(limit) {
            let oldest = self.slots.first().map(|(s, _)| *s).unwrap_or(now);
            return Err((oldest + slot_ms + span).saturating_sub(now).max(1));
        }
        let start = now - now % slot_ms;
        match self.slots.last_mut() {
            Some((s, n)) if *s == start => *n += 1,
            _ => self.slots.push((start, 1)),
        }
        Ok(())
    }

    pub fn block(&mut self, now: u64, for_ms: u64) {
        self.blocked_until = self.blocked_until.max(now.saturating_add(for_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_up_to_the_limit_then_says_when() {
        let mut w = Window::default();
        for i in 0..5 {
            assert_eq!(w.take(1_000 + i, 5, 10_000), Ok(()));
        }
        let wait = w.take(1_010, 5, 10_000).unwrap_err();
        assert!(wait > 10_000 && wait <= 13_200, "{wait}");
        // Once the old slot is out of the span, tokens come back.
        assert_eq!(w.take(1_010 + wait, 5, 10_000), Ok(()));
    }

    #[test]
    fn no_window_of_any_alignment_holds_more_than_the_limit() {
        let (limit, window) = (7u32, 3_000u64);
        let mut w = Window::default();
        let mut grants = Vec::new();
        // A caller asking every 37 ms for a minute.
        let mut t = 0;
        while t < 60_000 {
            if w.take(t, limit, window).is_ok() {
                grants.push(t);
            }
            t += 37;
        }
        assert!(
            grants.len() > 50,
            "the budget must not starve: {}",
            grants.len()
        );
        for (i, start) in grants.iter().enumerate() {
            let inside = grants[i..]
                .iter()
                .take_while(|g| **g < start + window)
                .count();
            assert!(
                inside <= limit as usize,
                "{inside} grants in the window from {start}"
            );
        }
    }

    #[test]
    fn a_block_stops_every_grant_until_it_ends() {
        let mut w = Window::default();
        w.block(100, 5_000);
        assert_eq!(w.take(200, 100, 1_000), Err(4_900));
        assert_eq!(w.take(5_100, 100, 1_000), Ok(()));
    }
}
