//! The registry-events queue: what provisioning reports (resources, hostnames, job
//! progress) and billing reports (a platform's billing standing), applied idempotently. Delivery is at least once and in any order, so
//! every write is conditional on the event being newer than what is stored, and a
//! repeat changes nothing. An event that cannot be parsed is logged and dropped (it
//! can never succeed); one whose write fails is retried by the queue.

use crate::store::{
    self,
    records::{DnsFact, ResourceFact},
};
use nno_core::contracts::provisioning::{EventBody, JobStatus, JobType, RegistryEvent};
use nno_core::identity::Identity;
use nno_core::platform::{PlatformStatus, Transition};
use nno_core::trace::TraceParent;
use nno_core::{ApiError, Service};
use nno_worker::d1::Db;
use nno_worker::runtime::{now_ms, random_array};
use nno_worker::RequestContext;
use worker::{Env, MessageBatch, MessageExt};

fn context(event_id: &str) -> RequestContext {
    RequestContext {
        service: Service::Registry,
        request_id: event_id.chars().take(64).collect(),
        trace: TraceParent::continue_or_start(None, random_array()),
        method: "QUEUE".into(),
        path: "registry-events".into(),
        query: String::new(),
        started_ms: now_ms(),
        identity: Identity::Internal,
        runtime: None,
    }
}

pub async fn consume(batch: MessageBatch<serde_json::Value>, env: Env) -> worker::Result<()> {
    for message in batch.messages()? {
        let event: RegistryEvent = match serde_json::from_value(message.body().clone()) {
            Ok(e) => e,
            Err(e) => {
                nno_worker::log::event(
                    "error",
                    "registry",
                    "registry event dropped: unreadable",
                    serde_json::json!({ "messageId": message.id(), "error": e.to_string() }),
                );
                message.ack();
                continue;
            }
        };
        let ctx = context(&event.id);
        match apply(&env, &ctx, &event).await {
            Ok(()) => message.ack(),
            Err(e) => {
                nno_worker::log::event(
                    "warn",
                    "registry",
                    "registry event not applied; will retry",
                    serde_json::json!({ "eventId": event.id, "error": e.message, "cause": e.cause.as_deref() }),
                );
                message.retry();
            }
        }
    }
    Ok(())
}

pub async fn apply(env: &Env, ctx: &RequestContext, e: &RegistryEvent) -> Result<(), ApiError> {
    let db = Db::bind(env, "DB", ctx)?;
    let pid = e.platform_id.as_str();
    match &e.event {
        EventBody::ResourceRecorded {
            kind,
            name,
            cloudflare_id,
            environment,
            stack,
        } => {
            let fact = ResourceFact {
                platform_id: pid,
                stack,
                kind: kind.as_str(),
                name,
                cloudflare_id: Some(cloudflare_id),
                environment,
                status: "active",
                at: e.at,
            };
            store::records::put_resource(&db, &fact).await?;
            crate::billing::meter(env, ctx, pid, *kind, name, Some(cloudflare_id), false).await
        }
        EventBody::ResourceRemoved {
            kind,
            name,
            environment,
        } => {
            let fact = ResourceFact {
                platform_id: pid,
                stack: nno_core::platform::DEFAULT_STACK,
                kind: kind.as_str(),
                name,
                cloudflare_id: None,
                environment,
                status: "removed",
                at: e.at,
            };
            store::records::put_resource(&db, &fact).await?;
            crate::billing::meter(env, ctx, pid, *kind, name, None, true).await
        }
        EventBody::DnsRecorded {
            hostname,
            environment,
            stack,
            target,
            custom_hostname_id,
            ssl_status,
        } => {
            let fact = DnsFact {
                platform_id: pid,
                stack,
                hostname,
                environment,
                target,
                custom_hostname_id,
                ssl_status: ssl_status.as_str(),
                at: e.at,
            };
            store::records::put_dns(&db, &fact).await
        }
        EventBody::DnsRemoved { hostname } => {
            store::records::remove_dns(&db, pid, hostname, e.at).await
        }
        EventBody::JobProgress { job } if job.job_type == JobType::BootstrapPlatform => {
            let (status, error, step) = crate::onboarding::session_outcome(job);
            let json = serde_json::to_string(job).map_err(|_| ApiError::internal())?;
            store::onboarding::job_progress(
                &db,
                pid,
                &job.job_id,
                &json,
                status,
                error.as_deref(),
                step.as_deref(),
                e.at,
            )
            .await?;
            if job.status == JobStatus::Succeeded {
                activate(env, ctx, &db, pid).await?;
            }
            Ok(())
        }
        EventBody::JobProgress { .. } => Ok(()),
        EventBody::BillingStanding {
            standing,
            tier,
            stripe_customer_id,
        } => {
            crate::billing::apply(
                env,
                ctx,
                &db,
                pid,
                *standing,
                tier,
                stripe_customer_id.as_deref(),
                e.at,
            )
            .await
        }
    }
}

/// The bootstrap finished: `provisioning → active` (from `pending` too, if the
/// answer to the bootstrap request was lost). Any other state is left alone: a
/// platform suspended or deleted meanwhile stays so.
async fn activate(env: &Env, ctx: &RequestContext, db: &Db, pid: &str) -> Result<(), ApiError> {
    let Some(mut p) = store::platforms::get(db, pid).await? else {
        return Ok(());
    };
    if p.status() == PlatformStatus::Pending {
        crate::platforms::apply(env, ctx, db, &p, Transition::StartProvisioning, None, None)
            .await?;
        p = store::platforms::get(db, pid)
            .await?
            .ok_or_else(ApiError::internal)?;
    }
    if p.status() == PlatformStatus::Provisioning {
        // Two deliveries racing: the loser's 409 is not a failure.
        match crate::platforms::apply(env, ctx, db, &p, Transition::Activate, None, None).await {
            Err(e) if e.status() == 409 => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}
