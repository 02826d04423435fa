//! The flows that go through an e-mailed link, in Better Auth's shapes: password reset
//! (`request-password-reset`, also under its older name `forget-password`, then
//! `reset-password/{token}` and `reset-password`), e-mail verification
//! (`send-verification-email`, `verify-email`) and magic-link sign-in
//! (`sign-in/magic-link`, `magic-link/verify`). Tokens are single use and stored only
//! as hashes in `verification`.

use crate::caller::current;
use crate::config::IamConfig;
use crate::handlers::{check_password, hash_password, id, invalid};
use crate::signin::{self, Signed};
use crate::{mailer, query, store};
use nno_auth::{session, validate};
use nno_core::urls::{encode, with_query};
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::runtime::{now_ms, random_array};
use nno_worker::{respond, ApiResult, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use worker::{Env, Request};

const RESET_TTL_MS: f64 = 3600.0 * 1000.0;
const VERIFY_TTL_MS: f64 = 3600.0 * 1000.0;
const MAGIC_TTL_MS: f64 = 300.0 * 1000.0;

fn new_token() -> String {
    session::new_token(random_array())
}

fn identifier(purpose: &str, token: &str) -> String {
    format!("{purpose}:{}", session::token_hash(token))
}

fn ok_status(ctx: &RequestContext) -> ApiResult {
    Ok(respond::json(
        200,
        &json!({ "status": true }),
        &ctx.request_id,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetRequest {
    email: String,
    #[serde(default)]
    redirect_to: Option<String>,
}

/// Always the same answer, whether or not the address has an account.
pub async fn request_reset(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: ResetRequest = read_json(&mut req, DEFAULT_LIMIT).await?;
    let email = validate::normalize_email(&body.email);
    if !validate::email(&email) {
        return Err(invalid("email", "email is not a valid address"));
    }
    let cfg = IamConfig::load(env)?;
    cfg.require_trusted(body.redirect_to.as_deref(), "redirectTo")?;
    let db = store::db(env, ctx)?;
    if let Some(user) = store::user_with_password(&db, &email).await? {
        // After the answer, so its timing does not tell whether the address is known.
        let env = env.clone();
        let redirect_to = body.redirect_to.unwrap_or_default();
        let bg = ctx.clone();
        let link = async move { send_reset_link(&env, &bg, &user.id, &email, &redirect_to).await };
        ctx.in_background(log_failure("reset", link));
    }
    Ok(respond::json(
        200,
        &json!({ "status": true, "message": "If this email exists in our system, check your email for the reset link" }),
        &ctx.request_id,
    ))
}

async fn send_reset_link(
    env: &Env,
    ctx: &RequestContext,
    user_id: &str,
    email: &str,
    redirect_to: &str,
) -> Result<(), ApiError> {
    let cfg = IamConfig::load(env)?;
    let db = store::db(env, ctx)?;
    let token = new_token();
    let now = now_ms();
    // One live reset link per account: a new one replaces the last.
    store::replace_reset_token(
        &db,
        &id(),
        &identifier("reset-password", &token),
        user_id,
        now + RESET_TTL_MS,
        now,
    )
    .await?;
    let url = format!(
        "{}/reset-password/{token}?callbackURL={}",
        cfg.auth_url,
        encode(redirect_to)
    );
    let line = "Someone asked to reset the password of your account. If it was you, follow the link within an hour; otherwise ignore this e-mail.";
    mailer::send(
        env,
        ctx,
        &mailer::Mail {
            to: &[email],
            subject: "Reset your password",
            text: format!("{line}\n\nReset token: {token}\nReset: {url}\n"),
            html: mailer::html(line, "Reset your password", &url),
        },
    )
    .await
}

/// Work done after the answer: nobody is left to tell of a failure, so it is logged.
async fn log_failure(
    what: &'static str,
    work: impl std::future::Future<Output = Result<(), ApiError>>,
) {
    if let Err(e) = work.await {
        nno_worker::log::event(
            "error",
            "iam",
            "an e-mailed link could not be sent",
            json!({ "link": what, "code": e.code.as_str(), "error": e.message }),
        );
    }
}

/// `GET reset-password/{token}?callbackURL=`: the link in the e-mail. Sends the browser
/// on to the app's reset page with the token (or `error=INVALID_TOKEN`).
pub async fn reset_link(req: &Request, env: &Env, ctx: &RequestContext, token: &str) -> ApiResult {
    let cfg = IamConfig::load(env)?;
    let q = query::of(req);
    let callback = q.get("callbackURL").filter(|c| !c.is_empty());
    cfg.require_trusted(callback, "callbackURL")?;
    let db = store::db(env, ctx)?;
    let valid = token.len() <= 128
        && store::peek_verification(&db, &identifier("reset-password", token), now_ms())
            .await?
            .is_some();
    match (callback, valid) {
        (Some(cb), true) => Ok(respond::redirect(
            &cfg.absolute(&with_query(cb, "token", token)),
            &ctx.request_id,
        )),
        (Some(cb), false) => Ok(respond::redirect(
            &cfg.absolute(&with_query(cb, "error", "INVALID_TOKEN")),
            &ctx.request_id,
        )),
        (None, true) => Ok(respond::json(
            200,
            &json!({ "status": true, "token": token }),
            &ctx.request_id,
        )),
        (None, false) => Err(invalid_token()),
    }
}

fn invalid_token() -> ApiError {
    ApiError::new(ErrorCode::BadRequest, "the link is invalid or has expired")
        .with_reason("INVALID_TOKEN")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Reset {
    new_password: String,
    #[serde(default)]
    token: Option<String>,
}

/// Sets the new password and ends every session of the account.
pub async fn reset(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: Reset = read_json(&mut req, DEFAULT_LIMIT).await?;
    let token = body
        .token
        .or_else(|| query::of(&req).get("token").map(str::to_string))
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(invalid_token)?;
    check_password(&body.new_password, "newPassword")?;
    let db = store::db(env, ctx)?;
    let now = now_ms();
    let user_id = store::take_verification(&db, &identifier("reset-password", &token), now)
        .await?
        .ok_or_else(invalid_token)?;
    let hash = hash_password(&body.new_password).await?;
    // The link proved the address: an account never verified becomes the prover's,
    // without what someone else may have set up on it.
    if store::user_by_id(&db, &user_id)
        .await?
        .is_some_and(|u| !u.email_verified)
    {
        store::claim_unverified(&db, &user_id, now).await?;
    }
    store::reset_password(&db, &user_id, &id(), &hash, now).await?;
    ok_status(ctx)
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyValue {
    user_id: String,
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SendVerification {
    email: String,
    #[serde(default, rename = "callbackURL")]
    callback_url: Option<String>,
}

pub async fn send_verification(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: SendVerification = read_json(&mut req, DEFAULT_LIMIT).await?;
    let email = validate::normalize_email(&body.email);
    if !validate::email(&email) {
        return Err(invalid("email", "email is not a valid address"));
    }
    let cfg = IamConfig::load(env)?;
    cfg.require_trusted(body.callback_url.as_deref(), "callbackURL")?;
    let db = store::db(env, ctx)?;
    let user = match current(&req, env, &cfg, ctx).await? {
        Some(me) => {
            if me.user.email != email {
                return Err(ApiError::new(
                    ErrorCode::BadRequest,
                    "this is not your session's e-mail",
                )
                .with_reason("EMAIL_MISMATCH"));
            }
            if me.user.email_verified {
                return Err(
                    ApiError::new(ErrorCode::Conflict, "the e-mail is already verified")
                        .with_reason("EMAIL_ALREADY_VERIFIED"),
                );
            }
            Some((me.user.id, me.user.email, true))
        }
        // Without a session the answer is the same whether the address is known.
        None => store::user_with_password(&db, &email)
            .await?
            .filter(|u| !u.email_verified)
            .map(|u| (u.id, u.email, false)),
    };
    let callback = body.callback_url.unwrap_or_else(|| "/".to_string());
    match user {
        // The caller's own address: they may as well hear if sending fails.
        Some((user_id, email, true)) => {
            send_verification_link(env, ctx, user_id, email, &callback).await?
        }
        // Any address: after the answer, so its timing tells nothing.
        Some((user_id, email, false)) => {
            let env = env.clone();
            let bg = ctx.clone();
            let link =
                async move { send_verification_link(&env, &bg, user_id, email, &callback).await };
            ctx.in_background(log_failure("verify-email", link));
        }
        None => {}
    }
    ok_status(ctx)
}

async fn send_verification_link(
    env: &Env,
    ctx: &RequestContext,
    user_id: String,
    email: String,
    callback: &str,
) -> Result<(), ApiError> {
    let cfg = IamConfig::load(env)?;
    let db = store::db(env, ctx)?;
    let token = new_token();
    let now = now_ms();
    let value = serde_json::to_string(&VerifyValue {
        user_id,
        email: email.clone(),
    })
    .map_err(|_| ApiError::internal())?;
    store::put_verification(
        &db,
        &id(),
        &identifier("verify-email", &token),
        &value,
        now + VERIFY_TTL_MS,
        now,
    )
    .await?;
    let url = format!(
        "{}/verify-email?token={token}&callbackURL={}",
        cfg.auth_url,
        encode(callback)
    );
    let line = "Confirm that this is your e-mail address.";
    mailer::send(
        env,
        ctx,
        &mailer::Mail {
            to: &[&email],
            subject: "Verify your e-mail address",
            text: format!("{line}\n\nVerification token: {token}\nVerify: {url}\n"),
            html: mailer::html(line, "Verify your e-mail", &url),
        },
    )
    .await
}

pub async fn verify_email(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let cfg = IamConfig::load(env)?;
    let q = query::of(req);
    let callback = q.get("callbackURL").filter(|c| !c.is_empty());
    cfg.require_trusted(callback, "callbackURL")?;
    let token = q.get("token").filter(|t| !t.is_empty() && t.len() <= 128);
    let db = store::db(env, ctx)?;
    let now = now_ms();
    let value: Option<VerifyValue> = match token {
        Some(t) => store::take_verification(&db, &identifier("verify-email", t), now)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok()),
        None => None,
    };
    let verified = match &value {
        Some(v) => store::mark_verified(&db, &v.user_id, &v.email, now).await?,
        None => false,
    };
    match (callback, verified) {
        (Some(cb), true) => Ok(respond::redirect(&cfg.absolute(cb), &ctx.request_id)),
        (Some(cb), false) => Ok(respond::redirect(
            &cfg.absolute(&with_query(cb, "error", "INVALID_TOKEN")),
            &ctx.request_id,
        )),
        (None, true) => Ok(respond::json(
            200,
            &json!({ "status": true, "user": null }),
            &ctx.request_id,
        )),
        (None, false) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the link is invalid or has expired",
        )
        .with_reason("INVALID_TOKEN")),
    }
}

#[derive(Serialize, Deserialize)]
struct MagicValue {
    email: String,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MagicLink {
    email: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "callbackURL")]
    callback_url: Option<String>,
    #[serde(default, rename = "newUserCallbackURL")]
    new_user_callback_url: Option<String>,
    #[serde(default, rename = "errorCallbackURL")]
    error_callback_url: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

pub async fn send_magic_link(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: MagicLink = read_json(&mut req, DEFAULT_LIMIT).await?;
    let email = validate::normalize_email(&body.email);
    if !validate::email(&email) {
        return Err(invalid("email", "email is not a valid address"));
    }
    if body.name.as_deref().is_some_and(|n| !validate::name(n)) {
        return Err(invalid("name", "name must be 1 to 100 characters"));
    }
    let cfg = IamConfig::load(env)?;
    cfg.require_trusted(body.callback_url.as_deref(), "callbackURL")?;
    cfg.require_trusted(body.new_user_callback_url.as_deref(), "newUserCallbackURL")?;
    cfg.require_trusted(body.error_callback_url.as_deref(), "errorCallbackURL")?;
    let db = store::db(env, ctx)?;
    let token = new_token();
    let now = now_ms();
    let value = serde_json::to_string(&MagicValue {
        email: email.clone(),
        name: body.name.map(|n| n.trim().to_string()),
    })
    .map_err(|_| ApiError::internal())?;
    store::put_verification(
        &db,
        &id(),
        &identifier("magic-link", &token),
        &value,
        now + MAGIC_TTL_MS,
        now,
    )
    .await?;
    let mut url = format!(
        "{}/magic-link/verify?token={token}&callbackURL={}",
        cfg.auth_url,
        encode(body.callback_url.as_deref().unwrap_or("/"))
    );
    for (k, v) in [
        ("newUserCallbackURL", &body.new_user_callback_url),
        ("errorCallbackURL", &body.error_callback_url),
    ] {
        if let Some(v) = v {
            url = with_query(&url, k, v);
        }
    }
    let line = "Follow this link within 5 minutes to sign in. If you did not ask for it, ignore this e-mail.";
    mailer::send(
        env,
        ctx,
        &mailer::Mail {
            to: &[&email],
            subject: "Your sign-in link",
            text: format!("{line}\n\nSign-in token: {token}\nSign in: {url}\n"),
            html: mailer::html(line, "Sign in", &url),
        },
    )
    .await?;
    ok_status(ctx)
}

pub async fn verify_magic_link(req: &Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let cfg = IamConfig::load(env)?;
    let q = query::of(req);
    let callback = q.get("callbackURL").filter(|c| !c.is_empty());
    let new_user = q.get("newUserCallbackURL").filter(|c| !c.is_empty());
    let on_error = q.get("errorCallbackURL").filter(|c| !c.is_empty());
    cfg.require_trusted(callback, "callbackURL")?;
    cfg.require_trusted(new_user, "newUserCallbackURL")?;
    cfg.require_trusted(on_error, "errorCallbackURL")?;
    let db = store::db(env, ctx)?;
    let now = now_ms();
    let value: Option<MagicValue> = match q.get("token").filter(|t| !t.is_empty() && t.len() <= 128)
    {
        Some(t) => store::take_verification(&db, &identifier("magic-link", t), now)
            .await?
            .and_then(|v| serde_json::from_str(&v).ok()),
        None => None,
    };
    let Some(value) = value else {
        return match on_error.or(callback) {
            Some(cb) => Ok(respond::redirect(
                &cfg.absolute(&with_query(cb, "error", "INVALID_TOKEN")),
                &ctx.request_id,
            )),
            None => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "the link is invalid or has expired",
            )
            .with_reason("INVALID_TOKEN")),
        };
    };
    let (user, is_new) = match store::user_with_password(&db, &value.email).await? {
        Some(u) if !u.email_verified => {
            store::claim_unverified(&db, &u.id, now).await?;
            (
                store::user_by_id(&db, &u.id)
                    .await?
                    .ok_or_else(ApiError::internal)?,
                false,
            )
        }
        Some(u) => (u, false),
        None => {
            let new_id = id();
            let name = value.name.unwrap_or_default();
            store::create_passwordless_user(&db, &new_id, &name, &value.email, None, true, now)
                .await?;
            let u = store::user_with_password(&db, &value.email)
                .await?
                .ok_or_else(ApiError::internal)?;
            let fresh = u.id == new_id;
            (u, fresh)
        }
    };
    // The link proves the address, not the second factor.
    let (token, cookies) = match signin::finish(req, &db, &cfg, &user, true, ctx).await? {
        Signed::Challenge(challenge) => return Ok(challenge),
        Signed::In { token, cookies } => (token, cookies),
    };
    let target = if is_new {
        new_user.or(callback)
    } else {
        callback
    };
    let answer = match target {
        Some(cb) => respond::redirect(&cfg.absolute(cb), &ctx.request_id),
        None => signin::session_json(&token, &user, ctx),
    };
    Ok(signin::with_cookies(answer, &cookies))
}
