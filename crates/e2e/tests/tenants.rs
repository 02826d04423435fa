//! Tenants (Better Auth organizations) through the gateway: create, list, invite by
//! e-mail (the link followed from the sandbox's capture), accept, role changes,
//! removal, leaving; and one tenant's member refused on another tenant.

use e2e::iam::{create_org, from_last_email, join, sign_up};
use serde_json::json;

#[test]
fn create_invite_accept_change_role_remove() {
    let owner = sign_up("owner");
    let org = create_org(&owner, "Acme");

    let list = owner.get("/auth/organization/list");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == org.as_str()));

    // Creating made it the active tenant; the full view has the owner.
    let full = owner.get("/auth/organization/get-full-organization");
    assert_eq!(full.status, 200, "{}", full.body);
    let v = full.json();
    assert_eq!(v["id"], org.as_str());
    assert_eq!(v["members"].as_array().unwrap().len(), 1);
    assert_eq!(v["members"][0]["role"], "owner");
    assert_eq!(v["members"][0]["user"]["email"], owner.email);

    let bob = sign_up("bob");
    // The invitation e-mail carries words the inviter chose: only a verified
    // address may make NNO send one.
    let unproven = owner.post(
        "/auth/organization/invite-member",
        &json!({"email": bob.email, "role": "member", "organizationId": org}),
    );
    assert_eq!(unproven.status, 403, "{}", unproven.body);
    assert_eq!(unproven.json()["code"], "EMAIL_NOT_VERIFIED");
    owner.verify();
    let inv = owner.post(
        "/auth/organization/invite-member",
        &json!({"email": bob.email, "role": "member", "organizationId": org}),
    );
    assert_eq!(inv.status, 200, "{}", inv.body);
    let invitation = inv.json();
    assert_eq!(invitation["status"], "pending");
    assert_eq!(invitation["role"], "member");
    // The invitation arrived by e-mail; Bob follows it.
    let mail_id = from_last_email(&bob.email, "Invitation id");
    assert_eq!(mail_id, invitation["id"].as_str().unwrap());
    let again = owner.post(
        "/auth/organization/invite-member",
        &json!({"email": bob.email, "role": "member", "organizationId": org}),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(
        again.json()["code"],
        "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION"
    );

    // Someone else cannot accept Bob's invitation.
    let eve = sign_up("eve");
    let stolen = eve.post(
        "/auth/organization/accept-invitation",
        &json!({"invitationId": mail_id}),
    );
    assert_eq!(stolen.status, 403, "{}", stolen.body);

    let seen = bob.get(&format!("/auth/organization/get-invitation?id={mail_id}"));
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.json()["organizationName"], "Acme");
    // An unverified account only claims the address: it cannot accept.
    let unverified = bob.post(
        "/auth/organization/accept-invitation",
        &json!({"invitationId": mail_id}),
    );
    assert_eq!(unverified.status, 403, "{}", unverified.body);
    assert_eq!(unverified.json()["code"], "EMAIL_NOT_VERIFIED");
    bob.verify();
    let acc = bob.post(
        "/auth/organization/accept-invitation",
        &json!({"invitationId": mail_id}),
    );
    assert_eq!(acc.status, 200, "{}", acc.body);
    let member_id = acc.json()["member"]["id"].as_str().unwrap().to_string();
    assert_eq!(acc.json()["member"]["role"], "member");
    let twice = bob.post(
        "/auth/organization/accept-invitation",
        &json!({"invitationId": mail_id}),
    );
    assert_eq!(twice.status, 404, "accepting twice: {}", twice.body);

    // Bob, a member, may not manage members.
    let denied = bob.post(
        "/auth/organization/update-member-role",
        &json!({"memberId": member_id, "role": "admin", "organizationId": org}),
    );
    assert_eq!(denied.status, 403, "{}", denied.body);

    let promoted = owner.post(
        "/auth/organization/update-member-role",
        &json!({"memberId": member_id, "role": "admin", "organizationId": org}),
    );
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    assert_eq!(promoted.json()["role"], "admin");

    // The session the gateway sees carries the tenant role and permissions.
    bob.post(
        "/auth/organization/set-active",
        &json!({"organizationId": org}),
    );
    let s = bob.get("/nno/session");
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.json()["tenant"]["role"], "admin");
    assert_eq!(s.json()["platformId"], "k3m9p2xw7q", "NNO's own IAM");
    assert!(s.json()["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "iam:manage-members"));

    // An admin cannot remove the owner, nor make themselves owner.
    let coup = bob.post(
        "/auth/organization/remove-member",
        &json!({"memberIdOrEmail": owner.email, "organizationId": org}),
    );
    assert_eq!(coup.status, 403, "{}", coup.body);
    let crown = bob.post(
        "/auth/organization/update-member-role",
        &json!({"memberId": member_id, "role": "owner", "organizationId": org}),
    );
    assert_eq!(crown.status, 403, "{}", crown.body);

    let removed = owner.post(
        "/auth/organization/remove-member",
        &json!({"memberIdOrEmail": bob.email, "organizationId": org}),
    );
    assert_eq!(removed.status, 200, "{}", removed.body);
    let after = owner.get(&format!(
        "/auth/organization/get-full-organization?organizationId={org}"
    ));
    assert_eq!(after.json()["members"].as_array().unwrap().len(), 1);
    // Removed means removed: Bob sees nothing of the tenant any more.
    let gone = bob.get(&format!(
        "/auth/organization/get-full-organization?organizationId={org}"
    ));
    assert_eq!(gone.status, 403, "{}", gone.body);
    let s = bob.get("/nno/session");
    assert_eq!(s.json()["tenant"], serde_json::Value::Null, "{}", s.body);
}

#[test]
fn the_last_owner_cannot_leave_and_members_can() {
    let owner = sign_up("solo");
    let org = create_org(&owner, "Solo");
    let leave = owner.post("/auth/organization/leave", &json!({"organizationId": org}));
    assert_eq!(leave.status, 400, "{}", leave.body);
    assert_eq!(
        leave.json()["code"],
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER"
    );
    let demote = owner.get(&format!(
        "/auth/organization/get-full-organization?organizationId={org}"
    ));
    let my_member = demote.json()["members"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = owner.post(
        "/auth/organization/update-member-role",
        &json!({"memberId": my_member, "role": "member", "organizationId": org}),
    );
    assert_eq!(r.status, 400, "{}", r.body);

    let carol = sign_up("carol");
    join(&owner, &carol, &org, "member");
    let left = carol.post("/auth/organization/leave", &json!({"organizationId": org}));
    assert_eq!(left.status, 200, "{}", left.body);
    assert_eq!(left.json()["userId"], carol.id.as_str());
}

#[test]
fn a_member_of_one_tenant_is_refused_on_another() {
    let alice = sign_up("alice");
    let tenant_a = create_org(&alice, "Tenant A");
    let bruno = sign_up("bruno");
    let tenant_b = create_org(&bruno, "Tenant B");
    let mallory = sign_up("mallory");
    join(&alice, &mallory, &tenant_a, "admin");

    // Mallory, an admin of A, tries everything on B.
    let full = mallory.get(&format!(
        "/auth/organization/get-full-organization?organizationId={tenant_b}"
    ));
    assert_eq!(full.status, 403, "{}", full.body);
    assert!(!full.body.contains(&bruno.email), "nothing of B leaks");
    let active = mallory.post(
        "/auth/organization/set-active",
        &json!({"organizationId": tenant_b}),
    );
    assert_eq!(active.status, 403, "{}", active.body);
    let invite = mallory.post(
        "/auth/organization/invite-member",
        &json!({"email": "friend@example.com", "role": "admin", "organizationId": tenant_b}),
    );
    assert_eq!(invite.status, 403, "{}", invite.body);
    let members = mallory.get(&format!(
        "/auth/organization/list-members?organizationId={tenant_b}"
    ));
    assert_eq!(members.status, 403, "{}", members.body);
    let remove = mallory.post(
        "/auth/organization/remove-member",
        &json!({"memberIdOrEmail": bruno.email, "organizationId": tenant_b}),
    );
    assert_eq!(remove.status, 403, "{}", remove.body);
    let roles = mallory.get(&format!("/nno/roles?orgId={tenant_b}"));
    assert_eq!(roles.status, 403, "{}", roles.body);
    let grants = mallory.get(&format!("/nno/grants?orgId={tenant_b}"));
    assert_eq!(grants.status, 403, "{}", grants.body);
    let grant = mallory.post(
        "/nno/grants",
        &json!({"userId": mallory.id, "orgId": tenant_b, "permission": "billing:read", "granted": true}),
    );
    assert_eq!(grant.status, 403, "{}", grant.body);
    let key = mallory.post(
        "/nno/apikey",
        &json!({"name": "sneaky", "scopes": ["iam:read"], "orgId": tenant_b}),
    );
    assert_eq!(key.status, 403, "{}", key.body);
    let delete = mallory.post(
        "/auth/organization/delete",
        &json!({"organizationId": tenant_b}),
    );
    assert_eq!(delete.status, 403, "{}", delete.body);

    // And B is untouched.
    let b = bruno.get(&format!(
        "/auth/organization/get-full-organization?organizationId={tenant_b}"
    ));
    assert_eq!(b.status, 200);
    assert_eq!(b.json()["members"].as_array().unwrap().len(), 1);
    // Mallory still works in A.
    let a = mallory.get(&format!(
        "/auth/organization/get-full-organization?organizationId={tenant_a}"
    ));
    assert_eq!(a.status, 200, "{}", a.body);
}

#[test]
fn organization_input_is_validated() {
    let owner = sign_up("validator");
    for (body, status) in [
        (json!({"name": "X", "slug": "Bad Slug"}), 422),
        (json!({"name": "", "slug": "ok-slug"}), 422),
        (json!({"name": "X"}), 422),
        (json!({"name": "X", "slug": 5}), 422),
        (json!({"name": "X", "slug": "ok", "extra": true}), 422),
        (json!({"name": "X", "slug": "x".repeat(64)}), 422),
        (
            json!({"name": "X", "slug": "ok", "orgType": "nno-operator"}),
            403,
        ),
    ] {
        let r = owner.post("/auth/organization/create", &body);
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(
            r.json()["error"]["code"].is_string(),
            "envelope: {}",
            r.body
        );
        assert!(
            r.json()["message"].is_string(),
            "Better Auth's top-level message: {}",
            r.body
        );
    }
    let org = create_org(&owner, "Valid");
    let full = owner.get(&format!(
        "/auth/organization/get-full-organization?organizationId={org}"
    ));
    let slug = full.json()["slug"].as_str().unwrap().to_string();
    let dup = owner.post(
        "/auth/organization/create",
        &json!({"name": "Dup", "slug": slug}),
    );
    assert_eq!(dup.status, 409, "{}", dup.body);
    assert_eq!(dup.json()["code"], "ORGANIZATION_ALREADY_EXISTS");
    let role = owner.post(
        "/auth/organization/invite-member",
        &json!({"email": "x@example.com", "role": "emperor", "organizationId": org}),
    );
    assert_eq!(role.status, 422, "{}", role.body);
    assert_eq!(role.json()["code"], "ROLE_NOT_FOUND");
    let no_session = e2e::iam::call("GET", "/auth/organization/list", None, None);
    assert_eq!(no_session.status, 401, "{}", no_session.body);
}

#[test]
fn two_owners_leaving_at_once_leave_one_behind() {
    // The last-owner rule is checked inside the statement that removes the member, so
    // two owners who leave in the same instant cannot both pass a separate check.
    for round in 0..4 {
        let a = sign_up(&format!("race-a{round}"));
        let b = sign_up(&format!("race-b{round}"));
        let org = create_org(&a, "Race");
        join(&a, &b, &org, "owner");
        let body = json!({"organizationId": org});
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| a.post("/auth/organization/leave", &body));
            let tb = s.spawn(|| b.post("/auth/organization/leave", &body));
            (ta.join().unwrap(), tb.join().unwrap())
        });
        let left = [ra.status, rb.status].iter().filter(|s| **s == 200).count();
        assert_eq!(
            left, 1,
            "round {round}: {} {} / {} {}",
            ra.status, ra.body, rb.status, rb.body
        );
        let stayed = if ra.status == 200 { &b } else { &a };
        let full = stayed.get(&format!(
            "/auth/organization/get-full-organization?organizationId={org}"
        ));
        assert_eq!(full.status, 200, "{}", full.body);
        let members = full.json()["members"].as_array().unwrap().clone();
        assert_eq!(members.len(), 1);
        assert_eq!(members[0]["role"], "owner");
    }
}
