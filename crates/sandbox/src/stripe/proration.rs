//! Pure billing arithmetic: calendar months on unix time (periods are calendar months
//! from the subscription's anchor, the day clamped to the month's length, as Stripe
//! does), proration shares, the dunning retry schedule, and dates for descriptions.

pub const DAY: i64 = 86_400;

/// Days since 1970-01-01 -> (year, month 1-12, day 1-31) (proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `ts` plus `n` calendar months, same time of day, the day clamped (Jan 31 + 1 = Feb 28/29).
pub fn add_months(ts: i64, n: i64) -> i64 {
    let days = ts.div_euclid(DAY);
    let secs = ts.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + (m as i64 - 1) + n;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let nd = d.min(days_in_month(ny, nm));
    days_from_civil(ny, nm, nd) * DAY + secs
}

/// The share of `amount` for the time left from `at` to `end` of the period
/// `start..end`, rounded half away from zero to the cent.
pub fn share(amount: i64, start: i64, end: i64, at: i64) -> i64 {
    let period = (end - start).max(1) as i128;
    let remaining = (end - at.clamp(start, end)) as i128;
    let num = amount as i128 * remaining;
    let q = num / period;
    let r = num % period;
    let rounded = if 2 * r.abs() >= period {
        q + num.signum()
    } else {
        q
    };
    rounded as i64
}

/// The two proration lines of a change from `old_total` to `new_total` (unit amount ×
/// quantity) at `at`: the credit for unused time (≤ 0) and the charge for the
/// remaining time (≥ 0). Each is rounded on its own, as each is a line of its own.
pub fn prorate(old_total: i64, new_total: i64, start: i64, end: i64, at: i64) -> (i64, i64) {
    (
        -share(old_total, start, end, at),
        share(new_total, start, end, at),
    )
}

/// Days between a failed attempt and the next retry: attempts on day 0, 3, 8, 15.
pub const RETRY_GAPS_DAYS: [i64; 3] = [3, 5, 7];

/// When to try again after `attempts` failed attempts, the last at `last_at`; `None`
/// after the last one (the subscription is then canceled).
pub fn next_attempt(attempts: u32, last_at: i64) -> Option<i64> {
    let i = (attempts as usize).checked_sub(1)?;
    RETRY_GAPS_DAYS.get(i).map(|g| last_at + g * DAY)
}

/// `15 Nov 2023`, as Stripe writes dates in proration descriptions.
pub fn date_text(ts: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = civil_from_days(ts.div_euclid(DAY));
    format!("{d} {} {y}", MONTHS[(m as usize - 1) % 12])
}

/// `$199.00`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips_and_month_addition_clamps() {
        for days in [-1000, 0, 10_957, 19_000, 20_000, 60_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        // 2023-11-14 22:13:20 UTC
        assert_eq!(civil_from_days(1_700_000_000 / DAY), (2023, 11, 14));
        assert_eq!(add_months(1_700_000_000, 1), 1_700_000_000 + 30 * DAY);
        let jan31 = days_from_civil(2024, 1, 31) * DAY + 3600;
        assert_eq!(
            add_months(jan31, 1),
            days_from_civil(2024, 2, 29) * DAY + 3600
        );
        assert_eq!(
            add_months(jan31, 2),
            days_from_civil(2024, 3, 31) * DAY + 3600
        );
        assert_eq!(
            add_months(jan31, 13),
            days_from_civil(2025, 2, 28) * DAY + 3600
        );
        assert_eq!(date_text(1_700_000_000), "14 Nov 2023");
    }

    #[test]
    fn proration_is_each_line_rounded_to_the_cent() {
        // Half a period left: 4900 -> 19900.
        assert_eq!(prorate(4900, 19900, 0, 100, 50), (-2450, 9950));
        // A third left, rounding half away from zero per line.
        assert_eq!(share(100, 0, 3, 2), 33);
        assert_eq!(share(5, 0, 2, 1), 3);
        assert_eq!(share(-5, 0, 2, 1), -3);
        // Outside the period: clamped.
        assert_eq!(share(4900, 0, 100, -5), 4900);
        assert_eq!(share(4900, 0, 100, 200), 0);
        // 30-day month, 10 days left, 3 seats 19900 -> 79900.
        let (s, e) = (0, 30 * DAY);
        let (credit, charge) = prorate(3 * 19900, 3 * 79900, s, e, 20 * DAY);
        assert_eq!((credit, charge), (-19900, 79900));
    }

    #[test]
    fn dunning_retries_on_days_3_8_15_then_stops() {
        let t0 = 1_000_000;
        let t1 = next_attempt(1, t0).unwrap_or_default();
        let t2 = next_attempt(2, t1).unwrap_or_default();
        let t3 = next_attempt(3, t2).unwrap_or_default();
        assert_eq!(
            [(t1 - t0) / DAY, (t2 - t0) / DAY, (t3 - t0) / DAY],
            [3, 8, 15]
        );
        assert_eq!(next_attempt(4, t3), None);
        assert_eq!(next_attempt(0, t0), None);
        assert_eq!(money(19900), "$199.00");
        assert_eq!(money(-5), "-$0.05");
    }
}
