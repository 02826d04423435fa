//! Small process, file and network helpers for the task runner.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command line, printable before it runs.
pub struct Cmd {
    inner: Command,
    shown: String,
}

impl Cmd {
    pub fn new(program: impl AsRef<std::ffi::OsStr>) -> Cmd {
        let shown = program.as_ref().to_string_lossy().into_owned();
        Cmd {
            inner: Command::new(program),
            shown,
        }
    }
    pub fn arg(mut self, a: impl AsRef<str>) -> Cmd {
        self.shown.push(' ');
        self.shown.push_str(a.as_ref());
        self.inner.arg(a.as_ref());
        self
    }
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Cmd {
        for a in args {
            self = self.arg(a);
        }
        self
    }
    pub fn env(mut self, k: impl AsRef<str>, v: impl AsRef<str>) -> Cmd {
        self.inner.env(k.as_ref(), v.as_ref());
        self
    }
    pub fn envs(mut self, vars: &[(String, String)]) -> Cmd {
        for (k, v) in vars {
            self.inner.env(k, v);
        }
        self
    }
    pub fn dir(mut self, d: impl AsRef<Path>) -> Cmd {
        self.inner.current_dir(d);
        self
    }
    pub fn command(self) -> Command {
        self.inner
    }
}

/// Runs to completion with inherited output; a non-zero exit is an error.
pub fn run(cmd: Cmd) -> Result<(), String> {
    let shown = cmd.shown.clone();
    let status = cmd
        .command()
        .status()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// Runs and captures stdout (stderr passes through).
pub fn output(cmd: Cmd) -> Result<String, String> {
    let shown = cmd.shown.clone();
    let out = cmd
        .command()
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{shown}`: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("`{shown}` failed ({})", out.status))
    }
}

pub fn step(msg: &str) {
    eprintln!("\x1b[1;34m==>\x1b[0m {msg}");
}

pub fn repo_root() -> PathBuf {
    // xtask lives one level below the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// Where `free_port` looks: below Linux's ephemeral range (32768-60999), so no outgoing
/// connection (a test client's, wrangler's own) can take the port between this check
/// and the runtime binding it, which `bind(0)` ports could not promise.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A TCP port free on 127.0.0.1 right now, and not one this process handed out in its
/// last 12,000 calls.
pub fn free_port() -> Result<u16, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let span = u32::from(PORTS.end - PORTS.start);
    // Each process starts at its own offset, so two task runners rarely probe alike.
    let start = std::process::id() % span;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = PORTS.start + ((start + n % span) % span) as u16;
        if port_is_free(port) {
            return Ok(port);
        }
    }
    Err(format!(
        "no free TCP port in {}..{} on 127.0.0.1",
        PORTS.start, PORTS.end
    ))
}

pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Minimal HTTP/1.1 GET (status, body) used for readiness checks, so the task runner
/// needs no HTTP client crate.
pub fn http_get(port: u16, path: &str, timeout: Duration) -> Result<(u16, String), String> {
    http_request(port, "GET", path, None, timeout)
}

/// One HTTP/1.1 exchange on loopback; `json` is sent as the body when given.
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    json: Option<&str>,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout)
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let body = json.unwrap_or("");
    let typed = if json.is_some() {
        "Content-Type: application/json\r\n"
    } else {
        ""
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{typed}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&buf);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no HTTP status line")?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Polls `path` until it answers 200 or `limit` passes.
pub fn wait_for_ok(port: u16, path: &str, limit: Duration) -> Result<String, String> {
    let start = Instant::now();
    let mut last = String::from("no answer");
    while start.elapsed() < limit {
        match http_get(port, path, Duration::from_secs(5)) {
            Ok((200, body)) => return Ok(body),
            Ok((code, body)) => last = format!("status {code}: {body}"),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    Err(format!(
        "127.0.0.1:{port}{path} not ready after {limit:?}: {last}"
    ))
}
