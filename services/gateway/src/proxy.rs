//! Forwarding a request to its upstream through the service binding. The body is
//! streamed, never buffered; only the URL and the tracing headers change.

use nno_core::routing::{upstream_failure, Resolved};
use nno_core::{request_id, trace, ApiError, ErrorCode};
use nno_worker::runtime::random_array;
use nno_worker::{respond, RequestContext};
use serde_json::json;
use worker::wasm_bindgen::JsCast;
use worker::{web_sys, Env, Headers, Request, Response};

pub async fn forward(
    req: Request,
    env: &Env,
    ctx: &RequestContext,
    resolved: &Resolved,
) -> Response {
    let service = resolved.route.service;
    let fail = |code: ErrorCode, message: String| {
        respond::error(
            &ApiError::new(code, message).with_details(json!({ "service": service.name() })),
            &ctx.request_id,
        )
    };
    let Ok(fetcher) = env.service(service.binding()) else {
        return fail(
            ErrorCode::UpstreamUnavailable,
            format!("the {service} service is not bound"),
        );
    };
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(|q| format!("?{q}")));
    // `new Request(url, original)`: the original request is its own init (method,
    // headers, streamed body). Service bindings ignore the host; it only names the upstream in traces.
    let url = format!(
        "https://{}.internal{}{}",
        service.name(),
        resolved.upstream_path,
        query.unwrap_or_default()
    );
    let Ok(upstream) = web_sys::Request::new_with_str_and_init(&url, req.inner().unchecked_ref())
    else {
        return fail(
            ErrorCode::BadRequest,
            "the request could not be forwarded".into(),
        );
    };
    let headers = upstream.headers();
    let _ = headers.set(request_id::HEADER, &ctx.request_id);
    let _ = headers.set(
        trace::HEADER,
        &ctx.trace.child(random_array()).header_value(),
    );

    let response = match fetcher.fetch_request(Request::from(upstream)).await {
        Ok(r) => r,
        Err(_) => {
            return fail(
                ErrorCode::UpstreamUnavailable,
                format!("the {service} service could not be reached"),
            )
        }
    };
    let status = response.status_code();
    let content_type = response.headers().get("content-type").ok().flatten();
    if let Some(code) = upstream_failure(status, content_type.as_deref()) {
        return fail(
            code,
            format!("the {service} service failed (status {status})"),
        );
    }
    // Headers of a fetched response are immutable: copy them into a fresh response.
    let headers = match web_sys::Headers::new_with_headers(&response.headers().0) {
        Ok(h) => Headers(h),
        Err(_) => return fail(ErrorCode::UpstreamError, "invalid upstream headers".into()),
    };
    let (_, body) = response.into_parts();
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .body(body)
}
