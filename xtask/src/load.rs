//! A small closed-loop HTTP/1.1 load generator for `cargo xtask bench`: `concurrency`
//! keep-alive connections, each sending its next request as soon as the previous
//! answer is read. Bounded in count, and only ever aimed at 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Run {
    /// Per-request latencies, in microseconds.
    pub latencies_us: Vec<u64>,
    pub elapsed: Duration,
    pub errors: usize,
}

pub fn percentile(sorted_us: &[u64], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted_us.len() as f64 - 1.0) * p).round() as usize;
    sorted_us[idx.min(sorted_us.len() - 1)] as f64 / 1000.0
}

/// What to send: request `i`'s bytes, and the status that counts as success.
#[derive(Clone)]
pub struct Target {
    pub build: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>,
    pub expect: u16,
}

impl Target {
    /// `GET path` expecting 200.
    pub fn get(port: u16, path: &str) -> Target {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").into_bytes();
        Target {
            build: Arc::new(move |_| raw.clone()),
            expect: 200,
        }
    }

    /// A request with headers and a body; `vary` may add per-request headers.
    pub fn custom(
        port: u16,
        method: &str,
        path: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        expect: u16,
        vary: fn(usize) -> Vec<(String, String)>,
    ) -> Target {
        let (method, path) = (method.to_string(), path.to_string());
        Target {
            build: Arc::new(move |i| {
                let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
                for (k, v) in headers.iter().cloned().chain(vary(i)) {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                if !body.is_empty() {
                    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
                }
                head.push_str("\r\n");
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&body);
                bytes
            }),
            expect,
        }
    }
}

pub fn run(port: u16, path: &str, requests: usize, concurrency: usize) -> Result<Run, String> {
    run_target(port, &Target::get(port, path), requests, concurrency)
}

pub fn run_target(
    port: u16,
    target: &Target,
    requests: usize,
    concurrency: usize,
) -> Result<Run, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..concurrency)
        .map(|_| {
            let next = next.clone();
            let target = target.clone();
            std::thread::spawn(move || worker(port, &target, requests, &next))
        })
        .collect();
    let mut latencies_us = Vec::with_capacity(requests);
    let mut errors = 0;
    for h in handles {
        let (lat, err) = h.join().map_err(|_| "load thread panicked".to_string())?;
        latencies_us.extend(lat);
        errors += err;
    }
    Ok(Run {
        latencies_us,
        elapsed: start.elapsed(),
        errors,
    })
}

fn worker(port: u16, target: &Target, total: usize, next: &AtomicUsize) -> (Vec<u64>, usize) {
    let mut lat = Vec::new();
    let mut errors = 0;
    let mut conn: Option<BufReader<TcpStream>> = None;
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        if conn.is_none() {
            conn = TcpStream::connect(("127.0.0.1", port)).ok().map(|s| {
                let _ = s.set_nodelay(true);
                let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                BufReader::new(s)
            });
        }
        let Some(c) = conn.as_mut() else {
            errors += 1;
            continue;
        };
        let raw = (target.build)(i);
        let t = Instant::now();
        match request(c, &raw) {
            Ok(status) if status == target.expect => lat.push(t.elapsed().as_micros() as u64),
            Ok(_) => errors += 1,
            Err(_) => {
                errors += 1;
                conn = None;
            }
        }
    }
    (lat, errors)
}

/// One request on its own connection: status and body.
pub fn once(port: u16, raw: &[u8]) -> Result<(u16, String), String> {
    let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let mut c = BufReader::new(s);
    let mut body = Vec::new();
    let status = exchange(&mut c, raw, &mut body).map_err(|e| e.to_string())?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// One request on a keep-alive connection; reads the whole response (length or chunked).
fn request(c: &mut BufReader<TcpStream>, raw: &[u8]) -> std::io::Result<u16> {
    exchange(c, raw, &mut Vec::new())
}

fn exchange(c: &mut BufReader<TcpStream>, raw: &[u8], out: &mut Vec<u8>) -> std::io::Result<u16> {
    c.get_mut().write_all(raw)?;
    let mut line = String::new();
    c.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        c.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            } else if k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked") {
                chunked = true;
            }
        }
    }
    if chunked {
        loop {
            line.clear();
            c.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
            let mut buf = vec![0; size + 2];
            c.read_exact(&mut buf)?;
            if size == 0 {
                break;
            }
            out.extend_from_slice(&buf[..size]);
        }
    } else {
        let mut buf = vec![0; length];
        c.read_exact(&mut buf)?;
        out.extend_from_slice(&buf);
    }
    Ok(status)
}
