//! NNO gateway: the single public entry point.
//!
//! Per request, in this order: request id and trace context; CORS (a preflight is
//! answered here, before anything else); `/health` and the OpenAPI document; prefix routing to an upstream
//! through its service binding (`nno_core::routing::ROUTES`); one JSON log line.
//! Every error, including unknown routes and failing upstreams, is the JSON envelope.
//!
//! This is the hot path of every API call, so it works on the runtime's own request and
//! response objects instead of the workers-rs wrappers, and passes an upstream's
//! response through untouched whenever it already carries everything the client needs.

mod auth;
mod config;
mod health;
mod limiter;
mod openapi;
mod outgoing;
mod proxy;
mod session_cache;
mod suspension;

use nno_core::cors::CorsDecision;
use nno_core::{api, routing, ApiError, ErrorCode, Service};
use nno_worker::{log, respond, RequestContext};
use outgoing::Outgoing;
use worker::{event, web_sys, Context, Env, Response, Result};

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, _ctx: Context) -> Result<web_sys::Response> {
    nno_worker::runtime::install_panic_hook();
    let ctx = RequestContext::from_raw(&req, Service::Gateway);
    let config = config::get(&env);
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    // Only a preflight carries the access-control-request headers: every header read
    // crosses into the runtime, so the others skip them.
    let preflight = |name: &str| (ctx.method == "OPTIONS").then(|| header(name)).flatten();
    let cors = config.cors.decide(
        header("origin").as_deref(),
        &ctx.method,
        preflight("access-control-request-method").as_deref(),
        preflight("access-control-request-headers").as_deref(),
    );

    let (answer, upstream) = match &cors {
        CorsDecision::Preflight(_) => (
            Ok(Outgoing::Own(Response::empty()?.with_status(204).into())),
            None,
        ),
        CorsDecision::PreflightDenied(why) => (
            Err(ApiError::new(
                ErrorCode::CorsOriginDenied,
                format!("CORS preflight refused: {why}"),
            )),
            None,
        ),
        _ => match route(req, &env, &ctx, &config).await {
            Ok((out, service)) => (Ok(out), service),
            Err(e) => (Err(e), None),
        },
    };
    let (outgoing, cause) = match answer {
        Ok(out) => (out, None),
        Err(err) => (
            Outgoing::Own(respond::error(&err, &ctx.request_id).into()),
            err.cause,
        ),
    };
    let response = outgoing.finish(&ctx, &cors);
    log::request(
        &ctx,
        config.environment.as_str(),
        response.status(),
        upstream.map(Service::name),
        cause.as_deref(),
    );
    Ok(response)
}

/// Health, limits, authentication, then the upstream.
async fn route(
    req: web_sys::Request,
    env: &Env,
    ctx: &RequestContext,
    config: &config::GatewayConfig,
) -> std::result::Result<(Outgoing, Option<Service>), ApiError> {
    let own = |r: Response| Outgoing::Own(r.into());
    if ctx.path == openapi::PATH {
        return Ok((own(openapi::document(ctx)?), None));
    }
    // The client's key for per-IP limits, worked out only by the requests that need
    // it (a per-IP rule, an API key, health): a header read and, without an address,
    // random bytes are not spent on every request.
    let ip_key = std::cell::OnceCell::new();
    let ip = || ip_key.get_or_init(|| client_ip(&req)).clone();
    if matches!(ctx.path.as_str(), "/health" | "/health/live") {
        let service = auth::is_service_key(&req.headers(), config);
        let r = health::serve(env, ctx, config, service, &ip()).await?;
        return Ok((own(r), None));
    }
    let policy = api::policy(&ctx.path);
    // Authentication endpoints are limited per client IP, before any credential or
    // database work is spent on them.
    if let Some(rule) = policy.ip_limit {
        limiter::check(env, &rule, &format!("ip:{}", ip())).await?;
    }
    // Credentials before routing: an unauthenticated caller learns nothing about which
    // paths exist.
    let headers = req.headers();
    let identity = auth::authenticate(&headers, env, ctx, config, ip, policy.public).await?;
    match &identity {
        auth::Identity::User { user_id, .. } => {
            limiter::check(env, &nno_core::ratelimit::USER, &format!("user:{user_id}")).await?
        }
        auth::Identity::Key { key_id, limit, .. } => {
            limiter::check(env, limit, &format!("{key_id}:{}", limit.window_ms)).await?
        }
        _ => {}
    };
    let Some(resolved) = routing::resolve(&ctx.path) else {
        return Err(
            ApiError::new(ErrorCode::NotFound, format!("no route for {}", ctx.path))
                .with_details(serde_json::json!({ "path": ctx.path })),
        );
    };
    let service = resolved.route.service;
    if !matches!(identity, auth::Identity::Service) {
        if let Some(platform) = suspension::subject(ctx, Some(identity.json())) {
            suspension::check(env, &platform).await?;
        }
    }
    let forget = auth::session_to_forget(&headers, ctx);
    let out = proxy::forward(req, env, ctx, &resolved, &identity, config).await?;
    if let Some(k) = forget {
        session_cache::forget(&k);
    }
    Ok((out, Some(service)))
}

/// The caller's key for per-IP limits (`nno_core::ratelimit::client_key`): one bucket
/// per IPv4 address or IPv6 /64. A request without a usable `CF-Connecting-IP` did
/// not come through Cloudflare's edge (which always sets it, as `wrangler dev` does
/// locally); it gets a bucket of its own, never one shared with every such request.
fn client_ip(req: &web_sys::Request) -> String {
    let raw = req.headers().get("cf-connecting-ip").ok().flatten();
    nno_core::ratelimit::client_key(raw.as_deref()).unwrap_or_else(|| {
        nno_core::ratelimit::unknown_client_key(&nno_worker::runtime::random_array())
    })
}
