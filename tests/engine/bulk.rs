//! Pause all and Resume all: which jobs each touches, how many it says it touched, and that
//! each acts on the queue as one step (no job starts while it runs); Complete all ready: only
//! TRANSFERRED jobs, counted.

use ferry_engine::{EngineEvent, JobState, Priority};

use crate::harness::{drain, TestEngine};
use crate::servers::{body, Behaviour, Resource, TestServer};

fn stalling(size: usize, seed: u64) -> Behaviour {
    Behaviour::Stall {
        resource: Resource::new(body(size, seed)),
        after: 1_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_all_stops_only_moving_or_waiting_jobs_and_resume_all_only_paused_ones() {
    let server = TestServer::builder()
        .route("/done", Behaviour::full(body(1_000, 1)))
        .route("/missing", Behaviour::status(404))
        .route("/slow", stalling(100_000, 2))
        .route("/later", Behaviour::full(body(1_000, 3)))
        .route(
            "/busy",
            Behaviour::status_then(503, None, usize::MAX, Behaviour::full(body(10, 4))),
        )
        .start()
        .await;
    let t = TestEngine::start("bulk-which").await;
    let transferred = t.start_job(&[(&server.url("/done"), "done")]);
    let error = t.start_job(&[(&server.url("/missing"), "missing")]);
    t.wait_state(transferred, JobState::Transferred).await;
    t.wait_state(error, JobState::Error).await;
    let transferring = t.job(&[(&server.url("/slow"), "slow")]);
    t.engine.resume(transferring).unwrap();
    t.wait_state(transferring, JobState::Transferring).await;
    let queued = t.job(&[(&server.url("/later"), "later")]);
    t.engine.set_priority(queued, Priority::Low).unwrap();
    t.engine.resume(queued).unwrap();
    let waiting = t.start_job(&[(&server.url("/busy"), "busy")]);
    t.wait_state(waiting, JobState::TransientError).await;
    let never_resumed = t.job(&[(&server.url("/later"), "being-made")]);
    let paused_by_hand = t.job(&[(&server.url("/later"), "by-hand")]);
    t.engine
        .set_priority(paused_by_hand, Priority::Low)
        .unwrap();
    t.engine.resume(paused_by_hand).unwrap();
    t.engine.suspend(paused_by_hand).unwrap();
    assert_eq!(t.engine.get(queued).unwrap().state, JobState::Queued);

    let paused = t.engine.suspend_all().unwrap();

    let state = |id| t.engine.get(id).unwrap().state;
    assert_eq!(
        paused, 3,
        "the transferring, queued and retrying jobs are paused"
    );
    for id in [transferring, queued, waiting] {
        assert_eq!(state(id), JobState::Suspended);
    }
    assert_eq!(
        state(transferred),
        JobState::Transferred,
        "a job waiting for Complete stays"
    );
    assert_eq!(
        state(error),
        JobState::Error,
        "a job waiting for a fix stays"
    );

    let resumed = t.engine.resume_all().unwrap();

    assert_eq!(
        resumed, 4,
        "the three Pause all stopped and the one paused by hand are resumed"
    );
    assert_eq!(
        state(never_resumed),
        JobState::Suspended,
        "a job never resumed is still being made and stays SUSPENDED"
    );
    assert_eq!(state(error), JobState::Error);
    assert_ne!(state(paused_by_hand), JobState::Suspended);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_all_is_one_step_no_queued_job_starts_or_reaches_the_server_while_it_runs() {
    const JOBS: usize = 500;
    const AT_ONCE: usize = 4;
    let server = TestServer::start(stalling(100_000, 5)).await;
    let t = TestEngine::start_with("bulk-one-step", |config| {
        config.policies.max_jobs_per_user = 1_000;
        config.policies.max_jobs_per_machine = 1_000;
        config.foreground_concurrency = AT_ONCE;
    })
    .await;
    let url = server.url("/f");
    let ids: Vec<_> = (0..JOBS)
        .map(|n| t.start_job(&[(&url, &format!("f{n}"))]))
        .collect();
    for id in &ids[..AT_ONCE] {
        t.wait_state(*id, JobState::Transferring).await;
    }
    let requests_before = server.requests().len();
    let mut events = t.engine.subscribe();

    let paused = t.engine.suspend_all().unwrap();

    assert_eq!(
        paused as usize, JOBS,
        "every running and queued job is paused"
    );
    let started: Vec<_> = drain(&mut events)
        .into_iter()
        .filter_map(|event| match event {
            EngineEvent::StateChanged { job, .. } if job.state != JobState::Suspended => {
                Some((job.id, job.state))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        started,
        Vec::new(),
        "no job went anywhere but SUSPENDED (no queued job started) while Pause all ran"
    );
    for id in &ids {
        assert_eq!(t.engine.get(*id).unwrap().state, JobState::Suspended);
    }
    assert_eq!(
        server.requests().len(),
        requests_before,
        "no request reached the server while Pause all ran"
    );
}

/// Makes the store refuse to write once `after` jobs are in `state` (a disk that fills up
/// half-way through a transaction), through a trigger in the engine's own SQLite file.
fn refuse_writes_after(t: &TestEngine, state: JobState, after: usize) {
    store(t)
        .execute_batch(&format!(
            "CREATE TRIGGER refuse_writes AFTER UPDATE ON jobs
             WHEN (SELECT count(*) FROM jobs WHERE state = '{state}') >= {after}
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
        ))
        .expect("add the trigger");
}

fn allow_writes(t: &TestEngine) {
    store(t)
        .execute_batch("DROP TRIGGER refuse_writes;")
        .expect("drop the trigger");
}

fn store(t: &TestEngine) -> rusqlite::Connection {
    rusqlite::Connection::open(t.data.path().join("ferry.db")).expect("open the store")
}

/// How many jobs the store holds in `state`.
fn stored_in(t: &TestEngine, state: JobState) -> usize {
    store(t)
        .query_row(
            "SELECT count(*) FROM jobs WHERE state = ?1",
            [state.to_string()],
            |row| row.get(0),
        )
        .expect("count the stored jobs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_all_the_store_cannot_save_leaves_every_job_as_it_was() {
    const JOBS: usize = 50;
    let server = TestServer::start(stalling(100_000, 6)).await;
    let t = TestEngine::start_with("bulk-one-transaction", |config| {
        config.foreground_concurrency = 1;
    })
    .await;
    let url = server.url("/f");
    let ids: Vec<_> = (0..JOBS)
        .map(|n| t.start_job(&[(&url, &format!("f{n}"))]))
        .collect();
    t.wait_state(ids[0], JobState::Transferring).await;
    refuse_writes_after(&t, JobState::Suspended, JOBS / 2);

    let refused = t.engine.suspend_all();

    assert!(refused.is_err(), "Pause all says the store refused it");
    assert_eq!(
        stored_in(&t, JobState::Queued) + stored_in(&t, JobState::Transferring),
        JOBS,
        "the store holds every job as it was: no half of the sweep was saved"
    );
    assert_eq!(
        t.engine.get(ids[0]).unwrap().state,
        JobState::Transferring,
        "the running job runs on"
    );
    for id in &ids[1..] {
        assert_eq!(
            t.engine.get(*id).unwrap().state,
            JobState::Queued,
            "every queued job is as it was"
        );
    }
    assert_eq!(server.open_connections(), 1, "the transfer goes on");

    allow_writes(&t);
    assert_eq!(t.engine.suspend_all().unwrap() as usize, JOBS);
    assert_eq!(stored_in(&t, JobState::Suspended), JOBS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_all_ready_completes_only_transferred_jobs_and_counts_them() {
    let server = TestServer::builder()
        .route("/a", Behaviour::full(body(1_000, 11)))
        .route("/b", Behaviour::full(body(2_000, 12)))
        .route("/taken", Behaviour::full(body(500, 13)))
        .route("/missing", Behaviour::status(404))
        .route("/slow", stalling(100_000, 14))
        .start()
        .await;
    let t = TestEngine::start("bulk-complete").await;
    let first = t.start_job(&[(&server.url("/a"), "a.bin")]);
    let second = t.start_job(&[(&server.url("/b"), "b.bin")]);
    let taken = t.start_job(&[(&server.url("/taken"), "taken.bin")]);
    let error = t.start_job(&[
        (&server.url("/a"), "error-a.bin"),
        (&server.url("/missing"), "missing.bin"),
    ]);
    for id in [first, second, taken] {
        t.wait_state(id, JobState::Transferred).await;
    }
    t.wait_state(error, JobState::Error).await;
    let transferring = t.start_job(&[(&server.url("/slow"), "slow.bin")]);
    t.wait_state(transferring, JobState::Transferring).await;
    let suspended = t.job(&[(&server.url("/a"), "never.bin")]);
    std::fs::write(t.path("taken.bin"), b"mine").unwrap();

    let outcome = t.engine.complete_all_ready().unwrap();

    assert_eq!(
        outcome.completed, 2,
        "the two TRANSFERRED jobs whose names are free are completed"
    );
    assert_eq!(
        outcome.not_completed, 1,
        "the TRANSFERRED job whose file name is taken is counted as not completed"
    );
    assert_eq!(t.read("a.bin"), body(1_000, 11), "a.bin is in place");
    assert_eq!(t.read("b.bin"), body(2_000, 12), "b.bin is in place");
    assert_eq!(
        t.read("taken.bin"),
        b"mine",
        "a file that exists is never replaced"
    );
    for id in [first, second] {
        assert!(
            t.engine.get(id).is_err(),
            "a completed job has left the queue"
        );
    }
    let state = |id| t.engine.get(id).unwrap().state;
    assert_eq!(state(taken), JobState::Transferred);
    assert_eq!(
        state(error),
        JobState::Error,
        "a job in ERROR is not completed: its finished file is not handed over"
    );
    assert!(!t.path("error-a.bin").exists());
    assert_ne!(state(transferring), JobState::Acknowledged);
    assert_eq!(state(suspended), JobState::Suspended);
    assert!(!t.path("slow.bin").exists() && !t.path("never.bin").exists());

    let again = t.engine.complete_all_ready().unwrap();
    assert_eq!((again.completed, again.not_completed), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_all_ready_completes_many_jobs_in_one_call_and_announces_each() {
    const JOBS: usize = 40;
    let server = TestServer::start(Behaviour::full(body(100, 15))).await;
    let t = TestEngine::start("bulk-complete-one-step").await;
    let url = server.url("/f");
    let ids: Vec<_> = (0..JOBS)
        .map(|n| t.start_job(&[(&url, &format!("f{n}"))]))
        .collect();
    for id in &ids {
        t.wait_state(*id, JobState::Transferred).await;
    }
    let mut events = t.engine.subscribe();

    let outcome = t.engine.complete_all_ready().unwrap();

    assert_eq!(outcome.completed as usize, JOBS);
    let mut removed = 0;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::JobRemoved { state, .. } = event {
            assert_eq!(state, JobState::Acknowledged);
            removed += 1;
        }
    }
    assert_eq!(
        removed, JOBS,
        "every completed job was announced by the time Complete all ready returned"
    );
    for n in 0..JOBS {
        assert_eq!(t.read(&format!("f{n}")), body(100, 15));
    }
}
