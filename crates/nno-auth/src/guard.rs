//! The per-account budget for password checks. Per-IP limits alone let a guesser
//! spread attempts on one account over many addresses; this budget follows the account
//! (the e-mail address, so unknown addresses behave exactly like known ones) across
//! every endpoint that checks a password: sign-in, changing it, and the two-factor
//! endpoints that ask for it.
//!
//! The first `FREE_FAILURES` failures in a window cost nothing. After that each check
//! first waits out a delay that doubles with every further failure (30 s, 1 min, 2 min,
//! … at most 15 min): one attempt per delay is checked, the rest are refused with
//! `Retry-After` before any hashing. A correct password clears the budget. Password
//! sign-in is the only thing slowed: magic links, password reset and social sign-in
//! still work, so a guesser cannot lock the owner out of the account.

/// Failures in a window before checks are spaced out.
pub const FREE_FAILURES: u32 = 5;
/// A window without a lock ends this long after its first failure.
pub const WINDOW_MS: f64 = 15.0 * 60.0 * 1000.0;
/// The first delay, doubled for each further failure.
pub const BASE_DELAY_MS: f64 = 30_000.0;
/// The longest delay.
pub const MAX_DELAY_MS: f64 = 15.0 * 60.0 * 1000.0;

/// How long the next check must wait after the `failures`-th failure in a window.
pub fn delay_ms(failures: u32) -> f64 {
    if failures <= FREE_FAILURES {
        return 0.0;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(16);
    (BASE_DELAY_MS * f64::from(1u32 << doublings)).min(MAX_DELAY_MS)
}

/// The account key the budget is kept under: a hash of the normalised address, so the
/// table never holds addresses in clear.
pub fn subject(normalized_email: &str) -> String {
    use sha2::{Digest, Sha256};
    nno_core::encoding::hex(&Sha256::digest(
        format!("password:{normalized_email}").as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_then_doubling_then_capped() {
        for f in 0..=FREE_FAILURES {
            assert_eq!(delay_ms(f), 0.0, "{f}");
        }
        assert_eq!(delay_ms(FREE_FAILURES + 1), 30_000.0);
        assert_eq!(delay_ms(FREE_FAILURES + 2), 60_000.0);
        assert_eq!(delay_ms(FREE_FAILURES + 3), 120_000.0);
        assert_eq!(delay_ms(FREE_FAILURES + 6), MAX_DELAY_MS);
        assert_eq!(delay_ms(u32::MAX), MAX_DELAY_MS);
    }

    #[test]
    fn subjects_hide_the_address_and_differ_per_account() {
        let a = subject("a@example.com");
        assert_eq!(a.len(), 64);
        assert!(!a.contains("example"));
        assert_ne!(a, subject("b@example.com"));
        assert_eq!(a, subject("a@example.com"));
    }
}
