//! `subscriptions`: one per platform, created pending by onboarding and filled in as
//! Stripe answers.

use super::{n, on, opt, s};
use nno_core::contracts::billing::{Standing, SubscriptionView};
use nno_core::ApiError;
use nno_worker::d1::Db;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Row {
    pub platform_id: String,
    pub owner_tenant_id: String,
    pub billing_email: String,
    pub tier: String,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub stripe_item_id: Option<String>,
    pub test_clock_id: Option<String>,
    pub status: String,
    pub standing: String,
    #[serde(deserialize_with = "nno_worker::d1::boolean")]
    pub cancel_at_period_end: bool,
    pub current_period_start_s: Option<i64>,
    pub current_period_end_s: Option<i64>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub failed_attempts: i64,
}

impl Row {
    pub fn view(&self) -> SubscriptionView {
        SubscriptionView {
            platform_id: self.platform_id.clone(),
            tier: self.tier.clone(),
            status: self.status.clone(),
            standing: Standing::parse(&self.standing).unwrap_or(Standing::Good),
            cancel_at_period_end: self.cancel_at_period_end,
            current_period_start: self.current_period_start_s,
            current_period_end: self.current_period_end_s,
            stripe_customer_id: self.stripe_customer_id.clone(),
            stripe_subscription_id: self.stripe_subscription_id.clone(),
            amount: self.amount,
            currency: self.currency.clone(),
            failed_attempts: u32::try_from(self.failed_attempts).unwrap_or(0),
        }
    }
}

const COLUMNS: &str = "platform_id, owner_tenant_id, billing_email, tier, stripe_customer_id, \
    stripe_subscription_id, stripe_item_id, test_clock_id, status, standing, cancel_at_period_end, \
    current_period_start_s, current_period_end_s, amount, currency, failed_attempts";

pub async fn get(db: &Db, platform_id: &str) -> Result<Option<Row>, ApiError> {
    db.first(
        &format!("SELECT {COLUMNS} FROM subscriptions WHERE platform_id = ?1"),
        &[s(platform_id)],
    )
    .await
}

pub async fn by_subscription(db: &Db, subscription_id: &str) -> Result<Option<Row>, ApiError> {
    db.first(
        &format!("SELECT {COLUMNS} FROM subscriptions WHERE stripe_subscription_id = ?1"),
        &[s(subscription_id)],
    )
    .await
}

pub struct New<'a> {
    pub platform_id: &'a str,
    pub owner_tenant_id: &'a str,
    pub billing_email: &'a str,
    pub tier: &'a str,
    pub at: i64,
}

/// The pending row; a second onboarding attempt finds the first's.
pub async fn create(db: &Db, x: &New<'_>) -> Result<(), ApiError> {
    db.exec(
        "INSERT INTO subscriptions (platform_id, owner_tenant_id, billing_email, tier, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (platform_id) DO NOTHING",
        &[s(x.platform_id), s(x.owner_tenant_id), s(x.billing_email), s(x.tier), n(x.at)],
    )
    .await
    .map(|_| ())
}

/// A Stripe id kept on the row, each set once.
#[derive(Debug, Clone, Copy)]
pub enum StripeRef {
    TestClock,
    Customer,
    Subscription,
}

impl StripeRef {
    const fn column(self) -> &'static str {
        match self {
            StripeRef::TestClock => "test_clock_id",
            StripeRef::Customer => "stripe_customer_id",
            StripeRef::Subscription => "stripe_subscription_id",
        }
    }
}

/// Stores a Stripe id where none is stored yet (a retried step keeps the first).
pub async fn set_once(
    db: &Db,
    platform_id: &str,
    what: StripeRef,
    id: &str,
    at: i64,
) -> Result<(), ApiError> {
    let column = what.column();
    db.exec(
        &format!(
            "UPDATE subscriptions SET {column} = ?2, updated_at = ?3 \
             WHERE platform_id = ?1 AND {column} IS NULL"
        ),
        &[s(platform_id), s(id), n(at)],
    )
    .await
    .map(|_| ())
}

/// What a read of the Stripe subscription found.
pub struct Synced<'a> {
    pub platform_id: &'a str,
    pub tier: &'a str,
    pub item_id: &'a str,
    pub status: &'a str,
    pub standing: Standing,
    pub cancel_at_period_end: bool,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub amount: Option<i64>,
    pub currency: Option<&'a str>,
    pub failed_attempts: u32,
    /// When the read was made (ms).
    pub at: i64,
}

/// Stores a read unless a newer one is stored already; whether it was stored.
pub async fn sync(db: &Db, x: &Synced<'_>) -> Result<bool, ApiError> {
    db.exec_changed(
        "UPDATE subscriptions SET tier = ?2, stripe_item_id = ?3, status = ?4, standing = ?5, \
         cancel_at_period_end = ?6, current_period_start_s = ?7, current_period_end_s = ?8, \
         amount = ?9, currency = ?10, failed_attempts = ?11, synced_at = ?12, updated_at = ?12 \
         WHERE platform_id = ?1 AND synced_at <= ?12",
        &[
            s(x.platform_id),
            s(x.tier),
            s(x.item_id),
            s(x.status),
            s(x.standing.as_str()),
            n(i64::from(x.cancel_at_period_end)),
            on(x.period_start),
            on(x.period_end),
            on(x.amount),
            opt(x.currency),
            n(i64::from(x.failed_attempts)),
            n(x.at),
        ],
    )
    .await
}
