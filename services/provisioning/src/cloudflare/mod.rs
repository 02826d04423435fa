//! A typed client for the Cloudflare API v4 subset provisioning uses
//! (`reference/cloudflare-api.md`): D1, Workers scripts, secrets and custom domains,
//! custom hostnames. Every call first takes a token from the account-wide budget
//! (`budget`); without one it fails with `CfError::Budget` and makes no request.
//!
//! Configuration: `CLOUDFLARE_API_BASE_URL` (default the real API), `CLOUDFLARE_ACCOUNT_ID`,
//! `CLOUDFLARE_ZONE_ID` (vars), `CLOUDFLARE_API_TOKEN` (secret), `CF_TIMEOUT_MS`.

mod d1;
mod hostnames;
mod http;
pub mod wire;
pub mod workers;

use std::cell::Cell;
use std::fmt;
use worker::Env;

pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

/// What went wrong with a call. `Display` is what a job's `lastError` shows: the
/// status and Cloudflare's codes and messages, never the token.
#[derive(Debug, Clone, PartialEq)]
pub enum CfError {
    /// Cloudflare answered with an error envelope (or a non-JSON error status).
    Api {
        status: u16,
        codes: Vec<u32>,
        message: String,
        retry_after: Option<u64>,
    },
    /// No answer: the deadline passed or the connection failed.
    Transport { timed_out: bool },
    /// A 2xx that is not the API's JSON.
    Garbled { status: u16 },
    /// The budget had no token; nothing was sent.
    Budget { retry_after_ms: u64 },
    /// This deployment lacks a setting (account id, token).
    Config(String),
    /// The auth Worker's bundle is not available.
    Bundle(String),
}

impl CfError {
    pub fn has_code(&self, code: u32) -> bool {
        matches!(self, CfError::Api { codes, .. } if codes.contains(&code))
    }

    /// D1 ran the query and its SQL failed: 400 `7500`, or a 2xx with a statement
    /// that reports `success: false`.
    pub fn is_failed_query(&self) -> bool {
        match self {
            CfError::Api { status: 200, .. } => true,
            CfError::Api { status: 400, .. } => self.has_code(wire::D1_QUERY_FAILED),
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, CfError::Api { status: 404, .. })
    }
}

impl fmt::Display for CfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CfError::Api {
                status,
                codes,
                message,
                ..
            } => write!(f, "Cloudflare API {status} {codes:?}: {message}"),
            CfError::Transport { timed_out: true } => {
                f.write_str("Cloudflare API did not answer in time")
            }
            CfError::Transport { timed_out: false } => {
                f.write_str("Cloudflare API could not be reached")
            }
            CfError::Garbled { status } => write!(f, "Cloudflare API {status}: answer is not JSON"),
            CfError::Budget { retry_after_ms } => {
                write!(f, "Cloudflare API budget exhausted for {retry_after_ms} ms")
            }
            CfError::Config(what) => write!(f, "configuration: {what}"),
            CfError::Bundle(what) => write!(f, "auth bundle: {what}"),
        }
    }
}

pub type CfResult<T> = Result<T, CfError>;

pub struct Cloudflare {
    env: Env,
    base: String,
    pub account_id: String,
    pub zone_id: String,
    token: String,
    timeout_ms: u32,
    /// Calls sent (for the job's log line).
    calls: Cell<u32>,
}

impl Cloudflare {
    pub fn from_env(env: &Env) -> CfResult<Cloudflare> {
        let var = |n: &str| nno_worker::config::var(env, n).filter(|v| !v.is_empty());
        let account_id = var("CLOUDFLARE_ACCOUNT_ID")
            .ok_or_else(|| CfError::Config("CLOUDFLARE_ACCOUNT_ID is not set".into()))?;
        let zone_id = var("CLOUDFLARE_ZONE_ID")
            .ok_or_else(|| CfError::Config("CLOUDFLARE_ZONE_ID is not set".into()))?;
        let token = env
            .secret("CLOUDFLARE_API_TOKEN")
            .map(|s| s.to_string())
            .ok()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| CfError::Config("CLOUDFLARE_API_TOKEN is not set".into()))?;
        Ok(Cloudflare {
            env: env.clone(),
            base: var("CLOUDFLARE_API_BASE_URL")
                .unwrap_or_else(|| DEFAULT_BASE_URL.into())
                .trim_end_matches('/')
                .to_string(),
            account_id,
            zone_id,
            token,
            timeout_ms: var("CF_TIMEOUT_MS")
                .and_then(|v| v.parse().ok())
                .unwrap_or(nno_worker::outbound::DEFAULT_TIMEOUT_MS),
            calls: Cell::new(0),
        })
    }

    pub fn calls(&self) -> u32 {
        self.calls.get()
    }

    fn account(&self, rest: &str) -> String {
        format!("/accounts/{}/{rest}", self.account_id)
    }

    fn zone(&self, rest: &str) -> String {
        format!("/zones/{}/{rest}", self.zone_id)
    }
}
