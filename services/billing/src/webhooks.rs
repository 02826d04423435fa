//! `POST webhooks/stripe`: Stripe's deliveries, through the gateway with no
//! credential but the signature. The signature is checked over the bytes as they
//! came (constant-time, 300 s tolerance, any `v1` against the current or previous
//! secret); a bad or stale one is 400 and changes nothing. Each event's effect is
//! a fresh read of its subscription from Stripe (`sync::refresh`), so a repeat or an
//! out-of-order delivery ends in the same state; an event that took effect is
//! recorded and a redelivery of it answered at once.

use crate::config;
use crate::store::{events, subscriptions as subs};
use crate::stripe::Stripe;
use nno_billing::signature;
use nno_billing::stripe::Event;
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::read_bytes;
use nno_worker::d1::Db;
use nno_worker::runtime::now_ms;
use nno_worker::{respond, ApiResult, RequestContext};
use serde_json::json;
use worker::{Env, Request};

/// Stripe's events are a few kB; this leaves room for large invoices.
const LIMIT: usize = 256 * 1024;

fn refused(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::BadRequest, message)
}

pub async fn receive(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    nno_worker::body::check_content_type(&content_type)?;
    let header = req
        .headers()
        .get("stripe-signature")
        .ok()
        .flatten()
        .ok_or_else(|| refused("a Stripe-Signature header is required"))?;
    let bytes = read_bytes(&mut req, LIMIT).await?;
    let secrets = config::webhook_secrets(env);
    if secrets.is_empty() {
        return Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            "billing has no webhook secret (STRIPE_WEBHOOK_SECRET)",
        ));
    }
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let now = (now_ms() / 1000.0) as i64;
    signature::verify(&header, &bytes, &secrets, now).map_err(|r| refused(r.message()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| refused("the payload is not JSON"))?;
    let event = Event::read(&value).ok_or_else(|| refused("the payload is not a Stripe event"))?;
    let db = Db::bind(env, "DB", ctx)?;
    let answer = |status: &str| {
        Ok(respond::json(
            200,
            &json!({ "received": true, "status": status }),
            &ctx.request_id,
        ))
    };
    if events::seen(&db, &event.id).await? {
        return answer("duplicate");
    }
    let row = match event.subscription_id() {
        Some(id) => subs::by_subscription(&db, &id).await?,
        None => None,
    };
    let at = now_ms() as i64;
    let Some(row) = row else {
        // Not about a subscription billing keeps (or about one whose creation has not
        // been stored yet: that creation reads Stripe itself when it is).
        events::record(&db, &event.id, &event.kind, None, event.created, at).await?;
        return answer("ignored");
    };
    let stripe = Stripe::new(config::stripe(env)?);
    crate::sync::refresh(env, &db, &stripe, &row, crate::sync::Tell::Required).await?;
    events::record(
        &db,
        &event.id,
        &event.kind,
        Some(&row.platform_id),
        event.created,
        at,
    )
    .await?;
    answer("applied")
}
