//! Carries out one [`Call`] on the engine and turns its answer into JSON. The engine validates
//! every value; a call here only picks the verb.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use ferry_engine::{Engine, ErrorCode};
use serde::Serialize;

use crate::api_error::ApiError;
use crate::job_actions;
use crate::protocol::{Call, Hello, NewJobRequest, PROTOCOL_VERSION};
use crate::settings::{apply_to_engine, SettingsFile};

/// What calls act on: the engine and the settings of one data folder.
#[derive(Clone)]
pub struct Queue {
    /// The engine.
    pub engine: Engine,
    /// The settings file and the settings in force.
    pub settings: Arc<SettingsFile>,
    /// The data folder.
    pub data_dir: std::path::PathBuf,
}

/// The answer of `call`, as JSON text. Blocking (engine verbs commit to the store): run it off the async
/// workers. [`Call::Subscribe`], [`Call::Shutdown`] and [`Call::Quit`] are the server's; here they only
/// answer what they return.
pub fn dispatch(queue: &Queue, call: Call) -> Result<String, ApiError> {
    let e = &queue.engine;
    match call {
        Call::Hello => json(Hello {
            protocol: PROTOCOL_VERSION,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            pid: std::process::id(),
            data_dir: queue.data_dir.clone(),
        }),
        Call::List | Call::Subscribe => json(e.list()),
        Call::ListGlances => json(e.glances()),
        Call::Get { job } => json(e.get(job)?),
        Call::GetError { job } => json(e.get_error(job)?),
        Call::GetReplyData { job } => {
            json(base64::engine::general_purpose::STANDARD.encode(e.get_reply_data(job)?))
        }
        Call::History { limit } => json(e.history(limit as usize)?),
        Call::CreateJob {
            display_name,
            job_type,
        } => json(e.create_job(&display_name, job_type)?),
        Call::CreateWithFiles(request) => json(job_actions::create_job(e, request)?),
        // The server runs probes as tasks of their own; here (a blocking thread of the runtime)
        // one waits for its answer.
        Call::Probe(request) => json(tokio::runtime::Handle::current().block_on(e.probe(request))),
        Call::AddFiles { job, files } => done(e.add_files(job, files)),
        Call::AddFileWithRanges { job, file, ranges } => {
            done(e.add_file_with_ranges(job, file, ranges))
        }
        Call::SetRemoteName { job, file, url } => done(e.set_remote_name(job, file, &url)),
        Call::ReplaceRemotePrefix {
            job,
            old_prefix,
            new_prefix,
        } => json(e.replace_remote_prefix(job, &old_prefix, &new_prefix)?),
        Call::SetLocalPath { job, file, path } => {
            absolute(&path)?;
            done(e.set_local_path(job, file, path))
        }
        Call::SetLocalFolder { job, folder } => {
            absolute(&folder)?;
            done(job_actions::set_local_folder(e, job, &folder))
        }
        Call::SetReplaceExisting { job, file, replace } => {
            done(e.set_replace_existing(job, file, replace))
        }
        Call::KeepBoth { job, file } => json(e.keep_both(job, file)?),
        Call::RestartFile { job, file } => done(e.restart_file(job, file)),
        Call::AllowWebPage { job, file } => done(e.allow_web_page(job, file)),
        Call::SetChecksum {
            job,
            file,
            checksum,
        } => done(e.set_checksum(job, file, checksum.as_deref())),
        Call::Resume { job } => done(e.resume(job)),
        Call::Suspend { job } => done(e.suspend(job)),
        Call::Cancel { job } => json(e.cancel(job)?),
        Call::Complete { job } => json(e.complete(job)?),
        Call::SuspendAll => json(e.suspend_all()?),
        Call::ResumeAll => json(e.resume_all()?),
        Call::CompleteAllReady => json(e.complete_all_ready()?),
        Call::SetDisplayName { job, name } => done(e.set_display_name(job, &name)),
        Call::SetDescription { job, text } => done(e.set_description(job, &text)),
        Call::SetPriority { job, priority } => done(e.set_priority(job, priority)),
        Call::SetHttpMethod { job, method } => done(e.set_http_method(job, &method)),
        Call::SetNotifyFlags { job, flags } => done(e.set_notify_flags(job, flags)),
        Call::SetNotifyCommand { job, command } => done(e.set_notify_command(job, command)),
        Call::SetMinimumRetryDelay { job, seconds } => {
            done(e.set_minimum_retry_delay(job, seconds))
        }
        Call::SetRetryPolicy { job, policy } => done(e.set_retry_policy(job, policy)),
        Call::SetAutoComplete { job, enabled } => done(e.set_auto_complete(job, enabled)),
        Call::SetNoProgressTimeout { job, seconds } => {
            done(e.set_no_progress_timeout(job, seconds))
        }
        Call::SetMaximumDownloadTime { job, seconds } => {
            done(e.set_maximum_download_time(job, seconds))
        }
        Call::SetProxy { job, proxy } => done(e.set_proxy(job, proxy)),
        Call::SetRedirectPolicy { job, policy } => done(e.set_redirect_policy(job, policy)),
        Call::SetDynamicContent { job, enabled } => done(e.set_dynamic_content(job, enabled)),
        Call::SetConnections { job, connections } => done(e.set_connections(job, connections)),
        Call::SetSpeedLimit {
            job,
            bytes_per_second,
        } => done(e.set_speed_limit(job, bytes_per_second)),
        Call::SetReplyFileName { job, path } => {
            absolute(&path)?;
            done(e.set_reply_file_name(job, path))
        }
        Call::SetCredentials { job, credentials } => done(e.set_credentials(job, credentials)),
        Call::RemoveCredentials {
            job,
            target,
            scheme,
        } => done(e.remove_credentials(job, target, scheme)),
        Call::SetCustomHeaders { job, headers } => done(e.set_custom_headers(job, headers)),
        Call::GetPolicies => json(e.policies()),
        Call::SetPolicies { policies } => {
            let mut settings = queue.settings.current();
            settings.policies = policies;
            let saved = queue.settings.save(settings)?;
            apply_to_engine(e, &saved);
            json(saved.policies)
        }
        Call::GetSettings => json(queue.settings.current()),
        Call::SetSettings { settings } => {
            let saved = queue.settings.save(settings)?;
            apply_to_engine(e, &saved);
            json(saved)
        }
        Call::Shutdown => Ok(NULL.to_owned()),
        Call::Quit => json(crate::protocol::QuitAnswer { stopping: false }),
    }
}

/// The answers of a batch of `create_with_files` requests (request id, request), made in order
/// as one step and saved in one commit ([`job_actions::create_jobs`]): each request's id with
/// its answer, in order.
pub fn dispatch_creations(
    queue: &Queue,
    batch: Vec<(u64, NewJobRequest)>,
) -> Vec<(u64, Result<String, ApiError>)> {
    let (ids, requests): (Vec<u64>, Vec<NewJobRequest>) = batch.into_iter().unzip();
    let made = job_actions::create_jobs(&queue.engine, requests);
    ids.into_iter()
        .zip(made)
        .map(|(id, made)| (id, made.map_err(ApiError::from).and_then(json)))
        .collect()
}

/// JSON's `null`: the answer of calls that return nothing.
const NULL: &str = "null";

/// The answer as JSON text, serialised straight from the engine's values.
fn json(value: impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(&value).map_err(ApiError::internal)
}

fn done(result: ferry_engine::Result<()>) -> Result<String, ApiError> {
    result?;
    Ok(NULL.to_owned())
}

/// Paths cross the API absolute: the owner's working folder means nothing to the client.
fn absolute(path: &Path) -> Result<(), ApiError> {
    if path.is_absolute() {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::E_INVALIDARG,
            format!(
                "{} is not an absolute path; give the whole path",
                path.display()
            ),
        ))
    }
}
