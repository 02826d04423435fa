//! Provisioning's tunables, from `[vars]` (small values in local tests).

use crate::engine::RetryPolicy;
use worker::Env;

fn num(env: &Env, name: &str) -> Option<u64> {
    nno_worker::config::var(env, name).and_then(|v| v.trim().parse().ok())
}

/// `RETRY_BASE_MS` (2000), `RETRY_CAP_MS` (300000), `MAX_STEP_ATTEMPTS` (8).
pub fn retry_policy(env: &Env) -> RetryPolicy {
    let d = RetryPolicy::default();
    RetryPolicy {
        base_ms: num(env, "RETRY_BASE_MS").unwrap_or(d.base_ms),
        cap_ms: num(env, "RETRY_CAP_MS").unwrap_or(d.cap_ms),
        max_attempts: num(env, "MAX_STEP_ATTEMPTS")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(d.max_attempts)
            .max(1),
    }
}

/// `SSL_POLL_INTERVAL_SECONDS`: 900 deployed, 1 locally.
pub fn ssl_poll_interval(env: &Env) -> u32 {
    num(env, "SSL_POLL_INTERVAL_SECONDS")
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(900)
        .max(1)
}

/// `SSL_POLL_MAX_ROUNDS` (96: a day at 15 minutes); the cron keeps polling after.
pub fn ssl_poll_rounds(env: &Env) -> u32 {
    num(env, "SSL_POLL_MAX_ROUNDS")
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(96)
}

/// How long a consumer holds a step: longer than any step can take (the migration
/// step makes up to seven calls with a 10 s deadline each).
pub const STEP_LEASE_MS: i64 = 120_000;
