//! The per-request context every service builds first: request id, trace context,
//! timing. The gateway creates these; upstream services continue them.

use crate::runtime::{now_ms, random_array};
use nno_core::{request_id, trace::TraceParent, Service};
use worker::Request;

#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The service handling the request.
    pub service: Service,
    pub request_id: String,
    pub trace: TraceParent,
    pub method: String,
    pub path: String,
    pub started_ms: f64,
}

impl RequestContext {
    pub fn from_request(req: &Request, service: Service) -> RequestContext {
        let headers = req.headers();
        let incoming_id = headers.get(request_id::HEADER).ok().flatten();
        let incoming_trace = headers.get(nno_core::trace::HEADER).ok().flatten();
        RequestContext {
            service,
            request_id: request_id::choose(incoming_id.as_deref(), random_array::<16>),
            trace: TraceParent::continue_or_start(incoming_trace.as_deref(), random_array()),
            method: req.method().to_string(),
            path: req.path(),
            started_ms: now_ms(),
        }
    }

    pub fn elapsed_ms(&self) -> f64 {
        now_ms() - self.started_ms
    }
}
