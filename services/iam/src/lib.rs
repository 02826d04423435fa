//! NNO iam: identity. Users, credentials, sessions, tenants (organizations), roles,
//! grants, API keys and two-factor, with a Better Auth-compatible HTTP surface so that
//! Better Auth's own clients work against it unchanged.
//!
//! This Worker's paths (through the gateway they are under /api/v1/iam, e.g.
//! /api/v1/iam/auth/sign-in/email):
//!   /api/auth/*   Better Auth's endpoints (see `auth_routes`); errors carry Better
//!                 Auth's top-level `code`/`message` beside NNO's envelope
//!   /api/nno/*    NNO's own: session for the gateway, roles, grants, API keys,
//!                 bootstrap (see `nno_routes`)
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
mod social;
mod store;
mod twofactor;

use nno_core::{ApiError, ErrorCode, Service};
use nno_worker::{respond, serve, ApiResult, Probe, RequestContext, ServiceSpec};
use worker::{event, Context, Env, Method, Request, Response, Result};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Iam,
    probes: &[Probe::D1("DB")],
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, runtime: Context) -> Result<Response> {
    serve(req, env, runtime, &SPEC, route).await
}

async fn route(req: Request, env: Env, ctx: RequestContext) -> ApiResult {
    let path = ctx.path.clone();
    if let Some(rest) = path.strip_prefix("/api/auth/") {
        // Better Auth's clients read errors at the top level; NNO's read the envelope.
        return match auth_routes(req, &env, &ctx, rest).await {
            Err(e) => Ok(respond::error_compat(&e, &ctx.request_id)),
            ok => ok,
        };
    }
    if let Some(rest) = path.strip_prefix("/api/nno/") {
        return nno_routes(req, &env, &ctx, rest).await;
    }
    nno_worker::no_routes(req, env, ctx).await
}

async fn auth_routes(req: Request, env: &Env, ctx: &RequestContext, path: &str) -> ApiResult {
    use handlers as h;
    use Method::{Get, Post};
    match (req.method(), path) {
        (Post, "sign-up/email") => h::sign_up(req, env, ctx).await,
        (Post, "sign-in/email") => h::sign_in(req, env, ctx).await,
        (Get, "get-session") => h::get_session(&req, env, ctx).await,
        (Post, "sign-out") => h::sign_out(&req, env, ctx).await,
        (Get, "list-sessions") => h::list_sessions(&req, env, ctx).await,
        (Post, "revoke-session") => h::revoke_session(req, env, ctx).await,
        (Post, "revoke-sessions") => h::revoke_sessions(&req, env, ctx, false).await,
        (Post, "revoke-other-sessions") => h::revoke_sessions(&req, env, ctx, true).await,
        (Post, "change-password") => h::change_password(req, env, ctx).await,
        (Post, "request-password-reset" | "forget-password") => {
            email_links::request_reset(req, env, ctx).await
        }
        (Post, "reset-password") => email_links::reset(req, env, ctx).await,
        (Get, p) if p.starts_with("reset-password/") => {
            let token = &p["reset-password/".len()..];
            email_links::reset_link(&req, env, ctx, token).await
        }
        (Post, "send-verification-email") => email_links::send_verification(req, env, ctx).await,
        (Get, "verify-email") => email_links::verify_email(&req, env, ctx).await,
        (Post, "sign-in/magic-link") => email_links::send_magic_link(req, env, ctx).await,
        (Get, "magic-link/verify") => email_links::verify_magic_link(&req, env, ctx).await,
        (Post, "sign-in/social") => social::sign_in(req, env, ctx).await,
        (Get, p) if p.starts_with("callback/") => {
            let provider = &p["callback/".len()..];
            social::callback(&req, env, ctx, provider).await
        }
        (Post, "two-factor/enable") => twofactor::enable(req, env, ctx).await,
        (Post, "two-factor/disable") => twofactor::disable(req, env, ctx).await,
        (Post, "two-factor/get-totp-uri") => twofactor::get_totp_uri(req, env, ctx).await,
        (Post, "two-factor/generate-backup-codes") => {
            twofactor::generate_backup_codes(req, env, ctx).await
        }
        (Post, "two-factor/verify-totp") => twofactor::verify_totp(req, env, ctx).await,
        (Post, "two-factor/verify-backup-code") => {
            twofactor::verify_backup_code(req, env, ctx).await
        }
        (Post, "organization/create") => orgs::create(req, env, ctx).await,
        (Post, "organization/check-slug") => orgs::check_slug(req, env, ctx).await,
        (Get, "organization/list") => orgs::list(&req, env, ctx).await,
        (Get, "organization/get-full-organization") => orgs::get_full(&req, env, ctx).await,
        (Post, "organization/set-active") => orgs::set_active(req, env, ctx).await,
        (Post, "organization/invite-member") => orgs::invite(req, env, ctx).await,
        (Get, "organization/get-invitation") => orgs::get_invitation(&req, env, ctx).await,
        (Post, "organization/accept-invitation") => orgs::accept_invitation(req, env, ctx).await,
        (Post, "organization/reject-invitation") => orgs::reject_invitation(req, env, ctx).await,
        (Post, "organization/cancel-invitation") => orgs::cancel_invitation(req, env, ctx).await,
        (Get, "organization/list-invitations") => orgs::list_invitations(&req, env, ctx).await,
        (Post, "organization/remove-member") => orgs::remove_member(req, env, ctx).await,
        (Post, "organization/update-member-role") => orgs::update_member_role(req, env, ctx).await,
        (Post, "organization/leave") => orgs::leave(req, env, ctx).await,
        (Get, "organization/get-active-member") => orgs::get_active_member(&req, env, ctx).await,
        (Get, "organization/list-members") => orgs::list_members(&req, env, ctx).await,
        (Post, "organization/update") => orgs::update(req, env, ctx).await,
        (Post, "organization/delete") => orgs::delete(req, env, ctx).await,
        (_, path) => Err(unknown(&req, ctx, "/api/auth/", path)),
    }
}

async fn nno_routes(req: Request, env: &Env, ctx: &RequestContext, path: &str) -> ApiResult {
    use Method::{Delete, Get, Post};
    let segments: Vec<&str> = path.split('/').collect();
    match (req.method(), segments.as_slice()) {
        (Get, ["session"]) => access::session(&req, env, ctx).await,
        (Get, ["roles"]) => access::list_roles(&req, env, ctx).await,
        (Post, ["roles"]) => access::set_role(req, env, ctx).await,
        (Delete, ["roles", org, role]) => access::delete_role(&req, env, ctx, org, role).await,
        (Get, ["grants"]) => access::list_grants(&req, env, ctx).await,
        (Post, ["grants"]) => access::create_grant(req, env, ctx).await,
        (Delete, ["grants", id]) => access::delete_grant(&req, env, ctx, id).await,
        (Get, ["apikey"]) => keys::list(&req, env, ctx).await,
        (Post, ["apikey"]) => keys::create(req, env, ctx).await,
        (Post, ["apikey", "verify"]) => keys::verify(req, env, ctx).await,
        (Delete, ["apikey", id]) => keys::revoke(&req, env, ctx, id).await,
        (Post, ["bootstrap"]) => access::bootstrap(req, env, ctx).await,
        _ => Err(unknown(&req, ctx, "/api/nno/", path)),
    }
}

/// 405 when the path exists with another method, else 404.
fn unknown(req: &Request, ctx: &RequestContext, base: &str, path: &str) -> ApiError {
    match allowed_methods(base, path) {
        Some(allow) => ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed here; use {allow}", ctx.method),
        ),
        None => nno_worker::route_not_found(req, ctx),
    }
}

fn allowed_methods(base: &str, path: &str) -> Option<&'static str> {
    const GET: [&str; 11] = [
        "get-session",
        "list-sessions",
        "organization/list",
        "organization/get-full-organization",
        "organization/get-invitation",
        "organization/list-invitations",
        "organization/get-active-member",
        "organization/list-members",
        "session",
        "magic-link/verify",
        "verify-email",
    ];
    const BOTH: [&str; 3] = ["roles", "grants", "apikey"];
    if BOTH.contains(&path) && base == "/api/nno/" {
        return Some("GET, POST");
    }
    if GET.contains(&path) {
        return Some("GET");
    }
    let post_only = base == "/api/auth/"
        && (path.starts_with("sign-")
            || path.starts_with("organization/")
            || path.starts_with("two-factor/")
            || path.starts_with("revoke-")
            || matches!(
                path,
                "change-password"
                    | "request-password-reset"
                    | "forget-password"
                    | "reset-password"
                    | "send-verification-email"
            ));
    let nno_post = base == "/api/nno/" && matches!(path, "bootstrap" | "apikey/verify");
    (post_only || nno_post).then_some("POST")
}
