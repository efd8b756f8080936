//! The one state machine: every transition of the BITS job life cycle, and nowhere else.
//!
//! [`next`] takes the current state, the job type and what happened, and answers the new state
//! or the BITS error for "not allowed now". Callers never decide transitions themselves.

use crate::error::ErrorCode;
use crate::job::{JobState, JobType};

/// Something that may move a job to another state. Numbers refer to bits-spec.md §1.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The caller resumes the job (T2, T3, T18, T19). `has_files` is false for an empty job.
    Resume {
        /// Whether the job holds at least one file.
        has_files: bool,
    },
    /// The caller suspends the job (T20).
    Suspend,
    /// The caller, or the inactivity sweep, cancels the job (T21, T27).
    Cancel,
    /// The caller completes the job (T22–T25). `all_renamed` is false when a rename failed.
    Complete {
        /// Whether every kept file reached its final name.
        all_renamed: bool,
    },
    /// A file is added (T26: allowed in every non-final state; the state does not change).
    AddFile,
    /// A setter is called (allowed in every non-final state; the state does not change).
    SetProperty,
    /// The scheduler gives the job its turn (T4).
    Scheduled,
    /// The server answered (T5).
    Connected,
    /// The scheduler takes the slot back: time slice over, pre-empted, owner logged off (T7, T13).
    Descheduled,
    /// Every file (and the reply) arrived (T8).
    AllTransferred,
    /// A recoverable failure (T6, T9, T11).
    TransientFailure,
    /// A failure that needs the user (T10, T15, T17).
    FatalFailure,
    /// The retry delay passed, or the network came back (T12, T14, T16).
    Retry,
}

/// The state after `trigger`, or the error code when the trigger is not allowed in `state`.
pub fn next(state: JobState, job_type: JobType, trigger: Trigger) -> Result<JobState, ErrorCode> {
    use JobState::*;
    use Trigger::*;
    if state.is_final() {
        return Err(ErrorCode::BG_E_INVALID_STATE);
    }
    let to = match (trigger, state) {
        (Resume { has_files: false }, _) => return Err(ErrorCode::BG_E_EMPTY),
        (Resume { .. }, Suspended | Error | TransientError) => Queued,
        (Resume { .. }, Transferred) => Queued,
        (Resume { .. }, Queued | Connecting | Transferring) => state,
        (Suspend, _) => Suspended,
        (Cancel, _) => Cancelled,
        (Complete { .. }, _) if job_type.is_upload() && state != Transferred => {
            return Err(ErrorCode::BG_E_INVALID_STATE)
        }
        (Complete { all_renamed: true }, _) => Acknowledged,
        (Complete { all_renamed: false }, _) => Transferred,
        (AddFile | SetProperty, _) => state,
        (Scheduled, Queued) => Connecting,
        (Connected, Connecting) => Transferring,
        (Connected, Transferring) => Transferring,
        (Descheduled, Connecting | Transferring) => Queued,
        (Descheduled, Queued) => Queued,
        (AllTransferred, Connecting | Transferring) => Transferred,
        (TransientFailure, Queued | Connecting | Transferring) => TransientError,
        (FatalFailure, Queued | Connecting | Transferring | TransientError) => Error,
        (Retry, TransientError) => Queued,
        _ => return Err(ErrorCode::BG_E_INVALID_STATE),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobState::*;

    const ALL: [JobState; 9] = [
        Queued,
        Connecting,
        Transferring,
        Suspended,
        Error,
        TransientError,
        Transferred,
        Acknowledged,
        Cancelled,
    ];

    #[test]
    fn final_states_refuse_every_trigger() {
        for state in [Acknowledged, Cancelled] {
            for trigger in [
                Trigger::Resume { has_files: true },
                Trigger::Suspend,
                Trigger::Cancel,
                Trigger::Complete { all_renamed: true },
                Trigger::SetProperty,
                Trigger::AddFile,
            ] {
                assert_eq!(
                    next(state, JobType::Download, trigger),
                    Err(ErrorCode::BG_E_INVALID_STATE),
                    "{state} must refuse {trigger:?}"
                );
            }
        }
    }

    #[test]
    fn resume_of_an_empty_job_is_bg_e_empty() {
        assert_eq!(
            next(
                Suspended,
                JobType::Download,
                Trigger::Resume { has_files: false }
            ),
            Err(ErrorCode::BG_E_EMPTY)
        );
    }

    #[test]
    fn resume_is_a_no_op_while_active() {
        for state in [Queued, Connecting, Transferring] {
            assert_eq!(
                next(
                    state,
                    JobType::Download,
                    Trigger::Resume { has_files: true }
                ),
                Ok(state)
            );
        }
    }

    #[test]
    fn resume_retries_errors_at_once() {
        for state in [Error, TransientError, Suspended] {
            assert_eq!(
                next(
                    state,
                    JobType::Download,
                    Trigger::Resume { has_files: true }
                ),
                Ok(Queued)
            );
        }
    }

    #[test]
    fn downloads_complete_from_any_non_final_state() {
        for state in ALL.iter().copied().filter(|s| !s.is_final()) {
            assert_eq!(
                next(
                    state,
                    JobType::Download,
                    Trigger::Complete { all_renamed: true }
                ),
                Ok(Acknowledged)
            );
            assert_eq!(
                next(
                    state,
                    JobType::Download,
                    Trigger::Complete { all_renamed: false }
                ),
                Ok(Transferred)
            );
        }
    }

    #[test]
    fn uploads_complete_only_when_transferred() {
        for job_type in [JobType::Upload, JobType::UploadReply] {
            for state in ALL.iter().copied().filter(|s| !s.is_final()) {
                let expected = if state == Transferred {
                    Ok(Acknowledged)
                } else {
                    Err(ErrorCode::BG_E_INVALID_STATE)
                };
                assert_eq!(
                    next(state, job_type, Trigger::Complete { all_renamed: true }),
                    expected
                );
            }
        }
    }

    #[test]
    fn scheduler_transitions_follow_the_life_cycle() {
        let d = JobType::Download;
        assert_eq!(next(Queued, d, Trigger::Scheduled), Ok(Connecting));
        assert_eq!(next(Connecting, d, Trigger::Connected), Ok(Transferring));
        assert_eq!(next(Transferring, d, Trigger::Descheduled), Ok(Queued));
        assert_eq!(
            next(Transferring, d, Trigger::AllTransferred),
            Ok(Transferred)
        );
        assert_eq!(
            next(Connecting, d, Trigger::TransientFailure),
            Ok(TransientError)
        );
        assert_eq!(next(TransientError, d, Trigger::Retry), Ok(Queued));
        assert_eq!(next(TransientError, d, Trigger::FatalFailure), Ok(Error));
        assert_eq!(
            next(Suspended, d, Trigger::Scheduled),
            Err(ErrorCode::BG_E_INVALID_STATE)
        );
        assert_eq!(
            next(Suspended, d, Trigger::Connected),
            Err(ErrorCode::BG_E_INVALID_STATE)
        );
    }

    #[test]
    fn suspend_and_cancel_work_in_every_non_final_state() {
        for state in ALL.iter().copied().filter(|s| !s.is_final()) {
            assert_eq!(
                next(state, JobType::Upload, Trigger::Suspend),
                Ok(Suspended)
            );
            assert_eq!(next(state, JobType::Upload, Trigger::Cancel), Ok(Cancelled));
        }
    }
}
