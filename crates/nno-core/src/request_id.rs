//! Request ids: an incoming `x-request-id` is honoured when it is well formed, else a
//! fresh one is generated, so every log line and error can be tied to one request.

pub const HEADER: &str = "x-request-id";
pub const MAX_LEN: usize = 128;

/// Accepts 1 to 128 characters of `[A-Za-z0-9._:-]`: enough for UUIDs, ULIDs and
/// most tracing ids, and nothing that could break a log line or a header.
pub fn is_acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A new request id: a UUID v4 rendered from 16 random bytes.
pub fn generate(random: [u8; 16]) -> String {
    let mut b = random;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::encoding::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The request id to use: the incoming one if acceptable, otherwise a fresh one.
pub fn choose(incoming: Option<&str>, random: impl FnOnce() -> [u8; 16]) -> String {
    match incoming.map(str::trim) {
        Some(id) if is_acceptable(id) => id.to_string(),
        _ => generate(random()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_well_formed_ids() {
        assert_eq!(choose(Some("abc-123"), || [0; 16]), "abc-123");
        assert_eq!(choose(Some(" trace:1.2_3 "), || [0; 16]), "trace:1.2_3");
    }

    #[test]
    fn replaces_malformed_ids() {
        for bad in ["", "has space", "new\nline", "<script>", &"a".repeat(129)] {
            let id = choose(Some(bad), || [0xab; 16]);
            assert_ne!(id, bad);
            assert_eq!(id.len(), 36);
        }
    }

    #[test]
    fn generated_ids_are_uuid_v4() {
        let id = generate([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let id = generate([0; 16]);
        assert_eq!(id, "00000000-0000-4000-8000-000000000000");
        assert!(is_acceptable(&id));
    }
}
