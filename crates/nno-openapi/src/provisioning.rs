//! Provisioning's operations (`nno_core::api::provisioning::ENDPOINTS`) under
//! `/api/v1/provisioning`: jobs that create, remove and reconcile a client platform's
//! Cloudflare resources, and drift. The shapes are `nno_core::contracts::provisioning`
//! (request bodies are `deny_unknown_fields`: unknown properties are refused with 422).

use crate::schemas::{body, closed, nullable_string, string};
use crate::{json_response, Auth, Describe};
use serde_json::{json, Value};

pub const TAGS: &[(&str, &str)] = &[(
    "Provisioning",
    "Jobs that create a client platform's Cloudflare resources (its auth Worker and D1, routes, custom hostnames), remove them, and restore what drifted. Operators (the service key, platform admins, registry) may do everything; the platform's owner tenant reads (`platforms:read`) and retries or reconciles (`platforms:manage`); to anyone else a job does not exist (404).",
)];

fn job_status() -> Value {
    json!({ "type": "string", "enum": ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"] })
}

fn accepted() -> Value {
    json_response(
        "The job, queued (or the platform's existing bootstrap).",
        closed(json!({ "jobId": string(), "status": job_status() })),
    )
}

fn platform_id() -> Value {
    json!({ "type": "string", "pattern": "^[a-z0-9]{10}$" })
}

fn step() -> Value {
    body(
        &["name", "status", "attempts"],
        json!({
            "name": { "type": "string", "description": "e.g. create_auth_db, register_hostname:<hostname>" },
            "status": { "type": "string", "enum": ["pending", "running", "done", "failed", "rolled_back"] },
            "attempts": { "type": "integer", "minimum": 0 },
            "lastError": string(),
            "cloudflareId": string(),
        }),
    )
}

fn job() -> Value {
    body(
        &[
            "jobId",
            "platformId",
            "type",
            "status",
            "attempts",
            "steps",
            "createdAt",
            "updatedAt",
        ],
        json!({
            "jobId": string(),
            "platformId": platform_id(),
            "type": { "type": "string", "enum": ["BOOTSTRAP_PLATFORM", "DEPROVISION_PLATFORM", "RECONCILE_PLATFORM"] },
            "status": job_status(),
            "attempts": { "type": "integer", "minimum": 1 },
            "steps": { "type": "array", "items": step() },
            "lastError": string(),
            "createdAt": { "type": "integer", "description": "Unix ms" },
            "updatedAt": { "type": "integer", "description": "Unix ms" },
        }),
    )
}

fn kind() -> Value {
    json!({ "type": "string", "enum": ["worker", "pages", "d1", "r2", "kv", "queue", "hostname"] })
}

fn drift_item() -> Value {
    body(
        &["kind", "name"],
        json!({ "kind": kind(), "name": string(), "cloudflareId": string(), "environment": string() }),
    )
}

fn drift() -> Value {
    closed(json!({
        "platformId": platform_id(),
        "checkedAt": { "type": "integer", "description": "Unix ms" },
        "inSync": { "type": "boolean" },
        "missing": { "type": "array", "items": drift_item() },
        "unexpected": { "type": "array", "items": drift_item() },
        "changed": { "type": "array", "items": closed(json!({
            "kind": kind(), "name": string(), "field": string(), "expected": string(), "actual": string(),
        })) },
    }))
}

fn job_path(d: Describe) -> Describe {
    d.path("jobId", "the job's id (`job_…`)")
}

fn platform_path(d: Describe) -> Describe {
    d.path("id", "the platform's id (10 characters of a-z and 0-9)")
}

pub fn descriptions() -> Vec<(&'static str, Describe)> {
    let t = "Provisioning";
    vec![
        ("provisionPlatform", Describe::new(t, "Bootstrap a platform (BOOTSTRAP_PLATFORM)")
            .doc("Operators only (registry calls it at onboarding). Creates the platform's auth D1 `<pid>-default-auth-db` with iam's migrations, uploads its auth Worker `<pid>-default-auth` (iam, with the platform's id, its D1 and a fresh `BETTER_AUTH_SECRET` Worker secret), routes `auth.svc.default.<pid>.nno.app` to it and registers the default stack's custom hostnames (auth and console, production and staging). While the platform's bootstrap is queued, running or has succeeded, the same request answers that job.")
            .auth(Auth::GatewayOnly)
            .body(body(&["platformId", "planTier", "billingEmail"], json!({
                "platformId": platform_id(),
                "planTier": { "type": "string", "enum": ["starter", "growth", "scale"] },
                "billingEmail": { "type": "string", "minLength": 3, "maxLength": 254, "pattern": "^[^@\\s]+@[^@\\s]+$" },
                "defaultEntityId": { "type": ["string", "null"], "minLength": 1, "maxLength": 64, "description": "null or absent: `default`" },
                "environment": { "type": ["string", "null"], "enum": ["prod", "stg", null] },
                "ownerTenantId": { "type": ["string", "null"], "minLength": 1, "maxLength": 128, "description": "the NNO tenant that owns the platform (set by registry)" },
            })), json!({ "platformId": "k3m9p2xw7q", "planTier": "starter", "billingEmail": "billing@example.com" }))
            .ok(202, accepted())
            .errors(&[409])
            .link(202, "GetJob", json!({ "operationId": "getProvisioningJob", "parameters": { "path.jobId": "$response.body#/jobId" } }))),
        ("listProvisioningJobs", Describe::new(t, "A platform's jobs")
            .doc("Newest first. Callers who may not read the platform get an empty list.")
            .auth(Auth::GatewayOnly)
            .query("platformId", true, "the platform's id", platform_id())
            .query("limit", false, "page size (1 to 100, default 50)", json!({ "type": "integer", "minimum": 1, "maximum": 100 }))
            .query("cursor", false, "`pagination.nextCursor` of the previous page", json!({ "type": "string" }))
            .ok(200, json_response("A page of jobs.", closed(json!({
                "data": { "type": "array", "items": job() },
                "pagination": closed(json!({
                    "hasMore": { "type": "boolean" },
                    "nextCursor": nullable_string(),
                    "total": { "type": "integer", "minimum": 0 },
                })),
            }))))
            .errors(&[422])),
        ("getProvisioningJob", job_path(Describe::new(t, "A job with its steps")
            .doc("Each step's state, attempts, last error and the Cloudflare id of what it created or adopted.")
            .auth(Auth::GatewayOnly)
            .ok(200, json_response("The job.", job()))
            .errors(&[404]))),
        ("retryProvisioningJob", job_path(Describe::new(t, "Run a FAILED job again")
            .doc("Its failed and rolled-back steps run again; what is done stays done. Needs `platforms:manage` in the owner tenant (or an operator). 409 unless the job is FAILED.")
            .auth(Auth::GatewayOnly)
            .ok(202, accepted())
            .errors(&[404, 409]))),
        ("deprovisionPlatform", platform_path(Describe::new(t, "Remove a platform's Workers, routes and hostnames (DEPROVISION_PLATFORM)")
            .doc("Operators only. Databases are kept unless `purge` is true. The body may be left out.")
            .auth(Auth::GatewayOnly)
            .optional_body(body(&[], json!({ "purge": { "type": "boolean", "default": false } })), json!({ "purge": false }))
            .ok(202, accepted())
            .errors(&[404, 423]))),
        ("getPlatformDrift", platform_path(Describe::new(t, "What differs between provisioning's records and Cloudflare")
            .doc("Compares the resources provisioning's jobs created or adopted with what the Cloudflare API reports: missing, changed, and unexpected resources under the platform's names. Registry is the source of truth, but provisioning cannot call it: it compares its own record of its own work. Each check is a Cloudflare call within the account's budget (429 with Retry-After when it is spent).")
            .auth(Auth::GatewayOnly)
            .ok(200, json_response("The drift report.", drift()))
            .errors(&[404, 422]))),
        ("reconcilePlatform", platform_path(Describe::new(t, "Restore what drifted (RECONCILE_PLATFORM)")
            .doc("Checks drift, then queues a job with the bootstrap steps that re-create what is missing or changed (a new database brings its migrations and a Worker bound to it). Operators and the owner tenant's managers.")
            .auth(Auth::GatewayOnly)
            .ok(202, accepted())
            .errors(&[404, 422, 423]))),
    ]
}
