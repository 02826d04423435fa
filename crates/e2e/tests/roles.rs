//! NNO's roles and grants through the gateway (`/api/v1/iam/nno/roles|grants`), the
//! effective permissions they give in the session the gateway forwards, and the
//! one-time platform bootstrap.

use e2e::iam::{call, create_org, join, sign_up, Person};
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

#[test]
fn role_mappings_and_grants_make_the_effective_permissions() {
    let owner = sign_up("rolesowner");
    let org = create_org(&owner, "Roles");
    let dana = sign_up("dana");
    join(&owner, &dana, &org, "member");
    assert_eq!(permissions(&dana), ["iam:read", "platforms:read"]);

    let set = owner.post(
        "/nno/roles",
        &json!({"orgId": org, "role": "member", "permissions": ["billing:read", "analytics:write-export", "billing:read"]}),
    );
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(
        set.json()["permissions"],
        json!(["analytics:write-export", "billing:read"])
    );
    let listed = dana.get(&format!("/nno/roles?orgId={org}"));
    assert_eq!(listed.status, 200, "{}", listed.body);
    let member = listed.json()["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "member")
        .cloned()
        .unwrap();
    assert_eq!(member["builtin"], json!(["iam:read", "platforms:read"]));
    assert_eq!(
        member["permissions"],
        json!(["analytics:write-export", "billing:read"])
    );
    assert_eq!(
        permissions(&dana),
        [
            "analytics:write-export",
            "billing:read",
            "iam:read",
            "platforms:read"
        ]
    );

    // A grant adds, a denial removes, an expired grant is gone.
    let future = 4_000_000_000_000i64;
    let g = owner.post(
        "/nno/grants",
        &json!({"userId": dana.id, "orgId": org, "permission": "reports:view", "granted": true, "expiresAt": future}),
    );
    assert_eq!(g.status, 201, "{}", g.body);
    let grant_id = g.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        g.json()["grantedBy"],
        owner.id.as_str(),
        "recorded from the caller"
    );
    let d = owner.post(
        "/nno/grants",
        &json!({"userId": dana.id, "orgId": org, "permission": "billing:read", "granted": false}),
    );
    assert_eq!(d.status, 201, "{}", d.body);
    assert_eq!(
        permissions(&dana),
        [
            "analytics:write-export",
            "iam:read",
            "platforms:read",
            "reports:view"
        ]
    );
    let mine = dana.get(&format!("/nno/grants?orgId={org}&userId={}", dana.id));
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.json()["grants"].as_array().unwrap().len(), 2);
    // Others' grants are for grant managers; a member cannot grant themselves.
    let all = dana.get(&format!("/nno/grants?orgId={org}"));
    assert_eq!(all.status, 403, "{}", all.body);
    let selfish = dana.post(
        "/nno/grants",
        &json!({"userId": dana.id, "orgId": org, "permission": "billing:admin", "granted": true}),
    );
    assert_eq!(selfish.status, 403, "{}", selfish.body);

    let removed = owner.delete(&format!("/nno/grants/{grant_id}"));
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(!permissions(&dana).contains(&"reports:view".to_string()));
    let gone = owner.delete(&format!("/nno/grants/{grant_id}"));
    assert_eq!(gone.status, 404, "{}", gone.body);

    let del = owner.delete(&format!("/nno/roles/{org}/member"));
    assert_eq!(del.status, 200, "{}", del.body);
    assert_eq!(permissions(&dana), ["iam:read", "platforms:read"]);
}

#[test]
fn permission_keys_and_grant_input_are_validated() {
    let owner = sign_up("v06owner");
    let org = create_org(&owner, "V06");
    let bad: Vec<Value> = vec![
        json!({"orgId": org, "role": "member", "permissions": ["Billing:read"]}),
        json!({"orgId": org, "role": "member", "permissions": ["billing"]}),
        json!({"orgId": org, "role": "member", "permissions": ["billing:read2"]}),
        json!({"orgId": org, "role": "emperor", "permissions": []}),
        json!({"orgId": org, "role": "member", "permissions": "billing:read"}),
        json!({"orgId": org, "role": "member"}),
    ];
    for body in bad {
        let r = owner.post("/nno/roles", &body);
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        r.envelope("VALIDATION_FAILED");
    }
    let past = owner.post(
        "/nno/grants",
        &json!({"userId": owner.id, "orgId": org, "permission": "billing:read", "granted": true, "expiresAt": 1000}),
    );
    assert_eq!(past.status, 422, "{}", past.body);
    let stranger = sign_up("stranger");
    let not_member = owner.post(
        "/nno/grants",
        &json!({"userId": stranger.id, "orgId": org, "permission": "billing:read", "granted": true}),
    );
    assert_eq!(not_member.status, 404, "{}", not_member.body);
    let missing = owner.get("/nno/roles");
    assert_eq!(missing.status, 422, "{}", missing.body);
}

#[test]
fn bootstrap_needs_the_service_key_and_happens_once() {
    let person = sign_up("wannabe");
    // The local platform admin that `cargo xtask dev` creates and the console's browser
    // journey signs in as: whichever runs first on a platform bootstraps it.
    let (email, password) = ("admin@nno.local", "nno-local-admin");
    let body = json!({"email": email, "password": password, "name": "Local Admin"});
    let r = person.post("/nno/bootstrap", &body);
    assert_eq!(r.status, 403, "{}", r.body);
    let (_, key) = e2e::service_auth();
    let first = call("POST", "/nno/bootstrap", Some(&body), Some(key));
    assert!(first.status == 201 || first.status == 409, "{}", first.body);
    if first.status == 201 {
        assert_eq!(first.json()["user"]["role"], "platform-admin");
    }
    let signed = e2e::iam::sign_in(email, password);
    assert_eq!(signed.status, 200, "{}", signed.body);
    let admin = Person {
        email: email.into(),
        token: signed.json()["token"].as_str().unwrap().into(),
        id: signed.json()["user"]["id"].as_str().unwrap().into(),
    };
    // A platform admin sees every tenant.
    let owner = sign_up("tenantforadmin");
    let org = create_org(&owner, "Watched");
    let seen = admin.get(&format!("/nno/roles?orgId={org}"));
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(
        admin.get("/nno/session").json()["permissions"],
        json!(["*"])
    );
    let second = call(
        "POST",
        "/nno/bootstrap",
        Some(
            &json!({"email": e2e::iam::email("admin2"), "password": "another admin password", "name": "Root"}),
        ),
        Some(key),
    );
    assert_eq!(second.status, 409, "{}", second.body);
}

#[test]
fn iam_permissions_cannot_be_mapped_or_granted_and_owners_stay_above_admins() {
    let owner = sign_up("aboveowner");
    let org = create_org(&owner, "Above");
    let admin = sign_up("ambitious");
    join(&owner, &admin, &org, "admin");
    // IAM's own permissions come only with the built-in roles.
    let map = admin.post(
        "/nno/roles",
        &json!({"orgId": org, "role": "admin", "permissions": ["iam:delete-tenant"]}),
    );
    assert_eq!(map.status, 422, "{}", map.body);
    let grant = owner.post(
        "/nno/grants",
        &json!({"userId": admin.id, "orgId": org, "permission": "iam:delete-tenant", "granted": true}),
    );
    assert_eq!(grant.status, 422, "{}", grant.body);
    // An admin cannot lift a denial the owner put on them, nor touch the owner's grants.
    let denial = owner.post(
        "/nno/grants",
        &json!({"userId": admin.id, "orgId": org, "permission": "billing:export", "granted": false}),
    );
    assert_eq!(denial.status, 201, "{}", denial.body);
    let lift = admin.delete(&format!(
        "/nno/grants/{}",
        denial.json()["id"].as_str().unwrap()
    ));
    assert_eq!(lift.status, 403, "{}", lift.body);
    let on_owner = admin.post(
        "/nno/grants",
        &json!({"userId": owner.id, "orgId": org, "permission": "billing:read", "granted": false}),
    );
    assert_eq!(on_owner.status, 403, "{}", on_owner.body);
    // Nor with an API key: roles and grants change with a session only.
    let key = admin.post(
        "/nno/apikey",
        &json!({"name": "k", "scopes": ["iam:manage-grants", "iam:read"], "orgId": org}),
    );
    assert_eq!(key.status, 201, "{}", key.body);
    let bearer = format!("Bearer {}", key.json()["key"].as_str().unwrap());
    let by_key = call(
        "POST",
        "/nno/grants",
        Some(
            &json!({"userId": admin.id, "orgId": org, "permission": "billing:export", "granted": true}),
        ),
        Some(&bearer),
    );
    assert_eq!(by_key.status, 403, "{}", by_key.body);
    // What the gateway forwards for the key (shown by nno/session) is what it may do now.
    let forwarded = |bearer: &str| {
        let who = call("GET", "/nno/session", None, Some(bearer));
        assert_eq!(who.status, 200, "{}", who.body);
        assert_eq!(who.json()["apiKey"]["orgId"], org.as_str());
        who.json()["permissions"].clone()
    };
    assert_eq!(forwarded(&bearer), json!(["iam:manage-grants", "iam:read"]));
    // Demoted, the admin's tenant key shrinks with them.
    let members = owner.get(&format!(
        "/auth/organization/list-members?organizationId={org}"
    ));
    let admin_member = members.json()["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["userId"] == admin.id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let demote = owner.post(
        "/auth/organization/update-member-role",
        &json!({"memberId": admin_member, "role": "member", "organizationId": org}),
    );
    assert_eq!(demote.status, 200, "{}", demote.body);
    let grants = call(
        "GET",
        &format!("/nno/grants?orgId={org}"),
        None,
        Some(&bearer),
    );
    assert_eq!(grants.status, 403, "{}", grants.body);
    assert_eq!(forwarded(&bearer), json!(["iam:read"]));
    let read = call(
        "GET",
        &format!("/nno/roles?orgId={org}"),
        None,
        Some(&bearer),
    );
    assert_eq!(read.status, 200, "{}", read.body);
}

#[test]
fn a_bearer_token_and_a_cookie_together_act_as_the_bearer() {
    let a = sign_up("cookieperson");
    let b = sign_up("bearerperson");
    let org_a = create_org(&a, "Cookie Org");
    let a_cookie = e2e::iam::set_cookie(
        &e2e::iam::sign_in(&a.email, e2e::iam::PASSWORD),
        "better-auth.session_token",
    )
    .unwrap();
    let r = e2e::get(
        &e2e::iam::url("/auth/organization/list"),
        &[("authorization", &b.bearer()), ("cookie", &a_cookie)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !r.body.contains(&org_a),
        "acted as the cookie's owner: {}",
        r.body
    );
}
