//! The Cloudflare names and hostnames of a platform's default stack.

use nno_core::naming::{platform_hostname, HostType, ROOT_DOMAIN};
use nno_core::Environment;

pub const STACK: &str = "default";

pub fn auth_db(platform_id: &str, env: Environment) -> String {
    format!("{platform_id}-{STACK}-auth-db{}", env.name_suffix())
}

pub fn auth_worker(platform_id: &str, env: Environment) -> String {
    format!("{platform_id}-{STACK}-auth{}", env.name_suffix())
}

/// The console's Pages project (created lazily by a later job; hostnames point at it).
pub fn console_project(platform_id: &str, env: Environment) -> String {
    format!("{platform_id}-{STACK}-console{}", env.name_suffix())
}

/// `auth.svc[.stg].default.<pid>.nno.app`. Local runs use the production names.
pub fn auth_host(platform_id: &str, env: Environment) -> String {
    host("auth", HostType::Svc, platform_id, env)
}

pub fn console_host(platform_id: &str, env: Environment) -> String {
    host("console", HostType::App, platform_id, env)
}

fn host(name: &str, kind: HostType, platform_id: &str, env: Environment) -> String {
    let env = if env == Environment::Local {
        Environment::Prod
    } else {
        env
    };
    platform_hostname(name, kind, STACK, platform_id, env).unwrap_or_default()
}

/// The session cookie domain: one login covers every stack of the platform.
pub fn cookie_domain(platform_id: &str) -> String {
    format!(".{platform_id}.{ROOT_DOMAIN}")
}

/// Whether `hostname` belongs to the platform (`….<pid>.nno.app`).
pub fn is_platform_host(platform_id: &str, hostname: &str) -> bool {
    hostname.ends_with(&format!(".{platform_id}.{ROOT_DOMAIN}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_naming_rules() {
        let p = "k3m9p2xw7q";
        assert_eq!(auth_db(p, Environment::Prod), "k3m9p2xw7q-default-auth-db");
        assert_eq!(
            auth_db(p, Environment::Stg),
            "k3m9p2xw7q-default-auth-db-stg"
        );
        assert_eq!(auth_worker(p, Environment::Prod), "k3m9p2xw7q-default-auth");
        assert_eq!(
            auth_host(p, Environment::Prod),
            "auth.svc.default.k3m9p2xw7q.nno.app"
        );
        assert_eq!(
            auth_host(p, Environment::Stg),
            "auth.svc.stg.default.k3m9p2xw7q.nno.app"
        );
        assert_eq!(
            console_host(p, Environment::Local),
            "console.app.default.k3m9p2xw7q.nno.app"
        );
        for n in [
            auth_db(p, Environment::Stg),
            auth_worker(p, Environment::Stg),
            console_project(p, Environment::Stg),
        ] {
            assert_eq!(nno_core::naming::validate_resource_name(&n), Ok(()));
        }
        assert!(is_platform_host(p, "auth.svc.default.k3m9p2xw7q.nno.app"));
        assert!(!is_platform_host(p, "auth.svc.default.other12345.nno.app"));
        assert_eq!(cookie_domain(p), ".k3m9p2xw7q.nno.app");
    }
}
