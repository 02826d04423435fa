//! Who may do what with a platform, for every service that keeps something of one
//! (registry, billing): NNO's operators (the service key, NNO's own services, platform
//! admins) everything; the owning NNO tenant's managers (`platforms:manage`) manage it
//! and its members (`platforms:read`) read it; anyone else gets the answer a platform
//! that does not exist gets, so ids cannot be probed.

use crate::RequestContext;
use nno_auth::permissions::{PLATFORMS_MANAGE, PLATFORMS_READ};
use nno_core::identity::{Identity, EVERYTHING};
use nno_core::{ApiError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Manage,
}

impl Need {
    pub fn permission(self) -> &'static str {
        match self {
            Need::Read => PLATFORMS_READ,
            Need::Manage => PLATFORMS_MANAGE,
        }
    }
}

/// NNO's operators: the service key, NNO's services, platform admins.
pub fn is_operator(id: &Identity) -> bool {
    match id {
        Identity::Service | Identity::Internal => true,
        Identity::Session { permissions, .. } | Identity::Apikey { permissions, .. } => {
            permissions.iter().any(|p| p == EVERYTHING)
        }
        Identity::None => false,
    }
}

/// The NNO tenant the caller acts in (a session's active tenant, a tenant key's).
pub fn caller_tenant(id: &Identity) -> Option<&str> {
    match id {
        Identity::Session { tenant_id, .. } => tenant_id.as_deref(),
        Identity::Apikey { org_id, .. } => org_id.as_deref(),
        _ => None,
    }
}

/// 401 for a caller with no credential.
pub fn authenticated(ctx: &RequestContext) -> Result<&Identity, ApiError> {
    match &ctx.identity {
        Identity::None => Err(
            ApiError::new(ErrorCode::Unauthorized, "authentication required")
                .with_header("www-authenticate", "Bearer"),
        ),
        id => Ok(id),
    }
}

/// Whether the caller may `need` on a platform `owner_tenant` owns: 404 (as `what`)
/// when they may not even read it, 403 when they may read but not manage.
pub fn check(
    ctx: &RequestContext,
    owner_tenant: &str,
    need: Need,
    what: &str,
) -> Result<(), ApiError> {
    let id = authenticated(ctx)?;
    if is_operator(id) {
        return Ok(());
    }
    if !id.allows_in(owner_tenant, PLATFORMS_READ) && !id.allows_in(owner_tenant, PLATFORMS_MANAGE)
    {
        return Err(ApiError::not_found(what));
    }
    ctx.require(owner_tenant, need.permission()).map(|_| ())
}

/// 401 for nobody, 403 for anyone who is not an operator.
pub fn require_operator(ctx: &RequestContext) -> Result<(), ApiError> {
    let id = authenticated(ctx)?;
    if is_operator(id) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "only NNO operators may do this",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tenant: Option<&str>, permissions: &[&str]) -> Identity {
        Identity::Session {
            platform_id: None,
            user_id: "u".into(),
            email: None,
            platform_role: None,
            session_id: None,
            tenant_id: tenant.map(String::from),
            tenant_role: None,
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn operators_are_admins_and_services() {
        assert!(is_operator(&Identity::Service));
        assert!(is_operator(&Identity::Internal));
        assert!(is_operator(&session(None, &["*"])));
        assert!(!is_operator(&session(Some("t"), &[PLATFORMS_MANAGE])));
        assert!(!is_operator(&Identity::None));
    }

    #[test]
    fn the_caller_tenant_is_the_active_one() {
        assert_eq!(caller_tenant(&session(Some("t"), &[])), Some("t"));
        assert_eq!(caller_tenant(&session(None, &[])), None);
        assert_eq!(Need::Read.permission(), PLATFORMS_READ);
    }
}
