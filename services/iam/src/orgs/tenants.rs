//! Creating, finding, switching to, renaming and deleting tenants.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Create {
    name: String,
    slug: String,
    #[serde(default)]
    logo: Option<String>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    keep_current_active_organization: Option<bool>,
    /// Creating for someone else is for platform admins.
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    org_type: Option<String>,
}

pub async fn create(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Create = read_json(&mut req, DEFAULT_LIMIT).await?;
    if !validate::name(&body.name) {
        return Err(invalid("name", "name must be 1 to 100 characters"));
    }
    if !valid_slug(&body.slug) {
        return Err(invalid(
            "slug",
            "slug must match ^[a-z0-9-]+$ and be 1 to 63 characters",
        ));
    }
    if body.logo.as_deref().is_some_and(|l| l.len() > 2048) {
        return Err(invalid("logo", "logo URL is too long"));
    }
    let metadata = body
        .metadata
        .as_ref()
        .map(|m| Value::Object(m.clone()).to_string());
    if metadata.as_deref().is_some_and(|m| m.len() > 8192) {
        return Err(invalid("metadata", "metadata is larger than 8 KiB"));
    }
    let org_type = body.org_type.as_deref().unwrap_or("tenant");
    if !matches!(org_type, "tenant" | "nno-operator") {
        return Err(invalid("orgType", "orgType must be tenant or nno-operator"));
    }
    let c = start(&req, env, ctx).await?;
    let platform_admin = c.me.user.role == perms::PLATFORM_ADMIN;
    if org_type == "nno-operator" && !platform_admin {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only platform admins create operator organizations",
        ));
    }
    let owner_id = match body.user_id.as_deref() {
        Some(other) if other != c.me.user.id => {
            if !platform_admin {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "only platform admins create organizations for someone else",
                ));
            }
            store::user_by_id(&c.db, other)
                .await?
                .ok_or_else(|| ApiError::not_found("user"))?
                .id
        }
        _ => c.me.user.id.clone(),
    };
    if store::orgs_of(&c.db, &owner_id).await?.len() >= MAX_ORGS_PER_USER {
        return Err(err(
            ErrorCode::Forbidden,
            "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS",
            "the limit of organizations per user is reached",
        ));
    }
    let (org_id, member_id, now) = (id(), id(), now_ms());
    let created = store::create_org(
        &c.db,
        &store::NewOrg {
            id: &org_id,
            name: body.name.trim(),
            slug: &body.slug,
            logo: body.logo.as_deref(),
            metadata: metadata.as_deref(),
            org_type,
            owner_member_id: &member_id,
            owner_id: &owner_id,
            now,
        },
    )
    .await?;
    if !created {
        return Err(err(
            ErrorCode::Conflict,
            "ORGANIZATION_ALREADY_EXISTS",
            "an organization with this slug already exists",
        )
        .with_details(json!({ "field": "slug" })));
    }
    if owner_id == c.me.user.id && !body.keep_current_active_organization.unwrap_or(false) {
        store::set_active(&c.db, &c.me.session.id, Some(&org_id), now).await?;
    }
    let org = store::org(&c.db, &org_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let member = store::member_of(&c.db, &org_id, &owner_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let mut v = org.to_json();
    v["members"] = json!([member.to_json()]);
    ok(&v, ctx)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slug {
    slug: String,
}

pub async fn check_slug(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Slug = read_json(&mut req, DEFAULT_LIMIT).await?;
    if !valid_slug(&body.slug) {
        return Err(invalid(
            "slug",
            "slug must match ^[a-z0-9-]+$ and be 1 to 63 characters",
        ));
    }
    let c = start(&req, env, ctx).await?;
    if store::slug_taken(&c.db, &body.slug).await? {
        return Err(err(
            ErrorCode::Conflict,
            "ORGANIZATION_SLUG_ALREADY_TAKEN",
            "this slug is taken",
        ));
    }
    ok(&json!({ "status": true }), ctx)
}

pub async fn list(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let c = start(req, env, ctx).await?;
    let orgs: Vec<Value> = store::orgs_of(&c.db, &c.me.user.id)
        .await?
        .iter()
        .map(OrgRow::to_json)
        .collect();
    ok(&orgs, ctx)
}

/// The organization named by id or slug, else the active one; `None` when neither.
async fn resolve(
    c: &Ctx,
    id: Option<&str>,
    slug: Option<&str>,
) -> Result<Option<OrgRow>, ApiError> {
    if let Some(slug) = slug.filter(|s| !s.is_empty()) {
        return store::org_by_slug(&c.db, slug)
            .await?
            .map(Some)
            .ok_or_else(not_member);
    }
    match id
        .filter(|s| !s.is_empty())
        .or(c.me.session.active_organization_id.as_deref())
    {
        Some(id) => store::org(&c.db, id)
            .await?
            .map(Some)
            .ok_or_else(not_member),
        None => Ok(None),
    }
}

async fn full(c: &Ctx, org: &OrgRow, access: &caller::Access) -> Result<Value, ApiError> {
    let members: Vec<Value> = store::members(&c.db, &org.id)
        .await?
        .iter()
        .map(MemberRow::to_json)
        .collect();
    // Invitations are for those who may invite.
    let invitations: Vec<Value> = if access.require(IAM_MANAGE_MEMBERS).is_ok() {
        store::invitations(&c.db, &org.id)
            .await?
            .iter()
            .map(InvitationRow::to_json)
            .collect()
    } else {
        Vec::new()
    };
    let mut v = org.to_json();
    v["members"] = json!(members);
    v["invitations"] = json!(invitations);
    Ok(v)
}

pub async fn get_full(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let q = query::of(req);
    let c = start(req, env, ctx).await?;
    let Some(org) = resolve(&c, q.get("organizationId"), q.get("organizationSlug")).await? else {
        return ok(&Value::Null, ctx);
    };
    let access = access(&c, &org.id).await?;
    ok(&full(&c, &org, &access).await?, ctx)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetActive {
    #[serde(default)]
    organization_id: Option<Option<String>>,
    #[serde(default)]
    organization_slug: Option<String>,
}

pub async fn set_active(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: SetActive = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let now = now_ms();
    if matches!(body.organization_id, Some(None)) && body.organization_slug.is_none() {
        store::set_active(&c.db, &c.me.session.id, None, now).await?;
        return ok(&Value::Null, ctx);
    }
    let id = body.organization_id.flatten();
    let Some(org) = resolve(&c, id.as_deref(), body.organization_slug.as_deref()).await? else {
        return ok(&Value::Null, ctx);
    };
    let access = access(&c, &org.id).await?;
    store::set_active(&c.db, &c.me.session.id, Some(&org.id), now).await?;
    ok(&full(&c, &org, &access).await?, ctx)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateData {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    logo: Option<Option<String>>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Update {
    #[serde(deserialize_with = "nno_worker::body::object")]
    data: UpdateData,
    #[serde(default)]
    organization_id: Option<String>,
}

pub async fn update(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Update = read_json(&mut req, DEFAULT_LIMIT).await?;
    let d = &body.data;
    if d.name.as_deref().is_some_and(|n| !validate::name(n)) {
        return Err(invalid("data.name", "name must be 1 to 100 characters"));
    }
    if d.slug.as_deref().is_some_and(|s| !valid_slug(s)) {
        return Err(invalid(
            "data.slug",
            "slug must match ^[a-z0-9-]+$ and be 1 to 63 characters",
        ));
    }
    let metadata = d
        .metadata
        .as_ref()
        .map(|m| Value::Object(m.clone()).to_string());
    if metadata.as_deref().is_some_and(|m| m.len() > 8192)
        || d.logo
            .as_ref()
            .and_then(|l| l.as_deref())
            .is_some_and(|l| l.len() > 2048)
    {
        return Err(invalid("data", "logo or metadata too large"));
    }
    let c = start(&req, env, ctx).await?;
    let org_id = target_org(body.organization_id.as_deref(), &c.me)?.to_string();
    access(&c, &org_id)
        .await?
        .require(IAM_MANAGE_TENANT)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION"))?;
    if let Some(slug) = d.slug.as_deref() {
        if store::org_by_slug(&c.db, slug)
            .await?
            .is_some_and(|o| o.id != org_id)
        {
            return Err(err(
                ErrorCode::Conflict,
                "ORGANIZATION_SLUG_ALREADY_TAKEN",
                "this slug is taken",
            ));
        }
    }
    let renamed = store::update_org(
        &c.db,
        &org_id,
        d.name.as_deref().map(str::trim),
        d.slug.as_deref(),
        d.logo.as_ref().map(|l| l.as_deref()),
        metadata.as_deref(),
    )
    .await?;
    if !renamed {
        return Err(err(
            ErrorCode::Conflict,
            "ORGANIZATION_SLUG_ALREADY_TAKEN",
            "this slug is taken",
        ));
    }
    let org = store::org(&c.db, &org_id)
        .await?
        .ok_or_else(org_not_found)?;
    ok(&org.to_json(), ctx)
}

pub async fn delete(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: OrgId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    access(&c, &body.organization_id)
        .await?
        .require(IAM_DELETE_TENANT)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION"))?;
    let org = store::org(&c.db, &body.organization_id)
        .await?
        .ok_or_else(org_not_found)?;
    store::delete_org(&c.db, &org.id).await?;
    ok(&org.to_json(), ctx)
}
