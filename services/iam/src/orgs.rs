//! Tenants as Better Auth organizations: `/api/auth/organization/*`, with Better Auth's
//! request and response shapes. Permission checks use NNO's roles
//! (`nno_auth::permissions`): owners and admins manage members, only owners touch
//! owners, the last owner cannot go.

use crate::caller::{self, required, Caller};
use crate::config::IamConfig;
use crate::dto::SessionAndUser;
use crate::handlers::{id, invalid};
use crate::store::{self, InvitationRow, MemberRow, OrgRow};
use crate::{mailer, query};
use nno_auth::permissions::{
    self as perms, IAM_DELETE_TENANT, IAM_MANAGE_MEMBERS, IAM_MANAGE_TENANT,
};
use nno_auth::validate;
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::runtime::now_ms;
use nno_worker::{respond, ApiResult, RequestContext};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Request};

/// Invitations last 48 hours, as Better Auth's.
const INVITATION_TTL_MS: f64 = 48.0 * 3600.0 * 1000.0;
/// Organizations one user may create or belong to, pending invitations per tenant.
const MAX_ORGS_PER_USER: usize = 100;
const MAX_PENDING_INVITATIONS: usize = 100;

fn err(code: ErrorCode, reason: &'static str, message: &str) -> ApiError {
    ApiError::new(code, message).with_reason(reason)
}

fn org_not_found() -> ApiError {
    err(
        ErrorCode::NotFound,
        "ORGANIZATION_NOT_FOUND",
        "organization not found",
    )
}

fn not_member() -> ApiError {
    err(
        ErrorCode::Forbidden,
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
        "you are not a member of this organization",
    )
}

/// `^[a-z0-9-]+$`, 1–63 characters (it can become part of a hostname).
fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

fn check_role(role: &str) -> Result<(), ApiError> {
    if perms::is_tenant_role(role) {
        Ok(())
    } else {
        Err(invalid("role", "role must be one of owner, admin, member")
            .with_reason("ROLE_NOT_FOUND"))
    }
}

/// Better Auth accepts a role as a string or a list; NNO memberships hold one role.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RoleInput {
    One(String),
    Many(Vec<String>),
}

impl RoleInput {
    fn single(&self) -> Result<&str, ApiError> {
        let role = match self {
            RoleInput::One(r) => r.as_str(),
            RoleInput::Many(v) if v.len() == 1 => v[0].as_str(),
            RoleInput::Many(_) => return Err(invalid("role", "a member has exactly one role")),
        };
        check_role(role)?;
        Ok(role)
    }
}

struct Ctx {
    me: SessionAndUser,
    db: Db,
}

async fn start(req: &Request, env: &Env, ctx: &RequestContext) -> Result<Ctx, ApiError> {
    let cfg = IamConfig::load(env)?;
    Ok(Ctx {
        me: required(req, env, &cfg, ctx).await?,
        db: store::db(env, ctx)?,
    })
}

/// The organization a request is about: the one named, else the active one.
fn target_org<'a>(given: Option<&'a str>, me: &'a SessionAndUser) -> Result<&'a str, ApiError> {
    given
        .filter(|s| !s.is_empty())
        .or(me.session.active_organization_id.as_deref())
        .ok_or_else(|| {
            err(
                ErrorCode::BadRequest,
                "NO_ACTIVE_ORGANIZATION",
                "no organization given and none is active",
            )
        })
}

/// The caller's access to `org_id` through their session.
async fn access(c: &Ctx, org_id: &str) -> Result<caller::Access, ApiError> {
    let who = Caller::Session(Box::new(SessionAndUser {
        session: c.me.session.clone(),
        user: c.me.user.clone(),
    }));
    caller::tenant_access(&c.db, &who, org_id)
        .await
        .map_err(|e| {
            if e.code == ErrorCode::Forbidden {
                not_member()
            } else {
                e
            }
        })
}

fn ok(body: &impl serde::Serialize, ctx: &RequestContext) -> ApiResult {
    Ok(respond::json(200, body, &ctx.request_id))
}

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
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Invite {
    email: String,
    role: RoleInput,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    resend: Option<bool>,
}

pub async fn invite(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Invite = read_json(&mut req, DEFAULT_LIMIT).await?;
    let email = validate::normalize_email(&body.email);
    if !validate::email(&email) {
        return Err(invalid("email", "email is not a valid address").with_reason("INVALID_EMAIL"));
    }
    let role = body.role.single()?.to_string();
    let c = start(&req, env, ctx).await?;
    let org_id = target_org(body.organization_id.as_deref(), &c.me)?.to_string();
    let access = access(&c, &org_id).await?;
    access
        .require(IAM_MANAGE_MEMBERS)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"))?;
    if !c.me.user.role.eq(perms::PLATFORM_ADMIN) && !perms::may_manage_role(access.role(), &role) {
        return Err(err(
            ErrorCode::Forbidden,
            "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE",
            "only owners invite owners",
        ));
    }
    let org = store::org(&c.db, &org_id)
        .await?
        .ok_or_else(org_not_found)?;
    if store::member_by_id_or_email(&c.db, &org_id, &email)
        .await?
        .is_some()
    {
        return Err(err(
            ErrorCode::Conflict,
            "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION",
            "this user is already a member",
        ));
    }
    let now = now_ms();
    let existing = store::pending_invitation(&c.db, &org_id, &email, now).await?;
    match existing {
        Some(_) if !body.resend.unwrap_or(false) => {
            return Err(err(
                ErrorCode::Conflict,
                "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION",
                "this user is already invited",
            ));
        }
        // A resend replaces the old invitation with a fresh one.
        Some(old) => {
            store::close_invitation(&c.db, &old.id, "canceled").await?;
        }
        None => {}
    }
    let pending = store::invitations(&c.db, &org_id)
        .await?
        .iter()
        .filter(|i| i.status == "pending" && i.expires_at > now)
        .count();
    if pending >= MAX_PENDING_INVITATIONS {
        return Err(err(
            ErrorCode::Forbidden,
            "INVITATION_LIMIT_REACHED",
            "too many pending invitations",
        ));
    }
    let inv = InvitationRow {
        id: id(),
        organization_id: org_id.clone(),
        email: email.clone(),
        role,
        status: "pending".into(),
        expires_at: now + INVITATION_TTL_MS,
        inviter_id: c.me.user.id.clone(),
        created_at: now,
    };
    store::create_invitation(&c.db, &inv).await?;
    let cfg = IamConfig::load(env)?;
    let link = format!("{}/accept-invitation/{}", cfg.app_url, inv.id);
    let line = format!(
        "{} invited you to join {} as {}.",
        c.me.user.name, org.name, inv.role
    );
    mailer::send(
        env,
        &mailer::Mail {
            to: &email,
            subject: &format!("You are invited to {}", org.name),
            text: format!("{line}\nInvitation id: {}\nAccept: {link}\n", inv.id),
            html: mailer::html(&line, &format!("Accept (invitation {})", inv.id), &link),
        },
    )
    .await?;
    ok(&inv.to_json(), ctx)
}

fn invitation_not_found() -> ApiError {
    err(
        ErrorCode::NotFound,
        "INVITATION_NOT_FOUND",
        "invitation not found or no longer valid",
    )
}

/// A live pending invitation addressed to the caller.
async fn my_invitation(c: &Ctx, id: &str) -> Result<InvitationRow, ApiError> {
    let inv = store::invitation(&c.db, id)
        .await?
        .ok_or_else(invitation_not_found)?;
    if inv.email != c.me.user.email {
        return Err(err(
            ErrorCode::Forbidden,
            "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION",
            "this invitation is for someone else",
        ));
    }
    if inv.status != "pending" || inv.expires_at <= now_ms() {
        return Err(invitation_not_found());
    }
    Ok(inv)
}

pub async fn get_invitation(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let q = query::of(req);
    let id = q
        .get("id")
        .ok_or_else(|| invalid("id", "id is required"))?
        .to_string();
    let c = start(req, env, ctx).await?;
    let inv = my_invitation(&c, &id).await?;
    let org = store::org(&c.db, &inv.organization_id)
        .await?
        .ok_or_else(invitation_not_found)?;
    let inviter = store::user_by_id(&c.db, &inv.inviter_id).await?;
    let mut v = inv.to_json();
    v["organizationName"] = json!(org.name);
    v["organizationSlug"] = json!(org.slug);
    v["inviterEmail"] = json!(inviter.map(|u| u.email));
    ok(&v, ctx)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InvitationId {
    invitation_id: String,
}

pub async fn accept_invitation(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: InvitationId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let inv = my_invitation(&c, &body.invitation_id).await?;
    let now = now_ms();
    if !store::accept_invitation(&c.db, &inv, &id(), &c.me.user.id, now).await? {
        return Err(invitation_not_found());
    }
    store::set_active(&c.db, &c.me.session.id, Some(&inv.organization_id), now).await?;
    let member = store::member_of(&c.db, &inv.organization_id, &c.me.user.id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let mut i = inv.to_json();
    i["status"] = json!("accepted");
    ok(&json!({ "invitation": i, "member": member.to_json() }), ctx)
}

pub async fn reject_invitation(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: InvitationId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let inv = my_invitation(&c, &body.invitation_id).await?;
    if !store::close_invitation(&c.db, &inv.id, "rejected").await? {
        return Err(invitation_not_found());
    }
    let mut i = inv.to_json();
    i["status"] = json!("rejected");
    ok(&json!({ "invitation": i, "member": null }), ctx)
}

pub async fn cancel_invitation(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: InvitationId = read_json(&mut req, DEFAULT_LIMIT).await?;
    let c = start(&req, env, ctx).await?;
    let inv = store::invitation(&c.db, &body.invitation_id)
        .await?
        .ok_or_else(invitation_not_found)?;
    access(&c, &inv.organization_id)
        .await?
        .require(IAM_MANAGE_MEMBERS)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION"))?;
    if !store::close_invitation(&c.db, &inv.id, "canceled").await? {
        return Err(invitation_not_found());
    }
    let mut i = inv.to_json();
    i["status"] = json!("canceled");
    ok(&i, ctx)
}

pub async fn list_invitations(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let q = query::of(req);
    let c = start(req, env, ctx).await?;
    let org_id = target_org(q.get("organizationId"), &c.me)?.to_string();
    access(&c, &org_id)
        .await?
        .require(IAM_MANAGE_MEMBERS)
        .map_err(|e| e.with_reason("YOU_ARE_NOT_ALLOWED_TO_LIST_INVITATIONS"))?;
    let list: Vec<Value> = store::invitations(&c.db, &org_id)
        .await?
        .iter()
        .map(InvitationRow::to_json)
        .collect();
    ok(&list, ctx)
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrgId {
    organization_id: String,
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
