//! Section D: files, ranges, names.

use std::time::Duration;

use ferry_engine::{ByteRange, ErrorCode, FileSpec, JobState, JobType};

use crate::harness::{refusal, TestEngine};
use crate::servers::{body, Behaviour, TestServer};

fn spec(url: &str, path: std::path::PathBuf) -> FileSpec {
    FileSpec {
        remote_url: url.to_owned(),
        local_path: path,
    }
}

fn upload_job(t: &TestEngine) -> (ferry_engine::JobId, std::path::PathBuf) {
    let source = t.path("source.bin");
    std::fs::write(&source, b"upload me").unwrap();
    (t.engine.create_job("up", JobType::Upload).unwrap(), source)
}

#[tokio::test]
async fn d36_a_second_file_on_an_upload_job_is_bg_e_too_many_files() {
    let t = TestEngine::start("d36").await;
    let (id, source) = upload_job(&t);
    t.engine
        .add_file(id, spec("http://127.0.0.1:9/u", source.clone()))
        .unwrap();
    assert_eq!(
        refusal(t.engine.add_file(id, spec("http://127.0.0.1:9/v", source))),
        ErrorCode::BG_E_TOO_MANY_FILES
    );
}

#[tokio::test]
async fn d37_add_files_with_two_entries_on_an_upload_job_adds_none() {
    let t = TestEngine::start("d37").await;
    let (id, source) = upload_job(&t);
    let files = vec![
        spec("http://127.0.0.1:9/u", source.clone()),
        spec("http://127.0.0.1:9/v", source),
    ];
    assert_eq!(
        t.engine.add_files(id, files).unwrap_err().code,
        ErrorCode::BG_E_TOO_MANY_FILES
    );
    assert!(t.engine.get(id).unwrap().files.is_empty());
}

#[tokio::test]
async fn d38_the_201st_file_is_bg_e_too_many_files_in_job() {
    let t = TestEngine::start("d38").await;
    let id = t.engine.create_job("many", JobType::Download).unwrap();
    let files: Vec<FileSpec> = (0..200)
        .map(|i| spec(&format!("http://127.0.0.1:9/{i}"), t.path(&format!("f{i}"))))
        .collect();
    t.engine.add_files(id, files).unwrap();
    let refused = t
        .engine
        .add_file(id, spec("http://127.0.0.1:9/x", t.path("x")));
    assert_eq!(refusal(refused), ErrorCode::BG_E_TOO_MANY_FILES_IN_JOB);
    assert_eq!(t.engine.get(id).unwrap().files.len(), 200);
}

#[tokio::test]
async fn d39_a_relative_local_path_is_e_invalidarg() {
    let t = TestEngine::start("d39").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let refused = t
        .engine
        .add_file(id, spec("http://127.0.0.1:9/f", "file.bin".into()));
    assert_eq!(refusal(refused), ErrorCode::E_INVALIDARG);
}

#[tokio::test]
async fn d40_a_folder_the_owner_cannot_write_is_e_accessdenied() {
    let t = TestEngine::start("d40").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    // /proc is read-only for everyone, root included.
    let err = t
        .engine
        .add_file(
            id,
            spec("http://127.0.0.1:9/f", "/proc/ferry-test.bin".into()),
        )
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::E_ACCESSDENIED, "{}", err.message);
    let missing = t
        .engine
        .add_file(id, spec("http://127.0.0.1:9/f", t.path("no/such/folder/f")));
    assert_eq!(refusal(missing), ErrorCode::ERROR_PATH_NOT_FOUND);
}

#[tokio::test]
async fn d41_an_ftp_url_is_e_invalidarg() {
    let t = TestEngine::start("d41").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let refused = t
        .engine
        .add_file(id, spec("ftp://127.0.0.1/f", t.path("f")));
    assert_eq!(refusal(refused), ErrorCode::E_INVALIDARG);
    assert!(t.engine.get(id).unwrap().files.is_empty());
}

#[tokio::test]
async fn d42_set_remote_name_with_2201_characters_is_e_invalidarg() {
    let t = TestEngine::start("d42").await;
    let id = t.job(&[("http://127.0.0.1:9/f", "f")]);
    let long = format!("http://127.0.0.1/{}", "a".repeat(2201 - 17));
    assert_eq!(long.chars().count(), 2201);
    assert_eq!(
        t.engine.set_remote_name(id, 0, &long).unwrap_err().code,
        ErrorCode::E_INVALIDARG
    );
    assert_eq!(
        t.engine.get(id).unwrap().files[0].remote_url,
        "http://127.0.0.1:9/f"
    );
}

#[tokio::test]
async fn d45_zero_ranges_are_e_invalidarg_and_an_open_offset_is_bg_e_invalid_range() {
    let t = TestEngine::start("d45").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let file = spec("http://127.0.0.1:9/f", t.path("f"));
    assert_eq!(
        t.engine
            .add_file_with_ranges(id, file.clone(), vec![])
            .unwrap_err()
            .code,
        ErrorCode::E_INVALIDARG
    );
    let open = vec![ByteRange {
        offset: u64::MAX,
        length: Some(10),
    }];
    assert_eq!(
        t.engine
            .add_file_with_ranges(id, file.clone(), open)
            .unwrap_err()
            .code,
        ErrorCode::BG_E_INVALID_RANGE
    );
    let overlapping = vec![
        ByteRange {
            offset: 10,
            length: Some(10),
        },
        ByteRange {
            offset: 0,
            length: Some(11),
        },
    ];
    assert_eq!(
        t.engine
            .add_file_with_ranges(id, file, overlapping)
            .unwrap_err()
            .code,
        ErrorCode::BG_E_OVERLAPPING_RANGES
    );
}

#[tokio::test]
async fn d46_upload_jobs_refuse_ranges_and_remote_renames() {
    let t = TestEngine::start("d46").await;
    let (id, source) = upload_job(&t);
    t.engine
        .add_file(id, spec("http://127.0.0.1:9/u", source.clone()))
        .unwrap();
    let ranges = vec![ByteRange {
        offset: 0,
        length: Some(1),
    }];
    assert_eq!(
        t.engine
            .add_file_with_ranges(id, spec("http://127.0.0.1:9/u", source), ranges)
            .unwrap_err()
            .code,
        ErrorCode::E_NOTIMPL
    );
    assert_eq!(
        t.engine
            .set_remote_name(id, 0, "http://127.0.0.1:9/w")
            .unwrap_err()
            .code,
        ErrorCode::E_NOTIMPL
    );
    assert_eq!(
        t.engine
            .replace_remote_prefix(id, "http://127.0.0.1:9", "http://127.0.0.1:10")
            .unwrap_err()
            .code,
        ErrorCode::E_NOTIMPL
    );
}

#[tokio::test]
async fn d47_a_range_past_the_end_of_the_remote_file_is_bg_e_invalid_range() {
    let server = TestServer::start(Behaviour::full(body(1000, 1))).await;
    let t = TestEngine::start("d47").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let ranges = vec![ByteRange {
        offset: 900,
        length: Some(200),
    }];
    t.engine
        .add_file_with_ranges(id, spec(&server.url("/f"), t.path("f")), ranges)
        .unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::BG_E_INVALID_RANGE);
}

#[tokio::test]
async fn d48_ranges_are_written_back_to_back_in_the_order_given() {
    let remote = body(1000, 2);
    let server = TestServer::start(Behaviour::full(remote.clone())).await;
    let t = TestEngine::start("d48").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let ranges = vec![
        ByteRange {
            offset: 100,
            length: Some(100),
        },
        ByteRange {
            offset: 900,
            length: Some(50),
        },
        ByteRange {
            offset: 400,
            length: Some(100),
        },
        ByteRange {
            offset: 950,
            length: None,
        },
    ];
    t.engine
        .add_file_with_ranges(id, spec(&server.url("/f"), t.path("f")), ranges)
        .unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.progress.bytes_total, Some(300));
    t.engine.complete(id).unwrap();
    let expected = [
        &remote[100..200],
        &remote[900..950],
        &remote[400..500],
        &remote[950..1000],
    ]
    .concat();
    assert_eq!(t.read("f"), expected);
}

#[tokio::test]
async fn d49_after_a_404_set_remote_name_and_resume_finish_without_refetching_done_files() {
    let server = TestServer::builder()
        .route("/a", Behaviour::full(body(5000, 1)))
        .route("/missing", Behaviour::status(404))
        .route("/fixed", Behaviour::full(body(6000, 2)))
        .start()
        .await;
    let t = TestEngine::start("d49").await;
    let id = t.start_job(&[(&server.url("/a"), "a"), (&server.url("/missing"), "b")]);
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::http(404));
    t.engine
        .set_remote_name(id, 1, &server.url("/fixed"))
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let fetches_of_a = server.requests().iter().filter(|r| r.path == "/a").count();
    assert_eq!(fetches_of_a, 1, "a finished file is never downloaded again");
    assert_eq!(t.engine.complete(id).unwrap().code, ErrorCode::S_OK);
}

#[tokio::test]
async fn d50_files_of_a_job_transfer_one_at_a_time_in_order() {
    let drip = |seed| Behaviour::slow_drip(body(40_000, seed), 8192, Duration::from_millis(5));
    let server = TestServer::builder()
        .route("/1", drip(1))
        .route("/2", drip(2))
        .route("/3", drip(3))
        .start()
        .await;
    let t = TestEngine::start("d50").await;
    let id = t.start_job(&[
        (&server.url("/1"), "1"),
        (&server.url("/2"), "2"),
        (&server.url("/3"), "3"),
    ]);
    let mut events = t.engine.subscribe();
    let mut seen_in_flight = Vec::new();
    loop {
        let job = t.engine.get(id).unwrap();
        let in_flight: Vec<u32> = job
            .files
            .iter()
            .filter(|f| !f.transferred && f.bytes_transferred > 0)
            .map(|f| f.index)
            .collect();
        assert!(
            in_flight.len() <= 1,
            "two files in flight at once: {in_flight:?}"
        );
        let first_unfinished = job.files.iter().position(|f| !f.transferred);
        for index in &in_flight {
            assert_eq!(
                Some(*index as usize),
                first_unfinished,
                "a later file started before an earlier one finished"
            );
            seen_in_flight.push(*index);
        }
        if job.state == JobState::Transferred {
            break;
        }
        let _ = tokio::time::timeout(crate::harness::PATIENCE, events.recv())
            .await
            .expect("progress keeps coming");
    }
    let requested: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(requested, ["/1", "/2", "/3"]);
}
