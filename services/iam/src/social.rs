//! Social sign-in (OAuth 2.0 authorization code with state and PKCE) with GitHub and
//! Google, in Better Auth's shapes: `POST sign-in/social` answers the provider's
//! authorization URL; the provider sends the browser back to `callback/{provider}`,
//! which exchanges the code, reads the profile, finds or creates the user and the
//! linked account, and redirects with a session. A provider whose credentials are not
//! configured is not offered.

use crate::config::{IamConfig, Provider};
use crate::handlers::{id, invalid, with_cookie};
use crate::signin::{self, Signed};
use crate::{query, store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nno_auth::{pkce, session, validate};
use nno_core::urls::{encode, with_query};
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::outbound::{self, Body};
use nno_worker::runtime::{now_ms, random_array};
use nno_worker::{respond, ApiResult, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Env, Method, Request};

pub const STATE_COOKIE: &str = "better-auth.state";
const STATE_TTL_S: i64 = 600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignIn {
    provider: String,
    #[serde(default, rename = "callbackURL")]
    callback_url: Option<String>,
    #[serde(default, rename = "newUserCallbackURL")]
    new_user_callback_url: Option<String>,
    #[serde(default, rename = "errorCallbackURL")]
    error_callback_url: Option<String>,
    #[serde(default)]
    disable_redirect: Option<bool>,
    #[serde(default)]
    login_hint: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    request_sign_up: Option<bool>,
    #[serde(default)]
    id_token: Option<Value>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    provider: String,
    callback: Option<String>,
    new_user: Option<String>,
    error: Option<String>,
    verifier: String,
}

fn state_identifier(state: &str) -> String {
    format!("oauth-state:{}", session::token_hash(state))
}

pub async fn sign_in(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let body: SignIn = read_json(&mut req, DEFAULT_LIMIT).await?;
    if body.id_token.is_some() {
        return Err(invalid(
            "idToken",
            "sign-in with a provider's id token is not supported; use the redirect flow",
        ));
    }
    if body
        .scopes
        .as_ref()
        .is_some_and(|s| s.len() > 20 || s.iter().any(|x| x.len() > 100))
    {
        return Err(invalid("scopes", "too many or too long scopes"));
    }
    if body.login_hint.as_deref().is_some_and(|h| h.len() > 320) {
        return Err(invalid("loginHint", "loginHint is too long"));
    }
    let cfg = IamConfig::load(env)?;
    cfg.require_trusted(body.callback_url.as_deref(), "callbackURL")?;
    cfg.require_trusted(body.new_user_callback_url.as_deref(), "newUserCallbackURL")?;
    cfg.require_trusted(body.error_callback_url.as_deref(), "errorCallbackURL")?;
    let provider = Provider::load(env, &body.provider).ok_or_else(|| {
        ApiError::not_found(format!("provider {:?}", body.provider))
            .with_reason("PROVIDER_NOT_FOUND")
    })?;
    let state = session::new_token(random_array());
    let verifier = pkce::verifier(random_array());
    let value = serde_json::to_string(&State {
        provider: provider.id.to_string(),
        callback: body.callback_url,
        new_user: body.new_user_callback_url,
        error: body.error_callback_url,
        verifier: verifier.clone(),
    })
    .map_err(|_| ApiError::internal())?;
    let now = now_ms();
    let db = store::db(env, ctx)?;
    store::put_verification(
        &db,
        &id(),
        &state_identifier(&state),
        &value,
        now + (STATE_TTL_S * 1000) as f64,
        now,
    )
    .await?;
    let mut scope = provider.scope.to_string();
    for s in body.scopes.iter().flatten() {
        scope.push(' ');
        scope.push_str(s);
    }
    let mut url = format!(
        "{}?response_type=code&client_id={}&state={}&scope={}&redirect_uri={}&code_challenge_method=S256&code_challenge={}",
        provider.authorize_url,
        encode(&provider.client_id),
        encode(&state),
        encode(&scope),
        encode(&redirect_uri(&cfg, provider.id)),
        pkce::challenge_s256(&verifier),
    );
    if let Some(hint) = body.login_hint.as_deref() {
        url = with_query(
            &url,
            if provider.id == "github" {
                "login"
            } else {
                "login_hint"
            },
            hint,
        );
    }
    let redirect = !body.disable_redirect.unwrap_or(false);
    let mut resp = respond::json(
        200,
        &json!({ "url": url, "redirect": redirect }),
        &ctx.request_id,
    );
    if redirect {
        let _ = resp.headers_mut().set("location", &url);
    }
    Ok(with_cookie(
        resp,
        &session::set_signed_cookie(
            STATE_COOKIE,
            cfg.secret.as_bytes(),
            &state,
            STATE_TTL_S,
            &cfg.cookie(),
        ),
    ))
}

fn redirect_uri(cfg: &IamConfig, provider: &str) -> String {
    format!("{}/callback/{provider}", cfg.auth_url)
}

/// Where a failed callback sends the browser (`?error=`), or a JSON error when the
/// flow gave no error page.
fn fail(cfg: &IamConfig, target: Option<&str>, code: &str, ctx: &RequestContext) -> ApiResult {
    match target {
        Some(t) => Ok(respond::redirect(
            &cfg.absolute(&with_query(t, "error", code)),
            &ctx.request_id,
        )),
        None => Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("social sign-in failed: {code}"),
        )
        .with_details(json!({ "error": code }))),
    }
}

/// The profile a provider vouches for.
struct Profile {
    account_id: String,
    email: String,
    email_verified: bool,
    name: String,
    image: Option<String>,
}

pub async fn callback(
    req: &Request,
    env: &Env,
    ctx: &RequestContext,
    provider_id: &str,
) -> ApiResult {
    let cfg = IamConfig::load(env)?;
    let q = query::of(req);
    let Some(state) = q.get("state").filter(|s| !s.is_empty() && s.len() <= 256) else {
        return fail(&cfg, None, "state_not_found", ctx);
    };
    // The state must come back to the browser that started the flow; checked before
    // the state is used up, so a stray request with someone's state cannot spend it.
    let cookie_state = req
        .headers()
        .get("cookie")
        .ok()
        .flatten()
        .and_then(|c| session::signed_cookie(cfg.secret.as_bytes(), &c, STATE_COOKIE));
    let from_here = cookie_state.as_deref() == Some(state);
    let db = store::db(env, ctx)?;
    let now = now_ms();
    let saved = match from_here {
        true => store::take_verification(&db, &state_identifier(state), now).await?,
        false => store::peek_verification(&db, &state_identifier(state), now).await?,
    };
    let Some(saved) = saved.and_then(|v| serde_json::from_str::<State>(&v).ok()) else {
        return fail(&cfg, None, "state_mismatch", ctx);
    };
    let on_error = saved.error.as_deref().or(saved.callback.as_deref());
    if !from_here || saved.provider != provider_id {
        return fail(&cfg, on_error, "state_mismatch", ctx);
    }
    if let Some(e) = q.get("error") {
        let code: String = e
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return fail(&cfg, on_error, &code, ctx);
    }
    let Some(code) = q.get("code").filter(|c| !c.is_empty() && c.len() <= 512) else {
        return fail(&cfg, on_error, "no_code", ctx);
    };
    let Some(provider) = Provider::load(env, provider_id) else {
        return fail(&cfg, on_error, "oauth_provider_not_found", ctx);
    };
    let token = outbound::call(
        provider.id,
        Method::Post,
        &provider.token_url,
        &[],
        Body::Form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", &saved.verifier),
            ("redirect_uri", &redirect_uri(&cfg, provider.id)),
            ("client_id", &provider.client_id),
            ("client_secret", &provider.client_secret),
        ]),
    )
    .await?;
    if !token.ok() || token.body.get("error").is_some() {
        return fail(&cfg, on_error, "invalid_code", ctx);
    }
    let profile = match provider.id {
        "github" => github_profile(&provider, &token.body).await?,
        _ => google_profile(&provider, &token.body, now),
    };
    let Some(profile) = profile else {
        return fail(&cfg, on_error, "unable_to_get_user_info", ctx);
    };
    let email = validate::normalize_email(&profile.email);
    if !validate::email(&email) {
        return fail(&cfg, on_error, "email_not_found", ctx);
    }
    // Find the user: by the linked account, else by e-mail (linking only when the
    // provider vouches for the address), else a new user.
    let (user_id, is_new) =
        match store::user_of_account(&db, provider.id, &profile.account_id).await? {
            Some(uid) => (uid, false),
            None => match store::user_with_password(&db, &email).await? {
                Some(_) if !profile.email_verified => {
                    return fail(&cfg, on_error, "account_not_linked", ctx)
                }
                Some(u) => {
                    // The provider proved the address: an unverified account with it
                    // is theirs, minus whatever someone else set up on it.
                    if !u.email_verified {
                        store::claim_unverified(&db, &u.id, now).await?;
                    }
                    store::link_account(
                        &db,
                        &id(),
                        provider.id,
                        &profile.account_id,
                        &u.id,
                        provider.scope,
                        now,
                    )
                    .await?;
                    (u.id, false)
                }
                None => {
                    let uid = id();
                    let name: String = profile.name.chars().take(100).collect();
                    // Unverified by the provider means unverified here too, so whoever
                    // later proves the address claims the account (and this link goes).
                    store::create_passwordless_user(
                        &db,
                        &uid,
                        name.trim(),
                        &email,
                        profile.image.as_deref(),
                        profile.email_verified,
                        now,
                    )
                    .await?;
                    let u = store::user_with_password(&db, &email)
                        .await?
                        .ok_or_else(ApiError::internal)?;
                    store::link_account(
                        &db,
                        &id(),
                        provider.id,
                        &profile.account_id,
                        &u.id,
                        provider.scope,
                        now,
                    )
                    .await?;
                    let fresh = u.id == uid;
                    (u.id, fresh)
                }
            },
        };
    let user = store::user_by_id(&db, &user_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let target = if is_new {
        saved.new_user.as_deref().or(saved.callback.as_deref())
    } else {
        saved.callback.as_deref()
    };
    let target = cfg.absolute(target.unwrap_or("/"));
    let clear_state = session::clear_named(STATE_COOKIE, &cfg.cookie());
    let cookies = match signin::finish(req, &db, &cfg, &user, true, ctx).await? {
        Signed::Challenge(challenge) => {
            return Ok(challenge_redirect(&target, challenge, &clear_state, ctx))
        }
        Signed::In { cookies, .. } => cookies,
    };
    let r = signin::with_cookies(respond::redirect(&target, &ctx.request_id), &cookies);
    Ok(with_cookie(r, &clear_state))
}

async fn github_profile(provider: &Provider, token: &Value) -> Result<Option<Profile>, ApiError> {
    let Some(access) = token["access_token"].as_str() else {
        return Ok(None);
    };
    let auth = format!("Bearer {access}");
    let headers = [("authorization", auth.as_str())];
    let user = outbound::call(
        "github",
        Method::Get,
        &format!("{}/user", provider.api_url),
        &headers,
        Body::None,
    )
    .await?;
    if !user.ok() {
        return Ok(None);
    }
    let emails = outbound::call(
        "github",
        Method::Get,
        &format!("{}/user/emails", provider.api_url),
        &headers,
        Body::None,
    )
    .await?;
    let list = emails.body.as_array().cloned().unwrap_or_default();
    let chosen = user.body["email"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            list.iter()
                .find(|e| e["primary"] == true)
                .and_then(|e| e["email"].as_str())
                .map(str::to_string)
        })
        .or_else(|| {
            list.first()
                .and_then(|e| e["email"].as_str())
                .map(str::to_string)
        });
    let Some(email) = chosen else {
        return Ok(None);
    };
    let verified = list
        .iter()
        .any(|e| e["email"].as_str() == Some(email.as_str()) && e["verified"] == true);
    let account_id = match &user.body["id"] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Ok(None),
    };
    let name = user.body["name"]
        .as_str()
        .or(user.body["login"].as_str())
        .unwrap_or("")
        .to_string();
    Ok(Some(Profile {
        account_id,
        email,
        email_verified: verified,
        name,
        image: user.body["avatar_url"].as_str().map(str::to_string),
    }))
}

/// Google's profile is in the id token from the token endpoint, which came straight
/// from Google over TLS (OpenID Connect Core 3.1.3.7 allows that in place of checking
/// the signature); audience, issuer and expiry are still checked.
fn google_profile(provider: &Provider, token: &Value, now: f64) -> Option<Profile> {
    let id_token = token["id_token"].as_str()?;
    let payload = id_token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let iss = claims["iss"].as_str()?;
    if claims["aud"].as_str()? != provider.client_id
        || !matches!(iss, "https://accounts.google.com" | "accounts.google.com")
        || claims["exp"].as_f64()? * 1000.0 <= now
    {
        return None;
    }
    Some(Profile {
        account_id: claims["sub"].as_str()?.to_string(),
        email: claims["email"].as_str()?.to_string(),
        email_verified: claims["email_verified"] == true,
        name: claims["name"].as_str().unwrap_or("").to_string(),
        image: claims["picture"].as_str().map(str::to_string),
    })
}

/// The app's page with `twoFactorRedirect=true`, carrying the challenge's cookies.
fn challenge_redirect(
    target: &str,
    challenge: worker::Response,
    clear_state: &str,
    ctx: &RequestContext,
) -> worker::Response {
    let mut r = respond::redirect(
        &with_query(target, "twoFactorRedirect", "true"),
        &ctx.request_id,
    );
    for c in challenge
        .headers()
        .get_all("set-cookie")
        .unwrap_or_default()
    {
        let _ = r.headers_mut().append("set-cookie", &c);
    }
    with_cookie(r, clear_state)
}
