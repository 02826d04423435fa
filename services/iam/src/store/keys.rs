//! API keys, stored by the SHA-256 of the key.

use super::iso;
use nno_core::ApiError;
use nno_worker::d1::{changes, opt, Db};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub start: String,
    pub user_id: String,
    pub organization_id: Option<String>,
    pub scopes: String,
    pub rate_limit_max: f64,
    pub rate_limit_window_ms: f64,
    pub expires_at: Option<f64>,
    pub last_used_at: Option<f64>,
    pub revoked_at: Option<f64>,
    pub created_at: f64,
}

impl KeyRow {
    pub fn scope_list(&self) -> Vec<String> {
        serde_json::from_str(&self.scopes).unwrap_or_default()
    }

    /// What listings show: never the key, only its first characters.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "start": self.start,
            "owner": match &self.organization_id {
                Some(org) => json!({ "type": "tenant", "orgId": org, "createdBy": self.user_id }),
                None => json!({ "type": "user", "userId": self.user_id }),
            },
            "scopes": self.scope_list(),
            "rateLimit": { "max": self.rate_limit_max as u64,
                           "windowSeconds": (self.rate_limit_window_ms / 1000.0) as u64 },
            "expiresAt": self.expires_at.map(iso),
            "lastUsedAt": self.last_used_at.map(iso),
            "revokedAt": self.revoked_at.map(iso),
            "createdAt": iso(self.created_at),
        })
    }
}

const KEY_COLUMNS: &str = "id, name, start, userId, organizationId, scopes, rateLimitMax,
    rateLimitWindowMs, expiresAt, lastUsedAt, revokedAt, createdAt";

pub async fn create_key(db: &Db, k: &KeyRow, key_hash: &str) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO apikey (id, name, start, key, userId, organizationId, scopes, rateLimitMax,
                             rateLimitWindowMs, expiresAt, createdAt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        &[
            k.id.as_str().into(),
            k.name.as_str().into(),
            k.start.as_str().into(),
            key_hash.into(),
            k.user_id.as_str().into(),
            opt(k.organization_id.as_deref()),
            k.scopes.as_str().into(),
            k.rate_limit_max.into(),
            k.rate_limit_window_ms.into(),
            k.expires_at.map(JsValue::from_f64).unwrap_or(JsValue::NULL),
            k.created_at.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A live key by hash (not revoked, not expired), marking it used. The update and the
/// read are one statement, so a key revoked a moment ago is not returned.
pub async fn use_key(db: &Db, key_hash: &str, now: f64) -> Result<Option<KeyRow>, ApiError> {
    let sql = format!(
        "UPDATE apikey SET lastUsedAt = ?2
         WHERE key = ?1 AND revokedAt IS NULL AND (expiresAt IS NULL OR expiresAt > ?2)
         RETURNING {KEY_COLUMNS}"
    );
    db.first(&sql, &[key_hash.into(), now.into()]).await
}

/// Keys a user owns personally, or a tenant's keys.
pub async fn keys(db: &Db, user_id: &str, org_id: Option<&str>) -> Result<Vec<KeyRow>, ApiError> {
    match org_id {
        Some(org) => {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM apikey WHERE organizationId = ?1
                 ORDER BY createdAt DESC LIMIT 500"
            );
            db.all(&sql, &[org.into()]).await
        }
        None => {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM apikey WHERE userId = ?1 AND organizationId IS NULL
                 ORDER BY createdAt DESC LIMIT 500"
            );
            db.all(&sql, &[user_id.into()]).await
        }
    }
}

pub async fn key(db: &Db, id: &str) -> Result<Option<KeyRow>, ApiError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM apikey WHERE id = ?1");
    db.first(&sql, &[id.into()]).await
}

pub async fn revoke_key(db: &Db, id: &str, now: f64) -> Result<bool, ApiError> {
    let r = db
        .stmt(
            "UPDATE apikey SET revokedAt = ?2 WHERE id = ?1 AND revokedAt IS NULL",
            &[id.into(), now.into()],
        )?
        .run()
        .await
        .map_err(|e| db.fail(e))?;
    Ok(changes(&r) > 0)
}

pub async fn count_live_keys(db: &Db, user_id: &str, now: f64) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct N {
        n: f64,
    }
    let n: Option<N> = db
        .first(
            "SELECT COUNT(*) AS n FROM apikey WHERE userId = ?1 AND revokedAt IS NULL
           AND (expiresAt IS NULL OR expiresAt > ?2)",
            &[user_id.into(), now.into()],
        )
        .await?;
    Ok(n.map(|n| n.n as usize).unwrap_or(0))
}
