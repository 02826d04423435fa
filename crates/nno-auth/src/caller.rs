//! Proof that a request came from the gateway or another NNO service.
//!
//! The caller signs the identity it forwards (who the user is, how they authenticated,
//! their tenant and permissions) together with the request id, the target service, the
//! method, the path with its query string and a timestamp, with HMAC-SHA256 under the
//! shared `NNO_INTERNAL_API_KEY`. A service accepts the identity only if the signature
//! verifies and the timestamp is fresh, so identity headers forged by a client that
//! reached a service directly are refused, and a captured signature cannot be replayed
//! on another request, service, path or query.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const IDENTITY_HEADER: &str = "x-nno-identity";
pub const SIGNATURE_HEADER: &str = "x-nno-signature";
/// How old a signature may be, in milliseconds (clock skew between isolates is small;
/// a request is signed right before it is sent).
pub const MAX_AGE_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    #[error("missing caller signature")]
    Missing,
    #[error("malformed caller signature")]
    Malformed,
    #[error("caller signature has expired")]
    Expired,
    #[error("caller signature does not verify")]
    Invalid,
}

/// What one signature is bound to: one request, to one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound<'a> {
    pub request_id: &'a str,
    /// The service the request is for (`Service::name`): a signature for registry is
    /// not one for cli, though both serve `/api/v1/platforms/*`.
    pub service: &'a str,
    pub method: &'a str,
    /// Path and query string (`/a/b?x=1`), as the service receives them.
    pub target: &'a str,
}

fn message(identity_b64: &str, b: &Bound, ts_ms: i64) -> Vec<u8> {
    // Fields are joined with a byte that cannot occur in any of them (they are base64,
    // validated request ids, service names, HTTP methods and URL paths with their query
    // strings, all printable ASCII once the runtime has parsed the URL).
    let ts = ts_ms.to_string();
    [
        identity_b64,
        b.request_id,
        b.service,
        b.method,
        b.target,
        &ts,
    ]
    .join("\n")
    .into_bytes()
}

fn mac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// The two header values for a request: the identity JSON (base64url) and
/// `t=<ms>,s=<base64url signature>`.
pub fn sign(key: &[u8], identity_json: &str, bound: &Bound, now_ms: i64) -> (String, String) {
    let identity = B64.encode(identity_json);
    let sig = mac(key, &message(&identity, bound, now_ms));
    (identity, format!("t={now_ms},s={}", B64.encode(sig)))
}

/// Verifies the headers and returns the identity JSON they carry.
pub fn verify(
    key: &[u8],
    identity: Option<&str>,
    signature: Option<&str>,
    bound: &Bound,
    now_ms: i64,
) -> Result<String, CallerError> {
    let (Some(identity), Some(signature)) = (identity, signature) else {
        return Err(CallerError::Missing);
    };
    let (t, s) = signature.split_once(',').ok_or(CallerError::Malformed)?;
    let ts: i64 = t
        .strip_prefix("t=")
        .and_then(|v| v.parse().ok())
        .ok_or(CallerError::Malformed)?;
    let sig = s
        .strip_prefix("s=")
        .and_then(|v| B64.decode(v).ok())
        .ok_or(CallerError::Malformed)?;
    let expected = mac(key, &message(identity, bound, ts));
    if !crate::ct::bytes_equal(&sig, &expected) {
        return Err(CallerError::Invalid);
    }
    if (now_ms - ts).abs() > MAX_AGE_MS {
        return Err(CallerError::Expired);
    }
    let json = B64.decode(identity).map_err(|_| CallerError::Malformed)?;
    String::from_utf8(json).map_err(|_| CallerError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"internal-key";
    const ID: &str = r#"{"userId":"u1","platformRole":"user"}"#;
    const T0: i64 = 1_000_000;
    const BOUND: Bound = Bound {
        request_id: "req-1",
        service: "registry",
        method: "GET",
        target: "/api/v1/platforms?status=active",
    };

    fn signed() -> (String, String) {
        sign(KEY, ID, &BOUND, T0)
    }

    #[test]
    fn round_trip() {
        let (i, s) = signed();
        let got = verify(KEY, Some(&i), Some(&s), &BOUND, T0 + 500);
        assert_eq!(got.as_deref(), Ok(ID));
    }

    #[test]
    fn forged_or_replayed_identities_are_refused() {
        let (i, s) = signed();
        let v = |key: &[u8], i: &str, s: &str, b: Bound, now: i64| {
            verify(key, Some(i), Some(s), &b, now)
        };
        assert_eq!(
            v(b"wrong-key", &i, &s, BOUND, T0),
            Err(CallerError::Invalid)
        );
        let forged = B64.encode(r#"{"userId":"u1","platformRole":"platform-admin"}"#);
        assert_eq!(v(KEY, &forged, &s, BOUND, T0), Err(CallerError::Invalid));
        // Any other request: id, service, method, path or query.
        let others = [
            Bound {
                request_id: "req-2",
                ..BOUND
            },
            Bound {
                service: "cli",
                ..BOUND
            },
            Bound {
                method: "DELETE",
                ..BOUND
            },
            Bound {
                target: "/api/v1/platforms/x?status=active",
                ..BOUND
            },
            Bound {
                target: "/api/v1/platforms?status=suspended",
                ..BOUND
            },
            Bound {
                target: "/api/v1/platforms",
                ..BOUND
            },
        ];
        for other in others {
            assert_eq!(
                v(KEY, &i, &s, other, T0),
                Err(CallerError::Invalid),
                "{other:?}"
            );
        }
        assert_eq!(
            v(KEY, &i, &s, BOUND, T0 + MAX_AGE_MS + 1),
            Err(CallerError::Expired)
        );
        assert_eq!(
            verify(KEY, None, Some(&s), &BOUND, 0),
            Err(CallerError::Missing)
        );
        assert_eq!(
            v(KEY, &i, "garbage", BOUND, T0),
            Err(CallerError::Malformed)
        );
        assert_eq!(
            v(KEY, &i, "t=1,s=***", BOUND, T0),
            Err(CallerError::Malformed)
        );
    }
}
