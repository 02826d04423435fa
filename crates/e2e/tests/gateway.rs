//! The gateway, driven over HTTP on the running local platform: routing and rewriting,
//! health, CORS, request ids and trace context, and errors as the envelope.

use e2e::{gateway, get, isolated_gateway, send, service_auth};
use nno_core::routing::ROUTES;
use nno_core::Service;
use serde_json::Value;

#[test]
fn health_reports_the_gateway_and_all_six_upstreams_healthy() {
    // The deep report is for the service key; anyone else sees the roll-up
    // (tests/hardening.rs).
    let r = get(&format!("{}/health", gateway()), &[service_auth()]);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["service"], "gateway");
    assert_eq!(v["environment"], "local");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["checks"][0]["name"], "kv:PLATFORM_STATUS");
    let upstreams = v["upstreams"].as_array().expect("upstreams");
    let mut names: Vec<&str> = upstreams
        .iter()
        .map(|u| u["service"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "billing",
            "cli",
            "iam",
            "provisioning",
            "registry",
            "stack-registry"
        ]
    );
    for u in upstreams {
        assert_eq!(u["status"], "ok", "{u}");
        assert_eq!(u["environment"], "local");
        let checks = u["checks"].as_array().unwrap();
        assert!(!checks.is_empty(), "{u} made no storage round trip");
        assert!(checks.iter().all(|c| c["status"] == "ok"), "{u}");
    }
    // Storage round trips are real: D1 for the five databases, KV for cli and registry.
    let checks_of = |name: &str| -> Vec<String> {
        upstreams.iter().find(|u| u["service"] == name).unwrap()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(checks_of("registry"), ["d1:DB", "kv:PLATFORM_STATUS"]);
    assert_eq!(checks_of("cli"), ["kv:TOKENS"]);
    assert_eq!(checks_of("iam"), ["d1:DB"]);
}

#[test]
fn each_service_answers_health_through_its_prefix() {
    for route in ROUTES {
        let r = get(&format!("{}{}/health", gateway(), route.prefix), &[]);
        assert_eq!(r.status, 200, "{}: {}", route.prefix, r.body);
        let v = r.json();
        assert_eq!(v["service"], route.service.name(), "{}", route.prefix);
        assert_eq!(v["status"], "ok");
        let live = get(&format!("{}{}/health/live", gateway(), route.prefix), &[]);
        assert_eq!(live.status, 200);
        assert_eq!(live.json()["service"], route.service.name());
    }
}

#[test]
fn each_prefix_reaches_the_right_service_with_the_rewritten_path() {
    let cases = [
        (
            "/api/v1/iam/auth/no-such-endpoint",
            Service::Iam,
            "/api/auth/no-such-endpoint",
        ),
        ("/api/v1/iam/nno/nothing", Service::Iam, "/api/nno/nothing"),
        (
            "/api/v1/platforms/abcdefghij/nothing-here",
            Service::Registry,
            "/api/v1/platforms/abcdefghij/nothing-here",
        ),
        (
            "/api/v1/billing/api/billing/subscription",
            Service::Billing,
            "/api/billing/subscription",
        ),
        ("/api/v1/billing", Service::Billing, "/"),
        (
            "/api/v1/provisioning/nothing-here",
            Service::Provisioning,
            "/api/v1/provision/nothing-here",
        ),
        (
            "/api/v1/stacks/saas-starter",
            Service::StackRegistry,
            "/api/v1/stacks/saas-starter",
        ),
        (
            "/api/v1/cli/k3m9p2xw7q/repo",
            Service::Cli,
            "/api/v1/platforms/k3m9p2xw7q/repo",
        ),
        (
            "/api/v1/onboarding/nothing-here",
            Service::Registry,
            "/api/v1/onboarding/nothing-here",
        ),
    ];
    for (path, service, upstream_path) in cases {
        let r = get(
            &format!("{}{path}?page=2&q=a%20b", gateway()),
            &[service_auth()],
        );
        // No service has a route here: its 404 envelope shows what it received.
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        let v = r.envelope("NOT_FOUND");
        let d = &v["error"]["details"];
        assert_eq!(d["service"], service.name(), "{path}");
        assert_eq!(d["path"], upstream_path, "{path}");
        assert_eq!(d["method"], "GET");
        assert_eq!(
            d["query"], "page=2&q=a%20b",
            "query string must pass through"
        );
    }
}

#[test]
fn methods_and_bodies_pass_through() {
    let body = br#"{"name":"Acme"}"#;
    let r = send(
        "POST",
        &format!("{}/api/v1/platforms/abcdefghij/things", gateway()),
        &[("content-type", "application/json"), service_auth()],
        Some(body),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let d = &r.envelope("NOT_FOUND")["error"]["details"];
    assert_eq!(d["method"], "POST");
    assert_eq!(d["service"], "registry");
}

#[test]
fn unknown_routes_get_a_404_envelope() {
    for path in [
        "/",
        "/nope",
        "/api/v1",
        "/api/v1/iamx/auth",
        "/API/v1/iam/auth",
    ] {
        let r = get(&format!("{}{path}", gateway()), &[service_auth()]);
        assert_eq!(r.status, 404, "{path}");
        let v = r.envelope("NOT_FOUND");
        assert_eq!(v["error"]["details"]["path"], path);
        assert!(r
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
    }
}

#[test]
fn request_id_is_honoured_echoed_and_passed_upstream() {
    let r = get(
        &format!("{}/api/v1/stacks/none/x", gateway()),
        &[("x-request-id", "e2e-req-0001"), service_auth()],
    );
    assert_eq!(r.header("x-request-id"), Some("e2e-req-0001"));
    // The envelope here was written by stack-registry: it saw the same id.
    assert_eq!(
        r.envelope("NOT_FOUND")["error"]["requestId"],
        "e2e-req-0001"
    );
    assert_eq!(r.json()["error"]["details"]["service"], "stack-registry");
}

#[test]
fn request_id_is_generated_when_absent_or_malformed() {
    let a = get(&format!("{}/health/live", gateway()), &[]);
    let b = get(
        &format!("{}/health/live", gateway()),
        &[("x-request-id", "bad id with spaces")],
    );
    for r in [&a, &b] {
        let id = r.header("x-request-id").expect("x-request-id");
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "UUID v4: {id}");
    }
    assert_ne!(a.header("x-request-id"), b.header("x-request-id"));
}

#[test]
fn trace_context_continues_through_the_gateway_to_the_upstream() {
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let r = get(
        &format!("{}/api/v1/billing/health/live", gateway()),
        &[("traceparent", incoming)],
    );
    assert_eq!(r.status, 200);
    let tr = r.header("traceresponse").expect("traceresponse");
    let parts: Vec<&str> = tr.split('-').collect();
    assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "same trace");
    assert_ne!(
        parts[2], "00f067aa0ba902b7",
        "the upstream has its own span"
    );
    assert_eq!(parts[3], "01");

    let fresh = get(
        &format!("{}/api/v1/billing/health/live", gateway()),
        &[("traceparent", "junk")],
    );
    let tr = fresh.header("traceresponse").unwrap();
    assert_eq!(tr.len(), 55);
    assert!(!tr.contains("4bf92f3577b34da6a3ce929d0e0e4736"));
}

const ALLOWED: &str = "http://localhost:5174";

#[test]
fn cors_preflight_from_an_allowed_origin_is_answered_before_routing() {
    // Even an unknown path: the preflight never reaches routing or an upstream.
    for path in ["/api/v1/platforms", "/nope"] {
        let r = send(
            "OPTIONS",
            &format!("{}{path}", gateway()),
            &[
                ("origin", ALLOWED),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "content-type, authorization",
                ),
            ],
            None,
        );
        assert_eq!(r.status, 204, "{path}: {}", r.body);
        assert_eq!(r.header("access-control-allow-origin"), Some(ALLOWED));
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert!(r
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST"));
        assert!(r
            .header("access-control-allow-headers")
            .unwrap()
            .contains("authorization"));
        assert!(r.header("x-request-id").is_some());
    }
}

#[test]
fn cors_preflight_from_another_origin_is_refused_without_cors_headers() {
    for (origin, method, headers) in [
        ("https://evil.example", "GET", ""),
        ("http://localhost:5175", "GET", ""),
        (ALLOWED, "TRACE", ""),
        (ALLOWED, "GET", "x-not-allowed"),
    ] {
        let r = send(
            "OPTIONS",
            &format!("{}/api/v1/platforms", gateway()),
            &[
                ("origin", origin),
                ("access-control-request-method", method),
                ("access-control-request-headers", headers),
            ],
            None,
        );
        assert_eq!(r.status, 403, "{origin} {method} {headers}");
        r.envelope("CORS_ORIGIN_DENIED");
        assert_eq!(r.header("access-control-allow-origin"), None);
    }
}

#[test]
fn cors_headers_only_for_allowed_origins_on_actual_requests() {
    let ok = get(
        &format!("{}/health/live", gateway()),
        &[("origin", ALLOWED)],
    );
    assert_eq!(ok.header("access-control-allow-origin"), Some(ALLOWED));
    assert!(ok
        .header("access-control-expose-headers")
        .unwrap()
        .contains("x-request-id"));
    assert_eq!(ok.header("vary"), Some("Origin"));
    let other = get(
        &format!("{}/health/live", gateway()),
        &[("origin", "https://evil.example")],
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    let upstream = get(
        &format!("{}/api/v1/stacks/x", gateway()),
        &[("origin", ALLOWED), service_auth()],
    );
    assert_eq!(upstream.status, 404, "{}", upstream.body);
    assert_eq!(
        upstream.header("access-control-allow-origin"),
        Some(ALLOWED),
        "upstream responses get CORS too"
    );
}

#[test]
fn an_unreachable_upstream_is_an_envelope_not_a_crash() {
    for route in ROUTES {
        let r = get(
            &format!("{}{}/health", isolated_gateway(), route.prefix),
            &[("x-request-id", "e2e-iso-1")],
        );
        assert!(
            matches!(r.status, 502 | 503),
            "{}: {} {}",
            route.prefix,
            r.status,
            r.body
        );
        let v = r.envelope(if r.status == 503 {
            "UPSTREAM_UNAVAILABLE"
        } else {
            "UPSTREAM_ERROR"
        });
        assert_eq!(v["error"]["details"]["service"], route.service.name());
        assert_eq!(v["error"]["requestId"], "e2e-iso-1");
    }
}

#[test]
fn gateway_health_reports_unreachable_upstreams_as_down() {
    let anonymous = get(&format!("{}/health", isolated_gateway()), &[]);
    assert_eq!(anonymous.status, 503, "{}", anonymous.body);
    assert_eq!(anonymous.json()["status"], "degraded");
    assert!(
        anonymous.json().get("upstreams").is_none(),
        "{}",
        anonymous.body
    );
    let r = get(&format!("{}/health", isolated_gateway()), &[service_auth()]);
    assert_eq!(r.status, 503, "{}", r.body);
    let v: Value = r.json();
    assert_eq!(v["status"], "degraded");
    assert_eq!(
        v["checks"][0]["status"], "ok",
        "the gateway's own KV still works"
    );
    let ups = v["upstreams"].as_array().unwrap();
    assert_eq!(ups.len(), 6);
    assert!(ups.iter().all(|u| u["status"] == "down"), "{}", r.body);
}
