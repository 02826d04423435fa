//! Calling another NNO service through its service binding, carrying the request id
//! and trace context so one request can be followed across every hop.

use crate::context::RequestContext;
use nno_core::{ApiError, ErrorCode, Service};
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
}
