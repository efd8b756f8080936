//! The [`Engine`] handle and the BITS verbs.
//!
//! Every verb validates its input, checks the state machine, commits the change and then
//! announces it (see `core`). Verbs are synchronous: they only touch memory, the local file
//! system for renames and deletions, and one small SQLite commit.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::claims::{Claims, Destinations};
use crate::core::{history_of, ChangeNotes, Conditions, Inner, JobEntry, JobTable};
use crate::error::{Error, ErrorCode, Result};
use crate::event::EngineEvent;
use crate::job::*;
use crate::policy::{Config, Policies};
use crate::record::{FileRecord, JobRecord};
use crate::secrets::{JobSecrets, SecretBox};
use crate::state::{self, Trigger};
use crate::store::{HistoryEntry, Store};
use crate::transfer::http::Clients;
use crate::validate;

/// What Complete did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CompleteOutcome {
    /// S_OK, BG_S_PARTIAL_COMPLETE, BG_S_UNABLE_TO_DELETE_FILES, or the code of the first rename
    /// that failed (then the job stays TRANSFERRED).
    pub code: ErrorCode,
    /// ACKNOWLEDGED, or TRANSFERRED when a rename failed.
    pub state: JobState,
    /// Files now available under their final names.
    #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
    pub kept: Vec<PathBuf>,
    /// Files dropped because they had not been fully transferred.
    #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
    pub discarded: Vec<PathBuf>,
    /// Files that could not be renamed into place.
    pub rename_failures: Vec<RenameFailure>,
}

/// A file Complete could not put in place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RenameFailure {
    /// The final path that could not be written.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub path: PathBuf,
    /// Why.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
}

/// Events kept for subscribers that read late. Each slot holds a whole event (a job's snapshot
/// included) and every slot stays allocated, so the buffer is a fixed cost of the engine's
/// memory (about 2.7 KiB a slot); a subscriber that falls further behind is told it lagged and
/// re-reads the list (the owner sends it one snapshot), which after a burst of more than a
/// thousand changes (Pause all on a long queue) is cheaper than replaying them anyway.
const EVENTS_KEPT: usize = 1024;

/// A cheap, cloneable handle on a running engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    destinations: Arc<Destinations>,
}

impl Engine {
    /// Opens the store in `data_dir`, reloads every job, resumes what was queued or running
    /// (from the temporary files' real length), runs the inactivity sweep and starts scheduling:
    /// [`Engine::open`] then [`Engine::run`].
    pub async fn start(config: Config, data_dir: &Path) -> Result<Engine> {
        let engine = Engine::open(config, data_dir).await?;
        engine.run();
        Ok(engine)
    }

    /// Opens the store and reloads every job, but starts nothing yet: subscribe first, then
    /// call [`Engine::run`], and no event of the start (such as a job the inactivity sweep
    /// cancels) can be missed.
    ///
    /// The data folder is locked first: a folder another engine uses is refused (E_ACCESSDENIED,
    /// naming the holder) before anything in it is touched.
    pub async fn open(config: Config, data_dir: &Path) -> Result<Engine> {
        let data_lock = crate::data_lock::DataDirLock::acquire(data_dir)?;
        let mut store = Store::open(data_dir)?;
        let secrets = SecretBox::open(data_dir)?;
        let records = store.load_jobs()?;
        let (events, _) = broadcast::channel(EVENTS_KEPT);
        let inner = Arc::new(Inner {
            http: Clients::new(&config),
            config: RwLock::new(config),
            jobs: Mutex::new(JobTable::default()),
            store: Mutex::new(store),
            secrets,
            events,
            wake: Notify::new(),
            cleanups: Notify::new(),
            shutdown: CancellationToken::new(),
            tasks: TaskTracker::new(),
            conditions: Mutex::new(Conditions {
                network_up: true,
                owner_active: true,
            }),
            data_dir: data_dir.to_owned(),
            running: std::sync::atomic::AtomicBool::new(false),
            day_clock: crate::bandwidth::DayClock::local(),
            throttle: Default::default(),
            host_caps: Default::default(),
            data_lock: Mutex::new(Some(data_lock)),
        });
        reload(&inner, records)?;
        let destinations = Arc::new(Destinations::of(&inner.table()));
        tracing::info!(data_dir = %data_dir.display(), "engine opened");
        Ok(Engine {
            inner,
            destinations,
        })
    }

    /// Starts scheduling, progress sampling, the inactivity sweep, notify commands and upload
    /// clean-ups. Must be called inside a tokio runtime; later calls do nothing.
    pub fn run(&self) {
        if self
            .inner
            .running
            .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            return;
        }
        let inner = &self.inner;
        if let Some(every) = inner.config().network_poll {
            // Known before the first scheduling pass, so no job starts on a missing network.
            let connected = crate::network::connected();
            if !connected {
                self.set_network_available(false);
            }
            inner
                .tasks
                .spawn(crate::network::watch(self.clone(), every, connected));
        }
        inner.tasks.spawn(crate::scheduler::run(inner.clone()));
        inner
            .tasks
            .spawn(crate::scheduler::sample_progress(inner.clone()));
        inner
            .tasks
            .spawn(crate::scheduler::sweep_inactive_jobs(inner.clone()));
        inner.tasks.spawn(crate::notify_cmd::run(inner.clone()));
        inner
            .tasks
            .spawn(crate::transfer::upload::cleanup::run(inner.clone()));
        tracing::info!("engine started");
    }

    /// Resolves once the engine is shutting down.
    pub(crate) async fn stopped(&self) {
        self.inner.shutdown.cancelled().await;
    }

    /// Stops every task, lets transfers flush what they received, saves progress, and releases
    /// the data folder for another engine.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.tasks.close();
        self.inner.tasks.wait().await;
        crate::scheduler::persist_progress(&self.inner);
        // Another engine may use the folder from now on.
        drop(
            self.inner
                .data_lock
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
        tracing::info!("engine stopped");
    }

    /// Events from now on. A slow receiver that lags should re-read [`Engine::list`].
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// Every job in the queue, oldest first (a job still being made by
    /// [`Engine::create_job_with`] is not listed until it is made).
    pub fn list(&self) -> Vec<JobInfo> {
        let table = self.inner.table();
        let mut entries: Vec<&JobEntry> = table
            .entries
            .values()
            .map(Box::as_ref)
            .filter(|e| !e.draft)
            .collect();
        entries.sort_unstable_by_key(|e| (e.record.times.created, e.record.id));
        entries.into_iter().map(|entry| entry.info()).collect()
    }

    /// Every job in the queue at a glance (id, state, progress), in no particular order: what
    /// a summary of the queue needs, without copying the rest of each job.
    pub fn glances(&self) -> Vec<JobGlance> {
        self.inner
            .table()
            .entries
            .values()
            .filter(|entry| !entry.draft)
            .map(|entry| JobGlance {
                id: entry.record.id,
                state: entry.record.state,
                progress: entry.record.progress(),
            })
            .collect()
    }

    /// Whether a live download job's file that is not yet completed heads for `path`.
    pub fn is_destination(&self, path: &Path) -> bool {
        let table = self.inner.table();
        self.destinations.is_taken(&table, path)
    }

    /// One job.
    pub fn get(&self, id: JobId) -> Result<JobInfo> {
        let table = self.inner.table();
        table
            .entries
            .get(&id)
            .map(|entry| entry.info())
            .ok_or_else(|| table.missing(id))
    }

    /// The job's error (IBackgroundCopyJob::GetError): only in ERROR and TRANSIENT_ERROR.
    pub fn get_error(&self, id: JobId) -> Result<JobError> {
        let job = self.get(id)?;
        match (job.state, job.error) {
            (JobState::Error | JobState::TransientError, Some(error)) => Ok(error),
            _ => Err(Error::code(ErrorCode::BG_E_ERROR_INFORMATION_UNAVAILABLE)),
        }
    }

    /// The reply of an upload-reply job (GetReplyData): at most 1 MiB, else BG_E_TOO_LARGE with
    /// the size in the message. Readable in TRANSFERRED and, for jobs completed while the engine
    /// runs, after Complete; BG_E_INVALID_STATE otherwise, E_NOTIMPL for other job types.
    pub fn get_reply_data(&self, id: JobId) -> Result<Vec<u8>> {
        let path = {
            let table = self.inner.table();
            match table.entries.get(&id) {
                Some(entry) => crate::transfer::upload::reply_data_path(&entry.record)?,
                None => table
                    .replies
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| table.missing(id))?,
            }
        };
        crate::transfer::upload::read_reply_data(&path)
    }

    /// Where the reply of an upload-reply job goes (GetReplyFileName); `None` until it is set or,
    /// at the first Resume, chosen. E_NOTIMPL for other job types.
    pub fn get_reply_file_name(&self, id: JobId) -> Result<Option<PathBuf>> {
        let table = self.inner.table();
        match table.entries.get(&id) {
            Some(entry) if entry.record.job_type != JobType::UploadReply => Err(Error::new(
                ErrorCode::E_NOTIMPL,
                "only upload-reply jobs have a reply file",
            )),
            Some(entry) => Ok(entry.record.settings.reply_file_name.clone()),
            None => match table.replies.get(&id) {
                Some(path) => Ok(Some(path.clone())),
                None => Err(table.missing(id)),
            },
        }
    }

    /// The finished jobs, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>> {
        self.inner.store().history(limit)
    }

    /// Creates a SUSPENDED job (CreateJob).
    pub fn create_job(&self, display_name: &str, job_type: JobType) -> Result<JobId> {
        self.new_job(display_name, job_type, false)
    }

    /// Creates a SUSPENDED job and lets `fill` set it up with the engine's verbs (files,
    /// priority, credentials, …) as one step: while `fill` runs the job is a draft, neither
    /// listed nor announced nor saved; then it is saved once and announced with everything
    /// `fill` set. If `fill` or that save fails, the job is dropped without a trace.
    pub fn create_job_with(
        &self,
        display_name: &str,
        job_type: JobType,
        fill: impl FnOnce(&Engine, JobId) -> Result<()>,
    ) -> Result<JobInfo> {
        self.create_jobs_with([(display_name, job_type, fill)])
            .pop()
            .unwrap_or_else(|| Err(Error::new(ErrorCode::E_FAIL, "no job was made")))
    }

    /// Creates several jobs as [`Engine::create_job_with`] does, one after another in the order
    /// given, and saves every job that was made in one commit (a burst of jobs costs one
    /// durable write, not one per job); the jobs are announced, in order, once it is done.
    /// Returns each job's outcome in the same order: a job whose `fill` fails is dropped
    /// without a trace and the others are made; if the commit fails, none is.
    pub fn create_jobs_with<N, F>(
        &self,
        jobs: impl IntoIterator<Item = (N, JobType, F)>,
    ) -> Vec<Result<JobInfo>>
    where
        N: AsRef<str>,
        F: FnOnce(&Engine, JobId) -> Result<()>,
    {
        let drafts = jobs
            .into_iter()
            .map(|(display_name, job_type, fill)| {
                let id = self.new_job(display_name.as_ref(), job_type, true)?;
                fill(self, id).inspect_err(|_| self.drop_draft(id))?;
                Ok(id)
            })
            .collect();
        self.publish_drafts(drafts)
    }

    fn new_job(&self, display_name: &str, job_type: JobType, draft: bool) -> Result<JobId> {
        validate::display_name(display_name)?;
        let config = self.inner.config();
        let mut table = self.inner.table();
        admit(&table, &config)?;
        let id = JobId::new();
        let record = JobRecord::new(id, job_type, config.owner, JobSettings::new(display_name));
        if !draft {
            self.inner.store().save_job(&record)?;
        }
        let turn = table.take_turn();
        let mut entry = JobEntry::new(record, turn);
        entry.draft = draft;
        let job = (!draft).then(|| entry.info());
        table.entries.insert(id, Box::new(entry));
        drop(table);
        if let Some(job) = job {
            let _ = self.inner.events.send(EngineEvent::JobCreated { job });
        }
        tracing::info!(%id, ?job_type, draft, "job created");
        Ok(id)
    }

    /// Saves the drafts among `drafts` in one commit and announces them in order: from now on
    /// each is a job like any other. Returns each one's snapshot, or its error, in the same
    /// order; if the commit fails, every draft is dropped and answers the store's error.
    fn publish_drafts(&self, drafts: Vec<Result<JobId>>) -> Vec<Result<JobInfo>> {
        let mut table = self.inner.table();
        let records = drafts
            .iter()
            .filter_map(|draft| draft.as_ref().ok())
            .filter_map(|id| table.entries.get(id))
            .map(|entry| &entry.record);
        if let Err(error) = self.inner.store().save_jobs(records) {
            drop(table);
            return drafts
                .into_iter()
                .map(|draft| {
                    let id = draft?;
                    self.drop_draft(id);
                    Err(Error::new(error.code, error.message.clone()).in_context(error.context))
                })
                .collect();
        }
        let published: Vec<Result<JobInfo>> = drafts
            .into_iter()
            .map(|draft| {
                let id = draft?;
                let entry = table
                    .entries
                    .get_mut(&id)
                    .ok_or_else(|| crate::core::not_found(id))?;
                entry.record.files.mark_saved();
                entry.draft = false;
                entry.unsaved = false;
                Ok(entry.info())
            })
            .collect();
        drop(table);
        for job in published.iter().flatten() {
            let _ = self
                .inner
                .events
                .send(EngineEvent::JobCreated { job: job.clone() });
        }
        published
    }

    /// Forgets a draft whose making failed (and its row, should one have been written).
    fn drop_draft(&self, id: JobId) {
        let mut table = self.inner.table();
        if table.entries.remove(&id).is_none() {
            return;
        }
        if let Err(error) = self.inner.store().finish_job(id, None, None) {
            tracing::warn!(%id, "cannot remove a job whose making failed: {error}");
        }
    }

    /// Adds one file (AddFile).
    pub fn add_file(&self, id: JobId, file: FileSpec) -> Result<()> {
        self.add_files(id, vec![file])
    }

    /// Adds files, all or none (AddFileSet).
    pub fn add_files(&self, id: JobId, files: Vec<FileSpec>) -> Result<()> {
        self.add(id, files.into_iter().map(|f| (f, None)).collect())
    }

    /// Adds a file of which only `ranges` are downloaded, written back to back in the order
    /// given (AddFileWithRanges; downloads only).
    pub fn add_file_with_ranges(
        &self,
        id: JobId,
        file: FileSpec,
        ranges: Vec<ByteRange>,
    ) -> Result<()> {
        let max = self.inner.config().policies.max_ranges_per_file;
        let job = self.get(id)?;
        if job.job_type != JobType::Download {
            return Err(Error::new(
                ErrorCode::E_NOTIMPL,
                "byte ranges are for download jobs only",
            ));
        }
        if job.settings.dynamic_content {
            return Err(Error::new(
                ErrorCode::E_INVALIDARG,
                "dynamic-content jobs cannot use byte ranges",
            ));
        }
        validate::ranges(&ranges, max)?;
        self.add(id, vec![(file, Some(ranges))])
    }

    fn add(&self, id: JobId, files: Vec<(FileSpec, Option<Vec<ByteRange>>)>) -> Result<()> {
        let max_files = self.inner.config().policies.max_files_per_job as usize;
        let mut table = self.inner.table();
        let paths: Vec<PathBuf> = files.iter().map(|(f, _)| f.local_path.clone()).collect();
        let mut claims = Claims::among(
            &table,
            &self.destinations,
            id,
            paths.iter().map(PathBuf::as_path),
        );
        self.inner.apply(&mut table, id, |entry, notes| {
            defer_while_draft(entry, notes);
            self.inner.transition(entry, Trigger::AddFile)?;
            let record = &mut entry.record;
            if record.job_type.is_upload() && record.files.len() + files.len() > 1 {
                return Err(Error::new(
                    ErrorCode::BG_E_TOO_MANY_FILES,
                    "upload jobs hold exactly one file",
                ));
            }
            if files.is_empty() {
                return Err(Error::new(ErrorCode::E_INVALIDARG, "no files were given"));
            }
            if record.files.len() + files.len() > max_files {
                return Err(Error::new(
                    ErrorCode::BG_E_TOO_MANY_FILES_IN_JOB,
                    format!("a job may hold at most {max_files} files (MaxFilesPerJob)"),
                ));
            }
            claims.add_own_files(record);
            record.files.reserve_exact(files.len());
            let mut download_paths = validate::DownloadPaths::default();
            for (spec, ranges) in files {
                validate::remote_url(&spec.remote_url)?;
                if record.job_type.is_upload() {
                    validate::upload_path(&spec.local_path)?;
                } else {
                    download_paths.check(&spec.local_path)?;
                }
                let index = record.files.len();
                if record.job_type == JobType::Download {
                    claims.refuse_taken(&spec.local_path)?;
                    claims.claim(&spec.local_path, format!("file {index} of this job"));
                }
                let mut file = FileRecord::new(spec.remote_url, spec.local_path, ranges);
                if record.job_type == JobType::Download {
                    file.temp_path = Some(temp_path(&file.local_path, id, index));
                }
                record.files.push(file);
            }
            record.touch();
            Ok(())
        })?;
        self.destinations
            .add(&table, id, paths.iter().map(PathBuf::as_path));
        Ok(())
    }

    /// Points a download file at another URL (SetRemoteName). A partial file continues only if
    /// the new URL serves the same version.
    pub fn set_remote_name(&self, id: JobId, file_index: u32, url: &str) -> Result<()> {
        validate::remote_url(url)?;
        self.inner.with_job(id, |entry, _| {
            self.inner.transition(entry, Trigger::SetProperty)?;
            if entry.record.job_type.is_upload() {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "upload jobs cannot change their remote name",
                ));
            }
            let file = file_mut(&mut entry.record, file_index)?;
            file.remote_url = url.to_owned();
            entry.record.touch();
            Ok(())
        })
    }

    /// Replaces `old_prefix` (case-sensitive, from the first character) by `new_prefix` in every
    /// remote name (ReplaceRemotePrefix). Returns S_OK, or S_FALSE when nothing matched.
    pub fn replace_remote_prefix(
        &self,
        id: JobId,
        old_prefix: &str,
        new_prefix: &str,
    ) -> Result<ErrorCode> {
        if old_prefix.is_empty() || new_prefix.is_empty() {
            return Err(Error::new(
                ErrorCode::E_INVALIDARG,
                "the prefixes must not be empty",
            ));
        }
        self.inner.with_job(id, |entry, _| {
            self.inner.transition(entry, Trigger::SetProperty)?;
            if entry.record.job_type.is_upload() {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "upload jobs cannot change their remote name",
                ));
            }
            let mut matched = false;
            for file in &mut entry.record.files {
                if let Some(rest) = file.remote_url.strip_prefix(old_prefix) {
                    let url = format!("{new_prefix}{rest}");
                    validate::remote_url(&url)?;
                    file.remote_url = url;
                    matched = true;
                }
            }
            entry.record.touch();
            Ok(if matched {
                ErrorCode::S_OK
            } else {
                ErrorCode::S_FALSE
            })
        })
    }

    /// Gives a download file another local path (the "choose another folder" fix, and "Choose a
    /// name" when Complete found a file under the old one). A file not yet transferred drops its
    /// partial bytes. A transferred file that is not yet completed keeps them: its temporary file
    /// moves beside the new destination (renamed on the same file system, copied and synced
    /// across), so temporaries always live in their destination's folder and Complete's rename
    /// stays atomic. Completed files cannot move; the new path must not be another file's
    /// destination. A new destination needs a new decision: the file's "replace" mark
    /// ([`Engine::set_replace_existing`]) is cleared.
    pub fn set_local_path(&self, id: JobId, file_index: u32, path: PathBuf) -> Result<()> {
        validate::download_path(&path)?;
        let mut table = self.inner.table();
        let claims = Claims::among(&table, &self.destinations, id, [path.as_path()]);
        let new_path = path.clone();
        self.inner.apply(&mut table, id, |entry, _| {
            self.inner.transition(entry, Trigger::SetProperty)?;
            if entry.record.job_type.is_upload() {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "upload jobs cannot change their local file",
                ));
            }
            let mut claims = claims;
            claims.add_own_files_except(&entry.record, file_index as usize);
            claims.refuse_taken(&path)?;
            let file = file_mut(&mut entry.record, file_index)?;
            if file.completed {
                return Err(Error::new(
                    ErrorCode::BG_E_INVALID_STATE,
                    "that file is already completed and in place",
                ));
            }
            let new_temp = temp_path(&path, id, file_index as usize);
            if file.transferred {
                if let Some(old) = &file.temp_path {
                    move_temporary(old, &new_temp)?;
                }
            } else {
                if let Some(old) = file.temp_path.take() {
                    let _ = std::fs::remove_file(old);
                }
                file.reset();
            }
            file.temp_path = Some(new_temp);
            file.local_path = path;
            file.handover = None;
            file.replace_existing = false;
            entry.record.touch();
            Ok(())
        })?;
        self.destinations.add(&table, id, [new_path.as_path()]);
        Ok(())
    }

    /// Lets Complete replace a regular file already under file `file_index`'s final name (the
    /// BITS behaviour, for callers who ask for it). By default (`false`) Complete never replaces
    /// a file: it leaves the job TRANSFERRED with the rename failure `ERROR_FILE_EXISTS`. A
    /// folder, FIFO, device or socket is never replaced either way.
    pub fn set_replace_existing(&self, id: JobId, file_index: u32, replace: bool) -> Result<()> {
        self.set(id, |r| {
            if r.job_type != JobType::Download {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "only download files can replace an existing file",
                ));
            }
            file_mut(r, file_index)?.replace_existing = replace;
            Ok(())
        })
    }

    /// "Keep both": gives file `file_index` the first free name beside its destination in the
    /// style `name (2).ext` (free on disk and not another file's destination) and returns it.
    /// Complete again to put the file there.
    pub fn keep_both(&self, id: JobId, file_index: u32) -> Result<PathBuf> {
        let (dest, claims) = {
            let table = self.inner.table();
            let entry = table.entries.get(&id).ok_or_else(|| table.missing(id))?;
            let dest = entry
                .record
                .files
                .get(file_index as usize)
                .map(|f| f.local_path.clone())
                .ok_or_else(|| no_such_file(file_index))?;
            let mut claims = Claims::of_other_jobs(&table, id);
            claims.add_own_files(&entry.record);
            (dest, claims)
        };
        let free = crate::handover::free_name(&dest, |candidate| claims.holds(candidate))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::ERROR_FILE_EXISTS,
                    format!(
                        "no free name like {} was found; choose a name",
                        dest.display()
                    ),
                )
                .in_context(crate::error::ErrorContext::LocalFile)
            })?;
        self.set_local_path(id, file_index, free.clone())?;
        Ok(free)
    }

    /// Drops the partial bytes of a file so it downloads again from byte 0 (the fix for a server
    /// that cannot resume).
    pub fn restart_file(&self, id: JobId, file_index: u32) -> Result<()> {
        self.inner.with_job(id, |entry, _| {
            self.inner.transition(entry, Trigger::SetProperty)?;
            start_over(file_mut(&mut entry.record, file_index)?)?;
            entry.record.touch();
            Ok(())
        })
    }

    /// Accepts the web page that the server sends for file `file_index` as that file's content:
    /// the next Resume downloads it instead of stopping with
    /// `FERRY_E_WEB_PAGE_INSTEAD_OF_FILE` (the user looked at the page and wants it anyway).
    ///
    /// Errors: `E_INVALIDARG` for a file the job does not have, `E_NOTIMPL` for upload jobs,
    /// `BG_E_INVALID_STATE` when the job is acknowledged or cancelled or the file is already
    /// transferred.
    pub fn allow_web_page(&self, id: JobId, file_index: u32) -> Result<()> {
        self.change_pending_download(id, file_index, "upload jobs download no web pages", |f| {
            f.accept_web_page = true
        })
    }

    /// Sets (or with `None` clears) the checksum that download file `file_index` must match
    /// before it counts as transferred: SHA-256, SHA-512, SHA-1 or MD5, written `algo:hex`
    /// (`sha256:9f86d0…`) or in the Subresource Integrity form `algo-base64`
    /// (`sha256-n4bQ…=`). It is kept normalised as `algo:hex`. The digest is computed while the
    /// bytes arrive; a file that does not match stops the job in ERROR with
    /// `FERRY_E_CHECKSUM_MISMATCH` (context LOCAL_FILE) and is never put under its final name.
    /// For a file added with ranges, the checksum is that of the bytes kept (the ranges back to
    /// back). A mismatched file is not transferred: Complete discards it, `restart_file`
    /// downloads it again from byte 0.
    ///
    /// Errors: `E_INVALIDARG` for a malformed checksum or a file the job does not have,
    /// `E_NOTIMPL` for upload jobs, `BG_E_INVALID_STATE` when the job is acknowledged or
    /// cancelled or the file is already transferred.
    pub fn set_checksum(&self, id: JobId, file_index: u32, checksum: Option<&str>) -> Result<()> {
        let normalised = checksum
            .map(|text| {
                crate::integrity::Digest::parse_checksum(text)
                    .map(|digest| digest.normalised())
                    .map_err(|why| Error::new(ErrorCode::E_INVALIDARG, why))
            })
            .transpose()?;
        self.change_pending_download(
            id,
            file_index,
            "checksums are checked on downloaded files only",
            |file| file.checksum = normalised,
        )
    }

    /// Changes download file `file_index` while it is not yet transferred (a property set:
    /// an active job queues again). `E_NOTIMPL` with `for_uploads` on upload jobs,
    /// `E_INVALIDARG` for a file the job does not have, `BG_E_INVALID_STATE` once the file is
    /// transferred or the job has ended.
    fn change_pending_download(
        &self,
        id: JobId,
        file_index: u32,
        for_uploads: &str,
        change: impl FnOnce(&mut FileRecord),
    ) -> Result<()> {
        self.inner.with_job(id, |entry, notes| {
            defer_while_draft(entry, notes);
            self.inner.transition(entry, Trigger::SetProperty)?;
            if entry.record.job_type.is_upload() {
                return Err(Error::new(ErrorCode::E_NOTIMPL, for_uploads));
            }
            let file = file_mut(&mut entry.record, file_index)?;
            if file.transferred {
                return Err(Error::new(
                    ErrorCode::BG_E_INVALID_STATE,
                    "that file is already transferred",
                ));
            }
            change(file);
            entry.record.touch();
            Ok(())
        })
    }

    /// Resume: SUSPENDED or (TRANSIENT_)ERROR → QUEUED at once; no-op while active.
    pub fn resume(&self, id: JobId) -> Result<()> {
        let turn = self.inner.table().take_turn();
        self.inner
            .with_job(id, |entry, _| resume_entry(&self.inner, entry, turn))
    }

    /// Suspend: stops transfers at once; SUSPENDED until resumed.
    pub fn suspend(&self, id: JobId) -> Result<()> {
        self.inner
            .with_job(id, |entry, _| suspend_entry(&self.inner, entry))
    }

    /// Cancel: the job ends, every temporary file is deleted, nothing is handed over.
    /// Returns S_OK or BG_S_UNABLE_TO_DELETE_FILES.
    pub fn cancel(&self, id: JobId) -> Result<ErrorCode> {
        self.inner.with_job(id, |entry, notes| {
            state::next(entry.record.state, entry.record.job_type, Trigger::Cancel)
                .map_err(Error::code)?;
            stop_run(entry);
            let code = cancel_files(entry, notes);
            self.inner.transition(entry, Trigger::Cancel)?;
            notes.history = Some(history_of(&entry.record, false));
            Ok(code)
        })
    }

    /// Cancels a job that was never resumed and leaves no trace of it, not even in the history:
    /// for a job whose creation failed half-way. A job that ever ran is refused with
    /// BG_E_INVALID_STATE (cancel it instead).
    pub fn discard(&self, id: JobId) -> Result<()> {
        self.inner.with_job(id, |entry, notes| {
            if entry.record.ever_resumed {
                return Err(Error::new(
                    ErrorCode::BG_E_INVALID_STATE,
                    "the job has already run; cancel it instead",
                ));
            }
            cancel_files(entry, notes);
            self.inner.transition(entry, Trigger::Cancel)?;
            notes.no_history = true;
            Ok(())
        })
    }

    /// Complete: downloads keep every fully transferred file under its final name and drop the
    /// rest (any non-final state); uploads only from TRANSFERRED. A failed rename leaves the job
    /// TRANSFERRED with the files already renamed in place.
    pub fn complete(&self, id: JobId) -> Result<CompleteOutcome> {
        self.inner
            .with_job(id, |entry, notes| self.complete_entry(entry, notes))
    }

    /// Complete all ready: completes, as one step (the job table stays locked from the first
    /// job to the last), every TRANSFERRED job; counts the jobs completed and those a failed
    /// rename (a file that exists, a folder that refuses) left TRANSFERRED. Jobs in any other
    /// state, ERROR included, are left alone: their files are not all there. See `bulk`.
    pub fn complete_all_ready(&self) -> Result<crate::bulk::CompleteAllOutcome> {
        let mut table = self.inner.table();
        let ready: Vec<JobId> = table
            .entries
            .values()
            .filter(|entry| crate::bulk::ready_to_complete(entry))
            .map(|entry| entry.record.id)
            .collect();
        let mut outcome = crate::bulk::CompleteAllOutcome::default();
        for id in ready {
            let completed = self.inner.apply(&mut table, id, |entry, notes| {
                self.complete_entry(entry, notes)
            });
            match completed {
                Ok(done) if done.state == JobState::Acknowledged => outcome.completed += 1,
                Ok(_) => outcome.not_completed += 1,
                Err(error) => {
                    tracing::warn!(%id, "Complete all ready could not complete a job: {error}");
                    outcome.not_completed += 1;
                }
            }
        }
        Ok(outcome)
    }

    /// Complete on one job (see [`Engine::complete`]), inside a change of the job table.
    fn complete_entry(
        &self,
        entry: &mut JobEntry,
        notes: &mut ChangeNotes,
    ) -> Result<CompleteOutcome> {
        {
            state::next(
                entry.record.state,
                entry.record.job_type,
                Trigger::Complete { all_renamed: true },
            )
            .map_err(|code| {
                Error::new(code, "upload jobs can be completed only once TRANSFERRED")
            })?;
            stop_run(entry);
            let mut outcome = CompleteOutcome {
                code: ErrorCode::S_OK,
                state: JobState::Acknowledged,
                kept: Vec::new(),
                discarded: Vec::new(),
                rename_failures: Vec::new(),
            };
            let mut undeletable = false;
            if entry.record.job_type == JobType::Download {
                self.commit_handover_intents(&mut entry.record)?;
                for file in &mut entry.record.files {
                    if file.completed {
                        outcome.kept.push(file.local_path.clone());
                    } else if file.transferred {
                        file.handover = None;
                        match hand_over(file) {
                            Ok(()) => {
                                file.completed = true;
                                outcome.kept.push(file.local_path.clone());
                            }
                            Err(failure) => outcome.rename_failures.push(failure),
                        }
                    } else {
                        outcome.discarded.push(file.local_path.clone());
                    }
                }
                crate::handover::sync_folders(outcome.kept.iter().map(PathBuf::as_path));
                if outcome.rename_failures.is_empty() {
                    for file in entry.record.files.iter().filter(|f| !f.transferred) {
                        undeletable |= !delete_temp(file);
                    }
                }
            } else {
                entry
                    .record
                    .files
                    .iter_mut()
                    .for_each(|f| f.completed = true);
                outcome.kept = entry
                    .record
                    .files
                    .iter()
                    .map(|f| f.local_path.clone())
                    .collect();
                if entry.record.job_type == JobType::UploadReply {
                    match crate::transfer::upload::hand_over_reply(&entry.record) {
                        Ok(reply) => {
                            outcome.kept.push(reply.clone());
                            notes.reply_file = Some(reply);
                        }
                        Err(failure) => outcome.rename_failures.push(failure),
                    }
                }
            }
            let all_renamed = outcome.rename_failures.is_empty();
            outcome.state = self
                .inner
                .transition(entry, Trigger::Complete { all_renamed })?;
            outcome.code = match outcome.rename_failures.first() {
                Some(failure) => failure.code,
                None if undeletable => ErrorCode::BG_S_UNABLE_TO_DELETE_FILES,
                None if !outcome.discarded.is_empty() => ErrorCode::BG_S_PARTIAL_COMPLETE,
                None => ErrorCode::S_OK,
            };
            if all_renamed {
                notes.history = Some(history_of(&entry.record, false));
            }
            Ok(outcome)
        }
    }

    /// Commits, before Complete renames anything, which temporary file each transferred file is
    /// (see `handover`): a crash after a rename but before the commit that marks the file
    /// completed is then recognised at the next start instead of downloading the file again.
    fn commit_handover_intents(&self, record: &mut JobRecord) -> Result<()> {
        let mut any = false;
        for file in record
            .files
            .iter_mut()
            .filter(|f| f.transferred && !f.completed)
        {
            file.handover = file
                .temp_path
                .as_deref()
                .and_then(crate::handover::HandOver::of);
            any |= file.handover.is_some();
        }
        if any {
            self.inner.store().save_job(record)?;
        }
        Ok(())
    }

    /// Pause all: suspends, as one step, every job that is moving or waiting to move (QUEUED,
    /// CONNECTING, TRANSFERRING, TRANSIENT_ERROR); returns how many it suspended. See `bulk`.
    pub fn suspend_all(&self) -> Result<u32> {
        self.inner
            .change_all(crate::bulk::pausable, |inner, entry, _| {
                suspend_entry(inner, entry)
            })
    }

    /// Resume all: resumes, as one step, every SUSPENDED job with files that has run before
    /// (stopped by a person or by Pause all; a job never resumed stays as it is); returns how
    /// many it resumed. See `bulk`.
    pub fn resume_all(&self) -> Result<u32> {
        self.inner.change_all(crate::bulk::resumable, resume_entry)
    }

    fn set(&self, id: JobId, change: impl FnOnce(&mut JobRecord) -> Result<()>) -> Result<()> {
        self.inner.with_job(id, |entry, notes| {
            defer_while_draft(entry, notes);
            self.inner.transition(entry, Trigger::SetProperty)?;
            change(&mut entry.record)?;
            entry.record.touch();
            Ok(())
        })
    }

    /// Sets the display name (≤ 256 characters).
    pub fn set_display_name(&self, id: JobId, name: &str) -> Result<()> {
        validate::display_name(name)?;
        self.set(id, |r| {
            r.settings.display_name = name.to_owned();
            Ok(())
        })
    }

    /// Sets the description (≤ 1,024 characters).
    pub fn set_description(&self, id: JobId, text: &str) -> Result<()> {
        validate::description(text)?;
        self.set(id, |r| {
            r.settings.description = text.to_owned();
            Ok(())
        })
    }

    /// Sets the priority; a job with a custom HTTP method stays FOREGROUND.
    pub fn set_priority(&self, id: JobId, priority: Priority) -> Result<()> {
        self.inner.with_job(id, |entry, notes| {
            defer_while_draft(entry, notes);
            self.inner.transition(entry, Trigger::SetProperty)?;
            let record = &mut entry.record;
            record.touch();
            if record.settings.http_method.is_some() {
                return Ok(());
            }
            let foreground = |p: Priority| p == Priority::Foreground;
            let lane_changed = foreground(record.settings.priority) != foreground(priority);
            record.settings.priority = priority;
            if lane_changed && record.state.is_active() {
                // A run keeps the lane it started in (capped by the bandwidth policy or not):
                // the job queues again for its new one.
                self.inner.transition(entry, Trigger::Descheduled)?;
            }
            Ok(())
        })
    }

    /// Sets the HTTP method of a download job before its first Resume. A method other than
    /// GET forces FOREGROUND priority and keeps it there.
    pub fn set_http_method(&self, id: JobId, method: &str) -> Result<()> {
        let valid_token = !method.is_empty()
            && method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_token {
            return Err(Error::new(
                ErrorCode::E_INVALIDARG,
                format!("{method:?} is not a valid HTTP method"),
            ));
        }
        self.set(id, |r| {
            if r.job_type != JobType::Download {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "only download jobs have an HTTP method",
                ));
            }
            if r.ever_resumed {
                return Err(Error::new(
                    ErrorCode::BG_E_INVALID_STATE,
                    "the HTTP method can only be set before the first Resume",
                ));
            }
            if method == "GET" {
                r.settings.http_method = None;
            } else {
                r.settings.http_method = Some(method.to_owned());
                r.settings.priority = Priority::Foreground;
            }
            Ok(())
        })
    }

    /// Marks a transferred file of a download job valid or invalid. An invalid file puts the
    /// job in ERROR with `BG_E_VALIDATION_FAILED` and is downloaded again on Resume.
    pub fn set_validation_state(&self, id: JobId, file_index: u32, valid: bool) -> Result<()> {
        self.inner.with_job(id, |entry, _| {
            if entry.record.job_type != JobType::Download {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "only download files can be validated",
                ));
            }
            let job_type = entry.record.job_type;
            let can_fail = state::next(entry.record.state, job_type, Trigger::FatalFailure).is_ok();
            let file = file_mut(&mut entry.record, file_index)?;
            if !file.transferred || file.completed || !can_fail {
                return Err(Error::new(
                    ErrorCode::BG_E_INVALID_STATE,
                    "only a transferred file that is not yet completed can be validated",
                ));
            }
            if valid {
                return Ok(());
            }
            start_over(file)?;
            entry.live.forget_file(file_index as usize);
            let failure = crate::transfer::http::Failure::fatal(
                ErrorCode::BG_E_VALIDATION_FAILED,
                crate::error::ErrorContext::RemoteFile,
                format!("file {file_index} failed validation"),
            );
            self.inner.fail(entry, Some(file_index as usize), failure);
            entry.record.touch();
            Ok(())
        })
    }

    /// Sets the BG_NOTIFY_* flags; unknown bits are `E_NOTIMPL`.
    pub fn set_notify_flags(&self, id: JobId, flags: u32) -> Result<()> {
        if flags & !notify_flags::ALL != 0 {
            return Err(Error::new(
                ErrorCode::E_NOTIMPL,
                format!("notify flags 0x{flags:X} are not supported"),
            ));
        }
        self.set(id, |r| {
            r.settings.notify_flags = flags;
            Ok(())
        })
    }

    /// Sets or removes the program run on TRANSFERRED and ERROR.
    pub fn set_notify_command(&self, id: JobId, command: Option<NotifyCommand>) -> Result<()> {
        if let Some(command) = &command {
            validate::notify_command(command)?;
        }
        self.set(id, |r| {
            r.settings.notify_command = command.map(Box::new);
            Ok(())
        })
    }

    /// Sets the minimum retry delay in seconds (values below 5 become 5).
    pub fn set_minimum_retry_delay(&self, id: JobId, seconds: u32) -> Result<()> {
        self.set(id, |r| {
            r.settings.minimum_retry_delay_secs = seconds.max(MINIMUM_RETRY_DELAY_FLOOR_SECS);
            Ok(())
        })
    }

    /// Sets how the wait before each automatic retry grows: FIXED (BITS' MinimumRetryDelay every
    /// time) or BACKOFF (seconds at first, doubling up to MinimumRetryDelay).
    pub fn set_retry_policy(&self, id: JobId, policy: crate::job::RetryPolicy) -> Result<()> {
        self.set(id, |r| {
            r.settings.retry_policy = policy;
            Ok(())
        })
    }

    /// Sets whether the owner completes this download by itself once it is TRANSFERRED.
    pub fn set_auto_complete(&self, id: JobId, enabled: bool) -> Result<()> {
        self.set(id, |r| {
            r.settings.auto_complete = enabled;
            Ok(())
        })
    }

    /// Sets the no-progress timeout in seconds (0: every error is fatal).
    pub fn set_no_progress_timeout(&self, id: JobId, seconds: u32) -> Result<()> {
        self.set(id, |r| {
            r.settings.no_progress_timeout_secs = seconds;
            Ok(())
        })
    }

    /// Sets the maximum time the job may spend connecting or transferring, in seconds.
    pub fn set_maximum_download_time(&self, id: JobId, seconds: u32) -> Result<()> {
        self.set(id, |r| {
            r.settings.maximum_download_time_secs = seconds;
            Ok(())
        })
    }

    /// Sets the proxy.
    pub fn set_proxy(&self, id: JobId, proxy: ProxySettings) -> Result<()> {
        if let ProxySettings::Override { proxy: url, bypass } = &proxy {
            if url.len() > 32_768 {
                return Err(Error::code(ErrorCode::BG_E_PROXY_LIST_TOO_LARGE));
            }
            if bypass.len() > 32_768 {
                return Err(Error::code(ErrorCode::BG_E_PROXY_BYPASS_LIST_TOO_LARGE));
            }
            reqwest::Proxy::all(url.as_str()).map_err(|e| {
                Error::new(
                    ErrorCode::E_INVALIDARG,
                    format!("the proxy {url} is not valid: {e}"),
                )
            })?;
        }
        self.set(id, |r| {
            r.settings.proxy = proxy;
            Ok(())
        })
    }

    /// Sets the redirect policy (downloads only).
    pub fn set_redirect_policy(&self, id: JobId, policy: RedirectPolicy) -> Result<()> {
        self.set(id, |r| {
            if r.job_type.is_upload() {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "redirect policies apply to downloads only",
                ));
            }
            r.settings.redirect_policy = policy;
            Ok(())
        })
    }

    /// Allows servers that report no size or cannot resume (downloads; restarts at byte 0).
    pub fn set_dynamic_content(&self, id: JobId, enabled: bool) -> Result<()> {
        self.set(id, |r| {
            if r.job_type.is_upload() {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "dynamic content applies to downloads only",
                ));
            }
            if enabled && r.files.iter().any(|f| f.ranges.is_some()) {
                return Err(Error::new(
                    ErrorCode::E_INVALIDARG,
                    "a job with byte ranges cannot use dynamic content",
                ));
            }
            r.settings.dynamic_content = enabled;
            Ok(())
        })
    }

    /// Sets how many connections one file of the job may use at once (1 to
    /// [`crate::job::MAX_CONNECTIONS`]; 1 is one connection, as BITS does). Downloads only;
    /// a file already transferring keeps its count until it next starts.
    pub fn set_connections(&self, id: JobId, connections: u32) -> Result<()> {
        if !(1..=crate::job::MAX_CONNECTIONS).contains(&connections) {
            return Err(Error::new(
                ErrorCode::E_INVALIDARG,
                format!(
                    "a file can use 1 to {} connections, not {connections}",
                    crate::job::MAX_CONNECTIONS
                ),
            ));
        }
        self.set(id, |r| {
            if r.job_type.is_upload() {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "several connections per file apply to downloads only",
                ));
            }
            r.settings.connections = connections;
            Ok(())
        })
    }

    /// Sets the job's own speed limit in bytes per second (`None` lifts it; at least
    /// [`crate::job::MIN_SPEED_LIMIT`]). It counts all the job's connections together, holds
    /// for every priority alongside the bandwidth policy, and a running transfer follows it
    /// from its next piece, without reconnecting.
    pub fn set_speed_limit(&self, id: JobId, bytes_per_second: Option<u64>) -> Result<()> {
        if let Some(rate) = bytes_per_second.filter(|&rate| rate < crate::job::MIN_SPEED_LIMIT) {
            return Err(Error::new(
                ErrorCode::E_INVALIDARG,
                format!(
                    "a speed limit must be at least {} bytes per second, not {rate}; set none to \
                     lift it",
                    crate::job::MIN_SPEED_LIMIT
                ),
            ));
        }
        self.inner.with_job(id, |entry, _| {
            self.inner.transition(entry, Trigger::SetProperty)?;
            entry.record.settings.speed_limit = bytes_per_second;
            entry.record.touch();
            Ok(())
        })?;
        // Only a stored limit reaches the transfers (a change the store refused is rolled back).
        if let Some(entry) = self.inner.table().entries.get(&id) {
            entry.pace.set(entry.record.settings.speed_limit);
        }
        Ok(())
    }

    /// Sets the reply file of an upload-reply job (before the reply starts).
    pub fn set_reply_file_name(&self, id: JobId, path: PathBuf) -> Result<()> {
        validate::download_path(&path)?;
        self.set(id, |r| {
            if r.job_type != JobType::UploadReply {
                return Err(Error::new(
                    ErrorCode::E_NOTIMPL,
                    "only upload-reply jobs have a reply file",
                ));
            }
            if r.reply_progress.is_some_and(|p| p.bytes_total.is_some()) {
                return Err(Error::new(
                    ErrorCode::BG_E_INVALID_STATE,
                    "the reply has already started",
                ));
            }
            r.settings.reply_file_name = Some(path);
            Ok(())
        })
    }

    /// Sets credentials for a target and scheme (replacing the same pair). Stored encrypted.
    pub fn set_credentials(&self, id: JobId, credentials: Credentials) -> Result<()> {
        validate::credentials(&credentials)?;
        self.change_secrets(id, |secrets| {
            secrets
                .credentials
                .retain(|c| (c.target, c.scheme) != (credentials.target, credentials.scheme));
            secrets.credentials.push(credentials);
        })
    }

    /// Removes the credentials of a target and scheme.
    pub fn remove_credentials(
        &self,
        id: JobId,
        target: AuthTarget,
        scheme: AuthScheme,
    ) -> Result<()> {
        self.change_secrets(id, |secrets| {
            secrets
                .credentials
                .retain(|c| (c.target, c.scheme) != (target, scheme))
        })
    }

    /// Sets the custom headers sent with every request (stored encrypted, never shown back).
    pub fn set_custom_headers(&self, id: JobId, headers: Vec<(String, String)>) -> Result<()> {
        for (name, value) in &headers {
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::new(
                    ErrorCode::E_INVALIDARG,
                    format!("{name} is not a valid header name"),
                )
            })?;
            reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                Error::new(
                    ErrorCode::E_INVALIDARG,
                    format!("the value of {name} is not valid"),
                )
            })?;
        }
        self.change_secrets(id, |secrets| secrets.headers = headers)
    }

    fn change_secrets(&self, id: JobId, change: impl FnOnce(&mut JobSecrets)) -> Result<()> {
        let inner = &self.inner;
        self.set(id, |r| {
            let mut secrets = match &r.sealed_secrets {
                Some(sealed) => inner.secrets.open_sealed(sealed).unwrap_or_default(),
                None => JobSecrets::default(),
            };
            change(&mut secrets);
            r.credentials_set = secrets
                .credentials
                .iter()
                .map(|c| (c.target, c.scheme))
                .collect();
            r.custom_header_names = secrets.headers.iter().map(|(n, _)| n.clone()).collect();
            r.sealed_secrets = Some(inner.secrets.seal(&secrets)?);
            Ok(())
        })
    }

    /// The policies in force.
    pub fn policies(&self) -> Policies {
        self.inner.config().policies
    }

    /// Changes the policies (limits apply to new jobs and files; the sweep uses the new timeout;
    /// a new bandwidth policy applies at once).
    pub fn set_policies(&self, policies: Policies) {
        self.inner
            .config
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .policies = policies;
        crate::scheduler::sweep_once(&self.inner);
        self.inner.wake.notify_one();
    }

    /// Changes how many FOREGROUND jobs run at once.
    pub fn set_foreground_concurrency(&self, jobs: usize) {
        self.inner
            .config
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .foreground_concurrency = jobs.max(1);
        self.inner.wake.notify_one();
    }

    /// Tells the engine whether a network connection exists (transfers wait in
    /// TRANSIENT_ERROR with BG_E_NETWORK_DISCONNECTED while it does not).
    pub fn set_network_available(&self, available: bool) {
        let was = std::mem::replace(
            &mut self
                .inner
                .conditions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .network_up,
            available,
        );
        if available && !was {
            let ids: Vec<JobId> = self
                .list()
                .into_iter()
                .filter(|j| j.state == JobState::TransientError)
                .map(|j| j.id)
                .collect();
            for id in ids {
                let _ = self
                    .inner
                    .with_job(id, |entry, _| self.inner.transition(entry, Trigger::Retry));
            }
        }
        self.inner.wake.notify_one();
    }

    /// Tells the engine whether the owner's session is active (transfers pause in QUEUED
    /// while it is not).
    pub fn set_owner_active(&self, active: bool) {
        self.inner
            .conditions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .owner_active = active;
        self.inner.wake.notify_one();
    }

    /// Asks the servers of `request`'s URLs about their files before they are added (see
    /// [`crate::probe`]): one answer per URL, in order. Advisory: a failure is an answer too.
    pub async fn probe(
        &self,
        request: crate::probe::ProbeRequest,
    ) -> Vec<crate::probe::ProbeResult> {
        crate::probe::probe(&self.inner.http, request).await
    }

    /// Creates a job for one file and resumes it (convenience for `download URL PATH`).
    pub fn download(
        &self,
        display_name: &str,
        url: &str,
        path: &Path,
        priority: Priority,
    ) -> Result<JobId> {
        let id = self.create_job(display_name, JobType::Download)?;
        let made = self
            .set_priority(id, priority)
            .and_then(|_| {
                self.add_file(
                    id,
                    FileSpec {
                        remote_url: url.to_owned(),
                        local_path: path.to_owned(),
                    },
                )
            })
            .and_then(|_| self.resume(id));
        if let Err(error) = made {
            let _ = self.cancel(id);
            return Err(error);
        }
        Ok(id)
    }
}

/// Where a file's bytes wait until Complete: a hidden file in the destination folder, named
/// after the job and the file's position only (`.ferry-<job>-<n>.part`), so its length does not
/// depend on the final name's (a 255-byte name still has a valid temporary name).
fn temp_path(local: &Path, id: JobId, index: usize) -> PathBuf {
    local.with_file_name(format!(".ferry-{}-{index}.part", id.0.simple()))
}

/// A change to a draft (see [`Engine::create_job_with`]) is neither saved nor announced on its
/// own: the draft is saved and announced whole once it is made.
fn defer_while_draft(entry: &JobEntry, notes: &mut ChangeNotes) {
    if entry.draft {
        notes.deferred = true;
        notes.quiet = true;
    }
}

/// Refuses a new job once MaxJobsPerUser or MaxJobsPerMachine is reached. The owner's jobs are
/// counted only when the queue holds at least as many jobs as a user may have: below that they
/// cannot reach the limit, so making a job costs the same however long the queue is.
fn admit(table: &JobTable, config: &Config) -> Result<()> {
    let per_user = config.policies.max_jobs_per_user as usize;
    if table.entries.len() >= per_user {
        let owned = table
            .entries
            .values()
            .filter(|e| e.record.owner == config.owner)
            .count();
        if owned >= per_user {
            return Err(Error::new(
                ErrorCode::BG_E_TOO_MANY_JOBS_PER_USER,
                format!("you already have {owned} jobs, the most MaxJobsPerUser allows; complete or cancel some first"),
            ));
        }
    }
    if table.entries.len() >= config.policies.max_jobs_per_machine as usize {
        return Err(Error::new(
            ErrorCode::BG_E_TOO_MANY_JOBS_PER_MACHINE,
            format!(
                "there are already {} jobs, the most MaxJobsPerMachine allows",
                table.entries.len()
            ),
        ));
    }
    Ok(())
}

fn no_such_file(index: u32) -> Error {
    Error::new(
        ErrorCode::E_INVALIDARG,
        format!("the job has no file {index}"),
    )
}

fn file_mut(record: &mut JobRecord, index: u32) -> Result<&mut FileRecord> {
    record
        .files
        .get_mut(index as usize)
        .ok_or_else(|| no_such_file(index))
}

/// Moves a transferred file's temporary file to `to`: a rename on the same file system, else a
/// copy that is synced before the original is removed.
fn move_temporary(from: &Path, to: &Path) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let cannot = |e| {
        Error::local_io(
            format!("cannot move {} to {}", from.display(), to.display()),
            e,
        )
    };
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
            std::fs::copy(from, to).map_err(cannot)?;
            std::fs::File::open(to)
                .and_then(|f| f.sync_all())
                .map_err(cannot)?;
            std::fs::remove_file(from).map_err(cannot)
        }
        Err(e) => Err(cannot(e)),
    }
}

fn stop_run(entry: &mut JobEntry) {
    if let Some(run) = entry.run.take() {
        run.cancel.cancel();
    }
}

/// Deletes every temporary file of a job that is being cancelled, and leaves the cancel of an
/// open upload session to the cleanup task. Returns S_OK, or BG_S_UNABLE_TO_DELETE_FILES when
/// one could not be deleted.
pub fn cancel_files(entry: &mut JobEntry, notes: &mut ChangeNotes) -> ErrorCode {
    stop_run(entry);
    let mut all = true;
    for file in entry.record.files.iter().filter(|f| !f.completed) {
        all &= delete_temp(file);
    }
    all &= crate::transfer::upload::cancel(&entry.record, notes);
    if all {
        ErrorCode::S_OK
    } else {
        ErrorCode::BG_S_UNABLE_TO_DELETE_FILES
    }
}

/// Deletes a file's temporary file and forgets its bytes, so it transfers again from byte 0.
fn start_over(file: &mut FileRecord) -> Result<()> {
    if let Some(temp) = &file.temp_path {
        if let Err(e) = std::fs::remove_file(temp) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::local_io(
                    format!("cannot delete {}", temp.display()),
                    e,
                ));
            }
        }
    }
    file.reset();
    Ok(())
}

fn delete_temp(file: &FileRecord) -> bool {
    match &file.temp_path {
        Some(temp) => match std::fs::remove_file(temp) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => {
                tracing::warn!(path = %temp.display(), "cannot delete a temporary file: {e}");
                false
            }
        },
        None => true,
    }
}

/// Puts a transferred file in place: the server's time on it, then an atomic rename.
fn hand_over(file: &FileRecord) -> std::result::Result<(), RenameFailure> {
    let fail = |e: std::io::Error| RenameFailure {
        path: file.local_path.clone(),
        code: crate::error::io_error_code(&e),
        message: format!("cannot put {} in place: {e}", file.local_path.display()),
    };
    let Some(temp) = &file.temp_path else {
        return Ok(());
    };
    if let Some(millis) = file.server_modified {
        crate::handover::set_modified(temp, millis.max(0) as u64);
    }
    if let Err(error) = crate::handover::refuse_special_file(&file.local_path) {
        return Err(RenameFailure {
            path: file.local_path.clone(),
            code: error.code,
            message: error.message,
        });
    }
    crate::handover::rename_into_place(temp, &file.local_path, file.replace_existing).map_err(|e| {
        match e.kind() {
            std::io::ErrorKind::AlreadyExists => RenameFailure {
                path: file.local_path.clone(),
                code: ErrorCode::ERROR_FILE_EXISTS,
                message: format!(
                    "{} already exists and was left as it is",
                    file.local_path.display()
                ),
            },
            _ => fail(e),
        }
    })
}

/// Loads records into the table; jobs that were running go back to QUEUED and continue from
/// what their temporary files really hold. Only the jobs that changed are saved, and their
/// turns follow the order they were created in.
fn reload(inner: &Arc<Inner>, records: Vec<JobRecord>) -> Result<()> {
    let mut entries = Vec::with_capacity(records.len());
    let mut changed = Vec::new();
    for mut record in records {
        let mut moved = false;
        if record.state.is_active() {
            record.state = JobState::Queued;
            moved = true;
        }
        for file in &mut record.files {
            moved |= reconcile_file(file);
        }
        if record.files.iter().any(|f| !f.transferred) && record.state == JobState::Transferred {
            record.state = JobState::Queued;
            moved = true;
        }
        if moved {
            changed.push(entries.len());
        }
        let mut entry = Box::new(JobEntry::new(record, 0));
        if entry.record.state == JobState::TransientError && !entry.record.blocked_by_policy() {
            let wait = crate::retry::wait_after_restart(&entry.record, crate::job::now_millis());
            entry.retry_after(Some(wait));
            entry.stalled_since = Some(tokio::time::Instant::now());
        }
        entries.push(entry);
    }
    inner
        .store()
        .save_jobs(changed.iter().map(|&index| &entries[index].record))?;
    // Sorting the boxes moves pointers, not records.
    entries.sort_unstable_by_key(|entry| (entry.record.times.created, entry.record.id));
    let mut table = inner.table();
    // Room for every job at once: growing the table step by step would leave the smaller
    // tables it outgrew behind as free memory the process keeps.
    table.entries.reserve(entries.len());
    for mut entry in entries {
        entry.turn = table.take_turn();
        entry.record.files.mark_saved();
        table.entries.insert(entry.record.id, entry);
    }
    tracing::info!(jobs = table.entries.len(), "jobs reloaded");
    Ok(())
}

/// Brings a file's record in line with its temporary file after a restart; returns whether
/// the record changed.
fn reconcile_file(file: &mut FileRecord) -> bool {
    // What a restart can change of a file (`FileRecord::reset` included), compared without
    // copying the record.
    let marks = |file: &FileRecord| {
        (
            file.handover.is_some(),
            file.completed,
            file.transferred,
            file.bytes_transferred,
            file.bytes_total,
            file.validators.is_some(),
            file.sha256.is_some(),
            file.verification,
            file.segments.is_some(),
        )
    };
    let before = marks(file);
    reconcile_bytes(file);
    marks(file) != before
}

/// A file renamed by an interrupted Complete is completed; otherwise, a file not completed
/// counts the bytes its temporary file holds.
fn reconcile_bytes(file: &mut FileRecord) {
    if crate::handover::recover(file) || file.completed {
        return;
    }
    let Some(temp) = &file.temp_path else {
        return;
    };
    let on_disk = std::fs::metadata(temp).map(|m| m.len()).ok();
    if file.transferred {
        let resumable =
            file.validators.is_some() && on_disk.zip(file.bytes_total).is_some_and(|(d, t)| d < t);
        if on_disk == file.bytes_total {
            // Every byte is there.
        } else if resumable {
            tracing::warn!(path = %temp.display(), "a transferred file lost its tail; resuming it");
            file.transferred = false;
            file.bytes_transferred = on_disk.unwrap_or(0);
        } else {
            tracing::warn!(path = %temp.display(), "a transferred file's temporary copy is missing; downloading it again");
            file.reset();
        }
    } else if let Some(spans) = &file.segments {
        // A preallocated file: only the spans known to be on disk count.
        file.bytes_transferred = spans.iter().map(|(s, e)| e.saturating_sub(*s)).sum();
    } else {
        file.bytes_transferred = on_disk.unwrap_or(0);
    }
}

/// Resume's change to one job: SUSPENDED or (TRANSIENT_)ERROR → QUEUED, at the back of the
/// round robin (`turn`), its maximum-download clock and retry backoff started afresh.
fn resume_entry(inner: &Inner, entry: &mut JobEntry, turn: u64) -> Result<()> {
    let from = entry.record.state;
    let to = inner.transition(
        entry,
        Trigger::Resume {
            has_files: !entry.record.files.is_empty(),
        },
    )?;
    crate::transfer::upload::name_reply_file(&mut entry.record);
    if from != to {
        entry.turn = turn;
        entry.record.active_millis = 0;
        entry.record.ever_resumed = true;
        entry.retry_after(None);
        if from == JobState::Error || from == JobState::Suspended {
            entry.progressed();
        }
    }
    entry.record.touch();
    Ok(())
}

/// Suspend's change to one job: SUSPENDED, its transfer stopped at once.
fn suspend_entry(inner: &Inner, entry: &mut JobEntry) -> Result<()> {
    inner.transition(entry, Trigger::Suspend)?;
    entry.record.touch();
    Ok(())
}
