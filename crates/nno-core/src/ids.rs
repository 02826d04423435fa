//! Identifiers. Platform (and stack) ids are 10-character NanoIDs over `[a-z0-9]`:
//! about 51.7 bits of randomness, every character random (no timestamp prefix).

use std::fmt;
use std::str::FromStr;

/// NNO's own platform id: NNO runs on itself.
pub const NNO_PLATFORM_ID: &str = "k3m9p2xw7q";

pub const ID_LEN: usize = 10;
const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlatformId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid id {0:?}: expected 10 characters of a-z and 0-9")]
pub struct InvalidId(pub String);

impl PlatformId {
    /// Draws a fresh id. `fill` must fill its buffer with cryptographically random bytes.
    /// Bytes at or above 252 are rejected so every character is uniform over 36 symbols.
    pub fn generate(mut fill: impl FnMut(&mut [u8])) -> PlatformId {
        let mut out = String::with_capacity(ID_LEN);
        let mut buf = [0u8; 16];
        while out.len() < ID_LEN {
            fill(&mut buf);
            for b in buf {
                if b < 252 && out.len() < ID_LEN {
                    out.push(ALPHABET[(b % 36) as usize] as char);
                }
            }
        }
        PlatformId(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_valid(s: &str) -> bool {
        s.len() == ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }
}

impl FromStr for PlatformId {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if PlatformId::is_valid(s) {
            Ok(PlatformId(s.to_string()))
        } else {
            Err(InvalidId(s.to_string()))
        }
    }
}

impl fmt::Display for PlatformId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_shape() {
        assert!(NNO_PLATFORM_ID.parse::<PlatformId>().is_ok());
        assert!("K3m9p2xw7q".parse::<PlatformId>().is_err());
        assert!("k3m9p2xw7".parse::<PlatformId>().is_err());
        assert!("k3m9p2xw7q1".parse::<PlatformId>().is_err());
        assert!("k3m9p2-w7q".parse::<PlatformId>().is_err());
    }

    #[test]
    fn generated_ids_are_valid_and_skip_biased_bytes() {
        // The first buffer is all 255 (rejected); the second maps to "a", "b", ...
        let mut calls = 0u8;
        let id = PlatformId::generate(|buf| {
            calls += 1;
            for (i, b) in buf.iter_mut().enumerate() {
                *b = if calls == 1 { 255 } else { i as u8 };
            }
        });
        assert_eq!(id.as_str(), "abcdefghij");
        assert_eq!(calls, 2);
        assert!(PlatformId::is_valid(id.as_str()));
    }

    #[test]
    fn byte_to_symbol_mapping_wraps_at_36() {
        let id = PlatformId::generate(|buf| buf.fill(36 + 26));
        assert_eq!(id.as_str(), "0000000000");
    }
}
