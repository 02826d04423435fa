//! Two-factor authentication as Better Auth's two-factor plugin does it: TOTP
//! (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) with ten single-use backup codes.
//! `enable` stores a secret and answers the otpauth URI and codes; the first
//! `verify-totp` with a session turns two-factor on. From then on `sign-in/email`
//! answers `{twoFactorRedirect: true}` and a signed `better-auth.two_factor` challenge
//! cookie instead of a session, and `verify-totp` (or `verify-backup-code`) with that
//! cookie completes the sign-in. Completing it with `trustDevice: true` sets a signed
//! `better-auth.trust_device` cookie: for 30 days that browser's sign-ins skip the
//! second factor (the cookie is replaced on each use; disabling two-factor forgets
//! every trusted device).

use crate::caller::required;
use crate::config::IamConfig;
use crate::handlers::{id, invalid, new_session, password_ok, session_ids, with_cookie, Client};
use crate::store::{self, UserRow};
use nno_auth::{backup, seal, session, totp};
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::runtime::{now_ms, random_array};
use nno_worker::{respond, ApiResult, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Env, Request, Response};

pub const CHALLENGE_COOKIE: &str = "better-auth.two_factor";
const CHALLENGE_TTL_S: i64 = 600;
const MAX_ATTEMPTS: u32 = 5;
/// Wrong codes in a row, across challenges, before verification locks; and for how long.
const FAILURES_TO_LOCK: u32 = 10;
const LOCK_MS: f64 = 15.0 * 60.0 * 1000.0;
const SEAL_PURPOSE: &str = "totp-secret";
pub const TRUST_COOKIE: &str = "better-auth.trust_device";
const TRUST_TTL_S: i64 = 30 * 24 * 3600;

fn err(code: ErrorCode, reason: &'static str, message: &str) -> ApiError {
    ApiError::new(code, message).with_reason(reason)
}

fn invalid_password() -> ApiError {
    err(
        ErrorCode::BadRequest,
        "INVALID_PASSWORD",
        "the password is incorrect",
    )
}

fn params() -> totp::Params {
    totp::Params::default()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enable {
    password: String,
    #[serde(default)]
    issuer: Option<String>,
}

pub async fn enable(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Enable = read_json(&mut req, DEFAULT_LIMIT).await?;
    if body
        .issuer
        .as_deref()
        .is_some_and(|i| i.is_empty() || i.len() > 100)
    {
        return Err(invalid("issuer", "issuer must be 1 to 100 characters"));
    }
    let cfg = IamConfig::load(env)?;
    let me = required(&req, env, &cfg, ctx).await?;
    let db = store::db(env, ctx)?;
    if !password_ok(&db, &me.user.email, &body.password).await? {
        return Err(invalid_password());
    }
    if me.user.two_factor_enabled {
        return Err(err(
            ErrorCode::Conflict,
            "TOTP_ALREADY_ENABLED",
            "two-factor is already enabled",
        ));
    }
    let key = random_array::<20>();
    let codes = new_codes();
    let hashes: Vec<String> = codes.iter().map(|c| backup::hash(c)).collect();
    let sealed = seal::seal(cfg.secret.as_bytes(), SEAL_PURPOSE, random_array(), &key);
    let hashes_json = serde_json::to_string(&hashes).map_err(|_| ApiError::internal())?;
    store::put_two_factor(&db, &id(), &me.user.id, &sealed, &hashes_json, now_ms()).await?;
    let issuer = body.issuer.unwrap_or_else(|| cfg.app_name.clone());
    let uri = totp::otpauth_uri(&key, &issuer, &me.user.email, params());
    Ok(respond::json(
        200,
        &json!({ "method": "totp", "totpURI": uri, "backupCodes": codes }),
        &ctx.request_id,
    ))
}

fn new_codes() -> Vec<String> {
    let mut random = [[0u8; 10]; backup::COUNT];
    for r in random.iter_mut() {
        *r = random_array();
    }
    backup::generate(&random)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Password {
    password: String,
}

/// The signed-in caller, once the body's password proves it is them.
async fn confirmed(
    mut req: Request,
    env: &Env,
    ctx: &RequestContext,
) -> Result<(IamConfig, crate::dto::SessionAndUser, Db), ApiError> {
    let body: Password = read_json(&mut req, DEFAULT_LIMIT).await?;
    let cfg = IamConfig::load(env)?;
    let me = required(&req, env, &cfg, ctx).await?;
    let db = store::db(env, ctx)?;
    if !password_ok(&db, &me.user.email, &body.password).await? {
        return Err(invalid_password());
    }
    Ok((cfg, me, db))
}

pub async fn disable(req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let (cfg, me, db) = confirmed(req, env, ctx).await?;
    store::set_two_factor_enabled(&db, &me.user.id, false, now_ms()).await?;
    // Turned on again later, two-factor must not be skipped by a device trusted before.
    store::forget_trusted_devices(&db, &me.user.id).await?;
    Ok(with_cookie(
        respond::json(200, &json!({ "status": true }), &ctx.request_id),
        &session::clear_named(TRUST_COOKIE, &cfg.cookie()),
    ))
}

pub async fn get_totp_uri(req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let (cfg, me, db) = confirmed(req, env, ctx).await?;
    let key = secret_of(&db, &cfg, &me.user.id).await?;
    let uri = totp::otpauth_uri(&key, &cfg.app_name, &me.user.email, params());
    Ok(respond::json(
        200,
        &json!({ "totpURI": uri }),
        &ctx.request_id,
    ))
}

pub async fn generate_backup_codes(req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let (_, me, db) = confirmed(req, env, ctx).await?;
    if !me.user.two_factor_enabled {
        return Err(err(
            ErrorCode::BadRequest,
            "TWO_FACTOR_NOT_ENABLED",
            "two-factor is not enabled",
        ));
    }
    let row = store::two_factor(&db, &me.user.id)
        .await?
        .ok_or_else(not_enabled)?;
    let codes = new_codes();
    let hashes: Vec<String> = codes.iter().map(|c| backup::hash(c)).collect();
    let json_codes = serde_json::to_string(&hashes).map_err(|_| ApiError::internal())?;
    if !store::swap_backup_codes(&db, &me.user.id, &row.backup_codes, &json_codes).await? {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the backup codes changed meanwhile; try again",
        ));
    }
    Ok(respond::json(
        200,
        &json!({ "status": true, "backupCodes": codes }),
        &ctx.request_id,
    ))
}

fn not_enabled() -> ApiError {
    err(
        ErrorCode::BadRequest,
        "TOTP_NOT_ENABLED",
        "two-factor is not set up for this account",
    )
}

async fn secret_of(db: &Db, cfg: &IamConfig, user_id: &str) -> Result<Vec<u8>, ApiError> {
    let row = store::two_factor(db, user_id)
        .await?
        .ok_or_else(not_enabled)?;
    seal::open(cfg.secret.as_bytes(), SEAL_PURPOSE, &row.secret).ok_or_else(ApiError::internal)
}

/// A pending sign-in challenge, stored under the hash of the cookie's token.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Challenge {
    user_id: String,
    remember: bool,
    attempts: u32,
}

fn challenge_identifier(token: &str) -> String {
    format!("2fa:{}", session::token_hash(token))
}

/// What the sign-in of a user with two-factor on needs next.
pub enum Gate {
    /// The second factor: answer this instead of a session.
    Challenge(Response),
    /// A trusted device: sign in, and set this (the replaced trust cookie).
    Trusted(String),
}

/// The trusted-device check every sign-in path of a two-factor user goes through: a
/// valid trust cookie for this user is used up and replaced, anything else starts a
/// challenge (and clears a cookie that did not hold).
pub async fn gate(
    req: &Request,
    db: &Db,
    cfg: &IamConfig,
    user_id: &str,
    remember: bool,
    ctx: &RequestContext,
) -> Result<Gate, ApiError> {
    let presented = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .and_then(|c| session::signed_cookie(cfg.secret.as_bytes(), &c, TRUST_COOKIE));
    if let Some(token) = &presented {
        let ident = store::trusted_device_identifier(user_id, &session::token_hash(token));
        if store::take_verification(db, &ident, now_ms())
            .await?
            .is_some()
        {
            return Ok(Gate::Trusted(trust_device(db, cfg, user_id).await?));
        }
    }
    let challenge = start_challenge(db, cfg, user_id, remember, ctx).await?;
    Ok(Gate::Challenge(match presented {
        Some(_) => with_cookie(
            challenge,
            &session::clear_named(TRUST_COOKIE, &cfg.cookie()),
        ),
        None => challenge,
    }))
}

/// Remembers this browser for `user_id`: a new trust record and its Set-Cookie.
async fn trust_device(db: &Db, cfg: &IamConfig, user_id: &str) -> Result<String, ApiError> {
    let token = session::new_token(random_array());
    let now = now_ms();
    store::put_verification(
        db,
        &id(),
        &store::trusted_device_identifier(user_id, &session::token_hash(&token)),
        user_id,
        now + (TRUST_TTL_S * 1000) as f64,
        now,
    )
    .await?;
    Ok(session::set_signed_cookie(
        TRUST_COOKIE,
        cfg.secret.as_bytes(),
        &token,
        TRUST_TTL_S,
        &cfg.cookie(),
    ))
}

/// Starts a sign-in challenge for `user`: the response that replaces the session.
async fn start_challenge(
    db: &Db,
    cfg: &IamConfig,
    user_id: &str,
    remember: bool,
    ctx: &RequestContext,
) -> ApiResult {
    let token = session::new_token(random_array());
    let now = now_ms();
    let value = serde_json::to_string(&Challenge {
        user_id: user_id.to_string(),
        remember,
        attempts: 0,
    })
    .map_err(|_| ApiError::internal())?;
    store::put_verification(
        db,
        &id(),
        &challenge_identifier(&token),
        &value,
        now + (CHALLENGE_TTL_S * 1000) as f64,
        now,
    )
    .await?;
    let resp = respond::json(
        200,
        &json!({ "twoFactorRedirect": true, "twoFactorMethods": ["totp"] }),
        &ctx.request_id,
    );
    let resp = with_cookie(resp, &session::clear_cookie(&cfg.cookie()));
    Ok(with_cookie(
        resp,
        &session::set_signed_cookie(
            CHALLENGE_COOKIE,
            cfg.secret.as_bytes(),
            &token,
            CHALLENGE_TTL_S,
            &cfg.cookie(),
        ),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Verify {
    code: String,
    /// Completing a sign-in: remember this browser for 30 days.
    #[serde(default)]
    trust_device: Option<bool>,
    #[serde(default)]
    #[allow(dead_code)]
    disable_session: Option<bool>,
}

enum Factor {
    Totp,
    Backup,
}

pub async fn verify_totp(req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    verify(req, env, ctx, Factor::Totp).await
}

pub async fn verify_backup_code(req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    verify(req, env, ctx, Factor::Backup).await
}

async fn verify(mut req: Request, env: &Env, ctx: &RequestContext, factor: Factor) -> ApiResult {
    let body: Verify = read_json(&mut req, DEFAULT_LIMIT).await?;
    if body.code.len() > 64 {
        return Err(invalid("code", "code is too long"));
    }
    let cfg = IamConfig::load(env)?;
    let db = store::db(env, ctx)?;
    // With a session: confirming the set-up (or re-checking a code).
    if let Some(me) = crate::caller::current(&req, env, &cfg, ctx).await? {
        check_factor(&db, &cfg, &me.user.id, &body.code, &factor).await?;
        if !me.user.two_factor_enabled {
            store::set_two_factor_enabled(&db, &me.user.id, true, now_ms()).await?;
        }
        let user = store::user_by_id(&db, &me.user.id)
            .await?
            .ok_or_else(ApiError::internal)?;
        return Ok(respond::json(
            200,
            &json!({ "token": me.session.token, "user": user.to_dto() }),
            &ctx.request_id,
        ));
    }
    // Without one: completing a sign-in challenge.
    let invalid_cookie = || {
        err(
            ErrorCode::Unauthorized,
            "INVALID_TWO_FACTOR_COOKIE",
            "no pending two-factor sign-in; sign in again",
        )
    };
    let token = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .and_then(|c| session::signed_cookie(cfg.secret.as_bytes(), &c, CHALLENGE_COOKIE))
        .ok_or_else(invalid_cookie)?;
    let ident = challenge_identifier(&token);
    let now = now_ms();
    let pending: Challenge = store::count_attempt(&db, &ident, now)
        .await?
        .and_then(|v| serde_json::from_str(&v).ok())
        .ok_or_else(invalid_cookie)?;
    let too_many = || {
        err(
            ErrorCode::BadRequest,
            "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE",
            "too many wrong codes; sign in again",
        )
    };
    if pending.attempts > MAX_ATTEMPTS {
        store::take_verification(&db, &ident, now).await?;
        return Err(too_many());
    }
    if let Err(e) = check_factor(&db, &cfg, &pending.user_id, &body.code, &factor).await {
        if pending.attempts >= MAX_ATTEMPTS {
            store::take_verification(&db, &ident, now).await?;
            return Err(too_many());
        }
        return Err(e);
    }
    // Single use: whoever takes the challenge first gets the session.
    if store::take_verification(&db, &ident, now).await?.is_none() {
        return Err(invalid_cookie());
    }
    let user = store::user_by_id(&db, &pending.user_id)
        .await?
        .ok_or_else(invalid_cookie)?;
    let resp = issue_session(&db, &cfg, &req, &user, pending.remember, ctx).await?;
    let resp = with_cookie(resp, &session::clear_named(CHALLENGE_COOKIE, &cfg.cookie()));
    Ok(match body.trust_device {
        Some(true) => with_cookie(resp, &trust_device(&db, &cfg, &user.id).await?),
        _ => resp,
    })
}

/// A new session for `user`, answered as `{token, user}` with the session cookie.
pub async fn issue_session(
    db: &Db,
    cfg: &IamConfig,
    req: &Request,
    user: &UserRow,
    remember: bool,
    ctx: &RequestContext,
) -> Result<Response, ApiError> {
    let ids = session_ids();
    let client = Client::of(req);
    let (s, issued) = new_session(cfg, &client, &user.id, &ids, remember);
    store::create_session(db, &s).await?;
    let body = json!({ "token": issued.token, "user": user.to_dto() });
    Ok(with_cookie(
        respond::json(200, &body, &ctx.request_id),
        &issued.set_cookie,
    ))
}

async fn check_factor(
    db: &Db,
    cfg: &IamConfig,
    user_id: &str,
    code: &str,
    factor: &Factor,
) -> Result<(), ApiError> {
    let now = now_ms();
    if let Some(until) = store::two_factor(db, user_id)
        .await?
        .map(|r| r.locked_until)
        .filter(|until| *until > now)
    {
        let retry_after = ((until - now) / 1000.0).ceil() as u64;
        return Err(err(
            ErrorCode::RateLimited,
            "ACCOUNT_TEMPORARILY_LOCKED",
            "too many wrong codes; two-factor verification is locked for 15 minutes",
        )
        .with_retry_after(retry_after));
    }
    let result = check_code(db, cfg, user_id, code, factor).await;
    match &result {
        Ok(()) => store::clear_two_factor_failures(db, user_id).await?,
        Err(e) if e.code == ErrorCode::Unauthorized => {
            store::record_two_factor_failure(db, user_id, FAILURES_TO_LOCK, now + LOCK_MS).await?
        }
        Err(_) => {}
    }
    result
}

async fn check_code(
    db: &Db,
    cfg: &IamConfig,
    user_id: &str,
    code: &str,
    factor: &Factor,
) -> Result<(), ApiError> {
    match factor {
        Factor::Totp => {
            let key = secret_of(db, cfg, user_id).await?;
            let now_s = (now_ms() / 1000.0) as u64;
            let invalid = || {
                err(
                    ErrorCode::Unauthorized,
                    "INVALID_CODE",
                    "the code is not valid",
                )
            };
            let step = totp::verify(&key, code, now_s, 1, params()).ok_or_else(invalid)?;
            // Each step's code is good once: a code seen on the wire cannot be replayed
            // within its window.
            if !store::use_totp_step(db, user_id, step).await? {
                return Err(invalid());
            }
            Ok(())
        }
        Factor::Backup => {
            let row = store::two_factor(db, user_id).await?.ok_or_else(|| {
                err(
                    ErrorCode::BadRequest,
                    "BACKUP_CODES_NOT_ENABLED",
                    "no backup codes for this account",
                )
            })?;
            let mut codes = row.codes();
            if !backup::redeem(&mut codes, code) {
                return Err(err(
                    ErrorCode::Unauthorized,
                    "INVALID_BACKUP_CODE",
                    "the backup code is not valid",
                ));
            }
            let rest = serde_json::to_string(&codes).map_err(|_| ApiError::internal())?;
            if !store::swap_backup_codes(db, user_id, &row.backup_codes, &rest).await? {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "this backup code was just used",
                ));
            }
            Ok(())
        }
    }
}
