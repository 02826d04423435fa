//! The per-request context every service builds first: request id, trace context,
//! timing. The gateway creates these; upstream services continue them.

use crate::runtime::{id_random, now_ms};
use nno_core::identity::Identity;
use nno_core::{request_id, routing::split_url, trace::TraceParent, ApiError, ErrorCode, Service};
use std::future::Future;
use std::rc::Rc;
use worker::{web_sys, Context, Request};

#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The service handling the request.
    pub service: Service,
    pub request_id: String,
    pub trace: TraceParent,
    pub method: String,
    pub path: String,
    /// The query string without its `?` (empty when there is none).
    pub query: String,
    pub started_ms: f64,
    /// The caller the gateway (or another service) vouched for, verified and parsed
    /// once by `serve`; `Identity::None` until then and for health checks.
    pub identity: Identity,
    /// The runtime's execution context, for work that outlives the response.
    pub runtime: Option<Rc<Context>>,
}

impl RequestContext {
    pub fn from_request(req: &Request, service: Service) -> RequestContext {
        RequestContext::from_raw(req.inner(), service)
    }

    /// From the runtime's request object directly (the gateway's hot path avoids the
    /// workers-rs wrapper).
    pub fn from_raw(req: &web_sys::Request, service: Service) -> RequestContext {
        let headers = req.headers();
        let incoming_id = headers.get(request_id::HEADER).ok().flatten();
        let incoming_trace = headers.get(nno_core::trace::HEADER).ok().flatten();
        let url = req.url();
        let (path, query) = split_url(&url);
        RequestContext {
            service,
            request_id: request_id::choose(incoming_id.as_deref(), id_random::<16>),
            trace: TraceParent::continue_or_start(incoming_trace.as_deref(), id_random()),
            method: req.method(),
            path: path.to_string(),
            query: query.unwrap_or("").to_string(),
            started_ms: now_ms(),
            identity: Identity::None,
            runtime: None,
        }
    }

    /// Runs `work` after the response has gone (the runtime keeps the request alive
    /// for it), so what it costs does not show in the answer's timing. Without the
    /// runtime's context (not set by the caller) it is spawned on the local executor.
    pub fn in_background(&self, work: impl Future<Output = ()> + 'static) {
        match &self.runtime {
            Some(runtime) => runtime.wait_until(work),
            None => wasm_bindgen_futures::spawn_local(work),
        }
    }

    /// Carries this request's id and a child span of its trace onto a request to the
    /// next hop.
    pub fn propagate(&self, headers: &web_sys::Headers) {
        let _ = headers.set(request_id::HEADER, &self.request_id);
        let child = self.trace.child(id_random());
        let _ = headers.set(nno_core::trace::HEADER, &child.header_value());
    }

    /// The first line of a handler that acts in a tenant: the caller may do what
    /// `permission` names in `tenant` (`Identity::allows_in`), else 401 for nobody and
    /// 403 for everyone else.
    pub fn require(&self, tenant: &str, permission: &str) -> Result<&Identity, ApiError> {
        match &self.identity {
            id if id.allows_in(tenant, permission) => Ok(id),
            Identity::None => Err(ApiError::new(
                ErrorCode::Unauthorized,
                "authentication required",
            )
            .with_header("www-authenticate", "Bearer")),
            _ => Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("this needs the {permission} permission in the tenant"),
            )
            .with_details(serde_json::json!({ "required": permission }))),
        }
    }

    /// The first value of query parameter `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        nno_core::urls::query_pairs(&self.query, 50)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn elapsed_ms(&self) -> f64 {
        now_ms() - self.started_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(identity: Identity) -> RequestContext {
        RequestContext {
            service: Service::Registry,
            request_id: "r".into(),
            trace: TraceParent::continue_or_start(None, [7; 24]),
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            started_ms: 0.0,
            identity,
            runtime: None,
        }
    }

    #[test]
    fn require_is_401_for_nobody_403_for_others_ok_with_the_permission() {
        let member = Identity::from_json(
            r#"{"auth":"session","userId":"u","tenantId":"t1","permissions":["registry:read"]}"#,
        )
        .unwrap();
        assert!(ctx(member.clone()).require("t1", "registry:read").is_ok());
        let other_tenant = ctx(member.clone())
            .require("t2", "registry:read")
            .unwrap_err();
        assert_eq!(other_tenant.status(), 403);
        let missing = ctx(member).require("t1", "registry:write").unwrap_err();
        assert_eq!(missing.status(), 403);
        assert_eq!(missing.details["required"], "registry:write");
        let nobody = ctx(Identity::None)
            .require("t1", "registry:read")
            .unwrap_err();
        assert_eq!(nobody.status(), 401);
        assert!(nobody.headers.iter().any(|(n, _)| *n == "www-authenticate"));
        assert!(ctx(Identity::Service)
            .require("t1", "anything:at-all")
            .is_ok());
    }
}
