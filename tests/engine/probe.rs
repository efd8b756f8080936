//! Asking the server before adding (`Engine::probe`): HEAD, or a GET of byte 0 where HEAD is
//! refused; the name from `Content-Disposition` or the final URL, always made safe; redirects
//! checked hop by hop; no body read; at most 20 URLs checked.

use ferry_engine::probe::MAX_PROBED_URLS;
use ferry_engine::{ErrorCode, ProbeRequest, ProbeResult, ProbeStatus};
use hyper::Method;

use crate::harness::TestEngine;
use crate::servers::{body, Behaviour, Resource, TestServer};

/// The answer for one URL.
async fn probe_one(t: &TestEngine, url: &str) -> ProbeResult {
    let mut answers = t
        .engine
        .probe(ProbeRequest {
            urls: vec![url.to_owned()],
            credentials: None,
        })
        .await;
    assert_eq!(answers.len(), 1);
    answers.remove(0)
}

#[tokio::test]
async fn probe_a_head_answer_gives_name_size_type_and_resume() {
    let server = TestServer::start(Behaviour::full(body(12_345, 1))).await;
    let t = TestEngine::start("probe-head").await;

    let answer = probe_one(&t, &server.url("/isos/disk%20one.iso")).await;

    assert_eq!(answer.status, ProbeStatus::Found, "{answer:?}");
    assert_eq!(answer.file_name, "disk one.iso");
    assert_eq!(answer.size, Some(12_345));
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(answer.can_resume);
    assert_eq!(answer.error, None);
    let methods: Vec<Method> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, [Method::HEAD], "one HEAD is enough");
}

#[tokio::test]
async fn probe_a_refused_head_falls_back_to_a_get_of_byte_0() {
    let server = TestServer::start(Behaviour::full(body(4_000, 2)).head_refused()).await;
    let t = TestEngine::start("probe-head-405").await;

    let answer = probe_one(&t, &server.url("/file.bin")).await;

    assert_eq!(answer.status, ProbeStatus::Found, "{answer:?}");
    assert_eq!(answer.size, Some(4_000), "the total of Content-Range");
    assert!(answer.can_resume, "206 says ranges work");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, Method::HEAD);
    assert_eq!(requests[1].method, Method::GET);
    assert_eq!(requests[1].header("range"), Some("bytes=0-0"));
}

#[tokio::test]
async fn probe_a_server_without_ranges_or_validators_cannot_resume() {
    let no_ranges = TestServer::start(Behaviour::NoRanges(Resource::new(body(900, 3)))).await;
    let no_validators =
        TestServer::start(Behaviour::Full(Resource::without_validators(body(900, 4)))).await;
    let t = TestEngine::start("probe-no-resume").await;

    let answer = probe_one(&t, &no_ranges.url("/a.bin")).await;
    assert_eq!(answer.size, Some(900));
    assert!(!answer.can_resume, "no ranges: {answer:?}");

    let answer = probe_one(&t, &no_validators.url("/b.bin")).await;
    assert_eq!(answer.size, Some(900));
    assert!(!answer.can_resume, "no validator: {answer:?}");
}

#[tokio::test]
async fn probe_the_utf8_filename_of_content_disposition_is_the_default_name() {
    let server = TestServer::start(Behaviour::full(body(10, 5)).with_header(
        "content-disposition",
        "attachment; filename=\"naive file.txt\"; filename*=UTF-8''na%C3%AFve%20file.txt",
    ))
    .await;
    let t = TestEngine::start("probe-utf8-name").await;

    let answer = probe_one(&t, &server.url("/download?id=7")).await;

    assert_eq!(answer.file_name, "naïve file.txt");
}

#[tokio::test]
async fn probe_hostile_names_from_the_server_are_made_safe() {
    let long = format!("{}.pdf", "x".repeat(300));
    let cases = [
        ("attachment; filename=\"../../etc/passwd\"", "etc_passwd"),
        ("attachment; filename=\".bashrc\"", "bashrc"),
        ("attachment; filename*=UTF-8''a%07b", "a_b"),
        ("attachment; filename=\"/\"", "report.pdf"),
        ("attachment; filename=\"\"", "report.pdf"),
        ("attachment; filename=\"..\"", "report.pdf"),
    ];
    let t = TestEngine::start("probe-hostile").await;
    for (header, expected) in cases {
        let server = TestServer::start(
            Behaviour::full(body(10, 6)).with_header("content-disposition", header),
        )
        .await;
        let answer = probe_one(&t, &server.url("/files/report.pdf")).await;
        assert_eq!(answer.file_name, expected, "{header}");
    }

    let server = TestServer::start(Behaviour::full(body(10, 6)).with_header(
        "content-disposition",
        &format!("attachment; filename=\"{long}\""),
    ))
    .await;
    let answer = probe_one(&t, &server.url("/")).await;
    assert_eq!(answer.file_name.len(), 255);
    assert!(answer.file_name.ends_with("x.pdf"), "{}", answer.file_name);

    let server = TestServer::start(
        Behaviour::full(body(10, 6))
            .with_header("content-disposition", "attachment; filename=\"/\""),
    )
    .await;
    let answer = probe_one(&t, &server.url("/")).await;
    assert_eq!(answer.file_name, "download", "nothing usable anywhere");
}

#[tokio::test]
async fn probe_the_name_comes_from_the_final_url_after_redirects() {
    let server = TestServer::builder()
        .route(
            "/latest",
            Behaviour::redirect(302, "/releases/tool-2.0.tar.gz"),
        )
        .route("/releases/tool-2.0.tar.gz", Behaviour::full(body(50, 7)))
        .start()
        .await;
    let t = TestEngine::start("probe-redirect").await;

    let answer = probe_one(&t, &server.url("/latest")).await;

    assert_eq!(answer.status, ProbeStatus::Found, "{answer:?}");
    assert_eq!(answer.file_name, "tool-2.0.tar.gz");
    assert_eq!(answer.size, Some(50));
}

#[tokio::test]
async fn probe_a_redirect_to_a_forbidden_url_is_refused() {
    let t = TestEngine::start("probe-forbidden").await;
    let target = TestServer::start(Behaviour::full(body(10, 8))).await;
    let with_password = target
        .url("/secret.bin")
        .replacen("http://", "http://user:pass@", 1);
    for location in ["file:///etc/passwd", with_password.as_str()] {
        let server = TestServer::start(Behaviour::redirect(302, location)).await;

        let answer = probe_one(&t, &server.url("/go")).await;

        assert_eq!(answer.status, ProbeStatus::Failed, "{location}: {answer:?}");
        let error = answer.error.unwrap();
        assert_eq!(error.code, ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED);
        assert!(!error.message.contains("pass@"), "{}", error.message);
        assert_eq!(answer.file_name, "go", "the URL's own name");
    }
    assert!(
        target.requests().is_empty(),
        "the forbidden hop is never asked"
    );
}

#[tokio::test]
async fn probe_reads_no_body() {
    // HEAD is refused, and the GET's answer announces its byte but never sends it: a probe
    // that read the body would wait until its time ran out and fail.
    let server = TestServer::start(
        Behaviour::Stall {
            resource: Resource::new(body(70_000, 9)),
            after: 0,
        }
        .head_refused(),
    )
    .await;
    let t = TestEngine::start("probe-no-body").await;

    let answer = probe_one(&t, &server.url("/big.bin")).await;

    assert_eq!(answer.status, ProbeStatus::Found, "{answer:?}");
    assert_eq!(answer.size, Some(70_000));
}

#[tokio::test]
async fn probe_failures_are_answers_that_keep_the_urls_name() {
    let server = TestServer::start(Behaviour::status(404)).await;
    let t = TestEngine::start("probe-404").await;

    let missing = probe_one(&t, &server.url("/gone.zip")).await;
    let invalid = probe_one(&t, "ftp://example.org/file.zip").await;

    assert_eq!(missing.status, ProbeStatus::Failed);
    assert_eq!(missing.error.unwrap().code, ErrorCode::http(404));
    assert_eq!(missing.file_name, "gone.zip");
    assert_eq!(invalid.status, ProbeStatus::Failed);
    assert_eq!(invalid.error.unwrap().code, ErrorCode::E_INVALIDARG);
    assert_eq!(invalid.file_name, "file.zip");
}

#[tokio::test]
async fn probe_only_the_first_twenty_urls_are_checked() {
    let server = TestServer::start(Behaviour::full(body(10, 10))).await;
    let t = TestEngine::start("probe-cap").await;
    let urls: Vec<String> = (0..25).map(|n| server.url(&format!("/f{n}.bin"))).collect();

    let answers = t
        .engine
        .probe(ProbeRequest {
            urls: urls.clone(),
            credentials: None,
        })
        .await;

    assert_eq!(answers.len(), 25);
    for (answer, url) in answers.iter().zip(&urls) {
        assert_eq!(&answer.url, url, "answers come in order");
    }
    assert!(answers[..MAX_PROBED_URLS]
        .iter()
        .all(|a| a.status == ProbeStatus::Found));
    assert!(answers[MAX_PROBED_URLS..]
        .iter()
        .all(|a| a.status == ProbeStatus::NotChecked && a.file_name.ends_with(".bin")));
    assert_eq!(server.requests().len(), MAX_PROBED_URLS);
}
