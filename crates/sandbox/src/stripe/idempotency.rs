//! `Idempotency-Key` on v1 POSTs: the first result with a key (status and body) is
//! saved and replayed for retries with the same parameters; other parameters are an
//! `idempotency_error`. Validation failures (400, 401, 404) are not saved, so such a
//! request can be retried. Keys older than 24 h are pruned (then reused as new).

use std::collections::HashMap;

pub const TTL_SECS: i64 = 24 * 3600;
pub const MAX_KEY_LEN: usize = 255;

#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    /// `METHOD path canonical-params`.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    pub at: i64,
}

#[derive(Debug, PartialEq)]
pub enum Lookup {
    /// Run the request (and `save` its result).
    Fresh,
    Replay(u16, String),
    Mismatch,
}

#[derive(Default)]
pub struct Store {
    saved: HashMap<String, Saved>,
}

/// Whether a result with this status is kept for replays.
pub fn keeps(status: u16) -> bool {
    !matches!(status, 400 | 401 | 404)
}

impl Store {
    pub fn lookup(&mut self, key: &str, fingerprint: &str, now: i64) -> Lookup {
        self.saved.retain(|_, s| now - s.at < TTL_SECS);
        match self.saved.get(key) {
            None => Lookup::Fresh,
            Some(s) if s.fingerprint == fingerprint => Lookup::Replay(s.status, s.body.clone()),
            Some(_) => Lookup::Mismatch,
        }
    }

    pub fn save(&mut self, key: &str, fingerprint: &str, status: u16, body: &str, now: i64) {
        if keeps(status) {
            self.saved.insert(
                key.to_string(),
                Saved {
                    fingerprint: fingerprint.to_string(),
                    status,
                    body: body.to_string(),
                    at: now,
                },
            );
        }
    }

    pub fn len(&self) -> usize {
        self.saved.len()
    }

    pub fn clear(&mut self) {
        self.saved.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_same_params_refuses_others_and_expires() {
        let mut s = Store::default();
        assert_eq!(s.lookup("k", "POST /v1/customers a=1", 100), Lookup::Fresh);
        s.save("k", "POST /v1/customers a=1", 200, "{\"id\":1}", 100);
        assert_eq!(
            s.lookup("k", "POST /v1/customers a=1", 200),
            Lookup::Replay(200, "{\"id\":1}".into())
        );
        assert_eq!(
            s.lookup("k", "POST /v1/customers a=2", 200),
            Lookup::Mismatch
        );
        assert_eq!(
            s.lookup("k", "POST /v1/customers a=2", 100 + TTL_SECS),
            Lookup::Fresh
        );
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn validation_failures_are_not_saved_but_card_errors_and_5xx_are() {
        let mut s = Store::default();
        s.save("a", "f", 400, "{}", 1);
        s.save("b", "f", 404, "{}", 1);
        s.save("c", "f", 402, "{}", 1);
        s.save("d", "f", 500, "{}", 1);
        assert_eq!(s.lookup("a", "f", 2), Lookup::Fresh);
        assert_eq!(s.lookup("b", "f", 2), Lookup::Fresh);
        assert_eq!(s.lookup("c", "f", 2), Lookup::Replay(402, "{}".into()));
        assert_eq!(s.lookup("d", "f", 2), Lookup::Replay(500, "{}".into()));
    }
}
