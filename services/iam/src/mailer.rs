//! Sending e-mail through Resend's API (`POST /emails`). Locally and in tests the base
//! URL points at the sandbox, which captures what would have been sent.

use nno_core::{ApiError, ErrorCode};
use nno_worker::mail::MailConfig;
use nno_worker::runtime::now_ms;
use nno_worker::RequestContext;
use worker::Env;

pub use nno_worker::mail::Mail;

/// Most e-mails one address receives per window, whatever asks for them (links,
/// invitations): enough for a person retrying, too few to flood a mailbox.
pub const MAX_PER_RECIPIENT: u32 = 8;
pub const RECIPIENT_WINDOW_MS: f64 = 10.0 * 60.0 * 1000.0;

/// Sends `mail`, within each recipient's cap (429 past it). A missing configuration
/// is a 503 naming what to set.
pub async fn send(env: &Env, ctx: &RequestContext, mail: &Mail<'_>) -> Result<(), ApiError> {
    let cfg = MailConfig::load(env).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "e-mail is not configured (RESEND_API_KEY)",
        )
    })?;
    let db = crate::store::db(env, ctx)?;
    for to in mail.to {
        let within = crate::store::count_mail(
            &db,
            &to.to_ascii_lowercase(),
            MAX_PER_RECIPIENT,
            RECIPIENT_WINDOW_MS,
            now_ms(),
        )
        .await?;
        if !within {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                "too many e-mails to this address; try again in a few minutes",
            )
            .with_retry_after((RECIPIENT_WINDOW_MS / 1000.0) as u64));
        }
    }
    nno_worker::mail::send("iam", &cfg, mail).await
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
