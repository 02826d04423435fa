//! IAM's configuration: the secret that signs session cookies, cookie attributes per
//! environment, the public URLs links are built from, trusted redirect origins, and
//! the external systems (Resend for e-mail, GitHub and Google for social sign-in)
//! whose base URLs are configuration so that local runs and tests use the sandbox.

use nno_auth::session::CookieOptions;
use nno_core::urls::{is_safe_target, origin_of};
use nno_core::{ApiError, Environment, ErrorCode};
use nno_worker::config::var;
use worker::Env;

pub const SECRET: &str = "BETTER_AUTH_SECRET";

pub struct IamConfig {
    /// The platform this deployment serves: NNO's own (`k3m9p2xw7q`) or, deployed per
    /// client platform, that platform's id. Users never cross deployments: each has its
    /// own D1.
    pub platform_id: String,
    pub secret: String,
    pub secure_cookies: bool,
    pub cookie_domain: Option<String>,
    /// Public base URL of the auth endpoints (`…/api/v1/iam/auth` through the gateway):
    /// links in e-mails and OAuth redirect URIs are built from it.
    pub auth_url: String,
    /// Origins a `callbackURL` may point at (besides relative paths).
    pub trusted_origins: Vec<String>,
    /// The console, where invitation links lead.
    pub app_url: String,
    /// Issuer shown in authenticator apps.
    pub app_name: String,
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
        let platform_id = var(env, "PLATFORM_ID")
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| nno_core::ids::NNO_PLATFORM_ID.to_string());
        if !nno_core::ids::PlatformId::is_valid(&platform_id) {
            return Err(ApiError::new(
                ErrorCode::ServiceUnavailable,
                "PLATFORM_ID is not a platform id (10 characters of a-z and 0-9)",
            ));
        }
        let auth_url = var(env, "AUTH_URL")
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "https://api.nno.app/api/v1/iam/auth".to_string());
        let mut trusted_origins: Vec<String> = var(env, "TRUSTED_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_string())
            .filter(|o| !o.is_empty())
            .collect();
        if let Some(origin) = origin_of(&auth_url) {
            trusted_origins.push(origin);
        }
        Ok(IamConfig {
            platform_id,
            secret,
            // Secure everywhere but local, where the console is served over plain http.
            secure_cookies: nno_worker::config::environment(env) != Environment::Local,
            cookie_domain: var(env, "COOKIE_DOMAIN").filter(|d| !d.is_empty()),
            auth_url: auth_url.trim_end_matches('/').to_string(),
            trusted_origins,
            app_url: var(env, "APP_URL")
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "https://console.app.nno.app".into())
                .trim_end_matches('/')
                .to_string(),
            app_name: var(env, "APP_NAME")
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "NNO".into()),
        })
    }

    pub fn cookie(&self) -> CookieOptions<'_> {
        CookieOptions {
            secure: self.secure_cookies,
            domain: self.cookie_domain.as_deref(),
        }
    }

    /// Whether `url` is a safe redirect target: a relative path (not `//host`), or an
    /// absolute URL on a trusted origin.
    pub fn trusted_target(&self, url: &str) -> bool {
        is_safe_target(url, &self.trusted_origins)
    }

    /// 403 with Better Auth's reason unless `url` (the body or query field `field`) is a
    /// safe redirect target; absent is fine.
    pub fn require_trusted(&self, url: Option<&str>, field: &'static str) -> Result<(), ApiError> {
        match url {
            Some(u) if !self.trusted_target(u) => {
                let reason = match field {
                    "redirectTo" => "INVALID_REDIRECT_URL",
                    "newUserCallbackURL" => "INVALID_NEW_USER_CALLBACK_URL",
                    "errorCallbackURL" => "INVALID_ERROR_CALLBACK_URL",
                    _ => "INVALID_CALLBACK_URL",
                };
                Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!("{field} must be a relative path or on a trusted origin"),
                )
                .with_reason(reason)
                .with_details(serde_json::json!({ "field": field })))
            }
            _ => Ok(()),
        }
    }

    /// `url` made absolute against the auth URL's origin, for `Location` headers.
    pub fn absolute(&self, url: &str) -> String {
        match (url.starts_with('/'), origin_of(&self.auth_url)) {
            (true, Some(origin)) => format!("{origin}{url}"),
            _ => url.to_string(),
        }
    }
}

/// Resend's e-mail API: base URL, key and sender. `None` when no key is configured.
/// A social sign-in provider with credentials. Endpoints default to the real hosts.
pub struct Provider {
    pub id: &'static str,
    pub client_id: String,
    pub client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    /// GitHub: the API base (`/user`, `/user/emails`). Google: unused (the id token
    /// carries the profile).
    pub api_url: String,
    pub scope: &'static str,
}

impl Provider {
    /// The provider if its id is known and its credentials are configured.
    pub fn load(env: &Env, id: &str) -> Option<Provider> {
        let (id, prefix, authorize, token, api, scope): (&'static str, _, _, _, _, _) = match id {
            "github" => (
                "github",
                "GITHUB",
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                "https://api.github.com",
                "read:user user:email",
            ),
            "google" => (
                "google",
                "GOOGLE",
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "",
                "email profile openid",
            ),
            _ => return None,
        };
        let secret = |n: &str| {
            env.secret(n)
                .ok()
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty())
        };
        let url = |n: &str, default: &str| {
            var(env, n)
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        Some(Provider {
            id,
            client_id: secret(&format!("{prefix}_CLIENT_ID"))?,
            client_secret: secret(&format!("{prefix}_CLIENT_SECRET"))?,
            authorize_url: url(&format!("{prefix}_AUTHORIZE_URL"), authorize),
            token_url: url(&format!("{prefix}_TOKEN_URL"), token),
            api_url: url(&format!("{prefix}_API_URL"), api),
            scope,
        })
    }
}
