//! Self-serve onboarding: a signed-in customer names a platform, registry creates it
//! (`pending`, with its `default` stack), asks billing for its Stripe customer and
//! subscription and provisioning to bootstrap it; the
//! session shows each step until the platform is `active`, or which step failed and
//! why (then `retry` resumes it). Operators' `POST /api/v1/platforms` goes the same way.

use crate::access::{self, actor, Need};
use crate::http::{check_name, created, ok, query};
use crate::platforms::{apply, db, load, parse_tier};
use crate::store::{self, onboarding::Session, platforms::Platform};
use nno_billing::plans::plan;
use nno_core::contracts::billing::SubscribeRequest;
use nno_core::contracts::provisioning::{BootstrapRequest, JobStatus, JobView, StepStatus};
use nno_core::identity::Identity;
use nno_core::platform::{validate_slug, PlatformStatus, Tier, Transition, RESERVED_SLUGS};
use nno_core::{ApiError, ErrorCode};
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::runtime::now_ms;
use nno_worker::{ApiResult, RequestContext};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Request};

pub struct Launch<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub tier: Option<&'a str>,
    pub owner_tenant_id: &'a str,
    pub user_id: Option<&'a str>,
    pub billing_email: Option<String>,
    pub idempotency_key: Option<&'a str>,
}

/// Why a slug cannot be had, if it cannot.
async fn slug_problem(db: &Db, slug: &str) -> Result<Option<(&'static str, String)>, ApiError> {
    if let Err(why) = validate_slug(slug) {
        return Ok(Some(("invalid", format!("slug {why}"))));
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Ok(Some(("reserved", "that slug is reserved".into())));
    }
    if store::platforms::slug_taken(db, slug).await? {
        return Ok(Some(("taken", "that slug is taken".into())));
    }
    Ok(None)
}

fn valid_email(e: &str) -> bool {
    e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Creates the platform and its session, then asks for the bootstrap.
pub async fn launch(
    env: &Env,
    ctx: &RequestContext,
    l: &Launch<'_>,
) -> Result<(Platform, Session), ApiError> {
    check_name("name", l.name)?;
    let tier = parse_tier(l.tier)?.unwrap_or(Tier::Starter);
    let billing_email = l.billing_email.clone().ok_or_else(|| {
        ApiError::invalid(
            "billingEmail",
            "billingEmail is required (the caller has no e-mail address)",
        )
    })?;
    if !valid_email(&billing_email) {
        return Err(ApiError::invalid(
            "billingEmail",
            "billingEmail is not an e-mail address",
        ));
    }
    let db = db(env, ctx)?;
    if let Some((reason, message)) = slug_problem(&db, l.slug).await? {
        let code = if reason == "taken" {
            ErrorCode::Conflict
        } else {
            ErrorCode::ValidationFailed
        };
        return Err(
            ApiError::new(code, message).with_details(json!({ "field": "slug", "reason": reason }))
        );
    }
    let (platform_id, session_id, at) = (
        crate::ids::platform_id(),
        crate::ids::row_id(),
        now_ms() as i64,
    );
    let who = actor(&ctx.identity);
    let user = l.user_id.map(String::from).unwrap_or_else(|| who.clone());
    let mut statements = store::platforms::create(
        &db,
        &store::platforms::NewPlatform {
            id: &platform_id,
            name: l.name.trim(),
            slug: l.slug,
            tier: tier.as_str(),
            owner_tenant_id: l.owner_tenant_id,
            owner_user_id: l.user_id,
            actor: &who,
            request_id: &ctx.request_id,
            at,
            quota: plan(tier).platforms_per_tenant,
        },
    )?;
    statements.push(store::onboarding::create(
        &db,
        &store::onboarding::NewSession {
            id: &session_id,
            platform_id: &platform_id,
            user_id: &user,
            tenant_id: l.owner_tenant_id,
            slug: l.slug,
            idempotency_key: l.idempotency_key,
            billing_email: &billing_email,
            at,
        },
    )?);
    let columns = [
        "platforms.slug",
        "platforms.id",
        "onboarding_sessions.user_id",
    ];
    match db.batch_unique(statements, &columns).await? {
        Ok(results) if results.first().map(nno_worker::d1::changes) == Some(0) => {
            let current = store::platforms::live_count(&db, l.owner_tenant_id).await?;
            return Err(over_quota(tier, current));
        }
        Ok(_) => {}
        Err(column) => {
            // The same request racing itself: answer with the session that won.
            if let Some(earlier) =
                store::onboarding::earlier(&db, &user, l.slug, l.idempotency_key).await?
            {
                let p = store::platforms::get(&db, &earlier.platform_id)
                    .await?
                    .ok_or_else(ApiError::internal)?;
                return Ok((p, earlier));
            }
            let what = if column == "platforms.id" {
                "try again"
            } else {
                "that slug is taken"
            };
            return Err(ApiError::new(ErrorCode::Conflict, what)
                .with_details(json!({ "field": "slug", "reason": "taken" })));
        }
    }
    let session = store::onboarding::get(&db, &session_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    request_bootstrap(env, ctx, &db, &session).await?;
    let p = store::platforms::get(&db, &platform_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let session = store::onboarding::get(&db, &session_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    Ok((p, session))
}

/// The tenant has as many live platforms as `tier` allows.
fn over_quota(tier: Tier, current: u64) -> ApiError {
    let limit = plan(tier).platforms_per_tenant.unwrap_or(0);
    let s = if limit == 1 { "" } else { "s" };
    ApiError::new(
        ErrorCode::QuotaExceeded,
        format!("the {tier} tier allows {limit} live platform{s} per tenant; choose a larger tier or cancel a platform"),
    )
    .with_details(json!({ "resource": "platforms", "tier": tier, "limit": limit, "current": current }))
}

/// Asks billing for the platform's customer and subscription (once: it answers with
/// the same ones again), then provisioning for the bootstrap (it answers with the same
/// job if one exists), and moves the platform to `provisioning`; a failure is recorded on the session,
/// for `retry`, not answered as an error: the platform exists either way.
async fn request_bootstrap(
    env: &Env,
    ctx: &RequestContext,
    db: &Db,
    s: &Session,
) -> Result<(), ApiError> {
    let p = store::platforms::get(db, &s.platform_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let at = now_ms() as i64;
    if p.stripe_customer_id.is_none() {
        let subscribe = SubscribeRequest {
            platform_id: p.id.clone(),
            tier: p.tier.clone(),
            billing_email: s.billing_email.clone(),
            owner_tenant_id: p.owner_tenant_id.clone(),
        };
        match crate::billing::subscribe(env, ctx, &subscribe).await {
            Ok(view) => {
                if let Some(customer) = view.stripe_customer_id.as_deref() {
                    store::billing::set_customer(db, &p.id, customer, at).await?;
                }
            }
            Err(e) => {
                nno_worker::log::event(
                    "warn",
                    ctx.service.name(),
                    "subscription request failed",
                    json!({ "requestId": ctx.request_id, "platformId": p.id, "error": e.message, "cause": e.cause }),
                );
                store::onboarding::failed(db, &p.id, "create_subscription", &e.message, at).await?;
                return Ok(());
            }
        }
    }
    let request = BootstrapRequest {
        platform_id: p.id.clone(),
        plan_tier: p.tier.clone(),
        billing_email: s.billing_email.clone(),
        default_entity_id: None,
        environment: None,
        owner_tenant_id: Some(p.owner_tenant_id.clone()),
    };
    match crate::provisioning::bootstrap(env, ctx, &request).await {
        Ok(job) => {
            store::onboarding::job_requested(db, &p.id, &job.job_id, at).await?;
            if p.status() == PlatformStatus::Pending {
                apply(env, ctx, db, &p, Transition::StartProvisioning, None, None).await?;
            }
        }
        Err(e) => {
            nno_worker::log::event(
                "warn",
                ctx.service.name(),
                "bootstrap request failed",
                json!({ "requestId": ctx.request_id, "platformId": p.id, "error": e.message }),
            );
            store::onboarding::failed(db, &p.id, "request_bootstrap", &e.message, at).await?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Create {
    platform_name: String,
    slug: String,
    #[serde(default)]
    tier: Option<String>,
    /// Default: the signed-in person's address.
    #[serde(default)]
    billing_email: Option<String>,
}

pub async fn create(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    let key = req.headers().get("idempotency-key").ok().flatten();
    let body: Create = read_json(&mut req, DEFAULT_LIMIT).await?;
    if key
        .as_deref()
        .is_some_and(|k| k.is_empty() || k.len() > 200)
    {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "Idempotency-Key must be 1 to 200 characters",
        ));
    }
    let id = access::authenticated(ctx)?;
    let Some(tenant) = access::caller_tenant(id) else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "select an active tenant to onboard a platform into",
        ));
    };
    ctx.require(tenant, nno_auth::permissions::PLATFORMS_MANAGE)?;
    let Some(user) = id.user_id() else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "onboarding is for people",
        ));
    };
    // The body is checked in full before a resume too: a retry with a bad field is
    // refused rather than quietly answered with the earlier session.
    check_name("platformName", &body.platform_name)?;
    parse_tier(body.tier.as_deref())?;
    if let Err(why) = validate_slug(&body.slug) {
        return Err(ApiError::invalid("slug", format!("slug {why}")));
    }
    if body
        .billing_email
        .as_deref()
        .is_some_and(|e| !valid_email(e))
    {
        return Err(ApiError::invalid(
            "billingEmail",
            "billingEmail is not an e-mail address",
        ));
    }
    let db = db(env, ctx)?;
    if let Some(earlier) = store::onboarding::earlier(&db, user, &body.slug, key.as_deref()).await?
    {
        return ok(ctx, &view(&db, &earlier).await?);
    }
    let email = match id {
        Identity::Session { email, .. } => email.clone(),
        _ => None,
    };
    let launch = Launch {
        name: &body.platform_name,
        slug: &body.slug,
        tier: body.tier.as_deref(),
        owner_tenant_id: tenant,
        user_id: Some(user),
        billing_email: body.billing_email.or(email),
        idempotency_key: key.as_deref(),
    };
    let (_, session) = launch_named(env, ctx, &launch).await?;
    created(ctx, &view(&db, &session).await?)
}

/// `launch`, with the onboarding body's field names in its validation errors.
async fn launch_named(
    env: &Env,
    ctx: &RequestContext,
    l: &Launch<'_>,
) -> Result<(Platform, Session), ApiError> {
    launch(env, ctx, l).await.map_err(|mut e| {
        if e.details.get("field") == Some(&Value::String("name".into())) {
            {
                e.details = json!({ "field": "platformName" });
                e.message = e.message.replace("name", "platformName");
            }
        }
        e
    })
}

async fn session_for(
    env: &Env,
    ctx: &RequestContext,
    id: &str,
    need: Need,
) -> Result<(Db, Session), ApiError> {
    access::authenticated(ctx)?;
    let db = db(env, ctx)?;
    let s = store::onboarding::get(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("onboarding session"))?;
    load(&db, ctx, &s.platform_id, need).await.map_err(|e| {
        if e.status() == 404 {
            ApiError::not_found("onboarding session")
        } else {
            e
        }
    })?;
    Ok((db, s))
}

pub async fn get(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let (db, s) = session_for(env, ctx, id, Need::Read).await?;
    ok(ctx, &view(&db, &s).await?)
}

pub async fn retry(env: &Env, ctx: &RequestContext, id: &str) -> ApiResult {
    let (db, s) = session_for(env, ctx, id, Need::Manage).await?;
    if s.status != "failed" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("the session is {}; only a failed one is retried", s.status),
        )
        .with_details(json!({ "status": s.status })));
    }
    match &s.job_id {
        Some(job) if s.failed_step.as_deref() != Some("request_bootstrap") => {
            match crate::provisioning::retry(env, ctx, job).await {
                Ok(_) => {
                    store::onboarding::job_requested(&db, &s.platform_id, job, now_ms() as i64)
                        .await?
                }
                Err(e) => {
                    return Err(ApiError::new(
                        ErrorCode::UpstreamError,
                        "provisioning did not take the retry",
                    )
                    .with_cause(e.message))
                }
            }
        }
        _ => request_bootstrap(env, ctx, &db, &s).await?,
    }
    let s = store::onboarding::get(&db, id)
        .await?
        .ok_or_else(ApiError::internal)?;
    ok(ctx, &view(&db, &s).await?)
}

pub async fn slug_availability(env: &Env, ctx: &RequestContext) -> ApiResult {
    access::authenticated(ctx)?;
    let Some(slug) = query(ctx, "slug") else {
        return Err(ApiError::invalid("slug", "give ?slug= to check"));
    };
    if slug.len() > 100 {
        return Err(ApiError::invalid("slug", "slug is too long"));
    }
    let db = db(env, ctx)?;
    let problem = slug_problem(&db, &slug).await?;
    ok(
        ctx,
        &json!({
            "slug": slug,
            "available": problem.is_none(),
            "reason": problem.as_ref().map(|p| p.0),
            "message": problem.map(|p| p.1),
        }),
    )
}

/// The session as the console shows it: registry's own steps around provisioning's.
async fn view(db: &Db, s: &Session) -> Result<Value, ApiError> {
    let p = store::platforms::get(db, &s.platform_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let job: Option<JobView> = s.job.as_deref().and_then(|j| serde_json::from_str(j).ok());
    let requested = match (s.failed_step.as_deref(), &s.job_id) {
        (Some("request_bootstrap"), _) => {
            json!({ "name": "request_bootstrap", "status": "failed", "error": s.error })
        }
        (_, Some(_)) => json!({ "name": "request_bootstrap", "status": "done" }),
        _ => json!({ "name": "request_bootstrap", "status": "pending" }),
    };
    let subscription = match (s.failed_step.as_deref(), &p.stripe_customer_id) {
        (Some("create_subscription"), _) => {
            json!({ "name": "create_subscription", "status": "failed", "error": s.error })
        }
        (_, Some(customer)) => {
            json!({ "name": "create_subscription", "status": "done", "stripeCustomerId": customer })
        }
        _ => json!({ "name": "create_subscription", "status": "pending" }),
    };
    let mut steps = vec![
        json!({ "name": "create_platform", "status": "done" }),
        subscription,
        requested,
    ];
    if let Some(j) = &job {
        steps.extend(j.steps.iter().map(|st| {
            json!({
                "name": st.name,
                "status": st.status,
                "attempts": st.attempts,
                "error": st.last_error,
                "cloudflareId": st.cloudflare_id,
            })
        }));
    }
    let active = !matches!(
        p.status(),
        PlatformStatus::Pending | PlatformStatus::Provisioning
    );
    steps.push(json!({ "name": "activate", "status": if active { "done" } else { "pending" } }));
    Ok(json!({
        "id": s.id,
        "platformId": s.platform_id,
        "slug": s.slug,
        "status": s.status,
        "platformStatus": p.status,
        "jobId": s.job_id,
        "jobStatus": job.as_ref().map(|j| j.status),
        "failedStep": s.failed_step,
        "error": s.error,
        "steps": steps,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
    }))
}

/// What a job's progress means for its session: status, error, the failed step.
pub fn session_outcome(job: &JobView) -> (&'static str, Option<String>, Option<String>) {
    match job.status {
        JobStatus::Succeeded => ("active", None, None),
        JobStatus::Failed => (
            "failed",
            job.last_error
                .clone()
                .or_else(|| Some("the bootstrap job failed".into())),
            job.steps
                .iter()
                .find(|s| s.status == StepStatus::Failed)
                .map(|s| s.name.clone())
                .or_else(|| Some("bootstrap".into())),
        ),
        JobStatus::Queued | JobStatus::Running => ("provisioning", None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nno_core::contracts::provisioning::{JobType, StepView};

    #[test]
    fn emails_are_checked_roughly() {
        assert!(valid_email("a@b.co"));
        for bad in [
            "",
            "a@",
            "@b.co",
            "a b@c.co",
            "a@b",
            "a@.b.",
            &format!("{}@b.co", "a".repeat(260)),
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_failed_job_names_its_failed_step() {
        let step = |name: &str, status| StepView {
            name: name.into(),
            status,
            attempts: 1,
            last_error: None,
            cloudflare_id: None,
        };
        let mut job = JobView {
            job_id: "j".into(),
            platform_id: "p".into(),
            job_type: JobType::BootstrapPlatform,
            status: JobStatus::Failed,
            attempts: 3,
            steps: vec![
                step("create_auth_db", StepStatus::RolledBack),
                step("upload_auth_worker", StepStatus::Failed),
            ],
            last_error: Some("boom".into()),
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(
            session_outcome(&job),
            (
                "failed",
                Some("boom".into()),
                Some("upload_auth_worker".into())
            )
        );
        job.status = JobStatus::Succeeded;
        assert_eq!(session_outcome(&job).0, "active");
        job.status = JobStatus::Running;
        assert_eq!(session_outcome(&job).0, "provisioning");
    }
}
