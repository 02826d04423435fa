//! Time-based one-time passwords (RFC 6238, on HOTP RFC 4226), as authenticator apps
//! and Better Auth's two-factor plugin use them: 6 digits, 30-second steps, HMAC-SHA1 by
//! default.

use hmac::{Hmac, Mac};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn uri_name(self) -> &'static str {
        match self {
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Sha512 => "SHA512",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub algorithm: Algorithm,
    pub digits: u32,
    pub period: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            algorithm: Algorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

fn mac(alg: Algorithm, key: &[u8], msg: &[u8]) -> Vec<u8> {
    macro_rules! run {
        ($h:ty) => {{
            let mut m = <Hmac<$h> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }};
    }
    match alg {
        Algorithm::Sha1 => run!(sha1::Sha1),
        Algorithm::Sha256 => run!(sha2::Sha256),
        Algorithm::Sha512 => run!(sha2::Sha512),
    }
}

/// HOTP value for `counter` (RFC 4226 dynamic truncation), zero-padded to `digits`.
pub fn hotp(key: &[u8], counter: u64, params: Params) -> String {
    let h = mac(params.algorithm, key, &counter.to_be_bytes());
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    let modulus = 10u64.pow(params.digits);
    format!(
        "{:0width$}",
        u64::from(bin) % modulus,
        width = params.digits as usize
    )
}

/// The code for Unix time `unix_seconds`.
pub fn generate(key: &[u8], unix_seconds: u64, params: Params) -> String {
    hotp(key, unix_seconds / params.period, params)
}

/// Checks `code` against the current step and `window` steps either side (clock skew),
/// comparing in constant time. Returns the matching counter, so a caller can refuse a
/// code that was already used (replay).
pub fn verify(
    key: &[u8],
    code: &str,
    unix_seconds: u64,
    window: u64,
    params: Params,
) -> Option<u64> {
    let code = code.trim();
    if code.len() != params.digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = unix_seconds / params.period;
    let mut found = None;
    // Every candidate is computed and compared, match or not, so timing says nothing.
    for counter in now.saturating_sub(window)..=now + window {
        if crate::ct::bytes_equal(hotp(key, counter, params).as_bytes(), code.as_bytes()) {
            found = Some(counter);
        }
    }
    found
}

/// The `otpauth://` URI authenticator apps scan.
pub fn otpauth_uri(key: &[u8], issuer: &str, account: &str, params: Params) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
        enc(issuer),
        enc(account),
        nno_core::encoding::base32(key),
        enc(issuer),
        params.algorithm.uri_name(),
        params.digits,
        params.period
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: 8-digit codes for the three reference keys.
    #[test]
    fn rfc6238_test_vectors() {
        let sha1 = b"12345678901234567890".to_vec();
        let sha256 = b"12345678901234567890123456789012".to_vec();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".to_vec();
        let cases: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        let p = |algorithm| Params {
            algorithm,
            digits: 8,
            period: 30,
        };
        for (t, a, b, c) in cases {
            assert_eq!(generate(&sha1, t, p(Algorithm::Sha1)), a, "SHA1 at {t}");
            assert_eq!(
                generate(&sha256, t, p(Algorithm::Sha256)),
                b,
                "SHA256 at {t}"
            );
            assert_eq!(
                generate(&sha512, t, p(Algorithm::Sha512)),
                c,
                "SHA512 at {t}"
            );
        }
    }

    /// RFC 4226 Appendix D: 6-digit HOTP values for counters 0..9.
    #[test]
    fn rfc4226_hotp_vectors() {
        let key = b"12345678901234567890";
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in want.iter().enumerate() {
            assert_eq!(hotp(key, counter as u64, Params::default()), *code);
        }
    }

    #[test]
    fn verify_accepts_the_window_and_nothing_else() {
        let key = b"12345678901234567890";
        let p = Params::default();
        let t = 1_700_000_000;
        let now = generate(key, t, p);
        assert_eq!(verify(key, &now, t, 1, p), Some(t / 30));
        let prev = generate(key, t - 30, p);
        assert_eq!(verify(key, &prev, t, 1, p), Some(t / 30 - 1));
        let old = generate(key, t - 90, p);
        assert_eq!(verify(key, &old, t, 1, p), None);
        assert_eq!(verify(key, "12345", t, 1, p), None);
        assert_eq!(verify(key, "abcdef", t, 1, p), None);
    }

    #[test]
    fn uri_carries_base32_secret_and_parameters() {
        let uri = otpauth_uri(b"foobar", "NNO", "ada@example.com", Params::default());
        assert_eq!(
            uri,
            "otpauth://totp/NNO:ada@example.com?secret=MZXW6YTBOI&issuer=NNO&algorithm=SHA1&digits=6&period=30"
        );
        assert!(otpauth_uri(b"x", "My Co", "a b", Params::default())
            .starts_with("otpauth://totp/My%20Co:a%20b?"));
    }
}
