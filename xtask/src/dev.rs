//! `cargo xtask dev` (the local platform) and `cargo xtask deploy`.

use crate::build::{self, SERVICES, SKIP_ENV};
use crate::platform::{self, Options};
use crate::toolchain;
use crate::util::{self, step};
use std::time::Duration;

pub const DEFAULT_PORT: u16 = 8787;

pub fn run(args: &[String]) -> Result<(), String> {
    let port = parse_port(args)?;
    let root = util::repo_root();
    let tools = toolchain::ensure(&root)?;
    build::build_all(&root, &tools, false)?;
    platform::ensure_dev_vars(&root)?;
    // Fresh local state on every start: migrations apply to empty databases.
    let state = root.join(".wrangler/state");
    if state.exists() {
        std::fs::remove_dir_all(&state).map_err(|e| format!("{}: {e}", state.display()))?;
    }
    platform::migrate(&root, &tools, &state)?;
    crate::auth_bundle::publish(
        &root,
        &tools,
        crate::auth_bundle::Target::Local {
            persist_dir: &state,
        },
    )?;
    // wrangler and Vite run in process groups of their own, which neither Ctrl-C nor a
    // SIGTERM/SIGHUP sent to this process reaches: from here on each of those only
    // raises the flag, and the loop below stops everything (a signal during start-up
    // takes effect once the platform is up). Without it a `kill` or a closed terminal
    // left the whole platform running on its ports.
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = interrupted.clone();
    ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::SeqCst))
        .map_err(|e| e.to_string())?;
    let sandbox = crate::sandbox::start(&root, None)?;
    step("starting the seven Workers on workerd");
    let mut p = platform::start(&root, &tools, &Options::all_services(port, state, None))?;
    let console = match util::wait_for_ok(port, "/health", Duration::from_secs(90)) {
        Ok(_) => {
            if let Err(e) = crate::sandbox::point_stripe_webhooks(port) {
                eprintln!("warning: {e}");
            }
            let admin = bootstrap_admin(&root, port);
            step("starting the console (Vite) on its port");
            let console = crate::console::start_dev(&root, port, None);
            let note = match &console {
                Ok(_) => None,
                Err(e) => Some(format!("the console did not start: {e}")),
            };
            print_banner(port, admin.as_deref(), note.as_deref());
            console.ok()
        }
        Err(e) => {
            p.stop();
            return Err(format!("the platform did not become healthy: {e}"));
        }
    };
    while !interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        if let Ok(Some(status)) = p.try_wait() {
            return Err(format!("wrangler dev exited ({status})"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    step("stopping");
    drop(console);
    p.stop();
    drop(sandbox);
    Ok(())
}

fn parse_port(args: &[String]) -> Result<u16, String> {
    let mut port = std::env::var("NNO_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(DEFAULT_PORT);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" | "-p" => {
                port = it
                    .next()
                    .and_then(|p| p.parse().ok())
                    .ok_or("--port needs a number")?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(port)
}

/// The local platform admin: created on every start (the state is fresh).
pub const LOCAL_ADMIN_EMAIL: &str = "admin@nno.local";
pub const LOCAL_ADMIN_PASSWORD: &str = "nno-local-admin";

/// Creates the first platform admin through the gateway with the service key; the
/// message to show, or the reason it could not be done.
fn bootstrap_admin(root: &std::path::Path, port: u16) -> Option<String> {
    let vars = std::fs::read_to_string(build::crate_dir(root, "gateway").join(".dev.vars")).ok()?;
    let key = platform::dev_var(&vars, "AUTH_API_KEY")?;
    let body = serde_json::json!({
        "email": LOCAL_ADMIN_EMAIL, "password": LOCAL_ADMIN_PASSWORD, "name": "Local Admin",
    })
    .to_string();
    let raw = format!(
        "POST /api/v1/iam/nno/bootstrap HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    match crate::load::once(port, raw.as_bytes()) {
        Ok((201, _)) => Some(format!(
            "platform admin  {LOCAL_ADMIN_EMAIL} / {LOCAL_ADMIN_PASSWORD}  (POST /api/v1/iam/auth/sign-in/email)"
        )),
        Ok((status, body)) => Some(format!("platform admin not created ({status}: {body})")),
        Err(e) => Some(format!("platform admin not created ({e})")),
    }
}

fn print_banner(port: u16, admin: Option<&str>, console_problem: Option<&str>) {
    println!();
    println!("  NNO is running locally (environment: local)");
    println!();
    match console_problem {
        None => println!(
            "  console         http://localhost:{}  (sign in as the platform admin below)",
            crate::console::PORT
        ),
        Some(p) => println!("  console         {p}"),
    }
    println!("  gateway         http://127.0.0.1:{port}");
    println!("  health          http://127.0.0.1:{port}/health");
    for s in nno_core::Service::UPSTREAMS {
        if let Some(prefix) = nno_core::routing::public_prefix(s) {
            println!("  {:<15} http://127.0.0.1:{port}{prefix}/…", s.name());
        }
    }
    println!();
    if let Some(a) = admin {
        println!("  {a}");
    }
    println!(
        "  sandbox         {}  (captured e-mail: {}/_sandbox/emails)",
        crate::sandbox::url(),
        crate::sandbox::url()
    );
    println!();
    println!("  Local D1/KV/Queue state: .wrangler/state (fresh on every start)");
    println!("  Service key for API calls: AUTH_API_KEY in services/gateway/.dev.vars");
    println!("  Ctrl-C stops everything.");
    println!();
}

/// `cargo xtask deploy --env stg|prod`: D1 migrations first, then the upstream
/// services, then the gateway (which binds them all). Needs CLOUDFLARE_API_TOKEN and
/// CLOUDFLARE_ACCOUNT_ID in the environment.
pub fn deploy(args: &[String]) -> Result<(), String> {
    let env = match args {
        [flag, e] if flag == "--env" => e
            .parse::<nno_core::Environment>()
            .map_err(|e| e.to_string())?,
        _ => return Err("usage: cargo xtask deploy --env stg|prod".into()),
    };
    let env_args: Vec<&str> = match env {
        nno_core::Environment::Stg => vec!["--env", "stg"],
        nno_core::Environment::Prod => vec![],
        nno_core::Environment::Local => {
            return Err("local is not deployed: use cargo xtask dev".into())
        }
    };
    let root = util::repo_root();
    let tools = toolchain::ensure(&root)?;
    build::build_all(&root, &tools, false)?;
    for s in platform::WITH_D1 {
        step(&format!("migrating {s} ({env})"));
        let config = build::config_arg(&root, s);
        let mut args = vec!["d1", "migrations", "apply", "DB", "--remote", "-c", &config];
        args.extend(&env_args);
        util::run(tools.wrangler_cmd(&root, &args).env("CI", "true"))?;
    }
    // Provisioning uploads every platform's auth Worker from this bundle.
    let stg = matches!(env, nno_core::Environment::Stg).then_some("stg");
    crate::auth_bundle::publish(
        &root,
        &tools,
        crate::auth_bundle::Target::Remote { env: stg },
    )?;
    // Upstreams before the gateway; registry binds provisioning, billing and iam.
    let order = [
        "iam",
        "billing",
        "provisioning",
        "stack-registry",
        "cli",
        "registry",
        "gateway",
    ];
    debug_assert_eq!(order.len(), SERVICES.len());
    for s in order {
        step(&format!("deploying {s} ({env})"));
        let config = build::config_arg(&root, s);
        let mut args = vec!["deploy", "-c", &config];
        args.extend(&env_args);
        util::run(tools.wrangler_cmd(&root, &args).env(SKIP_ENV, "1"))?;
    }
    // The console last, once the API it calls is in place: built with the environment's
    // env file, to that environment's own Pages project (seed 000).
    let (mode, project) = match env {
        nno_core::Environment::Stg => ("stg", "nno-k3m9p2xw7q-console-stg"),
        _ => ("prod", "nno-k3m9p2xw7q-console"),
    };
    step(&format!(
        "building the console (--mode {mode}) and deploying it to Pages project {project}"
    ));
    let out = crate::console::build(&root, mode)?.display().to_string();
    util::run(tools.wrangler_cmd(
        &root,
        &[
            "pages",
            "deploy",
            &out,
            "--project-name",
            project,
            "--branch",
            "main",
            "--commit-dirty=true",
        ],
    ))?;
    Ok(())
}
