//! The subscription endpoints: create (registry's onboarding), read, preview and
//! change the tier, cancel at the period's end and resume, list invoices. The same
//! rules as registry's platforms: operators everything, the owning tenant's managers
//! change, its members read, anyone else finds nothing.

use crate::config;
use crate::store::subscriptions::{self as subs, Row};
use crate::stripe::Stripe;
use crate::sync;
use nno_billing::plans::{lookup_key, plan};
use nno_billing::stripe::{Form, Invoice};
use nno_core::contracts::billing::SubscribeRequest;
use nno_core::platform::Tier;
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::platform_access::{self as pa, Need};
use nno_worker::runtime::now_ms;
use nno_worker::{respond, ApiResult, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Env, Request};

fn db(env: &Env, ctx: &RequestContext) -> Result<Db, ApiError> {
    Db::bind(env, "DB", ctx)
}

fn stripe(env: &Env) -> Result<Stripe, ApiError> {
    Ok(Stripe::new(config::stripe(env)?))
}

fn ok<T: Serialize>(ctx: &RequestContext, status: u16, body: &T) -> ApiResult {
    Ok(respond::json(status, body, &ctx.request_id))
}

/// Registry's platform ids: 10 of `[a-z0-9]`.
pub fn check_platform_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 10
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "platformId",
            "platformId is a platform id (10 characters a-z, 0-9)",
        ))
    }
}

fn parse_tier(field: &str, t: &str) -> Result<Tier, ApiError> {
    Tier::parse(t).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!("{field} must be one of {}", Tier::names().join(", ")),
        )
    })
}

pub fn query_platform(ctx: &RequestContext) -> Result<String, ApiError> {
    let id = ctx
        .query_param("platformId")
        .ok_or_else(|| ApiError::invalid("platformId", "give ?platformId="))?;
    check_platform_id(&id)?;
    Ok(id)
}

/// The platform's row, if the caller may `need` on it (404 when they may not read).
async fn load(
    db: &Db,
    ctx: &RequestContext,
    platform_id: &str,
    need: Need,
) -> Result<Row, ApiError> {
    pa::authenticated(ctx)?;
    let row = subs::get(db, platform_id).await?;
    let Some(row) = row else {
        return Err(ApiError::not_found("subscription"));
    };
    pa::check(ctx, &row.owner_tenant_id, need, "subscription")?;
    Ok(row)
}

fn conflict(message: impl Into<String>, row: &Row) -> ApiError {
    ApiError::new(ErrorCode::Conflict, message).with_details(json!({
        "status": row.status,
        "standing": row.standing,
        "cancelAtPeriodEnd": row.cancel_at_period_end,
    }))
}

/// A subscription whose tier may change: live, paid up, not being cancelled.
fn changeable(row: &Row) -> Result<(&str, &str), ApiError> {
    let (Some(sub), Some(item)) = (
        row.stripe_subscription_id.as_deref(),
        row.stripe_item_id.as_deref(),
    ) else {
        return Err(conflict(
            "the platform's subscription is not set up yet",
            row,
        ));
    };
    if !matches!(row.status.as_str(), "active" | "trialing") {
        return Err(conflict(
            format!(
                "a {} subscription cannot change tier; settle the open invoice first",
                row.status
            ),
            row,
        ));
    }
    if row.cancel_at_period_end {
        return Err(conflict(
            "the subscription ends at the period's end; resume it first",
            row,
        ));
    }
    Ok((sub, item))
}

/// The Stripe price of `tier`, found by its lookup key.
async fn price(stripe: &Stripe, tier: Tier) -> Result<String, ApiError> {
    let q = Form::new()
        .set("lookup_keys[0]", lookup_key(tier))
        .set("active", "true");
    let v = stripe.get("/v1/prices", &q).await?;
    v.get("data")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(|p| p.get("id"))
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ServiceUnavailable,
                format!("Stripe has no active price for the {tier} tier"),
            )
            .with_cause(format!("no price with lookup_key {}", lookup_key(tier)))
        })
}

fn valid_email(e: &str) -> bool {
    e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `POST subscription` (operators: registry's onboarding): the platform's Stripe
/// customer and its subscription on the tier, each made once. A retry picks up where
/// the last attempt stopped; Stripe's idempotency keys (per platform) cover an answer
/// lost between Stripe and the row.
pub async fn create(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    pa::require_operator(ctx)?;
    let body: SubscribeRequest = read_json(&mut req, DEFAULT_LIMIT).await?;
    check_platform_id(&body.platform_id)?;
    let tier = parse_tier("tier", &body.tier)?;
    if !valid_email(&body.billing_email) {
        return Err(ApiError::invalid(
            "billingEmail",
            "billingEmail is not an e-mail address",
        ));
    }
    if body.owner_tenant_id.is_empty() || body.owner_tenant_id.len() > 64 {
        return Err(ApiError::invalid(
            "ownerTenantId",
            "ownerTenantId must be 1 to 64 characters",
        ));
    }
    let db = db(env, ctx)?;
    let stripe = stripe(env)?;
    let pid = body.platform_id.as_str();
    let at = now_ms() as i64;
    subs::create(
        &db,
        &subs::New {
            platform_id: pid,
            owner_tenant_id: &body.owner_tenant_id,
            billing_email: &body.billing_email,
            tier: tier.as_str(),
            at,
        },
    )
    .await?;
    let mut row = subs::get(&db, pid).await?.ok_or_else(ApiError::internal)?;
    if row.owner_tenant_id != body.owner_tenant_id {
        return Err(conflict("the platform is billed to another tenant", &row));
    }
    if row.stripe_subscription_id.is_some() {
        return ok(ctx, 200, &row.view());
    }
    if stripe.test_clocks() && row.test_clock_id.is_none() && row.stripe_customer_id.is_none() {
        let clock = stripe
            .post(
                "/v1/test_helpers/test_clocks",
                &Form::new()
                    .set("frozen_time", ((at / 1000) as u64).to_string())
                    .set("name", pid),
                Some(&format!("nno-clock-{pid}")),
            )
            .await?;
        if let Some(id) = clock.get("id").and_then(Value::as_str) {
            subs::set_once(&db, pid, subs::StripeRef::TestClock, id, at).await?;
        }
        row = subs::get(&db, pid).await?.ok_or_else(ApiError::internal)?;
    }
    if row.stripe_customer_id.is_none() {
        let mut form = Form::new()
            .set("email", row.billing_email.as_str())
            .set("metadata[platform_id]", pid)
            .set("metadata[owner_tenant_id]", row.owner_tenant_id.as_str());
        if let Some(clock) = row.test_clock_id.as_deref() {
            form = form.set("test_clock", clock);
        }
        let customer = stripe
            .post("/v1/customers", &form, Some(&format!("nno-customer-{pid}")))
            .await?;
        let id = customer.get("id").and_then(Value::as_str).ok_or_else(|| {
            ApiError::new(
                ErrorCode::UpstreamError,
                "Stripe sent a customer without an id",
            )
        })?;
        subs::set_once(&db, pid, subs::StripeRef::Customer, id, at).await?;
        row = subs::get(&db, pid).await?.ok_or_else(ApiError::internal)?;
    }
    let customer = row
        .stripe_customer_id
        .clone()
        .ok_or_else(ApiError::internal)?;
    let tier = parse_tier("tier", &row.tier)?;
    let price = price(&stripe, tier).await?;
    let sub = stripe
        .post(
            "/v1/subscriptions",
            &Form::new()
                .set("customer", customer)
                .set("items[0][price]", price)
                .set("metadata[platform_id]", pid),
            Some(&format!("nno-subscription-{pid}")),
        )
        .await?;
    let id = sub.get("id").and_then(Value::as_str).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UpstreamError,
            "Stripe sent a subscription without an id",
        )
    })?;
    subs::set_once(&db, pid, subs::StripeRef::Subscription, id, at).await?;
    let row = subs::get(&db, pid).await?.ok_or_else(ApiError::internal)?;
    let row = sync::refresh(env, &db, &stripe, &row, sync::Tell::BestEffort).await?;
    ok(ctx, 201, &row.view())
}

pub async fn get(env: &Env, ctx: &RequestContext) -> ApiResult {
    let pid = query_platform(ctx)?;
    let db = db(env, ctx)?;
    let row = load(&db, ctx, &pid, Need::Read).await?;
    ok(ctx, 200, &row.view())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Preview {
    platform_id: String,
    tier: String,
    new_tier: String,
    /// Unix seconds; give it to change-tier to be charged exactly this.
    proration_date: i64,
    currency: String,
    /// What the change itself costs now (negative: a credit).
    proration_amount: i64,
    amount_due: i64,
    /// The new tier's monthly price, USD cents.
    new_monthly_amount: u64,
    lines: Vec<nno_billing::stripe::Line>,
}

pub async fn preview(env: &Env, ctx: &RequestContext) -> ApiResult {
    let pid = query_platform(ctx)?;
    let new_tier = ctx
        .query_param("tier")
        .ok_or_else(|| ApiError::invalid("tier", "give ?tier="))?;
    let new_tier = parse_tier("tier", &new_tier)?;
    let db = db(env, ctx)?;
    let row = load(&db, ctx, &pid, Need::Read).await?;
    if row.tier == new_tier.as_str() {
        return Err(conflict(
            format!("the platform is on the {new_tier} tier already"),
            &row,
        ));
    }
    let (sub, item) = changeable(&row)?;
    let stripe = stripe(env)?;
    let price = price(&stripe, new_tier).await?;
    // No proration date: Stripe prorates at its own now (the customer's test clock's,
    // where there is one), and the proration lines start there.
    let form = Form::new()
        .set(
            "customer",
            row.stripe_customer_id.clone().unwrap_or_default(),
        )
        .set("subscription", sub)
        .set("subscription_details[items][0][id]", item)
        .set("subscription_details[items][0][price]", price)
        .set("subscription_details[proration_behavior]", "always_invoice");
    let v = stripe
        .post("/v1/invoices/create_preview", &form, None)
        .await?;
    let inv = Invoice::read(&v).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UpstreamError,
            "Stripe sent a preview billing cannot read",
        )
    })?;
    let date = inv
        .lines
        .iter()
        .filter(|l| l.proration)
        .find_map(|l| l.period_start)
        .unwrap_or((now_ms() / 1000.0) as i64);
    ok(
        ctx,
        200,
        &Preview {
            platform_id: pid,
            tier: row.tier.clone(),
            new_tier: new_tier.as_str().into(),
            proration_date: date,
            currency: inv.currency.clone(),
            proration_amount: inv.proration_total(),
            amount_due: inv.amount_due,
            new_monthly_amount: plan(new_tier).monthly_cents,
            lines: inv.lines,
        },
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChangeTier {
    platform_id: String,
    tier: String,
    /// From the preview: the change is charged as the preview said.
    #[serde(default)]
    proration_date: Option<i64>,
}

pub async fn change_tier(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: ChangeTier = read_json(&mut req, DEFAULT_LIMIT).await?;
    check_platform_id(&body.platform_id)?;
    let new_tier = parse_tier("tier", &body.tier)?;
    let db = db(env, ctx)?;
    let row = load(&db, ctx, &body.platform_id, Need::Manage).await?;
    if row.tier == new_tier.as_str() {
        return Err(conflict(
            format!("the platform is on the {new_tier} tier already"),
            &row,
        ));
    }
    let (sub, item) = changeable(&row)?;
    // Stripe takes a proration date inside the current period (on the customer's clock,
    // which a test clock may have moved away from ours).
    let (start, end) = (
        row.current_period_start_s.unwrap_or(i64::MIN),
        row.current_period_end_s.unwrap_or(i64::MAX),
    );
    if body.proration_date.is_some_and(|d| d < start || d > end) {
        return Err(ApiError::invalid(
            "prorationDate",
            "prorationDate must be a preview's, inside the current period",
        ));
    }
    let stripe = stripe(env)?;
    let price = price(&stripe, new_tier).await?;
    let mut form = Form::new()
        .set("items[0][id]", item)
        .set("items[0][price]", price)
        .set("proration_behavior", "always_invoice");
    if let Some(d) = body.proration_date {
        form = form.set("proration_date", d.to_string());
    }
    // One change from this tier to that one per minute (a retry within it is the same
    // change; Stripe replays its answer).
    let minute = (now_ms() / 60_000.0) as i64;
    let key = format!(
        "nno-tier-{}-{}-{new_tier}-{minute}",
        row.platform_id, row.tier
    );
    stripe
        .post(&format!("/v1/subscriptions/{sub}"), &form, Some(&key))
        .await
        .map_err(|e| {
            if e.details["stripeParam"] == "proration_date" {
                ApiError::invalid(
                    "prorationDate",
                    "Stripe refused this prorationDate: preview again",
                )
            } else {
                e
            }
        })?;
    let row = sync::refresh(env, &db, &stripe, &row, sync::Tell::BestEffort).await?;
    // The invoice the change made (its prorations), as the preview showed it.
    let latest = sync::subscription(&stripe, sub).await?.latest_invoice;
    let invoice = match latest {
        Some(id) => Some(sync::invoice(&stripe, &id).await?),
        None => None,
    };
    ok(
        ctx,
        200,
        &json!({ "subscription": row.view(), "invoice": invoice }),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlatformBody {
    platform_id: String,
}

/// `cancel` (at the period's end) and `resume` (take that back before it ends).
pub async fn set_cancel(
    mut req: Request,
    env: &Env,
    ctx: &RequestContext,
    cancel: bool,
) -> ApiResult {
    let body: PlatformBody = read_json(&mut req, DEFAULT_LIMIT).await?;
    check_platform_id(&body.platform_id)?;
    let db = db(env, ctx)?;
    let row = load(&db, ctx, &body.platform_id, Need::Manage).await?;
    let Some(sub) = row.stripe_subscription_id.as_deref() else {
        return Err(conflict(
            "the platform's subscription is not set up yet",
            &row,
        ));
    };
    if matches!(row.status.as_str(), "canceled" | "incomplete_expired") {
        return Err(conflict("the subscription has ended", &row));
    }
    if row.cancel_at_period_end == cancel {
        // Asked twice: the answer is the state it is in.
        return ok(ctx, 200, &row.view());
    }
    let stripe = stripe(env)?;
    let form = Form::new().set(
        "cancel_at_period_end",
        if cancel { "true" } else { "false" },
    );
    stripe
        .post(&format!("/v1/subscriptions/{sub}"), &form, None)
        .await?;
    // Registry asking (its own cancel, restore or delete) makes the transition itself.
    let tell = if matches!(ctx.identity, nno_core::identity::Identity::Internal) {
        sync::Tell::No
    } else {
        sync::Tell::BestEffort
    };
    let row = sync::refresh(env, &db, &stripe, &row, tell).await?;
    ok(ctx, 200, &row.view())
}

pub async fn invoices(env: &Env, ctx: &RequestContext) -> ApiResult {
    let pid = query_platform(ctx)?;
    let limit = match ctx.query_param("limit") {
        None => 10,
        Some(l) => match l.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(ApiError::invalid("limit", "limit must be 1 to 100")),
        },
    };
    let cursor = ctx.query_param("cursor");
    if let Some(c) = cursor.as_deref() {
        if !c.starts_with("in_")
            || c.len() > 255
            || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(ApiError::invalid(
                "cursor",
                "cursor is a nextCursor from an earlier page",
            ));
        }
    }
    let db = db(env, ctx)?;
    let row = load(&db, ctx, &pid, Need::Read).await?;
    let Some(customer) = row.stripe_customer_id.as_deref() else {
        return ok(
            ctx,
            200,
            &json!({ "data": [], "pagination": { "hasMore": false, "nextCursor": null } }),
        );
    };
    let stripe = stripe(env)?;
    let mut q = Form::new()
        .set("customer", customer)
        .set("limit", limit.to_string());
    if let Some(c) = cursor {
        q = q.set("starting_after", c);
    }
    let v = stripe.get("/v1/invoices", &q).await.map_err(|e| {
        // A cursor that names no invoice is the caller's mistake, not Stripe's failure.
        if e.details["stripeCode"] == "resource_missing" {
            ApiError::invalid("cursor", "cursor is not an invoice of this platform's")
        } else {
            e
        }
    })?;
    let data: Vec<Invoice> = v
        .get("data")
        .and_then(Value::as_array)
        .map(|d| d.iter().filter_map(Invoice::read).collect())
        .unwrap_or_default();
    let has_more = v.get("has_more").and_then(Value::as_bool).unwrap_or(false);
    let next = if has_more {
        data.last().and_then(|i| i.id.clone())
    } else {
        None
    };
    ok(
        ctx,
        200,
        &json!({ "data": data, "pagination": { "hasMore": has_more, "nextCursor": next } }),
    )
}

/// `GET quota`: what the platform's tier allows (registry enforces the counts where
/// things are created) and includes each month.
pub async fn quota(env: &Env, ctx: &RequestContext) -> ApiResult {
    let pid = query_platform(ctx)?;
    let db = db(env, ctx)?;
    let row = load(&db, ctx, &pid, Need::Read).await?;
    let tier = parse_tier("tier", &row.tier)?;
    let p = plan(tier);
    let included: serde_json::Map<String, Value> = nno_billing::plans::Metric::ALL
        .iter()
        .map(|m| (m.camel().to_string(), json!(p.included(*m))))
        .collect();
    ok(
        ctx,
        200,
        &json!({
            "platformId": pid,
            "tier": tier,
            "limits": {
                "platformsPerTenant": p.platforms_per_tenant,
                "tenantsPerPlatform": p.tenants_per_platform,
                "features": p.features,
            },
            "includedPerMonth": included,
        }),
    )
}
