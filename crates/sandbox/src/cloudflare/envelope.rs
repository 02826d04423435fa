//! Cloudflare's v4 answer shapes: the `{success, errors, messages, result}` envelope,
//! page-style `result_info`, and the small helpers every handler needs (ids, times).

use serde_json::{json, Value};
use std::collections::HashMap;

/// One answer of the Cloudflare stand-in, before it becomes an HTTP response.
pub struct CfReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl CfReply {
    pub fn json(status: u16, v: &Value) -> CfReply {
        CfReply {
            status,
            headers: Vec::new(),
            content_type: "application/json",
            body: v.to_string().into_bytes(),
        }
    }

    pub fn with_header(mut self, name: &str, value: String) -> CfReply {
        self.headers.push((name.to_string(), value));
        self
    }
}

pub fn ok(result: Value) -> CfReply {
    CfReply::json(200, &envelope(result))
}

pub fn envelope(result: Value) -> Value {
    json!({ "success": true, "errors": [], "messages": [], "result": result })
}

/// A page-style list answer (D1, KV, custom hostnames).
pub fn ok_page(items: Vec<Value>, info: PageInfo) -> CfReply {
    let mut v = envelope(Value::Array(items));
    v["result_info"] = info.to_json();
    CfReply::json(200, &v)
}

/// A failure: `success: false`, one error, `result: null`.
pub fn err(status: u16, code: u32, message: impl Into<String>) -> CfReply {
    CfReply::json(
        status,
        &json!({
            "success": false,
            "errors": [{ "code": code, "message": message.into() }],
            "messages": [],
            "result": null,
        }),
    )
}

pub fn no_route() -> CfReply {
    err(404, 7003, "No route for that URI")
}

pub fn bad_json() -> CfReply {
    // Cloudflare's answer to a body that is not JSON (seen from the D1 and KV APIs).
    err(400, 10026, "Could not parse request body: not valid JSON")
}

/// The request body as a JSON object, or the error to answer.
pub fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, CfReply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(bad_json()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageInfo {
    pub page: usize,
    pub per_page: usize,
    pub count: usize,
    pub total_count: usize,
}

impl PageInfo {
    fn to_json(self) -> Value {
        let total_pages = self.total_count.div_ceil(self.per_page.max(1));
        json!({
            "page": self.page,
            "per_page": self.per_page,
            "count": self.count,
            "total_count": self.total_count,
            "total_pages": total_pages,
        })
    }
}

/// Cuts `items` to the page asked for by `?page=&per_page=` (1-based; out-of-range
/// per_page is clamped to 1..=max). Past the last page the slice is empty, which is
/// what stops the official SDK's page iterator.
pub fn paginate<T: Clone>(
    items: &[T],
    query: &HashMap<String, String>,
    default_per_page: usize,
    max_per_page: usize,
) -> (Vec<T>, PageInfo) {
    let page = query
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(default_per_page)
        .clamp(1, max_per_page.max(1));
    let start = (page - 1).saturating_mul(per_page);
    let slice: Vec<T> = items.iter().skip(start).take(per_page).cloned().collect();
    let info = PageInfo {
        page,
        per_page,
        count: slice.len(),
        total_count: items.len(),
    };
    (slice, info)
}

/// 16 random bytes as 32 hex characters (Cloudflare's id format for most objects).
pub fn hex_id() -> String {
    crate::state::random_hex()
}

/// A random version-4 UUID in its hyphenated form (D1 databases, custom hostnames).
pub fn uuid() -> String {
    let mut h: Vec<char> = hex_id().chars().collect();
    h[12] = '4';
    h[16] = ['8', '9', 'a', 'b'][h[16].to_digit(16).unwrap_or(0) as usize % 4];
    let s: String = h.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

/// Now as RFC 3339 with microseconds, the way Cloudflare writes timestamps.
pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(d.as_secs() as i64, d.subsec_micros())
}

fn rfc3339(secs: i64, micros: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_end_with_an_empty_result() {
        let items: Vec<u32> = (1..=5).collect();
        let (p1, i1) = paginate(&items, &q(&[("per_page", "2")]), 20, 50);
        assert_eq!(p1, vec![1, 2]);
        assert_eq!(
            i1,
            PageInfo {
                page: 1,
                per_page: 2,
                count: 2,
                total_count: 5
            }
        );
        let (p3, _) = paginate(&items, &q(&[("per_page", "2"), ("page", "3")]), 20, 50);
        assert_eq!(p3, vec![5]);
        let (p4, i4) = paginate(&items, &q(&[("per_page", "2"), ("page", "4")]), 20, 50);
        assert!(p4.is_empty());
        assert_eq!(i4.count, 0);
    }

    #[test]
    fn per_page_is_clamped_and_garbage_ignored() {
        let items: Vec<u32> = (1..=200).collect();
        let (p, i) = paginate(&items, &q(&[("per_page", "5000"), ("page", "x")]), 20, 50);
        assert_eq!((p.len(), i.per_page, i.page), (50, 50, 1));
        let (p, _) = paginate(&items, &q(&[("per_page", "0")]), 20, 50);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn timestamps_and_uuids_have_cloudflare_shapes() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(1_709_251_200, 5), "2024-03-01T00:00:00.000005Z");
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
