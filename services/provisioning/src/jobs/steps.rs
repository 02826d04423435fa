//! Step kinds and their stored names. A step's name says what it does and, for
//! per-resource steps, to what: `register_hostname:<hostname>`, `remove_<kind>:<name>`.

use nno_core::platform::ResourceKind;

/// What provisioning records of a platform (its `resources` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    D1,
    Worker,
    /// A Workers custom domain (the route of a hostname to a Worker).
    WorkerDomain,
    /// A Cloudflare for SaaS custom hostname, with its SSL status.
    CustomHostname,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [
        RecordKind::D1,
        RecordKind::Worker,
        RecordKind::WorkerDomain,
        RecordKind::CustomHostname,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::D1 => "d1",
            RecordKind::Worker => "worker",
            RecordKind::WorkerDomain => "worker_domain",
            RecordKind::CustomHostname => "custom_hostname",
        }
    }

    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How registry names the kind.
    pub fn resource_kind(self) -> ResourceKind {
        match self {
            RecordKind::D1 => ResourceKind::D1,
            RecordKind::Worker => ResourceKind::Worker,
            RecordKind::WorkerDomain | RecordKind::CustomHostname => ResourceKind::Hostname,
        }
    }

    /// Kept by a deprovision unless it purges.
    pub fn is_data(self) -> bool {
        self == RecordKind::D1
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    CreateAuthDb,
    MigrateAuthDb,
    UploadAuthWorker,
    SetAuthSecret,
    RouteAuthDomain,
    RegisterHostname(String),
    Remove(RecordKind, String),
}

impl StepKind {
    pub fn name(&self) -> String {
        match self {
            StepKind::CreateAuthDb => "create_auth_db".into(),
            StepKind::MigrateAuthDb => "migrate_auth_db".into(),
            StepKind::UploadAuthWorker => "upload_auth_worker".into(),
            StepKind::SetAuthSecret => "set_auth_secret".into(),
            StepKind::RouteAuthDomain => "route_auth_domain".into(),
            StepKind::RegisterHostname(h) => format!("register_hostname:{h}"),
            StepKind::Remove(k, n) => format!("remove_{}:{n}", k.as_str()),
        }
    }

    pub fn parse(name: &str) -> Option<StepKind> {
        Some(match name {
            "create_auth_db" => StepKind::CreateAuthDb,
            "migrate_auth_db" => StepKind::MigrateAuthDb,
            "upload_auth_worker" => StepKind::UploadAuthWorker,
            "set_auth_secret" => StepKind::SetAuthSecret,
            "route_auth_domain" => StepKind::RouteAuthDomain,
            _ => {
                let (head, rest) = name.split_once(':')?;
                if head == "register_hostname" {
                    StepKind::RegisterHostname(rest.to_string())
                } else {
                    let kind = RecordKind::parse(head.strip_prefix("remove_")?)?;
                    StepKind::Remove(kind, rest.to_string())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_round_trip() {
        let all = [
            StepKind::CreateAuthDb,
            StepKind::MigrateAuthDb,
            StepKind::UploadAuthWorker,
            StepKind::SetAuthSecret,
            StepKind::RouteAuthDomain,
            StepKind::RegisterHostname("auth.svc.default.p.nno.app".into()),
            StepKind::Remove(
                RecordKind::WorkerDomain,
                "auth.svc.default.p.nno.app".into(),
            ),
            StepKind::Remove(RecordKind::D1, "p-default-auth-db".into()),
        ];
        for s in all {
            assert_eq!(StepKind::parse(&s.name()), Some(s));
        }
        assert_eq!(StepKind::parse("remove_nothing:x"), None);
        assert_eq!(StepKind::parse("drop_tables"), None);
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::parse(k.as_str()), Some(k));
        }
    }
}
