//! Calls to the Stripe API (`nno_worker::outbound`, with its deadline): form bodies,
//! `Authorization: Bearer`, a pinned `Stripe-Version`, and an `Idempotency-Key` on
//! every POST that creates or changes something, derived from what the call means so
//! that a retried request cannot do it twice. Stripe's own errors become 502
//! `UPSTREAM_ERROR` naming Stripe's code (never its message to the client: it can
//! echo parameters), 429 and 5xx a 503 to retry.

use crate::config::StripeConfig;
use nno_billing::stripe::{Form, StripeError};
use nno_core::{ApiError, ErrorCode};
use nno_worker::outbound::{self, Body};
use serde_json::{json, Value};
use worker::Method;

/// The API version billing reads: items carry the period, invoices their parent.
pub const API_VERSION: &str = "2026-10-28.endive";
const SYSTEM: &str = "Stripe";

pub struct Stripe {
    config: StripeConfig,
}

impl Stripe {
    pub fn new(config: StripeConfig) -> Stripe {
        Stripe { config }
    }

    pub fn test_clocks(&self) -> bool {
        self.config.test_clocks
    }

    pub async fn get(&self, path: &str, query: &Form) -> Result<Value, ApiError> {
        let q = query.query();
        let url = if q.is_empty() {
            format!("{}{path}", self.config.base)
        } else {
            format!("{}{path}?{q}", self.config.base)
        };
        self.send(Method::Get, &url, Body::None, None).await
    }

    pub async fn post(
        &self,
        path: &str,
        form: &Form,
        idempotency_key: Option<&str>,
    ) -> Result<Value, ApiError> {
        let url = format!("{}{path}", self.config.base);
        let pairs = form.pairs();
        self.send(Method::Post, &url, Body::Form(&pairs), idempotency_key)
            .await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Body<'_>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, ApiError> {
        let auth = format!("Bearer {}", self.config.key);
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("stripe-version", API_VERSION),
        ];
        if let Some(k) = idempotency_key {
            headers.push(("idempotency-key", k));
        }
        let reply = outbound::call(SYSTEM, method, url, &headers, body).await?;
        if reply.ok() {
            return Ok(reply.body);
        }
        Err(failure(reply.status, &reply.body))
    }
}

/// A refused or failed Stripe call, as billing answers it.
pub fn failure(status: u16, body: &Value) -> ApiError {
    let e = StripeError::read(body);
    let details = json!({
        "system": SYSTEM,
        "status": status,
        "stripeType": e.as_ref().map(|e| e.kind.clone()),
        "stripeCode": e.as_ref().and_then(|e| e.code.clone()),
        "stripeParam": e.as_ref().and_then(|e| e.param.clone()),
    });
    let cause = format!(
        "Stripe {status}: {}",
        e.as_ref()
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| "no error body".into())
    );
    let (code, message) = match status {
        429 => (
            ErrorCode::UpstreamUnavailable,
            "Stripe is rate limiting; try again shortly",
        ),
        s if s >= 500 => (
            ErrorCode::UpstreamUnavailable,
            "Stripe failed; try again shortly",
        ),
        _ => (ErrorCode::UpstreamError, "Stripe refused the request"),
    };
    let err = ApiError::new(code, message)
        .with_details(details)
        .with_cause(cause);
    if code == ErrorCode::UpstreamUnavailable {
        err.with_retry_after(5)
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_errors_name_the_code_not_the_message() {
        let body = json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
            "message": "No such customer: 'cus_secret'", "param": "customer"}});
        let e = failure(404, &body);
        assert_eq!(e.status(), 502);
        assert_eq!(e.details["stripeCode"], "resource_missing");
        assert!(!e.to_json("r").contains("cus_secret"));
        assert!(e.cause.unwrap().contains("cus_secret"));
        assert_eq!(failure(429, &json!({})).status(), 503);
        assert_eq!(failure(500, &Value::Null).status(), 503);
    }
}
