//! Ferry's settings: a JSON file beside the job store, and how they become the engine's
//! [`Config`] and [`Policies`].
//!
//! A settings file that cannot be read is set aside (renamed with an `.unreadable` suffix) and
//! the defaults are used, so a damaged file never stops Ferry from starting and is never
//! silently overwritten.

use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use ferry_engine::{Config, Engine, ErrorCode, Policies, RetryPolicy};
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::i18n::Language;

/// Name of the settings file inside the data directory.
pub const SETTINGS_FILE: &str = "settings.json";

/// Most FOREGROUND jobs that may run side by side.
pub const MAX_FOREGROUND_CONCURRENCY: u32 = 32;

/// Connections per file of the downloads a person makes (the window, the browser, `ferry
/// create` and `ferry transfer` without `--connections`) unless the settings say otherwise.
/// Chosen from `make bench`: from a server that holds each connection to a rate, 8 fetch a file
/// as fast as `aria2c -x8`; from one that does not, the ramp stops adding connections when the
/// rate stops rising, and the file comes no slower than over one.
pub const DEFAULT_CONNECTIONS_FOR_NEW_DOWNLOADS: u32 = 8;

/// The colour theme of the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Always light.
    Light,
    /// Always dark.
    Dark,
    /// Follow the desktop's preference.
    #[default]
    System,
}

/// Everything the user can set in the Settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(default)]
pub struct Settings {
    /// Folder new downloads go to unless the user picks another.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub default_folder: PathBuf,
    /// How many FOREGROUND jobs run at once (1 to 32).
    pub foreground_concurrency: u32,
    /// Master switch for desktop notifications.
    pub notifications_enabled: bool,
    /// Notify when a job is transferred and waits for Complete.
    pub notify_on_transferred: bool,
    /// Notify when a job stops in ERROR.
    pub notify_on_error: bool,
    /// Notify when the inactivity policy cancels a job.
    pub notify_on_auto_cancel: bool,
    /// The BITS policies (limits and the inactivity timeout).
    pub policies: Policies,
    /// Start Ferry (hidden in the tray) when the user logs in.
    pub start_at_login: bool,
    /// Offer to add an http(s) URL the user copies while Ferry runs (a notification with an
    /// Add action, shown by the tray). Off by default; nothing is ever added without Add.
    pub clipboard_offer: bool,
    /// Colour theme.
    pub theme: Theme,
    /// The language of the window, the tray and the notifications.
    pub language: Language,
    /// Jobs made in the window and by `ferry transfer` retry within seconds after a failure,
    /// waiting twice as long after each further one (up to the job's minimum retry delay);
    /// off, they wait the minimum retry delay every time, as jobs made through the API do.
    pub quick_retries: bool,
    /// New downloads a person makes (the window, the browser, a copied link) complete by
    /// themselves once TRANSFERRED: their files go straight to their names and a notification
    /// offers to open them. Off by default, so Complete stays visible as in BITS.
    pub auto_complete: bool,
    /// Connections one file of a new download a person makes may use at once (1 to 16): the
    /// window's Add dialog starts with it, and the browser hand-off, `ferry create` and
    /// `ferry transfer` without `--connections` use it. Some servers limit each connection;
    /// more connections can be faster.
    pub connections: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let engine = Config::default();
        Settings {
            default_folder: default_download_folder(),
            foreground_concurrency: u32::try_from(engine.foreground_concurrency)
                .unwrap_or(u32::MAX),
            notifications_enabled: true,
            notify_on_transferred: true,
            notify_on_error: true,
            notify_on_auto_cancel: true,
            policies: engine.policies,
            start_at_login: false,
            clipboard_offer: false,
            theme: Theme::System,
            language: Language::System,
            quick_retries: true,
            auto_complete: false,
            connections: DEFAULT_CONNECTIONS_FOR_NEW_DOWNLOADS,
        }
    }
}

impl Settings {
    /// The engine configuration these settings describe (everything else at its default).
    pub fn engine_config(&self) -> Config {
        Config {
            policies: self.policies.clone(),
            foreground_concurrency: self.foreground_concurrency as usize,
            ..Config::default()
        }
    }

    /// The retry policy of jobs a person makes (the window, `ferry transfer`).
    pub fn retry_policy_for_people(&self) -> RetryPolicy {
        if self.quick_retries {
            RetryPolicy::Backoff
        } else {
            RetryPolicy::Fixed
        }
    }

    /// Checks the values a user can get wrong; `E_INVALIDARG` names the first bad one.
    pub fn validate(&self) -> Result<(), ApiError> {
        let invalid = |message: String| Err(ApiError::new(ErrorCode::E_INVALIDARG, message));
        if !self.default_folder.is_absolute() {
            return invalid(format!(
                "the default folder must be an absolute path, not {}",
                self.default_folder.display()
            ));
        }
        if !(1..=MAX_FOREGROUND_CONCURRENCY).contains(&self.foreground_concurrency) {
            return invalid(format!(
                "foreground jobs at once must be between 1 and {MAX_FOREGROUND_CONCURRENCY}"
            ));
        }
        if !(1..=ferry_engine::MAX_CONNECTIONS).contains(&self.connections) {
            return invalid(format!(
                "connections per file must be between 1 and {}, not {}",
                ferry_engine::MAX_CONNECTIONS,
                self.connections
            ));
        }
        match self.policies.problem() {
            Some(problem) => invalid(problem),
            None => Ok(()),
        }
    }
}

/// The user's Downloads folder, or the home folder when there is none.
fn default_download_folder() -> PathBuf {
    dirs::download_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
}

/// The settings file and the settings in force.
#[derive(Debug)]
pub struct SettingsFile {
    path: PathBuf,
    /// A std lock: readers only clone, and no lock is held across an await.
    current: RwLock<Settings>,
    /// Counts the saves, so subscribers hear of each change (see [`SettingsFile::changes`]).
    saves: tokio::sync::watch::Sender<u64>,
}

impl SettingsFile {
    /// Reads `settings.json` in `data_dir`; a missing file means defaults, an unreadable one is
    /// set aside and defaults are used.
    pub fn load(data_dir: &Path) -> SettingsFile {
        let (file, unreadable) = SettingsFile::read(data_dir);
        if let Some(problem) = unreadable {
            file.set_aside(&problem);
        }
        file
    }

    /// Reads `settings.json` in `data_dir` and changes nothing: a missing file means defaults;
    /// an unreadable one gives defaults and why it cannot be read (see
    /// [`SettingsFile::set_aside`]). For an owner that does not hold the data folder yet.
    pub fn read(data_dir: &Path) -> (SettingsFile, Option<String>) {
        let path = data_dir.join(SETTINGS_FILE);
        let (settings, unreadable) = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<Settings>(&bytes) {
                Ok(settings) => match settings.validate() {
                    Ok(()) => (settings, None),
                    Err(error) => (Settings::default(), Some(error.message)),
                },
                Err(error) => (Settings::default(), Some(error.to_string())),
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                (Settings::default(), None)
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), "cannot read the settings, using defaults: {error}");
                (Settings::default(), None)
            }
        };
        let file = SettingsFile {
            path,
            current: RwLock::new(settings),
            saves: tokio::sync::watch::Sender::new(0),
        };
        (file, unreadable)
    }

    /// Moves an unreadable settings file aside (`settings.json.unreadable`), keeping it for the
    /// user; `problem` says why it could not be read.
    pub fn set_aside(&self, problem: &str) {
        set_aside(&self.path, problem);
    }

    /// The settings in force.
    pub fn current(&self) -> Settings {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Validates and durably writes `settings` (write to a temporary file, then rename), then
    /// makes them the settings in force. Blocking: call it off the async runtime.
    pub fn save(&self, settings: Settings) -> Result<Settings, ApiError> {
        settings.validate()?;
        let json = serde_json::to_vec_pretty(&settings).map_err(ApiError::internal)?;
        let temporary = self.path.with_extension("json.new");
        let written = std::fs::write(&temporary, json)
            .and_then(|()| std::fs::File::open(&temporary)?.sync_all())
            .and_then(|()| std::fs::rename(&temporary, &self.path));
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(ApiError::io(
                format!("cannot save {}", self.path.display()),
                &error,
            ));
        }
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = settings.clone();
        self.saves.send_modify(|count| *count += 1);
        Ok(settings)
    }

    /// A receiver that sees a change each time the settings are saved.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.saves.subscribe()
    }
}

/// Puts the engine's part of `settings` (policies, foreground jobs at once) in force.
pub fn apply_to_engine(engine: &Engine, settings: &Settings) {
    engine.set_policies(settings.policies.clone());
    engine.set_foreground_concurrency(settings.foreground_concurrency as usize);
}

/// Keeps a settings file that cannot be parsed under another name, for the user to inspect.
/// Moves a settings file Ferry cannot use (not JSON, or values it refuses) out of the way, so
/// the defaults take over and the file is kept for whoever edited it.
fn set_aside(path: &Path, error: &str) {
    let aside = path.with_extension("json.unreadable");
    match std::fs::rename(path, &aside) {
        Ok(()) => {
            tracing::warn!(kept = %aside.display(), "the settings file cannot be read ({error}); using defaults")
        }
        Err(rename) => {
            tracing::warn!(path = %path.display(), "the settings file cannot be read ({error}) nor set aside ({rename}); using defaults")
        }
    }
}

#[cfg(test)]
mod tests {
    use ferry_engine::BandwidthPolicy;

    use super::*;

    #[test]
    fn a_missing_file_gives_defaults_and_saving_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::load(dir.path());
        assert_eq!(file.current(), Settings::default());

        let mut changed = file.current();
        changed.foreground_concurrency = 2;
        changed.theme = Theme::Dark;
        changed.policies.max_files_per_job = 10;
        file.save(changed.clone()).unwrap();

        assert_eq!(file.current(), changed);
        assert_eq!(
            SettingsFile::load(dir.path()).current(),
            changed,
            "a reload reads what was saved"
        );
    }

    #[test]
    fn an_unreadable_file_is_set_aside_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SETTINGS_FILE), b"{ not json").unwrap();

        let file = SettingsFile::load(dir.path());

        assert_eq!(file.current(), Settings::default());
        let aside = std::fs::read(dir.path().join("settings.json.unreadable")).unwrap();
        assert_eq!(aside, b"{ not json", "the damaged file is kept as it was");
    }

    #[test]
    fn a_file_with_refused_values_is_set_aside_like_an_unreadable_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.policies.max_internet_bandwidth.end_hour = 24;
        let text = serde_json::to_vec(&settings).unwrap();
        std::fs::write(dir.path().join(SETTINGS_FILE), &text).unwrap();

        let file = SettingsFile::load(dir.path());

        assert_eq!(file.current(), Settings::default());
        let aside = std::fs::read(dir.path().join("settings.json.unreadable")).unwrap();
        assert_eq!(aside, text, "the refused file is kept as it was");
    }

    #[test]
    fn fields_missing_from_the_file_take_their_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            br#"{ "theme": "light", "notify_on_error": false }"#,
        )
        .unwrap();

        let settings = SettingsFile::load(dir.path()).current();

        assert_eq!(settings.theme, Theme::Light);
        assert!(!settings.notify_on_error);
        assert_eq!(settings.policies, Policies::default());
    }

    #[test]
    fn invalid_values_are_refused_with_invalidarg_and_not_saved() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::load(dir.path());
        let mut bad = file.current();
        bad.policies.max_jobs_per_user = 0;

        let error = file.save(bad).unwrap_err();

        assert_eq!(error.code, ErrorCode::E_INVALIDARG);
        assert!(
            error.message.contains("MaxJobsPerUser"),
            "the message names the setting: {}",
            error.message
        );
        assert!(
            !dir.path().join(SETTINGS_FILE).exists(),
            "nothing was written"
        );
    }

    #[test]
    fn a_file_saved_before_the_bandwidth_policy_loads_with_the_default_policy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            br#"{
                "foreground_concurrency": 4,
                "policies": {
                    "JobInactivityTimeoutSecs": 86400,
                    "MaxJobsPerUser": 20,
                    "MaxJobsPerMachine": 300,
                    "MaxFilesPerJob": 200,
                    "MaxRangesPerFile": 500
                }
            }"#,
        )
        .unwrap();

        let settings = SettingsFile::load(dir.path()).current();

        assert_eq!(settings.foreground_concurrency, 4);
        assert_eq!(
            settings.policies.max_jobs_per_user, 20,
            "older values are kept"
        );
        assert_eq!(
            settings.policies.max_internet_bandwidth,
            BandwidthPolicy::default(),
            "the policy the file does not have takes its default"
        );
        assert!(
            !dir.path().join("settings.json.unreadable").exists(),
            "the older file is read, not set aside"
        );
    }

    #[test]
    fn the_bandwidth_policy_round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::load(dir.path());
        let mut changed = file.current();
        changed.policies.max_internet_bandwidth = BandwidthPolicy {
            enabled: true,
            start_hour: 22,
            end_hour: 6,
            in_window_kbps: Some(0),
            outside_kbps: None,
        };

        file.save(changed.clone()).unwrap();

        assert_eq!(SettingsFile::load(dir.path()).current(), changed);
    }

    #[test]
    fn bandwidth_hours_past_23_are_refused_with_invalidarg_and_not_saved() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::load(dir.path());
        let mut bad = file.current();
        bad.policies.max_internet_bandwidth.enabled = true;
        bad.policies.max_internet_bandwidth.end_hour = 24;

        let error = file.save(bad).unwrap_err();

        assert_eq!(error.code, ErrorCode::E_INVALIDARG);
        assert!(
            error.message.contains("MaxInternetBandwidth") && error.message.contains("0 and 23"),
            "the message names the policy and the allowed hours: {}",
            error.message
        );
        assert!(
            !dir.path().join(SETTINGS_FILE).exists(),
            "nothing was written"
        );
        assert_eq!(
            file.current(),
            Settings::default(),
            "the settings in force are unchanged"
        );
    }

    #[test]
    fn the_engine_config_carries_policies_and_concurrency() {
        let policies = Policies {
            job_inactivity_timeout_secs: 86_400,
            max_internet_bandwidth: BandwidthPolicy {
                enabled: true,
                ..BandwidthPolicy::default()
            },
            ..Policies::default()
        };
        let settings = Settings {
            foreground_concurrency: 3,
            policies,
            ..Settings::default()
        };
        let config = settings.engine_config();
        assert_eq!(config.foreground_concurrency, 3);
        assert_eq!(config.policies.job_inactivity_timeout_secs, 86_400);
        assert!(config.policies.max_internet_bandwidth.enabled);
    }
}
