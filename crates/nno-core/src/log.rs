//! The structured request log line, written once per request by every service. Built
//! by hand rather than through a JSON tree: it is on every request's path.

use std::fmt::Write;

pub struct RequestLog<'a> {
    pub service: &'a str,
    pub env: &'a str,
    pub request_id: &'a str,
    pub trace_id: &'a str,
    pub span_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration_ms: f64,
    /// The upstream service a gateway request went to, if any.
    pub upstream: Option<&'a str>,
    /// Why an error happened (`ApiError::cause`): for operators, never the client.
    pub cause: Option<&'a str>,
}

impl RequestLog<'_> {
    pub fn level(&self) -> &'static str {
        match self.status {
            500.. => "error",
            400..=499 => "warn",
            _ => "info",
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(320);
        s.push_str("{\"level\":\"");
        s.push_str(self.level());
        s.push_str("\",\"msg\":\"request\"");
        field(&mut s, "service", self.service);
        field(&mut s, "env", self.env);
        field(&mut s, "requestId", self.request_id);
        field(&mut s, "traceId", self.trace_id);
        field(&mut s, "spanId", self.span_id);
        field(&mut s, "method", self.method);
        field(&mut s, "path", &redact(self.path));
        let _ = write!(s, ",\"status\":{}", self.status);
        // Whole milliseconds: the Workers clock does not advance within a request's
        // CPU work (it moves on I/O), so fractions would be noise; an integer is also
        // cheaper to write on every request.
        let d = if self.duration_ms.is_finite() && self.duration_ms > 0.0 {
            self.duration_ms.round() as u64
        } else {
            0
        };
        let _ = write!(s, ",\"durationMs\":{d}");
        if let Some(u) = self.upstream {
            field(&mut s, "upstream", u);
        }
        if let Some(c) = self.cause {
            field(&mut s, "cause", c);
        }
        s.push('}');
        s
    }
}

fn field(s: &mut String, key: &str, value: &str) {
    s.push_str(",\"");
    s.push_str(key);
    s.push_str("\":\"");
    escape_into(s, value);
    s.push('"');
}

/// JSON string escaping (RFC 8259): quotes, backslashes and control characters.
pub fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Paths that carry a secret in a segment (the password-reset link's token) are logged
/// without it.
pub fn redact(path: &str) -> std::borrow::Cow<'_, str> {
    match path.find("/reset-password/") {
        Some(i) => {
            let keep = i + "/reset-password/".len();
            std::borrow::Cow::Owned(format!("{}[redacted]", &path[..keep]))
        }
        None => std::borrow::Cow::Borrowed(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn line(path: &str, status: u16, upstream: Option<&str>) -> Value {
        let l = RequestLog {
            service: "gateway",
            env: "local",
            request_id: "r1",
            trace_id: "t",
            span_id: "s",
            method: "GET",
            path,
            status,
            duration_ms: 1.5,
            upstream,
            cause: (status >= 500).then_some("D1_ERROR: disk full"),
        };
        serde_json::from_str(&l.to_json()).expect("valid JSON")
    }

    #[test]
    fn is_one_valid_json_object_with_every_field() {
        assert_eq!(
            line("/health", 200, Some("iam")),
            json!({"level":"info","msg":"request","service":"gateway","env":"local",
                   "requestId":"r1","traceId":"t","spanId":"s","method":"GET",
                   "path":"/health","status":200,"durationMs":2,"upstream":"iam"})
        );
    }

    #[test]
    fn level_follows_status() {
        assert_eq!(line("/", 404, None)["level"], "warn");
        assert_eq!(line("/", 503, None)["level"], "error");
        assert!(line("/", 503, None).get("upstream").is_none());
        assert_eq!(line("/", 503, None)["cause"], "D1_ERROR: disk full");
        assert!(line("/", 404, None).get("cause").is_none());
    }

    #[test]
    fn reset_tokens_are_not_logged() {
        let v = line("/api/v1/iam/auth/reset-password/SECRETTOKEN", 302, None);
        assert_eq!(v["path"], "/api/v1/iam/auth/reset-password/[redacted]");
        assert_eq!(
            line("/api/auth/reset-password", 200, None)["path"],
            "/api/auth/reset-password"
        );
    }

    #[test]
    fn hostile_paths_cannot_break_the_line() {
        let evil = "/a\"b\\c\nd\u{1}e";
        assert_eq!(line(evil, 200, None)["path"], evil);
        let l = RequestLog {
            service: "x",
            env: "x",
            request_id: "x",
            trace_id: "x",
            span_id: "x",
            method: "GET",
            path: evil,
            status: 200,
            duration_ms: f64::NAN,
            upstream: None,
            cause: None,
        };
        assert!(!l.to_json().contains('\n'));
        let v: Value = serde_json::from_str(&l.to_json()).unwrap();
        assert_eq!(v["durationMs"], 0);
    }
}
