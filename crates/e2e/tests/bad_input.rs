//! Bad input on every IAM endpoint that takes a body — malformed JSON, wrong types,
//! unknown fields, oversized bodies, the wrong content type — gets a 4xx envelope,
//! never a 5xx.

use e2e::iam::{sign_up, url};
use e2e::{send, unique_ip};

const POST_ENDPOINTS: [&str; 34] = [
    "/auth/sign-up/email",
    "/auth/sign-in/email",
    "/auth/revoke-session",
    "/auth/change-password",
    "/auth/request-password-reset",
    "/auth/forget-password",
    "/auth/reset-password",
    "/auth/send-verification-email",
    "/auth/sign-in/magic-link",
    "/auth/sign-in/social",
    "/auth/two-factor/enable",
    "/auth/two-factor/disable",
    "/auth/two-factor/get-totp-uri",
    "/auth/two-factor/generate-backup-codes",
    "/auth/two-factor/verify-totp",
    "/auth/two-factor/verify-backup-code",
    "/auth/organization/create",
    "/auth/organization/check-slug",
    "/auth/organization/set-active",
    "/auth/organization/invite-member",
    "/auth/organization/accept-invitation",
    "/auth/organization/reject-invitation",
    "/auth/organization/cancel-invitation",
    "/auth/organization/remove-member",
    "/auth/organization/update-member-role",
    "/auth/organization/leave",
    "/auth/organization/update",
    "/auth/organization/delete",
    "/nno/roles",
    "/nno/grants",
    "/nno/apikey",
    "/nno/apikey/verify",
    "/nno/bootstrap",
    "/auth/sign-out",
];

#[test]
fn every_endpoint_answers_bad_bodies_with_a_4xx_envelope() {
    let p = sign_up("badinput");
    let auth = p.bearer();
    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(70 * 1024));
    let cases: [(&str, &[u8]); 6] = [
        ("application/json", b"{not json"),
        ("application/json", b"[1,2,3]"),
        (
            "application/json",
            b"{\"email\": 5, \"password\": [], \"name\": {}}",
        ),
        ("application/json", b"{\"surprise\": true}"),
        ("application/json", big.as_bytes()),
        ("text/plain", b"hello"),
    ];
    for path in POST_ENDPOINTS {
        for (content_type, body) in cases {
            let ip = unique_ip();
            let r = send(
                "POST",
                &url(path),
                &[
                    ("content-type", content_type),
                    ("authorization", &auth),
                    ("cf-connecting-ip", &ip),
                ],
                Some(body),
            );
            let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).to_string();
            // sign-out takes no body and is allowed to succeed.
            if path == "/auth/sign-out" && r.status == 200 {
                continue;
            }
            assert!(
                (400..500).contains(&r.status),
                "{path} {content_type} {shown}: {} {}",
                r.status,
                r.body
            );
            let v = r.json();
            assert!(v["error"]["code"].is_string(), "{path} {shown}: {}", r.body);
        }
    }
}

#[test]
fn unknown_routes_and_methods_are_envelopes() {
    let p = sign_up("routes");
    let r = p.get("/auth/organization/create");
    assert_eq!(r.status, 405, "{}", r.body);
    let r = p.get("/auth/no-such-thing");
    assert_eq!(r.status, 404, "{}", r.body);
    r.envelope("NOT_FOUND");
    let r = p.delete("/nno/roles");
    assert_eq!(r.status, 405, "{}", r.body);
    let r = p.get("/nno/apikey/verify");
    assert_eq!(r.status, 405, "{}", r.body);
}
