//! Custom hostnames (Cloudflare for SaaS) on NNO's zone, with DV certificates by HTTP
//! validation.

use super::http::Body;
use super::{CfError, CfResult, Cloudflare};
use nno_core::platform::SslStatus;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Method;

#[derive(Debug, Clone, Deserialize)]
pub struct CustomHostname {
    pub id: String,
    pub hostname: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub ssl: Option<Ssl>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Ssl {
    #[serde(default)]
    pub status: Option<String>,
}

impl CustomHostname {
    /// Ready is `status: active` and `ssl.status: active`; a timed-out, expired or
    /// blocked one has failed; everything else is still on its way.
    pub fn ssl_status(&self) -> SslStatus {
        let ssl = self
            .ssl
            .as_ref()
            .and_then(|s| s.status.as_deref())
            .unwrap_or("");
        let status = self.status.as_deref().unwrap_or("");
        if status == "active" && ssl == "active" {
            return SslStatus::Active;
        }
        let failed_ssl =
            ssl.ends_with("_timed_out") || matches!(ssl, "expired" | "deleted" | "inactive");
        let failed_host = matches!(
            status,
            "blocked" | "moved" | "deleted" | "test_failed" | "test_blocked"
        );
        if failed_ssl || failed_host {
            SslStatus::Failed
        } else {
            SslStatus::Pending
        }
    }
}

fn one(v: Value) -> CfResult<CustomHostname> {
    serde_json::from_value(v).map_err(|_| CfError::Garbled { status: 200 })
}

impl Cloudflare {
    pub async fn hostname_create(
        &self,
        hostname: &str,
        metadata: &Value,
    ) -> CfResult<CustomHostname> {
        let path = self.zone("custom_hostnames");
        let body = json!({
            "hostname": hostname,
            "ssl": { "method": "http", "type": "dv" },
            "custom_metadata": metadata,
        });
        one(self.call(Method::Post, &path, Body::Json(&body)).await?)
    }

    /// The custom hostname named exactly `hostname`.
    pub async fn hostname_find(&self, hostname: &str) -> CfResult<Option<CustomHostname>> {
        let path = self.zone(&format!(
            "custom_hostnames?hostname={}",
            nno_core::urls::encode(hostname)
        ));
        let v = self.call(Method::Get, &path, Body::None).await?;
        let all: Vec<CustomHostname> =
            serde_json::from_value(v).map_err(|_| CfError::Garbled { status: 200 })?;
        Ok(all.into_iter().find(|h| h.hostname == hostname))
    }

    pub async fn hostname_get(&self, id: &str) -> CfResult<CustomHostname> {
        let path = self.zone(&format!("custom_hostnames/{id}"));
        one(self.call(Method::Get, &path, Body::None).await?)
    }

    pub async fn hostname_delete(&self, id: &str) -> CfResult<()> {
        let path = self.zone(&format!("custom_hostnames/{id}"));
        self.call(Method::Delete, &path, Body::None)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(status: &str, ssl: &str) -> CustomHostname {
        serde_json::from_value(
            json!({"id": "1", "hostname": "a", "status": status, "ssl": {"status": ssl}}),
        )
        .unwrap()
    }

    #[test]
    fn ssl_status_follows_both_fields() {
        assert_eq!(h("active", "active").ssl_status(), SslStatus::Active);
        assert_eq!(
            h("pending", "pending_validation").ssl_status(),
            SslStatus::Pending
        );
        assert_eq!(
            h("active", "pending_deployment").ssl_status(),
            SslStatus::Pending
        );
        assert_eq!(
            h("pending", "validation_timed_out").ssl_status(),
            SslStatus::Failed
        );
        assert_eq!(h("blocked", "active").ssl_status(), SslStatus::Failed);
    }
}
