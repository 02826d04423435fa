//! The common entry point of every upstream service: request context, health checks,
//! error envelope, one log line per request. A service supplies its storage probes
//! and its route handler.

use crate::context::RequestContext;
use crate::{caller, config, health, log, respond, ApiResult};
use nno_core::health::{Check, HealthReport};
use nno_core::routing::{health_probe, HealthProbe};
use nno_core::{ApiError, Service};
use serde_json::json;
use std::future::Future;
use worker::{Context, Env, Method, Request, Response};

/// A storage binding checked by `GET /health`.
#[derive(Debug, Clone, Copy)]
pub enum Probe {
    D1(&'static str),
    Kv(&'static str),
}

pub struct ServiceSpec {
    pub service: Service,
    pub probes: &'static [Probe],
}

pub async fn serve<F, Fut>(
    req: Request,
    env: Env,
    runtime: Context,
    spec: &ServiceSpec,
    handler: F,
) -> worker::Result<Response>
where
    F: FnOnce(Request, Env, RequestContext) -> Fut,
    Fut: Future<Output = ApiResult>,
{
    console_error_panic_hook::set_once();
    let mut ctx = RequestContext::from_request(&req, spec.service);
    ctx.runtime = Some(std::rc::Rc::new(runtime));
    let environment = config::environment(&env);
    let probe = match req.method() {
        Method::Get | Method::Head => health_probe(spec.service, &ctx.path),
        _ => None,
    };
    let result = match probe {
        Some(probe) => Ok(health_response(&env, spec, environment.as_str(), probe, &ctx).await),
        // Everything but health checks must come from the gateway or another service.
        None => match caller::verify(req.headers(), &env, &ctx) {
            Ok(identity) => {
                ctx.identity = identity;
                handler(req, env, ctx.clone()).await
            }
            Err(e) => Err(e),
        },
    };
    let (mut response, cause) = match result {
        Ok(r) => (r, None),
        Err(err) => (respond::error(&err, &ctx.request_id), err.cause),
    };
    // W3C `traceresponse`: this hop's span, so callers can see the trace continued.
    let _ = response
        .headers_mut()
        .set(nno_core::trace::RESPONSE_HEADER, &ctx.trace.header_value());
    log::request(
        &ctx,
        environment.as_str(),
        response.status_code(),
        None,
        cause.as_deref(),
    );
    Ok(response)
}

async fn health_response(
    env: &Env,
    spec: &ServiceSpec,
    environment: &str,
    probe: HealthProbe,
    ctx: &RequestContext,
) -> Response {
    let mut checks: Vec<Check> = Vec::with_capacity(spec.probes.len());
    if probe == HealthProbe::Ready {
        for p in spec.probes {
            checks.push(match *p {
                Probe::D1(binding) => health::d1(env, binding, spec.service.name()).await,
                Probe::Kv(binding) => health::kv(env, binding).await,
            });
        }
    }
    let report = HealthReport::new(spec.service.name(), environment, checks, Vec::new());
    respond::json(report.http_status(), &report, &ctx.request_id)
}

/// For services whose routes are still to come: every other path is a 404 envelope.
/// The details name the service and the path as it arrived here, which shows a caller
/// (and the end-to-end suite) what the gateway rewrote the path to.
pub async fn no_routes(req: Request, _env: Env, ctx: RequestContext) -> ApiResult {
    Err(route_not_found(&req, &ctx))
}

/// The 405 for a path the table serves with other methods.
pub fn method_not_allowed(ctx: &RequestContext, allow: &[nno_core::api::Method]) -> ApiError {
    ApiError::method_not_allowed(&ctx.method, &ctx.path, &nno_core::api::allow_header(allow))
}

/// The 404 for a path a service does not serve, with what it received.
pub fn route_not_found(req: &Request, ctx: &RequestContext) -> ApiError {
    let url = req.inner().url();
    let query = nno_core::routing::split_url(&url).1.map(str::to_string);
    ApiError::not_found(format!("route {} {}", ctx.method, ctx.path)).with_details(json!({
        "service": ctx.service.name(),
        "method": ctx.method,
        "path": ctx.path,
        "query": query,
    }))
}
