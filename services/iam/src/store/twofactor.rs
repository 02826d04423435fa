//! Two-factor state: the sealed TOTP secret and hashed backup codes.

use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwoFactorRow {
    pub secret: String,
    pub backup_codes: String,
    pub locked_until: f64,
}

impl TwoFactorRow {
    pub fn codes(&self) -> Vec<String> {
        serde_json::from_str(&self.backup_codes).unwrap_or_default()
    }
}

pub async fn two_factor(db: &Db, user_id: &str) -> Result<Option<TwoFactorRow>, ApiError> {
    db.first(
        "SELECT secret, backupCodes, lockedUntil FROM twoFactor WHERE userId = ?1",
        &[user_id.into()],
    )
    .await
}

/// Stores a new secret and codes (replacing any earlier, unverified ones).
pub async fn put_two_factor(
    db: &Db,
    id: &str,
    user_id: &str,
    sealed: &str,
    codes_json: &str,
    now: f64,
) -> Result<(), ApiError> {
    db.exec("INSERT INTO twoFactor (id, userId, secret, backupCodes, createdAt) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (userId) DO UPDATE SET secret = excluded.secret,
           backupCodes = excluded.backupCodes, createdAt = excluded.createdAt",
        &[id.into(), user_id.into(), sealed.into(), codes_json.into(), now.into()],
    )
    .await
    .map(|_| ())
}

/// Replaces the backup codes only if they are still `expected` (so two requests cannot
/// both redeem the same code).
pub async fn swap_backup_codes(
    db: &Db,
    user_id: &str,
    expected: &str,
    codes_json: &str,
) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE twoFactor SET backupCodes = ?3 WHERE userId = ?1 AND backupCodes = ?2",
        &[user_id.into(), expected.into(), codes_json.into()],
    )
    .await
}

pub async fn set_two_factor_enabled(
    db: &Db,
    user_id: &str,
    enabled: bool,
    now: f64,
) -> Result<(), ApiError> {
    let mut statements = vec![db.stmt(
        r#"UPDATE "user" SET twoFactorEnabled = ?2, updatedAt = ?3 WHERE id = ?1"#,
        &[user_id.into(), (enabled as i32).into(), now.into()],
    )?];
    if !enabled {
        statements.push(db.stmt("DELETE FROM twoFactor WHERE userId = ?1", &[user_id.into()])?);
    }
    db.batch(statements).await.map(|_| ())
}

/// Records `step` as the user's last accepted TOTP step; false if it (or a later one)
/// was already used. One statement, so two requests cannot both use one code.
pub async fn use_totp_step(db: &Db, user_id: &str, step: u64) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE twoFactor SET lastUsedStep = ?2 WHERE userId = ?1 AND lastUsedStep < ?2",
        &[user_id.into(), (step as f64).into()],
    )
    .await
}

/// Counts a wrong code; the tenth in a row locks verification until `lock_until`.
pub async fn record_two_factor_failure(
    db: &Db,
    user_id: &str,
    failures_to_lock: u32,
    lock_until: f64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE twoFactor SET
           failedCount = CASE WHEN failedCount + 1 >= ?2 THEN 0 ELSE failedCount + 1 END,
           lockedUntil = CASE WHEN failedCount + 1 >= ?2 THEN ?3 ELSE lockedUntil END
         WHERE userId = ?1",
        &[user_id.into(), failures_to_lock.into(), lock_until.into()],
    )
    .await
    .map(|_| ())
}

pub async fn clear_two_factor_failures(db: &Db, user_id: &str) -> Result<(), ApiError> {
    db.exec(
        "UPDATE twoFactor SET failedCount = 0 WHERE userId = ?1 AND failedCount > 0",
        &[user_id.into()],
    )
    .await
    .map(|_| ())
}
