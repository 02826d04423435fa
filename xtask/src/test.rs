//! `cargo xtask test`: every test the project has, in one command.
//!
//! 1. `cargo fmt --check` and clippy with warnings denied, then the native unit tests
//!    of the whole workspace (end-to-end crate excluded), and the console's type check
//!    and Vitest unit tests;
//! 2. `wrangler deploy --dry-run` of every service in both environments, and the
//!    sandbox's Cloudflare fidelity test (`sandbox_fidelity.rs`);
//! 3. the end-to-end suite against the real Workers on workerd: a full local platform
//!    (fresh D1/KV/Queue state, migrations applied), a gateway started alone, whose
//!    upstreams are unreachable, and registry started alone, reached around the
//!    gateway; all on free ports;
//! 4. the console's browser journey (`apps/console/e2e`) in headless Chromium against
//!    that platform, through the console's Vite dev server;
//! 5. schemathesis against the full platform through its gateway, from the OpenAPI
//!    document the gateway serves: anonymously, as a signed-in user with a tenant, with
//!    an API key and with the service key (`schemathesis.rs`).

use crate::build::{self, crate_dir, SERVICES, SKIP_ENV};
use crate::platform::{self, Options, Platform};
use crate::toolchain::{self, Toolchain};
use crate::util::{self, step, Cmd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn run(args: &[String]) -> Result<(), String> {
    let started = Instant::now();
    let root = util::repo_root();
    // `--only NAME`: one end-to-end test file against the full platform, nothing else
    // (for working on one service; `cargo xtask test` without it runs everything).
    if let [flag, name] = args {
        if flag == "--only" {
            let tools = toolchain::ensure(&root)?;
            build::build_all(&root, &tools, false)?;
            platform::ensure_dev_vars(&root)?;
            crate::sandbox_fidelity::install(&root)?;
            let work = fresh_work(&root)?;
            let result = only(&root, &tools, &work, name);
            eprintln!(
                "cargo xtask test --only {name} finished in {:.0?}",
                started.elapsed()
            );
            return result;
        }
    }
    if let Some(a) = args.first() {
        return Err(format!("unknown option {a}"));
    }
    let tools = toolchain::ensure(&root)?;

    step("format and lint (cargo fmt --check, clippy -D warnings)");
    util::run(
        Cmd::new("cargo")
            .args(["fmt", "--all", "--", "--check"])
            .dir(&root),
    )?;
    util::run(
        Cmd::new("cargo")
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ])
            .dir(&root),
    )?;

    step("unit tests");
    util::run(
        Cmd::new("cargo")
            .args(["test", "--workspace", "--exclude", "e2e"])
            .dir(&root),
    )?;
    crate::console::unit_tests(&root)?;

    build::build_all(&root, &tools, false)?;
    platform::ensure_dev_vars(&root)?;
    dry_runs(&root, &tools)?;
    crate::console::check_builds(&root)?;
    // The sandbox held to Cloudflare's wire formats by Cloudflare's own clients (the
    // npm package and the pinned wrangler), and to the OpenAPI subset.
    crate::sandbox_fidelity::run(&root)?;

    let work = fresh_work(&root)?;
    let result = end_to_end(&root, &tools, &work);
    eprintln!("cargo xtask test finished in {:.0?}", started.elapsed());
    result
}

fn fresh_work(root: &Path) -> Result<PathBuf, String> {
    let work = root.join("target/e2e");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    Ok(work)
}

/// The full platform and the sandbox, and one end-to-end test file against them.
fn only(root: &Path, tools: &Toolchain, work: &Path, name: &str) -> Result<(), String> {
    let state = work.join("state");
    platform::migrate(root, tools, &state)?;
    crate::auth_bundle::publish(
        root,
        tools,
        crate::auth_bundle::Target::Local {
            persist_dir: &state,
        },
    )?;
    let sandbox = crate::sandbox::start(root, Some(&work.join("sandbox.log")))?;
    let log = work.join("platform.log");
    let full = platform::start(
        root,
        tools,
        &Options::all_services(util::free_port()?, state, Some(log.clone())),
    )?;
    if let Err(e) = util::wait_for_ok(full.port, "/health", Duration::from_secs(120)) {
        show_log(&log);
        return Err(e);
    }
    crate::sandbox::point_stripe_webhooks(full.port)?;
    // `--only console`: the console's browser journey instead of a Rust test file.
    if name == "console" {
        crate::console::ensure(root)?;
        let result = crate::console::start_dev(root, full.port, Some(&work.join("console.log")))
            .and_then(|console| {
                let r = crate::console::browser_tests(
                    root,
                    &service_key(root)?,
                    &root.join("target/console-e2e"),
                );
                drop(console);
                r
            });
        if result.is_err() {
            show_log(&work.join("console.log"));
            show_log(&log);
        }
        drop((full, sandbox));
        return result;
    }
    step(&format!("end-to-end tests in crates/e2e/tests/{name}.rs"));
    let result = util::run(
        Cmd::new("cargo")
            .args([
                "test",
                "-p",
                "e2e",
                "--test",
                name,
                "--no-fail-fast",
                "--",
                "--nocapture",
            ])
            .env("NNO_E2E_GATEWAY", platform_url(&full))
            .env("NNO_E2E_SERVICE_KEY", service_key(root)?)
            .env("NNO_E2E_SANDBOX", crate::sandbox::url())
            .dir(root),
    );
    if result.is_err() {
        show_log(&log);
    }
    drop((full, sandbox));
    result
}

fn dry_runs(root: &Path, tools: &Toolchain) -> Result<(), String> {
    step("wrangler deploy --dry-run for every service in production and staging");
    let out = root.join("target/dry-run");
    let mut count = 0;
    for s in SERVICES {
        for env in [None, Some("stg")] {
            let outdir = out.join(s).display().to_string();
            let config = build::config_arg(root, s);
            let mut args = vec!["deploy", "--dry-run", "--outdir", &outdir, "-c", &config];
            if let Some(e) = env {
                args.extend(["--env", e]);
            }
            let label = format!("{s} ({})", env.unwrap_or("production"));
            util::output(tools.wrangler_cmd(root, &args).env(SKIP_ENV, "1"))
                .map_err(|e| format!("dry-run of {label} failed: {e}"))?;
            count += 1;
        }
    }
    eprintln!("    {count} dry-runs succeeded");
    Ok(())
}

/// The platform id of the client-platform iam the end-to-end suite runs beside NNO's.
const CLIENT_PLATFORM_ID: &str = "e2eclient1";

fn end_to_end(root: &Path, tools: &Toolchain, work: &Path) -> Result<(), String> {
    // The official better-auth client that crates/e2e/tests/official_client.rs runs.
    toolchain::npm_ci(
        &root.join("crates/e2e/client"),
        &["better-auth/package.json"],
        "installing the official better-auth client from crates/e2e/client/package-lock.json",
    )?;
    let state = work.join("state");
    platform::migrate(root, tools, &state)?;
    crate::auth_bundle::publish(
        root,
        tools,
        crate::auth_bundle::Target::Local {
            persist_dir: &state,
        },
    )?;

    let sandbox = crate::sandbox::start(root, Some(&work.join("sandbox.log")))?;
    step("starting the local platform and an isolated gateway on free ports");
    let full_log = work.join("platform.log");
    let iso_log = work.join("isolated.log");
    let full = platform::start(
        root,
        tools,
        &Options::all_services(util::free_port()?, state, Some(full_log.clone())),
    )?;
    let iso = platform::start(root, tools, &Options::alone("gateway", work, "isolated")?)?;
    // Registry alone on its own port: what a client reaching a service directly, around
    // the gateway, would see.
    let direct_log = work.join("direct.log");
    let direct = platform::start(root, tools, &Options::alone("registry", work, "direct")?)?;
    // The same iam crate deployed for a client platform: its own platform id and D1,
    // reached as that platform's gateway would reach it.
    let client_log = work.join("client-iam.log");
    let mut client_opts = Options::alone("iam", work, "client-iam")?;
    platform::migrate_only(root, tools, &client_opts.persist_dir, &["iam"])?;
    client_opts
        .vars
        .push(("PLATFORM_ID".into(), CLIENT_PLATFORM_ID.into()));
    let client = platform::start(root, tools, &client_opts)?;
    let ready = util::wait_for_ok(full.port, "/health", Duration::from_secs(120))
        .and_then(|_| util::wait_for_ok(iso.port, "/health/live", Duration::from_secs(60)))
        .and_then(|_| util::wait_for_ok(direct.port, "/health/live", Duration::from_secs(60)))
        .and_then(|_| util::wait_for_ok(client.port, "/health/live", Duration::from_secs(60)));
    if let Err(e) = ready {
        for log in [&full_log, &iso_log, &direct_log, &client_log] {
            show_log(log);
        }
        return Err(e);
    }
    crate::sandbox::point_stripe_webhooks(full.port)?;
    let gateway_vars = std::fs::read_to_string(crate_dir(root, "gateway").join(".dev.vars"))
        .map_err(|e| e.to_string())?;
    let service_key = service_key(root)?;
    let internal_key = platform::dev_var(&gateway_vars, "NNO_INTERNAL_API_KEY")
        .ok_or("services/gateway/.dev.vars has no NNO_INTERNAL_API_KEY")?;

    step("end-to-end suite");
    let result = util::run(
        Cmd::new("cargo")
            .args(["test", "-p", "e2e", "--no-fail-fast"])
            .env("NNO_E2E_GATEWAY", platform_url(&full))
            .env("NNO_E2E_ISOLATED_GATEWAY", platform_url(&iso))
            .env("NNO_E2E_DIRECT_REGISTRY", platform_url(&direct))
            .env("NNO_E2E_SERVICE_KEY", &service_key)
            .env("NNO_E2E_SANDBOX", crate::sandbox::url())
            .env("NNO_E2E_CLIENT_IAM", platform_url(&client))
            .env("NNO_E2E_CLIENT_PLATFORM_ID", CLIENT_PLATFORM_ID)
            .env("NNO_E2E_INTERNAL_KEY", internal_key)
            .dir(root),
    );
    if result.is_err() {
        show_log(&full_log);
    }
    drop((iso, direct, client));
    // The console in a real browser against the same platform.
    let browser = crate::console::start_dev(root, full.port, Some(&work.join("console.log")))
        .and_then(|console| {
            let r =
                crate::console::browser_tests(root, &service_key, &root.join("target/console-e2e"));
            drop(console);
            r
        });
    if browser.is_err() {
        show_log(&work.join("console.log"));
        show_log(&full_log);
    }
    // The fuzzer after the suite, on the same full platform (the suite's data stays; each
    // run signs up its own user): it needs no other platform.
    let fuzzed = crate::schemathesis::run_all(
        root,
        tools,
        full.port,
        &service_key,
        &work.join("schemathesis"),
    );
    if fuzzed.is_err() {
        show_log(&full_log);
    }
    drop((full, sandbox));
    result.and(browser).and(fuzzed.map(|_| ()))
}

/// The local gateway's service key (`AUTH_API_KEY` in `services/gateway/.dev.vars`).
pub fn service_key(root: &Path) -> Result<String, String> {
    let vars = std::fs::read_to_string(crate_dir(root, "gateway").join(".dev.vars"))
        .map_err(|e| format!("services/gateway/.dev.vars: {e}"))?;
    platform::dev_var(&vars, "AUTH_API_KEY")
        .ok_or_else(|| "services/gateway/.dev.vars has no AUTH_API_KEY".to_string())
}

fn platform_url(p: &Platform) -> String {
    format!("http://127.0.0.1:{}", p.port)
}

fn show_log(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(60).collect();
    eprintln!("---- last lines of {} ----", path.display());
    for l in tail.into_iter().rev() {
        eprintln!("{l}");
    }
}
