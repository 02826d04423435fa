//! Telling registry what happened: `RegistryEvent`s on the registry-events queue
//! (binding `REGISTRY_EVENTS`). Registry applies each idempotently by its id.

use nno_core::contracts::provisioning::{EventBody, RegistryEvent};
use worker::Env;

pub const BINDING: &str = "REGISTRY_EVENTS";

pub fn event(id: String, at: i64, platform_id: &str, body: EventBody) -> RegistryEvent {
    RegistryEvent {
        id,
        at,
        platform_id: platform_id.to_string(),
        event: body,
    }
}

/// Publishes `events`. A failure is logged, not raised: the step's work is done and
/// recorded, and the job's next progress event carries its state again.
pub async fn publish(env: &Env, events: Vec<RegistryEvent>) {
    if events.is_empty() {
        return;
    }
    let queue = match env.queue(BINDING) {
        Ok(q) => q,
        Err(e) => return fail(&e.to_string(), events.len()),
    };
    let batch = worker::BatchMessageBuilder::new().messages(events).build();
    if let Err(e) = queue.send_batch(batch).await {
        fail(&e.to_string(), 0);
    }
}

fn fail(error: &str, count: usize) {
    nno_worker::log::event(
        "error",
        "provisioning",
        "registry events not published",
        serde_json::json!({ "error": error, "count": count }),
    );
}
