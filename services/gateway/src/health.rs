//! `GET /health`: the gateway's own KV round trip plus every upstream's `/health`,
//! called concurrently through the service bindings.

use crate::config::GatewayConfig;
use futures_util::future::join_all;
use nno_core::health::HealthReport;
use nno_core::Service;
use nno_worker::client::ServiceClient;
use nno_worker::{health, respond, RequestContext};
use worker::{Env, Method, Response};

pub async fn report(env: &Env, ctx: &RequestContext, config: &GatewayConfig) -> Response {
    let kv = health::kv(env, "PLATFORM_STATUS");
    let upstreams = join_all(Service::UPSTREAMS.map(|s| upstream(env, ctx, config, s)));
    let (kv, upstreams) = futures_util::join!(kv, upstreams);
    let report = HealthReport::new(
        Service::Gateway.name(),
        config.environment.as_str(),
        vec![kv],
        upstreams,
    );
    respond::json(report.http_status(), &report, &ctx.request_id)
}

pub fn live(ctx: &RequestContext, config: &GatewayConfig) -> Response {
    let report = HealthReport::new(
        Service::Gateway.name(),
        config.environment.as_str(),
        vec![],
        vec![],
    );
    respond::json(200, &report, &ctx.request_id)
}

async fn upstream(
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
    service: Service,
) -> HealthReport {
    let down = |error: String| {
        let check = health::check(
            format!("binding:{}", service.binding()),
            ctx.started_ms,
            Err(error),
        );
        // A failed check makes the report "down" by itself.
        HealthReport::new(
            service.name(),
            config.environment.as_str(),
            vec![check],
            vec![],
        )
    };
    let client = match ServiceClient::new(env, service) {
        Ok(c) => c,
        Err(e) => return down(e.message),
    };
    match client.send(ctx, Method::Get, "/health", None).await {
        Ok(mut resp) => match resp.json::<HealthReport>().await {
            Ok(report) => report,
            Err(_) => down(format!(
                "answered {} without a health report",
                resp.status_code()
            )),
        },
        Err(e) => down(e.message),
    }
}
