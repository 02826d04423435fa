//! `stripe_events`: the webhook events that took effect.

use super::{n, opt, s};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;

#[derive(Deserialize)]
struct Seen {
    #[allow(dead_code)]
    id: String,
}

pub async fn seen(db: &Db, id: &str) -> Result<bool, ApiError> {
    Ok(db
        .first::<Seen>("SELECT id FROM stripe_events WHERE id = ?1", &[s(id)])
        .await?
        .is_some())
}

pub async fn record(
    db: &Db,
    id: &str,
    kind: &str,
    platform_id: Option<&str>,
    created_s: i64,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO stripe_events (id, type, platform_id, created_s, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
        &[s(id), s(kind), opt(platform_id), n(created_s), n(at)],
    )
    .await
    .map(|_| ())
}
