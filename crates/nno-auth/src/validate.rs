//! Input rules for identity fields.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A practical e-mail check, on an address as `normalize_email` leaves it: one `@`, a
/// non-empty local part, a dotted domain of ASCII letters, digits and hyphens, no
/// spaces, control or invisible characters, at most 254 characters. Deliverability is
/// proven by the verification e-mail, not by a pattern.
///
/// Invisible characters (format characters such as zero-width spaces and joiners,
/// bidirectional controls, the byte-order mark, and the other default-ignorable code
/// points) would make `admin\u{200b}@nno.local` a second account that looks exactly
/// like `admin@nno.local`, so they are refused; so is a combining mark that sits on an
/// ASCII character or starts the address (after NFKC, every accented Latin letter that
/// has a composed form has taken it, so such a mark is only an overlay trick).
pub fn email(s: &str) -> bool {
    if s.len() > 254
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || invisible(c))
    {
        return false;
    }
    let mut previous: Option<char> = None;
    for c in s.chars() {
        if is_combining_mark(c) && previous.is_none_or(|p| p.is_ascii()) {
            return false;
        }
        previous = Some(c);
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

/// Characters that show nothing: Unicode's format characters (general category Cf)
/// and the rest of its default-ignorable code points, plus the blank braille pattern.
fn invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x06DD | 0x070F | 0x08E2 | 0x115F..=0x1160
        | 0x0600..=0x0605 | 0x0890..=0x0891 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x2800 | 0x3164
        | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFFB | 0x110BD | 0x110CD
        | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF)
}

/// The one form an address is stored and matched in: compatibility forms folded
/// (NFKC, so full-width `ａｄｍｉｎ＠ｎｎｏ．ｌｏｃａｌ` is `admin@nno.local`), trimmed, then
/// lower-cased (as Better Auth does). `email` then refuses what folding cannot make
/// plain (invisible characters, a domain that is not ASCII).
pub fn normalize_email(s: &str) -> String {
    s.nfkc().collect::<String>().trim().to_lowercase()
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
    fn invisible_characters_make_no_lookalike_addresses() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{034F}',
            '\u{180E}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0041}',
            '\u{2800}',
        ] {
            for at in [0, 3, 5] {
                let mut s = String::from("admin@nno.local");
                s.insert(at, c);
                let n = normalize_email(&s);
                assert!(!email(&n), "U+{:04X} at {at}: {n:?}", c as u32);
            }
        }
        // A combining mark laid over an ASCII letter, or opening the address.
        assert!(!email(&normalize_email("admi\u{338}n@nno.local")));
        assert!(!email(&normalize_email("\u{301}admin@nno.local")));
        // ...while accents that compose are ordinary letters.
        assert_eq!(
            normalize_email("jose\u{301}@example.com"),
            "josé@example.com"
        );
        assert!(email(&normalize_email("jose\u{301}@example.com")));
    }

    #[test]
    fn compatibility_forms_fold_to_one_address() {
        let full_width: String = "Admin@NNO.local"
            .chars()
            .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
            .collect();
        assert_eq!(normalize_email(&full_width), "admin@nno.local");
        assert!(email(&normalize_email(&full_width)));
        assert_eq!(
            normalize_email("ｘ@ｅｘａｍｐｌｅ．ｃｏｍ"),
            "x@example.com"
        );
        assert_eq!(
            normalize_email("\u{3000}ada@example.com\u{3000}"),
            "ada@example.com"
        );
        assert_eq!(normalize_email("ÄDA@example.com"), "äda@example.com");
        // A domain that stays non-ASCII after folding is refused.
        assert!(!email(&normalize_email("ada@exämple.com")));
        assert!(!email(&normalize_email("ada@пример.com")));
    }

    #[test]
    fn names() {
        assert!(name("Ada Lovelace"));
        assert!(!name("   "));
        assert!(!name(&"x".repeat(101)));
        assert!(!name("a\u{0}b"));
    }
}
