//! Storage probes behind every service's `GET /health`: a real round trip to the
//! service's own binding, timed.

use crate::runtime::now_ms;
use nno_core::health::{Check, Status};
use worker::Env;

/// Reads the `nno_meta` row every service's first migration writes, which proves the
/// database is reachable *and* migrated *and* the right one.
pub async fn d1(env: &Env, binding: &str, service: &str) -> Check {
    let start = now_ms();
    let result = async {
        let db = env.d1(binding).map_err(|e| e.to_string())?;
        let stmt = db
            .prepare("SELECT value FROM nno_meta WHERE key = ?1")
            .bind(&["service".into()])
            .map_err(|e| e.to_string())?;
        let value: Option<String> = stmt.first(Some("value")).await.map_err(|e| e.to_string())?;
        match value {
            Some(v) if v == service => Ok(()),
            Some(v) => Err(format!("database belongs to {v}")),
            None => Err("database is not migrated".to_string()),
        }
    }
    .await;
    check(format!("d1:{binding}"), start, result)
}

/// A KV read of a key that need not exist: a round trip without spending the
/// one-write-per-second-per-key budget.
pub async fn kv(env: &Env, binding: &str) -> Check {
    let start = now_ms();
    let result = async {
        let kv = env.kv(binding).map_err(|e| e.to_string())?;
        kv.get("nno:health")
            .text()
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    .await;
    check(format!("kv:{binding}"), start, result)
}

pub fn check(name: String, start: f64, result: Result<(), String>) -> Check {
    Check {
        name,
        status: if result.is_ok() {
            Status::Ok
        } else {
            Status::Down
        },
        latency_ms: now_ms() - start,
        error: result.err(),
    }
}
