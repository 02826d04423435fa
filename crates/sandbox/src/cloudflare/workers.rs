//! Workers scripts (multipart upload with metadata and bindings) and their secrets.
//!
//! Like Cloudflare, an upload replaces the script's bindings: secrets (and other
//! bindings) survive a re-upload only when their type is listed in the metadata's
//! `keep_bindings` (wrangler sends `["secret_text", "secret_key"]`).

use super::envelope::{err, json_object, now_rfc3339, ok, CfReply};
use super::multipart::{self, Part};
use super::{Cloudflare, Req};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub struct Module {
    pub name: String,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
}

pub struct Script {
    pub name: String,
    pub tag: String,
    pub etag: String,
    pub created_on: String,
    pub modified_on: String,
    pub main_module: String,
    pub main_content: Vec<u8>,
    pub modules_format: bool,
    pub compatibility_date: Option<String>,
    pub compatibility_flags: Vec<Value>,
    pub usage_model: String,
    /// As uploaded, except that `secret_text` bindings are moved to `secrets`.
    pub bindings: Vec<Value>,
    /// name -> (type, value); values are never answered.
    pub secrets: BTreeMap<String, (String, String)>,
    pub modules: Vec<Module>,
    pub metadata: Value,
}

fn not_found() -> CfReply {
    err(404, 10007, "workers.api.error.script_not_found")
}

/// Cloudflare's rule for script names: lowercase letters, digits, `-` and `_`, at most
/// 63 characters, no leading or trailing `-`.
pub fn valid_script_name(n: &str) -> bool {
    (1..=63).contains(&n.len())
        && !n.starts_with('-')
        && !n.ends_with('-')
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn upload_error(message: impl Into<String>) -> CfReply {
    // 10021 is Cloudflare's "script validation failed" code for bad uploads.
    err(400, 10021, message)
}

pub fn upload(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let name = req.param(1).to_string();
    if !valid_script_name(&name) {
        return err(400, 10016, "Invalid Worker name");
    }
    let content_type = req.header("content-type").unwrap_or("");
    let Some(boundary) = multipart::boundary(content_type) else {
        // A non-multipart PUT is read as a bare service-worker script. A multipart body
        // sent under another content type (npm cloudflare 7.x does this, issue
        // cloudflare-typescript#2799) therefore fails the way it fails on Cloudflare.
        if req.body.starts_with(b"--") {
            return upload_error(
                "Uncaught SyntaxError: Invalid left-hand side expression in prefix operation\n  at worker.js:1:4",
            );
        }
        return upload_error("Expected a multipart/form-data upload with a metadata part");
    };
    let parts = match multipart::parse(req.body, &boundary) {
        Ok(p) => p,
        Err(e) => return upload_error(format!("could not parse the multipart body: {e}")),
    };
    let Some(meta_part) = parts.iter().find(|p| p.name == "metadata") else {
        return upload_error("could not read content for part metadata");
    };
    let metadata = match serde_json::from_slice::<Value>(&meta_part.data) {
        Ok(Value::Object(m)) => m,
        _ => return upload_error("could not parse metadata: not a JSON object"),
    };
    let (main_module, modules_format) = match (
        metadata.get("main_module").and_then(Value::as_str),
        metadata.get("body_part").and_then(Value::as_str),
    ) {
        (Some(m), _) => (m.to_string(), true),
        (None, Some(b)) => (b.to_string(), false),
        (None, None) => {
            return upload_error(
                "No event handlers were registered. main_module or body_part is required",
            )
        }
    };
    let Some(main) = parts.iter().find(|p| p.name == main_module) else {
        return upload_error(format!(
            "Uncaught Error: No such module \"{main_module}\".\n  main_module names a part that is not in the upload"
        ));
    };
    let previous = cf.scripts.get(&name);
    let keep: Vec<&str> = metadata
        .get("keep_bindings")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut bindings = Vec::new();
    let mut secrets = BTreeMap::new();
    for b in metadata
        .get("bindings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        if let Err(e) = check_binding(cf, &b, &name) {
            return e;
        }
        if b["type"] == "secret_text" {
            let n = b["name"].as_str().unwrap_or_default().to_string();
            let t = b["text"].as_str().unwrap_or_default().to_string();
            secrets.insert(n, ("secret_text".to_string(), t));
        } else {
            bindings.push(b);
        }
    }
    if let Some(prev) = previous {
        for b in &prev.bindings {
            let kept = b["type"].as_str().is_some_and(|t| keep.contains(&t));
            if kept && !bindings.iter().any(|n| n["name"] == b["name"]) {
                bindings.push(b.clone());
            }
        }
        for (n, (t, v)) in &prev.secrets {
            if keep.contains(&t.as_str()) && !bindings.iter().any(|b| b["name"] == n.as_str()) {
                secrets
                    .entry(n.clone())
                    .or_insert_with(|| (t.clone(), v.clone()));
            }
        }
    }
    let modules: Vec<Module> = parts
        .iter()
        .filter(|p| p.name != "metadata")
        .map(module_of)
        .collect();
    let mut hasher = Sha256::new();
    for p in &parts {
        hasher.update(p.name.as_bytes());
        hasher.update(&p.data);
    }
    let etag = hex(&hasher.finalize());
    let now = now_rfc3339();
    let created_on = previous.map_or_else(|| now.clone(), |p| p.created_on.clone());
    let script = Script {
        name: name.clone(),
        tag: super::envelope::hex_id(),
        etag,
        created_on,
        modified_on: now,
        main_module,
        main_content: main.data.clone(),
        modules_format,
        compatibility_date: metadata
            .get("compatibility_date")
            .and_then(Value::as_str)
            .map(String::from),
        compatibility_flags: metadata
            .get("compatibility_flags")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        usage_model: metadata
            .get("usage_model")
            .and_then(Value::as_str)
            .unwrap_or("standard")
            .to_string(),
        bindings,
        secrets,
        modules,
        metadata: Value::Object(redact(metadata)),
    };
    let out = script_result(&script);
    cf.scripts.insert(name, script);
    ok(out)
}

fn module_of(p: &Part) -> Module {
    Module {
        name: p.name.clone(),
        content_type: p
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into()),
        size: p.data.len(),
        sha256: hex(&Sha256::digest(&p.data)),
    }
}

/// Metadata as kept for inspection: secret values removed.
fn redact(mut m: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(bs)) = m.get_mut("bindings") {
        for b in bs.iter_mut() {
            if b["type"] == "secret_text" {
                if let Some(o) = b.as_object_mut() {
                    o.remove("text");
                }
            }
        }
    }
    m
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bindings must name what they bind to, and D1/KV/R2/service targets must exist.
fn check_binding(cf: &Cloudflare, b: &Value, script: &str) -> Result<(), CfReply> {
    let name = b["name"].as_str().unwrap_or_default();
    let kind = b["type"].as_str().unwrap_or_default();
    if name.is_empty() || kind.is_empty() {
        return Err(upload_error("every binding needs a type and a name"));
    }
    let field = |f: &str| b[f].as_str().filter(|s| !s.is_empty());
    let missing = |what: &str| {
        upload_error(format!(
            "binding {name} of type {kind} must have a valid `{what}` specified"
        ))
    };
    match kind {
        "d1" => {
            let id = field("id")
                .or_else(|| field("database_id"))
                .ok_or_else(|| missing("id"))?;
            if !cf.d1.iter().any(|d| d.uuid == id) {
                return Err(upload_error(format!(
                    "binding {name} of type d1 references database {id}, which was not found"
                )));
            }
        }
        "kv_namespace" => {
            let id = field("namespace_id").ok_or_else(|| missing("namespace_id"))?;
            if !cf.kv.iter().any(|n| n.id == id) {
                return Err(upload_error(format!(
                    "binding {name} of type kv_namespace references namespace {id}, which was not found"
                )));
            }
        }
        "r2_bucket" => {
            let bucket = field("bucket_name").ok_or_else(|| missing("bucket_name"))?;
            if !cf.r2.contains_key(bucket) {
                return Err(upload_error(format!(
                    "binding {name} of type r2_bucket references bucket {bucket}, which was not found"
                )));
            }
        }
        "service" => {
            let target = field("service").ok_or_else(|| missing("service"))?;
            if target != script && !cf.scripts.contains_key(target) {
                return Err(err(
                    400,
                    10143,
                    format!("Could not resolve service binding '{name}'. Target script '{target}' is not found"),
                ));
            }
        }
        "plain_text" | "secret_text" if !b["text"].is_string() => {
            return Err(missing("text"));
        }
        _ => {}
    }
    Ok(())
}

fn script_result(s: &Script) -> Value {
    json!({
        "id": s.name,
        "tag": s.tag,
        "etag": s.etag,
        "created_on": s.created_on,
        "modified_on": s.modified_on,
        "usage_model": s.usage_model,
        "handlers": ["fetch"],
        "startup_time_ms": 0,
        "has_modules": s.modules_format,
        "compatibility_date": s.compatibility_date,
        "compatibility_flags": s.compatibility_flags,
        "logpush": false,
    })
}

/// Bindings as Cloudflare shows them: secrets by name and type only.
pub fn visible_bindings(s: &Script) -> Vec<Value> {
    let mut out = s.bindings.clone();
    out.extend(
        s.secrets
            .iter()
            .map(|(n, (t, _))| json!({ "type": t, "name": n })),
    );
    out
}

pub fn list(cf: &mut Cloudflare, _req: &Req) -> CfReply {
    ok(Value::Array(
        cf.scripts.values().map(script_result).collect(),
    ))
}

/// `GET …/scripts/{name}`: the main module's content, not JSON (as on Cloudflare).
pub fn content(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.scripts.get(req.param(1)) {
        Some(s) => CfReply {
            status: 200,
            headers: Vec::new(),
            content_type: if s.modules_format {
                "application/javascript+module"
            } else {
                "application/javascript"
            },
            body: s.main_content.clone(),
        },
        None => not_found(),
    }
}

pub fn settings(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.scripts.get(req.param(1)) {
        Some(s) => ok(json!({
            "bindings": visible_bindings(s),
            "compatibility_date": s.compatibility_date,
            "compatibility_flags": s.compatibility_flags,
            "usage_model": s.usage_model,
            "logpush": false,
            "placement": {},
            "tags": [],
            "tail_consumers": [],
        })),
        None => not_found(),
    }
}

pub fn delete(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let name = req.param(1);
    if cf.scripts.remove(name).is_none() {
        return not_found();
    }
    // Cloudflare detaches the script's custom domains and routes with it.
    cf.domains.retain(|d| d.service != name);
    cf.routes.retain(|r| r.script.as_deref() != Some(name));
    ok(Value::Null)
}

pub fn put_secret(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let Some(script) = cf.scripts.get_mut(req.param(1)) else {
        return not_found();
    };
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("secret_text");
    if name.is_empty() {
        return err(400, 10021, "secret name is required");
    }
    if kind != "secret_text" && kind != "secret_key" {
        return err(400, 10021, "secret type must be secret_text or secret_key");
    }
    let Some(text) = body.get("text").and_then(Value::as_str).or(
        // secret_key carries key material instead of text; keep it opaque.
        (kind == "secret_key").then_some(""),
    ) else {
        return err(400, 10021, "secret text is required");
    };
    if script.bindings.iter().any(|b| b["name"] == name) {
        return err(
            400,
            10053,
            format!("Binding name '{name}' already in use by another binding"),
        );
    }
    script
        .secrets
        .insert(name.to_string(), (kind.to_string(), text.to_string()));
    script.modified_on = now_rfc3339();
    ok(json!({ "name": name, "type": kind }))
}

pub fn list_secrets(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.scripts.get(req.param(1)) {
        Some(s) => ok(Value::Array(
            s.secrets
                .iter()
                .map(|(n, (t, _))| json!({ "name": n, "type": t }))
                .collect(),
        )),
        None => not_found(),
    }
}

pub fn get_secret(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let Some(s) = cf.scripts.get(req.param(1)) else {
        return not_found();
    };
    match s.secrets.get(req.param(2)) {
        Some((t, _)) => ok(json!({ "name": req.param(2), "type": t })),
        None => err(404, 10056, "workers.api.error.secret_not_found"),
    }
}

pub fn delete_secret(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let Some(s) = cf.scripts.get_mut(req.param(1)) else {
        return not_found();
    };
    match s.secrets.remove(req.param(2)) {
        Some(_) => ok(Value::Null),
        None => err(404, 10056, "workers.api.error.secret_not_found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_names() {
        assert!(valid_script_name("nno-gateway_stg"));
        assert!(!valid_script_name("-x"));
        assert!(!valid_script_name("Gateway"));
        assert!(!valid_script_name(&"a".repeat(64)));
    }
}
