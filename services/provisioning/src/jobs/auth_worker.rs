//! The platform's auth Worker: the iam crate's own build, configured for the platform
//! (its id, its D1, its public URLs) through the upload's metadata, as iam's
//! `config.rs` reads it. `BETTER_AUTH_SECRET` is not here: it is set afterwards as a
//! Worker secret (`keep_bindings` keeps it across re-uploads).

use super::names;
use nno_core::Environment;
use serde::Deserialize;
use serde_json::{json, Value};

/// The bundle's manifest (`iam/manifest.json` in the AUTH_BUNDLES bucket), written by
/// `cargo xtask` from wrangler's own build of iam.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleManifest {
    pub main_module: String,
    pub modules: Vec<String>,
    pub compatibility_date: String,
    #[serde(default)]
    pub compatibility_flags: Vec<String>,
}

pub const MANIFEST_KEY: &str = "iam/manifest.json";

pub fn module_key(name: &str) -> String {
    format!("iam/{name}")
}

pub fn metadata(
    platform_id: &str,
    env: Environment,
    db_uuid: &str,
    bundle: &BundleManifest,
) -> Value {
    let auth = names::auth_host(platform_id, env);
    let console = format!("https://{}", names::console_host(platform_id, env));
    let env_name = if env == Environment::Stg {
        "stg"
    } else {
        "prod"
    };
    let text =
        |name: &str, value: &str| json!({ "type": "plain_text", "name": name, "text": value });
    json!({
        "main_module": bundle.main_module,
        "compatibility_date": bundle.compatibility_date,
        "compatibility_flags": bundle.compatibility_flags,
        "bindings": [
            { "type": "d1", "name": "DB", "id": db_uuid },
            text("SERVICE_NAME", "iam"),
            text("ENVIRONMENT", env_name),
            text("PLATFORM_ID", platform_id),
            text("AUTH_URL", &format!("https://{auth}/api/auth")),
            text("TRUSTED_ORIGINS", &console),
            text("APP_URL", &console),
            text("COOKIE_DOMAIN", &names::cookie_domain(platform_id)),
            text("EMAIL_FROM", &format!("{platform_id} <no-reply@{platform_id}.nno.app>")),
        ],
        "keep_bindings": ["secret_text", "secret_key"],
        "tags": [format!("nno-platform:{platform_id}")],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_configures_iam_for_the_platform() {
        let bundle = BundleManifest {
            main_module: "shim.js".into(),
            modules: vec!["shim.js".into(), "x-index_bg.wasm".into()],
            compatibility_date: "2026-04-20".into(),
            compatibility_flags: vec![],
        };
        let m = metadata("k3m9p2xw7q", Environment::Prod, "uuid-1", &bundle);
        assert_eq!(m["main_module"], "shim.js");
        let bindings = m["bindings"].as_array().unwrap();
        let get = |n: &str| bindings.iter().find(|b| b["name"] == n).cloned().unwrap();
        assert_eq!(
            get("DB"),
            json!({"type": "d1", "name": "DB", "id": "uuid-1"})
        );
        assert_eq!(get("PLATFORM_ID")["text"], "k3m9p2xw7q");
        assert_eq!(get("SERVICE_NAME")["text"], "iam");
        assert_eq!(
            get("AUTH_URL")["text"],
            "https://auth.svc.default.k3m9p2xw7q.nno.app/api/auth"
        );
        assert_eq!(get("COOKIE_DOMAIN")["text"], ".k3m9p2xw7q.nno.app");
        // The secret is never part of the metadata.
        assert!(!m.to_string().contains("BETTER_AUTH_SECRET"));
        assert_eq!(module_key("shim.js"), "iam/shim.js");
    }
}
