//! The steps of each job type, in the order they run (rollback runs them backwards).

use super::names;
use super::steps::{RecordKind, StepKind};
use nno_core::Environment;
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    pub kind: StepKind,
    /// What the step needs beyond its name (stored with it).
    pub detail: Value,
}

fn step(kind: StepKind) -> PlannedStep {
    PlannedStep {
        kind,
        detail: json!({}),
    }
}

/// The default stack's hostnames, auth and console in production and staging (both
/// are registered whatever environment the resources are created in), with the
/// environment each belongs to and what it serves.
pub fn hostnames(platform_id: &str) -> Vec<(String, Environment, String)> {
    let mut out = Vec::new();
    for host_env in [Environment::Prod, Environment::Stg] {
        out.push((
            names::auth_host(platform_id, host_env),
            host_env,
            names::auth_worker(platform_id, host_env),
        ));
        out.push((
            names::console_host(platform_id, host_env),
            host_env,
            names::console_project(platform_id, host_env),
        ));
    }
    out
}

fn hostname_step(h: String, env: Environment, target: String) -> PlannedStep {
    PlannedStep {
        kind: StepKind::RegisterHostname(h),
        detail: json!({ "environment": env.as_str(), "target": target }),
    }
}

/// BOOTSTRAP_PLATFORM (seeds 003/004): the auth D1 and its migrations, the auth Worker
/// with its secret and route, and the default stack's custom hostnames.
pub fn bootstrap(platform_id: &str) -> Vec<PlannedStep> {
    let mut out = vec![
        step(StepKind::CreateAuthDb),
        step(StepKind::MigrateAuthDb),
        step(StepKind::UploadAuthWorker),
        step(StepKind::SetAuthSecret),
        step(StepKind::RouteAuthDomain),
    ];
    for (h, e, target) in hostnames(platform_id) {
        out.push(hostname_step(h, e, target));
    }
    out
}

/// A resource provisioning recorded for a platform.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub kind: RecordKind,
    pub name: String,
    pub environment: String,
    pub cloudflare_id: String,
}

/// DEPROVISION_PLATFORM: hostnames, then routes, then Workers; databases only with
/// `purge`. Each step removes one recorded resource.
pub fn deprovision(records: &[Recorded], purge: bool) -> Vec<PlannedStep> {
    let order = [
        RecordKind::CustomHostname,
        RecordKind::WorkerDomain,
        RecordKind::Worker,
        RecordKind::D1,
    ];
    let mut out = Vec::new();
    for kind in order {
        if kind.is_data() && !purge {
            continue;
        }
        for r in records.iter().filter(|r| r.kind == kind) {
            out.push(PlannedStep {
                kind: StepKind::Remove(kind, r.name.clone()),
                detail: json!({ "cloudflareId": r.cloudflare_id, "environment": r.environment }),
            });
        }
    }
    out
}

/// What drift found wrong with one recorded resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub kind: RecordKind,
    pub name: String,
    /// `None`: missing; `Some(field)`: present but `field` differs.
    pub field: Option<String>,
}

/// RECONCILE_PLATFORM: the bootstrap steps that restore what drift found missing or
/// changed. A new database means new migrations and a Worker bound to it; a new
/// Worker needs its secret again.
pub fn reconcile(platform_id: &str, gaps: &[Gap]) -> Vec<PlannedStep> {
    let has = |k: RecordKind| gaps.iter().any(|g| g.kind == k);
    let db = gaps
        .iter()
        .any(|g| g.kind == RecordKind::D1 && g.field.is_none());
    let worker = db
        || gaps
            .iter()
            .any(|g| g.kind == RecordKind::Worker && g.field.is_none());
    let secret = worker
        || gaps
            .iter()
            .any(|g| g.kind == RecordKind::Worker && g.field.as_deref() == Some("secret"));
    let mut out = Vec::new();
    if db {
        out.push(step(StepKind::CreateAuthDb));
        out.push(step(StepKind::MigrateAuthDb));
    }
    if worker {
        out.push(step(StepKind::UploadAuthWorker));
    }
    if secret {
        out.push(step(StepKind::SetAuthSecret));
    }
    if worker || has(RecordKind::WorkerDomain) {
        out.push(step(StepKind::RouteAuthDomain));
    }
    for (h, e, target) in hostnames(platform_id) {
        if gaps
            .iter()
            .any(|g| g.kind == RecordKind::CustomHostname && g.name == h)
        {
            out.push(hostname_step(h, e, target));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(steps: &[PlannedStep]) -> Vec<String> {
        steps.iter().map(|s| s.kind.name()).collect()
    }

    #[test]
    fn bootstrap_creates_the_database_before_the_worker_that_binds_it() {
        let s = bootstrap("k3m9p2xw7q");
        assert_eq!(
            names(&s)[..5],
            [
                "create_auth_db",
                "migrate_auth_db",
                "upload_auth_worker",
                "set_auth_secret",
                "route_auth_domain"
            ]
        );
        let hosts: Vec<_> = names(&s[5..]);
        assert_eq!(
            hosts,
            [
                "register_hostname:auth.svc.default.k3m9p2xw7q.nno.app",
                "register_hostname:console.app.default.k3m9p2xw7q.nno.app",
                "register_hostname:auth.svc.stg.default.k3m9p2xw7q.nno.app",
                "register_hostname:console.app.stg.default.k3m9p2xw7q.nno.app",
            ]
        );
        assert_eq!(s[7].detail["environment"], "stg");
        assert_eq!(s[7].detail["target"], "k3m9p2xw7q-default-auth-stg");
    }

    fn rec(kind: RecordKind, name: &str) -> Recorded {
        Recorded {
            kind,
            name: name.into(),
            environment: "prod".into(),
            cloudflare_id: format!("id-{name}"),
        }
    }

    #[test]
    fn deprovision_keeps_databases_unless_purging() {
        let records = [
            rec(RecordKind::D1, "db"),
            rec(RecordKind::Worker, "w"),
            rec(RecordKind::CustomHostname, "h1"),
            rec(RecordKind::WorkerDomain, "h1"),
        ];
        assert_eq!(
            names(&deprovision(&records, false)),
            [
                "remove_custom_hostname:h1",
                "remove_worker_domain:h1",
                "remove_worker:w"
            ]
        );
        let purged = deprovision(&records, true);
        assert_eq!(
            purged.last().map(|s| s.kind.name()).as_deref(),
            Some("remove_d1:db")
        );
        assert_eq!(purged[0].detail["cloudflareId"], "id-h1");
    }

    #[test]
    fn reconcile_restores_what_depends_on_a_missing_resource() {
        let p = "k3m9p2xw7q";
        let gap = |kind, name: &str, field: Option<&str>| Gap {
            kind,
            name: name.into(),
            field: field.map(str::to_string),
        };
        assert_eq!(
            names(&reconcile(p, &[gap(RecordKind::D1, "db", None)])),
            [
                "create_auth_db",
                "migrate_auth_db",
                "upload_auth_worker",
                "set_auth_secret",
                "route_auth_domain"
            ]
        );
        assert_eq!(
            names(&reconcile(
                p,
                &[gap(RecordKind::Worker, "w", Some("secret"))]
            )),
            ["set_auth_secret"]
        );
        let h = "console.app.stg.default.k3m9p2xw7q.nno.app";
        assert_eq!(
            names(&reconcile(p, &[gap(RecordKind::CustomHostname, h, None)])),
            [format!("register_hostname:{h}")]
        );
        assert!(reconcile(p, &[]).is_empty());
    }
}
