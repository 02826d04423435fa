//! W3C Trace Context (`traceparent`): keep the caller's trace id and start a new span
//! for each hop; start a new trace when the header is absent or malformed.

use crate::encoding::hex;

pub const HEADER: &str = "traceparent";
/// Trace Context Level 2 response header: the span that served the request.
pub const RESPONSE_HEADER: &str = "traceresponse";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: String,
    pub parent_id: String,
    pub flags: String,
}

impl TraceParent {
    /// Parses version-00 headers strictly; later versions are read by their first four
    /// fields, as the specification asks.
    pub fn parse(header: &str) -> Option<TraceParent> {
        let h = header.trim();
        let mut parts = h.split('-');
        let version = parts.next()?;
        let trace_id = parts.next()?;
        let parent_id = parts.next()?;
        let flags = parts.next()?;
        let extra = parts.next();
        let is_hex = |s: &str, n: usize| {
            s.len() == n && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        if !is_hex(version, 2) || version == "ff" || (version == "00" && extra.is_some()) {
            return None;
        }
        if !is_hex(trace_id, 32) || trace_id.bytes().all(|b| b == b'0') {
            return None;
        }
        if !is_hex(parent_id, 16) || parent_id.bytes().all(|b| b == b'0') {
            return None;
        }
        if !is_hex(flags, 2) {
            return None;
        }
        Some(TraceParent {
            trace_id: trace_id.to_string(),
            parent_id: parent_id.to_string(),
            flags: flags.to_string(),
        })
    }

    /// The header for the next hop: same trace, a new span id from `random`.
    pub fn child(&self, random: [u8; 8]) -> TraceParent {
        TraceParent {
            trace_id: self.trace_id.clone(),
            parent_id: span_id(random),
            flags: self.flags.clone(),
        }
    }

    /// A new sampled trace.
    pub fn new_root(random: [u8; 24]) -> TraceParent {
        let (t, s) = random.split_at(16);
        let mut trace = [0u8; 16];
        trace.copy_from_slice(t);
        if trace.iter().all(|b| *b == 0) {
            trace[15] = 1;
        }
        let mut span = [0u8; 8];
        span.copy_from_slice(s);
        TraceParent {
            trace_id: hex(&trace),
            parent_id: span_id(span),
            flags: "01".to_string(),
        }
    }

    /// Continues `incoming` if valid, else starts a new trace.
    pub fn continue_or_start(incoming: Option<&str>, random: [u8; 24]) -> TraceParent {
        match incoming.and_then(TraceParent::parse) {
            Some(parent) => {
                let mut span = [0u8; 8];
                span.copy_from_slice(&random[16..]);
                parent.child(span)
            }
            None => TraceParent::new_root(random),
        }
    }

    pub fn header_value(&self) -> String {
        format!("00-{}-{}-{}", self.trace_id, self.parent_id, self.flags)
    }
}

fn span_id(mut random: [u8; 8]) -> String {
    if random.iter().all(|b| *b == 0) {
        random[7] = 1;
    }
    hex(&random)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_the_spec_example() {
        let t = TraceParent::parse(VALID).unwrap();
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.parent_id, "00f067aa0ba902b7");
        assert_eq!(t.header_value(), VALID);
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad}");
        }
        // A future version may carry more fields.
        assert!(TraceParent::parse(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"
        )
        .is_some());
    }

    #[test]
    fn continuing_keeps_the_trace_and_changes_the_span() {
        let next = TraceParent::continue_or_start(Some(VALID), [7; 24]);
        assert_eq!(next.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(next.parent_id, "0707070707070707");
        assert_eq!(next.flags, "01");
    }

    #[test]
    fn starts_a_trace_when_absent_or_invalid() {
        let t = TraceParent::continue_or_start(Some("garbage"), [0; 24]);
        assert!(TraceParent::parse(&t.header_value()).is_some());
        let t = TraceParent::continue_or_start(None, [9; 24]);
        assert_eq!(t.trace_id, "09".repeat(16));
    }
}
