//! Compatibility with the OFFICIAL Better Auth client: `client/flow.mjs` drives IAM
//! through the gateway with `better-auth` (the npm package, pinned in
//! `client/package-lock.json`) — sign-up, sessions, organizations, invitations by
//! e-mail, roles, error display, TOTP two-factor with the sign-in challenge, sign-out.
//! The script prints one JSON line: `{"ok":true,"steps":n}`, or the failed step.

use std::path::PathBuf;
use std::process::Command;

fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("client")
}

#[test]
fn the_official_better_auth_client_runs_the_whole_flow() {
    let dir = client_dir();
    assert!(
        dir.join("node_modules/better-auth/package.json").exists(),
        "{} has no node_modules/better-auth: run npm ci in crates/e2e/client \
         (`cargo xtask test` does it)",
        dir.display()
    );
    let sandbox = std::env::var("NNO_E2E_SANDBOX").unwrap_or_else(|_| {
        panic!("NNO_E2E_SANDBOX is not set: the end-to-end suite runs through `cargo xtask test`, which starts the platform")
    });
    let out = Command::new("node")
        .arg("flow.mjs")
        .current_dir(&dir)
        .env("NNO_E2E_GATEWAY", e2e::gateway())
        .env("NNO_E2E_SANDBOX", sandbox)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node (Node.js 20 or newer is required): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = || format!("\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(
        out.status.success(),
        "node flow.mjs failed ({}){}",
        out.status,
        report()
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_else(|| panic!("node flow.mjs printed nothing{}", report()));
    let v: serde_json::Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("the last line is not JSON ({e}): {last}{}", report()));
    assert_eq!(v["ok"], true, "{}", report());
    assert!(
        v["steps"].as_u64().is_some_and(|n| n > 0),
        "no steps ran{}",
        report()
    );
}
