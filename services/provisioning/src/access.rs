//! Who may do what with provisioning. Operators (registry over its binding, the
//! service key, platform admins) may do everything; a platform's owner tenant lets its
//! members read its jobs and drift (`platforms:read`) and its managers retry and
//! reconcile (`platforms:manage`); to anyone else a job or platform does not exist.

use nno_auth::permissions::{PLATFORMS_MANAGE, PLATFORMS_READ};
use nno_core::identity::{Identity, EVERYTHING};
use nno_core::{ApiError, ErrorCode};

pub fn is_operator(id: &Identity) -> bool {
    match id {
        Identity::Internal | Identity::Service => true,
        Identity::Session { permissions, .. } => permissions.iter().any(|p| p == EVERYTHING),
        _ => false,
    }
}

pub fn can_read(id: &Identity, owner: Option<&str>) -> bool {
    is_operator(id) || owner.is_some_and(|t| id.allows_in(t, PLATFORMS_READ))
}

pub fn can_manage(id: &Identity, owner: Option<&str>) -> bool {
    is_operator(id) || owner.is_some_and(|t| id.allows_in(t, PLATFORMS_MANAGE))
}

/// 401 for nobody, 403 for anyone else who is not an operator.
pub fn require_operator(id: &Identity) -> Result<(), ApiError> {
    match id {
        id if is_operator(id) => Ok(()),
        Identity::None => Err(
            ApiError::new(ErrorCode::Unauthorized, "authentication required")
                .with_header("www-authenticate", "Bearer"),
        ),
        _ => Err(ApiError::new(
            ErrorCode::Forbidden,
            "only NNO operators may do this",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tenant: &str, perms: &[&str]) -> Identity {
        Identity::Session {
            platform_id: None,
            user_id: "u".into(),
            email: None,
            platform_role: None,
            session_id: None,
            tenant_id: Some(tenant.into()),
            tenant_role: None,
            permissions: perms.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn owners_read_and_manage_only_their_platforms() {
        let member = session("t1", &[PLATFORMS_READ]);
        let owner = session("t1", &[PLATFORMS_READ, PLATFORMS_MANAGE]);
        assert!(can_read(&member, Some("t1")));
        assert!(!can_manage(&member, Some("t1")));
        assert!(can_manage(&owner, Some("t1")));
        assert!(!can_read(&owner, Some("t2")));
        assert!(!can_read(&owner, None));
        assert!(!is_operator(&owner));
    }

    #[test]
    fn operators_do_everything() {
        for id in [
            Identity::Internal,
            Identity::Service,
            session("x", &[EVERYTHING]),
        ] {
            assert!(is_operator(&id));
            assert!(can_read(&id, None) && can_manage(&id, Some("t")));
            assert!(require_operator(&id).is_ok());
        }
        assert_eq!(require_operator(&Identity::None).unwrap_err().status(), 401);
        assert_eq!(
            require_operator(&session("t1", &[PLATFORMS_MANAGE]))
                .unwrap_err()
                .status(),
            403
        );
    }
}
