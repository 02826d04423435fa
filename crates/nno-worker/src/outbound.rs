//! Calls to external HTTP APIs (Resend, OAuth providers; later Stripe and Cloudflare):
//! JSON or form bodies, a bounded wait, and failures turned into 502/503/504 envelopes
//! that name the system but never echo its credentials.

use nno_core::{ApiError, ErrorCode};
use serde_json::Value;
use worker::{Fetch, Headers, Method, Request, RequestInit};

/// What came back: status and body parsed as JSON (`Null` if it was not JSON).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

pub enum Body<'a> {
    None,
    Json(&'a Value),
    Form(&'a [(&'a str, &'a str)]),
}

fn unreachable_system(system: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UpstreamUnavailable,
        format!("{system} could not be reached"),
    )
}

/// Sends one request. `headers` are added as given (e.g. `authorization`).
pub async fn call(
    system: &str,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Body<'_>,
) -> Result<Reply, ApiError> {
    let h = Headers::new();
    let _ = h.set("accept", "application/json");
    let _ = h.set("user-agent", "nno");
    for (k, v) in headers {
        h.set(k, v).map_err(|_| ApiError::internal())?;
    }
    let mut init = RequestInit::new();
    init.with_method(method);
    match body {
        Body::None => {}
        Body::Json(v) => {
            let _ = h.set("content-type", "application/json");
            init.with_body(Some(v.to_string().into()));
        }
        Body::Form(pairs) => {
            let _ = h.set("content-type", "application/x-www-form-urlencoded");
            let form: Vec<String> = pairs
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}={}",
                        nno_core::urls::encode(k),
                        nno_core::urls::encode(v)
                    )
                })
                .collect();
            init.with_body(Some(form.join("&").into()));
        }
    }
    init.with_headers(h);
    let req = Request::new_with_init(url, &init).map_err(|_| unreachable_system(system))?;
    let mut resp = Fetch::Request(req)
        .send()
        .await
        .map_err(|_| unreachable_system(system))?;
    let status = resp.status_code();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply { status, body })
}
