//! Jobs as the engine describes them, for the unit tests of Ferry's crates.

use ferry_engine::{JobId, JobInfo, JobSettings, JobState, JobTimes, JobType, Progress};

/// A download job named `name` in `state`, without files, progress or error.
pub fn job_info(name: &str, state: JobState) -> JobInfo {
    JobInfo {
        id: JobId::new(),
        job_type: JobType::Download,
        state,
        owner: "tester".into(),
        settings: JobSettings::new(name),
        files: Vec::new(),
        progress: Progress::default(),
        reply_progress: None,
        times: JobTimes {
            created: 0,
            modified: 0,
            transfer_completed: None,
        },
        error: None,
        error_count: 0,
        credentials_set: Vec::new(),
        custom_header_names: Vec::new(),
        retry_in_ms: None,
    }
}
