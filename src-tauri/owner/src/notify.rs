//! Desktop notifications (notify-rust): a job is TRANSFERRED and waits for Complete, a job
//! stopped in ERROR, the inactivity policy cancelled a job, or an auto-complete download's
//! files are in place (with Open and Show in folder).
//!
//! [`notice_for`] decides, from one engine event, whether a notification is due and what it
//! says; it honours the global switches in [`Settings`] and each job's BG_NOTIFY_* flags, and
//! yields at most one notice per event. [`Notifier`] shows notices. Talking to the
//! notification server blocks, and waiting for the user to click an action can take minutes,
//! so each notice is delivered on its own short-lived thread, never on the async runtime.

use ferry_engine::{
    notify_flags, Engine, EngineEvent, ErrorCode, ErrorContext, JobError, JobId, JobInfo, JobType,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::i18n::{self, LanguageIdentifier};
use crate::settings::Settings;

/// A notification to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// First line; always names the job.
    pub summary: String,
    /// What happened and what to do next.
    pub body: String,
    /// The job a "Complete" action on the notification completes, when it offers one.
    pub complete: Option<JobId>,
    /// The language of the notice and of its actions' labels.
    pub locale: LanguageIdentifier,
    /// Files an auto-complete put in place: the notification offers Open (one file) and Show
    /// in folder.
    pub delivered: Option<Delivered>,
}

/// What an auto-completed download put in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The file Open opens: set when the job kept exactly one file.
    pub file: Option<PathBuf>,
    /// A file Show in folder shows (the first one kept).
    pub shown: PathBuf,
}

/// The notification `event` calls for, if any.
pub fn notice_for(event: &EngineEvent, settings: &Settings) -> Option<Notice> {
    if !settings.notifications_enabled {
        return None;
    }
    let locale = settings.language.locale();
    match event {
        // An auto-complete download is announced once its files are in place (see
        // `auto_complete`), not as waiting for Complete.
        EngineEvent::JobTransferred { job }
            if settings.notify_on_transferred
                && job.settings.wants(notify_flags::JOB_TRANSFERRED)
                && !completes_by_itself(job) =>
        {
            Some(transferred(job, locale))
        }
        EngineEvent::JobError { job, error }
            if settings.notify_on_error && job.settings.wants(notify_flags::JOB_ERROR) =>
        {
            Some(failed(job, error, locale))
        }
        EngineEvent::JobAutoCancelled {
            display_name,
            idle_days,
            ..
        } if settings.notify_on_auto_cancel => {
            Some(auto_cancelled(display_name, *idle_days, locale))
        }
        _ => None,
    }
}

/// Whether the owner completes this job by itself once TRANSFERRED.
pub fn completes_by_itself(job: &JobInfo) -> bool {
    job.job_type == JobType::Download && job.settings.auto_complete
}

/// Whether a delivered job is announced, by the global switches and the job's flags.
pub fn announces_delivery(job: &JobInfo, settings: &Settings) -> bool {
    settings.notifications_enabled
        && settings.notify_on_transferred
        && job.settings.wants(notify_flags::JOB_TRANSFERRED)
}

/// The notice of a download completed by itself, in `locale`'s language: where its files are
/// now, with Open (one file) and Show in folder. None when it kept no file.
pub fn delivered(job: &JobInfo, kept: &[PathBuf], locale: LanguageIdentifier) -> Option<Notice> {
    let first = kept.first()?;
    let folder = first.parent().and_then(Path::file_name).map_or_else(
        || i18n::text(&locale, "notice-delivered-its-folder"),
        |f| f.to_string_lossy().into_owned(),
    );
    let name = job.settings.display_name.as_str();
    let summary = match kept {
        [only] => {
            let file = only
                .file_name()
                .map_or_else(|| name.to_owned(), |f| f.to_string_lossy().into_owned());
            i18n::text_with(
                &locale,
                "notice-delivered-file",
                &[
                    ("file", file.as_str().into()),
                    ("folder", folder.as_str().into()),
                ],
            )
        }
        _ => i18n::text_with(
            &locale,
            "notice-delivered-files",
            &[
                ("count", kept.len().into()),
                ("name", name.into()),
                ("folder", folder.as_str().into()),
            ],
        ),
    };
    Some(Notice {
        summary,
        body: i18n::text_with(&locale, "notice-delivered-body", &[("name", name.into())]),
        complete: None,
        locale,
        delivered: Some(Delivered {
            file: (kept.len() == 1).then(|| first.clone()),
            shown: first.clone(),
        }),
    })
}

fn transferred(job: &JobInfo, locale: LanguageIdentifier) -> Notice {
    let name = || [("name", i18n::Arg::from(job.settings.display_name.as_str()))];
    let body = match job.job_type {
        JobType::Download => "notice-ready-download",
        JobType::Upload | JobType::UploadReply => "notice-ready-upload",
    };
    Notice {
        summary: i18n::text_with(&locale, "notice-ready-summary", &name()),
        body: i18n::text_with(&locale, body, &name()),
        complete: Some(job.id),
        locale,
        delivered: None,
    }
}

fn failed(job: &JobInfo, error: &JobError, locale: LanguageIdentifier) -> Notice {
    let name = job.settings.display_name.as_str();
    Notice {
        summary: i18n::text_with(&locale, "notice-error-summary", &[("name", name.into())]),
        body: i18n::text_with(
            &locale,
            "notice-error-body",
            &[
                ("description", sentence(&error.description).into()),
                ("code", error.code_name.as_str().into()),
                ("advice", i18n::text(&locale, advice(error)).into()),
            ],
        ),
        complete: None,
        locale,
        delivered: None,
    }
}

fn auto_cancelled(display_name: &str, idle_days: u64, locale: LanguageIdentifier) -> Notice {
    let args = [("name", display_name.into()), ("days", idle_days.into())];
    Notice {
        summary: i18n::text_with(&locale, "notice-cancelled-summary", &args[..1]),
        body: i18n::text_with(&locale, "notice-cancelled-body", &args),
        complete: None,
        locale,
        delivered: None,
    }
}

/// What the user can do about an error, in the words of the fixes the window offers: the id
/// of its message.
fn advice(error: &JobError) -> &'static str {
    let code = error.code;
    match code.http_status() {
        Some(401 | 407) => return "notice-advice-credentials",
        Some(404 | 410) => return "notice-advice-address",
        _ => {}
    }
    if code == ErrorCode::BG_E_INVALID_CREDENTIALS {
        "notice-advice-credentials"
    } else if code == ErrorCode::BG_E_INSUFFICIENT_RANGE_SUPPORT {
        "notice-advice-restart"
    } else if code == ErrorCode::BG_E_MISSING_FILE_SIZE {
        "notice-advice-unknown-size"
    } else if code == ErrorCode::ERROR_DISK_FULL {
        "notice-advice-disk-full"
    } else if error.context == ErrorContext::LocalFile {
        "notice-advice-folder"
    } else {
        "notice-advice-other"
    }
}

/// `text` with a capital first letter and no final full stop.
fn sentence(text: &str) -> String {
    let text = text.trim().trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::from("Something went wrong"),
    }
}

/// What the "Show Ferry" action of a notification does (open the window).
pub type ShowFerry = Arc<dyn Fn() + Send + Sync>;

/// Shows notices on the desktop and carries out the action the user picks on one.
pub struct Notifier {
    show_ferry: ShowFerry,
    engine: Engine,
}

impl Notifier {
    /// A notifier whose actions act on `engine` and call `show_ferry` to open the window.
    pub fn new(show_ferry: ShowFerry, engine: Engine) -> Self {
        Notifier { show_ferry, engine }
    }

    /// Shows `notice` without blocking the caller.
    pub fn show(&self, notice: Notice) {
        let show_ferry = Arc::clone(&self.show_ferry);
        let engine = self.engine.clone();
        let spawned = std::thread::Builder::new()
            .name("ferry-notification".into())
            .spawn(move || deliver(&show_ferry, &engine, notice));
        if let Err(error) = spawned {
            tracing::warn!("cannot start a thread to show a notification: {error}");
        }
    }
}

/// Shows the notice and, where the server supports actions, waits for the user's choice.
fn deliver(show_ferry: &ShowFerry, engine: &Engine, notice: Notice) {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("Ferry")
        .summary(&notice.summary)
        .body(&notice.body);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let actions = xdg::server_supports_actions();
        if actions {
            let label = |id| i18n::text(&notice.locale, id);
            notification.action("default", &label("notice-action-show"));
            if notice.complete.is_some() {
                notification.action("complete", &label("notice-action-complete"));
            }
            if let Some(delivered) = &notice.delivered {
                if delivered.file.is_some() {
                    notification.action("open", &label("notice-action-open"));
                }
                notification.action("show", &label("notice-action-show-in-folder"));
            }
        }
        match notification.show() {
            Ok(handle) if actions => {
                handle.wait_for_action(|action| act(show_ferry, engine, &notice, action))
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(summary = %notice.summary, "cannot show a notification: {error}")
            }
        }
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = (show_ferry, engine);
        if let Err(error) = notification.show() {
            tracing::warn!(summary = %notice.summary, "cannot show a notification: {error}");
        }
    }
}

/// Carries out the action the user picked on a notification.
#[cfg(all(unix, not(target_os = "macos")))]
fn act(show_ferry: &ShowFerry, engine: &Engine, notice: &Notice, action: &str) {
    match (action, notice.complete) {
        ("complete", Some(id)) => match engine.complete(id) {
            Ok(outcome) if outcome.rename_failures.is_empty() => {
                tracing::info!(%id, kept = outcome.kept.len(), "completed from a notification");
            }
            Ok(outcome) => {
                tracing::warn!(%id, failed = outcome.rename_failures.len(), "some files could not be put in place");
                show_ferry();
            }
            Err(error) => tracing::info!(%id, "cannot complete from a notification: {error}"),
        },
        ("default", _) => show_ferry(),
        ("open" | "show", _) => {
            if let Some(delivered) = &notice.delivered {
                open_delivered(delivered, action == "open");
            }
        }
        _ => {}
    }
}

/// The file a notification's Open opens: none (show it in its folder instead) for Show in
/// folder, for several files, and for a file that would run a program.
pub fn file_to_open(delivered: &Delivered, open: bool) -> Option<&Path> {
    delivered
        .file
        .as_deref()
        .filter(|file| open && !crate::opening::runs_programs(file))
}

/// Opens the delivered file (`open`) or shows it in its folder. A file that would run a program
/// is shown in its folder instead of opened: a notification's button never runs one.
#[cfg(all(unix, not(target_os = "macos")))]
fn open_delivered(delivered: &Delivered, open: bool) {
    let done = match file_to_open(delivered, open) {
        Some(file) => crate::opening::open_with_default_app(file),
        None => crate::opening::show_in_folder(&delivered.shown),
    };
    if let Err(error) = done {
        tracing::warn!(path = %delivered.shown.display(), "cannot open a delivered file: {error}");
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
mod xdg {
    use std::sync::OnceLock;

    /// Whether the notification server shows action buttons (asked once).
    pub fn server_supports_actions() -> bool {
        static ACTIONS: OnceLock<bool> = OnceLock::new();
        *ACTIONS.get_or_init(|| match notify_rust::get_capabilities() {
            Ok(capabilities) => capabilities.iter().any(|c| c == "actions"),
            Err(error) => {
                tracing::warn!("cannot ask the notification server what it supports: {error}");
                false
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_engine::JobState;

    fn job(name: &str, flags: u32) -> JobInfo {
        let mut job = crate::fixtures::job_info(name, JobState::Transferred);
        job.settings.notify_flags = flags;
        job
    }

    fn http_404() -> JobError {
        JobError {
            code: ErrorCode::http(404),
            code_name: "BG_E_HTTP_ERROR_404".into(),
            context: ErrorContext::RemoteFile,
            description: "the server answered HTTP 404".into(),
            file_index: Some(0),
            protocol: Some("http".into()),
            retry_after_secs: None,
        }
    }

    #[test]
    fn a_transferred_job_is_announced_by_name_with_a_complete_action() {
        let job = job("Quarterly report", notify_flags::DEFAULT);
        let notice = notice_for(
            &EngineEvent::JobTransferred { job: job.clone() },
            &Settings::default(),
        )
        .unwrap();
        assert_eq!(notice.summary, "Quarterly report is ready");
        assert_eq!(notice.body, "Click Complete in Ferry to keep the files.");
        assert!(
            !notice.body.contains(&notice.summary),
            "the body does not say the title again"
        );
        assert_eq!(notice.complete, Some(job.id));
    }

    #[test]
    fn an_error_says_what_went_wrong_and_what_to_do() {
        let job = job("Installer", notify_flags::DEFAULT);
        let notice = notice_for(
            &EngineEvent::JobError {
                job,
                error: http_404(),
            },
            &Settings::default(),
        )
        .unwrap();
        assert!(notice.summary.contains("Installer"));
        assert!(
            notice
                .body
                .starts_with("The server answered HTTP 404 (BG_E_HTTP_ERROR_404)."),
            "{}",
            notice.body
        );
        assert!(
            notice.body.contains("point the file at the right URL"),
            "{}",
            notice.body
        );
        assert_eq!(notice.complete, None);
    }

    #[test]
    fn an_auto_cancelled_job_names_the_job_and_the_days() {
        let event = EngineEvent::JobAutoCancelled {
            id: JobId::new(),
            display_name: "Old backup".into(),
            idle_days: 90,
        };
        let notice = notice_for(&event, &Settings::default()).unwrap();
        assert_eq!(notice.summary, "Old backup was cancelled");
        assert!(notice.body.contains("for 90 days"), "{}", notice.body);
    }

    #[test]
    fn notices_read_in_the_language_of_the_settings() {
        let portuguese = Settings {
            language: crate::i18n::Language::PortugueseBrazil,
            ..Settings::default()
        };
        let ready = notice_for(
            &EngineEvent::JobTransferred {
                job: job("Relatório", notify_flags::DEFAULT),
            },
            &portuguese,
        )
        .unwrap();
        assert_eq!(ready.summary, "Relatório está pronto");
        assert_eq!(
            ready.body,
            "Clique em Concluir no Ferry para guardar os arquivos."
        );
        let failed = notice_for(
            &EngineEvent::JobError {
                job: job("Instalador", notify_flags::DEFAULT),
                error: http_404(),
            },
            &portuguese,
        )
        .unwrap();
        assert_eq!(failed.summary, "Instalador parou com um erro");
        assert_eq!(
            failed.body,
            "A transferência parou com o erro BG_E_HTTP_ERROR_404. Confira o endereço: abra o Ferry para apontar o arquivo para a URL certa e retome."
        );
        let cancelled = notice_for(
            &EngineEvent::JobAutoCancelled {
                id: JobId::new(),
                display_name: "Backup".into(),
                idle_days: 1,
            },
            &portuguese,
        )
        .unwrap();
        assert!(
            cancelled.body.starts_with("Backup ficou parado por 1 dia,"),
            "{}",
            cancelled.body
        );
    }

    #[test]
    fn per_job_flags_are_honoured() {
        let settings = Settings::default();
        let only_errors = job("Quiet", notify_flags::JOB_ERROR);
        assert_eq!(
            notice_for(
                &EngineEvent::JobTransferred {
                    job: only_errors.clone()
                },
                &settings
            ),
            None
        );
        assert!(notice_for(
            &EngineEvent::JobError {
                job: only_errors,
                error: http_404()
            },
            &settings
        )
        .is_some());

        let disabled = job("Muted", notify_flags::DEFAULT | notify_flags::DISABLE);
        assert_eq!(
            notice_for(&EngineEvent::JobTransferred { job: disabled }, &settings),
            None,
            "BG_NOTIFY_DISABLE wins"
        );
    }

    #[test]
    fn global_switches_are_honoured() {
        let transferred = EngineEvent::JobTransferred {
            job: job("Any", notify_flags::DEFAULT),
        };
        let off = Settings {
            notifications_enabled: false,
            ..Settings::default()
        };
        assert_eq!(notice_for(&transferred, &off), None);
        let no_transferred = Settings {
            notify_on_transferred: false,
            ..Settings::default()
        };
        assert_eq!(notice_for(&transferred, &no_transferred), None);
        let auto = EngineEvent::JobAutoCancelled {
            id: JobId::new(),
            display_name: "Any".into(),
            idle_days: 1,
        };
        let no_auto = Settings {
            notify_on_auto_cancel: false,
            ..Settings::default()
        };
        assert_eq!(notice_for(&auto, &no_auto), None);
    }

    #[test]
    fn an_auto_complete_download_says_where_its_file_is_and_offers_open_and_show() {
        let mut job = job("Quarterly report", notify_flags::DEFAULT);
        job.settings.auto_complete = true;
        assert_eq!(
            notice_for(
                &EngineEvent::JobTransferred { job: job.clone() },
                &Settings::default()
            ),
            None,
            "no 'click Complete' for a job that completes by itself"
        );
        let kept = [PathBuf::from("/home/me/Downloads/report.pdf")];
        let notice = delivered(&job, &kept, i18n::english()).unwrap();
        assert_eq!(notice.summary, "report.pdf is in Downloads");
        assert_eq!(
            notice.delivered,
            Some(Delivered {
                file: Some(kept[0].clone()),
                shown: kept[0].clone()
            })
        );
        let two = [
            PathBuf::from("/d/Downloads/a.bin"),
            PathBuf::from("/d/Downloads/b.bin"),
        ];
        let notice = delivered(&job, &two, i18n::english()).unwrap();
        assert_eq!(
            notice.summary,
            "The 2 files of Quarterly report are in Downloads"
        );
        assert_eq!(notice.delivered.unwrap().file, None, "Open needs one file");
    }

    #[test]
    fn open_on_a_delivered_script_shows_it_in_its_folder_instead() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("report.sh");
        std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
        let pdf = dir.path().join("report.pdf");
        std::fs::write(&pdf, "%PDF-1.7\n").unwrap();
        let of = |path: &PathBuf| Delivered {
            file: Some(path.clone()),
            shown: path.clone(),
        };
        assert_eq!(
            file_to_open(&of(&script), true),
            None,
            "a script is never run"
        );
        assert_eq!(file_to_open(&of(&pdf), true), Some(pdf.as_path()));
        assert_eq!(
            file_to_open(&of(&pdf), false),
            None,
            "Show in folder opens nothing"
        );
    }

    #[test]
    fn other_events_never_notify() {
        let job = job("Busy", notify_flags::ALL);
        let state_changed = EngineEvent::StateChanged {
            job: job.clone(),
            from: JobState::Transferring,
        };
        assert_eq!(
            notice_for(&state_changed, &Settings::default()),
            None,
            "the transition itself is announced once, by JobTransferred"
        );
        assert_eq!(
            notice_for(&EngineEvent::JobModified { job }, &Settings::default()),
            None
        );
    }
}
