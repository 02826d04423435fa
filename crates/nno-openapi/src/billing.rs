//! Billing's operations (`nno_core::api::billing::ENDPOINTS`) under `/api/v1/billing`:
//! a platform's Stripe subscription, its tier changes with their proration, its
//! cancellation at the period's end, its invoices, and Stripe's webhook. Shapes are
//! `nno_core::contracts::billing` and `nno_billing::stripe` (request bodies are
//! `deny_unknown_fields`: unknown properties are refused with 422).

use crate::schemas::{body, closed, nullable_string, string};
use crate::{json_response, Auth, Describe};
use serde_json::{json, Value};

pub const TAGS: &[(&str, &str)] = &[(
    "Billing",
    "Each platform's Stripe customer and subscription on its tier (starter $49, growth $199, scale $799 a month). Operators may do everything; the platform's owner tenant reads (`platforms:read`) and changes tier, cancels and resumes (`platforms:manage`); to anyone else a subscription does not exist (404). Billing follows Stripe through its webhooks and tells registry what a subscription's state means for the platform: a failed renewal leaves it running while Stripe retries (grace), the third failed attempt (day 8) suspends it (423 at the gateway), a payment restores it; a cancellation makes it `pending_cancellation` and, at the period's end, `cancelled`.",
)];

fn platform_id() -> Value {
    json!({ "type": "string", "pattern": "^[a-z0-9]{10}$" })
}

fn tier() -> Value {
    json!({ "type": "string", "enum": ["starter", "growth", "scale"] })
}

fn metric() -> Value {
    json!({ "type": "string", "enum": ["workerInvocations", "d1RowsRead", "d1RowsWritten", "r2Operations", "kvOperations"] })
}

fn nullable_int(description: &str) -> Value {
    json!({ "type": ["integer", "null"], "description": description })
}

fn subscription() -> Value {
    closed(json!({
        "platformId": platform_id(),
        "tier": tier(),
        "status": { "type": "string", "enum": ["pending", "active", "trialing", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "paused"], "description": "Stripe's subscription status, or `pending` before Stripe has one" },
        "standing": { "type": "string", "enum": ["good", "grace", "overdue", "cancelling", "cancelled"], "description": "what the status means for the platform" },
        "cancelAtPeriodEnd": { "type": "boolean" },
        "currentPeriodStart": nullable_int("Unix seconds"),
        "currentPeriodEnd": nullable_int("Unix seconds: the renewal date"),
        "stripeCustomerId": nullable_string(),
        "stripeSubscriptionId": nullable_string(),
        "amount": nullable_int("USD cents per period"),
        "currency": nullable_string(),
        "failedAttempts": { "type": "integer", "minimum": 0, "description": "failed payment attempts of the invoice now open" },
    }))
}

fn line() -> Value {
    closed(json!({
        "description": nullable_string(),
        "amount": { "type": "integer", "description": "cents; negative for a credit" },
        "proration": { "type": "boolean" },
        "periodStart": nullable_int("Unix seconds"),
        "periodEnd": nullable_int("Unix seconds"),
    }))
}

fn invoice() -> Value {
    closed(json!({
        "id": nullable_string(),
        "status": { "type": ["string", "null"], "enum": ["draft", "open", "paid", "uncollectible", "void", null] },
        "currency": string(),
        "amountDue": { "type": "integer" },
        "amountPaid": { "type": "integer" },
        "total": { "type": "integer" },
        "attemptCount": { "type": "integer", "minimum": 0 },
        "nextPaymentAttempt": nullable_int("Unix seconds"),
        "periodStart": nullable_int("Unix seconds"),
        "periodEnd": nullable_int("Unix seconds"),
        "created": nullable_int("Unix seconds"),
        "hostedInvoiceUrl": nullable_string(),
        "lines": { "type": "array", "items": line() },
    }))
}

fn platform_body() -> Value {
    body(&["platformId"], json!({ "platformId": platform_id() }))
}

fn platform_query(d: Describe) -> Describe {
    d.query("platformId", true, "the platform's id", platform_id())
}

pub fn descriptions() -> Vec<(&'static str, Describe)> {
    let t = "Billing";
    vec![
        ("getSubscription", platform_query(Describe::new(t, "A platform's subscription")
            .doc("Its tier, Stripe status, standing and current period (the renewal date is its end).")
            .auth(Auth::Any)
            .ok(200, json_response("The subscription.", subscription()))
            .errors(&[404, 422]))),
        ("createSubscription", Describe::new(t, "Create a platform's Stripe customer and subscription")
            .doc("Operators only (registry calls it at onboarding). Idempotent per platform: a repeat, or a retry after a failure halfway, answers the same customer and subscription and creates no second one. 201 when it created them, 200 when they existed.")
            .auth(Auth::GatewayOnly)
            .body(body(&["platformId", "tier", "billingEmail", "ownerTenantId"], json!({
                "platformId": platform_id(),
                "tier": tier(),
                "billingEmail": { "type": "string", "minLength": 3, "maxLength": 254, "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$" },
                "ownerTenantId": { "type": "string", "minLength": 1, "maxLength": 64 },
            })), json!({ "platformId": "k3m9p2xw7q", "tier": "starter", "billingEmail": "billing@example.com", "ownerTenantId": "0123456789abcdef" }))
            .ok(201, json_response("Created.", subscription()))
            .ok(200, json_response("They existed already.", subscription()))
            .errors(&[409])),
        ("previewTierChange", platform_query(Describe::new(t, "What a tier change would cost now")
            .doc("Stripe's invoice preview for the change made now: a credit for the unused time on the current tier and a charge for the rest of the period on the new one. Pass `prorationDate` to change-tier to be charged exactly this. 409 for the current tier, or when the subscription is not paid up or is being cancelled.")
            .auth(Auth::Any)
            .query("tier", true, "the tier to change to", tier())
            .ok(200, json_response("The preview.", closed(json!({
                "platformId": platform_id(),
                "tier": tier(),
                "newTier": tier(),
                "prorationDate": { "type": "integer", "description": "Unix seconds" },
                "currency": string(),
                "prorationAmount": { "type": "integer", "description": "what the change costs now, in cents (negative: a credit)" },
                "amountDue": { "type": "integer" },
                "newMonthlyAmount": { "type": "integer" },
                "lines": { "type": "array", "items": line() },
            }))))
            .errors(&[404, 409, 422]))),
        ("changeTier", Describe::new(t, "Change a platform's tier, prorated")
            .doc("Needs `platforms:manage`. Stripe invoices the proration at once (the amounts of the preview with the same `prorationDate`); the answer carries that invoice. 409 for the current tier, or when the subscription is not paid up or is being cancelled.")
            .auth(Auth::Any)
            .body(body(&["platformId", "tier"], json!({
                "platformId": platform_id(),
                "tier": tier(),
                "prorationDate": { "type": ["integer", "null"], "description": "a preview's `prorationDate` (Unix seconds, inside the current period); null or absent: now" },
            })), json!({ "platformId": "k3m9p2xw7q", "tier": "growth" }))
            .ok(200, json_response("The subscription on its new tier and the proration invoice.", closed(json!({
                "subscription": subscription(),
                "invoice": { "oneOf": [invoice(), { "type": "null" }] },
            }))))
            .errors(&[404, 409])),
        ("cancelSubscription", Describe::new(t, "Cancel at the end of the period")
            .doc("Needs `platforms:manage`. The platform stays active until the period ends (`pending_cancellation`), then becomes `cancelled`. Asking again answers the same state. 409 when the subscription has ended.")
            .auth(Auth::Any)
            .body(platform_body(), json!({ "platformId": "k3m9p2xw7q" }))
            .ok(200, json_response("The subscription.", subscription()))
            .errors(&[404, 409])),
        ("resumeSubscription", Describe::new(t, "Take back a cancellation before the period ends")
            .doc("Needs `platforms:manage`. Asking when nothing is being cancelled answers the same state. 409 when the subscription has ended.")
            .auth(Auth::Any)
            .body(platform_body(), json!({ "platformId": "k3m9p2xw7q" }))
            .ok(200, json_response("The subscription.", subscription()))
            .errors(&[404, 409])),
        ("listInvoices", platform_query(Describe::new(t, "A platform's invoices")
            .doc("Newest first, from Stripe.")
            .auth(Auth::Any)
            .query("limit", false, "page size (1 to 100, default 10)", json!({ "type": "integer", "minimum": 1, "maximum": 100 }))
            .query("cursor", false, "`pagination.nextCursor` of the previous page", json!({ "type": "string", "pattern": "^in_[A-Za-z0-9_]+$" }))
            .ok(200, json_response("A page of invoices.", closed(json!({
                "data": { "type": "array", "items": invoice() },
                "pagination": closed(json!({ "hasMore": { "type": "boolean" }, "nextCursor": nullable_string() })),
            }))))
            .errors(&[404, 422]))),
        ("getQuota", platform_query(Describe::new(t, "What a platform's tier allows and includes")
            .doc("The tier's limits (null: unlimited), enforced where things are created (403 `QUOTA_EXCEEDED` with the limit and the current count), and what a month includes before overage.")
            .auth(Auth::Any)
            .ok(200, json_response("The tier's quota.", closed(json!({
                "platformId": platform_id(),
                "tier": tier(),
                "limits": closed(json!({
                    "platformsPerTenant": nullable_int("live platforms per NNO tenant"),
                    "tenantsPerPlatform": nullable_int("tenants (not sub-tenants) per platform"),
                    "features": nullable_int("features per platform"),
                })),
                "includedPerMonth": closed(json!({
                    "workerInvocations": { "type": "integer" },
                    "d1RowsRead": { "type": "integer" },
                    "d1RowsWritten": { "type": "integer" },
                    "r2Operations": { "type": "integer" },
                    "kvOperations": { "type": "integer" },
                })),
            }))))
            .errors(&[404, 422]))),
        ("getUsage", platform_query(Describe::new(t, "A platform's usage this month against its tier")
            .doc("From the daily metering run (02:00 UTC, yesterday's usage from Cloudflare's analytics): the month's totals per metric against what the tier includes (overage is billed through Stripe's meters at the month's end), and each metered day.")
            .auth(Auth::Any)
            .query("period", false, "the month, YYYY-MM (default: this month, UTC)", json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$" }))
            .ok(200, json_response("The month's usage.", closed(json!({
                "platformId": platform_id(),
                "period": string(),
                "tier": tier(),
                "days": { "type": "integer", "minimum": 0, "description": "days metered so far" },
                "metrics": { "type": "array", "items": closed(json!({
                    "metric": metric(),
                    "used": { "type": "integer", "minimum": 0 },
                    "included": { "type": "integer", "minimum": 0 },
                    "percent": { "type": "number", "minimum": 0 },
                    "overage": { "type": "integer", "minimum": 0 },
                })) },
                "daily": { "type": "array", "items": closed(json!({
                    "day": string(),
                    "workerInvocations": { "type": "integer" }, "d1RowsRead": { "type": "integer" },
                    "d1RowsWritten": { "type": "integer" }, "r2Operations": { "type": "integer" },
                    "kvOperations": { "type": "integer" },
                })) },
            }))))
            .errors(&[404, 422]))),
        ("putMeteredResource", Describe::new(t, "Meter (or stop metering) a platform's resource")
            .doc("Operators only (registry calls it as provisioning records resources). Workers and R2 buckets are metered by name, D1 databases and KV namespaces by id.")
            .auth(Auth::GatewayOnly)
            .body(body(&["platformId", "kind", "name"], json!({
                "platformId": platform_id(),
                "kind": { "type": "string", "enum": ["worker", "d1", "r2", "kv"] },
                "name": { "type": "string", "minLength": 1, "maxLength": 255 },
                "cloudflareId": { "type": ["string", "null"], "minLength": 1, "maxLength": 255 },
                "removed": { "type": "boolean", "default": false },
            })), json!({ "platformId": "k3m9p2xw7q", "kind": "d1", "name": "k3m9p2xw7q-default-auth-db", "cloudflareId": "0c1f2a4e-0000-4000-8000-000000000000" }))
            .ok(200, json_response("Recorded.", closed(json!({
                "platformId": platform_id(), "kind": string(), "name": string(),
                "cloudflareId": nullable_string(), "metered": { "type": "boolean" },
            }))))),
        ("runMetering", Describe::new(t, "Meter a day now")
            .doc("Operators only. What the 02:00 UTC cron does, for any day that has ended (default: yesterday): every platform with a live subscription is queued, fifty per message. Running a day again changes nothing already stored: each platform and day is stored once, and Stripe drops a meter event whose identifier it has.")
            .auth(Auth::GatewayOnly)
            .body(body(&[], json!({ "day": { "type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "null or absent: yesterday (UTC)" } })), json!({ "day": "2026-12-01" }))
            .ok(202, json_response("Queued.", closed(json!({
                "day": string(), "platforms": { "type": "integer", "minimum": 0 }, "messages": { "type": "integer", "minimum": 0 },
            }))))),
        ("stripeWebhook", Describe::new(t, "Stripe's webhook")
            .doc("Stripe's event deliveries, authenticated only by `Stripe-Signature` (`t=…,v1=…`: HMAC-SHA256 of `{t}.{body}` with the endpoint's secret; 300 s tolerance; any `v1` may match, for secret rotation). A missing, bad or stale signature is 400 and changes nothing. An event is applied by reading its subscription from Stripe again, so deliveries in any order, and repeats, end in the same state; `status` says whether it was `applied`, a `duplicate` of one that was, or `ignored` (not about a subscription billing keeps).")
            .auth(Auth::Public)
            .body(json!({ "type": "object", "description": "A Stripe `event` object, as Stripe sends it" }), json!({ "id": "evt_1", "object": "event", "type": "invoice.paid", "created": 1700000000, "data": { "object": { "object": "invoice" } } }))
            .ok(200, json_response("Received.", closed(json!({
                "received": { "type": "boolean", "const": true },
                "status": { "type": "string", "enum": ["applied", "duplicate", "ignored"] },
            }))))
            .errors(&[400])),
    ]
}
