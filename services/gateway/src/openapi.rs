//! `GET /api/v1/openapi.json`: NNO's OpenAPI document, public. It is the committed,
//! generated file of `crates/nno-openapi` (kept current by that crate's tests), compiled
//! in as a static string: nothing is built per request.

use nno_core::{api, ApiError};
use nno_worker::RequestContext;
use worker::{Headers, Response};

pub const PATH: &str = "/api/v1/openapi.json";
const DOCUMENT: &str = include_str!("../../../crates/nno-openapi/openapi.json");

pub fn document(ctx: &RequestContext) -> Result<Response, ApiError> {
    let allowed: Vec<api::Method> = api::GATEWAY
        .iter()
        .filter(|(_, path, _)| *path == PATH)
        .map(|(method, _, _)| *method)
        .collect();
    if !allowed.iter().any(|m| m.as_str() == ctx.method) {
        return Err(ApiError::method_not_allowed(
            &ctx.method,
            &ctx.path,
            &api::allow_header(&allowed),
        ));
    }
    let headers = Headers::new();
    let fail = |_| ApiError::internal();
    headers
        .set("content-type", "application/json; charset=utf-8")
        .map_err(fail)?;
    headers
        .set("cache-control", "public, max-age=300")
        .map_err(fail)?;
    Ok(Response::ok(DOCUMENT).map_err(fail)?.with_headers(headers))
}
