//! Provisioning's SQL, all of it, as prepared statements against the `DB` binding.
//! Numbers cross from D1 as JS numbers: rows read them as `f64`.

mod jobs;
mod resources;
mod steps;

pub use jobs::*;
pub use resources::*;
pub use steps::*;

use nno_core::ApiError;
use nno_worker::d1::Db;
use nno_worker::RequestContext;
use wasm_bindgen::JsValue;
use worker::Env;

pub fn db(env: &Env, ctx: &RequestContext) -> Result<Db, ApiError> {
    Db::bind(env, "DB", ctx)
}

pub(crate) fn num(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}
