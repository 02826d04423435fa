//! Installing the pinned build toolchain, idempotently and without GitHub downloads:
//! the wasm32 target, `worker-build` and the `wasm-bindgen` CLI from crates.io, and the
//! Node-side tools (wrangler + workerd, esbuild, binaryen's wasm-opt) from the npm
//! registry through `wrangler/package-lock.json`.
//!
//! schemathesis (the API fuzzer `cargo xtask test` runs) comes from PyPI into a
//! virtualenv, with every dependency pinned in `xtask/schemathesis/requirements.txt`.
//!
//! Cargo tools and the virtualenv go to `~/.cache/nno/tools/<name>-<version>` (override:
//! NNO_TOOLS_DIR), shared by every clone on the machine, so a second run finds them and
//! skips.

use crate::util::{self, run, Cmd};
use std::path::{Path, PathBuf};

pub const WORKER_BUILD_VERSION: &str = "0.8.7";
/// Must equal the `wasm-bindgen` version in Cargo.lock (pinned with `=` in Cargo.toml).
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Must equal the `schemathesis==` pin in `xtask/schemathesis/requirements.txt`.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
const MIN_NODE_MAJOR: u32 = 20;
/// Debian's Chromium for the console's browser tests (Playwright's own download does not
/// work on these machines). Debian replaces security builds in place, so when this exact
/// build is gone from the archive the newest one is installed, and said.
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMIUM_VERSION: &str = "156.0.8078.114-1~deb12u1";

/// Paths to the installed tools, and the environment worker-build needs to use them
/// instead of downloading its own.
pub struct Toolchain {
    pub worker_build: PathBuf,
    pub wasm_bindgen: PathBuf,
    pub node_bin: PathBuf,
    /// The `schemathesis` command of its virtualenv.
    pub schemathesis: PathBuf,
}

impl Toolchain {
    pub fn wrangler(&self) -> PathBuf {
        self.node_bin.join("wrangler")
    }

    /// Environment for worker-build: every helper it would otherwise download.
    pub fn build_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "WASM_BINDGEN_BIN".into(),
                self.wasm_bindgen.display().to_string(),
            ),
            (
                "WASM_OPT_BIN".into(),
                self.node_bin.join("wasm-opt").display().to_string(),
            ),
            (
                "ESBUILD_BIN".into(),
                self.node_bin.join("esbuild").display().to_string(),
            ),
        ]
    }

    /// `wrangler <args>` from the repository root (where `[build] command` runs), with
    /// `wrangler_env`.
    pub fn wrangler_cmd(&self, root: &Path, args: &[&str]) -> Cmd {
        Cmd::new(self.wrangler())
            .args(args)
            .envs(&self.wrangler_env())
            .dir(root)
    }

    /// Environment for wrangler: no telemetry, no update checks, no prompts.
    pub fn wrangler_env(&self) -> Vec<(String, String)> {
        vec![
            ("WRANGLER_SEND_METRICS".into(), "false".into()),
            ("WRANGLER_HIDE_BANNER".into(), "true".into()),
            ("NO_UPDATE_NOTIFIER".into(), "1".into()),
        ]
    }
}

fn tools_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("NNO_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
    PathBuf::from(home).join(".cache/nno/tools")
}

/// Makes sure everything is installed; returns where it is. Fast when nothing is missing.
pub fn ensure(root: &Path) -> Result<Toolchain, String> {
    check_lockfile_pin(root)?;
    ensure_rust_parts()?;
    let worker_build =
        ensure_cargo_tool("worker-build", WORKER_BUILD_VERSION, "worker-build", true)?;
    let wasm_bindgen = ensure_cargo_tool(
        "wasm-bindgen-cli",
        WASM_BINDGEN_VERSION,
        "wasm-bindgen",
        false,
    )?;
    let node_bin = ensure_node_tools(root)?;
    crate::console::ensure(root)?;
    ensure_chromium()?;
    let schemathesis = ensure_schemathesis(root)?;
    Ok(Toolchain {
        worker_build,
        wasm_bindgen,
        node_bin,
        schemathesis,
    })
}

/// worker-build refuses a wasm-bindgen CLI whose version differs from the library's.
fn check_lockfile_pin(root: &Path) -> Result<(), String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock unreadable: {e}"))?;
    let locked = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"wasm-bindgen\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string());
    match locked {
        Some(v) if v == WASM_BINDGEN_VERSION => Ok(()),
        Some(v) => Err(format!(
            "Cargo.lock has wasm-bindgen {v} but the toolchain pins {WASM_BINDGEN_VERSION}; \
             keep `wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"` in Cargo.toml"
        )),
        None => Err("Cargo.lock has no wasm-bindgen entry".into()),
    }
}

/// The wasm32 target, and rustfmt and clippy for the lint step of `cargo xtask test`.
fn ensure_rust_parts() -> Result<(), String> {
    let installed = util::output(Cmd::new("rustup").args(["target", "list", "--installed"]))?;
    if !installed.lines().any(|l| l.trim() == WASM_TARGET) {
        util::step(&format!("installing the {WASM_TARGET} target"));
        run(Cmd::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }
    let components = util::output(Cmd::new("rustup").args(["component", "list", "--installed"]))?;
    for c in ["rustfmt", "clippy"] {
        if !components.lines().any(|l| l.starts_with(c)) {
            util::step(&format!("installing the {c} component"));
            run(Cmd::new("rustup").args(["component", "add", c]))?;
        }
    }
    Ok(())
}

fn ensure_cargo_tool(
    krate: &str,
    version: &str,
    bin: &str,
    locked: bool,
) -> Result<PathBuf, String> {
    let root = tools_dir().join(format!("{krate}-{version}"));
    let path = root.join("bin").join(bin);
    if path.exists() {
        return Ok(path);
    }
    util::step(&format!(
        "installing {krate} {version} from crates.io (several minutes, once per machine)"
    ));
    let mut cmd = Cmd::new("cargo").args(["install", krate, "--version", version, "--root"]);
    cmd = cmd.arg(root.display().to_string());
    // wasm-bindgen-cli's own lockfile names a crate version crates.io no longer has.
    if locked {
        cmd = cmd.arg("--locked");
    }
    run(cmd)?;
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{krate} installed but {} is missing",
            path.display()
        ))
    }
}

/// schemathesis in its own virtualenv (`python3 -m venv`, then pip from PyPI), from
/// the pinned requirements; skipped while the virtualenv was made from the same file.
fn ensure_schemathesis(root: &Path) -> Result<PathBuf, String> {
    let requirements = root.join("xtask/schemathesis/requirements.txt");
    let pins = std::fs::read(&requirements)
        .map_err(|e| format!("{} unreadable: {e}", requirements.display()))?;
    let pin = format!("schemathesis=={SCHEMATHESIS_VERSION}");
    if !String::from_utf8_lossy(&pins)
        .lines()
        .any(|l| l.trim() == pin)
    {
        return Err(format!(
            "{} does not pin {pin} (toolchain.rs SCHEMATHESIS_VERSION)",
            requirements.display()
        ));
    }
    let venv = tools_dir().join(format!("schemathesis-{SCHEMATHESIS_VERSION}"));
    let bin = venv.join("bin/schemathesis");
    let stamp = venv.join(".nno-requirements-hash");
    let want = format!("{:016x}", util::fnv1a(&pins));
    if bin.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(bin);
    }
    util::step(&format!(
        "installing schemathesis {SCHEMATHESIS_VERSION} from PyPI into {} (once per machine)",
        venv.display()
    ));
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(|e| format!("{}: {e}", venv.display()))?;
    }
    run(Cmd::new("python3")
        .args(["-m", "venv"])
        .arg(venv.display().to_string()))
    .map_err(|e| {
        format!("{e}: schemathesis needs Python 3.10+ with venv (apt-get install python3-venv)")
    })?;
    run(Cmd::new(venv.join("bin/pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "-r",
        ])
        .arg(requirements.display().to_string()))?;
    if !bin.exists() {
        return Err(format!(
            "schemathesis installed but {} is missing",
            bin.display()
        ));
    }
    std::fs::write(&stamp, want).map_err(|e| e.to_string())?;
    Ok(bin)
}

fn ensure_node_tools(root: &Path) -> Result<PathBuf, String> {
    let version = util::output(Cmd::new("node").arg("--version")).map_err(|_| {
        "Node.js is required (version 20 or newer): apt-get install nodejs npm".to_string()
    })?;
    let major: u32 = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < MIN_NODE_MAJOR {
        return Err(format!(
            "Node.js {version} is too old: NNO needs {MIN_NODE_MAJOR} or newer"
        ));
    }
    let dir = root.join("wrangler");
    npm_ci(
        &dir,
        &[".bin/wrangler", ".bin/esbuild", ".bin/wasm-opt"],
        "installing wrangler, esbuild and wasm-opt from wrangler/package-lock.json",
    )?;
    Ok(dir.join("node_modules/.bin"))
}

/// `npm ci` in `dir`, skipped while the installed tree matches the lockfile it came
/// from (a hash stamp in `node_modules`) and every path of `expect` (relative to
/// `node_modules`) exists. `what` is the step message shown when it does run.
pub fn npm_ci(dir: &Path, expect: &[&str], what: &str) -> Result<(), String> {
    let modules = dir.join("node_modules");
    let lock = std::fs::read(dir.join("package-lock.json")).map_err(|e| {
        format!(
            "{} unreadable: {e}",
            dir.join("package-lock.json").display()
        )
    })?;
    let stamp = modules.join(".nno-lock-hash");
    let want = format!("{:016x}", util::fnv1a(&lock));
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str())
        && expect.iter().all(|p| modules.join(p).exists())
    {
        return Ok(());
    }
    util::step(what);
    run(Cmd::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .dir(dir))?;
    std::fs::write(&stamp, want).map_err(|e| e.to_string())?;
    Ok(())
}

/// Chromium from Debian (`apt-get`, as root or through sudo), once per machine.
fn ensure_chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    util::step(&format!(
        "installing Debian's chromium {CHROMIUM_VERSION} for the browser tests"
    ));
    let root = util::output(Cmd::new("id").arg("-u")).is_ok_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let cmd = if root {
            Cmd::new("apt-get").args(args)
        } else {
            Cmd::new("sudo").arg("apt-get").args(args)
        };
        run(cmd.env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update", "-q"])?;
    let pinned = format!("chromium={CHROMIUM_VERSION}");
    if apt(&["install", "-y", "-q", "--no-install-recommends", &pinned]).is_err() {
        eprintln!("chromium {CHROMIUM_VERSION} is no longer offered; installing the archive's current build");
        apt(&["install", "-y", "-q", "--no-install-recommends", "chromium"])?;
    }
    Ok(())
}
