//! What a platform is made of (stacks, resources, DNS records), its history (audit,
//! lifecycle) and its build config.

use crate::access::{actor, is_operator, Need};
use crate::http::{ok, page, page_request};
use crate::platforms::{db, load};
use crate::store::{self, platforms::ConfigPut};
use nno_core::page::{After, Page};
use nno_core::ApiError;
use nno_worker::body::read_json;
use nno_worker::runtime::now_ms;
use nno_worker::{ApiResult, RequestContext};
use serde::Deserialize;
use serde_json::{Map, Value};
use worker::{Env, Request};

macro_rules! key {
    () => {
        |r| After {
            created_at: r.created_at,
            id: r.id.clone(),
        }
    };
}

pub async fn stacks(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let req = page_request(ctx)?;
    let db = db(env, ctx)?;
    load(&db, ctx, id, Need::Read).await?;
    let (rows, total) = store::platforms::stacks(&db, id, &req).await?;
    page(ctx, Page::new(rows, &req, total, key!()))
}

pub async fn resources(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let req = page_request(ctx)?;
    let db = db(env, ctx)?;
    load(&db, ctx, id, Need::Read).await?;
    let (rows, total) = store::records::resources(&db, id, &req).await?;
    page(ctx, Page::new(rows, &req, total, key!()))
}

pub async fn dns(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let req = page_request(ctx)?;
    let db = db(env, ctx)?;
    load(&db, ctx, id, Need::Read).await?;
    let (rows, total) = store::records::dns(&db, id, &req).await?;
    page(ctx, Page::new(rows, &req, total, key!()))
}

/// The audit trail is for those who manage the platform.
pub async fn audit(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let req = page_request(ctx)?;
    let db = db(env, ctx)?;
    load(&db, ctx, id, Need::Manage).await?;
    let (rows, total) = store::records::audit(&db, id, &req).await?;
    page(ctx, Page::new(rows, &req, total, key!()))
}

pub async fn lifecycle(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let req = page_request(ctx)?;
    let db = db(env, ctx)?;
    load(&db, ctx, id, Need::Read).await?;
    let (rows, total) = store::platforms::lifecycle(&db, id, &req).await?;
    page(ctx, Page::new(rows, &req, total, key!()))
}

/// Each part of the config, serialised, at most this long.
const MAX_CONFIG_PART: usize = 16 * 1024;

fn view(platform_id: &str, row: Option<store::platforms::ConfigRow>) -> Value {
    let parse =
        |s: &str| serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::Object(Map::new()));
    match row {
        Some(r) => serde_json::json!({
            "platformId": platform_id,
            "featuresConfig": parse(&r.features_config),
            "envConfig": parse(&r.env_config),
            "authConfig": parse(&r.auth_config),
            "updatedBy": r.updated_by,
            "updatedAt": r.updated_at,
        }),
        None => serde_json::json!({
            "platformId": platform_id, "featuresConfig": {}, "envConfig": {}, "authConfig": {},
            "updatedBy": null, "updatedAt": null,
        }),
    }
}

/// Members read it; the central builder reads it with the service key.
pub async fn get_config(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let db = db(env, ctx)?;
    load(&db, ctx, id, Need::Read).await?;
    ok(ctx, &view(id, store::platforms::config(&db, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Config {
    features_config: Map<String, Value>,
    env_config: std::collections::BTreeMap<String, String>,
    auth_config: Map<String, Value>,
}

fn part(field: &str, v: &impl serde::Serialize) -> Result<String, ApiError> {
    let text =
        serde_json::to_string(v).map_err(|_| ApiError::invalid(field, "not serialisable"))?;
    if text.len() > MAX_CONFIG_PART {
        return Err(ApiError::invalid(
            field,
            format!("{field} must be at most 16 KiB"),
        ));
    }
    Ok(text)
}

/// Replaces the build config. `envConfig` holds the console's public build variables
/// (strings, names like `VITE_*`): never secrets, which the builder gets elsewhere.
pub async fn put_config(mut req: Request, env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let body: Config = read_json(&mut req, 64 * 1024).await?;
    for k in body.env_config.keys() {
        let valid = !k.is_empty()
            && k.len() <= 128
            && k.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && !k.as_bytes()[0].is_ascii_digit();
        if !valid {
            return Err(ApiError::invalid(
                "envConfig",
                format!("{k:?} is not a variable name (A-Z, 0-9, _)"),
            ));
        }
    }
    let features = part("featuresConfig", &body.features_config)?;
    let env_text = part("envConfig", &body.env_config)?;
    let auth = part("authConfig", &body.auth_config)?;
    let db = db(env, ctx)?;
    let p = load(&db, ctx, id, Need::Manage).await?;
    if p.status().blocks_writes() && !is_operator(&ctx.identity) {
        return Err(ApiError::new(
            nno_core::ErrorCode::PlatformSuspended,
            format!("the platform is {}", p.status),
        ));
    }
    let put = ConfigPut {
        features: &features,
        env: &env_text,
        auth: &auth,
    };
    store::platforms::put_config(
        &db,
        id,
        &put,
        &actor(&ctx.identity),
        &ctx.request_id,
        now_ms() as i64,
    )
    .await?;
    get_config(env, ctx, id).await
}
