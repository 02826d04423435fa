//! The step engine, written once for every job type, as pure logic: which step runs
//! next (forward, or rolling back in reverse), how a Cloudflare answer is classified,
//! how long a transient failure waits, and whether an adopted resource counts as this
//! job's own. The queue consumer (`runner`) does the I/O around these decisions.

mod next;
mod retry;

pub use next::{next, Next, Phase, StepState};
pub use retry::{backoff_seconds, classify, created_by_job, Class, RetryPolicy};
