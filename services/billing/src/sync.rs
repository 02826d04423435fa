//! Keeping a platform's row in step with Stripe. Whatever happened (a webhook in any
//! order, a change made here), billing reads the subscription and its open invoice
//! from Stripe again and stores that, so the state is always Stripe's newest and
//! never the order events arrived in.

use crate::store::subscriptions::{self as subs, Row, Synced};
use crate::stripe::Stripe;
use nno_billing::standing::standing;
use nno_billing::stripe::{Form, Invoice, Subscription};
use nno_core::{ApiError, ErrorCode};
use nno_worker::d1::Db;
use nno_worker::runtime::now_ms;
use worker::Env;

fn unreadable(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UpstreamError,
        format!("Stripe sent a {what} billing cannot read"),
    )
    .with_details(serde_json::json!({ "system": "Stripe" }))
}

pub async fn subscription(stripe: &Stripe, id: &str) -> Result<Subscription, ApiError> {
    let v = stripe
        .get(&format!("/v1/subscriptions/{id}"), &Form::new())
        .await?;
    Subscription::read(&v).ok_or_else(|| unreadable("subscription"))
}

pub async fn invoice(stripe: &Stripe, id: &str) -> Result<Invoice, ApiError> {
    let v = stripe
        .get(&format!("/v1/invoices/{id}"), &Form::new())
        .await?;
    Invoice::read(&v).ok_or_else(|| unreadable("invoice"))
}

/// Whether (and how firmly) a refresh tells registry the standing it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tell {
    /// A webhook: failing to tell registry fails the delivery, which Stripe retries.
    Required,
    /// A change the customer made here: a failure is logged; the change's own webhook
    /// tells registry again.
    BestEffort,
    /// A change registry asked for: registry makes the transition itself (telling it
    /// too would race its own step).
    No,
}

/// Reads the platform's subscription from Stripe, stores it (unless a newer read is
/// stored) and tells registry as `tell` says.
pub async fn refresh(
    env: &Env,
    db: &Db,
    stripe: &Stripe,
    row: &Row,
    tell: Tell,
) -> Result<Row, ApiError> {
    let Some(sub_id) = row.stripe_subscription_id.as_deref() else {
        return Ok(row.clone());
    };
    let at = now_ms() as i64;
    let sub = subscription(stripe, sub_id).await?;
    // The attempts of the invoice still owed, which is what the grace period counts.
    let mut failed_attempts = 0;
    if matches!(sub.status.as_str(), "past_due" | "unpaid" | "incomplete") {
        if let Some(inv) = sub.latest_invoice.as_deref() {
            let inv = invoice(stripe, inv).await?;
            if inv.status.as_deref() == Some("open") {
                failed_attempts = inv.attempt_count;
            }
        }
    }
    let tier = sub
        .tier
        .map(|t| t.as_str().to_string())
        .unwrap_or_else(|| row.tier.clone());
    let standing = standing(&sub.status, sub.cancel_at_period_end, failed_attempts);
    let status = if KNOWN_STATUSES.contains(&sub.status.as_str()) {
        sub.status.clone()
    } else {
        // A status newer than this code: kept as the nearest one it understands.
        "active".into()
    };
    subs::sync(
        db,
        &Synced {
            platform_id: &row.platform_id,
            tier: &tier,
            item_id: &sub.item_id,
            status: &status,
            standing,
            cancel_at_period_end: sub.cancel_at_period_end,
            period_start: sub.current_period_start,
            period_end: sub.current_period_end,
            amount: sub.unit_amount,
            currency: sub.currency.as_deref(),
            failed_attempts,
            at,
        },
    )
    .await?;
    if tell == Tell::No {
        return subs::get(db, &row.platform_id)
            .await?
            .ok_or_else(ApiError::internal);
    }
    let told = crate::registry::publish(
        env,
        &row.platform_id,
        standing,
        &tier,
        row.stripe_customer_id.as_deref(),
        at,
    )
    .await;
    match told {
        Err(e) if tell == Tell::Required => return Err(e),
        Err(e) => nno_worker::log::event(
            "warn",
            "billing",
            "billing standing not published; the next webhook will",
            serde_json::json!({ "platformId": row.platform_id, "cause": e.cause }),
        ),
        Ok(()) => {}
    }
    subs::get(db, &row.platform_id)
        .await?
        .ok_or_else(ApiError::internal)
}

const KNOWN_STATUSES: [&str; 8] = [
    "active",
    "trialing",
    "past_due",
    "unpaid",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "paused",
];
