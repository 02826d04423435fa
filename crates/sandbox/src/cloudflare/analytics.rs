//! A stand-in for Cloudflare's GraphQL Analytics API (`POST /graphql`), for the
//! account-scoped usage datasets billing meters:
//!
//! | dataset | `sum` fields | resource dimension |
//! |---|---|---|
//! | `workersInvocationsAdaptive` | `requests` | `scriptName` |
//! | `d1AnalyticsAdaptiveGroups` | `rowsRead`, `rowsWritten` | `databaseId` |
//! | `r2OperationsAdaptiveGroups` | `requests` | `bucketName` |
//! | `kvOperationsAdaptiveGroups` | `requests` | `namespaceId` |
//!
//! The query is read (`graphql.rs`), not executed against a schema:
//! `viewer { accounts(filter: {accountTag}) { <dataset>(limit, filter, orderBy) {
//! sum { … } dimensions { <resource dimension> date } } } }`, with aliases, literal or
//! `$variable` arguments (a whole `filter: $f` too, and `AND: [{…}]`), and
//! `accountTag` as a scalar of `accounts`. Filters: `date`, `date_geq`, `date_gt`,
//! `date_leq`, `date_lt` (`YYYY-MM-DD`, UTC; a lower and an upper bound are required,
//! at most [`MAX_RANGE_DAYS`] days inclusive) and `<dimension>` / `<dimension>_in`;
//! without a resource filter the resources the sandbox holds are answered. Anything
//! else is refused with a GraphQL error (HTTP 200, `data: null`), as is a wrong
//! `accountTag` (`not authorized for that account`, code `authz`).
//!
//! Usage is deterministic: per (dataset, resource, day, metric) a value from a hash,
//! in the daily ranges of [`Dataset::range`], unless a test set an override
//! (`/_sandbox/cloudflare/usage`). It does not depend on what the sandbox has
//! provisioned. Days after today (UTC) have no usage unless overridden, like real
//! analytics. Groups with no usage are left out, as Cloudflare does; groups come
//! sorted by resource then date (`orderBy` is accepted and not applied).

use super::envelope::{now_rfc3339, CfReply};
use super::graphql::{self, Field, Operation, Value as Gv};
use super::{Cloudflare, Req};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dataset {
    Workers,
    D1,
    R2,
    Kv,
}

pub const DATASETS: [Dataset; 4] = [Dataset::Workers, Dataset::D1, Dataset::R2, Dataset::Kv];

impl Dataset {
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Workers => "workersInvocationsAdaptive",
            Dataset::D1 => "d1AnalyticsAdaptiveGroups",
            Dataset::R2 => "r2OperationsAdaptiveGroups",
            Dataset::Kv => "kvOperationsAdaptiveGroups",
        }
    }
    pub fn from_name(s: &str) -> Option<Dataset> {
        DATASETS.into_iter().find(|d| d.name() == s)
    }
    pub fn resource_dimension(self) -> &'static str {
        match self {
            Dataset::Workers => "scriptName",
            Dataset::D1 => "databaseId",
            Dataset::R2 => "bucketName",
            Dataset::Kv => "namespaceId",
        }
    }
    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            Dataset::D1 => &["rowsRead", "rowsWritten"],
            _ => &["requests"],
        }
    }
    /// The inclusive range one resource's daily value is drawn from.
    pub fn range(self, metric: &str) -> (u64, u64) {
        match (self, metric) {
            (Dataset::Workers, _) => (1_000, 50_000),
            (Dataset::D1, "rowsRead") => (10_000, 500_000),
            (Dataset::D1, _) => (1_000, 50_000),
            (Dataset::R2 | Dataset::Kv, _) => (100, 10_000),
        }
    }
}

/// The widest `date_geq`..`date_leq` one query may ask for, both days included
/// (Cloudflare's refusal reads "cannot request a time range wider than 4w4d").
pub const MAX_RANGE_DAYS: i64 = 32;
/// Cloudflare's largest `limit` for these datasets.
pub const MAX_LIMIT: i64 = 10_000;

/// One entry of a GraphQL `errors` array.
#[derive(Debug, Clone, PartialEq)]
pub struct GqlError {
    pub message: String,
    pub path: Option<Vec<String>>,
    pub code: &'static str,
}

fn error(message: impl Into<String>, path: Option<Vec<String>>, code: &'static str) -> GqlError {
    GqlError {
        message: message.into(),
        path,
        code,
    }
}

/// Errors about what was asked (syntax, unknown fields, arguments).
const PARSER: &str = "parser";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dim {
    Resource,
    Date,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatasetQuery {
    /// The answer's key (the alias if there is one).
    pub key: String,
    pub dataset: Dataset,
    pub limit: usize,
    /// Days since 1970-01-01, both included.
    pub start: i64,
    pub end: i64,
    /// `None`: every resource of that kind the sandbox holds.
    pub resources: Option<Vec<String>>,
    /// (key of `sum`, [(answer key, metric)]).
    pub sum: Option<(String, Vec<(String, &'static str)>)>,
    /// (key of `dimensions`, [(answer key, dimension)]).
    pub dimensions: Option<(String, Vec<(String, Dim)>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    AccountTag(String),
    Dataset(DatasetQuery),
}

/// What a query asks for, once read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageQuery {
    pub viewer_key: String,
    pub accounts_key: String,
    pub items: Vec<Item>,
}

// ---- dates ----

/// `YYYY-MM-DD` (a real calendar day) as days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
pub fn format_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

pub fn today_utc() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64 / 86_400)
}

/// A span of days the way Cloudflare writes durations: `4w4d`, `5w`, `3d`.
fn weeks_days(days: i64) -> String {
    match (days / 7, days % 7) {
        (0, d) => format!("{d}d"),
        (w, 0) => format!("{w}w"),
        (w, d) => format!("{w}w{d}d"),
    }
}

// ---- deterministic usage ----

/// FNV-1a (64-bit), then a splitmix64 finaliser so that nearby inputs spread over the
/// whole range.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The generated usage of one resource on one day (no overrides, no "future").
pub fn generated(dataset: Dataset, resource: &str, day: i64, metric: &str) -> u64 {
    let (lo, hi) = dataset.range(metric);
    let h = hash(&format!(
        "{}\0{resource}\0{}\0{metric}",
        dataset.name(),
        format_date(day)
    ));
    lo + h % (hi - lo + 1)
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OverrideKey {
    pub resource: String,
    pub metric: String,
    pub day: i64,
    /// `None`: every dataset that has `metric` (a bucket and a script of the same
    /// name both get it).
    pub dataset: Option<Dataset>,
}

/// The metering state: test overrides and how many queries were answered.
#[derive(Default)]
pub struct Usage {
    pub overrides: BTreeMap<OverrideKey, u64>,
    /// Queries answered with data / refused with GraphQL errors.
    pub queries: u64,
    pub refused: u64,
}

impl Usage {
    /// One resource's usage on one day: an override (for that dataset, else for any)
    /// wins; otherwise the generated value, or 0 after `today`.
    pub fn daily(
        &self,
        dataset: Dataset,
        resource: &str,
        day: i64,
        metric: &str,
        today: i64,
    ) -> u64 {
        let key = |d| OverrideKey {
            resource: resource.to_string(),
            metric: metric.to_string(),
            day,
            dataset: d,
        };
        if let Some(v) = self
            .overrides
            .get(&key(Some(dataset)))
            .or_else(|| self.overrides.get(&key(None)))
        {
            return *v;
        }
        if day > today {
            0
        } else {
            generated(dataset, resource, day, metric)
        }
    }

    /// From `{resource, metric, date, value, dataset?}`.
    pub fn parse_override(v: &Value) -> Result<(OverrideKey, u64), String> {
        let resource = v["resource"].as_str().filter(|r| !r.is_empty()).ok_or(
            "resource (a script name, database id, bucket name or namespace id) is required",
        )?;
        let metric = v["metric"]
            .as_str()
            .filter(|m| ["requests", "rowsRead", "rowsWritten"].contains(m))
            .ok_or("metric must be requests, rowsRead or rowsWritten")?;
        let day = v["date"]
            .as_str()
            .and_then(parse_date)
            .ok_or("date must be a day as YYYY-MM-DD")?;
        let value = v["value"]
            .as_u64()
            .ok_or("value must be a non-negative integer")?;
        let dataset = match &v["dataset"] {
            Value::Null => None,
            d => {
                let ds = d.as_str().and_then(Dataset::from_name).ok_or(
                    "dataset, if given, must be workersInvocationsAdaptive, d1AnalyticsAdaptiveGroups, r2OperationsAdaptiveGroups or kvOperationsAdaptiveGroups",
                )?;
                if !ds.metrics().contains(&metric) {
                    return Err(format!("{} has no metric {metric}", ds.name()));
                }
                Some(ds)
            }
        };
        Ok((
            OverrideKey {
                resource: resource.to_string(),
                metric: metric.to_string(),
                day,
                dataset,
            },
            value,
        ))
    }

    pub fn to_json(&self) -> Value {
        json!({
            "queries": self.queries,
            "refused": self.refused,
            "overrides": self.overrides.iter().map(|(k, v)| {
                let mut o = json!({
                    "resource": k.resource, "metric": k.metric,
                    "date": format_date(k.day), "value": v,
                });
                if let Some(d) = k.dataset {
                    o["dataset"] = json!(d.name());
                }
                o
            }).collect::<Vec<_>>(),
        })
    }
}

// ---- reading the query ----

/// An argument value with its variables filled in, as JSON (enums become strings).
fn resolve(v: &Gv, vars: &Map<String, Value>) -> Result<Value, String> {
    Ok(match v {
        Gv::Var(name) => match vars.get(name) {
            Some(val) => val.clone(),
            None => return Err(format!("variable \"${name}\" is not defined")),
        },
        Gv::Str(s) => json!(s),
        Gv::Int(n) => json!(n),
        Gv::Enum(e) => match e.as_str() {
            "true" => json!(true),
            "false" => json!(false),
            "null" => Value::Null,
            other => json!(other),
        },
        Gv::List(items) => Value::Array(
            items
                .iter()
                .map(|i| resolve(i, vars))
                .collect::<Result<_, _>>()?,
        ),
        Gv::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// The declared variables with their values (provided, else default, else null).
fn bind_variables(
    op: &Operation,
    given: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<GqlError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for def in &op.vars {
        let value = match given.get(&def.name) {
            Some(v) if !v.is_null() => v.clone(),
            _ => match &def.default {
                Some(d) => resolve(d, &Map::new()).unwrap_or(Value::Null),
                None => Value::Null,
            },
        };
        if value.is_null() && def.required {
            errors.push(error(
                format!(
                    "Variable \"${}\" of required type \"{}\" was not provided.",
                    def.name, def.ty
                ),
                None,
                PARSER,
            ));
        }
        out.insert(def.name.clone(), value);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn path(parts: &[&str]) -> Option<Vec<String>> {
    Some(parts.iter().map(|p| p.to_string()).collect())
}

/// Reads the usage query `op` with `given` variables for account `account_id`.
pub fn read_query(
    op: &Operation,
    given: &Map<String, Value>,
    account_id: &str,
) -> Result<UsageQuery, Vec<GqlError>> {
    let vars = bind_variables(op, given)?;
    let [viewer] = op.selection.as_slice() else {
        return Err(vec![error(
            "the sandbox answers one top-level field, viewer",
            None,
            PARSER,
        )]);
    };
    if viewer.name != "viewer" {
        return Err(vec![error(
            format!("unknown field \"{}\"", viewer.name),
            path(&[viewer.key()]),
            PARSER,
        )]);
    }
    let [accounts] = viewer.selection.as_slice() else {
        return Err(vec![error(
            "the sandbox answers one field of viewer, accounts",
            path(&[viewer.key()]),
            PARSER,
        )]);
    };
    let at = |f: &str| path(&[viewer.key(), accounts.key(), "0", f]);
    if accounts.name != "accounts" {
        return Err(vec![error(
            format!(
                "unknown field \"{}\" (the sandbox answers only account-scoped datasets, viewer.accounts)",
                accounts.name
            ),
            path(&[viewer.key(), accounts.key()]),
            PARSER,
        )]);
    }
    let accounts_path = path(&[viewer.key(), accounts.key()]);
    let mut tag = None;
    for (name, value) in &accounts.args {
        if name != "filter" {
            return Err(vec![error(
                format!("unknown argument \"{name}\" on field \"accounts\""),
                accounts_path,
                PARSER,
            )]);
        }
        let filter =
            resolve(value, &vars).map_err(|m| vec![error(m, accounts_path.clone(), PARSER)])?;
        match filter.as_object().map(|o| (o.len(), o.get("accountTag"))) {
            Some((1, Some(Value::String(t)))) => tag = Some(t.clone()),
            _ => {
                return Err(vec![error(
                "error parsing args: the accounts filter must be {accountTag: \"<account id>\"}",
                accounts_path,
                PARSER,
            )])
            }
        }
    }
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for f in &accounts.selection {
        if f.name == "accountTag" {
            if f.selection.is_empty() {
                items.push(Item::AccountTag(f.key().to_string()));
            } else {
                errors.push(error(
                    "scalar fields must have no selections",
                    at(f.key()),
                    PARSER,
                ));
            }
            continue;
        }
        let Some(ds) = Dataset::from_name(&f.name) else {
            errors.push(error(
                format!(
                    "unknown field \"{}\" (the sandbox answers {})",
                    f.name,
                    DATASETS.map(Dataset::name).join(", ")
                ),
                at(f.key()),
                PARSER,
            ));
            continue;
        };
        match read_dataset(f, ds, &vars, account_id) {
            Ok(q) => items.push(Item::Dataset(q)),
            Err(e) => errors.push(GqlError {
                path: at(f.key()),
                ..e
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let datasets: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Dataset(d) => Some(d.key.as_str()),
            Item::AccountTag(_) => None,
        })
        .collect();
    match tag {
        None if !datasets.is_empty() => {
            return Err(vec![error(
                "an account-scoped query needs an account filter: accounts(filter: {accountTag: \"<account id>\"})",
                accounts_path,
                PARSER,
            )])
        }
        Some(t) if t != account_id => {
            let paths: Vec<_> = if datasets.is_empty() {
                vec![accounts_path]
            } else {
                datasets.iter().map(|k| at(k)).collect()
            };
            return Err(paths
                .into_iter()
                .map(|p| error("not authorized for that account", p, "authz"))
                .collect());
        }
        _ => {}
    }
    Ok(UsageQuery {
        viewer_key: viewer.key().to_string(),
        accounts_key: accounts.key().to_string(),
        items,
    })
}

/// Top-level keys of a filter, with `AND: [{…}, …]` flattened and nulls dropped.
fn flatten_filter(v: &Value, out: &mut Vec<(String, Value)>) -> Result<(), String> {
    let Some(o) = v.as_object() else {
        return Err("error parsing args: filter must be an input object".into());
    };
    for (k, v) in o {
        match (k.as_str(), v) {
            (_, Value::Null) => {}
            ("AND", Value::Array(parts)) => {
                for p in parts {
                    flatten_filter(p, out)?;
                }
            }
            ("OR", _) => return Err("the sandbox does not support OR filters".into()),
            _ => out.push((k.clone(), v.clone())),
        }
    }
    Ok(())
}

fn read_dataset(
    f: &Field,
    ds: Dataset,
    vars: &Map<String, Value>,
    account_id: &str,
) -> Result<DatasetQuery, GqlError> {
    let fail = |m: String| error(m, None, PARSER);
    let mut limit = MAX_LIMIT as usize;
    let mut filter = None;
    for (name, value) in &f.args {
        let v = resolve(value, vars).map_err(fail)?;
        match name.as_str() {
            "limit" => match v.as_i64() {
                Some(n) if (1..=MAX_LIMIT).contains(&n) => limit = n as usize,
                _ => {
                    return Err(fail(format!(
                        "limit must be positive number and not greater than {MAX_LIMIT}"
                    )))
                }
            },
            "filter" => filter = Some(v),
            // Accepted, not applied: groups come sorted by resource, then date.
            "orderBy" if v.is_array() || v.is_string() || v.is_null() => {}
            _ => {
                return Err(fail(format!(
                    "unknown argument \"{name}\" on field \"{}\"",
                    ds.name()
                )))
            }
        }
    }
    let mut pairs = Vec::new();
    flatten_filter(&filter.unwrap_or_else(|| json!({})), &mut pairs).map_err(fail)?;
    let dim = ds.resource_dimension();
    let (mut start, mut end): (Option<i64>, Option<i64>) = (None, None);
    let mut resources: Option<BTreeSet<String>> = None;
    let mut narrow = |set: BTreeSet<String>| {
        resources = Some(match resources.take() {
            Some(r) => r.intersection(&set).cloned().collect(),
            None => set,
        });
    };
    for (k, v) in pairs {
        let date = || {
            v.as_str().and_then(parse_date).ok_or_else(|| {
                fail(format!(
                    "error parsing args: invalid Date {v} for {k}: a day as YYYY-MM-DD is expected"
                ))
            })
        };
        let lower = |s: &mut Option<i64>, d: i64| *s = Some(s.map_or(d, |x: i64| x.max(d)));
        let upper = |e: &mut Option<i64>, d: i64| *e = Some(e.map_or(d, |x: i64| x.min(d)));
        match k.as_str() {
            "date" => {
                let d = date()?;
                lower(&mut start, d);
                upper(&mut end, d);
            }
            "date_geq" => lower(&mut start, date()?),
            "date_gt" => lower(&mut start, date()? + 1),
            "date_leq" => upper(&mut end, date()?),
            "date_lt" => upper(&mut end, date()? - 1),
            k if k == dim => match v.as_str() {
                Some(s) => narrow(BTreeSet::from([s.to_string()])),
                None => return Err(fail(format!("error parsing args: {k} must be a string"))),
            },
            k if k.strip_suffix("_in") == Some(dim) => {
                let list = v.as_array().and_then(|a| {
                    a.iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<BTreeSet<_>>>()
                });
                match list {
                    Some(set) => narrow(set),
                    None => {
                        return Err(fail(format!(
                            "error parsing args: {k} must be a list of strings"
                        )))
                    }
                }
            }
            other => {
                return Err(fail(format!(
                    "unknown filter field \"{other}\" (the sandbox filters {} on date, date_geq, date_gt, date_leq, date_lt, {dim} and {dim}_in)",
                    ds.name()
                )))
            }
        }
    }
    let (Some(start), Some(end)) = (start, end) else {
        return Err(fail(
            "the sandbox needs a date range: a lower (date_geq, date_gt or date) and an upper (date_leq, date_lt or date) bound".into(),
        ));
    };
    if start > end {
        return Err(fail(format!(
            "invalid time range: the start {} is after the end {}",
            format_date(start),
            format_date(end)
        )));
    }
    let span = end - start + 1;
    if span > MAX_RANGE_DAYS {
        return Err(error(
            format!(
                "account \"{account_id}\" cannot request a time range wider than {}, but your query time range spans {}",
                weeks_days(MAX_RANGE_DAYS),
                weeks_days(span)
            ),
            None,
            "quota",
        ));
    }
    let mut sum = None;
    let mut dimensions = None;
    for s in &f.selection {
        match s.name.as_str() {
            "sum" | "dimensions" if s.selection.is_empty() => {
                return Err(fail("object field must have selections".into()))
            }
            "sum" if sum.is_none() => {
                let mut fields = Vec::new();
                for m in &s.selection {
                    let Some(metric) = ds.metrics().iter().find(|x| **x == m.name) else {
                        return Err(fail(format!(
                            "unknown field \"{}\" of sum (the sandbox simulates {})",
                            m.name,
                            ds.metrics().join(", ")
                        )));
                    };
                    if !m.selection.is_empty() {
                        return Err(fail("scalar fields must have no selections".into()));
                    }
                    fields.push((m.key().to_string(), *metric));
                }
                sum = Some((s.key().to_string(), fields));
            }
            "dimensions" if dimensions.is_none() => {
                let mut fields = Vec::new();
                for d in &s.selection {
                    let which = match d.name.as_str() {
                        "date" => Dim::Date,
                        n if n == dim => Dim::Resource,
                        n => {
                            return Err(fail(format!(
                                "unknown field \"{n}\" of dimensions (the sandbox groups by {dim} and date)"
                            )))
                        }
                    };
                    if !d.selection.is_empty() {
                        return Err(fail("scalar fields must have no selections".into()));
                    }
                    fields.push((d.key().to_string(), which));
                }
                dimensions = Some((s.key().to_string(), fields));
            }
            "sum" | "dimensions" => {
                return Err(fail(format!(
                    "the sandbox reads one {} selection per dataset",
                    s.name
                )))
            }
            other => {
                return Err(fail(format!(
                    "unknown field \"{other}\" (the sandbox answers sum and dimensions)"
                )))
            }
        }
    }
    Ok(DatasetQuery {
        key: f.key().to_string(),
        dataset: ds,
        limit,
        start,
        end,
        resources: resources.map(|r| r.into_iter().collect()),
        sum,
        dimensions,
    })
}

// ---- answering ----

/// The groups of one dataset; `all` lists the sandbox's resources of a kind (used
/// only when the query names none).
pub fn groups(
    q: &DatasetQuery,
    usage: &Usage,
    today: i64,
    all: &dyn Fn(Dataset) -> Vec<String>,
) -> Vec<Value> {
    let mut resources = q.resources.clone().unwrap_or_else(|| all(q.dataset));
    resources.sort();
    resources.dedup();
    let dims: &[(String, Dim)] = q.dimensions.as_ref().map_or(&[], |d| &d.1);
    let by_resource = dims.iter().any(|(_, d)| *d == Dim::Resource);
    let by_date = dims.iter().any(|(_, d)| *d == Dim::Date);
    // (resource, day) -> metric -> sum; a part is None when not grouped by it.
    type Key<'a> = (Option<&'a str>, Option<i64>);
    let mut grouped: BTreeMap<Key, BTreeMap<&str, u64>> = BTreeMap::new();
    for r in &resources {
        for day in q.start..=q.end {
            let values: Vec<(&str, u64)> = q
                .dataset
                .metrics()
                .iter()
                .map(|m| (*m, usage.daily(q.dataset, r, day, m, today)))
                .collect();
            if values.iter().all(|(_, v)| *v == 0) {
                continue;
            }
            let g = grouped
                .entry((by_resource.then_some(r.as_str()), by_date.then_some(day)))
                .or_default();
            for (m, v) in values {
                *g.entry(m).or_default() += v;
            }
        }
    }
    grouped
        .into_iter()
        .take(q.limit)
        .map(|((r, day), sums)| {
            let mut o = Map::new();
            if let Some((key, fields)) = &q.sum {
                let s: Map<String, Value> = fields
                    .iter()
                    .map(|(k, m)| (k.clone(), json!(sums.get(m).copied().unwrap_or(0))))
                    .collect();
                o.insert(key.clone(), Value::Object(s));
            }
            if let Some((key, fields)) = &q.dimensions {
                let d: Map<String, Value> = fields
                    .iter()
                    .map(|(k, which)| {
                        let v = match which {
                            Dim::Resource => json!(r),
                            Dim::Date => json!(day.map(format_date)),
                        };
                        (k.clone(), v)
                    })
                    .collect();
                o.insert(key.clone(), Value::Object(d));
            }
            Value::Object(o)
        })
        .collect()
}

/// The `data` of a read query.
pub fn answer(
    q: &UsageQuery,
    account_id: &str,
    usage: &Usage,
    today: i64,
    all: &dyn Fn(Dataset) -> Vec<String>,
) -> Value {
    let mut account = Map::new();
    for item in &q.items {
        match item {
            Item::AccountTag(key) => {
                account.insert(key.clone(), json!(account_id));
            }
            Item::Dataset(d) => {
                account.insert(d.key.clone(), Value::Array(groups(d, usage, today, all)));
            }
        }
    }
    let mut viewer = Map::new();
    viewer.insert(q.accounts_key.clone(), json!([account]));
    let mut data = Map::new();
    data.insert(q.viewer_key.clone(), Value::Object(viewer));
    Value::Object(data)
}

fn errors_reply(status: u16, errors: &[GqlError]) -> CfReply {
    let timestamp = now_rfc3339();
    let list: Vec<Value> = errors
        .iter()
        .map(|e| {
            json!({
                "message": e.message,
                "path": e.path,
                "extensions": { "code": e.code, "timestamp": timestamp },
            })
        })
        .collect();
    CfReply::json(status, &json!({ "data": null, "errors": list }))
}

/// `POST /graphql`.
pub fn graphql(cf: &mut Cloudflare, req: &Req) -> CfReply {
    let body = match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(o)) => o,
        _ => {
            cf.usage.refused += 1;
            return errors_reply(
                400,
                &[error(
                    "failed to parse the request body: a JSON object {\"query\", \"variables\"} is expected",
                    None,
                    PARSER,
                )],
            );
        }
    };
    let read = (|| {
        let query = body
            .get("query")
            .and_then(Value::as_str)
            .ok_or_else(|| vec![error("a query (string) is required", None, PARSER)])?;
        let vars = match body.get("variables") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(o)) => o.clone(),
            Some(_) => return Err(vec![error("variables must be a JSON object", None, PARSER)]),
        };
        let op = graphql::parse(query).map_err(|m| {
            vec![error(
                format!("query contains error, please review it and retry ({m})"),
                None,
                PARSER,
            )]
        })?;
        read_query(&op, &vars, &cf.cfg.account_id)
    })();
    let q = match read {
        Ok(q) => q,
        Err(errors) => {
            cf.usage.refused += 1;
            return errors_reply(200, &errors);
        }
    };
    let all = |d: Dataset| -> Vec<String> {
        match d {
            Dataset::Workers => cf.scripts.keys().cloned().collect(),
            Dataset::D1 => cf.d1.iter().map(|x| x.uuid.clone()).collect(),
            Dataset::R2 => cf.r2.keys().cloned().collect(),
            Dataset::Kv => cf.kv.iter().map(|n| n.id.clone()).collect(),
        }
    };
    let data = answer(&q, &cf.cfg.account_id, &cf.usage, today_utc(), &all);
    cf.usage.queries += 1;
    CfReply::json(200, &json!({ "data": data, "errors": null }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

    const BILLING: &str = "query Usage($account: string!, $start: Date!, $end: Date!, $scripts: [string!], $databases: [string!], $buckets: [string!], $namespaces: [string!]) {
  viewer {
    accounts(filter: {accountTag: $account}) {
      workersInvocationsAdaptive(limit: 10000, filter: {date_geq: $start, date_leq: $end, scriptName_in: $scripts}) { sum { requests } dimensions { scriptName } }
      d1AnalyticsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, databaseId_in: $databases}) { sum { rowsRead rowsWritten } dimensions { databaseId } }
      r2OperationsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, bucketName_in: $buckets}) { sum { requests } dimensions { bucketName } }
      kvOperationsAdaptiveGroups(limit: 10000, filter: {date_geq: $start, date_leq: $end, namespaceId_in: $namespaces}) { sum { requests } dimensions { namespaceId } }
    }
  }
}";

    fn vars(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    fn billing_vars() -> Map<String, Value> {
        vars(json!({
            "account": ACCOUNT, "start": "2024-03-01", "end": "2024-03-31",
            "scripts": ["abc-default-auth", "abc-default-api"],
            "databases": ["d-1"], "buckets": ["b-1"], "namespaces": ["n-1", "n-2"],
        }))
    }

    fn read(query: &str, v: &Map<String, Value>) -> Result<UsageQuery, Vec<GqlError>> {
        read_query(&graphql::parse(query).expect("parses"), v, ACCOUNT)
    }

    fn none(_: Dataset) -> Vec<String> {
        Vec::new()
    }

    fn day(s: &str) -> i64 {
        parse_date(s).expect("a date")
    }

    /// Far after every date the tests use, so no day counts as "future".
    const LATER: i64 = 1_000_000;

    #[test]
    fn the_billing_query_is_read_and_answered_in_cloudflares_shape() {
        let q = read(BILLING, &billing_vars()).expect("reads");
        assert_eq!(q.items.len(), 4);
        let Item::Dataset(w) = &q.items[0] else {
            panic!("a dataset")
        };
        assert_eq!(w.dataset, Dataset::Workers);
        assert_eq!((w.start, w.end), (day("2024-03-01"), day("2024-03-31")));
        assert_eq!(
            w.resources,
            Some(vec!["abc-default-api".into(), "abc-default-auth".into()])
        );
        let data = answer(&q, ACCOUNT, &Usage::default(), LATER, &none);
        let account = &data["viewer"]["accounts"][0];
        let workers = account["workersInvocationsAdaptive"]
            .as_array()
            .expect("groups");
        assert_eq!(workers.len(), 2);
        assert_eq!(
            workers[1]["dimensions"],
            json!({ "scriptName": "abc-default-auth" })
        );
        let expected: u64 = (day("2024-03-01")..=day("2024-03-31"))
            .map(|d| generated(Dataset::Workers, "abc-default-auth", d, "requests"))
            .sum();
        assert_eq!(workers[1]["sum"]["requests"], json!(expected));
        let d1 = &account["d1AnalyticsAdaptiveGroups"][0];
        assert_eq!(d1["dimensions"], json!({ "databaseId": "d-1" }));
        assert!(d1["sum"]["rowsRead"].as_u64().expect("n") >= 31 * 10_000);
        assert!(d1["sum"]["rowsWritten"].as_u64().expect("n") <= 31 * 50_000);
        assert_eq!(
            account["r2OperationsAdaptiveGroups"][0]["dimensions"]["bucketName"],
            "b-1"
        );
        assert_eq!(
            account["kvOperationsAdaptiveGroups"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn only_the_datasets_asked_for_are_answered_with_aliases_and_literals() {
        let q = read(
            "{ viewer { accounts(filter: {accountTag: \"0123456789abcdef0123456789abcdef\"}) {
                 accountTag
                 w: workersInvocationsAdaptive(limit: 1, filter: {AND: [{date: \"2024-03-02\"}], scriptName_in: [\"b\", \"a\"]}, orderBy: [date_ASC]) {
                   total: sum { r: requests } dimensions { date scriptName } } } } }",
            &Map::new(),
        )
        .expect("reads");
        let data = answer(&q, ACCOUNT, &Usage::default(), LATER, &none);
        let account = data["viewer"]["accounts"][0].as_object().expect("object");
        assert_eq!(account.len(), 2);
        assert_eq!(account["accountTag"], ACCOUNT);
        // limit 1: the first group only (sorted by resource).
        assert_eq!(
            account["w"],
            json!([{
                "total": { "r": generated(Dataset::Workers, "a", day("2024-03-02"), "requests") },
                "dimensions": { "date": "2024-03-02", "scriptName": "a" },
            }])
        );
    }

    #[test]
    fn without_dimensions_everything_is_one_group_and_without_a_filter_the_state_is_used() {
        let q = read(
            "query($s: Date!) { viewer { accounts(filter: {accountTag: \"0123456789abcdef0123456789abcdef\"}) {
                 kvOperationsAdaptiveGroups(filter: {date_geq: $s, date_leq: $s}) { sum { requests } } } } }",
            &vars(json!({ "s": "2024-03-02" })),
        )
        .expect("reads");
        let all = |d: Dataset| {
            assert_eq!(d, Dataset::Kv);
            vec!["n-1".to_string(), "n-2".to_string()]
        };
        let data = answer(&q, ACCOUNT, &Usage::default(), LATER, &all);
        let d = day("2024-03-02");
        assert_eq!(
            data["viewer"]["accounts"][0]["kvOperationsAdaptiveGroups"],
            json!([{ "sum": { "requests":
                generated(Dataset::Kv, "n-1", d, "requests") + generated(Dataset::Kv, "n-2", d, "requests") } }])
        );
    }

    fn first_error(query: &str, v: Map<String, Value>) -> GqlError {
        read(query, &v).expect_err("refused").remove(0)
    }

    #[test]
    fn a_missing_required_variable_is_a_graphql_error() {
        let mut v = billing_vars();
        v.remove("start");
        let e = first_error(BILLING, v);
        assert_eq!(
            e.message,
            "Variable \"$start\" of required type \"Date!\" was not provided."
        );
        // An optional list left out means "no filter", not an error.
        let mut v = billing_vars();
        v.remove("scripts");
        assert!(read(BILLING, &v).is_ok());
        let e = first_error(
            "{ viewer { accounts(filter: {accountTag: $nope}) { accountTag } } }",
            Map::new(),
        );
        assert_eq!(e.message, "variable \"$nope\" is not defined");
    }

    #[test]
    fn unknown_datasets_and_fields_are_refused_with_their_path() {
        let q = BILLING.replace("kvOperationsAdaptiveGroups", "kvStorageAdaptiveGroups");
        let e = first_error(&q, billing_vars());
        assert!(
            e.message
                .starts_with("unknown field \"kvStorageAdaptiveGroups\""),
            "{}",
            e.message
        );
        assert_eq!(
            e.path,
            path(&["viewer", "accounts", "0", "kvStorageAdaptiveGroups"])
        );
        assert_eq!(e.code, PARSER);
        for (from, to) in [
            (
                "sum { requests } dimensions { scriptName }",
                "sum { errors }",
            ),
            ("dimensions { bucketName }", "dimensions { actionType }"),
            ("dimensions { bucketName }", "quantiles { x }"),
            ("bucketName_in: $buckets", "actionType: \"GetObject\""),
            (
                "limit: 10000, filter: {date_geq: $start, date_leq: $end, databaseId_in",
                "limit: 10001, filter: {date_geq: $start, date_leq: $end, databaseId_in",
            ),
            ("sum { rowsRead rowsWritten }", "sum { rowsRead { x } }"),
        ] {
            assert!(BILLING.contains(from), "{from}");
            let q = BILLING.replacen(from, to, 1);
            assert!(read(&q, &billing_vars()).is_err(), "{to} must be refused");
        }
        let e = first_error("{ viewer { zones { x } } }", Map::new());
        assert!(e.message.starts_with("unknown field \"zones\""));
    }

    #[test]
    fn bad_dates_reversed_and_too_wide_ranges_are_refused() {
        for bad in [
            "2024-02-30",
            "2024-3-01",
            "2024-03-01T00:00:00Z",
            "yesterday",
        ] {
            let mut v = billing_vars();
            v.insert("start".into(), json!(bad));
            let e = first_error(BILLING, v);
            assert!(
                e.message.starts_with("error parsing args: invalid Date"),
                "{}",
                e.message
            );
        }
        let mut v = billing_vars();
        v.insert("start".into(), json!(20240301));
        assert!(read(BILLING, &v).is_err());

        let mut v = billing_vars();
        v.insert("start".into(), json!("2024-03-05"));
        v.insert("end".into(), json!("2024-03-01"));
        let errors = read(BILLING, &v).expect_err("reversed");
        assert_eq!(errors.len(), 4, "one per dataset");
        assert_eq!(
            errors[0].message,
            "invalid time range: the start 2024-03-05 is after the end 2024-03-01"
        );

        let mut v = billing_vars();
        v.insert("start".into(), json!("2024-03-01"));
        v.insert("end".into(), json!("2024-04-02"));
        let e = first_error(BILLING, v);
        assert_eq!(e.code, "quota");
        assert_eq!(
            e.message,
            format!("account \"{ACCOUNT}\" cannot request a time range wider than 4w4d, but your query time range spans 4w5d")
        );
        // 32 days is still allowed; a range with no upper bound is not.
        let mut v = billing_vars();
        v.insert("end".into(), json!("2024-04-01"));
        assert!(read(BILLING, &v).is_ok());
        let e = first_error(
            "{ viewer { accounts(filter: {accountTag: \"0123456789abcdef0123456789abcdef\"}) {
                 r2OperationsAdaptiveGroups(filter: {date_geq: \"2024-03-01\"}) { sum { requests } } } } }",
            Map::new(),
        );
        assert!(e.message.starts_with("the sandbox needs a date range"));
    }

    #[test]
    fn another_account_is_not_authorized() {
        let mut v = billing_vars();
        v.insert("account".into(), json!("ffffffffffffffffffffffffffffffff"));
        let errors = read(BILLING, &v).expect_err("refused");
        assert_eq!(errors.len(), 4);
        assert!(errors
            .iter()
            .all(|e| e.message == "not authorized for that account" && e.code == "authz"));
        assert_eq!(
            errors[1].path,
            path(&["viewer", "accounts", "0", "d1AnalyticsAdaptiveGroups"])
        );
        let e = first_error(
            "{ viewer { accounts { workersInvocationsAdaptive(filter: {date: \"2024-03-01\"}) { sum { requests } } } } }",
            Map::new(),
        );
        assert!(e.message.contains("needs an account filter"));
    }

    #[test]
    fn usage_is_deterministic_in_range_and_sums_over_days() {
        let d = day("2024-03-10");
        for ds in DATASETS {
            for m in ds.metrics() {
                let (lo, hi) = ds.range(m);
                let values: Vec<u64> = (0..200)
                    .map(|i| generated(ds, &format!("res-{i}"), d, m))
                    .collect();
                assert!(values.iter().all(|v| (lo..=hi).contains(v)), "{ds:?} {m}");
                // Spread over the range, not stuck in a corner.
                let mid = (lo + hi) / 2;
                let below = values.iter().filter(|v| **v < mid).count();
                assert!((50..150).contains(&below), "{ds:?} {m}: {below}");
                assert_eq!(values[7], generated(ds, "res-7", d, m), "stable");
            }
        }
        assert_ne!(
            generated(Dataset::Workers, "a", d, "requests"),
            generated(Dataset::Workers, "a", d + 1, "requests")
        );

        let usage = Usage::default();
        let one = |s: &str, e: &str| {
            let q = read(BILLING, &{
                let mut v = billing_vars();
                v.insert("start".into(), json!(s));
                v.insert("end".into(), json!(e));
                v
            })
            .expect("reads");
            answer(&q, ACCOUNT, &usage, LATER, &none)["viewer"]["accounts"][0]
                ["d1AnalyticsAdaptiveGroups"][0]["sum"]["rowsRead"]
                .as_u64()
                .expect("n")
        };
        let whole = one("2024-03-01", "2024-03-31");
        assert_eq!(
            whole,
            one("2024-03-01", "2024-03-31"),
            "same inputs, same numbers"
        );
        let by_day: u64 = (1..=31)
            .map(|n| one(&format!("2024-03-{n:02}"), &format!("2024-03-{n:02}")))
            .sum();
        assert_eq!(whole, by_day);
        assert_eq!(
            whole,
            one("2024-03-01", "2024-03-15") + one("2024-03-16", "2024-03-31")
        );
    }

    #[test]
    fn overrides_win_and_the_future_is_empty() {
        let d = day("2024-03-10");
        let mut usage = Usage::default();
        let (k, v) = Usage::parse_override(&json!({
            "resource": "abc-default-auth", "metric": "requests", "date": "2024-03-10", "value": 9_000_000,
        }))
        .expect("valid");
        usage.overrides.insert(k, v);
        assert_eq!(
            usage.daily(Dataset::Workers, "abc-default-auth", d, "requests", LATER),
            9_000_000
        );
        // Without a dataset it applies to every dataset with that metric...
        assert_eq!(
            usage.daily(Dataset::R2, "abc-default-auth", d, "requests", LATER),
            9_000_000
        );
        // ...and one for a dataset wins over it.
        let (k, v) = Usage::parse_override(&json!({
            "resource": "abc-default-auth", "metric": "requests", "date": "2024-03-10", "value": 0,
            "dataset": "r2OperationsAdaptiveGroups",
        }))
        .expect("valid");
        usage.overrides.insert(k, v);
        assert_eq!(
            usage.daily(Dataset::R2, "abc-default-auth", d, "requests", LATER),
            0
        );
        assert_eq!(
            usage.daily(Dataset::Workers, "abc-default-auth", d, "requests", LATER),
            9_000_000
        );
        // Other days and resources are untouched.
        assert_eq!(
            usage.daily(
                Dataset::Workers,
                "abc-default-auth",
                d + 1,
                "requests",
                LATER
            ),
            generated(Dataset::Workers, "abc-default-auth", d + 1, "requests")
        );
        // The future has no usage, except what a test put there.
        assert_eq!(usage.daily(Dataset::Workers, "x", d + 1, "requests", d), 0);
        assert_eq!(
            usage.daily(Dataset::Workers, "abc-default-auth", d, "requests", d - 5),
            9_000_000
        );

        // In an answer: the override is summed with the other days; an all-zero
        // group is left out.
        let q = read(BILLING, &billing_vars()).expect("reads");
        let data = answer(&q, ACCOUNT, &usage, LATER, &none);
        let workers = &data["viewer"]["accounts"][0]["workersInvocationsAdaptive"];
        let expected: u64 = (day("2024-03-01")..=day("2024-03-31"))
            .map(|x| {
                if x == d {
                    9_000_000
                } else {
                    generated(Dataset::Workers, "abc-default-auth", x, "requests")
                }
            })
            .sum();
        assert_eq!(workers[1]["sum"]["requests"], json!(expected));
        let data = answer(&q, ACCOUNT, &usage, day("2024-02-01"), &none);
        let account = &data["viewer"]["accounts"][0];
        assert_eq!(
            account["workersInvocationsAdaptive"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        assert_eq!(account["r2OperationsAdaptiveGroups"], json!([]));
        assert_eq!(account["d1AnalyticsAdaptiveGroups"], json!([]));

        for bad in [
            json!({ "resource": "", "metric": "requests", "date": "2024-03-10", "value": 1 }),
            json!({ "resource": "a", "metric": "errors", "date": "2024-03-10", "value": 1 }),
            json!({ "resource": "a", "metric": "requests", "date": "2024-13-10", "value": 1 }),
            json!({ "resource": "a", "metric": "requests", "date": "2024-03-10", "value": -1 }),
            json!({ "resource": "a", "metric": "rowsRead", "date": "2024-03-10", "value": 1, "dataset": "kvOperationsAdaptiveGroups" }),
        ] {
            assert!(Usage::parse_override(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(
            parse_date("2024-02-29").map(format_date).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(
            parse_date("2000-02-29").map(format_date).as_deref(),
            Some("2000-02-29")
        );
        assert_eq!(day("2024-03-01") - day("2024-02-28"), 2);
        for d in [-1000, 0, 19_000, 20_000, 30_000] {
            assert_eq!(parse_date(&format_date(d)), Some(d));
        }
        assert_eq!(weeks_days(32), "4w4d");
        assert_eq!(weeks_days(35), "5w");
        assert_eq!(weeks_days(3), "3d");
    }
}
