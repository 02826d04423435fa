//! The three deployment environments.

use std::fmt;
use std::str::FromStr;

/// Where a Worker runs. Production is wrangler's default environment; staging is
/// `[env.stg]`; local is `wrangler dev` through `cargo xtask dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    Local,
    Stg,
    Prod,
}

impl Environment {
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Stg => "stg",
            Environment::Prod => "prod",
        }
    }

    /// Suffix added to Worker, database and Pages names (`-stg` in staging only: local
    /// runs under the production names, as `wrangler dev` does).
    pub const fn name_suffix(self) -> &'static str {
        match self {
            Environment::Stg => "-stg",
            Environment::Local | Environment::Prod => "",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment {0:?}: expected local, stg or prod")]
pub struct UnknownEnvironment(pub String);

impl FromStr for Environment {
    type Err = UnknownEnvironment;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "local" | "dev" | "development" => Ok(Environment::Local),
            "stg" | "staging" => Ok(Environment::Stg),
            "prod" | "production" => Ok(Environment::Prod),
            other => Err(UnknownEnvironment(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases() {
        assert_eq!("local".parse::<Environment>(), Ok(Environment::Local));
        assert_eq!("staging".parse::<Environment>(), Ok(Environment::Stg));
        assert_eq!("stg".parse::<Environment>(), Ok(Environment::Stg));
        assert_eq!("production".parse::<Environment>(), Ok(Environment::Prod));
        assert!("qa".parse::<Environment>().is_err());
    }

    #[test]
    fn only_staging_has_a_suffix() {
        assert_eq!(Environment::Stg.name_suffix(), "-stg");
        assert_eq!(Environment::Prod.name_suffix(), "");
        assert_eq!(Environment::Local.name_suffix(), "");
    }
}
