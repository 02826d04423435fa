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
    fn query_values_are_encoded() {
        assert_eq!(with_query("/a", "token", "x y&z"), "/a?token=x%20y%26z");
        assert_eq!(with_query("/a?b=1", "c", "/d"), "/a?b=1&c=%2Fd");
    }
}
