//! Checks on request fields beyond their JSON types (422 with the field named).

use nno_core::contracts::provisioning::BootstrapRequest;
use nno_core::ids::PlatformId;
use nno_core::platform::Tier;
use nno_core::{ApiError, Environment, ErrorCode};
use serde_json::json;

pub fn invalid(field: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed, format!("{field}: {why}"))
        .with_details(json!({ "field": field }))
}

pub fn platform_id(field: &str, id: &str) -> Result<(), ApiError> {
    if PlatformId::is_valid(id) {
        Ok(())
    } else {
        Err(invalid(field, "expected 10 characters of a-z and 0-9"))
    }
}

fn bounded(field: &str, v: &str, max: usize) -> Result<(), ApiError> {
    if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
        Err(invalid(field, format!("1 to {max} printable characters")))
    } else {
        Ok(())
    }
}

/// The environment the platform's resources go to (`prod` unless `stg`).
pub fn bootstrap(r: &BootstrapRequest) -> Result<Environment, ApiError> {
    platform_id("platformId", &r.platform_id)?;
    if Tier::parse(&r.plan_tier).is_none() {
        return Err(invalid(
            "planTier",
            format!("one of {}", Tier::names().join(", ")),
        ));
    }
    bounded("billingEmail", &r.billing_email, 254)?;
    let at = r.billing_email.find('@').unwrap_or(0);
    if at == 0 || at + 1 >= r.billing_email.len() || r.billing_email.contains(char::is_whitespace) {
        return Err(invalid("billingEmail", "not an e-mail address"));
    }
    if let Some(e) = &r.default_entity_id {
        bounded("defaultEntityId", e, 64)?;
    }
    if let Some(t) = &r.owner_tenant_id {
        bounded("ownerTenantId", t, 128)?;
    }
    match r.environment.as_deref() {
        None | Some("prod") => Ok(Environment::Prod),
        Some("stg") => Ok(Environment::Stg),
        Some(_) => Err(invalid("environment", "prod or stg")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pid: &str, tier: &str, email: &str, env: Option<&str>) -> BootstrapRequest {
        BootstrapRequest {
            platform_id: pid.into(),
            plan_tier: tier.into(),
            billing_email: email.into(),
            default_entity_id: None,
            environment: env.map(str::to_string),
            owner_tenant_id: None,
        }
    }

    #[test]
    fn bootstrap_requests_are_checked_field_by_field() {
        assert_eq!(
            bootstrap(&req("abcdefghij", "starter", "a@b.co", None)).unwrap(),
            Environment::Prod
        );
        assert_eq!(
            bootstrap(&req("abcdefghij", "growth", "a@b.co", Some("stg"))).unwrap(),
            Environment::Stg
        );
        for (r, field) in [
            (req("ABCDEFGHIJ", "starter", "a@b.co", None), "platformId"),
            (req("short", "starter", "a@b.co", None), "platformId"),
            (req("abcdefghij", "gold", "a@b.co", None), "planTier"),
            (req("abcdefghij", "starter", "nobody", None), "billingEmail"),
            (req("abcdefghij", "starter", "a@", None), "billingEmail"),
            (
                req("abcdefghij", "starter", "a@b.co", Some("dev")),
                "environment",
            ),
        ] {
            assert_eq!(bootstrap(&r).unwrap_err().details["field"], field);
        }
    }
}
