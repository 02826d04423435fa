//! `platforms`, `stacks`, `platform_lifecycle_events`, `platform_configs`.

use super::{audit, count, n, opt, page_of, s, Audit};
use nno_core::page::{After, PageRequest};
use nno_core::platform::{PlatformStatus, Transition, DEFAULT_STACK};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// A platform as stored, and as the API shows it (camelCase).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Platform {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub status: String,
    pub tier: String,
    pub class: String,
    pub owner_tenant_id: String,
    pub owner_user_id: Option<String>,
    pub cf_account_id: Option<String>,
    pub repo_name: Option<String>,
    pub stripe_customer_id: Option<String>,
    pub suspended_at: Option<i64>,
    pub suspension_reason: Option<String>,
    pub suspended_by: Option<String>,
    pub cancelled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    pub trial_ends_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl Platform {
    pub fn status(&self) -> PlatformStatus {
        // The column's CHECK only admits known values.
        PlatformStatus::parse(&self.status).unwrap_or(PlatformStatus::Deleted)
    }

    pub fn key(&self) -> After {
        After {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

const COLUMNS: &str = "id, name, slug, status, tier, class, owner_tenant_id, owner_user_id, \
    cf_account_id, repo_name, stripe_customer_id, suspended_at, suspension_reason, suspended_by, \
    cancelled_at, cancellation_reason, trial_ends_at, created_at, updated_at, deleted_at";

pub async fn get(db: &Db, id: &str) -> Result<Option<Platform>, ApiError> {
    db.first(
        &format!("SELECT {COLUMNS} FROM platforms WHERE id = ?1"),
        &[s(id)],
    )
    .await
}

/// The owner tenant's live platforms (for a quota refusal's details).
pub async fn live_count(db: &Db, owner_tenant_id: &str) -> Result<u64, ApiError> {
    count(
        db,
        "SELECT COUNT(*) AS n FROM platforms WHERE owner_tenant_id = ?1 AND status NOT IN ('cancelled','deleted')",
        &[s(owner_tenant_id)],
    )
    .await
}

pub async fn slug_taken(db: &Db, slug: &str) -> Result<bool, ApiError> {
    Ok(count(
        db,
        "SELECT COUNT(*) AS n FROM platforms WHERE slug = ?1",
        &[s(slug)],
    )
    .await?
        > 0)
}

/// A page of platforms, newest first: every one (`tenant` None, for operators) or one
/// tenant's. Deleted platforms are listed too (their status says so).
/// What a platform list is narrowed to (each `None` matches everything).
#[derive(Default)]
pub struct Filter<'a> {
    pub tenant: Option<&'a str>,
    pub status: Option<&'a str>,
    pub tier: Option<&'a str>,
}

pub async fn list(
    db: &Db,
    f: &Filter<'_>,
    page: &PageRequest,
) -> Result<(Vec<Platform>, u64), ApiError> {
    const WHERE: &str = "(?1 IS NULL OR owner_tenant_id = ?1) AND (?2 IS NULL OR status = ?2) \
                         AND (?3 IS NULL OR tier = ?3)";
    let (at, id) = page.bounds();
    let rows = db
        .all(
            &format!(
                "SELECT {COLUMNS} FROM platforms WHERE {WHERE} AND (created_at, id) < (?4, ?5) \
                 ORDER BY created_at DESC, id DESC LIMIT ?6"
            ),
            &[
                opt(f.tenant),
                opt(f.status),
                opt(f.tier),
                n(at),
                s(&id),
                n(page.fetch() as i64),
            ],
        )
        .await?;
    let total = count(
        db,
        &format!("SELECT COUNT(*) AS n FROM platforms WHERE {WHERE}"),
        &[opt(f.tenant), opt(f.status), opt(f.tier)],
    )
    .await?;
    Ok((rows, total))
}

pub struct NewPlatform<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub tier: &'a str,
    pub owner_tenant_id: &'a str,
    pub owner_user_id: Option<&'a str>,
    pub actor: &'a str,
    pub request_id: &'a str,
    pub at: i64,
    /// The tier's limit on the owner tenant's live platforms (`None`: unlimited).
    pub quota: Option<u32>,
}

/// The statements that create a platform (`pending`) with its `default` stack, its
/// empty build config, its first lifecycle event and audit entry: run in one batch
/// (with anything else the caller adds, each `WHERE changes() > 0`) so a platform
/// never exists half-made. The first inserts only while the owner tenant has fewer
/// live platforms than `quota`, inside the statement, so two creations racing for the
/// last slot cannot both have it; each after it only if the one before it inserted.
/// The first result's `changes` is 0 when the quota refused it.
pub fn create(db: &Db, p: &NewPlatform<'_>) -> Result<Vec<worker::D1PreparedStatement>, ApiError> {
    let at = n(p.at);
    let quota = p.quota.map(|q| n(i64::from(q))).unwrap_or(JsValue::NULL);
    Ok(vec![
        db.stmt(
            "INSERT INTO platforms (id, name, slug, status, tier, owner_tenant_id, owner_user_id, created_at, updated_at) \
             SELECT ?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?7 WHERE ?8 IS NULL OR \
             (SELECT COUNT(*) FROM platforms WHERE owner_tenant_id = ?5 AND status NOT IN ('cancelled','deleted')) < ?8",
            &[s(p.id), s(p.name), s(p.slug), s(p.tier), s(p.owner_tenant_id), opt(p.owner_user_id), at.clone(), quota],
        )?,
        db.stmt(
            "INSERT INTO stacks (platform_id, id, name, created_at, updated_at) \
             SELECT ?1, ?2, ?2, ?3, ?3 WHERE changes() > 0",
            &[s(p.id), s(DEFAULT_STACK), at.clone()],
        )?,
        db.stmt(
            "INSERT INTO platform_configs (platform_id, updated_by, updated_at) \
             SELECT ?1, ?2, ?3 WHERE changes() > 0",
            &[s(p.id), s(p.actor), at.clone()],
        )?,
        lifecycle_event(db, p.id, None, PlatformStatus::Pending, None, p.actor, p.at, true)?,
        audit(
            db,
            &Audit {
                id: crate::ids::row_id(),
                platform_id: p.id,
                actor: p.actor,
                action: "platform.create",
                target: p.id,
                before: None,
                after: Some(serde_json::json!({"name": p.name, "slug": p.slug, "tier": p.tier, "status": "pending"}).to_string()),
                request_id: p.request_id,
                at: p.at,
            },
            true,
        )?,
    ])
}

#[allow(clippy::too_many_arguments)]
fn lifecycle_event(
    db: &Db,
    platform_id: &str,
    from: Option<PlatformStatus>,
    to: PlatformStatus,
    reason: Option<&str>,
    actor: &str,
    at: i64,
    only_if_changed: bool,
) -> Result<worker::D1PreparedStatement, ApiError> {
    let sql = if only_if_changed {
        "INSERT INTO platform_lifecycle_events (id, platform_id, from_status, to_status, reason, actor, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE changes() > 0"
    } else {
        "INSERT INTO platform_lifecycle_events (id, platform_id, from_status, to_status, reason, actor, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    };
    db.stmt(
        sql,
        &[
            s(&crate::ids::row_id()),
            s(platform_id),
            opt(from.map(|f| f.as_str())),
            s(to.as_str()),
            opt(reason),
            s(actor),
            n(at),
        ],
    )
}

pub struct Change<'a> {
    pub platform_id: &'a str,
    pub from: PlatformStatus,
    pub transition: Transition,
    pub to: PlatformStatus,
    pub reason: Option<&'a str>,
    /// For a suspension: `operator` or `owner`.
    pub by: Option<&'a str>,
    pub actor: &'a str,
    pub request_id: &'a str,
    pub at: i64,
}

/// Applies a status change decided by `PlatformStatus::after`, only if the platform is
/// still in `from` (so of two concurrent changes exactly one wins); writes its lifecycle
/// event and audit entry in the same transaction. Whether it happened.
pub async fn transition(db: &Db, c: &Change<'_>) -> Result<bool, ApiError> {
    let (set, extra): (&str, Vec<wasm_bindgen::JsValue>) = match c.transition {
        Transition::Suspend => (
            ", suspended_at = ?2, suspension_reason = ?5, suspended_by = ?6",
            vec![opt(c.reason), opt(c.by)],
        ),
        Transition::Cancel => (
            ", cancelled_at = ?2, cancellation_reason = ?5",
            vec![opt(c.reason)],
        ),
        Transition::Restore => (
            ", suspended_at = NULL, suspension_reason = NULL, suspended_by = NULL, \
             cancelled_at = NULL, cancellation_reason = NULL",
            vec![],
        ),
        Transition::Delete => (", deleted_at = ?2", vec![]),
        _ => ("", vec![]),
    };
    let mut params = vec![
        s(c.to.as_str()),
        n(c.at),
        s(c.platform_id),
        s(c.from.as_str()),
    ];
    params.extend(extra);
    let update = db.stmt(
        &format!(
            "UPDATE platforms SET status = ?1, updated_at = ?2{set} WHERE id = ?3 AND status = ?4"
        ),
        &params,
    )?;
    let event = lifecycle_event(
        db,
        c.platform_id,
        Some(c.from),
        c.to,
        c.reason,
        c.actor,
        c.at,
        true,
    )?;
    let entry = audit(
        db,
        &Audit {
            id: crate::ids::row_id(),
            platform_id: c.platform_id,
            actor: c.actor,
            action: transition_action(c.transition),
            target: c.platform_id,
            before: Some(serde_json::json!({ "status": c.from }).to_string()),
            after: Some(serde_json::json!({ "status": c.to, "reason": c.reason }).to_string()),
            request_id: c.request_id,
            at: c.at,
        },
        true,
    )?;
    let results = db.batch(vec![update, event, entry]).await?;
    Ok(results.first().map(nno_worker::d1::changes).unwrap_or(0) > 0)
}

fn transition_action(t: Transition) -> &'static str {
    match t {
        Transition::StartProvisioning => "platform.provisioning",
        Transition::Activate => "platform.activate",
        Transition::Suspend => "platform.suspend",
        Transition::Restore => "platform.restore",
        Transition::Cancel => "platform.cancel",
        Transition::CompleteCancellation => "platform.cancelled",
        Transition::Delete => "platform.delete",
    }
}

/// Renames or re-tiers a platform (only fields given change), with its audit entry.
pub async fn update(
    db: &Db,
    before: &Platform,
    name: Option<&str>,
    tier: Option<&str>,
    actor: &str,
    request_id: &str,
    at: i64,
) -> Result<bool, ApiError> {
    let update = db.stmt(
        "UPDATE platforms SET name = COALESCE(?1, name), tier = COALESCE(?2, tier), updated_at = ?3 \
         WHERE id = ?4 AND status != 'deleted'",
        &[opt(name), opt(tier), n(at), s(&before.id)],
    )?;
    let entry = audit(
        db,
        &Audit {
            id: crate::ids::row_id(),
            platform_id: &before.id,
            actor,
            action: "platform.update",
            target: &before.id,
            before: Some(serde_json::json!({"name": before.name, "tier": before.tier}).to_string()),
            after: Some(
                serde_json::json!({"name": name.unwrap_or(&before.name), "tier": tier.unwrap_or(&before.tier)})
                    .to_string(),
            ),
            request_id,
            at,
        },
        true,
    )?;
    let r = db.batch(vec![update, entry]).await?;
    Ok(r.first().map(nno_worker::d1::changes).unwrap_or(0) > 0)
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct LifecycleEvent {
    pub id: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub actor: String,
    pub created_at: i64,
}

pub async fn lifecycle(
    db: &Db,
    platform_id: &str,
    page: &PageRequest,
) -> Result<(Vec<LifecycleEvent>, u64), ApiError> {
    let columns = "id, from_status, to_status, reason, actor, created_at";
    page_of(db, "platform_lifecycle_events", columns, platform_id, page).await
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Stack {
    pub id: String,
    pub name: String,
    pub tenant_id: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn stacks(
    db: &Db,
    platform_id: &str,
    page: &PageRequest,
) -> Result<(Vec<Stack>, u64), ApiError> {
    let columns = "id, name, tenant_id, status, created_at, updated_at";
    page_of(db, "stacks", columns, platform_id, page).await
}

#[derive(Debug, Deserialize)]
pub struct ConfigRow {
    pub features_config: String,
    pub env_config: String,
    pub auth_config: String,
    pub updated_by: String,
    pub updated_at: i64,
}

pub async fn config(db: &Db, platform_id: &str) -> Result<Option<ConfigRow>, ApiError> {
    db.first(
        "SELECT features_config, env_config, auth_config, updated_by, updated_at FROM platform_configs WHERE platform_id = ?1",
        &[s(platform_id)],
    )
    .await
}

pub struct ConfigPut<'a> {
    pub features: &'a str,
    pub env: &'a str,
    pub auth: &'a str,
}

pub async fn put_config(
    db: &Db,
    platform_id: &str,
    c: &ConfigPut<'_>,
    actor: &str,
    request_id: &str,
    at: i64,
) -> Result<(), ApiError> {
    let put = db.stmt(
        "INSERT INTO platform_configs (platform_id, features_config, env_config, auth_config, updated_by, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (platform_id) DO UPDATE SET \
         features_config = excluded.features_config, env_config = excluded.env_config, \
         auth_config = excluded.auth_config, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        &[s(platform_id), s(c.features), s(c.env), s(c.auth), s(actor), n(at)],
    )?;
    let entry = audit(
        db,
        &Audit {
            id: crate::ids::row_id(),
            platform_id,
            actor,
            action: "platform.config.put",
            target: platform_id,
            before: None,
            after: None,
            request_id,
            at,
        },
        false,
    )?;
    db.batch(vec![put, entry]).await?;
    Ok(())
}
