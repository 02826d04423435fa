//! Registry ↔ billing. Registry asks billing, over the service binding and signed as
//! `Identity::Internal`, to subscribe a platform it onboards; billing tells registry
//! what a subscription's state means for the platform by publishing a
//! `BillingStanding` event on the registry-events queue (`provisioning::EventBody`).

use crate::platform::{PlatformStatus, Transition};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/billing/subscription`: create the platform's Stripe customer and its
/// subscription on `tier` (idempotent per platform).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscribeRequest {
    pub platform_id: String,
    pub tier: String,
    pub billing_email: String,
    pub owner_tenant_id: String,
}

/// The platform's subscription as billing keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionView {
    pub platform_id: String,
    pub tier: String,
    /// Stripe's subscription status (`active`, `past_due`, `canceled`, …), or
    /// `pending` before Stripe has one.
    pub status: String,
    pub standing: Standing,
    pub cancel_at_period_end: bool,
    /// Unix seconds; the renewal date is the end.
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// USD cents per period.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// Failed payment attempts of the invoice now open (0 when none is).
    pub failed_attempts: u32,
}

/// What the subscription means for the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Paid up (or trialing).
    Good,
    /// A payment failed; the platform keeps running while Stripe retries.
    Grace,
    /// Still unpaid when the grace period ended: the platform is suspended.
    Overdue,
    /// Cancelled at the period's end: the platform is `pending_cancellation`.
    Cancelling,
    /// The subscription ended: the platform is `cancelled`.
    Cancelled,
}

impl Standing {
    pub const fn as_str(self) -> &'static str {
        match self {
            Standing::Good => "good",
            Standing::Grace => "grace",
            Standing::Overdue => "overdue",
            Standing::Cancelling => "cancelling",
            Standing::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Standing> {
        [
            Standing::Good,
            Standing::Grace,
            Standing::Overdue,
            Standing::Cancelling,
            Standing::Cancelled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// The suspension reason registry records when billing suspends a platform: only a
/// payment lifts a suspension with this reason, and a payment lifts no other.
pub const OVERDUE_REASON: &str = "payment_overdue";

/// What registry does to a platform in `status` when billing's standing goes from
/// `previous` (the last one registry applied, if any) to `next`.
/// `suspended_for_payment` is whether a suspension now in place is billing's.
pub fn transitions(
    previous: Option<Standing>,
    next: Standing,
    status: PlatformStatus,
    suspended_for_payment: bool,
) -> Vec<Transition> {
    use PlatformStatus as S;
    use Transition as T;
    match (next, status) {
        // Payment arrived, or the customer took back a cancellation.
        (Standing::Good | Standing::Grace, S::Suspended) if suspended_for_payment => {
            vec![T::Restore]
        }
        (Standing::Good | Standing::Grace, S::PendingCancellation)
            if previous == Some(Standing::Cancelling) =>
        {
            vec![T::Restore]
        }
        (Standing::Overdue, S::Active) => vec![T::Suspend],
        (Standing::Cancelling, S::Active | S::Suspended) => vec![T::Cancel],
        (Standing::Cancelled, S::Active | S::Suspended) => {
            vec![T::Cancel, T::CompleteCancellation]
        }
        (Standing::Cancelled, S::PendingCancellation) => vec![T::CompleteCancellation],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlatformStatus as S;
    use Standing as B;
    use Transition as T;

    #[test]
    fn overdue_suspends_and_payment_restores_only_its_own_suspension() {
        assert_eq!(
            transitions(Some(B::Grace), B::Overdue, S::Active, false),
            [T::Suspend]
        );
        assert_eq!(
            transitions(Some(B::Overdue), B::Good, S::Suspended, true),
            [T::Restore]
        );
        // An operator's suspension is not lifted by a payment.
        assert!(transitions(Some(B::Overdue), B::Good, S::Suspended, false).is_empty());
        // A failed payment alone changes nothing.
        assert!(transitions(Some(B::Good), B::Grace, S::Active, false).is_empty());
    }

    #[test]
    fn cancellation_follows_the_period() {
        assert_eq!(
            transitions(Some(B::Good), B::Cancelling, S::Active, false),
            [T::Cancel]
        );
        assert_eq!(
            transitions(
                Some(B::Cancelling),
                B::Cancelled,
                S::PendingCancellation,
                false
            ),
            [T::CompleteCancellation]
        );
        assert_eq!(
            transitions(None, B::Cancelled, S::Active, false),
            [T::Cancel, T::CompleteCancellation]
        );
        // Resumed before the period ended.
        assert_eq!(
            transitions(Some(B::Cancelling), B::Good, S::PendingCancellation, false),
            [T::Restore]
        );
        // A cancellation registry made itself is not undone by billing being paid up.
        assert!(transitions(Some(B::Good), B::Good, S::PendingCancellation, false).is_empty());
        for s in [S::Pending, S::Provisioning, S::Cancelled, S::Deleted] {
            for b in [B::Good, B::Grace, B::Overdue, B::Cancelling, B::Cancelled] {
                if s == S::Cancelled || s == S::Deleted {
                    assert!(transitions(None, b, s, true).is_empty(), "{s} {b:?}");
                }
            }
        }
    }

    #[test]
    fn every_transition_offered_is_allowed_from_where_it_starts() {
        let all = [B::Good, B::Grace, B::Overdue, B::Cancelling, B::Cancelled];
        for s in S::ALL {
            for next in all {
                for prev in all.iter().map(|p| Some(*p)).chain([None]) {
                    let mut at = *s;
                    for t in transitions(prev, next, *s, true) {
                        at = at.after(t).unwrap_or_else(|| panic!("{at} {t}"));
                    }
                }
            }
        }
        for b in all {
            assert_eq!(Standing::parse(b.as_str()), Some(b));
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
        }
    }
}
