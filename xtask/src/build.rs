//! Building the Workers with worker-build, using the pinned toolchain.

use crate::toolchain::{Toolchain, WASM_TARGET, WORKER_BUILD_VERSION};
use crate::util::{fnv1a, run, step, Cmd};
use std::path::{Path, PathBuf};

/// The seven service crates, named as `nno_core::Service` names them.
pub const SERVICES: [&str; 7] = {
    let mut names = [""; 7];
    let mut i = 0;
    while i < names.len() {
        names[i] = nno_core::Service::ALL[i].name();
        i += 1;
    }
    names
};
/// The benchmark's floor Worker, built only by `bench`.
pub const PASSTHROUGH: &str = "bench-passthrough";
/// The benchmark's Hono gateway: a JavaScript Worker (no crate, nothing for cargo to
/// build) that wrangler bundles itself; `bench` installs its npm dependencies.
pub const HONO: &str = "bench-hono";

/// Set by `dev`, `test` and `bench` after they have built everything, so that the
/// `[build] command` wrangler runs on start is a no-op instead of a second build.
pub const SKIP_ENV: &str = "NNO_SKIP_WORKER_BUILD";

pub fn crate_dir(root: &Path, name: &str) -> PathBuf {
    if name == PASSTHROUGH || name == HONO {
        root.join("crates").join(name)
    } else {
        root.join("services").join(name)
    }
}

/// Compiles every named crate to wasm32 in one cargo run (shared dependencies build
/// once, in parallel), then runs worker-build only for crates whose compiled module
/// changed since their last bundle: an unchanged platform restarts in seconds.
pub fn build(root: &Path, tools: &Toolchain, names: &[&str]) -> Result<(), String> {
    for name in names {
        if *name == HONO {
            return Err(format!(
                "{HONO} is a JavaScript Worker: wrangler bundles it, there is nothing to build"
            ));
        }
        if !crate_dir(root, name).join("wrangler.toml").exists() {
            return Err(format!("unknown Worker {name:?}"));
        }
    }
    step(&format!("compiling {} Worker(s) to wasm32", names.len()));
    let mut cargo =
        Cmd::new("cargo").args(["build", "--lib", "--release", "--target", WASM_TARGET]);
    for name in names {
        cargo = cargo.args(["-p", name]);
    }
    run(cargo.dir(root))?;
    for name in names {
        let fingerprint = fingerprint(root, name)?;
        let stamp = crate_dir(root, name).join("build/.nno-fingerprint");
        let bundled = crate_dir(root, name).join("build/worker/shim.mjs").exists();
        if bundled && std::fs::read_to_string(&stamp).ok().as_deref() == Some(fingerprint.as_str())
        {
            continue;
        }
        step(&format!("bundling {name} with worker-build"));
        run(Cmd::new(&tools.worker_build)
            .arg("--release")
            .arg(crate_dir(root, name).display().to_string())
            .envs(&tools.build_env())
            .dir(root))?;
        std::fs::write(&stamp, fingerprint).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The compiled module's hash, the crate manifest's (its wasm-opt settings) and the
/// bundler's version: what the bundle depends on.
fn fingerprint(root: &Path, name: &str) -> Result<String, String> {
    let manifest = std::fs::read(crate_dir(root, name).join("Cargo.toml")).unwrap_or_default();
    let module = root
        .join("target")
        .join(WASM_TARGET)
        .join("release")
        .join(format!("{}.wasm", name.replace('-', "_")));
    let bytes = std::fs::read(&module).map_err(|e| format!("{}: {e}", module.display()))?;
    Ok(format!(
        "{:016x}-{:016x}-worker-build-{WORKER_BUILD_VERSION}",
        fnv1a(&bytes),
        fnv1a(&manifest)
    ))
}

pub fn build_one(root: &Path, tools: &Toolchain, name: &str) -> Result<(), String> {
    build(root, tools, &[name])
}

pub fn build_all(root: &Path, tools: &Toolchain, with_passthrough: bool) -> Result<(), String> {
    let mut names: Vec<&str> = SERVICES.to_vec();
    if with_passthrough {
        names.push(PASSTHROUGH);
    }
    build(root, tools, &names)
}

/// A Worker's wrangler config, as a command-line argument.
pub fn config_arg(root: &Path, name: &str) -> String {
    crate_dir(root, name)
        .join("wrangler.toml")
        .display()
        .to_string()
}

/// The built module of a Worker, for size reports.
pub fn wasm_path(root: &Path, name: &str) -> PathBuf {
    crate_dir(root, name).join("build/index_bg.wasm")
}
