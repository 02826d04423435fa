//! Billing's configuration: where Stripe is and how to authenticate to it (secrets
//! `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` and, while rotating,
//! `STRIPE_WEBHOOK_SECRET_PREVIOUS`; var `STRIPE_API_BASE_URL`).

use nno_core::{ApiError, ErrorCode};
use worker::Env;

pub const STRIPE_API: &str = "https://api.stripe.com";

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .ok()
        .or_else(|| nno_worker::config::var(env, name))
        .filter(|s| !s.trim().is_empty())
}

pub struct StripeConfig {
    pub base: String,
    pub key: String,
    /// Give each new customer its own Stripe test clock (local and test runs, so a
    /// test can move one customer's time). Honoured only with a test-mode key.
    pub test_clocks: bool,
}

pub fn stripe(env: &Env) -> Result<StripeConfig, ApiError> {
    let key = secret(env, "STRIPE_SECRET_KEY").ok_or_else(|| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "billing has no Stripe key (STRIPE_SECRET_KEY)",
        )
    })?;
    let base = nno_worker::config::var(env, "STRIPE_API_BASE_URL")
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| STRIPE_API.into());
    let test_clocks = key.starts_with("sk_test_")
        && nno_worker::config::var(env, "STRIPE_TEST_CLOCKS").as_deref() == Some("true");
    Ok(StripeConfig {
        base: base.trim_end_matches('/').to_string(),
        key,
        test_clocks,
    })
}

/// The webhook endpoint's signing secrets: the current one first.
pub fn webhook_secrets(env: &Env) -> Vec<String> {
    ["STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET_PREVIOUS"]
        .iter()
        .filter_map(|n| secret(env, n))
        .collect()
}

/// The Cloudflare account whose analytics metering reads (vars
/// `CLOUDFLARE_API_BASE_URL`, `CLOUDFLARE_ACCOUNT_ID`; secret `CLOUDFLARE_API_TOKEN`,
/// a token with Account Analytics: Read).
pub struct CloudflareConfig {
    pub base: String,
    pub account: String,
    pub token: String,
}

pub fn cloudflare(env: &Env) -> Result<CloudflareConfig, ApiError> {
    let missing = |what: &str| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("billing cannot meter: {what} is not configured"),
        )
    };
    Ok(CloudflareConfig {
        base: nno_worker::config::var(env, "CLOUDFLARE_API_BASE_URL")
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| "https://api.cloudflare.com/client/v4".into())
            .trim_end_matches('/')
            .to_string(),
        account: secret(env, "CLOUDFLARE_ACCOUNT_ID")
            .ok_or_else(|| missing("CLOUDFLARE_ACCOUNT_ID"))?,
        token: secret(env, "CLOUDFLARE_API_TOKEN")
            .ok_or_else(|| missing("CLOUDFLARE_API_TOKEN"))?,
    })
}
