//! What each job type does, as data: the steps of BOOTSTRAP_PLATFORM,
//! DEPROVISION_PLATFORM and RECONCILE_PLATFORM, the names of what they create, and the
//! auth Worker's upload metadata. Pure; the runner executes the steps (`exec`).

pub mod auth_worker;
pub mod names;
pub mod plan;
pub mod steps;

pub use steps::{RecordKind, StepKind};
