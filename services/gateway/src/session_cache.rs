//! A short-lived, per-isolate memory of sessions IAM has vouched for, so a burst of
//! requests with one session costs one IAM lookup instead of one each.
//!
//! Trade-off, on purpose: a session ended or changed elsewhere (signed out from another
//! isolate, removed from a tenant by someone else) is still honoured here for at most
//! `TTL_MS`. Anything the session itself changes through this gateway (a write to
//! `/api/v1/iam/auth/*`: sign-out, set-active, password change …) drops its entry at
//! once. API keys are never cached: their revocation is immediate.

use crate::auth::Identity;
use std::cell::RefCell;
use std::collections::HashMap;

pub const TTL_MS: f64 = 5_000.0;
const MAX_ENTRIES: usize = 10_000;

thread_local! {
    static CACHE: RefCell<HashMap<String, (f64, Identity)>> = RefCell::new(HashMap::new());
}

/// The session credential a request carries, as the cache key: the bearer token, or
/// the session cookie's value (other cookies do not matter).
pub fn key(authorization: Option<&str>, cookie: Option<&str>) -> Option<String> {
    if let Some(a) = authorization {
        return Some(format!("b:{a}"));
    }
    let name = nno_auth::session::COOKIE_NAME;
    let mut found = cookie?.split(';').map(str::trim).filter(|c| {
        c.strip_prefix(name).is_some_and(|r| r.starts_with('='))
            || c.strip_prefix("__Secure-")
                .and_then(|r| r.strip_prefix(name))
                .is_some_and(|r| r.starts_with('='))
    });
    let first = found.next()?;
    // Several session cookies (say, one planted from a sibling domain): IAM picks the
    // one whose signature verifies, which need not be the first, so such a request is
    // never answered from, or stored in, the cache.
    if found.next().is_some() {
        return None;
    }
    Some(format!("c:{first}"))
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
