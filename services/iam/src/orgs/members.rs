//! Members: listing, roles, removal, leaving.

use super::*;
use nno_core::contracts::{TenantOwner, TenantOwners};

fn member_not_found() -> ApiError {
    err(ErrorCode::NotFound, "MEMBER_NOT_FOUND", "member not found")
}

fn last_owner() -> ApiError {
    err(
        ErrorCode::BadRequest,
        "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER",
        "the organization's only owner cannot leave or be removed",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RemoveMember {
    member_id_or_email: String,
    #[serde(default)]
    organization_id: Option<String>,
}

pub async fn remove_member(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: RemoveMember = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let org_id = target_org(body.organization_id.as_deref(), &c.me)?.to_string();
    let access = access(&c, &org_id).await?;
    let target = store::member_by_id_or_email(&c.db, &org_id, body.member_id_or_email.trim())
        .await?
        .ok_or_else(member_not_found)?;
    let is_self = target.user_id == c.me.user.id;
    if !is_self {
        access
            .require(IAM_MANAGE_MEMBERS)
            .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER"))?;
        if c.me.user.role != perms::PLATFORM_ADMIN
            && !perms::may_manage_role(access.role(), &target.role)
        {
            return Err(err(
                ErrorCode::Forbidden,
                "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER",
                "only owners remove owners",
            ));
        }
    }
    // The store refuses to remove the last owner, in the removing statement itself.
    if !store::remove_member(&c.db, &target).await? {
        return Err(last_owner());
    }
    ok(&json!({ "member": target.to_json() }), ctx)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateRole {
    member_id: String,
    role: RoleInput,
    #[serde(default)]
    organization_id: Option<String>,
}

pub async fn update_member_role(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: UpdateRole = read_json(&mut req, DEFAULT_LIMIT).await?;
    let role = body.role.single()?.to_string();
    let c = start(&req, env, ctx).await?;
    let org_id = target_org(body.organization_id.as_deref(), &c.me)?.to_string();
    let access = access(&c, &org_id).await?;
    let forbidden = || {
        err(
            ErrorCode::Forbidden,
            "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER",
            "you may not change this member's role",
        )
    };
    access
        .require(IAM_MANAGE_MEMBERS)
        .map_err(|_| forbidden())?;
    let target = store::member_by_id_or_email(&c.db, &org_id, body.member_id.trim())
        .await?
        .ok_or_else(member_not_found)?;
    let admin = c.me.user.role == perms::PLATFORM_ADMIN;
    let may = perms::may_manage_role(access.role(), &target.role)
        && perms::may_manage_role(access.role(), &role);
    if !admin && !may {
        return Err(forbidden());
    }
    // The store refuses to demote the last owner, in the updating statement itself.
    if !store::set_member_role(&c.db, &target.id, &role).await? {
        return Err(err(
            ErrorCode::BadRequest,
            "YOU_CANNOT_LEAVE_THE_ORGANIZATION_WITHOUT_AN_OWNER",
            "the organization's only owner cannot be demoted",
        ));
    }
    let mut v = target.to_json();
    v["role"] = json!(role);
    if let Some(o) = v.as_object_mut() {
        o.remove("user");
    }
    ok(&v, ctx)
}

pub async fn leave(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: OrgId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let me = store::member_of(&c.db, &body.organization_id, &c.me.user.id)
        .await?
        .ok_or_else(member_not_found)?;
    if !store::remove_member(&c.db, &me).await? {
        return Err(last_owner());
    }
    ok(&me.to_json(), ctx)
}

pub async fn get_active_member(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let c = start(req, env, ctx).await?;
    let org_id = target_org(None, &c.me)?.to_string();
    let m = store::member_of(&c.db, &org_id, &c.me.user.id)
        .await?
        .ok_or_else(member_not_found)?;
    ok(&m.to_json(), ctx)
}

pub async fn list_members(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let q = query::of(req);
    let c = start(req, env, ctx).await?;
    let org_id = match q.get("organizationSlug") {
        Some(slug) => {
            store::org_by_slug(&c.db, slug)
                .await?
                .ok_or_else(not_member)?
                .id
        }
        None => target_org(q.get("organizationId"), &c.me)?.to_string(),
    };
    access(&c, &org_id).await?;
    let members: Vec<Value> = store::members(&c.db, &org_id)
        .await?
        .iter()
        .map(MemberRow::to_json)
        .collect();
    let total = members.len();
    ok(&json!({ "members": members, "total": total }), ctx)
}

/// A tenant's owners and their addresses, for operators and NNO's own services
/// (billing mails them its usage alerts); 404 for a tenant that does not exist.
pub async fn owners(env: &Env, ctx: &RequestContext, org_id: &str) -> ApiResult {
    nno_worker::platform_access::require_operator(ctx)?;
    if !crate::handlers::is_org_id(org_id) {
        return Err(invalid("orgId", "orgId must be 1 to 64 characters"));
    }
    let db = store::db(env, ctx)?;
    if store::org(&db, org_id).await?.is_none() {
        return Err(ApiError::not_found("tenant"));
    }
    let owners = store::owners(&db, org_id)
        .await?
        .into_iter()
        .filter_map(|m| {
            Some(TenantOwner {
                email: m.user_email?,
                user_id: m.user_id,
                name: m.user_name,
            })
        })
        .collect();
    let answer = TenantOwners {
        org_id: org_id.to_string(),
        owners,
    };
    ok(&answer, ctx)
}
