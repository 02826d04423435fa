//! The platform figures of `cargo xtask bench`: registry's `GET /api/v1/platforms`
//! with 1,000 platforms on record, and onboardings from request to `active` against the
//! sandbox's Cloudflare API (SSL after 0 polls), with the Cloudflare calls each made;
//! and, in Chromium against a local production build of the console on that platform,
//! the time from the sign-in click to the platforms list.

use crate::bench_auth::{json_req, measure, sign_up, Figures};
use crate::load::{self, Target};
use crate::platform::{self, Options};
use crate::toolchain::Toolchain;
use crate::util::{self, step};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

pub const SEEDED: usize = 1_000;
/// The fewest Cloudflare writes a bootstrap can make, one per thing it creates or sets:
/// the D1 database and its schema, the Worker script, its secret and its domain, and four
/// custom hostnames (the certificate-status reads that follow come on top).
pub const MINIMUM_CALLS: u64 = 9;

pub struct PlatformReport {
    pub list: Figures,
    /// Wall time from the onboarding request to `active`, ms, per onboarding.
    pub onboard_ms: Vec<f64>,
    /// Cloudflare API calls per onboarding (the sandbox's count).
    pub cf_calls: Vec<u64>,
    /// The last onboarding's calls by "METHOD /route", to show what they were.
    pub cf_routes: BTreeMap<String, u64>,
    pub sign_in: crate::console::SignInTiming,
    pub billing: crate::bench_billing::BillingReport,
    /// The Worker wrangler's DevTools inspector was attached to.
    pub inspected: Option<String>,
}

/// Timed console sign-ins (after one cold one).
const SIGN_IN_SAMPLES: usize = 10;

/// 1,000 platforms straight into registry's local D1, before the platform starts.
fn seed(root: &Path, tools: &Toolchain, state: &Path) -> Result<(), String> {
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {SEEDED}) \
         INSERT INTO platforms (id, name, slug, status, tier, owner_tenant_id, created_at, updated_at) \
         SELECT printf('bench%05d', i), 'Bench ' || i, 'bench-' || i, 'active', 'starter', 'bench-tenant', \
         1700000000000 + i, 1700000000000 + i FROM n;"
    );
    platform::d1_execute(root, tools, state, "registry", &sql).map(|_| ())
}

/// The sandbox's Cloudflare API call counts: total, and per "METHOD /route".
fn sandbox_calls() -> Result<(u64, BTreeMap<String, u64>), String> {
    let (status, body) =
        util::http_get(8790, "/_sandbox/cloudflare/stats", Duration::from_secs(5))?;
    if status != 200 {
        return Err(format!("sandbox stats: {status} {body}"));
    }
    let v: Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let total = v["total"]
        .as_u64()
        .ok_or_else(|| format!("sandbox stats without total: {body}"))?;
    let routes = v["byRoute"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok((total, routes))
}

fn get(port: u16, path: &str, auth: &str) -> Result<(u16, Value), String> {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: {auth}\r\ncf-connecting-ip: 10.251.0.1\r\n\r\n");
    let (status, body) = load::once(port, raw.as_bytes())?;
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

/// One onboarding: ms to `active`, and the Cloudflare calls it made (total, by route).
fn onboard_once(port: u16, n: usize) -> Result<(f64, u64, BTreeMap<String, u64>), String> {
    let ip = format!("10.252.0.{}", n + 1);
    let token = sign_up(
        port,
        &format!("bench-onboard-{}-{n}@example.com", std::process::id()),
        &ip,
    )?;
    let auth = format!("Bearer {token}");
    let org = json!({"name": "Bench", "slug": format!("bench-org-{}-{n}", std::process::id())});
    let (s, v) = json_req(
        port,
        "POST",
        "/api/v1/iam/auth/organization/create",
        Some(&auth),
        &org,
        &ip,
    )?;
    if s != 200 {
        return Err(format!("bench org: {s} {v}"));
    }
    let before = sandbox_calls()?;
    let started = Instant::now();
    let body =
        json!({"platformName": "Bench", "slug": format!("bench-onb-{}-{n}", std::process::id())});
    let (s, v) = json_req(
        port,
        "POST",
        "/api/v1/onboarding/sessions",
        Some(&auth),
        &body,
        &ip,
    )?;
    if s != 201 {
        return Err(format!("bench onboarding: {s} {v}"));
    }
    let id = v["id"].as_str().unwrap_or_default().to_string();
    loop {
        let (_, v) = get(port, &format!("/api/v1/onboarding/sessions/{id}"), &auth)?;
        if v["platformStatus"] == "active" {
            break;
        }
        if v["status"] == "failed" || started.elapsed() > Duration::from_secs(120) {
            return Err(format!("bench onboarding did not converge: {v}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    // SSL polling may still be going on after `active`; let it settle before counting.
    std::thread::sleep(Duration::from_secs(3));
    let (after, routes_after) = sandbox_calls()?;
    let routes = routes_after
        .into_iter()
        .map(|(k, n)| {
            let was = before.1.get(&k).copied().unwrap_or(0);
            (k, n - was.min(n))
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    Ok((ms, after - before.0, routes))
}

pub fn run(
    root: &Path,
    tools: &Toolchain,
    work: &Path,
    service_key: &str,
    log_level: Option<&'static str>,
) -> Result<PlatformReport, String> {
    let state = work.join("platforms-state");
    platform::migrate(root, tools, &state)?;
    step(&format!(
        "seeding {SEEDED} platforms into registry's local D1"
    ));
    seed(root, tools, &state)?;
    crate::bench_billing::seed(root, tools, &state)?;
    crate::auth_bundle::publish(
        root,
        tools,
        crate::auth_bundle::Target::Local {
            persist_dir: &state,
        },
    )?;
    let _sandbox = crate::sandbox::start(root, Some(&work.join("platforms-sandbox.log")))?;
    // Certificates at once: the figure is NNO's own time, not a CA's.
    let config = json!({"sslPollsToActive": 0}).to_string();
    let raw = format!(
        "POST /_sandbox/cloudflare/config HTTP/1.1\r\nHost: 127.0.0.1:8790\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{config}",
        config.len()
    );
    load::once(8790, raw.as_bytes())?;
    step("starting a full local platform for the platform figures");
    let log = work.join("platforms.log");
    let mut opts = Options::all_services(util::free_port()?, state.clone(), Some(log.clone()));
    opts.log_level = log_level;
    // wrangler's inspector on a Worker no request reaches (bench::inspector_on_idle):
    // on whichever Worker built last, it would tax that one's every request.
    let debug_log = work.join("platforms-wrangler.log");
    opts.debug_log = Some(debug_log.clone());
    let workers: Vec<&str> = opts.workers.iter().map(String::as_str).collect();
    opts.workers = crate::bench::inspector_on_idle(root, &work.join("platforms"), &workers)?;
    let p = platform::start(root, tools, &opts)?;
    util::wait_for_ok(p.port, "/health", Duration::from_secs(120))?;
    crate::bench::wait_for_idle_inspector(&debug_log)?;
    util::wait_for_ok(p.port, "/health", Duration::from_secs(120))?;
    crate::sandbox::point_stripe_webhooks(p.port)?;
    let port = p.port;

    let headers = vec![("Authorization".to_string(), format!("Bearer {service_key}"))];
    let list = Target::custom(
        port,
        "GET",
        "/api/v1/platforms?limit=20",
        headers,
        Vec::new(),
        200,
        |_| Vec::new(),
    );
    load::run_target(port, &list, 20, 1)?;
    step(
        "registry GET /api/v1/platforms?limit=20 with 1,000 platforms: 300 requests, 1 connection",
    );
    let list = measure(&p, &list, 300)?;

    step("onboarding to active against the sandbox's Cloudflare API: 3 platforms, one at a time");
    let (mut onboard_ms, mut cf_calls, mut cf_routes) = (Vec::new(), Vec::new(), BTreeMap::new());
    for n in 0..3 {
        let (ms, calls, routes) = onboard_once(port, n)?;
        onboard_ms.push(ms);
        cf_calls.push(calls);
        cf_routes = routes;
    }

    let billing = crate::bench_billing::run(port, service_key, &log)?;

    step(&format!(
        "console: {SIGN_IN_SAMPLES} sign-ins in Chromium, production build, to the platforms list"
    ));
    crate::console::ensure(root)?;
    let preview =
        crate::console::start_preview(root, port, Some(&work.join("console-preview.log")))?;
    let sign_in = crate::console::time_sign_ins(root, service_key, SIGN_IN_SAMPLES)?;
    drop(preview);
    drop(p);
    Ok(PlatformReport {
        list,
        onboard_ms,
        cf_calls,
        cf_routes,
        sign_in,
        billing,
        inspected: crate::bench::inspected_worker(&debug_log),
    })
}

impl PlatformReport {
    pub fn print(&self, minimum_calls: u64) {
        println!("\n  Platforms (registry, onboarding, provisioning against the sandbox)");
        println!(
            "    GET /api/v1/platforms, {SEEDED} on record   p50 {:.2} ms  p99 {:.2} ms  CPU {:.2} ms/request",
            self.list.p50,
            self.list.p99,
            self.list.cpu_ms
        );
        let ms: Vec<String> = self.onboard_ms.iter().map(|m| format!("{m:.0}")).collect();
        println!(
            "    onboarding request to active       {} ms",
            ms.join(" / ")
        );
        let calls: Vec<String> = self.cf_calls.iter().map(u64::to_string).collect();
        println!(
            "    Cloudflare API calls per bootstrap  {} (the steps need at least {minimum_calls})",
            calls.join(" / ")
        );
        for (route, n) in &self.cf_routes {
            println!("      {n:>3} x {route}");
        }
        let mut ms = self.sign_in.samples_ms.clone();
        ms.sort_unstable();
        println!(
            "    console sign-in click to the platforms list (Chromium, production build)\n      p50 {} ms  max {} ms over {} sign-ins; the first, cold: {} ms",
            ms[ms.len() / 2],
            ms[ms.len() - 1],
            ms.len(),
            self.sign_in.cold_ms
        );
        self.billing.print();
        println!(
            "    (wrangler's DevTools inspector on {}{})",
            self.inspected.as_deref().unwrap_or("an unknown Worker"),
            if crate::bench::is_idle(self.inspected.as_deref()) {
                ", which no request reaches"
            } else {
                ": NOT the idle Worker, not comparable"
            }
        );
    }
}
