//! Request and response bodies, in Better Auth's shapes (camelCase, ISO dates).

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignUp {
    pub name: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default, rename = "callbackURL")]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub remember_me: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SignIn {
    pub email: String,
    pub password: String,
    #[serde(default, rename = "callbackURL")]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub remember_me: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub role: String,
    pub two_factor_enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    /// Empty (and left out) unless the caller sent it as a bearer token: see
    /// `caller::shown_token`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub token: String,
    pub user_id: String,
    pub expires_at: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub active_organization_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize)]
pub struct SignedUp {
    pub token: String,
    pub user: User,
}

#[derive(Debug, Serialize)]
pub struct SignedIn {
    pub redirect: bool,
    pub token: String,
    pub url: Option<String>,
    pub user: User,
}

#[derive(Debug, Serialize)]
pub struct SessionAndUser {
    pub session: Session,
    pub user: User,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevokeSession {
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangePassword {
    pub new_password: String,
    pub current_password: String,
    /// Accepted (and type-checked) for Better Auth compatibility; other sessions are
    /// always revoked.
    #[serde(default)]
    #[allow(dead_code)]
    pub revoke_other_sessions: Option<bool>,
}
