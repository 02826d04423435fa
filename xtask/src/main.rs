//! `cargo xtask <command>`: NNO's task runner. Every command installs what it needs
//! (pinned versions, see toolchain.rs) before it runs.

mod auth_bundle;
mod bench;
mod bench_auth;
mod bench_billing;
mod bench_platforms;
mod build;
mod config_check;
mod console;
mod cpu;
mod dev;
mod load;
mod openapi;
mod platform;
mod sandbox;
mod sandbox_fidelity;
mod schemathesis;
mod test;
mod toolchain;
mod util;

const USAGE: &str = "usage: cargo xtask <command>

  dev [--port N]        build everything and run the whole platform locally
                        (gateway on http://127.0.0.1:8787 unless --port)
  test [--only NAME]    lint, unit tests, config checks, deploy dry-runs, end-to-end
                        suite, browser journey, schemathesis; with --only NAME, just
                        crates/e2e/tests/NAME.rs (or `console`: the browser journey)
                        against the full platform
  bench [--quiet-logs] [--gateway-only | --auth-only | --platforms-only]
        [--latency-requests N] [--requests N] [--concurrency N] [--rounds N]
        [--latency-rounds N] [--sign-ins N] [--auth-requests N] [--auth-rounds N]
        [--against MODULE]
                        CPU per request of the gateway against the floor and a Hono
                        gateway (the headline), latency, throughput, sign-in and
                        credential-check costs, Worker sizes
  sandbox-fidelity      the sandbox's Cloudflare stand-in against Cloudflare's npm
                        client and OpenAPI subset (crates/sandbox/fidelity)
  setup                 install the pinned toolchain only
  schemathesis [--port N]
                        the API fuzzer's four runs against a running `cargo xtask dev`
  openapi               regenerate crates/nno-openapi/openapi.json from the route tables
  api-docs [--port N]   serve a browsable API reference of that document on localhost
  build [NAME...]       build Workers (all by default)
  build-worker NAME     build one Worker (wrangler's [build] command)
  deploy --env stg|prod apply D1 migrations, then deploy upstreams, then the gateway
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("schemathesis") => schemathesis::command(&args[1..]),
        Some("openapi") => openapi::regenerate(&args[1..]),
        Some("api-docs") => openapi::serve_docs(&args[1..]),
        Some("sandbox-fidelity") => sandbox_fidelity::command(&args[1..]),
        Some("setup") => toolchain::ensure(&util::repo_root()).map(|_| ()),
        Some("build") => build_cmd(&args[1..]),
        Some("build-worker") => build_worker_cmd(&args[1..]),
        Some("deploy") => dev::deploy(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    };
    if let Err(e) = result {
        eprintln!("\x1b[1;31merror:\x1b[0m {e}");
        std::process::exit(1);
    }
}

fn build_cmd(names: &[String]) -> Result<(), String> {
    let root = util::repo_root();
    let tools = toolchain::ensure(&root)?;
    if names.is_empty() {
        return build::build_all(&root, &tools, false);
    }
    names
        .iter()
        .try_for_each(|n| build::build_one(&root, &tools, n))
}

/// Run by wrangler before `dev` and `deploy`; a no-op when the caller already built.
fn build_worker_cmd(args: &[String]) -> Result<(), String> {
    let [name] = args else {
        return Err("usage: cargo xtask build-worker NAME".into());
    };
    if std::env::var_os(build::SKIP_ENV).is_some() {
        return Ok(());
    }
    let root = util::repo_root();
    let tools = toolchain::ensure(&root)?;
    build::build_one(&root, &tools, name)
}
