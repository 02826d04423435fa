//! Custom hostnames (Cloudflare for SaaS). A new hostname is `pending` with its
//! certificate `pending_validation`; every observation (GET by id, or appearing in a
//! list answer) counts as a poll, and the observation number `sslPollsToActive`
//! (config, default 2) and later ones see `active` / `active`, as if the customer's
//! DNS records had been found.

use super::envelope::{
    err, hex_id, json_object, now_rfc3339, ok, ok_page, paginate, uuid, CfReply,
};
use super::{Cloudflare, Req};
use serde_json::{json, Map, Value};

pub struct CustomHostname {
    pub id: String,
    pub hostname: String,
    pub created_at: String,
    pub ssl: Map<String, Value>,
    pub ssl_id: String,
    pub custom_metadata: Option<Value>,
    pub custom_origin_server: Option<String>,
    pub custom_origin_sni: Option<String>,
    pub polls: u32,
    pub active: bool,
    pub verify_value: String,
}

/// Lowercase DNS name with at least two labels (wildcards allowed as the first label).
pub fn valid_hostname(h: &str) -> bool {
    let labels: Vec<&str> = h.split('.').collect();
    h.len() <= 253
        && labels.len() >= 2
        && labels.iter().enumerate().all(|(i, l)| {
            (i == 0 && *l == "*")
                || ((1..=63).contains(&l.len())
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        })
}

const METHODS: &[&str] = &["http", "txt", "email"];

impl CustomHostname {
    fn to_json(&self) -> Value {
        let method = self
            .ssl
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("http");
        let mut ssl = self.ssl.clone();
        ssl.insert("id".into(), json!(self.ssl_id));
        ssl.entry("type").or_insert(json!("dv"));
        ssl.entry("method").or_insert(json!("http"));
        ssl.entry("settings").or_insert(json!({}));
        ssl.entry("bundle_method").or_insert(json!("ubiquitous"));
        ssl.entry("certificate_authority")
            .or_insert(json!("google"));
        ssl.entry("wildcard").or_insert(json!(false));
        ssl.insert("validation_errors".into(), json!([]));
        if self.active {
            ssl.insert("status".into(), json!("active"));
            ssl.insert("issuer".into(), json!("GoogleTrustServices"));
        } else {
            ssl.insert("status".into(), json!("pending_validation"));
            let record = match method {
                "txt" => json!({
                    "txt_name": format!("_acme-challenge.{}", self.hostname),
                    "txt_value": self.verify_value,
                }),
                "email" => json!({ "emails": [format!("admin@{}", self.hostname)] }),
                _ => json!({
                    "http_url": format!("http://{}/.well-known/acme-challenge/{}", self.hostname, self.ssl_id),
                    "http_body": self.verify_value,
                }),
            };
            ssl.insert("validation_records".into(), json!([record]));
        }
        let mut v = json!({
            "id": self.id,
            "hostname": self.hostname,
            "status": if self.active { "active" } else { "pending" },
            "ssl": ssl,
            "verification_errors": [],
            "ownership_verification": {
                "type": "txt",
                "name": format!("_cf-custom-hostname.{}", self.hostname),
                "value": self.verify_value,
            },
            "ownership_verification_http": {
                "http_url": format!("http://{}/.well-known/cf-custom-hostname-challenge/{}", self.hostname, self.id),
                "http_body": self.verify_value,
            },
            "created_at": self.created_at,
        });
        if let Some(m) = &self.custom_metadata {
            v["custom_metadata"] = m.clone();
        }
        if let Some(o) = &self.custom_origin_server {
            v["custom_origin_server"] = json!(o);
        }
        if let Some(s) = &self.custom_origin_sni {
            v["custom_origin_sni"] = json!(s);
        }
        v
    }

    /// One observation by the client.
    fn poll(&mut self, polls_to_active: u32) {
        self.polls = self.polls.saturating_add(1);
        if self.polls >= polls_to_active {
            self.active = true;
        }
    }
}

fn check_ssl(ssl: &Value) -> Result<Map<String, Value>, CfReply> {
    let Some(o) = ssl.as_object() else {
        return Err(err(400, 1409, "ssl must be an object"));
    };
    if let Some(m) = o.get("method") {
        if !m.as_str().is_some_and(|m| METHODS.contains(&m)) {
            return Err(err(400, 1409, "ssl.method must be one of http, txt, email"));
        }
    }
    if o.get("type").is_some_and(|t| t != "dv") {
        return Err(err(400, 1409, "ssl.type must be dv"));
    }
    Ok(o.clone())
}

pub fn create(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let Some(hostname) = body.get("hostname").and_then(Value::as_str) else {
        return err(400, 1407, "hostname is required");
    };
    let hostname = hostname.to_ascii_lowercase();
    if !valid_hostname(&hostname) {
        return err(400, 1407, "Invalid custom hostname.");
    }
    let ssl = match body.get("ssl").map(check_ssl).transpose() {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return e,
    };
    if cf.hostnames.iter().any(|h| h.hostname == hostname) {
        return err(409, 1406, "Duplicate custom hostname found.");
    }
    let str_field = |k: &str| body.get(k).and_then(Value::as_str).map(String::from);
    let h = CustomHostname {
        id: hex_id(),
        hostname,
        created_at: now_rfc3339(),
        ssl,
        ssl_id: uuid(),
        custom_metadata: body.get("custom_metadata").cloned(),
        custom_origin_server: str_field("custom_origin_server"),
        custom_origin_sni: str_field("custom_origin_sni"),
        polls: 0,
        active: false,
        verify_value: hex_id(),
    };
    let out = h.to_json();
    cf.hostnames.push(h);
    ok(out)
}

pub fn list(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let polls = cf.cfg.ssl_polls_to_active;
    let q = |k: &str| req.query.get(k).map(String::as_str);
    let matching: Vec<usize> = cf
        .hostnames
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            q("hostname").is_none_or(|n| n.eq_ignore_ascii_case(&h.hostname))
                && q("id").is_none_or(|i| i == h.id)
        })
        .map(|(i, _)| i)
        .collect();
    let (page, info) = paginate(&matching, req.query, 20, 50);
    let mut items = Vec::with_capacity(page.len());
    for i in page {
        if let Some(h) = cf.hostnames.get_mut(i) {
            h.poll(polls);
            items.push(h.to_json());
        }
    }
    ok_page(items, info)
}

fn not_found() -> CfReply {
    err(404, 1436, "The custom hostname was not found.")
}

pub fn get(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let polls = cf.cfg.ssl_polls_to_active;
    match cf.hostnames.iter_mut().find(|h| h.id == req.param(1)) {
        Some(h) => {
            h.poll(polls);
            ok(h.to_json())
        }
        None => not_found(),
    }
}

pub fn edit(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match json_object(req.body) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let ssl = match body.get("ssl").map(check_ssl).transpose() {
        Ok(s) => s,
        Err(e) => return e,
    };
    let Some(h) = cf.hostnames.iter_mut().find(|h| h.id == req.param(1)) else {
        return not_found();
    };
    if let Some(ssl) = ssl {
        // New certificate settings mean a new validation round.
        h.ssl = ssl;
        h.ssl_id = uuid();
        h.active = false;
        h.polls = 0;
    }
    if let Some(m) = body.get("custom_metadata") {
        h.custom_metadata = Some(m.clone());
    }
    if let Some(o) = body.get("custom_origin_server").and_then(Value::as_str) {
        h.custom_origin_server = Some(o.to_string());
    }
    if let Some(s) = body.get("custom_origin_sni").and_then(Value::as_str) {
        h.custom_origin_sni = Some(s.to_string());
    }
    ok(h.to_json())
}

/// Answers a bare `{id}`, not an envelope (schema and SDK agree).
pub fn delete(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let id = req.param(1).to_string();
    let before = cf.hostnames.len();
    cf.hostnames.retain(|h| h.id != id);
    if cf.hostnames.len() == before {
        return not_found();
    }
    CfReply::json(200, &json!({ "id": id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        assert!(valid_hostname("app.customer.example"));
        assert!(valid_hostname("*.customer.example"));
        assert!(!valid_hostname("localhost"));
        assert!(!valid_hostname("a..b"));
        assert!(!valid_hostname("-a.b"));
        assert!(!valid_hostname("a.*.b"));
    }

    #[test]
    fn becomes_active_on_the_configured_poll() {
        let mut h = CustomHostname {
            id: hex_id(),
            hostname: "a.b.c".into(),
            created_at: now_rfc3339(),
            ssl: Map::new(),
            ssl_id: uuid(),
            custom_metadata: None,
            custom_origin_server: None,
            custom_origin_sni: None,
            polls: 0,
            active: false,
            verify_value: hex_id(),
        };
        assert_eq!(h.to_json()["ssl"]["status"], "pending_validation");
        h.poll(2);
        assert_eq!(h.to_json()["status"], "pending");
        h.poll(2);
        let v = h.to_json();
        assert_eq!(
            (v["status"].as_str(), v["ssl"]["status"].as_str()),
            (Some("active"), Some("active"))
        );
    }
}
