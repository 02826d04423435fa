//! NNO cli: build and deploy of each platform's console.
//!
//! Routes (relative to this Worker; the gateway prefix is in nno_core::routing):
//!   GET /health, GET /health/live, and both under each base the gateway rewrites to.
//! Everything else answers a 404 envelope until this service's own issue adds routes.

use nno_core::Service;
use nno_worker::{no_routes, serve, Probe, ServiceSpec};
use worker::{event, Context, Env, Request, Response, Result};

const SPEC: ServiceSpec = ServiceSpec {
    service: Service::Cli,
    probes: &[Probe::Kv("TOKENS")],
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, runtime: Context) -> Result<Response> {
    serve(req, env, runtime, &SPEC, no_routes).await
}
