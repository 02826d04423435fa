//! Test controls and inspection for the Cloudflare stand-in, under `/_sandbox/cloudflare/`:
//!
//! - `GET state`: everything it holds. `{accountId, zoneId, zoneName, d1: [{uuid, name,
//!   created_at, tables: [name], file_size}], scripts: [{name, created_on, modified_on,
//!   etag, main_module, compatibility_date, compatibility_flags, usage_model, bindings:
//!   [binding as uploaded, secret text removed], secrets: [name], modules: [{name,
//!   content_type, size, sha256}], metadata}], domains: [{id, hostname, service,
//!   environment, zone_id}], routes: [{id, pattern, script}], customHostnames: [{id,
//!   hostname, status, sslStatus, sslMethod, polls, custom_metadata}], kv: [{id, title}],
//!   r2: [{name, location, storage_class, jurisdiction, creation_date}]}`
//! - `GET stats`: `{total, byRoute: {"METHOD /template": n}, byStatus: {"200": n},
//!   maxInWindow, limitExceeded, rateLimited, served429, chaosInjected, faultsInjected,
//!   unmatched: ["METHOD /path" (last 50 without a route)], rateLimit, rateWindowMs,
//!   blockMs}`
//! - `GET config` / `POST config {sslPollsToActive?, rateLimit?, rateWindowMs?, blockMs?}`:
//!   answers the whole config; a rate change also clears the windows and blocks.
//! - `POST reset`: wipes state, stats, rate windows, blocks and chaos (not the config).
//! - `POST chaos {rate, kinds?: ["5xx"|"429"|"timeout"|"5xx-after-write"], timeoutMs?,
//!   seed?}` → `{chaos: {rate, kinds, timeoutMs, seed, injected}}`; `GET chaos`;
//!   `DELETE chaos` turns it off (`{chaos: null}`).
//! - `POST usage {resource, metric: "requests"|"rowsRead"|"rowsWritten", date:
//!   "YYYY-MM-DD", value, dataset?}` sets what the GraphQL Analytics API reports for
//!   that resource (script name, D1 database id, R2 bucket name or KV namespace id) on
//!   that day, in every dataset with that metric, or only in `dataset` (e.g.
//!   `"r2OperationsAdaptiveGroups"`) if given; answers `{override: {…}}`.
//!   `GET usage` → `{queries, refused, overrides: [{resource, metric, date, value,
//!   dataset?}]}` (`queries`: GraphQL queries answered with data, `refused`: answered
//!   with GraphQL errors); `DELETE usage` clears the overrides and both counts.
//!   `POST reset` clears them too.

use super::analytics::Usage;
use super::chaos::Chaos;
use super::{lock, Cloudflare};
use crate::http::{Incoming, Reply};
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::Duration;
use tiny_http::Method;

pub const PREFIX: &str = "/_sandbox/cloudflare/";

pub fn route(req: &Incoming, cf: &Mutex<Cloudflare>) -> Reply {
    let what = req.path.strip_prefix(PREFIX).unwrap_or("");
    let mut cf = lock(cf);
    let body: Value = serde_json::from_slice(&req.bytes).unwrap_or(Value::Null);
    match (&req.method, what) {
        (Method::Get, "state") => Reply::Json(200, state(&cf)),
        (Method::Get, "stats") => Reply::Json(200, stats(&cf)),
        (Method::Get, "config") => Reply::Json(200, config(&cf)),
        (Method::Post, "config") => set_config(&mut cf, &body),
        (Method::Post, "reset") => {
            cf.reset();
            Reply::Json(200, json!({ "reset": true }))
        }
        (Method::Post, "chaos") => match Chaos::from_json(&body) {
            Ok(c) => {
                let out = c.to_json();
                cf.chaos = Some(c);
                Reply::Json(200, json!({ "chaos": out }))
            }
            Err(e) => Reply::Json(400, json!({ "message": e })),
        },
        (Method::Get, "chaos") => Reply::Json(
            200,
            json!({ "chaos": cf.chaos.as_ref().map(Chaos::to_json) }),
        ),
        (Method::Delete, "chaos") => {
            cf.chaos = None;
            Reply::Json(200, json!({ "chaos": null }))
        }
        (Method::Get, "usage") => Reply::Json(200, cf.usage.to_json()),
        (Method::Post, "usage") => match Usage::parse_override(&body) {
            Ok((key, value)) => {
                cf.usage.overrides.insert(key, value);
                let all = cf.usage.to_json();
                let set = all["overrides"]
                    .as_array()
                    .and_then(|list| {
                        list.iter().find(|o| {
                            o["resource"] == body["resource"]
                                && o["metric"] == body["metric"]
                                && o["date"] == body["date"]
                                && o.get("dataset").unwrap_or(&Value::Null) == &body["dataset"]
                        })
                    })
                    .cloned()
                    .unwrap_or(Value::Null);
                Reply::Json(200, json!({ "override": set }))
            }
            Err(e) => Reply::Json(400, json!({ "message": e })),
        },
        (Method::Delete, "usage") => {
            cf.usage = Usage::default();
            Reply::Json(200, cf.usage.to_json())
        }
        _ => Reply::Json(
            404,
            json!({ "message": format!("the sandbox has no {} {}", req.method, req.path) }),
        ),
    }
}

fn state(cf: &Cloudflare) -> Value {
    json!({
        "accountId": cf.cfg.account_id,
        "zoneId": cf.cfg.zone_id,
        "zoneName": cf.cfg.zone_name,
        "d1": cf.d1.iter().map(|d| json!({
            "uuid": d.uuid, "name": d.name, "created_at": d.created_at,
            "tables": d.table_names(), "file_size": d.file_size(),
        })).collect::<Vec<_>>(),
        "scripts": cf.scripts.values().map(|s| json!({
            "name": s.name, "created_on": s.created_on, "modified_on": s.modified_on,
            "etag": s.etag, "main_module": s.main_module,
            "compatibility_date": s.compatibility_date,
            "compatibility_flags": s.compatibility_flags, "usage_model": s.usage_model,
            "bindings": s.bindings,
            "secrets": s.secrets.keys().collect::<Vec<_>>(),
            "modules": s.modules.iter().map(|m| json!({
                "name": m.name, "content_type": m.content_type, "size": m.size, "sha256": m.sha256,
            })).collect::<Vec<_>>(),
            "metadata": s.metadata,
        })).collect::<Vec<_>>(),
        "domains": cf.domains.iter().map(|d| json!({
            "id": d.id, "hostname": d.hostname, "service": d.service,
            "environment": d.environment, "zone_id": cf.cfg.zone_id,
        })).collect::<Vec<_>>(),
        "routes": cf.routes.iter().map(|r| json!({
            "id": r.id, "pattern": r.pattern, "script": r.script,
        })).collect::<Vec<_>>(),
        "customHostnames": cf.hostnames.iter().map(|h| json!({
            "id": h.id, "hostname": h.hostname,
            "status": if h.active { "active" } else { "pending" },
            "sslStatus": if h.active { "active" } else { "pending_validation" },
            "sslMethod": h.ssl.get("method").cloned().unwrap_or(json!("http")),
            "polls": h.polls, "custom_metadata": h.custom_metadata,
        })).collect::<Vec<_>>(),
        "kv": cf.kv.iter().map(|n| json!({ "id": n.id, "title": n.title })).collect::<Vec<_>>(),
        "r2": cf.r2.values().map(|b| json!({
            "name": b.name, "location": b.location, "storage_class": b.storage_class,
            "jurisdiction": b.jurisdiction, "creation_date": b.creation_date,
        })).collect::<Vec<_>>(),
    })
}

fn stats(cf: &Cloudflare) -> Value {
    let s = &cf.stats;
    json!({
        "total": s.total,
        "byRoute": s.by_route,
        "byStatus": s.by_status.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "maxInWindow": cf.limiter.max_in_window,
        "limitExceeded": cf.limiter.exceeded,
        "rateLimited": s.rate_limited,
        "served429": s.served_429,
        "chaosInjected": s.chaos_injected,
        "faultsInjected": s.faults_injected,
        "unmatched": s.unmatched,
        "rateLimit": cf.limiter.limit,
        "rateWindowMs": cf.limiter.window.as_millis() as u64,
        "blockMs": cf.limiter.block.as_millis() as u64,
    })
}

fn config(cf: &Cloudflare) -> Value {
    json!({
        "sslPollsToActive": cf.cfg.ssl_polls_to_active,
        "rateLimit": cf.limiter.limit,
        "rateWindowMs": cf.limiter.window.as_millis() as u64,
        "blockMs": cf.limiter.block.as_millis() as u64,
        "accountId": cf.cfg.account_id,
        "zoneId": cf.cfg.zone_id,
        "zoneName": cf.cfg.zone_name,
    })
}

fn set_config(cf: &mut Cloudflare, v: &Value) -> Reply {
    if !v.is_object() {
        return Reply::Json(400, json!({ "message": "a JSON object is required" }));
    }
    if let Some(n) = v["sslPollsToActive"].as_u64() {
        cf.cfg.ssl_polls_to_active = n.min(1_000_000) as u32;
    }
    let mut rate_changed = false;
    if let Some(n) = v["rateLimit"].as_u64() {
        cf.limiter.limit = n.max(1) as usize;
        rate_changed = true;
    }
    if let Some(ms) = v["rateWindowMs"].as_u64() {
        cf.limiter.window = Duration::from_millis(ms.max(1));
        rate_changed = true;
    }
    if let Some(ms) = v["blockMs"].as_u64() {
        cf.limiter.block = Duration::from_millis(ms);
        rate_changed = true;
    }
    if rate_changed {
        cf.limiter.clear_windows();
    }
    Reply::Json(200, config(cf))
}
