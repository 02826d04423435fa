//! Who is calling. Today: the service key (`Authorization: Bearer <AUTH_API_KEY>`,
//! compared in constant time) or nobody, on the public paths
//! (`nno_core::access::is_public`). User sessions and API keys, validated by IAM, are
//! added by the IAM issue.

use crate::config::GatewayConfig;
use nno_auth::ct::secrets_equal;
use nno_core::access::{bearer, is_public};
use nno_core::{ApiError, ErrorCode};
use worker::web_sys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    Service,
}

impl Identity {
    /// What upstreams receive, signed, in `x-nno-identity`.
    pub fn json(self) -> &'static str {
        match self {
            Identity::Anonymous => r#"{"auth":"none"}"#,
            Identity::Service => r#"{"auth":"service"}"#,
        }
    }
}

pub fn authenticate(
    headers: &web_sys::Headers,
    path: &str,
    config: &GatewayConfig,
) -> Result<Identity, ApiError> {
    let authorization = headers.get("authorization").ok().flatten();
    let token = authorization.as_deref().and_then(bearer);
    let is_service = match (token, config.auth_api_key.as_deref()) {
        (Some(t), Some(key)) => secrets_equal(t.as_bytes(), key.as_bytes()),
        _ => false,
    };
    match (is_service, token) {
        (true, _) => Ok(Identity::Service),
        // A stale or foreign token must not stop anyone from signing in.
        _ if is_public(path) => Ok(Identity::Anonymous),
        (false, Some(_)) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "invalid credentials",
        )),
        (false, None) => Err(ApiError::new(
            ErrorCode::Unauthorized,
            "authentication required: send Authorization: Bearer <token>",
        )),
    }
}
