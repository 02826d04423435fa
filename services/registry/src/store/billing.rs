//! `billing_standing` and the billing facts kept on `platforms` (its Stripe
//! customer, its tier as Stripe bills it).

use super::{n, opt, s};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Standing {
    pub standing: String,
}

pub async fn standing(db: &Db, platform_id: &str) -> Result<Option<Standing>, ApiError> {
    db.first(
        "SELECT standing FROM billing_standing WHERE platform_id = ?1",
        &[s(platform_id)],
    )
    .await
}

/// Stores billing's word if it is newer than what is stored; whether it was. The
/// platform's tier and customer follow in the same transaction, only then.
pub async fn put(
    db: &Db,
    platform_id: &str,
    standing: &str,
    tier: &str,
    customer: Option<&str>,
    at: i64,
) -> Result<bool, ApiError> {
    let upsert = db.stmt(
        "INSERT INTO billing_standing (platform_id, standing, tier, at) \
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM platforms WHERE id = ?1) \
         ON CONFLICT (platform_id) DO UPDATE SET standing = excluded.standing, tier = excluded.tier, \
         at = excluded.at WHERE excluded.at > billing_standing.at",
        &[s(platform_id), s(standing), s(tier), n(at)],
    )?;
    let facts = db.stmt(
        "UPDATE platforms SET tier = ?2, stripe_customer_id = COALESCE(?3, stripe_customer_id), \
         updated_at = MAX(updated_at, ?4) \
         WHERE id = ?1 AND (SELECT at FROM billing_standing WHERE platform_id = ?1) = ?4 \
         AND (tier <> ?2 OR stripe_customer_id IS NOT ?3)",
        &[s(platform_id), s(tier), opt(customer), n(at)],
    )?;
    let results = db.batch(vec![upsert, facts]).await?;
    Ok(results
        .first()
        .is_some_and(|r| nno_worker::d1::changes(r) > 0))
}

/// The customer billing made for the platform (onboarding's answer).
pub async fn set_customer(
    db: &Db,
    platform_id: &str,
    customer: &str,
    at: i64,
) -> Result<(), ApiError> {
    db.exec(
        "UPDATE platforms SET stripe_customer_id = ?2, updated_at = ?3 \
         WHERE id = ?1 AND stripe_customer_id IS NULL",
        &[s(platform_id), s(customer), n(at)],
    )
    .await
    .map(|_| ())
}
