//! Engine configuration: the BITS policies (same names and defaults) and engine tunables.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::bandwidth::BandwidthPolicy;

/// Default JobInactivityTimeout: 90 days.
pub const DEFAULT_JOB_INACTIVITY_TIMEOUT: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// Longest JobInactivityTimeout accepted: 100 years (longer values are refused, so that no
/// arithmetic on it can overflow).
pub const MAX_JOB_INACTIVITY_TIMEOUT_SECS: u64 = 100 * 365 * 24 * 60 * 60;

/// Default size of one upload fragment: 1 MiB.
pub const DEFAULT_UPLOAD_FRAGMENT_SIZE: u64 = 1 << 20;

/// The BITS group policies, as Ferry settings with their names and defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct Policies {
    /// A job untouched this long (no setter, no file added, no byte moved) is cancelled; 1 s to
    /// 100 years ([`MAX_JOB_INACTIVITY_TIMEOUT_SECS`]).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    #[serde(alias = "JobInactivityTimeout")]
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

impl Policies {
    /// Reads policies from JSON (an object with any of the policies' names; the others keep
    /// their defaults). Unknown names, values of the wrong type and values out of range are
    /// refused with a message naming the policy.
    pub fn from_json(text: &str) -> Result<Policies, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let serde_json::Value::Object(fields) = &value else {
            return Err(
                "the policies must be a JSON object, e.g. {\"MaxFilesPerJob\": 500}".into(),
            );
        };
        for (name, field) in fields {
            let alone = serde_json::json!({ name: field });
            serde_json::from_value::<Policies>(alone).map_err(|e| format!("{name}: {e}"))?;
        }
        let policies: Policies = serde_json::from_value(value).map_err(|e| e.to_string())?;
        match policies.problem() {
            Some(problem) => Err(problem),
            None => Ok(policies),
        }
    }

    /// What is wrong with these policies, naming the policy, if anything: a limit or timeout of
    /// 0, a JobInactivityTimeout over 100 years, bandwidth window hours out of range.
    pub fn problem(&self) -> Option<String> {
        let limits = [
            ("JobInactivityTimeout", self.job_inactivity_timeout_secs),
            ("MaxJobsPerUser", u64::from(self.max_jobs_per_user)),
            ("MaxJobsPerMachine", u64::from(self.max_jobs_per_machine)),
            ("MaxFilesPerJob", u64::from(self.max_files_per_job)),
            ("MaxRangesPerFile", u64::from(self.max_ranges_per_file)),
        ];
        if let Some((name, _)) = limits.iter().find(|(_, value)| *value == 0) {
            return Some(format!("{name} must be greater than 0"));
        }
        if self.job_inactivity_timeout_secs > MAX_JOB_INACTIVITY_TIMEOUT_SECS {
            return Some(format!(
                "JobInactivityTimeout must be at most {MAX_JOB_INACTIVITY_TIMEOUT_SECS} seconds (100 years), not {}",
                self.job_inactivity_timeout_secs
            ));
        }
        self.max_internet_bandwidth
            .problem()
            .map(|problem| format!("MaxInternetBandwidth: {problem}"))
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

#[cfg(test)]
mod properties {
    //! The policies file against any input: never a panic, what is accepted has no problem, and
    //! policies written by serde read back identical.

    use proptest::prelude::*;

    use super::*;

    /// Policies within their documented ranges.
    fn valid_policies() -> impl Strategy<Value = Policies> {
        let bandwidth = (
            any::<bool>(),
            0u8..24,
            0u8..24,
            any::<Option<u32>>(),
            any::<Option<u32>>(),
        )
            .prop_map(
                |(enabled, start_hour, end_hour, in_window_kbps, outside_kbps)| BandwidthPolicy {
                    enabled,
                    start_hour,
                    end_hour,
                    in_window_kbps,
                    outside_kbps,
                },
            );
        (
            1..=MAX_JOB_INACTIVITY_TIMEOUT_SECS,
            1..=u32::MAX,
            1..=u32::MAX,
            1..=u32::MAX,
            1..=u32::MAX,
            bandwidth,
        )
            .prop_map(
                |(timeout, user, machine, files, ranges, bandwidth)| Policies {
                    job_inactivity_timeout_secs: timeout,
                    max_jobs_per_user: user,
                    max_jobs_per_machine: machine,
                    max_files_per_job: files,
                    max_ranges_per_file: ranges,
                    max_internet_bandwidth: bandwidth,
                },
            )
    }

    /// A JSON value of any shape, small, whose keys are often the policies' own.
    fn json() -> impl Strategy<Value = serde_json::Value> {
        crate::test_json::json_with_keys(name(), 3)
    }

    /// A field name: one of the policies' (or their bandwidth fields'), or any text.
    fn name() -> impl Strategy<Value = String> + Clone {
        prop_oneof![
            prop::sample::select(vec![
                "JobInactivityTimeout",
                "JobInactivityTimeoutSecs",
                "MaxJobsPerUser",
                "MaxJobsPerMachine",
                "MaxFilesPerJob",
                "MaxRangesPerFile",
                "MaxInternetBandwidth",
                "Enabled",
                "StartHour",
                "EndHour",
                "InWindowKbps",
                "OutsideKbps",
            ])
            .prop_map(str::to_owned),
            ".{0,10}",
        ]
    }

    proptest! {
        #[test]
        fn any_text_is_read_or_refused_in_words(text in ".{0,200}") {
            if let Err(why) = Policies::from_json(&text) {
                prop_assert!(!why.is_empty());
            }
        }

        #[test]
        fn any_json_object_is_read_or_refused_without_a_panic(
            fields in prop::collection::btree_map(name(), json(), 0..6),
        ) {
            let text = serde_json::Value::Object(fields.into_iter().collect()).to_string();
            match Policies::from_json(&text) {
                Ok(policies) => prop_assert_eq!(policies.problem(), None),
                Err(why) => prop_assert!(!why.is_empty()),
            }
        }

        #[test]
        fn policies_written_by_serde_read_back_identical(policies in valid_policies()) {
            let text = serde_json::to_string(&policies).unwrap();
            prop_assert_eq!(Policies::from_json(&text), Ok(policies));
        }
    }
}
