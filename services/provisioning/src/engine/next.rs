//! Which step of a job comes next.

use nno_core::contracts::provisioning::{JobStatus, StepStatus};

/// A job runs its steps forward until all are done; after a permanent failure it rolls
/// back the steps it completed, last first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Forward,
    Rollback,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Forward => "forward",
            Phase::Rollback => "rollback",
        }
    }

    pub fn parse(s: &str) -> Phase {
        if s == "rollback" {
            Phase::Rollback
        } else {
            Phase::Forward
        }
    }
}

/// What the engine needs of a step row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepState {
    pub position: u32,
    pub status: StepStatus,
    /// A consumer holds the step until then (Unix ms); 0 when nobody does.
    pub lease_until: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Run (or re-run after an expired lease) the step at this position.
    Run(u32),
    /// Undo the completed step at this position.
    RollBack(u32),
    /// Another consumer holds the step that comes next: leave the job to it.
    Held,
    /// Nothing left: the job ends with this status.
    Finish(JobStatus),
}

/// Steps are given in position order. Forward: the first step not done; a `Running`
/// one whose lease has expired was abandoned (its consumer died) and is taken over.
/// A `Failed` step in the forward phase means the switch to rollback was not written
/// yet: roll back. Rollback: the last `Done` step; none left is the end (failed).
pub fn next(phase: Phase, steps: &[StepState], now_ms: i64) -> Next {
    if phase == Phase::Forward {
        for s in steps {
            match s.status {
                StepStatus::Done => continue,
                StepStatus::Pending => return Next::Run(s.position),
                StepStatus::Running if s.lease_until <= now_ms => return Next::Run(s.position),
                StepStatus::Running => return Next::Held,
                StepStatus::Failed | StepStatus::RolledBack => {
                    return next(Phase::Rollback, steps, now_ms)
                }
            }
        }
        return Next::Finish(JobStatus::Succeeded);
    }
    for s in steps.iter().rev() {
        match s.status {
            StepStatus::Done if s.lease_until > now_ms => return Next::Held,
            StepStatus::Done => return Next::RollBack(s.position),
            // A step interrupted mid-run may have created something: undo it too.
            StepStatus::Running if s.lease_until <= now_ms => return Next::RollBack(s.position),
            StepStatus::Running => return Next::Held,
            _ => continue,
        }
    }
    Next::Finish(JobStatus::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use StepStatus::*;

    fn steps(list: &[(StepStatus, i64)]) -> Vec<StepState> {
        list.iter()
            .enumerate()
            .map(|(i, (status, lease))| StepState {
                position: i as u32,
                status: *status,
                lease_until: *lease,
            })
            .collect()
    }

    #[test]
    fn forward_runs_the_first_step_not_done() {
        assert_eq!(
            next(
                Phase::Forward,
                &steps(&[(Done, 0), (Pending, 0), (Pending, 0)]),
                10
            ),
            Next::Run(1)
        );
        assert_eq!(
            next(Phase::Forward, &steps(&[(Pending, 0), (Pending, 0)]), 10),
            Next::Run(0)
        );
        assert_eq!(
            next(Phase::Forward, &steps(&[(Done, 0), (Done, 0)]), 10),
            Next::Finish(JobStatus::Succeeded)
        );
        assert_eq!(
            next(Phase::Forward, &[], 10),
            Next::Finish(JobStatus::Succeeded)
        );
    }

    #[test]
    fn a_leased_step_is_left_alone_until_its_lease_expires() {
        let s = steps(&[(Done, 0), (Running, 100)]);
        assert_eq!(next(Phase::Forward, &s, 50), Next::Held);
        assert_eq!(next(Phase::Forward, &s, 100), Next::Run(1));
    }

    #[test]
    fn rollback_undoes_completed_steps_last_first() {
        let s = steps(&[(Done, 0), (Done, 0), (Failed, 0), (Pending, 0)]);
        assert_eq!(next(Phase::Rollback, &s, 10), Next::RollBack(1));
        // A failed step seen in the forward phase switches to rollback.
        assert_eq!(next(Phase::Forward, &s, 10), Next::RollBack(1));
        let s = steps(&[(Done, 0), (RolledBack, 0), (Failed, 0)]);
        assert_eq!(next(Phase::Rollback, &s, 10), Next::RollBack(0));
        let s = steps(&[(RolledBack, 0), (RolledBack, 0), (Failed, 0), (Pending, 0)]);
        assert_eq!(
            next(Phase::Rollback, &s, 10),
            Next::Finish(JobStatus::Failed)
        );
    }

    #[test]
    fn rollback_waits_for_a_step_being_undone_and_retakes_abandoned_ones() {
        let s = steps(&[(Done, 0), (Done, 500)]);
        assert_eq!(next(Phase::Rollback, &s, 10), Next::Held);
        let s = steps(&[(Done, 0), (Running, 5), (Failed, 0)]);
        assert_eq!(next(Phase::Rollback, &s, 10), Next::RollBack(1));
    }

    #[test]
    fn phases_round_trip() {
        for p in [Phase::Forward, Phase::Rollback] {
            assert_eq!(Phase::parse(p.as_str()), p);
        }
    }
}
