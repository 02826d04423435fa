//! Building responses: JSON bodies and the error envelope, always with the request id.

use nno_core::{request_id, ApiError};
use serde::Serialize;
use worker::{Headers, Response};

/// A JSON response with `status`. Serialisation failures become a 500 envelope.
pub fn json<T: Serialize>(status: u16, body: &T, request_id: &str) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => raw_json(status, text, request_id),
        Err(_) => error(&ApiError::internal(), request_id),
    }
}

/// The error envelope for `err`, with the headers it carries.
pub fn error(err: &ApiError, request_id: &str) -> Response {
    with_headers(
        err,
        raw_json(err.status(), err.to_json(request_id), request_id),
    )
}

/// The envelope plus Better Auth's top-level `code`/`message` (IAM's `/api/auth/*`).
pub fn error_compat(err: &ApiError, request_id: &str) -> Response {
    with_headers(
        err,
        raw_json(err.status(), err.to_json_compat(request_id), request_id),
    )
}

fn with_headers(err: &ApiError, mut r: Response) -> Response {
    for (name, value) in &err.headers {
        let _ = r.headers_mut().set(name, value);
    }
    // Every 401 names the scheme to authenticate with (RFC 9110 §15.5.2), also the ones
    // a service gives for a wrong password, code or link.
    if err.status() == 401 && !err.headers.iter().any(|(n, _)| *n == "www-authenticate") {
        let _ = r.headers_mut().set("www-authenticate", "Bearer");
    }
    r
}

/// A 302 to `location` (its body repeats the target for clients that do not follow).
pub fn redirect(location: &str, request_id: &str) -> Response {
    let mut r = json(
        302,
        &serde_json::json!({ "redirect": true, "url": location }),
        request_id,
    );
    let _ = r.headers_mut().set("location", location);
    r
}

pub fn raw_json(status: u16, text: String, request_id: &str) -> Response {
    let headers = Headers::new();
    // Header names and values here are constants or validated request ids.
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    let _ = headers.set(request_id::HEADER, request_id);
    let _ = headers.set("cache-control", "no-store");
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(text.into_bytes())
}
