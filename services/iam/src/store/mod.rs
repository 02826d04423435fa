//! IAM's SQL, all of it, as prepared statements against the `DB` binding.

use crate::dto;
use nno_core::{ApiError, ErrorCode};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

pub fn db(env: &Env) -> Result<D1Database, ApiError> {
    env.d1("DB").map_err(|_| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the IAM database is not bound",
        )
    })
}

mod access;
mod keys;
mod links;
mod tenants;
mod twofactor;
mod verification;

pub use access::*;
pub use keys::*;
pub use links::*;
pub use tenants::*;
pub use twofactor::*;
pub use verification::*;

pub(crate) fn fail(e: worker::Error) -> ApiError {
    nno_worker::log::event(
        "error",
        "iam",
        "d1 query failed",
        serde_json::json!({ "error": e.to_string() }),
    );
    ApiError::internal()
}

/// Runs a statement that returns no rows; the result carries `changes`.
pub(crate) async fn exec(
    db: &D1Database,
    sql: &str,
    params: &[JsValue],
) -> Result<worker::D1Result, ApiError> {
    db.prepare(sql)
        .bind(params)
        .map_err(fail)?
        .run()
        .await
        .map_err(fail)
}

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
    pub email_verified: f64,
    pub image: Option<String>,
    pub role: String,
    pub two_factor_enabled: f64,
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
            email_verified: self.email_verified != 0.0,
            image: self.image.clone(),
            role: self.role.clone(),
            two_factor_enabled: self.two_factor_enabled != 0.0,
            created_at: iso(self.created_at),
            updated_at: iso(self.updated_at),
        }
    }
}

pub(crate) const USER_COLUMNS: &str = r#"u.id, u.name, u.email, u.emailVerified, u.image, u.role, u.twoFactorEnabled, u.createdAt, u.updatedAt"#;

pub async fn user_with_password(db: &D1Database, email: &str) -> Result<Option<UserRow>, ApiError> {
    let sql = format!(
        r#"SELECT {USER_COLUMNS}, a.password FROM "user" u
           LEFT JOIN account a ON a.userId = u.id AND a.providerId = 'credential'
           WHERE u.email = ?1"#
    );
    db.prepare(sql)
        .bind(&[email.into()])
        .map_err(fail)?
        .first::<UserRow>(None)
        .await
        .map_err(fail)
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

pub(crate) fn opt(v: Option<&str>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

fn insert_session(
    db: &D1Database,
    s: &NewSession,
) -> Result<worker::D1PreparedStatement, ApiError> {
    db.prepare(
        "INSERT INTO session (id, token, userId, expiresAt, ipAddress, userAgent, createdAt, updatedAt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )
    .bind(&[
        s.id.into(),
        s.token_hash.into(),
        s.user_id.into(),
        s.expires_at.into(),
        opt(s.ip),
        opt(s.user_agent),
        s.now.into(),
    ])
    .map_err(fail)
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
    db: &D1Database,
    u: &NewUser<'_>,
    now: f64,
) -> Result<[worker::D1PreparedStatement; 2], ApiError> {
    let user = stmt(
        db,
        r#"INSERT INTO "user" (id, name, email, emailVerified, image, role, twoFactorEnabled, createdAt, updatedAt)
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
    let account = stmt(
        db,
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
pub async fn create_user(
    db: &D1Database,
    u: &NewUser<'_>,
    s: &NewSession<'_>,
) -> Result<bool, ApiError> {
    let [user, account] = new_user_statements(db, u, s.now)?;
    match db.batch(vec![user, account, insert_session(db, s)?]).await {
        Ok(_) => Ok(true),
        Err(e) if violates_unique(&e, "user.email") => Ok(false),
        Err(e) => Err(fail(e)),
    }
}

pub async fn create_session(db: &D1Database, s: &NewSession<'_>) -> Result<(), ApiError> {
    insert_session(db, s)?.run().await.map_err(fail).map(|_| ())
}

pub async fn update_password(
    db: &D1Database,
    user_id: &str,
    hash: &str,
    now: f64,
) -> Result<(), ApiError> {
    let sql = "UPDATE account SET password = ?1, updatedAt = ?2 WHERE userId = ?3 AND providerId = 'credential'";
    exec(db, sql, &[hash.into(), now.into(), user_id.into()])
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
    db: &D1Database,
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
        .prepare(sql)
        .bind(&[token_hash.into(), now.into()])
        .map_err(fail)?
        .first::<SessionRow>(None)
        .await
        .map_err(fail)?;
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

pub async fn delete_session(db: &D1Database, token_hash: &str) -> Result<(), ApiError> {
    exec(
        db,
        "DELETE FROM session WHERE token = ?1",
        &[token_hash.into()],
    )
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
    db: &D1Database,
    user_id: &str,
    now: f64,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let rows = db
        .prepare(
            "SELECT id, userId, expiresAt, ipAddress, userAgent, activeOrganizationId, createdAt, updatedAt
             FROM session WHERE userId = ?1 AND expiresAt > ?2 ORDER BY createdAt DESC LIMIT 100",
        )
        .bind(&[user_id.into(), now.into()])
        .map_err(fail)?
        .all()
        .await
        .map_err(fail)?
        .results::<ListedSession>()
        .map_err(fail)?;
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
    db: &D1Database,
    user_id: &str,
    token_hash: &str,
    id: &str,
) -> Result<bool, ApiError> {
    let sql = "DELETE FROM session WHERE userId = ?1 AND (token = ?2 OR id = ?3)";
    let r = exec(db, sql, &[user_id.into(), token_hash.into(), id.into()]).await?;
    Ok(r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) > 0)
}

/// Deletes every session of the user except `keep_token_hash` (all of them if `None`).
pub async fn revoke_sessions(
    db: &D1Database,
    user_id: &str,
    keep_token_hash: Option<&str>,
) -> Result<(), ApiError> {
    let keep = keep_token_hash.map(JsValue::from).unwrap_or(JsValue::NULL);
    let sql = "DELETE FROM session WHERE userId = ?1 AND token IS NOT ?2";
    exec(db, sql, &[user_id.into(), keep]).await.map(|_| ())
}

/// Binds and prepares one statement.
pub(crate) fn stmt(
    db: &D1Database,
    sql: &str,
    params: &[JsValue],
) -> Result<worker::D1PreparedStatement, ApiError> {
    db.prepare(sql).bind(params).map_err(fail)
}

/// The first row of a query, if any.
pub(crate) async fn first<T: serde::de::DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    params: &[JsValue],
) -> Result<Option<T>, ApiError> {
    stmt(db, sql, params)?.first::<T>(None).await.map_err(fail)
}

/// Every row of a query.
pub(crate) async fn all<T: serde::de::DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    params: &[JsValue],
) -> Result<Vec<T>, ApiError> {
    stmt(db, sql, params)?
        .all()
        .await
        .map_err(fail)?
        .results::<T>()
        .map_err(fail)
}

/// Runs statements as one transaction; the results carry `changes`.
pub(crate) async fn batch(
    db: &D1Database,
    statements: Vec<worker::D1PreparedStatement>,
) -> Result<Vec<worker::D1Result>, ApiError> {
    db.batch(statements).await.map_err(fail)
}

/// Runs a statement; whether it changed any row.
pub(crate) async fn exec_changed(
    db: &D1Database,
    sql: &str,
    params: &[JsValue],
) -> Result<bool, ApiError> {
    Ok(changes(&exec(db, sql, params).await?) > 0)
}

/// Whether a D1 error is the UNIQUE constraint on `table.column` failing.
pub(crate) fn violates_unique(e: &worker::Error, column: &str) -> bool {
    e.to_string()
        .contains(&format!("UNIQUE constraint failed: {column}"))
}

/// Rows a statement changed.
pub(crate) fn changes(r: &worker::D1Result) -> usize {
    r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}

/// The user with this id.
pub async fn user_by_id(db: &D1Database, id: &str) -> Result<Option<UserRow>, ApiError> {
    let sql = format!(
        r#"SELECT {USER_COLUMNS}, a.password FROM "user" u
           LEFT JOIN account a ON a.userId = u.id AND a.providerId = 'credential'
           WHERE u.id = ?1"#
    );
    first(db, &sql, &[id.into()]).await
}
