//! Probabilistic failures for fault tests: a fraction `rate` of Cloudflare API calls
//! fail with one of `kinds`. A failed call changes nothing, except `5xx-after-write`,
//! where the operation runs and its answer is replaced by a 500 (the nasty real case:
//! the client must find and adopt what its "failed" call created).

use super::envelope::{err, CfReply};
use super::{injected, Next};
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    ServerError,
    RateLimited,
    Timeout,
    ServerErrorAfterWrite,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "5xx" => Kind::ServerError,
            "429" => Kind::RateLimited,
            "timeout" => Kind::Timeout,
            "5xx-after-write" => Kind::ServerErrorAfterWrite,
            _ => return None,
        })
    }
    fn name(self) -> &'static str {
        match self {
            Kind::ServerError => "5xx",
            Kind::RateLimited => "429",
            Kind::Timeout => "timeout",
            Kind::ServerErrorAfterWrite => "5xx-after-write",
        }
    }
}

pub struct Chaos {
    pub rate: f64,
    pub kinds: Vec<Kind>,
    pub timeout: Duration,
    pub seed: u64,
    rng: u64,
    pub injected: u64,
}

impl Chaos {
    /// From `{rate, kinds?, timeoutMs?, seed?}`; kinds default to `["5xx"]`.
    pub fn from_json(v: &Value) -> Result<Chaos, String> {
        let rate = v["rate"].as_f64().ok_or("rate (0..1) is required")?;
        if !(0.0..=1.0).contains(&rate) {
            return Err("rate must be between 0 and 1".into());
        }
        let kinds = match v.get("kinds") {
            None | Some(Value::Null) => vec![Kind::ServerError],
            Some(Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|k| {
                    k.as_str().and_then(Kind::parse).ok_or(format!(
                        "unknown kind {k}: use 5xx, 429, timeout, 5xx-after-write"
                    ))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("kinds must be a non-empty array".into()),
        };
        let seed = v["seed"].as_u64().unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
        Ok(Chaos {
            rate,
            kinds,
            timeout: Duration::from_millis(v["timeoutMs"].as_u64().unwrap_or(12_000).min(120_000)),
            seed,
            rng: seed,
            injected: 0,
        })
    }

    pub fn to_json(&self) -> Value {
        json!({
            "rate": self.rate,
            "kinds": self.kinds.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "timeoutMs": self.timeout.as_millis() as u64,
            "seed": self.seed,
            "injected": self.injected,
        })
    }

    /// splitmix64: deterministic for a given seed, so a failing run can be replayed.
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Whether this call fails, how, and with which 5xx status (500, 502 or 503).
    pub fn roll(&mut self) -> Option<(Kind, u16)> {
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        if x >= self.rate {
            return None;
        }
        let pick = self.next() % self.kinds.len() as u64;
        let k = self.kinds[pick as usize];
        let status = [500u16, 502, 503][(self.next() % 3) as usize];
        self.injected += 1;
        Some((k, status))
    }
}

pub fn outcome(kind: Kind, status: u16, timeout: Duration, wait: Duration, method: &str) -> Next {
    match kind {
        Kind::ServerError => Next::Answer {
            wait,
            reply: injected(status),
        },
        Kind::RateLimited => Next::Answer {
            wait,
            reply: injected(429),
        },
        Kind::Timeout => Next::Answer {
            wait: wait + timeout,
            reply: timed_out(),
        },
        Kind::ServerErrorAfterWrite if method != "GET" => Next::Run {
            wait,
            fail: Some(injected(status)),
        },
        Kind::ServerErrorAfterWrite => Next::Answer {
            wait,
            reply: injected(status),
        },
    }
}

fn timed_out() -> CfReply {
    err(504, 10001, "Gateway timeout (sandbox: injected timeout)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_roughly_honoured_and_seeded_runs_repeat() {
        let cfg = json!({ "rate": 0.3, "kinds": ["5xx", "429"], "seed": 7 });
        let mut a = Chaos::from_json(&cfg).expect("valid");
        let mut b = Chaos::from_json(&cfg).expect("valid");
        let rolls: Vec<_> = (0..2000).map(|_| a.roll()).collect();
        assert_eq!(rolls, (0..2000).map(|_| b.roll()).collect::<Vec<_>>());
        let failed = rolls.iter().filter(|r| r.is_some()).count();
        assert!((500..700).contains(&failed), "{failed}");
        assert!(rolls
            .iter()
            .any(|r| matches!(r, Some((Kind::RateLimited, _)))));
        assert!(Chaos::from_json(&json!({ "rate": 2 })).is_err());
        assert!(Chaos::from_json(&json!({ "rate": 0.1, "kinds": ["boom"] })).is_err());
    }
}
