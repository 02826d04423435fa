//! Who may call what: the service key, the public paths, and services refusing requests
//! that did not come through the gateway (forged identity headers included).

use e2e::{direct_registry, gateway, get, send, service_auth, service_key};

const PRIVATE: &str = "/api/v1/platforms/abcdefghij";

#[test]
fn private_paths_need_credentials() {
    let r = get(&format!("{}{PRIVATE}", gateway()), &[]);
    assert_eq!(r.status, 401, "{}", r.body);
    r.envelope("UNAUTHORIZED");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    // Unknown paths too: no route map for anonymous callers.
    assert_eq!(get(&format!("{}/nope", gateway()), &[]).status, 401);
}

#[test]
fn a_wrong_service_key_is_refused() {
    for value in [
        "Bearer wrong".to_string(),
        format!("Bearer {}x", service_key()),
        format!("Basic {}", service_key()),
        "Bearer".to_string(),
    ] {
        let r = get(
            &format!("{}{PRIVATE}", gateway()),
            &[("authorization", &value)],
        );
        assert_eq!(r.status, 401, "{value}: {}", r.body);
        r.envelope("UNAUTHORIZED");
    }
}

#[test]
fn the_service_key_reaches_every_service() {
    for (path, service) in [
        ("/api/v1/iam/nno/nothing-here", "iam"),
        ("/api/v1/platforms/abcdefghij/nothing-here", "registry"),
        ("/api/v1/billing/api/billing/subscription", "billing"),
        ("/api/v1/provisioning/nothing-here", "provisioning"),
        ("/api/v1/stacks/x", "stack-registry"),
        ("/api/v1/cli/x", "cli"),
    ] {
        let r = get(&format!("{}{path}", gateway()), &[service_auth()]);
        // 404 from the service itself: it accepted the gateway's signed identity.
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_eq!(
            r.envelope("NOT_FOUND")["error"]["details"]["service"],
            service
        );
    }
}

#[test]
fn sign_in_endpoints_are_public_even_with_a_stale_token() {
    let body =
        serde_json::json!({"email": e2e::iam::email("nobody"), "password": "not-the-password"})
            .to_string();
    for stale in [None, Some("Bearer expired-session-token")] {
        let ip = e2e::unique_ip();
        let mut headers = vec![
            ("content-type", "application/json"),
            ("cf-connecting-ip", ip.as_str()),
        ];
        headers.extend(stale.map(|v| ("authorization", v)));
        let r = send(
            "POST",
            &format!("{}/api/v1/iam/auth/sign-in/email", gateway()),
            &headers,
            Some(body.as_bytes()),
        );
        // IAM's own answer (the gateway would have said "credentials"), so the
        // request got through.
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(
            r.envelope("UNAUTHORIZED")["error"]["message"],
            "invalid email or password"
        );
    }
}

#[test]
fn a_service_refuses_requests_that_bypass_the_gateway() {
    let url = format!("{}{PRIVATE}", direct_registry());
    let plain = get(&url, &[]);
    assert_eq!(plain.status, 401, "{}", plain.body);
    assert!(plain.envelope("UNAUTHORIZED")["error"]["message"]
        .as_str()
        .unwrap()
        .contains("gateway"));
    // Identity headers a client made up, in the gateway's format.
    let forged_identity = "eyJhdXRoIjoic2VydmljZSJ9"; // {"auth":"service"}
    for signature in ["t=1700000000000,s=AAAA", "garbage", ""] {
        let r = get(
            &url,
            &[
                ("x-nno-identity", forged_identity),
                ("x-nno-signature", signature),
                ("authorization", &format!("Bearer {}", service_key())),
            ],
        );
        assert_eq!(r.status, 401, "{signature}: {}", r.body);
        r.envelope("UNAUTHORIZED");
    }
    // Health stays public, so monitors can reach a service directly.
    assert_eq!(
        get(&format!("{}/health/live", direct_registry()), &[]).status,
        200
    );
}

#[test]
fn identity_headers_sent_through_the_gateway_are_replaced() {
    // A client cannot smuggle its own identity past the gateway: the service sees the
    // gateway's signature, not the client's, and still answers (404, no route).
    let r = get(
        &format!("{}{PRIVATE}", gateway()),
        &[
            service_auth(),
            ("x-nno-identity", "eyJhdXRoIjoiYWRtaW4ifQ"),
            ("x-nno-signature", "t=1,s=AAAA"),
        ],
    );
    assert_eq!(r.status, 404, "{}", r.body);
}
