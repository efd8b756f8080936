//! Calls that take more than one engine verb: creating a job with its files and credentials
//! in one step, and moving a job's remaining files to another folder.
//!
//! The engine validates every value; these functions only sequence the verbs.

use std::path::{Path, PathBuf};

use ferry_engine::{handover, Engine, Error, ErrorCode, FileSpec, JobId, JobInfo, JobType, Result};

use crate::protocol::NewJobRequest;

/// Creates a SUSPENDED job from `request`. All or nothing: if any file, the priority, the
/// credentials, a custom header, a checksum or the reply file is refused, the half-made job is discarded before the error
/// is returned, so no trace of it stays in the queue or the history.
pub fn create_job(engine: &Engine, request: NewJobRequest) -> Result<JobInfo> {
    create_jobs(engine, vec![request])
        .pop()
        .unwrap_or_else(|| Err(Error::new(ErrorCode::E_FAIL, "no job was made")))
}

/// Creates a job from each request, in order, as [`create_job`] does, and saves every job
/// made in one commit ([`Engine::create_jobs_with`]); returns each request's outcome in order.
pub fn create_jobs(engine: &Engine, requests: Vec<NewJobRequest>) -> Vec<Result<JobInfo>> {
    engine.create_jobs_with(requests.into_iter().map(|mut request| {
        let name = std::mem::take(&mut request.display_name);
        let job_type = request.job_type;
        let make = move |engine: &Engine, id| {
            // Inside the draft's making, so that earlier jobs of the same batch count.
            if request.unique_names == Some(true) && request.job_type == JobType::Download {
                make_names_unique(engine, &mut request.files)?;
            }
            fill(engine, id, request)
        };
        (name, job_type, make)
    }))
}

/// Gives each file whose name Ferry chose a destination no file, no live job and no earlier
/// file of the request has ("report (2).pdf", "archive (2).tar.gz").
fn make_names_unique(engine: &Engine, files: &mut [FileSpec]) -> Result<()> {
    let wanted: Vec<PathBuf> = files.iter().map(|f| f.local_path.clone()).collect();
    let free = handover::free_paths(&wanted, |path: &Path| engine.is_destination(path))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::ERROR_FILE_EXISTS,
                "every numbered name beside the file is taken; choose another folder",
            )
        })?;
    for (file, path) in files.iter_mut().zip(free) {
        file.local_path = path;
    }
    Ok(())
}

fn fill(engine: &Engine, id: JobId, request: NewJobRequest) -> Result<()> {
    engine.set_priority(id, request.priority)?;
    if let Some(policy) = request.retry_policy {
        engine.set_retry_policy(id, policy)?;
    }
    if request.auto_complete == Some(true) {
        engine.set_auto_complete(id, true)?;
    }
    if let Some(connections) = request.connections {
        engine.set_connections(id, connections)?;
    }
    if let Some(limit) = request.speed_limit {
        engine.set_speed_limit(id, Some(limit))?;
    }
    if let Some(description) = &request.description {
        engine.set_description(id, description)?;
    }
    let file_count = request.files.len();
    engine.add_files(id, request.files)?;
    set_checksums(
        engine,
        id,
        file_count,
        request.checksums.as_deref().unwrap_or_default(),
    )?;
    if let Some(headers) = request.custom_headers {
        engine.set_custom_headers(id, headers)?;
    }
    if let Some(credentials) = request.credentials {
        engine.set_credentials(id, credentials)?;
    }
    if let Some(reply) = request.reply_file_name {
        engine.set_reply_file_name(id, reply)?;
    }
    Ok(())
}

/// Gives the job's first files (indexes 0, 1, …, as a new job numbers them) their expected
/// checksums; more checksums than files is refused.
fn set_checksums(
    engine: &Engine,
    id: JobId,
    file_count: usize,
    checksums: &[Option<String>],
) -> Result<()> {
    if checksums.len() > file_count {
        return Err(Error::new(
            ErrorCode::E_INVALIDARG,
            format!(
                "{} checksums were given for {file_count} files; give at most one per file",
                checksums.len()
            ),
        ));
    }
    for (index, checksum) in (0u32..).zip(checksums) {
        if let Some(checksum) = checksum {
            engine.set_checksum(id, index, Some(checksum))?;
        }
    }
    Ok(())
}

/// Points every file of the job that is not transferred yet at `folder`, keeping its file
/// name (the "choose another folder" fix). Their partial bytes are dropped.
pub fn set_local_folder(engine: &Engine, id: JobId, folder: &Path) -> Result<()> {
    let job = engine.get(id)?;
    for file in job.files.iter().filter(|file| !file.transferred) {
        let name = file.local_path.file_name().ok_or_else(|| {
            Error::new(
                ErrorCode::E_INVALIDARG,
                format!("{} has no file name", file.local_path.display()),
            )
        })?;
        engine.set_local_path(id, file.index, folder.join(name))?;
    }
    Ok(())
}
