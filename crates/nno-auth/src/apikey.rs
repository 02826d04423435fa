//! API keys: `nno_` followed by 32 base32 characters (160 random bits), shown once and
//! stored only as their SHA-256. The gateway recognises a key by its shape alone, so
//! malformed keys are refused without any lookup.

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "nno_";
const BODY_LEN: usize = 32;
/// How many characters of a key are kept in clear to tell keys apart in listings.
pub const START_LEN: usize = 10;

/// A new key from 20 random bytes.
pub fn new_key(random: [u8; 20]) -> String {
    format!(
        "{PREFIX}{}",
        nno_core::encoding::base32(&random).to_ascii_lowercase()
    )
}

/// Whether `s` has the shape of an NNO API key.
pub fn looks_like_key(s: &str) -> bool {
    s.strip_prefix(PREFIX).is_some_and(|body| {
        body.len() == BODY_LEN
            && body
                .bytes()
                .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c))
    })
}

/// What is stored and looked up: hex SHA-256 of the whole key.
pub fn hash(key: &str) -> String {
    nno_core::encoding::hex(&Sha256::digest(key.as_bytes()))
}

/// The clear prefix kept for listings (`nno_abcdef`).
pub fn start(key: &str) -> &str {
    key.get(..START_LEN).unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape() {
        let k = new_key([7; 20]);
        assert!(k.starts_with("nno_"));
        assert_eq!(k.len(), 4 + 32);
        assert!(looks_like_key(&k));
        assert_ne!(new_key([7; 20]), new_key([8; 20]));
        assert_eq!(start(&k).len(), START_LEN);
    }

    #[test]
    fn malformed_keys_are_recognised_without_lookup() {
        for bad in [
            "",
            "nno_",
            "nno_short",
            "xyz_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "nno_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "nno_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
            "nno_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(!looks_like_key(bad), "{bad}");
        }
    }

    #[test]
    fn hash_is_stable_and_distinct() {
        let a = new_key([1; 20]);
        let b = new_key([2; 20]);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a).len(), 64);
    }
}
