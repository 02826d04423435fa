//! The usage endpoints: a platform's month against its tier (`GET usage`), the
//! resources registry tells billing to meter (`POST resources`, operators), and a
//! metering run on demand (`POST metering/run`, operators).

use crate::metering;
use crate::store::{subscriptions as subs, usage};
use nno_billing::metering::{parse_day, parse_period, Resource, Usage};
use nno_billing::plans::{plan, Metric};
use nno_core::platform::Tier;
use nno_core::ApiError;
use nno_worker::body::{read_json, DEFAULT_LIMIT};
use nno_worker::d1::Db;
use nno_worker::platform_access::{self as pa, Need};
use nno_worker::runtime::now_ms;
use nno_worker::{respond, ApiResult, RequestContext};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use worker::{Env, Request};

fn metrics(u: &Usage) -> Map<String, Value> {
    Metric::ALL
        .iter()
        .map(|m| (m.camel().to_string(), json!(u.get(*m))))
        .collect()
}

pub async fn get(env: &Env, ctx: &RequestContext) -> ApiResult {
    let pid = crate::subscriptions::query_platform(ctx)?;
    let now = now_ms() as i64;
    let period = match ctx.query_param("period") {
        None => nno_billing::metering::period_of(&nno_billing::metering::day_of(now)).to_string(),
        Some(p) => parse_period(&p)
            .ok_or_else(|| ApiError::invalid("period", "period is a month, YYYY-MM"))?,
    };
    let db = Db::bind(env, "DB", ctx)?;
    pa::authenticated(ctx)?;
    let row = subs::get(&db, &pid)
        .await?
        .ok_or_else(|| ApiError::not_found("subscription"))?;
    pa::check(ctx, &row.owner_tenant_id, Need::Read, "subscription")?;
    let tier = Tier::parse(&row.tier).unwrap_or(Tier::Starter);
    let p = plan(tier);
    let (days, month) = usage::month(&db, &pid, &period).await?.unwrap_or_default();
    let summary: Vec<Value> = Metric::ALL
        .iter()
        .map(|m| {
            let (used, included) = (month.get(*m), p.included(*m));
            json!({
                "metric": m.camel(),
                "used": used,
                "included": included,
                "percent": if included == 0 { 0.0 } else { (used as f64 * 1000.0 / included as f64).round() / 10.0 },
                "overage": used.saturating_sub(included),
            })
        })
        .collect();
    let daily: Vec<Value> = usage::days(&db, &pid, &period)
        .await?
        .into_iter()
        .map(|(day, u)| {
            let mut m = metrics(&u);
            m.insert("day".into(), json!(day));
            Value::Object(m)
        })
        .collect();
    Ok(respond::json(
        200,
        &json!({ "platformId": pid, "period": period, "tier": tier, "days": days, "metrics": summary, "daily": daily }),
        &ctx.request_id,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResourceBody {
    platform_id: String,
    kind: String,
    name: String,
    #[serde(default)]
    cloudflare_id: Option<String>,
    #[serde(default)]
    removed: bool,
}

pub async fn put_resource(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    pa::require_operator(ctx)?;
    let b: ResourceBody = read_json(&mut req, DEFAULT_LIMIT).await?;
    crate::subscriptions::check_platform_id(&b.platform_id)?;
    if !matches!(b.kind.as_str(), "worker" | "d1" | "r2" | "kv") {
        return Err(ApiError::invalid(
            "kind",
            "kind must be one of worker, d1, r2, kv",
        ));
    }
    let bounded = |s: &str| !s.is_empty() && s.len() <= 255 && !s.chars().any(char::is_control);
    if !bounded(&b.name) {
        return Err(ApiError::invalid(
            "name",
            "name must be 1 to 255 characters",
        ));
    }
    if b.cloudflare_id.as_deref().is_some_and(|c| !bounded(c)) {
        return Err(ApiError::invalid(
            "cloudflareId",
            "cloudflareId must be 1 to 255 characters",
        ));
    }
    if matches!(b.kind.as_str(), "d1" | "kv") && b.cloudflare_id.is_none() && !b.removed {
        return Err(ApiError::invalid(
            "cloudflareId",
            "a D1 database or KV namespace is metered by its id",
        ));
    }
    let db = Db::bind(env, "DB", ctx)?;
    let r = Resource {
        platform_id: b.platform_id,
        kind: b.kind,
        name: b.name,
        cloudflare_id: b.cloudflare_id,
    };
    usage::put_resource(&db, &r, b.removed, now_ms() as i64).await?;
    Ok(respond::json(
        200,
        &json!({ "platformId": r.platform_id, "kind": r.kind, "name": r.name, "cloudflareId": r.cloudflare_id, "metered": !b.removed }),
        &ctx.request_id,
    ))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RunBody {
    #[serde(default)]
    day: Option<String>,
}

pub async fn run(mut req: Request, env: &Env, ctx: &RequestContext) -> ApiResult {
    pa::require_operator(ctx)?;
    let body: RunBody = read_json(&mut req, DEFAULT_LIMIT).await?;
    let now = now_ms() as i64;
    let day = match body.day {
        None => nno_billing::metering::day_to_meter(now),
        Some(d) => {
            parse_day(&d).ok_or_else(|| ApiError::invalid("day", "day is a date, YYYY-MM-DD"))?
        }
    };
    // A day that has not ended has no complete usage yet.
    if day >= nno_billing::metering::day_of(now) {
        return Err(ApiError::invalid(
            "day",
            "only a day that has ended can be metered",
        ));
    }
    let db = Db::bind(env, "DB", ctx)?;
    let out = metering::fan_out(env, &db, &day).await?;
    Ok(respond::json(202, &out, &ctx.request_id))
}
