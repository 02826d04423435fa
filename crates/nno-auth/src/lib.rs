//! Authentication primitives shared by the gateway and IAM. Pure Rust: no `worker`
//! dependency, unit-tested natively against published test vectors.

pub mod apikey;
pub mod backup;
pub mod caller;
pub mod ct;
pub mod guard;
pub mod password;
pub mod permissions;
pub mod pkce;
pub mod seal;
pub mod session;
pub mod totp;
pub mod validate;
