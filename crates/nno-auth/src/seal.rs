//! Sealing small secrets at rest (TOTP keys) with the server secret: a fresh 16-byte
//! nonce, a keystream from HMAC-SHA256(secret, purpose ‖ nonce ‖ block counter), XOR,
//! and an HMAC tag over nonce and ciphertext so tampering is detected. Stored as
//! `v1.<nonce hex>.<ciphertext hex>.<tag hex>`.

use hmac::{Hmac, Mac};
use nno_core::encoding::{from_hex, hex};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length.
    match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts any key length"),
    }
}

fn keystream(secret: &[u8], purpose: &str, nonce: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut counter = 0u32;
    while out.len() < len {
        let mut m = mac(secret);
        m.update(b"seal-stream:");
        m.update(purpose.as_bytes());
        m.update(nonce);
        m.update(&counter.to_be_bytes());
        out.extend_from_slice(&m.finalize().into_bytes());
        counter += 1;
    }
    out.truncate(len);
    out
}

fn tag(secret: &[u8], purpose: &str, nonce: &[u8], ct: &[u8]) -> [u8; 32] {
    let mut m = mac(secret);
    m.update(b"seal-tag:");
    m.update(purpose.as_bytes());
    m.update(nonce);
    m.update(ct);
    m.finalize().into_bytes().into()
}

pub fn seal(secret: &[u8], purpose: &str, nonce: [u8; 16], plain: &[u8]) -> String {
    let ct: Vec<u8> = plain
        .iter()
        .zip(keystream(secret, purpose, &nonce, plain.len()))
        .map(|(a, b)| a ^ b)
        .collect();
    let t = tag(secret, purpose, &nonce, &ct);
    format!("v1.{}.{}.{}", hex(&nonce), hex(&ct), hex(&t))
}

pub fn open(secret: &[u8], purpose: &str, sealed: &str) -> Option<Vec<u8>> {
    let mut parts = sealed.split('.');
    let (Some("v1"), Some(n), Some(c), Some(t), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let (nonce, ct, given) = (from_hex(n)?, from_hex(c)?, from_hex(t)?);
    if !crate::ct::bytes_equal(&tag(secret, purpose, &nonce, &ct), &given) {
        return None;
    }
    Some(
        ct.iter()
            .zip(keystream(secret, purpose, &nonce, ct.len()))
            .map(|(a, b)| a ^ b)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detects_tampering() {
        let s = seal(b"server-secret", "totp", [3; 16], b"12345678901234567890");
        assert_eq!(
            open(b"server-secret", "totp", &s).as_deref(),
            Some(&b"12345678901234567890"[..])
        );
        assert!(!s.contains(&hex(b"12345678901234567890")));
        assert_eq!(open(b"other-secret", "totp", &s), None);
        assert_eq!(open(b"server-secret", "other", &s), None);
        let mut tampered = s.clone().into_bytes();
        let i = tampered.len() - 70;
        tampered[i] = if tampered[i] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            open(
                b"server-secret",
                "totp",
                &String::from_utf8(tampered).unwrap()
            ),
            None
        );
        assert_eq!(open(b"server-secret", "totp", "v1.zz"), None);
    }

    #[test]
    fn different_nonces_give_different_ciphertexts() {
        let a = seal(b"k", "totp", [1; 16], b"same secret");
        let b = seal(b"k", "totp", [2; 16], b"same secret");
        assert_ne!(a.split('.').nth(2), b.split('.').nth(2));
    }
}
