//! The caller identity the gateway forwards to upstream services (signed, in
//! `x-nno-identity`): one shape shared by the side that writes it and the sides that
//! read it.

use serde::{Deserialize, Serialize};

/// `Identity::None`, `Internal` and `Service` as JSON, for the gateway's hot path.
pub const NONE_JSON: &str = r#"{"auth":"none"}"#;
pub const INTERNAL_JSON: &str = r#"{"auth":"internal"}"#;
pub const SERVICE_JSON: &str = r#"{"auth":"service"}"#;

/// The permission set of a platform admin: everything, in every tenant.
pub const EVERYTHING: &str = "*";

/// Whether `held` allows `permission` (`EVERYTHING` allows all).
pub fn holds<S: AsRef<str>>(held: &[S], permission: &str) -> bool {
    held.iter()
        .any(|p| p.as_ref() == EVERYTHING || p.as_ref() == permission)
}

/// What an API key may do in a tenant: its scopes, within what the person behind it
/// (a tenant key's creator, a personal key's owner) may do there right now.
pub fn key_permissions<'a>(
    scopes: impl IntoIterator<Item = &'a String>,
    person: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let everything = person.contains(EVERYTHING);
    scopes
        .into_iter()
        .filter(|s| everything || person.contains(*s))
        .cloned()
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "auth",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum Identity {
    /// No credentials (public paths only).
    None,
    /// The gateway's own calls (session and key checks); never a client's request.
    Internal,
    /// The service key.
    Service,
    /// A signed-in person.
    Session {
        platform_id: Option<String>,
        user_id: String,
        email: Option<String>,
        platform_role: Option<String>,
        session_id: Option<String>,
        /// The active tenant, if the person is a member of it.
        tenant_id: Option<String>,
        tenant_role: Option<String>,
        #[serde(default)]
        permissions: Vec<String>,
    },
    /// An API key.
    Apikey {
        platform_id: Option<String>,
        key_id: String,
        user_id: String,
        /// Set for a tenant's key.
        org_id: Option<String>,
        #[serde(default)]
        permissions: Vec<String>,
    },
}

impl Identity {
    pub fn to_json(&self) -> String {
        // Plain strings and lists: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"auth":"none"}"#.to_string())
    }

    pub fn from_json(s: &str) -> Option<Identity> {
        serde_json::from_str(s).ok()
    }

    /// The person behind the request (a key's owner or creator), if any.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Identity::Session { user_id, .. } | Identity::Apikey { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// Whether the caller may do what `permission` names in tenant `tenant_id`. A
    /// session's permissions are those of its active tenant, a tenant key's those of its
    /// tenant (already bounded by its creator's), so both only count there; `*` (a
    /// platform admin) counts everywhere; the service key is trusted with everything. A
    /// personal key's scopes are only a ceiling that IAM narrows per tenant, so they
    /// never suffice on their own here.
    pub fn allows_in(&self, tenant_id: &str, permission: &str) -> bool {
        let holds = |ps: &[String]| ps.iter().any(|p| p == permission);
        match self {
            Identity::Service => true,
            Identity::Session {
                tenant_id: active,
                permissions,
                ..
            } => {
                permissions.iter().any(|p| p == EVERYTHING)
                    || (active.as_deref() == Some(tenant_id) && holds(permissions))
            }
            Identity::Apikey {
                org_id: Some(org),
                permissions,
                ..
            } => org == tenant_id && holds(permissions),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_shape_is_stable() {
        let id = Identity::Session {
            platform_id: Some("k3m9p2xw7q".into()),
            user_id: "u1".into(),
            email: Some("a@b.c".into()),
            platform_role: Some("user".into()),
            session_id: Some("s1".into()),
            tenant_id: None,
            tenant_role: None,
            permissions: vec!["iam:read".into()],
        };
        let v: serde_json::Value = serde_json::from_str(&id.to_json()).unwrap();
        assert_eq!(v["auth"], "session");
        assert_eq!(v["userId"], "u1");
        assert_eq!(v["platformId"], "k3m9p2xw7q");
        assert_eq!(v["tenantId"], serde_json::Value::Null);
        assert_eq!(Identity::from_json(&id.to_json()), Some(id.clone()));
        assert_eq!(Identity::None.to_json(), NONE_JSON);
        assert_eq!(Identity::Internal.to_json(), INTERNAL_JSON);
        assert_eq!(Identity::Service.to_json(), SERVICE_JSON);
        let key = Identity::from_json(
            r#"{"auth":"apikey","keyId":"k","userId":"u","orgId":"o","permissions":["billing:read"]}"#,
        )
        .unwrap();
        assert!(matches!(&key, Identity::Apikey { org_id: Some(o), .. } if o == "o"));
        assert_eq!(Identity::from_json(r#"{"auth":"root"}"#), None);
    }

    #[test]
    fn a_key_never_exceeds_its_person() {
        let scopes = vec!["billing:read".to_string(), "billing:write".to_string()];
        let person: std::collections::BTreeSet<String> = ["billing:read".to_string()].into();
        assert_eq!(key_permissions(&scopes, &person), ["billing:read"]);
        assert!(key_permissions(&scopes, &Default::default()).is_empty());
        let admin: std::collections::BTreeSet<String> = [EVERYTHING.to_string()].into();
        assert_eq!(key_permissions(&scopes, &admin), scopes);
        assert!(holds(&[EVERYTHING], "x:y"));
        assert!(!holds(&["x:z"], "x:y"));
    }

    #[test]
    fn permissions_count_only_in_their_tenant() {
        let key = Identity::from_json(
            r#"{"auth":"apikey","keyId":"k","userId":"u","orgId":"t1","permissions":["billing:read"]}"#,
        )
        .unwrap();
        assert!(key.allows_in("t1", "billing:read"));
        assert!(!key.allows_in("t1", "billing:write"));
        assert!(!key.allows_in("t2", "billing:read"));
        assert_eq!(key.user_id(), Some("u"));
        let personal = Identity::from_json(
            r#"{"auth":"apikey","keyId":"k","userId":"u","permissions":["billing:read"]}"#,
        )
        .unwrap();
        assert!(!personal.allows_in("t1", "billing:read"));
        let member = Identity::from_json(
            r#"{"auth":"session","userId":"m","tenantId":"t1","permissions":["billing:read"]}"#,
        )
        .unwrap();
        assert!(member.allows_in("t1", "billing:read"));
        assert!(!member.allows_in("t2", "billing:read"));
        let admin =
            Identity::from_json(r#"{"auth":"session","userId":"a","permissions":["*"]}"#).unwrap();
        assert!(admin.allows_in("any-tenant", "anything:at-all"));
        assert!(Identity::Service.allows_in("t", "x:y"));
        assert!(!Identity::None.allows_in("t", "x:y"));
        assert!(!Identity::Internal.allows_in("t", "x:y"));
    }
}
