//! A stand-in for the Cloudflare API v4 subset NNO's provisioning uses, with state.
//! Base URL: `http://127.0.0.1:PORT/cloudflare/client/v4` (so `/accounts/{a}/…`
//! lives at `/cloudflare/client/v4/accounts/{a}/…`). Wire formats follow
//! `shared/reference/cloudflare-api.md` and are checked with Cloudflare's own npm
//! client in `crates/sandbox/fidelity`.
//!
//! Endpoints (`{a}` the account, `{z}` the zone):
//! - `GET /user/tokens/verify`, `GET /accounts/{a}/tokens/verify`
//! - D1: `POST|GET /accounts/{a}/d1/database`, `GET|DELETE …/{id}`, `POST …/{id}/query`, `POST …/{id}/raw`
//! - Workers: `GET /accounts/{a}/workers/scripts`, `PUT|GET|DELETE …/scripts/{name}`,
//!   `GET …/{name}/settings`, `PUT|GET …/{name}/secrets`, `GET|DELETE …/secrets/{secret}`
//! - Workers custom domains: `PUT|GET /accounts/{a}/workers/domains`, `GET|DELETE …/{id}`
//! - Workers routes: `POST|GET /zones/{z}/workers/routes`, `GET|DELETE …/{id}`
//! - Custom hostnames: `POST|GET /zones/{z}/custom_hostnames`, `GET|PATCH|DELETE …/{id}`
//! - KV: `POST|GET /accounts/{a}/storage/kv/namespaces`, `GET|DELETE …/{id}`
//! - R2: `POST|GET /accounts/{a}/r2/buckets`, `GET|DELETE …/{name}`
//! - GraphQL Analytics API: `POST /graphql` (usage of Workers scripts, D1 databases,
//!   R2 buckets and KV namespaces, deterministic per day; see `analytics.rs`). Same
//!   auth, rate limit, faults and chaos; the account is checked in the query
//!   (`accounts(filter: {accountTag})`), and GraphQL errors are HTTP 200 with
//!   `{data: null, errors: [...]}`.
//!
//! Order of checks per call, as on Cloudflare: route known (else 404 `7003`), auth
//! (`Authorization: Bearer`, else 400 `9106` when missing, 401 `10000` when wrong),
//! rate limit (429 `971` + `retry-after`), account/zone (403 `7403` / 404 `7003`),
//! then injected faults and chaos, then the operation.
//!
//! Test controls live under `/_sandbox/cloudflare/` (see `inspect.rs`).

mod analytics;
mod chaos;
mod d1;
mod domains;
mod envelope;
mod graphql;
mod hostnames;
pub mod inspect;
mod kv;
mod multipart;
mod r2;
mod ratelimit;
mod workers;

pub use inspect::route as inspect_route;

use crate::http::{Incoming, Reply};
use envelope::{err, CfReply};
use ratelimit::{RateLimiter, Verdict};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub const BASE: &str = "/cloudflare/client/v4";

pub struct Config {
    pub token: String,
    pub account_id: String,
    pub zone_id: String,
    pub zone_name: String,
    pub ssl_polls_to_active: u32,
}

#[derive(Default)]
pub struct Stats {
    pub total: u64,
    /// "METHOD /template" -> calls (every call that reached the API, refused or not).
    pub by_route: BTreeMap<String, u64>,
    pub by_status: BTreeMap<u16, u64>,
    /// 429s from the rate limiter / all 429s (limiter, faults, chaos).
    pub rate_limited: u64,
    pub served_429: u64,
    pub chaos_injected: u64,
    pub faults_injected: u64,
    /// The last paths (up to 50) that matched no route: what a client needs that the
    /// stand-in lacks.
    pub unmatched: Vec<String>,
}

pub struct Cloudflare {
    pub cfg: Config,
    pub limiter: RateLimiter,
    pub chaos: Option<chaos::Chaos>,
    pub stats: Stats,
    pub d1: Vec<d1::Database>,
    pub scripts: BTreeMap<String, workers::Script>,
    pub domains: Vec<domains::Domain>,
    pub routes: Vec<domains::Route>,
    pub hostnames: Vec<hostnames::CustomHostname>,
    pub kv: Vec<kv::Namespace>,
    pub r2: BTreeMap<String, r2::Bucket>,
    /// GraphQL Analytics: usage overrides and the count of queries answered.
    pub usage: analytics::Usage,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Cloudflare {
    pub fn from_env() -> Cloudflare {
        let window = env_num("SANDBOX_CLOUDFLARE_RATE_WINDOW_MS", 300_000);
        Cloudflare {
            cfg: Config {
                token: env_or("SANDBOX_CLOUDFLARE_API_TOKEN", "cf_sandbox_token"),
                account_id: env_or(
                    "SANDBOX_CLOUDFLARE_ACCOUNT_ID",
                    "0123456789abcdef0123456789abcdef",
                ),
                zone_id: env_or(
                    "SANDBOX_CLOUDFLARE_ZONE_ID",
                    "fedcba9876543210fedcba9876543210",
                ),
                zone_name: env_or("SANDBOX_CLOUDFLARE_ZONE_NAME", "nno.example"),
                ssl_polls_to_active: env_num("SANDBOX_CLOUDFLARE_SSL_POLLS_TO_ACTIVE", 2) as u32,
            },
            limiter: RateLimiter::new(
                env_num("SANDBOX_CLOUDFLARE_RATE_LIMIT", 1200) as usize,
                Duration::from_millis(window),
                Duration::from_millis(env_num("SANDBOX_CLOUDFLARE_RATE_BLOCK_MS", window)),
            ),
            chaos: None,
            stats: Stats::default(),
            d1: Vec::new(),
            scripts: BTreeMap::new(),
            domains: Vec::new(),
            routes: Vec::new(),
            hostnames: Vec::new(),
            kv: Vec::new(),
            r2: BTreeMap::new(),
            usage: analytics::Usage::default(),
        }
    }

    /// Everything but the configuration goes (state, stats, windows, chaos).
    pub fn reset(&mut self) {
        self.d1.clear();
        self.scripts.clear();
        self.domains.clear();
        self.routes.clear();
        self.hostnames.clear();
        self.kv.clear();
        self.r2.clear();
        self.usage = analytics::Usage::default();
        self.stats = Stats::default();
        self.limiter.clear();
        self.chaos = None;
    }
}

pub fn lock(cf: &Mutex<Cloudflare>) -> MutexGuard<'_, Cloudflare> {
    cf.lock().unwrap_or_else(|p| p.into_inner())
}

/// One API call as the handlers see it.
pub struct Req<'a> {
    pub template: &'static str,
    params: Vec<String>,
    pub query: &'a HashMap<String, String>,
    headers: &'a HashMap<String, String>,
    pub body: &'a [u8],
}

impl Req<'_> {
    /// The n-th `{…}` of the path template ("" if absent).
    pub fn param(&self, n: usize) -> &str {
        self.params.get(n).map_or("", String::as_str)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

const TEMPLATES: &[&str] = &[
    "/user/tokens/verify",
    "/accounts/{account_id}/tokens/verify",
    "/accounts/{account_id}/d1/database",
    "/accounts/{account_id}/d1/database/{database_id}",
    "/accounts/{account_id}/d1/database/{database_id}/query",
    "/accounts/{account_id}/d1/database/{database_id}/raw",
    "/accounts/{account_id}/workers/scripts",
    "/accounts/{account_id}/workers/scripts/{script_name}",
    "/accounts/{account_id}/workers/scripts/{script_name}/settings",
    "/accounts/{account_id}/workers/scripts/{script_name}/secrets",
    "/accounts/{account_id}/workers/scripts/{script_name}/secrets/{secret_name}",
    "/accounts/{account_id}/workers/domains",
    "/accounts/{account_id}/workers/domains/{domain_id}",
    "/accounts/{account_id}/storage/kv/namespaces",
    "/accounts/{account_id}/storage/kv/namespaces/{namespace_id}",
    "/accounts/{account_id}/r2/buckets",
    "/accounts/{account_id}/r2/buckets/{bucket_name}",
    "/zones/{zone_id}/custom_hostnames",
    "/zones/{zone_id}/custom_hostnames/{custom_hostname_id}",
    "/zones/{zone_id}/workers/routes",
    "/zones/{zone_id}/workers/routes/{route_id}",
    "/graphql",
];

/// The template `path` matches, with its parameters (percent-decoded).
fn match_template(path: &str) -> Option<(&'static str, Vec<String>)> {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    TEMPLATES.iter().find_map(|t| {
        let tsegs: Vec<&str> = t.split('/').skip(1).collect();
        if tsegs.len() != segs.len() {
            return None;
        }
        let mut params = Vec::new();
        for (t, s) in tsegs.iter().zip(&segs) {
            if t.starts_with('{') {
                if s.is_empty() {
                    return None;
                }
                params.push(percent_decode(s));
            } else if t != s {
                return None;
            }
        }
        Some((*t, params))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn dispatch(cf: &mut Cloudflare, method: &str, req: &Req) -> CfReply {
    let t = req.template;
    let tail = t.rsplit('/').next().unwrap_or("");
    match (method, t) {
        ("GET", "/user/tokens/verify" | "/accounts/{account_id}/tokens/verify") => {
            let id = crate::state::sha256_hex(cf.cfg.token.as_bytes());
            envelope::ok(serde_json::json!({ "id": &id[..32], "status": "active" }))
        }
        ("POST", "/accounts/{account_id}/d1/database") => d1::create(cf, req),
        ("GET", "/accounts/{account_id}/d1/database") => d1::list(cf, req),
        ("GET", "/accounts/{account_id}/d1/database/{database_id}") => d1::get(cf, req),
        ("DELETE", "/accounts/{account_id}/d1/database/{database_id}") => d1::delete(cf, req),
        ("POST", "/accounts/{account_id}/d1/database/{database_id}/query") => {
            d1::query(cf, req, false)
        }
        ("POST", "/accounts/{account_id}/d1/database/{database_id}/raw") => {
            d1::query(cf, req, true)
        }
        ("GET", "/accounts/{account_id}/workers/scripts") => workers::list(cf, req),
        ("PUT", "/accounts/{account_id}/workers/scripts/{script_name}") => workers::upload(cf, req),
        ("GET", "/accounts/{account_id}/workers/scripts/{script_name}") => {
            workers::content(cf, req)
        }
        ("DELETE", "/accounts/{account_id}/workers/scripts/{script_name}") => {
            workers::delete(cf, req)
        }
        ("GET", _) if tail == "settings" => workers::settings(cf, req),
        ("PUT", "/accounts/{account_id}/workers/scripts/{script_name}/secrets") => {
            workers::put_secret(cf, req)
        }
        ("GET", "/accounts/{account_id}/workers/scripts/{script_name}/secrets") => {
            workers::list_secrets(cf, req)
        }
        ("GET", "/accounts/{account_id}/workers/scripts/{script_name}/secrets/{secret_name}") => {
            workers::get_secret(cf, req)
        }
        (
            "DELETE",
            "/accounts/{account_id}/workers/scripts/{script_name}/secrets/{secret_name}",
        ) => workers::delete_secret(cf, req),
        ("PUT", "/accounts/{account_id}/workers/domains") => domains::attach(cf, req),
        ("GET", "/accounts/{account_id}/workers/domains") => domains::list(cf, req),
        ("GET", "/accounts/{account_id}/workers/domains/{domain_id}") => domains::get(cf, req),
        ("DELETE", "/accounts/{account_id}/workers/domains/{domain_id}") => {
            domains::detach(cf, req)
        }
        ("POST", "/zones/{zone_id}/workers/routes") => domains::create_route(cf, req),
        ("GET", "/zones/{zone_id}/workers/routes") => domains::list_routes(cf, req),
        ("GET", "/zones/{zone_id}/workers/routes/{route_id}") => domains::get_route(cf, req),
        ("DELETE", "/zones/{zone_id}/workers/routes/{route_id}") => domains::delete_route(cf, req),
        ("POST", "/zones/{zone_id}/custom_hostnames") => hostnames::create(cf, req),
        ("GET", "/zones/{zone_id}/custom_hostnames") => hostnames::list(cf, req),
        ("GET", "/zones/{zone_id}/custom_hostnames/{custom_hostname_id}") => {
            hostnames::get(cf, req)
        }
        ("PATCH", "/zones/{zone_id}/custom_hostnames/{custom_hostname_id}") => {
            hostnames::edit(cf, req)
        }
        ("DELETE", "/zones/{zone_id}/custom_hostnames/{custom_hostname_id}") => {
            hostnames::delete(cf, req)
        }
        ("POST", "/accounts/{account_id}/storage/kv/namespaces") => kv::create(cf, req),
        ("GET", "/accounts/{account_id}/storage/kv/namespaces") => kv::list(cf, req),
        ("GET", "/accounts/{account_id}/storage/kv/namespaces/{namespace_id}") => kv::get(cf, req),
        ("DELETE", "/accounts/{account_id}/storage/kv/namespaces/{namespace_id}") => {
            kv::delete(cf, req)
        }
        ("POST", "/accounts/{account_id}/r2/buckets") => r2::create(cf, req),
        ("GET", "/accounts/{account_id}/r2/buckets") => r2::list(cf, req),
        ("GET", "/accounts/{account_id}/r2/buckets/{bucket_name}") => r2::get(cf, req),
        ("DELETE", "/accounts/{account_id}/r2/buckets/{bucket_name}") => r2::delete(cf, req),
        ("POST", "/graphql") => analytics::graphql(cf, req),
        // Cloudflare answers a known path with the wrong method as an unknown route.
        _ => envelope::no_route(),
    }
}

/// What is left to do once the checks under the lock are done.
pub enum Next {
    /// Wait (outside the lock), then answer without running the operation.
    Answer { wait: Duration, reply: CfReply },
    /// Wait, then run the operation; `fail` replaces its answer (the write still
    /// happens: chaos's `5xx-after-write`).
    Run {
        wait: Duration,
        fail: Option<CfReply>,
    },
}

fn answer(reply: CfReply) -> Next {
    Next::Answer {
        wait: Duration::ZERO,
        reply,
    }
}

fn auth_failure(cf: &Cloudflare, headers: &HashMap<String, String>) -> Option<CfReply> {
    let token = match headers.get("authorization") {
        Some(a) => a.strip_prefix("Bearer ").map(str::trim),
        None => match (headers.get("x-auth-email"), headers.get("x-auth-key")) {
            // The legacy pair is accepted with the token as the key.
            (Some(_), Some(k)) => Some(k.as_str()),
            _ => {
                return Some(err(
                    400,
                    9106,
                    "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
                ))
            }
        },
    };
    (token != Some(cf.cfg.token.as_str())).then(|| err(401, 10000, "Authentication error"))
}

/// Answers one call under `/cloudflare/client/v4`. `fault` is what `/_sandbox/faults`
/// armed for this path, if anything (status 0 = only a delay).
pub fn handle(
    inc: &Incoming,
    cf_mutex: &Mutex<Cloudflare>,
    fault: Option<(u16, Duration, Option<String>)>,
) -> Reply {
    let method = inc.method.as_str().to_ascii_uppercase();
    let path = inc.path.strip_prefix(BASE).unwrap_or("");
    let matched = match_template(path);
    let template = matched.as_ref().map_or("(no route)", |m| m.0);
    let req = Req {
        template,
        params: matched.as_ref().map(|m| m.1.clone()).unwrap_or_default(),
        query: &inc.query,
        headers: &inc.headers,
        body: &inc.bytes,
    };
    let mut rate_headers = Vec::new();
    let next = {
        let mut cf = lock(cf_mutex);
        cf.stats.total += 1;
        *cf.stats
            .by_route
            .entry(format!("{method} {template}"))
            .or_default() += 1;
        precheck(
            &mut cf,
            &method,
            &req,
            matched.is_some(),
            fault,
            &mut rate_headers,
        )
    };
    let (wait, run, fail) = match next {
        Next::Answer { wait, reply } => (wait, false, Some(reply)),
        Next::Run { wait, fail } => (wait, true, fail),
    };
    if !wait.is_zero() {
        std::thread::sleep(wait);
    }
    let mut reply = match (run, fail) {
        (true, fail) => {
            let r = dispatch(&mut lock(cf_mutex), &method, &req);
            fail.unwrap_or(r)
        }
        (false, Some(r)) => r,
        (false, None) => envelope::no_route(),
    };
    reply.headers.extend(rate_headers);
    {
        let mut cf = lock(cf_mutex);
        *cf.stats.by_status.entry(reply.status).or_default() += 1;
        if reply.status == 429 {
            cf.stats.served_429 += 1;
        }
    }
    Reply::Full {
        status: reply.status,
        content_type: reply.content_type.to_string(),
        headers: reply.headers,
        body: reply.body,
    }
}

fn precheck(
    cf: &mut Cloudflare,
    method: &str,
    req: &Req,
    matched: bool,
    fault: Option<(u16, Duration, Option<String>)>,
    rate_headers: &mut Vec<(String, String)>,
) -> Next {
    if !matched {
        return answer(envelope::no_route());
    }
    if let Some(e) = auth_failure(cf, req.headers) {
        return answer(e);
    }
    match cf.limiter.check(&cf.cfg.token.clone(), Instant::now()) {
        Verdict::Blocked { retry_after_secs } => {
            cf.stats.rate_limited += 1;
            return answer(rate_limited(retry_after_secs));
        }
        Verdict::Allowed {
            remaining,
            reset_secs,
        } => {
            rate_headers.push((
                "ratelimit".into(),
                format!("\"default\";r={remaining};t={reset_secs}"),
            ));
            rate_headers.push((
                "ratelimit-policy".into(),
                format!(
                    "\"default\";q={};w={}",
                    cf.limiter.limit,
                    cf.limiter.window.as_secs().max(1)
                ),
            ));
        }
    }
    if req.template.starts_with("/accounts/") && req.param(0) != cf.cfg.account_id {
        return answer(err(
            403,
            7403,
            "The given account is not valid or is not authorized to access this service",
        ));
    }
    if req.template.starts_with("/zones/") && req.param(0) != cf.cfg.zone_id {
        return answer(err(
            404,
            7003,
            format!(
                "Could not route to {BASE}/zones/{}, perhaps your object identifier is invalid?",
                req.param(0)
            ),
        ));
    }
    let mut wait = Duration::ZERO;
    if let Some((status, delay, body)) = fault {
        cf.stats.faults_injected += 1;
        wait = delay;
        if let Some(body) = body {
            return answer(CfReply {
                status: if status == 0 { 200 } else { status },
                headers: Vec::new(),
                content_type: "text/html",
                body: body.into_bytes(),
            });
        }
        if status != 0 {
            return Next::Answer {
                wait,
                reply: injected(status),
            };
        }
    }
    if let Some(chaos) = cf.chaos.as_mut() {
        if let Some((kind, status)) = chaos.roll() {
            let timeout = chaos.timeout;
            cf.stats.chaos_injected += 1;
            return chaos::outcome(kind, status, timeout, wait, method);
        }
    }
    Next::Run { wait, fail: None }
}

pub fn rate_limited(retry_after_secs: u64) -> CfReply {
    err(
        429,
        971,
        "Please wait and consider throttling your request speed",
    )
    .with_header("retry-after", retry_after_secs.to_string())
}

/// An injected failure in Cloudflare's envelope (429s carry `retry-after`).
pub fn injected(status: u16) -> CfReply {
    match status {
        429 => rate_limited(1),
        s => err(
            s,
            10001,
            format!("Internal server error (sandbox: injected {s})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_templates_with_decoded_parameters() {
        let (t, p) =
            match_template("/accounts/abc/workers/scripts/s1/secrets/MY%20KEY").expect("matches");
        assert_eq!(
            t,
            "/accounts/{account_id}/workers/scripts/{script_name}/secrets/{secret_name}"
        );
        assert_eq!(p, vec!["abc", "s1", "MY KEY"]);
        assert_eq!(
            match_template("/zones/z/custom_hostnames/").map(|m| m.0),
            Some("/zones/{zone_id}/custom_hostnames")
        );
        assert!(match_template("/accounts/abc/d1").is_none());
        assert!(match_template("/accounts//d1/database").is_none());
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }
}
