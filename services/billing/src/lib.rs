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
//!   GET  usage?platformId=[&period=YYYY-MM]           the month's usage against the tier
//!   POST resources                                    what to meter (operators: registry)
//!   POST metering/run {day?}                          meter a day now (operators)
//!   POST webhooks/stripe                              Stripe's events (signature only)
//!   GET /health, /health/live

mod config;
mod metering;
mod registry;
mod store;
mod stripe;
mod subscriptions;
mod sync;
mod usage;
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

/// The daily metering run (cron `0 2 * * *`): yesterday, fanned out to the queue.
#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    let ctx = background("metering-cron");
    let day = nno_billing::metering::day_to_meter(nno_worker::runtime::now_ms() as i64);
    let result = match nno_worker::d1::Db::bind(&env, "DB", &ctx) {
        Ok(db) => metering::fan_out(&env, &db, &day).await,
        Err(e) => Err(e),
    };
    let (level, detail) = match &result {
        Ok(f) => (
            "info",
            serde_json::json!({ "day": f.day, "platforms": f.platforms, "messages": f.messages }),
        ),
        Err(e) => (
            "error",
            serde_json::json!({ "day": day, "error": e.message, "cause": e.cause }),
        ),
    };
    nno_worker::log::event(level, "billing", "metering fan-out", detail);
}

/// The metering queue: one message per group of platforms and day.
#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> Result<()> {
    use worker::MessageExt;
    for message in batch.messages()? {
        let ctx = background(&message.id());
        let job: metering::Job = match serde_json::from_value(message.body().clone()) {
            Ok(j) => j,
            Err(e) => {
                nno_worker::log::event(
                    "error",
                    "billing",
                    "metering message dropped: unreadable",
                    serde_json::json!({ "messageId": message.id(), "error": e.to_string() }),
                );
                message.ack();
                continue;
            }
        };
        match metering::meter(&env, &ctx, &job).await {
            Ok(stats) => {
                nno_worker::log::event(
                    "info",
                    "billing",
                    "metering message done",
                    serde_json::json!({ "day": job.day, "stats": stats }),
                );
                message.ack()
            }
            Err(e) => {
                nno_worker::log::event(
                    "warn",
                    "billing",
                    "metering message failed; will retry",
                    serde_json::json!({ "day": job.day, "platforms": job.platform_ids.len(), "error": e.message, "cause": e.cause }),
                );
                // Later, not at once: a rate limit or an outage needs time to pass.
                message.retry_with_options(
                    &worker::QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(METERING_RETRY_S)
                        .build(),
                );
            }
        }
    }
    Ok(())
}

/// How long a failed metering message waits before its next try.
const METERING_RETRY_S: u32 = 30;

/// The context of work no request started (the cron, the queue).
fn background(id: &str) -> RequestContext {
    RequestContext {
        service: Service::Billing,
        request_id: id.chars().take(64).collect(),
        trace: nno_core::trace::TraceParent::continue_or_start(
            None,
            nno_worker::runtime::random_array(),
        ),
        method: "QUEUE".into(),
        path: "billing-metering".into(),
        query: String::new(),
        started_ms: nno_worker::runtime::now_ms(),
        identity: nno_core::identity::Identity::Internal,
        runtime: None,
    }
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
        Op::GetUsage => usage::get(env, ctx).await,
        Op::PutResource => usage::put_resource(req, env, ctx).await,
        Op::RunMetering => usage::run(req, env, ctx).await,
        Op::StripeWebhook => webhooks::receive(req, env, ctx).await,
    }
}
