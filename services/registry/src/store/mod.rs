//! Every SQL statement registry runs, by table group. Invariants live inside the
//! statements: a status change only happens from the status it was decided from, and
//! its lifecycle event and audit entry are only written if it did (`changes() > 0` in
//! the same batch, which D1 runs as one transaction).

pub mod billing;
pub mod onboarding;
pub mod platforms;
pub mod records;
pub mod tenants;

use nno_core::page::PageRequest;
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;
use wasm_bindgen::JsValue;

pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub fn n(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

pub use nno_worker::d1::opt;

#[derive(Deserialize)]
struct Count {
    n: f64,
}

/// `SELECT COUNT(*) AS n …` as a number.
pub async fn count(db: &Db, sql: &str, params: &[JsValue]) -> Result<u64, nno_core::ApiError> {
    Ok(db
        .first::<Count>(sql, params)
        .await?
        .map_or(0, |c| c.n as u64))
}

/// One audit entry, written in the same batch as the change it records; with
/// `only_if_changed` it is skipped when the statement before it changed nothing.
pub struct Audit<'a> {
    pub id: String,
    pub platform_id: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: &'a str,
    pub at: i64,
}

pub fn audit(
    db: &Db,
    a: &Audit<'_>,
    only_if_changed: bool,
) -> Result<worker::D1PreparedStatement, nno_core::ApiError> {
    let sql = if only_if_changed {
        "INSERT INTO audit_log (id, platform_id, actor, action, target, before, after, request_id, created_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE changes() > 0"
    } else {
        "INSERT INTO audit_log (id, platform_id, actor, action, target, before, after, request_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    };
    db.stmt(
        sql,
        &[
            s(&a.id),
            s(a.platform_id),
            s(a.actor),
            s(a.action),
            s(a.target),
            opt(a.before.as_deref()),
            opt(a.after.as_deref()),
            s(a.request_id),
            n(a.at),
        ],
    )
}

/// A page of one platform's rows from `table` (whose columns are `columns`).
pub async fn page_of<T: serde::de::DeserializeOwned>(
    db: &Db,
    table: &str,
    columns: &str,
    platform_id: &str,
    page: &PageRequest,
) -> Result<(Vec<T>, u64), ApiError> {
    let (at, id) = page.bounds();
    let rows = db
        .all(
            &format!(
                "SELECT {columns} FROM {table} WHERE platform_id = ?1 AND (created_at, id) < (?2, ?3) \
                 ORDER BY created_at DESC, id DESC LIMIT ?4"
            ),
            &[s(platform_id), n(at), s(&id), n(page.fetch() as i64)],
        )
        .await?;
    let total = count(
        db,
        &format!("SELECT COUNT(*) AS n FROM {table} WHERE platform_id = ?1"),
        &[s(platform_id)],
    )
    .await?;
    Ok((rows, total))
}
