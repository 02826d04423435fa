//! Workers KV namespaces (the namespaces only, not their keys).

use super::envelope::{err, hex_id, json_object, ok, ok_page, paginate, CfReply};
use super::{Cloudflare, Req};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Namespace {
    pub id: String,
    pub title: String,
}

fn ns_json(n: &Namespace) -> Value {
    json!({ "id": n.id, "title": n.title, "supports_url_encoding": true })
}

pub fn create(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let Some(title) = body
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && t.len() <= 512)
    else {
        return err(
            400,
            10019,
            "a namespace title (1-512 characters) is required",
        );
    };
    if cf.kv.iter().any(|n| n.title == title) {
        return err(
            400,
            10014,
            "create namespace: 'a namespace with this account ID and title already exists'",
        );
    }
    let ns = Namespace {
        id: hex_id(),
        title: title.to_string(),
    };
    let out = ns_json(&ns);
    cf.kv.push(ns);
    ok(out)
}

pub fn list(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let mut all = cf.kv.clone();
    match req.query.get("order").map(String::as_str) {
        Some("id") => all.sort_by(|a, b| a.id.cmp(&b.id)),
        Some("title") => all.sort_by(|a, b| a.title.cmp(&b.title)),
        _ => {}
    }
    if req.query.get("direction").map(String::as_str) == Some("desc") {
        all.reverse();
    }
    let (page, info) = paginate(&all, req.query, 20, 1000);
    ok_page(page.iter().map(ns_json).collect(), info)
}

fn not_found() -> CfReply {
    err(404, 10013, "get namespace: 'namespace not found'")
}

pub fn get(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.kv.iter().find(|n| n.id == req.param(1)) {
        Some(n) => ok(ns_json(n)),
        None => not_found(),
    }
}

pub fn delete(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let before = cf.kv.len();
    cf.kv.retain(|n| n.id != req.param(1));
    if cf.kv.len() == before {
        return not_found();
    }
    ok(Value::Null)
}
