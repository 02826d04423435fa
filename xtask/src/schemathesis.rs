//! schemathesis against a running platform, through the gateway, from the document the
//! gateway serves (`GET /api/v1/openapi.json`): four runs, one per kind of caller.
//!
//! - `anonymous`: no credentials.
//! - `session`: a fresh user signed up for the run, with a tenant it created (the
//!   active one), its session token as the bearer token. The operations that end the
//!   session under test are left out (`SESSION_EXCLUDED`), and the run keeps to the
//!   per-user limit (600 per minute) instead of collecting 429s.
//! - `api-key`: a tenant API key of another fresh user, with IAM's scopes except
//!   `iam:manage-keys` (so it can never revoke itself) and `iam:delete-tenant`, and its
//!   own limit of 6,000 per minute (the most a key may have: 100 per second).
//! - `service-key`: the gateway's `AUTH_API_KEY`.
//!
//! The hooks module (`xtask/schemathesis/nno_hooks.py`) gives every request its own
//! `cf-connecting-ip`, so the per-IP limits of the authentication endpoints are met
//! once per request rather than turned into a wall of 429s; production's limits are
//! untouched. Any failure of any check fails the whole step.

use crate::toolchain::Toolchain;
use crate::util::{self, step, Cmd};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// The checks every run applies.
pub const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,negative_data_rejection,\
ignored_auth,use_after_free";

/// Generated cases per operation in the fuzzing phase for the operations a run is
/// about (the coverage phase adds its own deterministic boundary and negative cases).
const MAX_EXAMPLES: u32 = 10;
/// Stateful scenarios of the session run, the one whose links lead somewhere (a tenant
/// it creates, then reads, updates, invites to, maps roles in and deletes).
const SESSION_SCENARIOS: u32 = 50;
/// For the other operations of a run (those this caller cannot use, which must refuse
/// it in a documented way): a couple of fuzzed cases, no coverage phase.
const LIGHT_EXAMPLES: u32 = 2;
/// A fixed seed keeps `cargo xtask test` repeatable; `NNO_SCHEMATHESIS_SEED` picks
/// another (`random` for a fresh one each run).
const DEFAULT_SEED: &str = "20240601";

/// Operations the session run leaves out, because they end the very session it
/// authenticates with: sign-out, revoke-sessions (all of them, this one included) and
/// revoke-session (which the stateful phase may hand this session's own id). They are
/// still run anonymously and with the API key and the service key.
pub const SESSION_EXCLUDED: [&str; 3] = ["signOut", "revokeSessions", "revokeSession"];

/// The per-user limit (`nno_core::ratelimit::USER`, 600 per minute) less headroom for
/// the run's own set-up requests.
const SESSION_RATE: &str = "570/m";

pub struct Outcome {
    pub mode: &'static str,
    pub cases: u64,
    /// Responses by class: 2xx, 3xx, 4xx other than 429, 429, 5xx.
    pub statuses: [u64; 5],
    pub failures: u64,
    pub seconds: f64,
    pub passed: bool,
}

/// All four runs against the gateway on `port`; `Err` lists what failed.
pub fn run_all(
    root: &Path,
    tools: &Toolchain,
    port: u16,
    service_key: &str,
    work: &Path,
) -> Result<Vec<Outcome>, String> {
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    // `NNO_SCHEMATHESIS_MODES=session,api-key` runs only those.
    let only = std::env::var("NNO_SCHEMATHESIS_MODES").ok();
    let selected = |mode: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|m| m.trim() == mode))
    };
    let one = |mode: &'static str| -> Result<Outcome, String> {
        let (auth, extra): (Option<String>, Vec<String>) = match mode {
            "anonymous" => (None, vec![]),
            "session" => {
                let c = caller(port, "session")?;
                let mut extra = vec!["--rate-limit".to_string(), SESSION_RATE.to_string()];
                for id in SESSION_EXCLUDED {
                    extra.extend(["--exclude-operation-id".to_string(), id.to_string()]);
                }
                (Some(c.token), extra)
            }
            "api-key" => (caller(port, "api-key")?.key, vec![]),
            _ => (Some(service_key.to_string()), vec![]),
        };
        step(&format!("schemathesis ({mode})"));
        run_one(root, tools, port, mode, auth.as_deref(), &extra, work)
    };
    // The session run is paced by the per-user limit, not by the machine: it runs beside
    // the other three, which go one after another.
    let mut outcomes = Vec::new();
    std::thread::scope(|scope| -> Result<(), String> {
        let session = selected("session").then(|| scope.spawn(|| one("session")));
        let mut first_error = None;
        for mode in ["anonymous", "api-key", "service-key"] {
            if selected(mode) {
                match one(mode) {
                    Ok(o) => outcomes.push(o),
                    Err(e) => first_error = first_error.or(Some(e)),
                }
            }
        }
        if let Some(handle) = session {
            match handle.join() {
                Ok(Ok(o)) => outcomes.insert(1.min(outcomes.len()), o),
                Ok(Err(e)) => first_error = first_error.or(Some(e)),
                Err(_) => first_error = first_error.or(Some("the session run panicked".into())),
            }
        }
        first_error.map_or(Ok(()), Err)
    })?;
    eprintln!("    schemathesis        cases   2xx   3xx   4xx   429   5xx  failures   time");
    for o in &outcomes {
        let [ok, redirect, client, limited, server] = o.statuses;
        eprintln!(
            "    {:<14} {:>10} {ok:>5} {redirect:>5} {client:>5} {limited:>5} {server:>5} {:>9} {:>5.0} s{}",
            o.mode,
            o.cases,
            o.failures,
            o.seconds,
            if o.passed { "" } else { "  FAILED" }
        );
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| o.mode)
        .collect();
    if failed.is_empty() {
        Ok(outcomes)
    } else {
        Err(format!(
            "schemathesis failed ({}); logs in {}",
            failed.join(", "),
            work.display()
        ))
    }
}

/// `MAX_EXAMPLES`, or `NNO_SCHEMATHESIS_MAX_EXAMPLES` for a deeper run.
fn max_examples() -> String {
    std::env::var("NNO_SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.to_string())
}

/// Which schemes of the document's `security` a run's credential is: `None` for the
/// anonymous run.
fn scheme(mode: &str) -> Option<&'static [&'static str]> {
    match mode {
        "session" => Some(&["sessionBearer"]),
        "api-key" => Some(&["apiKey"]),
        "service-key" => Some(&["serviceKey"]),
        _ => None,
    }
}

/// The operations a run is about: those whose `security` accepts its credential (for
/// the anonymous run, those that need none). The rest are tested lightly.
fn own_operations(mode: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let doc = nno_openapi::document()?;
    let (mut own, mut other) = (Vec::new(), Vec::new());
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            let security = op["security"].as_array().cloned().unwrap_or_default();
            let accepts = match scheme(mode) {
                None => security.is_empty() || security.iter().any(|s| s == &json!({})),
                Some(names) => security
                    .iter()
                    .any(|s| names.iter().any(|n| s.get(*n).is_some())),
            };
            if accepts {
                own.push(id);
            } else {
                other.push(id);
            }
        }
    }
    Ok((own, other))
}

/// The run's `schemathesis.toml`: the other operations get `LIGHT_EXAMPLES` and no
/// coverage phase.
fn config(mode: &str) -> Result<String, String> {
    let (_, other) = own_operations(mode)?;
    let list = other
        .iter()
        .map(|id| format!("{id:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    // Sequences start from valid requests, so that their links have something to follow.
    let scenarios = if mode == "session" {
        SESSION_SCENARIOS
    } else {
        MAX_EXAMPLES
    };
    // Methods a path does not serve are tried by the runs that are not paced; the session
    // run spends its request budget on the operations themselves.
    let coverage = if mode == "session" {
        "[phases.coverage]\nunexpected-methods = []\n\n"
    } else {
        ""
    };
    // A write on a stopped platform is 423 whatever its body: the gateway refuses it
    // from the Platform Status KV before any upstream reads the body, so 423 is as good
    // a refusal of schema-violating data as a 422 (schemathesis's list plus 423).
    let rejections = "[checks.negative_data_rejection]\nexpected-statuses = \
        [\"400\", \"401\", \"403\", \"404\", \"405\", \"406\", \"409\", \"415\", \"422\", \"423\", \"428\", \"429\", \"5xx\"]\n\n";
    Ok(format!(
        "# Generated by `cargo xtask test` for the {mode} run (xtask/src/schemathesis.rs).\n\
         {rejections}\
         [phases.stateful]\ngeneration.mode = \"positive\"\ngeneration.max-examples = {scenarios}\n\n\
         {coverage}\
         [[operations]]\ninclude-operation-id = [{list}]\n\
         generation.max-examples = {LIGHT_EXAMPLES}\nphases.coverage.enabled = false\n"
    ))
}

fn run_one(
    root: &Path,
    tools: &Toolchain,
    port: u16,
    mode: &'static str,
    bearer: Option<&str>,
    extra: &[String],
    work: &Path,
) -> Result<Outcome, String> {
    let base = format!("http://127.0.0.1:{port}");
    let seed = std::env::var("NNO_SCHEMATHESIS_SEED").unwrap_or_else(|_| DEFAULT_SEED.into());
    let dir = work.join(mode);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let config_file = dir.join("schemathesis.toml");
    std::fs::write(&config_file, config(mode)?).map_err(|e| e.to_string())?;
    let mut cmd = Cmd::new(&tools.schemathesis)
        .arg("--config-file")
        .arg(config_file.display().to_string())
        .args([
            "run",
            &format!("{base}/api/v1/openapi.json"),
            "--url",
            &base,
        ])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--max-examples", &max_examples()])
        // Redirects (to the app after a link or a social sign-in) are checked as they
        // are, not followed to an app that is not running.
        .args(["--max-redirects", "0", "--request-timeout", "30"])
        .args(["--generation-database", "none", "--no-color"])
        .args(["--report", "junit,ndjson", "--report-dir"])
        .arg(dir.display().to_string())
        .args(extra.iter().map(String::as_str));
    if seed != "random" {
        cmd = cmd.args(["--seed", &seed]);
    }
    if let Some(token) = bearer {
        cmd = cmd.arg("-H").arg(format!("Authorization: Bearer {token}"));
    }
    let hooks = root.join("xtask/schemathesis");
    let cmd = cmd
        .env("PYTHONPATH", hooks.display().to_string())
        .env("SCHEMATHESIS_HOOKS", "nno_hooks")
        .dir(&dir);
    let log = work.join(format!("{mode}.log"));
    let started = Instant::now();
    let mut command = cmd.command();
    let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    command
        .stdout(file.try_clone().map_err(|e| e.to_string())?)
        .stderr(file);
    let status = command
        .status()
        .map_err(|e| format!("could not start schemathesis: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let (cases, failures) = counts(&text);
    let statuses = statuses(&dir);
    if !status.success() {
        // The failures with their reproductions, then the summary.
        let from = text
            .find("=== FAILURES ===")
            .or_else(|| text.find("=== SUMMARY ==="))
            .map(|i| text[..i].rfind('\n').map_or(0, |n| n + 1))
            .unwrap_or(0);
        eprintln!("{}", &text[from..]);
    }
    Ok(Outcome {
        mode,
        cases,
        statuses,
        failures,
        seconds,
        passed: status.success(),
    })
}

/// `N generated` and `found N unique failures` from the summary.
fn counts(text: &str) -> (u64, u64) {
    let number_before = |s: &str, word: &str| -> u64 {
        s.find(word)
            .and_then(|i| s[..i].split_whitespace().last())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let line = text
        .lines()
        .skip_while(|l| !l.starts_with("Test cases:"))
        .nth(1)
        .unwrap_or("");
    (
        number_before(line, "generated"),
        number_before(line, "unique failure"),
    )
}

/// The responses of a run by status class, from its NDJSON report (every interaction,
/// the checks' own probes included).
fn statuses(dir: &Path) -> [u64; 5] {
    fn walk(v: &Value, out: &mut [u64; 5]) {
        match v {
            Value::Object(m) => {
                if let Some(code) = m
                    .get("response")
                    .and_then(|r| r.get("status_code"))
                    .and_then(Value::as_u64)
                {
                    let i = match code {
                        200..=299 => 0,
                        300..=399 => 1,
                        429 => 3,
                        400..=499 => 2,
                        _ => 4,
                    };
                    out[i] += 1;
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = [0; 5];
    let files = std::fs::read_dir(dir).into_iter().flatten().flatten();
    for f in files.filter(|f| f.path().extension().is_some_and(|e| e == "ndjson")) {
        for line in std::fs::read_to_string(f.path())
            .unwrap_or_default()
            .lines()
        {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                walk(&v, &mut out);
            }
        }
    }
    out
}

struct Caller {
    token: String,
    key: Option<String>,
}

/// A fresh user with a tenant (the session's active one) and, for `api-key`, a tenant
/// key: set up through the gateway like any client would.
fn caller(port: u16, mode: &str) -> Result<Caller, String> {
    let n = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let email = format!("schemathesis-{mode}-{n}@example.com");
    let signed_up = request(
        port,
        "POST",
        "/api/v1/iam/auth/sign-up/email",
        None,
        &json!({ "name": "Schemathesis", "email": email, "password": format!("st-password-{n}") }),
    )?;
    let token = signed_up["token"]
        .as_str()
        .ok_or(format!("sign-up answered {signed_up}"))?
        .to_string();
    let org = request(
        port,
        "POST",
        "/api/v1/iam/auth/organization/create",
        Some(&token),
        &json!({ "name": format!("Schemathesis {mode}"), "slug": format!("st-{mode}-{n}") }),
    )?;
    let org_id = org["id"]
        .as_str()
        .ok_or(format!("organization/create answered {org}"))?
        .to_string();
    let key = if mode == "api-key" {
        let k = request(
            port,
            "POST",
            "/api/v1/iam/nno/apikey",
            Some(&token),
            &json!({
                "name": "schemathesis", "orgId": org_id,
                "scopes": ["iam:read", "iam:manage-members", "iam:manage-roles", "iam:manage-grants", "iam:manage-tenant"],
                "rateLimit": { "max": 6000, "windowSeconds": 60 },
            }),
        )?;
        Some(
            k["key"]
                .as_str()
                .ok_or(format!("nno/apikey answered {k}"))?
                .to_string(),
        )
    } else {
        None
    };
    Ok(Caller { token, key })
}

/// One JSON request through the gateway from its own client address; the JSON answer
/// of a 2xx, else an error.
fn request(
    port: u16,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: &Value,
) -> Result<Value, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) + std::process::id() % 50_000;
    let text = body.to_string();
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\ncf-connecting-ip: 10.255.{}.{}\r\nConnection: close\r\n",
        text.len(),
        (n / 250) % 250,
        n % 250 + 1
    );
    if let Some(t) = bearer {
        raw.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(&text);
    let (status, answer) = crate::load::once(port, raw.as_bytes())?;
    if !(200..300).contains(&status) {
        return Err(format!("{method} {path} answered {status}: {answer}"));
    }
    serde_json::from_str(&answer).map_err(|e| format!("{method} {path}: {e}"))
}

/// `cargo xtask schemathesis [--port N]`: the four runs against a platform that is
/// already running (`cargo xtask dev`), reading the service key from
/// `services/gateway/.dev.vars`.
pub fn command(args: &[String]) -> Result<(), String> {
    let port = match args {
        [] => crate::dev::DEFAULT_PORT,
        [flag, n] if flag == "--port" => n.parse().map_err(|_| format!("bad port {n}"))?,
        _ => return Err("usage: cargo xtask schemathesis [--port N]".into()),
    };
    let root = util::repo_root();
    let tools = crate::toolchain::ensure(&root)?;
    util::wait_for_ok(port, "/api/v1/openapi.json", Duration::from_secs(5)).map_err(|e| {
        format!("no NNO gateway on port {port} ({e}): start `cargo xtask dev` first")
    })?;
    let service_key = crate::test::service_key(&root)?;
    run_all(
        &root,
        &tools,
        port,
        &service_key,
        &root.join("target/schemathesis"),
    )
    .map(|_| ())
}
