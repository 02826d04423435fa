//! The sandbox (crates/sandbox): the stand-in for Resend, GitHub, Google, the Cloudflare
//! API and the Stripe API that local runs and tests talk to. Its port is fixed because
//! the services' `.dev.vars` name it.

use crate::util::{self, step, Cmd};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

pub const PORT: u16 = 8790;

/// The sandbox's Cloudflare API limit locally: a short window of the same shape as
/// Cloudflare's (1,200 per 5 minutes), sized so provisioning's local budget
/// (`CF_BUDGET_LIMIT`/`CF_BUDGET_WINDOW_MS` in its `.dev.vars`) stays under it, as the
/// deployed budget stays under Cloudflare's. A config test holds the two together.
pub const CF_RATE_LIMIT: u64 = 150;
pub const CF_RATE_WINDOW_MS: u64 = 10_000;

/// Where the Stripe stand-in delivers its webhooks: billing's endpoint behind the
/// gateway (whose port is known once the platform runs: `point_stripe_webhooks`).
pub const STRIPE_WEBHOOK_PATH: &str = "/api/v1/billing/webhooks/stripe";
/// Billing's local Stripe secrets (`services/billing/.dev.vars.example`: the sandbox
/// signs with STRIPE_WEBHOOK_SECRET and accepts STRIPE_SECRET_KEY).
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_local_sandbox";
pub const STRIPE_SECRET_KEY: &str = "sk_test_local_sandbox";

pub fn stripe_webhook_url(gateway_port: u16) -> String {
    format!("http://127.0.0.1:{gateway_port}{STRIPE_WEBHOOK_PATH}")
}

/// Tells the sandbox's Stripe to deliver its events to the gateway on `gateway_port`,
/// signed with billing's local webhook secret.
pub fn point_stripe_webhooks(gateway_port: u16) -> Result<(), String> {
    let body = serde_json::json!({
        "url": stripe_webhook_url(gateway_port),
        "secret": STRIPE_WEBHOOK_SECRET,
    })
    .to_string();
    let (status, answer) = util::http_request(
        PORT,
        "POST",
        "/_sandbox/stripe/webhooks",
        Some(&body),
        Duration::from_secs(5),
    )?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!(
            "the sandbox refused the Stripe webhook endpoint ({status}): {answer}"
        ))
    }
}

pub struct Sandbox {
    child: Child,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn url() -> String {
    format!("http://127.0.0.1:{PORT}")
}

/// Builds and starts the sandbox; `log` receives its output when given.
pub fn start(root: &Path, log: Option<&Path>) -> Result<Sandbox, String> {
    step(
        "building and starting the sandbox (Resend, GitHub, Google, Cloudflare, Stripe stand-ins)",
    );
    if !util::port_is_free(PORT) {
        return Err(format!(
            "port {PORT} (the sandbox) is in use: is another `cargo xtask dev` or test run going?"
        ));
    }
    util::run(
        Cmd::new("cargo")
            .args(["build", "--quiet", "-p", "sandbox"])
            .dir(root),
    )?;
    let bin = root.join("target/debug/sandbox");
    let mut command = std::process::Command::new(bin);
    command
        .args(["--port", &PORT.to_string()])
        // Provisioning routes platform hostnames (`*.nno.app`) on the zone.
        .env(
            "SANDBOX_CLOUDFLARE_ZONE_NAME",
            nno_core::naming::ROOT_DOMAIN,
        )
        .env("SANDBOX_CLOUDFLARE_RATE_LIMIT", CF_RATE_LIMIT.to_string())
        .env(
            "SANDBOX_CLOUDFLARE_RATE_WINDOW_MS",
            CF_RATE_WINDOW_MS.to_string(),
        )
        .env(
            "SANDBOX_CLOUDFLARE_RATE_BLOCK_MS",
            CF_RATE_WINDOW_MS.to_string(),
        )
        .env("SANDBOX_STRIPE_SECRET_KEY", STRIPE_SECRET_KEY)
        .env("SANDBOX_STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET)
        .stdin(Stdio::null());
    if let Some(log) = log {
        let f = std::fs::File::create(log).map_err(|e| e.to_string())?;
        command
            .stdout(f.try_clone().map_err(|e| e.to_string())?)
            .stderr(f);
    }
    let child = command
        .spawn()
        .map_err(|e| format!("could not start the sandbox: {e}"))?;
    let sandbox = Sandbox { child };
    util::wait_for_ok(PORT, "/health", Duration::from_secs(20))?;
    Ok(sandbox)
}
