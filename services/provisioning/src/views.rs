//! Rows as the API and registry see them.

use crate::store::{JobRow, StepRow};
use nno_core::contracts::provisioning::{JobView, StepView};

pub fn job_view(job: &JobRow, steps: &[StepRow]) -> JobView {
    JobView {
        job_id: job.id.clone(),
        platform_id: job.platform_id.clone(),
        job_type: job.job_type(),
        status: job.status(),
        attempts: job.attempts as u32,
        steps: steps
            .iter()
            .map(|s| StepView {
                name: s.name.clone(),
                status: s.status(),
                attempts: s.attempts as u32,
                last_error: s.last_error.clone(),
                cloudflare_id: s.cloudflare_id.clone(),
            })
            .collect(),
        last_error: job.last_error.clone(),
        created_at: job.created_at as i64,
        updated_at: job.updated_at as i64,
    }
}
