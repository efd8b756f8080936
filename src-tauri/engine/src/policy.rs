//! Engine configuration: the BITS policies (same names and defaults) and engine tunables.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::bandwidth::BandwidthPolicy;

/// Default JobInactivityTimeout: 90 days.
pub const DEFAULT_JOB_INACTIVITY_TIMEOUT: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// Default size of one upload fragment: 1 MiB.
pub const DEFAULT_UPLOAD_FRAGMENT_SIZE: u64 = 1 << 20;

/// The BITS group policies, as Ferry settings with their names and defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "PascalCase", default)]
pub struct Policies {
    /// A job untouched this long (no setter, no file added, no byte moved) is cancelled.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub job_inactivity_timeout_secs: u64,
    /// Jobs one user may have in the queue (BG_E_TOO_MANY_JOBS_PER_USER).
    pub max_jobs_per_user: u32,
    /// Jobs the machine may have in the queue (BG_E_TOO_MANY_JOBS_PER_MACHINE).
    pub max_jobs_per_machine: u32,
    /// Files one job may hold (BG_E_TOO_MANY_FILES_IN_JOB).
    pub max_files_per_job: u32,
    /// Ranges one file may have (BG_E_TOO_MANY_RANGES_IN_FILE).
    pub max_ranges_per_file: u32,
    /// Caps for background jobs inside and outside a daily window (FOREGROUND jobs are never
    /// capped).
    pub max_internet_bandwidth: BandwidthPolicy,
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            job_inactivity_timeout_secs: DEFAULT_JOB_INACTIVITY_TIMEOUT.as_secs(),
            max_jobs_per_user: 60,
            max_jobs_per_machine: 300,
            max_files_per_job: 200,
            max_ranges_per_file: 500,
            max_internet_bandwidth: BandwidthPolicy::default(),
        }
    }
}

/// Everything the engine can be tuned with. `Config::default()` is what users get.
#[derive(Clone, Debug)]
pub struct Config {
    /// The BITS policies.
    pub policies: Policies,
    /// How many FOREGROUND jobs run at once (default 6).
    pub foreground_concurrency: usize,
    /// How long a background job runs before an equal-priority job gets its turn.
    pub time_slice: Duration,
    /// How often a progress batch is sampled and published.
    pub progress_tick: Duration,
    /// How often progress is written to the store while bytes move.
    pub progress_persist_interval: Duration,
    /// How often the inactivity sweep runs (it also runs at start).
    pub inactivity_sweep_interval: Duration,
    /// Connection timeout for HTTP requests.
    pub connect_timeout: Duration,
    /// A response body that sends nothing for this long is treated as a dropped connection.
    pub read_timeout: Duration,
    /// Largest body of one upload fragment, in bytes (at least 1).
    pub upload_fragment_size: u64,
    /// Extra PEM root certificates to trust besides the system's (corporate CAs, tests).
    pub extra_root_certificates: Vec<Vec<u8>>,
    /// Name of the OS user who owns the jobs this engine creates.
    pub owner: String,
    /// How often the engine checks that the machine is connected to a network; `None`: never
    /// (whoever runs the engine reports it with `Engine::set_network_available`).
    pub network_poll: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            policies: Policies::default(),
            foreground_concurrency: 6,
            time_slice: Duration::from_secs(5 * 60),
            progress_tick: Duration::from_millis(250),
            progress_persist_interval: Duration::from_secs(2),
            inactivity_sweep_interval: Duration::from_secs(60 * 60),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            upload_fragment_size: DEFAULT_UPLOAD_FRAGMENT_SIZE,
            extra_root_certificates: Vec::new(),
            owner: current_user(),
            network_poll: Some(Duration::from_secs(2)),
        }
    }
}

/// The OS user running Ferry.
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}
