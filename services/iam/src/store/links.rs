//! Writes behind the e-mailed-link flows: password reset, e-mail verification, magic
//! link sign-up.

use nno_core::ApiError;
use nno_worker::d1::Db;

/// Sets the password (creating the credential account if the user had none, e.g. a
/// social or magic-link user) and ends every session of the user; one transaction.
pub async fn reset_password(
    db: &Db,
    user_id: &str,
    account_id: &str,
    hash: &str,
    now: f64,
) -> Result<(), ApiError> {
    db.batch(vec![
            db.stmt("INSERT INTO account (id, accountId, providerId, userId, password, createdAt, updatedAt)
                 VALUES (?1, ?2, 'credential', ?2, ?3, ?4, ?4)
                 ON CONFLICT (providerId, accountId) DO UPDATE SET password = excluded.password,
                   updatedAt = excluded.updatedAt",
                &[account_id.into(), user_id.into(), hash.into(), now.into()],
            )?,
            db.stmt("DELETE FROM session WHERE userId = ?1", &[user_id.into()])?,
        ],
    )
    .await
    .map(|_| ())
}

pub async fn mark_verified(
    db: &Db,
    user_id: &str,
    email: &str,
    now: f64,
) -> Result<bool, ApiError> {
    db.exec_changed(
        r#"UPDATE "user" SET emailVerified = 1, updatedAt = ?3 WHERE id = ?1 AND email = ?2"#,
        &[user_id.into(), email.into(), now.into()],
    )
    .await
}

/// A user who signs up through a link or a provider: no password; e-mail verified when
/// the link or the provider proved it.
pub async fn create_passwordless_user(
    db: &Db,
    id: &str,
    name: &str,
    email: &str,
    image: Option<&str>,
    verified: bool,
    now: f64,
) -> Result<bool, ApiError> {
    db.exec_changed(r#"INSERT INTO "user" (id, name, email, emailVerified, image, role, twoFactorEnabled, createdAt, updatedAt)
           VALUES (?1, ?2, ?3, ?6, ?4, 'user', 0, ?5, ?5)
           ON CONFLICT (email) DO NOTHING"#,
        &[
            id.into(),
            name.into(),
            email.into(),
            super::opt(image),
            now.into(),
            (verified as i32).into(),
        ],
    )
    .await
}

/// Someone proved they own the address of an account that was never verified: whoever
/// registered it before (perhaps not them) loses the password, sessions, API keys and
/// second factor they set up.
pub async fn claim_unverified(db: &Db, user_id: &str, now: f64) -> Result<(), ApiError> {
    db.batch(vec![
            db.stmt("DELETE FROM account WHERE userId = ?1",
                &[user_id.into()],
            )?,
            db.stmt("DELETE FROM session WHERE userId = ?1",
                &[user_id.into()],
            )?,
            // Keys and a second factor set up before the address was proven are not the
            // owner's either.
            db.stmt("DELETE FROM apikey WHERE userId = ?1", &[user_id.into()])?,
            db.stmt("DELETE FROM twoFactor WHERE userId = ?1", &[user_id.into()])?,
            db.stmt(super::FORGET_TRUSTED_DEVICES, &[user_id.into()])?,
            db.stmt(r#"UPDATE "user" SET emailVerified = 1, twoFactorEnabled = 0, updatedAt = ?2 WHERE id = ?1"#,
                &[user_id.into(), now.into()],
            )?,
        ],
    )
    .await
    .map(|_| ())
}

/// The user an external account (provider, id at the provider) belongs to.
pub async fn user_of_account(
    db: &Db,
    provider: &str,
    account_id: &str,
) -> Result<Option<String>, ApiError> {
    #[derive(serde::Deserialize)]
    struct Row {
        #[serde(rename = "userId")]
        user_id: String,
    }
    Ok(db
        .first::<Row>(
            "SELECT userId FROM account WHERE providerId = ?1 AND accountId = ?2",
            &[provider.into(), account_id.into()],
        )
        .await?
        .map(|r| r.user_id))
}

pub async fn link_account(
    db: &Db,
    id: &str,
    provider: &str,
    account_id: &str,
    user_id: &str,
    scope: &str,
    now: f64,
) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO account (id, accountId, providerId, userId, scope, createdAt, updatedAt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (providerId, accountId) DO NOTHING",
        &[
            id.into(),
            account_id.into(),
            provider.into(),
            user_id.into(),
            scope.into(),
            now.into(),
        ],
    )
    .await
    .map(|_| ())
}
