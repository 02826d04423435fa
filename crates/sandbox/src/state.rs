//! What the sandbox remembers: credentials it accepts, captured e-mails, issued OAuth
//! codes and tokens, injected faults.

use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub struct Client {
    pub id: String,
    pub secret: String,
}

/// What an access token stands for: provider, e-mail, whether it is verified.
pub type AccessToken = (&'static str, String, bool);

pub struct Grant {
    pub provider: &'static str,
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub email: String,
    /// Whether the provider says it checked the address (`email_verified=false` on the
    /// authorize URL makes it say no).
    pub email_verified: bool,
    pub issued: Instant,
}

pub struct Fault {
    pub path_prefix: String,
    /// Only requests whose body contains this (e.g. one platform's id, so a test's
    /// fault is not used up by another platform's calls to the same path).
    pub body_contains: Option<String>,
    pub status: u16,
    pub delay: Duration,
    pub times: u32,
    /// A body to answer instead of the JSON fault (served as `text/html`), e.g. to
    /// play a proxy's error page.
    pub body: Option<String>,
}

pub struct Sandbox {
    pub resend_key: String,
    pub github: Client,
    pub google: Client,
    pub emails: Vec<Value>,
    pub codes: HashMap<String, Grant>,
    /// access token -> (provider, email)
    pub tokens: HashMap<String, AccessToken>,
    pub faults: Vec<Fault>,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

impl Sandbox {
    /// Credentials default to the values in the services' `.dev.vars.example`.
    pub fn from_env() -> Sandbox {
        Sandbox {
            resend_key: env_or(crate::RESEND_KEY_ENV, "re_sandbox_local_key"),
            github: Client {
                id: env_or("SANDBOX_GITHUB_CLIENT_ID", "sandbox-github-client"),
                secret: env_or("SANDBOX_GITHUB_CLIENT_SECRET", "sandbox-github-secret"),
            },
            google: Client {
                id: env_or("SANDBOX_GOOGLE_CLIENT_ID", "sandbox-google-client"),
                secret: env_or("SANDBOX_GOOGLE_CLIENT_SECRET", "sandbox-google-secret"),
            },
            emails: Vec::new(),
            codes: HashMap::new(),
            tokens: HashMap::new(),
            faults: Vec::new(),
        }
    }

    /// The fault to apply to `path` with `body`, if one is armed (each use counts down).
    pub fn take_fault(
        &mut self,
        path: &str,
        body: &str,
    ) -> Option<(u16, Duration, Option<String>)> {
        let i = self.faults.iter().position(|f| {
            path.starts_with(&f.path_prefix)
                && f.times > 0
                && f.body_contains.as_deref().is_none_or(|b| body.contains(b))
        })?;
        let f = &mut self.faults[i];
        f.times -= 1;
        let out = (f.status, f.delay, f.body.clone());
        if f.times == 0 {
            self.faults.remove(i);
        }
        Some(out)
    }
}

/// 32 random bytes as hex, from the OS.
pub fn random_hex() -> String {
    let mut buf = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        use std::io::Read;
        let _ = f.read_exact(&mut buf);
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
