//! What each tier costs, includes and allows (digest §7). Stripe knows the prices by
//! `lookup_key`, so the same code finds them in every Stripe account (and the
//! sandbox) without ids in configuration.

use nno_core::platform::Tier;

/// One metered quantity. The wire names are Stripe's meter `event_name`s too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    WorkerInvocations,
    D1RowsRead,
    D1RowsWritten,
    R2Operations,
    KvOperations,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::WorkerInvocations,
        Metric::D1RowsRead,
        Metric::D1RowsWritten,
        Metric::R2Operations,
        Metric::KvOperations,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Metric::WorkerInvocations => "worker_invocations",
            Metric::D1RowsRead => "d1_rows_read",
            Metric::D1RowsWritten => "d1_rows_written",
            Metric::R2Operations => "r2_operations",
            Metric::KvOperations => "kv_operations",
        }
    }

    /// The JSON field name (`workerInvocations`).
    pub const fn camel(self) -> &'static str {
        match self {
            Metric::WorkerInvocations => "workerInvocations",
            Metric::D1RowsRead => "d1RowsRead",
            Metric::D1RowsWritten => "d1RowsWritten",
            Metric::R2Operations => "r2Operations",
            Metric::KvOperations => "kvOperations",
        }
    }

    /// The Stripe billing meter's `event_name` for overage of this metric.
    pub fn meter_event(self) -> String {
        format!("nno_{}", self.as_str())
    }
}

/// A tier's price, what a month includes, and how many things it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub tier: Tier,
    /// USD cents per month.
    pub monthly_cents: u64,
    /// `None` is unlimited.
    pub platforms_per_tenant: Option<u32>,
    pub tenants_per_platform: Option<u32>,
    pub features: Option<u32>,
    included: [u64; 5],
}

const M: u64 = 1_000_000;

// R2 and KV allowances and scale's D1 writes are not in the digest: chosen here at the
// same tenfold steps as the documented ones (ARCHITECTURE.md, billing).
const PLANS: [Plan; 3] = [
    Plan {
        tier: Tier::Starter,
        monthly_cents: 4_900,
        platforms_per_tenant: Some(1),
        tenants_per_platform: Some(3),
        features: Some(5),
        included: [5 * M, 25 * M, 2_500_000, M, M],
    },
    Plan {
        tier: Tier::Growth,
        monthly_cents: 19_900,
        platforms_per_tenant: Some(3),
        tenants_per_platform: Some(20),
        features: None,
        included: [50 * M, 250 * M, 25 * M, 10 * M, 10 * M],
    },
    Plan {
        tier: Tier::Scale,
        monthly_cents: 79_900,
        platforms_per_tenant: None,
        tenants_per_platform: None,
        features: None,
        included: [500 * M, 2_500 * M, 250 * M, 100 * M, 100 * M],
    },
];

pub fn plan(tier: Tier) -> &'static Plan {
    match tier {
        Tier::Starter => &PLANS[0],
        Tier::Growth => &PLANS[1],
        Tier::Scale => &PLANS[2],
    }
}

impl Plan {
    /// What a month includes of `metric`.
    pub fn included(&self, metric: Metric) -> u64 {
        let i = Metric::ALL.iter().position(|m| *m == metric).unwrap_or(0);
        self.included[i]
    }
}

/// The Stripe price's `lookup_key` for a tier's monthly subscription.
pub fn lookup_key(tier: Tier) -> String {
    format!("nno_{}_monthly", tier.as_str())
}

/// The tier a Stripe price's `lookup_key` names, if it names one.
pub fn tier_of_lookup_key(key: &str) -> Option<Tier> {
    Tier::parse(key.strip_prefix("nno_")?.strip_suffix("_monthly")?)
}

/// Where a tier change leads: up, down, or nowhere.
pub fn rank(tier: Tier) -> u8 {
    match tier {
        Tier::Starter => 0,
        Tier::Growth => 1,
        Tier::Scale => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_limits_are_the_digests() {
        assert_eq!(plan(Tier::Starter).monthly_cents, 4_900);
        assert_eq!(plan(Tier::Growth).monthly_cents, 19_900);
        assert_eq!(plan(Tier::Scale).monthly_cents, 79_900);
        assert_eq!(plan(Tier::Starter).platforms_per_tenant, Some(1));
        assert_eq!(plan(Tier::Growth).platforms_per_tenant, Some(3));
        assert_eq!(plan(Tier::Scale).platforms_per_tenant, None);
        assert_eq!(plan(Tier::Starter).tenants_per_platform, Some(3));
        assert_eq!(plan(Tier::Growth).tenants_per_platform, Some(20));
        assert_eq!(plan(Tier::Starter).features, Some(5));
        assert_eq!(plan(Tier::Growth).features, None);
        assert_eq!(
            plan(Tier::Starter).included(Metric::WorkerInvocations),
            5_000_000
        );
        assert_eq!(plan(Tier::Growth).included(Metric::D1RowsRead), 250_000_000);
        assert_eq!(
            plan(Tier::Starter).included(Metric::D1RowsWritten),
            2_500_000
        );
        for t in Tier::ALL {
            assert_eq!(plan(*t).tier, *t);
        }
    }

    #[test]
    fn lookup_keys_round_trip() {
        for t in Tier::ALL {
            assert_eq!(tier_of_lookup_key(&lookup_key(*t)), Some(*t));
        }
        assert_eq!(lookup_key(Tier::Growth), "nno_growth_monthly");
        assert_eq!(tier_of_lookup_key("nno_gold_monthly"), None);
        assert_eq!(tier_of_lookup_key("starter"), None);
        assert_eq!(Metric::D1RowsRead.meter_event(), "nno_d1_rows_read");
        assert!(rank(Tier::Scale) > rank(Tier::Growth));
    }
}
