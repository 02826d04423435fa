//! URL checks for redirects: where a `callbackURL` may send a browser.

/// `scheme://host[:port]` of an http(s) URL; `None` for anything else (including URLs
/// with credentials, which are a classic way to disguise a host).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && !host.contains('@')).then(|| format!("{scheme}://{host}"))
}

/// A safe redirect target: a relative path (not `//host`, which browsers treat as
/// another host), or an absolute URL on one of `trusted` origins.
pub fn is_safe_target(url: &str, trusted: &[String]) -> bool {
    if url.is_empty() || url.len() > 2048 || url.chars().any(|c| c.is_control() || c == '\\') {
        return false;
    }
    if url.starts_with('/') {
        return !url.starts_with("//");
    }
    origin_of(url).is_some_and(|o| trusted.contains(&o))
}

/// Appends `key=value` (value percent-encoded) to a URL's query.
pub fn with_query(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={}", encode(value))
}

/// Percent-encoding for a query value (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `application/x-www-form-urlencoded` (also a query string): each key and value
/// percent-encoded, joined with `&`, in order.
pub fn form<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k.as_ref()), encode(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&")
}

/// `key=value` pairs of a query string, percent-decoded (`+` is a space); at most
/// `limit` of them. Pairs that do not decode to UTF-8 are skipped.
pub fn query_pairs(query: &str, limit: usize) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .take(limit)
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

/// Percent-decoding of a query component.
pub fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://a.b:8443/x?y").as_deref(),
            Some("https://a.b:8443")
        );
        assert_eq!(origin_of("http://x").as_deref(), Some("http://x"));
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://user@evil.example"), None);
        assert_eq!(origin_of("/path"), None);
    }

    #[test]
    fn safe_targets() {
        let trusted = vec!["http://localhost:5174".to_string()];
        assert!(is_safe_target("/dashboard?x=1", &trusted));
        assert!(is_safe_target("http://localhost:5174/x", &trusted));
        assert!(!is_safe_target("//evil.example/x", &trusted));
        assert!(!is_safe_target("https://evil.example/", &trusted));
        assert!(!is_safe_target(
            "http://localhost:5174.evil.example/",
            &trusted
        ));
        assert!(!is_safe_target("/\\evil.example", &trusted));
        assert!(!is_safe_target("", &trusted));
        assert!(!is_safe_target("javascript:alert(1)", &trusted));
    }

    #[test]
    fn query_pairs_decode() {
        let q = query_pairs("a=1&b=x%20y+z&c&=e&bad=%zz&d=%2Fp", 10);
        assert_eq!(
            q,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("c".into(), "".into()),
                ("".into(), "e".into()),
                ("d".into(), "/p".into()),
            ]
        );
        assert_eq!(query_pairs("a=1&b=2&c=3", 2).len(), 2);
        assert_eq!(decode("%e2%82%ac").as_deref(), Some("€"));
        assert_eq!(decode("%ff"), None);
        assert_eq!(decode("%4"), None);
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(with_query("/a", "token", "x y&z"), "/a?token=x%20y%26z");
        assert_eq!(with_query("/a?b=1", "c", "/d"), "/a?b=1&c=%2Fd");
    }

    #[test]
    fn forms_encode_keys_and_values_in_order() {
        assert_eq!(
            form(&[("items[0][price]", "p_1"), ("email", "a@b.co")]),
            "items%5B0%5D%5Bprice%5D=p_1&email=a%40b.co"
        );
        assert_eq!(form::<&str, &str>(&[]), "");
    }
}
