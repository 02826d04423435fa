//! Which gateway paths need no credentials. Everything else needs the service key, a
//! user session or an API key.

/// IAM endpoints a person must reach before they have a session (Better Auth's
/// session check, sign-up, sign-in, magic link, social sign-in, password reset and
/// verification), as gateway paths.
const PUBLIC_IAM: [&str; 14] = [
    // Better Auth's clients ask for the session before anyone signs in (and get null).
    "/api/v1/iam/auth/get-session",
    "/api/v1/iam/auth/sign-out",
    "/api/v1/iam/auth/sign-up/email",
    "/api/v1/iam/auth/sign-in/email",
    "/api/v1/iam/auth/sign-in/magic-link",
    "/api/v1/iam/auth/magic-link/verify",
    "/api/v1/iam/auth/sign-in/social",
    "/api/v1/iam/auth/forget-password",
    "/api/v1/iam/auth/request-password-reset",
    "/api/v1/iam/auth/send-verification-email",
    "/api/v1/iam/auth/reset-password",
    "/api/v1/iam/auth/verify-email",
    "/api/v1/iam/auth/two-factor/verify-totp",
    "/api/v1/iam/auth/two-factor/verify-backup-code",
];

/// Prefixes under which every path is public (OAuth callbacks carry the provider name,
/// reset links carry the token).
const PUBLIC_IAM_PREFIXES: [&str; 2] = [
    "/api/v1/iam/auth/callback/",
    "/api/v1/iam/auth/reset-password/",
];

/// Whether `path` (a gateway path) is served without credentials. Health checks are
/// public at the gateway and under every service prefix.
pub fn is_public(path: &str) -> bool {
    let health_of = path
        .strip_suffix("/health")
        .or_else(|| path.strip_suffix("/health/live"));
    if let Some(prefix) = health_of {
        if prefix.is_empty() || crate::routing::ROUTES.iter().any(|r| r.prefix == prefix) {
            return true;
        }
    }
    PUBLIC_IAM.contains(&path)
        || PUBLIC_IAM_PREFIXES
            .iter()
            .any(|p| path.starts_with(p) && path.len() > p.len())
}

/// The bearer token of an `Authorization` header, if it has one.
pub fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_public_everywhere_but_only_there() {
        assert!(is_public("/health"));
        assert!(is_public("/health/live"));
        assert!(is_public("/api/v1/billing/health"));
        assert!(is_public("/api/v1/platforms/health/live"));
        assert!(!is_public("/api/v1/platforms/abc/health"));
        assert!(!is_public("/api/v1/platforms"));
        assert!(!is_public("/nope/health"));
    }

    #[test]
    fn sign_in_and_recovery_are_public_the_rest_of_iam_is_not() {
        assert!(is_public("/api/v1/iam/auth/sign-in/email"));
        assert!(is_public("/api/v1/iam/auth/callback/github"));
        assert!(is_public("/api/v1/iam/auth/reset-password/tok123"));
        assert!(!is_public("/api/v1/iam/auth/callback/"));
        assert!(is_public("/api/v1/iam/auth/get-session"));
        assert!(!is_public("/api/v1/iam/auth/list-sessions"));
        assert!(!is_public("/api/v1/iam/auth/sign-in/email/extra"));
        assert!(!is_public("/api/v1/iam/nno/apikey"));
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
