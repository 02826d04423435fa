//! OAuth 2.0 authorization code flow with PKCE, in GitHub's and Google's shapes.

use crate::http::{lock, Incoming, Reply};
use crate::state::{random_hex, Grant, Sandbox};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::time::Duration;

const DEFAULT_EMAIL: &str = "octo@example.com";
const CODE_TTL: Duration = Duration::from_secs(600);

fn error(status: u16, error: &str, description: &str) -> Reply {
    Reply::Json(
        status,
        json!({ "error": error, "error_description": description }),
    )
}

pub fn authorize(req: &Incoming, sandbox: &Mutex<Sandbox>, provider: &'static str) -> Reply {
    let q = &req.query;
    let mut s = lock(sandbox);
    let client = if provider == "github" {
        &s.github
    } else {
        &s.google
    };
    if q.get("client_id") != Some(&client.id) {
        return error(400, "invalid_client", "unknown client_id");
    }
    let Some(redirect_uri) = q.get("redirect_uri").filter(|r| r.starts_with("http")) else {
        return error(400, "invalid_request", "redirect_uri is required");
    };
    if provider == "google" && q.get("response_type").map(String::as_str) != Some("code") {
        return error(
            400,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    let challenge = q.get("code_challenge").cloned();
    if challenge.is_some() && q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return error(400, "invalid_request", "code_challenge_method must be S256");
    }
    if provider == "google" && challenge.is_none() {
        return error(400, "invalid_request", "code_challenge is required");
    }
    let email = q
        .get(if provider == "github" {
            "login"
        } else {
            "login_hint"
        })
        .filter(|e| e.contains('@'))
        .cloned()
        .unwrap_or_else(|| DEFAULT_EMAIL.to_string());
    let email_verified = q.get("email_verified").map(String::as_str) != Some("false");
    let code = random_hex();
    let state = q.get("state").cloned().unwrap_or_default();
    let location = format!(
        "{redirect_uri}{}code={code}&state={}",
        if redirect_uri.contains('?') { '&' } else { '?' },
        nno_core::urls::encode(&state)
    );
    let client_id = client.id.clone();
    s.codes.insert(
        code,
        Grant {
            provider,
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge,
            email,
            email_verified,
            issued: std::time::Instant::now(),
        },
    );
    Reply::Redirect(location)
}

pub fn token(req: &Incoming, sandbox: &Mutex<Sandbox>, provider: &'static str) -> Reply {
    let f = req.fields();
    let mut s = lock(sandbox);
    let client = if provider == "github" {
        &s.github
    } else {
        &s.google
    };
    if f.get("client_id") != Some(&client.id) || f.get("client_secret") != Some(&client.secret) {
        return error(401, "invalid_client", "client authentication failed");
    }
    if provider == "google" && f.get("grant_type").map(String::as_str) != Some("authorization_code")
    {
        return error(
            400,
            "unsupported_grant_type",
            "grant_type must be authorization_code",
        );
    }
    // Codes are single use: taken out whether or not the rest checks out.
    let Some(grant) = f.get("code").and_then(|c| s.codes.remove(c)) else {
        return error(
            400,
            "invalid_grant",
            "the code is unknown or was already used",
        );
    };
    if grant.provider != provider || grant.issued.elapsed() > CODE_TTL {
        return error(400, "invalid_grant", "the code expired");
    }
    if f.get("redirect_uri") != Some(&grant.redirect_uri)
        || f.get("client_id") != Some(&grant.client_id)
    {
        return error(
            400,
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        );
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = f.get("code_verifier").cloned().unwrap_or_default();
        if nno_auth::pkce::challenge_s256(&verifier) != *challenge {
            return error(400, "invalid_grant", "PKCE verification failed");
        }
    }
    let access = format!("sbx_{}", random_hex());
    s.tokens.insert(
        access.clone(),
        (provider, grant.email.clone(), grant.email_verified),
    );
    if provider == "github" {
        return Reply::Json(
            200,
            json!({ "access_token": access, "token_type": "bearer", "scope": "read:user,user:email" }),
        );
    }
    let id_token = id_token(&grant.email, grant.email_verified, &grant.client_id);
    Reply::Json(
        200,
        json!({ "access_token": access, "expires_in": 3599, "token_type": "Bearer",
                "scope": "openid email profile", "id_token": id_token }),
    )
}

/// A stable numeric id for an e-mail address.
fn user_number(email: &str) -> u64 {
    let h = Sha256::digest(email.as_bytes());
    u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]) >> 20
}

fn display_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    local
        .split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn id_token(email: &str, email_verified: bool, audience: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"sandbox","typ":"JWT"}"#);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = json!({
        "iss": "https://accounts.google.com", "aud": audience, "sub": user_number(email).to_string(),
        "email": email, "email_verified": email_verified, "name": display_name(email),
        "picture": Value::Null, "iat": now, "exp": now + 3600,
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{header}.{payload}")));
    format!("{header}.{payload}.{signature}")
}

/// The GitHub user behind the request's token: e-mail and whether it is verified.
fn bearer_email(req: &Incoming, sandbox: &Mutex<Sandbox>) -> Option<(String, bool)> {
    let token = req.header("authorization").and_then(|a| {
        a.strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("token "))
    })?;
    match lock(sandbox).tokens.get(token) {
        Some(("github", email, verified)) => Some((email.clone(), *verified)),
        _ => None,
    }
}

pub fn github_user(req: &Incoming, sandbox: &Mutex<Sandbox>) -> Reply {
    let Some((email, _)) = bearer_email(req, sandbox) else {
        return Reply::Json(401, json!({ "message": "Bad credentials" }));
    };
    let login = email.split('@').next().unwrap_or("octo").to_string();
    Reply::Json(
        200,
        json!({ "id": user_number(&email), "login": login, "name": display_name(&email),
                "email": Value::Null, "avatar_url": format!("https://avatars.example/{login}") }),
    )
}

pub fn github_emails(req: &Incoming, sandbox: &Mutex<Sandbox>) -> Reply {
    let Some((email, verified)) = bearer_email(req, sandbox) else {
        return Reply::Json(401, json!({ "message": "Bad credentials" }));
    };
    Reply::Json(
        200,
        json!([{ "email": email, "primary": true, "verified": verified, "visibility": "private" }]),
    )
}
