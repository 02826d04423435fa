//! What provisioning's jobs created or adopted, per platform.

use super::num;
use crate::jobs::RecordKind;
use nno_core::ApiError;
use nno_worker::d1::{opt, Db};
use serde::Deserialize;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Deserialize)]
pub struct ResourceRow {
    pub platform_id: String,
    pub kind: String,
    pub name: String,
    pub environment: String,
    pub cloudflare_id: String,
    pub detail: String,
}

impl ResourceRow {
    pub fn kind(&self) -> Option<RecordKind> {
        RecordKind::parse(&self.kind)
    }

    pub fn detail(&self) -> serde_json::Value {
        serde_json::from_str(&self.detail).unwrap_or_else(|_| serde_json::json!({}))
    }
}

const COLUMNS: &str = "platform_id, kind, name, environment, cloudflare_id, ssl_status, detail";

pub struct Record<'a> {
    pub platform_id: &'a str,
    pub kind: RecordKind,
    pub name: &'a str,
    pub environment: &'a str,
    pub cloudflare_id: &'a str,
    pub job_id: &'a str,
    pub ssl_status: Option<&'a str>,
    pub detail: &'a str,
}

pub async fn record(db: &Db, r: &Record<'_>, now: i64) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO resources (platform_id, kind, name, environment, cloudflare_id, job_id, ssl_status, detail, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (platform_id, kind, name) DO UPDATE SET
           environment = excluded.environment, cloudflare_id = excluded.cloudflare_id,
           job_id = excluded.job_id, ssl_status = COALESCE(excluded.ssl_status, resources.ssl_status),
           detail = excluded.detail, updated_at = excluded.updated_at",
        &[
            r.platform_id.into(),
            r.kind.as_str().into(),
            r.name.into(),
            r.environment.into(),
            r.cloudflare_id.into(),
            r.job_id.into(),
            opt(r.ssl_status),
            r.detail.into(),
            num(now),
        ],
    )
    .await
    .map(|_| ())
}

pub async fn forget(
    db: &Db,
    platform_id: &str,
    kind: RecordKind,
    name: &str,
) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM resources WHERE platform_id = ?1 AND kind = ?2 AND name = ?3",
        &[platform_id.into(), kind.as_str().into(), name.into()],
    )
    .await
    .map(|_| ())
}

pub async fn resources(db: &Db, platform_id: &str) -> Result<Vec<ResourceRow>, ApiError> {
    db.all(
        &format!("SELECT {COLUMNS} FROM resources WHERE platform_id = ?1 ORDER BY kind, name"),
        &[platform_id.into()],
    )
    .await
}

pub async fn resource(
    db: &Db,
    platform_id: &str,
    kind: RecordKind,
    name: &str,
) -> Result<Option<ResourceRow>, ApiError> {
    db.first(
        &format!(
            "SELECT {COLUMNS} FROM resources WHERE platform_id = ?1 AND kind = ?2 AND name = ?3"
        ),
        &[platform_id.into(), kind.as_str().into(), name.into()],
    )
    .await
}

/// Custom hostnames still waiting for SSL: of one platform, or (`None`) of every
/// platform, not polled since `before` (the cron's backstop).
pub async fn pending_ssl(
    db: &Db,
    platform_id: Option<&str>,
    before: i64,
    limit: u32,
) -> Result<Vec<ResourceRow>, ApiError> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM resources
             WHERE kind = 'custom_hostname' AND ssl_status = 'pending'
               AND (?1 IS NULL OR platform_id = ?1) AND COALESCE(polled_at, 0) < ?2
             ORDER BY polled_at LIMIT ?3"
        ),
        &[
            opt(platform_id),
            num(before),
            JsValue::from_f64(f64::from(limit)),
        ],
    )
    .await
}

pub async fn set_ssl(
    db: &Db,
    platform_id: &str,
    name: &str,
    status: &str,
    now: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE resources SET ssl_status = ?3, polled_at = ?4, updated_at = ?4
         WHERE platform_id = ?1 AND kind = 'custom_hostname' AND name = ?2",
        &[platform_id.into(), name.into(), status.into(), num(now)],
    )
    .await
    .map(|_| ())
}
