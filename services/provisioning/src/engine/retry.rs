//! Transient or permanent, and how long to wait.
//!
//! Transient (retried through the queue with a delay): 429 (waiting at least its
//! `Retry-After`), 408, any 5xx, a deadline that passed, a connection that failed, an
//! answer that is not the API's JSON. Permanent (the job rolls back): every other 4xx.
//! "Already exists" answers never get here: each step turns them into an adoption.

use crate::cloudflare::CfError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Worth another attempt. `retry_after` is the floor Cloudflare asked for (seconds);
    /// `uncertain` says the call may have taken effect (a timeout or 5xx after a
    /// create), which decides whether a later adoption counts as this job's creation.
    Transient {
        retry_after: Option<u64>,
        uncertain: bool,
    },
    /// The account-wide budget had no token: no call was made, try again later without
    /// counting an attempt.
    Deferred {
        after_ms: u64,
    },
    Permanent,
}

pub fn classify(e: &CfError) -> Class {
    match e {
        CfError::Budget { retry_after_ms } => Class::Deferred {
            after_ms: *retry_after_ms,
        },
        CfError::Transport { timed_out } => Class::Transient {
            retry_after: None,
            uncertain: *timed_out,
        },
        CfError::Garbled { status } => Class::Transient {
            retry_after: None,
            uncertain: *status >= 500 || (200..300).contains(status),
        },
        CfError::Api {
            status,
            retry_after,
            ..
        } => match *status {
            429 => Class::Transient {
                retry_after: *retry_after,
                uncertain: false,
            },
            408 => Class::Transient {
                retry_after: *retry_after,
                uncertain: true,
            },
            s if s >= 500 => Class::Transient {
                retry_after: *retry_after,
                uncertain: true,
            },
            _ => Class::Permanent,
        },
        CfError::Config(_) | CfError::Bundle(_) => Class::Permanent,
    }
}

/// Retry schedule: attempt `n` (1-based, the one that just failed) waits about
/// `base * 2^(n-1)`, capped, with "equal jitter" (half fixed, half random) so that
/// jobs failing together do not come back together; never less than `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_ms: u64,
    pub cap_ms: u64,
    /// Attempts per step before the job is dead-lettered.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_ms: 2_000,
            cap_ms: 300_000,
            max_attempts: 8,
        }
    }
}

/// Queue delays are whole seconds, at most 12 hours.
const MAX_QUEUE_DELAY_S: u64 = 43_200;

/// `jitter` in [0, 1) (random bytes from the runtime).
pub fn backoff_seconds(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<u64>,
    jitter: f64,
) -> u32 {
    let exp = attempt.saturating_sub(1).min(40);
    let full = policy
        .base_ms
        .saturating_mul(1u64 << exp)
        .min(policy.cap_ms);
    let jitter = jitter.clamp(0.0, 1.0);
    let ms = full / 2 + ((full / 2) as f64 * jitter) as u64;
    let seconds = ms.div_ceil(1000).max(retry_after.unwrap_or(0));
    seconds.min(MAX_QUEUE_DELAY_S) as u32
}

/// Whether a resource the step adopted (found already there) is this job's own, so
/// that a rollback deletes it: only if an earlier attempt of this step may have
/// created it (it timed out or got a 5xx); otherwise it was there before the job.
pub fn created_by_job(created_now: bool, earlier_attempt_uncertain: bool) -> bool {
    created_now || earlier_attempt_uncertain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, retry_after: Option<u64>) -> CfError {
        CfError::Api {
            status,
            codes: vec![],
            message: String::new(),
            retry_after,
        }
    }

    #[test]
    fn cloudflare_answers_are_classified() {
        assert_eq!(
            classify(&api(429, Some(30))),
            Class::Transient {
                retry_after: Some(30),
                uncertain: false
            }
        );
        for s in [500, 502, 503, 504, 520] {
            assert!(matches!(
                classify(&api(s, None)),
                Class::Transient {
                    uncertain: true,
                    ..
                }
            ));
        }
        for s in [400, 401, 403, 404, 409, 422] {
            assert_eq!(classify(&api(s, None)), Class::Permanent, "{s}");
        }
        assert_eq!(
            classify(&CfError::Transport { timed_out: true }),
            Class::Transient {
                retry_after: None,
                uncertain: true
            }
        );
        assert_eq!(
            classify(&CfError::Transport { timed_out: false }),
            Class::Transient {
                retry_after: None,
                uncertain: false
            }
        );
        assert!(matches!(
            classify(&CfError::Garbled { status: 502 }),
            Class::Transient { .. }
        ));
        assert_eq!(
            classify(&CfError::Budget {
                retry_after_ms: 900
            }),
            Class::Deferred { after_ms: 900 }
        );
        assert_eq!(classify(&CfError::Config("x".into())), Class::Permanent);
    }

    #[test]
    fn backoff_doubles_within_bounds_and_honours_retry_after() {
        let p = RetryPolicy::default();
        // No jitter: half the full delay; full jitter: the full delay.
        assert_eq!(backoff_seconds(&p, 1, None, 0.0), 1);
        assert_eq!(backoff_seconds(&p, 1, None, 0.999), 2);
        assert_eq!(backoff_seconds(&p, 2, None, 0.999), 4);
        assert_eq!(backoff_seconds(&p, 4, None, 0.999), 16);
        // Capped at 5 minutes, whatever the attempt.
        assert_eq!(backoff_seconds(&p, 12, None, 0.999), 300);
        assert_eq!(backoff_seconds(&p, u32::MAX, None, 0.999), 300);
        assert_eq!(backoff_seconds(&p, 12, None, 0.0), 150);
        // Retry-After is a floor.
        assert_eq!(backoff_seconds(&p, 1, Some(60), 0.5), 60);
        assert_eq!(backoff_seconds(&p, 1, Some(999_999), 0.5), 43_200);
        // Monotone in the attempt for a fixed jitter.
        let mut last = 0;
        for a in 1..20 {
            let d = backoff_seconds(&p, a, None, 0.3);
            assert!(d >= last);
            last = d;
        }
    }

    #[test]
    fn adoptions_count_as_created_only_after_an_uncertain_attempt() {
        assert!(created_by_job(true, false));
        assert!(created_by_job(false, true));
        assert!(!created_by_job(false, false));
    }
}
