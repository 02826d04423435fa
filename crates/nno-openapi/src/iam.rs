//! IAM's operations (`nno_core::api::iam::ENDPOINTS`) under `/api/v1/iam`: Better
//! Auth's surface under `auth/`, NNO's own under `nno/`. The shapes are those of the
//! handlers in `services/iam/src` (bodies are `deny_unknown_fields`, so unknown
//! properties are refused with 422).

use crate::schemas::{
    body, closed, invitation_props, merge, nullable_string, r, role, string, time,
};
use crate::{json_response, with_headers, Auth, Describe};
use serde_json::{json, Value};

pub const TAGS: &[(&str, &str)] = &[
    (
        "Sign-in",
        "Better Auth's e-mail and password sign-up and sign-in, and sessions.",
    ),
    ("Password", "Changing and resetting passwords."),
    (
        "E-mail links",
        "E-mail verification and magic-link sign-in.",
    ),
    (
        "Social sign-in",
        "GitHub and Google (authorization code with state and PKCE).",
    ),
    (
        "Two-factor",
        "TOTP and backup codes (Better Auth's two-factor plugin).",
    ),
    (
        "Organizations",
        "Tenants as Better Auth organizations, their members and invitations.",
    ),
    (
        "Access",
        "NNO's session for services, feature permissions per role, and per-user grants.",
    ),
    ("API keys", "API keys of a person or a tenant."),
    ("Platform", "Operator steps."),
];

fn ok(description: &str, schema: Value) -> Value {
    json_response(description, schema)
}

fn cookie(response: Value) -> Value {
    with_headers(response, &[("set-cookie", "SetCookie")])
}

/// A 302 with its JSON body, `Location`, and maybe cookies.
fn redirect(description: &str) -> Value {
    with_headers(
        json_response(description, r("Redirect")),
        &[("location", "Location"), ("set-cookie", "SetCookie")],
    )
}

fn status() -> Value {
    r("Status")
}

fn nbool() -> Value {
    json!({ "type": ["boolean", "null"] })
}

/// A callback URL: a relative path or one on a trusted origin (else 403).
fn url() -> Value {
    json!({ "type": ["string", "null"], "description": "a relative path, or a URL on one of the environment's trusted origins (else 403)" })
}

fn slug() -> Value {
    json!({ "type": "string", "pattern": "^[a-z0-9-]+$", "minLength": 1, "maxLength": 63 })
}

fn name_field() -> Value {
    json!({ "type": "string", "minLength": 1, "description": "1 to 100 characters once trimmed, no control characters" })
}

fn password(description: &'static str) -> Value {
    json!({ "type": "string", "description": description })
}

fn new_password() -> Value {
    json!({ "type": "string", "description": "8 to 128 characters (NFKC)" })
}

fn role_input() -> Value {
    json!({ "oneOf": [
        role(),
        { "type": "array", "items": role(), "minItems": 1, "maxItems": 1 },
    ], "description": "one role (Better Auth also accepts a one-element list)" })
}

/// The organization's id as a link parameter.
fn from_org(target: &str, parameter: &str) -> Value {
    json!({ "operationId": target, "parameters": { parameter: "$response.body#/id" } })
}

fn from_org_body(target: &str, field: &str) -> Value {
    json!({ "operationId": target, "requestBody": { field: "$response.body#/id" } })
}

fn two_factor_verify_body() -> Value {
    body(
        &["code"],
        json!({
            "code": { "type": "string", "maxLength": 64, "description": "the 6-digit TOTP code, or a backup code" },
            "trustDevice": nbool(),
            "disableSession": nbool(),
        }),
    )
}

fn password_body() -> Value {
    body(
        &["password"],
        json!({ "password": password("the account's current password") }),
    )
}

pub fn descriptions() -> Vec<(&'static str, Describe)> {
    let user_and_token = ok(
        "Signed in: the session token and the user; the session cookie is set.",
        r("TokenAndUser"),
    );
    vec![
        // Sign-in and sessions
        ("signUpEmail", Describe::new("Sign-in", "Sign up with e-mail and password")
            .doc("Creates an unverified account and signs it in. A registered address is 409 `USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL`.")
            .auth(Auth::Public)
            .body(body(&["name", "email", "password"], json!({
                "name": name_field(), "email": string(), "password": new_password(),
                "image": { "type": ["string", "null"], "maxLength": 2048 },
                "callbackURL": url(), "rememberMe": nbool(),
            })), json!({ "name": "Ada Lovelace", "email": "ada@example.com", "password": "correct-horse-battery" }))
            .ok(200, cookie(user_and_token.clone()))
            .errors(&[409])),
        ("signInEmail", Describe::new("Sign-in", "Sign in with e-mail and password")
            .doc("With two-factor on (and no trusted device), answers a challenge and sets the `better-auth.two_factor` cookie instead of a session. A wrong e-mail or password is 401 `INVALID_EMAIL_OR_PASSWORD`, equally fast either way.")
            .auth(Auth::Public)
            .body(body(&["email", "password"], json!({
                "email": string(), "password": string(), "callbackURL": url(), "rememberMe": nbool(),
            })), json!({ "email": "ada@example.com", "password": "correct-horse-battery" }))
            .ok(200, cookie(ok("Signed in, or a two-factor challenge.", json!({ "oneOf": [
                closed(json!({ "redirect": { "const": false }, "token": string(), "url": nullable_string(), "user": r("User") })),
                r("TwoFactorChallenge"),
            ]}))))),
        ("getSession", Describe::new("Sign-in", "The current session")
            .auth(Auth::OptionalSession)
            .ok(200, ok("The session and its user, or null without one.", json!({ "anyOf": [{ "type": "null" }, r("SessionAndUser")] })))),
        ("signOut", Describe::new("Sign-in", "Sign out")
            .doc("Ends the session (if any) and clears the cookie.")
            .auth(Auth::OptionalSession)
            .ok(200, cookie(ok("Signed out.", closed(json!({ "success": { "const": true } })))))),
        ("listSessions", Describe::new("Sign-in", "The caller's live sessions")
            .doc("Tokens are stored only hashed, so each listed session's `token` is its id (which `revoke-session` accepts).")
            .ok(200, ok("Newest first, at most 100.", json!({ "type": "array", "items": r("Session") })))),
        ("revokeSession", Describe::new("Sign-in", "End one of the caller's sessions")
            .body(body(&["token"], json!({ "token": { "type": "string", "description": "a session token, or a listed session's id (1 to 512 characters once trimmed)" } })), json!({ "token": "0123456789abcdef0123456789abcdef" }))
            .ok(200, ok("Ended.", status()))
            .errors(&[404])),
        ("revokeSessions", Describe::new("Sign-in", "End every session of the caller, this one included")
            .ok(200, ok("Ended.", status()))),
        ("revokeOtherSessions", Describe::new("Sign-in", "End every other session of the caller")
            .ok(200, ok("Ended.", status()))),
        // Passwords
        ("changePassword", Describe::new("Password", "Change the password")
            .doc("Ends every other session. A wrong current password is 422 `INVALID_PASSWORD`.")
            .body(body(&["newPassword", "currentPassword"], json!({
                "newPassword": new_password(), "currentPassword": string(), "revokeOtherSessions": nbool(),
            })), json!({ "currentPassword": "correct-horse-battery", "newPassword": "another-horse-battery" }))
            .ok(200, ok("Changed.", closed(json!({ "token": { "type": "null" }, "user": r("User") }))))),
        ("requestPasswordReset", reset_request("Ask for a password-reset e-mail")),
        ("forgetPassword", reset_request("Ask for a password-reset e-mail (Better Auth's older name)")),
        ("resetPassword", Describe::new("Password", "Set a new password with a reset token")
            .doc("The token comes in the body or the query. Ends every session of the account; an unverified account is claimed by whoever proved the address.")
            .auth(Auth::Public)
            .query("token", false, "the reset token, when not in the body", json!({ "type": "string" }))
            .body(body(&["newPassword"], json!({ "newPassword": new_password(), "token": nullable_string() })), json!({ "newPassword": "another-horse-battery", "token": "0123456789abcdef" }))
            .ok(200, ok("Reset.", status()))
            .errors(&[400])),
        ("resetPasswordLink", Describe::new("Password", "The link in the reset e-mail")
            .doc("With `callbackURL`, redirects to it with `?token=` (or `?error=INVALID_TOKEN`); without one, answers the token or 400 `INVALID_TOKEN`.")
            .auth(Auth::Public)
            .path("token", "the reset token")
            .query("callbackURL", false, "where the browser goes next", json!({ "type": "string" }))
            .ok(200, ok("The token is valid.", closed(json!({ "status": { "const": true }, "token": string() }))))
            .ok(302, redirect("To the callback, with the token or an error."))
            .errors(&[400])),
        // E-mail links
        ("sendVerificationEmail", Describe::new("E-mail links", "Send an e-mail verification link")
            .doc("With a session, for the session's own unverified address (400 `EMAIL_MISMATCH`, 409 `EMAIL_ALREADY_VERIFIED`); without one, the same answer whether or not the address is known.")
            .auth(Auth::OptionalSession)
            .body(body(&["email"], json!({ "email": string(), "callbackURL": url() })), json!({ "email": "ada@example.com" }))
            .ok(200, ok("Sent, or nothing to send.", status()))
            .errors(&[409, 504])),
        ("verifyEmail", Describe::new("E-mail links", "Follow an e-mail verification link")
            .auth(Auth::Public)
            .query("token", false, "the verification token (a missing one is treated as invalid)", json!({ "type": "string" }))
            .query("callbackURL", false, "where the browser goes next", json!({ "type": "string" }))
            .ok(200, ok("Verified.", closed(json!({ "status": { "const": true }, "user": { "type": "null" } }))))
            .ok(302, redirect("To the callback (with `?error=INVALID_TOKEN` when the link is not valid)."))),
        ("signInMagicLink", Describe::new("E-mail links", "E-mail a sign-in link")
            .doc("The link lasts 5 minutes and creates the user on first use.")
            .auth(Auth::Public)
            .body(body(&["email"], json!({
                "email": string(), "name": { "type": ["string", "null"], "description": "1 to 100 characters once trimmed" },
                "callbackURL": url(), "newUserCallbackURL": url(), "errorCallbackURL": url(),
                "metadata": { "type": ["object", "null"] },
            })), json!({ "email": "ada@example.com", "callbackURL": "/" }))
            .ok(200, ok("Sent.", status()))
            .errors(&[504])),
        ("verifyMagicLink", Describe::new("E-mail links", "Follow a magic sign-in link")
            .auth(Auth::Public)
            .query("token", false, "the link's token (a missing one is treated as invalid)", json!({ "type": "string" }))
            .query("callbackURL", false, "where the browser goes next", json!({ "type": "string" }))
            .query("newUserCallbackURL", false, "where a new user goes next", json!({ "type": "string" }))
            .query("errorCallbackURL", false, "where the browser goes when the link is not valid", json!({ "type": "string" }))
            .ok(200, cookie(ok("Signed in, or a two-factor challenge.", json!({ "oneOf": [r("TokenAndUser"), r("TwoFactorChallenge")] }))))
            .ok(302, redirect("To the callback, signed in (or with `?error=INVALID_TOKEN`)."))),
        // Social
        ("signInSocial", Describe::new("Social sign-in", "Start a social sign-in")
            .doc("Answers the provider's authorization URL (and `Location` unless `disableRedirect`) and sets the signed `better-auth.state` cookie. An unconfigured provider is 404 `PROVIDER_NOT_FOUND`.")
            .auth(Auth::Public)
            .body(body(&["provider"], json!({
                "provider": { "type": "string", "description": "`github` or `google`" },
                "callbackURL": url(), "newUserCallbackURL": url(), "errorCallbackURL": url(),
                "disableRedirect": nbool(),
                "loginHint": { "type": ["string", "null"], "maxLength": 320 },
                "requestSignUp": nbool(),
                "idToken": { "description": "not supported (422): use the redirect flow" },
                "scopes": { "type": ["array", "null"], "items": { "type": "string", "maxLength": 100 }, "maxItems": 20 },
            })), json!({ "provider": "github", "callbackURL": "/" }))
            .ok(200, with_headers(cookie(ok("The provider's authorization URL.", closed(json!({ "url": string(), "redirect": { "type": "boolean" } })))), &[("location", "AuthorizeLocation")]))
            .errors(&[404])),
        ("socialCallback", Describe::new("Social sign-in", "The provider's redirect back")
            .doc("Checks the state against the browser's state cookie, exchanges the code (PKCE), reads the profile, finds or creates the user and redirects with a session; failures redirect to the error callback with `?error=`, or answer 400 when the flow named none.")
            .auth(Auth::Public)
            .path("provider", "`github` or `google`")
            .query("state", false, "the state sent to the provider", json!({ "type": "string" }))
            .query("code", false, "the authorization code", json!({ "type": "string" }))
            .query("error", false, "the provider's error", json!({ "type": "string" }))
            .ok(302, redirect("To the callback, signed in, or with `?error=`."))
            .errors(&[400, 504])),
        // Two-factor
        ("twoFactorEnable", Describe::new("Two-factor", "Set up TOTP")
            .doc("Two-factor turns on with the first `verify-totp` of this session. A wrong password is 400 `INVALID_PASSWORD`.")
            .body(body(&["password"], json!({
                "password": password("the account's current password"),
                "issuer": { "type": ["string", "null"], "minLength": 1, "maxLength": 100 },
            })), json!({ "password": "correct-horse-battery" }))
            .ok(200, ok("The otpauth URI and ten backup codes.", closed(json!({
                "method": { "const": "totp" }, "totpURI": string(),
                "backupCodes": { "type": "array", "items": string() },
            }))))
            .errors(&[409])),
        ("twoFactorDisable", Describe::new("Two-factor", "Turn two-factor off")
            .doc("Also forgets every trusted device.")
            .body(password_body(), json!({ "password": "correct-horse-battery" }))
            .ok(200, cookie(ok("Off.", status())))),
        ("twoFactorGetTotpUri", Describe::new("Two-factor", "The otpauth URI again")
            .body(password_body(), json!({ "password": "correct-horse-battery" }))
            .ok(200, ok("The URI.", closed(json!({ "totpURI": string() }))))),
        ("twoFactorGenerateBackupCodes", Describe::new("Two-factor", "Replace the backup codes")
            .body(password_body(), json!({ "password": "correct-horse-battery" }))
            .ok(200, ok("Ten new codes.", closed(json!({ "status": { "const": true }, "backupCodes": { "type": "array", "items": string() } }))))
            .errors(&[409])),
        ("twoFactorVerifyTotp", verify_factor("Verify a TOTP code")),
        ("twoFactorVerifyBackupCode", verify_factor("Verify a backup code")),
        // Organizations
        ("organizationCreate", Describe::new("Organizations", "Create a tenant")
            .doc("The creator is its owner and it becomes the session's active tenant (unless `keepCurrentActiveOrganization`). `userId` (for someone else) and `orgType: nno-operator` are for platform admins.")
            .body(body(&["name", "slug"], json!({
                "name": name_field(), "slug": slug(),
                "logo": { "type": ["string", "null"], "maxLength": 2048 },
                "metadata": { "type": ["object", "null"], "description": "at most 8 KiB as JSON" },
                "keepCurrentActiveOrganization": nbool(),
                "userId": nullable_string(),
                "orgType": { "type": ["string", "null"], "enum": ["tenant", "nno-operator", null] },
            })), json!({ "name": "Acme", "slug": "acme" }))
            .ok(200, ok("The tenant with its owner.", closed(merge(crate::schemas::organization_props(), json!({ "members": { "type": "array", "items": r("Member") } })))))
            .errors(&[404, 409])
            .link(200, "GetFullOrganization", from_org("organizationGetFull", "query.organizationId"))
            .link(200, "ListMembers", from_org("organizationListMembers", "query.organizationId"))
            .link(200, "ListInvitations", from_org("organizationListInvitations", "query.organizationId"))
            .link(200, "ListRoles", from_org("listRoles", "query.orgId"))
            .link(200, "ListGrants", from_org("listGrants", "query.orgId"))
            .link(200, "ListOwners", from_org("listTenantOwners", "path.orgId"))
            .link(200, "ListTenantKeys", from_org("listApiKeys", "query.orgId"))
            .link(200, "SetActive", from_org_body("organizationSetActive", "organizationId"))
            .link(200, "Update", from_org_body("organizationUpdate", "organizationId"))
            .link(200, "InviteMember", from_org_body("organizationInviteMember", "organizationId"))
            .link(200, "SetRole", from_org_body("setRole", "orgId"))
            .link(200, "CreateTenantKey", from_org_body("createApiKey", "orgId"))
            .link(200, "CreateGrant", json!({ "operationId": "createGrant", "requestBody": {
                "orgId": "$response.body#/id", "userId": "$response.body#/members/0/userId",
            }}))
            .link(200, "Delete", from_org_body("organizationDelete", "organizationId"))),
        ("organizationCheckSlug", Describe::new("Organizations", "Whether a slug is free")
            .body(body(&["slug"], json!({ "slug": slug() })), json!({ "slug": "acme" }))
            .ok(200, ok("Free.", status()))
            .errors(&[409])),
        ("organizationList", Describe::new("Organizations", "The caller's tenants")
            .ok(200, ok("Every tenant the caller is a member of.", json!({ "type": "array", "items": r("Organization") })))),
        ("organizationGetFull", Describe::new("Organizations", "A tenant with its members and invitations")
            .doc("The one named (by id or slug), else the active one; null when neither. 403 for non-members.")
            .query("organizationId", false, "the tenant's id", json!({ "type": "string" }))
            .query("organizationSlug", false, "the tenant's slug", json!({ "type": "string" }))
            .ok(200, ok("The tenant, or null.", json!({ "anyOf": [{ "type": "null" }, r("FullOrganization")] })))),
        ("organizationSetActive", Describe::new("Organizations", "Switch the session's active tenant")
            .doc("`organizationId: null` clears it.")
            .body(body(&[], json!({ "organizationId": nullable_string(), "organizationSlug": nullable_string() })), json!({ "organizationId": null }))
            .ok(200, ok("The new active tenant, or null.", json!({ "anyOf": [{ "type": "null" }, r("FullOrganization")] })))),
        ("organizationInviteMember", Describe::new("Organizations", "Invite someone by e-mail")
            .doc("Needs `iam:manage-members`; only owners invite owners. The invitation is e-mailed and lasts 48 hours; `resend` replaces a pending one.")
            .body(body(&["email", "role"], json!({
                "email": string(), "role": role_input(), "organizationId": nullable_string(), "resend": nbool(),
            })), json!({ "email": "grace@example.com", "role": "member" }))
            .ok(200, ok("The invitation.", r("Invitation")))
            .errors(&[400, 404, 409, 504])
            .link(200, "CancelInvitation", json!({ "operationId": "organizationCancelInvitation", "requestBody": { "invitationId": "$response.body#/id" } }))),
        ("organizationGetInvitation", Describe::new("Organizations", "An invitation addressed to the caller")
            .query("id", true, "the invitation's id", json!({ "type": "string" }))
            .ok(200, ok("The invitation with its tenant and inviter.", closed(merge(invitation_props(), json!({
                "organizationName": string(), "organizationSlug": string(), "inviterEmail": nullable_string(),
            })))))
            .errors(&[404, 422])),
        ("organizationAcceptInvitation", Describe::new("Organizations", "Accept an invitation")
            .doc("Makes the tenant the session's active one.")
            .body(invitation_body(), json!({ "invitationId": "0123456789abcdef" }))
            .ok(200, ok("Accepted.", closed(json!({ "invitation": r("Invitation"), "member": r("Member") }))))
            .errors(&[404])),
        ("organizationRejectInvitation", Describe::new("Organizations", "Reject an invitation")
            .body(invitation_body(), json!({ "invitationId": "0123456789abcdef" }))
            .ok(200, ok("Rejected.", closed(json!({ "invitation": r("Invitation"), "member": { "type": "null" } }))))
            .errors(&[404])),
        ("organizationCancelInvitation", Describe::new("Organizations", "Cancel an invitation")
            .body(invitation_body(), json!({ "invitationId": "0123456789abcdef" }))
            .ok(200, ok("Canceled.", r("Invitation")))
            .errors(&[404])),
        ("organizationListInvitations", Describe::new("Organizations", "A tenant's invitations")
            .doc("The one named, else the active one (400 `NO_ACTIVE_ORGANIZATION`). Needs `iam:manage-members`.")
            .query("organizationId", false, "the tenant's id", json!({ "type": "string" }))
            .ok(200, ok("Every invitation, any status.", json!({ "type": "array", "items": r("Invitation") })))
            .errors(&[400])),
        ("organizationRemoveMember", Describe::new("Organizations", "Remove a member")
            .doc("Anyone may remove themselves; others need `iam:manage-members`, and only owners remove owners. The last owner cannot go (400).")
            .body(body(&["memberIdOrEmail"], json!({ "memberIdOrEmail": string(), "organizationId": nullable_string() })), json!({ "memberIdOrEmail": "grace@example.com" }))
            .ok(200, ok("Removed.", closed(json!({ "member": r("Member") }))))
            .errors(&[400, 404])),
        ("organizationUpdateMemberRole", Describe::new("Organizations", "Change a member's role")
            .doc("Needs `iam:manage-members`; only owners touch owners; the last owner cannot be demoted (400).")
            .body(body(&["memberId", "role"], json!({ "memberId": string(), "role": role_input(), "organizationId": nullable_string() })), json!({ "memberId": "0123456789abcdef", "role": "admin" }))
            .ok(200, ok("The member with the new role.", closed(json!({
                "id": string(), "organizationId": string(), "userId": string(), "role": role(), "createdAt": time(),
            }))))
            .errors(&[400, 404])),
        ("organizationLeave", Describe::new("Organizations", "Leave a tenant")
            .doc("The last owner cannot leave (400).")
            .body(org_body(), json!({ "organizationId": "0123456789abcdef" }))
            .ok(200, ok("The membership that ended.", r("Member")))
            .errors(&[400, 404])),
        ("organizationGetActiveMember", Describe::new("Organizations", "The caller's membership in the active tenant")
            .ok(200, ok("The membership.", r("Member")))
            .errors(&[400, 404])),
        ("organizationListMembers", Describe::new("Organizations", "A tenant's members")
            .doc("The one named (by id or slug), else the active one (400 `NO_ACTIVE_ORGANIZATION`).")
            .query("organizationId", false, "the tenant's id", json!({ "type": "string" }))
            .query("organizationSlug", false, "the tenant's slug", json!({ "type": "string" }))
            .ok(200, ok("The members.", closed(json!({ "members": { "type": "array", "items": r("Member") }, "total": { "type": "integer", "minimum": 0 } }))))
            .errors(&[400])),
        ("organizationUpdate", Describe::new("Organizations", "Rename a tenant or change its slug, logo or metadata")
            .doc("Needs `iam:manage-tenant`.")
            .body(body(&["data"], json!({
                "data": body(&[], json!({
                    "name": { "type": ["string", "null"], "description": "1 to 100 characters once trimmed; null leaves it" },
                    "slug": { "type": ["string", "null"], "pattern": "^[a-z0-9-]+$", "minLength": 1, "maxLength": 63, "description": "null leaves it" },
                    "logo": { "type": ["string", "null"], "maxLength": 2048 },
                    "metadata": { "type": ["object", "null"], "description": "at most 8 KiB as JSON" },
                })),
                "organizationId": nullable_string(),
            })), json!({ "data": { "name": "Acme Inc." } }))
            .ok(200, ok("The tenant.", r("Organization")))
            .errors(&[400, 404, 409])),
        ("organizationDelete", Describe::new("Organizations", "Delete a tenant")
            .doc("Needs `iam:delete-tenant` (owners).")
            .body(org_body(), json!({ "organizationId": "0123456789abcdef" }))
            .ok(200, ok("The deleted tenant.", r("Organization")))
            .errors(&[404])),
        // NNO access
        ("nnoSession", Describe::new("Access", "Who the gateway says the caller is")
            .doc("For a session: the user, platform role, active tenant with the user's role there and the effective permissions. For an API key: the key and the permissions forwarded for it.")
            .auth(Auth::SessionOrKey)
            .ok(200, ok("The caller.", json!({
                "type": "object",
                "required": ["platformId", "user", "permissions"],
                "properties": {
                    "platformId": nullable_string(),
                    "user": {
                        "type": "object", "required": ["id"],
                        "properties": { "id": string(), "email": string(), "name": string() },
                        "additionalProperties": false,
                    },
                    "platformRole": string(),
                    "session": closed(json!({ "id": string(), "expiresAt": time(), "activeOrganizationId": nullable_string() })),
                    "tenant": closed(json!({ "id": string(), "role": role() })),
                    "apiKey": closed(json!({ "id": string(), "orgId": nullable_string() })),
                    "permissions": { "type": "array", "items": string() },
                },
                "additionalProperties": false,
            })))),
        ("listRoles", Describe::new("Access", "A tenant's feature permissions per role")
            .doc("Needs `iam:read` in the tenant.")
            .auth(Auth::SessionOrKey)
            .query("orgId", true, "the tenant's id", json!({ "type": "string", "minLength": 1, "maxLength": 64 }))
            .ok(200, ok("Each role's built-in and mapped permissions.", closed(json!({
                "orgId": string(),
                "roles": { "type": "array", "items": closed(json!({
                    "role": role(),
                    "builtin": { "type": "array", "items": string() },
                    "permissions": { "type": "array", "items": r("Permission") },
                }))},
            }))))
            .errors(&[404, 422])),
        ("setRole", Describe::new("Access", "Map feature permissions to a tenant role")
            .doc("With a session and `iam:manage-roles`; only owners change the owner role. `iam:*` permissions cannot be mapped (422).")
            .body(body(&["orgId", "role", "permissions"], json!({
                "orgId": string(), "role": role(),
                "permissions": { "type": "array", "items": r("Permission"), "maxItems": 200 },
            })), json!({ "orgId": "0123456789abcdef", "role": "member", "permissions": ["billing:read"] }))
            .ok(200, ok("The mapping now.", closed(json!({ "orgId": string(), "role": role(), "permissions": { "type": "array", "items": r("Permission") } }))))
            .errors(&[404])
            .link(200, "DeleteRole", json!({ "operationId": "deleteRole", "parameters": { "path.orgId": "$response.body#/orgId", "path.role": "$response.body#/role" } }))),
        ("deleteRole", Describe::new("Access", "Remove a role's feature permissions")
            .path("orgId", "the tenant's id")
            .path("role", "`owner`, `admin` or `member` (anything else is 404)")
            .ok(200, ok("Removed.", closed(json!({ "deleted": { "const": true } }))))
            .errors(&[404])),
        ("listGrants", Describe::new("Access", "A tenant's live grants and denials")
            .doc("Anyone may read their own (`userId` = theirs, `iam:read`); others' need `iam:manage-grants`.")
            .auth(Auth::SessionOrKey)
            .query("orgId", true, "the tenant's id", json!({ "type": "string", "minLength": 1, "maxLength": 64 }))
            .query("userId", false, "only this member's", json!({ "type": "string" }))
            .ok(200, ok("The grants.", closed(json!({ "grants": { "type": "array", "items": r("Grant") } }))))
            .errors(&[404, 422])),
        ("createGrant", Describe::new("Access", "Grant or deny a permission to a member")
            .doc("With a session and `iam:manage-grants`; admins do not grant to or about owners, and only owners change their own grants. `iam:*` permissions cannot be granted (422).")
            .body(body(&["userId", "orgId", "permission", "granted"], json!({
                "userId": string(), "orgId": string(), "permission": r("Permission"),
                "granted": { "type": "boolean" },
                "grantedBy": { "type": ["string", "null"], "description": "ignored: IAM records the caller" },
                "expiresAt": { "type": ["integer", "null"], "description": "Unix milliseconds, in the future" },
            })), json!({ "userId": "0123456789abcdef", "orgId": "0123456789abcdef", "permission": "billing:read", "granted": true }))
            .ok(201, ok("The grant (replacing one for the same member and permission).", r("Grant")))
            .errors(&[404])
            .link(201, "DeleteGrant", json!({ "operationId": "deleteGrant", "parameters": { "path.id": "$response.body#/id" } }))
            .link(201, "ListGrants", json!({ "operationId": "listGrants", "parameters": { "query.orgId": "$response.body#/orgId", "query.userId": "$response.body#/userId" } }))),
        ("deleteGrant", Describe::new("Access", "Remove a grant or denial")
            .path("id", "the grant's id")
            .ok(200, ok("Removed.", closed(json!({ "deleted": { "const": true } }))))
            .errors(&[404])),
        // API keys
        ("listApiKeys", Describe::new("API keys", "API keys")
            .doc("Without `orgId`, the caller's personal keys (sessions only); with it, the tenant's (needs `iam:manage-keys`).")
            .auth(Auth::SessionOrKey)
            .query("orgId", false, "a tenant's id", json!({ "type": "string" }))
            .ok(200, ok("The keys, never the secrets.", closed(json!({ "keys": { "type": "array", "items": r("ApiKey") } }))))
            .errors(&[404])),
        ("createApiKey", Describe::new("API keys", "Create an API key")
            .doc("With a session (keys cannot create keys). A tenant key (`orgId`) needs `iam:manage-keys` and every scope. The key is in this answer only.")
            .body(body(&["name", "scopes"], json!({
                "name": { "type": "string", "minLength": 1, "description": "1 to 100 characters once trimmed" },
                "scopes": { "type": "array", "items": r("Permission"), "minItems": 1, "maxItems": 50 },
                "orgId": nullable_string(),
                "expiresIn": { "type": ["integer", "null"], "minimum": 60, "maximum": 31_536_000, "description": "lifetime in seconds" },
                "rateLimit": { "type": ["object", "null"], "required": ["max", "windowSeconds"], "properties": {
                    "max": { "type": "integer", "minimum": 1, "maximum": 10_000 },
                    "windowSeconds": { "type": "integer", "minimum": 1, "maximum": 3600 },
                }, "additionalProperties": false },
            })), json!({ "name": "ci", "scopes": ["iam:read"] }))
            .ok(201, ok("The key, with its secret `key` (shown once).", closed(merge(
                crate::schemas::api_key_props(),
                json!({ "key": { "type": "string", "pattern": "^nno_[a-z2-7]{32}$" } }),
            ))))
            .errors(&[404, 409])
            .link(201, "RevokeApiKey", json!({ "operationId": "revokeApiKey", "parameters": { "path.id": "$response.body#/id" } }))),
        ("verifyApiKey", Describe::new("API keys", "Verify an API key (the gateway's own call)")
            .doc("Only the gateway's internal calls may use it; a client's request, whatever its credentials, is refused with 403.")
            .auth(Auth::GatewayOnly)
            .body(body(&["key"], json!({ "key": string() })), json!({ "key": "nno_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }))),
        ("revokeApiKey", Describe::new("API keys", "Revoke an API key")
            .doc("By its owner, a key manager of its tenant, or the key itself. Takes effect on the next request.")
            .auth(Auth::SessionOrKey)
            .path("id", "the key's id")
            .ok(200, ok("Revoked.", closed(json!({ "revoked": { "const": true }, "id": string() }))))
            .errors(&[404, 409])),
        ("bootstrap", Describe::new("Platform", "Create the first platform admin")
            .doc("Once per platform, with the service key.")
            .auth(Auth::ServiceKey)
            .body(body(&["email", "password", "name"], json!({ "email": string(), "password": new_password(), "name": name_field() })), json!({ "email": "admin@example.com", "password": "correct-horse-battery", "name": "Admin" }))
            .ok(201, ok("The admin.", closed(json!({ "user": r("User") }))))
            .errors(&[409])),
        ("listTenantOwners", Describe::new("Platform", "A tenant's owners and their addresses")
            .doc("Operators only (the service key, platform admins, NNO's services: billing mails its usage alerts to them). 404 for a tenant that does not exist.")
            .auth(Auth::Any)
            .path("orgId", "the tenant's id (1 to 64 characters)")
            .ok(200, ok("The owners, oldest first.", closed(json!({
                "orgId": string(),
                "owners": { "type": "array", "items": closed(json!({
                    "userId": string(), "email": string(), "name": nullable_string(),
                }))},
            }))))
            .errors(&[404, 422])),
    ]
}

fn reset_request(summary: &'static str) -> Describe {
    Describe::new("Password", summary)
        .doc("Always the same answer, as fast for unknown addresses (the e-mail is sent after the answer). The link leads to `GET auth/reset-password/{token}`.")
        .auth(Auth::Public)
        .body(
            body(&["email"], json!({ "email": string(), "redirectTo": url() })),
            json!({ "email": "ada@example.com", "redirectTo": "/reset" }),
        )
        .ok(
            200,
            ok(
                "Accepted.",
                closed(json!({ "status": { "const": true }, "message": string() })),
            ),
        )
}

fn verify_factor(summary: &'static str) -> Describe {
    Describe::new("Two-factor", summary)
        .doc("With a session: confirms the set-up (turning two-factor on) or re-checks a code. With the `better-auth.two_factor` challenge cookie: completes the sign-in (5 wrong codes end the challenge; 10 in a row lock verification for 15 minutes, 429 `ACCOUNT_TEMPORARILY_LOCKED`); `trustDevice` remembers the browser for 30 days.")
        .auth(Auth::OptionalSession)
        .body(two_factor_verify_body(), json!({ "code": "123456" }))
        .ok(200, cookie(ok("Verified: the session token and the user.", r("TokenAndUser"))))
        .errors(&[409])
}

fn invitation_body() -> Value {
    body(&["invitationId"], json!({ "invitationId": string() }))
}

fn org_body() -> Value {
    body(&["organizationId"], json!({ "organizationId": string() }))
}
