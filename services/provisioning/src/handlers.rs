//! The HTTP operations (`nno_core::api::provisioning::ENDPOINTS`).

use crate::access::{can_manage, can_read, require_operator};
use crate::cloudflare::{CfError, Cloudflare};
use crate::jobs::plan::{self, PlannedStep, Recorded};
use crate::store::{self, NewJob};
use crate::tasks::{self, Task};
use crate::{drift, runner, validate, views};
use nno_core::contracts::provisioning::{
    BootstrapRequest, DeprovisionRequest, JobAccepted, JobList, JobStatus, JobType, Pagination,
};
use nno_core::{ApiError, ErrorCode};
use nno_worker::d1::Db;
use nno_worker::{body, respond, ApiResult, RequestContext};
use worker::{Env, Request};

fn now() -> i64 {
    nno_worker::runtime::now_ms() as i64
}

fn new_id() -> String {
    format!(
        "job_{}",
        nno_core::encoding::hex(&nno_worker::runtime::random_array::<12>())
    )
}

fn not_found(what: &str) -> ApiError {
    ApiError::not_found(what)
}

fn accepted(ctx: &RequestContext, job_id: &str, status: JobStatus) -> ApiResult {
    Ok(respond::json(
        202,
        &JobAccepted {
            job_id: job_id.to_string(),
            status,
        },
        &ctx.request_id,
    ))
}

/// Inserts a job with its steps and queues it. `Ok(None)`: a live bootstrap exists.
async fn enqueue(
    env: &Env,
    db: &Db,
    job: NewJob<'_>,
    steps: &[PlannedStep],
) -> Result<Option<()>, ApiError> {
    let rows: Vec<(String, String)> = steps
        .iter()
        .map(|s| (s.kind.name(), s.detail.to_string()))
        .collect();
    if !store::create_job(db, &job, &rows).await? {
        return Ok(None);
    }
    let task = Task::Run {
        job_id: job.id.to_string(),
    };
    if let Err(e) = tasks::send(env, &task, 0).await {
        // The job stays QUEUED; the cron queues it again.
        nno_worker::log::event(
            "error",
            "provisioning",
            "job not queued",
            serde_json::json!({ "jobId": job.id, "error": e.to_string() }),
        );
    }
    if let Some(e) = runner::progress_event(db, job.id).await {
        crate::events::publish(env, vec![e]).await;
    }
    Ok(Some(()))
}

pub async fn provision_platform(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    require_operator(ctx)?;
    let r: BootstrapRequest = body::read_json(&mut req, body::DEFAULT_LIMIT).await?;
    let environment = validate::bootstrap(&r)?;
    let db = store::db(env, ctx)?;
    if let Some(existing) = store::live_bootstrap(&db, &r.platform_id).await? {
        return accepted(ctx, &existing.id, existing.status());
    }
    let id = new_id();
    let request = serde_json::to_string(&r).map_err(|_| ApiError::internal())?;
    let job = NewJob {
        id: &id,
        platform_id: &r.platform_id,
        job_type: JobType::BootstrapPlatform,
        owner_tenant_id: r.owner_tenant_id.as_deref(),
        environment: environment.as_str(),
        request: &request,
        now: now(),
    };
    match enqueue(env, &db, job, &plan::bootstrap(&r.platform_id)).await? {
        Some(()) => accepted(ctx, &id, JobStatus::Queued),
        // Lost a race with an identical request: answer with the winner.
        None => match store::live_bootstrap(&db, &r.platform_id).await? {
            Some(existing) => accepted(ctx, &existing.id, existing.status()),
            None => Err(ApiError::new(
                ErrorCode::Conflict,
                "the platform's bootstrap changed meanwhile; try again",
            )),
        },
    }
}

pub async fn get_job(env: &Env, ctx: &RequestContext, job_id: &str) -> ApiResult {
    let db = store::db(env, ctx)?;
    let job = store::job(&db, job_id)
        .await?
        .filter(|j| can_read(&ctx.identity, j.owner_tenant_id.as_deref()))
        .ok_or_else(|| not_found("job"))?;
    let steps = store::steps(&db, job_id).await?;
    Ok(respond::json(
        200,
        &views::job_view(&job, &steps),
        &ctx.request_id,
    ))
}

pub async fn list_jobs(env: &Env, ctx: &RequestContext) -> ApiResult {
    let pairs = nno_core::urls::query_pairs(&ctx.query, 8);
    let param = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let platform_id =
        param("platformId").ok_or_else(|| validate::invalid("platformId", "is required"))?;
    validate::platform_id("platformId", platform_id)?;
    let limit = match param("limit") {
        None => 50,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| validate::invalid("limit", "1 to 100"))?,
    };
    let cursor = match param("cursor") {
        None => None,
        Some(c) => Some(
            decode_cursor(c)
                .ok_or_else(|| validate::invalid("cursor", "not a cursor from this list"))?,
        ),
    };
    let db = store::db(env, ctx)?;
    let owner = store::platform(&db, platform_id)
        .await?
        .and_then(|p| p.owner_tenant_id);
    let empty = JobList {
        data: vec![],
        pagination: Pagination {
            has_more: false,
            next_cursor: None,
            total: 0,
        },
    };
    if !can_read(&ctx.identity, owner.as_deref()) {
        return Ok(respond::json(200, &empty, &ctx.request_id));
    }
    let after = cursor.as_ref().map(|(at, id)| (*at, id.as_str()));
    let mut rows = store::jobs_page(&db, platform_id, after, limit + 1).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let mut data = Vec::with_capacity(rows.len());
    for j in &rows {
        data.push(views::job_view(j, &store::steps(&db, &j.id).await?));
    }
    let next_cursor = has_more
        .then(|| {
            rows.last()
                .map(|j| format!("{}.{}", j.created_at as i64, j.id))
        })
        .flatten();
    let total = store::count_jobs(&db, platform_id).await?;
    let list = JobList {
        data,
        pagination: Pagination {
            has_more,
            next_cursor,
            total,
        },
    };
    Ok(respond::json(200, &list, &ctx.request_id))
}

fn decode_cursor(c: &str) -> Option<(i64, String)> {
    let (at, id) = c.split_once('.')?;
    let ok = id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    Some((at.parse().ok()?, id.to_string())).filter(|_| ok)
}

pub async fn retry_job(env: &Env, ctx: &RequestContext, job_id: &str) -> ApiResult {
    let db = store::db(env, ctx)?;
    let job = store::job(&db, job_id)
        .await?
        .filter(|j| can_read(&ctx.identity, j.owner_tenant_id.as_deref()))
        .ok_or_else(|| not_found("job"))?;
    if !can_manage(&ctx.identity, job.owner_tenant_id.as_deref()) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "retrying a job needs platforms:manage",
        )
        .with_details(serde_json::json!({ "required": nno_auth::permissions::PLATFORMS_MANAGE })));
    }
    match store::retry_job(&db, job_id, now()).await? {
        None => Err(
            ApiError::new(ErrorCode::Conflict, "only a FAILED job can be retried")
                .with_details(serde_json::json!({ "status": job.status })),
        ),
        Some(false) => Err(ApiError::new(
            ErrorCode::Conflict,
            "the platform has another live bootstrap job",
        )),
        Some(true) => {
            let _ = tasks::send(
                env,
                &Task::Run {
                    job_id: job_id.to_string(),
                },
                0,
            )
            .await;
            if let Some(e) = runner::progress_event(&db, job_id).await {
                crate::events::publish(env, vec![e]).await;
            }
            accepted(ctx, job_id, JobStatus::Queued)
        }
    }
}

/// A body is optional here; when sent it must be a JSON object of the contract.
async fn optional_body<T: serde::de::DeserializeOwned + Default>(
    req: &mut Request,
) -> Result<T, ApiError> {
    let empty_length = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .is_some_and(|l| l.trim() == "0");
    let no_type = req.headers().get("content-type").ok().flatten().is_none();
    if req.inner().body().is_none() || (empty_length && no_type) {
        return Ok(T::default());
    }
    body::read_json(req, body::DEFAULT_LIMIT).await
}

pub async fn deprovision(
    mut req: Request,
    env: &Env,
    ctx: &RequestContext,
    platform_id: &str,
) -> ApiResult {
    require_operator(ctx)?;
    validate::platform_id("id", platform_id)?;
    let r: DeprovisionRequest = optional_body(&mut req).await?;
    let db = store::db(env, ctx)?;
    let platform = store::platform(&db, platform_id)
        .await?
        .ok_or_else(|| not_found("platform"))?;
    let records: Vec<Recorded> = store::resources(&db, platform_id)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(Recorded {
                kind: row.kind()?,
                name: row.name,
                environment: row.environment,
                cloudflare_id: row.cloudflare_id,
            })
        })
        .collect();
    let id = new_id();
    let request = serde_json::to_string(&r).map_err(|_| ApiError::internal())?;
    let job = NewJob {
        id: &id,
        platform_id,
        job_type: JobType::DeprovisionPlatform,
        owner_tenant_id: platform.owner_tenant_id.as_deref(),
        environment: &platform.environment,
        request: &request,
        now: now(),
    };
    enqueue(env, &db, job, &plan::deprovision(&records, r.purge)).await?;
    accepted(ctx, &id, JobStatus::Queued)
}

fn cf_failure(e: CfError) -> ApiError {
    match e {
        // The account-wide budget is a rate limit the caller's requests spend: 429 with
        // Retry-After tells a client to slow down, as Cloudflare itself would.
        CfError::Budget { retry_after_ms } => ApiError::new(
            ErrorCode::RateLimited,
            "the Cloudflare API budget is spent for now; retry later",
        )
        .with_retry_after(retry_after_ms.div_ceil(1000).max(1)),
        CfError::Config(what) => ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the Cloudflare API is not configured",
        )
        .with_cause(what),
        other => ApiError::new(
            ErrorCode::UpstreamError,
            "the Cloudflare API could not be asked",
        )
        .with_details(serde_json::json!({ "system": "Cloudflare" }))
        .with_cause(other.to_string()),
    }
}

async fn drift_of(
    env: &Env,
    db: &Db,
    platform_id: &str,
) -> Result<
    (
        nno_core::contracts::provisioning::DriftReport,
        Vec<plan::Gap>,
    ),
    ApiError,
> {
    let cf = Cloudflare::from_env(env).map_err(cf_failure)?;
    let records = store::resources(db, platform_id).await?;
    drift::check(&cf, platform_id, &records, now())
        .await
        .map_err(cf_failure)
}

pub async fn drift(env: &Env, ctx: &RequestContext, platform_id: &str) -> ApiResult {
    validate::platform_id("id", platform_id)?;
    let db = store::db(env, ctx)?;
    let _platform = store::platform(&db, platform_id)
        .await?
        .filter(|p| can_read(&ctx.identity, p.owner_tenant_id.as_deref()))
        .ok_or_else(|| not_found("platform"))?;
    let (report, _) = drift_of(env, &db, platform_id).await?;
    Ok(respond::json(200, &report, &ctx.request_id))
}

pub async fn reconcile(env: &Env, ctx: &RequestContext, platform_id: &str) -> ApiResult {
    validate::platform_id("id", platform_id)?;
    let db = store::db(env, ctx)?;
    let platform = store::platform(&db, platform_id)
        .await?
        .filter(|p| can_read(&ctx.identity, p.owner_tenant_id.as_deref()))
        .ok_or_else(|| not_found("platform"))?;
    if !can_manage(&ctx.identity, platform.owner_tenant_id.as_deref()) {
        return Err(
            ApiError::new(ErrorCode::Forbidden, "reconciling needs platforms:manage").with_details(
                serde_json::json!({ "required": nno_auth::permissions::PLATFORMS_MANAGE }),
            ),
        );
    }
    let (_, gaps) = drift_of(env, &db, platform_id).await?;
    let id = new_id();
    let job = NewJob {
        id: &id,
        platform_id,
        job_type: JobType::ReconcilePlatform,
        owner_tenant_id: platform.owner_tenant_id.as_deref(),
        environment: &platform.environment,
        request: "{}",
        now: now(),
    };
    enqueue(env, &db, job, &plan::reconcile(platform_id, &gaps)).await?;
    accepted(ctx, &id, JobStatus::Queued)
}
