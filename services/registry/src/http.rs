//! Small pieces every registry handler uses: query values, pages, optional bodies,
//! the status mirror.

use nno_core::page::{Page, PageRequest};
use nno_core::platform::PlatformStatus;
use nno_core::ApiError;
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::{respond, ApiResult, RequestContext};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Request};

/// Longest free-text reason (suspension, cancellation) kept.
pub const MAX_REASON: usize = 500;

pub fn query(ctx: &RequestContext, name: &str) -> Option<String> {
    nno_core::urls::query_pairs(&ctx.query, 50)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn page_request(ctx: &RequestContext) -> Result<PageRequest, ApiError> {
    PageRequest::parse(
        query(ctx, "limit").as_deref(),
        query(ctx, "cursor").as_deref(),
    )
}

pub fn ok<T: Serialize>(ctx: &RequestContext, body: &T) -> ApiResult {
    Ok(respond::json(200, body, &ctx.request_id))
}

pub fn created<T: Serialize>(ctx: &RequestContext, body: &T) -> ApiResult {
    Ok(respond::json(201, body, &ctx.request_id))
}

pub fn page<T: Serialize>(ctx: &RequestContext, p: Page<T>) -> ApiResult {
    ok(ctx, &p)
}

/// A JSON body that may be left out entirely (no content type and no length, or an
/// empty one): then `T::default()`.
pub async fn optional_body<T: DeserializeOwned + Default>(
    req: &mut Request,
) -> Result<T, ApiError> {
    let h = req.headers();
    let length = h.get("content-length").ok().flatten();
    let typed = h.get("content-type").ok().flatten().is_some();
    if !typed && length.as_deref().is_none_or(|l| l == "0") {
        return Ok(T::default());
    }
    if length.as_deref() == Some("0") {
        return Ok(T::default());
    }
    read_json(req, DEFAULT_LIMIT).await
}

pub fn check_reason(reason: Option<&str>) -> Result<(), ApiError> {
    match reason {
        Some(r) if r.chars().count() > MAX_REASON => Err(ApiError::invalid(
            "reason",
            "reason must be at most 500 characters",
        )),
        _ => Ok(()),
    }
}

pub fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let len = name.trim().chars().count();
    if len == 0 || len > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            format!("{field} must be 1 to 100 characters, without control characters"),
        ));
    }
    Ok(())
}

/// Mirrors a platform's status into the Platform Status KV the gateway reads. KV is
/// eventually consistent (a change can take up to a minute to be seen everywhere), so
/// the gateway's check is a fast, near-real-time guard and registry stays the truth.
pub async fn mirror_status(
    env: &Env,
    ctx: &RequestContext,
    platform_id: &str,
    status: PlatformStatus,
) {
    let put = async {
        env.kv("PLATFORM_STATUS")?
            .put(platform_id, status.as_str())?
            .execute()
            .await
            .map_err(worker::Error::from)
    };
    if let Err(e) = put.await {
        nno_worker::log::event(
            "error",
            ctx.service.name(),
            "platform status mirror failed",
            serde_json::json!({ "requestId": ctx.request_id, "platformId": platform_id, "status": status, "error": e.to_string() }),
        );
    }
}
