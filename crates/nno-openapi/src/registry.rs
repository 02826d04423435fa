//! Registry's operations (`nno_core::api::{registry, onboarding}`) under
//! `/api/v1/platforms` and `/api/v1/onboarding`. Shapes are those of
//! `services/registry/src` (bodies are `deny_unknown_fields`: unknown properties are
//! 422). Every operation checks the caller against the platform's owning tenant: a
//! platform the caller may not see is 404, one they may only read is 403 on writes.

use crate::schemas::{body, closed, nullable_string, string};
use crate::{json_response, Auth, Describe};
use nno_core::platform::{PlatformClass, PlatformStatus, Tier, Transition};
use serde_json::{json, Value};

pub const TAGS: &[(&str, &str)] = &[
    (
        "Platforms",
        "The platform catalogue and each platform's lifecycle (registry).",
    ),
    (
        "Platform tenants",
        "A client platform's own tenants and sub-tenants.",
    ),
    (
        "Platform records",
        "Stacks, Cloudflare resources, DNS records, audit and lifecycle history, build config.",
    ),
    (
        "Onboarding",
        "Self-serve onboarding: a platform from name to `active`.",
    ),
];

fn int() -> Value {
    json!({ "type": "integer" })
}

fn nint() -> Value {
    json!({ "type": ["integer", "null"] })
}

fn enum_of(names: Vec<&str>) -> Value {
    json!({ "type": "string", "enum": names })
}

fn platform() -> Value {
    closed(json!({
        "id": { "type": "string", "pattern": "^[a-z0-9]{10}$" },
        "name": string(), "slug": string(),
        "status": enum_of(PlatformStatus::names()),
        "tier": enum_of(Tier::names()),
        "class": enum_of(PlatformClass::names()),
        "ownerTenantId": string(), "ownerUserId": nullable_string(),
        "cfAccountId": nullable_string(), "repoName": nullable_string(), "stripeCustomerId": nullable_string(),
        "suspendedAt": nint(), "suspensionReason": nullable_string(),
        "suspendedBy": { "type": ["string", "null"], "enum": ["operator", "owner", null] },
        "cancelledAt": nint(), "cancellationReason": nullable_string(), "trialEndsAt": nint(),
        "createdAt": int(), "updatedAt": int(), "deletedAt": nint(),
    }))
}

fn page(item: Value) -> Value {
    closed(json!({
        "data": { "type": "array", "items": item },
        "pagination": closed(json!({
            "hasMore": { "type": "boolean" }, "nextCursor": nullable_string(), "total": int(),
        })),
    }))
}

fn entity() -> Value {
    closed(json!({
        "id": string(), "platformId": string(), "parentId": nullable_string(),
        "kind": enum_of(vec!["tenant", "sub_tenant"]), "name": string(), "slug": string(),
        "createdAt": int(), "updatedAt": int(),
    }))
}

fn slug() -> Value {
    json!({ "type": "string", "pattern": "^[a-z][a-z0-9-]*[a-z0-9]$", "minLength": 3, "maxLength": 40,
            "description": "3 to 40 characters of a-z, 0-9 and '-', starting with a letter, no '--'" })
}

fn name() -> Value {
    json!({ "type": "string", "minLength": 1, "description": "1 to 100 characters once trimmed, no control characters" })
}

fn reason_body() -> Value {
    body(
        &[],
        json!({ "reason": { "type": ["string", "null"], "maxLength": 500 } }),
    )
}

fn listed(d: Describe, item: Value, what: &'static str) -> Describe {
    d.query(
        "limit",
        false,
        "page size, 1 to 100 (default 20)",
        json!({ "type": "integer", "minimum": 1, "maximum": 100 }),
    )
    .query(
        "cursor",
        false,
        "`pagination.nextCursor` of the page before",
        json!({ "type": "string" }),
    )
    .ok(200, json_response(what, page(item)))
    .errors(&[422])
}

fn on_platform(d: Describe) -> Describe {
    d.auth(Auth::Any)
        .path("id", "the platform's 10-character id")
        .errors(&[404])
}

/// A write on a platform: refused with 423 while it is suspended, cancelled or deleted.
fn write(d: Describe) -> Describe {
    on_platform(d).errors(&[423])
}

fn session() -> Value {
    let step = json!({ "type": "object", "required": ["name", "status"], "properties": {
        "name": string(), "status": string(), "attempts": int(), "error": nullable_string(),
        "cloudflareId": nullable_string(),
    }});
    closed(json!({
        "id": string(), "platformId": string(), "slug": string(),
        "status": enum_of(vec!["provisioning", "active", "failed"]),
        "platformStatus": enum_of(PlatformStatus::names()),
        "jobId": nullable_string(),
        "jobStatus": { "type": ["string", "null"], "enum": ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", null] },
        "failedStep": nullable_string(), "error": nullable_string(),
        "steps": { "type": "array", "items": step },
        "createdAt": int(), "updatedAt": int(),
    }))
}

fn lifecycle(t: Transition, summary: &'static str, doc: &'static str) -> Describe {
    let d = Describe::new("Platforms", summary)
        .doc(doc)
        .optional_body(
            reason_body(),
            json!({ "reason": "requested by the customer" }),
        )
        .ok(
            200,
            json_response("The platform, in its new status.", platform()),
        )
        .errors(&[409]);
    if matches!(t, Transition::Suspend) {
        write(d)
    } else {
        on_platform(d)
    }
}

pub fn descriptions() -> Vec<(&'static str, Describe)> {
    let platform_ok = || json_response("The platform.", platform());
    let config = closed(json!({
        "platformId": string(),
        "featuresConfig": { "type": "object" }, "envConfig": { "type": "object", "additionalProperties": { "type": "string" } },
        "authConfig": { "type": "object" }, "updatedBy": nullable_string(), "updatedAt": nint(),
    }));
    let record = |props: Value| closed(props);
    vec![
        ("listPlatforms", listed(Describe::new("Platforms", "List platforms")
            .doc("Newest first. Operators see every platform; anyone else those of their active tenant (`platforms:read`). `status` and `tier` narrow the list (and its `total`); an unknown value is 422.")
            .auth(Auth::Any)
            .query("status", false, "only platforms in this status", enum_of(PlatformStatus::names()))
            .query("tier", false, "only platforms on this tier", enum_of(Tier::names())), platform(), "A page of platforms.")),
        ("createPlatform", Describe::new("Platforms", "Create a platform (operators)")
            .doc("NNO operators only; customers onboard through `/api/v1/onboarding/sessions`. Creates the platform (`pending`) with its `default` stack and asks provisioning to bootstrap it. A taken slug is 409, a reserved or malformed one 422.")
            .auth(Auth::Any)
            .body(body(&["name", "slug"], json!({
                "name": name(), "slug": slug(), "tier": { "type": ["string", "null"], "enum": ["starter", "growth", "scale", null] },
                "ownerTenantId": { "type": ["string", "null"], "maxLength": 64 },
            })), json!({ "name": "Acme", "slug": "acme", "tier": "starter", "ownerTenantId": "tenant-id" }))
            .ok(201, json_response("The platform.", platform()))
            .errors(&[409])),
        ("getPlatform", on_platform(Describe::new("Platforms", "Get a platform")).ok(200, platform_ok())),
        ("updatePlatform", write(Describe::new("Platforms", "Rename a platform or change its tier")
            .doc("Owners and admins rename; the tier follows the subscription and is changed by operators (403 otherwise). The slug never changes (it is in hostnames).")
            .body(body(&[], json!({
                "name": { "type": ["string", "null"], "minLength": 1, "description": "1 to 100 characters once trimmed; null or absent leaves it as it is" },
                "tier": { "type": ["string", "null"], "enum": ["starter", "growth", "scale", null], "description": "null or absent leaves it as it is" },
            })), json!({ "name": "Acme Corp" }))
            .ok(200, platform_ok())
            .errors(&[409]))),
        ("deletePlatform", write(Describe::new("Platforms", "Delete a platform (soft)")
            .doc("The platform stays on record as `deleted`; a DEPROVISION_PLATFORM job removes its Workers, routes and hostnames and keeps its databases.")
            .ok(200, platform_ok())
            .errors(&[409]))),
        ("suspendPlatform", lifecycle(Transition::Suspend, "Suspend a platform",
            "`active → suspended`. Writes on it are then refused with 423 at the gateway. A suspension by an operator can only be lifted by an operator.")),
        ("restorePlatform", lifecycle(Transition::Restore, "Restore a platform",
            "`suspended → active`, or `pending_cancellation → active` before the period ends. Open while suspended.")),
        ("cancelPlatform", lifecycle(Transition::Cancel, "Cancel a platform",
            "`active | suspended → pending_cancellation`; it becomes `cancelled` when the billing period ends. Open while suspended.")),
        ("listPlatformTenants", listed(on_platform(Describe::new("Platform tenants", "List a platform's tenants"))
            .query("parentId", false, "only this tenant's sub-tenants", json!({ "type": "string" })), entity(), "A page of tenants.")),
        ("createPlatformTenant", write(Describe::new("Platform tenants", "Create a tenant or sub-tenant")
            .doc("With `parentId`, a sub-tenant of that tenant (one level deep). Slugs are unique within the platform (409).")
            .body(body(&["name", "slug"], json!({ "name": name(), "slug": slug(), "parentId": { "type": ["string", "null"] } })),
                  json!({ "name": "Northwind", "slug": "northwind" }))
            .ok(201, json_response("The tenant.", entity()))
            .errors(&[409]))),
        ("getPlatformTenant", on_platform(Describe::new("Platform tenants", "Get a tenant"))
            .path("tenantId", "the tenant's id").ok(200, json_response("The tenant.", entity()))),
        ("updatePlatformTenant", write(Describe::new("Platform tenants", "Rename a tenant"))
            .path("tenantId", "the tenant's id")
            .body(body(&["name"], json!({ "name": name() })), json!({ "name": "Northwind Traders" }))
            .ok(200, json_response("The tenant.", entity()))),
        ("deletePlatformTenant", write(Describe::new("Platform tenants", "Delete a tenant"))
            .doc("A tenant with sub-tenants is 409.")
            .path("tenantId", "the tenant's id")
            .ok(200, json_response("Deleted.", closed(json!({ "deleted": { "type": "boolean" }, "id": string() }))))
            .errors(&[409])),
        ("listPlatformStacks", listed(on_platform(Describe::new("Platform records", "List a platform's stacks")),
            record(json!({ "id": string(), "name": string(), "tenantId": nullable_string(), "status": string(), "createdAt": int(), "updatedAt": int() })),
            "A page of stacks.")),
        ("listPlatformResources", listed(on_platform(Describe::new("Platform records", "List a platform's Cloudflare resources"))
            .doc("As provisioning reported them; `removed` ones stay listed."),
            record(json!({ "id": string(), "stackId": string(), "kind": enum_of(nno_core::platform::ResourceKind::names()),
                "name": string(), "cloudflareId": nullable_string(), "environment": string(),
                "status": enum_of(vec!["active", "removed"]), "createdAt": int(), "updatedAt": int() })),
            "A page of resources.")),
        ("listPlatformDns", listed(on_platform(Describe::new("Platform records", "List a platform's DNS records")),
            record(json!({ "id": string(), "stackId": string(), "hostname": string(), "environment": string(), "target": string(),
                "sslStatus": enum_of(vec!["pending", "active", "failed"]), "customHostnameId": nullable_string(),
                "removed": { "type": "boolean" }, "createdAt": int(), "updatedAt": int() })),
            "A page of DNS records.")),
        ("listPlatformAudit", listed(on_platform(Describe::new("Platform records", "A platform's audit log"))
            .doc("Append-only. Owners, admins and operators (`platforms:manage`)."),
            record(json!({ "id": string(), "actor": string(), "action": string(), "target": string(),
                "before": nullable_string(), "after": nullable_string(), "requestId": string(), "createdAt": int() })),
            "A page of audit entries.")),
        ("listPlatformLifecycle", listed(on_platform(Describe::new("Platform records", "A platform's status history")),
            record(json!({ "id": string(), "fromStatus": nullable_string(), "toStatus": string(), "reason": nullable_string(),
                "actor": string(), "createdAt": int() })),
            "A page of lifecycle events.")),
        ("getPlatformConfig", on_platform(Describe::new("Platform records", "A platform's build config"))
            .doc("What the central builder needs to build the platform's console; it reads this with the service key.")
            .ok(200, json_response("The config.", config.clone()))),
        ("putPlatformConfig", write(Describe::new("Platform records", "Replace a platform's build config"))
            .doc("Each part at most 16 KiB. `envConfig` holds public build variables (names of A-Z, 0-9, `_`), never secrets.")
            .body(body(&["featuresConfig", "envConfig", "authConfig"], json!({
                "featuresConfig": { "type": "object" },
                "envConfig": { "type": "object", "additionalProperties": { "type": "string" } },
                "authConfig": { "type": "object" },
            })), json!({ "featuresConfig": { "billing": true }, "envConfig": { "VITE_APP_NAME": "Acme" }, "authConfig": {} }))
            .ok(200, json_response("The config.", config))),
        ("createOnboardingSession", Describe::new("Onboarding", "Onboard a platform")
            .doc("Needs `platforms:manage` in the active tenant. Creates the platform (`pending`) with its `default` stack and asks provisioning to bootstrap it. The same request again (same person and slug, or the same `Idempotency-Key`) answers 200 with the same session instead of a second platform.")
            .auth(Auth::Any)
            .body(body(&["platformName", "slug"], json!({
                "platformName": name(), "slug": slug(),
                "tier": { "type": ["string", "null"], "enum": ["starter", "growth", "scale", null] },
                "billingEmail": { "type": ["string", "null"], "format": "email", "maxLength": 254 },
            })), json!({ "platformName": "Acme", "slug": "acme", "tier": "starter" }))
            .ok(201, json_response("The new session.", session()))
            .ok(200, json_response("The earlier session for this request.", session()))
            .errors(&[409])),
        ("getOnboardingSession", Describe::new("Onboarding", "An onboarding session's progress")
            .doc("Steps: `create_platform`, `request_bootstrap`, provisioning's own steps, `activate`.")
            .auth(Auth::Any).path("id", "the session's id")
            .ok(200, json_response("The session.", session())).errors(&[404])),
        ("retryOnboardingSession", Describe::new("Onboarding", "Resume a failed onboarding")
            .doc("Only a `failed` session (409 otherwise).")
            .auth(Auth::Any).path("id", "the session's id")
            .ok(200, json_response("The session.", session())).errors(&[404, 409])),
        ("onboardingSlugAvailability", Describe::new("Onboarding", "Is a slug available?")
            .auth(Auth::Any)
            .query("slug", true, "the slug to check", json!({ "type": "string", "maxLength": 100 }))
            .errors(&[422])
            .ok(200, json_response("Whether it is available, and why not.", closed(json!({
                "slug": string(), "available": { "type": "boolean" },
                "reason": { "type": ["string", "null"], "enum": ["invalid", "reserved", "taken", null] },
                "message": nullable_string(),
            }))))),
    ]
}
