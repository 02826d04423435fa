//! Billing's figures in `cargo xtask bench` (on the platform figures' local platform):
//! Stripe webhook handling through the gateway (a fresh event, which billing applies
//! by reading the subscription from the sandbox's Stripe again, and a repeat of one,
//! which it answers from its record), and a metering run over 1,000 synthetic
//! platforms seeded into billing's local D1: wall time from the request to the last
//! platform's usage row, the most subrequests one queue invocation made and the D1 rows
//! the run wrote (from the metering messages' log lines).

use crate::load;
use crate::toolchain::Toolchain;
use crate::util;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

pub const METERED: usize = 1_000;
const WEBHOOKS: usize = 100;
const REPEATS: usize = 50;

pub struct BillingReport {
    /// ms per delivery: applied (a fresh event), duplicate (a repeat).
    pub applied_ms: Vec<f64>,
    pub duplicate_ms: Vec<f64>,
    pub metering_ms: f64,
    pub messages: u64,
    /// `None` when the log lines were not available (`--quiet-logs`).
    pub max_subrequests: Option<u64>,
    pub rows_written: Option<u64>,
}

fn d1(root: &Path, tools: &Toolchain, state: &Path, sql: &str) -> Result<String, String> {
    crate::platform::d1_execute(root, tools, state, "billing", sql)
}

/// 1,000 live subscriptions, each with one metered Worker, straight into billing's D1.
pub fn seed(root: &Path, tools: &Toolchain, state: &Path) -> Result<(), String> {
    let n = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {METERED})"
    );
    d1(root, tools, state, &format!(
        "{n} INSERT INTO subscriptions (platform_id, owner_tenant_id, billing_email, tier, stripe_customer_id, \
         stripe_subscription_id, status, created_at, updated_at) SELECT printf('meter%05d', i), 'bench-tenant', \
         'bench@example.com', 'starter', printf('cus_meter%05d', i), printf('sub_meter%05d', i), 'active', 1, 1 FROM n; \
         {n} INSERT INTO metered_resources (platform_id, kind, name, updated_at) \
         SELECT printf('meter%05d', i), 'worker', printf('meter%05d-default-auth', i), 1 FROM n;"
    ))
    .map(|_| ())
}

fn post(port: u16, path: &str, headers: &str, body: &str) -> Result<(u16, String), String> {
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\ncf-connecting-ip: 10.253.0.1\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    load::once(port, raw.as_bytes())
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn webhook(port: u16, id: &str, subscription: &str) -> Result<(f64, String), String> {
    let body = json!({
        "id": id, "object": "event", "type": "customer.subscription.updated", "created": now_s(),
        "data": { "object": { "id": subscription, "object": "subscription" } },
    })
    .to_string();
    let header = nno_billing::signature::header(
        crate::sandbox::STRIPE_WEBHOOK_SECRET,
        now_s(),
        body.as_bytes(),
    );
    let started = Instant::now();
    let (status, answer) = post(
        port,
        "/api/v1/billing/webhooks/stripe",
        &format!("Stripe-Signature: {header}\r\n"),
        &body,
    )?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status != 200 {
        return Err(format!("webhook {id}: {status} {answer}"));
    }
    let v: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    Ok((ms, v["status"].as_str().unwrap_or_default().to_string()))
}

pub fn run(port: u16, service_key: &str, log: &Path) -> Result<BillingReport, String> {
    // A real subscription: the newest onboarded platform's.
    let auth = format!("Authorization: Bearer {service_key}\r\n");
    let raw = format!("GET /api/v1/platforms?limit=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}cf-connecting-ip: 10.253.0.2\r\n\r\n");
    let (_, body) = load::once(port, raw.as_bytes())?;
    let v: Value = serde_json::from_str(&body).map_err(|e| format!("platforms: {e}"))?;
    let pid = v["data"][0]["id"]
        .as_str()
        .ok_or("no platform to bill")?
        .to_string();
    let raw = format!("GET /api/v1/billing/subscription?platformId={pid} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}cf-connecting-ip: 10.253.0.2\r\n\r\n");
    let (status, body) = load::once(port, raw.as_bytes())?;
    let v: Value = serde_json::from_str(&body).map_err(|e| format!("subscription: {e}"))?;
    let sub = v["stripeSubscriptionId"]
        .as_str()
        .ok_or_else(|| format!("no subscription for {pid}: {status} {body}"))?
        .to_string();
    util::step(&format!(
        "billing: {WEBHOOKS} Stripe webhooks, then {REPEATS} repeats of one, one at a time"
    ));
    let run_id = std::process::id();
    let mut applied_ms = Vec::new();
    for i in 0..WEBHOOKS {
        let (ms, status) = webhook(port, &format!("evt_bench_{run_id}_{i}"), &sub)?;
        if status != "applied" {
            return Err(format!("webhook {i} was {status}, not applied"));
        }
        applied_ms.push(ms);
    }
    let mut duplicate_ms = Vec::new();
    for _ in 0..REPEATS {
        let (ms, status) = webhook(port, &format!("evt_bench_{run_id}_0"), &sub)?;
        if status != "duplicate" {
            return Err(format!("a repeat was {status}, not duplicate"));
        }
        duplicate_ms.push(ms);
    }

    util::step(&format!(
        "billing: a metering run over {METERED} synthetic platforms (and the onboarded ones)"
    ));
    let day = nno_billing::metering::day_to_meter(now_s() * 1000);
    let log_before = std::fs::read_to_string(log).map(|s| s.len()).unwrap_or(0);
    let started = Instant::now();
    let (status, answer) = post(
        port,
        "/api/v1/billing/metering/run",
        &auth,
        &json!({ "day": day }).to_string(),
    )?;
    if status != 202 {
        return Err(format!("metering run: {status} {answer}"));
    }
    let fan: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    let queued = fan["platforms"].as_u64().unwrap_or(0);
    if (queued as usize) < METERED {
        return Err(format!(
            "metering queued {queued} platforms, fewer than the {METERED} seeded"
        ));
    }
    // Done when the messages' log lines account for every platform queued (the
    // platform's own D1 cannot be read by a second process while workerd holds it);
    // with --quiet-logs, when the last seeded platform has its day.
    let period = nno_billing::metering::period_of(&day).to_string();
    let last = format!("meter{METERED:05}");
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut stats: Vec<Value>;
    loop {
        stats = message_stats(log, log_before, &day);
        let done: u64 = stats.iter().filter_map(|s| s["platforms"].as_u64()).sum();
        if done >= queued {
            break;
        }
        if stats.is_empty() {
            let raw = format!("GET /api/v1/billing/usage?platformId={last}&period={period} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}cf-connecting-ip: 10.253.0.3\r\n\r\n");
            let (_, body) = load::once(port, raw.as_bytes())?;
            let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            if v["days"].as_u64() == Some(1) && !quiet_logs(log, log_before) {
                // The log shows nothing yet: keep waiting for it.
            } else if v["days"].as_u64() == Some(1) {
                break;
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "metering accounted for {done} of {queued} platforms in 10 minutes"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let metering_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (max_subrequests, rows_written) = if stats.is_empty() {
        (None, None)
    } else {
        (
            stats.iter().filter_map(|s| s["subrequests"].as_u64()).max(),
            Some(stats.iter().filter_map(|s| s["rowsWritten"].as_u64()).sum()),
        )
    };
    Ok(BillingReport {
        applied_ms,
        duplicate_ms,
        metering_ms,
        messages: fan["messages"].as_u64().unwrap_or(0),
        max_subrequests,
        rows_written,
    })
}

/// The metering messages' own accounts for `day`, from the platform's log after `from`.
fn message_stats(log: &Path, from: usize, day: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.get(from..)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"metering message done\""))
        .filter_map(|l| {
            l.find('{')
                .and_then(|i| serde_json::from_str::<Value>(&l[i..]).ok())
        })
        .filter(|v| v["day"] == day)
        .map(|v| v["stats"].clone())
        .collect()
}

/// Whether the platform logs no request lines (wrangler's `--log-level warn`).
fn quiet_logs(log: &Path, from: usize) -> bool {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    !text
        .get(from..)
        .unwrap_or_default()
        .contains("\"msg\":\"request\"")
}

fn pct(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s.get(((s.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

impl BillingReport {
    pub fn print(&self) {
        println!("\n  Billing (Stripe webhooks and metering against the sandbox)");
        println!(
            "    webhook, applied (Stripe re-read, D1, queue)  p50 {:.2} ms  p99 {:.2} ms over {}",
            pct(&self.applied_ms, 0.5),
            pct(&self.applied_ms, 0.99),
            self.applied_ms.len()
        );
        println!(
            "    webhook, a repeat (answered from D1)          p50 {:.2} ms  p99 {:.2} ms over {}",
            pct(&self.duplicate_ms, 0.5),
            pct(&self.duplicate_ms, 0.99),
            self.duplicate_ms.len()
        );
        let or =
            |v: Option<u64>| v.map_or("not logged (--quiet-logs)".to_string(), |n| n.to_string());
        println!(
            "    metering run, {METERED} synthetic platforms   {:.1} s wall, {} queue messages, at most {} subrequests in one invocation, {} D1 rows written",
            self.metering_ms / 1000.0,
            self.messages,
            or(self.max_subrequests),
            or(self.rows_written)
        );
    }
}
