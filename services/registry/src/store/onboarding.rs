//! `onboarding_sessions`: one per platform a customer onboarded, found again by the
//! same user's slug or `Idempotency-Key` so a repeated request makes no second platform.

use super::{n, opt, s};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub id: String,
    pub platform_id: String,
    pub slug: String,
    pub billing_email: String,
    pub status: String,
    pub job_id: Option<String>,
    pub job: Option<String>,
    pub error: Option<String>,
    pub failed_step: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, platform_id, slug, billing_email, status, job_id, job, error, \
    failed_step, created_at, updated_at";

pub async fn get(db: &Db, id: &str) -> Result<Option<Session>, ApiError> {
    db.first(
        &format!("SELECT {COLUMNS} FROM onboarding_sessions WHERE id = ?1"),
        &[s(id)],
    )
    .await
}

/// The user's earlier session for this slug or this idempotency key.
pub async fn earlier(
    db: &Db,
    user_id: &str,
    slug: &str,
    idempotency_key: Option<&str>,
) -> Result<Option<Session>, ApiError> {
    db.first(
        &format!(
            "SELECT {COLUMNS} FROM onboarding_sessions WHERE user_id = ?1 \
             AND (slug = ?2 OR (?3 IS NOT NULL AND idempotency_key = ?3)) ORDER BY created_at LIMIT 1"
        ),
        &[s(user_id), s(slug), opt(idempotency_key)],
    )
    .await
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub platform_id: &'a str,
    pub user_id: &'a str,
    pub tenant_id: &'a str,
    pub slug: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub billing_email: &'a str,
    pub at: i64,
}

pub fn create(db: &Db, x: &NewSession<'_>) -> Result<worker::D1PreparedStatement, ApiError> {
    db.stmt(
        "INSERT INTO onboarding_sessions (id, platform_id, user_id, tenant_id, slug, idempotency_key, billing_email, status, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'provisioning', ?8, ?8 WHERE changes() > 0",
        &[s(x.id), s(x.platform_id), s(x.user_id), s(x.tenant_id), s(x.slug), opt(x.idempotency_key), s(x.billing_email), n(x.at)],
    )
}

/// The bootstrap job was accepted: the session waits for it.
pub async fn job_requested(
    db: &Db,
    platform_id: &str,
    job_id: &str,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE onboarding_sessions SET job_id = ?2, status = 'provisioning', error = NULL, failed_step = NULL, \
         updated_at = ?3 WHERE platform_id = ?1",
        &[s(platform_id), s(job_id), n(at)],
    )
    .await?;
    Ok(())
}

pub async fn failed(
    db: &Db,
    platform_id: &str,
    step: &str,
    error: &str,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE onboarding_sessions SET status = 'failed', failed_step = ?2, error = ?3, updated_at = ?4 \
         WHERE platform_id = ?1",
        &[s(platform_id), s(step), s(error), n(at)],
    )
    .await?;
    Ok(())
}

/// Provisioning's latest word on the job (only if newer than what is stored), and the
/// session's status that follows from it.
#[allow(clippy::too_many_arguments)]
pub async fn job_progress(
    db: &Db,
    platform_id: &str,
    job_id: &str,
    job_json: &str,
    status: &str,
    error: Option<&str>,
    failed_step: Option<&str>,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE onboarding_sessions SET job = ?3, job_at = ?4, status = ?5, error = ?6, failed_step = ?7, \
         updated_at = MAX(updated_at, ?4) \
         WHERE platform_id = ?1 AND (job_id IS NULL OR job_id = ?2) AND job_at < ?4",
        &[s(platform_id), s(job_id), s(job_json), n(at), s(status), opt(error), opt(failed_step)],
    )
    .await?;
    Ok(())
}
