//! Reading a Worker's non-secret configuration (`[vars]` in wrangler.toml).

use nno_core::Environment;
use worker::Env;

/// `ENVIRONMENT` var; a missing or unknown value is treated as production, the
/// strictest setting, rather than failing every request.
pub fn environment(env: &Env) -> Environment {
    var(env, "ENVIRONMENT")
        .and_then(|v| v.parse().ok())
        .unwrap_or(Environment::Prod)
}

pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}
