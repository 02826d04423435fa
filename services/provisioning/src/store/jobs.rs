//! Platforms and jobs.

use super::num;
use crate::engine::Phase;
use nno_core::contracts::provisioning::{JobStatus, JobType};
use nno_core::ApiError;
use nno_worker::d1::{opt, Db};
use serde::Deserialize;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Deserialize)]
pub struct PlatformRow {
    pub owner_tenant_id: Option<String>,
    pub environment: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobRow {
    pub id: String,
    pub platform_id: String,
    #[serde(rename = "type")]
    pub job_type: String,
    pub status: String,
    pub phase: String,
    pub attempts: f64,
    pub owner_tenant_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: f64,
    pub updated_at: f64,
}

impl JobRow {
    pub fn job_type(&self) -> JobType {
        parse_enum(&self.job_type).unwrap_or(JobType::BootstrapPlatform)
    }

    pub fn status(&self) -> JobStatus {
        parse_enum(&self.status).unwrap_or(JobStatus::Failed)
    }

    pub fn phase(&self) -> Phase {
        Phase::parse(&self.phase)
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.status(), JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// The wire name of a serde enum (`QUEUED`, `BOOTSTRAP_PLATFORM`, …).
pub fn wire<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

const JOB_COLUMNS: &str = "id, platform_id, type, status, phase, attempts, owner_tenant_id, request, last_error, created_at, updated_at";

pub async fn platform(db: &Db, id: &str) -> Result<Option<PlatformRow>, ApiError> {
    db.first(
        "SELECT id, owner_tenant_id, environment FROM platforms WHERE id = ?1",
        &[id.into()],
    )
    .await
}

/// A new job and its steps, in one transaction. Records the platform (its owner is
/// updated when the request names one). `Ok(false)`: the platform already has a live
/// bootstrap (the partial unique index), nothing was written.
pub async fn create_job(
    db: &Db,
    job: &NewJob<'_>,
    steps: &[(String, String)],
) -> Result<bool, ApiError> {
    let mut batch = vec![db.stmt(
        "INSERT INTO platforms (id, owner_tenant_id, environment, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (id) DO UPDATE SET
           owner_tenant_id = COALESCE(excluded.owner_tenant_id, platforms.owner_tenant_id),
           updated_at = excluded.updated_at",
        &[
            job.platform_id.into(),
            opt(job.owner_tenant_id),
            job.environment.into(),
            num(job.now),
        ],
    )?];
    batch.push(db.stmt(
        "INSERT INTO jobs (id, platform_id, type, status, phase, attempts, owner_tenant_id, request, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'QUEUED', 'forward', 1, ?4, ?5, ?6, ?6)",
        &[
            job.id.into(),
            job.platform_id.into(),
            wire(job.job_type).into(),
            opt(job.owner_tenant_id),
            job.request.into(),
            num(job.now),
        ],
    )?);
    for (i, (name, detail)) in steps.iter().enumerate() {
        batch.push(db.stmt(
            "INSERT INTO job_steps (job_id, position, name, status, detail, updated_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?5)",
            &[
                job.id.into(),
                JsValue::from_f64(i as f64),
                name.as_str().into(),
                detail.as_str().into(),
                num(job.now),
            ],
        )?);
    }
    Ok(db.batch_unique(batch, &["jobs.platform_id"]).await?.is_ok())
}

pub struct NewJob<'a> {
    pub id: &'a str,
    pub platform_id: &'a str,
    pub job_type: JobType,
    pub owner_tenant_id: Option<&'a str>,
    pub environment: &'a str,
    pub request: &'a str,
    pub now: i64,
}

pub async fn job(db: &Db, id: &str) -> Result<Option<JobRow>, ApiError> {
    db.first(
        &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
        &[id.into()],
    )
    .await
}

/// The platform's bootstrap that blocks a new one (queued, running or succeeded).
pub async fn live_bootstrap(db: &Db, platform_id: &str) -> Result<Option<JobRow>, ApiError> {
    db.first(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE platform_id = ?1 AND type = 'BOOTSTRAP_PLATFORM'
             AND status IN ('QUEUED', 'RUNNING', 'SUCCEEDED') AND superseded_at IS NULL"
        ),
        &[platform_id.into()],
    )
    .await
}

/// A page of a platform's jobs, newest first, after the `(created_at, id)` cursor.
pub async fn jobs_page(
    db: &Db,
    platform_id: &str,
    after: Option<(i64, &str)>,
    limit: u32,
) -> Result<Vec<JobRow>, ApiError> {
    let (at, id) = after.unwrap_or((i64::MAX, ""));
    db.all(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE platform_id = ?1
               AND (created_at < ?2 OR (created_at = ?2 AND id < ?3) OR ?4 = 0)
             ORDER BY created_at DESC, id DESC LIMIT ?5"
        ),
        &[
            platform_id.into(),
            num(at),
            id.into(),
            JsValue::from_f64(if after.is_some() { 1.0 } else { 0.0 }),
            JsValue::from_f64(f64::from(limit)),
        ],
    )
    .await
}

#[derive(Deserialize)]
struct Count {
    n: f64,
}

pub async fn count_jobs(db: &Db, platform_id: &str) -> Result<u64, ApiError> {
    let c: Option<Count> = db
        .first(
            "SELECT COUNT(*) AS n FROM jobs WHERE platform_id = ?1",
            &[platform_id.into()],
        )
        .await?;
    Ok(c.map(|c| c.n as u64).unwrap_or(0))
}

/// QUEUED → RUNNING (a no-op for a job already running).
pub async fn start_job(db: &Db, id: &str, now: i64) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE jobs SET status = 'RUNNING', updated_at = ?2 WHERE id = ?1 AND status = 'QUEUED'",
        &[id.into(), num(now)],
    )
    .await
}

/// Forward → rollback, once, with the failure that caused it.
pub async fn begin_rollback(db: &Db, id: &str, error: &str, now: i64) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE jobs SET phase = 'rollback', last_error = ?2, updated_at = ?3
         WHERE id = ?1 AND phase = 'forward' AND status IN ('QUEUED', 'RUNNING')",
        &[id.into(), error.into(), num(now)],
    )
    .await
}

/// The job's outcome, written once (a finished job is never reopened here). A
/// deprovision that succeeds supersedes the platform's succeeded bootstrap in the same
/// batch, so the platform can be bootstrapped again.
pub async fn finish_job(
    db: &Db,
    id: &str,
    status: JobStatus,
    error: Option<&str>,
    now: i64,
) -> Result<bool, ApiError> {
    let finish = db.stmt(
        "UPDATE jobs SET status = ?2, last_error = COALESCE(?3, last_error), updated_at = ?4
         WHERE id = ?1 AND status IN ('QUEUED', 'RUNNING')",
        &[id.into(), wire(status).into(), opt(error), num(now)],
    )?;
    let supersede = db.stmt(
        "UPDATE jobs SET superseded_at = ?2, updated_at = ?2
         WHERE type = 'BOOTSTRAP_PLATFORM' AND status = 'SUCCEEDED' AND superseded_at IS NULL
           AND platform_id = (SELECT platform_id FROM jobs
                              WHERE id = ?1 AND type = 'DEPROVISION_PLATFORM' AND status = 'SUCCEEDED')",
        &[id.into(), num(now)],
    )?;
    let results = db.batch(vec![finish, supersede]).await?;
    Ok(results
        .first()
        .map(nno_worker::d1::changes)
        .is_some_and(|n| n > 0))
}

/// FAILED → QUEUED for `POST …/retry`: its failed, rolled-back and interrupted steps
/// start again (what is done stays done). `Ok(None)`: the job is not FAILED;
/// `Ok(Some(false))`: the platform has another live bootstrap.
pub async fn retry_job(db: &Db, id: &str, now: i64) -> Result<Option<bool>, ApiError> {
    let steps = db.stmt(
        "UPDATE job_steps SET status = 'pending', attempts = 0, last_error = NULL, uncertain = 0,
           lease_until = 0, updated_at = ?2
         WHERE job_id = ?1 AND status IN ('failed', 'rolled_back', 'running')
           AND EXISTS (SELECT 1 FROM jobs WHERE id = ?1 AND status = 'FAILED')",
        &[id.into(), num(now)],
    )?;
    let job = db.stmt(
        "UPDATE jobs SET status = 'QUEUED', phase = 'forward', attempts = attempts + 1,
           last_error = NULL, updated_at = ?2
         WHERE id = ?1 AND status = 'FAILED'",
        &[id.into(), num(now)],
    )?;
    match db
        .batch_unique(vec![steps, job], &["jobs.platform_id"])
        .await?
    {
        Ok(results) => Ok(results
            .get(1)
            .map(nno_worker::d1::changes)
            .filter(|n| *n > 0)
            .map(|_| true)),
        Err(_) => Ok(Some(false)),
    }
}

/// Jobs left RUNNING or QUEUED with nothing happening since `before` (their message
/// was lost): the cron queues them again.
pub async fn stalled_jobs(db: &Db, before: i64, limit: u32) -> Result<Vec<JobRow>, ApiError> {
    db.all(
        &format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE status IN ('QUEUED', 'RUNNING') AND updated_at < ?1
             ORDER BY updated_at LIMIT ?2"
        ),
        &[num(before), JsValue::from_f64(f64::from(limit))],
    )
    .await
}

/// Marks a job as touched (so the cron does not think it stalled while it waits).
pub async fn touch_job(db: &Db, id: &str, now: i64) -> Result<(), ApiError> {
    db.exec(
        "UPDATE jobs SET updated_at = ?2 WHERE id = ?1",
        &[id.into(), num(now)],
    )
    .await
    .map(|_| ())
}
