//! NNO's shared vocabulary. Everything here is pure Rust (no `worker` dependency) so it
//! is unit-tested natively and reused by every service and by the native tools.
//!
//! Randomness is always passed in as bytes: the Worker glue draws them from the JS
//! runtime, tests use fixed bytes.

pub mod access;
pub mod api;
pub mod contracts;
pub mod cors;
pub mod encoding;
pub mod environment;
pub mod error;
pub mod health;
pub mod identity;
pub mod ids;
pub mod log;
pub mod naming;
pub mod page;
pub mod platform;
pub mod ratelimit;
pub mod request_id;
pub mod routing;
pub mod service;
pub mod trace;
pub mod urls;

pub use environment::Environment;
pub use error::{ApiError, ErrorCode};
pub use service::Service;
