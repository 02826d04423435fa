//! IAM's configuration: the secret that signs session cookies, and cookie attributes
//! per environment.

use nno_auth::session::CookieOptions;
use nno_core::{ApiError, Environment, ErrorCode};
use worker::Env;

pub const SECRET: &str = "BETTER_AUTH_SECRET";

pub struct IamConfig {
    pub secret: String,
    pub secure_cookies: bool,
    pub cookie_domain: Option<String>,
}

impl IamConfig {
    pub fn load(env: &Env) -> Result<IamConfig, ApiError> {
        let secret = env
            .secret(SECRET)
            .map(|s| s.to_string())
            .ok()
            .filter(|s| s.len() >= 32)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    format!("{SECRET} is not configured (at least 32 characters)"),
                )
            })?;
        Ok(IamConfig {
            secret,
            // Secure everywhere but local, where the console is served over plain http.
            secure_cookies: nno_worker::config::environment(env) != Environment::Local,
            cookie_domain: nno_worker::config::var(env, "COOKIE_DOMAIN").filter(|d| !d.is_empty()),
        })
    }

    pub fn cookie(&self) -> CookieOptions<'_> {
        CookieOptions {
            secure: self.secure_cookies,
            domain: self.cookie_domain.as_deref(),
        }
    }
}
