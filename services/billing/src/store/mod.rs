//! Every SQL statement billing runs. Invariants live in the statements: a Stripe id
//! is only set where none is (a retried onboarding step keeps the first), and a
//! subscription's state is only overwritten by a read at least as new as the one it
//! holds.

pub mod events;
pub mod subscriptions;
pub mod usage;

use wasm_bindgen::JsValue;

pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub fn n(v: i64) -> JsValue {
    JsValue::from_f64(v as f64)
}

pub fn on(v: Option<i64>) -> JsValue {
    v.map(n).unwrap_or(JsValue::NULL)
}

pub use nno_worker::d1::opt;
