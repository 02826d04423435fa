//! Metering's tables: the resources metered, a usage row per platform and day (first
//! write wins: a rerun of a day changes nothing), the months rolled up from the days,
//! the overage reported to Stripe, the alerts sent.

use super::{n, opt, s};
use nno_billing::metering::{Resource, Usage};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;
use wasm_bindgen::JsValue;

pub async fn put_resource(db: &Db, r: &Resource, removed: bool, at: i64) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO metered_resources (platform_id, kind, name, cloudflare_id, removed_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 = 1 THEN ?6 END, ?6) \
         ON CONFLICT (platform_id, kind, name) DO UPDATE SET \
         cloudflare_id = COALESCE(excluded.cloudflare_id, cloudflare_id), \
         removed_at = excluded.removed_at, updated_at = excluded.updated_at \
         WHERE excluded.updated_at >= metered_resources.updated_at",
        &[s(&r.platform_id), s(&r.kind), s(&r.name), opt(r.cloudflare_id.as_deref()), n(i64::from(removed)), n(at)],
    )
    .await
    .map(|_| ())
}

#[derive(Deserialize)]
struct ResourceRow {
    platform_id: String,
    kind: String,
    name: String,
    cloudflare_id: Option<String>,
}

/// The live resources of `platforms`.
pub async fn resources_of(db: &Db, platforms: &[String]) -> Result<Vec<Resource>, ApiError> {
    if platforms.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=platforms.len()).map(|i| format!("?{i}")).collect();
    let params: Vec<JsValue> = platforms.iter().map(|p| s(p)).collect();
    let rows: Vec<ResourceRow> = db
        .all(
            &format!(
                "SELECT platform_id, kind, name, cloudflare_id FROM metered_resources \
                 WHERE removed_at IS NULL AND platform_id IN ({})",
                marks.join(", ")
            ),
            &params,
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Resource {
            platform_id: r.platform_id,
            kind: r.kind,
            name: r.name,
            cloudflare_id: r.cloudflare_id,
        })
        .collect())
}

#[derive(Deserialize)]
struct Id {
    platform_id: String,
}

/// A page of the platforms to meter (a live subscription), after `after`.
pub async fn meterable(db: &Db, after: &str, limit: u32) -> Result<Vec<String>, ApiError> {
    let rows: Vec<Id> = db
        .all(
            "SELECT platform_id FROM subscriptions WHERE platform_id > ?1 \
             AND status IN ('active','trialing','past_due','unpaid') ORDER BY platform_id LIMIT ?2",
            &[s(after), n(i64::from(limit))],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.platform_id).collect())
}

const METRICS: &str =
    "worker_invocations, d1_rows_read, d1_rows_written, r2_operations, kv_operations";

/// A day's or a month's row (`day` or `days` as selected).
#[derive(Deserialize)]
struct UsageRow {
    #[serde(default)]
    day: Option<String>,
    #[serde(default)]
    days: Option<i64>,
    worker_invocations: i64,
    d1_rows_read: i64,
    d1_rows_written: i64,
    r2_operations: i64,
    kv_operations: i64,
}

impl UsageRow {
    fn usage(&self) -> Usage {
        let u = |v: i64| u64::try_from(v).unwrap_or(0);
        Usage([
            u(self.worker_invocations),
            u(self.d1_rows_read),
            u(self.d1_rows_written),
            u(self.r2_operations),
            u(self.kv_operations),
        ])
    }
}

fn metric_params(u: &Usage) -> Vec<JsValue> {
    u.0.iter()
        .map(|v| n(i64::try_from(*v).unwrap_or(i64::MAX)))
        .collect()
}

/// Stores a day (unless stored already) and rolls its month up from its days, in one
/// transaction; the month's totals as stored, and the rows written.
pub async fn record_day(
    db: &Db,
    platform_id: &str,
    day: &str,
    usage: &Usage,
    at: i64,
) -> Result<(Usage, usize), ApiError> {
    let mut params = vec![s(platform_id), s(day)];
    params.extend(metric_params(usage));
    params.push(n(at));
    let insert = db.stmt(
        &format!(
            "INSERT INTO usage_daily (platform_id, day, {METRICS}, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (platform_id, day) DO NOTHING"
        ),
        &params,
    )?;
    let period = nno_billing::metering::period_of(day);
    let rollup = db.stmt(
        &format!(
            "INSERT INTO usage_monthly (platform_id, period, days, {METRICS}, updated_at) \
             SELECT ?1, ?2, COUNT(*), SUM(worker_invocations), SUM(d1_rows_read), SUM(d1_rows_written), \
             SUM(r2_operations), SUM(kv_operations), ?3 FROM usage_daily \
             WHERE platform_id = ?1 AND substr(day, 1, 7) = ?2 \
             ON CONFLICT (platform_id, period) DO UPDATE SET days = excluded.days, \
             worker_invocations = excluded.worker_invocations, d1_rows_read = excluded.d1_rows_read, \
             d1_rows_written = excluded.d1_rows_written, r2_operations = excluded.r2_operations, \
             kv_operations = excluded.kv_operations, updated_at = excluded.updated_at"
        ),
        &[s(platform_id), s(period), n(at)],
    )?;
    let written: usize = db
        .batch(vec![insert, rollup])
        .await?
        .iter()
        .map(nno_worker::d1::changes)
        .sum();
    let month = month(db, platform_id, period)
        .await?
        .map(|m| m.1)
        .unwrap_or_default();
    Ok((month, written))
}

/// A month's totals and how many days they cover.
pub async fn month(
    db: &Db,
    platform_id: &str,
    period: &str,
) -> Result<Option<(u32, Usage)>, ApiError> {
    let row: Option<UsageRow> = db
        .first(
            &format!(
                "SELECT days, {METRICS} FROM usage_monthly WHERE platform_id = ?1 AND period = ?2"
            ),
            &[s(platform_id), s(period)],
        )
        .await?;
    Ok(row.map(|r| {
        (
            r.days.and_then(|d| u32::try_from(d).ok()).unwrap_or(0),
            r.usage(),
        )
    }))
}

/// A month's days, in order.
pub async fn days(
    db: &Db,
    platform_id: &str,
    period: &str,
) -> Result<Vec<(String, Usage)>, ApiError> {
    let rows: Vec<UsageRow> = db
        .all(
            &format!(
                "SELECT day, {METRICS} FROM usage_daily WHERE platform_id = ?1 AND substr(day, 1, 7) = ?2 ORDER BY day"
            ),
            &[s(platform_id), s(period)],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.day.clone().unwrap_or_default(), r.usage()))
        .collect())
}

pub async fn reported(
    db: &Db,
    platform_id: &str,
    period: &str,
    metric: &str,
) -> Result<u64, ApiError> {
    #[derive(Deserialize)]
    struct Row {
        reported: i64,
    }
    let row: Option<Row> = db
        .first(
            "SELECT reported FROM overage_reported WHERE platform_id = ?1 AND period = ?2 AND metric = ?3",
            &[s(platform_id), s(period), s(metric)],
        )
        .await?;
    Ok(row.map_or(0, |r| u64::try_from(r.reported).unwrap_or(0)))
}

/// Records that Stripe has the overage up to `total` (never lowers it).
pub async fn set_reported(
    db: &Db,
    platform_id: &str,
    period: &str,
    metric: &str,
    total: u64,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO overage_reported (platform_id, period, metric, reported, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (platform_id, period, metric) DO UPDATE SET reported = excluded.reported, \
         updated_at = excluded.updated_at WHERE excluded.reported > overage_reported.reported",
        &[s(platform_id), s(period), s(metric), n(i64::try_from(total).unwrap_or(i64::MAX)), n(at)],
    )
    .await
    .map(|_| ())
}

/// Claims an alert; whether this call claimed it (it had not been sent).
pub async fn claim_alert(
    db: &Db,
    platform_id: &str,
    period: &str,
    metric: &str,
    threshold: u8,
    at: i64,
) -> Result<bool, ApiError> {
    db.exec_changed(
        "INSERT INTO usage_alerts (platform_id, period, metric, threshold, sent_at) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT DO NOTHING",
        &[s(platform_id), s(period), s(metric), n(i64::from(threshold)), n(at)],
    )
    .await
}

/// Gives a claimed alert back (its e-mail could not be sent; the next run tries again).
pub async fn release_alert(
    db: &Db,
    platform_id: &str,
    period: &str,
    metric: &str,
    threshold: u8,
) -> Result<(), ApiError> {
    db.exec(
        "DELETE FROM usage_alerts WHERE platform_id = ?1 AND period = ?2 AND metric = ?3 AND threshold = ?4",
        &[s(platform_id), s(period), s(metric), n(i64::from(threshold))],
    )
    .await
    .map(|_| ())
}
