//! Calling another NNO service through its service binding, carrying the request id
//! and trace context so one request can be followed across every hop.

use crate::context::RequestContext;
use nno_core::error::Envelope;
use nno_core::{ApiError, ErrorCode, Service};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Env, Fetcher, Headers, Method, Request, RequestInit, Response};

pub struct ServiceClient {
    service: Service,
    fetcher: Fetcher,
}

impl ServiceClient {
    /// The client for `service`, or 503 if this Worker has no binding to it.
    pub fn new(env: &Env, service: Service) -> Result<ServiceClient, ApiError> {
        let fetcher = env.service(service.binding()).map_err(|_| {
            ApiError::new(
                ErrorCode::ServiceUnavailable,
                format!("no binding to the {service} service"),
            )
        })?;
        Ok(ServiceClient { service, fetcher })
    }

    pub fn service(&self) -> Service {
        self.service
    }

    /// Sends `method path` (path relative to the service root) with an optional JSON
    /// body. Transport failures become `UPSTREAM_UNAVAILABLE`.
    pub async fn send(
        &self,
        ctx: &RequestContext,
        method: Method,
        path: &str,
        json_body: Option<String>,
    ) -> Result<Response, ApiError> {
        self.send_as(ctx, method, path, json_body, None, Headers::new())
            .await
    }

    /// `send`, vouching for `identity` (signed with the internal key, as the gateway
    /// does), with extra `headers`.
    pub async fn send_as(
        &self,
        ctx: &RequestContext,
        method: Method,
        path: &str,
        json_body: Option<String>,
        identity: Option<(&str, &str)>,
        headers: Headers,
    ) -> Result<Response, ApiError> {
        if let Some((key, identity_json)) = identity {
            // `path` (with any query) is signed as given: callers pass it in the form
            // the URL parser leaves unchanged, which is what the service will see.
            let bound = crate::caller::Bound {
                request_id: &ctx.request_id,
                service: self.service.name(),
                method: method.as_ref(),
                target: path,
            };
            crate::caller::attach(&headers.0, key, identity_json, &bound);
        }
        ctx.propagate(&headers.0);
        let mut init = RequestInit::new();
        init.with_method(method);
        if let Some(body) = json_body {
            let _ = headers.set("content-type", "application/json");
            init.with_body(Some(body.into()));
        }
        init.with_headers(headers);
        // Service bindings ignore the host; it only has to be a valid URL.
        let url = format!("https://{}.internal{path}", self.service.name());
        let req = Request::new_with_init(&url, &init)
            .map_err(|_| ApiError::new(ErrorCode::BadRequest, "invalid upstream path"))?;
        self.fetcher.fetch_request(req).await.map_err(|e| {
            ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("the {} service could not be reached", self.service),
            )
            .with_details(
                serde_json::json!({ "service": self.service.name(), "cause": e.to_string() }),
            )
        })
    }

    /// A typed call: `body` as JSON, the answer parsed as `Resp` (a contract type of
    /// `nno_core::contracts`). A non-2xx answer is the upstream's own error (its code,
    /// so a 401 stays a 401); an answer that does not parse is 502 `UPSTREAM_ERROR`,
    /// never a half-read value.
    pub async fn call<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        ctx: &RequestContext,
        method: Method,
        path: &str,
        body: Option<&Req>,
        identity: Option<(&str, &str)>,
        headers: Headers,
    ) -> Result<Resp, ApiError> {
        let json = match body {
            Some(b) => Some(serde_json::to_string(b).map_err(|e| {
                ApiError::internal().with_cause(format!("encoding a {} request: {e}", self.service))
            })?),
            None => None,
        };
        let mut resp = self
            .send_as(ctx, method, path, json, identity, headers)
            .await?;
        let status = resp.status_code();
        let text = resp.text().await.unwrap_or_default();
        let unreadable = |e: serde_json::Error| {
            ApiError::new(
                ErrorCode::UpstreamError,
                format!("the {} service sent an unreadable answer", self.service),
            )
            .with_details(serde_json::json!({ "service": self.service.name(), "status": status }))
            .with_cause(format!("{} {path}: {e}", self.service))
        };
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(unreadable);
        }
        let envelope: Envelope = serde_json::from_str(&text).map_err(unreadable)?;
        Err(ApiError::new(envelope.error.code, envelope.error.message)
            .with_details(envelope.error.details)
            .with_cause(format!("{} answered {status}", self.service)))
    }
}
