//! Sending e-mail through Resend's API (`POST /emails`), for every service that mails
//! people (iam's links and invitations, billing's usage alerts to a tenant's owners).
//! Configuration://! secret `RESEND_API_KEY`, vars `RESEND_API_URL` (locally the sandbox, which captures
//! what would have been sent) and `EMAIL_FROM`.

use crate::outbound::{self, Body};
use nno_core::{ApiError, ErrorCode};
use serde_json::json;
use worker::{Env, Method};

pub struct MailConfig {
    pub api_url: String,
    pub api_key: String,
    pub from: String,
}

impl MailConfig {
    /// `None` when there is no key (the caller answers 503 naming it).
    pub fn load(env: &Env) -> Option<MailConfig> {
        let api_key = env
            .secret("RESEND_API_KEY")
            .ok()
            .map(|s| s.to_string())
            .filter(|k| !k.is_empty())?;
        let var = |n: &str| crate::config::var(env, n).filter(|v| !v.is_empty());
        Some(MailConfig {
            api_url: var("RESEND_API_URL")
                .unwrap_or_else(|| "https://api.resend.com".into())
                .trim_end_matches('/')
                .to_string(),
            api_key,
            from: var("EMAIL_FROM").unwrap_or_else(|| "NNO <no-reply@nno.app>".into()),
        })
    }
}

/// Most recipients of one message (Resend's limit).
pub const MAX_RECIPIENTS: usize = 50;

pub struct Mail<'a> {
    /// 1 to `MAX_RECIPIENTS` addresses; several see each other's.
    pub to: &'a [&'a str],
    pub subject: &'a str,
    pub text: String,
    pub html: String,
}

/// Sends one message (to all of `mail.to` at once: it is sent whole or not at all, so
/// a retry after a failure never mails some of them twice); a refusal is logged (with
/// Resend's error name, never the message) and answered 502.
pub async fn send(service: &str, cfg: &MailConfig, mail: &Mail<'_>) -> Result<(), ApiError> {
    if mail.to.is_empty() || mail.to.len() > MAX_RECIPIENTS {
        return Err(
            ApiError::internal().with_cause(format!("a message for {} recipients", mail.to.len()))
        );
    }
    let auth = format!("Bearer {}", cfg.api_key);
    let body = json!({
        "from": cfg.from, "to": mail.to, "subject": mail.subject,
        "text": mail.text, "html": mail.html,
    });
    let url = format!("{}/emails", cfg.api_url);
    let reply = outbound::call(
        "the e-mail API",
        Method::Post,
        &url,
        &[("authorization", &auth)],
        Body::Json(&body),
    )
    .await?;
    if reply.ok() {
        return Ok(());
    }
    crate::log::event(
        "error",
        service,
        "e-mail API refused a message",
        json!({ "status": reply.status, "name": reply.body["name"] }),
    );
    Err(ApiError::new(
        ErrorCode::UpstreamError,
        "the e-mail could not be sent",
    ))
}
