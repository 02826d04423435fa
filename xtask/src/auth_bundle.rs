//! The platforms' auth Worker bundle: wrangler's own build of the iam crate (what
//! `wrangler deploy` would upload: its JS module and wasm), put into provisioning's
//! `AUTH_BUNDLES` R2 bucket under `iam/` with a `manifest.json` naming the main module,
//! the modules and iam's compatibility date. Provisioning reads it from there when it
//! uploads a platform's auth Worker. Locally it goes into the local R2 of the
//! platform's persist directory (no account needed); `cargo xtask deploy` puts it into
//! the real bucket.

use crate::build::{self, SKIP_ENV};
use crate::toolchain::Toolchain;
use crate::util::{self, step};
use std::path::Path;

pub const BUCKET: &str = "nno-k3m9p2xw7q-auth-bundles";

/// Where R2 objects go.
pub enum Target<'a> {
    Local {
        persist_dir: &'a Path,
    },
    /// The deployed bucket; `Some("stg")` for staging.
    Remote {
        env: Option<&'a str>,
    },
}

fn compatibility(root: &Path) -> Result<(String, Vec<String>), String> {
    let text =
        std::fs::read_to_string(build::config_arg(root, "iam")).map_err(|e| e.to_string())?;
    let v: toml::Table =
        toml::from_str(&text).map_err(|e| format!("services/iam/wrangler.toml: {e}"))?;
    let date = v
        .get("compatibility_date")
        .and_then(|d| d.as_str())
        .ok_or("services/iam/wrangler.toml has no compatibility_date")?
        .to_string();
    let flags = v
        .get("compatibility_flags")
        .and_then(|f| f.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok((date, flags))
}

/// Bundles the (already built) iam Worker with wrangler and uploads it to `target`.
pub fn publish(root: &Path, tools: &Toolchain, target: Target<'_>) -> Result<(), String> {
    step("bundling the platforms' auth Worker (iam) into provisioning's AUTH_BUNDLES bucket");
    let out = root.join("target/auth-bundle");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| e.to_string())?;
    }
    let outdir = out.display().to_string();
    let config = build::config_arg(root, "iam");
    util::output(
        tools
            .wrangler_cmd(
                root,
                &["deploy", "--dry-run", "--outdir", &outdir, "-c", &config],
            )
            .env(SKIP_ENV, "1"),
    )
    .map_err(|e| format!("bundling iam failed: {e}"))?;
    let mut modules: Vec<String> = std::fs::read_dir(&out)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| !n.ends_with(".map") && n != "README.md")
        .collect();
    modules.sort();
    let main = modules
        .iter()
        .find(|n| n.ends_with(".js") || n.ends_with(".mjs"))
        .cloned()
        .ok_or("wrangler's iam bundle has no JavaScript module")?;
    let (date, flags) = compatibility(root)?;
    let manifest = serde_json::json!({
        "mainModule": main,
        "modules": modules,
        "compatibilityDate": date,
        "compatibilityFlags": flags,
    });
    std::fs::write(out.join("manifest.json"), manifest.to_string()).map_err(|e| e.to_string())?;
    let provisioning = build::config_arg(root, "provisioning");
    let persist = match &target {
        Target::Local { persist_dir } => Some(persist_dir.display().to_string()),
        Target::Remote { .. } => None,
    };
    let bucket = match &target {
        Target::Remote { env: Some(e) } => format!("{BUCKET}-{e}"),
        _ => BUCKET.to_string(),
    };
    let mut files = modules.clone();
    files.push("manifest.json".into());
    for f in &files {
        let key = format!("{bucket}/iam/{f}");
        let file = out.join(f).display().to_string();
        let mut args = vec![
            "r2",
            "object",
            "put",
            key.as_str(),
            "--file",
            file.as_str(),
            "-c",
            provisioning.as_str(),
        ];
        match (&target, &persist) {
            (Target::Local { .. }, Some(p)) => args.extend(["--local", "--persist-to", p.as_str()]),
            (Target::Remote { env }, _) => {
                args.push("--remote");
                if let Some(e) = env {
                    args.extend(["--env", e]);
                }
            }
            _ => {}
        }
        util::output(
            tools
                .wrangler_cmd(root, &args)
                .env(SKIP_ENV, "1")
                .env("CI", "true"),
        )
        .map_err(|e| format!("uploading {f} to {bucket}: {e}"))?;
    }
    eprintln!(
        "    {} objects in {bucket}/iam/ (main module {main})",
        files.len()
    );
    Ok(())
}
