//! One HTTPS exchange with the API: a budget token first, Bearer auth, a deadline
//! over the whole exchange (`AbortSignal.timeout`), the envelope parsed.

use super::{wire, CfError, CfResult, Cloudflare};
use serde_json::Value;
use worker::{web_sys, AbortSignal, Fetch, Headers, Method, Request, RequestInit};

pub enum Body<'a> {
    None,
    Json(&'a Value),
    Multipart { boundary: &'a str, bytes: &'a [u8] },
}

impl Cloudflare {
    /// `method path` (relative to the base URL, query included).
    pub(super) async fn call(&self, method: Method, path: &str, body: Body<'_>) -> CfResult<Value> {
        crate::budget::take(&self.env).await?;
        self.calls.set(self.calls.get() + 1);
        let headers = Headers::new();
        let set = |k: &str, v: &str| {
            headers
                .set(k, v)
                .map_err(|_| CfError::Config(format!("header {k}")))
        };
        set("authorization", &format!("Bearer {}", self.token))?;
        set("accept", "application/json")?;
        set("user-agent", "nno-provisioning")?;
        let mut init = RequestInit::new();
        init.with_method(method);
        match body {
            Body::None => {}
            Body::Json(v) => {
                set("content-type", "application/json")?;
                init.with_body(Some(v.to_string().into()));
            }
            Body::Multipart { boundary, bytes } => {
                set(
                    "content-type",
                    &format!("multipart/form-data; boundary={boundary}"),
                )?;
                init.with_body(Some(js_sys::Uint8Array::from(bytes).into()));
            }
        }
        init.with_headers(headers);
        let url = format!("{}{path}", self.base);
        let req = Request::new_with_init(&url, &init)
            .map_err(|_| CfError::Config(format!("bad URL for {path}")))?;
        let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(self.timeout_ms));
        let mut resp = Fetch::Request(req)
            .send_with_signal(&signal)
            .await
            .map_err(|_| CfError::Transport {
                timed_out: signal.aborted(),
            })?;
        let status = resp.status_code();
        let h = resp.headers();
        let retry_after = wire::retry_after(
            h.get("retry-after").ok().flatten().as_deref(),
            h.get("retry-after-ms").ok().flatten().as_deref(),
        );
        let text = resp.text().await.map_err(|_| CfError::Transport {
            timed_out: signal.aborted(),
        })?;
        let answer = wire::parse_answer(status, retry_after, &text);
        if let Err(CfError::Api {
            status: 429,
            retry_after,
            ..
        }) = &answer
        {
            // Over Cloudflare's limit every call is refused for a while: stop them all.
            crate::budget::block(&self.env, retry_after.unwrap_or(60)).await;
        }
        answer
    }
}
