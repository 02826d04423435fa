//! Registry through the gateway: onboarding, the catalogue, tenants, records, who may
//! do what (every registry endpoint as the owning tenant's owner and member, another
//! tenant, a scoped API key and nobody), and bad input.

use e2e::iam::Person;
use e2e::platforms::{api, customer, onboard, service, slug};
use serde_json::{json, Value};

fn get(who: &Person, path: &str) -> e2e::Reply {
    api("GET", path, None, Some(&who.bearer()))
}

#[test]
fn onboarding_creates_a_pending_platform_once() {
    let (owner, org) = customer("onboarder");
    let s = slug("acme");
    let session = onboard(&owner, &s);
    let pid = session["platformId"].as_str().unwrap().to_string();
    assert_eq!(pid.len(), 10);
    assert!(
        pid.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{pid}"
    );
    let steps: Vec<&str> = session["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(steps.first(), Some(&"create_platform"));
    assert_eq!(steps.last(), Some(&"activate"));

    // The same request again is the same session, not a second platform.
    let again = api(
        "POST",
        "/api/v1/onboarding/sessions",
        Some(&json!({"platformName": "Again", "slug": s})),
        Some(&owner.bearer()),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["id"], session["id"]);
    // So is another slug under the same Idempotency-Key.
    let key = format!("idem-{pid}");
    let keyed = |slug: &str| {
        e2e::send(
            "POST",
            &format!("{}/api/v1/onboarding/sessions", e2e::gateway()),
            &[
                ("authorization", &owner.bearer()),
                ("content-type", "application/json"),
                ("idempotency-key", &key),
                ("cf-connecting-ip", &e2e::unique_ip()),
            ],
            Some(
                // Growth: the tenant's second platform (starter allows one).
                json!({"platformName": "Keyed", "slug": slug, "tier": "growth"})
                    .to_string()
                    .as_bytes(),
            ),
        )
    };
    let first = keyed(&slug("keyed"));
    assert_eq!(first.status, 201, "{}", first.body);
    let replay = keyed(&slug("other"));
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.json()["id"], first.json()["id"]);

    let p = get(&owner, &format!("/api/v1/platforms/{pid}"));
    assert_eq!(p.status, 200, "{}", p.body);
    let p = p.json();
    assert_eq!(p["slug"], s.as_str());
    assert_eq!(p["ownerTenantId"], org.as_str());
    assert_eq!(p["ownerUserId"], owner.id.as_str());
    assert!(
        ["pending", "provisioning", "active"].contains(&p["status"].as_str().unwrap()),
        "{p}"
    );

    // Someone else cannot take the slug; the console can ask first.
    let (other, _) = customer("slugthief");
    let taken = api(
        "POST",
        "/api/v1/onboarding/sessions",
        Some(&json!({"platformName": "X", "slug": s})),
        Some(&other.bearer()),
    );
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert_eq!(
        taken.envelope("CONFLICT")["error"]["details"]["reason"],
        "taken"
    );
    let avail = get(
        &other,
        &format!("/api/v1/onboarding/slug-availability?slug={s}"),
    );
    assert_eq!(avail.json()["available"], false);
    assert_eq!(avail.json()["reason"], "taken");
    let free = get(
        &other,
        &format!("/api/v1/onboarding/slug-availability?slug={}", slug("free")),
    );
    assert_eq!(free.json()["available"], true, "{}", free.body);
    let reserved = get(&other, "/api/v1/onboarding/slug-availability?slug=console");
    assert_eq!(reserved.json()["reason"], "reserved");

    // Its default stack, its history.
    let stacks = get(&owner, &format!("/api/v1/platforms/{pid}/stacks")).json();
    assert_eq!(stacks["data"][0]["id"], "default");
    assert_eq!(stacks["pagination"]["total"], 1);
    let audit = get(&owner, &format!("/api/v1/platforms/{pid}/audit")).json();
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"platform.create"), "{actions:?}");
    let life = get(&owner, &format!("/api/v1/platforms/{pid}/lifecycle")).json();
    let to: Vec<&str> = life["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["toStatus"].as_str().unwrap())
        .collect();
    assert!(to.contains(&"pending"), "{to:?}");

    // The owner's list holds it; the outsider's does not.
    let mine = get(&owner, "/api/v1/platforms?limit=100").json();
    assert!(mine["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == pid.as_str()));
    let theirs = get(&other, "/api/v1/platforms?limit=100").json();
    assert!(!theirs["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == pid.as_str()));

    // Filters narrow the list and its total, on the server.
    let has = |q: &str| {
        let v = get(&owner, &format!("/api/v1/platforms?limit=100&{q}")).json();
        let rows = v["data"].as_array().unwrap().clone();
        assert!(
            rows.iter().all(|p| q
                .split('&')
                .all(|kv| { kv.split_once('=').is_some_and(|(k, want)| p[k] == want) })),
            "{q}: {v}"
        );
        assert_eq!(v["pagination"]["total"], rows.len(), "{q}: {v}");
        rows.iter().any(|p| p["id"] == pid.as_str())
    };
    let me = mine["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == pid.as_str())
        .unwrap()
        .clone();
    let (status, tier) = (me["status"].as_str().unwrap(), me["tier"].as_str().unwrap());
    assert!(has(&format!("status={status}")));
    assert!(has(&format!("status={status}&tier={tier}")));
    let other_tier = if tier == "scale" { "starter" } else { "scale" };
    assert!(!has(&format!("tier={other_tier}")));
    assert!(!has("status=cancelled"));
}

#[test]
fn tenants_sub_tenants_and_pages() {
    let (owner, _) = customer("tenanter");
    let pid = onboard(&owner, &slug("tenants"))["platformId"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("/api/v1/platforms/{pid}/tenants");
    let post = |body: Value| api("POST", &base, Some(&body), Some(&owner.bearer()));
    let parent = post(json!({"name": "Northwind", "slug": "northwind"}));
    assert_eq!(parent.status, 201, "{}", parent.body);
    let parent_id = parent.json()["id"].as_str().unwrap().to_string();
    assert_eq!(parent.json()["kind"], "tenant");
    let child =
        post(json!({"name": "Northwind EU", "slug": "northwind-eu", "parentId": parent_id}));
    assert_eq!(child.status, 201, "{}", child.body);
    assert_eq!(child.json()["kind"], "sub_tenant");
    let child_id = child.json()["id"].as_str().unwrap().to_string();
    // One level deep, slugs unique in the platform, parents of this platform only.
    let grandchild = post(json!({"name": "x", "slug": "grandchild", "parentId": child_id}));
    assert_eq!(grandchild.status, 422, "{}", grandchild.body);
    assert_eq!(
        post(json!({"name": "dup", "slug": "northwind"})).status,
        409
    );
    assert_eq!(
        post(json!({"name": "stray", "slug": "stray", "parentId": "nope"})).status,
        422
    );
    post(json!({"name": "Contoso", "slug": "contoso"}));

    let page1 = get(&owner, &format!("{base}?limit=2")).json();
    assert_eq!(page1["data"].as_array().unwrap().len(), 2);
    assert_eq!(page1["pagination"]["hasMore"], true);
    assert_eq!(page1["pagination"]["total"], 3);
    let cursor = page1["pagination"]["nextCursor"].as_str().unwrap();
    let page2 = get(&owner, &format!("{base}?limit=2&cursor={cursor}")).json();
    assert_eq!(page2["data"].as_array().unwrap().len(), 1);
    assert_eq!(page2["pagination"]["hasMore"], false);
    let mut seen: Vec<Value> = page1["data"].as_array().unwrap().clone();
    seen.extend(page2["data"].as_array().unwrap().clone());
    seen.dedup_by(|a, b| a["id"] == b["id"]);
    assert_eq!(seen.len(), 3, "pages overlap");
    let subs = get(&owner, &format!("{base}?parentId={parent_id}")).json();
    assert_eq!(subs["pagination"]["total"], 1);

    let renamed = api(
        "PATCH",
        &format!("{base}/{child_id}"),
        Some(&json!({"name": "Northwind Europe"})),
        Some(&owner.bearer()),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["name"], "Northwind Europe");
    let blocked = api(
        "DELETE",
        &format!("{base}/{parent_id}"),
        None,
        Some(&owner.bearer()),
    );
    assert_eq!(blocked.status, 409, "{}", blocked.body);
    assert_eq!(
        api(
            "DELETE",
            &format!("{base}/{child_id}"),
            None,
            Some(&owner.bearer())
        )
        .status,
        200
    );
    assert_eq!(
        api(
            "DELETE",
            &format!("{base}/{parent_id}"),
            None,
            Some(&owner.bearer())
        )
        .status,
        200
    );
    assert_eq!(get(&owner, &format!("{base}/{parent_id}")).status, 404);
    let audit = get(&owner, &format!("/api/v1/platforms/{pid}/audit?limit=100")).json();
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for a in ["tenant.create", "tenant.update", "tenant.delete"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[test]
fn build_config_round_trips_and_the_builder_reads_it_with_the_service_key() {
    let (owner, _) = customer("configurer");
    let pid = onboard(&owner, &slug("config"))["platformId"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/platforms/{pid}/config");
    let empty = get(&owner, &path).json();
    assert_eq!(empty["featuresConfig"], json!({}));
    let body = json!({"featuresConfig": {"billing": {"enabled": true}}, "envConfig": {"VITE_APP_NAME": "Acme"}, "authConfig": {"providers": ["github"]}});
    let put = api("PUT", &path, Some(&body), Some(&owner.bearer()));
    assert_eq!(put.status, 200, "{}", put.body);
    let builder = api("GET", &path, None, Some(&service())).json();
    assert_eq!(builder["envConfig"]["VITE_APP_NAME"], "Acme");
    assert_eq!(builder["featuresConfig"], body["featuresConfig"]);
    for (bad, field) in [
        (
            json!({"featuresConfig": {}, "envConfig": {"lower": "x"}, "authConfig": {}}),
            "envConfig",
        ),
        (
            json!({"featuresConfig": {}, "envConfig": {"A": 1}, "authConfig": {}}),
            "",
        ),
        (json!({"featuresConfig": {}, "envConfig": {}}), ""),
        (
            json!({"featuresConfig": {"x": "y".repeat(17 * 1024)}, "envConfig": {}, "authConfig": {}}),
            "featuresConfig",
        ),
    ] {
        let r = api("PUT", &path, Some(&bad), Some(&owner.bearer()));
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        if !field.is_empty() {
            assert_eq!(r.json()["error"]["details"]["field"], field);
        }
    }
}

/// Every registry operation, and whether it changes anything.
fn operations(pid: &str, tenant: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let p = format!("/api/v1/platforms/{pid}");
    vec![
        ("GET", p.clone(), None),
        ("PATCH", p.clone(), Some(json!({"name": "Renamed"}))),
        ("POST", format!("{p}/suspend"), Some(json!({}))),
        ("POST", format!("{p}/restore"), Some(json!({}))),
        (
            "POST",
            format!("{p}/cancel"),
            Some(json!({"reason": "matrix"})),
        ),
        ("GET", format!("{p}/tenants"), None),
        (
            "POST",
            format!("{p}/tenants"),
            Some(json!({"name": "M", "slug": "matrix-tenant"})),
        ),
        ("GET", format!("{p}/tenants/{tenant}"), None),
        (
            "PATCH",
            format!("{p}/tenants/{tenant}"),
            Some(json!({"name": "Renamed"})),
        ),
        ("GET", format!("{p}/stacks"), None),
        ("GET", format!("{p}/resources"), None),
        ("GET", format!("{p}/dns"), None),
        ("GET", format!("{p}/audit"), None),
        ("GET", format!("{p}/lifecycle"), None),
        ("GET", format!("{p}/config"), None),
        (
            "PUT",
            format!("{p}/config"),
            Some(json!({"featuresConfig": {}, "envConfig": {}, "authConfig": {}})),
        ),
        ("DELETE", format!("{p}/tenants/{tenant}"), None),
        ("DELETE", p.clone(), None),
    ]
}

#[test]
fn who_may_do_what() {
    let (owner, org) = customer("matrixowner");
    let member = e2e::iam::sign_up("matrixmember");
    e2e::iam::join(&owner, &member, &org, "member");
    // The member's active tenant is the owner's (set at acceptance).
    let (outsider, _) = customer("matrixoutsider");
    let key = owner.post(
        "/nno/apikey",
        &json!({"name": "reader", "scopes": ["platforms:read"], "orgId": org}),
    );
    assert_eq!(key.status, 201, "{}", key.body);
    let key = format!("Bearer {}", key.json()["key"].as_str().unwrap());

    let pid = onboard(&owner, &slug("matrix"))["platformId"]
        .as_str()
        .unwrap()
        .to_string();
    let t = api(
        "POST",
        &format!("/api/v1/platforms/{pid}/tenants"),
        Some(&json!({"name": "T", "slug": "matrix-t"})),
        Some(&owner.bearer()),
    );
    assert_eq!(t.status, 201, "{}", t.body);
    let tenant = t.json()["id"].as_str().unwrap().to_string();

    for (method, path, body) in operations(&pid, &tenant) {
        let read = method == "GET" && !path.ends_with("/audit");
        let call = |auth: Option<&str>| api(method, &path, body.as_ref(), auth);
        let who = format!("{method} {path}");
        // Nobody: 401 from the gateway.
        assert_eq!(call(None).status, 401, "anonymous {who}");
        // Another tenant: as if the platform did not exist.
        let r = call(Some(&outsider.bearer()));
        assert_eq!(r.status, 404, "outsider {who}: {}", r.body);
        r.envelope("NOT_FOUND");
        // A member and a read-only key: reads yes, writes (and the audit log) no.
        for (label, auth) in [("member", member.bearer()), ("read key", key.clone())] {
            let r = call(Some(&auth));
            let expected = if read { 200 } else { 403 };
            assert_eq!(r.status, expected, "{label} {who}: {}", r.body);
        }
    }
    // The owner may do all of it (a lifecycle step the status forbids is a 409, not a
    // refusal); deletions last.
    for (method, path, body) in operations(&pid, &tenant) {
        let r = api(method, &path, body.as_ref(), Some(&owner.bearer()));
        assert!(
            (200..300).contains(&r.status) || r.status == 409,
            "owner {method} {path}: {} {}",
            r.status,
            r.body
        );
    }
    // Listing and creating platforms directly are for operators.
    let direct = api(
        "POST",
        "/api/v1/platforms",
        Some(&json!({"name": "X", "slug": slug("direct")})),
        Some(&owner.bearer()),
    );
    assert_eq!(direct.status, 403, "{}", direct.body);
    let by_operator = api(
        "POST",
        "/api/v1/platforms",
        Some(&json!({"name": "Operated", "slug": slug("operated"), "ownerTenantId": org})),
        Some(&service()),
    );
    // The service key has no e-mail address to bill: the operator must give one.
    assert_eq!(by_operator.status, 422, "{}", by_operator.body);
    let all = api("GET", "/api/v1/platforms?limit=5", None, Some(&service()));
    assert_eq!(all.status, 200);
    assert!(all.json()["pagination"]["total"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_input_gets_a_clear_4xx() {
    let (owner, _) = customer("badinput");
    let pid = onboard(&owner, &slug("bad"))["platformId"]
        .as_str()
        .unwrap()
        .to_string();
    let raw = |method: &str, path: &str, body: &[u8], content_type: &str| {
        e2e::send(
            method,
            &format!("{}{path}", e2e::gateway()),
            &[
                ("authorization", &owner.bearer()),
                ("content-type", content_type),
                ("cf-connecting-ip", &e2e::unique_ip()),
            ],
            Some(body),
        )
    };
    let sessions = "/api/v1/onboarding/sessions";
    let tenants = format!("/api/v1/platforms/{pid}/tenants");
    let cases: Vec<(&str, String, Vec<u8>, &str, u16)> = vec![
        (
            "POST",
            sessions.into(),
            b"{not json".to_vec(),
            "application/json",
            400,
        ),
        (
            "POST",
            sessions.into(),
            b"[]".to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            sessions.into(),
            br#"{"platformName": 5, "slug": "abc"}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            sessions.into(),
            br#"{"platformName": "A", "slug": "abc-def", "extra": 1}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            sessions.into(),
            br#"{"platformName": "A", "slug": "Bad_Slug"}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            sessions.into(),
            br#"{"platformName": "A", "slug": "ab"}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            sessions.into(),
            br#"{"platformName": "", "slug": "abcd"}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            sessions.into(),
            br#"{"platformName": "A", "slug": "abcde", "tier": "huge"}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            sessions.into(),
            br#"{"platformName": "A", "slug": "abcde"}"#.to_vec(),
            "text/plain",
            415,
        ),
        (
            "POST",
            sessions.into(),
            format!(
                r#"{{"platformName": "{}", "slug": "abcde"}}"#,
                "a".repeat(70_000)
            )
            .into_bytes(),
            "application/json",
            413,
        ),
        (
            "POST",
            tenants.clone(),
            br#"{"name": "A", "slug": "a--b"}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            tenants.clone(),
            br#"{"name": ["A"], "slug": "abc"}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "PATCH",
            format!("/api/v1/platforms/{pid}"),
            br#"{}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            "POST",
            format!("/api/v1/platforms/{pid}/suspend"),
            format!(r#"{{"reason": "{}"}}"#, "r".repeat(600)).into_bytes(),
            "application/json",
            422,
        ),
    ];
    for (method, path, body, ct, status) in cases {
        let r = raw(method, &path, &body, ct);
        assert_eq!(
            r.status,
            status,
            "{method} {path} {}: {}",
            String::from_utf8_lossy(&body[..body.len().min(80)]),
            r.body
        );
        assert!(r.json()["error"]["code"].is_string(), "{}", r.body);
    }
    for q in [
        "limit=0",
        "limit=101",
        "limit=x",
        "cursor=zz",
        "cursor=00",
        "status=paused",
        "tier=gold",
    ] {
        let r = get(&owner, &format!("/api/v1/platforms?{q}"));
        assert_eq!(r.status, 422, "{q}: {}", r.body);
    }
    for id in ["short", "UPPERCASE1", "abcdefghij"] {
        assert_eq!(
            get(&owner, &format!("/api/v1/platforms/{id}")).status,
            404,
            "{id}"
        );
    }
    assert_eq!(
        get(&owner, "/api/v1/onboarding/slug-availability").status,
        422
    );
    let wrong_method = api(
        "PUT",
        &format!("/api/v1/platforms/{pid}/stacks"),
        None,
        Some(&owner.bearer()),
    );
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("GET"));
}
