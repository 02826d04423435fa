//! Workers custom domains (`PUT` upsert by hostname) and zone Workers routes.

use super::envelope::{err, hex_id, json_object, ok, CfReply};
use super::{Cloudflare, Req};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Domain {
    pub id: String,
    pub hostname: String,
    pub service: String,
    pub environment: String,
    pub cert_id: String,
}

#[derive(Clone)]
pub struct Route {
    pub id: String,
    pub pattern: String,
    pub script: Option<String>,
}

fn domain_json(cf: &Cloudflare, d: &Domain) -> Value {
    json!({
        "id": d.id,
        "hostname": d.hostname,
        "service": d.service,
        "environment": d.environment,
        "zone_id": cf.cfg.zone_id,
        "zone_name": cf.cfg.zone_name,
        "cert_id": d.cert_id,
    })
}

fn in_zone(host: &str, zone: &str) -> bool {
    host == zone || host.strip_suffix(zone).is_some_and(|p| p.ends_with('.'))
}

pub fn attach(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let s = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    let (Some(hostname), Some(service)) = (s("hostname"), s("service")) else {
        return err(400, 100101, "hostname and service are required");
    };
    let zone_ok = match (s("zone_id"), s("zone_name")) {
        (None, None) => in_zone(&hostname, &cf.cfg.zone_name),
        (Some(id), _) => id == cf.cfg.zone_id,
        (None, Some(name)) => name == cf.cfg.zone_name,
    };
    if !zone_ok {
        return err(
            404,
            100109,
            "Zone not found: the zone is not on this account",
        );
    }
    if !in_zone(&hostname, &cf.cfg.zone_name) {
        return err(400, 100117, "Hostname is not part of the given zone");
    }
    if !cf.scripts.contains_key(&service) {
        return err(404, 10007, "workers.api.error.script_not_found");
    }
    let environment = s("environment").unwrap_or_else(|| "production".into());
    let domain = match cf.domains.iter_mut().find(|d| d.hostname == hostname) {
        Some(d) => {
            d.service = service;
            d.environment = environment;
            d.clone()
        }
        None => {
            let d = Domain {
                id: hex_id(),
                hostname,
                service,
                environment,
                cert_id: hex_id(),
            };
            cf.domains.push(d.clone());
            d
        }
    };
    ok(domain_json(cf, &domain))
}

pub fn list(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let q = |k: &str| req.query.get(k).map(String::as_str);
    let zone_ok = q("zone_id").is_none_or(|z| z == cf.cfg.zone_id)
        && q("zone_name").is_none_or(|z| z == cf.cfg.zone_name);
    let items: Vec<Value> = cf
        .domains
        .iter()
        .filter(|d| {
            zone_ok
                && q("hostname").is_none_or(|h| h == d.hostname)
                && q("service").is_none_or(|s| s == d.service)
                && q("environment").is_none_or(|e| e == d.environment)
        })
        .map(|d| domain_json(cf, d))
        .collect();
    ok(Value::Array(items))
}

fn domain_not_found() -> CfReply {
    err(404, 100100, "Domain not found")
}

pub fn get(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.domains.iter().find(|d| d.id == req.param(1)) {
        Some(d) => ok(domain_json(cf, d)),
        None => domain_not_found(),
    }
}

pub fn detach(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let before = cf.domains.len();
    cf.domains.retain(|d| d.id != req.param(1));
    if cf.domains.len() == before {
        return domain_not_found();
    }
    ok(Value::Null)
}

fn route_json(r: &Route) -> Value {
    json!({ "id": r.id, "pattern": r.pattern, "script": r.script })
}

pub fn create_route(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let Some(pattern) = body.get("pattern").and_then(Value::as_str) else {
        return err(400, 10019, "pattern is required");
    };
    let script = body.get("script").and_then(Value::as_str).map(String::from);
    if let Some(s) = &script {
        if !cf.scripts.contains_key(s) {
            return err(404, 10007, "workers.api.error.script_not_found");
        }
    }
    if cf.routes.iter().any(|r| r.pattern == pattern) {
        return err(409, 10020, "A route with the same pattern already exists");
    }
    let route = Route {
        id: hex_id(),
        pattern: pattern.to_string(),
        script,
    };
    let out = route_json(&route);
    cf.routes.push(route);
    ok(out)
}

pub fn list_routes(cf: &mut Cloudflare, _req: &Req) -> CfReply {
    ok(Value::Array(cf.routes.iter().map(route_json).collect()))
}

pub fn get_route(cf: &mut Cloudflare, req: &Req) -> CfReply {
    match cf.routes.iter().find(|r| r.id == req.param(1)) {
        Some(r) => ok(route_json(r)),
        None => err(404, 10005, "Route not found"),
    }
}

pub fn delete_route(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let id = req.param(1).to_string();
    let before = cf.routes.len();
    cf.routes.retain(|r| r.id != id);
    if cf.routes.len() == before {
        return err(404, 10005, "Route not found");
    }
    ok(json!({ "id": id }))
}
