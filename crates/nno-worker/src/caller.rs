//! Verifying that a request came from the gateway or another NNO service: the signed
//! identity headers (`nno_auth::caller`) under the `NNO_INTERNAL_API_KEY` secret.

use crate::context::RequestContext;
use crate::runtime::now_ms;
use nno_auth::caller::{self, CallerError, IDENTITY_HEADER, SIGNATURE_HEADER};
use nno_core::{ApiError, ErrorCode};
use worker::{web_sys, Env, Headers};

pub const SECRET: &str = "NNO_INTERNAL_API_KEY";

/// The verified identity JSON the caller forwarded.
pub fn verify(headers: &Headers, env: &Env, ctx: &RequestContext) -> Result<String, ApiError> {
    let Ok(key) = env.secret(SECRET).map(|s| s.to_string()) else {
        return Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("{SECRET} is not configured for this service"),
        ));
    };
    let get = |n: &str| headers.get(n).ok().flatten();
    caller::verify(
        key.as_bytes(),
        get(IDENTITY_HEADER).as_deref(),
        get(SIGNATURE_HEADER).as_deref(),
        &ctx.request_id,
        &ctx.method,
        &ctx.path,
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
}

/// Signs `identity_json` for a request to another service and sets both headers on
/// it, replacing whatever identity headers were there.
pub fn attach(
    headers: &web_sys::Headers,
    key: &str,
    identity_json: &str,
    request_id: &str,
    method: &str,
    path: &str,
) {
    let (id, sig) = caller::sign(
        key.as_bytes(),
        identity_json,
        request_id,
        method,
        path,
        now_ms() as i64,
    );
    let _ = headers.set(IDENTITY_HEADER, &id);
    let _ = headers.set(SIGNATURE_HEADER, &sig);
}
