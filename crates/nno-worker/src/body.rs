//! Reading JSON request bodies with a size limit and clear 4xx errors.

use nno_core::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use serde_json::json;
use worker::Request;

/// Default limit for JSON bodies: generous for any NNO payload, small for an attacker.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// Reads and parses a JSON body. Refuses a non-JSON content type (415), a body over
/// `limit` bytes (413, checked on `content-length` first and on the bytes read), and
/// malformed JSON or a shape mismatch (400/422 with the position or field).
pub async fn read_json<T: DeserializeOwned>(
    req: &mut Request,
    limit: usize,
) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    check_content_type(&content_type)?;
    if let Some(len) = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok())
    {
        check_size(len, limit)?;
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, "request body could not be read"))?;
    check_size(bytes.len(), limit)?;
    parse_json(&bytes)
}

pub fn check_content_type(content_type: &str) -> Result<(), ApiError> {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "request body must be application/json",
        ))
    }
}

pub fn check_size(len: usize, limit: usize) -> Result<(), ApiError> {
    if len > limit {
        Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body exceeds {limit} bytes"),
        )
        .with_details(json!({ "limit": limit })))
    } else {
        Ok(())
    }
}

/// Parses JSON, telling syntax errors (400) from shape errors (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let details = json!({ "line": e.line(), "column": e.column() });
        match e.classify() {
            serde_json::error::Category::Data => ApiError::new(
                ErrorCode::ValidationFailed,
                format!("invalid request body: {e}"),
            )
            .with_details(details),
            _ => ApiError::new(ErrorCode::InvalidJson, format!("malformed JSON: {e}"))
                .with_details(details),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Create {
        name: String,
        size: u32,
    }

    #[test]
    fn content_type_must_be_json() {
        assert!(check_content_type("application/json").is_ok());
        assert!(check_content_type("Application/JSON; charset=utf-8").is_ok());
        for bad in ["", "text/plain", "application/jsonp", "multipart/form-data"] {
            assert_eq!(
                check_content_type(bad).unwrap_err().code,
                ErrorCode::UnsupportedMediaType
            );
        }
    }

    #[test]
    fn size_limit_is_inclusive() {
        assert!(check_size(10, 10).is_ok());
        let err = check_size(11, 10).unwrap_err();
        assert_eq!(err.code, ErrorCode::PayloadTooLarge);
        assert_eq!(err.status(), 413);
        assert_eq!(err.details["limit"], 10);
    }

    #[test]
    fn syntax_errors_are_400_and_shape_errors_422() {
        let ok: Create = parse_json(br#"{"name":"a","size":1}"#).unwrap();
        assert_eq!(
            ok,
            Create {
                name: "a".into(),
                size: 1
            }
        );

        let syntax = parse_json::<Create>(b"{\"name\": ").unwrap_err();
        assert_eq!(syntax.code, ErrorCode::InvalidJson);
        assert_eq!(syntax.status(), 400);

        for shape in [
            &br#"{"name":"a","size":"big"}"#[..],
            br#"{"name":"a"}"#,
            br#"{"name":"a","size":1,"admin":true}"#,
            br#"[1,2]"#,
        ] {
            let e = parse_json::<Create>(shape).unwrap_err();
            assert_eq!(
                e.code,
                ErrorCode::ValidationFailed,
                "{}",
                String::from_utf8_lossy(shape)
            );
            assert_eq!(e.status(), 422);
            assert!(e.details["line"].is_number());
        }
    }
}
