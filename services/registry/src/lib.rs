//! NNO registry: the source of truth for platforms, their tenants, stacks, resources,
//! DNS records, lifecycle and audit trail, and self-serve onboarding.
//!
//! Routes (the same paths at the gateway; tables in `nno_core::api::{registry,
//! onboarding}`, which also give the 405s):
//!   /api/v1/platforms[/{id}[/…]]   the catalogue and lifecycle (`platforms`,
//!                                  `tenants`, `records`)
//!   /api/v1/onboarding/…           onboarding sessions and slug checks (`onboarding`)
//!   GET /health, /health/live
//! Queue consumer: the registry-events queue (`events`), fed by provisioning and billing.
//! Registry calls provisioning (`provisioning`) and billing (`billing`); nothing calls
//! back into registry.

mod access;
mod billing;
mod events;
mod http;
mod ids;
mod onboarding;
mod platforms;
mod provisioning;
mod records;
mod store;
mod tenants;

use nno_core::api::{self, onboarding as ob, registry};
use nno_core::platform::Transition;
use nno_core::Service;
use nno_worker::{serve, ApiResult, Probe, RequestContext, ServiceSpec};
use worker::{event, Context, Env, Request, Response, Result};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Registry,
    probes: &[Probe::D1("DB"), Probe::Kv("PLATFORM_STATUS")],
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, runtime: Context) -> Result<Response> {
    serve(req, env, runtime, &SPEC, route).await
}

#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> Result<()> {
    events::consume(batch, env).await
}

/// `path` below `prefix` (`""` for the prefix itself); a trailing slash is not a path.
fn under<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix('/')
        .filter(|r| !r.is_empty() && !r.ends_with('/'))
}

async fn route(req: Request, env: Env, ctx: RequestContext) -> ApiResult {
    let path = ctx.path.clone();
    if let Some(rest) = under(&path, "/api/v1/platforms") {
        return match api::find(&registry::ENDPOINTS, &ctx.method, rest) {
            api::Found::Op(e, params) => platform_op(e.op, &params, req, &env, &ctx).await,
            api::Found::MethodNotAllowed(allow) => {
                Err(nno_worker::method_not_allowed(&ctx, &allow))
            }
            api::Found::NotFound => Err(nno_worker::route_not_found(&req, &ctx)),
        };
    }
    if let Some(rest) = under(&path, ob::PREFIX) {
        return match api::find(&ob::ENDPOINTS, &ctx.method, rest) {
            api::Found::Op(e, params) => onboarding_op(e.op, &params, req, &env, &ctx).await,
            api::Found::MethodNotAllowed(allow) => {
                Err(nno_worker::method_not_allowed(&ctx, &allow))
            }
            api::Found::NotFound => Err(nno_worker::route_not_found(&req, &ctx)),
        };
    }
    nno_worker::no_routes(req, env, ctx).await
}

/// One arm per operation of `nno_core::api::registry`.
async fn platform_op(
    op: registry::Op,
    params: &[&str],
    req: Request,
    env: &Env,
    ctx: &RequestContext,
) -> ApiResult {
    use registry::Op::*;
    let p = |i: usize| params.get(i).copied().unwrap_or_default();
    match op {
        ListPlatforms => platforms::list(env, ctx).await,
        CreatePlatform => platforms::create(req, env, ctx).await,
        GetPlatform => platforms::get(env, ctx, p(0)).await,
        UpdatePlatform => platforms::update(req, env, ctx, p(0)).await,
        DeletePlatform => platforms::delete(env, ctx, p(0)).await,
        SuspendPlatform => platforms::lifecycle(req, env, ctx, p(0), Transition::Suspend).await,
        RestorePlatform => platforms::lifecycle(req, env, ctx, p(0), Transition::Restore).await,
        CancelPlatform => platforms::lifecycle(req, env, ctx, p(0), Transition::Cancel).await,
        ListTenants => tenants::list(env, ctx, p(0)).await,
        CreateTenant => tenants::create(req, env, ctx, p(0)).await,
        GetTenant => tenants::get(env, ctx, p(0), p(1)).await,
        UpdateTenant => tenants::update(req, env, ctx, p(0), p(1)).await,
        DeleteTenant => tenants::delete(env, ctx, p(0), p(1)).await,
        ListStacks => records::stacks(env, ctx, p(0)).await,
        ListResources => records::resources(env, ctx, p(0)).await,
        ListDns => records::dns(env, ctx, p(0)).await,
        ListAudit => records::audit(env, ctx, p(0)).await,
        ListLifecycle => records::lifecycle(env, ctx, p(0)).await,
        GetConfig => records::get_config(env, ctx, p(0)).await,
        PutConfig => records::put_config(req, env, ctx, p(0)).await,
    }
}

/// One arm per operation of `nno_core::api::onboarding`.
async fn onboarding_op(
    op: ob::Op,
    params: &[&str],
    req: Request,
    env: &Env,
    ctx: &RequestContext,
) -> ApiResult {
    use ob::Op::*;
    let p = |i: usize| params.get(i).copied().unwrap_or_default();
    match op {
        CreateSession => onboarding::create(req, env, ctx).await,
        GetSession => onboarding::get(env, ctx, p(0)).await,
        RetrySession => onboarding::retry(env, ctx, p(0)).await,
        SlugAvailability => onboarding::slug_availability(env, ctx).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_below_a_prefix() {
        assert_eq!(
            super::under("/api/v1/platforms", "/api/v1/platforms"),
            Some("")
        );
        assert_eq!(
            super::under("/api/v1/platforms/abc", "/api/v1/platforms"),
            Some("abc")
        );
        assert_eq!(
            super::under("/api/v1/platforms/", "/api/v1/platforms"),
            None
        );
        assert_eq!(
            super::under("/api/v1/platforms/a/", "/api/v1/platforms"),
            None
        );
        assert_eq!(
            super::under("/api/v1/platformsx", "/api/v1/platforms"),
            None
        );
    }
}
