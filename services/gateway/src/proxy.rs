//! Forwarding a request to its upstream through the service binding. The body is
//! streamed, never buffered; only the URL and the tracing headers change.

use crate::auth::Identity;
use crate::config::GatewayConfig;
use crate::outgoing::Outgoing;
use nno_core::routing::{upstream_failure, Resolved};
use nno_core::{ApiError, ErrorCode};
use nno_worker::caller;
use nno_worker::RequestContext;
use serde_json::json;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, worker_sys, Env};

pub async fn forward(
    req: web_sys::Request,
    env: &Env,
    ctx: &RequestContext,
    resolved: &Resolved,
    identity: &Identity,
    config: &GatewayConfig,
) -> Result<Outgoing, ApiError> {
    let service = resolved.route.service;
    let fail = |code: ErrorCode, message: String| {
        Err(ApiError::new(code, message).with_details(json!({ "service": service.name() })))
    };
    // The binding read straight off `env`: `Env::service` also asks the value for its
    // constructor's name, two more crossings per request for a type wrangler.toml
    // already fixes. Anything but a Fetcher there fails at `fetch`, as a 503 below.
    let binding = worker::js_sys::Reflect::get(env, &JsValue::from_str(service.binding()))
        .unwrap_or(JsValue::UNDEFINED);
    if !binding.is_object() {
        return fail(
            ErrorCode::UpstreamUnavailable,
            format!("the {service} service is not bound"),
        );
    }
    // The query as the context already split it off the URL (no second `req.url()`).
    let query = (!ctx.query.is_empty()).then_some(ctx.query.as_str());
    // Service bindings ignore the host; it only names the upstream in traces.
    let mut url = format!(
        "https://{}.internal{}",
        service.name(),
        resolved.upstream_path
    );
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    // `new Request(url, original)`: the original request is its own init (method,
    // headers, streamed body).
    let Ok(upstream) = web_sys::Request::new_with_str_and_init(&url, req.unchecked_ref()) else {
        return fail(
            ErrorCode::BadRequest,
            "the request could not be forwarded".into(),
        );
    };
    let headers = upstream.headers();
    ctx.propagate(&headers);
    // The identity goes upstream signed; whatever identity headers the client sent are
    // overwritten, and the service key itself never leaves the gateway.
    let Some(key) = config.internal_key.as_deref() else {
        return fail(
            ErrorCode::ServiceUnavailable,
            format!("{} is not configured on the gateway", caller::SECRET),
        );
    };
    let target = caller::target(&resolved.upstream_path, query);
    let bound = caller::Bound {
        request_id: &ctx.request_id,
        service: service.name(),
        method: &ctx.method,
        target: &target,
    };
    // A health probe is answered before any signature is checked upstream: signing
    // it would be work nobody reads.
    if nno_core::routing::health_probe(service, &resolved.upstream_path).is_none() {
        caller::attach(&headers, key, identity.json(), &bound);
    }
    match identity {
        // The service key never leaves the gateway, and no cookie rides along to be
        // acted on under the service's identity.
        Identity::Service => {
            let _ = headers.delete("authorization");
            let _ = headers.delete("cookie");
        }
        // The credential that authenticated is the only one that goes on: a bearer
        // token wins over a cookie here, so a cookie riding along must not be what the
        // upstream acts on (it would also dodge the Origin check cookies get).
        Identity::User { .. } | Identity::Key { .. }
            if headers
                .get("authorization")
                .ok()
                .flatten()
                .is_some_and(|a| nno_core::access::bearer(&a).is_some()) =>
        {
            let _ = headers.delete("cookie");
        }
        _ => {}
    }

    let binding: &worker_sys::Fetcher = binding.unchecked_ref();
    let fetched = match binding.fetch(&upstream) {
        Ok(promise) => JsFuture::from(promise).await,
        Err(e) => Err(e),
    };
    let response = match fetched.map(|r| r.dyn_into::<web_sys::Response>()) {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => {
            return fail(
                ErrorCode::UpstreamError,
                format!("the {service} service sent no response"),
            )
        }
        Err(e) => {
            return fail(
                ErrorCode::UpstreamUnavailable,
                format!("the {service} service could not be reached"),
            )
            .map_err(|err: ApiError| err.with_cause(format!("{e:?}")))
        }
    };
    let status = response.status();
    // Only a 5xx's type matters (a runtime error page is not our envelope): a header
    // read is a crossing into the runtime, not spent on every success.
    let content_type = (500..600)
        .contains(&status)
        .then(|| response.headers().get("content-type").ok().flatten())
        .flatten();
    if let Some(code) = upstream_failure(status, content_type.as_deref()) {
        return fail(
            code,
            format!("the {service} service failed (status {status})"),
        );
    }
    Ok(Outgoing::Upstream(response))
}
