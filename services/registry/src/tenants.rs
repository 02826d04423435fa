//! A client platform's tenants and sub-tenants (`parentId`).

use crate::access::{actor, Need};
use crate::http::{check_name, created, ok, page, page_request, query};
use crate::platforms::{db, load};
use crate::store::tenants::{self, Created, Deleted, Entity};
use nno_core::page::Page;
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::runtime::now_ms;
use nno_worker::{ApiResult, RequestContext};
use serde::Deserialize;
use worker::{Env, Request};

/// Tenants (with their sub-tenants) one platform may have.
pub const MAX_TENANTS: u64 = 10_000;

pub async fn list(env: &Env, ctx: &RequestContext, platform: &str) -> ApiResult {
    let req = page_request(ctx)?;
    let parent = query(ctx, "parentId");
    let db = db(env, ctx)?;
    load(&db, ctx, platform, Need::Read).await?;
    let (rows, total) = tenants::list(&db, platform, parent.as_deref(), &req).await?;
    page(ctx, Page::new(rows, &req, total, Entity::key))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Create {
    name: String,
    slug: String,
    #[serde(default)]
    parent_id: Option<String>,
}

pub async fn create(
    mut req: Request,
    env: &Env,
    ctx: &RequestContext,
    platform: &str,
) -> ApiResult {
    let body: Create = read_json(&mut req, DEFAULT_LIMIT).await?;
    check_name("name", &body.name)?;
    nno_core::platform::validate_slug(&body.slug)
        .map_err(|why| ApiError::invalid("slug", format!("slug {why}")))?;
    let db = db(env, ctx)?;
    let p = load(&db, ctx, platform, Need::Manage).await?;
    if tenants::count_of(&db, platform).await? >= MAX_TENANTS {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this platform has the most tenants it may have (10000)",
        ));
    }
    let at = now_ms() as i64;
    let entity = Entity {
        id: crate::ids::row_id(),
        platform_id: platform.to_string(),
        kind: if body.parent_id.is_some() {
            "sub_tenant"
        } else {
            "tenant"
        }
        .into(),
        parent_id: body.parent_id,
        name: body.name.trim().to_string(),
        slug: body.slug,
        created_at: at,
        updated_at: at,
    };
    let tier =
        nno_core::platform::Tier::parse(&p.tier).unwrap_or(nno_core::platform::Tier::Starter);
    let quota = nno_billing::plans::plan(tier).tenants_per_platform;
    match tenants::create(&db, &entity, quota, &actor(&ctx.identity), &ctx.request_id).await? {
        Created::Done => created(ctx, &entity),
        Created::SlugTaken => Err(ApiError::new(
            ErrorCode::Conflict,
            "a tenant of this platform already has that slug",
        )
        .with_details(serde_json::json!({ "field": "slug" }))),
        Created::OverQuota => {
            let limit = quota.unwrap_or(0);
            let current = tenants::tenants_of(&db, platform).await?;
            Err(ApiError::new(
                ErrorCode::QuotaExceeded,
                format!("the {tier} tier allows {limit} tenants per platform; change the platform's tier for more"),
            )
            .with_details(serde_json::json!({ "resource": "tenants", "tier": tier, "limit": limit, "current": current })))
        }
        Created::BadParent => Err(ApiError::invalid(
            "parentId",
            "parentId must be a tenant (not a sub-tenant) of this platform",
        )),
    }
}

async fn entity(
    env: &Env,
    ctx: &RequestContext,
    platform: &str,
    id: &str,
    need: Need,
) -> Result<(nno_worker::d1::Db, Entity), ApiError> {
    let db = db(env, ctx)?;
    load(&db, ctx, platform, need).await?;
    let e = tenants::get(&db, platform, id)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok((db, e))
}

pub async fn get(env: &Env, ctx: &RequestContext, platform: &str, id: &str) -> ApiResult {
    let (_, e) = entity(env, ctx, platform, id, Need::Read).await?;
    ok(ctx, &e)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    name: String,
}

pub async fn update(
    mut req: Request,
    env: &Env,
    ctx: &RequestContext,
    platform: &str,
    id: &str,
) -> ApiResult {
    let body: Update = read_json(&mut req, DEFAULT_LIMIT).await?;
    check_name("name", &body.name)?;
    let (db, e) = entity(env, ctx, platform, id, Need::Manage).await?;
    let at = now_ms() as i64;
    if !tenants::rename(
        &db,
        &e,
        body.name.trim(),
        &actor(&ctx.identity),
        &ctx.request_id,
        at,
    )
    .await?
    {
        return Err(ApiError::not_found("tenant"));
    }
    get(env, ctx, platform, id).await
}

pub async fn delete(env: &Env, ctx: &RequestContext, platform: &str, id: &str) -> ApiResult {
    let (db, e) = entity(env, ctx, platform, id, Need::Manage).await?;
    match tenants::delete(
        &db,
        &e,
        &actor(&ctx.identity),
        &ctx.request_id,
        now_ms() as i64,
    )
    .await?
    {
        Deleted::Done => ok(ctx, &serde_json::json!({ "deleted": true, "id": id })),
        Deleted::Missing => Err(ApiError::not_found("tenant")),
        Deleted::HasChildren => Err(ApiError::new(
            ErrorCode::Conflict,
            "delete this tenant's sub-tenants first",
        )),
    }
}
