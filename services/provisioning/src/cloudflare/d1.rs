//! D1 databases: create (or find by name), delete, query.

use super::http::Body;
use super::{CfError, CfResult, Cloudflare};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Method;

#[derive(Debug, Clone, Deserialize)]
pub struct D1Database {
    pub uuid: String,
    pub name: String,
}

fn one(v: Value) -> CfResult<D1Database> {
    serde_json::from_value(v).map_err(|_| CfError::Garbled { status: 200 })
}

impl Cloudflare {
    pub async fn d1_create(&self, name: &str) -> CfResult<D1Database> {
        let path = self.account("d1/database");
        one(self
            .call(Method::Post, &path, Body::Json(&json!({ "name": name })))
            .await?)
    }

    /// The database named exactly `name` (`?name=` may match more).
    pub async fn d1_find(&self, name: &str) -> CfResult<Option<D1Database>> {
        let path = self.account(&format!(
            "d1/database?name={}&per_page=100",
            nno_core::urls::encode(name)
        ));
        let list = self.call(Method::Get, &path, Body::None).await?;
        Ok(self::list(list)?.into_iter().find(|d| d.name == name))
    }

    /// The account's databases (first 100; `?name=` matches whole names only).
    pub async fn d1_list(&self) -> CfResult<Vec<D1Database>> {
        let path = self.account("d1/database?per_page=100");
        list(self.call(Method::Get, &path, Body::None).await?)
    }

    pub async fn d1_get(&self, id: &str) -> CfResult<D1Database> {
        let path = self.account(&format!("d1/database/{id}"));
        one(self.call(Method::Get, &path, Body::None).await?)
    }

    pub async fn d1_delete(&self, id: &str) -> CfResult<()> {
        let path = self.account(&format!("d1/database/{id}"));
        self.call(Method::Delete, &path, Body::None)
            .await
            .map(|_| ())
    }

    /// Runs `sql` (one or more statements); the rows of the last statement.
    pub async fn d1_query(&self, id: &str, sql: &str) -> CfResult<Vec<Value>> {
        let path = self.account(&format!("d1/database/{id}/query"));
        let result = self
            .call(Method::Post, &path, Body::Json(&json!({ "sql": sql })))
            .await?;
        let sets = result.as_array().cloned().unwrap_or_default();
        if let Some(failed) = sets
            .iter()
            .find(|s| s.get("success") == Some(&Value::Bool(false)))
        {
            return Err(CfError::Api {
                status: 200,
                codes: vec![],
                message: format!("query failed: {failed}"),
                retry_after: None,
            });
        }
        Ok(sets
            .last()
            .and_then(|s| s.get("results"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }
}

fn list(v: Value) -> CfResult<Vec<D1Database>> {
    serde_json::from_value(v).map_err(|_| CfError::Garbled { status: 200 })
}
