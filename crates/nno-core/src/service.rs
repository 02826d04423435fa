//! The seven NNO services and the names they go by.

use crate::environment::Environment;
use crate::ids::NNO_PLATFORM_ID;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Gateway,
    Iam,
    Registry,
    Billing,
    Provisioning,
    StackRegistry,
    Cli,
}

impl Service {
    pub const ALL: [Service; 7] = [
        Service::Gateway,
        Service::Iam,
        Service::Registry,
        Service::Billing,
        Service::Provisioning,
        Service::StackRegistry,
        Service::Cli,
    ];

    /// The six services behind the gateway.
    pub const UPSTREAMS: [Service; 6] = [
        Service::Iam,
        Service::Registry,
        Service::Billing,
        Service::Provisioning,
        Service::StackRegistry,
        Service::Cli,
    ];

    /// The service's short name: its folder under `services/` and its `SERVICE_NAME` var.
    pub const fn name(self) -> &'static str {
        match self {
            Service::Gateway => "gateway",
            Service::Iam => "iam",
            Service::Registry => "registry",
            Service::Billing => "billing",
            Service::Provisioning => "provisioning",
            Service::StackRegistry => "stack-registry",
            Service::Cli => "cli",
        }
    }

    /// The service-binding name other Workers use to reach this one.
    pub const fn binding(self) -> &'static str {
        match self {
            Service::Gateway => "NNO_GATEWAY",
            Service::Iam => "NNO_IAM",
            Service::Registry => "NNO_REGISTRY",
            Service::Billing => "NNO_BILLING",
            Service::Provisioning => "NNO_PROVISIONING",
            Service::StackRegistry => "NNO_STACK_REGISTRY",
            Service::Cli => "NNO_CLI",
        }
    }

    /// The deployed Worker name, e.g. `nno-k3m9p2xw7q-gateway-stg`.
    pub fn worker_name(self, env: Environment) -> String {
        format!("nno-{NNO_PLATFORM_ID}-{}{}", self.name(), env.name_suffix())
    }

    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_names_follow_the_seed() {
        assert_eq!(
            Service::Gateway.worker_name(Environment::Prod),
            "nno-k3m9p2xw7q-gateway"
        );
        assert_eq!(
            Service::StackRegistry.worker_name(Environment::Stg),
            "nno-k3m9p2xw7q-stack-registry-stg"
        );
    }

    #[test]
    fn names_round_trip() {
        for s in Service::ALL {
            assert_eq!(Service::from_name(s.name()), Some(s));
        }
        assert_eq!(Service::from_name("auth"), None);
    }
}
