//! Webhook delivery: endpoints, the signature Stripe puts in `Stripe-Signature`
//! (`t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">`, keyed by the whole secret string),
//! a queue drained by a background thread with retries, a delivery log, and the test
//! controls that hold, reorder and duplicate deliveries.
//!
//! Delivery is an HTTP/1.1 POST over `std::net::TcpStream` (http:// URLs only; https
//! endpoints are logged as failures). A non-2xx answer, a connection failure or a
//! 5 s timeout is retried after 250 ms, 1 s and 4 s (4 attempts in all, short delays
//! for local runs; Stripe's test mode retries over hours).

use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

pub const RETRY_DELAYS_MS: [u64; 3] = [250, 1000, 4000];
const TIMEOUT: Duration = Duration::from_secs(5);

pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The `Stripe-Signature` header for `body` signed at `t`.
pub fn signature_header(secret: &str, t: i64, body: &str) -> String {
    let mac = hmac_sha256(secret.as_bytes(), format!("{t}.{body}").as_bytes());
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: String,
    pub url: String,
    pub secret: String,
    /// `["*"]` = everything.
    pub enabled_events: Vec<String>,
}

impl Endpoint {
    pub fn wants(&self, event_type: &str) -> bool {
        self.enabled_events
            .iter()
            .any(|e| e == "*" || e == event_type)
    }
}

#[derive(Clone, Debug)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    pub secret: String,
    pub body: String,
    /// 1 for the first try.
    pub attempt: u32,
    pub due: Instant,
}

/// What to do after attempt `attempt` failed: retry after this delay, or give up.
pub fn retry_delay(attempt: u32) -> Option<Duration> {
    RETRY_DELAYS_MS
        .get((attempt as usize).checked_sub(1)?)
        .map(|ms| Duration::from_millis(*ms))
}

/// `order` applied to held deliveries, each repeated `times` times in a row.
pub fn arrange(held: Vec<Delivery>, order: &str, times: u32, seed: u64) -> Vec<Delivery> {
    let mut v = held;
    match order {
        "reverse" => v.reverse(),
        "shuffle" => shuffle(&mut v, seed),
        _ => {}
    }
    v.into_iter()
        .flat_map(|d| std::iter::repeat_n(d, times.max(1) as usize))
        .collect()
}

/// Fisher-Yates with a xorshift generator (deterministic for a seed).
pub fn shuffle<T>(v: &mut [T], seed: u64) {
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = (x % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// `http://host:port/path` -> (host:port, path).
pub fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// endpoints are delivered to locally: {url}"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(format!("no host in {url}"));
    }
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    Ok((host, path.to_string()))
}

/// One POST; the HTTP status, or why there is none.
pub fn post(url: &str, signature: &str, body: &str) -> Result<u16, String> {
    let (host, path) = split_url(url)?;
    let addr = host
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| format!("cannot resolve {host}"))?;
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\nContent-Type: application/json; charset=utf-8\r\nStripe-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    s.write_all(body.as_bytes()).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    // The status line is enough; read until it is complete.
    while !buf.contains(&b'\n') && buf.len() < 8192 {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(e.to_string()),
        }
    }
    parse_status(&buf).ok_or_else(|| "no HTTP status line in the answer".to_string())
}

pub fn parse_status(buf: &[u8]) -> Option<u16> {
    let line = String::from_utf8_lossy(buf);
    let first = line.lines().next()?;
    let mut parts = first.split_whitespace();
    parts.next().filter(|p| p.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Keys longer than a block are hashed first (test case 6).
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(mac[..4], [0x60, 0xe4, 0x31, 0x59]);
    }

    #[test]
    fn header_signs_timestamp_dot_body_with_the_whole_secret() {
        let h = signature_header("whsec_test", 1_700_000_000, "{}");
        let mac = hmac_sha256(b"whsec_test", b"1700000000.{}");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(h, format!("t=1700000000,v1={hex}"));
    }

    fn d(id: &str) -> Delivery {
        Delivery {
            event_id: id.into(),
            event_type: "t".into(),
            url: "http://127.0.0.1:1/".into(),
            secret: "s".into(),
            body: "{}".into(),
            attempt: 1,
            due: Instant::now(),
        }
    }

    #[test]
    fn arrange_orders_and_duplicates() {
        let ids = |v: Vec<Delivery>| v.into_iter().map(|d| d.event_id).collect::<Vec<_>>();
        let held = vec![d("a"), d("b"), d("c")];
        assert_eq!(ids(arrange(held.clone(), "fifo", 1, 0)), ["a", "b", "c"]);
        assert_eq!(
            ids(arrange(held.clone(), "reverse", 2, 0)),
            ["c", "c", "b", "b", "a", "a"]
        );
        let mut s = ids(arrange(held, "shuffle", 1, 42));
        s.sort();
        assert_eq!(s, ["a", "b", "c"]);
        let mut v: Vec<u32> = (0..20).collect();
        shuffle(&mut v, 7);
        assert_ne!(v, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn retries_urls_and_status_lines() {
        assert_eq!(retry_delay(1), Some(Duration::from_millis(250)));
        assert_eq!(retry_delay(3), Some(Duration::from_millis(4000)));
        assert_eq!(retry_delay(4), None);
        assert_eq!(
            split_url("http://127.0.0.1:8787/api/v1/x").expect("url"),
            ("127.0.0.1:8787".into(), "/api/v1/x".into())
        );
        assert_eq!(
            split_url("http://h").expect("url"),
            ("h:80".into(), "/".into())
        );
        assert!(split_url("https://h/x").is_err());
        assert_eq!(parse_status(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(parse_status(b"garbage"), None);
        let e = Endpoint {
            id: "we".into(),
            url: "u".into(),
            secret: "s".into(),
            enabled_events: vec!["invoice.paid".into()],
        };
        assert!(e.wants("invoice.paid") && !e.wants("invoice.created"));
    }
}
