//! `/api/nno/apikey`: API keys owned by a user or by a tenant. A key is shown once, at
//! creation; IAM keeps only its SHA-256. The gateway calls `verify` for every request
//! that carries a key, so revocation takes effect on the next request.

use crate::caller::{required, tenant_access, Caller};
use crate::config::IamConfig;
use crate::handlers::{id, invalid};
use crate::query;
use crate::store::{self, KeyRow};
use nno_auth::apikey;
use nno_auth::permissions::{self as perms, Standing, IAM_MANAGE_KEYS};
use nno_core::contracts::{KeyLimit, KeyVerifyAnswer, KeyVerifyRequest};
use nno_core::{ratelimit, ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::runtime::{now_ms, random_array};
use nno_worker::{respond, ApiResult, RequestContext};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Request};

/// Live keys one user may hold (personal and tenant keys they created).
const MAX_KEYS_PER_USER: usize = 50;
const MAX_SCOPES: usize = 50;
/// Defaults and bounds of the per-key rate limit.
const DEFAULT_LIMIT_MAX: u64 = 120;
const DEFAULT_WINDOW_S: u64 = 60;
/// Expiry bounds: one minute to one year.
const MIN_EXPIRES_S: u64 = 60;
const MAX_EXPIRES_S: u64 = 365 * 24 * 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimit {
    max: u64,
    window_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Create {
    name: String,
    scopes: Vec<String>,
    /// A tenant key when set; a personal key otherwise.
    #[serde(default)]
    org_id: Option<String>,
    /// Lifetime in seconds; no expiry when absent.
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default, deserialize_with = "nno_worker::body::optional_object")]
    rate_limit: Option<RateLimit>,
}

pub async fn create(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Create = read_json(&mut req, DEFAULT_LIMIT).await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "name must be 1 to 100 characters"));
    }
    if body.scopes.is_empty() || body.scopes.len() > MAX_SCOPES {
        return Err(invalid("scopes", "scopes must list 1 to 50 permissions"));
    }
    if let Some(bad) = body.scopes.iter().find(|s| !perms::is_permission(s)) {
        return Err(invalid(
            "scopes",
            &format!("{bad:?} is not a permission key (^{{featureId}}:[a-z-]+$)"),
        ));
    }
    if body
        .expires_in
        .is_some_and(|s| !(MIN_EXPIRES_S..=MAX_EXPIRES_S).contains(&s))
    {
        return Err(invalid(
            "expiresIn",
            "expiresIn must be 60 seconds to 365 days",
        ));
    }
    let (max, window) = match &body.rate_limit {
        Some(r) if ratelimit::key_limit_allowed(r.max, r.window_seconds) => {
            (r.max, r.window_seconds)
        }
        Some(_) => {
            return Err(invalid(
                "rateLimit",
                &format!(
                    "rateLimit.windowSeconds must be 1 to 3600 and max 1 to {} and at most {} per second of the window",
                    ratelimit::KEY_MAX_PER_WINDOW,
                    ratelimit::KEY_MAX_PER_SECOND
                ),
            ))
        }
        None => (DEFAULT_LIMIT_MAX, DEFAULT_WINDOW_S),
    };
    let cfg = IamConfig::load(env)?;
    // Keys are made by people, with their session: a key cannot mint keys.
    let me = required(&req, env, &cfg, ctx).await?;
    let who = Caller::Session(Box::new(me));
    let db = store::db(env, ctx)?;
    if let Some(org) = body.org_id.as_deref() {
        let access = tenant_access(&db, &who, org).await?;
        access.require(IAM_MANAGE_KEYS)?;
        // A tenant key can do no more than its creator can.
        for scope in &body.scopes {
            access.require(scope)?;
        }
    }
    if store::count_live_keys(&db, who.user_id(), now_ms()).await? >= MAX_KEYS_PER_USER {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the limit of 50 live API keys is reached; revoke one first",
        ));
    }
    let key = apikey::new_key(random_array());
    let now = now_ms();
    let mut scopes = body.scopes.clone();
    scopes.sort();
    scopes.dedup();
    let row = KeyRow {
        id: id(),
        name: name.to_string(),
        start: apikey::start(&key).to_string(),
        user_id: who.user_id().to_string(),
        organization_id: body.org_id.clone(),
        scopes: serde_json::to_string(&scopes).map_err(|_| ApiError::internal())?,
        rate_limit_max: max as f64,
        rate_limit_window_ms: (window * 1000) as f64,
        expires_at: body.expires_in.map(|s| now + (s * 1000) as f64),
        last_used_at: None,
        revoked_at: None,
        created_at: now,
    };
    store::create_key(&db, &row, &apikey::hash(&key)).await?;
    let mut v = row.to_json();
    // The only time the key is ever shown.
    v["key"] = json!(key);
    Ok(respond::json(201, &v, &ctx.request_id))
}

pub async fn list(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let org = query::of(req).get("orgId").map(str::to_string);
    let cfg = IamConfig::load(env)?;
    let who = Caller::of(req, env, &cfg, ctx).await?;
    let db = store::db(env, ctx)?;
    if let Some(org) = org.as_deref() {
        tenant_access(&db, &who, org)
            .await?
            .require(IAM_MANAGE_KEYS)?;
    } else if matches!(who, Caller::Key(_)) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "an API key cannot list personal keys",
        ));
    }
    let keys: Vec<Value> = store::keys(&db, who.user_id(), org.as_deref())
        .await?
        .iter()
        .map(KeyRow::to_json)
        .collect();
    Ok(respond::json(
        200,
        &json!({ "keys": keys }),
        &ctx.request_id,
    ))
}

/// `DELETE /api/nno/apikey/{id}`: by its owner, or a key manager of its tenant who
/// does not stand below the key's creator (only owners touch owners' keys). Anyone
/// else is told the key does not exist, so key ids cannot be probed.
pub async fn revoke(req: &Request, env: &Env, ctx: &RequestContext, key_id: &str) -> ApiResult {
    let cfg = IamConfig::load(env)?;
    let who = Caller::of(req, env, &cfg, ctx).await?;
    let db = store::db(env, ctx)?;
    let not_found = || ApiError::not_found("API key");
    let key = store::key(&db, key_id).await?.ok_or_else(not_found)?;
    let allowed = match (&key.organization_id, &who) {
        (Some(org), _) => tenant_access(&db, &who, org)
            .await
            .is_ok_and(|a| a.require(IAM_MANAGE_KEYS).is_ok()),
        (None, Caller::Session(_)) => key.user_id == who.user_id(),
        (None, Caller::Key(k)) => k.key_id == key.id,
    };
    if !allowed {
        return Err(not_found());
    }
    if let Some(org) = key.organization_id.as_deref() {
        if key.user_id != who.user_id() {
            let mine = match &who {
                Caller::Session(_) if who.is_platform_admin() => Standing::PlatformAdmin,
                Caller::Session(_) => store::standing(&db, org, who.user_id()).await?,
                // A key stands where its person's membership does, never higher (a
                // platform admin acts on tenants with a session only).
                Caller::Key(_) => Standing::of_role(
                    store::member_of(&db, org, who.user_id())
                        .await?
                        .map(|m| m.role)
                        .as_deref(),
                ),
            };
            let creator = store::standing(&db, org, &key.user_id).await?;
            if !perms::may_undo(mine, creator) {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "this key was created by someone who outranks you in the tenant",
                ));
            }
        }
    }
    if !store::revoke_key(&db, &key.id, now_ms()).await? {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this API key is already revoked",
        ));
    }
    Ok(respond::json(
        200,
        &json!({ "revoked": true, "id": key.id }),
        &ctx.request_id,
    ))
}

/// For the gateway: the key's identity and limit, or 401. Malformed keys are refused
/// before any lookup. Only the gateway's own calls may use it: forwarded from a client,
/// it would be a way around the gateway's throttling of unknown keys.
pub async fn verify(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    if !crate::caller::is_internal(ctx) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "key verification is for the gateway only",
        ));
    }
    let body: KeyVerifyRequest = read_json(&mut req, DEFAULT_LIMIT).await?;
    let invalid_key = || {
        ApiError::new(
            ErrorCode::Unauthorized,
            "invalid, expired or revoked API key",
        )
    };
    if !apikey::looks_like_key(&body.key) {
        return Err(invalid_key());
    }
    let db = store::db(env, ctx)?;
    let key = store::use_key(&db, &apikey::hash(&body.key), now_ms())
        .await?
        .ok_or_else(invalid_key)?;
    // A tenant key is forwarded with what it may do there now: its scopes within its
    // creator's current permissions (none if the creator left). A personal key's scopes
    // are only a ceiling, since the tenant is not known here; `Identity::allows_in`
    // therefore never trusts them, and IAM bounds them per tenant itself.
    let permissions = match &key.organization_id {
        Some(org) => {
            let held = crate::caller::member_permissions(&db, org, &key.user_id)
                .await?
                .map(|(_, held)| held)
                .unwrap_or_default();
            nno_core::identity::key_permissions(&key.scope_list(), &held)
        }
        None => key.scope_list(),
    };
    let v = KeyVerifyAnswer {
        platform_id: Some(IamConfig::load(env)?.platform_id),
        rate_limit: KeyLimit {
            max: key.rate_limit_max as u32,
            window_ms: key.rate_limit_window_ms as u64,
        },
        key_id: key.id,
        user_id: key.user_id,
        org_id: key.organization_id,
        permissions,
    };
    Ok(respond::json(200, &v, &ctx.request_id))
}
