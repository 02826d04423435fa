//! The Cloudflare API v4 wire format, as pure functions: the `{success, errors,
//! messages, result}` envelope, `errors[].code`, `Retry-After`, and multipart bodies
//! for script uploads.

use super::CfError;
use serde_json::Value;

/// "Already exists" codes (reference §2): matched on `errors[].code`, never on the
/// HTTP status, which Cloudflare does not document for them.
pub const D1_EXISTS: u32 = 7502;
// KV (10014) and R2 (10004) have their own codes; bootstrap creates neither yet.
pub const HOSTNAME_EXISTS: u32 = 1406;
/// A D1 query whose SQL failed (answered 400; none of its statements took effect).
pub const D1_QUERY_FAILED: u32 = 7500;

/// The `result` of a successful answer, or the error it carries. A 2xx body without
/// `success` is taken as the result itself (custom hostname DELETE answers a bare
/// `{id}`); an empty 2xx body is `null`. A body that is not JSON is an API error if
/// the status says so (a proxy's 502 page), `Garbled` otherwise.
pub fn parse_answer(status: u16, retry_after: Option<u64>, text: &str) -> Result<Value, CfError> {
    let ok_status = (200..300).contains(&status);
    if text.trim().is_empty() {
        return if ok_status {
            Ok(Value::Null)
        } else {
            Err(api(status, Vec::new(), "empty answer".into(), retry_after))
        };
    }
    let body: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) if status >= 400 => {
            return Err(api(
                status,
                Vec::new(),
                "answer is not JSON".into(),
                retry_after,
            ))
        }
        Err(_) => return Err(CfError::Garbled { status }),
    };
    let success = body.get("success").and_then(Value::as_bool);
    if ok_status && success != Some(false) {
        return Ok(match success {
            Some(true) => body.get("result").cloned().unwrap_or(Value::Null),
            _ => body,
        });
    }
    let errors = body
        .get("errors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let codes = errors
        .iter()
        .filter_map(|e| e.get("code").and_then(Value::as_u64))
        .filter_map(|c| u32::try_from(c).ok())
        .collect();
    let message = errors
        .iter()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    Err(api(status, codes, message, retry_after))
}

fn api(status: u16, codes: Vec<u32>, message: String, retry_after: Option<u64>) -> CfError {
    CfError::Api {
        status,
        codes,
        message,
        retry_after,
    }
}

/// `Retry-After` in seconds (Cloudflare sends whole seconds), or the SDK's
/// `retry-after-ms`, rounded up. An HTTP date is left to the backoff.
pub fn retry_after(seconds: Option<&str>, millis: Option<&str>) -> Option<u64> {
    if let Some(ms) = millis.and_then(|m| m.trim().parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some((ms / 1000.0).ceil() as u64);
        }
    }
    seconds.and_then(|s| s.trim().parse::<u64>().ok())
}

/// One part of a `multipart/form-data` body.
pub struct Part<'a> {
    pub name: &'a str,
    /// Module parts carry a file name (as wrangler sends them); `metadata` does not.
    pub filename: Option<&'a str>,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// A `multipart/form-data` body with `boundary` (RFC 7578). Part names are file names
/// of our own bundle and `metadata`, never input: they contain no quotes or newlines.
pub fn multipart(boundary: &str, parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match p.filename {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n",
                p.name
            ),
            None => format!("Content-Disposition: form-data; name=\"{}\"\r\n", p.name),
        };
        out.extend_from_slice(disposition.as_bytes());
        out.extend_from_slice(format!("Content-Type: {}\r\n\r\n", p.content_type).as_bytes());
        out.extend_from_slice(p.bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// The module content type Cloudflare expects for a bundle file, by extension.
pub fn module_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "mjs" | "js" => "application/javascript+module",
        "wasm" => "application/wasm",
        "map" => "application/source-map",
        "txt" => "text/plain",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_failed_query_is_told_from_a_refused_call() {
        let sql = json!({"success": false, "errors": [{"code": 7500, "message": "UNIQUE constraint failed"}], "messages": [], "result": null});
        assert!(parse_answer(400, None, &sql.to_string())
            .unwrap_err()
            .is_failed_query());
        // A 400 for another reason, a 5xx with the same code, a rate limit: not SQL.
        let malformed = json!({"success": false, "errors": [{"code": 7400, "message": "malformed"}], "messages": [], "result": null});
        assert!(!parse_answer(400, None, &malformed.to_string())
            .unwrap_err()
            .is_failed_query());
        assert!(!parse_answer(500, None, &sql.to_string())
            .unwrap_err()
            .is_failed_query());
        assert!(!parse_answer(429, Some(1), "{}")
            .unwrap_err()
            .is_failed_query());
    }

    #[test]
    fn envelopes_give_their_result_or_their_codes() {
        let ok = json!({"success": true, "errors": [], "messages": [], "result": {"uuid": "u"}});
        assert_eq!(
            parse_answer(200, None, &ok.to_string()).unwrap()["uuid"],
            "u"
        );
        let dup = json!({"success": false, "errors": [{"code": 7502, "message": "exists"}], "messages": [], "result": null});
        match parse_answer(400, None, &dup.to_string()).unwrap_err() {
            CfError::Api {
                status,
                codes,
                message,
                ..
            } => {
                assert_eq!(
                    (status, codes, message.as_str()),
                    (400, vec![7502], "exists")
                );
            }
            other => panic!("{other:?}"),
        }
        // A 200 that says success: false is still a failure.
        assert!(parse_answer(200, None, &dup.to_string()).is_err());
        // Custom hostname DELETE: a bare {id}.
        assert_eq!(
            parse_answer(200, None, r#"{"id":"h1"}"#).unwrap()["id"],
            "h1"
        );
        assert_eq!(parse_answer(204, None, "").unwrap(), Value::Null);
    }

    #[test]
    fn non_json_answers_are_errors_by_status() {
        assert!(matches!(
            parse_answer(502, Some(3), "<html>bad gateway</html>"),
            Err(CfError::Api {
                status: 502,
                retry_after: Some(3),
                ..
            })
        ));
        assert!(matches!(
            parse_answer(200, None, "<html>"),
            Err(CfError::Garbled { status: 200 })
        ));
        assert!(matches!(
            parse_answer(429, Some(7), ""),
            Err(CfError::Api {
                status: 429,
                retry_after: Some(7),
                ..
            })
        ));
    }

    #[test]
    fn retry_after_reads_seconds_and_millis() {
        assert_eq!(retry_after(Some("30"), None), Some(30));
        assert_eq!(retry_after(Some(" 5 "), None), Some(5));
        assert_eq!(retry_after(None, Some("1500")), Some(2));
        assert_eq!(
            retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT"), None),
            None
        );
        assert_eq!(retry_after(None, None), None);
    }

    #[test]
    fn multipart_bodies_frame_every_part() {
        let body = multipart(
            "XyZ",
            &[
                Part {
                    name: "metadata",
                    filename: None,
                    content_type: "application/json",
                    bytes: b"{}",
                },
                Part {
                    name: "a.wasm",
                    filename: Some("a.wasm"),
                    content_type: "application/wasm",
                    bytes: &[0, 97],
                },
            ],
        );
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--XyZ\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{}\r\n"));
        assert!(text.contains(
            "name=\"a.wasm\"; filename=\"a.wasm\"\r\nContent-Type: application/wasm\r\n\r\n"
        ));
        assert!(text.ends_with("\r\n--XyZ--\r\n"));
        assert_eq!(module_type("shim.mjs"), "application/javascript+module");
        assert_eq!(module_type("x-index_bg.wasm"), "application/wasm");
    }
}
