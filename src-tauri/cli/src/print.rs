//! How jobs read on a terminal: bitsadmin's `/list` line, `/info` (and `/verbose`), files,
//! errors, times and byte counts.

use std::fmt::Write as _;

use chrono::{Local, TimeZone};
use ferry_engine::{notify_flags, FileInfo, JobError, JobInfo, Priority, ProxySettings};

/// `{ID} NAME STATE FILES_DONE / FILES BYTES_DONE / BYTES`, as bitsadmin's `/list` prints it.
pub fn list_line(job: &JobInfo) -> String {
    format!(
        "{} {} {} {} / {} {} / {}",
        job.id,
        quoted(&job.settings.display_name),
        job.state,
        job.progress.files_transferred,
        job.progress.files_total,
        job.progress.bytes_transferred,
        total(job.progress.bytes_total),
    )
}

/// A byte total, or `UNKNOWN`.
pub fn total(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "UNKNOWN".to_owned(), |b| b.to_string())
}

/// A name in quotes when it has spaces (so a list line splits cleanly), else as it is.
fn quoted(name: &str) -> String {
    if name.is_empty() || name.contains(char::is_whitespace) {
        format!("{name:?}")
    } else {
        name.to_owned()
    }
}

/// One file: `DONE / TOTAL WORKING REMOTE -> LOCAL`.
pub fn file_line(file: &FileInfo) -> String {
    let status = if file.completed {
        "COMPLETED"
    } else if file.transferred {
        "TRANSFERRED"
    } else {
        "WORKING"
    };
    format!(
        "{} / {} {status} {} -> {}",
        file.bytes_transferred,
        total(file.bytes_total),
        file.remote_url,
        file.local_path.display()
    )
}

/// A job's error in one line: `CODE_NAME (0xCODE) in CONTEXT: what [file N]`.
pub fn error_line(error: &JobError) -> String {
    let mut line = format!(
        "{} (0x{:08X}) in {:?} context: {}",
        error.code_name, error.code.0, error.context, error.description
    );
    if let Some(file) = error.file_index {
        let _ = write!(line, " (file {file})");
    }
    line
}

/// `/info`: the list line, then (verbose) every property, one per line.
pub fn info(job: &JobInfo, verbose: bool) -> String {
    let mut out = list_line(job);
    if !verbose {
        return out + "\n";
    }
    let s = &job.settings;
    let mut field = |name: &str, value: String| {
        let _ = write!(out, "\n{name:<22} {value}");
    };
    field("type", format!("{:?}", job.job_type).to_uppercase());
    field("owner", job.owner.clone());
    field("priority", priority_name(s.priority).to_owned());
    field("description", s.description.clone());
    field("created", time(job.times.created));
    field("modified", time(job.times.modified));
    field(
        "transfer completed",
        job.times.transfer_completed.map_or("-".into(), time),
    );
    field("notify flags", notify(s.notify_flags));
    field(
        "notify command",
        s.notify_command.as_ref().map_or("-".into(), |c| {
            std::iter::once(c.program.display().to_string())
                .chain(c.args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" ")
        }),
    );
    field(
        "min retry delay",
        format!("{} s", s.minimum_retry_delay_secs),
    );
    field(
        "retry policy",
        format!("{:?}", s.retry_policy).to_uppercase(),
    );
    field(
        "auto complete",
        if s.auto_complete { "yes" } else { "no" }.into(),
    );
    field(
        "no-progress timeout",
        format!("{} s", s.no_progress_timeout_secs),
    );
    field(
        "max download time",
        format!("{} s", s.maximum_download_time_secs),
    );
    field("error count", job.error_count.to_string());
    field("proxy", proxy(&s.proxy));
    field("http method", s.http_method.clone().unwrap_or("GET".into()));
    field("dynamic content", s.dynamic_content.to_string());
    field("connections per file", s.connections.to_string());
    field(
        "speed limit",
        s.speed_limit
            .map_or_else(|| "none".into(), crate::rate::format_rate),
    );
    field(
        "credentials",
        if job.credentials_set.is_empty() {
            "-".into()
        } else {
            job.credentials_set
                .iter()
                .map(|(target, scheme)| format!("{target:?} {scheme:?}").to_uppercase())
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    field(
        "custom headers",
        if job.custom_header_names.is_empty() {
            "-".into()
        } else {
            job.custom_header_names.join(", ")
        },
    );
    field(
        "reply file",
        s.reply_file_name
            .as_ref()
            .map_or("-".into(), |p| p.display().to_string()),
    );
    field("error", job.error.as_ref().map_or("-".into(), error_line));
    if let Some(ms) = job.retry_in_ms {
        field("next retry", format!("in {} s", ms.div_ceil(1000)));
    }
    out.push_str("\nfiles:");
    for file in &job.files {
        let _ = write!(out, "\n  {}", file_line(file));
    }
    out + "\n"
}

/// A priority as bitsadmin prints it.
pub fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::Foreground => "FOREGROUND",
        Priority::High => "HIGH",
        Priority::Normal => "NORMAL",
        Priority::Low => "LOW",
    }
}

fn notify(flags: u32) -> String {
    let names = [
        (notify_flags::JOB_TRANSFERRED, "TRANSFERRED"),
        (notify_flags::JOB_ERROR, "ERROR"),
        (notify_flags::DISABLE, "DISABLE"),
        (notify_flags::JOB_MODIFICATION, "MODIFICATION"),
        (notify_flags::FILE_TRANSFERRED, "FILE_TRANSFERRED"),
    ];
    let set: Vec<&str> = names
        .iter()
        .filter(|(flag, _)| flags & flag != 0)
        .map(|(_, name)| *name)
        .collect();
    format!(
        "{flags} ({})",
        if set.is_empty() {
            "none".into()
        } else {
            set.join(" | ")
        }
    )
}

fn proxy(settings: &ProxySettings) -> String {
    match settings {
        ProxySettings::Preconfig => "PRECONFIG".into(),
        ProxySettings::NoProxy => "NO_PROXY".into(),
        ProxySettings::Override { proxy, bypass } => format!("OVERRIDE {proxy} bypass: {bypass}"),
    }
}

/// A time in milliseconds since 1970, in the local time zone.
pub fn time(unix_ms: i64) -> String {
    Local.timestamp_millis_opt(unix_ms).single().map_or_else(
        || unix_ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_engine::JobState;
    use ferry_owner::fixtures::job_info;

    #[test]
    fn a_list_line_reads_like_bitsadmins() {
        let mut job = job_info("nightly build", JobState::Transferring);
        job.progress.files_total = 3;
        job.progress.files_transferred = 1;
        job.progress.bytes_transferred = 2048;
        assert_eq!(
            list_line(&job),
            format!(
                "{} \"nightly build\" TRANSFERRING 1 / 3 2048 / UNKNOWN",
                job.id
            )
        );
        job.progress.bytes_total = Some(4096);
        assert!(list_line(&job).ends_with("2048 / 4096"));
    }

    #[test]
    fn verbose_info_names_every_property() {
        let job = job_info("x", JobState::Suspended);
        let text = info(&job, true);
        for name in [
            "priority",
            "notify flags",
            "min retry delay",
            "retry policy",
            "proxy",
            "error count",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        assert!(text.contains("3 (TRANSFERRED | ERROR)"), "{text}");
    }
}
