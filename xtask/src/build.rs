//! Building the Workers with worker-build, using the pinned toolchain.

use crate::toolchain::Toolchain;
use crate::util::{run, step, Cmd};
use std::path::{Path, PathBuf};

/// Every Worker crate: the seven services, plus the benchmark's pass-through.
pub const SERVICES: [&str; 7] = [
    "gateway",
    "iam",
    "registry",
    "billing",
    "provisioning",
    "stack-registry",
    "cli",
];
pub const PASSTHROUGH: &str = "bench-passthrough";

/// Set by `dev`, `test` and `bench` after they have built everything, so that the
/// `[build] command` wrangler runs on start is a no-op instead of a second build.
pub const SKIP_ENV: &str = "NNO_SKIP_WORKER_BUILD";

pub fn crate_dir(root: &Path, name: &str) -> PathBuf {
    if name == PASSTHROUGH {
        root.join("crates").join(name)
    } else {
        root.join("services").join(name)
    }
}

pub fn build_one(root: &Path, tools: &Toolchain, name: &str) -> Result<(), String> {
    let dir = crate_dir(root, name);
    if !dir.join("wrangler.toml").exists() {
        return Err(format!("unknown Worker {name:?}"));
    }
    step(&format!("building {name} (wasm32, release)"));
    run(Cmd::new(&tools.worker_build)
        .arg("--release")
        .arg(dir.display().to_string())
        .envs(&tools.build_env())
        .dir(root))
}

pub fn build_all(root: &Path, tools: &Toolchain, with_passthrough: bool) -> Result<(), String> {
    for name in SERVICES {
        build_one(root, tools, name)?;
    }
    if with_passthrough {
        build_one(root, tools, PASSTHROUGH)?;
    }
    Ok(())
}

/// The built module of a Worker, for size reports.
pub fn wasm_path(root: &Path, name: &str) -> PathBuf {
    crate_dir(root, name).join("build/index_bg.wasm")
}
