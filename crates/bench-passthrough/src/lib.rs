//! The floor for the gateway benchmark: forwards every request unchanged to the
//! `UPSTREAM` service binding and returns its response. No routing, CORS, ids or logs,
//! so its latency is what one service-binding hop costs on the runtime.

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    env.service("UPSTREAM")?.fetch_request(req).await
}
