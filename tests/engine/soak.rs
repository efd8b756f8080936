//! A hostile server for minutes: every request of many jobs gets a random misbehaviour of the
//! catalogue ([`Behaviour::Chaos`]). Every job must end TRANSFERRED with the bytes of one whole
//! version of each file, or in ERROR with a code; none may end TRANSFERRED with wrong bytes, and
//! the engine (running in this process) must never panic.
//!
//! `make soak` runs the long one (`FERRY_SOAK_SECS`, default 120; `FERRY_SOAK_SEED` replays a
//! run, whose seed is printed first); the short one, with a fixed seed, runs with the others.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, Once};
use std::time::Duration;

use bytes::Bytes;
use ferry_engine::{JobId, JobState, Priority};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::harness::TestEngine;
use crate::servers::{body, pick, Behaviour, Misbehaviour, TestServer};
use crate::util::sha256_file;

/// Jobs running at once.
const JOBS_AT_ONCE: usize = 20;
/// The shortest retry delay the engine allows.
const RETRY_DELAY_SECS: u32 = 5;
/// A job without progress this long ends in ERROR with its last failure's code.
const NO_PROGRESS_SECS: u32 = 30;
/// Longest the jobs still running at the end of the soak may take to end.
const WIND_DOWN: Duration = Duration::from_secs(240);
/// The seed of the short soak in the normal suite.
const SHORT_SEED: u64 = 0x00F3_2211;

/// Panics seen anywhere in the engine's code, or on the soak's own thread.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[tokio::test]
#[ignore = "minutes of a hostile server: run by `make soak`"]
async fn soak_jobs_against_a_hostile_server_end_with_the_right_bytes_or_a_coded_error() {
    let secs = env_number("FERRY_SOAK_SECS").unwrap_or(120);
    let seed = env_number("FERRY_SOAK_SEED").unwrap_or_else(fresh_seed);
    Soak {
        seed,
        duration: Duration::from_secs(secs),
    }
    .run()
    .await;
}

#[tokio::test]
async fn soak_short_with_a_fixed_seed_ends_every_job_with_the_right_bytes_or_a_coded_error() {
    Soak {
        seed: SHORT_SEED,
        duration: Duration::from_secs(10),
    }
    .run()
    .await;
}

/// A number from the environment variable `name`, if set (a malformed one fails the test).
fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={text:?} is not a number: {e}")),
    )
}

/// A seed for a run nobody asked to replay.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    (nanos as u64) ^ u64::from(std::process::id())
}

/// Records every panic in the engine's code or on a soak thread (tokio catches a task's
/// panic, so without this a panicking transfer would only look like a stuck job).
fn watch_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current().name().unwrap_or("").to_owned();
            let place = info
                .location()
                .map(|l| l.file().to_owned())
                .unwrap_or_default();
            if thread.contains("soak") || place.contains("engine/src") {
                let mut panics = PANICS.lock().unwrap_or_else(|e| e.into_inner());
                panics.push(format!("{info} (thread {thread:?})"));
            }
            previous(info);
        }));
    });
}

/// One soak run.
struct Soak {
    seed: u64,
    duration: Duration,
}

/// A job of the soak and what its files may hold at the end.
struct Running {
    id: JobId,
    /// Local name and the SHA-256 of each version the server has of it.
    files: Vec<(String, Vec<String>)>,
}

/// How the jobs ended.
#[derive(Default)]
struct Tally {
    jobs: usize,
    transferred: usize,
    errors: BTreeMap<String, usize>,
    wrong_bytes: Vec<String>,
}

impl Soak {
    async fn run(&self) {
        watch_panics();
        eprintln!(
            "soak: seed {} (replay with FERRY_SOAK_SEED={}), {} s, {JOBS_AT_ONCE} jobs at once",
            self.seed,
            self.seed,
            self.duration.as_secs()
        );
        let server = TestServer::builder().start().await;
        let t = TestEngine::start("soak").await;
        let mut events = t.engine.subscribe();
        let mut seeds = HashMap::new();
        let mut running: Vec<Running> = Vec::new();
        let mut tally = Tally::default();
        let end = Instant::now() + self.duration;
        loop {
            while Instant::now() < end && running.len() < JOBS_AT_ONCE {
                running.push(self.start_job(&t, &server, tally.jobs, &mut seeds));
                tally.jobs += 1;
            }
            let mut still = Vec::new();
            for job in running {
                if !finish(&t, &job, &mut tally) {
                    still.push(job);
                }
            }
            running = still;
            self.assert_no_panics();
            if Instant::now() >= end && running.is_empty() {
                break;
            }
            if Instant::now() > end + WIND_DOWN {
                panic!("{}", stuck(&t, &running));
            }
            // Wake on the engine's next event, or look again after a second.
            let next = tokio::time::timeout(Duration::from_secs(1), events.recv()).await;
            assert!(
                !matches!(next, Ok(Err(RecvError::Closed))),
                "the engine stopped during the soak"
            );
        }
        t.engine.shutdown().await;
        eprintln!("{}", report(&tally, &served(&server, &seeds)));
        assert!(
            tally.wrong_bytes.is_empty(),
            "jobs ended TRANSFERRED with wrong bytes (seed {}): {:#?}",
            self.seed,
            tally.wrong_bytes
        );
        self.assert_no_panics();
    }

    /// Fails the soak as soon as the engine panicked (its job would only look stuck).
    fn assert_no_panics(&self) {
        let panics = PANICS.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert!(
            panics.is_empty(),
            "the engine panicked (seed {}): {panics:#?}",
            self.seed
        );
    }

    /// Starts job number `number`: one to three files of two versions each, each at a path
    /// with its own chaos seed; FOREGROUND or background by the seed.
    fn start_job(
        &self,
        t: &TestEngine,
        server: &TestServer,
        number: usize,
        seeds: &mut HashMap<String, u64>,
    ) -> Running {
        let roll = |what: u64| crate::servers::chaos_mix(self.seed, number as u64 * 16 + what);
        let count = 1 + roll(0) % 3;
        let mut specs = Vec::new();
        let mut files = Vec::new();
        for k in 0..count {
            let path = format!("/j{number}/f{k}.bin");
            let versions = versions(roll(1 + k));
            let chaos_seed = roll(8 + k);
            seeds.insert(path.clone(), chaos_seed);
            files.push((
                format!("j{number}-f{k}.bin"),
                versions.iter().map(|v| crate::util::sha256(v)).collect(),
            ));
            server.set_route(
                &path,
                Behaviour::Chaos {
                    versions,
                    seed: chaos_seed,
                },
            );
            specs.push(server.url(&path));
        }
        let pairs: Vec<(&str, &str)> = specs
            .iter()
            .zip(&files)
            .map(|(url, (name, _))| (url.as_str(), name.as_str()))
            .collect();
        let id = t.job(&pairs);
        t.engine
            .set_minimum_retry_delay(id, RETRY_DELAY_SECS)
            .unwrap();
        t.engine
            .set_no_progress_timeout(id, NO_PROGRESS_SECS)
            .unwrap();
        let priority = if roll(15).is_multiple_of(2) {
            Priority::Foreground
        } else {
            Priority::Normal
        };
        t.engine.set_priority(id, priority).unwrap();
        t.engine.resume(id).unwrap();
        Running { id, files }
    }
}

/// Two versions of a file, 1 to 192 KiB, of the same size or not, from `roll`.
fn versions(roll: u64) -> Vec<Bytes> {
    let first = 1024 + (roll % (191 * 1024)) as usize;
    let second = if roll.is_multiple_of(3) {
        first
    } else {
        1024 + ((roll >> 20) % (191 * 1024)) as usize
    };
    vec![body(first, roll), body(second, roll ^ 0xF11F)]
}

/// Settles `job` if it ended: TRANSFERRED is completed and its files checked against the
/// versions, ERROR must carry a code and is cancelled. False while it is still going.
fn finish(t: &TestEngine, job: &Running, tally: &mut Tally) -> bool {
    let info = t.engine.get(job.id).unwrap();
    match info.state {
        JobState::Transferred => {
            t.engine.complete(job.id).unwrap();
            for (name, hashes) in &job.files {
                let got = sha256_file(&t.path(name));
                if !hashes.contains(&got) {
                    tally
                        .wrong_bytes
                        .push(format!("{name}: {got}, versions {hashes:?}"));
                }
            }
            tally.transferred += 1;
            true
        }
        JobState::Error => {
            let error = info.error.expect("a job in ERROR has an error");
            assert!(
                !error.code.is_success(),
                "ERROR with a success code: {error:?}"
            );
            *tally.errors.entry(error.code_name).or_default() += 1;
            t.engine.cancel(job.id).unwrap();
            true
        }
        _ => false,
    }
}

/// How many answers of each misbehaviour the server gave, from its log and the seeds.
fn served(server: &TestServer, seeds: &HashMap<String, u64>) -> BTreeMap<Misbehaviour, usize> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    let requests = server.requests();
    for request in &requests {
        *count.entry(request.path.as_str()).or_default() += 1;
    }
    let mut served = BTreeMap::new();
    for (path, n) in count {
        if let Some(&seed) = seeds.get(path) {
            for i in 0..n {
                *served.entry(pick(seed, i)).or_default() += 1;
            }
        }
    }
    served
}

fn report(tally: &Tally, served: &BTreeMap<Misbehaviour, usize>) -> String {
    format!(
        "soak: {} jobs: {} TRANSFERRED with the right bytes, {} in ERROR {:?}, {} with wrong \
         bytes\nsoak: answers served: {served:?}",
        tally.jobs,
        tally.transferred,
        tally.errors.values().sum::<usize>(),
        tally.errors,
        tally.wrong_bytes.len(),
    )
}

/// The jobs that did not end in time, with their states and errors.
fn stuck(t: &TestEngine, running: &[Running]) -> String {
    let states: Vec<String> = running
        .iter()
        .map(|job| match t.engine.get(job.id) {
            Ok(info) => format!("{}: {} {:?}", job.id, info.state, info.error),
            Err(e) => format!("{}: {e}", job.id),
        })
        .collect();
    format!("jobs did not end within {WIND_DOWN:?} after the soak: {states:#?}")
}
