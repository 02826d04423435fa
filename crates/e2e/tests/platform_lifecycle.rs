//! A platform from onboarding to `active` on the sandbox's Cloudflare API, what
//! registry then records, and its lifecycle: suspension refused at the gateway (423),
//! restore, cancel, illegal steps (409) and two concurrent steps of which one wins.

use e2e::iam::Person;
use e2e::platforms::{active_platform, api, cloudflare_state, customer, service, slug};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn list(who: &Person, path: &str) -> Vec<Value> {
    let r = api("GET", path, None, Some(&who.bearer()));
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.json()["data"].as_array().cloned().unwrap_or_default()
}

#[test]
fn an_onboarded_platform_goes_active_with_its_own_cloudflare_resources() {
    let (owner, _) = customer("bootstrapper");
    let pid = active_platform(&owner, &slug("boot"));
    let state = cloudflare_state();

    let db_name = format!("{pid}-default-auth-db");
    let db = state["d1"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == db_name.as_str())
        .unwrap_or_else(|| panic!("no D1 {db_name}: {}", state["d1"]));
    let tables: Vec<&str> = db["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for t in ["user", "session", "organization", "apikey"] {
        assert!(
            tables.contains(&t),
            "{t} missing from {tables:?}: the iam migrations did not apply"
        );
    }
    let script_name = format!("{pid}-default-auth");
    let script = state["scripts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == script_name.as_str())
        .unwrap_or_else(|| panic!("no Worker {script_name}"));
    let bindings = script["bindings"].as_array().unwrap();
    let d1 = bindings
        .iter()
        .find(|b| b["type"] == "d1" && b["name"] == "DB")
        .expect("DB binding");
    let bound = d1["id"].as_str().or(d1["database_id"].as_str()).unwrap();
    assert_eq!(
        bound,
        db["uuid"].as_str().unwrap(),
        "the auth Worker's DB is the platform's own D1"
    );
    assert!(
        bindings
            .iter()
            .any(|b| b["name"] == "PLATFORM_ID" && b["text"] == pid.as_str()),
        "PLATFORM_ID binding: {bindings:?}"
    );
    let secrets: Vec<&str> = script["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(secrets.contains(&"BETTER_AUTH_SECRET"), "{secrets:?}");
    assert!(
        !bindings
            .iter()
            .any(|b| b["type"] == "secret_text" && b.get("text").is_some()),
        "a secret's value is never readable back: {bindings:?}"
    );
    let hostnames: Vec<&str> = state["customHostnames"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["hostname"].as_str())
        .collect();
    for h in [
        format!("auth.svc.default.{pid}.nno.app"),
        format!("auth.svc.stg.default.{pid}.nno.app"),
        format!("console.app.default.{pid}.nno.app"),
        format!("console.app.stg.default.{pid}.nno.app"),
    ] {
        assert!(
            hostnames.contains(&h.as_str()),
            "{h} not registered: {hostnames:?}"
        );
    }

    // Registry knows what was made; the certificates go active within the polls.
    let resources = list(
        &owner,
        &format!("/api/v1/platforms/{pid}/resources?limit=100"),
    );
    let kinds: Vec<&str> = resources
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"d1") && kinds.contains(&"worker"),
        "{kinds:?}"
    );
    assert!(resources
        .iter()
        .any(|r| r["name"] == db_name.as_str() && r["cloudflareId"] == db["uuid"]));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let dns = list(&owner, &format!("/api/v1/platforms/{pid}/dns?limit=100"));
        let active = dns.iter().filter(|d| d["sslStatus"] == "active").count();
        if dns.len() >= 4 && active == dns.len() {
            break;
        }
        assert!(Instant::now() < deadline, "SSL did not go active: {dns:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let life: Vec<String> = list(&owner, &format!("/api/v1/platforms/{pid}/lifecycle"))
        .iter()
        .map(|e| e["toStatus"].as_str().unwrap_or_default().to_string())
        .collect();
    for s in ["pending", "provisioning", "active"] {
        assert!(life.contains(&s.to_string()), "{s} missing from {life:?}");
    }
    let audit = list(&owner, &format!("/api/v1/platforms/{pid}/audit?limit=100"));
    assert!(
        audit.iter().any(|a| a["action"] == "platform.activate"),
        "{audit:?}"
    );
}

fn step(who: &str, pid: &str, action: &str) -> e2e::Reply {
    api(
        "POST",
        &format!("/api/v1/platforms/{pid}/{action}"),
        Some(&json!({"reason": "e2e"})),
        Some(who),
    )
}

#[test]
fn a_suspended_platform_refuses_writes_until_restored() {
    let (owner, _) = customer("suspender");
    let pid = active_platform(&owner, &slug("suspend"));
    let me = owner.bearer();
    let rename = |name: &str| {
        api(
            "PATCH",
            &format!("/api/v1/platforms/{pid}"),
            Some(&json!({"name": name})),
            Some(&me),
        )
    };
    assert_eq!(rename("Before").status, 200);

    let s = step(&me, &pid, "suspend");
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.json()["status"], "suspended");
    assert_eq!(s.json()["suspendedBy"], "owner");
    let refused = rename("During");
    assert_eq!(refused.status, 423, "{}", refused.body);
    let e = refused.envelope("PLATFORM_SUSPENDED");
    assert_eq!(e["error"]["details"]["status"], "suspended");
    let tenant = api(
        "POST",
        &format!("/api/v1/platforms/{pid}/tenants"),
        Some(&json!({"name": "T", "slug": "t-during"})),
        Some(&me),
    );
    assert_eq!(tenant.status, 423);
    // Reads stay open, so the console can say why; the service key bypasses.
    let read = api("GET", &format!("/api/v1/platforms/{pid}"), None, Some(&me));
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["suspensionReason"], "e2e");
    // Suspending again is a write on a suspended platform: the gateway refuses it.
    assert_eq!(step(&me, &pid, "suspend").status, 423);

    let restored = step(&me, &pid, "restore");
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.json()["status"], "active");
    assert_eq!(rename("After").status, 200);
    // An illegal step is 409 with what is allowed.
    let again = step(&me, &pid, "restore");
    assert_eq!(again.status, 409, "{}", again.body);
    let allowed = again.json()["error"]["details"]["allowed"].clone();
    assert_eq!(allowed, json!(["suspend", "cancel", "delete"]), "{allowed}");

    // An operator's suspension is the operator's to lift.
    assert_eq!(
        step(&service(), &pid, "suspend").json()["suspendedBy"],
        "operator"
    );
    let owner_restore = step(&me, &pid, "restore");
    assert_eq!(owner_restore.status, 403, "{}", owner_restore.body);
    assert_eq!(step(&service(), &pid, "restore").status, 200);

    // Cancelling: pending until the period ends, undone by restore.
    let c = step(&me, &pid, "cancel");
    assert_eq!(c.json()["status"], "pending_cancellation", "{}", c.body);
    assert_eq!(step(&me, &pid, "cancel").status, 409);
    assert_eq!(step(&me, &pid, "restore").json()["status"], "active");
    let life: Vec<Value> = api(
        "GET",
        &format!("/api/v1/platforms/{pid}/lifecycle?limit=100"),
        None,
        Some(&me),
    )
    .json()["data"]
        .as_array()
        .cloned()
        .unwrap();
    let moves: Vec<String> = life
        .iter()
        .rev()
        .map(|e| {
            format!(
                "{}>{}",
                e["fromStatus"].as_str().unwrap_or("-"),
                e["toStatus"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        moves
            .iter()
            .filter(|m| m.as_str() == "active>suspended")
            .count(),
        2,
        "{moves:?}"
    );
}

#[test]
fn of_two_concurrent_steps_exactly_one_wins() {
    let (owner, _) = customer("racer");
    let pid = active_platform(&owner, &slug("race"));
    for _ in 0..3 {
        let bearer = owner.bearer();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (b, p) = (bearer.clone(), pid.clone());
                // `cancel` stays open at the gateway whatever the status, so every
                // request reaches registry, where the conditional change decides.
                std::thread::spawn(move || step(&b, &p, "cancel").status)
            })
            .collect();
        let mut statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        statuses.sort();
        assert_eq!(statuses, [200, 409, 409, 409], "one cancellation wins");
        assert_eq!(step(&bearer, &pid, "restore").status, 200);
    }
    let life = api(
        "GET",
        &format!("/api/v1/platforms/{pid}/lifecycle?limit=100"),
        None,
        Some(&owner.bearer()),
    )
    .json();
    let cancellations = life["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["toStatus"] == "pending_cancellation")
        .count();
    assert_eq!(cancellations, 3, "one lifecycle event per winning step");
}
