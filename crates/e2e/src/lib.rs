//! Helpers for the end-to-end suite: the URLs of the platform `cargo xtask test`
//! started, and a small HTTP client that never treats a status as an error.

use serde_json::Value;
use std::time::Duration;

pub mod billing;
pub mod iam;
pub mod platforms;

pub use ureq::http::HeaderMap;

/// The gateway of the full local platform.
pub fn gateway() -> String {
    url_from_env("NNO_E2E_GATEWAY")
}

/// A gateway started alone: none of its upstreams is running.
pub fn isolated_gateway() -> String {
    url_from_env("NNO_E2E_ISOLATED_GATEWAY")
}

/// Registry started alone: reached directly, around the gateway.
pub fn direct_registry() -> String {
    url_from_env("NNO_E2E_DIRECT_REGISTRY")
}

/// The iam crate started alone as a client platform's auth Worker (own platform id and
/// D1), reached directly.
pub fn client_iam() -> String {
    url_from_env("NNO_E2E_CLIENT_IAM")
}

/// That client platform's id.
pub fn client_platform_id() -> String {
    url_from_env("NNO_E2E_CLIENT_PLATFORM_ID")
}

/// The key services verify a caller's signature with (`NNO_INTERNAL_API_KEY`), so a
/// test can call a service as the gateway does.
pub fn internal_key() -> String {
    url_from_env("NNO_E2E_INTERNAL_KEY")
}

/// The local gateway's service key (`AUTH_API_KEY`).
pub fn service_key() -> String {
    url_from_env("NNO_E2E_SERVICE_KEY")
}

/// `("authorization", "Bearer <service key>")`, leaked so tests can use `&[(&str, &str)]`.
pub fn service_auth() -> (&'static str, &'static str) {
    let value: &'static str = Box::leak(format!("Bearer {}", service_key()).into_boxed_str());
    ("authorization", value)
}

/// A client address no other request in this run uses (for per-IP rate limits).
pub fn unique_ip() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    static BASE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    // A per-process random-ish start, so test binaries run one after another within a
    // rate-limit window do not reuse each other's addresses.
    let base = *BASE.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
            .unwrap_or(0);
        (nanos ^ std::process::id().rotate_left(16)) & 0x00ff_ffff
    });
    let n = base.wrapping_add(N.fetch_add(1, Ordering::Relaxed)) & 0x00ff_ffff;
    format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255)
}

fn url_from_env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: the end-to-end suite runs through `cargo xtask test`, which starts the platform")
    })
}

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the body is the NNO error envelope with `code`, and returns it.
    pub fn envelope(&self, code: &str) -> Value {
        let v = self.json();
        let err = &v["error"];
        assert_eq!(err["code"], code, "body: {}", self.body);
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.body
        );
        let rid = err["requestId"].as_str().expect("requestId");
        assert_eq!(
            Some(rid),
            self.header("x-request-id"),
            "envelope and header ids differ"
        );
        assert!(err.as_object().unwrap().contains_key("details"));
        v
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Redirects are what some endpoints answer; tests look at them, not past them.
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Sends `method url` with `headers` and an optional body.
pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(body.map(<[u8]>::to_vec).unwrap_or_default())
        .expect("request");
    let mut resp = agent()
        .run(req)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    Reply {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.body_mut().read_to_string().unwrap_or_default(),
    }
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    send("GET", url, headers, None)
}
