//! The response on its way out, and the headers every response gets: the request id,
//! the trace response, and CORS headers for allowed origins.

use nno_core::cors::CorsDecision;
use nno_core::{request_id, trace};
use nno_worker::RequestContext;
use worker::web_sys::{self, Headers, ResponseInit};

pub enum Outgoing {
    /// Built here: its headers are mutable.
    Own(web_sys::Response),
    /// Fetched from an upstream: its headers are immutable.
    Upstream(web_sys::Response),
}

impl Outgoing {
    pub fn finish(self, ctx: &RequestContext, cors: &CorsDecision) -> web_sys::Response {
        let cors_headers = match cors {
            CorsDecision::Allowed(h) | CorsDecision::Preflight(h) => h.as_slice(),
            _ => &[],
        };
        let response = match self {
            Outgoing::Own(r) => r,
            Outgoing::Upstream(r) => {
                // NNO services echo the request id and their own `traceresponse`; when
                // no CORS headers are due, their response goes out as it is.
                let echoed = r.headers().get(request_id::HEADER).ok().flatten();
                if cors_headers.is_empty() && echoed.as_deref() == Some(ctx.request_id.as_str()) {
                    return r;
                }
                match rebuild(&r) {
                    Some(copy) => copy,
                    None => return r,
                }
            }
        };
        let h = response.headers();
        for (name, value) in cors_headers {
            let _ = h.set(name, value);
        }
        let _ = h.set(request_id::HEADER, &ctx.request_id);
        if !h.has(trace::RESPONSE_HEADER).unwrap_or(false) {
            let _ = h.set(trace::RESPONSE_HEADER, &ctx.trace.header_value());
        }
        response
    }
}

/// The same status and streamed body with a mutable copy of the headers.
fn rebuild(r: &web_sys::Response) -> Option<web_sys::Response> {
    let headers = Headers::new_with_headers(&r.headers()).ok()?;
    let init = ResponseInit::new();
    init.set_status(r.status());
    init.set_status_text(&r.status_text());
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_readable_stream_and_init(r.body().as_ref(), &init).ok()
}
