//! Refusing writes on a stopped platform (suspended, cancelled, deleted) with 423
//! `PLATFORM_SUSPENDED`. The status is read from the Platform Status KV that registry
//! mirrors every change into, never from registry on the hot path; only writes that
//! act on a platform pay the one KV read.
//!
//! Propagation: KV is eventually consistent. A change is visible at once where it
//! was written and usually within seconds elsewhere, but Cloudflare allows up to 60
//! seconds; for that long after a suspension another location may still let a write
//! through (registry stays the truth, and its own checks do not depend on KV).
//!
//! Stays open: reads (so the console can say why), the recovery paths (`restore`,
//! `cancel`), billing (paying is how a customer recovers), and the service key.

use nno_core::api::registry::recovery_path;
use nno_core::identity::Identity as Forwarded;
use nno_core::ids::{PlatformId, NNO_PLATFORM_ID};
use nno_core::platform::PlatformStatus;
use nno_core::{ApiError, ErrorCode};
use nno_worker::RequestContext;
use worker::Env;

/// The platform a gateway path acts on, and the rest of the path after its id.
pub fn platform_in_path(path: &str) -> Option<(&str, &str)> {
    let rest = path
        .strip_prefix("/api/v1/platforms/")
        .or_else(|| path.strip_prefix("/api/v1/provisioning/platforms/"))?;
    let (id, after) = rest.split_once('/').unwrap_or((rest, ""));
    PlatformId::is_valid(id).then_some((id, after))
}

fn is_write(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Which platform's status decides this request, if any: the one in the path, else
/// the client platform a credential is bound to (NNO's own platform is never
/// suspended).
pub fn subject(ctx: &RequestContext, identity_json: Option<&str>) -> Option<String> {
    if !is_write(&ctx.method) {
        return None;
    }
    if let Some((id, rest)) = platform_in_path(&ctx.path) {
        let full = format!("{id}/{rest}");
        return (!recovery_path(&full)).then(|| id.to_string());
    }
    if ctx.path.starts_with("/api/v1/billing") {
        return None;
    }
    let bound = match Forwarded::from_json(identity_json?)? {
        Forwarded::Session { platform_id, .. } | Forwarded::Apikey { platform_id, .. } => {
            platform_id
        }
        _ => None,
    }?;
    (bound != NNO_PLATFORM_ID && PlatformId::is_valid(&bound)).then_some(bound)
}

pub async fn check(env: &Env, platform_id: &str) -> Result<(), ApiError> {
    let kv = env.kv("PLATFORM_STATUS").map_err(|_| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the platform status store is not bound",
        )
    })?;
    // A missing entry is a platform registry has not mirrored yet (or none at all):
    // registry itself answers for those.
    let status = kv
        .get(platform_id)
        .text()
        .await
        .map_err(|e| {
            ApiError::new(
                ErrorCode::ServiceUnavailable,
                "the platform status could not be read",
            )
            .with_cause(format!("kv: {e}"))
        })?
        .and_then(|s| PlatformStatus::parse(&s));
    match status {
        Some(s) if s.blocks_writes() => Err(ApiError::new(
            ErrorCode::PlatformSuspended,
            format!("the platform is {s}; only reads, restore and cancel are allowed"),
        )
        .with_details(serde_json::json!({ "platformId": platform_id, "status": s }))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_platform_a_path_acts_on() {
        assert_eq!(
            platform_in_path("/api/v1/platforms/abcdefghij"),
            Some(("abcdefghij", ""))
        );
        assert_eq!(
            platform_in_path("/api/v1/platforms/abcdefghij/tenants/x"),
            Some(("abcdefghij", "tenants/x"))
        );
        assert_eq!(
            platform_in_path("/api/v1/provisioning/platforms/abcdefghij/reconcile"),
            Some(("abcdefghij", "reconcile"))
        );
        assert_eq!(platform_in_path("/api/v1/platforms"), None);
        assert_eq!(platform_in_path("/api/v1/platforms/short"), None);
        assert_eq!(platform_in_path("/api/v1/iam/auth/sign-in/email"), None);
    }

    #[test]
    fn recovery_stays_open() {
        assert!(recovery_path("abcdefghij/restore"));
        assert!(recovery_path("abcdefghij/cancel"));
        assert!(!recovery_path("abcdefghij/suspend"));
        assert!(!recovery_path("abcdefghij/"));
        assert!(!is_write("GET"));
        assert!(is_write("DELETE"));
    }
}
