//! What Pause all, Resume all and Complete all ready say they did, in the tray and on a
//! terminal: one sentence each, by count (on a terminal in English, in the tray in the chosen
//! language).

use crate::i18n::{self, LanguageIdentifier};

/// What Pause all did, for `paused` jobs, in `locale`.
pub fn paused_in(locale: &LanguageIdentifier, paused: u32) -> String {
    i18n::text_with(locale, "bulk-paused", &[("count", paused.into())])
}

/// What Resume all did, for `resumed` jobs, in `locale`.
pub fn resumed_in(locale: &LanguageIdentifier, resumed: u32) -> String {
    i18n::text_with(locale, "bulk-resumed", &[("count", resumed.into())])
}

/// What Pause all did, for `paused` jobs.
pub fn paused(paused: u32) -> String {
    match paused {
        0 => "Nothing to pause: no job is moving or waiting to move.".to_owned(),
        1 => "Paused 1 job.".to_owned(),
        n => format!("Paused {n} jobs."),
    }
}

/// What Resume all did, for `resumed` jobs.
pub fn resumed(resumed: u32) -> String {
    match resumed {
        0 => "Nothing to resume: no paused job.".to_owned(),
        1 => "Resumed 1 job.".to_owned(),
        n => format!("Resumed {n} jobs."),
    }
}

/// What Complete all ready did: `completed` jobs completed, `not_completed` kept back by a
/// failed rename.
pub fn completed(completed: u32, not_completed: u32) -> String {
    match (completed, not_completed) {
        (0, 0) => "Nothing to complete: no job is waiting for Complete.".to_owned(),
        (1, 0) => "Completed 1 job.".to_owned(),
        (n, 0) => format!("Completed {n} jobs."),
        (0, 1) => "1 job could not be completed: a file could not be put in place.".to_owned(),
        (0, k) => format!("{k} jobs could not be completed: files could not be put in place."),
        (1, k) => {
            format!("Completed 1 job; {k} could not be completed: files could not be put in place.")
        }
        (n, k) => format!(
            "Completed {n} jobs; {k} could not be completed: files could not be put in place."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_count_reads_as_one_sentence() {
        assert_eq!(
            paused(0),
            "Nothing to pause: no job is moving or waiting to move."
        );
        assert_eq!(paused(1), "Paused 1 job.");
        assert_eq!(paused(3), "Paused 3 jobs.");
        assert_eq!(resumed(0), "Nothing to resume: no paused job.");
        assert_eq!(resumed(2), "Resumed 2 jobs.");
        assert_eq!(
            completed(0, 0),
            "Nothing to complete: no job is waiting for Complete."
        );
        assert_eq!(completed(1, 0), "Completed 1 job.");
        assert_eq!(completed(58, 0), "Completed 58 jobs.");
        assert_eq!(
            completed(3, 1),
            "Completed 3 jobs; 1 could not be completed: files could not be put in place."
        );
    }
}
