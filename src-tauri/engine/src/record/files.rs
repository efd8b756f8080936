//! A job's files, in transfer order, with what a change to one of them costs kept to that file:
//! every write goes through a method that marks the file changed since it was last saved (so
//! the store writes only those), and, while a change is open (`Inner::apply`), keeps the file's
//! value from before the change (so a failed commit rolls back only the files it touched).
//!
//! Reading is a plain slice (`Deref<Target = [FileRecord]>`); there is no way to write a file
//! without it being marked.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::ops::{Deref, Index, IndexMut};

use super::FileRecord;

/// A job's files.
#[derive(Debug, Default)]
pub struct Files {
    /// The files, in transfer order.
    list: Vec<FileRecord>,
    /// Indexes of the files written since the store last saved them.
    unsaved: BTreeSet<u32>,
    /// The values before the open change, while one is open.
    journal: Option<Journal>,
    /// Every file before this index is transferred (found by [`Files::first_not_transferred`];
    /// a write to a file lowers it to that file), so finding the next file to transfer in a
    /// long job does not look at the finished ones again.
    transferred_before: Cell<usize>,
}

/// What a change found before it wrote files.
#[derive(Debug)]
struct Journal {
    /// How many files there were.
    len: usize,
    /// The first value of each file the change wrote, in the order they were written.
    before: Vec<(usize, FileRecord)>,
    /// Every file's first value, once the change wrote them all.
    whole: Option<Vec<FileRecord>>,
}

impl Files {
    /// The files, marked as saved (as the store holds them).
    pub fn saved(list: Vec<FileRecord>) -> Self {
        Files {
            list,
            unsaved: BTreeSet::new(),
            journal: None,
            transferred_before: Cell::new(0),
        }
    }

    /// Adds a file at the end.
    pub fn push(&mut self, file: FileRecord) {
        self.mark(self.list.len());
        self.list.push(file);
    }

    /// Makes room for `additional` more files and no more: a job's files come in batches
    /// whose size is known, and growing by doubling would keep room for three more records
    /// (about 1.5 KiB) in every job of one file.
    pub fn reserve_exact(&mut self, additional: usize) {
        self.list.reserve_exact(additional);
    }

    /// The file at `index`, to write.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut FileRecord> {
        if index >= self.list.len() {
            return None;
        }
        self.mark(index);
        self.list.get_mut(index)
    }

    /// Every file, to write.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, FileRecord> {
        self.transferred_before.set(0);
        let len = self.list.len();
        self.unsaved
            .extend((0..len).filter_map(|i| u32::try_from(i).ok()));
        if let Some(journal) = &mut self.journal {
            if journal.whole.is_none() {
                let mut whole = self.list[..journal.len].to_vec();
                for (index, before) in journal.before.drain(..) {
                    whole[index] = before;
                }
                journal.whole = Some(whole);
            }
        }
        self.list.iter_mut()
    }

    /// The index of the first file from `from` on that is not transferred.
    pub fn first_not_transferred(&self, from: usize) -> Option<usize> {
        let known = self.transferred_before.get();
        let start = from.max(known);
        let found = self
            .list
            .get(start..)?
            .iter()
            .position(|file| !file.transferred)
            .map(|offset| start + offset);
        if from <= known {
            self.transferred_before
                .set(found.unwrap_or(self.list.len()));
        }
        found
    }

    /// Indexes of the files written since they were last saved, in order.
    pub fn unsaved(&self) -> impl Iterator<Item = usize> + '_ {
        self.unsaved.iter().map(|&i| i as usize)
    }

    /// The store saved every file: none is unsaved any more.
    pub fn mark_saved(&mut self) {
        self.unsaved.clear();
    }

    /// Opens a change: the first write to each file from now on keeps its value from before.
    pub fn begin_change(&mut self) {
        self.journal = Some(Journal {
            len: self.list.len(),
            before: Vec::new(),
            whole: None,
        });
    }

    /// Whether the open change changed any file so far.
    pub fn changed(&self) -> bool {
        let Some(journal) = &self.journal else {
            return false;
        };
        if self.list.len() != journal.len {
            return true;
        }
        match &journal.whole {
            Some(whole) => self.list != *whole,
            None => journal
                .before
                .iter()
                .any(|(index, before)| self.list[*index] != *before),
        }
    }

    /// Keeps the open change's writes and closes it.
    pub fn keep_change(&mut self) {
        self.journal = None;
    }

    /// Undoes the open change's writes and closes it. The files it wrote stay marked unsaved,
    /// which at worst saves their value again.
    pub fn roll_back(&mut self) {
        let Some(journal) = self.journal.take() else {
            return;
        };
        // A file may have been found transferred inside the change, which is undone now.
        self.transferred_before.set(0);
        self.list.truncate(journal.len);
        match journal.whole {
            Some(whole) => self.list = whole,
            None => {
                for (index, before) in journal.before {
                    self.list[index] = before;
                }
            }
        }
    }

    /// Marks file `index` written, keeping its value from before the open change.
    fn mark(&mut self, index: usize) {
        if index < self.transferred_before.get() {
            self.transferred_before.set(index);
        }
        if let Ok(number) = u32::try_from(index) {
            self.unsaved.insert(number);
        }
        let Some(journal) = &mut self.journal else {
            return;
        };
        let known = index >= journal.len
            || journal.whole.is_some()
            || journal.before.iter().any(|(i, _)| *i == index);
        if !known {
            journal.before.push((index, self.list[index].clone()));
        }
    }
}

impl Clone for Files {
    /// The files and what is unsaved of them; a copy is never inside a change.
    fn clone(&self) -> Self {
        Files {
            list: self.list.clone(),
            unsaved: self.unsaved.clone(),
            journal: None,
            transferred_before: self.transferred_before.clone(),
        }
    }
}

impl PartialEq for Files {
    /// The same files with the same values (whatever is saved of them).
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl Eq for Files {}

impl Deref for Files {
    type Target = [FileRecord];

    fn deref(&self) -> &[FileRecord] {
        &self.list
    }
}

impl Index<usize> for Files {
    type Output = FileRecord;

    fn index(&self, index: usize) -> &FileRecord {
        &self.list[index]
    }
}

impl IndexMut<usize> for Files {
    fn index_mut(&mut self, index: usize) -> &mut FileRecord {
        self.mark(index);
        &mut self.list[index]
    }
}

impl<'a> IntoIterator for &'a Files {
    type Item = &'a FileRecord;
    type IntoIter = std::slice::Iter<'a, FileRecord>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl<'a> IntoIterator for &'a mut Files {
    type Item = &'a mut FileRecord;
    type IntoIter = std::slice::IterMut<'a, FileRecord>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl From<Vec<FileRecord>> for Files {
    /// New files, none of them saved yet.
    fn from(list: Vec<FileRecord>) -> Self {
        let unsaved = (0..list.len())
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        Files {
            list,
            unsaved,
            journal: None,
            transferred_before: Cell::new(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> FileRecord {
        FileRecord::new(format!("http://127.0.0.1/{name}"), name.into(), None)
    }

    #[test]
    fn a_rolled_back_change_restores_only_what_it_wrote() {
        let mut files = Files::saved(vec![file("a"), file("b"), file("c")]);
        files.begin_change();
        files[1].bytes_transferred = 7;
        files[1].bytes_transferred = 9;
        files.push(file("d"));
        files.roll_back();
        assert_eq!(files, Files::saved(vec![file("a"), file("b"), file("c")]));
        assert_eq!(files.unsaved().collect::<Vec<_>>(), [1, 3]);
    }

    #[test]
    fn a_change_that_writes_every_file_rolls_back_to_the_first_values() {
        let mut files = Files::saved(vec![file("a"), file("b")]);
        files.begin_change();
        files[0].bytes_transferred = 5;
        for f in &mut files {
            f.bytes_transferred += 1;
        }
        assert!(files.changed());
        files.keep_change();
        files.begin_change();
        files[0].bytes_transferred = 50;
        files.iter_mut().for_each(|f| f.transferred = true);
        files.roll_back();
        assert_eq!(
            files
                .iter()
                .map(|f| f.bytes_transferred)
                .collect::<Vec<_>>(),
            [6, 1]
        );
        assert!(files.iter().all(|f| !f.transferred));
    }

    #[test]
    fn the_next_file_to_transfer_follows_every_write() {
        let mut files = Files::saved(vec![file("a"), file("b"), file("c")]);
        assert_eq!(files.first_not_transferred(0), Some(0));
        files[0].transferred = true;
        files[1].transferred = true;
        assert_eq!(files.first_not_transferred(0), Some(2));
        assert_eq!(files.first_not_transferred(3), None);
        files[1].transferred = false;
        assert_eq!(files.first_not_transferred(0), Some(1));
        files[1].transferred = true;
        files.begin_change();
        files[2].transferred = true;
        assert_eq!(files.first_not_transferred(0), None);
        files.roll_back();
        assert_eq!(files.first_not_transferred(0), Some(2));
        files.iter_mut().for_each(|f| f.transferred = false);
        assert_eq!(files.first_not_transferred(1), Some(1));
        assert_eq!(files.first_not_transferred(0), Some(0));
    }

    #[test]
    fn a_change_that_writes_the_same_value_changes_nothing() {
        let mut files = Files::saved(vec![file("a")]);
        files.begin_change();
        files[0].bytes_transferred = 0;
        assert!(!files.changed());
        files.keep_change();
        files.begin_change();
        files[0].bytes_transferred = 1;
        assert!(files.changed());
    }
}
