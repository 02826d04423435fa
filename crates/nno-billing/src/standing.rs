//! What a Stripe subscription's state means for its platform. Grace period: a
//! platform whose renewal fails keeps running while Stripe retries; it is suspended
//! when the `SUSPEND_AT_ATTEMPT`th attempt fails. With the retry schedule NNO sets in
//! Stripe (retries 3, 5 and 7 days after the previous attempt, then cancel) that is
//! day 8 after the first failure: a grace period of 8 days, counted by Stripe's
//! attempts, so it holds on a test clock as on the wall clock.

use nno_core::contracts::billing::Standing;

pub const SUSPEND_AT_ATTEMPT: u32 = 3;

/// `status` is Stripe's subscription status; `failed_attempts` the attempt count of
/// its open invoice (0 when none is open).
pub fn standing(status: &str, cancel_at_period_end: bool, failed_attempts: u32) -> Standing {
    match status {
        "canceled" | "incomplete_expired" => Standing::Cancelled,
        "past_due" | "unpaid" | "incomplete" | "paused" => {
            if failed_attempts >= SUSPEND_AT_ATTEMPT || status == "unpaid" {
                Standing::Overdue
            } else {
                Standing::Grace
            }
        }
        _ if cancel_at_period_end => Standing::Cancelling,
        // active, trialing, and anything newer Stripe adds: not a reason to stop.
        _ => Standing::Good,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_period_is_counted_in_attempts() {
        assert_eq!(standing("active", false, 0), Standing::Good);
        assert_eq!(standing("trialing", false, 0), Standing::Good);
        assert_eq!(standing("past_due", false, 1), Standing::Grace);
        assert_eq!(standing("past_due", false, 2), Standing::Grace);
        assert_eq!(standing("past_due", false, 3), Standing::Overdue);
        assert_eq!(standing("unpaid", false, 0), Standing::Overdue);
        // A failed payment outranks a pending cancellation.
        assert_eq!(standing("past_due", true, 3), Standing::Overdue);
    }

    #[test]
    fn cancellation() {
        assert_eq!(standing("active", true, 0), Standing::Cancelling);
        assert_eq!(standing("canceled", true, 0), Standing::Cancelled);
        assert_eq!(
            standing("incomplete_expired", false, 1),
            Standing::Cancelled
        );
    }
}
