//! R2 buckets (the buckets only). The list answers the newer `{buckets: […]}` shape
//! that wrangler and the SDK read, with cursor-style `result_info`.

use super::envelope::{envelope, err, json_object, now_rfc3339, ok, CfReply};
use super::{Cloudflare, Req};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Bucket {
    pub name: String,
    pub creation_date: String,
    pub location: String,
    pub storage_class: String,
    pub jurisdiction: String,
}

/// 3–63 characters of `[a-z0-9-]`, starting and ending with a letter or digit.
pub fn valid_bucket_name(n: &str) -> bool {
    let b = n.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn bucket_json(b: &Bucket) -> Value {
    json!({
        "name": b.name,
        "creation_date": b.creation_date,
        "location": b.location,
        "storage_class": b.storage_class,
        "jurisdiction": b.jurisdiction,
    })
}

const HINTS: &[&str] = &["apac", "eeur", "enam", "weur", "wnam", "oc"];

pub fn create(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if !valid_bucket_name(name) {
        return err(400, 10005, "The specified bucket name is not valid.");
    }
    let hint = body.get("locationHint").and_then(Value::as_str);
    if hint.is_some_and(|h| !HINTS.contains(&h.to_ascii_lowercase().as_str())) {
        return err(400, 10040, "The location hint is not valid.");
    }
    let class = body
        .get("storageClass")
        .and_then(Value::as_str)
        .unwrap_or("Standard");
    if class != "Standard" && class != "InfrequentAccess" {
        return err(400, 10040, "The storage class is not valid.");
    }
    if cf.r2.contains_key(name) {
        return err(
            409,
            10004,
            "The bucket you tried to create already exists, and you own it.",
        );
    }
    let bucket = Bucket {
        name: name.to_string(),
        creation_date: now_rfc3339(),
        location: hint.unwrap_or("enam").to_ascii_lowercase(),
        storage_class: class.to_string(),
        jurisdiction: req
            .header("cf-r2-jurisdiction")
            .unwrap_or("default")
            .to_string(),
    };
    let out = bucket_json(&bucket);
    cf.r2.insert(bucket.name.clone(), bucket);
    ok(out)
}

/// `?name_contains, start_after, per_page, cursor, direction`; the cursor is the
/// name of the last bucket of the previous page.
pub fn list(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let q = |k: &str| req.query.get(k).map(String::as_str);
    let per_page = q("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 1000);
    let after = q("cursor").filter(|c| !c.is_empty()).or(q("start_after"));
    let mut names: Vec<&Bucket> = cf
        .r2
        .values()
        .filter(|b| q("name_contains").is_none_or(|s| b.name.contains(s)))
        .collect();
    let desc = q("direction") == Some("desc");
    if desc {
        names.reverse();
    }
    let rest: Vec<&Bucket> = names
        .into_iter()
        .filter(|b| {
            after.is_none_or(|a| {
                if desc {
                    b.name.as_str() < a
                } else {
                    b.name.as_str() > a
                }
            })
        })
        .collect();
    let page: Vec<&Bucket> = rest.iter().take(per_page).copied().collect();
    let cursor = if rest.len() > per_page {
        page.last().map(|b| b.name.clone()).unwrap_or_default()
    } else {
        String::new()
    };
    let mut v =
        envelope(json!({ "buckets": page.iter().map(|b| bucket_json(b)).collect::<Vec<_>>() }));
    v["result_info"] = json!({ "cursor": cursor, "per_page": per_page });
    CfReply::json(200, &v)
}

fn not_found() -> CfReply {
    err(404, 10006, "The specified bucket does not exist.")
}

pub fn get(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.r2.get(req.param(1)) {
        Some(b) => ok(bucket_json(b)),
        None => not_found(),
    }
}

pub fn delete(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.r2.remove(req.param(1)) {
        Some(_) => ok(json!({})),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        assert!(valid_bucket_name("nno-assets-1"));
        assert!(valid_bucket_name("abc"));
        assert!(!valid_bucket_name("ab"));
        assert!(!valid_bucket_name("-abc"));
        assert!(!valid_bucket_name("abc-"));
        assert!(!valid_bucket_name("ABC"));
        assert!(!valid_bucket_name("a_bc"));
        assert!(!valid_bucket_name(&"a".repeat(64)));
    }
}
