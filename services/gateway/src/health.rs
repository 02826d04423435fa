//! `/health` and `/health/live`, GET and HEAD only (405 with `Allow` otherwise).
//!
//! `/health/live` is cheap (no I/O) and public. `/health` is the deep report: the
//! gateway's own KV round trip plus every upstream's `/health`, called concurrently
//! through the service bindings. That costs six binding calls and eight storage round
//! trips, so it is built at most once per `CACHE_MS` per isolate (concurrent requests
//! wait for the same build) and only the service key sees it; anyone else gets the
//! roll-up (`{status, service, environment}`, same status code), limited per client IP
//! (`ratelimit::HEALTH`). Binding names and latencies are for operators.

use crate::config::{self, GatewayConfig};
use crate::limiter;
use futures_util::future::{join_all, FutureExt, LocalBoxFuture, Shared};
use nno_core::api::{self, Method as ApiMethod};
use nno_core::health::HealthReport;
use nno_core::{ApiError, Service};
use nno_worker::client::ServiceClient;
use nno_worker::{health, respond, RequestContext};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{Env, Method, Response};

/// How long one deep report answers every `/health` of this isolate.
pub const CACHE_MS: f64 = 5_000.0;

type Build = Shared<LocalBoxFuture<'static, Rc<HealthReport>>>;

enum Slot {
    Empty,
    Building(Build),
    Built {
        until_ms: f64,
        report: Rc<HealthReport>,
    },
}

thread_local! {
    static CACHE: RefCell<Slot> = const { RefCell::new(Slot::Empty) };
}

/// Serves `/health` or `/health/live`. `service` is whether the caller presented the
/// service key; `ip` is the caller's limiter key.
pub async fn serve(
    env: &Env,
    ctx: &RequestContext,
    config: &GatewayConfig,
    service: bool,
    ip: &str,
) -> Result<Response, ApiError> {
    if !matches!(ctx.method.as_str(), "GET" | "HEAD") {
        return Err(nno_worker::method_not_allowed(
            ctx,
            &[ApiMethod::Get, ApiMethod::Head],
        ));
    }
    if ctx.path != "/health" {
        return Ok(live(ctx, config));
    }
    if !service {
        if let Some(rule) = api::policy(&ctx.path).ip_limit {
            limiter::check(env, &rule, &format!("ip:{ip}")).await?;
        }
    }
    let report = cached(env, ctx).await;
    Ok(if service {
        respond::json(report.http_status(), &*report, &ctx.request_id)
    } else {
        respond::json(report.http_status(), &report.summary(), &ctx.request_id)
    })
}

/// The deep report: the one built less than `CACHE_MS` ago, the one being built, or a
/// new one.
async fn cached(env: &Env, ctx: &RequestContext) -> Rc<HealthReport> {
    let now = nno_worker::runtime::now_ms();
    let build = CACHE.with(|c| {
        let mut slot = c.borrow_mut();
        match &*slot {
            Slot::Built { until_ms, report } if *until_ms > now => Err(report.clone()),
            Slot::Building(b) => Ok(b.clone()),
            _ => {
                let (env, ctx) = (env.clone(), ctx.clone());
                let b: Build = async move { Rc::new(report(&env, &ctx).await) }
                    .boxed_local()
                    .shared();
                *slot = Slot::Building(b.clone());
                Ok(b)
            }
        }
    });
    let build = match build {
        Ok(b) => b,
        Err(report) => return report,
    };
    let report = build.await;
    CACHE.with(|c| {
        let mut slot = c.borrow_mut();
        // The first waiter to finish stores it; the others find it there.
        if matches!(&*slot, Slot::Building(_)) {
            *slot = Slot::Built {
                until_ms: nno_worker::runtime::now_ms() + CACHE_MS,
                report: report.clone(),
            };
        }
    });
    report
}

async fn report(env: &Env, ctx: &RequestContext) -> HealthReport {
    let config = config::get(env);
    let kv = health::kv(env, "PLATFORM_STATUS");
    let upstreams = join_all(Service::UPSTREAMS.map(|s| upstream(env, ctx, &config, s)));
    let (kv, upstreams) = futures_util::join!(kv, upstreams);
    HealthReport::new(
        Service::Gateway.name(),
        config.environment.as_str(),
        vec![kv],
        upstreams,
    )
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
