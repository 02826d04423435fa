//! Calls to external HTTP APIs (Resend, OAuth providers; Stripe, the Cloudflare API and
//! GitHub): JSON or form bodies and a real deadline (the runtime's
//! `AbortSignal.timeout`, covering the answer's body too). Failures become envelopes
//! that name the system but never echo its credentials: the deadline passing is 504
//! `UPSTREAM_TIMEOUT`, a connection that fails 503 `UPSTREAM_UNAVAILABLE`, an answer
//! that is not JSON 502 `UPSTREAM_ERROR`; the underlying cause goes to the log line.

use nno_core::{ApiError, ErrorCode};
use serde_json::Value;
use worker::{web_sys, AbortSignal, Fetch, Headers, Method, Request, RequestInit};

/// How long a call may take unless the caller says otherwise.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;

/// What came back: status and body parsed as JSON (`Null` if it was empty).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

pub enum Body<'a> {
    None,
    Json(&'a Value),
    Form(&'a [(&'a str, &'a str)]),
}

/// What a failed exchange means for the caller, given whether the deadline passed.
pub fn failure(system: &str, timed_out: bool, cause: impl std::fmt::Display) -> ApiError {
    let (code, message) = if timed_out {
        (
            ErrorCode::UpstreamTimeout,
            format!("{system} did not answer in time"),
        )
    } else {
        (
            ErrorCode::UpstreamUnavailable,
            format!("{system} could not be reached"),
        )
    };
    ApiError::new(code, message)
        .with_details(serde_json::json!({ "system": system }))
        .with_cause(format!("{system}: {cause}"))
}

/// Sends one request with the default deadline. `headers` are added as given (e.g.
/// `authorization`).
pub async fn call(
    system: &str,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Body<'_>,
) -> Result<Reply, ApiError> {
    call_within(system, method, url, headers, body, DEFAULT_TIMEOUT_MS).await
}

/// `call` with a deadline of `timeout_ms` for the whole exchange.
pub async fn call_within(
    system: &str,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Body<'_>,
    timeout_ms: u32,
) -> Result<Reply, ApiError> {
    let h = Headers::new();
    let _ = h.set("accept", "application/json");
    let _ = h.set("user-agent", "nno");
    for (k, v) in headers {
        h.set(k, v).map_err(|_| ApiError::internal())?;
    }
    let mut init = RequestInit::new();
    init.with_method(method);
    match body {
        Body::None => {}
        Body::Json(v) => {
            let _ = h.set("content-type", "application/json");
            init.with_body(Some(v.to_string().into()));
        }
        Body::Form(pairs) => {
            let _ = h.set("content-type", "application/x-www-form-urlencoded");
            init.with_body(Some(nno_core::urls::form(pairs).into()));
        }
    }
    init.with_headers(h);
    let req = Request::new_with_init(url, &init).map_err(|e| failure(system, false, e))?;
    let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(timeout_ms));
    let mut resp = Fetch::Request(req)
        .send_with_signal(&signal)
        .await
        .map_err(|e| failure(system, signal.aborted(), e))?;
    let status = resp.status_code();
    let text = resp
        .text()
        .await
        .map_err(|e| failure(system, signal.aborted(), e))?;
    Ok(Reply {
        status,
        body: parse(system, status, &text)?,
    })
}

/// An empty body is `Null`; anything else must be JSON, or the system is not speaking
/// the API we expect (502).
fn parse(system: &str, status: u16, text: &str) -> Result<Value, ApiError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            ErrorCode::UpstreamError,
            format!("{system} sent an answer that is not JSON"),
        )
        .with_details(serde_json::json!({ "system": system, "status": status }))
        .with_cause(format!("{system}: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_the_documented_codes() {
        assert_eq!(failure("Stripe", true, "aborted").status(), 504);
        assert_eq!(
            failure("Stripe", true, "x").code,
            ErrorCode::UpstreamTimeout
        );
        let down = failure("Stripe", false, "connection refused");
        assert_eq!(down.status(), 503);
        assert_eq!(down.cause.as_deref(), Some("Stripe: connection refused"));
        assert!(!down.to_json("r").contains("refused"));
        assert_eq!(parse("X", 200, "").unwrap(), Value::Null);
        assert_eq!(parse("X", 200, "{\"a\":1}").unwrap()["a"], 1);
        let garbled = parse("X", 200, "<html>").unwrap_err();
        assert_eq!(garbled.status(), 502);
        assert!(garbled.cause.is_some());
    }
}
