//! `cargo xtask bench`: figures, not pass/fail.
//!
//! 1. Every Worker's module size, raw and gzipped, against the 512 KiB gzipped budget.
//! 2. The gateway's overhead, in one run on the local runtime at the same load:
//!    (a) an upstream (billing) called directly; (b) the floor, a pass-through Worker
//!    that only forwards through a service binding; (c) the NNO gateway on the same
//!    route. Each runs in its own `wrangler dev` with its own dev registry; rounds are
//!    interleaved so drift on the machine hits all three alike.

use crate::build::{self, wasm_path, PASSTHROUGH, SERVICES};
use crate::load::{self, percentile};
use crate::platform::{self, Options};
use crate::toolchain;
use crate::util::{self, step};
use flate2::{write::GzEncoder, Compression};
use std::io::Write;
use std::time::Duration;

const SIZE_BUDGET_GZ: u64 = 512 * 1024;
const UPSTREAM: &str = "billing";
const ROUTE_UPSTREAM: &str = "/health/live";
const ROUTE_GATEWAY: &str = "/api/v1/billing/health/live";

struct BenchOptions {
    log_level: Option<&'static str>,
    sign_ins: usize,
    auth_requests: usize,
    skip_gateway: bool,
    skip_auth: bool,
    latency_requests: usize,
    requests: usize,
    concurrency: usize,
    rounds: usize,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let root = util::repo_root();
    let tools = toolchain::ensure(&root)?;
    build::build_all(&root, &tools, true)?;
    platform::ensure_dev_vars(&root)?;

    println!(
        "\nWorker sizes (budget: {} KiB gzipped each)",
        SIZE_BUDGET_GZ / 1024
    );
    println!(
        "  {:<18} {:>10} {:>10}  budget",
        "worker", "raw KiB", "gzip KiB"
    );
    let mut over = 0;
    for name in SERVICES.iter().chain([&PASSTHROUGH]) {
        let bytes = std::fs::read(wasm_path(&root, name)).map_err(|e| format!("{name}: {e}"))?;
        let gz = gzip_len(&bytes)?;
        let ok = gz <= SIZE_BUDGET_GZ;
        over += usize::from(!ok);
        println!(
            "  {:<18} {:>10.1} {:>10.1}  {}",
            name,
            bytes.len() as f64 / 1024.0,
            gz as f64 / 1024.0,
            if ok { "ok" } else { "OVER" }
        );
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
    if !opts.skip_auth {
        crate::bench_auth::run(
            &root,
            &tools,
            &work,
            &service_key,
            &crate::bench_auth::AuthOptions {
                log_level: opts.log_level,
                sign_ins: opts.sign_ins,
                requests: opts.auth_requests,
            },
        )?;
    }
    if opts.skip_gateway {
        return Ok(());
    }
    step("starting three local runtimes: upstream alone, pass-through + upstream, gateway + upstream");
    let setups: [(&str, Vec<&str>, &str); 3] = [
        ("(a) upstream direct", vec![UPSTREAM], ROUTE_UPSTREAM),
        (
            "(b) pass-through floor",
            vec![PASSTHROUGH, UPSTREAM],
            ROUTE_UPSTREAM,
        ),
        ("(c) NNO gateway", vec!["gateway", UPSTREAM], ROUTE_GATEWAY),
    ];
    let mut running = Vec::new();
    for (i, (label, workers, route)) in setups.iter().enumerate() {
        let dir = work.join(format!("p{i}"));
        let p = platform::start(
            &root,
            &tools,
            &Options {
                workers: workers.iter().map(|w| w.to_string()).collect(),
                port: util::free_port()?,
                persist_dir: dir.join("state"),
                registry_dir: dir.join("registry"),
                log_file: Some(work.join(format!("p{i}.log"))),
                log_level: opts.log_level,
                vars: Vec::new(),
            },
        )?;
        util::wait_for_ok(p.port, route, Duration::from_secs(90))
            .map_err(|e| format!("{label}: {e}"))?;
        running.push(p);
    }

    for (p, (_, _, route)) in running.iter().zip(&setups) {
        load::run(p.port, route, 300, opts.concurrency)?; // warm-up: JIT, isolates, pools
    }
    // Latency is measured one request at a time, where it is the cost of a request and
    // not time spent queueing behind the others; throughput with `concurrency`
    // connections, where the runtime is saturated. Both at the same load for all three.
    let latency = phase(&running, &setups, opts.latency_requests, 1, opts.rounds)?;
    let throughput = phase(
        &running,
        &setups,
        opts.requests,
        opts.concurrency,
        opts.rounds,
    )?;
    drop(running);

    println!("\nGateway overhead on the local runtime (route: GET {ROUTE_GATEWAY})");
    if opts.log_level.is_some() {
        println!("  (--quiet-logs: wrangler prints warnings and errors only)");
    }
    for (title, m) in [
        (
            format!(
                "latency: 1 connection, {} rounds x {} requests",
                opts.rounds, opts.latency_requests
            ),
            &latency,
        ),
        (
            format!(
                "throughput: {} connections, {} rounds x {} requests",
                opts.concurrency, opts.rounds, opts.requests
            ),
            &throughput,
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
                setups[i].0, r.p50, r.p99, r.rps, r.errors, r.cpu_ms
            );
        }
    }
    let hop = latency[1].p50 - latency[0].p50;
    let overhead = latency[2].p50 - latency[1].p50;
    let ratio = throughput[2].rps / throughput[1].rps * 100.0;
    println!();
    println!("  service-binding hop (b - a), p50:     {hop:+.3} ms");
    println!(
        "  gateway over the floor (c - b), p50:  {overhead:+.3} ms   budget <= +0.500 ms  {}",
        if overhead <= 0.5 { "ok" } else { "OVER" }
    );
    println!(
        "  gateway throughput vs the floor:      {ratio:.1} %     budget >= 90 %       {}",
        if ratio >= 90.0 { "ok" } else { "UNDER" }
    );
    println!(
        "  workerd CPU per request (throughput phase): floor {:.3} ms, gateway {:.3} ms ({:+.3} ms)",
        throughput[1].cpu_ms,
        throughput[2].cpu_ms,
        throughput[2].cpu_ms - throughput[1].cpu_ms
    );
    println!(
        "  Worker sizes: {}",
        if over == 0 {
            "every Worker within 512 KiB gzipped".to_string()
        } else {
            format!("{over} Worker(s) over budget")
        }
    );
    Ok(())
}

struct Measured {
    p50: f64,
    p99: f64,
    rps: f64,
    errors: usize,
    /// CPU of the runtime's workerd process per request (repeatable where wall-clock
    /// throughput on a shared machine is not).
    cpu_ms: f64,
}

/// Runs `rounds` rounds; in each, every target in turn gets `requests` requests.
fn phase(
    running: &[platform::Platform],
    setups: &[(&str, Vec<&str>, &str)],
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
    let mut cpu = vec![0f64; running.len()];
    for _ in 0..rounds {
        for (i, (p, (_, _, route))) in running.iter().zip(setups).enumerate() {
            let before = crate::cpu::snapshot(p.pgid());
            let r = load::run(p.port, route, requests, concurrency)?;
            cpu[i] += crate::cpu::used_ms(&before, &crate::cpu::snapshot(p.pgid()));
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
                cpu_ms: cpu[i] / (requests * rounds) as f64,
            }
        })
        .collect())
}

fn gzip_len(bytes: &[u8]) -> Result<u64, String> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(enc.finish().map_err(|e| e.to_string())?.len() as u64)
}

fn parse(args: &[String]) -> Result<BenchOptions, String> {
    let mut o = BenchOptions {
        log_level: None,
        sign_ins: 100,
        auth_requests: 300,
        skip_gateway: false,
        skip_auth: false,
        latency_requests: 500,
        requests: 2000,
        concurrency: 8,
        rounds: 5,
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
            "--sign-ins" => o.sign_ins = num()?,
            "--auth-requests" => o.auth_requests = num()?,
            "--auth-only" => o.skip_gateway = true,
            "--gateway-only" => o.skip_auth = true,
            other => {
                return Err(format!(
                    "unknown option {other} (--quiet-logs, --latency-requests N, --requests N, --concurrency N, --rounds N, --sign-ins N, --auth-requests N, --auth-only, --gateway-only)"
                ))
            }
        }
    }
    Ok(o)
}
