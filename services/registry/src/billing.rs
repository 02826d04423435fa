//! Registry ↔ billing. Onboarding asks billing, over the service binding and vouched
//! for as NNO's own, for the platform's customer and subscription; billing tells
//! registry what the subscription means for the platform (`BillingStanding` events on
//! the registry-events queue), which `apply` turns into lifecycle transitions.

use crate::store;
use nno_core::contracts::billing::{
    transitions, Standing, SubscribeRequest, SubscriptionView, OVERDUE_REASON,
};
use nno_core::identity::INTERNAL_JSON;
use nno_core::platform::{PlatformStatus, ResourceKind, Transition};
use nno_core::{ApiError, ErrorCode, Service};
use nno_worker::client::ServiceClient;
use nno_worker::d1::Db;
use nno_worker::RequestContext;
use worker::{Env, Headers, Method};

async fn post<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
    env: &Env,
    ctx: &RequestContext,
    path: &str,
    req: &Req,
) -> Result<Resp, ApiError> {
    let key = nno_worker::caller::internal_key(env)?;
    ServiceClient::new(env, Service::Billing)?
        .call(
            ctx,
            Method::Post,
            path,
            Some(req),
            Some((&key, INTERNAL_JSON)),
            Headers::new(),
        )
        .await
}

pub async fn subscribe(
    env: &Env,
    ctx: &RequestContext,
    req: &SubscribeRequest,
) -> Result<SubscriptionView, ApiError> {
    post(env, ctx, "/subscription", req).await
}

/// Cancels the platform's subscription at the period's end (or takes that back).
/// A platform billing has no subscription for (404), or one that has ended (409),
/// has nothing to stop: that is not a failure.
pub async fn set_cancel(
    env: &Env,
    ctx: &RequestContext,
    platform_id: &str,
    cancel: bool,
) -> Result<(), ApiError> {
    let path = if cancel {
        "/subscription/cancel"
    } else {
        "/subscription/resume"
    };
    let body = serde_json::json!({ "platformId": platform_id });
    match post::<_, SubscriptionView>(env, ctx, path, &body).await {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.status(), 404 | 409) => Ok(()),
        Err(e) => Err(ApiError::new(
            ErrorCode::UpstreamError,
            "billing did not take the change; nothing was changed",
        )
        .with_cause(format!("billing {path}: {} {}", e.status(), e.message))),
    }
}

/// Tells billing to meter (or stop metering) a resource provisioning recorded. Kinds
/// with no usage billing counts (Pages, queues, hostnames) are not sent.
pub async fn meter(
    env: &Env,
    ctx: &RequestContext,
    platform_id: &str,
    kind: ResourceKind,
    name: &str,
    cloudflare_id: Option<&str>,
    removed: bool,
) -> Result<(), ApiError> {
    if !matches!(
        kind,
        ResourceKind::Worker | ResourceKind::D1 | ResourceKind::R2 | ResourceKind::Kv
    ) {
        return Ok(());
    }
    // A Worker and a bucket are metered by name, a database and a namespace by id.
    let body = serde_json::json!({
        "platformId": platform_id, "kind": kind.as_str(), "name": name,
        "cloudflareId": cloudflare_id, "removed": removed,
    });
    let _: serde_json::Value = post(env, ctx, "/resources", &body).await?;
    Ok(())
}

/// Billing's standing for a platform, newest first: stored, then acted on if it
/// changed. Transitions another actor already made (a 409) are not failures.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    env: &Env,
    ctx: &RequestContext,
    db: &Db,
    platform_id: &str,
    next: Standing,
    tier: &str,
    customer: Option<&str>,
    at: i64,
) -> Result<(), ApiError> {
    let previous = store::billing::standing(db, platform_id)
        .await?
        .and_then(|s| Standing::parse(&s.standing));
    if !store::billing::put(db, platform_id, next.as_str(), tier, customer, at).await? {
        return Ok(()); // older than what is stored, or no such platform
    }
    let Some(p) = store::platforms::get(db, platform_id).await? else {
        return Ok(());
    };
    let for_payment = p.status() == PlatformStatus::Suspended
        && p.suspension_reason.as_deref() == Some(OVERDUE_REASON)
        && p.suspended_by.as_deref() == Some("operator");
    let mut p = p;
    for t in transitions(previous, next, p.status(), for_payment) {
        let (reason, by) = match t {
            Transition::Suspend => (Some(OVERDUE_REASON), Some("operator")),
            Transition::Cancel if next == Standing::Cancelled => {
                (Some("the subscription ended"), None)
            }
            Transition::Cancel => (Some("cancelled at the end of the billing period"), None),
            _ => (None, None),
        };
        match crate::platforms::apply(env, ctx, db, &p, t, reason, by).await {
            Ok(_) => {}
            Err(e) if e.status() == 409 => return Ok(()),
            Err(e) => return Err(e),
        }
        p = store::platforms::get(db, platform_id)
            .await?
            .ok_or_else(ApiError::internal)?;
    }
    Ok(())
}
