//! NNO gateway: the single public entry point.
//!
//! Per request, in this order: request id and trace context; CORS (a preflight is
//! answered here, before anything else); `/health`; prefix routing to an upstream
//! through its service binding (`nno_core::routing::ROUTES`); one JSON log line.
//! Every error, including unknown routes and failing upstreams, is the JSON envelope.

mod config;
mod health;
mod proxy;

use nno_core::cors::CorsDecision;
use nno_core::{ApiError, ErrorCode, Service};
use nno_worker::{log, respond, RequestContext};
use serde_json::{Map, Value};
use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    nno_worker::runtime::install_panic_hook();
    let ctx = RequestContext::from_request(&req, Service::Gateway);
    let config = config::get(&env);
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let origin = header("origin");
    let cors = config.cors.decide(
        origin.as_deref(),
        &ctx.method,
        header("access-control-request-method").as_deref(),
        header("access-control-request-headers").as_deref(),
    );

    let mut log_fields = Map::new();
    let mut response = match &cors {
        CorsDecision::Preflight(_) => Response::empty()
            .map(|r| r.with_status(204))
            .unwrap_or_else(|_| respond::error(&ApiError::internal(), &ctx.request_id)),
        CorsDecision::PreflightDenied(why) => respond::error(
            &ApiError::new(
                ErrorCode::CorsOriginDenied,
                format!("CORS preflight refused: {why}"),
            ),
            &ctx.request_id,
        ),
        _ => route(req, &env, &ctx, &config, &mut log_fields).await,
    };

    if let CorsDecision::Allowed(h) | CorsDecision::Preflight(h) = &cors {
        let out = response.headers_mut();
        for (name, value) in h {
            let _ = out.set(name, value);
        }
    }
    let out = response.headers_mut();
    let _ = out.set(nno_core::request_id::HEADER, &ctx.request_id);
    // Keep an upstream's `traceresponse` (the deepest span); else report our own.
    if !out.has(nno_core::trace::RESPONSE_HEADER).unwrap_or(false) {
        let _ = out.set(nno_core::trace::RESPONSE_HEADER, &ctx.trace.header_value());
    }
    log::emit(&log::request_line(
        Service::Gateway.name(),
        config.environment.as_str(),
        &ctx,
        response.status_code(),
        log_fields,
    ));
    Ok(response)
}

async fn route(
    req: Request,
    env: &Env,
    ctx: &RequestContext,
    config: &config::GatewayConfig,
    log_fields: &mut Map<String, Value>,
) -> Response {
    match ctx.path.as_str() {
        "/health" => health::report(env, ctx, config).await,
        "/health/live" => health::live(ctx, config),
        path => match nno_core::routing::resolve(path) {
            Some(resolved) => {
                log_fields.insert("upstream".into(), resolved.route.service.name().into());
                proxy::forward(req, env, ctx, &resolved).await
            }
            None => respond::error(
                &ApiError::new(ErrorCode::NotFound, format!("no route for {}", ctx.path))
                    .with_details(serde_json::json!({ "path": ctx.path })),
                &ctx.request_id,
            ),
        },
    }
}
