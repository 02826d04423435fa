//! NNO iam: identity. Users, credentials and sessions with a Better Auth-compatible
//! HTTP surface, so Better Auth's own clients work against it unchanged.
//!
//! Routes (this Worker's paths; through the gateway they are under /api/v1/iam):
//!   POST /api/auth/sign-up/email      create a user with a password, sign in
//!   POST /api/auth/sign-in/email      sign in with e-mail and password
//!   GET  /api/auth/get-session        the caller's session and user, or null
//!   POST /api/auth/sign-out           end the caller's session
//!   GET  /api/auth/list-sessions      the caller's live sessions
//!   POST /api/auth/revoke-session     end one of them {token}
//!   POST /api/auth/revoke-sessions    end all of them
//!   POST /api/auth/revoke-other-sessions  end all but this one
//!   POST /api/auth/change-password    {currentPassword, newPassword}; ends the others
//!   GET  /api/nno/session             the caller's session for NNO services (401 if none)
//!   GET  /health, /health/live        (also under /api)

mod config;
mod dto;
mod handlers;
mod store;

use nno_core::{ApiError, Service};
use nno_worker::{serve, ApiResult, Probe, RequestContext, ServiceSpec};
use worker::{event, Context, Env, Method, Request, Response, Result};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Iam,
    probes: &[Probe::D1("DB")],
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    serve(req, env, &SPEC, route).await
}

async fn route(req: Request, env: Env, ctx: RequestContext) -> ApiResult {
    use Method::*;
    match (req.method(), ctx.path.as_str()) {
        (Post, "/api/auth/sign-up/email") => handlers::sign_up(req, &env, &ctx).await,
        (Post, "/api/auth/sign-in/email") => handlers::sign_in(req, &env, &ctx).await,
        (Get, "/api/auth/get-session") => handlers::get_session(&req, &env, &ctx).await,
        (Post, "/api/auth/sign-out") => handlers::sign_out(&req, &env, &ctx).await,
        (Get, "/api/auth/list-sessions") => handlers::list_sessions(&req, &env, &ctx).await,
        (Post, "/api/auth/revoke-session") => handlers::revoke_session(req, &env, &ctx).await,
        (Post, "/api/auth/revoke-sessions") => {
            handlers::revoke_sessions(&req, &env, &ctx, false).await
        }
        (Post, "/api/auth/revoke-other-sessions") => {
            handlers::revoke_sessions(&req, &env, &ctx, true).await
        }
        (Post, "/api/auth/change-password") => handlers::change_password(req, &env, &ctx).await,
        (Get, "/api/nno/session") => handlers::nno_session(&req, &env, &ctx).await,
        (_, path) => match handlers::allowed_methods(path) {
            Some(allow) => Err(ApiError::new(
                nno_core::ErrorCode::MethodNotAllowed,
                format!("{} is not allowed here; use {allow}", ctx.method),
            )),
            None => nno_worker::no_routes(req, env, ctx).await,
        },
    }
}
