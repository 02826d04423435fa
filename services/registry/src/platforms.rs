//! The platform catalogue: list, create (operators), read, change, and the lifecycle.

use crate::access::{self, actor, is_operator, Need};
use crate::http::{self, check_name, check_reason, ok, optional_body, page, page_request, query};
use crate::store::{self, platforms::Platform};
use nno_core::page::Page;
use nno_core::platform::{PlatformStatus, Tier, Transition};
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::runtime::now_ms;
use nno_worker::{ApiResult, RequestContext};
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request};

pub fn db(env: &Env, ctx: &RequestContext) -> Result<Db, ApiError> {
    Db::bind(env, "DB", ctx)
}

/// The platform `id`, if the caller may `need` it (404 when they may not see it).
pub async fn load(
    db: &Db,
    ctx: &RequestContext,
    id: &str,
    need: Need,
) -> Result<Platform, ApiError> {
    access::authenticated(ctx)?;
    if !nno_core::ids::PlatformId::is_valid(id) {
        return Err(ApiError::not_found("platform"));
    }
    let p = store::platforms::get(db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("platform"))?;
    access::check(ctx, &p, need)?;
    Ok(p)
}

pub async fn list(env: &Env, ctx: &RequestContext) -> ApiResult {
    let id = access::authenticated(ctx)?;
    let req = page_request(ctx)?;
    let tenant = if is_operator(id) {
        None
    } else {
        let Some(t) = access::caller_tenant(id) else {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "select an active tenant to list its platforms",
            ));
        };
        ctx.require(t, nno_auth::permissions::PLATFORMS_READ)?;
        Some(t)
    };
    let status = query(ctx, "status")
        .map(|v| {
            PlatformStatus::parse(&v).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    format!(
                        "status must be one of {}",
                        PlatformStatus::names().join(", ")
                    ),
                )
            })
        })
        .transpose()?;
    let tier = parse_tier(query(ctx, "tier").as_deref())?;
    let filter = store::platforms::Filter {
        tenant,
        status: status.map(PlatformStatus::as_str),
        tier: tier.map(Tier::as_str),
    };
    let db = db(env, ctx)?;
    let (rows, total) = store::platforms::list(&db, &filter, &req).await?;
    page(ctx, Page::new(rows, &req, total, Platform::key))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Create {
    name: String,
    slug: String,
    #[serde(default)]
    tier: Option<String>,
    /// The NNO tenant it belongs to (default: the operator's active tenant).
    #[serde(default)]
    owner_tenant_id: Option<String>,
}

/// Operators create platforms directly; customers go through onboarding. Either way
/// the platform is bootstrapped.
pub async fn create(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Create = read_json(&mut req, DEFAULT_LIMIT).await?;
    let id = access::authenticated(ctx)?;
    if !is_operator(id) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only NNO operators create platforms directly; customers use /api/v1/onboarding/sessions",
        ));
    }
    let owner = body
        .owner_tenant_id
        .as_deref()
        .or(access::caller_tenant(id))
        .ok_or_else(|| {
            ApiError::invalid(
                "ownerTenantId",
                "ownerTenantId is required (no active tenant to default to)",
            )
        })?
        .to_string();
    if owner.is_empty() || owner.len() > 64 {
        return Err(ApiError::invalid(
            "ownerTenantId",
            "ownerTenantId must be 1 to 64 characters",
        ));
    }
    let launch = crate::onboarding::Launch {
        name: &body.name,
        slug: &body.slug,
        tier: body.tier.as_deref(),
        owner_tenant_id: &owner,
        user_id: id.user_id(),
        billing_email: match id {
            nno_core::identity::Identity::Session { email, .. } => email.clone(),
            _ => None,
        },
        idempotency_key: None,
    };
    let (platform, _) = crate::onboarding::launch(env, ctx, &launch).await?;
    http::created(ctx, &platform)
}

pub async fn get(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let db = db(env, ctx)?;
    let p = load(&db, ctx, id, Need::Read).await?;
    ok(ctx, &p)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Update {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tier: Option<String>,
}

pub fn parse_tier(tier: Option<&str>) -> Result<Option<Tier>, ApiError> {
    tier.map(|t| {
        Tier::parse(t).ok_or_else(|| {
            ApiError::invalid(
                "tier",
                format!("tier must be one of {}", Tier::names().join(", ")),
            )
        })
    })
    .transpose()
}

pub async fn update(mut req: Request, env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let body: Update = read_json(&mut req, DEFAULT_LIMIT).await?;
    if let Some(name) = &body.name {
        check_name("name", name)?;
    }
    let tier = parse_tier(body.tier.as_deref())?;
    if body.name.is_none() && tier.is_none() {
        return Err(ApiError::invalid("name", "give name or tier to change"));
    }
    let db = db(env, ctx)?;
    let p = load(&db, ctx, id, Need::Manage).await?;
    if tier.is_some() && !is_operator(&ctx.identity) {
        // The plan follows the subscription: billing (or an operator) changes it.
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "the tier is changed through billing",
        ));
    }
    if p.status() == PlatformStatus::Deleted {
        return Err(conflict(&p, None, "the platform is deleted"));
    }
    let name = body.name.as_deref().map(str::trim);
    let changed = store::platforms::update(
        &db,
        &p,
        name,
        tier.map(|t| t.as_str()),
        &actor(&ctx.identity),
        &ctx.request_id,
        now_ms() as i64,
    )
    .await?;
    if !changed {
        return Err(conflict(
            &p,
            None,
            "the platform changed meanwhile; read it again",
        ));
    }
    get(env, ctx, id).await
}

fn conflict(p: &Platform, t: Option<Transition>, message: &str) -> ApiError {
    let status = p.status();
    ApiError::new(ErrorCode::Conflict, message.to_string()).with_details(json!({
        "status": status,
        "transition": t,
        "allowed": status.allowed(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Reason {
    #[serde(default)]
    reason: Option<String>,
}

/// Applies `t` to `p` if the lifecycle allows it from the state it is in, as one
/// conditional change (409 with the allowed transitions otherwise), and mirrors the
/// new status for the gateway.
pub async fn apply(
    env: &Env,
    ctx: &RequestContext,
    db: &Db,
    p: &Platform,
    t: Transition,
    reason: Option<&str>,
    by: Option<&str>,
) -> Result<PlatformStatus, ApiError> {
    let from = p.status();
    let Some(to) = from.after(t) else {
        return Err(conflict(
            p,
            Some(t),
            &format!("a {from} platform cannot {t}"),
        ));
    };
    let change = store::platforms::Change {
        platform_id: &p.id,
        from,
        transition: t,
        to,
        reason,
        by,
        actor: &actor(&ctx.identity),
        request_id: &ctx.request_id,
        at: now_ms() as i64,
    };
    if !store::platforms::transition(db, &change).await? {
        let now = store::platforms::get(db, &p.id)
            .await?
            .unwrap_or_else(|| p.clone());
        return Err(conflict(
            &now,
            Some(t),
            "the platform changed meanwhile; read it again",
        ));
    }
    http::mirror_status(env, ctx, &p.id, to).await;
    Ok(to)
}

pub async fn lifecycle(
    mut req: Request,
    env: &Env,
    ctx: &RequestContext,
    id: &str,
    t: Transition,
) -> ApiResult {
    let body: Reason = optional_body(&mut req).await?;
    check_reason(body.reason.as_deref())?;
    let db = db(env, ctx)?;
    let p = load(&db, ctx, id, Need::Manage).await?;
    let operator = is_operator(&ctx.identity);
    let by = match t {
        Transition::Suspend => Some(if operator { "operator" } else { "owner" }),
        _ => None,
    };
    if t == Transition::Restore && p.suspended_by.as_deref() == Some("operator") && !operator {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "NNO suspended this platform; contact support to restore it",
        ));
    }
    // A cancellation is the subscription's: Stripe stops renewing it at the period's
    // end (billing then completes the cancellation); restoring takes that back.
    match (t, p.status()) {
        (Transition::Cancel, _) => crate::billing::set_cancel(env, ctx, &p.id, true).await?,
        (Transition::Restore, PlatformStatus::PendingCancellation) => {
            crate::billing::set_cancel(env, ctx, &p.id, false).await?
        }
        _ => {}
    }
    apply(
        env,
        ctx,
        &db,
        &p,
        t,
        body.reason.as_deref().map(str::trim),
        by,
    )
    .await?;
    get(env, ctx, id).await
}

/// Soft delete: the platform stays on record as `deleted`; its Workers, routes and
/// hostnames are removed by a DEPROVISION_PLATFORM job (databases are kept).
pub async fn delete(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let db = db(env, ctx)?;
    let p = load(&db, ctx, id, Need::Manage).await?;
    // A deleted platform is not renewed (the period paid for runs out).
    crate::billing::set_cancel(env, ctx, &p.id, true).await?;
    apply(env, ctx, &db, &p, Transition::Delete, None, None).await?;
    if let Err(e) = crate::provisioning::deprovision(env, ctx, id).await {
        // The platform is deleted either way; drift/reconcile finds what was left.
        nno_worker::log::event(
            "error",
            ctx.service.name(),
            "deprovision request failed",
            json!({ "requestId": ctx.request_id, "platformId": id, "error": e.message }),
        );
    }
    get(env, ctx, id).await
}
