//! The gateway's configuration, read once per isolate: vars do not change while an
//! isolate lives, and re-parsing the CORS list on every request is wasted work.

use nno_core::cors::CorsPolicy;
use nno_core::Environment;
use std::cell::OnceCell;
use std::rc::Rc;
use worker::Env;

pub struct GatewayConfig {
    pub environment: Environment,
    pub cors: CorsPolicy,
    /// The service key (secret `AUTH_API_KEY`); without it, that way in is closed.
    pub auth_api_key: Option<String>,
    /// The key upstreams verify the forwarded identity with (secret
    /// `NNO_INTERNAL_API_KEY`); without it nothing can be forwarded.
    pub internal_key: Option<String>,
}

thread_local! {
    static CONFIG: OnceCell<Rc<GatewayConfig>> = const { OnceCell::new() };
}

pub fn get(env: &Env) -> Rc<GatewayConfig> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| {
            Rc::new(GatewayConfig {
                environment: nno_worker::config::environment(env),
                cors: CorsPolicy::parse(
                    &nno_worker::config::var(env, "CORS_ORIGINS").unwrap_or_default(),
                ),
                auth_api_key: secret(env, "AUTH_API_KEY"),
                internal_key: secret(env, nno_worker::caller::SECRET),
            })
        })
        .clone()
    })
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty())
}
