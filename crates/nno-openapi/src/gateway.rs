//! The gateway's own operations (`nno_core::api::GATEWAY`) and the health checks every
//! service answers under its prefix.

use crate::schemas::r;
use crate::{empty_response, json_response, with_headers, Auth, Describe};
use nno_core::Service;
use serde_json::json;

pub const TAGS: &[(&str, &str)] = &[
    (
        "Gateway",
        "The gateway itself: health of the whole platform and this document.",
    ),
    (
        "Health",
        "Every service's health checks, under its gateway prefix.",
    ),
];

fn health(summary: &'static str, head: bool) -> Describe {
    health_with(summary, head, r("HealthReport"))
}

fn health_with(summary: &'static str, head: bool, body: serde_json::Value) -> Describe {
    let d = Describe::new("Gateway", summary).auth(Auth::None);
    if head {
        d.ok(200, empty_response("Healthy (the GET's status, no body)."))
            .ok(503, empty_response("Something is unhealthy."))
    } else {
        d.ok(200, json_response("Healthy.", body.clone()))
            .ok(503, json_response("Something is unhealthy.", body))
    }
}

pub fn descriptions() -> Vec<(&'static str, Describe)> {
    let deep = "The gateway's own KV round trip and every upstream's `GET /health` (each a real round trip to its own storage), built at most every 5 s. 200 only when everything is healthy, else 503. With the service key the whole report; anyone else gets the roll-up only, limited per client IP.";
    let either = serde_json::json!({ "anyOf": [r("HealthReport"), r("HealthSummary")] });
    vec![
        (
            "gatewayHealth",
            health_with("Health of the gateway and every upstream", false, either).doc(deep),
        ),
        ("gatewayHealthHead", health("Health of the gateway and every upstream, status only", true).doc(deep)),
        ("gatewayLive", health("The gateway is up (no storage, no upstreams)", false)),
        ("gatewayLiveHead", health("The gateway is up, status only", true)),
        (
            "openapiDocument",
            Describe::new("Gateway", "This OpenAPI document")
                .doc("Generated from the route tables (`crates/nno-openapi`) and served as committed; cacheable for 5 minutes.")
                .auth(Auth::None)
                .ok(
                    200,
                    with_headers(
                        json_response(
                            "The OpenAPI 3.1 document.",
                            json!({ "type": "object", "required": ["openapi", "info", "paths"] }),
                        ),
                        &[("cache-control", "CacheControl")],
                    ),
                ),
        ),
    ]
}

/// `GET {prefix}/health` (storage round trip) or `{prefix}/health/live`.
pub fn service_health(service: Service, live: bool) -> Describe {
    let summary: &'static str = match (service, live) {
        (Service::Iam, false) => "IAM's health (a D1 round trip)",
        (Service::Iam, true) => "IAM is up",
        (Service::Registry, false) => "Registry's health (D1 and KV round trips)",
        (Service::Registry, true) => "Registry is up",
        (Service::Billing, false) => "Billing's health (a D1 round trip)",
        (Service::Billing, true) => "Billing is up",
        (Service::Provisioning, false) => "Provisioning's health (a D1 round trip)",
        (Service::Provisioning, true) => "Provisioning is up",
        (Service::StackRegistry, false) => "Stack registry's health (a D1 round trip)",
        (Service::StackRegistry, true) => "Stack registry is up",
        (Service::Cli, false) => "CLI service's health (a KV round trip)",
        (Service::Cli, true) => "CLI service is up",
        (Service::Gateway, _) => "The gateway's health",
    };
    Describe::new("Health", summary)
        .auth(Auth::None)
        .ok(200, json_response("Healthy.", r("HealthReport")))
        .ok(
            503,
            json_response(
                "Unhealthy (its report), or the service could not be reached (the error envelope).",
                json!({ "anyOf": [r("HealthReport"), r("Error")] }),
            ),
        )
}
