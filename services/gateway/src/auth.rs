//! Who is calling: the service key (`Authorization: Bearer <AUTH_API_KEY>`, compared in
//! constant time), a user session (the session cookie, or a bearer token that is not
//! the service key, validated by IAM through its binding), or nobody, which only the
//! public paths (`nno_core::api::policy`) accept; or an API key (`nno_…` as a
//! bearer token), verified by IAM on every request so that revocation is immediate.
//! Keys of the wrong shape are refused without any lookup, and an IP that keeps
//! presenting unknown keys gets 429 for its unknown keys (its valid keys still pass).

use crate::config::GatewayConfig;
use crate::limiter;
use crate::session_cache;
use nno_auth::apikey;
use nno_auth::ct::secrets_equal;
use nno_core::access::bearer;
use nno_core::contracts::{KeyVerifyAnswer, KeyVerifyRequest, SessionAnswer};
use nno_core::identity;
use nno_core::ratelimit::{self, Rule};
use nno_core::{ApiError, ErrorCode, Service};
use nno_worker::client::ServiceClient;
use nno_worker::RequestContext;
use worker::{web_sys, Env, Headers, Method};

/// The identity of the gateway's own calls to IAM (session and key checks): never one a
/// client request is forwarded with, so IAM can keep those endpoints to the gateway.
const INTERNAL: &str = identity::INTERNAL_JSON;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    Service,
    /// A signed-in user; the JSON IAM vouched for.
    User {
        user_id: String,
        json: String,
    },
    /// An API key, with its own rate limit.
    Key {
        key_id: String,
        json: String,
        limit: Rule,
    },
}

impl Identity {
    /// What upstreams receive, signed, in `x-nno-identity`.
    pub fn json(&self) -> &str {
        match self {
            Identity::Anonymous => identity::NONE_JSON,
            Identity::Service => identity::SERVICE_JSON,
            Identity::User { json, .. } | Identity::Key { json, .. } => json,
        }
    }
}

/// Whether the request carries the service key (compared in constant time).
pub fn is_service_key(headers: &web_sys::Headers, config: &GatewayConfig) -> bool {
    let authorization = headers.get("authorization").ok().flatten();
    match (
        authorization.as_deref().and_then(bearer),
        config.auth_api_key.as_deref(),
    ) {
        (Some(t), Some(key)) => secrets_equal(t.as_bytes(), key.as_bytes()),
        _ => false,
    }
}

pub async fn authenticate(
    headers: &web_sys::Headers,
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
    ip: impl Fn() -> String,
    public: bool,
) -> Result<Identity, ApiError> {
    let authorization = headers.get("authorization").ok().flatten();
    let token = authorization.as_deref().and_then(bearer);
    if let (Some(t), Some(key)) = (token, config.auth_api_key.as_deref()) {
        if secrets_equal(t.as_bytes(), key.as_bytes()) {
            return Ok(Identity::Service);
        }
    }
    if let Some(t) = token.filter(|t| t.starts_with(apikey::PREFIX)) {
        return api_key(t, env, ctx, config, &ip()).await;
    }
    let cookie = headers
        .get("cookie")
        .ok()
        .flatten()
        .filter(|c| c.contains(nno_auth::session::COOKIE_NAME));
    if token.is_none() && cookie.is_none() {
        return if public {
            Ok(Identity::Anonymous)
        } else {
            Err(unauthorized(
                "authentication required: send a session or Authorization: Bearer <token>",
            ))
        };
    }
    // A bearer token wins over a cookie; only a cookie-borne session is exposed to
    // cross-site request forgery, so only it gets the Origin check.
    let (authorization, cookie) = match token {
        Some(_) => (authorization.as_deref(), None),
        None => (None, cookie.as_deref()),
    };
    // A session writing to IAM's auth endpoints may be changing itself (sign-out,
    // set-active, password): it is looked up afresh, and its cached identity dropped.
    let cache_key = session_cache::key(authorization, cookie);
    let changes_itself = changes_itself(ctx);
    let now = nno_worker::runtime::now_ms();
    let cached = match (&cache_key, changes_itself) {
        (Some(k), true) => {
            session_cache::forget(k);
            None
        }
        (Some(k), false) => session_cache::get(k, now),
        (None, _) => None,
    };
    let found = match cached {
        Some(identity) => Some(identity),
        None => {
            let fresh = session(authorization, cookie, env, ctx, config).await?;
            if let (Some(k), Some(identity), false) = (cache_key, &fresh, changes_itself) {
                session_cache::put(k, identity.clone(), now);
            }
            fresh
        }
    };
    match found {
        Some(identity) => {
            if cookie.is_some() {
                check_origin(headers, &ctx.method, config)?;
            }
            Ok(identity)
        }
        // A stale or foreign token must not stop anyone from signing in.
        None if public => Ok(Identity::Anonymous),
        None => Err(unauthorized("invalid or expired credentials")),
    }
}

/// 401 with the challenge that names the scheme to use.
fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message).with_header("www-authenticate", "Bearer")
}

/// Whether the request may change its own session (a write to IAM's auth endpoints).
pub fn changes_itself(ctx: &RequestContext) -> bool {
    ctx.method != "GET" && ctx.path.starts_with("/api/v1/iam/auth/")
}

/// The session cache entry a request that changes its own session must drop once IAM
/// has answered it.
pub fn session_to_forget(
    headers: &web_sys::Headers,
    ctx: &RequestContext,
) -> Option<session_cache::Key> {
    if !changes_itself(ctx) {
        return None;
    }
    let get = |name: &str| headers.get(name).ok().flatten();
    session_cache::key(get("authorization").as_deref(), get("cookie").as_deref())
}

fn internal_key(config: &GatewayConfig) -> Result<&str, ApiError> {
    config.internal_key.as_deref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "NNO_INTERNAL_API_KEY is not configured on the gateway",
        )
    })
}

/// An API key: shape check, then IAM; a key IAM does not know counts against the
/// caller IP's failure budget. A valid key always passes, even from an IP over its
/// budget (guessing keys must not lock out the valid keys of everyone behind that
/// address); over the budget an unknown key gets the 429. The lookup an unknown key
/// costs is one indexed read, and 160-bit keys cannot be guessed.
async fn api_key(
    key: &str,
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
    ip: &str,
) -> Result<Identity, ApiError> {
    let invalid = || unauthorized("invalid, expired or revoked API key");
    if !apikey::looks_like_key(key) {
        return Err(invalid());
    }
    let iam = ServiceClient::new(env, Service::Iam)?;
    let asked = iam
        .call::<_, KeyVerifyAnswer>(
            ctx,
            Method::Post,
            "/api/nno/apikey/verify",
            Some(&KeyVerifyRequest { key: key.into() }),
            Some((internal_key(config)?, INTERNAL)),
            Headers::new(),
        )
        .await;
    let answer = match asked {
        Ok(a) => a,
        Err(e) if e.code == ErrorCode::Unauthorized => {
            // Count the failure: within the budget the caller learns the key is wrong,
            // beyond it that it should stop (429, with Retry-After).
            limiter::check(env, &ratelimit::BAD_KEY, &format!("ip:{ip}")).await?;
            return Err(invalid());
        }
        Err(e) if e.code == ErrorCode::UpstreamError => return Err(e),
        Err(e) => {
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("API key check failed (IAM answered {})", e.status()),
            )
            .with_cause(e.message))
        }
    };
    let limit = ratelimit::key_rule(answer.rate_limit.max, answer.rate_limit.window_ms);
    Ok(Identity::Key {
        json: answer.identity().to_json(),
        key_id: answer.key_id,
        limit,
    })
}

/// A cookie-authenticated request that changes state must come from a trusted origin
/// of this environment (its CORS list): browsers always send `Origin` on such requests,
/// and a non-browser client has no business using the cookie instead of a bearer token.
fn check_origin(
    headers: &web_sys::Headers,
    method: &str,
    config: &GatewayConfig,
) -> Result<(), ApiError> {
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return Ok(());
    }
    match headers.get("origin").ok().flatten() {
        Some(origin) if config.cors.allows(&origin) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "cookie-authenticated requests that change state must come from a trusted origin",
        )),
    }
}

/// Asks IAM whose session this is. `None` when IAM says there is none.
async fn session(
    authorization: Option<&str>,
    cookie: Option<&str>,
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
) -> Result<Option<Identity>, ApiError> {
    let key = internal_key(config)?;
    let headers = Headers::new();
    if let Some(a) = authorization {
        let _ = headers.set("authorization", a);
    }
    if let Some(c) = cookie {
        let _ = headers.set("cookie", c);
    }
    let iam = ServiceClient::new(env, Service::Iam)?;
    let asked = iam
        .call::<(), SessionAnswer>(
            ctx,
            Method::Get,
            "/api/nno/session",
            None,
            Some((key, INTERNAL)),
            headers,
        )
        .await;
    let answer = match asked {
        Ok(a) => a,
        Err(e) if e.code == ErrorCode::Unauthorized => return Ok(None),
        Err(e) if e.code == ErrorCode::UpstreamError => return Err(e),
        Err(e) => {
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("session check failed (IAM answered {})", e.status()),
            )
            .with_cause(e.message))
        }
    };
    Ok(Some(Identity::User {
        json: answer.identity().to_json(),
        user_id: answer.user.id,
    }))
}
