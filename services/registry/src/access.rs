//! Who may do what to a platform. A platform belongs to the NNO tenant whose member
//! onboarded it: NNO's platform admins (and the service key, and NNO's own services)
//! see and manage everything; the owning tenant's owners and admins
//! (`platforms:manage`) manage it; its members (`platforms:read`) read it; anyone else
//! gets the answer a platform that does not exist gets, so ids cannot be probed.

use crate::store::platforms::Platform;
use nno_auth::permissions::{PLATFORMS_MANAGE, PLATFORMS_READ};
use nno_core::identity::{Identity, EVERYTHING};
use nno_core::{ApiError, ErrorCode};
use nno_worker::RequestContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Read,
    Manage,
}

impl Need {
    fn permission(self) -> &'static str {
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

pub fn authenticated(ctx: &RequestContext) -> Result<&Identity, ApiError> {
    match &ctx.identity {
        Identity::None => Err(
            ApiError::new(ErrorCode::Unauthorized, "authentication required")
                .with_header("www-authenticate", "Bearer"),
        ),
        id => Ok(id),
    }
}

/// Whether the caller may `need` on `platform`: 404 when they may not even read it.
pub fn check(ctx: &RequestContext, platform: &Platform, need: Need) -> Result<(), ApiError> {
    let id = authenticated(ctx)?;
    if is_operator(id) {
        return Ok(());
    }
    let tenant = &platform.owner_tenant_id;
    if !id.allows_in(tenant, PLATFORMS_READ) && !id.allows_in(tenant, PLATFORMS_MANAGE) {
        return Err(ApiError::not_found("platform"));
    }
    ctx.require(tenant, need.permission()).map(|_| ())
}

/// Who did it, for the audit log: never a secret, always enough to find them.
pub fn actor(id: &Identity) -> String {
    match id {
        Identity::Session { user_id, .. } => format!("user:{user_id}"),
        Identity::Apikey {
            key_id, user_id, ..
        } => format!("apikey:{key_id}:user:{user_id}"),
        Identity::Service => "service-key".into(),
        Identity::Internal => "nno-internal".into(),
        Identity::None => "anonymous".into(),
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
        assert!(is_operator(&session(None, &["*"])));
        assert!(!is_operator(&session(Some("t"), &[PLATFORMS_MANAGE])));
        assert!(!is_operator(&Identity::None));
    }

    #[test]
    fn the_caller_tenant_is_the_active_one() {
        assert_eq!(caller_tenant(&session(Some("t"), &[])), Some("t"));
        assert_eq!(caller_tenant(&session(None, &[])), None);
        assert_eq!(actor(&session(None, &[])), "user:u");
    }
}
