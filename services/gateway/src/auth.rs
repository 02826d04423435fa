//! Who is calling: the service key (`Authorization: Bearer <AUTH_API_KEY>`, compared in
//! constant time), a user session (the session cookie, or a bearer token that is not
//! the service key, validated by IAM through its binding), or nobody, which only the
//! public paths (`nno_core::access::is_public`) accept; or an API key (`nno_…` as a
//! bearer token), verified by IAM on every request so that revocation is immediate.
//! Keys of the wrong shape are refused without any lookup, and an IP that keeps
//! presenting unknown keys is throttled before its next key reaches IAM.

use crate::config::GatewayConfig;
use crate::limiter::{self, Refusal};
use crate::session_cache;
use nno_auth::apikey;
use nno_auth::ct::secrets_equal;
use nno_core::access::{bearer, is_public};
use nno_core::identity;
use nno_core::ratelimit::{self, Rule};
use nno_core::{ApiError, ErrorCode, Service};
use nno_worker::client::ServiceClient;
use nno_worker::RequestContext;
use serde_json::{json, Value};
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

fn refused(e: ApiError) -> Refusal {
    (e, Vec::new())
}

pub async fn authenticate(
    headers: &web_sys::Headers,
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
    ip: &str,
) -> Result<Identity, Refusal> {
    let authorization = headers.get("authorization").ok().flatten();
    let token = authorization.as_deref().and_then(bearer);
    if let (Some(t), Some(key)) = (token, config.auth_api_key.as_deref()) {
        if secrets_equal(t.as_bytes(), key.as_bytes()) {
            return Ok(Identity::Service);
        }
    }
    if let Some(t) = token.filter(|t| t.starts_with(apikey::PREFIX)) {
        return api_key(t, env, ctx, config, ip).await;
    }
    let cookie = headers
        .get("cookie")
        .ok()
        .flatten()
        .filter(|c| c.contains(nno_auth::session::COOKIE_NAME));
    let public = is_public(&ctx.path);
    if token.is_none() && cookie.is_none() {
        return if public {
            Ok(Identity::Anonymous)
        } else {
            Err(refused(ApiError::new(
                ErrorCode::Unauthorized,
                "authentication required: send a session or Authorization: Bearer <token>",
            )))
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
            let fresh = session(authorization, cookie, env, ctx, config)
                .await
                .map_err(refused)?;
            if let (Some(k), Some(identity), false) = (cache_key, &fresh, changes_itself) {
                session_cache::put(k, identity.clone(), now);
            }
            fresh
        }
    };
    match found {
        Some(identity) => {
            if cookie.is_some() {
                check_origin(headers, &ctx.method, config).map_err(refused)?;
            }
            Ok(identity)
        }
        // A stale or foreign token must not stop anyone from signing in.
        None if public => Ok(Identity::Anonymous),
        None => Err(refused(ApiError::new(
            ErrorCode::Unauthorized,
            "invalid or expired credentials",
        ))),
    }
}

/// Whether the request may change its own session (a write to IAM's auth endpoints).
pub fn changes_itself(ctx: &RequestContext) -> bool {
    ctx.method != "GET" && ctx.path.starts_with("/api/v1/iam/auth/")
}

/// The session cache entry a request that changes its own session must drop once IAM
/// has answered it.
pub fn session_to_forget(headers: &web_sys::Headers, ctx: &RequestContext) -> Option<String> {
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

/// An API key: shape check, then the per-IP failure budget, then IAM.
async fn api_key(
    key: &str,
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
    ip: &str,
) -> Result<Identity, Refusal> {
    let invalid = || {
        refused(ApiError::new(
            ErrorCode::Unauthorized,
            "invalid, expired or revoked API key",
        ))
    };
    if !apikey::looks_like_key(key) {
        return Err(invalid());
    }
    let bad_key = format!("ip:{ip}");
    limiter::peek(env, &ratelimit::BAD_KEY, &bad_key).await?;
    let iam = ServiceClient::new(env, Service::Iam).map_err(refused)?;
    let body = json!({ "key": key }).to_string();
    let mut resp = iam
        .send_as(
            ctx,
            Method::Post,
            "/api/nno/apikey/verify",
            Some(body),
            Some((internal_key(config).map_err(refused)?, INTERNAL)),
            Headers::new(),
        )
        .await
        .map_err(refused)?;
    match resp.status_code() {
        200 => {}
        401 => {
            // Count the failure; the next attempt from this IP may be refused before it
            // costs a lookup.
            let _ = limiter::check(env, &ratelimit::BAD_KEY, &bad_key).await;
            return Err(invalid());
        }
        status => {
            return Err(refused(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("API key check failed (IAM answered {status})"),
            )))
        }
    }
    let v: Value = resp.json().await.map_err(|_| {
        refused(ApiError::new(
            ErrorCode::UpstreamError,
            "IAM sent an unreadable key identity",
        ))
    })?;
    let key_id = v["keyId"].as_str().unwrap_or_default().to_string();
    let limit = ratelimit::key_rule(
        v["rateLimit"]["max"]
            .as_u64()
            .unwrap_or(0)
            .min(u32::MAX as u64) as u32,
        v["rateLimit"]["windowMs"].as_u64().unwrap_or(60_000),
    );
    let forwarded = identity::Identity::Apikey {
        platform_id: v["platformId"].as_str().map(str::to_string),
        key_id: key_id.clone(),
        user_id: v["userId"].as_str().unwrap_or_default().to_string(),
        org_id: v["orgId"].as_str().map(str::to_string),
        permissions: v["permissions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok(Identity::Key {
        key_id,
        json: forwarded.to_json(),
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
    let mut resp = iam
        .send_as(
            ctx,
            Method::Get,
            "/api/nno/session",
            None,
            Some((key, INTERNAL)),
            headers,
        )
        .await?;
    match resp.status_code() {
        200 => {}
        401 => return Ok(None),
        status => {
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("session check failed (IAM answered {status})"),
            ))
        }
    }
    let v: Value = resp
        .json()
        .await
        .map_err(|_| ApiError::new(ErrorCode::UpstreamError, "IAM sent an unreadable session"))?;
    let text = |v: &Value| v.as_str().map(str::to_string);
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let forwarded = identity::Identity::Session {
        platform_id: text(&v["platformId"]),
        user_id: text(&v["user"]["id"]).unwrap_or_default(),
        email: text(&v["user"]["email"]),
        platform_role: text(&v["platformRole"]),
        session_id: text(&v["session"]["id"]),
        tenant_id: text(&v["tenant"]["id"]),
        tenant_role: text(&v["tenant"]["role"]),
        permissions: list(&v["permissions"]),
    };
    let user_id = v["user"]["id"].as_str().unwrap_or_default().to_string();
    Ok(Some(Identity::User {
        user_id,
        json: forwarded.to_json(),
    }))
}
