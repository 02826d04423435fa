//! Who may do what with provisioning. Operators (registry over its binding, the
//! service key, platform admins) may do everything; a platform's owner tenant lets its
//! members read its jobs and drift (`platforms:read`) and its managers retry and
//! reconcile (`platforms:manage`); to anyone else a job or platform does not exist.

use nno_auth::permissions::{PLATFORMS_MANAGE, PLATFORMS_READ};
use nno_core::identity::Identity;

/// NNO's operators, as registry and billing count them (an API key with `*` is one).
pub use nno_worker::platform_access::{is_operator, require_operator};

pub fn can_read(id: &Identity, owner: Option<&str>) -> bool {
    is_operator(id) || owner.is_some_and(|t| id.allows_in(t, PLATFORMS_READ))
}

pub fn can_manage(id: &Identity, owner: Option<&str>) -> bool {
    is_operator(id) || owner.is_some_and(|t| id.allows_in(t, PLATFORMS_MANAGE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nno_core::identity::EVERYTHING;

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
        let key = Identity::Apikey {
            platform_id: None,
            key_id: "k".into(),
            user_id: "u".into(),
            org_id: None,
            permissions: vec![EVERYTHING.into()],
        };
        for id in [
            Identity::Internal,
            Identity::Service,
            session("x", &[EVERYTHING]),
            key,
        ] {
            assert!(is_operator(&id));
            assert!(can_read(&id, None) && can_manage(&id, Some("t")));
        }
        assert!(!is_operator(&Identity::None));
        assert!(!is_operator(&session("t1", &[PLATFORMS_MANAGE])));
    }
}
