//! Drift: what provisioning recorded for a platform (the resources its jobs created or
//! adopted) against what the Cloudflare API reports now. Missing: recorded, gone.
//! Changed: there, but not as recorded (a domain serving another Worker, a Worker
//! without its secret). Unexpected: the platform's names in Cloudflare that no job
//! recorded (D1 databases named `<pid>-…`, Workers custom domains under the
//! platform's hostnames).

use crate::cloudflare::{CfResult, Cloudflare};
use crate::jobs::plan::Gap;
use crate::jobs::{names, RecordKind};
use crate::store::ResourceRow;
use nno_core::contracts::provisioning::{DriftChange, DriftItem, DriftReport};
use serde_json::Value;

/// What Cloudflare said about one recorded resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    Present,
    Missing,
    Changed {
        field: String,
        expected: String,
        actual: String,
    },
}

pub fn item(
    kind: RecordKind,
    name: &str,
    id: Option<&str>,
    environment: Option<&str>,
) -> DriftItem {
    DriftItem {
        kind: kind.resource_kind(),
        name: name.to_string(),
        cloudflare_id: id.map(str::to_string),
        environment: environment.map(str::to_string),
    }
}

/// The report from the observations (pure).
pub fn report(
    platform_id: &str,
    at: i64,
    observed: &[(ResourceRow, Observed)],
    unexpected: Vec<DriftItem>,
) -> (DriftReport, Vec<Gap>) {
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    let mut gaps = Vec::new();
    for (r, o) in observed {
        let Some(kind) = r.kind() else { continue };
        match o {
            Observed::Present => {}
            Observed::Missing => {
                missing.push(item(
                    kind,
                    &r.name,
                    Some(&r.cloudflare_id),
                    Some(&r.environment),
                ));
                gaps.push(Gap {
                    kind,
                    name: r.name.clone(),
                    field: None,
                });
            }
            Observed::Changed {
                field,
                expected,
                actual,
            } => {
                changed.push(DriftChange {
                    kind: kind.resource_kind(),
                    name: r.name.clone(),
                    field: field.clone(),
                    expected: expected.clone(),
                    actual: actual.clone(),
                });
                gaps.push(Gap {
                    kind,
                    name: r.name.clone(),
                    field: Some(field.clone()),
                });
            }
        }
    }
    let in_sync = missing.is_empty() && changed.is_empty() && unexpected.is_empty();
    (
        DriftReport {
            platform_id: platform_id.to_string(),
            checked_at: at,
            in_sync,
            missing,
            unexpected,
            changed,
        },
        gaps,
    )
}

async fn observe(cf: &Cloudflare, r: &ResourceRow) -> CfResult<Observed> {
    let Some(kind) = r.kind() else {
        return Ok(Observed::Present);
    };
    let gone = |e: crate::cloudflare::CfError| {
        if e.is_not_found() {
            Ok(Observed::Missing)
        } else {
            Err(e)
        }
    };
    match kind {
        RecordKind::D1 => match cf.d1_get(&r.cloudflare_id).await {
            Ok(db) if db.name != r.name => Ok(Observed::Changed {
                field: "name".into(),
                expected: r.name.clone(),
                actual: db.name,
            }),
            Ok(_) => Ok(Observed::Present),
            Err(e) => gone(e),
        },
        RecordKind::Worker => match cf.secret_names(&r.name).await {
            Ok(secrets) if !secrets.iter().any(|s| s == "BETTER_AUTH_SECRET") => {
                Ok(Observed::Changed {
                    field: "secret".into(),
                    expected: "BETTER_AUTH_SECRET".into(),
                    actual: secrets.join(","),
                })
            }
            Ok(_) => Ok(Observed::Present),
            Err(e) => gone(e),
        },
        RecordKind::WorkerDomain => {
            let domains = cf.domains(Some(&r.name)).await?;
            let expected = r
                .detail()
                .get("service")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Ok(match domains.into_iter().find(|d| d.hostname == r.name) {
                None => Observed::Missing,
                Some(d) if !expected.is_empty() && d.service != expected => Observed::Changed {
                    field: "service".into(),
                    expected,
                    actual: d.service,
                },
                Some(_) => Observed::Present,
            })
        }
        RecordKind::CustomHostname => match cf.hostname_get(&r.cloudflare_id).await {
            Ok(h) if h.hostname != r.name => Ok(Observed::Changed {
                field: "hostname".into(),
                expected: r.name.clone(),
                actual: h.hostname,
            }),
            Ok(_) => Ok(Observed::Present),
            Err(e) => gone(e),
        },
    }
}

/// Asks Cloudflare about every recorded resource and the platform's names.
pub async fn check(
    cf: &Cloudflare,
    platform_id: &str,
    records: &[ResourceRow],
    at: i64,
) -> CfResult<(DriftReport, Vec<Gap>)> {
    let mut observed = Vec::with_capacity(records.len());
    for r in records {
        observed.push((r.clone(), observe(cf, r).await?));
    }
    let known = |kind: RecordKind, name: &str| {
        records
            .iter()
            .any(|r| r.kind() == Some(kind) && r.name == name)
    };
    let mut unexpected = Vec::new();
    let prefix = format!("{platform_id}-");
    for db in cf.d1_list().await? {
        if db.name.starts_with(&prefix) && !known(RecordKind::D1, &db.name) {
            unexpected.push(item(RecordKind::D1, &db.name, Some(&db.uuid), None));
        }
    }
    for d in cf.domains(None).await? {
        if names::is_platform_host(platform_id, &d.hostname)
            && !known(RecordKind::WorkerDomain, &d.hostname)
        {
            unexpected.push(item(
                RecordKind::WorkerDomain,
                &d.hostname,
                Some(&d.id),
                None,
            ));
        }
    }
    Ok(report(platform_id, at, &observed, unexpected))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, name: &str) -> ResourceRow {
        ResourceRow {
            platform_id: "p".into(),
            kind: kind.into(),
            name: name.into(),
            environment: "prod".into(),
            cloudflare_id: format!("id-{name}"),
            detail: "{}".into(),
        }
    }

    #[test]
    fn the_report_sorts_observations_and_names_the_gaps() {
        let obs = vec![
            (row("d1", "p-default-auth-db"), Observed::Missing),
            (
                row("worker", "p-default-auth"),
                Observed::Changed {
                    field: "secret".into(),
                    expected: "BETTER_AUTH_SECRET".into(),
                    actual: String::new(),
                },
            ),
            (
                row("custom_hostname", "auth.svc.default.p.nno.app"),
                Observed::Present,
            ),
        ];
        let (r, gaps) = report("p", 5, &obs, vec![]);
        assert!(!r.in_sync);
        assert_eq!(r.missing.len(), 1);
        assert_eq!(
            r.missing[0].cloudflare_id.as_deref(),
            Some("id-p-default-auth-db")
        );
        assert_eq!(r.changed[0].field, "secret");
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[1].field.as_deref(), Some("secret"));
        let (clean, none) = report("p", 5, &obs[2..], vec![]);
        assert!(clean.in_sync && none.is_empty());
    }
}
