//! A short-lived, per-isolate memory of sessions IAM has vouched for, so a burst of
//! requests with one session costs one IAM lookup instead of one each.
//!
//! Trade-off, on purpose: a session ended or changed elsewhere (signed out from another
//! isolate, removed from a tenant by someone else) is still honoured here for at most
//! `TTL_MS`. Anything the session itself changes through this gateway (a write to
//! `/api/v1/iam/auth/*`: sign-out, set-active, password change …) drops its entry
//! before the write is forwarded and again once IAM has answered (a lookup made by a
//! parallel request while the write was under way cannot outlive it). API keys are
//! never cached: their revocation is immediate. Only the exact credential IAM accepted
//! hits an entry (see `key`).

use crate::auth::Identity;
use std::cell::RefCell;
use std::collections::HashMap;

pub const TTL_MS: f64 = 5_000.0;
const MAX_ENTRIES: usize = 10_000;

/// Entries grouped by session token; each remembers the exact credential IAM accepted.
type Entries = HashMap<String, Vec<(String, f64, Identity)>>;

thread_local! {
    static CACHE: RefCell<Entries> = RefCell::new(HashMap::new());
}

/// What the cache knows a request by: the session `token` (which groups the spellings
/// of one session, so that signing out with one forgets them all) and the exact
/// `credential` the request presented, which alone can hit an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub token: String,
    pub credential: String,
}

/// The cache key of the session a request names: the bearer token if `authorization`
/// holds one (a bearer wins, as everywhere), else the session cookie.
///
/// The gateway cannot check a cookie's signature (`token.signature`, HMAC under IAM's
/// secret), so it never lets the token alone stand for the session: an entry is made
/// only after IAM accepted a request, under the exact credential that request carried
/// (`b:<bearer>` or `c:<cookie value>`), and only that credential hits it. A real token
/// with a forged signature therefore misses and goes to IAM, which refuses it.
pub fn key(authorization: Option<&str>, cookie: Option<&str>) -> Option<Key> {
    if let Some(b) = authorization.and_then(nno_core::access::bearer) {
        return make(b, "b:");
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
    make(first, "c:")
}

/// The key for `token[.signature]`. Session tokens are base64url; anything else (an
/// encoded or odd token) is simply not cached.
fn make(value: &str, kind: &str) -> Option<Key> {
    let value = value.trim();
    let token = value.split('.').next().unwrap_or("");
    let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    (!token.is_empty() && token.len() <= 256 && token.chars().all(base64url)).then(|| Key {
        token: token.to_string(),
        credential: format!("{kind}{value}"),
    })
}

pub fn get(key: &Key, now_ms: f64) -> Option<Identity> {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let entries = c.get_mut(&key.token)?;
        entries.retain(|(_, expires, _)| *expires > now_ms);
        let hit = entries
            .iter()
            .find(|(credential, _, _)| *credential == key.credential)
            .map(|(_, _, identity)| identity.clone());
        if entries.is_empty() {
            c.remove(&key.token);
        }
        hit
    })
}

/// Remembers what IAM answered for `key`'s credential.
pub fn put(key: Key, identity: Identity, now_ms: f64) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_ENTRIES {
            c.retain(|_, entries| {
                entries.retain(|(_, expires, _)| *expires > now_ms);
                !entries.is_empty()
            });
            if c.len() >= MAX_ENTRIES {
                c.clear();
            }
        }
        let entries = c.entry(key.token).or_default();
        entries
            .retain(|(credential, expires, _)| *expires > now_ms && *credential != key.credential);
        // A handful of spellings per session at most (bearer, cookie, signed bearer).
        if entries.len() >= 4 {
            entries.clear();
        }
        entries.push((key.credential, now_ms + TTL_MS, identity));
    })
}

/// Drops every entry of the session `key` names, whatever credential made it.
pub fn forget(key: &Key) {
    CACHE.with(|c| {
        c.borrow_mut().remove(&key.token);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> Identity {
        Identity::User {
            user_id: id.into(),
            json: format!("{{\"userId\":\"{id}\"}}"),
        }
    }

    #[test]
    fn one_session_is_one_token_however_it_is_sent() {
        let token = |a: Option<&str>, c: Option<&str>| key(a, c).map(|k| k.token);
        let t = Some("tok123".to_string());
        assert_eq!(token(Some("Bearer tok123"), None), t);
        assert_eq!(token(Some("bearer tok123.c2ln"), None), t);
        assert_eq!(
            token(None, Some("a=1; better-auth.session_token=tok123.c2ln%3D")),
            t
        );
        assert_eq!(
            token(None, Some("__Secure-better-auth.session_token=tok123.x")),
            t
        );
        assert_ne!(token(Some("Bearer other"), None), t);
        // ...but each spelling is its own credential.
        let cookie = key(None, Some("better-auth.session_token=tok123.c2ln%3D")).unwrap();
        assert_eq!(cookie.credential, "c:tok123.c2ln%3D");
        assert_eq!(
            key(Some("Bearer tok123"), None).unwrap().credential,
            "b:tok123"
        );
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
        // Not a base64url token.
        assert_eq!(key(None, Some("better-auth.session_token=t%6Fk.sig")), None);
    }

    #[test]
    fn a_forged_signature_misses_the_entry_of_the_real_one() {
        let cookie = |v: &str| format!("better-auth.session_token={v}");
        let good = key(None, Some(&cookie("tokforge.goodsig"))).unwrap();
        put(good.clone(), user("u1"), 1_000.0);
        assert_eq!(get(&good, 1_001.0), Some(user("u1")));
        for forged in ["tokforge.badsig", "tokforge", "tokforge.goodsig2"] {
            let bad = key(None, Some(&cookie(forged))).unwrap();
            assert_eq!(bad.token, good.token);
            assert_eq!(get(&bad, 1_001.0), None, "{forged} hit the cached session");
        }
        // Nor does the bare token as a bearer (IAM would judge it itself).
        let bearer = key(Some("Bearer tokforge"), None).unwrap();
        assert_eq!(get(&bearer, 1_001.0), None);
        // The entry itself expires.
        assert_eq!(get(&good, 1_000.0 + TTL_MS), None);
    }

    #[test]
    fn forgetting_a_session_drops_every_spelling() {
        let cookie = key(None, Some("better-auth.session_token=tokboth.sig")).unwrap();
        let bearer = key(Some("Bearer tokboth"), None).unwrap();
        put(cookie.clone(), user("u2"), 0.0);
        put(bearer.clone(), user("u2"), 0.0);
        assert!(get(&cookie, 1.0).is_some() && get(&bearer, 1.0).is_some());
        forget(&bearer);
        assert_eq!(get(&cookie, 1.0), None);
        assert_eq!(get(&bearer, 1.0), None);
    }
}
