//! What each step does against Cloudflare, and how a completed step is undone. Every
//! create is create-or-adopt: Cloudflare's "already exists" answer (D1 7502, custom
//! hostname 1406) leads to a lookup by name and the existing resource's id; scripts,
//! secrets and Workers custom domains are PUT upserts.

use crate::cloudflare::{wire, CfError, CfResult, Cloudflare};
use crate::jobs::auth_worker;
use crate::jobs::{names, RecordKind, StepKind};
use crate::{bundle, migrations, store};
use nno_core::Environment;
use nno_worker::d1::Db;
use serde_json::{json, Value};
use worker::Env;

pub struct StepCtx<'a> {
    pub cf: &'a Cloudflare,
    pub db: &'a Db,
    pub env: &'a Env,
    pub platform_id: &'a str,
    pub environment: Environment,
    pub detail: Value,
}

/// A resource the step leaves behind, for the `resources` table and registry.
pub struct Created {
    pub kind: RecordKind,
    pub name: String,
    pub environment: String,
    pub cloudflare_id: String,
    pub ssl_status: Option<String>,
    pub detail: Value,
}

pub struct Done {
    pub cloudflare_id: Option<String>,
    /// Created by this call (false: adopted, or nothing to create).
    pub created_now: bool,
    pub detail: Value,
    pub record: Option<Created>,
    /// A recorded resource this step removed.
    pub removed: Option<(RecordKind, String, String)>,
}

impl Done {
    fn plain(detail: Value) -> Done {
        Done {
            cloudflare_id: None,
            created_now: false,
            detail,
            record: None,
            removed: None,
        }
    }
}

fn env_name(e: Environment) -> &'static str {
    if e == Environment::Stg {
        "stg"
    } else {
        "prod"
    }
}

async fn recorded_id(c: &StepCtx<'_>, kind: RecordKind, name: &str) -> CfResult<String> {
    store::resource(c.db, c.platform_id, kind, name)
        .await
        .map_err(|e| CfError::Config(format!("provisioning database: {}", e.message)))?
        .map(|r| r.cloudflare_id)
        .ok_or_else(|| CfError::Config(format!("{} {name} is not recorded", kind.as_str())))
}

pub async fn run(c: &StepCtx<'_>, kind: &StepKind) -> CfResult<Done> {
    let pid = c.platform_id;
    let env = c.environment;
    match kind {
        StepKind::CreateAuthDb => {
            let name = names::auth_db(pid, env);
            let (db, created_now) = match c.cf.d1_create(&name).await {
                Ok(db) => (db, true),
                Err(e) if e.has_code(wire::D1_EXISTS) => match c.cf.d1_find(&name).await? {
                    Some(db) => (db, false),
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            };
            Ok(Done {
                cloudflare_id: Some(db.uuid.clone()),
                created_now,
                detail: json!({ "name": name }),
                record: Some(Created {
                    kind: RecordKind::D1,
                    name,
                    environment: env_name(env).into(),
                    cloudflare_id: db.uuid,
                    ssl_status: None,
                    detail: json!({}),
                }),
                removed: None,
            })
        }
        StepKind::MigrateAuthDb => {
            let id = recorded_id(c, RecordKind::D1, &names::auth_db(pid, env)).await?;
            let bad_name = || CfError::Config("a migration's name holds a quote".into());
            let all = migrations::IAM_MIGRATIONS;
            // A new database: everything in one call. If any migration is there
            // already the query fails whole, and the ones missing are applied.
            let pending = match c
                .cf
                .d1_query(&id, &migrations::all_at_once(all).ok_or_else(bad_name)?)
                .await
            {
                Ok(_) => all.to_vec(),
                Err(e) if e.is_failed_query() => {
                    let rows = c.cf.d1_query(&id, migrations::TRACKING).await?;
                    let applied: Vec<String> = rows
                        .iter()
                        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
                        .collect();
                    let pending = migrations::pending(&applied);
                    if !pending.is_empty() {
                        let sql = migrations::in_one_query(&pending).ok_or_else(bad_name)?;
                        c.cf.d1_query(&id, &sql).await?;
                    }
                    pending
                }
                Err(e) => return Err(e),
            };
            let now_applied: Vec<&str> = pending.iter().map(|(n, _)| *n).collect();
            let mut d = Done::plain(
                json!({ "applied": now_applied, "total": migrations::IAM_MIGRATIONS.len() }),
            );
            d.cloudflare_id = Some(id);
            Ok(d)
        }
        StepKind::UploadAuthWorker => {
            let db_id = recorded_id(c, RecordKind::D1, &names::auth_db(pid, env)).await?;
            let (manifest, modules) = bundle::load(c.env).await?;
            let metadata = auth_worker::metadata(pid, env, &db_id, &manifest);
            let boundary = format!(
                "nno-{}",
                nno_core::encoding::hex(&nno_worker::runtime::random_array::<12>())
            );
            let name = names::auth_worker(pid, env);
            c.cf.script_upload(&name, &metadata, &modules, &boundary)
                .await?;
            Ok(Done {
                cloudflare_id: Some(name.clone()),
                // An upsert; the name embeds the platform id, so nothing but this
                // platform's jobs creates it.
                created_now: true,
                detail: json!({ "dbId": db_id, "mainModule": manifest.main_module }),
                record: Some(Created {
                    kind: RecordKind::Worker,
                    name: name.clone(),
                    environment: env_name(env).into(),
                    cloudflare_id: name,
                    ssl_status: None,
                    detail: json!({ "dbId": db_id }),
                }),
                removed: None,
            })
        }
        StepKind::SetAuthSecret => {
            // Fresh from the runtime's CSPRNG, sent to Cloudflare only: never stored
            // or logged here.
            let secret = nno_core::encoding::hex(&nno_worker::runtime::random_array::<32>());
            let script = names::auth_worker(pid, env);
            c.cf.secret_put(&script, "BETTER_AUTH_SECRET", &secret)
                .await?;
            Ok(Done::plain(json!({ "secret": "BETTER_AUTH_SECRET" })))
        }
        StepKind::RouteAuthDomain => {
            let host = names::auth_host(pid, env);
            let service = names::auth_worker(pid, env);
            let domain = c.cf.domain_attach(&host, &service).await?;
            Ok(Done {
                cloudflare_id: Some(domain.id.clone()),
                created_now: true,
                detail: json!({ "hostname": host, "service": service }),
                record: Some(Created {
                    kind: RecordKind::WorkerDomain,
                    name: host,
                    environment: env_name(env).into(),
                    cloudflare_id: domain.id,
                    ssl_status: None,
                    detail: json!({ "service": service }),
                }),
                removed: None,
            })
        }
        StepKind::RegisterHostname(host) => {
            let target = c
                .detail
                .get("target")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let host_env = c
                .detail
                .get("environment")
                .and_then(Value::as_str)
                .unwrap_or("prod")
                .to_string();
            let meta = json!({ "platformId": pid, "stack": names::STACK, "target": target });
            let (h, created_now) = match c.cf.hostname_create(host, &meta).await {
                Ok(h) => (h, true),
                Err(e) if e.has_code(wire::HOSTNAME_EXISTS) => {
                    match c.cf.hostname_find(host).await? {
                        Some(h) => (h, false),
                        None => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            };
            let ssl = h.ssl_status().as_str().to_string();
            Ok(Done {
                cloudflare_id: Some(h.id.clone()),
                created_now,
                detail: c.detail.clone(),
                record: Some(Created {
                    kind: RecordKind::CustomHostname,
                    name: host.clone(),
                    environment: host_env,
                    cloudflare_id: h.id,
                    ssl_status: Some(ssl),
                    detail: json!({ "target": target }),
                }),
                removed: None,
            })
        }
        StepKind::Remove(kind, name) => {
            let id = c
                .detail
                .get("cloudflareId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let environment = c
                .detail
                .get("environment")
                .and_then(Value::as_str)
                .unwrap_or("prod")
                .to_string();
            delete(c.cf, *kind, name, &id).await?;
            let mut d = Done::plain(c.detail.clone());
            d.removed = Some((*kind, name.clone(), environment));
            Ok(d)
        }
    }
}

/// Deletes one resource; already gone (404) counts as done.
pub async fn delete(cf: &Cloudflare, kind: RecordKind, name: &str, id: &str) -> CfResult<()> {
    let r = match kind {
        RecordKind::D1 => cf.d1_delete(id).await,
        RecordKind::Worker => cf.script_delete(name).await,
        RecordKind::WorkerDomain => cf.domain_detach(id).await,
        RecordKind::CustomHostname => cf.hostname_delete(id).await,
    };
    match r {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// Undoes a completed step of this job: deletes what it created (only that). Steps
/// that created nothing (migrations, the secret, a removal) have nothing to undo.
/// The resource undone, if any.
pub async fn undo(
    cf: &Cloudflare,
    pid: &str,
    env: Environment,
    kind: &StepKind,
    cloudflare_id: Option<&str>,
) -> CfResult<Option<(RecordKind, String)>> {
    let (record, name) = match kind {
        StepKind::CreateAuthDb => (RecordKind::D1, names::auth_db(pid, env)),
        StepKind::UploadAuthWorker => (RecordKind::Worker, names::auth_worker(pid, env)),
        StepKind::RouteAuthDomain => (RecordKind::WorkerDomain, names::auth_host(pid, env)),
        StepKind::RegisterHostname(h) => (RecordKind::CustomHostname, h.clone()),
        StepKind::MigrateAuthDb | StepKind::SetAuthSecret | StepKind::Remove(..) => {
            return Ok(None)
        }
    };
    let Some(id) = cloudflare_id else {
        return Ok(None);
    };
    delete(cf, record, &name, id).await?;
    Ok(Some((record, name)))
}
