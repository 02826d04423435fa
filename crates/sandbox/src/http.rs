//! Request plumbing: reading bodies (JSON or form), answering JSON, dispatch.

use crate::cloudflare::Cloudflare;
use crate::state::{Fault, Sandbox};
use crate::stripe::Stripe;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;
use tiny_http::{Header, Method, Request, Response};

pub struct Incoming {
    pub method: Method,
    pub path: String,
    pub query: HashMap<String, String>,
    /// The query string as sent (Stripe's bracket parameters repeat and nest).
    pub raw_query: String,
    pub headers: HashMap<String, String>,
    /// The body as sent (Cloudflare uploads are binary multipart).
    pub bytes: Vec<u8>,
    /// `bytes` as text (invalid UTF-8 replaced), for the JSON and form handlers.
    pub body: String,
}

impl Incoming {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// Form fields, or a JSON object's string fields.
    pub fn fields(&self) -> HashMap<String, String> {
        if self
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
        {
            return serde_json::from_str::<Value>(&self.body)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .map(|o| {
                    o.into_iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                        .collect()
                })
                .unwrap_or_default();
        }
        parse_pairs(&self.body)
    }
}

pub fn parse_pairs(s: &str) -> HashMap<String, String> {
    nno_core::urls::query_pairs(s, 100).into_iter().collect()
}

pub enum Reply {
    Json(u16, Value),
    Redirect(String),
    Html(u16, String),
    Full {
        status: u16,
        content_type: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// Body caps: Worker uploads carry multi-megabyte wasm modules.
const BODY_CAP: u64 = 1 << 20;
const CLOUDFLARE_BODY_CAP: u64 = 32 << 20;

pub fn handle(
    mut request: Request,
    sandbox: &Mutex<Sandbox>,
    cloudflare: &Mutex<Cloudflare>,
    stripe: &Mutex<Stripe>,
) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let is_cloudflare = path.starts_with(crate::cloudflare::BASE);
    let cap = if is_cloudflare {
        CLOUDFLARE_BODY_CAP
    } else {
        BODY_CAP
    };
    let mut bytes = Vec::new();
    let _ = request.as_reader().take(cap).read_to_end(&mut bytes);
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let incoming = Incoming {
        method: request.method().clone(),
        path: path.to_string(),
        query: parse_pairs(query),
        raw_query: query.to_string(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_string(),
                )
            })
            .collect(),
        bytes,
        body,
    };
    let fault = lock(sandbox).take_fault(&incoming.path, &incoming.body);
    let reply = if is_cloudflare {
        crate::cloudflare::handle(&incoming, cloudflare, fault)
    } else if incoming.path.starts_with(crate::stripe::BASE) {
        crate::stripe::handle(&incoming, stripe, fault)
    } else if incoming.path.starts_with(crate::stripe::inspect::PREFIX) {
        crate::stripe::inspect_route(&incoming, stripe)
    } else if incoming
        .path
        .starts_with(crate::cloudflare::inspect::PREFIX)
    {
        crate::cloudflare::inspect_route(&incoming, cloudflare)
    } else {
        plain(&incoming, sandbox, fault)
    };
    let response = match reply {
        Reply::Json(status, v) => Response::from_string(v.to_string())
            .with_status_code(status)
            .with_header(header("content-type", "application/json")),
        Reply::Redirect(location) => Response::from_string("")
            .with_status_code(302)
            .with_header(header("location", &location)),
        Reply::Html(status, body) => Response::from_string(body)
            .with_status_code(status)
            .with_header(header("content-type", "text/html")),
        Reply::Full {
            status,
            content_type,
            headers,
            body,
        } => {
            let mut r = Response::from_data(body)
                .with_status_code(status)
                .with_header(header("content-type", &content_type));
            for (k, v) in headers {
                r.add_header(header(&k, &v));
            }
            let _ = request.respond(r);
            return;
        }
    };
    let _ = request.respond(response);
}

/// The non-Cloudflare systems: faults answer in a generic JSON shape.
fn plain(
    incoming: &Incoming,
    sandbox: &Mutex<Sandbox>,
    fault: Option<(u16, Duration, Option<String>)>,
) -> Reply {
    match fault {
        Some((status, delay, body)) => {
            std::thread::sleep(delay);
            if let Some(body) = body {
                Reply::Html(if status == 0 { 200 } else { status }, body)
            } else if status == 0 {
                route(incoming, sandbox)
            } else {
                Reply::Json(
                    status,
                    json!({ "message": "injected fault", "statusCode": status }),
                )
            }
        }
        None => route(incoming, sandbox),
    }
}

fn header(name: &str, value: &str) -> Header {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(h) => h,
        Err(_) => {
            Header::from_bytes(&b"x-invalid"[..], &b"1"[..]).unwrap_or_else(|_| unreachable!())
        }
    }
}

pub fn lock(sandbox: &Mutex<Sandbox>) -> std::sync::MutexGuard<'_, Sandbox> {
    // A panicked handler thread must not take the whole sandbox down with it.
    sandbox.lock().unwrap_or_else(|p| p.into_inner())
}

fn route(req: &Incoming, sandbox: &Mutex<Sandbox>) -> Reply {
    use Method::{Delete, Get, Post};
    match (&req.method, req.path.as_str()) {
        (Get, "/health") => Reply::Json(200, json!({ "status": "ok" })),
        (Post, "/resend/emails") => crate::mail::send(req, sandbox),
        (Get, "/_sandbox/emails") => crate::mail::list(req, sandbox),
        (Delete, "/_sandbox/emails") => {
            lock(sandbox).emails.clear();
            Reply::Json(200, json!({ "cleared": true }))
        }
        (Post, "/_sandbox/faults") => arm_fault(req, sandbox),
        (Get, "/github/login/oauth/authorize") => crate::oauth::authorize(req, sandbox, "github"),
        (Post, "/github/login/oauth/access_token") => crate::oauth::token(req, sandbox, "github"),
        (Get, "/github/api/user") => crate::oauth::github_user(req, sandbox),
        (Get, "/github/api/user/emails") => crate::oauth::github_emails(req, sandbox),
        (Get, "/google/o/oauth2/v2/auth") => crate::oauth::authorize(req, sandbox, "google"),
        (Post, "/google/token") => crate::oauth::token(req, sandbox, "google"),
        _ => Reply::Json(
            404,
            json!({ "message": format!("the sandbox has no {} {}", req.method, req.path) }),
        ),
    }
}

fn arm_fault(req: &Incoming, sandbox: &Mutex<Sandbox>) -> Reply {
    let v: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    let Some(prefix) = v["pathPrefix"].as_str() else {
        return Reply::Json(400, json!({ "message": "pathPrefix is required" }));
    };
    let fault = Fault {
        path_prefix: prefix.to_string(),
        body_contains: v["bodyContains"].as_str().map(String::from),
        status: v["status"].as_u64().unwrap_or(0).min(599) as u16,
        delay: Duration::from_millis(v["delayMs"].as_u64().unwrap_or(0).min(60_000)),
        times: v["times"].as_u64().unwrap_or(1).min(1000) as u32,
        body: v["body"].as_str().map(|b| b.chars().take(4096).collect()),
    };
    lock(sandbox).faults.push(fault);
    Reply::Json(200, json!({ "armed": true }))
}
