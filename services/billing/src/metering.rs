//! Daily metering. At 02:00 UTC (cron) — or when an operator asks
//! (`POST metering/run`) — billing fans the day out: every platform with a live
//! subscription, `PLATFORMS_PER_MESSAGE` (50) per message, onto its own metering queue, so
//! no invocation does more than a handful of platforms however many there are. Each
//! message: one GraphQL Analytics query for its platforms' Workers, D1 databases, R2
//! buckets and KV namespaces; a usage row per platform and day (a rerun changes
//! nothing) and the month rolled up; overage beyond the tier's included amounts sent
//! to Stripe as meter events whose identifier is the overage total (Stripe drops a
//! repeat); an e-mail to the tenant's owners (IAM knows them) and the billing address
//! at 80 % and 100 % of an included amount, once per threshold and month.

use crate::config;
use crate::store::{subscriptions as subs, usage};
use crate::stripe::Stripe;
use nno_billing::metering::{self, Resource, Usage, PLATFORMS_PER_MESSAGE};
use nno_billing::plans::{plan, Metric};
use nno_billing::stripe::Form;
use nno_core::contracts::TenantOwners;
use nno_core::identity::INTERNAL_JSON;
use nno_core::platform::Tier;
use nno_core::{ApiError, ErrorCode, Service};
use nno_worker::client::ServiceClient;
use nno_worker::d1::Db;
use nno_worker::mail::{self, MailConfig};
use nno_worker::outbound::{self, Body};
use nno_worker::runtime::now_ms;
use nno_worker::RequestContext;
use serde::{Deserialize, Serialize};
use worker::{Env, Headers, Method};

pub const QUEUE: &str = "METERING_QUEUE";

/// One queue message: a day and the platforms to meter for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Job {
    pub day: String,
    pub platform_ids: Vec<String>,
}

/// What a fan-out did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FanOut {
    pub day: String,
    pub platforms: usize,
    pub messages: usize,
}

/// Queues `day` for every meterable platform, in pages of 1,000 rows and batches of
/// 100 messages (a queue's batch limit).
pub async fn fan_out(env: &Env, db: &Db, day: &str) -> Result<FanOut, ApiError> {
    let queue = env.queue(QUEUE).map_err(|e| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the metering queue is not bound",
        )
        .with_cause(e.to_string())
    })?;
    let (mut after, mut platforms, mut messages) = (String::new(), 0, 0);
    loop {
        let page = usage::meterable(db, &after, 1_000).await?;
        let Some(last) = page.last().cloned() else {
            break;
        };
        platforms += page.len();
        let jobs: Vec<Job> = page
            .chunks(PLATFORMS_PER_MESSAGE)
            .map(|c| Job {
                day: day.to_string(),
                platform_ids: c.to_vec(),
            })
            .collect();
        for batch in jobs.chunks(100) {
            messages += batch.len();
            let b = worker::BatchMessageBuilder::new()
                .messages(batch.to_vec())
                .build();
            queue.send_batch(b).await.map_err(|e| {
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "the metering queue refused a batch",
                )
                .with_cause(e.to_string())
            })?;
        }
        after = last;
    }
    Ok(FanOut {
        day: day.to_string(),
        platforms,
        messages,
    })
}

async fn query_usage(
    env: &Env,
    day: &str,
    resources: &[Resource],
) -> Result<std::collections::HashMap<String, Usage>, ApiError> {
    let cf = config::cloudflare(env)?;
    let body = metering::usage_request(&cf.account, day, resources);
    let auth = format!("Bearer {}", cf.token);
    let reply = outbound::call(
        "the Cloudflare API",
        Method::Post,
        &format!("{}/graphql", cf.base),
        &[("authorization", &auth)],
        Body::Json(&body),
    )
    .await?;
    if !reply.ok() {
        return Err(ApiError::new(
            ErrorCode::UpstreamError,
            "Cloudflare's analytics refused the query",
        )
        .with_cause(format!("graphql {}: {}", reply.status, reply.body)));
    }
    metering::read_usage(&reply.body, resources).map_err(|e| {
        ApiError::new(
            ErrorCode::UpstreamError,
            "Cloudflare's analytics answered with errors",
        )
        .with_cause(e)
    })
}

/// What one message cost: calls outside the Worker (GraphQL, Stripe, IAM, e-mail) and D1
/// rows written (the bench reads them from the message's log line).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub platforms: usize,
    pub subrequests: usize,
    pub rows_written: usize,
}

/// Meters one message's platforms for its day. An error leaves the message to be
/// retried; what was stored stays, and the retry changes nothing it already did.
pub async fn meter(env: &Env, ctx: &RequestContext, job: &Job) -> Result<Stats, ApiError> {
    let day = metering::parse_day(&job.day).ok_or_else(|| ApiError::invalid("day", "not a day"))?;
    let mut stats = Stats {
        platforms: job.platform_ids.len(),
        ..Stats::default()
    };
    let db = Db::bind(env, "DB", ctx)?;
    let resources = usage::resources_of(&db, &job.platform_ids).await?;
    let measured = if resources.is_empty() {
        Default::default()
    } else {
        stats.subrequests += 1;
        query_usage(env, &day, &resources).await?
    };
    let stripe = Stripe::new(config::stripe(env)?);
    let mail = MailConfig::load(env);
    let period = metering::period_of(&day).to_string();
    for pid in &job.platform_ids {
        let Some(row) = subs::get(&db, pid).await? else {
            continue;
        };
        let at = now_ms() as i64;
        let today = measured.get(pid).copied().unwrap_or_default();
        let (month, written) = usage::record_day(&db, pid, &day, &today, at).await?;
        stats.rows_written += written;
        let p = plan(Tier::parse(&row.tier).unwrap_or(Tier::Starter));
        // Asked of IAM once per platform, and only when an alert is due.
        let mut to: Option<Vec<String>> = None;
        for m in Metric::ALL {
            let total = metering::overage(p, &month, m);
            let sent = usage::reported(&db, pid, &period, m.as_str()).await?;
            if let (Some(customer), true) = (row.stripe_customer_id.as_deref(), total > sent) {
                let form = Form::new()
                    .set("event_name", m.meter_event())
                    .set("payload[stripe_customer_id]", customer)
                    .set("payload[value]", (total - sent).to_string())
                    .set(
                        "identifier",
                        metering::meter_identifier(pid, m, &period, total),
                    );
                stats.subrequests += 1;
                match stripe.post("/v1/billing/meter_events", &form, None).await {
                    Ok(_) => {}
                    // The identifier was taken: Stripe has this total already.
                    Err(e) if e.details["stripeCode"] == "resource_already_exists" => {}
                    Err(e) => return Err(e),
                }
                usage::set_reported(&db, pid, &period, m.as_str(), total, at).await?;
                stats.rows_written += 1;
            }
            let Some(cfg) = &mail else { continue };
            for threshold in metering::crossed(month.get(m), p.included(m)) {
                if !usage::claim_alert(&db, pid, &period, m.as_str(), threshold, at).await? {
                    continue;
                }
                stats.rows_written += 1;
                let alert = Alert {
                    row: &row,
                    period: &period,
                    metric: m,
                    threshold,
                    used: month.get(m),
                    included: p.included(m),
                };
                let sent = async {
                    if to.is_none() {
                        to = Some(recipients(env, ctx, &row).await?);
                        stats.subrequests += 1;
                    }
                    send_alert(cfg, &alert, to.as_deref().unwrap_or_default()).await
                };
                if let Err(e) = sent.await {
                    // Given back, so the retried message sends it.
                    usage::release_alert(&db, pid, &period, m.as_str(), threshold).await?;
                    return Err(e);
                }
                stats.subrequests += 1;
            }
        }
    }
    Ok(stats)
}

struct Alert<'a> {
    row: &'a subs::Row,
    period: &'a str,
    metric: Metric,
    threshold: u8,
    used: u64,
    included: u64,
}

/// Who a platform's alerts go to: its tenant's owners, as IAM has them now, and its
/// billing address. A tenant IAM no longer has (404) leaves the billing address.
async fn recipients(
    env: &Env,
    ctx: &RequestContext,
    row: &subs::Row,
) -> Result<Vec<String>, ApiError> {
    let key = nno_worker::caller::internal_key(env)?;
    let path = format!(
        "/api/nno/tenants/{}/owners",
        nno_core::urls::encode(&row.owner_tenant_id)
    );
    let iam = ServiceClient::new(env, Service::Iam)?;
    let owners = match iam
        .call::<(), TenantOwners>(
            ctx,
            Method::Get,
            &path,
            None,
            Some((&key, INTERNAL_JSON)),
            Headers::new(),
        )
        .await
    {
        Ok(answer) => answer.owners,
        Err(e) if e.status() == 404 => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(metering::recipients(
        owners.iter().map(|o| o.email.as_str()),
        &row.billing_email,
        mail::MAX_RECIPIENTS,
    ))
}

/// Mails one claimed alert, as one message to all of `to`.
async fn send_alert(cfg: &MailConfig, a: &Alert<'_>, to: &[String]) -> Result<(), ApiError> {
    let (pid, metric) = (a.row.platform_id.as_str(), a.metric.as_str());
    let what = metric.replace('_', " ");
    let subject = format!("Platform {pid}: {} % of this month's {what}", a.threshold);
    let text = format!(
        "Your platform {pid} has used {} of the {} {what} its {} tier includes in {} ({} %). \
         Usage beyond the included amount is billed as overage at the end of the month.",
        a.used, a.included, a.row.tier, a.period, a.threshold
    );
    let to: Vec<&str> = to.iter().map(String::as_str).collect();
    let message = mail::Mail {
        to: &to,
        subject: &subject,
        html: format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;")),
        text,
    };
    mail::send("billing", cfg, &message).await
}
