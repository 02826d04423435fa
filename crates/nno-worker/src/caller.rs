//! Verifying that a request came from the gateway or another NNO service: the signed
//! identity headers (`nno_auth::caller`) under the `NNO_INTERNAL_API_KEY` secret.

use crate::context::RequestContext;
use crate::runtime::now_ms;
pub use nno_auth::caller::Bound;
use nno_auth::caller::{self, CallerError, IDENTITY_HEADER, SIGNATURE_HEADER};
use nno_core::identity::Identity;
use nno_core::{ApiError, ErrorCode};
use worker::{web_sys, Env, Headers};

pub const SECRET: &str = "NNO_INTERNAL_API_KEY";

/// The internal key, for a service that vouches for its own calls to another
/// (`Identity::Internal`); 503 when this deployment has none.
pub fn internal_key(env: &Env) -> Result<String, ApiError> {
    env.secret(SECRET).map(|s| s.to_string()).map_err(|_| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "NNO_INTERNAL_API_KEY is not configured",
        )
    })
}

/// The verified identity the caller forwarded. A valid signature over an identity
/// that does not parse is a caller bug, refused like a forgery.
pub fn verify(headers: &Headers, env: &Env, ctx: &RequestContext) -> Result<Identity, ApiError> {
    let Ok(key) = env.secret(SECRET).map(|s| s.to_string()) else {
        return Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("{SECRET} is not configured for this service"),
        ));
    };
    let get = |n: &str| headers.get(n).ok().flatten();
    let target = target(&ctx.path, Some(ctx.query.as_str()));
    let bound = Bound {
        request_id: &ctx.request_id,
        service: ctx.service.name(),
        method: &ctx.method,
        target: &target,
    };
    caller::verify(
        key.as_bytes(),
        get(IDENTITY_HEADER).as_deref(),
        get(SIGNATURE_HEADER).as_deref(),
        &bound,
        now_ms() as i64,
    )
    .map_err(|e| {
        let why = match e {
            CallerError::Missing => "this service only accepts requests through the NNO gateway",
            CallerError::Expired => "the caller signature has expired",
            CallerError::Malformed | CallerError::Invalid => "the caller signature is not valid",
        };
        ApiError::new(ErrorCode::Unauthorized, why)
    })
    .and_then(|json| {
        Identity::from_json(&json).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "the forwarded identity is not valid",
            )
        })
    })
}

/// What a signature covers of the URL: the path, and the query string if there is one.
pub fn target(path: &str, query: Option<&str>) -> String {
    match query.filter(|q| !q.is_empty()) {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    }
}

/// Signs `identity_json` for a request to another service and sets both headers on
/// it, replacing whatever identity headers were there.
pub fn attach(headers: &web_sys::Headers, key: &str, identity_json: &str, bound: &Bound) {
    let (id, sig) = caller::sign(key.as_bytes(), identity_json, bound, now_ms() as i64);
    let _ = headers.set(IDENTITY_HEADER, &id);
    let _ = headers.set(SIGNATURE_HEADER, &sig);
}
