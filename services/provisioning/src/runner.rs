//! The queue consumer's side of the engine: runs a job's steps one after another
//! within one delivery as long as they succeed, and decides what becomes of the
//! message when it has to stop:
//! - a transient failure before any progress in this delivery: `retry` with the
//!   backoff delay (the queue's own retry count then tracks the step's attempts);
//! - a transient failure after progress, or no budget token: a fresh delayed message
//!   (progress resets the count), this one acknowledged;
//! - a step out of attempts: the message goes to the dead-letter queue, whose
//!   consumer marks the job FAILED;
//! - otherwise (finished, or held by another consumer): acknowledged.
//!
//! Never a sleep in the Worker.

use crate::cloudflare::{CfError, Cloudflare};
use crate::engine::{self, Class, Next, StepState};
use crate::events::{self, event};
use crate::exec::{self, StepCtx};
use crate::jobs::{RecordKind, StepKind};
use crate::store::{self, JobRow, StepRow};
use crate::tasks::{self, Task};
use crate::{config, views};
use nno_core::contracts::provisioning::{EventBody, JobStatus, JobType, RegistryEvent};
use nno_core::platform::SslStatus;
use nno_core::Environment;
use nno_worker::d1::Db;
use nno_worker::log;
use nno_worker::runtime::now_ms;
use serde_json::json;
use worker::Env;

pub enum Verdict {
    Ack,
    Retry(u32),
    Requeue(u32),
    DeadLetter(String),
}

const SERVICE: &str = "provisioning";

fn now() -> i64 {
    now_ms() as i64
}

fn jitter() -> f64 {
    let b = nno_worker::runtime::random_array::<4>();
    f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

/// A request context for work outside a request (the job id as its request id), so
/// D1 failures are logged against the job.
pub fn job_context(id: &str) -> nno_worker::RequestContext {
    nno_worker::RequestContext {
        service: nno_core::Service::Provisioning,
        request_id: id.chars().take(64).collect(),
        trace: nno_core::trace::TraceParent::continue_or_start(
            None,
            nno_worker::runtime::random_array(),
        ),
        method: "QUEUE".into(),
        path: String::new(),
        query: String::new(),
        started_ms: now_ms(),
        identity: nno_core::identity::Identity::Internal,
        runtime: None,
    }
}

pub fn environment_of(name: &str) -> Environment {
    if name == "stg" {
        Environment::Stg
    } else {
        Environment::Prod
    }
}

/// The job's current view as a JobProgress event.
pub async fn progress_event(db: &Db, job_id: &str) -> Option<RegistryEvent> {
    let job = store::job(db, job_id).await.ok()??;
    let steps = store::steps(db, job_id).await.ok()?;
    let view = views::job_view(&job, &steps);
    let marker: u32 = steps
        .iter()
        .map(|s| s.attempts as u32 + s.position() * 31)
        .sum();
    Some(event(
        format!(
            "{job_id}:progress:{}:{}:{marker}",
            job.status, job.updated_at as i64
        ),
        now(),
        &job.platform_id,
        EventBody::JobProgress { job: view },
    ))
}

async fn publish_progress(env: &Env, db: &Db, job_id: &str, mut extra: Vec<RegistryEvent>) {
    if let Some(e) = progress_event(db, job_id).await {
        extra.push(e);
    }
    events::publish(env, extra).await;
}

pub async fn run_job(env: &Env, job_id: &str) -> Verdict {
    let ctx = job_context(job_id);
    let db = match store::db(env, &ctx) {
        Ok(db) => db,
        Err(_) => return Verdict::Retry(5),
    };
    let policy = config::retry_policy(env);
    let mut progressed = false;
    loop {
        match step_once(env, &db, job_id, &policy, progressed).await {
            Ok(Some(v)) => return v,
            Ok(None) => progressed = true,
            // The provisioning database failed: the queue retries the message.
            Err(e) => {
                log::event(
                    "error",
                    SERVICE,
                    "provision job interrupted",
                    json!({ "jobId": job_id, "error": e.message, "cause": e.cause.as_deref() }),
                );
                return Verdict::Retry(engine::backoff_seconds(&policy, 1, None, jitter()));
            }
        }
    }
}

/// One decision of the engine and its execution. `Ok(None)`: progress, go on.
async fn step_once(
    env: &Env,
    db: &Db,
    job_id: &str,
    policy: &engine::RetryPolicy,
    progressed: bool,
) -> Result<Option<Verdict>, nno_core::ApiError> {
    let Some(job) = store::job(db, job_id).await? else {
        return Ok(Some(Verdict::Ack));
    };
    if job.is_terminal() {
        return Ok(Some(Verdict::Ack));
    }
    if store::start_job(db, job_id, now()).await? {
        publish_progress(env, db, job_id, Vec::new()).await;
    }
    let steps = store::steps(db, job_id).await?;
    let states: Vec<StepState> = steps
        .iter()
        .map(|s| StepState {
            position: s.position(),
            status: s.status(),
            lease_until: s.lease_until as i64,
        })
        .collect();
    let platform = store::platform(db, &job.platform_id).await?;
    let environment = environment_of(
        platform
            .as_ref()
            .map(|p| p.environment.as_str())
            .unwrap_or("prod"),
    );
    let cf = match Cloudflare::from_env(env) {
        Ok(cf) => cf,
        Err(e) => {
            store::finish_job(db, job_id, JobStatus::Failed, Some(&e.to_string()), now()).await?;
            publish_progress(env, db, job_id, Vec::new()).await;
            return Ok(Some(Verdict::Ack));
        }
    };
    match engine::next(job.phase(), &states, now()) {
        Next::Held => Ok(Some(Verdict::Ack)),
        Next::Finish(status) => {
            let error = (status == JobStatus::Failed)
                .then_some(job.last_error.as_deref())
                .flatten();
            if store::finish_job(db, job_id, status, error, now()).await? {
                log::event(
                    "info",
                    SERVICE,
                    "provision job finished",
                    json!({
                        "jobId": job_id, "platformId": job.platform_id, "type": job.job_type, "status": store::wire(status), "phase": job.phase().as_str(),
                    }),
                );
                publish_progress(env, db, job_id, Vec::new()).await;
                if status == JobStatus::Succeeded && job.job_type() != JobType::DeprovisionPlatform
                {
                    let poll = Task::PollSsl {
                        platform_id: job.platform_id.clone(),
                        round: 0,
                    };
                    let _ = tasks::send(env, &poll, config::ssl_poll_interval(env)).await;
                }
            }
            Ok(Some(Verdict::Ack))
        }
        Next::Run(p) => {
            let Some(step) = steps.iter().find(|s| s.position() == p) else {
                return Ok(Some(Verdict::Ack));
            };
            if !store::claim(db, job_id, p, now(), config::STEP_LEASE_MS).await? {
                return Ok(Some(Verdict::Ack));
            }
            run_step(env, db, &cf, &job, step, environment, policy, progressed).await
        }
        Next::RollBack(p) => {
            let Some(step) = steps.iter().find(|s| s.position() == p) else {
                return Ok(Some(Verdict::Ack));
            };
            if !store::claim_undo(db, job_id, p, now(), config::STEP_LEASE_MS).await? {
                return Ok(Some(Verdict::Ack));
            }
            undo_step(env, db, &cf, &job, step, environment, policy, progressed).await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_step(
    env: &Env,
    db: &Db,
    cf: &Cloudflare,
    job: &JobRow,
    step: &StepRow,
    environment: Environment,
    policy: &engine::RetryPolicy,
    progressed: bool,
) -> Result<Option<Verdict>, nno_core::ApiError> {
    let p = step.position();
    let attempt = step.attempts as u32 + 1;
    let Some(kind) = StepKind::parse(&step.name) else {
        let error = format!("unknown step {}", step.name);
        store::step_failed(db, &job.id, p, &error, now()).await?;
        store::begin_rollback(db, &job.id, &error, now()).await?;
        return Ok(None);
    };
    let c = StepCtx {
        cf,
        db,
        env,
        platform_id: &job.platform_id,
        environment,
        detail: step.detail(),
    };
    let outcome = exec::run(&c, &kind).await;
    let line = |level: &str, msg: &str, extra: serde_json::Value| {
        let mut f = json!({ "jobId": job.id, "platformId": job.platform_id, "step": step.name, "attempt": attempt, "cloudflareCalls": cf.calls() });
        if let (Some(f), serde_json::Value::Object(x)) = (f.as_object_mut(), extra) {
            f.extend(x);
        }
        log::event(level, SERVICE, msg, f);
    };
    match outcome {
        Ok(done) => {
            let created = engine::created_by_job(done.created_now, step.uncertain);
            let detail = done.detail.to_string();
            if !store::step_done(
                db,
                &job.id,
                p,
                done.cloudflare_id.as_deref(),
                created,
                &detail,
                now(),
            )
            .await?
            {
                return Ok(Some(Verdict::Ack));
            }
            let mut out = Vec::new();
            if let Some(r) = &done.record {
                store::record(
                    db,
                    &store::Record {
                        platform_id: &job.platform_id,
                        kind: r.kind,
                        name: &r.name,
                        environment: &r.environment,
                        cloudflare_id: &r.cloudflare_id,
                        job_id: &job.id,
                        ssl_status: r.ssl_status.as_deref(),
                        detail: &r.detail.to_string(),
                    },
                    now(),
                )
                .await?;
                out.push(recorded_event(&job.id, &job.platform_id, r));
            }
            if let Some((kind, name, environment)) = &done.removed {
                store::forget(db, &job.platform_id, *kind, name).await?;
                out.push(removed_event(
                    &job.id,
                    &job.platform_id,
                    *kind,
                    name,
                    environment,
                ));
            }
            line(
                "info",
                "provision step done",
                json!({ "createdByJob": created }),
            );
            publish_progress(env, db, &job.id, out).await;
            Ok(None)
        }
        Err(e) => match engine::classify(&e) {
            Class::Deferred { after_ms } => {
                store::unclaim(db, &job.id, p, now()).await?;
                store::touch_job(db, &job.id, now()).await?;
                Ok(Some(Verdict::Requeue(
                    after_ms.div_ceil(1000).clamp(1, 300) as u32,
                )))
            }
            Class::Transient {
                retry_after,
                uncertain,
            } => {
                let error = e.to_string();
                store::step_retry(db, &job.id, p, &error, uncertain, now()).await?;
                if attempt >= policy.max_attempts {
                    line(
                        "warn",
                        "provision step out of attempts",
                        json!({ "error": error }),
                    );
                    return Ok(Some(Verdict::DeadLetter(error)));
                }
                let delay = engine::backoff_seconds(policy, attempt, retry_after, jitter());
                line(
                    "warn",
                    "provision step will retry",
                    json!({ "error": error, "delaySeconds": delay }),
                );
                publish_progress(env, db, &job.id, Vec::new()).await;
                Ok(Some(if progressed {
                    Verdict::Requeue(delay)
                } else {
                    Verdict::Retry(delay)
                }))
            }
            Class::Permanent => {
                let error = e.to_string();
                store::step_failed(db, &job.id, p, &error, now()).await?;
                store::begin_rollback(db, &job.id, &format!("{}: {error}", step.name), now())
                    .await?;
                line(
                    "warn",
                    "provision step failed; rolling back",
                    json!({ "error": error }),
                );
                publish_progress(env, db, &job.id, Vec::new()).await;
                Ok(None)
            }
        },
    }
}

#[allow(clippy::too_many_arguments)]
async fn undo_step(
    env: &Env,
    db: &Db,
    cf: &Cloudflare,
    job: &JobRow,
    step: &StepRow,
    environment: Environment,
    policy: &engine::RetryPolicy,
    progressed: bool,
) -> Result<Option<Verdict>, nno_core::ApiError> {
    let p = step.position();
    let kind = StepKind::parse(&step.name);
    // Only what this job created is deleted; an adopted resource stays.
    let result = match (&kind, step.created_by_job) {
        (Some(k), true) => {
            exec::undo(
                cf,
                &job.platform_id,
                environment,
                k,
                step.cloudflare_id.as_deref(),
            )
            .await
        }
        _ => Ok(None),
    };
    match result {
        Ok(undone) => {
            store::step_rolled_back(db, &job.id, p, now()).await?;
            let mut out = Vec::new();
            if let Some((record, name)) = undone {
                let env_name = if environment == Environment::Stg {
                    "stg"
                } else {
                    "prod"
                };
                store::forget(db, &job.platform_id, record, &name).await?;
                out.push(removed_event(
                    &job.id,
                    &job.platform_id,
                    record,
                    &name,
                    env_name,
                ));
            }
            log::event(
                "info",
                SERVICE,
                "provision step rolled back",
                json!({ "jobId": job.id, "step": step.name }),
            );
            publish_progress(env, db, &job.id, out).await;
            Ok(None)
        }
        Err(e) => {
            let error = format!("rollback: {e}");
            match engine::classify(&e) {
                Class::Permanent => {
                    // Cannot be undone: say so and go on with the rest.
                    store::undo_later(db, &job.id, p, &error, now()).await?;
                    store::step_rolled_back(db, &job.id, p, now()).await?;
                    log::event(
                        "error",
                        SERVICE,
                        "provision rollback left a resource",
                        json!({ "jobId": job.id, "step": step.name, "error": error }),
                    );
                    Ok(None)
                }
                Class::Deferred { after_ms } => {
                    store::undo_later(db, &job.id, p, &error, now()).await?;
                    Ok(Some(Verdict::Requeue(
                        after_ms.div_ceil(1000).clamp(1, 300) as u32,
                    )))
                }
                Class::Transient { retry_after, .. } => {
                    store::undo_later(db, &job.id, p, &error, now()).await?;
                    let attempt = step.attempts as u32 + 1;
                    if attempt >= policy.max_attempts.saturating_mul(2) {
                        return Ok(Some(Verdict::DeadLetter(error)));
                    }
                    let delay = engine::backoff_seconds(
                        policy,
                        attempt.min(policy.max_attempts),
                        retry_after,
                        jitter(),
                    );
                    Ok(Some(if progressed {
                        Verdict::Requeue(delay)
                    } else {
                        Verdict::Retry(delay)
                    }))
                }
            }
        }
    }
}

fn recorded_event(job_id: &str, pid: &str, r: &exec::Created) -> RegistryEvent {
    let id = format!("{job_id}:{}:{}:recorded", r.kind.as_str(), r.name);
    let body = match r.kind {
        RecordKind::CustomHostname => EventBody::DnsRecorded {
            hostname: r.name.clone(),
            environment: r.environment.clone(),
            stack: crate::jobs::names::STACK.into(),
            target: r
                .detail
                .get("target")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .into(),
            custom_hostname_id: r.cloudflare_id.clone(),
            ssl_status: r
                .ssl_status
                .as_deref()
                .and_then(SslStatus::parse)
                .unwrap_or(SslStatus::Pending),
        },
        kind => EventBody::ResourceRecorded {
            kind: kind.resource_kind(),
            name: r.name.clone(),
            cloudflare_id: r.cloudflare_id.clone(),
            environment: r.environment.clone(),
            stack: crate::jobs::names::STACK.into(),
        },
    };
    event(id, now(), pid, body)
}

fn removed_event(
    job_id: &str,
    pid: &str,
    kind: RecordKind,
    name: &str,
    environment: &str,
) -> RegistryEvent {
    let id = format!("{job_id}:{}:{name}:removed", kind.as_str());
    let body = match kind {
        RecordKind::CustomHostname => EventBody::DnsRemoved {
            hostname: name.into(),
        },
        kind => EventBody::ResourceRemoved {
            kind: kind.resource_kind(),
            name: name.into(),
            environment: environment.into(),
        },
    };
    event(id, now(), pid, body)
}

/// The dead-letter consumer's work: the job is FAILED with the last error its steps
/// saw, and an alert line goes to the logs.
pub async fn dead_letter(env: &Env, job_id: &str) {
    let ctx = job_context(job_id);
    let Ok(db) = store::db(env, &ctx) else { return };
    let steps = store::steps(&db, job_id).await.unwrap_or_default();
    let last = steps
        .iter()
        .filter(|s| s.last_error.is_some())
        .max_by(|a, b| a.attempts.total_cmp(&b.attempts))
        .and_then(|s| s.last_error.clone().map(|e| format!("{}: {e}", s.name)))
        .unwrap_or_else(|| "the job's messages were dead-lettered".into());
    let error = format!("retries exhausted; {last}");
    let changed = store::finish_job(&db, job_id, JobStatus::Failed, Some(&error), now())
        .await
        .unwrap_or(false);
    // The job's own error wins over a rollback's earlier one.
    let _ = store::touch_job(&db, job_id, now()).await;
    log::event(
        "error",
        SERVICE,
        "provision job dead-lettered",
        json!({ "jobId": job_id, "error": error, "marked": changed }),
    );
    publish_progress(env, &db, job_id, Vec::new()).await;
}

/// Polls the platform's pending custom hostnames once; polls again later while any
/// is still pending (up to `SSL_POLL_MAX_ROUNDS`; the cron catches the rest).
pub async fn poll_ssl(env: &Env, platform_id: &str, round: u32) -> Verdict {
    let ctx = job_context(platform_id);
    let Ok(db) = store::db(env, &ctx) else {
        return Verdict::Retry(30);
    };
    let Ok(cf) = Cloudflare::from_env(env) else {
        return Verdict::Ack;
    };
    let pending = store::pending_ssl(&db, Some(platform_id), i64::MAX, 20)
        .await
        .unwrap_or_default();
    let interval = config::ssl_poll_interval(env);
    let mut still = 0;
    let mut out = Vec::new();
    for h in &pending {
        match cf.hostname_get(&h.cloudflare_id).await {
            Ok(found) => {
                let status = found.ssl_status();
                let _ = store::set_ssl(&db, platform_id, &h.name, status.as_str(), now()).await;
                if status == SslStatus::Pending {
                    still += 1;
                    continue;
                }
                out.push(event(
                    format!("{platform_id}:{}:ssl:{}", h.name, status.as_str()),
                    now(),
                    platform_id,
                    EventBody::DnsRecorded {
                        hostname: h.name.clone(),
                        environment: h.environment.clone(),
                        stack: crate::jobs::names::STACK.into(),
                        target: h
                            .detail()
                            .get("target")
                            .and_then(|t| t.as_str())
                            .unwrap_or_default()
                            .into(),
                        custom_hostname_id: h.cloudflare_id.clone(),
                        ssl_status: status,
                    },
                ));
            }
            Err(CfError::Budget { .. }) => {
                still += 1;
                break;
            }
            Err(e) if e.is_not_found() => {
                let _ =
                    store::set_ssl(&db, platform_id, &h.name, SslStatus::Failed.as_str(), now())
                        .await;
            }
            Err(_) => still += 1,
        }
    }
    events::publish(env, out).await;
    if still > 0 && round < config::ssl_poll_rounds(env) {
        let next = Task::PollSsl {
            platform_id: platform_id.into(),
            round: round + 1,
        };
        if tasks::send(env, &next, interval).await.is_err() {
            return Verdict::Retry(interval);
        }
    }
    Verdict::Ack
}

/// The cron's backstop: jobs whose message was lost are queued again, and hostnames
/// nobody polled for two intervals are polled.
pub async fn sweep(env: &Env) {
    let ctx = job_context("cron");
    let Ok(db) = store::db(env, &ctx) else { return };
    let stale = now() - 15 * 60_000;
    for job in store::stalled_jobs(&db, stale, 50)
        .await
        .unwrap_or_default()
    {
        let _ = store::touch_job(&db, &job.id, now()).await;
        let _ = tasks::send(
            env,
            &Task::Run {
                job_id: job.id.clone(),
            },
            0,
        )
        .await;
    }
    let unpolled = now() - 2 * i64::from(config::ssl_poll_interval(env)) * 1000;
    let mut platforms: Vec<String> = store::pending_ssl(&db, None, unpolled, 100)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|h| h.platform_id)
        .collect();
    platforms.sort();
    platforms.dedup();
    for platform_id in platforms {
        let _ = tasks::send(
            env,
            &Task::PollSsl {
                platform_id,
                round: 0,
            },
            0,
        )
        .await;
    }
}
