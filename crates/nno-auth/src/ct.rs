//! Constant-time comparison of secrets.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Compares two secrets without leaking, through timing, where they differ or how long
/// the expected one is: both sides are first reduced to HMAC-SHA256 digests under a
/// per-call key, and the fixed-length digests are compared in constant time.
pub fn secrets_equal(given: &[u8], expected: &[u8]) -> bool {
    // The key only has to be the same for both sides within this call.
    const KEY: &[u8] = b"nno-secret-comparison";
    let digest = |v: &[u8]| {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(KEY).expect("HMAC takes any key length");
        mac.update(v);
        mac.finalize().into_bytes()
    };
    digest(given).ct_eq(&digest(expected)).into()
}

/// Constant-time equality of two equal-length byte strings (for derived keys).
pub fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_unequal_secrets() {
        assert!(secrets_equal(b"local-dev-key", b"local-dev-key"));
        assert!(!secrets_equal(b"local-dev-key", b"local-dev-kez"));
        assert!(!secrets_equal(b"local-dev-key", b"local-dev-key-longer"));
        assert!(!secrets_equal(b"", b"x"));
        assert!(secrets_equal(b"", b""));
    }

    #[test]
    fn bytes_equal_requires_equal_length() {
        assert!(bytes_equal(&[1, 2, 3], &[1, 2, 3]));
        assert!(!bytes_equal(&[1, 2, 3], &[1, 2]));
        assert!(!bytes_equal(&[1, 2, 3], &[1, 2, 4]));
    }
}
