//! Naming a job on the command line: its id (with or without braces), or a display name that
//! exactly one job has.

use ferry_engine::{ErrorCode, JobId, JobInfo};
use ferry_owner::{ApiError, Call, Client};

/// The job `name` refers to.
pub async fn find(client: &Client, name: &str) -> Result<JobInfo, ApiError> {
    let trimmed = name.trim().trim_start_matches('{').trim_end_matches('}');
    if let Ok(id) = trimmed.parse::<JobId>() {
        return client.call(Call::Get { job: id }).await;
    }
    let jobs: Vec<JobInfo> = client.call(Call::List).await?;
    pick(jobs, name)
}

/// The id of the job `name` refers to.
pub async fn id(client: &Client, name: &str) -> Result<JobId, ApiError> {
    Ok(find(client, name).await?.id)
}

fn pick(jobs: Vec<JobInfo>, name: &str) -> Result<JobInfo, ApiError> {
    let mut named: Vec<JobInfo> = jobs
        .into_iter()
        .filter(|job| job.settings.display_name == name)
        .collect();
    match named.len() {
        1 => Ok(named.remove(0)),
        0 => Err(ApiError::new(
            ErrorCode::BG_E_NOT_FOUND,
            format!("no job has the id or the name {name:?}"),
        )),
        n => Err(ApiError::new(
            ErrorCode::E_INVALIDARG,
            format!(
                "{n} jobs are named {name:?}; name one by its id: {}",
                named
                    .iter()
                    .map(|job| job.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_engine::JobState;
    use ferry_owner::fixtures::job_info;

    #[test]
    fn a_name_finds_the_one_job_that_has_it_and_refuses_two_or_none() {
        let a = job_info("nightly", JobState::Queued);
        let b = job_info("weekly", JobState::Queued);
        let c = job_info("weekly", JobState::Suspended);
        let jobs = vec![a.clone(), b.clone(), c.clone()];
        assert_eq!(pick(jobs.clone(), "nightly").unwrap().id, a.id);
        let two = pick(jobs.clone(), "weekly").unwrap_err();
        assert_eq!(two.code, ErrorCode::E_INVALIDARG);
        assert!(two.message.contains(&b.id.to_string()) && two.message.contains(&c.id.to_string()));
        assert_eq!(
            pick(jobs, "monthly").unwrap_err().code,
            ErrorCode::BG_E_NOT_FOUND
        );
    }
}
