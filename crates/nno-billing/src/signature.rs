//! Stripe's webhook signatures: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`,
//! where `v1` is HMAC-SHA256 of `"{t}.{raw body}"` keyed by the endpoint's whole
//! `whsec_…` secret. Several `v1` values appear while Stripe rolls a secret; any one
//! matching any of our secrets (the current one and, during our own rotation, the
//! previous one) is enough. Comparisons are constant-time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signed time may be from ours, either way (Stripe's SDKs use 300 s
/// into the past; a time from the future is as suspect as one from long ago).
pub const TOLERANCE_S: i64 = 300;

/// The longest header read: Stripe sends a few entries of ~70 bytes.
pub const MAX_HEADER_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No usable `t=` or no `v1=` in the header.
    Malformed,
    /// Signed too long ago (or too far ahead): `age` seconds, negative for the future.
    Stale { age: i64 },
    /// No `v1` matches any of our secrets.
    NoMatch,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Malformed => "the Stripe-Signature header is not t=…,v1=…".into(),
            Refusal::Stale { age } => {
                format!("the signature's timestamp is {age} s from now; the tolerance is {TOLERANCE_S} s")
            }
            Refusal::NoMatch => "no signature matches the payload".into(),
        }
    }
}

/// The lowercase hex `v1` value for `body` signed at `t`.
pub fn v1(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    nno_core::encoding::hex(&mac.finalize().into_bytes())
}

/// The header Stripe would send (tests, the bench).
pub fn header(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", v1(secret, t, body))
}

/// Checks `header` against `body` as received, at `now` (unix s). Returns the signed
/// time.
pub fn verify(header: &str, body: &[u8], secrets: &[&str], now: i64) -> Result<i64, Refusal> {
    if header.len() > MAX_HEADER_LEN {
        return Err(Refusal::Malformed);
    }
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) if !v.is_empty() => signatures.push(v),
            _ => {}
        }
    }
    let Some(t) = t else {
        return Err(Refusal::Malformed);
    };
    if signatures.is_empty() {
        return Err(Refusal::Malformed);
    }
    let age = now.saturating_sub(t);
    if age.abs() > TOLERANCE_S {
        return Err(Refusal::Stale { age });
    }
    let mut matched = false;
    // Every pair is compared (no early exit), so timing says nothing about which.
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let expected = v1(secret, t, body);
        for given in &signatures {
            matched |= nno_auth::ct::secrets_equal(given.as_bytes(), expected.as_bytes());
        }
    }
    if matched {
        Ok(t)
    } else {
        Err(Refusal::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;

    #[test]
    fn a_known_signature() {
        // Computed independently: printf '%s' '1700000000.{body}' |
        // openssl dgst -sha256 -hmac whsec_test_secret
        assert_eq!(
            v1(SECRET, 1_700_000_000, BODY),
            "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd"
        );
    }

    #[test]
    fn what_we_sign_verifies() {
        let h = header(SECRET, 1_700_000_000, BODY);
        assert_eq!(
            verify(&h, BODY, &[SECRET], 1_700_000_100),
            Ok(1_700_000_000)
        );
    }

    #[test]
    fn tampering_and_wrong_secrets_are_refused() {
        let h = header(SECRET, 1_700_000_000, BODY);
        let tampered = br#"{"id":"evt_2","object":"event"}"#;
        assert_eq!(
            verify(&h, tampered, &[SECRET], 1_700_000_000),
            Err(Refusal::NoMatch)
        );
        assert_eq!(
            verify(&h, BODY, &["whsec_other"], 1_700_000_000),
            Err(Refusal::NoMatch)
        );
        assert_eq!(
            verify(&h, BODY, &[""], 1_700_000_000),
            Err(Refusal::NoMatch)
        );
    }

    #[test]
    fn stale_and_future_times_are_refused() {
        let h = header(SECRET, 1_700_000_000, BODY);
        assert_eq!(
            verify(&h, BODY, &[SECRET], 1_700_000_301),
            Err(Refusal::Stale { age: 301 })
        );
        assert_eq!(
            verify(&h, BODY, &[SECRET], 1_699_999_699),
            Err(Refusal::Stale { age: -301 })
        );
        assert!(verify(&h, BODY, &[SECRET], 1_700_000_300).is_ok());
    }

    #[test]
    fn any_v1_and_any_of_our_secrets_will_do() {
        let t = 1_700_000_000;
        let old = v1("whsec_old", t, BODY);
        let new = v1(SECRET, t, BODY);
        // Stripe rolling its secret: two v1 values, and a v0 that is ignored.
        let h = format!("t={t},v1={old},v1={new},v0=abc");
        assert!(verify(&h, BODY, &[SECRET], t).is_ok());
        // Our rotation: the header carries the old one, we hold both.
        let h = format!("t={t},v1={old}");
        assert!(verify(&h, BODY, &[SECRET, "whsec_old"], t).is_ok());
        assert_eq!(verify(&h, BODY, &[SECRET], t), Err(Refusal::NoMatch));
    }

    #[test]
    fn malformed_headers() {
        for h in ["", "t=1", "v1=abc", "t=x,v1=abc", "t=1,v1=", "garbage"] {
            assert_eq!(
                verify(h, BODY, &[SECRET], 1),
                Err(Refusal::Malformed),
                "{h}"
            );
        }
        let long = format!("t=1,{}", "v1=a,".repeat(1000));
        assert_eq!(verify(&long, BODY, &[SECRET], 1), Err(Refusal::Malformed));
    }
}
