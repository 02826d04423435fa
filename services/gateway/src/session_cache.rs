//! A short-lived, per-isolate memory of sessions IAM has vouched for, so a burst of
//! requests with one session costs one IAM lookup instead of one each.
//!
//! Trade-off, on purpose: a session ended or changed elsewhere (signed out from another
//! isolate, removed from a tenant by someone else) is still honoured here for at most
//! `TTL_MS`. Anything the session itself changes through this gateway (a write to
//! `/api/v1/iam/auth/*`: sign-out, set-active, password change …) drops its entry
//! before the write is forwarded and again once IAM has answered (a lookup made by a
//! parallel request while the write was under way cannot outlive it). API keys are
//! never cached: their revocation is immediate.

use crate::auth::Identity;
use std::cell::RefCell;
use std::collections::HashMap;

pub const TTL_MS: f64 = 5_000.0;
const MAX_ENTRIES: usize = 10_000;

thread_local! {
    static CACHE: RefCell<HashMap<String, (f64, Identity)>> = RefCell::new(HashMap::new());
}

/// The session a request names, as the cache key: the token part of the bearer token
/// if `authorization` holds one (a bearer wins, as everywhere), else of the session
/// cookie (before the signature), so the same session spelled as a cookie,
/// a `__Secure-` cookie or a bearer token is one entry, and signing out with one
/// spelling forgets them all. Knowing the token is all it takes to use it as a bearer
/// anyway, so a hit without the signature checked gives nobody more than they have.
pub fn key(authorization: Option<&str>, cookie: Option<&str>) -> Option<String> {
    if let Some(b) = authorization.and_then(nno_core::access::bearer) {
        return token_key(b);
    }
    let name = nno_auth::session::COOKIE_NAME;
    let mut found = cookie?.split(';').map(str::trim).filter_map(|c| {
        c.strip_prefix("__Secure-")
            .unwrap_or(c)
            .strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
    });
    let first = found.next()?;
    // Several session cookies (say, one planted from a sibling domain): IAM picks the
    // one whose signature verifies, which need not be the first, so such a request is
    // never answered from, or stored in, the cache.
    if found.next().is_some() {
        return None;
    }
    token_key(first)
}

/// `t:<token>` for `token.signature` or a bare token.
fn token_key(value: &str) -> Option<String> {
    let token = value.split('.').next().unwrap_or("").trim();
    (!token.is_empty()).then(|| format!("t:{token}"))
}

pub fn get(key: &str, now_ms: f64) -> Option<Identity> {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        match c.get(key) {
            Some((expires, identity)) if *expires > now_ms => Some(identity.clone()),
            Some(_) => {
                c.remove(key);
                None
            }
            None => None,
        }
    })
}

pub fn put(key: String, identity: Identity, now_ms: f64) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_ENTRIES {
            c.retain(|_, (expires, _)| *expires > now_ms);
            if c.len() >= MAX_ENTRIES {
                c.clear();
            }
        }
        c.insert(key, (now_ms + TTL_MS, identity));
    })
}

pub fn forget(key: &str) {
    CACHE.with(|c| {
        c.borrow_mut().remove(key);
    })
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn one_session_is_one_key_however_it_is_sent() {
        let k = Some("t:tok123".to_string());
        assert_eq!(key(Some("Bearer tok123"), None), k);
        assert_eq!(key(Some("bearer tok123.c2ln"), None), k);
        assert_eq!(
            key(None, Some("a=1; better-auth.session_token=tok123.c2ln%3D")),
            k
        );
        assert_eq!(
            key(None, Some("__Secure-better-auth.session_token=tok123.x")),
            k
        );
        assert_ne!(key(Some("Bearer other"), None), k);
    }

    #[test]
    fn ambiguous_or_empty_credentials_are_not_cached() {
        let two = "better-auth.session_token=a.x; better-auth.session_token=b.y";
        assert_eq!(key(None, Some(two)), None);
        assert_eq!(key(None, Some("better-auth.session_token=")), None);
        assert_eq!(key(None, Some("other=1")), None);
        assert_eq!(key(Some("Basic abc"), None), None);
        // A lookalike cookie name is not the session cookie.
        assert_eq!(key(None, Some("better-auth.session_token_x=tok")), None);
    }
}
