//! The console (`apps/console`): its npm tree, type check and unit tests, the
//! per-environment builds, the Vite dev server `cargo xtask dev` starts, the browser
//! journey `cargo xtask test` runs in headless Chromium, and the bundle figures of
//! `cargo xtask bench`.

use crate::bench::gzip_len;
use crate::platform::Platform;
use crate::toolchain;
use crate::util::{self, step, Cmd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

pub const DIR: &str = "apps/console";
/// Seed 000's console port; the gateway's and iam's local allowlists name it.
pub const PORT: u16 = 5174;

fn dir(root: &Path) -> PathBuf {
    root.join(DIR)
}

fn bin(root: &Path, name: &str) -> PathBuf {
    dir(root).join("node_modules/.bin").join(name)
}

/// The console's packages, from its lockfile (skipped while they match it).
pub fn ensure(root: &Path) -> Result<(), String> {
    // The local `.env` (gitignored) starts as the committed template, as seed 000's
    // one-time `cp .env.example .env`; an existing one is the developer's and is kept.
    let env = dir(root).join(".env");
    if !env.exists() {
        std::fs::copy(dir(root).join(".env.example"), &env)
            .map_err(|e| format!("apps/console/.env from .env.example: {e}"))?;
    }
    toolchain::npm_ci(
        &dir(root),
        &[
            ".bin/vite",
            ".bin/vitest",
            ".bin/tsc",
            "playwright-core/package.json",
        ],
        "installing the console's packages from apps/console/package-lock.json",
    )
}

/// `tsc --noEmit`, then Vitest once.
pub fn unit_tests(root: &Path) -> Result<(), String> {
    step("console: type check and unit tests (tsc, vitest)");
    util::run(
        Cmd::new(bin(root, "tsc"))
            .args(["--noEmit", "-p", "."])
            .dir(dir(root)),
    )?;
    util::run(Cmd::new(bin(root, "vitest")).args(["run"]).dir(dir(root)))
}

/// `vite build --mode <mode>` into `apps/console/dist/<mode>`.
pub fn build(root: &Path, mode: &str) -> Result<PathBuf, String> {
    let out = dir(root).join("dist").join(mode);
    util::run(
        Cmd::new(bin(root, "vite"))
            .args([
                "build",
                "--mode",
                mode,
                "--outDir",
                &out.display().to_string(),
                "--emptyOutDir",
            ])
            .dir(dir(root)),
    )?;
    Ok(out)
}

/// Both deployable bundles build, and neither holds a value of any service's local
/// secrets (`.dev.vars`): what reaches the bundle is public.
pub fn check_builds(root: &Path) -> Result<(), String> {
    step("console: staging and production builds, checked for secrets");
    let secrets = local_secrets(root);
    for mode in ["stg", "prod"] {
        let out = build(root, mode)?;
        let mut files = Vec::new();
        collect(&out, &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            if let Some((name, _)) = secrets.iter().find(|(_, v)| text.contains(v.as_str())) {
                return Err(format!(
                    "{} holds the value of {name} from a .dev.vars file",
                    f.display()
                ));
            }
        }
    }
    Ok(())
}

/// Every `.dev.vars` value long enough to be a secret, by name.
fn local_secrets(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in crate::build::SERVICES {
        let path = crate::build::crate_dir(root, s).join(".dev.vars");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            if let Some((k, v)) = line.split_once('=') {
                let v = v.trim().trim_matches('"');
                // Origins and flags are configuration, not secrets.
                if v.len() >= 16 && !v.starts_with("http") {
                    out.push((k.trim().to_string(), v.to_string()));
                }
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The Vite dev server on `PORT`, proxying `/api` to the gateway on `gateway_port`;
/// stopped with everything it spawned when dropped.
pub fn start_dev(root: &Path, gateway_port: u16, log: Option<&Path>) -> Result<Platform, String> {
    serve(root, &[], gateway_port, log, "dev server")
}

/// A local production build (`vite build`, mode `production`: the `.env` values,
/// minified; Vite refuses a mode named `local`) served by `vite preview` on `PORT`,
/// whose `/api` proxy is the dev server's.
pub fn start_preview(
    root: &Path,
    gateway_port: u16,
    log: Option<&Path>,
) -> Result<Platform, String> {
    let out = build(root, "production")?;
    let out = out.display().to_string();
    serve(
        root,
        &["preview", "--outDir", &out],
        gateway_port,
        log,
        "production preview",
    )
}

fn serve(
    root: &Path,
    command_args: &[&str],
    gateway_port: u16,
    log: Option<&Path>,
    what: &str,
) -> Result<Platform, String> {
    if !util::port_is_free(PORT) {
        return Err(format!("port {PORT} (the console's) is in use"));
    }
    let port = PORT.to_string();
    let mut args: Vec<&str> = command_args.to_vec();
    args.extend(["--host", "127.0.0.1", "--port", &port, "--strictPort"]);
    let mut command = Cmd::new(bin(root, "vite"))
        .args(args)
        .env("NNO_GATEWAY", format!("http://127.0.0.1:{gateway_port}"))
        .dir(dir(root))
        .command();
    command.process_group(0).stdin(Stdio::null());
    if let Some(log) = log {
        let f = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let f2 = f.try_clone().map_err(|e| e.to_string())?;
        command.stdout(f).stderr(f2);
    } else {
        command.stdout(Stdio::null()).stderr(Stdio::null());
    }
    let child = command
        .spawn()
        .map_err(|e| format!("could not start the console's {what}: {e}"))?;
    let server = Platform::adopt(child, PORT);
    util::wait_for_ok(PORT, "/", Duration::from_secs(60))?;
    Ok(server)
}

/// Sign-in click to the platforms list on screen, in Chromium (ms).
pub struct SignInTiming {
    /// The first sign-in: Workers and server not warm yet.
    pub cold_ms: u64,
    pub samples_ms: Vec<u64>,
}

/// Times `samples` sign-ins of the local admin (`e2e/signin-timing.mjs`) against the
/// console on `PORT`.
pub fn time_sign_ins(
    root: &Path,
    service_key: &str,
    samples: usize,
) -> Result<SignInTiming, String> {
    let out = util::output(
        Cmd::new("node")
            .arg("e2e/signin-timing.mjs")
            .env("NNO_CONSOLE_URL", url())
            .env("NNO_SERVICE_KEY", service_key)
            .env("NNO_SAMPLES", samples.to_string())
            .env("CHROMIUM_PATH", toolchain::CHROMIUM)
            .dir(dir(root)),
    )?;
    let line = out.lines().rev().find(|l| l.starts_with('{')).unwrap_or("");
    let v: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| format!("signin-timing.mjs printed no figures ({e}): {out}"))?;
    let samples_ms: Vec<u64> = v["samplesMs"]
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default();
    match v["coldMs"].as_u64() {
        Some(cold_ms) if !samples_ms.is_empty() => Ok(SignInTiming {
            cold_ms,
            samples_ms,
        }),
        _ => Err(format!("signin-timing.mjs: unexpected figures {line}")),
    }
}

pub fn url() -> String {
    format!("http://localhost:{PORT}")
}

/// The browser journey (`apps/console/e2e/journey.mjs`) in headless Chromium against
/// the console on `PORT`, screenshots under `artifacts`.
pub fn browser_tests(root: &Path, service_key: &str, artifacts: &Path) -> Result<(), String> {
    step("console: browser journey in headless Chromium");
    std::fs::create_dir_all(artifacts).map_err(|e| e.to_string())?;
    util::run(
        Cmd::new("node")
            .arg("e2e/journey.mjs")
            .env("NNO_CONSOLE_URL", url())
            .env("NNO_SANDBOX", crate::sandbox::url())
            .env("NNO_SERVICE_KEY", service_key)
            .env("NNO_ARTIFACTS", artifacts.display().to_string())
            .env("CHROMIUM_PATH", toolchain::CHROMIUM)
            .dir(dir(root)),
    )
}

/// Budget for the initial route's JavaScript and CSS, gzipped.
pub const INITIAL_BUDGET: u64 = 250 * 1024;

/// Builds the production bundle and prints its initial route's size against the budget.
pub fn print_bundle(root: &Path) -> Result<(), String> {
    step("console: production build for its size");
    let out = build(root, "prod")?;
    let (js, css) = initial_size(&out)?;
    let mut all = Vec::new();
    collect(&out.join("assets"), &mut all);
    let mut every: u64 = 0;
    for p in all
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "js" || e == "css"))
    {
        let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        every += gzip_len(&bytes)?;
    }
    let lazy = every.saturating_sub(js + css);
    println!("\n  console bundle (production, gzipped)");
    println!(
        "    initial route   {:.1} KiB JS + {:.1} KiB CSS = {:.1} KiB  (budget {} KiB: {})",
        js as f64 / 1024.0,
        css as f64 / 1024.0,
        (js + css) as f64 / 1024.0,
        INITIAL_BUDGET / 1024,
        if js + css <= INITIAL_BUDGET {
            "within"
        } else {
            "OVER"
        }
    );
    println!(
        "    loaded later    {:.1} KiB (lazy routes)",
        lazy as f64 / 1024.0
    );
    Ok(())
}

/// The initial route's JavaScript and CSS of a built bundle, gzipped: the files
/// `index.html` loads (scripts, module preloads and stylesheets), in bytes.
pub fn initial_size(out: &Path) -> Result<(u64, u64), String> {
    let html = std::fs::read_to_string(out.join("index.html")).map_err(|e| e.to_string())?;
    let (mut js, mut css) = (0, 0);
    for reference in referenced(&html) {
        let file = out.join(reference.trim_start_matches('/'));
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let size = gzip_len(&bytes)?;
        if reference.ends_with(".css") {
            css += size;
        } else {
            js += size;
        }
    }
    Ok((js, css))
}

/// `src` and `href` values of `index.html` that name built JS or CSS.
fn referenced(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                let v = &rest[..end];
                if (v.ends_with(".js") || v.ends_with(".css")) && !v.starts_with("http") {
                    out.push(v.to_string());
                }
                rest = &rest[end..];
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::referenced;

    #[test]
    fn finds_the_initial_scripts_and_styles() {
        let html = r#"<script type="module" crossorigin src="/assets/index-a1.js"></script>
<link rel="modulepreload" crossorigin href="/assets/vendor-b2.js">
<link rel="stylesheet" crossorigin href="/assets/index-c3.css">
<link rel="icon" href="/favicon.svg"><script src="https://x.example/a.js"></script>"#;
        assert_eq!(
            referenced(html),
            vec![
                "/assets/index-a1.js",
                "/assets/index-c3.css",
                "/assets/vendor-b2.js"
            ]
        );
    }
}
