//! Per-account and per-recipient budgets, each kept by one conditional statement so
//! that parallel requests cannot overtake the count.

use nno_auth::guard::{BASE_DELAY_MS, FREE_FAILURES, MAX_DELAY_MS, WINDOW_MS};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;

/// Claims one password check for `subject`, counted as a failure until the password
/// proves right (`clear_password_failures`). `Some(lockedUntil)` when checks are being
/// spaced out and this one must not happen. Past the free failures the claim itself
/// sets the next delay, so attempts sent in parallel with a checked one are refused.
pub async fn claim_password_check(
    db: &Db,
    subject: &str,
    now: f64,
) -> Result<Option<f64>, ApiError> {
    #[derive(Deserialize)]
    struct Counted {
        #[allow(dead_code)]
        failures: f64,
    }
    let counted: Option<Counted> = db
        .first(
            "INSERT INTO password_failure (subject, failures, lastFailureAt, lockedUntil)
             VALUES (?1, 1, ?2, 0)
             ON CONFLICT(subject) DO UPDATE SET
               failures = CASE WHEN lastFailureAt + ?3 <= ?2 THEN 1 ELSE failures + 1 END,
               lockedUntil = CASE
                 WHEN lastFailureAt + ?3 <= ?2 THEN 0
                 WHEN failures + 1 > ?4 THEN ?2 + min(?6, ?5 * (1 << min(failures - ?4, 16)))
                 ELSE 0 END,
               lastFailureAt = ?2
             WHERE lockedUntil <= ?2
             RETURNING failures",
            &[
                subject.into(),
                now.into(),
                WINDOW_MS.into(),
                f64::from(FREE_FAILURES).into(),
                BASE_DELAY_MS.into(),
                MAX_DELAY_MS.into(),
            ],
        )
        .await?;
    if counted.is_some() {
        return Ok(None);
    }
    #[derive(Deserialize)]
    struct Lock {
        #[serde(rename = "lockedUntil")]
        locked_until: f64,
    }
    let lock: Option<Lock> = db
        .first(
            "SELECT lockedUntil FROM password_failure WHERE subject = ?1",
            &[subject.into()],
        )
        .await?;
    Ok(Some(lock.map_or(now, |l| l.locked_until)))
}

/// A correct password: the account's budget starts afresh.
pub async fn clear_password_failures(db: &Db, subject: &str) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM password_failure WHERE subject = ?1",
        &[subject.into()],
    )
    .await
    .map(|_| ())
}

/// Counts one e-mail to `recipient`; false when `max` were already sent to it in the
/// current window of `window_ms`.
pub async fn count_mail(
    db: &Db,
    recipient: &str,
    max: u32,
    window_ms: f64,
    now: f64,
) -> Result<bool, ApiError> {
    db.exec_changed(
        "INSERT INTO mail_quota (recipient, sent, windowStart) VALUES (?1, 1, ?2)
         ON CONFLICT(recipient) DO UPDATE SET
           sent = CASE WHEN windowStart + ?3 <= ?2 THEN 1 ELSE sent + 1 END,
           windowStart = CASE WHEN windowStart + ?3 <= ?2 THEN ?2 ELSE windowStart END
         WHERE windowStart + ?3 <= ?2 OR sent < ?4",
        &[
            recipient.into(),
            now.into(),
            window_ms.into(),
            f64::from(max).into(),
        ],
    )
    .await
}
