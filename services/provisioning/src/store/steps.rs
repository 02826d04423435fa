//! Job steps. Every transition is conditional on the step's state and lease, so two
//! consumers holding the same job (at-least-once delivery) cannot both run a step.

use super::num;
use nno_core::contracts::provisioning::StepStatus;
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Deserialize)]
pub struct StepRow {
    pub position: f64,
    pub name: String,
    pub status: String,
    pub attempts: f64,
    pub last_error: Option<String>,
    pub cloudflare_id: Option<String>,
    #[serde(deserialize_with = "nno_worker::d1::boolean")]
    pub created_by_job: bool,
    #[serde(deserialize_with = "nno_worker::d1::boolean")]
    pub uncertain: bool,
    pub lease_until: f64,
    pub detail: String,
}

impl StepRow {
    pub fn status(&self) -> StepStatus {
        serde_json::from_value(serde_json::Value::String(self.status.clone()))
            .unwrap_or(StepStatus::Failed)
    }

    pub fn position(&self) -> u32 {
        self.position as u32
    }

    pub fn detail(&self) -> serde_json::Value {
        serde_json::from_str(&self.detail).unwrap_or_else(|_| serde_json::json!({}))
    }
}

fn pos(p: u32) -> JsValue {
    JsValue::from_f64(f64::from(p))
}

pub async fn steps(db: &Db, job_id: &str) -> Result<Vec<StepRow>, ApiError> {
    db.all(
        "SELECT position, name, status, attempts, last_error, cloudflare_id, created_by_job, uncertain,
                lease_until, detail
         FROM job_steps WHERE job_id = ?1 ORDER BY position",
        &[job_id.into()],
    )
    .await
}

/// Takes the step for `lease_ms` and counts an attempt, if it is pending or its
/// holder's lease has run out.
pub async fn claim(
    db: &Db,
    job_id: &str,
    p: u32,
    now: i64,
    lease_ms: i64,
) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE job_steps SET status = 'running', attempts = attempts + 1, lease_until = ?3, updated_at = ?4
         WHERE job_id = ?1 AND position = ?2
           AND (status = 'pending' OR (status = 'running' AND lease_until <= ?4))",
        &[job_id.into(), pos(p), num(now + lease_ms), num(now)],
    )
    .await
}

/// The step could not start (no budget token): back to pending, the attempt uncounted.
pub async fn unclaim(db: &Db, job_id: &str, p: u32, now: i64) -> Result<(), ApiError> {
    db.exec(
        "UPDATE job_steps SET status = 'pending', attempts = MAX(attempts - 1, 0), lease_until = 0, updated_at = ?3
         WHERE job_id = ?1 AND position = ?2 AND status = 'running'",
        &[job_id.into(), pos(p), num(now)],
    )
    .await
    .map(|_| ())
}

pub async fn step_done(
    db: &Db,
    job_id: &str,
    p: u32,
    cloudflare_id: Option<&str>,
    created_by_job: bool,
    detail: &str,
    now: i64,
) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE job_steps SET status = 'done', cloudflare_id = ?3, created_by_job = ?4, detail = ?5,
           last_error = NULL, lease_until = 0, updated_at = ?6
         WHERE job_id = ?1 AND position = ?2 AND status = 'running'",
        &[
            job_id.into(),
            pos(p),
            nno_worker::d1::opt(cloudflare_id),
            JsValue::from_f64(if created_by_job { 1.0 } else { 0.0 }),
            detail.into(),
            num(now),
        ],
    )
    .await
}

/// A transient failure: pending again, with the error (and whether the attempt may
/// have taken effect).
pub async fn step_retry(
    db: &Db,
    job_id: &str,
    p: u32,
    error: &str,
    uncertain: bool,
    now: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE job_steps SET status = 'pending', last_error = ?3, uncertain = MAX(uncertain, ?4),
           lease_until = 0, updated_at = ?5
         WHERE job_id = ?1 AND position = ?2 AND status = 'running'",
        &[
            job_id.into(),
            pos(p),
            error.into(),
            JsValue::from_f64(if uncertain { 1.0 } else { 0.0 }),
            num(now),
        ],
    )
    .await
    .map(|_| ())
}

pub async fn step_failed(
    db: &Db,
    job_id: &str,
    p: u32,
    error: &str,
    now: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE job_steps SET status = 'failed', last_error = ?3, lease_until = 0, updated_at = ?4
         WHERE job_id = ?1 AND position = ?2 AND status IN ('running', 'pending')",
        &[job_id.into(), pos(p), error.into(), num(now)],
    )
    .await
    .map(|_| ())
}

/// Takes a completed (or abandoned) step for undoing.
pub async fn claim_undo(
    db: &Db,
    job_id: &str,
    p: u32,
    now: i64,
    lease_ms: i64,
) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE job_steps SET lease_until = ?3, updated_at = ?4
         WHERE job_id = ?1 AND position = ?2 AND status IN ('done', 'running') AND lease_until <= ?4",
        &[job_id.into(), pos(p), num(now + lease_ms), num(now)],
    )
    .await
}

pub async fn step_rolled_back(db: &Db, job_id: &str, p: u32, now: i64) -> Result<(), ApiError> {
    db.exec(
        "UPDATE job_steps SET status = 'rolled_back', lease_until = 0, updated_at = ?3
         WHERE job_id = ?1 AND position = ?2 AND status IN ('done', 'running')",
        &[job_id.into(), pos(p), num(now)],
    )
    .await
    .map(|_| ())
}

/// Undoing failed for now: release the step with the error, to be tried again.
pub async fn undo_later(
    db: &Db,
    job_id: &str,
    p: u32,
    error: &str,
    now: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE job_steps SET lease_until = 0, last_error = ?3, attempts = attempts + 1, updated_at = ?4
         WHERE job_id = ?1 AND position = ?2",
        &[job_id.into(), pos(p), error.into(), num(now)],
    )
    .await
    .map(|_| ())
}
