//! `ferry transfer`: create a job with its files, resume it, show its progress, then complete
//! it; cancel it on a fatal error, Ctrl-C or SIGTERM (`bitsadmin /transfer`,
//! `Start-BitsTransfer`). Transient errors are waited through, showing the error and when the
//! next retry comes. A download never replaces a file: a destination that exists, or that
//! names a folder, is refused before any job is made.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use ferry_engine::{
    CompleteOutcome, EngineEvent, ErrorCode, FileSpec, JobId, JobInfo, JobState, JobType,
};
use ferry_owner::{launch, ApiError, Call, Client, NewJobRequest, OwnerEvent, Settings};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::broadcast::error::RecvError;

use crate::args::{Kind, TransferArgs};
use crate::file_set::{self, Pair};
use crate::print;
use crate::verbs::{absolute, job_type, print_outcome, priority_of};
use crate::Outcome;

/// Runs the transfer to its end.
pub async fn run(client: &Client, args: TransferArgs) -> Outcome {
    let mut request = request(&args)?;
    let settings: Settings = client.call(Call::GetSettings).await?;
    request.retry_policy = Some(settings.retry_policy_for_people());
    // A download without --connections takes the setting; uploads use one connection.
    if request.connections.is_none() && request.job_type == JobType::Download {
        request.connections = Some(settings.connections);
    }
    let (_, mut events) = client.subscribe().await?;
    let job: JobInfo = client.call(Call::CreateWithFiles(request)).await?;
    let id = job.id;
    if let Some(seconds) = args.retry_delay {
        client
            .call_value(Call::SetMinimumRetryDelay { job: id, seconds })
            .await?;
    }
    client.call_value(Call::Resume { job: id }).await?;
    if args.no_wait {
        println!("{id}");
        return Ok(());
    }
    let mut view = View::new(&job);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // Listened for once, before the first wait: a signal between two waits is not lost.
    let interrupted = launch::termination_signal();
    tokio::pin!(interrupted);
    loop {
        let job = tokio::select! {
            event = events.recv() => match event {
                Ok(event) => match about(event, id) {
                    Seen::Job(job) => *job,
                    Seen::Progress(done, total) => { view.progress(done, total); continue; }
                    Seen::Removed(state) => {
                        view.finish();
                        return Err(ApiError::new(ErrorCode::BG_E_NOT_FOUND, format!(
                            "the job left the queue ({state}) from elsewhere")));
                    }
                    Seen::Nothing => continue,
                },
                Err(RecvError::Lagged(_)) => client.call(Call::Get { job: id }).await?,
                Err(RecvError::Closed) => return Err(owner_gone(id)),
            },
            _ = tick.tick() => { view.tick(); continue; }
            () = client.closed() => { view.finish(); return Err(owner_gone(id)); }
            () = &mut interrupted => {
                view.finish();
                let _ = client.call_value(Call::Cancel { job: id }).await;
                return Err(ApiError::new(ErrorCode::E_FAIL, "interrupted; the job was cancelled"));
            }
        };
        view.state(&job);
        match job.state {
            JobState::Transferred => {
                view.finish();
                let outcome: CompleteOutcome = client.call(Call::Complete { job: id }).await?;
                return print_outcome(&outcome);
            }
            JobState::Error => {
                view.finish();
                let error = job.error.clone();
                let _ = client.call_value(Call::Cancel { job: id }).await;
                return Err(match error {
                    Some(error) => ApiError::new(
                        error.code,
                        format!("{}; the job was cancelled", error.description),
                    ),
                    None => ApiError::new(ErrorCode::E_FAIL, "the job failed and was cancelled"),
                });
            }
            JobState::Suspended => {
                view.note("the job was suspended from elsewhere; waiting for it to be resumed");
            }
            _ => {}
        }
    }
}

fn request(args: &TransferArgs) -> Result<NewJobRequest, ApiError> {
    if !args.files.len().is_multiple_of(2) {
        return Err(ApiError::new(
            ErrorCode::E_INVALIDARG,
            "give the files as REMOTE LOCAL pairs",
        ));
    }
    let mut pairs: Vec<Pair> = args
        .files
        .chunks(2)
        .map(|pair| Pair {
            remote: pair[0].clone(),
            local: pair[1].clone(),
        })
        .collect();
    if let Some(list) = &args.list {
        pairs.extend(file_set::read(list)?);
    }
    if pairs.is_empty() {
        return Err(ApiError::new(
            ErrorCode::E_INVALIDARG,
            "the list has no files; give at least one REMOTE LOCAL pair",
        ));
    }
    let files = pairs
        .into_iter()
        .map(|pair| {
            let local_path = absolute(Path::new(&pair.local))?;
            if args.kind == Kind::Download {
                check_destination(&pair.local, &local_path)?;
            }
            Ok(FileSpec {
                remote_url: pair.remote,
                local_path,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    if args.checksum.len() > files.len() {
        return Err(ApiError::new(
            ErrorCode::E_INVALIDARG,
            format!(
                "{} checksums for {} files; give at most one per file, in the files' order",
                args.checksum.len(),
                files.len()
            ),
        ));
    }
    let display_name = args.name.clone().unwrap_or_else(|| {
        files[0]
            .local_path
            .file_name()
            .map_or_else(|| "transfer".into(), |n| n.to_string_lossy().into_owned())
    });
    Ok(NewJobRequest {
        display_name,
        job_type: job_type(args.kind),
        priority: priority_of(args.priority),
        files,
        credentials: None,
        reply_file_name: None,
        checksums: (!args.checksum.is_empty())
            .then(|| args.checksum.iter().cloned().map(Some).collect()),
        description: Some("ferry transfer".into()),
        retry_policy: None,
        custom_headers: None,
        // The user typed every destination: one that exists is refused, never renamed.
        unique_names: None,
        auto_complete: None,
        connections: args.connections,
        speed_limit: args.speed_limit,
    })
}

/// Refuses a download destination (`text` as given, `path` made absolute) that names a folder
/// (`/`, `dir/`, `.`, `..`, an existing folder) or a file that exists, before anything is
/// downloaded: Complete would never replace that file, so the whole download would be wasted.
fn check_destination(text: &str, path: &Path) -> Result<(), ApiError> {
    let names_a_folder = text.ends_with('/')
        || path.file_name().is_none()
        || matches!(text.rsplit('/').next(), Some("." | ".."))
        || path.is_dir();
    if names_a_folder {
        return Err(ApiError::new(
            ErrorCode::E_INVALIDARG,
            format!(
                "the destination {text} is a folder, not a file name: give the path of the file \
                 to write, such as {}",
                path.join("NAME").display()
            ),
        ));
    }
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(ApiError::new(
            ErrorCode::ERROR_FILE_EXISTS,
            format!(
                "{} already exists; ferry transfer never replaces a file: move it away or give \
                 another path",
                path.display()
            ),
        ));
    }
    Ok(())
}

enum Seen {
    Job(Box<JobInfo>),
    Progress(u64, Option<u64>),
    Removed(JobState),
    Nothing,
}

/// What `event` says about job `id`; the job's snapshot is moved out of the event, not copied
/// (it lists every file of the job).
fn about(event: OwnerEvent, id: JobId) -> Seen {
    let event = match event {
        OwnerEvent::Engine(event) => *event,
        OwnerEvent::Snapshot(snapshot) => {
            return match snapshot.jobs.into_iter().find(|j| j.id == id) {
                Some(job) => Seen::Job(Box::new(job)),
                None => Seen::Removed(JobState::Cancelled),
            }
        }
        // Quit in the tray: a transfer in a terminal goes on (the owner's end closes it).
        OwnerEvent::Owner(_) => return Seen::Nothing,
    };
    match event {
        EngineEvent::StateChanged { job, .. }
        | EngineEvent::JobTransferred { job }
        | EngineEvent::JobError { job, .. }
            if job.id == id =>
        {
            Seen::Job(Box::new(job))
        }
        EngineEvent::JobRemoved { id: gone, state } if gone == id => Seen::Removed(state),
        EngineEvent::Progress { jobs } => jobs
            .iter()
            .find(|entry| entry.id == id)
            .map_or(Seen::Nothing, |entry| {
                Seen::Progress(entry.progress.bytes_transferred, entry.progress.bytes_total)
            }),
        _ => Seen::Nothing,
    }
}

/// What the user sees: a progress bar on a terminal, one line per change otherwise.
struct View {
    bar: Option<ProgressBar>,
    last_state: Option<JobState>,
    retry_at: Option<chrono::DateTime<chrono::Local>>,
}

impl View {
    fn new(job: &JobInfo) -> View {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(
                job.progress.bytes_total,
                ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:16} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(job.state.name());
            bar
        });
        View {
            bar,
            last_state: None,
            retry_at: None,
        }
    }

    fn progress(&mut self, done: u64, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    fn state(&mut self, job: &JobInfo) {
        self.progress(job.progress.bytes_transferred, job.progress.bytes_total);
        self.retry_at = job
            .retry_in_ms
            .map(|ms| chrono::Local::now() + chrono::Duration::milliseconds(ms as i64));
        if self.last_state == Some(job.state) && job.state != JobState::TransientError {
            return;
        }
        self.last_state = Some(job.state);
        let mut text = job.state.name().to_owned();
        if let (JobState::TransientError, Some(error)) = (job.state, &job.error) {
            text = format!("{text}: {}", print::error_line(error));
            if let Some(at) = self.retry_at {
                text = format!("{text}; next retry at {}", at.format("%H:%M:%S"));
            }
        }
        self.note(&text);
        if let Some(bar) = &self.bar {
            bar.set_message(job.state.name());
        }
    }

    fn tick(&mut self) {
        if let (Some(bar), Some(at)) = (&self.bar, self.retry_at) {
            let left = (at - chrono::Local::now()).num_seconds().max(0);
            bar.set_message(format!("retry in {left} s"));
        }
    }

    fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{} {text}", chrono::Local::now().format("%H:%M:%S")),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn owner_gone(id: JobId) -> ApiError {
    ApiError::new(
        ErrorCode::E_FAIL,
        format!(
            "the Ferry owner stopped; the job stays in the queue and resumes when it starts again (ferry info {id})"
        ),
    )
}
