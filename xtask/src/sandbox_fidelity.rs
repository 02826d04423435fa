//! `cargo xtask sandbox-fidelity`: the sandbox's Cloudflare stand-in against
//! Cloudflare's own npm client and Cloudflare's OpenAPI subset, and its Stripe
//! stand-in against Stripe's own npm client (`crates/sandbox/fidelity`, pinned by its
//! lockfile). Builds the sandbox, `npm ci` (skipped when the tree matches the
//! lockfile), then `node --test`, on ports of 18900-18999 so it never meets a running
//! `cargo xtask dev` (8790).

use crate::toolchain;
use crate::util::{self, step, Cmd};
use std::path::Path;

pub const PORT: u16 = 18931;
/// The Stripe test's own sandbox (the Cloudflare test takes PORT, wrangler's PORT + 1).
pub const STRIPE_PORT: u16 = 18933;

/// `npm ci` of the fidelity packages (the end-to-end suite also uses their `stripe`,
/// to sign a webhook as Stripe's own package does).
pub fn install(root: &Path) -> Result<(), String> {
    let dir = root.join("crates/sandbox/fidelity");
    toolchain::npm_ci(
        &dir,
        &[
            "cloudflare/package.json",
            "ajv/package.json",
            "@apidevtools/swagger-parser/package.json",
            "stripe/package.json",
            "qs/package.json",
        ],
        "installing the fidelity test's npm packages from crates/sandbox/fidelity/package-lock.json",
    )
}

pub fn run(root: &Path) -> Result<(), String> {
    let dir = root.join("crates/sandbox/fidelity");
    install(root)?;
    step("building the sandbox");
    util::run(
        Cmd::new("cargo")
            .args(["build", "--quiet", "-p", "sandbox"])
            .dir(root),
    )?;
    for port in [PORT, PORT + 1, STRIPE_PORT] {
        if !util::port_is_free(port) {
            return Err(format!("port {port} (sandbox fidelity test) is in use"));
        }
    }
    step("sandbox fidelity: npm cloudflare@7.3.0 (and wrangler when installed), npm stripe@23.1.0 against the sandbox");
    let mut cmd = Cmd::new("node")
        .args(["--test", "test/"])
        .env(
            "SANDBOX_BIN",
            root.join("target/debug/sandbox").display().to_string(),
        )
        .env("SANDBOX_FIDELITY_PORT", PORT.to_string())
        .env("SANDBOX_STRIPE_FIDELITY_PORT", STRIPE_PORT.to_string());
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
