//! NNO provisioning: a client platform's Cloudflare resources, created, recorded,
//! checked for drift and removed by jobs that a queue consumer runs step by step.
//!
//! This Worker's paths are under `/api/v1/provision` (through the gateway,
//! `/api/v1/provisioning`); the table is `nno_core::api::provisioning::ENDPOINTS`:
//!   POST platform                      bootstrap a platform (operators; registry)
//!   GET  jobs?platformId=              a platform's jobs
//!   GET  jobs/{jobId}                  one job with its steps
//!   POST jobs/{jobId}/retry            run a FAILED job again from where it failed
//!   POST platforms/{id}/deprovision    remove its Workers, routes and hostnames
//!   GET  platforms/{id}/drift          recorded vs what Cloudflare reports
//!   POST platforms/{id}/reconcile      re-create what drift found missing
//!   GET /health, /health/live
//! Entry points: `fetch`, `queue` (the provision queue and its dead-letter queue) and
//! `scheduled` (the cron backstop: lost jobs, unpolled hostnames).

mod access;
mod budget;
mod bundle;
mod cloudflare;
mod config;
mod drift;
mod engine;
mod events;
mod exec;
mod handlers;
mod jobs;
mod migrations;
mod runner;
mod store;
mod tasks;
mod validate;
mod views;

pub use budget::CloudflareBudget;

use nno_core::api::{self, provisioning, provisioning::Op};
use nno_core::Service;
use nno_worker::{serve, ApiResult, Probe, RequestContext, ServiceSpec};
use tasks::Task;
use worker::{
    event, Context, Env, MessageExt, QueueRetryOptionsBuilder, Request, Response, Result,
};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Provisioning,
    probes: &[Probe::D1("DB")],
};

const BASE: &str = "/api/v1/provision/";

#[event(fetch)]
async fn fetch(req: Request, env: Env, runtime: Context) -> Result<Response> {
    serve(req, env, runtime, &SPEC, route).await
}

async fn route(req: Request, env: Env, ctx: RequestContext) -> ApiResult {
    let Some(rest) = ctx.path.strip_prefix(BASE) else {
        return nno_worker::no_routes(req, env, ctx).await;
    };
    match api::find(&provisioning::ENDPOINTS, &ctx.method, rest) {
        api::Found::Op(endpoint, params) => {
            let param = |i: usize| params.get(i).copied().unwrap_or_default().to_string();
            dispatch(endpoint.op, param(0), req, &env, &ctx).await
        }
        api::Found::MethodNotAllowed(allow) => Err(nno_worker::method_not_allowed(&ctx, &allow)),
        api::Found::NotFound => Err(nno_worker::route_not_found(&req, &ctx)),
    }
}

/// One arm per operation (the compiler checks none is missing); `id` is the path's
/// `{jobId}` or `{id}`.
async fn dispatch(op: Op, id: String, req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    use handlers as h;
    match op {
        Op::ProvisionPlatform => h::provision_platform(req, env, ctx).await,
        Op::ListJobs => h::list_jobs(env, ctx).await,
        Op::GetJob => h::get_job(env, ctx, &id).await,
        Op::RetryJob => h::retry_job(env, ctx, &id).await,
        Op::Deprovision => h::deprovision(req, env, ctx, &id).await,
        Op::Drift => h::drift(env, ctx, &id).await,
        Op::Reconcile => h::reconcile(env, ctx, &id).await,
    }
}

/// The provision queue runs jobs and SSL polls; its dead-letter queue marks jobs
/// FAILED. Messages of a batch run concurrently (each job is independent; the budget
/// object keeps their Cloudflare calls within the account's limit).
#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> Result<()> {
    nno_worker::runtime::install_panic_hook();
    let dead_letters = batch.queue().contains("provision-dlq");
    let messages = batch.messages()?;
    let work = messages.iter().map(|m| handle(m, &env, dead_letters));
    futures_util::future::join_all(work).await;
    Ok(())
}

async fn handle(m: &worker::Message<serde_json::Value>, env: &Env, dead_letters: bool) {
    let task: Option<Task> = serde_json::from_value(m.body().clone()).ok();
    let Some(task) = task else {
        nno_worker::log::event(
            "error",
            "provisioning",
            "provision message not understood",
            serde_json::json!({ "messageId": m.id() }),
        );
        m.ack();
        return;
    };
    if dead_letters {
        if let Task::Run { job_id } = &task {
            runner::dead_letter(env, job_id).await;
        }
        m.ack();
        return;
    }
    let verdict = match &task {
        Task::Run { job_id } => runner::run_job(env, job_id).await,
        Task::PollSsl { platform_id, round } => runner::poll_ssl(env, platform_id, *round).await,
    };
    match verdict {
        runner::Verdict::Ack => m.ack(),
        runner::Verdict::Retry(delay) => m.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(delay)
                .build(),
        ),
        runner::Verdict::Requeue(delay) => match tasks::send(env, &task, delay).await {
            Ok(()) => m.ack(),
            Err(_) => m.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay)
                    .build(),
            ),
        },
        runner::Verdict::DeadLetter(reason) => {
            nno_worker::log::event(
                "warn",
                "provisioning",
                "provision message to the dead-letter queue",
                serde_json::json!({ "messageId": m.id(), "reason": reason }),
            );
            let sent = match env.queue(tasks::DLQ) {
                Ok(q) => q.send(task.clone()).await.is_ok(),
                Err(_) => false,
            };
            if sent {
                m.ack();
            } else {
                m.retry();
            }
        }
    }
}

#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    runner::sweep(&env).await;
}
