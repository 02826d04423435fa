//! The security findings of issue 8 (section 5), each driven through the gateway, one
//! section per finding (chunked bodies past the size limit are in tests/body_limit.rs,
//! a binary of their own).

use e2e::iam::{call, create_org, join, sign_up, Person, ORIGIN, PASSWORD};
use e2e::{gateway, get, send, service_auth, unique_ip, Reply};
use serde_json::{json, Value};

fn permissions(p: &Person) -> Vec<String> {
    let s = p.get("/nno/session");
    assert_eq!(s.status, 200, "{}", s.body);
    s.json()["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn id_of(r: &Reply) -> String {
    r.json()["id"].as_str().expect("id").to_string()
}

// ---- 1. Admins and the role map, grants and denials -------------------------------

#[test]
fn an_admin_cannot_raise_admins_through_the_role_map() {
    let owner = sign_up("mapowner");
    let org = create_org(&owner, "Map");
    let admin = sign_up("mapadmin");
    join(&owner, &admin, &org, "admin");
    let set = |who: &Person, role: &str, perms: Value| {
        who.post(
            "/nno/roles",
            &json!({"orgId": org, "role": role, "permissions": perms}),
        )
    };
    // The finding: the admin role's mapping, rewritten by an admin, raised every admin.
    let raise = set(&admin, "admin", json!(["billing:admin"]));
    assert_eq!(raise.status, 403, "{}", raise.body);
    raise.envelope("FORBIDDEN");
    assert!(!permissions(&admin).contains(&"billing:admin".to_string()));
    let drop = admin.delete(&format!("/nno/roles/{org}/admin"));
    assert_eq!(drop.status, 403, "{}", drop.body);
    let owners = set(&admin, "owner", json!(["billing:admin"]));
    assert_eq!(owners.status, 403, "{}", owners.body);
    // Admins still map the member role; owners map the admin role.
    let members = set(&admin, "member", json!(["reports:view"]));
    assert_eq!(members.status, 200, "{}", members.body);
    let by_owner = set(&owner, "admin", json!(["billing:read"]));
    assert_eq!(by_owner.status, 200, "{}", by_owner.body);
    assert!(permissions(&admin).contains(&"billing:read".to_string()));
}

#[test]
fn an_admin_cannot_undo_an_owners_denial_or_decide_for_another_admin() {
    let owner = sign_up("denyowner");
    let org = create_org(&owner, "Deny");
    let first = sign_up("denyadmin1");
    join(&owner, &first, &org, "admin");
    // A second admin, invited by the first.
    let second = sign_up("denyadmin2");
    join(&first, &second, &org, "admin");
    let member = sign_up("denymember");
    join(&owner, &member, &org, "member");
    let grant = |who: &Person, user: &Person, permission: &str, granted: bool| {
        who.post(
            "/nno/grants",
            &json!({"userId": user.id, "orgId": org, "permission": permission, "granted": granted}),
        )
    };
    owner.post(
        "/nno/roles",
        &json!({"orgId": org, "role": "admin", "permissions": ["billing:export"]}),
    );
    let denial = grant(&owner, &first, "billing:export", false);
    assert_eq!(denial.status, 201, "{}", denial.body);
    assert_eq!(denial.json()["grantedBy"], owner.id.as_str());
    assert!(!permissions(&first).contains(&"billing:export".to_string()));

    // The finding: the second admin deleted the owner's denial on the first.
    let lift = second.delete(&format!("/nno/grants/{}", id_of(&denial)));
    assert_eq!(lift.status, 403, "{}", lift.body);
    // Nor may it overwrite the denial, or grant the first admin anything at all.
    let overwrite = grant(&second, &first, "billing:export", true);
    assert_eq!(overwrite.status, 403, "{}", overwrite.body);
    let favour = grant(&second, &first, "billing:admin", true);
    assert_eq!(favour.status, 403, "{}", favour.body);
    let perms = permissions(&first);
    assert!(!perms.contains(&"billing:export".to_string()), "{perms:?}");
    assert!(!perms.contains(&"billing:admin".to_string()), "{perms:?}");

    // Admins decide for members, and may undo each other's decisions...
    let by_first = grant(&first, &member, "reports:export", true);
    assert_eq!(by_first.status, 201, "{}", by_first.body);
    let undone = second.delete(&format!("/nno/grants/{}", id_of(&by_first)));
    assert_eq!(undone.status, 200, "{}", undone.body);
    // ...but not an owner's, on a member either.
    let owners = grant(&owner, &member, "reports:view", false);
    assert_eq!(owners.status, 201, "{}", owners.body);
    let over = grant(&first, &member, "reports:view", true);
    assert_eq!(over.status, 403, "{}", over.body);
    let gone = first.delete(&format!("/nno/grants/{}", id_of(&owners)));
    assert_eq!(gone.status, 403, "{}", gone.body);
    let still = member.get(&format!("/nno/grants?orgId={org}&userId={}", member.id));
    assert_eq!(
        still.json()["grants"][0]["granted"],
        false,
        "{}",
        still.body
    );
    // The owner undoes its own decisions.
    let lifted = owner.delete(&format!("/nno/grants/{}", id_of(&denial)));
    assert_eq!(lifted.status, 200, "{}", lifted.body);
    assert!(permissions(&first).contains(&"billing:export".to_string()));
}

// ---- 2. /health -------------------------------------------------------------------

fn health(method: &str, path: &str, ip: &str, service: bool) -> Reply {
    let mut h = vec![("cf-connecting-ip", ip)];
    if service {
        h.push(service_auth());
    }
    send(method, &format!("{}{path}", gateway()), &h, None)
}

#[test]
fn health_answers_get_and_head_only() {
    let ip = unique_ip();
    for path in ["/health", "/health/live"] {
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            let r = health(method, path, &ip, false);
            assert_eq!(r.status, 405, "{method} {path}: {}", r.body);
            r.envelope("METHOD_NOT_ALLOWED");
            assert_eq!(r.header("allow"), Some("GET, HEAD"), "{method} {path}");
        }
        let head = health("HEAD", path, &ip, false);
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.body.is_empty());
    }
}

#[test]
fn anonymous_health_is_the_roll_up_and_the_service_key_sees_the_report() {
    let r = health("GET", "/health", &unique_ip(), false);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"status": "ok", "service": "gateway", "environment": "local"}),
        "no checks, binding names or latencies for anonymous callers"
    );
    let deep = health("GET", "/health", &unique_ip(), true);
    assert_eq!(deep.status, 200, "{}", deep.body);
    assert_eq!(deep.json()["upstreams"].as_array().unwrap().len(), 6);
    // Built once for a few seconds per isolate: a flood costs no upstream calls.
    let again = health("GET", "/health", &unique_ip(), true);
    assert_eq!(again.body, deep.body, "the cached report");
}

#[test]
fn deep_health_is_limited_per_ip_but_not_for_the_service_key() {
    for path in ["/health", "/api/v1/billing/health"] {
        let ip = unique_ip();
        for i in 0..30 {
            let r = health("GET", path, &ip, false);
            assert_eq!(r.status, 200, "{path} #{i}: {}", r.body);
        }
        let limited = health("GET", path, &ip, false);
        assert_eq!(limited.status, 429, "{path}: {}", limited.body);
        let v = limited.envelope("RATE_LIMITED");
        assert_eq!(v["error"]["details"]["rule"], "health");
        assert!(limited.header("retry-after").is_some());
        // The cheap liveness check is not limited.
        let live = path.replace("/health", "/health/live");
        assert_eq!(health("GET", &live, &ip, false).status, 200, "{live}");
    }
    let ip = unique_ip();
    for _ in 0..31 {
        let r = health("GET", "/health", &ip, false);
        if r.status == 429 {
            break;
        }
    }
    let service = health("GET", "/health", &ip, true);
    assert_eq!(service.status, 200, "{}", service.body);
}

// ---- 3. Chunked bodies: tests/body_limit.rs (a binary of its own) ----------------

// ---- 4. Passwords -----------------------------------------------------------------

#[test]
fn a_password_of_one_expanding_code_point_is_too_short() {
    let r = call(
        "POST",
        "/auth/sign-up/email",
        Some(&json!({"name": "Short", "email": e2e::iam::email("fdfa"), "password": "\u{FDFA}"})),
        None,
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["code"], "PASSWORD_TOO_SHORT", "{}", r.body);
}

// ---- 5. Look-alike e-mail addresses -----------------------------------------------

fn sign_up_as(email: &str) -> Reply {
    call(
        "POST",
        "/auth/sign-up/email",
        Some(&json!({"name": "Look Alike", "email": email, "password": PASSWORD})),
        None,
    )
}

#[test]
fn invisible_characters_in_addresses_are_refused() {
    let plain = e2e::iam::email("lookalike");
    for c in ['\u{200B}', '\u{200D}', '\u{202E}', '\u{2060}', '\u{FEFF}'] {
        let (local, domain) = plain.split_once('@').unwrap();
        let sneaky = format!("{local}{c}@{domain}");
        let r = sign_up_as(&sneaky);
        assert_eq!(r.status, 422, "U+{:04X}: {}", c as u32, r.body);
        r.envelope("VALIDATION_FAILED");
    }
}

#[test]
fn a_full_width_address_is_the_same_address() {
    let person = sign_up("fullwidth");
    let full_width: String = person
        .email
        .chars()
        .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
        .collect();
    assert_ne!(full_width, person.email);
    let again = sign_up_as(&full_width);
    assert_eq!(again.status, 409, "a second account: {}", again.body);
    let signed = e2e::iam::sign_in(&full_width, PASSWORD);
    assert_eq!(signed.status, 200, "{}", signed.body);
    assert_eq!(signed.json()["user"]["id"], person.id.as_str());
    assert_eq!(signed.json()["user"]["email"], person.email.as_str());
}

// ---- 6. API keys --------------------------------------------------------------------

#[test]
fn a_keys_own_rate_limit_is_bounded() {
    let owner = sign_up("keyrate");
    let make = |max: u64, window: u64| {
        owner.post(
            "/nno/apikey",
            &json!({"name": "k", "scopes": ["iam:read"], "rateLimit": {"max": max, "windowSeconds": window}}),
        )
    };
    for (max, window) in [
        (10_000, 1),
        (101, 1),
        (10_000, 60),
        (10_001, 3600),
        (1, 3601),
    ] {
        let r = make(max, window);
        assert_eq!(r.status, 422, "{max}/{window}s: {}", r.body);
        assert_eq!(r.json()["error"]["details"]["field"], "rateLimit");
    }
    for (max, window) in [(100, 1), (6_000, 60), (10_000, 3600)] {
        let r = make(max, window);
        assert_eq!(r.status, 201, "{max}/{window}s: {}", r.body);
    }
}

#[test]
fn a_tenant_admin_cannot_revoke_the_owners_keys() {
    let owner = sign_up("revokeowner");
    let org = create_org(&owner, "Revoke");
    let admin = sign_up("revokeadmin");
    join(&owner, &admin, &org, "admin");
    let other = sign_up("revokeadmin2");
    join(&owner, &other, &org, "admin");
    let key = |who: &Person| {
        let r = who.post(
            "/nno/apikey",
            &json!({"name": "k", "scopes": ["iam:read"], "orgId": org}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        id_of(&r)
    };
    let owners = key(&owner);
    let r = admin.delete(&format!("/nno/apikey/{owners}"));
    assert_eq!(r.status, 403, "{}", r.body);
    r.envelope("FORBIDDEN");
    let listed = owner.get(&format!("/nno/apikey?orgId={org}"));
    assert!(
        listed.json()["keys"][0]["revokedAt"].is_null(),
        "{}",
        listed.body
    );
    // Admins revoke admins' keys; owners anyone's.
    let admins = key(&admin);
    assert_eq!(other.delete(&format!("/nno/apikey/{admins}")).status, 200);
    let others = key(&other);
    assert_eq!(owner.delete(&format!("/nno/apikey/{others}")).status, 200);
    assert_eq!(owner.delete(&format!("/nno/apikey/{owners}")).status, 200);
}

#[test]
fn an_ip_over_its_bad_key_budget_keeps_its_valid_keys() {
    let owner = sign_up("badkeyowner");
    let made = owner.post("/nno/apikey", &json!({"name": "k", "scopes": ["iam:read"]}));
    assert_eq!(made.status, 201, "{}", made.body);
    let valid = made.json()["key"].as_str().unwrap().to_string();
    let ip = unique_ip();
    let with = |key: &str| {
        get(
            &e2e::iam::url("/nno/session"),
            &[
                ("authorization", &format!("Bearer {key}")),
                ("cf-connecting-ip", &ip),
            ],
        )
    };
    let unknown = "nno_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    for i in 0..10 {
        assert_eq!(with(unknown).status, 401, "attempt {i}");
    }
    let limited = with(unknown);
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert_eq!(limited.json()["error"]["details"]["rule"], "bad-key");
    // The finding: the IP's valid keys were locked out for 5 minutes too.
    let ok = with(&valid);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["user"]["id"], owner.id.as_str());
    assert_eq!(with(unknown).status, 429);
}

// ---- 7. The gateway -----------------------------------------------------------------

/// A /64 no other test uses, from `unique_ip`'s counter.
fn unique_v6_net() -> String {
    let ip = unique_ip();
    let n: Vec<u32> = ip.split('.').map(|p| p.parse().unwrap()).collect();
    format!("2001:db8:{:x}:{:x}", n[1], (n[2] << 8) | n[3])
}

#[test]
fn one_ipv6_64_is_one_client_for_per_ip_limits() {
    let net = unique_v6_net();
    let addresses = [
        format!("{net}:aaaa::1"),
        format!("{net}:bbbb::2"),
        format!("{net}:0:0:0:3"),
    ];
    for a in &addresses {
        assert_eq!(e2e::iam::wrong_sign_in_from(a).status, 401, "{a}");
    }
    let limited = e2e::iam::wrong_sign_in_from(&format!("{net}:cccc:dddd:eeee:ffff"));
    assert_eq!(
        limited.status, 429,
        "a fresh budget per address: {}",
        limited.body
    );
    // Another /64 is another client.
    assert_eq!(
        e2e::iam::wrong_sign_in_from(&format!("{}::1", unique_v6_net())).status,
        401
    );
}

#[test]
fn an_ipv4_mapped_address_is_the_ipv4_client() {
    let ip = unique_ip();
    for a in [
        format!("::ffff:{ip}"),
        format!(" {ip} "),
        format!("{ip}, 192.0.2.1"),
    ] {
        assert_eq!(e2e::iam::wrong_sign_in_from(&a).status, 401, "{a}");
    }
    let limited = e2e::iam::wrong_sign_in_from(&ip);
    assert_eq!(limited.status, 429, "{}", limited.body);
}

#[test]
fn a_forged_cookie_signature_never_hits_the_session_cache() {
    let person = sign_up("cacheforge");
    let signed = e2e::iam::sign_in(&person.email, PASSWORD);
    assert_eq!(signed.status, 200, "{}", signed.body);
    let cookie = e2e::iam::set_cookie(&signed, "better-auth.session_token").unwrap();
    // A registry path: registry trusts the identity the gateway forwards (IAM would
    // check the cookie again itself), so this shows what the gateway decided.
    let call = |cookie: &str| {
        get(
            &format!("{}/api/v1/platforms/abcdefghij", gateway()),
            &[("cookie", cookie), ("cf-connecting-ip", &unique_ip())],
        )
    };
    // IAM verifies the real cookie; the gateway remembers its answer for 5 s.
    let real = call(&cookie);
    assert_eq!(real.status, 404, "registry's own answer: {}", real.body);
    let (token, _) = cookie.rsplit_once('.').unwrap();
    for forged in [
        format!("{token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"),
        format!("{token}.x"),
        token.to_string(),
    ] {
        let r = call(&forged);
        assert_eq!(r.status, 401, "{forged}: {}", r.body);
        r.envelope("UNAUTHORIZED");
    }
    assert_eq!(call(&cookie).status, 404);
}

#[test]
fn origins_are_compared_exactly() {
    for origin in [
        ORIGIN.to_uppercase(),
        format!("{ORIGIN}/"),
        ORIGIN.replace("localhost", "LocalHost"),
    ] {
        let pre = send(
            "OPTIONS",
            &format!("{}/api/v1/platforms", gateway()),
            &[
                ("origin", origin.as_str()),
                ("access-control-request-method", "POST"),
            ],
            None,
        );
        assert_eq!(pre.status, 403, "{origin:?}: {}", pre.body);
        pre.envelope("CORS_ORIGIN_DENIED");
        let actual = get(
            &format!("{}/health/live", gateway()),
            &[("origin", origin.as_str())],
        );
        assert_eq!(
            actual.header("access-control-allow-origin"),
            None,
            "{origin:?}"
        );
    }
    // A cookie-authenticated write from such an origin is not a trusted one either.
    let person = sign_up("originexact");
    let signed = e2e::iam::sign_in(&person.email, PASSWORD);
    let cookie = e2e::iam::set_cookie(&signed, "better-auth.session_token").unwrap();
    let ip = unique_ip();
    let write = |origin: &str| {
        send(
            "POST",
            &e2e::iam::url("/nno/apikey"),
            &[
                ("cookie", cookie.as_str()),
                ("origin", origin),
                ("content-type", "application/json"),
                ("cf-connecting-ip", ip.as_str()),
            ],
            Some(br#"{"name":"k","scopes":["iam:read"]}"#),
        )
    };
    let upper = write(&ORIGIN.to_uppercase());
    assert_eq!(upper.status, 403, "{}", upper.body);
    assert_eq!(write(ORIGIN).status, 201);
}
