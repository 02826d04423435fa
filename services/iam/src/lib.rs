//! NNO iam: identity. Users, credentials, sessions, tenants (organizations), roles,
//! grants, API keys and two-factor, with a Better Auth-compatible HTTP surface so that
//! Better Auth's own clients work against it unchanged.
//!
//! This Worker's paths (through the gateway they are under /api/v1/iam, e.g.
//! /api/v1/iam/auth/sign-in/email):
//!   /api/auth/*   Better Auth's endpoints; errors carry Better Auth's top-level
//!                 `code`/`message` beside NNO's envelope
//!   /api/nno/*    NNO's own: session for the gateway, roles, grants, API keys,
//!                 bootstrap
//! The operations, their methods (and so the 405s), which are public and how each is
//! limited are one table, `nno_core::api::iam::ENDPOINTS`, shared with the gateway.
//!   GET /health, /health/live (also under /api)

mod access;
mod caller;
mod config;
mod dto;
mod email_links;
mod handlers;
mod keys;
mod mailer;
mod orgs;
mod query;
mod signin;
mod social;
mod store;
mod twofactor;

use nno_core::api::{self, iam, iam::Op};
use nno_core::Service;
use nno_worker::{respond, serve, ApiResult, Probe, RequestContext, ServiceSpec};
use worker::{event, Context, Env, Request, Response, Result};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Iam,
    probes: &[Probe::D1("DB")],
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, runtime: Context) -> Result<Response> {
    serve(req, env, runtime, &SPEC, route).await
}

async fn route(req: Request, env: Env, ctx: RequestContext) -> ApiResult {
    let Some(rest) = ctx.path.strip_prefix("/api/") else {
        return nno_worker::no_routes(req, env, ctx).await;
    };
    // Better Auth's clients read errors at the top level; NNO's read the envelope.
    let compat = rest.starts_with("auth/");
    let answer = match api::find(&iam::ENDPOINTS, &ctx.method, rest) {
        api::Found::Op(endpoint, params) => dispatch(endpoint.op, &params, req, &env, &ctx).await,
        api::Found::MethodNotAllowed(allow) => Err(nno_worker::method_not_allowed(&ctx, &allow)),
        api::Found::NotFound => Err(nno_worker::route_not_found(&req, &ctx)),
    };
    match answer {
        Err(e) if compat => Ok(respond::error_compat(&e, &ctx.request_id)),
        other => other,
    }
}

/// One arm per operation of `nno_core::api::iam` (the compiler checks none is missing);
/// `params` are the pattern's `{…}` segments, in order.
async fn dispatch(
    op: Op,
    params: &[&str],
    req: Request,
    env: &Env,
    ctx: &RequestContext,
) -> ApiResult {
    use handlers as h;
    let param = |i: usize| params.get(i).copied().unwrap_or_default();
    match op {
        Op::SignUpEmail => h::sign_up(req, env, ctx).await,
        Op::SignInEmail => h::sign_in(req, env, ctx).await,
        Op::GetSession => h::get_session(&req, env, ctx).await,
        Op::SignOut => h::sign_out(&req, env, ctx).await,
        Op::ListSessions => h::list_sessions(&req, env, ctx).await,
        Op::RevokeSession => h::revoke_session(req, env, ctx).await,
        Op::RevokeSessions => h::revoke_sessions(&req, env, ctx, false).await,
        Op::RevokeOtherSessions => h::revoke_sessions(&req, env, ctx, true).await,
        Op::ChangePassword => h::change_password(req, env, ctx).await,
        Op::RequestPasswordReset => email_links::request_reset(req, env, ctx).await,
        Op::ResetPassword => email_links::reset(req, env, ctx).await,
        Op::ResetPasswordLink => email_links::reset_link(&req, env, ctx, param(0)).await,
        Op::SendVerificationEmail => email_links::send_verification(req, env, ctx).await,
        Op::VerifyEmail => email_links::verify_email(&req, env, ctx).await,
        Op::SignInMagicLink => email_links::send_magic_link(req, env, ctx).await,
        Op::VerifyMagicLink => email_links::verify_magic_link(&req, env, ctx).await,
        Op::SignInSocial => social::sign_in(req, env, ctx).await,
        Op::SocialCallback => social::callback(&req, env, ctx, param(0)).await,
        Op::TwoFactorEnable => twofactor::enable(req, env, ctx).await,
        Op::TwoFactorDisable => twofactor::disable(req, env, ctx).await,
        Op::TwoFactorGetTotpUri => twofactor::get_totp_uri(req, env, ctx).await,
        Op::TwoFactorGenerateBackupCodes => twofactor::generate_backup_codes(req, env, ctx).await,
        Op::TwoFactorVerifyTotp => twofactor::verify_totp(req, env, ctx).await,
        Op::TwoFactorVerifyBackupCode => twofactor::verify_backup_code(req, env, ctx).await,
        Op::OrgCreate => orgs::create(req, env, ctx).await,
        Op::OrgCheckSlug => orgs::check_slug(req, env, ctx).await,
        Op::OrgList => orgs::list(&req, env, ctx).await,
        Op::OrgGetFull => orgs::get_full(&req, env, ctx).await,
        Op::OrgSetActive => orgs::set_active(req, env, ctx).await,
        Op::OrgInvite => orgs::invite(req, env, ctx).await,
        Op::OrgGetInvitation => orgs::get_invitation(&req, env, ctx).await,
        Op::OrgAcceptInvitation => orgs::accept_invitation(req, env, ctx).await,
        Op::OrgRejectInvitation => orgs::reject_invitation(req, env, ctx).await,
        Op::OrgCancelInvitation => orgs::cancel_invitation(req, env, ctx).await,
        Op::OrgListInvitations => orgs::list_invitations(&req, env, ctx).await,
        Op::OrgRemoveMember => orgs::remove_member(req, env, ctx).await,
        Op::OrgUpdateMemberRole => orgs::update_member_role(req, env, ctx).await,
        Op::OrgLeave => orgs::leave(req, env, ctx).await,
        Op::OrgGetActiveMember => orgs::get_active_member(&req, env, ctx).await,
        Op::OrgListMembers => orgs::list_members(&req, env, ctx).await,
        Op::OrgUpdate => orgs::update(req, env, ctx).await,
        Op::OrgDelete => orgs::delete(req, env, ctx).await,
        Op::NnoSession => access::session(&req, env, ctx).await,
        Op::ListRoles => access::list_roles(&req, env, ctx).await,
        Op::SetRole => access::set_role(req, env, ctx).await,
        Op::DeleteRole => access::delete_role(&req, env, ctx, param(0), param(1)).await,
        Op::ListGrants => access::list_grants(&req, env, ctx).await,
        Op::CreateGrant => access::create_grant(req, env, ctx).await,
        Op::DeleteGrant => access::delete_grant(&req, env, ctx, param(0)).await,
        Op::ListKeys => keys::list(&req, env, ctx).await,
        Op::CreateKey => keys::create(req, env, ctx).await,
        Op::VerifyKey => keys::verify(req, env, ctx).await,
        Op::RevokeKey => keys::revoke(&req, env, ctx, param(0)).await,
        Op::Bootstrap => access::bootstrap(req, env, ctx).await,
        Op::TenantOwners => orgs::owners(env, ctx, param(0)).await,
    }
}
