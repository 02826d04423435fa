//! The auth Worker's bundle: wrangler's own build of the iam crate (its JS module and
//! wasm), kept in the `AUTH_BUNDLES` R2 bucket under `iam/`. `cargo xtask` puts it
//! there: into local R2 before the local platform starts, into the real bucket on
//! deploy.

use crate::cloudflare::{workers::Module, CfError, CfResult};
use crate::jobs::auth_worker::{module_key, BundleManifest, MANIFEST_KEY};
use worker::Env;

pub const BINDING: &str = "AUTH_BUNDLES";

async fn object(bucket: &worker::Bucket, key: &str) -> CfResult<Vec<u8>> {
    let missing = || CfError::Bundle(format!("{key} is not in {BINDING}"));
    let obj = bucket
        .get(key)
        .execute()
        .await
        .map_err(|e| CfError::Bundle(format!("{key}: {e}")))?
        .ok_or_else(missing)?;
    obj.body()
        .ok_or_else(missing)?
        .bytes()
        .await
        .map_err(|e| CfError::Bundle(format!("{key}: {e}")))
}

pub async fn load(env: &Env) -> CfResult<(BundleManifest, Vec<Module>)> {
    let bucket = env
        .bucket(BINDING)
        .map_err(|_| CfError::Bundle(format!("no {BINDING} binding")))?;
    let manifest: BundleManifest = serde_json::from_slice(&object(&bucket, MANIFEST_KEY).await?)
        .map_err(|e| CfError::Bundle(format!("{MANIFEST_KEY}: {e}")))?;
    let mut modules = Vec::with_capacity(manifest.modules.len());
    for name in &manifest.modules {
        modules.push(Module {
            name: name.clone(),
            bytes: object(&bucket, &module_key(name)).await?,
        });
    }
    if !manifest.modules.contains(&manifest.main_module) {
        return Err(CfError::Bundle(
            "the main module is not in the bundle".into(),
        ));
    }
    Ok((manifest, modules))
}
