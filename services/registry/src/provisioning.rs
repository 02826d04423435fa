//! Registry's calls to provisioning, over the service binding, vouched for as NNO's
//! own (`Identity::Internal`): provisioning trusts them with any platform.

use nno_core::contracts::provisioning::{BootstrapRequest, DeprovisionRequest, JobAccepted};
use nno_core::identity::INTERNAL_JSON;
use nno_core::{ApiError, Service};
use nno_worker::client::ServiceClient;
use nno_worker::RequestContext;
use worker::{Env, Headers, Method};

async fn post<Req: serde::Serialize>(
    env: &Env,
    ctx: &RequestContext,
    path: &str,
    body: &Req,
) -> Result<JobAccepted, ApiError> {
    let key = nno_worker::caller::internal_key(env)?;
    ServiceClient::new(env, Service::Provisioning)?
        .call(
            ctx,
            Method::Post,
            path,
            Some(body),
            Some((&key, INTERNAL_JSON)),
            Headers::new(),
        )
        .await
}

pub async fn bootstrap(
    env: &Env,
    ctx: &RequestContext,
    req: &BootstrapRequest,
) -> Result<JobAccepted, ApiError> {
    post(env, ctx, "/api/v1/provision/platform", req).await
}

pub async fn retry(env: &Env, ctx: &RequestContext, job_id: &str) -> Result<JobAccepted, ApiError> {
    post(
        env,
        ctx,
        &format!("/api/v1/provision/jobs/{job_id}/retry"),
        &serde_json::json!({}),
    )
    .await
}

pub async fn deprovision(
    env: &Env,
    ctx: &RequestContext,
    platform_id: &str,
) -> Result<JobAccepted, ApiError> {
    post(
        env,
        ctx,
        &format!("/api/v1/provision/platforms/{platform_id}/deprovision"),
        &DeprovisionRequest::default(),
    )
    .await
}
