//! D1 for every service: prepared statements only, batches as transactions, row
//! mapping through serde, UNIQUE-violation checks, and failures logged with the
//! service and request id (the client gets a 500 envelope with that request id).

use crate::context::RequestContext;
use nno_core::{ApiError, ErrorCode, Service};
use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

/// A bound database and the request it serves (for the log line of a failure).
pub struct Db {
    inner: D1Database,
    service: Service,
    request_id: String,
}

impl Db {
    /// The D1 database bound as `binding`, or 503 if this deployment has none.
    pub fn bind(env: &Env, binding: &str, ctx: &RequestContext) -> Result<Db, ApiError> {
        let inner = env.d1(binding).map_err(|e| {
            ApiError::new(
                ErrorCode::ServiceUnavailable,
                format!("the {} database is not bound", ctx.service),
            )
            .with_cause(format!("binding {binding}: {e}"))
        })?;
        Ok(Db {
            inner,
            service: ctx.service,
            request_id: ctx.request_id.clone(),
        })
    }

    /// A D1 failure: logged with the service and request id, answered as a 500.
    pub fn fail(&self, e: worker::Error) -> ApiError {
        crate::log::event(
            "error",
            self.service.name(),
            "d1 query failed",
            serde_json::json!({ "requestId": self.request_id, "error": e.to_string() }),
        );
        ApiError::internal().with_cause(format!("d1: {e}"))
    }

    /// Binds and prepares one statement.
    pub fn stmt(&self, sql: &str, params: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
        self.inner
            .prepare(sql)
            .bind(params)
            .map_err(|e| self.fail(e))
    }

    /// Runs a statement that returns no rows; the result carries `changes`.
    pub async fn exec(&self, sql: &str, params: &[JsValue]) -> Result<D1Result, ApiError> {
        self.stmt(sql, params)?
            .run()
            .await
            .map_err(|e| self.fail(e))
    }

    /// Runs a statement; whether it changed any row.
    pub async fn exec_changed(&self, sql: &str, params: &[JsValue]) -> Result<bool, ApiError> {
        Ok(changes(&self.exec(sql, params).await?) > 0)
    }

    /// The first row of a query, if any.
    pub async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[JsValue],
    ) -> Result<Option<T>, ApiError> {
        self.stmt(sql, params)?
            .first::<T>(None)
            .await
            .map_err(|e| self.fail(e))
    }

    /// Every row of a query.
    pub async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[JsValue],
    ) -> Result<Vec<T>, ApiError> {
        self.stmt(sql, params)?
            .all()
            .await
            .map_err(|e| self.fail(e))?
            .results::<T>()
            .map_err(|e| self.fail(e))
    }

    /// Runs statements as one transaction; the results carry `changes`.
    pub async fn batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<D1Result>, ApiError> {
        self.inner.batch(statements).await.map_err(|e| self.fail(e))
    }

    /// `batch`, where a UNIQUE violation on one of `columns` (`table.column`) is not
    /// a failure but `Ok(Err(column))`, for the caller to answer (usually 409).
    pub async fn batch_unique(
        &self,
        statements: Vec<D1PreparedStatement>,
        columns: &[&'static str],
    ) -> Result<Result<Vec<D1Result>, &'static str>, ApiError> {
        match self.inner.batch(statements).await {
            Ok(r) => Ok(Ok(r)),
            Err(e) => self.unique(e, columns).map(Err),
        }
    }

    /// `exec`, with a UNIQUE violation on one of `columns` as `Ok(Err(column))`.
    pub async fn exec_unique(
        &self,
        sql: &str,
        params: &[JsValue],
        columns: &[&'static str],
    ) -> Result<Result<D1Result, &'static str>, ApiError> {
        match self.stmt(sql, params)?.run().await {
            Ok(r) => Ok(Ok(r)),
            Err(e) => self.unique(e, columns).map(Err),
        }
    }

    fn unique(&self, e: worker::Error, columns: &[&'static str]) -> Result<&'static str, ApiError> {
        let message = e.to_string();
        columns
            .iter()
            .find(|c| violates_unique(&message, c))
            .copied()
            .ok_or_else(|| self.fail(e))
    }
}

/// Whether a D1 error message is the UNIQUE constraint on `column` (`table.column`).
pub fn violates_unique(message: &str, column: &str) -> bool {
    message.contains(&format!("UNIQUE constraint failed: {column}"))
}

/// Rows a statement changed.
pub fn changes(r: &D1Result) -> usize {
    r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}

/// An optional text parameter (`NULL` when absent).
pub fn opt(v: Option<&str>) -> JsValue {
    v.map(JsValue::from).unwrap_or(JsValue::NULL)
}

/// SQLite has no boolean type: D1 returns 0/1 (as numbers), which this reads as a
/// `bool` (`#[serde(deserialize_with = "nno_worker::d1::boolean")]`).
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Num(f64),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Bool(b) => b,
        Raw::Num(n) => n != 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Row {
        #[serde(deserialize_with = "boolean")]
        flag: bool,
    }

    #[test]
    fn booleans_read_from_numbers() {
        let row = |j: &str| serde_json::from_str::<Row>(j).map(|r| r.flag);
        assert!(row(r#"{"flag":1}"#).unwrap());
        assert!(row(r#"{"flag":1.0}"#).unwrap());
        assert!(!row(r#"{"flag":0}"#).unwrap());
        assert!(row(r#"{"flag":true}"#).unwrap());
        assert!(row(r#"{"flag":"yes"}"#).is_err());
    }

    #[test]
    fn unique_violations_name_their_column() {
        let msg = "D1_ERROR: UNIQUE constraint failed: user.email: SQLITE_CONSTRAINT";
        assert!(violates_unique(msg, "user.email"));
        assert!(!violates_unique(msg, "organization.slug"));
    }
}
