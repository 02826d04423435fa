//! The endpoints. Validation first (4xx envelopes), then the store.

use crate::caller::{current, required, token};
use crate::config::IamConfig;
use crate::dto::{SignIn, SignUp, SignedIn, SignedUp};
use crate::signin::{self, Signed};
use crate::store::{self, NewSession, NewUser};
use nno_auth::password::{self, StoredHash, SALT_LEN};
use nno_auth::{guard, session, validate};
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::runtime::{now_ms, random_array};
use nno_worker::{crypto, respond, ApiResult, RequestContext};
use serde_json::json;
use worker::{Env, Request, Response};

pub(crate) fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::invalid(field, message)
}

/// A tenant id as callers may name one: 1 to 64 characters.
pub(crate) fn is_org_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64
}

pub(crate) fn id() -> String {
    nno_core::encoding::hex(&random_array::<16>())
}

pub(crate) async fn hash_password(pw: &str) -> Result<String, ApiError> {
    let salt = random_array::<SALT_LEN>();
    let key = crypto::pbkdf2_sha256(
        password::normalize(pw).as_bytes(),
        &salt,
        password::PBKDF2_ITERATIONS,
    )
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(password::pbkdf2_hash(&salt, key).encode())
}

pub(crate) async fn verify_password(stored: &StoredHash, pw: &str) -> bool {
    match stored {
        StoredHash::Pbkdf2Sha256 {
            iterations,
            salt,
            hash,
        } => {
            match crypto::pbkdf2_sha256(password::normalize(pw).as_bytes(), salt, *iterations).await
            {
                Ok(k) => nno_auth::ct::bytes_equal(&k, hash),
                Err(_) => false,
            }
        }
        // No WebCrypto scrypt: imported Better Auth hashes are checked in wasm, once,
        // and replaced after the sign-in.
        StoredHash::BetterAuthScrypt { .. } => stored.verify_native(pw),
    }
}

/// Checks `pw` against the account of `email` (normalised) under the per-account
/// budget (`nno_auth::guard`), which every endpoint that checks a password shares:
/// 429 while checks are spaced out; the user and their stored hash when it is right;
/// `None` when it is wrong or there is no such account (after the same hashing work,
/// so the answer's timing does not tell which).
pub(crate) async fn check_account_password(
    db: &Db,
    email: &str,
    pw: &str,
) -> Result<Option<(store::UserRow, StoredHash)>, ApiError> {
    let subject = guard::subject(email);
    let now = now_ms();
    if let Some(until) = store::claim_password_check(db, &subject, now).await? {
        let retry = ((until - now) / 1000.0).ceil().max(1.0) as u64;
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many wrong passwords for this account; wait, or sign in with a magic link or reset the password",
        )
        .with_reason("ACCOUNT_TEMPORARILY_LOCKED")
        .with_retry_after(retry));
    }
    if pw.is_empty() || pw.len() > 4 * password::MAX_LEN {
        return Ok(None);
    }
    let row = store::user_with_password(db, email).await?;
    let stored = row
        .as_ref()
        .and_then(|r| r.password.as_deref())
        .and_then(|p| StoredHash::parse(p).ok());
    let Some((row, stored)) = row.zip(stored) else {
        let _ = hash_password(pw).await;
        return Ok(None);
    };
    if !verify_password(&stored, pw).await {
        return Ok(None);
    }
    store::clear_password_failures(db, &subject).await?;
    Ok(Some((row, stored)))
}

/// Whether `pw` is the current password of the user with this e-mail (budgeted).
pub(crate) async fn password_ok(db: &Db, email: &str, pw: &str) -> Result<bool, ApiError> {
    Ok(check_account_password(db, email, pw).await?.is_some())
}

pub(crate) struct Issued {
    pub token: String,
    pub set_cookie: String,
}

/// A session for `user_id`: the row to insert and what the client is handed.
/// `remember` false (Better Auth's `rememberMe: false`) makes it last one day.
pub(crate) fn new_session<'a>(
    cfg: &IamConfig,
    client: &'a Client,
    user_id: &'a str,
    ids: &'a (String, String, String),
    remember: bool,
) -> (NewSession<'a>, Issued) {
    let now = now_ms();
    let ttl = if remember {
        session::TTL_SECONDS
    } else {
        24 * 3600
    };
    let (session_id, token, token_hash) = ids;
    (
        NewSession {
            id: session_id,
            token_hash,
            user_id,
            expires_at: now + (ttl * 1000) as f64,
            ip: client.ip.as_deref(),
            user_agent: client.user_agent.as_deref(),
            now,
        },
        Issued {
            token: token.clone(),
            set_cookie: session::set_cookie(cfg.secret.as_bytes(), token, ttl, &cfg.cookie()),
        },
    )
}

/// What a session records about the client that opened it.
pub(crate) struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Client {
    pub(crate) fn of(req: &Request) -> Client {
        let header = |n: &str| {
            req.headers()
                .get(n)
                .ok()
                .flatten()
                .map(|v| v.chars().take(512).collect::<String>())
        };
        Client {
            ip: header("cf-connecting-ip"),
            user_agent: header("user-agent"),
        }
    }
}

pub(crate) fn session_ids() -> (String, String, String) {
    let token = session::new_token(random_array());
    let hash = session::token_hash(&token);
    (id(), token, hash)
}

pub(crate) fn with_cookie(mut resp: Response, set_cookie: &str) -> Response {
    let _ = resp.headers_mut().append("set-cookie", set_cookie);
    resp
}

/// A new account's name, e-mail and password checked; the e-mail normalised.
pub(crate) fn check_new_user(name: &str, email: &str, pw: &str) -> Result<String, ApiError> {
    if !validate::name(name) {
        return Err(invalid("name", "name must be 1 to 100 characters"));
    }
    let email = validate::normalize_email(email);
    if !validate::email(&email) {
        return Err(invalid("email", "email is not a valid address"));
    }
    check_password(pw, "password")?;
    Ok(email)
}

/// The password policy, refused with Better Auth's reason codes.
pub(crate) fn check_password(pw: &str, field: &str) -> Result<(), ApiError> {
    password::check_policy(pw).map_err(|e| {
        invalid(field, &e.to_string()).with_reason(match e {
            password::PolicyError::TooShort => "PASSWORD_TOO_SHORT",
            password::PolicyError::TooLong => "PASSWORD_TOO_LONG",
        })
    })
}

pub async fn sign_up(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: SignUp = read_json(&mut req, DEFAULT_LIMIT).await?;
    let email = check_new_user(&body.name, &body.email, &body.password)?;
    if body.image.as_deref().is_some_and(|i| i.len() > 2048) {
        return Err(invalid("image", "image URL is too long"));
    }
    let cfg = IamConfig::load(env)?;
    cfg.require_trusted(body.callback_url.as_deref(), "callbackURL")?;
    let db = store::db(env, ctx)?;
    let password_hash = hash_password(&body.password).await?;
    let (user_id, account_id) = (id(), id());
    let ids = session_ids();
    let client = Client::of(&req);
    let remember = body.remember_me.unwrap_or(true);
    let (session, issued) = new_session(&cfg, &client, &user_id, &ids, remember);
    let created = store::create_user(
        &db,
        &NewUser {
            id: &user_id,
            account_id: &account_id,
            name: body.name.trim(),
            email: &email,
            image: body.image.as_deref(),
            password_hash: &password_hash,
            role: nno_auth::permissions::PLATFORM_USER,
            verified: false,
        },
        &session,
    )
    .await?;
    if !created {
        return Err(
            ApiError::new(ErrorCode::Conflict, "a user with this email already exists")
                .with_details(json!({ "field": "email" }))
                .with_reason("USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"),
        );
    }
    let user = store::user_with_password(&db, &email)
        .await?
        .ok_or_else(ApiError::internal)?
        .to_dto();
    let body = SignedUp {
        token: issued.token,
        user,
    };
    Ok(with_cookie(
        respond::json(200, &body, &ctx.request_id),
        &issued.set_cookie,
    ))
}

pub async fn sign_in(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: SignIn = read_json(&mut req, DEFAULT_LIMIT).await?;
    let email = validate::normalize_email(&body.email);
    let wrong = || {
        ApiError::new(ErrorCode::Unauthorized, "invalid email or password")
            .with_reason("INVALID_EMAIL_OR_PASSWORD")
    };
    let cfg = IamConfig::load(env)?;
    cfg.require_trusted(body.callback_url.as_deref(), "callbackURL")?;
    if !validate::email(&email) {
        return Err(wrong());
    }
    let db = store::db(env, ctx)?;
    let Some((row, stored)) = check_account_password(&db, &email, &body.password).await? else {
        return Err(wrong());
    };
    if stored.needs_rehash() {
        let upgraded = hash_password(&body.password).await?;
        store::update_password(&db, &row.id, &upgraded, now_ms()).await?;
    }
    let remember = body.remember_me.unwrap_or(true);
    let (token, cookies) = match signin::finish(&req, &db, &cfg, &row, remember, ctx).await? {
        Signed::Challenge(challenge) => return Ok(challenge),
        Signed::In { token, cookies } => (token, cookies),
    };
    let body = SignedIn {
        redirect: false,
        token,
        url: body.callback_url,
        user: row.to_dto(),
    };
    Ok(signin::with_cookies(
        respond::json(200, &body, &ctx.request_id),
        &cookies,
    ))
}

pub async fn get_session(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let mut found = current(req, env, &IamConfig::load(env)?, ctx).await?;
    if let Some(s) = &mut found {
        s.session.token = crate::caller::shown_token(req, &s.session.token);
    }
    Ok(respond::json(200, &found, &ctx.request_id))
}

pub async fn sign_out(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let cfg = IamConfig::load(env)?;
    if let Some(token) = token(req, &cfg) {
        store::delete_session(&store::db(env, ctx)?, &session::token_hash(&token)).await?;
    }
    let resp = respond::json(200, &json!({ "success": true }), &ctx.request_id);
    Ok(with_cookie(resp, &session::clear_cookie(&cfg.cookie())))
}

pub async fn list_sessions(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let me = required(req, env, &IamConfig::load(env)?, ctx).await?;
    let sessions = store::list_sessions(&store::db(env, ctx)?, &me.user.id, now_ms()).await?;
    Ok(respond::json(200, &sessions, &ctx.request_id))
}

pub async fn revoke_session(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: crate::dto::RevokeSession = read_json(&mut req, DEFAULT_LIMIT).await?;
    let cfg = IamConfig::load(env)?;
    let me = required(&req, env, &cfg, ctx).await?;
    let given = body.token.trim();
    if given.is_empty() || given.len() > 512 {
        return Err(invalid("token", "token must be a session token or id"));
    }
    // A session token, or the handle list-sessions hands out in `token` (the session id:
    // real tokens are never stored, so they cannot be listed).
    let hash = session::token_from_bearer(cfg.secret.as_bytes(), given)
        .map(session::token_hash)
        .unwrap_or_default();
    // Only the caller's own sessions: another user's token is simply not found.
    if !store::revoke_session(&store::db(env, ctx)?, &me.user.id, &hash, given).await? {
        return Err(ApiError::not_found("session"));
    }
    Ok(respond::json(
        200,
        &json!({ "status": true }),
        &ctx.request_id,
    ))
}

pub async fn revoke_sessions(
    req: &Request,
    env: &Env,
    ctx: &RequestContext,
    keep_current: bool,
) -> ApiResult {
    let me = required(req, env, &IamConfig::load(env)?, ctx).await?;
    let keep = keep_current.then(|| session::token_hash(&me.session.token));
    store::revoke_sessions(&store::db(env, ctx)?, &me.user.id, keep.as_deref()).await?;
    Ok(respond::json(
        200,
        &json!({ "status": true }),
        &ctx.request_id,
    ))
}

/// Changes the password and ends every other session of the user.
pub async fn change_password(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: crate::dto::ChangePassword = read_json(&mut req, DEFAULT_LIMIT).await?;
    check_password(&body.new_password, "newPassword")?;
    let me = required(&req, env, &IamConfig::load(env)?, ctx).await?;
    let db = store::db(env, ctx)?;
    let Some((row, _)) =
        check_account_password(&db, &me.user.email, &body.current_password).await?
    else {
        return Err(invalid("currentPassword", "current password is incorrect")
            .with_reason("INVALID_PASSWORD"));
    };
    let hash = hash_password(&body.new_password).await?;
    store::update_password(&db, &row.id, &hash, now_ms()).await?;
    store::revoke_sessions(&db, &row.id, Some(&session::token_hash(&me.session.token))).await?;
    let body = json!({ "token": null, "user": row.to_dto() });
    Ok(respond::json(200, &body, &ctx.request_id))
}
