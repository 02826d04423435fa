//! Helpers for tests that act as people: unique addresses and client IPs, sign-up,
//! JSON calls through the gateway with a session token, and the sandbox's captured
//! e-mails.

use crate::{gateway, send, unique_ip, Reply};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

pub const PASSWORD: &str = "correct horse battery";
/// A trusted origin of the local environment (the console's).
pub const ORIGIN: &str = "http://localhost:5174";

/// The sandbox (`cargo xtask test` starts it).
pub fn sandbox() -> String {
    std::env::var("NNO_E2E_SANDBOX").unwrap_or_else(|_| "http://127.0.0.1:8790".into())
}

pub fn url(path: &str) -> String {
    format!("{}/api/v1/iam{path}", gateway())
}

/// A fresh address per call.
pub fn email(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}-{}-{}-{}@example.com",
        std::process::id(),
        crate::unique_ip().replace('.', ""),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct Person {
    pub email: String,
    pub token: String,
    pub id: String,
}

impl Person {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    pub fn post(&self, path: &str, body: &Value) -> Reply {
        call("POST", path, Some(body), Some(&self.bearer()))
    }

    pub fn get(&self, path: &str) -> Reply {
        call("GET", path, None, Some(&self.bearer()))
    }

    pub fn delete(&self, path: &str) -> Reply {
        call("DELETE", path, None, Some(&self.bearer()))
    }

    /// Proves the address by following the verification e-mail (invitations need a
    /// verified inviter and invitee); nothing to do when it already is.
    pub fn verify(&self) {
        let s = self.get("/auth/get-session");
        if s.json()["user"]["emailVerified"] == true {
            return;
        }
        let sent = self.post(
            "/auth/send-verification-email",
            &json!({"email": self.email}),
        );
        assert_eq!(sent.status, 200, "verification: {}", sent.body);
        let token = from_last_email(&self.email, "Verification token");
        let ip = unique_ip();
        let v = crate::get(
            &url(&format!("/auth/verify-email?token={token}")),
            &[("cf-connecting-ip", &ip)],
        );
        assert_eq!(v.status, 200, "verify-email: {}", v.body);
    }
}

/// A call through the gateway from its own client IP, with an optional
/// `Authorization` value.
pub fn call(method: &str, path: &str, body: Option<&Value>, authorization: Option<&str>) -> Reply {
    let ip = unique_ip();
    let mut h = vec![("cf-connecting-ip", ip.as_str())];
    if body.is_some() {
        h.push(("content-type", "application/json"));
    }
    if let Some(a) = authorization {
        h.push(("authorization", a));
    }
    let bytes = body.map(|b| b.to_string().into_bytes());
    send(method, &url(path), &h, bytes.as_deref())
}

pub fn sign_up(tag: &str) -> Person {
    let email = email(tag);
    let r = call(
        "POST",
        "/auth/sign-up/email",
        Some(&json!({"name": format!("{tag} person"), "email": email, "password": PASSWORD})),
        None,
    );
    assert_eq!(r.status, 200, "sign-up: {}", r.body);
    let v = r.json();
    Person {
        email,
        token: v["token"].as_str().expect("token").to_string(),
        id: v["user"]["id"].as_str().expect("id").to_string(),
    }
}

pub fn sign_in(email: &str, password: &str) -> Reply {
    call(
        "POST",
        "/auth/sign-in/email",
        Some(&json!({"email": email, "password": password})),
        None,
    )
}

/// A failed sign-in from client address `ip`, for a fresh unknown address each time,
/// so only the per-IP limit (never the per-account budget) is what it meets.
pub fn wrong_sign_in_from(ip: &str) -> Reply {
    let body = json!({"email": email("nobody"), "password": "guess-guess"});
    crate::send(
        "POST",
        &url("/auth/sign-in/email"),
        &[
            ("content-type", "application/json"),
            ("cf-connecting-ip", ip),
        ],
        Some(body.to_string().as_bytes()),
    )
}

/// Captured e-mails to `to`, oldest first.
pub fn emails_to(to: &str) -> Vec<Value> {
    let r = crate::get(&format!("{}/_sandbox/emails?to={to}", sandbox()), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["data"].as_array().cloned().unwrap_or_default()
}

/// The value after `label: ` on a line of the newest e-mail to `to` that has one.
/// Some e-mails are sent after IAM has answered (so the answer's timing does not tell
/// whether an address is known), so this waits up to 10 s for one to arrive.
pub fn from_last_email(to: &str, label: &str) -> String {
    let prefix = format!("{label}: ");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = emails_to(to).iter().rev().find_map(|m| {
            m["text"]
                .as_str()
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .map(|v| v.trim().to_string())
        });
        if let Some(v) = found {
            return v;
        }
        if std::time::Instant::now() > deadline {
            panic!("no e-mail to {to} with {label:?}: {:?}", emails_to(to));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The cookie pair (`name=value`) of the `Set-Cookie` named `name` in a reply.
pub fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .find(|pair| pair.starts_with(&format!("{name}=")) && !pair.ends_with('='))
}

/// A GitHub sign-in as `email` through the sandbox, up to the callback (which
/// exchanges the code with the provider); `cookie` rides along with the state cookie.
pub fn github_callback(email: &str, cookie: Option<&str>) -> Reply {
    let started = call(
        "POST",
        "/auth/sign-in/social",
        Some(&json!({"provider": "github", "callbackURL": "/dash"})),
        None,
    );
    assert_eq!(started.status, 200, "{}", started.body);
    let provider = started.json()["url"].as_str().unwrap().to_string();
    let state = set_cookie(&started, "better-auth.state").expect("state cookie");
    let approved = crate::get(&format!("{provider}&login={email}"), &[]);
    assert_eq!(approved.status, 302, "{}", approved.body);
    let location = approved.header("location").unwrap();
    let at = location.find("/api/v1/iam/").expect("callback path");
    let cookies = match cookie {
        Some(c) => format!("{state}; {c}"),
        None => state,
    };
    let ip = unique_ip();
    crate::get(
        &url(&location[at + "/api/v1/iam".len()..]),
        &[
            ("origin", ORIGIN),
            ("cookie", &cookies),
            ("cf-connecting-ip", &ip),
        ],
    )
}

/// Creates an organization for `owner` and returns its id.
pub fn create_org(owner: &Person, name: &str) -> String {
    let slug = email("org").split('@').next().unwrap().to_string();
    let r = owner.post(
        "/auth/organization/create",
        &json!({"name": name, "slug": slug}),
    );
    assert_eq!(r.status, 200, "create org: {}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

/// Invites `who` into `org` with `role` and has them accept; returns the member id.
/// Both addresses are verified first, as invitations require.
pub fn join(owner: &Person, who: &Person, org: &str, role: &str) -> String {
    owner.verify();
    who.verify();
    let inv = owner.post(
        "/auth/organization/invite-member",
        &json!({"email": who.email, "role": role, "organizationId": org}),
    );
    assert_eq!(inv.status, 200, "invite: {}", inv.body);
    let id = from_last_email(&who.email, "Invitation id");
    assert_eq!(id, inv.json()["id"].as_str().unwrap());
    let acc = who.post(
        "/auth/organization/accept-invitation",
        &json!({"invitationId": id}),
    );
    assert_eq!(acc.status, 200, "accept: {}", acc.body);
    acc.json()["member"]["id"].as_str().unwrap().to_string()
}
