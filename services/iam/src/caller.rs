//! Who is calling IAM, and what they may do in a tenant.
//!
//! A person calls with their session (the signed cookie, or the token as a bearer).
//! An API key never reaches IAM itself: the gateway verifies it and forwards the key's
//! identity, signed; IAM accepts that identity on its `/api/nno/*` routes only.

use crate::config::IamConfig;
use crate::dto::SessionAndUser;
use crate::store;
use nno_auth::permissions::{self, PLATFORM_ADMIN};
use nno_auth::session;
use nno_core::access::bearer;
use nno_core::identity::Identity;
use nno_core::{ApiError, ErrorCode};
use nno_worker::d1::Db;
use nno_worker::runtime::now_ms;
use nno_worker::RequestContext;
use std::collections::BTreeSet;
use worker::{Env, Request};

/// The session token a request carries: a bearer token, else the signed cookie (the
/// gateway's order, so both always agree on whose request it is). A bearer that is not
/// a session token hides the cookie rather than falling back to it: a request names one
/// caller, and the cookie never gets past the gateway's checks by riding along.
pub fn token(req: &Request, cfg: &IamConfig) -> Option<String> {
    let headers = req.headers();
    let secret = cfg.secret.as_bytes();
    if let Some(b) = headers
        .get("authorization")
        .ok()
        .flatten()
        .as_deref()
        .and_then(bearer)
    {
        return session::token_from_bearer(secret, b).map(str::to_string);
    }
    headers
        .get("cookie")
        .ok()
        .flatten()
        .and_then(|c| session::token_from_cookie(secret, &c))
}

/// The session token as an answer may show it: only to a caller who sent it as a
/// bearer token (and so holds it already). A cookie session's token stays out of reach
/// of script, which is what the HttpOnly cookie is for; Better Auth's client does not
/// need it there.
pub fn shown_token(req: &Request, token: &str) -> String {
    let bearer_sent = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .as_deref()
        .and_then(bearer)
        .is_some();
    if bearer_sent {
        token.to_string()
    } else {
        String::new()
    }
}

/// The caller's live session, if any.
pub async fn current(
    req: &Request,
    env: &Env,
    cfg: &IamConfig,
    ctx: &RequestContext,
) -> Result<Option<SessionAndUser>, ApiError> {
    let Some(token) = token(req, cfg) else {
        return Ok(None);
    };
    store::session(
        &store::db(env, ctx)?,
        &token,
        &session::token_hash(&token),
        now_ms(),
    )
    .await
}

pub fn no_session() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "no valid session")
}

/// The caller's live session, or 401.
pub async fn required(
    req: &Request,
    env: &Env,
    cfg: &IamConfig,
    ctx: &RequestContext,
) -> Result<SessionAndUser, ApiError> {
    current(req, env, cfg, ctx).await?.ok_or_else(no_session)
}

/// The identity the calling service vouched for.
pub fn forwarded(ctx: &RequestContext) -> Identity {
    ctx.identity.clone()
}

/// Whether the request is one of the gateway's own calls (not a client's request it
/// forwarded).
pub fn is_internal(ctx: &RequestContext) -> bool {
    forwarded(ctx) == Identity::Internal
}

/// The identity of an API key, as the gateway forwards it.
#[derive(Debug, Clone)]
pub struct KeyIdentity {
    pub key_id: String,
    pub user_id: String,
    pub org_id: Option<String>,
    pub permissions: Vec<String>,
}

pub enum Caller {
    Session(Box<SessionAndUser>),
    Key(KeyIdentity),
}

impl Caller {
    /// A session, else an API key the gateway vouched for, else 401.
    pub async fn of(
        req: &Request,
        env: &Env,
        cfg: &IamConfig,
        ctx: &RequestContext,
    ) -> Result<Caller, ApiError> {
        if let Some(s) = current(req, env, cfg, ctx).await? {
            return Ok(Caller::Session(Box::new(s)));
        }
        match forwarded(ctx) {
            Identity::Apikey {
                key_id,
                user_id,
                org_id,
                permissions,
                ..
            } => Ok(Caller::Key(KeyIdentity {
                key_id,
                user_id,
                org_id,
                permissions,
            })),
            _ => Err(no_session()),
        }
    }

    pub fn user_id(&self) -> &str {
        match self {
            Caller::Session(s) => &s.user.id,
            Caller::Key(k) => &k.user_id,
        }
    }

    /// Platform admins act on every tenant, but only with their session: an API key
    /// carries its scopes and nothing more.
    pub fn is_platform_admin(&self) -> bool {
        matches!(self, Caller::Session(s) if s.user.role == PLATFORM_ADMIN)
    }
}

/// What a caller may do in one tenant.
pub struct Access {
    /// The caller's own membership role there (platform admins may have none).
    pub role: Option<String>,
    pub permissions: BTreeSet<String>,
}

impl Access {
    pub fn require(&self, permission: &str) -> Result<(), ApiError> {
        let held: Vec<&str> = self.permissions.iter().map(String::as_str).collect();
        if permissions::allows(&held, permission) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("this needs the {permission} permission in the tenant"),
            )
            .with_details(serde_json::json!({ "required": permission })))
        }
    }

    pub fn role(&self) -> &str {
        self.role.as_deref().unwrap_or("")
    }
}

fn not_member() -> ApiError {
    // The same answer whether the tenant exists or not: outsiders learn nothing.
    ApiError::new(ErrorCode::Forbidden, "you are not a member of this tenant")
}

/// A member's effective permissions in a tenant, `None` if they are not a member.
pub async fn member_permissions(
    db: &Db,
    org_id: &str,
    user_id: &str,
) -> Result<Option<(String, BTreeSet<String>)>, ApiError> {
    Ok(store::member_access(db, org_id, user_id, now_ms())
        .await?
        .map(|a| {
            let set = permissions::effective(&a.role, &a.mapped, &a.grants);
            (a.role, set)
        }))
}

/// What `caller` may do in tenant `org_id`; 403 for outsiders, 404 for a platform admin
/// asking about a tenant that does not exist.
pub async fn tenant_access(db: &Db, caller: &Caller, org_id: &str) -> Result<Access, ApiError> {
    let mine = member_permissions(db, org_id, caller.user_id()).await?;
    match caller {
        Caller::Session(_) if caller.is_platform_admin() => {
            if mine.is_none() && store::org(db, org_id).await?.is_none() {
                return Err(ApiError::not_found("tenant"));
            }
            Ok(Access {
                role: mine.map(|(role, _)| role),
                permissions: BTreeSet::from([nno_core::identity::EVERYTHING.to_string()]),
            })
        }
        Caller::Session(_) => {
            let (role, permissions) = mine.ok_or_else(not_member)?;
            Ok(Access {
                role: Some(role),
                permissions,
            })
        }
        Caller::Key(k) => {
            if k.org_id.as_deref().is_some_and(|o| o != org_id) {
                return Err(not_member());
            }
            // A key never does more than the person behind it may do there today (a
            // tenant key's creator, a personal key's owner): a demoted creator's tenant
            // keys shrink with them.
            let permissions = match mine {
                Some((_, held)) => nno_core::identity::key_permissions(&k.permissions, &held)
                    .into_iter()
                    .collect(),
                None => return Err(not_member()),
            };
            Ok(Access {
                role: None,
                permissions,
            })
        }
    }
}
