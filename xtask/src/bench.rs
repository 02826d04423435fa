//! `cargo xtask bench`: figures, not pass/fail.
//!
//! 1. Every Worker's module size, raw and gzipped, against the 512 KiB gzipped budget.
//! 2. Authentication on a full local platform (bench_auth.rs): sign-in, and what the
//!    gateway's credential checks cost on one route (service key, session, API key).
//! 3. The gateway's cost, in one run on the local runtime at the same load:
//!    (a) an upstream (billing) called directly; (b) the floor, a pass-through Worker
//!    that only forwards through a service binding; (c) the NNO gateway on the same
//!    route; (d) the gateway people would otherwise write, a minimal Hono gateway
//!    (crates/bench-hono). Each runs in its own `wrangler dev` with its own dev
//!    registry; rounds are interleaved (each round starting at the next target) so
//!    drift on the machine hits all four alike.
//! 4. The platform figures (bench_platforms.rs): registry's list with 1,000 platforms,
//!    onboarding to active and its Cloudflare calls, and the console's sign-in to the
//!    platforms list in Chromium; and the console's production bundle size.
//!
//! The headline, printed first, is CPU per request: on this shared 2-core machine it is
//! far steadier than throughput.
//!
//! `--against <module>` puts another build of NNO's gateway (its main module, say a
//! copy of `services/gateway/build/` with a change in it) in (d)'s place: a change's
//! cost round by round against the current build, in one run, where two separate runs
//! differ by more than most changes do.

use crate::bench_auth::{self, AuthReport};
use crate::bench_platforms;
use crate::build::{self, wasm_path, HONO, PASSTHROUGH, SERVICES};
use crate::load::{self, percentile};
use crate::platform::{self, Options};
use crate::toolchain;
use crate::util::{self, step};
use flate2::{write::GzEncoder, Compression};
use std::io::{Read, Write};
use std::time::Duration;

const SIZE_BUDGET_GZ: u64 = 512 * 1024;
const UPSTREAM: &str = "billing";
const ROUTE_UPSTREAM: &str = "/health/live";
const ROUTE_GATEWAY: &str = "/api/v1/billing/health/live";
/// Budget: the NNO gateway's p50 over the floor's, one request at a time.
const P50_BUDGET_MS: f64 = 0.5;
/// Budget: the NNO gateway's throughput as a share of the floor's.
const THROUGHPUT_BUDGET_PCT: f64 = 90.0;

/// The four targets, in the order of `setups` below.
const DIRECT: usize = 0;
const FLOOR: usize = 1;
const NNO: usize = 2;
const HONO_GW: usize = 3;

struct BenchOptions {
    log_level: Option<&'static str>,
    sign_ins: usize,
    auth_requests: usize,
    auth_rounds: usize,
    /// `--auth-only`: no gateway rounds.
    auth_only: bool,
    /// `--gateway-only`: of the authentication part only the credential checks.
    gateway_only: bool,
    /// `--platforms-only`: only the platform figures (registry, onboarding).
    platforms_only: bool,
    latency_requests: usize,
    latency_rounds: usize,
    requests: usize,
    concurrency: usize,
    /// `--against`: the main module of another gateway build, run as (d) instead of
    /// the Hono gateway.
    against: Option<String>,
    /// Throughput rounds: many short ones, so each round's four figures are taken
    /// seconds apart and the machine's drift falls on them alike.
    rounds: usize,
}

type Setup = (&'static str, Vec<&'static str>, &'static str);

struct GatewayReport {
    setups: Vec<Setup>,
    /// What (d) is, in sentences: "Hono" or "--against".
    compared: &'static str,
    latency: Vec<Measured>,
    throughput: Vec<Measured>,
    /// Other processes' CPU during the rounds, in cores.
    background_cores: f64,
    /// Per setup, the Worker wrangler's DevTools inspector was attached to.
    inspected: Vec<Option<String>>,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let root = util::repo_root();
    let tools = toolchain::ensure(&root)?;
    build::build_all(&root, &tools, true)?;
    platform::ensure_dev_vars(&root)?;
    if !opts.auth_only {
        // Before the long authentication part, so a failed install shows at once.
        toolchain::npm_ci(
            &build::crate_dir(&root, HONO),
            &["hono/package.json"],
            "installing hono from crates/bench-hono/package-lock.json",
        )?;
    }

    let mut sizes = Vec::new();
    for name in SERVICES.iter().chain([&PASSTHROUGH]) {
        let bytes = std::fs::read(wasm_path(&root, name)).map_err(|e| format!("{name}: {e}"))?;
        sizes.push((*name, bytes.len() as u64, gzip_len(&bytes)?));
    }

    let work = root.join("target/bench");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let gateway_vars =
        std::fs::read_to_string(build::crate_dir(&root, "gateway").join(".dev.vars"))
            .map_err(|e| e.to_string())?;
    let service_key = platform::dev_var(&gateway_vars, "AUTH_API_KEY")
        .ok_or("services/gateway/.dev.vars has no AUTH_API_KEY")?;
    if opts.platforms_only {
        let report = bench_platforms::run(&root, &tools, &work, &service_key, opts.log_level)?;
        crate::console::print_bundle(&root)?;
        report.print(crate::bench_platforms::MINIMUM_CALLS);
        return Ok(());
    }
    let auth = bench_auth::run(
        &root,
        &tools,
        &work,
        &service_key,
        &bench_auth::AuthOptions {
            log_level: opts.log_level,
            sign_ins: opts.sign_ins,
            requests: opts.auth_requests,
            rounds: opts.auth_rounds,
            credentials_only: opts.gateway_only,
        },
    )?;
    let gateway = if opts.auth_only {
        None
    } else {
        Some(gateway_rounds(&root, &tools, &work, &opts)?)
    };

    // The platform figures need the whole platform and the sandbox; the gateway-only
    // run (for the gateway's cost) leaves them out.
    let platforms = if opts.gateway_only || opts.auth_only {
        None
    } else {
        Some(bench_platforms::run(
            &root,
            &tools,
            &work,
            &service_key,
            opts.log_level,
        )?)
    };

    headline(&opts, &auth, gateway.as_ref());
    let over = print_sizes(&sizes);
    crate::console::print_bundle(&root)?;
    auth.print();
    if let Some(g) = &gateway {
        print_gateway(&opts, g);
    }
    if let Some(p) = &platforms {
        p.print(crate::bench_platforms::MINIMUM_CALLS);
    }
    println!(
        "\n  Worker sizes: {}",
        if over == 0 {
            "every Worker within 512 KiB gzipped".to_string()
        } else {
            format!("{over} Worker(s) over budget")
        }
    );
    Ok(())
}

fn gateway_rounds(
    root: &std::path::Path,
    tools: &toolchain::Toolchain,
    work: &std::path::Path,
    opts: &BenchOptions,
) -> Result<GatewayReport, String> {
    step("starting four local runtimes: upstream alone, and pass-through, NNO gateway and Hono gateway, each with the upstream");
    let setups: Vec<Setup> = vec![
        ("(a) upstream direct", vec![UPSTREAM], ROUTE_UPSTREAM),
        (
            "(b) pass-through floor",
            vec![PASSTHROUGH, UPSTREAM],
            ROUTE_UPSTREAM,
        ),
        ("(c) NNO gateway", vec!["gateway", UPSTREAM], ROUTE_GATEWAY),
        match opts.against {
            Some(_) => (
                "(d) --against gateway",
                vec!["gateway", UPSTREAM],
                ROUTE_GATEWAY,
            ),
            None => ("(d) Hono gateway", vec![HONO, UPSTREAM], ROUTE_GATEWAY),
        },
    ];
    let mut running = Vec::new();
    for (i, (label, workers, route)) in setups.iter().enumerate() {
        let dir = work.join(format!("p{i}"));
        // Each runtime its own copies: wrangler reloads a runtime whose config is
        // rewritten, so no later start may touch them.
        let configs = inspector_on_idle(root, &dir, workers)?;
        if let (HONO_GW, Some(module)) = (i, &opts.against) {
            set_main(&dir, "gateway", module)?;
        }
        let debug_log = work.join(format!("p{i}-wrangler.log"));
        let p = platform::start(
            root,
            tools,
            &Options {
                workers: configs,
                port: util::free_port()?,
                persist_dir: dir.join("state"),
                registry_dir: dir.join("registry"),
                log_file: Some(work.join(format!("p{i}.log"))),
                log_level: opts.log_level,
                vars: Vec::new(),
                debug_log: Some(debug_log.clone()),
            },
        )?;
        util::wait_for_ok(p.port, route, Duration::from_secs(90))
            .map_err(|e| format!("{label}: {e}"))?;
        wait_for_idle_inspector(&debug_log).map_err(|e| format!("{label}: {e}"))?;
        util::wait_for_ok(p.port, route, Duration::from_secs(90))
            .map_err(|e| format!("{label}: {e}"))?;
        running.push((p, debug_log));
    }
    let (running, debug_logs): (Vec<_>, Vec<_>) = running.into_iter().unzip();
    if opts.against.is_none() {
        check_hono(running[HONO_GW].port)?;
    }

    for (p, (_, _, route)) in running.iter().zip(&setups) {
        load::run(p.port, route, 1000, opts.concurrency)?; // warm-up: JIT, isolates, pools
    }
    // Latency is measured one request at a time, where it is the cost of a request and
    // not time spent queueing behind the others; throughput with `concurrency`
    // connections, where the runtime is saturated. Both at the same load for all four.
    let pgids: Vec<u32> = running.iter().map(|p| p.pgid()).collect();
    let background = crate::cpu::Background::start(&pgids);
    let latency = phase(
        &running,
        &setups,
        opts.latency_requests,
        1,
        opts.latency_rounds,
    )?;
    let throughput = phase(
        &running,
        &setups,
        opts.requests,
        opts.concurrency,
        opts.rounds,
    )?;
    let background_cores = background.cores(&pgids);
    drop(running);
    let inspected = debug_logs.iter().map(|l| inspected_worker(l)).collect();
    Ok(GatewayReport {
        setups,
        compared: if opts.against.is_some() {
            "--against"
        } else {
            "Hono"
        },
        latency,
        throughput,
        background_cores,
        inspected,
    })
}

/// The Worker wrangler's DevTools inspector is kept on: one no request reaches.
pub(crate) const INSPECTED: &str = "cli";

/// Whether `name` (a Worker's wrangler name, as `inspected_worker` reads it) is
/// [`INSPECTED`].
pub(crate) fn is_idle(name: Option<&str>) -> bool {
    name.is_some_and(|n| n.ends_with(INSPECTED))
}

/// `workers` for a bench runtime, each from a copy of its config without a custom
/// build (`config_copy`), and [`INSPECTED`] with the one custom build, a slow no-op.
///
/// Why: `wrangler dev` attaches its DevTools inspector to one Worker of a runtime, the
/// one whose (re)build finished last, and re-runs every custom build once at start, so
/// with several custom builds the inspected Worker is a race. The inspected Worker
/// pays per request for each console line and, when it fetches, four `Network.*`
/// events, all serialized and relayed by wrangler's inspector proxy (in a workerd
/// process the bench counts): measured on the NNO gateway, about 1 ms of CPU per
/// request, more than the gateway's own work. With every other Worker built
/// beforehand, the idle one is the last build and the one inspected, so no request
/// pays for an inspector production does not have.
pub(crate) fn inspector_on_idle(
    root: &std::path::Path,
    work: &std::path::Path,
    workers: &[&str],
) -> Result<Vec<String>, String> {
    let mut configs = workers
        .iter()
        .filter(|w| **w != INSPECTED)
        .map(|w| config_copy(root, work, w, None))
        .collect::<Result<Vec<_>, _>>()?;
    // A build that only waits: it finishes seconds after every other Worker's bundle,
    // so its reload is the last one, the one the inspector follows.
    configs.push(config_copy(root, work, INSPECTED, Some("sleep 2"))?);
    Ok(configs)
}

/// Points `worker`'s config copy in `work` (made by `config_copy`) at another main
/// module, for `--against`.
fn set_main(work: &std::path::Path, worker: &str, module: &str) -> Result<(), String> {
    let module = std::path::Path::new(module);
    if !module.is_file() {
        return Err(format!("--against {}: no such file", module.display()));
    }
    let module = module.canonicalize().map_err(|e| e.to_string())?;
    let path = work.join("configs").join(worker).join("wrangler.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let mut config: toml::Table = toml::from_str(&text).map_err(|e| e.to_string())?;
    let main = module.display().to_string();
    config.insert("main".into(), toml::Value::String(main));
    let text = toml::to_string(&config).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| e.to_string())
}

/// Waits until wrangler's inspector (from the runtime's debug log) has settled on
/// [`INSPECTED`]: it names it, and still does a few seconds later.
pub(crate) fn wait_for_idle_inspector(log: &std::path::Path) -> Result<(), String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut settled_since = None;
    loop {
        let name = inspected_worker(log);
        let idle = is_idle(name.as_deref());
        let now = std::time::Instant::now();
        match (idle, settled_since) {
            (true, None) => settled_since = Some(now),
            (true, Some(t)) if now - t >= Duration::from_secs(3) => return Ok(()),
            (false, _) => settled_since = None,
            _ => {}
        }
        if now > deadline {
            return Err(format!(
                "wrangler's inspector did not settle on {INSPECTED} (last: {}); see {}",
                name.as_deref().unwrap_or("none"),
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A copy of `worker`'s wrangler.toml (and its .dev.vars) under `work/configs/`, with
/// the built module as `main` and, instead of its `[build]`, `build` as the custom
/// build (watching an empty directory) or none: wrangler bundles the module as it is.
fn config_copy(
    root: &std::path::Path,
    work: &std::path::Path,
    worker: &str,
    build: Option<&str>,
) -> Result<String, String> {
    let src = build::crate_dir(root, worker);
    let text = std::fs::read_to_string(src.join("wrangler.toml")).map_err(|e| e.to_string())?;
    let mut config: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{worker}/wrangler.toml: {e}"))?;
    let main = config
        .get("main")
        .and_then(|m| m.as_str())
        .ok_or(format!("{worker}/wrangler.toml has no main"))?;
    let main = src.join(main).display().to_string();
    config.insert("main".into(), toml::Value::String(main));
    config.remove("build");
    // Paths in the config are relative to it: made absolute for the copy.
    if let Some(toml::Value::Array(dbs)) = config.get_mut("d1_databases") {
        for db in dbs.iter_mut().filter_map(|d| d.as_table_mut()) {
            if let Some(dir) = db.get("migrations_dir").and_then(|d| d.as_str()) {
                let abs = src.join(dir).display().to_string();
                db.insert("migrations_dir".into(), toml::Value::String(abs));
            }
        }
    }
    let dir = work.join("configs").join(worker);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if let Some(command) = build {
        let watch = dir.join("watch");
        std::fs::create_dir_all(&watch).map_err(|e| e.to_string())?;
        let mut table = toml::Table::new();
        table.insert("command".into(), toml::Value::String(command.into()));
        let watch = watch.display().to_string();
        table.insert("watch_dir".into(), toml::Value::String(watch));
        config.insert("build".into(), toml::Value::Table(table));
    }
    let vars = src.join(".dev.vars");
    if vars.exists() {
        std::fs::copy(&vars, dir.join(".dev.vars")).map_err(|e| e.to_string())?;
    }
    let path = dir.join("wrangler.toml");
    let out = toml::to_string(&config).map_err(|e| e.to_string())?;
    std::fs::write(&path, out).map_err(|e| e.to_string())?;
    Ok(path.display().to_string())
}

/// The Worker wrangler's inspector was last attached to, from its debug log (the
/// `/core:user:<name>` of its last reload); `None` when the log does not say.
pub(crate) fn inspected_worker(log: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let tail = &text[text.rfind("\"pathname\":\"/core:user:")?..];
    let name = tail.split('"').nth(3)?.strip_prefix("/core:user:")?;
    Some(name.to_string())
}

/// The Hono gateway does what it stands in for, before it is measured: a valid request
/// id kept, an invalid one replaced, prefix routing, CORS for an allowed origin, and the
/// error envelope for an unknown route and an unbound upstream.
fn check_hono(port: u16) -> Result<(), String> {
    let get = |path: &str, extra: &str| {
        raw_exchange(
            port,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}Connection: close\r\n\r\n"
            ),
        )
    };
    let fail = |what: &str, got: &str| Err(format!("Hono gateway: {what}; got:\n{got}"));
    let r = get(
        ROUTE_GATEWAY,
        "x-request-id: bench.check:1\r\norigin: http://localhost:5174\r\n",
    )?;
    let lower = r.to_ascii_lowercase();
    if !r.starts_with("HTTP/1.1 200")
        || !lower.contains("x-request-id: bench.check:1\r\n")
        || !lower.contains("access-control-allow-origin: http://localhost:5174\r\n")
    {
        return fail(
            "routed request without 200, its request id or CORS headers",
            &r,
        );
    }
    let r = get("/nope", "x-request-id: bad id\r\n")?;
    let id_replaced = r
        .to_ascii_lowercase()
        .split("\r\n")
        .find_map(|l| l.strip_prefix("x-request-id: ").map(|v| v.len() == 36))
        .unwrap_or(false);
    if !r.starts_with("HTTP/1.1 404") || !r.contains(r#""code":"NOT_FOUND""#) || !id_replaced {
        return fail(
            "unknown route without the 404 envelope and a fresh UUID",
            &r,
        );
    }
    let r = get("/api/v1/iam/health", "")?;
    if !r.starts_with("HTTP/1.1 502") || !r.contains(r#""code":"UPSTREAM_UNAVAILABLE""#) {
        return fail("unbound upstream without the 502 envelope", &r);
    }
    Ok(())
}

/// One request on its own connection (`Connection: close`): the whole raw response.
fn raw_exchange(port: u16, raw: &str) -> Result<String, String> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    s.write_all(raw.as_bytes()).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "OVER"
    }
}

/// CPU per request first: the public route for the floor and both gateways, and the
/// session-authenticated route through NNO's gateway; then the three budgets.
fn headline(opts: &BenchOptions, auth: &AuthReport, gateway: Option<&GatewayReport>) {
    println!("\n==================== headline: CPU per request ====================");
    println!("  (user + system CPU of the runtime's workerd processes, per request;");
    println!("   steadier than req/s on this machine)");
    if let Some(g) = gateway {
        let t = &g.throughput;
        println!(
            "\n  public route GET {ROUTE_GATEWAY} ({} connections, {} rounds x {} requests)",
            opts.concurrency, opts.rounds, opts.requests
        );
        println!(
            "    {:<24} {:>10}  {:>16}",
            "", "CPU ms/req", "over the floor"
        );
        for i in [DIRECT, FLOOR, NNO, HONO_GW] {
            let over = match i {
                NNO | HONO_GW => format!("{:+.3} ms", t[i].cpu_ms - t[FLOOR].cpu_ms),
                _ => String::new(),
            };
            println!(
                "    {:<24} {:>10.3}  {:>16}",
                g.setups[i].0, t[i].cpu_ms, over
            );
        }
    }
    let session = auth.avg(bench_auth::SESSION, |f| f.cpu_ms);
    let service = auth.avg(bench_auth::SERVICE_KEY, |f| f.cpu_ms);
    println!(
        "\n  session-authenticated route GET {} through NNO's gateway",
        bench_auth::ROUTE
    );
    println!("  (full platform, whole-platform CPU, 1 connection)");
    println!("    {:<24} {:>10.3}", "session (bearer)", session);
    println!("    {:<24} {:>10.3}", "service key", service);
    let paired = auth.cpu_over_service_key(bench_auth::SESSION);
    let (cost, se) = mean_and_standard_error(&paired);
    println!(
        "    {:<24} {:>+10.3}   (standard error {se:.3}, {} paired rounds)",
        "session check costs",
        cost,
        paired.len()
    );
    println!(
        "    (the platform idle just before: {:.2} cores{})",
        auth.idle_cores,
        if auth.idle_cores < crate::cpu::IDLE_CORES {
            ""
        } else {
            ", still busy after 60 s: not comparable"
        }
    );
    println!(
        "    (wrangler's DevTools inspector on {}{})",
        auth.inspected.as_deref().unwrap_or("an unknown Worker"),
        if is_idle(auth.inspected.as_deref()) {
            ", which no request reaches"
        } else {
            ": NOT the idle Worker, not comparable"
        }
    );
    let mut busy = vec![("the credential checks", auth.background_cores)];
    if let Some(g) = gateway {
        busy.insert(0, ("the gateway rounds", g.background_cores));
    }
    println!();
    for (what, cores) in busy {
        println!(
            "  other processes on the machine during {what}: {cores:.2} cores{}",
            if cores > 0.2 {
                "  (busy: these figures are not comparable with a quiet run's)"
            } else {
                ""
            }
        );
    }
    let Some(g) = gateway else {
        return;
    };
    let names: Vec<&str> = g
        .inspected
        .iter()
        .map(|n| n.as_deref().unwrap_or("unknown"))
        .collect();
    println!(
        "  wrangler's DevTools inspector, per runtime: {}\n    {}",
        names.join(", "),
        if g.inspected.iter().all(|n| is_idle(n.as_deref())) {
            "(an idle Worker in every runtime: no request pays for the inspector)"
        } else {
            "(NOT the idle Worker in every runtime: these figures are not comparable)"
        }
    );
    let (l, t) = (&g.latency, &g.throughput);
    // NNO's CPU minus (d)'s, round by round (the floor cancels out of the difference
    // of the two budgets' sides): how far the verdict below is from the noise.
    let paired: Vec<f64> = t[NNO]
        .cpu_rounds
        .iter()
        .zip(&t[HONO_GW].cpu_rounds)
        .map(|(n, h)| n - h)
        .collect();
    let (mean, se) = mean_and_standard_error(&paired);
    println!(
        "\n  NNO minus {}, CPU ms/req per round: {}",
        g.compared,
        paired
            .iter()
            .map(|d| format!("{d:+.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "    mean {mean:+.3} ms, standard error {se:.3} ms (negative: NNO's gateway is cheaper)"
    );
    if g.compared != "Hono" {
        // The budgets are against Hono's gateway, which this run did not measure.
        println!("===================================================================");
        return;
    }
    let nno_cpu = t[NNO].cpu_ms - t[FLOOR].cpu_ms;
    let hono_cpu = t[HONO_GW].cpu_ms - t[FLOOR].cpu_ms;
    let p50 = l[NNO].p50 - l[FLOOR].p50;
    let ratio = t[NNO].rps / t[FLOOR].rps * 100.0;
    println!("\n  budgets for NNO's gateway on the public route");
    println!(
        "    CPU over the floor <= Hono's:        {nno_cpu:+.3} vs {hono_cpu:+.3} ms   {}",
        verdict(nno_cpu <= hono_cpu)
    );
    println!(
        "    p50 over the floor <= +{P50_BUDGET_MS:.3} ms:    {p50:+.3} ms            {}",
        verdict(p50 <= P50_BUDGET_MS)
    );
    println!(
        "    throughput >= {THROUGHPUT_BUDGET_PCT:.0} % of the floor's:   {ratio:.1} %             {}",
        verdict(ratio >= THROUGHPUT_BUDGET_PCT)
    );
    println!("===================================================================");
}

/// The mean of `xs` and its standard error (sample standard deviation over the square
/// root of the count; 0 for fewer than two values).
pub(crate) fn mean_and_standard_error(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Prints the size table; returns how many Workers are over budget.
fn print_sizes(sizes: &[(&str, u64, u64)]) -> usize {
    println!(
        "\nWorker sizes (budget: {} KiB gzipped each)",
        SIZE_BUDGET_GZ / 1024
    );
    println!(
        "  {:<18} {:>10} {:>10}  budget",
        "worker", "raw KiB", "gzip KiB"
    );
    let mut over = 0;
    for (name, raw, gz) in sizes {
        let ok = *gz <= SIZE_BUDGET_GZ;
        over += usize::from(!ok);
        println!(
            "  {:<18} {:>10.1} {:>10.1}  {}",
            name,
            *raw as f64 / 1024.0,
            *gz as f64 / 1024.0,
            if ok { "ok" } else { "OVER" }
        );
    }
    over
}

fn print_gateway(opts: &BenchOptions, g: &GatewayReport) {
    println!("\nGateway cost on the local runtime (route: GET {ROUTE_GATEWAY})");
    if opts.log_level.is_some() {
        println!("  (--quiet-logs: wrangler prints warnings and errors only)");
    }
    let (latency, throughput) = (&g.latency, &g.throughput);
    for (title, m) in [
        (
            format!(
                "latency: 1 connection, {} rounds x {} requests",
                opts.latency_rounds, opts.latency_requests
            ),
            latency,
        ),
        (
            format!(
                "throughput: {} connections, {} rounds x {} requests",
                opts.concurrency, opts.rounds, opts.requests
            ),
            throughput,
        ),
    ] {
        println!("\n  {title}");
        println!(
            "  {:<24} {:>9} {:>9} {:>11} {:>7} {:>11}",
            "target", "p50 ms", "p99 ms", "req/s", "errors", "CPU ms/req"
        );
        for (i, r) in m.iter().enumerate() {
            println!(
                "  {:<24} {:>9.3} {:>9.3} {:>11.0} {:>7} {:>11.3}",
                g.setups[i].0, r.p50, r.p99, r.rps, r.errors, r.cpu_ms
            );
        }
    }
    println!("\n  CPU ms/req per round (throughput phase)");
    for (i, r) in throughput.iter().enumerate() {
        let rounds: Vec<String> = r.cpu_rounds.iter().map(|c| format!("{c:.3}")).collect();
        println!("  {:<24} {}", g.setups[i].0, rounds.join(" "));
    }
    let l = latency;
    let t = throughput;
    println!();
    println!(
        "  service-binding hop (b - a), p50:        {:+.3} ms",
        l[FLOOR].p50 - l[DIRECT].p50
    );
    for i in [NNO, HONO_GW] {
        println!(
            "  {:<24} over the floor, p50:     {:+.3} ms",
            g.setups[i].0,
            l[i].p50 - l[FLOOR].p50
        );
    }
    for i in [NNO, HONO_GW] {
        println!(
            "  {:<24} throughput vs the floor: {:.1} %",
            g.setups[i].0,
            t[i].rps / t[FLOOR].rps * 100.0
        );
    }
}

struct Measured {
    p50: f64,
    p99: f64,
    rps: f64,
    errors: usize,
    /// CPU of the runtime's workerd process per request (repeatable where wall-clock
    /// throughput on a shared machine is not).
    cpu_ms: f64,
    /// The same, round by round: rounds interleave the targets, so a round's figures
    /// are paired (taken minutes apart at most) and their differences show the noise.
    cpu_rounds: Vec<f64>,
}

/// Runs `rounds` rounds; in each, every target in turn gets `requests` requests.
fn phase(
    running: &[platform::Platform],
    setups: &[Setup],
    requests: usize,
    concurrency: usize,
    rounds: usize,
) -> Result<Vec<Measured>, String> {
    step(&format!(
        "load: {rounds} rounds x {requests} requests per target, {concurrency} connection(s)"
    ));
    let mut lat: Vec<Vec<u64>> = vec![Vec::new(); running.len()];
    let mut secs = vec![0f64; running.len()];
    let mut errors = vec![0usize; running.len()];
    let mut cpu = vec![Vec::with_capacity(rounds); running.len()];
    let n = running.len();
    for round in 0..rounds {
        // Each round starts at the next target, so none always follows the same one.
        for i in (0..n).map(|k| (k + round) % n) {
            let (p, (_, _, route)) = (&running[i], &setups[i]);
            let before = crate::cpu::snapshot(p.pgid());
            let r = load::run(p.port, route, requests, concurrency)?;
            cpu[i].push(
                crate::cpu::used_ms(&before, &crate::cpu::snapshot(p.pgid())) / requests as f64,
            );
            secs[i] += r.elapsed.as_secs_f64();
            errors[i] += r.errors;
            lat[i].extend(r.latencies_us);
        }
    }
    Ok(lat
        .into_iter()
        .enumerate()
        .map(|(i, mut l)| {
            l.sort_unstable();
            Measured {
                p50: percentile(&l, 0.50),
                p99: percentile(&l, 0.99),
                rps: l.len() as f64 / secs[i],
                errors: errors[i],
                cpu_ms: cpu[i].iter().sum::<f64>() / rounds as f64,
                cpu_rounds: std::mem::take(&mut cpu[i]),
            }
        })
        .collect())
}

/// The size of `bytes` gzipped at the best level (how bundles are budgeted).
pub(crate) fn gzip_len(bytes: &[u8]) -> Result<u64, String> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(enc.finish().map_err(|e| e.to_string())?.len() as u64)
}

fn parse(args: &[String]) -> Result<BenchOptions, String> {
    let mut o = BenchOptions {
        log_level: None,
        sign_ins: 100,
        auth_requests: 300,
        auth_rounds: 10,
        auth_only: false,
        gateway_only: false,
        platforms_only: false,
        latency_requests: 500,
        latency_rounds: 5,
        requests: 500,
        concurrency: 8,
        rounds: 20,
        against: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or(format!("{a} needs a positive number"))
        };
        match a.as_str() {
            // Hides info lines in wrangler dev: workerd still writes them, but Node no
            // longer formats and prints each one, a cost production does not have.
            "--quiet-logs" => o.log_level = Some("warn"),
            "--latency-requests" => o.latency_requests = num()?,
            "--requests" => o.requests = num()?,
            "--concurrency" => o.concurrency = num()?,
            "--rounds" => o.rounds = num()?,
            "--latency-rounds" => o.latency_rounds = num()?,
            "--sign-ins" => o.sign_ins = num()?,
            "--auth-requests" => o.auth_requests = num()?,
            "--auth-rounds" => o.auth_rounds = num()?,
            "--auth-only" => o.auth_only = true,
            "--gateway-only" => o.gateway_only = true,
            "--platforms-only" => o.platforms_only = true,
            "--against" => {
                o.against = Some(it.next().ok_or("--against needs a module path")?.clone())
            }
            other => {
                return Err(format!(
                    "unknown option {other} (--quiet-logs, --latency-requests N, --requests N, --concurrency N, --rounds N, --latency-rounds N, --sign-ins N, --auth-requests N, --auth-rounds N, --auth-only, --gateway-only, --platforms-only, --against MODULE)"
                ))
            }
        }
    }
    if o.against.is_some() && (o.auth_only || o.platforms_only) {
        return Err(
            "--against is for the gateway rounds: not with --auth-only or --platforms-only".into(),
        );
    }
    if o.auth_only && o.gateway_only {
        return Err("--auth-only and --gateway-only exclude each other".into());
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::{config_copy, inspected_worker, mean_and_standard_error, parse, set_main};

    #[test]
    fn against_points_the_gateway_copy_at_the_other_module_and_refuses_a_missing_one() {
        let root = crate::util::repo_root();
        let work = std::env::temp_dir().join(format!("nno-bench-against-{}", std::process::id()));
        let path = config_copy(&root, &work, "gateway", None).unwrap();
        let module = work.join("other.mjs");
        std::fs::write(&module, "export default {}").unwrap();
        set_main(&work, "gateway", &module.display().to_string()).unwrap();
        let copy: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let main = module.canonicalize().unwrap().display().to_string();
        assert_eq!(copy["main"].as_str(), Some(main.as_str()));
        assert_eq!(copy["name"].as_str(), Some("nno-k3m9p2xw7q-gateway"));
        let missing = work.join("missing.mjs").display().to_string();
        assert!(set_main(&work, "gateway", &missing).is_err());
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(parse(&args(&["--against"])).is_err());
        assert!(parse(&args(&["--against", "x.mjs", "--auth-only"])).is_err());
        let o = parse(&args(&["--gateway-only", "--against", "x.mjs"])).unwrap();
        assert_eq!(o.against.as_deref(), Some("x.mjs"));
        std::fs::remove_dir_all(&work).unwrap();
    }

    #[test]
    fn config_copies_run_the_built_module_without_a_custom_build() {
        let root = crate::util::repo_root();
        let work = std::env::temp_dir().join(format!("nno-bench-cfg-{}", std::process::id()));
        for worker in ["gateway", "iam"] {
            let path = config_copy(&root, &work, worker, None).unwrap();
            let copy: toml::Table =
                toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let original: toml::Table = toml::from_str(
                &std::fs::read_to_string(crate::build::config_arg(&root, worker)).unwrap(),
            )
            .unwrap();
            assert!(original.contains_key("build") && !copy.contains_key("build"));
            let main = copy["main"].as_str().unwrap();
            assert!(
                main.ends_with("build/worker/shim.mjs") && std::path::Path::new(main).is_absolute()
            );
            assert_eq!(copy["name"], original["name"]);
            assert_eq!(copy.get("services"), original.get("services"));
            if let Some(dbs) = copy.get("d1_databases").and_then(|d| d.as_array()) {
                for db in dbs {
                    let dir = db["migrations_dir"].as_str().unwrap();
                    assert!(std::path::Path::new(dir).is_dir(), "{dir}");
                }
            }
        }
        let idle = config_copy(&root, &work, "cli", Some("sleep 2")).unwrap();
        let copy: toml::Table = toml::from_str(&std::fs::read_to_string(idle).unwrap()).unwrap();
        assert_eq!(copy["build"]["command"].as_str(), Some("sleep 2"));
        let watched = copy["build"]["watch_dir"].as_str().unwrap();
        assert!(std::path::Path::new(watched).is_dir());
        let _ = std::fs::remove_dir_all(&work);
    }

    #[test]
    fn the_inspected_worker_is_the_last_reload_in_the_debug_log() {
        let dir = std::env::temp_dir().join(format!("nno-bench-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("w.log");
        std::fs::write(
            &log,
            r#"{"type":"reloadComplete","proxyData":{"userWorkerInspectorUrl":{"port":"1","pathname":"/core:user:nno-gw"}}}
{"type":"reloadComplete","proxyData":{"userWorkerInspectorUrl":{"port":"2","pathname":"/core:user:nno-billing"}}}"#,
        )
        .unwrap();
        assert_eq!(inspected_worker(&log).as_deref(), Some("nno-billing"));
        std::fs::write(&log, "no reloads").unwrap();
        assert_eq!(inspected_worker(&log), None);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn standard_error_of_paired_rounds() {
        let (m, se) = mean_and_standard_error(&[0.1, -0.1, 0.1, -0.1]);
        assert!(m.abs() < 1e-12);
        // sd = sqrt(0.04 / 3), se = sd / 2
        assert!((se - (0.04f64 / 3.0).sqrt() / 2.0).abs() < 1e-12);
        assert_eq!(mean_and_standard_error(&[0.5]), (0.5, 0.0));
        assert_eq!(mean_and_standard_error(&[]), (0.0, 0.0));
    }
}
