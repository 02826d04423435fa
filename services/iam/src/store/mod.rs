//! IAM's SQL, all of it, as prepared statements against the `DB` binding.

use crate::dto;
use nno_core::ApiError;
use nno_worker::d1::{opt, Db};
use nno_worker::RequestContext;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

/// IAM's database (the `DB` binding), for this request.
pub fn db(env: &Env, ctx: &RequestContext) -> Result<Db, ApiError> {
    Db::bind(env, "DB", ctx)
}

mod access;
mod guard;
mod keys;
mod links;
mod tenants;
mod twofactor;
mod verification;

pub use access::*;
pub use guard::*;
pub use keys::*;
pub use links::*;
pub use tenants::*;
pub use twofactor::*;
pub use verification::*;

pub(crate) fn iso(ms: f64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms))
        .to_iso_string()
        .into()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(deserialize_with = "nno_worker::d1::boolean")]
    pub email_verified: bool,
    pub image: Option<String>,
    pub role: String,
    #[serde(deserialize_with = "nno_worker::d1::boolean")]
    pub two_factor_enabled: bool,
    pub created_at: f64,
    pub updated_at: f64,
    /// The credential account's stored hash, where the query joins it.
    #[serde(default)]
    pub password: Option<String>,
}

impl UserRow {
    pub fn to_dto(&self) -> dto::User {
        dto::User {
            id: self.id.clone(),
            name: self.name.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            image: self.image.clone(),
            role: self.role.clone(),
            two_factor_enabled: self.two_factor_enabled,
            created_at: iso(self.created_at),
            updated_at: iso(self.updated_at),
        }
    }
}

pub(crate) const USER_COLUMNS: &str = r#"u.id, u.name, u.email, u.emailVerified, u.image, u.role, u.twoFactorEnabled, u.createdAt, u.updatedAt"#;

pub async fn user_with_password(db: &Db, email: &str) -> Result<Option<UserRow>, ApiError> {
    let sql = format!(
        r#"SELECT {USER_COLUMNS}, a.password FROM "user" u
           LEFT JOIN account a ON a.userId = u.id AND a.providerId = 'credential'
           WHERE u.email = ?1"#
    );
    db.first::<UserRow>(&sql, &[email.into()]).await
}

pub struct NewSession<'a> {
    pub id: &'a str,
    pub token_hash: &'a str,
    pub user_id: &'a str,
    pub expires_at: f64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub now: f64,
}

fn insert_session(db: &Db, s: &NewSession) -> Result<worker::D1PreparedStatement, ApiError> {
    db.stmt(
        "INSERT INTO session (id, token, userId, expiresAt, ipAddress, userAgent, createdAt, updatedAt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        &[
        s.id.into(),
        s.token_hash.into(),
        s.user_id.into(),
        s.expires_at.into(),
        opt(s.ip),
        opt(s.user_agent),
        s.now.into(),
    ])
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub image: Option<&'a str>,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub verified: bool,
}

/// The user row and their credential account.
pub(crate) fn new_user_statements(
    db: &Db,
    u: &NewUser<'_>,
    now: f64,
) -> Result<[worker::D1PreparedStatement; 2], ApiError> {
    let user = db.stmt(r#"INSERT INTO "user" (id, name, email, emailVerified, image, role, twoFactorEnabled, createdAt, updatedAt)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)"#,
        &[
            u.id.into(),
            u.name.into(),
            u.email.into(),
            (u.verified as i32).into(),
            opt(u.image),
            u.role.into(),
            now.into(),
        ],
    )?;
    let account = db.stmt(
        "INSERT INTO account (id, accountId, providerId, userId, password, createdAt, updatedAt)
         VALUES (?1, ?2, 'credential', ?2, ?3, ?4, ?4)",
        &[
            u.account_id.into(),
            u.id.into(),
            u.password_hash.into(),
            now.into(),
        ],
    )?;
    Ok([user, account])
}

/// The user, their credential account and their first session, in one batch (D1 runs
/// a batch as one transaction: a failure leaves nothing half-created). Returns false
/// when the e-mail is already taken.
pub async fn create_user(db: &Db, u: &NewUser<'_>, s: &NewSession<'_>) -> Result<bool, ApiError> {
    let [user, account] = new_user_statements(db, u, s.now)?;
    let written = db
        .batch_unique(vec![user, account, insert_session(db, s)?], &["user.email"])
        .await?;
    Ok(written.is_ok())
}

pub async fn create_session(db: &Db, s: &NewSession<'_>) -> Result<(), ApiError> {
    insert_session(db, s)?
        .run()
        .await
        .map_err(|e| db.fail(e))
        .map(|_| ())
}

pub async fn update_password(db: &Db, user_id: &str, hash: &str, now: f64) -> Result<(), ApiError> {
    let sql = "UPDATE account SET password = ?1, updatedAt = ?2 WHERE userId = ?3 AND providerId = 'credential'";
    db.exec(sql, &[hash.into(), now.into(), user_id.into()])
        .await
        .map(|_| ())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionRow {
    session_id: String,
    expires_at_ms: f64,
    ip_address: Option<String>,
    user_agent: Option<String>,
    active_organization_id: Option<String>,
    session_created_at: f64,
    session_updated_at: f64,
    #[serde(flatten)]
    user: UserRow,
}

/// The live session whose token hashes to `token_hash`, with its user.
pub async fn session(
    db: &Db,
    token: &str,
    token_hash: &str,
    now: f64,
) -> Result<Option<dto::SessionAndUser>, ApiError> {
    let sql = format!(
        r#"SELECT s.id AS sessionId, s.expiresAt AS expiresAtMs, s.ipAddress, s.userAgent,
                  s.activeOrganizationId, s.createdAt AS sessionCreatedAt, s.updatedAt AS sessionUpdatedAt,
                  {USER_COLUMNS}
           FROM session s JOIN "user" u ON u.id = s.userId
           WHERE s.token = ?1 AND s.expiresAt > ?2"#
    );
    let row = db
        .first::<SessionRow>(&sql, &[token_hash.into(), now.into()])
        .await?;
    Ok(row.map(|r| dto::SessionAndUser {
        session: dto::Session {
            id: r.session_id,
            token: token.to_string(),
            user_id: r.user.id.clone(),
            expires_at: iso(r.expires_at_ms),
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            active_organization_id: r.active_organization_id,
            created_at: iso(r.session_created_at),
            updated_at: iso(r.session_updated_at),
        },
        user: r.user.to_dto(),
    }))
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), ApiError> {
    db.exec("DELETE FROM session WHERE token = ?1", &[token_hash.into()])
        .await
        .map(|_| ())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListedSession {
    id: String,
    user_id: String,
    expires_at: f64,
    ip_address: Option<String>,
    user_agent: Option<String>,
    active_organization_id: Option<String>,
    created_at: f64,
    updated_at: f64,
}

/// A user's live sessions, newest first. Tokens are not stored, so `token` holds the
/// session id, which revoke-session accepts (it signs nobody in).
pub async fn list_sessions(
    db: &Db,
    user_id: &str,
    now: f64,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let rows = db
        .all::<ListedSession>(
            "SELECT id, userId, expiresAt, ipAddress, userAgent, activeOrganizationId, createdAt, updatedAt
             FROM session WHERE userId = ?1 AND expiresAt > ?2 ORDER BY createdAt DESC LIMIT 100",
            &[user_id.into(), now.into()],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id, "token": r.id, "userId": r.user_id, "expiresAt": iso(r.expires_at),
                "ipAddress": r.ip_address, "userAgent": r.user_agent,
                "activeOrganizationId": r.active_organization_id,
                "createdAt": iso(r.created_at), "updatedAt": iso(r.updated_at),
            })
        })
        .collect())
}

/// Deletes the user's session with this token hash or this id; false if there was none.
pub async fn revoke_session(
    db: &Db,
    user_id: &str,
    token_hash: &str,
    id: &str,
) -> Result<bool, ApiError> {
    let sql = "DELETE FROM session WHERE userId = ?1 AND (token = ?2 OR id = ?3)";
    let r = db
        .exec(sql, &[user_id.into(), token_hash.into(), id.into()])
        .await?;
    Ok(r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) > 0)
}

/// Deletes every session of the user except `keep_token_hash` (all of them if `None`).
pub async fn revoke_sessions(
    db: &Db,
    user_id: &str,
    keep_token_hash: Option<&str>,
) -> Result<(), ApiError> {
    let keep = keep_token_hash.map(JsValue::from).unwrap_or(JsValue::NULL);
    let sql = "DELETE FROM session WHERE userId = ?1 AND token IS NOT ?2";
    db.exec(sql, &[user_id.into(), keep]).await.map(|_| ())
}

/// The user with this id.
pub async fn user_by_id(db: &Db, id: &str) -> Result<Option<UserRow>, ApiError> {
    let sql = format!(
        r#"SELECT {USER_COLUMNS}, a.password FROM "user" u
           LEFT JOIN account a ON a.userId = u.id AND a.providerId = 'credential'
           WHERE u.id = ?1"#
    );
    db.first(&sql, &[id.into()]).await
}
