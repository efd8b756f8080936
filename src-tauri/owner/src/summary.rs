//! The whole queue in a few words, for the tray: its tooltip ("Ferry: 3 active, 45%"), the
//! status line at the top of its menu ("2 transferring — 45% — 3 min left", "1 needs
//! attention") and which icon it shows.

use std::time::Duration;

use ferry_engine::{JobGlance, JobState};

use crate::i18n::{self, LanguageIdentifier};

/// Aggregate state of the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueSummary {
    /// Jobs waiting for their turn, connecting, transferring or about to retry.
    pub active: usize,
    /// Jobs connecting or transferring.
    pub transferring: usize,
    /// Bytes done over bytes known, across the active jobs whose sizes are known.
    pub percent: Option<u8>,
    /// Bytes still to come of the jobs connecting or transferring, when all their sizes are
    /// known.
    pub bytes_left: Option<u64>,
    /// Whether bytes moved since the previous look at the queue (see [`QueueSummary::paced`]).
    pub moving: bool,
    /// Time left for the transferring jobs at the current speed, when it can be told.
    pub time_left: Option<Duration>,
    /// TRANSFERRED jobs waiting for Complete.
    pub ready: usize,
    /// Jobs stopped in ERROR.
    pub failed: usize,
}

/// Which of the tray's icons the queue calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayState {
    /// Nothing moving and nothing to fix.
    Idle,
    /// Bytes are moving.
    Busy,
    /// A job stopped in ERROR and needs the user.
    Attention,
}

impl QueueSummary {
    /// Summarises `jobs` (nothing known yet about whether bytes move: see
    /// [`QueueSummary::paced`]).
    pub fn of(jobs: &[JobGlance]) -> QueueSummary {
        let mut summary = QueueSummary::default();
        let (mut done, mut total) = (0u128, 0u128);
        let mut left = Some(0u64);
        for job in jobs {
            match job.state {
                JobState::Queued
                | JobState::Connecting
                | JobState::Transferring
                | JobState::TransientError => {
                    summary.active += 1;
                    if let Some(size) = job.progress.bytes_total {
                        done += u128::from(job.progress.bytes_transferred.min(size));
                        total += u128::from(size);
                    }
                    if job.state.is_active() {
                        summary.transferring += 1;
                        left = left.zip(job.progress.bytes_total).map(|(sum, size)| {
                            sum.saturating_add(size.saturating_sub(job.progress.bytes_transferred))
                        });
                    }
                }
                JobState::Transferred => summary.ready += 1,
                JobState::Error => summary.failed += 1,
                JobState::Suspended | JobState::Acknowledged | JobState::Cancelled => {}
            }
        }
        summary.percent = (done * 100)
            .checked_div(total)
            .and_then(|percent| u8::try_from(percent).ok());
        summary.bytes_left = left.filter(|_| summary.transferring > 0);
        summary
    }

    /// This summary with what the last two looks at the queue tell: whether bytes moved, and
    /// the speed (bytes per second) they moved at, from which the time left follows.
    pub fn paced(mut self, moving: bool, bytes_per_second: Option<f64>) -> QueueSummary {
        self.moving = moving && self.transferring > 0;
        self.time_left = match (self.bytes_left, bytes_per_second) {
            (Some(left), Some(rate)) if self.moving && rate > 0.0 => {
                Some(Duration::from_secs_f64((left as f64 / rate).min(1e9)))
            }
            _ => None,
        };
        self
    }

    /// Which icon the tray shows: attention while a job needs the user, busy only while bytes
    /// move, idle otherwise.
    pub fn tray_state(&self) -> TrayState {
        if self.failed > 0 {
            TrayState::Attention
        } else if self.moving {
            TrayState::Busy
        } else {
            TrayState::Idle
        }
    }

    /// The tray tooltip, in English.
    pub fn tooltip(&self) -> String {
        self.tooltip_in(&i18n::english())
    }

    /// The tray tooltip in `locale`.
    pub fn tooltip_in(&self, locale: &LanguageIdentifier) -> String {
        let mut parts = vec![match (self.active, self.percent) {
            (0, _) => i18n::text(locale, "tooltip-idle"),
            (active, Some(percent)) => i18n::text_with(
                locale,
                "tooltip-active-percent",
                &[("count", active.into()), ("percent", percent.into())],
            ),
            (active, None) => {
                i18n::text_with(locale, "tooltip-active", &[("count", active.into())])
            }
        }];
        if self.ready > 0 {
            parts.push(i18n::text_with(
                locale,
                "status-ready",
                &[("count", self.ready.into())],
            ));
        }
        if self.failed > 0 {
            parts.push(needs_attention(locale, self.failed));
        }
        i18n::text_with(locale, "tooltip", &[("parts", parts.join(", ").into())])
    }

    /// The status line at the top of the tray's menu, in English.
    pub fn status_line(&self) -> String {
        self.status_line_in(&i18n::english())
    }

    /// The status line at the top of the tray's menu, in `locale`: what moves (with its
    /// progress and time left), what waits, what needs the user, each part a phrase of its own.
    pub fn status_line_in(&self, locale: &LanguageIdentifier) -> String {
        let count =
            |id: &str, count: usize| i18n::text_with(locale, id, &[("count", count.into())]);
        let mut parts = Vec::new();
        if self.transferring > 0 {
            parts.push(count("status-transferring", self.transferring));
            if let Some(percent) = self.percent {
                parts.push(i18n::text_with(
                    locale,
                    "status-percent",
                    &[("percent", percent.into())],
                ));
            }
            if let Some(left) = self.time_left {
                let time = duration_words(left);
                parts.push(i18n::text_with(
                    locale,
                    "status-time-left",
                    &[("time", time.into())],
                ));
            }
        } else if self.active > 0 {
            parts.push(count("status-waiting", self.active));
        }
        if self.failed > 0 {
            parts.push(needs_attention(locale, self.failed));
        }
        if self.ready > 0 {
            parts.push(count("status-ready", self.ready));
        }
        if parts.is_empty() {
            return i18n::text(locale, "status-nothing");
        }
        parts.join(" — ")
    }
}

fn needs_attention(locale: &LanguageIdentifier, failed: usize) -> String {
    i18n::text_with(
        locale,
        "status-needs-attention",
        &[("count", failed.into())],
    )
}

/// A time left as people read it: `45 s`, `3 min`, `2 h 5 min`.
fn duration_words(left: Duration) -> String {
    let seconds = left.as_secs();
    if seconds < 60 {
        return format!("{} s", seconds.max(1));
    }
    let minutes = seconds.div_ceil(60);
    if minutes < 60 {
        return format!("{minutes} min");
    }
    let (hours, rest) = (minutes / 60, minutes % 60);
    if rest == 0 {
        format!("{hours} h")
    } else {
        format!("{hours} h {rest} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_engine::Progress;

    fn job(state: JobState, transferred: u64, total: Option<u64>) -> JobGlance {
        let mut job = crate::fixtures::job_info("job", state);
        job.progress = Progress {
            bytes_total: total,
            bytes_transferred: transferred,
            files_total: 1,
            files_transferred: 0,
        };
        JobGlance::from(&job)
    }

    #[test]
    fn an_empty_or_paused_queue_is_idle() {
        assert_eq!(QueueSummary::of(&[]).tooltip(), "Ferry: Idle");
        let paused = QueueSummary::of(&[job(JobState::Suspended, 5, Some(10))]);
        assert_eq!(paused.tooltip(), "Ferry: Idle");
        assert_eq!(paused.paced(false, None).tray_state(), TrayState::Idle);
        assert_eq!(paused.status_line(), "Nothing to transfer");
    }

    #[test]
    fn active_jobs_show_their_count_and_combined_percentage() {
        let jobs = [
            job(JobState::Transferring, 30, Some(100)),
            job(JobState::Queued, 0, Some(50)),
            job(JobState::TransientError, 37, Some(50)),
            job(JobState::Suspended, 1_000, Some(1_000)),
        ];
        let summary = QueueSummary::of(&jobs);
        assert_eq!(summary.tooltip(), "Ferry: 3 active, 33%");
    }

    #[test]
    fn unknown_sizes_leave_the_percentage_out() {
        assert_eq!(
            QueueSummary::of(&[job(JobState::Connecting, 0, None)]).tooltip(),
            "Ferry: 1 active"
        );
    }

    #[test]
    fn jobs_waiting_for_the_user_are_counted() {
        let jobs = [
            job(JobState::Transferred, 10, Some(10)),
            job(JobState::Error, 0, Some(10)),
            job(JobState::Error, 0, None),
        ];
        assert_eq!(
            QueueSummary::of(&jobs).tooltip(),
            "Ferry: Idle, 1 ready to complete, 2 need attention"
        );
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        let jobs = [
            job(JobState::Transferring, u64::MAX / 2, Some(u64::MAX)),
            job(JobState::Transferring, u64::MAX, Some(u64::MAX)),
        ];
        assert_eq!(QueueSummary::of(&jobs).percent, Some(74));
    }

    #[test]
    fn the_icon_is_busy_only_while_bytes_move_and_asks_for_attention_on_an_error() {
        let transferring = QueueSummary::of(&[job(JobState::Transferring, 30, Some(100))]);
        assert_eq!(
            transferring.paced(false, None).tray_state(),
            TrayState::Idle,
            "a transfer whose bytes stand still is not busy"
        );
        assert_eq!(
            transferring.paced(true, Some(10.0)).tray_state(),
            TrayState::Busy
        );
        let waiting = QueueSummary::of(&[job(JobState::Queued, 0, Some(100))]);
        assert_eq!(
            waiting.paced(true, Some(10.0)).tray_state(),
            TrayState::Idle,
            "a queued job moves no bytes"
        );
        let failed = QueueSummary::of(&[
            job(JobState::Transferring, 30, Some(100)),
            job(JobState::Error, 0, Some(10)),
        ]);
        assert_eq!(
            failed.paced(true, Some(10.0)).tray_state(),
            TrayState::Attention
        );
    }

    #[test]
    fn the_status_line_says_what_moves_how_far_how_long_and_what_needs_the_user() {
        let jobs = [
            job(JobState::Transferring, 40, Some(100)),
            job(JobState::Transferring, 50, Some(100)),
            job(JobState::Error, 0, None),
        ];
        let summary = QueueSummary::of(&jobs).paced(true, Some(0.5));
        assert_eq!(
            summary.status_line(),
            "2 transferring — 45% — 4 min left — 1 needs attention"
        );
        let stalled = QueueSummary::of(&jobs[..2]).paced(false, Some(0.5));
        assert_eq!(
            stalled.status_line(),
            "2 transferring — 45%",
            "no time left while nothing moves"
        );
        let waiting = QueueSummary::of(&[job(JobState::TransientError, 0, None)]);
        assert_eq!(waiting.status_line(), "1 waiting");
        let attention =
            QueueSummary::of(&[job(JobState::Error, 0, None), job(JobState::Error, 0, None)]);
        assert_eq!(attention.status_line(), "2 need attention");
    }

    #[test]
    fn the_status_line_and_tooltip_read_in_portuguese() {
        let pt = i18n::portuguese();
        let jobs = [
            job(JobState::Transferring, 40, Some(100)),
            job(JobState::Transferring, 50, Some(100)),
            job(JobState::Error, 0, None),
            job(JobState::Transferred, 10, Some(10)),
        ];
        let summary = QueueSummary::of(&jobs).paced(true, Some(0.5));
        assert_eq!(
            summary.status_line_in(&pt),
            "2 em transferência — 45% — faltam 4 min — 1 precisa de atenção — 1 pronto para concluir"
        );
        assert_eq!(
            QueueSummary::of(&[]).status_line_in(&pt),
            "Nada para transferir"
        );
        assert_eq!(
            QueueSummary::of(&jobs).tooltip_in(&pt),
            "Ferry: 2 ativos, 45%, 1 pronto para concluir, 1 precisa de atenção"
        );
    }

    #[test]
    fn time_left_reads_in_seconds_minutes_and_hours() {
        assert_eq!(duration_words(Duration::from_secs(45)), "45 s");
        assert_eq!(duration_words(Duration::from_secs(150)), "3 min");
        assert_eq!(duration_words(Duration::from_secs(7_500)), "2 h 5 min");
        assert_eq!(duration_words(Duration::from_secs(7_200)), "2 h");
    }
}
