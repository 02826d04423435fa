//! Naming rules for Cloudflare resources and NNO hostnames.
//!
//! Effective rule for every resource name: `[a-z0-9-]`, 1 to 63 characters, no leading
//! or trailing hyphen (the strictest of Workers, Pages, R2, Queues, D1 and KV limits).

use crate::environment::Environment;
use crate::ids::NNO_PLATFORM_ID;

pub const MAX_RESOURCE_NAME: usize = 63;
pub const ROOT_DOMAIN: &str = "nno.app";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name is {0} characters long; the limit is 63")]
    TooLong(usize),
    #[error("name may only contain a-z, 0-9 and '-'")]
    BadCharacter,
    #[error("name may not start or end with '-'")]
    EdgeHyphen,
}

pub fn validate_resource_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_RESOURCE_NAME {
        return Err(NameError::TooLong(name.len()));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(NameError::BadCharacter);
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(NameError::EdgeHyphen);
    }
    Ok(())
}

/// Kind of host: `.app` is a user-facing frontend (Pages), `.svc` a Worker API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostType {
    App,
    Svc,
}

impl HostType {
    pub const fn as_str(self) -> &'static str {
        match self {
            HostType::App => "app",
            HostType::Svc => "svc",
        }
    }
}

/// NNO core hostnames (pattern A): `<name>.<type>.nno.app`, `<name>.<type>.stg.nno.app`.
/// Local has no hostnames.
pub fn core_hostname(name: &str, kind: HostType, env: Environment) -> Option<String> {
    match env {
        Environment::Prod => Some(format!("{name}.{}.{ROOT_DOMAIN}", kind.as_str())),
        Environment::Stg => Some(format!("{name}.{}.stg.{ROOT_DOMAIN}", kind.as_str())),
        Environment::Local => None,
    }
}

/// Client-platform hostnames (pattern B): `<name>.<type>[.stg].<stack>.<pid>.nno.app`.
pub fn platform_hostname(
    name: &str,
    kind: HostType,
    stack: &str,
    platform_id: &str,
    env: Environment,
) -> Option<String> {
    let stg = match env {
        Environment::Prod => "",
        Environment::Stg => "stg.",
        Environment::Local => return None,
    };
    Some(format!(
        "{name}.{}.{stg}{stack}.{platform_id}.{ROOT_DOMAIN}",
        kind.as_str()
    ))
}

/// The D1 database name of one of NNO's own services, e.g. `nno-k3m9p2xw7q-iam-db-stg`.
pub fn core_database_name(service: &str, env: Environment) -> String {
    format!("nno-{NNO_PLATFORM_ID}-{service}-db{}", env.name_suffix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names() {
        assert_eq!(validate_resource_name("nno-k3m9p2xw7q-gateway"), Ok(()));
        assert_eq!(validate_resource_name(""), Err(NameError::Empty));
        assert_eq!(
            validate_resource_name(&"a".repeat(64)),
            Err(NameError::TooLong(64))
        );
        assert_eq!(validate_resource_name(&"a".repeat(63)), Ok(()));
        assert_eq!(
            validate_resource_name("Gateway"),
            Err(NameError::BadCharacter)
        );
        assert_eq!(validate_resource_name("a_b"), Err(NameError::BadCharacter));
        assert_eq!(validate_resource_name("-ab"), Err(NameError::EdgeHyphen));
    }

    #[test]
    fn core_hostnames() {
        assert_eq!(
            core_hostname("gateway", HostType::Svc, Environment::Prod).as_deref(),
            Some("gateway.svc.nno.app")
        );
        assert_eq!(
            core_hostname("console", HostType::App, Environment::Stg).as_deref(),
            Some("console.app.stg.nno.app")
        );
        assert_eq!(
            core_hostname("gateway", HostType::Svc, Environment::Local),
            None
        );
    }

    #[test]
    fn platform_hostnames() {
        assert_eq!(
            platform_hostname(
                "auth",
                HostType::Svc,
                "default",
                "k3m9p2xw7q",
                Environment::Prod
            )
            .as_deref(),
            Some("auth.svc.default.k3m9p2xw7q.nno.app")
        );
        assert_eq!(
            platform_hostname(
                "crm",
                HostType::App,
                "x7y8z9w0q1",
                "k3m9p2xw7q",
                Environment::Stg
            )
            .as_deref(),
            Some("crm.app.stg.x7y8z9w0q1.k3m9p2xw7q.nno.app")
        );
    }

    #[test]
    fn database_names() {
        assert_eq!(
            core_database_name("iam", Environment::Prod),
            "nno-k3m9p2xw7q-iam-db"
        );
        assert_eq!(
            core_database_name("registry", Environment::Stg),
            "nno-k3m9p2xw7q-registry-db-stg"
        );
    }
}
