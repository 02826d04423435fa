//! Reading JSON request bodies with a size limit and clear 4xx errors.

use nno_core::{ApiError, ErrorCode};
use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::json;
use worker::Request;

/// Default limit for JSON bodies: generous for any NNO payload, small for an attacker.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// Reads and parses a JSON body. Refuses a non-JSON content type (415), a body over
/// `limit` bytes (413: at once on a `content-length` over it, otherwise as soon as the
/// bytes read pass it, so a chunked body is never read past the limit), and malformed
/// JSON or a shape mismatch (400/422 with the position or field).
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
    let bytes = match req.inner().body() {
        None => Vec::new(),
        Some(body) => read_limited(chunks(&body)?, limit).await?,
    };
    parse_json(&bytes)
}

/// The body as sent, up to `limit` bytes (413 past it), for a caller that must see
/// the exact bytes (a signature over them). The content type is the caller's to check.
pub async fn read_bytes(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    if let Some(len) = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok())
    {
        check_size(len, limit)?;
    }
    match req.inner().body() {
        None => Ok(Vec::new()),
        Some(body) => read_limited(chunks(&body)?, limit).await,
    }
}

/// The body's chunks, read through the stream's own reader. Stopping early leaves the
/// rest unread without cancelling the stream: the runtime discards it with the request.
fn chunks(
    body: &worker::web_sys::ReadableStream,
) -> Result<impl futures_util::Stream<Item = Result<Vec<u8>, ()>>, ApiError> {
    use wasm_bindgen::JsCast;
    let reader: worker::web_sys::ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|_| unreadable())?;
    Ok(futures_util::stream::unfold(
        Some(reader),
        |reader| async move {
            let reader = reader?;
            let read = wasm_bindgen_futures::JsFuture::from(reader.read()).await;
            let chunk = read.map_err(|_| ()).and_then(|r| {
                let done = js_sys::Reflect::get(&r, &"done".into()).map_err(|_| ())?;
                if done.as_bool() == Some(true) {
                    return Ok(None);
                }
                let value = js_sys::Reflect::get(&r, &"value".into()).map_err(|_| ())?;
                Ok(Some(js_sys::Uint8Array::new(&value).to_vec()))
            });
            match chunk {
                Ok(Some(bytes)) => Some((Ok(bytes), Some(reader))),
                Ok(None) => None,
                Err(()) => Some((Err(()), None)),
            }
        },
    ))
}

fn unreadable() -> ApiError {
    ApiError::new(ErrorCode::BadRequest, "request body could not be read")
}

/// Collects a body chunk by chunk and stops with 413 at the first chunk that takes it
/// over `limit`: nothing after that is read (or held in memory).
pub async fn read_limited<S, E>(stream: S, limit: usize) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<Vec<u8>, E>>,
{
    use futures_util::StreamExt;
    let mut stream = std::pin::pin!(stream);
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        check_size(bytes.len().saturating_add(chunk.len()), limit)?;
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
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

/// Parses JSON, telling syntax errors (400) from shape errors (422). Every NNO body is
/// a JSON object: serde's derived structs would also take an array (the fields in
/// order), which no client is meant to send, so that is a shape error too (nested
/// objects: `object` / `optional_object`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let parsed = serde_json::from_slice(bytes);
    if parsed.is_ok() && bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "invalid request body: expected a JSON object",
        )
        .with_details(json!({ "line": 1, "column": 1 })));
    }
    parsed.map_err(|e| {
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

/// `#[serde(deserialize_with = "nno_worker::body::object")]` for a nested struct
/// field: only a JSON object, never an array of its fields.
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    if !v.is_object() {
        return Err(de::Error::invalid_type(unexpected(&v), &"a JSON object"));
    }
    T::deserialize(v).map_err(de::Error::custom)
}

/// `object` for an `Option` field (with `#[serde(default)]`): null or absent is `None`.
pub fn optional_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None => Ok(None),
        Some(v) if v.is_object() => T::deserialize(v).map(Some).map_err(de::Error::custom),
        Some(v) => Err(de::Error::invalid_type(unexpected(&v), &"a JSON object")),
    }
}

fn unexpected(v: &serde_json::Value) -> de::Unexpected<'_> {
    match v {
        serde_json::Value::Null => de::Unexpected::Unit,
        serde_json::Value::Bool(b) => de::Unexpected::Bool(*b),
        serde_json::Value::Number(_) => de::Unexpected::Other("a number"),
        serde_json::Value::String(s) => de::Unexpected::Str(s),
        serde_json::Value::Array(_) => de::Unexpected::Seq,
        serde_json::Value::Object(_) => de::Unexpected::Map,
    }
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

    /// Polls a future that never waits (the test streams are always ready).
    fn now<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the test stream is always ready"),
        }
    }

    #[test]
    fn a_body_without_length_is_not_read_past_the_limit() {
        use std::cell::Cell;
        let pulled = Cell::new(0usize);
        // 200 KiB in 1 KiB chunks, as a chunked upload without Content-Length arrives.
        let chunks = futures_util::stream::iter((0..200).map(|_| {
            pulled.set(pulled.get() + 1);
            Ok::<_, ()>(vec![b' '; 1024])
        }));
        let err = now(read_limited(chunks, DEFAULT_LIMIT)).unwrap_err();
        assert_eq!(err.status(), 413);
        assert_eq!(err.details["limit"], DEFAULT_LIMIT);
        assert_eq!(pulled.get(), 65, "stopped at the first chunk over 64 KiB");

        let exact = futures_util::stream::iter((0..64).map(|_| Ok::<_, ()>(vec![b' '; 1024])));
        assert_eq!(
            now(read_limited(exact, DEFAULT_LIMIT)).unwrap().len(),
            DEFAULT_LIMIT
        );
        let broken = futures_util::stream::iter([Ok(vec![b'{']), Err(())]);
        assert_eq!(now(read_limited(broken, 10)).unwrap_err().status(), 400);
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
            br#"["a",1]"#,
            br#" ["a",1]"#,
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

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(deserialize_with = "object")]
        inner: Create,
        #[serde(default, deserialize_with = "optional_object")]
        maybe: Option<Create>,
    }

    #[test]
    fn nested_objects_are_objects_only() {
        let ok: Outer =
            parse_json(br#"{"inner":{"name":"a","size":1},"maybe":{"name":"b","size":2}}"#)
                .unwrap();
        assert_eq!(ok.maybe.unwrap().size, 2);
        let none: Outer = parse_json(br#"{"inner":{"name":"a","size":1},"maybe":null}"#).unwrap();
        assert_eq!(none.maybe, None);
        let absent: Outer = parse_json(br#"{"inner":{"name":"a","size":1}}"#).unwrap();
        assert_eq!(absent.maybe, None);
        for bad in [
            &br#"{"inner":["a",1]}"#[..],
            br#"{"inner":{"name":"a","size":1},"maybe":["b",2]}"#,
            br#"{"inner":{"name":"a","size":1,"x":0}}"#,
            br#"{"inner":"a"}"#,
        ] {
            let e = parse_json::<Outer>(bad).unwrap_err();
            assert_eq!(
                e.code,
                ErrorCode::ValidationFailed,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
