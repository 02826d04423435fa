//! `resources`, `dns_records` and `audit_log`: what provisioning reported, and the
//! audit trail. Provisioning's events arrive at least once and in any order, so each
//! write only lands if its event is newer than the row (`updated_at`), and a repeat
//! of the same event changes nothing.

use super::{n, page_of, s};
use nno_core::page::PageRequest;
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct Resource {
    pub id: String,
    pub stack_id: String,
    pub kind: String,
    pub name: String,
    pub cloudflare_id: Option<String>,
    pub environment: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct DnsRecord {
    pub id: String,
    pub stack_id: String,
    pub hostname: String,
    pub environment: String,
    pub target: String,
    pub ssl_status: String,
    pub custom_hostname_id: Option<String>,
    #[serde(deserialize_with = "nno_worker::d1::boolean")]
    pub removed: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct AuditEntry {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: String,
    pub created_at: i64,
}

pub async fn resources(
    db: &Db,
    platform_id: &str,
    page: &PageRequest,
) -> Result<(Vec<Resource>, u64), ApiError> {
    page_of(
        db,
        "resources",
        "id, stack_id, kind, name, cloudflare_id, environment, status, created_at, updated_at",
        platform_id,
        page,
    )
    .await
}

pub async fn dns(
    db: &Db,
    platform_id: &str,
    page: &PageRequest,
) -> Result<(Vec<DnsRecord>, u64), ApiError> {
    page_of(
        db,
        "dns_records",
        "id, stack_id, hostname, environment, target, ssl_status, custom_hostname_id, removed, created_at, updated_at",
        platform_id,
        page,
    )
    .await
}

pub async fn audit(
    db: &Db,
    platform_id: &str,
    page: &PageRequest,
) -> Result<(Vec<AuditEntry>, u64), ApiError> {
    page_of(
        db,
        "audit_log",
        "id, actor, action, target, before, after, request_id, created_at",
        platform_id,
        page,
    )
    .await
}

pub struct ResourceFact<'a> {
    pub platform_id: &'a str,
    pub stack: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub cloudflare_id: Option<&'a str>,
    pub environment: &'a str,
    pub status: &'a str,
    pub at: i64,
}

/// Records that a resource exists (or was removed), unless a newer fact is stored.
pub async fn put_resource(db: &Db, f: &ResourceFact<'_>) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO resources (id, platform_id, stack_id, kind, name, cloudflare_id, environment, status, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9 WHERE EXISTS (SELECT 1 FROM platforms WHERE id = ?2) \
         ON CONFLICT (platform_id, kind, name, environment) DO UPDATE SET \
         cloudflare_id = COALESCE(excluded.cloudflare_id, resources.cloudflare_id), status = excluded.status, \
         stack_id = excluded.stack_id, updated_at = excluded.updated_at \
         WHERE excluded.updated_at > resources.updated_at",
        &[
            s(&crate::ids::row_id()),
            s(f.platform_id),
            s(f.stack),
            s(f.kind),
            s(f.name),
            super::opt(f.cloudflare_id),
            s(f.environment),
            s(f.status),
            n(f.at),
        ],
    )
    .await?;
    Ok(())
}

pub struct DnsFact<'a> {
    pub platform_id: &'a str,
    pub stack: &'a str,
    pub hostname: &'a str,
    pub environment: &'a str,
    pub target: &'a str,
    pub custom_hostname_id: &'a str,
    pub ssl_status: &'a str,
    pub at: i64,
}

pub async fn put_dns(db: &Db, f: &DnsFact<'_>) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO dns_records (id, platform_id, stack_id, hostname, environment, target, ssl_status, custom_hostname_id, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9 WHERE EXISTS (SELECT 1 FROM platforms WHERE id = ?2) \
         ON CONFLICT (hostname) DO UPDATE SET ssl_status = excluded.ssl_status, \
         custom_hostname_id = excluded.custom_hostname_id, target = excluded.target, removed = 0, \
         updated_at = excluded.updated_at \
         WHERE excluded.updated_at > dns_records.updated_at AND dns_records.platform_id = excluded.platform_id",
        &[
            s(&crate::ids::row_id()),
            s(f.platform_id),
            s(f.stack),
            s(f.hostname),
            s(f.environment),
            s(f.target),
            s(f.ssl_status),
            s(f.custom_hostname_id),
            n(f.at),
        ],
    )
    .await?;
    Ok(())
}

pub async fn remove_dns(
    db: &Db,
    platform_id: &str,
    hostname: &str,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE dns_records SET removed = 1, updated_at = ?3 WHERE platform_id = ?1 AND hostname = ?2 AND updated_at < ?3",
        &[s(platform_id), s(hostname), n(at)],
    )
    .await?;
    Ok(())
}
