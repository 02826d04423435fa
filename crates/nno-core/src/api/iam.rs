//! IAM's operations, as gateway paths under `/api/v1/iam` (IAM serves them under
//! `/api`): Better Auth's surface under `auth/`, NNO's own under `nno/`.

use super::Access::{Authenticated as Auth, Public};
use super::{Endpoint, Method};
use crate::ratelimit::{Rule, AUTH, AUTH_STRICT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    SignUpEmail,
    SignInEmail,
    GetSession,
    SignOut,
    ListSessions,
    RevokeSession,
    RevokeSessions,
    RevokeOtherSessions,
    ChangePassword,
    RequestPasswordReset,
    ResetPassword,
    ResetPasswordLink,
    SendVerificationEmail,
    VerifyEmail,
    SignInMagicLink,
    VerifyMagicLink,
    SignInSocial,
    SocialCallback,
    TwoFactorEnable,
    TwoFactorDisable,
    TwoFactorGetTotpUri,
    TwoFactorGenerateBackupCodes,
    TwoFactorVerifyTotp,
    TwoFactorVerifyBackupCode,
    OrgCreate,
    OrgCheckSlug,
    OrgList,
    OrgGetFull,
    OrgSetActive,
    OrgInvite,
    OrgGetInvitation,
    OrgAcceptInvitation,
    OrgRejectInvitation,
    OrgCancelInvitation,
    OrgListInvitations,
    OrgRemoveMember,
    OrgUpdateMemberRole,
    OrgLeave,
    OrgGetActiveMember,
    OrgListMembers,
    OrgUpdate,
    OrgDelete,
    NnoSession,
    ListRoles,
    SetRole,
    DeleteRole,
    ListGrants,
    CreateGrant,
    DeleteGrant,
    ListKeys,
    CreateKey,
    VerifyKey,
    RevokeKey,
    Bootstrap,
    TenantOwners,
}

use super::endpoint as e;

use Method::{Delete, Get, Post};
use Op::*;
const STRICT: Option<Rule> = Some(AUTH_STRICT);
const LINKS: Option<Rule> = Some(AUTH);

/// Every IAM operation. Endpoints that check a password or a second factor are under
/// the strict per-IP limit; those that send e-mail or start a sign-in under the
/// ordinary one.
#[rustfmt::skip]
pub const ENDPOINTS: [Endpoint<Op>; 56] = [
    e(Post, "auth/sign-up/email", "signUpEmail", SignUpEmail, Public, STRICT),
    e(Post, "auth/sign-in/email", "signInEmail", SignInEmail, Public, STRICT),
    e(Get, "auth/get-session", "getSession", GetSession, Public, None),
    e(Post, "auth/sign-out", "signOut", SignOut, Public, None),
    e(Get, "auth/list-sessions", "listSessions", ListSessions, Auth, None),
    e(Post, "auth/revoke-session", "revokeSession", RevokeSession, Auth, None),
    e(Post, "auth/revoke-sessions", "revokeSessions", RevokeSessions, Auth, None),
    e(Post, "auth/revoke-other-sessions", "revokeOtherSessions", RevokeOtherSessions, Auth, None),
    e(Post, "auth/change-password", "changePassword", ChangePassword, Auth, STRICT),
    e(Post, "auth/request-password-reset", "requestPasswordReset", RequestPasswordReset, Public, LINKS),
    e(Post, "auth/forget-password", "forgetPassword", RequestPasswordReset, Public, LINKS),
    e(Post, "auth/reset-password", "resetPassword", ResetPassword, Public, STRICT),
    e(Get, "auth/reset-password/{token}", "resetPasswordLink", ResetPasswordLink, Public, None),
    e(Post, "auth/send-verification-email", "sendVerificationEmail", SendVerificationEmail, Public, LINKS),
    e(Get, "auth/verify-email", "verifyEmail", VerifyEmail, Public, LINKS),
    e(Post, "auth/sign-in/magic-link", "signInMagicLink", SignInMagicLink, Public, LINKS),
    e(Get, "auth/magic-link/verify", "verifyMagicLink", VerifyMagicLink, Public, LINKS),
    e(Post, "auth/sign-in/social", "signInSocial", SignInSocial, Public, LINKS),
    e(Get, "auth/callback/{provider}", "socialCallback", SocialCallback, Public, None),
    e(Post, "auth/two-factor/enable", "twoFactorEnable", TwoFactorEnable, Auth, STRICT),
    e(Post, "auth/two-factor/disable", "twoFactorDisable", TwoFactorDisable, Auth, STRICT),
    e(Post, "auth/two-factor/get-totp-uri", "twoFactorGetTotpUri", TwoFactorGetTotpUri, Auth, STRICT),
    e(Post, "auth/two-factor/generate-backup-codes", "twoFactorGenerateBackupCodes", TwoFactorGenerateBackupCodes, Auth, STRICT),
    e(Post, "auth/two-factor/verify-totp", "twoFactorVerifyTotp", TwoFactorVerifyTotp, Public, STRICT),
    e(Post, "auth/two-factor/verify-backup-code", "twoFactorVerifyBackupCode", TwoFactorVerifyBackupCode, Public, STRICT),
    e(Post, "auth/organization/create", "organizationCreate", OrgCreate, Auth, None),
    e(Post, "auth/organization/check-slug", "organizationCheckSlug", OrgCheckSlug, Auth, None),
    e(Get, "auth/organization/list", "organizationList", OrgList, Auth, None),
    e(Get, "auth/organization/get-full-organization", "organizationGetFull", OrgGetFull, Auth, None),
    e(Post, "auth/organization/set-active", "organizationSetActive", OrgSetActive, Auth, None),
    e(Post, "auth/organization/invite-member", "organizationInviteMember", OrgInvite, Auth, None),
    e(Get, "auth/organization/get-invitation", "organizationGetInvitation", OrgGetInvitation, Auth, None),
    e(Post, "auth/organization/accept-invitation", "organizationAcceptInvitation", OrgAcceptInvitation, Auth, None),
    e(Post, "auth/organization/reject-invitation", "organizationRejectInvitation", OrgRejectInvitation, Auth, None),
    e(Post, "auth/organization/cancel-invitation", "organizationCancelInvitation", OrgCancelInvitation, Auth, None),
    e(Get, "auth/organization/list-invitations", "organizationListInvitations", OrgListInvitations, Auth, None),
    e(Post, "auth/organization/remove-member", "organizationRemoveMember", OrgRemoveMember, Auth, None),
    e(Post, "auth/organization/update-member-role", "organizationUpdateMemberRole", OrgUpdateMemberRole, Auth, None),
    e(Post, "auth/organization/leave", "organizationLeave", OrgLeave, Auth, None),
    e(Get, "auth/organization/get-active-member", "organizationGetActiveMember", OrgGetActiveMember, Auth, None),
    e(Get, "auth/organization/list-members", "organizationListMembers", OrgListMembers, Auth, None),
    e(Post, "auth/organization/update", "organizationUpdate", OrgUpdate, Auth, None),
    e(Post, "auth/organization/delete", "organizationDelete", OrgDelete, Auth, None),
    e(Get, "nno/session", "nnoSession", NnoSession, Auth, None),
    e(Get, "nno/roles", "listRoles", ListRoles, Auth, None),
    e(Post, "nno/roles", "setRole", SetRole, Auth, None),
    e(Delete, "nno/roles/{orgId}/{role}", "deleteRole", DeleteRole, Auth, None),
    e(Get, "nno/grants", "listGrants", ListGrants, Auth, None),
    e(Post, "nno/grants", "createGrant", CreateGrant, Auth, None),
    e(Delete, "nno/grants/{id}", "deleteGrant", DeleteGrant, Auth, None),
    e(Get, "nno/apikey", "listApiKeys", ListKeys, Auth, None),
    e(Post, "nno/apikey", "createApiKey", CreateKey, Auth, None),
    e(Post, "nno/apikey/verify", "verifyApiKey", VerifyKey, Auth, None),
    e(Delete, "nno/apikey/{id}", "revokeApiKey", RevokeKey, Auth, None),
    e(Post, "nno/bootstrap", "bootstrap", Bootstrap, Auth, None),
    e(Get, "nno/tenants/{orgId}/owners", "listTenantOwners", TenantOwners, Auth, None),
];

#[cfg(test)]
mod tests {
    use super::super::{find, policy, Found, Method};
    use super::*;

    #[test]
    fn drifted_405s_are_answered_from_the_table() {
        for (method, path, allow) in [
            ("POST", "auth/reset-password/x", vec![Method::Get]),
            ("POST", "auth/callback/github", vec![Method::Get]),
            ("GET", "nno/roles/o/r", vec![Method::Delete]),
            ("PUT", "nno/roles", vec![Method::Get, Method::Post]),
            ("BREW", "auth/get-session", vec![Method::Get]),
        ] {
            assert_eq!(
                find(&ENDPOINTS, method, path),
                Found::MethodNotAllowed(allow),
                "{method} {path}"
            );
        }
        assert_eq!(
            find(&ENDPOINTS, "POST", "auth/sign-in/email/"),
            Found::NotFound
        );
    }

    #[test]
    fn dispatch_finds_params() {
        match find(&ENDPOINTS, "DELETE", "nno/roles/o1/admin") {
            Found::Op(e, p) => {
                assert_eq!(e.op, Op::DeleteRole);
                assert_eq!(p, ["o1", "admin"]);
            }
            other => panic!("{other:?}"),
        }
        match find(&ENDPOINTS, "GET", "nno/roles") {
            Found::Op(e, _) => assert_eq!(e.op, Op::ListRoles),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn gateway_policy_follows_the_table() {
        let p = |path: &str| policy(&format!("/api/v1/iam/{path}"));
        assert!(p("auth/sign-in/email").public);
        assert_eq!(p("auth/sign-in/email").ip_limit, Some(AUTH_STRICT));
        assert!(p("auth/callback/github").public);
        assert!(!p("auth/callback/").public);
        assert!(p("auth/reset-password/tok123").public);
        assert!(p("auth/get-session").public);
        assert!(!p("auth/list-sessions").public);
        assert!(!p("auth/sign-in/email/extra").public);
        assert!(!p("nno/apikey").public);
        assert_eq!(p("auth/get-session").ip_limit, None);
        assert_eq!(p("auth/request-password-reset").ip_limit, Some(AUTH));
        // Every endpoint that checks a password is as strict as sign-in.
        for path in [
            "auth/two-factor/get-totp-uri",
            "auth/two-factor/disable",
            "auth/two-factor/generate-backup-codes",
            "auth/two-factor/enable",
            "auth/change-password",
        ] {
            assert_eq!(p(path).ip_limit, Some(AUTH_STRICT), "{path}");
        }
        assert!(policy("/api/v1/iam/health").public);
    }
}
