//! NNO provisioning: Cloudflare resource lifecycle for client platforms.
//!
//! Routes (relative to this Worker; the gateway prefix is in nno_core::routing):
//!   GET /health, GET /health/live, and both under each base the gateway rewrites to.
//! Everything else answers a 404 envelope until this service's own issue adds routes.

use nno_core::Service;
use nno_worker::{no_routes, serve, Probe, ServiceSpec};
use worker::MessageExt;
use worker::{event, Context, Env, Request, Response, Result};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Provisioning,
    probes: &[Probe::D1("DB")],
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, runtime: Context) -> Result<Response> {
    serve(req, env, runtime, &SPEC, no_routes).await
}

/// Provision-queue consumer. Job types arrive with the provisioning issue; until then a
/// message cannot be processed, so it is moved to the dead-letter queue (where it is
/// kept for inspection) and acknowledged, instead of being retried to no purpose.
#[event(queue)]
async fn queue(
    batch: worker::MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> Result<()> {
    let dlq = env.queue("PROVISION_DLQ")?;
    for message in batch.messages()? {
        let reason = "no handler for this job type";
        nno_worker::log::event(
            "warn",
            SPEC.service.name(),
            "provision message dead-lettered",
            serde_json::json!({ "messageId": message.id(), "reason": reason }),
        );
        dlq.send(serde_json::json!({ "reason": reason, "message": message.body() }))
            .await?;
        message.ack();
    }
    Ok(())
}
