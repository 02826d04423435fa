//! Single-use verification values (magic links, password resets, e-mail verification,
//! OAuth state, two-factor challenges) in Better Auth's `verification` table. The
//! identifier is a hash of the token handed out, so the table never holds a usable token.

use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;

fn insert(
    db: &Db,
    id: &str,
    identifier: &str,
    value: &str,
    expires_at: f64,
    now: f64,
) -> Result<worker::D1PreparedStatement, ApiError> {
    db.stmt(
        "INSERT INTO verification (id, identifier, value, expiresAt, createdAt, updatedAt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        &[
            id.into(),
            identifier.into(),
            value.into(),
            expires_at.into(),
            now.into(),
        ],
    )
}

pub async fn put_verification(
    db: &Db,
    id: &str,
    identifier: &str,
    value: &str,
    expires_at: f64,
    now: f64,
) -> Result<(), ApiError> {
    insert(db, id, identifier, value, expires_at, now)?
        .run()
        .await
        .map_err(|e| db.fail(e))
        .map(|_| ())
}

/// Stores a password-reset token for `user_id` and, in the same transaction, deletes
/// every earlier one of that user, so only the newest link works.
pub async fn replace_reset_token(
    db: &Db,
    id: &str,
    identifier: &str,
    user_id: &str,
    expires_at: f64,
    now: f64,
) -> Result<(), ApiError> {
    db.batch(vec![
        db.stmt(
            "DELETE FROM verification WHERE identifier LIKE 'reset-password:%' AND value = ?1",
            &[user_id.into()],
        )?,
        insert(db, id, identifier, user_id, expires_at, now)?,
    ])
    .await
    .map(|_| ())
}

/// Takes (reads and deletes, atomically) a live value; `None` if missing or expired.
pub async fn take_verification(
    db: &Db,
    identifier: &str,
    now: f64,
) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct V {
        value: String,
        #[serde(rename = "expiresAt")]
        expires_at: f64,
    }
    let v: Option<V> = db
        .first(
            "DELETE FROM verification WHERE identifier = ?1 RETURNING value, expiresAt",
            &[identifier.into()],
        )
        .await?;
    Ok(v.filter(|v| v.expires_at > now).map(|v| v.value))
}

/// Reads a live value without consuming it.
pub async fn peek_verification(
    db: &Db,
    identifier: &str,
    now: f64,
) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct V {
        value: String,
    }
    let v: Option<V> = db
        .first(
            "SELECT value FROM verification WHERE identifier = ?1 AND expiresAt > ?2",
            &[identifier.into(), now.into()],
        )
        .await?;
    Ok(v.map(|v| v.value))
}

/// Counts one attempt on a live JSON value's `attempts` field, atomically, and returns
/// the value as it now is (`None` if missing or expired). Counting before checking
/// means parallel guesses cannot all pass one read of the count.
pub async fn count_attempt(
    db: &Db,
    identifier: &str,
    now: f64,
) -> Result<Option<String>, ApiError> {
    #[derive(Deserialize)]
    struct V {
        value: String,
    }
    let v: Option<V> = db.first("UPDATE verification
         SET value = json_set(value, '$.attempts', COALESCE(json_extract(value, '$.attempts'), 0) + 1)
         WHERE identifier = ?1 AND expiresAt > ?2
         RETURNING value",
        &[identifier.into(), now.into()],
    )
    .await?;
    Ok(v.map(|v| v.value))
}

/// Trusted devices are verification rows keyed `trust:<userId>:<token hash>`, so all of
/// one user's fall in one index range. `FORGET_TRUSTED_DEVICES` (parameter 1: the user
/// id) deletes them; also used inside other batches.
pub const FORGET_TRUSTED_DEVICES: &str =
    "DELETE FROM verification WHERE identifier >= 'trust:' || ?1 || ':' AND identifier < 'trust:' || ?1 || ';'";

pub fn trusted_device_identifier(user_id: &str, token_hash: &str) -> String {
    format!("trust:{user_id}:{token_hash}")
}

pub async fn forget_trusted_devices(db: &Db, user_id: &str) -> Result<(), ApiError> {
    db.exec(FORGET_TRUSTED_DEVICES, &[user_id.into()])
        .await
        .map(|_| ())
}
