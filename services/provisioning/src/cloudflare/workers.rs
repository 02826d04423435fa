//! Workers scripts (multipart upload), their secrets, and Workers custom domains.

use super::http::Body;
use super::{wire, CfError, CfResult, Cloudflare};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Method;

#[derive(Debug, Clone, Deserialize)]
pub struct WorkerDomain {
    pub id: String,
    pub hostname: String,
    pub service: String,
}

/// A module of a script upload: its name (as `main_module` and imports refer to it)
/// and bytes.
pub struct Module {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Cloudflare {
    /// `PUT …/workers/scripts/{name}` (an upsert): `metadata` and every module.
    pub async fn script_upload(
        &self,
        name: &str,
        metadata: &Value,
        modules: &[Module],
        boundary: &str,
    ) -> CfResult<()> {
        let meta = metadata.to_string();
        let mut parts = vec![wire::Part {
            name: "metadata",
            filename: None,
            content_type: "application/json",
            bytes: meta.as_bytes(),
        }];
        for m in modules {
            parts.push(wire::Part {
                name: &m.name,
                filename: Some(&m.name),
                content_type: wire::module_type(&m.name),
                bytes: &m.bytes,
            });
        }
        let bytes = wire::multipart(boundary, &parts);
        let path = self.account(&format!("workers/scripts/{name}"));
        self.call(
            Method::Put,
            &path,
            Body::Multipart {
                boundary,
                bytes: &bytes,
            },
        )
        .await
        .map(|_| ())
    }

    pub async fn script_delete(&self, name: &str) -> CfResult<()> {
        let path = self.account(&format!("workers/scripts/{name}?force=true"));
        self.call(Method::Delete, &path, Body::None)
            .await
            .map(|_| ())
    }

    /// `PUT …/secrets` (an upsert). The value goes to Cloudflare only.
    pub async fn secret_put(&self, script: &str, name: &str, text: &str) -> CfResult<()> {
        let path = self.account(&format!("workers/scripts/{script}/secrets"));
        let body = json!({ "name": name, "text": text, "type": "secret_text" });
        self.call(Method::Put, &path, Body::Json(&body))
            .await
            .map(|_| ())
    }

    /// The names of a script's secrets (404 if the script does not exist).
    pub async fn secret_names(&self, script: &str) -> CfResult<Vec<String>> {
        let path = self.account(&format!("workers/scripts/{script}/secrets"));
        let list = self.call(Method::Get, &path, Body::None).await?;
        Ok(list
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// `PUT …/workers/domains` (an upsert): `hostname` serves `service`.
    pub async fn domain_attach(&self, hostname: &str, service: &str) -> CfResult<WorkerDomain> {
        let path = self.account("workers/domains");
        // `environment` is required by the 2024 schema and ignored by the newer API.
        let body = json!({
            "hostname": hostname,
            "service": service,
            "zone_id": self.zone_id,
            "environment": "production",
        });
        let v = self.call(Method::Put, &path, Body::Json(&body)).await?;
        serde_json::from_value(v).map_err(|_| CfError::Garbled { status: 200 })
    }

    /// The account's Workers custom domains, optionally only `hostname`'s.
    pub async fn domains(&self, hostname: Option<&str>) -> CfResult<Vec<WorkerDomain>> {
        let path = match hostname {
            Some(h) => self.account(&format!(
                "workers/domains?hostname={}",
                nno_core::urls::encode(h)
            )),
            None => self.account("workers/domains"),
        };
        let v = self.call(Method::Get, &path, Body::None).await?;
        serde_json::from_value(v).map_err(|_| CfError::Garbled { status: 200 })
    }

    pub async fn domain_detach(&self, id: &str) -> CfResult<()> {
        let path = self.account(&format!("workers/domains/{id}"));
        self.call(Method::Delete, &path, Body::None)
            .await
            .map(|_| ())
    }
}
