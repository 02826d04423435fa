//! Finishing a sign-in, the same way for every first factor (password, magic link,
//! social sign-in): the two-factor gate (a challenge, unless the browser is a trusted
//! device of this user, whose cookie is then used up and replaced), then a session and
//! its cookie. Each path only shapes the answer (JSON or a redirect).

use crate::config::IamConfig;
use crate::handlers::{new_session, session_ids, with_cookie, Client};
use crate::store::{self, UserRow};
use crate::twofactor::{self, Gate};
use nno_core::ApiError;
use nno_worker::d1::Db;
use nno_worker::{respond, RequestContext};
use serde_json::json;
use worker::{Request, Response};

/// Where a sign-in stands once the first factor is proven.
pub enum Signed {
    /// A new session: its token, and the Set-Cookie values to send (the session's,
    /// then a replaced trust cookie, if any).
    In { token: String, cookies: Vec<String> },
    /// Two-factor is on and the browser is not trusted: answer this challenge instead.
    Challenge(Response),
}

/// The one way a proven first factor becomes a session.
pub async fn finish(
    req: &Request,
    db: &Db,
    cfg: &IamConfig,
    user: &UserRow,
    remember: bool,
    ctx: &RequestContext,
) -> Result<Signed, ApiError> {
    let mut trusted = None;
    if user.two_factor_enabled {
        match twofactor::gate(req, db, cfg, &user.id, remember, ctx).await? {
            Gate::Challenge(challenge) => return Ok(Signed::Challenge(challenge)),
            Gate::Trusted(cookie) => trusted = Some(cookie),
        }
    }
    let (token, session_cookie) = open_session(req, db, cfg, &user.id, remember).await?;
    Ok(Signed::In {
        token,
        cookies: std::iter::once(session_cookie).chain(trusted).collect(),
    })
}

/// A new session for `user_id` (also where a completed two-factor challenge ends):
/// the token and its Set-Cookie.
pub async fn open_session(
    req: &Request,
    db: &Db,
    cfg: &IamConfig,
    user_id: &str,
    remember: bool,
) -> Result<(String, String), ApiError> {
    let ids = session_ids();
    let client = Client::of(req);
    let (s, issued) = new_session(cfg, &client, user_id, &ids, remember);
    store::create_session(db, &s).await?;
    Ok((issued.token, issued.set_cookie))
}

/// `{token, user}`, Better Auth's answer to a completed sign-in.
pub fn session_json(token: &str, user: &UserRow, ctx: &RequestContext) -> Response {
    respond::json(
        200,
        &json!({ "token": token, "user": user.to_dto() }),
        &ctx.request_id,
    )
}

/// `resp` with each Set-Cookie value appended.
pub fn with_cookies(resp: Response, cookies: &[String]) -> Response {
    cookies.iter().fold(resp, |r, c| with_cookie(r, c))
}
