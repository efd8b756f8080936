//! The job store: one SQLite file in WAL mode with full sync, so a committed transition survives
//! a crash or power loss. Schema changes go through numbered migrations (`user_version`).
//!
//! Jobs are kept as one row each holding the serialised [`JobRecord`] without its files; each
//! file is a row of its own (job, index, serialised [`FileRecord`]), so a change to one file of
//! a job of thousands writes that file and the job's header, not the whole job. The columns
//! beside the serialised forms are what queries need. A store that SQLite finds is not a database, or damaged, is moved aside,
//! never replaced in silence; a store that cannot be read or written for any other reason (a
//! full or read-only disk) is left exactly as it is and the start is refused.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, ErrorContext, Result};
use crate::job::{JobId, JobState, JobType, UnixMillis};
use crate::record::{FileRecord, Files, JobRecord};
use crate::transfer::upload::SessionCleanup;

/// File name of the store inside the data directory.
pub const STORE_FILE: &str = "ferry.db";

/// The most memory SQLite's page cache of the store takes, in KiB.
const STORE_CACHE_KIB: i64 = 256;

/// Migrations, in order; `user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: jobs and the history of finished jobs.
    "CREATE TABLE jobs (
         id TEXT PRIMARY KEY,
         owner TEXT NOT NULL,
         state TEXT NOT NULL,
         record TEXT NOT NULL
     );
     CREATE TABLE history (
         id TEXT PRIMARY KEY,
         finished_at INTEGER NOT NULL,
         entry TEXT NOT NULL
     );
     CREATE INDEX history_by_time ON history (finished_at DESC);",
    // 2: upload sessions of cancelled jobs that the server still has to drop.
    "CREATE TABLE cleanup (
         job_id TEXT PRIMARY KEY,
         record TEXT NOT NULL
     );",
    // 3: history entries count the job's files, the files kept and the bytes kept. Older
    // entries knew only the kept files and every byte transferred: their files are taken as
    // the whole job, and their bytes as kept when the job was completed.
    "UPDATE history SET entry = json_set(entry,
         '$.files_total', json_array_length(entry, '$.files'),
         '$.files_kept', json_array_length(entry, '$.files'),
         '$.bytes_kept', CASE json_extract(entry, '$.state')
             WHEN 'ACKNOWLEDGED' THEN json_extract(entry, '$.bytes') ELSE 0 END)
     WHERE json_extract(entry, '$.files_kept') IS NULL;",
    // 4: jobs say whether the owner completes them by itself; older jobs wait for Complete.
    "UPDATE jobs SET record = json_set(record, '$.settings.auto_complete', json('false'))
     WHERE json_extract(record, '$.settings.auto_complete') IS NULL;",
    // 5: each file of a job in a row of its own, out of the job's record.
    "CREATE TABLE IF NOT EXISTS files (
         job_id TEXT NOT NULL,
         idx INTEGER NOT NULL,
         record TEXT NOT NULL,
         PRIMARY KEY (job_id, idx)
     ) WITHOUT ROWID;
     INSERT INTO files (job_id, idx, record)
         SELECT jobs.id, CAST(file.key AS INTEGER), file.value
         FROM jobs, json_each(jobs.record, '$.files') AS file;
     UPDATE jobs SET record = json_remove(record, '$.files');",
];

/// A finished job, kept for the history view after it left the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HistoryEntry {
    /// The job's id.
    pub id: JobId,
    /// Its display name.
    pub display_name: String,
    /// Its type.
    pub job_type: JobType,
    /// ACKNOWLEDGED or CANCELLED.
    pub state: JobState,
    /// When it ended.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub finished_at: UnixMillis,
    /// Files handed to the user (empty when cancelled).
    #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
    pub files: Vec<PathBuf>,
    /// Bytes transferred, kept or not.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// How many files the job had.
    pub files_total: u32,
    /// How many of them were handed to the user (all of them for a full Complete, fewer for a
    /// partial one, none when cancelled).
    pub files_kept: u32,
    /// The size of the files kept.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_kept: u64,
    /// Whether the inactivity policy cancelled it.
    pub auto_cancelled: bool,
}

/// The open store.
pub struct Store {
    conn: Connection,
    /// The jobs read (and parsed, once) when the store was opened, until [`Store::load_jobs`]
    /// takes them.
    opened_with: Option<Vec<JobRecord>>,
}

impl Store {
    /// Opens (or creates) the store in `data_dir`. A file SQLite says is not a database or is
    /// corrupt, that fails its integrity check, or whose rows are not Ferry's, is renamed to
    /// `ferry.db.unreadable-<time>` and reported; a store from a newer Ferry, or one that cannot
    /// be read or written now (disk full, read-only, no permission), is left untouched and
    /// reported.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::local_io(format!("cannot create {}", data_dir.display()), e))?;
        let path = data_dir.join(STORE_FILE);
        match Self::open_at(&path) {
            Ok(store) => Ok(store),
            Err(OpenError::Newer(version)) => Err(Error::new(
                ErrorCode::E_FAIL,
                format!(
                    "the job store {} was written by a newer version of Ferry (schema {version}); \
                     it was left untouched",
                    path.display()
                ),
            )
            .in_context(ErrorContext::GeneralQueueManager)),
            Err(OpenError::Unavailable(cause)) => Err(unavailable(&path, &cause)),
            Err(OpenError::Unreadable(cause)) => {
                let aside =
                    path.with_extension(format!("db.unreadable-{}", crate::job::now_millis()));
                for suffix in ["", "-wal", "-shm"] {
                    let from = PathBuf::from(format!("{}{suffix}", path.display()));
                    let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                    if from.exists() {
                        std::fs::rename(&from, &to).map_err(|e| {
                            Error::local_io(
                                format!("cannot move the unreadable store {}", from.display()),
                                e,
                            )
                        })?;
                    }
                }
                Err(Error::new(
                    ErrorCode::E_FAIL,
                    format!(
                        "the job store {} could not be read ({cause}); it was moved to {} and a new \
                         store will be created on the next start",
                        path.display(),
                        aside.display()
                    ),
                )
                .in_context(ErrorContext::GeneralQueueManager))
            }
        }
    }

    fn open_at(path: &Path) -> std::result::Result<Store, OpenError> {
        let conn = Connection::open(path).map_err(OpenError::of)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(OpenError::of)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(OpenError::of)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(OpenError::of)?;
        // SQLite's own page cache kept small (its default is 2 MiB, resident for good once a
        // long queue was read or written): the store is read whole once, at start, and then
        // written a few rows at a time, whose pages the system's file cache holds anyway.
        conn.pragma_update(None, "cache_size", -STORE_CACHE_KIB) // negative: KiB
            .map_err(OpenError::of)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(OpenError::of)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(OpenError::of)?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(OpenError::Newer(version));
        }
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(OpenError::of)?;
        if check != "ok" {
            return Err(OpenError::Unreadable(format!(
                "its integrity check failed: {check}"
            )));
        }
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(OpenError::Unavailable(Error::new(
                ErrorCode::E_ACCESSDENIED,
                "it can only be opened read-only",
            )));
        }
        let mut store = Store {
            conn,
            opened_with: None,
        };
        store.migrate(version as usize).map_err(OpenError::of)?;
        // A store that cannot take a write now (a full disk) is refused here, not at the first
        // change of a job.
        store
            .conn
            .pragma_update(None, "user_version", known)
            .map_err(OpenError::of)?;
        // Every row must parse; a store whose rows we cannot read is not ours. The jobs are
        // kept for `load_jobs`, so each row is parsed once.
        let jobs = store.read_jobs().map_err(|error| match error {
            ReadError::Sqlite(error) => OpenError::of(error),
            ReadError::Row(error) => OpenError::Unreadable(error.message),
        })?;
        store.opened_with = Some(jobs);
        Ok(store)
    }

    fn migrate(&mut self, from: usize) -> rusqlite::Result<()> {
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(from) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Every job in the queue: the first call hands over the jobs read when the store was
    /// opened; later calls read them again.
    pub fn load_jobs(&mut self) -> Result<Vec<JobRecord>> {
        if let Some(jobs) = self.opened_with.take() {
            return Ok(jobs);
        }
        self.read_jobs().map_err(|error| match error {
            ReadError::Sqlite(error) => Error::store("cannot read the job store", error),
            ReadError::Row(error) => error,
        })
    }

    /// Reads and parses every job with its files.
    fn read_jobs(&self) -> std::result::Result<Vec<JobRecord>, ReadError> {
        let mut jobs = Vec::new();
        let mut positions = std::collections::HashMap::new();
        let mut statement = self.conn.prepare("SELECT id, record FROM jobs")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let record = parse_record(&id, text_of(row, 1)?)?;
            positions.insert(id, jobs.len());
            jobs.push((record, Vec::new()));
        }
        let mut statement = self
            .conn
            .prepare("SELECT job_id, idx, record FROM files ORDER BY job_id, idx")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let id = text_of(row, 0)?;
            let Some(&position) = positions.get(id) else {
                continue; // a file of no job: nothing refers to it
            };
            let index: i64 = row.get(1)?;
            let text = text_of(row, 2)?;
            let files = &mut jobs[position].1;
            if usize::try_from(index).ok() != Some(files.len()) {
                return Err(ReadError::Row(unreadable_row(
                    id,
                    &format!("its file {index} does not follow file {}", files.len()),
                )));
            }
            // Most jobs have one file: room for one, then growth as needed, trimmed below.
            if files.capacity() == 0 {
                files.reserve_exact(1);
            }
            files.push(parse_file(id, text)?);
        }
        Ok(jobs
            .into_iter()
            .map(|(mut record, mut files)| {
                files.shrink_to_fit();
                record.files = Files::saved(files);
                record
            })
            .collect())
    }

    /// Writes jobs in one durable transaction: each job's header, and those of its files that
    /// changed since they were last saved ([`Files::unsaved`]). The caller marks the files
    /// saved once this returns `Ok` ([`Files::mark_saved`]).
    pub fn save_jobs<'a>(&mut self, jobs: impl IntoIterator<Item = &'a JobRecord>) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| Error::store("cannot write the job store", e))?;
        {
            let mut header = tx
                .prepare_cached(
                    "INSERT INTO jobs (id, owner, state, record) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(id) DO UPDATE SET state = excluded.state, record = excluded.record",
                )
                .map_err(|e| Error::store("cannot write the job store", e))?;
            let mut file_row = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO files (job_id, idx, record) VALUES (?1, ?2, ?3)",
                )
                .map_err(|e| Error::store("cannot write the job store", e))?;
            for job in jobs {
                let text = serde_json::to_string(job).map_err(|e| unserialisable(job, e))?;
                let id = job.id.0.to_string();
                header
                    .execute(params![id, job.owner, job.state.name(), text])
                    .map_err(|e| Error::store("cannot write the job store", e))?;
                for index in job.files.unsaved() {
                    let text = serde_json::to_string(&job.files[index])
                        .map_err(|e| unserialisable(job, e))?;
                    file_row
                        .execute(params![id, index as i64, text])
                        .map_err(|e| Error::store("cannot write the job store", e))?;
                }
            }
        }
        tx.commit()
            .map_err(|e| Error::store("cannot commit to the job store", e))
    }

    /// Writes one job durably (its header and its unsaved files).
    pub fn save_job(&mut self, job: &JobRecord) -> Result<()> {
        self.save_jobs(std::iter::once(job))
    }

    /// Removes a job that reached a final state and records it in the history, atomically; with
    /// the upload session the server still has to drop, if there is one.
    pub fn finish_job(
        &mut self,
        id: JobId,
        history: Option<&HistoryEntry>,
        cleanup: Option<&SessionCleanup>,
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| Error::store("cannot write the job store", e))?;
        tx.execute("DELETE FROM jobs WHERE id = ?1", params![id.0.to_string()])
            .map_err(|e| Error::store("cannot write the job store", e))?;
        tx.execute(
            "DELETE FROM files WHERE job_id = ?1",
            params![id.0.to_string()],
        )
        .map_err(|e| Error::store("cannot write the job store", e))?;
        if let Some(history) = history {
            let entry = serde_json::to_string(history).map_err(|e| {
                Error::new(ErrorCode::E_FAIL, format!("cannot serialise history: {e}"))
            })?;
            tx.execute(
                "INSERT OR REPLACE INTO history (id, finished_at, entry) VALUES (?1, ?2, ?3)",
                params![id.0.to_string(), history.finished_at, entry],
            )
            .map_err(|e| Error::store("cannot write the job store", e))?;
        }
        if let Some(cleanup) = cleanup {
            let record = serde_json::to_string(cleanup).map_err(|e| {
                Error::new(
                    ErrorCode::E_FAIL,
                    format!("cannot serialise a cleanup: {e}"),
                )
            })?;
            tx.execute(
                "INSERT OR REPLACE INTO cleanup (job_id, record) VALUES (?1, ?2)",
                params![id.0.to_string(), record],
            )
            .map_err(|e| Error::store("cannot write the job store", e))?;
        }
        tx.commit()
            .map_err(|e| Error::store("cannot commit to the job store", e))
    }

    /// The most recent finished jobs, newest first.
    pub fn history(&self, limit: usize) -> Result<Vec<HistoryEntry>> {
        let mut statement = self
            .conn
            .prepare("SELECT entry FROM history ORDER BY finished_at DESC LIMIT ?1")
            .map_err(|e| Error::store("cannot read the history", e))?;
        let rows = statement
            .query_map(params![limit as i64], |row| row.get::<_, String>(0))
            .map_err(|e| Error::store("cannot read the history", e))?;
        let mut entries = Vec::new();
        for row in rows {
            let text = row.map_err(|e| Error::store("cannot read the history", e))?;
            if let Ok(entry) = serde_json::from_str(&text) {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// The upload sessions of cancelled jobs still waiting for their Cancel-Session.
    pub fn cleanups(&self) -> Result<Vec<SessionCleanup>> {
        let mut statement = self
            .conn
            .prepare("SELECT record FROM cleanup")
            .map_err(|e| Error::store("cannot read the job store", e))?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|e| Error::store("cannot read the job store", e))?;
        let mut cleanups = Vec::new();
        for row in rows {
            let text = row.map_err(|e| Error::store("cannot read the job store", e))?;
            match serde_json::from_str(&text) {
                Ok(cleanup) => cleanups.push(cleanup),
                Err(e) => tracing::warn!("skipping an unreadable upload cleanup: {e}"),
            }
        }
        Ok(cleanups)
    }

    /// Forgets the upload session cleanup of job `id` (done, or given up).
    pub fn delete_cleanup(&mut self, id: JobId) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM cleanup WHERE job_id = ?1",
                params![id.0.to_string()],
            )
            .map(|_| ())
            .map_err(|e| Error::store("cannot write the job store", e))
    }
}

/// Column `index` of `row` as text, read in place rather than copied.
fn text_of<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(index)?.as_str().map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, error.into())
    })
}

/// A job record (without its files) from its serialised form.
fn parse_record(id: &str, text: &str) -> Result<JobRecord> {
    serde_json::from_str(text).map_err(|e| unreadable_row(id, &e.to_string()))
}

/// One file of job `id` from its serialised form.
fn parse_file(id: &str, text: &str) -> Result<FileRecord> {
    serde_json::from_str(text).map_err(|e| unreadable_row(id, &format!("a file: {e}")))
}

/// The error for a row of job `id` that cannot be read (`why`).
fn unreadable_row(id: &str, why: &str) -> Error {
    Error::new(
        ErrorCode::E_FAIL,
        format!("job {id} in the store cannot be read: {why}"),
    )
    .in_context(ErrorContext::GeneralQueueManager)
}

/// The error for a job that cannot be serialised.
fn unserialisable(job: &JobRecord, error: serde_json::Error) -> Error {
    Error::new(
        ErrorCode::E_FAIL,
        format!("cannot serialise job {}: {error}", job.id),
    )
}

/// Why the jobs could not be read.
enum ReadError {
    /// SQLite could not read the rows.
    Sqlite(rusqlite::Error),
    /// A row is not a job or a file of one.
    Row(Error),
}

impl From<rusqlite::Error> for ReadError {
    fn from(error: rusqlite::Error) -> Self {
        ReadError::Sqlite(error)
    }
}

impl From<Error> for ReadError {
    fn from(error: Error) -> Self {
        ReadError::Row(error)
    }
}

/// Why the store could not be opened.
enum OpenError {
    /// SQLite says the file is not a database or is damaged: it is moved aside.
    Unreadable(String),
    /// Written by a newer Ferry: left alone.
    Newer(i64),
    /// It cannot be read or written now (disk full, read-only, busy, no permission): left alone.
    Unavailable(Error),
}

impl OpenError {
    /// Only SQLite's own verdict that the file is not a database or is corrupt makes a store
    /// unreadable; every other failure (I/O, space, permissions) leaves it alone.
    fn of(error: rusqlite::Error) -> OpenError {
        use rusqlite::ErrorCode as Sqlite;
        match error.sqlite_error_code() {
            Some(Sqlite::NotADatabase | Sqlite::DatabaseCorrupt) => {
                OpenError::Unreadable(error.to_string())
            }
            _ => OpenError::Unavailable(Error::store("SQLite", error)),
        }
    }
}

/// The refusal for a store that cannot be used now; says what to do about it.
fn unavailable(path: &Path, cause: &Error) -> Error {
    let folder = path.parent().unwrap_or(path).display();
    let advice = match cause.code {
        ErrorCode::ERROR_DISK_FULL => format!("free some space on the disk holding {folder}"),
        ErrorCode::E_ACCESSDENIED => {
            format!("make sure {folder} and the files in it can be written (it may be read-only)")
        }
        _ => format!("check the disk holding {folder}"),
    };
    Error::new(
        cause.code,
        format!(
            "the job store {} cannot be used ({}); nothing was changed: {advice}, then start \
             again",
            path.display(),
            cause.message
        ),
    )
    .in_context(ErrorContext::GeneralQueueManager)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobSettings, JobType};

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferry-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_saved_job_is_loaded_back_identical() {
        let dir = temp_dir();
        let record = JobRecord::new(
            JobId::new(),
            JobType::Download,
            "me".into(),
            JobSettings::new("x"),
        );
        Store::open(&dir).unwrap().save_job(&record).unwrap();
        let loaded = Store::open(&dir).unwrap().load_jobs().unwrap();
        assert_eq!(loaded, vec![record]);
    }

    #[test]
    fn a_job_stored_before_auto_complete_waits_for_complete() {
        let dir = temp_dir();
        let record = JobRecord::new(
            JobId::new(),
            JobType::Download,
            "me".into(),
            JobSettings::new("older"),
        );
        Store::open(&dir).unwrap().save_job(&record).unwrap();
        {
            // The row as the store of version 3 wrote it: no auto_complete.
            let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
            conn.execute_batch(
                "UPDATE jobs SET record = json_remove(record, '$.settings.auto_complete');",
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 3).unwrap();
        }
        let loaded = Store::open(&dir).unwrap().load_jobs().unwrap();
        assert!(!loaded[0].settings.auto_complete);
        let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
        let stored: String = conn
            .query_row(
                "SELECT json_extract(record, '$.settings.auto_complete') IS NOT NULL FROM jobs",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map(|present| present.to_string())
            .unwrap();
        assert_eq!(
            stored, "1",
            "the migration writes the property into the row"
        );
    }

    #[test]
    fn a_job_stored_with_its_files_inline_gets_a_row_per_file() {
        let dir = temp_dir();
        let mut record = JobRecord::new(
            JobId::new(),
            JobType::Download,
            "me".into(),
            JobSettings::new("version 4"),
        );
        let mut files = vec![
            FileRecord::new("http://127.0.0.1/a".into(), "/d/a".into(), None),
            FileRecord::new("http://127.0.0.1/b".into(), "/d/b".into(), None),
        ];
        files[1].bytes_transferred = 12;
        files[1].transferred = true;
        {
            // A store of version 4: the files inside the job's row.
            let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
            for sql in &MIGRATIONS[..4] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 4).unwrap();
            let mut row = serde_json::to_value(&record).unwrap();
            row["files"] = serde_json::to_value(&files).unwrap();
            conn.execute(
                "INSERT INTO jobs (id, owner, state, record) VALUES (?1, 'me', 'SUSPENDED', ?2)",
                params![record.id.0.to_string(), row.to_string()],
            )
            .unwrap();
        }
        let loaded = Store::open(&dir).unwrap().load_jobs().unwrap();
        record.files = Files::saved(files);
        assert_eq!(loaded, vec![record]);
        let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
        let (rows, inline): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM files),
                        (SELECT count(*) FROM jobs WHERE json_extract(record, '$.files') IS NOT NULL)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (rows, inline),
            (2, 0),
            "each file moved to a row of its own"
        );
    }

    #[test]
    fn only_the_files_changed_since_the_last_save_are_written() {
        let dir = temp_dir();
        let mut record = JobRecord::new(
            JobId::new(),
            JobType::Download,
            "me".into(),
            JobSettings::new("x"),
        );
        for name in ["a", "b", "c"] {
            let url = format!("http://127.0.0.1/{name}");
            record.files.push(FileRecord::new(url, name.into(), None));
        }
        let mut store = Store::open(&dir).unwrap();
        store.save_job(&record).unwrap();
        record.files.mark_saved();
        // A row changed behind the store's back stays as it is unless its file is saved.
        store
            .conn
            .execute("UPDATE files SET record = json_set(record, '$.bytes_transferred', 99) WHERE idx = 0", [])
            .unwrap();
        record.files[2].bytes_transferred = 5;
        store.save_job(&record).unwrap();
        drop(store);
        let loaded = Store::open(&dir).unwrap().load_jobs().unwrap();
        let bytes: Vec<u64> = loaded[0]
            .files
            .iter()
            .map(|f| f.bytes_transferred)
            .collect();
        assert_eq!(bytes, [99, 0, 5]);
    }

    #[test]
    fn a_cleanup_is_stored_with_the_final_state_until_deleted() {
        let dir = temp_dir();
        let id = JobId::new();
        let history = HistoryEntry {
            id,
            display_name: "up".into(),
            job_type: JobType::Upload,
            state: JobState::Cancelled,
            finished_at: 1,
            files: Vec::new(),
            bytes: 0,
            files_total: 1,
            files_kept: 0,
            bytes_kept: 0,
            auto_cancelled: false,
        };
        let cleanup = SessionCleanup {
            job: id,
            url: "http://127.0.0.1:9/up".into(),
            session_id: "{session}".into(),
            proxy: crate::job::ProxySettings::NoProxy,
            sealed_secrets: None,
            retry_delay_secs: 600,
            give_up_at: 86_400_000,
        };
        let mut store = Store::open(&dir).unwrap();
        store
            .finish_job(id, Some(&history), Some(&cleanup))
            .unwrap();
        drop(store);
        let mut store = Store::open(&dir).unwrap();
        assert_eq!(store.cleanups().unwrap(), vec![cleanup]);
        store.delete_cleanup(id).unwrap();
        assert!(store.cleanups().unwrap().is_empty());
    }

    #[test]
    fn an_unreadable_store_is_moved_aside_not_replaced() {
        let dir = temp_dir();
        std::fs::write(
            dir.join(STORE_FILE),
            b"this is not a database, it is a text file....",
        )
        .unwrap();
        let err = Store::open(&dir)
            .err()
            .expect("a garbage file must not open as a store");
        assert!(err.message.contains("moved to"), "{}", err.message);
        let moved: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("unreadable"))
            .collect();
        assert_eq!(
            moved.len(),
            1,
            "the unreadable file must be kept beside the new store"
        );
        assert!(
            Store::open(&dir).is_ok(),
            "the next start gets a fresh store"
        );
    }

    #[test]
    fn history_written_before_kept_counts_reads_back_with_them() {
        let dir = temp_dir();
        {
            let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(MIGRATIONS[1]).unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
            let old = |id: &str, state: &str, files: &str, bytes: u64| {
                let entry = format!(
                    r#"{{"id":"{id}","display_name":"old","job_type":"DOWNLOAD","state":"{state}","finished_at":1,"files":{files},"bytes":{bytes},"auto_cancelled":false}}"#
                );
                conn.execute(
                    "INSERT INTO history (id, finished_at, entry) VALUES (?1, 1, ?2)",
                    params![id, entry],
                )
                .unwrap();
            };
            old(
                "00000000-0000-4000-8000-000000000001",
                "ACKNOWLEDGED",
                r#"["/d/a","/d/b"]"#,
                677_000,
            );
            old(
                "00000000-0000-4000-8000-000000000002",
                "CANCELLED",
                "[]",
                5_000,
            );
        }
        let history = Store::open(&dir).unwrap().history(10).unwrap();
        let by_state = |state| history.iter().find(|h| h.state == state).unwrap();
        let completed = by_state(JobState::Acknowledged);
        assert_eq!(
            (
                completed.files_total,
                completed.files_kept,
                completed.bytes_kept
            ),
            (2, 2, 677_000),
            "an old completed entry keeps what it lists"
        );
        let cancelled = by_state(JobState::Cancelled);
        assert_eq!(
            (cancelled.files_kept, cancelled.bytes_kept),
            (0, 0),
            "an old cancelled entry kept nothing"
        );
    }

    #[test]
    fn a_store_from_a_newer_version_is_left_untouched() {
        let dir = temp_dir();
        {
            let conn = Connection::open(dir.join(STORE_FILE)).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = Store::open(&dir)
            .err()
            .expect("a newer schema must be refused");
        assert!(err.message.contains("newer"), "{}", err.message);
        assert!(dir.join(STORE_FILE).exists());
    }
}

#[cfg(test)]
mod properties {
    //! Rows of the job store against any content (a damaged file, an edit by hand, a row from
    //! another version): decoding gives a record or an error with a code, never a panic.

    use proptest::prelude::*;

    use super::*;
    use crate::job::{JobSettings, JobType};

    /// A job record as JSON, as the store writes it.
    fn saved_record() -> serde_json::Value {
        let record = JobRecord::new(
            JobId::new(),
            JobType::Download,
            "me".into(),
            JobSettings::new("x"),
        );
        serde_json::to_value(&record).unwrap()
    }

    /// Any small JSON value.
    fn json() -> impl Strategy<Value = serde_json::Value> {
        crate::test_json::json_with_keys(".{0,6}".prop_map(String::from), 2)
    }

    proptest! {
        #[test]
        fn a_row_of_any_text_is_a_record_or_a_coded_error(text in ".{0,300}") {
            if let Err(e) = parse_record("row", &text) {
                prop_assert_eq!(e.code, ErrorCode::E_FAIL);
            }
        }

        #[test]
        fn a_saved_row_with_one_field_changed_is_a_record_or_a_coded_error(
            field in any::<prop::sample::Index>(),
            value in json(),
        ) {
            let mut record = saved_record();
            let fields = record.as_object_mut().unwrap();
            let name = fields.keys().nth(field.index(fields.len())).unwrap().clone();
            fields.insert(name, value);
            if let Err(e) = parse_record("row", &record.to_string()) {
                prop_assert_eq!(e.code, ErrorCode::E_FAIL);
            }
        }
    }
}
