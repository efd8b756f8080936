//! Final paths download files are headed for, so that no two files (of one job or of two live
//! jobs) share a destination.
//!
//! [`Destinations`] indexes the paths live download jobs claimed, so that checking a new file
//! costs the same with 10 jobs in the queue as with 10,000. Entries are not removed when a file
//! is completed, moved or its job ends: each is checked against the job's record when it is
//! looked up (and dropped if it no longer holds), and the whole index is rebuilt from the
//! table once it has taken as many new entries as the table has jobs, so it never grows beyond
//! a few times the queue.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::core::JobTable;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{JobId, JobType};
use crate::record::{FileRecord, JobRecord};

/// The jobs that claimed each destination, for quick look-ups. Locked only while the job
/// table is held.
#[derive(Default)]
pub struct Destinations {
    index: Mutex<Index>,
}

#[derive(Default)]
struct Index {
    holders: HashMap<PathBuf, Vec<JobId>>,
    added_since_rebuild: usize,
}

impl Destinations {
    /// The index of every destination in `table`.
    pub fn of(table: &JobTable) -> Destinations {
        let destinations = Destinations::default();
        destinations.lock().rebuild(table);
        destinations
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes that job `id` now heads for `paths` (call after the change is in the table).
    pub fn add<'a>(&self, table: &JobTable, id: JobId, paths: impl IntoIterator<Item = &'a Path>) {
        let mut index = self.lock();
        for path in paths {
            let holders = index
                .holders
                .entry(path.to_owned())
                .or_insert_with(one_holder);
            if !holders.contains(&id) {
                holders.push(id);
            }
            index.added_since_rebuild += 1;
        }
        if index.added_since_rebuild > table.entries.len().max(1_024) {
            index.rebuild(table);
        }
    }

    /// The live job (other than `except`) that heads for `path`, if any.
    pub fn holder<'t>(
        &self,
        table: &'t JobTable,
        path: &Path,
        except: Option<JobId>,
    ) -> Option<&'t JobRecord> {
        let mut index = self.lock();
        let holders = index.holders.get_mut(path)?;
        holders.retain(|id| {
            table
                .entries
                .get(id)
                .is_some_and(|entry| heads_for(&entry.record, path))
        });
        let found = holders
            .iter()
            .find(|id| Some(**id) != except)
            .and_then(|id| table.entries.get(id))
            .map(|entry| &entry.record);
        if holders.is_empty() {
            index.holders.remove(path);
        }
        found
    }

    /// Whether any live download job heads for `path`.
    pub fn is_taken(&self, table: &JobTable, path: &Path) -> bool {
        self.holder(table, path, None).is_some()
    }
}

impl Index {
    fn rebuild(&mut self, table: &JobTable) {
        self.holders.clear();
        self.added_since_rebuild = 0;
        for entry in table.entries.values() {
            for file in Claims::destinations(&entry.record) {
                self.holders
                    .entry(file.local_path.clone())
                    .or_insert_with(one_holder)
                    .push(entry.record.id);
            }
        }
    }
}

/// Room for the one job that nearly every destination has (a `Vec` would make room for four).
fn one_holder() -> Vec<JobId> {
    Vec::with_capacity(1)
}

/// Whether `record` has a download file not yet completed that heads for `path`.
fn heads_for(record: &JobRecord, path: &Path) -> bool {
    Claims::destinations(record).any(|file| file.local_path == path)
}

/// The destinations a change must not take, with who heads there.
pub struct Claims(HashMap<PathBuf, String>);

impl Claims {
    /// The destinations among `wanted` that a live download job other than `id` heads for.
    pub fn among<'a>(
        table: &JobTable,
        destinations: &Destinations,
        id: JobId,
        wanted: impl IntoIterator<Item = &'a Path>,
    ) -> Claims {
        let mut claims = Claims(HashMap::new());
        for path in wanted {
            if let Some(record) = destinations.holder(table, path, Some(id)) {
                claims.claim(path, Self::holder_name(record));
            }
        }
        claims
    }

    /// The destinations of every live download job other than `id` (files already completed
    /// no longer claim theirs): for a search over many candidate names.
    pub fn of_other_jobs(table: &JobTable, id: JobId) -> Claims {
        let mut claims = Claims(HashMap::new());
        for entry in table.entries.values().filter(|e| e.record.id != id) {
            let record = &entry.record;
            for file in Self::destinations(record) {
                claims.claim(&file.local_path, Self::holder_name(record));
            }
        }
        claims
    }

    fn holder_name(record: &JobRecord) -> String {
        format!(
            "the job \"{}\" ({})",
            record.settings.display_name, record.id
        )
    }

    fn destinations(record: &JobRecord) -> impl Iterator<Item = &FileRecord> {
        Self::indexed_destinations(record).map(|(_, file)| file)
    }

    fn indexed_destinations(record: &JobRecord) -> impl Iterator<Item = (usize, &FileRecord)> {
        let download = record.job_type == JobType::Download;
        record
            .files
            .iter()
            .enumerate()
            .filter(move |(_, f)| download && !f.completed)
    }

    /// Adds the destinations of `record`'s own files.
    pub fn add_own_files(&mut self, record: &JobRecord) {
        self.add_own_files_except(record, usize::MAX);
    }

    /// Adds the destinations of `record`'s own files but file `except`.
    pub fn add_own_files_except(&mut self, record: &JobRecord, except: usize) {
        for (index, file) in Self::indexed_destinations(record).filter(|(i, _)| *i != except) {
            self.claim(&file.local_path, format!("file {index} of this job"));
        }
    }

    /// Notes that `owner` heads for `path` (the first claim stays).
    pub fn claim(&mut self, path: &Path, owner: String) {
        self.0.entry(path.to_owned()).or_insert(owner);
    }

    /// Whether a file heads for `path`.
    pub fn holds(&self, path: &Path) -> bool {
        self.0.contains_key(path)
    }

    /// Refuses `path` when another file already heads there.
    pub fn refuse_taken(&self, path: &Path) -> Result<()> {
        match self.0.get(path) {
            None => Ok(()),
            Some(owner) => Err(Error::new(
                ErrorCode::ERROR_FILE_EXISTS,
                format!(
                    "{} is already the destination of {owner}; choose another file name",
                    path.display()
                ),
            )
            .in_context(crate::error::ErrorContext::LocalFile)),
        }
    }
}
