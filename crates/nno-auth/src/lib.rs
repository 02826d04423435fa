//! Authentication primitives shared by the gateway and IAM. Pure Rust: no `worker`
//! dependency, unit-tested natively against published test vectors.

pub mod caller;
pub mod ct;
pub mod password;
pub mod session;
pub mod totp;
pub mod validate;
