//! What Pause all and Resume all say they did, in the tray and on a terminal: one sentence
//! each, by count (on a terminal in English, in the tray in the chosen language).

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
    }
}
