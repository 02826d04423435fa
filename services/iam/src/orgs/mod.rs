//! Tenants as Better Auth organizations: `/api/auth/organization/*`, with Better Auth's
//! request and response shapes, one module per resource (`tenants`, `invitations`,
//! `members`); this module holds what they share. Permission checks use NNO's roles
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
pub(super) const INVITATION_TTL_MS: f64 = 48.0 * 3600.0 * 1000.0;
/// Organizations one user may create or belong to, pending invitations per tenant.
pub(super) const MAX_ORGS_PER_USER: usize = 100;
pub(super) const MAX_PENDING_INVITATIONS: usize = 100;

pub(super) fn err(code: ErrorCode, reason: &'static str, message: &str) -> ApiError {
    ApiError::new(code, message).with_reason(reason)
}

pub(super) fn org_not_found() -> ApiError {
    err(
        ErrorCode::NotFound,
        "ORGANIZATION_NOT_FOUND",
        "organization not found",
    )
}

pub(super) fn not_member() -> ApiError {
    err(
        ErrorCode::Forbidden,
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
        "you are not a member of this organization",
    )
}

/// `^[a-z0-9-]+$`, 1–63 characters (it can become part of a hostname).
pub(super) fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

pub(super) fn check_role(role: &str) -> Result<(), ApiError> {
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

pub(super) struct Ctx {
    pub(super) me: SessionAndUser,
    pub(super) db: Db,
}

pub(super) async fn start(req: &Request, env: &Env, ctx: &RequestContext) -> Result<Ctx, ApiError> {
    let cfg = IamConfig::load(env)?;
    Ok(Ctx {
        me: required(req, env, &cfg, ctx).await?,
        db: store::db(env, ctx)?,
    })
}

/// The organization a request is about: the one named, else the active one.
pub(super) fn target_org<'a>(
    given: Option<&'a str>,
    me: &'a SessionAndUser,
) -> Result<&'a str, ApiError> {
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
pub(super) async fn access(c: &Ctx, org_id: &str) -> Result<caller::Access, ApiError> {
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

pub(super) fn ok(body: &impl serde::Serialize, ctx: &RequestContext) -> ApiResult {
    Ok(respond::json(200, body, &ctx.request_id))
}

/// `{organizationId}`: leave and delete name only the tenant.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrgId {
    pub(super) organization_id: String,
}

mod invitations;
mod members;
mod tenants;

pub use invitations::*;
pub use members::*;
pub use tenants::*;
