//! Metering's arithmetic: which UTC day a run meters, the month it belongs to, the
//! GraphQL Analytics query for a group of platforms and how to read its answer, and
//! what a month's usage means against the tier (overage to report to Stripe, alert
//! thresholds crossed).

use crate::plans::{Metric, Plan};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Platforms metered per queue message. One GraphQL query per message (Cloudflare
/// allows 300 per 5 minutes: 10,000 platforms make 200), and at most 250 meter events
/// and 500 alert e-mails on top in the worst case: inside the 1,000 subrequests of one
/// Worker invocation.
pub const PLATFORMS_PER_MESSAGE: usize = 50;

/// Alert thresholds, in percent of a month's included amount.
pub const THRESHOLDS: [u8; 2] = [80, 100];

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Hinnant's
/// `civil_from_days`).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD` of the UTC day `ms` falls in.
pub fn day_of(ms: i64) -> String {
    let (y, m, d) = civil(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day a run at `now_ms` meters: yesterday (UTC), complete by then.
pub fn day_to_meter(now_ms: i64) -> String {
    day_of(now_ms - 86_400_000)
}

/// `YYYY-MM-DD` if `s` is one (a real date).
pub fn parse_day(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<u32>().ok());
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    (y >= 2000 && (1..=12).contains(&m) && d >= 1 && d <= days[(m - 1) as usize])
        .then(|| s.to_string())
}

/// `YYYY-MM` if `s` is a month.
pub fn parse_period(s: &str) -> Option<String> {
    parse_day(&format!("{s}-01")).map(|_| s.to_string())
}

/// The month (`YYYY-MM`) of a day.
pub fn period_of(day: &str) -> &str {
    day.get(..7).unwrap_or(day)
}

/// A platform's usage of one day or one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage(pub [u64; 5]);

impl Usage {
    pub fn get(&self, m: Metric) -> u64 {
        self.0[index(m)]
    }

    pub fn add(&mut self, m: Metric, v: u64) {
        let i = index(m);
        self.0[i] = self.0[i].saturating_add(v);
    }
}

fn index(m: Metric) -> usize {
    Metric::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

/// What a platform runs, as metering names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub platform_id: String,
    /// `worker`, `d1`, `r2` or `kv`.
    pub kind: String,
    /// The Worker's script name or the bucket's name.
    pub name: String,
    /// The D1 database's or KV namespace's id.
    pub cloudflare_id: Option<String>,
}

impl Resource {
    /// The key the analytics datasets group by.
    fn key(&self) -> Option<&str> {
        match self.kind.as_str() {
            "worker" | "r2" => Some(&self.name),
            "d1" | "kv" => self.cloudflare_id.as_deref(),
            _ => None,
        }
    }
}

pub const USAGE_QUERY: &str = "query Usage($account: string!, $start: Date!, $end: Date!, \
$scripts: [string!], $databases: [string!], $buckets: [string!], $namespaces: [string!]) { viewer { \
accounts(filter: {accountTag: $account}) { \
workersInvocationsAdaptive(limit: 10000, filter: {date_geq: $start, date_leq: $end, scriptName_in: $scripts}) { sum { requests } dimensions { scriptName } } \
d1AnalyticsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, databaseId_in: $databases}) { sum { rowsRead rowsWritten } dimensions { databaseId } } \
r2OperationsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, bucketName_in: $buckets}) { sum { requests } dimensions { bucketName } } \
kvOperationsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, namespaceId_in: $namespaces}) { sum { requests } dimensions { namespaceId } } \
} } }";

/// The GraphQL body for one day of `resources`' usage.
pub fn usage_request(account: &str, day: &str, resources: &[Resource]) -> Value {
    let keys = |kind: &str| -> Vec<&str> {
        resources
            .iter()
            .filter(|r| r.kind == kind)
            .filter_map(Resource::key)
            .collect()
    };
    json!({
        "query": USAGE_QUERY,
        "variables": {
            "account": account, "start": day, "end": day,
            "scripts": keys("worker"), "databases": keys("d1"),
            "buckets": keys("r2"), "namespaces": keys("kv"),
        }
    })
}

/// A dataset's sum fields and the metric each one is.
type Fields = &'static [(&'static str, Metric)];

/// (dataset, dimension, fields).
const DATASETS: [(&str, &str, Fields); 4] = [
    (
        "workersInvocationsAdaptive",
        "scriptName",
        &[("requests", Metric::WorkerInvocations)],
    ),
    (
        "d1AnalyticsAdaptiveGroups",
        "databaseId",
        &[
            ("rowsRead", Metric::D1RowsRead),
            ("rowsWritten", Metric::D1RowsWritten),
        ],
    ),
    (
        "r2OperationsAdaptiveGroups",
        "bucketName",
        &[("requests", Metric::R2Operations)],
    ),
    (
        "kvOperationsAdaptiveGroups",
        "namespaceId",
        &[("requests", Metric::KvOperations)],
    ),
];

/// Each platform's usage from the GraphQL answer; an answer with `errors`, or
/// without the account's data, is an error (the run is retried, nothing stored).
pub fn read_usage(
    answer: &Value,
    resources: &[Resource],
) -> Result<HashMap<String, Usage>, String> {
    if let Some(errors) = answer.get("errors").and_then(Value::as_array) {
        if !errors.is_empty() {
            let first = errors[0]
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("?");
            return Err(format!("GraphQL: {first}"));
        }
    }
    let account = answer
        .pointer("/data/viewer/accounts/0")
        .ok_or("GraphQL: no account in the answer")?;
    let owner: HashMap<&str, &str> = resources
        .iter()
        .filter_map(|r| Some((r.key()?, r.platform_id.as_str())))
        .collect();
    let mut out: HashMap<String, Usage> = HashMap::new();
    for r in resources {
        out.entry(r.platform_id.clone()).or_default();
    }
    for (dataset, dimension, fields) in DATASETS {
        let Some(groups) = account.get(dataset).and_then(Value::as_array) else {
            continue;
        };
        for g in groups {
            let Some(key) = g
                .pointer(&format!("/dimensions/{dimension}"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let Some(pid) = owner.get(key) else { continue };
            let usage = out.entry((*pid).to_string()).or_default();
            for (field, metric) in fields {
                let v = g.pointer(&format!("/sum/{field}"));
                let n = v
                    .and_then(Value::as_u64)
                    .or_else(|| v.and_then(Value::as_f64).map(|f| f.max(0.0) as u64))
                    .or_else(|| v.and_then(Value::as_str).and_then(|s| s.parse().ok()))
                    .unwrap_or(0);
                usage.add(*metric, n);
            }
        }
    }
    Ok(out)
}

/// What is over the month's included amount.
pub fn overage(plan: &Plan, month: &Usage, m: Metric) -> u64 {
    month.get(m).saturating_sub(plan.included(m))
}

/// The thresholds (percent) `used` has reached of `included`.
pub fn crossed(used: u64, included: u64) -> Vec<u8> {
    THRESHOLDS
        .iter()
        .copied()
        .filter(|t| included > 0 && u128::from(used) * 100 >= u128::from(included) * u128::from(*t))
        .collect()
}

/// Who a usage alert goes to: the billing address and the tenant's owners (oldest
/// first), each address once (compared without case), at most `max` (one message's
/// recipients; the billing address is always among them).
pub fn recipients<'a>(
    owners: impl IntoIterator<Item = &'a str>,
    billing_email: &'a str,
    max: usize,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in [billing_email].into_iter().chain(owners) {
        let a = a.trim();
        if !a.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(a)) && out.len() < max {
            out.push(a.to_string());
        }
    }
    out
}

/// A meter event's identifier: the same for the same overage total, so a rerun (or a
/// retried message) is deduplicated by Stripe, and a new total is a new event.
pub fn meter_identifier(platform_id: &str, m: Metric, period: &str, total: u64) -> String {
    format!("nno-{platform_id}-{}-{period}-{total}", m.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plans::plan;
    use nno_core::platform::Tier;

    #[test]
    fn alerts_go_to_each_owner_and_the_billing_address_once() {
        let to = recipients(["a@x.io", "B@x.io", " a@X.io"], "b@x.io", 50);
        assert_eq!(to, ["b@x.io", "a@x.io"]);
        let to = recipients(["a@x.io"], "pay@x.io", 50);
        assert_eq!(to, ["pay@x.io", "a@x.io"]);
        // A tenant IAM no longer knows still has its billing address.
        assert_eq!(recipients([], "pay@x.io", 50), ["pay@x.io"]);
        // Past one message's limit the billing address and the oldest owners are kept.
        let many: Vec<String> = (0..60).map(|i| format!("o{i}@x.io")).collect();
        let to = recipients(many.iter().map(String::as_str), "pay@x.io", 50);
        assert_eq!(to.len(), 50);
        assert_eq!((to[0].as_str(), to[1].as_str()), ("pay@x.io", "o0@x.io"));
    }

    #[test]
    fn days_and_months() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_764_720_000_000), "2025-12-03");
        // 2024-02-29 12:00 UTC, a leap day.
        assert_eq!(day_of(1_709_208_000_000), "2024-02-29");
        assert_eq!(day_to_meter(1_764_727_200_000), "2025-12-02");
        assert_eq!(period_of("2026-12-02"), "2026-12");
        assert_eq!(parse_day("2024-02-29").as_deref(), Some("2024-02-29"));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-01",
            "20261201",
            "1999-01-01",
            "2026-04-31",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        assert_eq!(parse_period("2026-12").as_deref(), Some("2026-12"));
        assert_eq!(parse_period("2026-00"), None);
    }

    fn resources() -> Vec<Resource> {
        let r = |p: &str, kind: &str, name: &str, id: Option<&str>| Resource {
            platform_id: p.into(),
            kind: kind.into(),
            name: name.into(),
            cloudflare_id: id.map(String::from),
        };
        vec![
            r("aaaaaaaaaa", "worker", "aaaaaaaaaa-default-auth", None),
            r(
                "aaaaaaaaaa",
                "d1",
                "aaaaaaaaaa-default-auth-db",
                Some("uuid-a"),
            ),
            r("bbbbbbbbbb", "worker", "bbbbbbbbbb-default-auth", None),
            r("bbbbbbbbbb", "kv", "bbbbbbbbbb-cache", Some("ns-b")),
        ]
    }

    #[test]
    fn the_request_names_each_kind_by_what_its_dataset_groups_by() {
        let v = usage_request("acct", "2026-12-02", &resources());
        assert_eq!(
            v["variables"]["scripts"],
            json!(["aaaaaaaaaa-default-auth", "bbbbbbbbbb-default-auth"])
        );
        assert_eq!(v["variables"]["databases"], json!(["uuid-a"]));
        assert_eq!(v["variables"]["namespaces"], json!(["ns-b"]));
        assert_eq!(v["variables"]["buckets"], json!([]));
        assert_eq!(v["variables"]["start"], "2026-12-02");
        assert!(v["query"]
            .as_str()
            .unwrap()
            .contains("d1AnalyticsAdaptiveGroups"));
    }

    #[test]
    fn the_answer_is_summed_per_platform() {
        let answer = json!({"data": {"viewer": {"accounts": [{
            "workersInvocationsAdaptive": [
                {"sum": {"requests": 100}, "dimensions": {"scriptName": "aaaaaaaaaa-default-auth"}},
                {"sum": {"requests": 7}, "dimensions": {"scriptName": "bbbbbbbbbb-default-auth"}},
                {"sum": {"requests": 9}, "dimensions": {"scriptName": "someone-else"}}
            ],
            "d1AnalyticsAdaptiveGroups": [{"sum": {"rowsRead": 50, "rowsWritten": 5}, "dimensions": {"databaseId": "uuid-a"}}],
            "kvOperationsAdaptiveGroups": [{"sum": {"requests": "12"}, "dimensions": {"namespaceId": "ns-b"}}]
        }]}}, "errors": null});
        let u = read_usage(&answer, &resources()).unwrap();
        let a = u["aaaaaaaaaa"];
        assert_eq!(a.get(Metric::WorkerInvocations), 100);
        assert_eq!(a.get(Metric::D1RowsRead), 50);
        assert_eq!(a.get(Metric::D1RowsWritten), 5);
        let b = u["bbbbbbbbbb"];
        assert_eq!(b.get(Metric::WorkerInvocations), 7);
        assert_eq!(b.get(Metric::KvOperations), 12);
        assert_eq!(u.len(), 2, "nobody else's usage is kept");
        let failed = json!({"data": null, "errors": [{"message": "unknown dataset"}]});
        assert!(read_usage(&failed, &resources())
            .unwrap_err()
            .contains("unknown dataset"));
        assert!(read_usage(&json!({"data": {"viewer": {"accounts": []}}}), &resources()).is_err());
    }

    #[test]
    fn overage_thresholds_and_identifiers() {
        let p = plan(Tier::Starter);
        let mut month = Usage::default();
        month.add(Metric::WorkerInvocations, 5_000_100);
        assert_eq!(overage(p, &month, Metric::WorkerInvocations), 100);
        assert_eq!(overage(p, &month, Metric::D1RowsRead), 0);
        assert_eq!(crossed(79, 100), Vec::<u8>::new());
        assert_eq!(crossed(80, 100), vec![80]);
        assert_eq!(crossed(150, 100), vec![80, 100]);
        assert_eq!(crossed(5, 0), Vec::<u8>::new());
        assert_eq!(
            meter_identifier("aaaaaaaaaa", Metric::D1RowsRead, "2026-12", 42),
            "nno-aaaaaaaaaa-d1_rows_read-2026-12-42"
        );
    }
}
