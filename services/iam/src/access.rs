//! NNO's own IAM routes: the enriched session the gateway forwards, tenant role →
//! permission mappings (`/api/nno/roles`), per-user grants and denials
//! (`/api/nno/grants`), and the one-time platform bootstrap.

use crate::caller::{self, current, member_permissions, tenant_access, Caller};
use crate::config::IamConfig;
use crate::handlers::{check_new_user, hash_password, id, invalid};
use crate::query;
use crate::store::{self, GrantRow};
use nno_auth::permissions::{
    self as perms, Standing, IAM_MANAGE_GRANTS, IAM_MANAGE_ROLES, IAM_READ,
};
use nno_core::contracts::{KeyRef, SessionAnswer, SessionInfo, SessionUser, TenantRole};
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::runtime::now_ms;
use nno_worker::{respond, ApiResult, RequestContext};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use worker::{Env, Request};

/// Most feature permissions one role may carry in a tenant.
const MAX_ROLE_PERMISSIONS: usize = 200;

/// For the gateway: the session's user, platform role, active tenant with the user's
/// role there, and effective permissions; 401 when there is no live session. Called
/// with an API key, it shows the key as the gateway forwards it (a "who am I" for
/// scripts).
pub async fn session(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let cfg = IamConfig::load(env)?;
    let Some(s) = current(req, env, &cfg, ctx).await? else {
        return match caller::forwarded(ctx) {
            nno_core::identity::Identity::Apikey {
                key_id,
                user_id,
                org_id,
                permissions,
                ..
            } => {
                let body = SessionAnswer {
                    platform_id: Some(cfg.platform_id.clone()),
                    user: SessionUser {
                        id: user_id,
                        email: None,
                        name: None,
                    },
                    platform_role: None,
                    session: None,
                    tenant: None,
                    api_key: Some(KeyRef { id: key_id, org_id }),
                    permissions,
                };
                Ok(respond::json(200, &body, &ctx.request_id))
            }
            _ => Err(caller::no_session()),
        };
    };
    let db = store::db(env, ctx)?;
    let admin = s.user.role == perms::PLATFORM_ADMIN;
    let tenant = match s.session.active_organization_id.as_deref() {
        Some(org) => member_permissions(&db, org, &s.user.id)
            .await?
            .map(|(role, set)| (org.to_string(), role, set)),
        None => None,
    };
    let permissions: Vec<String> = if admin {
        vec![nno_core::identity::EVERYTHING.into()]
    } else {
        tenant
            .as_ref()
            .map(|(_, _, set)| set.iter().cloned().collect())
            .unwrap_or_default()
    };
    let body = SessionAnswer {
        platform_id: Some(cfg.platform_id.clone()),
        user: SessionUser {
            id: s.user.id,
            email: Some(s.user.email),
            name: Some(s.user.name),
        },
        platform_role: Some(s.user.role),
        session: Some(SessionInfo {
            id: s.session.id,
            expires_at: s.session.expires_at,
            active_organization_id: s.session.active_organization_id,
        }),
        tenant: tenant.map(|(id, role, _)| TenantRole { id, role }),
        api_key: None,
        permissions,
    };
    Ok(respond::json(200, &body, &ctx.request_id))
}

fn org_param(req: &Request) -> Result<String, ApiError> {
    query::of(req)
        .get("orgId")
        .filter(|o| crate::handlers::is_org_id(o))
        .map(str::to_string)
        .ok_or_else(|| invalid("orgId", "orgId is required"))
}

fn check_permissions(list: &[String]) -> Result<Vec<String>, ApiError> {
    if list.len() > MAX_ROLE_PERMISSIONS {
        return Err(invalid("permissions", "at most 200 permissions per role"));
    }
    if let Some(bad) = list.iter().find(|p| !perms::is_permission(p)) {
        return Err(invalid(
            "permissions",
            &format!("{bad:?} is not a permission key (^{{featureId}}:[a-z-]+$)"),
        ));
    }
    if list.iter().any(|p| is_iam_permission(p)) {
        return Err(iam_reserved("permissions"));
    }
    let mut v = list.to_vec();
    v.sort();
    v.dedup();
    Ok(v)
}

/// IAM's own permissions come only with the built-in roles: mapping or granting them
/// would let an admin hand themselves (or anyone) what only owners hold.
fn is_iam_permission(p: &str) -> bool {
    p.starts_with("iam:")
}

fn iam_reserved(field: &str) -> ApiError {
    invalid(
        field,
        "iam:* permissions come with the built-in roles and cannot be mapped or granted",
    )
}

/// Who changes roles or grants: a person with a session and the permission in the
/// tenant. An API key may read them but not change them: it carries scopes, not a place
/// in the tenant's hierarchy, so the owner/admin rules could not be applied to it.
async fn manager(
    req: &Request,
    env: &Env,
    ctx: &RequestContext,
    db: &Db,
    org: &str,
    permission: &str,
) -> Result<(Caller, caller::Access), ApiError> {
    let cfg = IamConfig::load(env)?;
    let who = Caller::of(req, env, &cfg, ctx).await?;
    if matches!(who, Caller::Key(_)) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "roles and grants are changed with a session, not an API key",
        )
        .with_details(json!({ "required": permission })));
    }
    let access = tenant_access(db, &who, org).await?;
    access.require(permission)?;
    Ok((who, access))
}

/// Where the caller stands in the tenant (a platform admin above every role).
fn standing(who: &Caller, access: &caller::Access) -> Standing {
    if who.is_platform_admin() {
        Standing::PlatformAdmin
    } else {
        Standing::of_role(access.role.as_deref())
    }
}

/// `may_map_role`, as the handlers' 403.
fn may_map(who: &Caller, access: &caller::Access, role: &str) -> Result<(), ApiError> {
    if perms::may_map_role(standing(who, access), role) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::Forbidden,
        "nobody changes the mapping of a role they hold: owners map the admin role, admins only the member role",
    )
    .with_details(json!({ "role": role })))
}

/// Owners decide for everyone (themselves included), admins only for members; a
/// platform admin for everyone.
fn may_decide_for(
    who: &Caller,
    access: &caller::Access,
    target_role: &str,
) -> Result<(), ApiError> {
    if perms::may_decide_for(standing(who, access), Standing::of_role(Some(target_role))) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::Forbidden,
        "owners decide for admins and owners; admins only for members",
    ))
}

/// Whether the caller may change or remove a grant decided by `granted_by`: not if
/// that person now stands above them in the tenant.
async fn may_undo(
    db: &Db,
    who: &Caller,
    access: &caller::Access,
    org: &str,
    granted_by: &str,
) -> Result<(), ApiError> {
    let mine = standing(who, access);
    // Nobody stands above a platform admin: no lookup needed.
    if mine == Standing::PlatformAdmin || granted_by == who.user_id() {
        return Ok(());
    }
    let decider = store::standing(db, org, granted_by).await?;
    if perms::may_undo(mine, decider) {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::Forbidden,
        "this was decided by someone who outranks you",
    )
    .with_details(json!({ "grantedBy": granted_by })))
}

pub async fn list_roles(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let org = org_param(req)?;
    let cfg = IamConfig::load(env)?;
    let who = Caller::of(req, env, &cfg, ctx).await?;
    let db = store::db(env, ctx)?;
    tenant_access(&db, &who, &org).await?.require(IAM_READ)?;
    let mut mapped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in store::role_permissions(&db, &org).await? {
        mapped.entry(row.role).or_default().push(row.permission);
    }
    let roles: Vec<Value> = perms::TENANT_ROLES
        .iter()
        .map(|r| {
            json!({
                "role": r,
                "builtin": perms::builtin(r),
                "permissions": mapped.remove(*r).unwrap_or_default(),
            })
        })
        .collect();
    Ok(respond::json(
        200,
        &json!({ "orgId": org, "roles": roles }),
        &ctx.request_id,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetRole {
    org_id: String,
    role: String,
    permissions: Vec<String>,
}

pub async fn set_role(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: SetRole = read_json(&mut req, DEFAULT_LIMIT).await?;
    if !perms::is_tenant_role(&body.role) {
        return Err(invalid("role", "role must be one of owner, admin, member"));
    }
    let permissions = check_permissions(&body.permissions)?;
    let db = store::db(env, ctx)?;
    let (who, access) = manager(&req, env, ctx, &db, &body.org_id, IAM_MANAGE_ROLES).await?;
    may_map(&who, &access, &body.role)?;
    store::set_role_permissions(&db, &body.org_id, &body.role, &permissions, now_ms()).await?;
    Ok(respond::json(
        200,
        &json!({ "orgId": body.org_id, "role": body.role, "permissions": permissions }),
        &ctx.request_id,
    ))
}

/// `DELETE /api/nno/roles/{orgId}/{role}`.
pub async fn delete_role(
    req: &Request,
    env: &Env,
    ctx: &RequestContext,
    org: &str,
    role: &str,
) -> ApiResult {
    if !perms::is_tenant_role(role) {
        return Err(ApiError::not_found("role"));
    }
    let db = store::db(env, ctx)?;
    let (who, access) = manager(req, env, ctx, &db, org, IAM_MANAGE_ROLES).await?;
    may_map(&who, &access, role)?;
    if !store::delete_role_permissions(&db, org, role).await? {
        return Err(ApiError::not_found("role mapping"));
    }
    Ok(respond::json(
        200,
        &json!({ "deleted": true }),
        &ctx.request_id,
    ))
}

pub async fn list_grants(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let org = org_param(req)?;
    let user = query::of(req).get("userId").map(str::to_string);
    let cfg = IamConfig::load(env)?;
    let who = Caller::of(req, env, &cfg, ctx).await?;
    let db = store::db(env, ctx)?;
    let access = tenant_access(&db, &who, &org).await?;
    // Anyone may read their own grants; reading others' is for grant managers.
    if user.as_deref() == Some(who.user_id()) {
        access.require(IAM_READ)?;
    } else {
        access.require(IAM_MANAGE_GRANTS)?;
    }
    let grants: Vec<Value> = store::grants(&db, &org, user.as_deref(), now_ms())
        .await?
        .iter()
        .map(GrantRow::to_json)
        .collect();
    Ok(respond::json(
        200,
        &json!({ "grants": grants }),
        &ctx.request_id,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewGrant {
    user_id: String,
    org_id: String,
    permission: String,
    granted: bool,
    /// Accepted for compatibility; IAM records the authenticated caller instead.
    #[serde(default)]
    #[allow(dead_code)]
    granted_by: Option<String>,
    /// Unix milliseconds; must be in the future.
    #[serde(default)]
    expires_at: Option<i64>,
}

pub async fn create_grant(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: NewGrant = read_json(&mut req, DEFAULT_LIMIT).await?;
    if !perms::is_permission(&body.permission) {
        return Err(invalid(
            "permission",
            "permission must match ^{featureId}:[a-z-]+$",
        ));
    }
    if is_iam_permission(&body.permission) {
        return Err(iam_reserved("permission"));
    }
    let now = now_ms();
    if body
        .expires_at
        .is_some_and(|e| (e as f64) <= now || e > 4_102_444_800_000)
    {
        return Err(invalid(
            "expiresAt",
            "expiresAt must be a future time in Unix milliseconds",
        ));
    }
    let db = store::db(env, ctx)?;
    let (who, access) = manager(&req, env, ctx, &db, &body.org_id, IAM_MANAGE_GRANTS).await?;
    let target = store::member_of(&db, &body.org_id, &body.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("member").with_details(json!({ "field": "userId" })))?;
    may_decide_for(&who, &access, &target.role)?;
    // Replacing a live decision is undoing it: not over the head of whoever made it.
    let existing = store::grant_of(&db, &body.org_id, &body.user_id, &body.permission).await?;
    if let Some(g) = existing.as_ref().filter(|g| g.live(now)) {
        may_undo(&db, &who, &access, &body.org_id, &g.granted_by).await?;
    }
    let row = store::upsert_grant(
        &db,
        &GrantRow {
            id: id(),
            organization_id: body.org_id,
            user_id: body.user_id,
            permission: body.permission,
            granted: body.granted,
            granted_by: who.user_id().to_string(),
            expires_at: body.expires_at.map(|e| e as f64),
            created_at: now,
        },
        existing.as_ref().map(|g| g.granted_by.as_str()),
    )
    .await?
    .ok_or_else(changed_meanwhile)?;
    Ok(respond::json(201, &row.to_json(), &ctx.request_id))
}

/// `DELETE /api/nno/grants/{id}`.
pub async fn delete_grant(
    req: &Request,
    env: &Env,
    ctx: &RequestContext,
    grant_id: &str,
) -> ApiResult {
    let db = store::db(env, ctx)?;
    let grant = store::grant(&db, grant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("grant"))?;
    // An outsider gets the same answer as for a grant that does not exist.
    let (who, access) = match manager(
        req,
        env,
        ctx,
        &db,
        &grant.organization_id,
        IAM_MANAGE_GRANTS,
    )
    .await
    {
        Ok(m) => m,
        Err(e) if e.code == ErrorCode::Forbidden && e.details.is_null() => {
            return Err(ApiError::not_found("grant"))
        }
        Err(e) => return Err(e),
    };
    let target_role = store::member_of(&db, &grant.organization_id, &grant.user_id)
        .await?
        .map(|m| m.role)
        .unwrap_or_default();
    may_decide_for(&who, &access, &target_role)?;
    if grant.live(now_ms()) {
        may_undo(
            &db,
            &who,
            &access,
            &grant.organization_id,
            &grant.granted_by,
        )
        .await?;
    }
    if !store::delete_grant(&db, grant_id, &grant.granted_by).await? {
        return Err(changed_meanwhile());
    }
    Ok(respond::json(
        200,
        &json!({ "deleted": true }),
        &ctx.request_id,
    ))
}

/// The grant was changed or removed between the check and the write.
fn changed_meanwhile() -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        "the grant was changed at the same time; read it again",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    email: String,
    password: String,
    name: String,
}

/// Creates the first platform admin, once. Only the service key may call it: it is an
/// operator's step at install time, not something a visitor can race for.
pub async fn bootstrap(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Bootstrap = read_json(&mut req, DEFAULT_LIMIT).await?;
    let service = caller::forwarded(ctx) == nno_core::identity::Identity::Service;
    if !service {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "bootstrap needs the service key (Authorization: Bearer <AUTH_API_KEY>)",
        ));
    }
    let email = check_new_user(&body.name, &body.email, &body.password)?;
    let db = store::db(env, ctx)?;
    if store::platform_admin_exists(&db).await? {
        return Err(already());
    }
    let hash = hash_password(&body.password).await?;
    let user_id = id();
    let account_id = id();
    let admin = store::NewUser {
        id: &user_id,
        account_id: &account_id,
        name: body.name.trim(),
        email: &email,
        image: None,
        password_hash: &hash,
        role: perms::PLATFORM_ADMIN,
        verified: true,
    };
    match store::bootstrap_admin(&db, &admin, now_ms()).await? {
        store::Bootstrapped::Created => {}
        store::Bootstrapped::AlreadyDone => return Err(already()),
        store::Bootstrapped::EmailTaken => {
            return Err(
                ApiError::new(ErrorCode::Conflict, "a user with this email already exists")
                    .with_details(json!({ "field": "email" })),
            )
        }
    }
    let user = store::user_by_id(&db, &user_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok(respond::json(
        201,
        &json!({ "user": user.to_dto() }),
        &ctx.request_id,
    ))
}

fn already() -> ApiError {
    ApiError::new(ErrorCode::Conflict, "the platform is already bootstrapped")
}
