//! `entities`: a client platform's tenants and their sub-tenants.

use super::{audit, count, n, opt, s, Audit};
use nno_core::page::{After, PageRequest};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Entity {
    pub id: String,
    pub platform_id: String,
    pub parent_id: Option<String>,
    pub kind: String,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Entity {
    pub fn key(&self) -> After {
        After {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

const COLUMNS: &str = "id, platform_id, parent_id, kind, name, slug, created_at, updated_at";

pub async fn get(db: &Db, platform_id: &str, id: &str) -> Result<Option<Entity>, ApiError> {
    db.first(
        &format!("SELECT {COLUMNS} FROM entities WHERE platform_id = ?1 AND id = ?2"),
        &[s(platform_id), s(id)],
    )
    .await
}

/// A page of a platform's tenants; with `parent`, only that tenant's sub-tenants.
pub async fn list(
    db: &Db,
    platform_id: &str,
    parent: Option<&str>,
    page: &PageRequest,
) -> Result<(Vec<Entity>, u64), ApiError> {
    let (at, id) = page.bounds();
    let rows = db
        .all(
            &format!(
                "SELECT {COLUMNS} FROM entities WHERE platform_id = ?1 AND (?2 IS NULL OR parent_id = ?2) \
                 AND (created_at, id) < (?3, ?4) ORDER BY created_at DESC, id DESC LIMIT ?5"
            ),
            &[s(platform_id), opt(parent), n(at), s(&id), n(page.fetch() as i64)],
        )
        .await?;
    let total = count(
        db,
        "SELECT COUNT(*) AS n FROM entities WHERE platform_id = ?1 AND (?2 IS NULL OR parent_id = ?2)",
        &[s(platform_id), opt(parent)],
    )
    .await?;
    Ok((rows, total))
}

pub async fn count_of(db: &Db, platform_id: &str) -> Result<u64, ApiError> {
    count(
        db,
        "SELECT COUNT(*) AS n FROM entities WHERE platform_id = ?1",
        &[s(platform_id)],
    )
    .await
}

pub enum Created {
    Done,
    SlugTaken,
    /// The parent is gone or is itself a sub-tenant.
    BadParent,
    /// The platform has as many tenants as its tier allows.
    OverQuota,
}

/// The platform's tenants (sub-tenants are not counted against the tier).
pub async fn tenants_of(db: &Db, platform_id: &str) -> Result<u64, ApiError> {
    count(
        db,
        "SELECT COUNT(*) AS n FROM entities WHERE platform_id = ?1 AND kind = 'tenant'",
        &[s(platform_id)],
    )
    .await
}

/// Creates a tenant, or a sub-tenant of `e.parent_id` if that is a tenant of the same
/// platform (checked inside the statement, so a parent deleted meanwhile fails it). A
/// tenant only while the platform has fewer than `quota` (its tier's limit, `None`
/// unlimited), also inside the statement, so two creations racing for the last slot
/// cannot both have it.
pub async fn create(
    db: &Db,
    e: &Entity,
    quota: Option<u32>,
    actor: &str,
    request_id: &str,
) -> Result<Created, ApiError> {
    let quota = quota
        .map(|q| n(i64::from(q)))
        .unwrap_or(wasm_bindgen::JsValue::NULL);
    let insert = db.stmt(
        "INSERT INTO entities (id, platform_id, parent_id, kind, name, slug, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7 \
         WHERE (?3 IS NULL OR EXISTS (SELECT 1 FROM entities WHERE id = ?3 AND platform_id = ?2 AND kind = 'tenant')) \
         AND (?8 IS NULL OR ?4 <> 'tenant' OR \
              (SELECT COUNT(*) FROM entities WHERE platform_id = ?2 AND kind = 'tenant') < ?8)",
        &[s(&e.id), s(&e.platform_id), opt(e.parent_id.as_deref()), s(&e.kind), s(&e.name), s(&e.slug), n(e.created_at), quota],
    )?;
    let entry = audit(
        db,
        &Audit {
            id: crate::ids::row_id(),
            platform_id: &e.platform_id,
            actor,
            action: "tenant.create",
            target: &e.id,
            before: None,
            after: serde_json::to_string(e).ok(),
            request_id,
            at: e.created_at,
        },
        true,
    )?;
    match db
        .batch_unique(vec![insert, entry], &["entities.platform_id"])
        .await?
    {
        Err(_) => Ok(Created::SlugTaken),
        Ok(r) if r.first().map(nno_worker::d1::changes).unwrap_or(0) == 0 => {
            // A top-level tenant has no parent to be wrong: only the quota refuses it.
            Ok(if e.parent_id.is_none() {
                Created::OverQuota
            } else {
                Created::BadParent
            })
        }
        Ok(_) => Ok(Created::Done),
    }
}

pub async fn rename(
    db: &Db,
    before: &Entity,
    name: &str,
    actor: &str,
    request_id: &str,
    at: i64,
) -> Result<bool, ApiError> {
    let update = db.stmt(
        "UPDATE entities SET name = ?1, updated_at = ?2 WHERE platform_id = ?3 AND id = ?4",
        &[s(name), n(at), s(&before.platform_id), s(&before.id)],
    )?;
    let entry = audit(
        db,
        &Audit {
            id: crate::ids::row_id(),
            platform_id: &before.platform_id,
            actor,
            action: "tenant.update",
            target: &before.id,
            before: Some(serde_json::json!({ "name": before.name }).to_string()),
            after: Some(serde_json::json!({ "name": name }).to_string()),
            request_id,
            at,
        },
        true,
    )?;
    let r = db.batch(vec![update, entry]).await?;
    Ok(r.first().map(nno_worker::d1::changes).unwrap_or(0) > 0)
}

pub enum Deleted {
    Done,
    Missing,
    HasChildren,
}

/// Deletes a tenant that has no sub-tenants (checked inside the statement).
pub async fn delete(
    db: &Db,
    e: &Entity,
    actor: &str,
    request_id: &str,
    at: i64,
) -> Result<Deleted, ApiError> {
    let delete = db.stmt(
        "DELETE FROM entities WHERE platform_id = ?1 AND id = ?2 \
         AND NOT EXISTS (SELECT 1 FROM entities WHERE parent_id = ?2)",
        &[s(&e.platform_id), s(&e.id)],
    )?;
    let entry = audit(
        db,
        &Audit {
            id: crate::ids::row_id(),
            platform_id: &e.platform_id,
            actor,
            action: "tenant.delete",
            target: &e.id,
            before: serde_json::to_string(e).ok(),
            after: None,
            request_id,
            at,
        },
        true,
    )?;
    let r = db.batch(vec![delete, entry]).await?;
    if r.first().map(nno_worker::d1::changes).unwrap_or(0) > 0 {
        return Ok(Deleted::Done);
    }
    Ok(if get(db, &e.platform_id, &e.id).await?.is_some() {
        Deleted::HasChildren
    } else {
        Deleted::Missing
    })
}
