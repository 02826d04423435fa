//! Session tokens and the session cookie, in Better Auth's shapes so its clients work
//! unchanged: cookie `better-auth.session_token`, value `<token>.<signature>` where the
//! signature is base64 HMAC-SHA256 of the token under the auth secret, URL-encoded.
//! A bearer token may be the raw token or the signed value.

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "better-auth.session_token";
/// Sessions last 7 days, as Better Auth's default.
pub const TTL_SECONDS: i64 = 7 * 24 * 3600;

/// A new session token from 32 random bytes (256 bits).
pub fn new_token(random: [u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// What the database keeps instead of the token: a leaked table grants no sessions.
pub fn token_hash(token: &str) -> String {
    nno_core::encoding::hex(&Sha256::digest(token.as_bytes()))
}

fn signature(secret: &[u8], token: &str) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(token.as_bytes());
    STANDARD.encode(m.finalize().into_bytes())
}

pub fn sign(secret: &[u8], token: &str) -> String {
    format!("{token}.{}", signature(secret, token))
}

/// The token inside a signed value, if the signature verifies.
pub fn verify_signed<'a>(secret: &[u8], signed: &'a str) -> Option<&'a str> {
    let (token, sig) = signed.rsplit_once('.')?;
    let expected = signature(secret, token);
    crate::ct::bytes_equal(sig.as_bytes(), expected.as_bytes()).then_some(token)
}

/// The token a bearer header carries: a signed value is verified, a raw token is taken
/// as it is (it is only good if its hash is in the session table).
pub fn token_from_bearer<'a>(secret: &[u8], bearer: &'a str) -> Option<&'a str> {
    if bearer.contains('.') {
        verify_signed(secret, bearer)
    } else {
        Some(bearer).filter(|t| !t.is_empty() && t.len() <= 256)
    }
}

fn decode_component(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            // Bytes, not a str slice: the two bytes after `%` may be half a character.
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(nno_core::encoding::from_hex) {
                out.push(v[0]);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The session token from a `Cookie` header, if its signature verifies.
pub fn token_from_cookie(secret: &[u8], cookie_header: &str) -> Option<String> {
    signed_cookie(secret, cookie_header, COOKIE_NAME)
}

/// The value of the signed cookie `name` (Better Auth's `value.signature` form), if
/// its signature verifies.
pub fn signed_cookie(secret: &[u8], cookie_header: &str, name: &str) -> Option<String> {
    cookie_header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        // Better Auth names it `__Secure-…` when it sets it over HTTPS; accept both.
        .filter(|(k, _)| *k == name || k.strip_prefix("__Secure-") == Some(name))
        .find_map(|(_, v)| verify_signed(secret, &decode_component(v)).map(str::to_string))
}

/// Cookie attributes per environment.
pub struct CookieOptions<'a> {
    pub secure: bool,
    pub domain: Option<&'a str>,
}

/// `Set-Cookie` for a new session (max-age in seconds).
pub fn set_cookie(secret: &[u8], token: &str, max_age: i64, opts: &CookieOptions) -> String {
    set_signed_cookie(COOKIE_NAME, secret, token, max_age, opts)
}

/// `Set-Cookie` for the signed cookie `name`.
pub fn set_signed_cookie(
    name: &str,
    secret: &[u8],
    value: &str,
    max_age: i64,
    opts: &CookieOptions,
) -> String {
    let mut c = format!(
        "{name}={}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax",
        encode_component(&sign(secret, value))
    );
    if opts.secure {
        c.push_str("; Secure");
    }
    if let Some(d) = opts.domain {
        c.push_str("; Domain=");
        c.push_str(d);
    }
    c
}

/// `Set-Cookie` that deletes the session cookie.
pub fn clear_cookie(opts: &CookieOptions) -> String {
    clear_named(COOKIE_NAME, opts)
}

/// `Set-Cookie` that deletes the cookie `name`.
pub fn clear_named(name: &str, opts: &CookieOptions) -> String {
    let mut c = format!("{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
    if opts.secure {
        c.push_str("; Secure");
    }
    if let Some(d) = opts.domain {
        c.push_str("; Domain=");
        c.push_str(d);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_percent_escapes_do_not_panic() {
        for v in ["%a\u{e9}x", "%\u{e9}", "%", "%z", "abc%4", "%\u{1f600}"] {
            let header = format!("{COOKIE_NAME}={v}");
            assert_eq!(token_from_cookie(b"secret", &header), None, "{v}");
        }
        assert_eq!(decode_component("a%20b%2"), "a b%2");
    }

    const SECRET: &[u8] = b"better-auth-secret-123456789012345";

    #[test]
    fn tokens_are_256_bit_url_safe() {
        let t = new_token([0xfb; 32]);
        assert_eq!(t.len(), 43);
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), token_hash(&new_token([0xfa; 32])));
    }

    #[test]
    fn signed_values_verify_and_tampering_fails() {
        let signed = sign(SECRET, "tok");
        assert_eq!(verify_signed(SECRET, &signed), Some("tok"));
        assert_eq!(verify_signed(b"other", &signed), None);
        assert_eq!(verify_signed(SECRET, &signed.replace("tok", "tol")), None);
        assert_eq!(verify_signed(SECRET, "tok"), None);
    }

    #[test]
    fn cookie_round_trip_through_url_encoding() {
        let set = set_cookie(
            SECRET,
            "abc",
            60,
            &CookieOptions {
                secure: true,
                domain: Some(".k3m9p2xw7q.nno.app"),
            },
        );
        assert!(set.starts_with("better-auth.session_token=abc."));
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("; Secure")
        );
        assert!(set.ends_with("Domain=.k3m9p2xw7q.nno.app"));
        let value = set.split(';').next().unwrap();
        let header = format!("theme=dark; {value}; other=1");
        assert_eq!(token_from_cookie(SECRET, &header).as_deref(), Some("abc"));
        assert_eq!(token_from_cookie(b"wrong", &header), None);
        assert_eq!(
            token_from_cookie(SECRET, "better-auth.session_token=abc.forged"),
            None
        );
        let local = set_cookie(
            SECRET,
            "abc",
            60,
            &CookieOptions {
                secure: false,
                domain: None,
            },
        );
        assert!(!local.contains("Secure") && !local.contains("Domain"));
        assert!(clear_cookie(&CookieOptions {
            secure: false,
            domain: None
        })
        .contains("Max-Age=0"));
    }

    #[test]
    fn bearer_accepts_raw_or_signed_tokens() {
        assert_eq!(token_from_bearer(SECRET, "raw-token"), Some("raw-token"));
        let signed = sign(SECRET, "raw-token");
        assert_eq!(token_from_bearer(SECRET, &signed), Some("raw-token"));
        assert_eq!(token_from_bearer(SECRET, "raw-token.bad"), None);
        assert_eq!(token_from_bearer(SECRET, ""), None);
    }
}
