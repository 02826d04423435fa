//! A JSON body sent chunked (no Content-Length) is refused with 413 as soon as it
//! passes the 64 KiB limit, not after it has been read to its end.
//!
//! A binary of its own, with one test: `wrangler dev`'s local proxy (not the Workers
//! runtime) mishandles a request whose body a Worker left unread, and fails the next
//! request it forwards (a POST gets 503 "Your worker restarted mid-request", a GET is
//! held for a retry that never comes). Test binaries run one after another, so here
//! nothing else is in flight, and the test absorbs that one failed request before it
//! hands the platform back.

use e2e::{gateway, send, unique_ip};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Sends `path` a chunked JSON body of `total` bytes and keeps the request open (no
/// final chunk) until an answer arrives: it must come while the client is still
/// sending, i.e. the server stopped reading at its limit. The status line and headers,
/// and how long they took.
fn chunked_without_end(path: &str, total: usize) -> (Option<String>, Duration) {
    let addr = gateway()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let ip = unique_ip();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\ncf-connecting-ip: {ip}\r\n\r\n"
    )
    .unwrap();
    let started = Instant::now();
    let chunk = vec![b' '; 8 * 1024];
    let mut sent = 0;
    while sent < total {
        if write!(s, "{:x}\r\n", chunk.len())
            .and_then(|_| s.write_all(&chunk))
            .and_then(|_| s.write_all(b"\r\n"))
            .is_err()
        {
            break; // the server answered and closed: fine
        }
        sent += chunk.len();
    }
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    let took = started.elapsed();
    // End the body properly and let the server close.
    let _ = s.write_all(b"0\r\n\r\n");
    let _ = s.shutdown(std::net::Shutdown::Write);
    while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
    let head = String::from_utf8_lossy(&got).into_owned();
    ((!head.is_empty()).then_some(head), took)
}

fn sign_in() -> e2e::Reply {
    send(
        "POST",
        &format!("{}/api/v1/iam/auth/sign-in/email", gateway()),
        &[
            ("content-type", "application/json"),
            ("cf-connecting-ip", &unique_ip()),
        ],
        Some(
            serde_json::json!({"email": e2e::iam::email("nobody"), "password": "guess-guess"})
                .to_string()
                .as_bytes(),
        ),
    )
}

#[test]
fn a_chunked_body_over_the_limit_is_refused_without_reading_it_all() {
    let (head, took) = chunked_without_end("/api/v1/iam/auth/sign-up/email", 200 * 1024);
    // Hand the platform back in working order first (see the module comment): POSTs
    // until the proxy forwards again, never a GET.
    let healed = (0..5).map(|_| sign_in()).any(|r| r.status == 401);
    let head =
        head.unwrap_or_else(|| panic!("no answer after {took:?}: the body was read to its end"));
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(took < Duration::from_secs(8), "{took:?}");
    assert!(healed, "the platform answers again");
}
