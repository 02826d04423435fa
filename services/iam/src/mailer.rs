//! Sending e-mail through Resend's API (`POST /emails`). Locally and in tests the base
//! URL points at the sandbox, which captures what would have been sent.

use crate::config::MailConfig;
use nno_core::{ApiError, ErrorCode};
use nno_worker::outbound::{self, Body};
use serde_json::json;
use worker::{Env, Method};

pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
}

/// Sends `mail`. A missing configuration is a 503 naming what to set.
pub async fn send(env: &Env, mail: &Mail<'_>) -> Result<(), ApiError> {
    let cfg = MailConfig::load(env).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "e-mail is not configured (RESEND_API_KEY)",
        )
    })?;
    let auth = format!("Bearer {}", cfg.api_key);
    let body = json!({
        "from": cfg.from, "to": [mail.to], "subject": mail.subject,
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
    nno_worker::log::event(
        "error",
        "iam",
        "e-mail API refused a message",
        json!({ "status": reply.status, "name": reply.body["name"] }),
    );
    Err(ApiError::new(
        ErrorCode::UpstreamError,
        "the e-mail could not be sent",
    ))
}

/// A minimal HTML body: one line of text and one link.
pub fn html(line: &str, link_text: &str, url: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        "<p>{}</p><p><a href=\"{}\">{}</a></p>",
        esc(line),
        esc(url),
        esc(link_text)
    )
}
