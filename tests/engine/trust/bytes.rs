//! What Ferry guarantees about the download path: an answer that is not the file's bytes (a web
//! page, another version, compressed bytes, a malformed answer) never reaches the temporary file
//! as if it were. The cases that kill the process are in `tests/processes/trust/bytes.rs`.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use ferry_engine::{ErrorCode, ErrorContext, JobId, JobState, Priority};

use crate::harness::{refusal, TestEngine};
use crate::servers::{body, Behaviour, RawServer, Resource, TestServer};
use crate::util::{sha256, sha256_file};

/// Bytes of the file that reach the disk before the first answer is cut.
const CUT_AT: usize = 100_000;

/// A server that cuts every answer after [`CUT_AT`] bytes of `data`.
fn cutting(data: &Bytes) -> Behaviour {
    Behaviour::DropMidBody {
        resource: Resource::new(data.clone()),
        after: CUT_AT,
        times: None,
    }
}

/// The temporary file of file 0 of job `id`.
fn temp_of(t: &TestEngine, id: JobId) -> PathBuf {
    t.engine.get(id).unwrap().files[0]
        .temp_path
        .clone()
        .expect("a download file has a temporary file")
}

/// Starts a download of `data` that is cut after [`CUT_AT`] bytes and waits until those bytes
/// are on disk and the job waits to retry.
async fn partial_download(t: &TestEngine, server: &TestServer, name: &str) -> JobId {
    let id = t.start_job(&[(&server.url("/file.bin"), name)]);
    let error = t.wait_error(id, JobState::TransientError).await;
    assert_eq!(error.code, ErrorCode::ERROR_WINHTTP_CONNECTION_ERROR);
    assert_eq!(
        std::fs::metadata(temp_of(t, id)).unwrap().len(),
        CUT_AT as u64
    );
    id
}

#[tokio::test]
async fn item_1_a_resume_answered_with_a_web_page_is_an_error_and_keeps_the_partial_bytes() {
    let data = body(1_000_000, 1);
    let server = TestServer::start(cutting(&data)).await;
    let t = TestEngine::start("page-on-resume").await;
    let id = partial_download(&t, &server, "file.bin").await;

    server.set_behaviour(Behaviour::HtmlErrorPage);
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::FERRY_E_WEB_PAGE_INSTEAD_OF_FILE);
    assert_eq!(error.context, ErrorContext::RemoteFile);
    assert!(
        error.description.contains("web page"),
        "{}",
        error.description
    );
    let kept = std::fs::read(temp_of(&t, id)).unwrap();
    assert_eq!(
        kept,
        data[..CUT_AT],
        "the partial bytes are kept, the page is not written"
    );

    server.set_behaviour(Behaviour::full(data.clone()));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("file.bin")), sha256(&data));
}

#[tokio::test]
async fn item_1_a_first_answer_that_is_a_web_page_for_a_file_named_otherwise_waits_for_the_user() {
    let server = TestServer::start(Behaviour::HtmlErrorPage).await;
    let t = TestEngine::start("page-first").await;
    let id = t.start_job(&[(&server.url("/setup.iso"), "setup.iso")]);
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::FERRY_E_WEB_PAGE_INSTEAD_OF_FILE);
    assert_eq!(error.context, ErrorContext::RemoteFile);
    assert_eq!(error.file_index, Some(0));
    let temp = temp_of(&t, id);
    assert!(
        std::fs::metadata(&temp).map_or(true, |m| m.len() == 0),
        "nothing of the page is written"
    );

    assert_eq!(
        refusal(t.engine.allow_web_page(id, 7)),
        ErrorCode::E_INVALIDARG,
        "a file the job does not have"
    );
    t.engine.allow_web_page(id, 0).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert!(t.read("setup.iso").starts_with(b"<!DOCTYPE html>"));
    assert_eq!(
        refusal(t.engine.allow_web_page(id, 0)),
        ErrorCode::BG_E_INVALID_STATE,
        "a completed job takes no more changes"
    );

    // A name that says "page", or says nothing, gets the page without a question.
    for name in ["index.html", "download"] {
        let id = t.start_job(&[(&server.url("/"), name)]);
        t.wait_state(id, JobState::Transferred).await;
        t.engine.complete(id).unwrap();
    }
}

#[tokio::test]
async fn item_3_a_gzip_encoded_range_answer_is_never_written_into_the_file() {
    let data = body(1_000_000, 3);
    let server = TestServer::start(cutting(&data)).await;
    let t = TestEngine::start("gzip-range").await;
    let id = partial_download(&t, &server, "file.bin").await;

    server.set_behaviour(Behaviour::GzipRanges(Resource::new(data.clone())));
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::FERRY_E_CONTENT_ENCODED);
    assert_eq!(error.context, ErrorContext::RemoteFile);
    let kept = std::fs::read(temp_of(&t, id)).unwrap();
    assert_eq!(
        kept,
        data[..CUT_AT],
        "only the honest bytes are in the file"
    );

    server.set_behaviour(Behaviour::full(data.clone()));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("file.bin")), sha256(&data));
    for request in server.requests() {
        assert_eq!(
            request.header("accept-encoding"),
            Some("identity"),
            "every download request asks for the plain bytes"
        );
    }
}

#[tokio::test]
async fn edge_a_416_for_a_complete_temporary_file_finishes_it_without_downloading_again() {
    let data = body(500_000, 4);
    let server = TestServer::start(Behaviour::Stall {
        resource: Resource::new(data.clone()),
        after: 200_000,
    })
    .await;
    let t = TestEngine::start("complete-temp").await;
    let id = t.start_job(&[(&server.url("/file.bin"), "file.bin")]);
    t.wait(id, "a part of the file", |j| {
        j.progress.bytes_transferred > 0
    })
    .await;
    let temp = temp_of(&t, id);
    let t = {
        t.engine.shutdown().await;
        // Every byte reached the disk before a crash could record it.
        std::fs::write(&temp, &data).unwrap();
        server.set_behaviour(Behaviour::full(data.clone()));
        t.restart().await
    };
    let before = server.requests().len();
    t.wait_state(id, JobState::Transferred).await;
    let resumed = &server.requests()[before..];
    assert!(!resumed.is_empty());
    for request in resumed {
        assert_eq!(
            request.header("range"),
            Some("bytes=500000-"),
            "the file is not downloaded a second time"
        );
    }
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("file.bin")), sha256(&data));
}

#[tokio::test]
async fn edge_malformed_answers_are_the_servers_error_after_one_retry() {
    let big_head = format!(
        "HTTP/1.1 200 OK\r\nX-Padding: {}\r\nContent-Length: 3\r\n\r\nabc",
        "a".repeat(1 << 20)
    );
    let answers: [(&str, Vec<u8>); 6] = [
        (
            "negative Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabc".to_vec(),
        ),
        (
            "garbage Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\nabc".to_vec(),
        ),
        (
            "conflicting Content-Length",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 9\r\n\r\nabc".to_vec(),
        ),
        ("HTTP/0.9", b"just the bytes, no status line\n".to_vec()),
        ("a 1 MB header block", big_head.into_bytes()),
        (
            "204 for a file",
            b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n".to_vec(),
        ),
    ];
    let t = TestEngine::start("malformed").await;
    let mut jobs = Vec::new();
    for (index, (kind, answer)) in answers.into_iter().enumerate() {
        let server = RawServer::start(answer).await;
        let id = t.job(&[(&server.url("/file.bin"), &format!("file-{index}.bin"))]);
        t.engine.set_minimum_retry_delay(id, 5).unwrap();
        t.engine.set_priority(id, Priority::Foreground).unwrap();
        t.engine.resume(id).unwrap();
        jobs.push((kind, server, id));
    }
    for (kind, server, id) in &jobs {
        let error = t.wait_error(*id, JobState::Error).await;
        assert_eq!(
            error.code,
            ErrorCode::BG_E_INVALID_SERVER_RESPONSE,
            "{kind}: {}",
            error.description
        );
        assert_eq!(error.context, ErrorContext::RemoteFile, "{kind}");
        assert_eq!(server.requests(), 2, "{kind}: one retry, then ERROR");
    }
}

#[tokio::test]
async fn edge_a_body_that_stalls_or_breaks_says_so_precisely() {
    let data = body(1_000_000, 5);
    let stalling = TestServer::start(Behaviour::Stall {
        resource: Resource::new(data.clone()),
        after: CUT_AT,
    })
    .await;
    let breaking = TestServer::start(cutting(&data)).await;
    let t = TestEngine::start_with("body-messages", |c| {
        c.read_timeout = Duration::from_secs(1);
    })
    .await;
    let stalled = t.start_job(&[(&stalling.url("/file.bin"), "stalled.bin")]);
    let broken = t.start_job(&[(&breaking.url("/file.bin"), "broken.bin")]);

    let error = t.wait_error(stalled, JobState::TransientError).await;
    assert!(
        error
            .description
            .contains(&format!("the server stopped sending after {CUT_AT} bytes")),
        "{}",
        error.description
    );
    let error = t.wait_error(broken, JobState::TransientError).await;
    assert!(
        error
            .description
            .contains(&format!("the connection broke after {CUT_AT} bytes")),
        "{}",
        error.description
    );
    for job in [stalled, broken] {
        let error = t.engine.get(job).unwrap().error.unwrap();
        assert!(
            !error.description.contains("error decoding response body"),
            "{}",
            error.description
        );
    }
}
