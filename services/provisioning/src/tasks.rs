//! Messages on the provision queue.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "task",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Task {
    /// Run a job from wherever it stands.
    Run { job_id: String },
    /// Poll a platform's pending custom hostnames for SSL.
    PollSsl { platform_id: String, round: u32 },
}

pub const QUEUE: &str = "PROVISION_QUEUE";
pub const DLQ: &str = "PROVISION_DLQ";

/// Sends `task`, delayed by `delay_seconds`.
pub async fn send(env: &worker::Env, task: &Task, delay_seconds: u32) -> worker::Result<()> {
    let q = env.queue(QUEUE)?;
    let mut m = worker::MessageBuilder::new(task.clone());
    if delay_seconds > 0 {
        m = m.delay_seconds(delay_seconds);
    }
    q.send(m.build()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_have_a_stable_wire_shape() {
        let t = Task::Run {
            job_id: "j1".into(),
        };
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({"task": "run", "jobId": "j1"})
        );
        let p: Task = serde_json::from_value(
            serde_json::json!({"task": "poll_ssl", "platformId": "p", "round": 2}),
        )
        .unwrap();
        assert_eq!(
            p,
            Task::PollSsl {
                platform_id: "p".into(),
                round: 2
            }
        );
    }
}
