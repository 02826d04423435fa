//! Worker glue shared by all NNO services. Pure logic lives in `nno-core`; this crate
//! wraps it around the workers-rs types.

pub mod body;
pub mod caller;
pub mod client;
pub mod config;
pub mod context;
pub mod crypto;
pub mod d1;
pub mod health;
pub mod log;
pub mod mail;
pub mod outbound;
pub mod platform_access;
pub mod respond;
pub mod runtime;
pub mod serve;

pub use context::RequestContext;
pub use nno_core::{ApiError, ErrorCode};
pub use serve::{method_not_allowed, no_routes, route_not_found, serve, Probe, ServiceSpec};

/// What handlers return: a response, or an error that becomes the JSON envelope.
pub type ApiResult<T = worker::Response> = Result<T, ApiError>;
