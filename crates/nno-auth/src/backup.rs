//! Two-factor backup codes: ten single-use codes of 10 characters (`xxxxx-xxxxx`),
//! stored as SHA-256 hashes so a database leak does not reveal them.

use sha2::{Digest, Sha256};

pub const COUNT: usize = 10;
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Codes from 10 bytes of randomness each.
pub fn generate(random: &[[u8; 10]; COUNT]) -> Vec<String> {
    random
        .iter()
        .map(|bytes| {
            let chars: String = bytes
                .iter()
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// Normalises what a person typed: case, spaces and the dash do not matter.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub fn hash(code: &str) -> String {
    nno_core::encoding::hex(&Sha256::digest(normalize(code).as_bytes()))
}

/// Removes the code from `stored` (hashes) if present; true when it was.
pub fn redeem(stored: &mut Vec<String>, code: &str) -> bool {
    let h = hash(code);
    match stored
        .iter()
        .position(|s| crate::ct::bytes_equal(s.as_bytes(), h.as_bytes()))
    {
        Some(i) => {
            stored.remove(i);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_single_use_and_forgiving_about_format() {
        let mut random = [[0u8; 10]; COUNT];
        for (i, r) in random.iter_mut().enumerate() {
            r.iter_mut()
                .enumerate()
                .for_each(|(j, b)| *b = (i * 10 + j) as u8);
        }
        let codes = generate(&random);
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        assert_eq!(codes.len(), COUNT);
        assert!(codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        let mut stored: Vec<String> = codes.iter().map(|c| hash(c)).collect();
        assert!(redeem(
            &mut stored,
            &codes[3].to_uppercase().replace('-', " ")
        ));
        assert_eq!(stored.len(), COUNT - 1);
        assert!(!redeem(&mut stored, &codes[3]));
        assert!(!redeem(&mut stored, "nope-nope"));
    }
}
