//! Telling registry what a subscription means for its platform: a `BillingStanding`
//! event on the registry-events queue (binding `REGISTRY_EVENTS`). Registry applies
//! only the newest (by `at`) and acts on changes of standing, so publishing the same
//! standing again is harmless.

use nno_core::contracts::billing::Standing;
use nno_core::contracts::provisioning::{EventBody, RegistryEvent};
use nno_core::{ApiError, ErrorCode};
use worker::Env;

pub const BINDING: &str = "REGISTRY_EVENTS";

pub async fn publish(
    env: &Env,
    platform_id: &str,
    standing: Standing,
    tier: &str,
    customer: Option<&str>,
    at: i64,
) -> Result<(), ApiError> {
    let event = RegistryEvent {
        id: format!("billing:{platform_id}:{at}"),
        at,
        platform_id: platform_id.to_string(),
        event: EventBody::BillingStanding {
            standing,
            tier: tier.to_string(),
            stripe_customer_id: customer.map(String::from),
        },
    };
    let unavailable = |e: worker::Error| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the platform's billing state could not be passed on; try again",
        )
        .with_cause(format!("registry events: {e}"))
    };
    env.queue(BINDING)
        .map_err(unavailable)?
        .send(event)
        .await
        .map_err(unavailable)
}
