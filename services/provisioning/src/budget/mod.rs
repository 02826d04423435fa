//! One Cloudflare API budget for the whole account: a single Durable Object
//! (`CloudflareBudget`, named `account`) that every call of every job asks for a token
//! first. Cloudflare allows 1,200 requests per 5 minutes per token and then refuses
//! every call for 5 minutes; with the budget, a burst of jobs slows down (each step
//! that gets no token is deferred through a queue delay) instead of tripping the block.
//!
//! Limit and window: vars `CF_BUDGET_LIMIT` (default 1100: Cloudflare's 1,200 are shared
//! with the dashboard and deploys on the same account, so NNO leaves them room) and
//! `CF_BUDGET_WINDOW_MS` (default 300000), small in local tests.

mod object;
pub mod window;

pub use object::CloudflareBudget;

use crate::cloudflare::CfError;
use serde::{Deserialize, Serialize};
use worker::{Env, Method, Request, RequestInit};

pub const BINDING: &str = "CF_BUDGET";
const NAME: &str = "account";
pub const DEFAULT_LIMIT: u32 = 1100;
pub const DEFAULT_WINDOW_MS: u64 = 300_000;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeRequest {
    pub limit: u32,
    pub window_ms: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeAnswer {
    pub granted: bool,
    pub retry_after_ms: u64,
}

fn settings(env: &Env) -> TakeRequest {
    let var = |n: &str| nno_worker::config::var(env, n).and_then(|v| v.parse::<u64>().ok());
    TakeRequest {
        limit: var("CF_BUDGET_LIMIT")
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(DEFAULT_LIMIT),
        window_ms: var("CF_BUDGET_WINDOW_MS").unwrap_or(DEFAULT_WINDOW_MS),
    }
}

async fn ask(env: &Env, path: &str, body: String) -> Result<TakeAnswer, String> {
    let stub = env
        .durable_object(BINDING)
        .and_then(|ns| ns.get_by_name(NAME))
        .map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init(&format!("https://budget{path}"), &init)
        .map_err(|e| e.to_string())?;
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|e| e.to_string())?;
    resp.json::<TakeAnswer>().await.map_err(|e| e.to_string())
}

/// One token, or `CfError::Budget` with how long until one frees up. If the budget
/// object cannot be reached the call is deferred too: failing open could trip
/// Cloudflare's 5-minute block for every job.
pub async fn take(env: &Env) -> Result<(), CfError> {
    let body = serde_json::to_string(&settings(env)).unwrap_or_default();
    match ask(env, "/take", body).await {
        Ok(a) if a.granted => Ok(()),
        Ok(a) => Err(CfError::Budget {
            retry_after_ms: a.retry_after_ms,
        }),
        Err(e) => {
            nno_worker::log::event(
                "error",
                "provisioning",
                "cloudflare budget unreachable",
                serde_json::json!({ "error": e }),
            );
            Err(CfError::Budget {
                retry_after_ms: 5_000,
            })
        }
    }
}

/// Cloudflare answered 429: no token for anyone for `seconds`.
pub async fn block(env: &Env, seconds: u64) {
    let body = serde_json::json!({ "forMs": seconds.saturating_mul(1000) }).to_string();
    let _ = ask(env, "/block", body).await;
}
