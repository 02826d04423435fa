//! Who is calling: the service key (`Authorization: Bearer <AUTH_API_KEY>`, compared in
//! constant time), a user session (the session cookie, or a bearer token that is not
//! the service key, validated by IAM through its binding), or nobody, which only the
//! public paths (`nno_core::access::is_public`) accept. API keys come with the IAM
//! issue's `/api/nno/apikey`.

use crate::config::GatewayConfig;
use nno_auth::ct::secrets_equal;
use nno_core::access::{bearer, is_public};
use nno_core::{ApiError, ErrorCode, Service};
use nno_worker::client::ServiceClient;
use nno_worker::RequestContext;
use serde_json::{json, Value};
use worker::{web_sys, Env, Headers, Method};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    Service,
    /// A signed-in user; the JSON IAM vouched for.
    User {
        user_id: String,
        json: String,
    },
}

impl Identity {
    /// What upstreams receive, signed, in `x-nno-identity`.
    pub fn json(&self) -> &str {
        match self {
            Identity::Anonymous => r#"{"auth":"none"}"#,
            Identity::Service => r#"{"auth":"service"}"#,
            Identity::User { json, .. } => json,
        }
    }
}

pub async fn authenticate(
    headers: &web_sys::Headers,
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
) -> Result<Identity, ApiError> {
    let authorization = headers.get("authorization").ok().flatten();
    let token = authorization.as_deref().and_then(bearer);
    if let (Some(t), Some(key)) = (token, config.auth_api_key.as_deref()) {
        if secrets_equal(t.as_bytes(), key.as_bytes()) {
            return Ok(Identity::Service);
        }
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
            Err(ApiError::new(
                ErrorCode::Unauthorized,
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
    match session(authorization, cookie, env, ctx, config).await? {
        Some(identity) => {
            if cookie.is_some() {
                check_origin(headers, &ctx.method, config)?;
            }
            Ok(identity)
        }
        // A stale or foreign token must not stop anyone from signing in.
        None if public => Ok(Identity::Anonymous),
        None => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "invalid or expired credentials",
        )),
    }
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
    let key = config.internal_key.as_deref().ok_or_else(|| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "NNO_INTERNAL_API_KEY is not configured on the gateway",
        )
    })?;
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
            Some((key, Identity::Anonymous.json())),
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
    let identity = json!({
        "auth": "session",
        "userId": v["user"]["id"],
        "email": v["user"]["email"],
        "platformRole": v["platformRole"],
        "sessionId": v["session"]["id"],
        "activeTenantId": v["session"]["activeOrganizationId"],
    });
    let user_id = v["user"]["id"].as_str().unwrap_or_default().to_string();
    Ok(Some(Identity::User {
        user_id,
        json: identity.to_string(),
    }))
}
