//! Input rules for identity fields.

/// A practical e-mail check: one `@`, a non-empty local part, a dotted domain of
/// letters, digits and hyphens, no spaces, at most 254 characters. Deliverability is
/// proven by the verification e-mail, not by a pattern.
pub fn email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// E-mails are matched case-insensitively: stored lower-case, trimmed.
pub fn normalize_email(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

/// Display names: 1 to 100 characters after trimming, no control characters.
pub fn name(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= 100 && !t.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["ada@example.com", "a.b+tag@sub.example.co", "x@y-z.io"] {
            assert!(email(ok), "{ok}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@-x.com",
            "ada@x..com",
            "a@b@c.com",
        ] {
            assert!(!email(bad), "{bad}");
        }
        assert!(!email(&format!("{}@example.com", "a".repeat(65))));
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn names() {
        assert!(name("Ada Lovelace"));
        assert!(!name("   "));
        assert!(!name(&"x".repeat(101)));
        assert!(!name("a\u{0}b"));
    }
}
