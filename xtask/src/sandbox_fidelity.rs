//! `cargo xtask sandbox-fidelity`: the sandbox's Cloudflare stand-in against
//! Cloudflare's own npm client (`crates/sandbox/fidelity`, pinned by its lockfile) and
//! Cloudflare's OpenAPI subset. Builds the sandbox, `npm ci` (skipped when the tree
//! matches the lockfile), then `node --test`, on a port of 18900-18999 so it never
//! meets a running `cargo xtask dev` (8790).

use crate::toolchain;
use crate::util::{self, step, Cmd};
use std::path::Path;

pub const PORT: u16 = 18931;

pub fn run(root: &Path) -> Result<(), String> {
    let dir = root.join("crates/sandbox/fidelity");
    toolchain::npm_ci(
        &dir,
        &["cloudflare/package.json", "ajv/package.json", "@apidevtools/swagger-parser/package.json"],
        "installing the fidelity test's npm packages from crates/sandbox/fidelity/package-lock.json",
    )?;
    step("building the sandbox");
    util::run(
        Cmd::new("cargo")
            .args(["build", "--quiet", "-p", "sandbox"])
            .dir(root),
    )?;
    for port in [PORT, PORT + 1] {
        if !util::port_is_free(port) {
            return Err(format!("port {port} (sandbox fidelity test) is in use"));
        }
    }
    step("Cloudflare fidelity: npm cloudflare@7.3.0 (and wrangler when installed) against the sandbox");
    let mut cmd = Cmd::new("node")
        .args(["--test", "test/"])
        .env(
            "SANDBOX_BIN",
            root.join("target/debug/sandbox").display().to_string(),
        )
        .env("SANDBOX_FIDELITY_PORT", PORT.to_string());
    // wrangler's test runs when the pinned toolchain is installed (`cargo xtask setup`)
    // and is skipped otherwise; its sandbox takes PORT + 1.
    let wrangler = root.join("wrangler/node_modules/.bin/wrangler");
    if wrangler.exists() {
        cmd = cmd.env("WRANGLER_BIN", wrangler.display().to_string());
    }
    util::run(cmd.dir(&dir))
}

pub fn command(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err("usage: cargo xtask sandbox-fidelity".into());
    }
    run(&util::repo_root())
}
