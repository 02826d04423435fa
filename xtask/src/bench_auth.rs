//! The authentication part of `cargo xtask bench`, on a full local platform:
//! sign-in latency and CPU per sign-in (password hashing dominates; skipped with
//! `credentials_only`), and what the gateway's credential checks cost per request: the
//! same upstream route called with the service key (no lookup), a session (IAM lookup
//! and per-user counter) and an API key (failure budget, IAM lookup, per-key counter).
//! CPU is read from the workerd process (all Workers and local D1 included), so it is
//! repeatable where wall-clock throughput on a shared machine is not.

use crate::cpu;
use crate::load::{self, percentile, Target};
use crate::platform::{self, Options, Platform};
use crate::toolchain::Toolchain;
use crate::util::{self, step};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// An authenticated route that reaches an upstream and does no work there (billing's
/// 404), so differences between credentials are the gateway's checks.
pub const ROUTE: &str = "/api/v1/billing/bench";
const PASSWORD: &str = "bench password 123";

pub struct AuthOptions {
    pub log_level: Option<&'static str>,
    pub sign_ins: usize,
    pub requests: usize,
    /// Interleaved rounds of the credential checks, each with a fresh user and key.
    pub rounds: usize,
    /// Only the gateway's credential checks: no sign-in or password-reset figures.
    pub credentials_only: bool,
}

pub const SERVICE_KEY: &str = "service key";
pub const SESSION: &str = "session (bearer)";
pub const API_KEY: &str = "API key";

/// Sign-in and password-reset figures.
struct SignIns {
    signin: Figures,
    wrong_password: Figures,
    unknown: Figures,
    reset_known: Figures,
    reset_unknown: Figures,
}

/// What `run` measured, printed by `cargo xtask bench` after its headline.
pub struct AuthReport {
    sign_ins: Option<SignIns>,
    /// (round, credential label, figures) for each credential kind per round.
    rows: Vec<(usize, &'static str, Figures)>,
    /// Other processes' CPU during the credential checks, in cores.
    pub background_cores: f64,
    /// The Worker wrangler's DevTools inspector was attached to.
    pub inspected: Option<String>,
    /// The platform's own CPU with no requests, in cores, just before the checks.
    pub idle_cores: f64,
}

impl AuthReport {
    /// The mean over rounds of one figure for one credential kind.
    pub fn avg(&self, label: &str, pick: fn(&Figures) -> f64) -> f64 {
        let v: Vec<f64> = self
            .rows
            .iter()
            .filter(|r| r.1 == label)
            .map(|r| pick(&r.2))
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }

    /// What one credential kind's check costs over the service key's, in CPU ms per
    /// request, round by round: each round's two figures were taken seconds apart, so
    /// their difference carries less of the machine's drift than the means' does.
    pub fn cpu_over_service_key(&self, label: &str) -> Vec<f64> {
        let service_key = |round: usize| {
            self.rows
                .iter()
                .find(|r| r.0 == round && r.1 == SERVICE_KEY)
                .map(|r| r.2.cpu_ms)
        };
        self.rows
            .iter()
            .filter(|r| r.1 == label)
            .filter_map(|r| Some(r.2.cpu_ms - service_key(r.0)?))
            .collect()
    }

    pub fn print(&self) {
        println!("\nAuthentication on the local runtime (whole platform CPU, workerd process)");
        println!(
            "  {:<44} {:>8} {:>8} {:>11}",
            "request", "p50 ms", "p99 ms", "CPU ms/req"
        );
        if let Some(s) = &self.sign_ins {
            for (label, f) in [
                ("sign-in, correct password (new session)", &s.signin),
                ("sign-in, wrong password", &s.wrong_password),
                ("sign-in, unknown e-mail", &s.unknown),
            ] {
                println!(
                    "  {:<44} {:>8.2} {:>8.2} {:>11.2}",
                    label, f.p50, f.p99, f.cpu_ms
                );
            }
        }
        for l in [SERVICE_KEY, SESSION, API_KEY] {
            println!(
                "  {:<44} {:>8.2} {:>8.2} {:>11.2}",
                format!("GET {ROUTE} ({l})"),
                self.avg(l, |f| f.p50),
                self.avg(l, |f| f.p99),
                self.avg(l, |f| f.cpu_ms)
            );
        }
        let base = self.avg(SERVICE_KEY, |f| f.p50);
        for (l, what) in [(SESSION, "a session:"), (API_KEY, "an API key:")] {
            let (cpu, se) = crate::bench::mean_and_standard_error(&self.cpu_over_service_key(l));
            println!(
                "  cost of validating {what:<12} p50 {:+.2} ms, CPU {cpu:+.2} ms per request (standard error {se:.2})",
                self.avg(l, |f| f.p50) - base,
            );
        }
        let Some(s) = &self.sign_ins else {
            println!("  (sign-in and password-reset figures skipped: --gateway-only)");
            return;
        };
        println!(
            "  timing of a failed sign-in, known vs unknown e-mail: p50 {:+.2} ms, CPU {:+.2} ms",
            s.wrong_password.p50 - s.unknown.p50,
            s.wrong_password.cpu_ms - s.unknown.cpu_ms
        );
        println!(
            "  timing of a password-reset request, known vs unknown e-mail: p50 {:.2} vs {:.2} ms ({:+.2}; the e-mail is sent after the answer)",
            s.reset_known.p50,
            s.reset_unknown.p50,
            s.reset_known.p50 - s.reset_unknown.p50
        );
    }
}

pub(crate) fn json_req(
    port: u16,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &Value,
    ip: &str,
) -> Result<(u16, Value), String> {
    let text = body.to_string();
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\ncf-connecting-ip: {ip}\r\n",
        text.len()
    );
    if let Some(a) = auth {
        raw.push_str(&format!("Authorization: {a}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(&text);
    let (status, body) = load::once(port, raw.as_bytes())?;
    Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

/// A sign-in request per index: `who(i)` gives the address and password.
fn sign_in_target(
    port: u16,
    expect: u16,
    who: impl Fn(usize) -> (String, &'static str) + Send + Sync + 'static,
) -> Target {
    Target {
        build: std::sync::Arc::new(move |i| {
            let (email, password) = who(i);
            let body = json!({"email": email, "password": password}).to_string();
            let ip = &unique_ip(i)[0].1;
            format!(
                "POST /api/v1/iam/auth/sign-in/email HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
                 Content-Type: application/json\r\ncf-connecting-ip: {ip}\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        }),
        expect,
    }
}

/// An account with `PASSWORD`, from its own client address; its session token.
pub(crate) fn sign_up(port: u16, email: &str, ip: &str) -> Result<String, String> {
    let (s, v) = json_req(
        port,
        "POST",
        "/api/v1/iam/auth/sign-up/email",
        None,
        &json!({"name": "Bench", "email": email, "password": PASSWORD}),
        ip,
    )?;
    if s != 200 {
        return Err(format!("bench sign-up failed: {s} {v}"));
    }
    Ok(v["token"].as_str().unwrap_or_default().to_string())
}

/// A fresh user with a session and an API key (each round gets its own, so the
/// per-user limit of 600/min is never what is measured).
fn credentials(port: u16, n: usize) -> Result<(String, String), String> {
    // Not `bench-…`: the sign-in figures' accounts are numbered from 1 too.
    let email = format!("bench-key-{}-{n}@example.com", std::process::id());
    let ip = format!("10.250.{}.{}", n / 250, n % 250 + 1);
    let token = sign_up(port, &email, &ip)?;
    let (s, k) = json_req(
        port,
        "POST",
        "/api/v1/iam/nno/apikey",
        Some(&format!("Bearer {token}")),
        &json!({"name": "bench", "scopes": ["iam:read"], "rateLimit": {"max": 6000, "windowSeconds": 60}}),
        &ip,
    )?;
    if s != 201 {
        return Err(format!("bench API key failed: {s} {k}"));
    }
    Ok((token, k["key"].as_str().unwrap_or_default().to_string()))
}

pub struct Figures {
    pub p50: f64,
    pub p99: f64,
    pub cpu_ms: f64,
}

pub(crate) fn measure(p: &Platform, target: &Target, n: usize) -> Result<Figures, String> {
    let before = cpu::snapshot(p.pgid());
    let r = load::run_target(p.port, target, n, 1)?;
    let cpu_ms = cpu::used_ms(&before, &cpu::snapshot(p.pgid())) / n as f64;
    if r.errors > 0 {
        return Err(format!(
            "{} of {n} requests did not answer {}",
            r.errors, target.expect
        ));
    }
    let mut l = r.latencies_us;
    l.sort_unstable();
    Ok(Figures {
        p50: percentile(&l, 0.5),
        p99: percentile(&l, 0.99),
        cpu_ms,
    })
}

/// `a` and `b` measured in alternating rounds (`n` requests each in all), so drift in
/// the machine's load falls on both alike; the figures are the rounds' means.
fn interleaved(
    p: &Platform,
    a: &Target,
    b: &Target,
    n: usize,
) -> Result<(Figures, Figures), String> {
    const ROUNDS: usize = 4;
    let per_round = (n / ROUNDS).max(1);
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        fa.push(measure(p, a, per_round)?);
        fb.push(measure(p, b, per_round)?);
    }
    let mean = |v: &[Figures]| Figures {
        p50: v.iter().map(|f| f.p50).sum::<f64>() / v.len() as f64,
        p99: v.iter().map(|f| f.p99).sum::<f64>() / v.len() as f64,
        cpu_ms: v.iter().map(|f| f.cpu_ms).sum::<f64>() / v.len() as f64,
    };
    Ok((mean(&fa), mean(&fb)))
}

/// A client address no other request of this run used (sign-in is limited per IP).
fn unique_ip(_: usize) -> Vec<(String, String)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    vec![(
        "cf-connecting-ip".into(),
        format!("10.{}.{}.{}", 100 + n / 65536 % 100, n / 256 % 256, n % 256),
    )]
}

fn no_vary(_: usize) -> Vec<(String, String)> {
    Vec::new()
}

pub fn run(
    root: &Path,
    tools: &Toolchain,
    work: &Path,
    service_key: &str,
    o: &AuthOptions,
) -> Result<AuthReport, String> {
    let state = work.join("auth-state");
    platform::migrate(root, tools, &state)?;
    step("starting a full local platform for the authentication figures");
    let mut opts = Options::all_services(util::free_port()?, state, Some(work.join("auth.log")));
    opts.log_level = o.log_level;
    // wrangler's inspector on a Worker no request reaches (bench::inspector_on_idle).
    let debug_log = work.join("auth-wrangler.log");
    opts.debug_log = Some(debug_log.clone());
    let workers: Vec<&str> = opts.workers.iter().map(String::as_str).collect();
    opts.workers = crate::bench::inspector_on_idle(root, &work.join("auth"), &workers)?;
    let p = platform::start(root, tools, &opts)?;
    util::wait_for_ok(p.port, "/health", Duration::from_secs(120))?;
    crate::bench::wait_for_idle_inspector(&debug_log)?;
    util::wait_for_ok(p.port, "/health", Duration::from_secs(120))?;
    let port = p.port;

    let sign_ins = if o.credentials_only {
        None
    } else {
        Some(sign_ins(&p, o.sign_ins)?)
    };

    // Interleaved rounds (each starting at the next kind), so drift on the machine falls
    // on all three alike; each round with a fresh user, whose per-user limit of 600
    // requests a minute is then never what is measured.
    let per_round = o.requests.min(500);
    step(&format!(
        "gateway credential checks: {} rounds x {per_round} requests per kind, 1 connection",
        o.rounds
    ));
    let target = |token: &str| {
        let auth = vec![("Authorization".to_string(), format!("Bearer {token}"))];
        Target::custom(port, "GET", ROUTE, auth, Vec::new(), 404, no_vary)
    };
    let mut rows = Vec::new();
    // Every kind once through its whole path (so each Worker has compiled what it
    // runs), then until the runtime's background compilation has finished.
    let (session, key) = credentials(port, 0)?;
    for token in [service_key, &session, &key] {
        load::run_target(port, &target(token), 200, 1)?;
    }
    let idle_cores = cpu::wait_until_idle(p.pgid(), Duration::from_secs(60));
    let background = cpu::Background::start(&[p.pgid()]);
    for round in 0..o.rounds {
        let (session, key) = credentials(port, round + 1)?;
        let mut kinds = [
            (SERVICE_KEY, service_key),
            (SESSION, &session),
            (API_KEY, &key),
        ];
        kinds.rotate_left(round % 3);
        for (label, token) in kinds {
            let t = target(token);
            load::run_target(port, &t, 20, 1)?; // warm-up
            let f = measure(&p, &t, per_round)?;
            rows.push((round, label, f));
        }
    }
    let background_cores = background.cores(&[p.pgid()]);
    drop(p);
    let inspected = crate::bench::inspected_worker(&debug_log);
    Ok(AuthReport {
        sign_ins,
        rows,
        background_cores,
        inspected,
        idle_cores,
    })
}

/// Sign-in latency and CPU (correct password, wrong password, unknown e-mail), and
/// password-reset requests for a known and an unknown address.
fn sign_ins(p: &Platform, n: usize) -> Result<SignIns, String> {
    let port = p.port;
    let email_of = |n: usize| format!("bench-{}-{n}@example.com", std::process::id());
    sign_up(port, &email_of(0), "10.251.0.0")?;
    let sign_in = Target::custom(
        port,
        "POST",
        "/api/v1/iam/auth/sign-in/email",
        vec![("Content-Type".into(), "application/json".into())],
        json!({"email": email_of(0), "password": PASSWORD})
            .to_string()
            .into_bytes(),
        200,
        unique_ip,
    );
    // Failures rotate over accounts: each address has a budget of free failures
    // (nno_auth::guard), and past it the answer would be a 429, not the check.
    let per_account = 5; // nno_auth::guard::FREE_FAILURES
    let accounts = n.div_ceil(per_account);
    step(&format!(
        "signing up {accounts} accounts for the wrong-password figures"
    ));
    for n in 1..=accounts {
        sign_up(
            port,
            &email_of(n),
            &format!("10.251.{}.{}", n / 250, n % 250 + 1),
        )?;
    }
    let pid = std::process::id();
    let wrong = sign_in_target(port, 401, move |i| {
        (
            format!("nobody-{pid}-{}@example.com", i / per_account),
            PASSWORD,
        )
    });
    let bad_password = sign_in_target(port, 401, move |i| {
        (
            format!("bench-{pid}-{}@example.com", 1 + i / per_account),
            "not the password",
        )
    });
    let reset_of = |email: String| {
        Target::custom(
            port,
            "POST",
            "/api/v1/iam/auth/request-password-reset",
            vec![("Content-Type".into(), "application/json".into())],
            json!({ "email": email }).to_string().into_bytes(),
            200,
            unique_ip,
        )
    };
    let (reset_known, reset_unknown) = (
        reset_of(email_of(0)),
        reset_of("nobody-at-all@example.com".into()),
    );
    step(&format!(
        "sign-in: {} sequential sign-ins each: correct, wrong password, unknown e-mail",
        n
    ));
    load::run_target(port, &sign_in, 5, 1)?; // warm-up
    let signin = measure(p, &sign_in, n)?;
    let (wrong_password, unknown) = interleaved(p, &bad_password, &wrong, n)?;
    step(&format!(
        "password-reset requests: {} each for a known and an unknown address",
        n
    ));
    load::run_target(port, &reset_unknown, 5, 1)?; // warm-up
    let (reset_k, reset_u) = interleaved(p, &reset_known, &reset_unknown, n)?;
    Ok(SignIns {
        signin,
        wrong_password,
        unknown,
        reset_known: reset_k,
        reset_unknown: reset_u,
    })
}

#[cfg(test)]
mod tests {
    use super::{AuthReport, Figures, API_KEY, SERVICE_KEY, SESSION};

    fn row(round: usize, label: &'static str, cpu_ms: f64) -> (usize, &'static str, Figures) {
        let f = Figures {
            p50: 1.0,
            p99: 2.0,
            cpu_ms,
        };
        (round, label, f)
    }

    #[test]
    fn a_credentials_cost_is_paired_with_the_service_key_of_its_own_round() {
        // Rounds start at a different kind, as `run` rotates them.
        let report = AuthReport {
            sign_ins: None,
            rows: vec![
                row(0, SERVICE_KEY, 3.0),
                row(0, SESSION, 3.25),
                row(0, API_KEY, 6.0),
                row(1, SESSION, 2.5),
                row(1, API_KEY, 5.0),
                row(1, SERVICE_KEY, 2.0),
                // A round cut short has no pair and is left out.
                row(2, SESSION, 9.0),
            ],
            background_cores: 0.0,
            inspected: None,
            idle_cores: 0.0,
        };
        assert_eq!(report.cpu_over_service_key(SESSION), vec![0.25, 0.5]);
        assert_eq!(report.cpu_over_service_key(API_KEY), vec![3.0, 3.0]);
        assert!(report
            .cpu_over_service_key(SERVICE_KEY)
            .iter()
            .all(|d| *d == 0.0));
    }
}
