//! NNO billing: each platform's Stripe customer and subscription, kept in step with
//! Stripe through its webhooks, and what that means for the platform (told to
//! registry on the registry-events queue).
//!
//! Routes (billing serves them at its root; the gateway's are under
//! `/api/v1/billing`; the table is `nno_core::api::billing::ENDPOINTS`, which also
//! gives the 405s):
//!   GET  subscription?platformId=                     the platform's subscription
//!   POST subscription                                 create it (operators: onboarding)
//!   GET  subscription/proration-preview?platformId=&tier=
//!   POST subscription/change-tier {platformId, tier, prorationDate?}
//!   POST subscription/cancel {platformId}             at the period's end
//!   POST subscription/resume {platformId}
//!   GET  invoices?platformId=[&limit=&cursor=]
//!   GET  quota?platformId=                            the tier's limits and allowances
//!   POST webhooks/stripe                              Stripe's events (signature only)
//!   GET /health, /health/live

mod config;
mod registry;
mod store;
mod stripe;
mod subscriptions;
mod sync;
mod webhooks;

use nno_core::api::{self, billing, billing::Op};
use nno_core::Service;
use nno_worker::{serve, ApiResult, Probe, RequestContext, ServiceSpec};
use worker::{event, Context, Env, Request, Response, Result};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Billing,
    probes: &[Probe::D1("DB")],
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, runtime: Context) -> Result<Response> {
    serve(req, env, runtime, &SPEC, route).await
}

async fn route(req: Request, env: Env, ctx: RequestContext) -> ApiResult {
    let path = ctx.path.trim_start_matches('/').to_string();
    match api::find(&billing::ENDPOINTS, &ctx.method, &path) {
        api::Found::Op(endpoint, _) => dispatch(endpoint.op, req, &env, &ctx).await,
        api::Found::MethodNotAllowed(allow) => Err(nno_worker::method_not_allowed(&ctx, &allow)),
        api::Found::NotFound => Err(nno_worker::route_not_found(&req, &ctx)),
    }
}

/// One arm per operation (the compiler checks none is missing).
async fn dispatch(op: Op, req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    use subscriptions as s;
    match op {
        Op::GetSubscription => s::get(env, ctx).await,
        Op::CreateSubscription => s::create(req, env, ctx).await,
        Op::PreviewTierChange => s::preview(env, ctx).await,
        Op::ChangeTier => s::change_tier(req, env, ctx).await,
        Op::Cancel => s::set_cancel(req, env, ctx, true).await,
        Op::Resume => s::set_cancel(req, env, ctx, false).await,
        Op::ListInvoices => s::invoices(env, ctx).await,
        Op::GetQuota => s::quota(env, ctx).await,
        Op::StripeWebhook => webhooks::receive(req, env, ctx).await,
    }
}
