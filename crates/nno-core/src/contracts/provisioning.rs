//! Registry ↔ provisioning. Registry asks provisioning for jobs over the service
//! binding (`POST /api/v1/provision/...`, signed as `Identity::Internal`); provisioning
//! tells registry what happened by publishing `RegistryEvent`s on the registry-events
//! queue, because nothing may point back at registry (the seed's binding graph).
//! Delivery is at least once and unordered: every event has an id and the time it
//! describes, and registry applies each one idempotently.

use crate::platform::{ResourceKind, SslStatus};
use serde::{Deserialize, Serialize};

/// Queue names, without the `-stg` suffix staging adds.
pub const PROVISION_QUEUE: &str = "nno-k3m9p2xw7q-provision-queue";
pub const PROVISION_DLQ: &str = "nno-k3m9p2xw7q-provision-dlq";
pub const REGISTRY_EVENTS_QUEUE: &str = "nno-k3m9p2xw7q-registry-events";

/// `POST /api/v1/provision/platform`: bootstrap a platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BootstrapRequest {
    pub platform_id: String,
    pub plan_tier: String,
    pub billing_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_entity_id: Option<String>,
    /// `prod` (default) or `stg`: which environment the platform's first resources
    /// are created in. Hostnames are registered for both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The NNO tenant that owns the platform: provisioning lets that tenant's owners
    /// and admins read and retry the platform's jobs. Set by registry, never by a
    /// client (the gateway path refuses it from anyone but operators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_tenant_id: Option<String>,
}

/// `POST /api/v1/provision/platforms/{id}/deprovision`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeprovisionRequest {
    /// Also delete the platform's databases and buckets (kept by default).
    #[serde(default)]
    pub purge: bool,
}

/// 202 to a job request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobAccepted {
    pub job_id: String,
    pub status: JobStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobType {
    BootstrapPlatform,
    DeprovisionPlatform,
    ReconcilePlatform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Queued,
    Running,
    /// Waiting for Cloudflare (e.g. SSL on custom hostnames); the job's work is done.
    Succeeded,
    /// A permanent failure: the steps this job completed were rolled back.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    RolledBack,
}

/// One step of a job as `GET /api/v1/provision/jobs/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    pub name: String,
    pub status: StepStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The Cloudflare id of what the step created or adopted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudflare_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub job_id: String,
    pub platform_id: String,
    #[serde(rename = "type")]
    pub job_type: JobType,
    pub status: JobStatus,
    pub attempts: u32,
    pub steps: Vec<StepView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `GET /api/v1/provision/jobs?platformId=`: newest first, cursor-paginated like
/// every NNO list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobList {
    pub data: Vec<JobView>,
    pub pagination: Pagination,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub has_more: bool,
    pub next_cursor: Option<String>,
    pub total: u64,
}

/// `GET /api/v1/provision/platforms/{id}/drift`: what provisioning recorded for the
/// platform (the resources its jobs created or adopted) against what the Cloudflare
/// API reports now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    pub platform_id: String,
    /// Unix ms.
    pub checked_at: i64,
    pub in_sync: bool,
    /// Recorded, but Cloudflare no longer has it.
    pub missing: Vec<DriftItem>,
    /// Cloudflare has it under the platform's names, but no job recorded it.
    pub unexpected: Vec<DriftItem>,
    /// Both have it, with a different value.
    pub changed: Vec<DriftChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftItem {
    pub kind: ResourceKind,
    /// The Cloudflare name (a hostname for hostnames).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudflare_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftChange {
    pub kind: ResourceKind,
    pub name: String,
    /// What differs, e.g. `service` (the Worker a domain serves) or `secret`.
    pub field: String,
    pub expected: String,
    pub actual: String,
}

/// What provisioning tells registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryEvent {
    /// Unique per fact (e.g. `<jobId>:<step>:created`): registry keeps the ids it has
    /// applied and ignores one it has seen.
    pub id: String,
    /// When the fact became true, Unix ms: an event older than the row it would
    /// overwrite changes nothing.
    pub at: i64,
    pub platform_id: String,
    pub event: EventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum EventBody {
    /// A resource exists (created or adopted) with this Cloudflare id.
    ResourceRecorded {
        kind: ResourceKind,
        /// The Cloudflare name (`naming` rules).
        name: String,
        cloudflare_id: String,
        environment: String,
        stack: String,
    },
    /// A resource no longer exists (rolled back, deprovisioned, purged).
    ResourceRemoved {
        kind: ResourceKind,
        name: String,
        environment: String,
    },
    /// A hostname was registered, or its SSL status changed.
    DnsRecorded {
        hostname: String,
        environment: String,
        stack: String,
        /// What the hostname serves (the resource's Cloudflare name).
        target: String,
        custom_hostname_id: String,
        ssl_status: SslStatus,
    },
    DnsRemoved {
        hostname: String,
    },
    /// A job's progress (each step), and its outcome once it has one.
    JobProgress {
        job: JobView,
    },
    /// Billing: what the platform's subscription now means for it (published by
    /// billing after it re-read the subscription from Stripe; `at` is when).
    BillingStanding {
        standing: super::billing::Standing,
        tier: String,
        stripe_customer_id: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_a_stable_wire_shape() {
        let e = RegistryEvent {
            id: "j1:create_auth_db:created".into(),
            at: 1,
            platform_id: "abcdefghij".into(),
            event: EventBody::ResourceRecorded {
                kind: ResourceKind::D1,
                name: "abcdefghij-default-auth-db".into(),
                cloudflare_id: "uuid".into(),
                environment: "prod".into(),
                stack: "default".into(),
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"]["type"], "resource_recorded");
        assert_eq!(v["event"]["cloudflareId"], "uuid");
        assert_eq!(v["platformId"], "abcdefghij");
        let back: RegistryEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
        assert_eq!(serde_json::to_value(JobStatus::Queued).unwrap(), "QUEUED");
        assert_eq!(
            serde_json::to_value(JobType::BootstrapPlatform).unwrap(),
            "BOOTSTRAP_PLATFORM"
        );
    }

    #[test]
    fn a_bootstrap_request_refuses_unknown_fields() {
        let ok: BootstrapRequest = serde_json::from_str(
            r#"{"platformId":"abcdefghij","planTier":"starter","billingEmail":"a@b.co"}"#,
        )
        .unwrap();
        assert_eq!(ok.environment, None);
        assert!(serde_json::from_str::<BootstrapRequest>(
            r#"{"platformId":"abcdefghij","planTier":"starter","billingEmail":"a@b.co","x":1}"#
        )
        .is_err());
    }
}
