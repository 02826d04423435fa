//! Every JSON one NNO service sends another, as one type used by both sides: a renamed
//! field fails to compile, and an answer that does not parse is a 502, never an empty
//! user id.

use crate::identity::Identity;
use serde::{Deserialize, Serialize};

pub mod billing;
pub mod provisioning;

/// IAM `GET /api/nno/session`: the caller as IAM sees it (a session, or an API key the
/// gateway vouched for). The gateway turns a session's answer into the forwarded
/// identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAnswer {
    pub platform_id: Option<String>,
    pub user: SessionUser,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<KeyRef>,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionUser {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub id: String,
    /// ISO 8601, as Better Auth writes it.
    pub expires_at: String,
    pub active_organization_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRole {
    pub id: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    pub id: String,
    pub org_id: Option<String>,
}

impl SessionAnswer {
    /// The identity the gateway forwards for this session.
    pub fn identity(&self) -> Identity {
        Identity::Session {
            platform_id: self.platform_id.clone(),
            user_id: self.user.id.clone(),
            email: self.user.email.clone(),
            platform_role: self.platform_role.clone(),
            session_id: self.session.as_ref().map(|s| s.id.clone()),
            tenant_id: self.tenant.as_ref().map(|t| t.id.clone()),
            tenant_role: self.tenant.as_ref().map(|t| t.role.clone()),
            permissions: self.permissions.clone(),
        }
    }
}

/// IAM `POST /api/nno/apikey/verify`, the gateway's question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyVerifyRequest {
    pub key: String,
}

/// IAM's answer for a live key: who it acts for, what it may do and its own limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyVerifyAnswer {
    pub platform_id: Option<String>,
    pub key_id: String,
    pub user_id: String,
    pub org_id: Option<String>,
    pub permissions: Vec<String>,
    pub rate_limit: KeyLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyLimit {
    pub max: u32,
    pub window_ms: u64,
}

impl KeyVerifyAnswer {
    pub fn identity(&self) -> Identity {
        Identity::Apikey {
            platform_id: self.platform_id.clone(),
            key_id: self.key_id.clone(),
            user_id: self.user_id.clone(),
            org_id: self.org_id.clone(),
            permissions: self.permissions.clone(),
        }
    }
}

/// IAM `GET /api/nno/tenants/{orgId}/owners`, for operators and NNO's services:
/// who to tell about the tenant's platforms (billing's usage alerts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantOwners {
    pub org_id: String,
    pub owners: Vec<TenantOwner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantOwner {
    pub user_id: String,
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The gateway's rate limiter (a Durable Object) answering one count or peek.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimiterAnswer {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    pub reset_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn session_answer_reads_what_iam_writes() {
        let wire = json!({
            "platformId": "k3m9p2xw7q",
            "user": {"id": "u1", "email": "a@b.c", "name": "A"},
            "platformRole": "user",
            "session": {"id": "s1", "expiresAt": "2026-12-09T10:00:00.000Z", "activeOrganizationId": "o1"},
            "tenant": {"id": "o1", "role": "owner"},
            "permissions": ["iam:read"],
        });
        let a: SessionAnswer = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(serde_json::to_value(&a).unwrap(), wire);
        match a.identity() {
            Identity::Session {
                user_id,
                tenant_id,
                tenant_role,
                session_id,
                ..
            } => {
                assert_eq!(user_id, "u1");
                assert_eq!(tenant_id.as_deref(), Some("o1"));
                assert_eq!(tenant_role.as_deref(), Some("owner"));
                assert_eq!(session_id.as_deref(), Some("s1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_renamed_or_missing_field_does_not_parse() {
        // `userId` instead of `user.id`: refused, not an empty id.
        let bad = json!({"platformId": null, "userId": "u1", "permissions": []});
        assert!(serde_json::from_value::<SessionAnswer>(bad).is_err());
        let bad_key = json!({"keyId": "k", "userId": "u", "permissions": [],
                             "rateLimit": {"max": 10, "window": 60000}});
        assert!(serde_json::from_value::<KeyVerifyAnswer>(bad_key).is_err());
        assert!(serde_json::from_value::<KeyVerifyRequest>(json!({"key": "k", "x": 1})).is_err());
    }

    #[test]
    fn key_answer_round_trips_and_names_its_identity() {
        let a = KeyVerifyAnswer {
            platform_id: Some("p".into()),
            key_id: "k".into(),
            user_id: "u".into(),
            org_id: Some("o".into()),
            permissions: vec!["billing:read".into()],
            rate_limit: KeyLimit {
                max: 120,
                window_ms: 60_000,
            },
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["rateLimit"], json!({"max": 120, "windowMs": 60000}));
        assert_eq!(serde_json::from_value::<KeyVerifyAnswer>(v).unwrap(), a);
        assert!(a.identity().allows_in("o", "billing:read"));
        let l: LimiterAnswer = serde_json::from_value(
            json!({"allowed": true, "limit": 3, "remaining": 2, "resetMs": 900}),
        )
        .unwrap();
        assert!(l.allowed);
    }
}
