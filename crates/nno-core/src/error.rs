//! The error envelope every NNO service answers with:
//! `{"error":{"code","message","requestId","details"}}`, with a closed set of codes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Every error code NNO emits. Clients may match on these; adding one is an API change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    InvalidJson,
    ValidationFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unauthorized,
    Forbidden,
    CorsOriginDenied,
    NotFound,
    MethodNotAllowed,
    Conflict,
    /// The tier's limit on something (platforms, tenants) is reached; `details` carry
    /// the limit and the current count.
    QuotaExceeded,
    RateLimited,
    PlatformSuspended,
    Internal,
    UpstreamError,
    UpstreamUnavailable,
    UpstreamTimeout,
    ServiceUnavailable,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::BadRequest,
        ErrorCode::InvalidJson,
        ErrorCode::ValidationFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::CorsOriginDenied,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::QuotaExceeded,
        ErrorCode::RateLimited,
        ErrorCode::PlatformSuspended,
        ErrorCode::Internal,
        ErrorCode::UpstreamError,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::UpstreamTimeout,
        ErrorCode::ServiceUnavailable,
    ];

    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::InvalidJson => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden | ErrorCode::CorsOriginDenied | ErrorCode::QuotaExceeded => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::PlatformSuspended => 423,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::UpstreamError => 502,
            ErrorCode::UpstreamUnavailable | ErrorCode::ServiceUnavailable => 503,
            ErrorCode::UpstreamTimeout => 504,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::InvalidJson => "INVALID_JSON",
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::CorsOriginDenied => "CORS_ORIGIN_DENIED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::QuotaExceeded => "QUOTA_EXCEEDED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::PlatformSuspended => "PLATFORM_SUSPENDED",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::UpstreamError => "UPSTREAM_ERROR",
            ErrorCode::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            ErrorCode::UpstreamTimeout => "UPSTREAM_TIMEOUT",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error on its way to becoming an envelope. The request id is added at the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    /// A finer, endpoint-specific reason (Better Auth's codes such as
    /// `INVALID_EMAIL_OR_PASSWORD`), shown by `to_json_compat`.
    pub reason: Option<&'static str>,
    /// What went wrong underneath (a D1 message, a timeout): written into the
    /// request's log line, never sent to the client.
    pub cause: Option<Box<str>>,
    /// Headers the answer must carry (`Allow`, `WWW-Authenticate`, `Retry-After`, …).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: Value::Null,
            reason: None,
            cause: None,
            headers: Vec::new(),
        }
    }

    /// Records the underlying cause for the log line.
    pub fn with_cause(mut self, cause: impl fmt::Display) -> Self {
        self.cause = Some(cause.to_string().into_boxed_str());
        self
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `Retry-After` in seconds, in the header and in `details.retryAfterSeconds`
    /// (merged into existing object details).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        match &mut self.details {
            Value::Object(map) => {
                map.insert("retryAfterSeconds".into(), seconds.into());
            }
            other => *other = serde_json::json!({ "retryAfterSeconds": seconds }),
        }
        self.with_header("retry-after", seconds.to_string())
    }

    /// 405 for `method` at `path`, with the `Allow` header.
    pub fn method_not_allowed(method: &str, path: &str, allow: &str) -> Self {
        ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{method} is not allowed on {path}; allowed: {allow}"),
        )
        .with_details(serde_json::json!({ "method": method, "path": path, "allow": allow }))
        .with_header("allow", allow)
    }

    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The envelope plus top-level `code` and `message`, which is where Better Auth's
    /// clients read an error: IAM's `/api/auth/*` answers with this so that those
    /// clients and NNO's own both understand it.
    pub fn to_json_compat(&self, request_id: &str) -> String {
        let code = self.reason.unwrap_or(self.code.as_str());
        let v = serde_json::json!({
            "error": self.envelope(request_id).error,
            "code": code,
            "message": self.message,
        });
        v.to_string()
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// 422 for one field of the input, named in `details.field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::ValidationFailed, message)
            .with_details(serde_json::json!({ "field": field }))
    }

    pub fn not_found(what: impl fmt::Display) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn internal() -> Self {
        // Never leak internals: the client gets a request id, and `with_cause` puts
        // the reason into that request's log line.
        ApiError::new(ErrorCode::Internal, "internal error")
    }

    pub fn envelope(&self, request_id: &str) -> Envelope {
        Envelope {
            error: ErrorBody {
                code: self.code,
                message: self.message.clone(),
                request_id: request_id.to_string(),
                details: self.details.clone(),
            },
        }
    }

    /// The envelope as a JSON string.
    pub fn to_json(&self, request_id: &str) -> String {
        // Serialising these plain types cannot fail; fall back to a fixed body regardless.
        serde_json::to_string(&self.envelope(request_id)).unwrap_or_else(|_| {
            r#"{"error":{"code":"INTERNAL","message":"internal error","requestId":"","details":null}}"#
                .to_string()
        })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub error: ErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    pub request_id: String,
    pub details: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_has_the_documented_shape() {
        let err = ApiError::new(ErrorCode::ValidationFailed, "slug is invalid")
            .with_details(json!({"field": "slug"}));
        let v: Value = serde_json::from_str(&err.to_json("req-1")).unwrap();
        assert_eq!(
            v,
            json!({"error": {"code": "VALIDATION_FAILED", "message": "slug is invalid",
                   "requestId": "req-1", "details": {"field": "slug"}}})
        );
    }

    #[test]
    fn compat_body_adds_top_level_code_and_message() {
        let err = ApiError::new(ErrorCode::Unauthorized, "invalid email or password")
            .with_reason("INVALID_EMAIL_OR_PASSWORD");
        let v: Value = serde_json::from_str(&err.to_json_compat("r")).unwrap();
        assert_eq!(v["code"], "INVALID_EMAIL_OR_PASSWORD");
        assert_eq!(v["message"], "invalid email or password");
        assert_eq!(v["error"]["code"], "UNAUTHORIZED");
        let plain = ApiError::not_found("x");
        let v: Value = serde_json::from_str(&plain.to_json_compat("r")).unwrap();
        assert_eq!(v["code"], "NOT_FOUND");
    }

    #[test]
    fn cause_and_headers_stay_out_of_the_body() {
        let err = ApiError::internal()
            .with_cause("D1_ERROR: no such table")
            .with_header("x-a", "1");
        let body = err.to_json("r");
        assert!(!body.contains("no such table"));
        assert_eq!(err.cause.as_deref(), Some("D1_ERROR: no such table"));
        assert_eq!(err.headers, vec![("x-a", "1".to_string())]);
        let limited = ApiError::new(ErrorCode::RateLimited, "slow down")
            .with_details(json!({"rule": "x"}))
            .with_retry_after(7);
        assert_eq!(
            limited.details,
            json!({"rule": "x", "retryAfterSeconds": 7})
        );
        assert!(limited.headers.contains(&("retry-after", "7".to_string())));
        let m = ApiError::method_not_allowed("BREW", "/p", "GET, POST");
        assert_eq!(m.status(), 405);
        assert!(m.headers.contains(&("allow", "GET, POST".to_string())));
        assert!(m.message.contains("allowed: GET, POST"));
    }

    #[test]
    fn null_details_are_serialised_explicitly() {
        let v: Value = serde_json::from_str(&ApiError::not_found("route").to_json("r")).unwrap();
        assert_eq!(v["error"]["details"], Value::Null);
        assert!(v["error"].as_object().unwrap().contains_key("details"));
        assert_eq!(v["error"]["message"], "route not found");
    }

    #[test]
    fn serde_names_match_as_str_and_statuses_are_errors() {
        for code in ErrorCode::ALL {
            let s = serde_json::to_value(code).unwrap();
            assert_eq!(s, Value::String(code.as_str().to_string()));
            assert!((400..600).contains(&code.status()), "{code}");
        }
    }

    #[test]
    fn client_and_server_codes_are_distinguished() {
        assert_eq!(ErrorCode::InvalidJson.status(), 400);
        assert_eq!(ErrorCode::RateLimited.status(), 429);
        assert_eq!(ErrorCode::UpstreamUnavailable.status(), 503);
        assert_eq!(ErrorCode::UpstreamError.status(), 502);
    }
}
