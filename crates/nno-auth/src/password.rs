//! Password policy and stored-hash formats.
//!
//! NNO hashes with PBKDF2-HMAC-SHA256 (through WebCrypto inside Workers, which caps it
//! at 100,000 iterations, about 40 ms of CPU) and stores the algorithm and parameters
//! inside the hash: `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`, so the cost can
//! be raised later and old hashes upgraded on sign-in.
//!
//! Hashes imported from a Better Auth database (`<salt hex>:<key hex>`, scrypt N=16384,
//! r=16, p=1, 64 bytes, the salt's hex *string* as the salt) are verified too, and the
//! caller rehashes them into NNO's format after a successful sign-in.

use base64::{engine::general_purpose::STANDARD_NO_PAD as B64, Engine};
use unicode_normalization::UnicodeNormalization;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;
pub const PBKDF2_ITERATIONS: u32 = 100_000;
pub const SALT_LEN: usize = 16;
const PBKDF2_PREFIX: &str = "pbkdf2-sha256";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("password must be at least {MIN_LEN} characters")]
    TooShort,
    #[error("password must be at most {MAX_LEN} characters")]
    TooLong,
}

/// 8 to 128 characters, counted as the person typed them (Unicode scalar values of
/// the input as given), not after NFKC: compatibility folding can turn one code point
/// into many (U+FDFA is 18 characters after NFKC), so counting afterwards let a single
/// character pass. The minimum must also hold after NFKC, so that a decomposed accent
/// (`e` + U+0301, two code points, one letter) does not count double either. NFKC is
/// still what is hashed (`normalize`).
pub fn check_policy(password: &str) -> Result<(), PolicyError> {
    let typed = password.chars().count();
    if typed > MAX_LEN {
        return Err(PolicyError::TooLong);
    }
    if typed < MIN_LEN || normalize(password).chars().count() < MIN_LEN {
        return Err(PolicyError::TooShort);
    }
    Ok(())
}

/// NFKC, as Better Auth does, so the same password typed on different keyboards
/// (composed or decomposed accents) hashes the same.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredHash {
    Pbkdf2Sha256 {
        iterations: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    /// Better Auth's format, accepted for imported users only.
    BetterAuthScrypt { salt: String, key: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised password hash format")]
pub struct BadHash;

impl StoredHash {
    pub fn parse(s: &str) -> Result<StoredHash, BadHash> {
        if let Some(rest) = s
            .strip_prefix(PBKDF2_PREFIX)
            .and_then(|r| r.strip_prefix('$'))
        {
            let mut parts = rest.split('$');
            let (Some(iter), Some(salt), Some(hash), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(BadHash);
            };
            let iterations: u32 = iter.parse().map_err(|_| BadHash)?;
            let salt = B64.decode(salt).map_err(|_| BadHash)?;
            let hash = B64.decode(hash).map_err(|_| BadHash)?;
            if iterations == 0 || salt.is_empty() || hash.len() != 32 {
                return Err(BadHash);
            }
            return Ok(StoredHash::Pbkdf2Sha256 {
                iterations,
                salt,
                hash,
            });
        }
        let (salt, key) = s.split_once(':').ok_or(BadHash)?;
        let key = nno_core::encoding::from_hex(key).ok_or(BadHash)?;
        if salt.is_empty() || key.len() != 64 || nno_core::encoding::from_hex(salt).is_none() {
            return Err(BadHash);
        }
        Ok(StoredHash::BetterAuthScrypt {
            salt: salt.to_string(),
            key,
        })
    }

    pub fn encode(&self) -> String {
        match self {
            StoredHash::Pbkdf2Sha256 {
                iterations,
                salt,
                hash,
            } => {
                format!(
                    "{PBKDF2_PREFIX}${iterations}${}${}",
                    B64.encode(salt),
                    B64.encode(hash)
                )
            }
            StoredHash::BetterAuthScrypt { salt, key } => {
                format!("{salt}:{}", nno_core::encoding::hex(key))
            }
        }
    }

    /// Whether a successful sign-in should replace this hash with a current one.
    pub fn needs_rehash(&self) -> bool {
        match self {
            StoredHash::Pbkdf2Sha256 { iterations, .. } => *iterations < PBKDF2_ITERATIONS,
            StoredHash::BetterAuthScrypt { .. } => true,
        }
    }

    /// Verifies in pure Rust. Workers verify PBKDF2 through WebCrypto instead (several
    /// times faster than wasm); scrypt has no WebCrypto form and runs here.
    pub fn verify_native(&self, password: &str) -> bool {
        let pw = normalize(password);
        match self {
            StoredHash::Pbkdf2Sha256 {
                iterations,
                salt,
                hash,
            } => crate::ct::bytes_equal(&pbkdf2_sha256(pw.as_bytes(), salt, *iterations), hash),
            StoredHash::BetterAuthScrypt { salt, key } => better_auth_scrypt(pw.as_bytes(), salt)
                .is_some_and(|k| crate::ct::bytes_equal(&k, key)),
        }
    }
}

pub fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out);
    out
}

/// A new NNO hash from a derived key (computed by WebCrypto or `pbkdf2_sha256`).
pub fn pbkdf2_hash(salt: &[u8], hash: [u8; 32]) -> StoredHash {
    StoredHash::Pbkdf2Sha256 {
        iterations: PBKDF2_ITERATIONS,
        salt: salt.to_vec(),
        hash: hash.to_vec(),
    }
}

/// Better Auth's key derivation: scrypt(N=2^14, r=16, p=1, 64 bytes) with the salt's hex
/// string (not its bytes) as the salt.
pub fn better_auth_scrypt(password: &[u8], salt_hex: &str) -> Option<[u8; 64]> {
    let params = scrypt::Params::new(14, 16, 1, 64).ok()?;
    let mut out = [0u8; 64];
    scrypt::scrypt(password, salt_hex.as_bytes(), &params, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_counts_characters() {
        assert_eq!(check_policy("short"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("12345678"), Ok(()));
        assert_eq!(
            check_policy(&"é".repeat(8)),
            Ok(()),
            "8 characters, 16 bytes"
        );
        assert_eq!(check_policy(&"a".repeat(128)), Ok(()));
        assert_eq!(check_policy(&"a".repeat(129)), Err(PolicyError::TooLong));
    }

    #[test]
    fn policy_counts_what_was_typed_not_what_nfkc_made_of_it() {
        // One code point that NFKC expands to 18 characters.
        assert_eq!(normalize("\u{FDFA}").chars().count(), 18);
        assert_eq!(check_policy("\u{FDFA}"), Err(PolicyError::TooShort));
        assert_eq!(
            check_policy(&"\u{FB01}".repeat(4)),
            Err(PolicyError::TooShort),
            "ﬁ"
        );
        assert_eq!(check_policy(&"\u{FB01}".repeat(8)), Ok(()));
        // Decomposed accents are one letter each, however they were encoded.
        assert_eq!(
            check_policy(&"e\u{301}".repeat(4)),
            Err(PolicyError::TooShort)
        );
        assert_eq!(check_policy(&"e\u{301}".repeat(8)), Ok(()));
        // The maximum, too, is what was typed: 128 expanding characters are fine.
        assert_eq!(check_policy(&"\u{FDFA}".repeat(128)), Ok(()));
        assert_eq!(
            check_policy(&"\u{FDFA}".repeat(129)),
            Err(PolicyError::TooLong)
        );
    }

    /// RFC 7914 section 11 gives PBKDF2-HMAC-SHA256 vectors; this is its first, truncated
    /// to our 32-byte output.
    #[test]
    fn pbkdf2_matches_rfc7914_vector() {
        let out = pbkdf2_sha256(b"passwd", b"salt", 1);
        assert_eq!(
            nno_core::encoding::hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    /// RFC 7914 section 12, the scrypt vector with N=16, r=1, p=1: checks the library the
    /// Better Auth import relies on.
    #[test]
    fn scrypt_matches_rfc7914_vector() {
        let params = scrypt::Params::new(4, 1, 1, 64).unwrap();
        let mut out = [0u8; 64];
        scrypt::scrypt(b"", b"", &params, &mut out).unwrap();
        assert_eq!(
            nno_core::encoding::hex(&out),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
        );
    }

    #[test]
    fn pbkdf2_hash_round_trips_and_verifies() {
        let salt = [7u8; SALT_LEN];
        let stored = pbkdf2_hash(
            &salt,
            pbkdf2_sha256(b"correct horse", &salt, PBKDF2_ITERATIONS),
        );
        let text = stored.encode();
        assert!(text.starts_with("pbkdf2-sha256$100000$"));
        let parsed = StoredHash::parse(&text).unwrap();
        assert_eq!(parsed, stored);
        assert!(parsed.verify_native("correct horse"));
        assert!(!parsed.verify_native("correct horsE"));
        assert!(!parsed.needs_rehash());
    }

    #[test]
    fn weaker_pbkdf2_is_rehashed() {
        let salt = [1u8; 16];
        let weak = StoredHash::Pbkdf2Sha256 {
            iterations: 1000,
            salt: salt.to_vec(),
            hash: pbkdf2_sha256(b"pw", &salt, 1000).to_vec(),
        };
        assert!(weak.verify_native("pw"));
        assert!(weak.needs_rehash());
    }

    /// A Better Auth hash built the way Better Auth builds it (NFKC password, the hex
    /// salt string as salt) verifies, and marks itself for rehashing.
    #[test]
    fn better_auth_hashes_are_accepted() {
        let salt = "00112233445566778899aabbccddeeff";
        let key =
            better_auth_scrypt("pässwörd".nfkc().collect::<String>().as_bytes(), salt).unwrap();
        let text = format!("{salt}:{}", nno_core::encoding::hex(&key));
        let parsed = StoredHash::parse(&text).unwrap();
        assert!(matches!(parsed, StoredHash::BetterAuthScrypt { .. }));
        assert_eq!(parsed.encode(), text);
        // Decomposed input (a + combining diaeresis) normalises to the same password.
        assert!(parsed.verify_native("pa\u{308}sswo\u{308}rd"));
        assert!(!parsed.verify_native("password"));
        assert!(parsed.needs_rehash());
    }

    #[test]
    fn malformed_hashes_are_refused() {
        for bad in [
            "",
            "plain",
            "pbkdf2-sha256$0$AAAA$AAAA",
            "pbkdf2-sha256$x$AAAA$AAAA",
            "pbkdf2-sha256$1000$AAAA",
            "pbkdf2-sha256$1000$!!$AAAA",
            "zz:00",
            "0011:abcd",
        ] {
            assert_eq!(StoredHash::parse(bad), Err(BadHash), "{bad}");
        }
    }
}
