//! Section F: retry, timeouts, errors.

use std::time::{Duration, Instant};

use ferry_engine::{
    AuthScheme as Scheme, AuthTarget, Credentials, EngineEvent, ErrorCode, ErrorContext, JobState,
    JobType, Priority, ProxySettings, RedirectMode, RedirectPolicy,
};

use crate::harness::{drain, TestEngine};
use crate::servers::{body, AuthScheme, Behaviour, Login, Resource, TestServer};
use crate::util::closed_port;

/// A redirect policy of `mode`, letting https redirect to http only if `allow_https_to_http`.
fn redirects(mode: RedirectMode, allow_https_to_http: bool) -> RedirectPolicy {
    RedirectPolicy {
        mode,
        allow_https_to_http,
    }
}

#[tokio::test]
async fn f56_retry_defaults_are_600_and_1209600_seconds() {
    let t = TestEngine::start("f56").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let settings = t.engine.get(id).unwrap().settings;
    assert_eq!(settings.minimum_retry_delay_secs, 600);
    assert_eq!(settings.no_progress_timeout_secs, 1_209_600);
    assert_eq!(settings.maximum_download_time_secs, 7_776_000);
    t.engine.set_minimum_retry_delay(id, 1).unwrap();
    assert_eq!(
        t.engine.get(id).unwrap().settings.minimum_retry_delay_secs,
        5,
        "values below 5 s are raised to 5 s"
    );
}

#[tokio::test]
async fn f58_a_transient_error_is_retried_after_the_delay_and_at_once_on_resume() {
    let server = TestServer::start(Behaviour::status_then(
        503,
        None,
        1,
        Behaviour::full(body(1000, 1)),
    ))
    .await;
    let t = TestEngine::start("f58").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_minimum_retry_delay(id, 5).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    let failed = t.wait_state(id, JobState::TransientError).await;
    let failed_at = Instant::now();
    assert!(
        failed.retry_in_ms.is_some_and(|ms| ms > 4_000),
        "retry announced about 5 s ahead: {:?}",
        failed.retry_in_ms
    );
    t.wait_state(id, JobState::Transferred).await;
    assert!(
        failed_at.elapsed() >= Duration::from_millis(4_500),
        "retried before the minimum retry delay"
    );

    let again = TestServer::start(Behaviour::status_then(
        503,
        None,
        1,
        Behaviour::full(body(1000, 2)),
    ))
    .await;
    let id = t.job(&[(&again.url("/g"), "g")]);
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::TransientError).await;
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await; // the default 600 s delay is skipped by Resume
}

#[tokio::test]
async fn f59_no_progress_timeout_zero_makes_every_error_fatal() {
    let t = TestEngine::start("f59").await;
    let id = t.job(&[(&format!("http://127.0.0.1:{}/f", closed_port()), "f")]);
    t.engine.set_no_progress_timeout(id, 0).unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::ERROR_WINHTTP_CANNOT_CONNECT);
}

#[tokio::test]
async fn f60_transient_errors_become_error_after_the_no_progress_timeout_and_job_error_fires_once()
{
    let t = TestEngine::start("f60").await;
    let id = t.job(&[(&format!("http://127.0.0.1:{}/f", closed_port()), "f")]);
    t.engine.set_minimum_retry_delay(id, 5).unwrap();
    t.engine.set_no_progress_timeout(id, 7).unwrap();
    let mut events = t.engine.subscribe();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::TransientError).await;
    let job = t.wait_state(id, JobState::Error).await;
    assert!(
        job.error_count >= 2,
        "it was retried once before giving up (errors: {})",
        job.error_count
    );
    let job_errors = drain(&mut events)
        .iter()
        .filter(|e| matches!(e, EngineEvent::JobError { .. }))
        .count();
    assert_eq!(job_errors, 1);
}

#[tokio::test]
async fn f61_a_retry_delay_longer_than_the_no_progress_timeout_means_no_retry() {
    let t = TestEngine::start("f61").await;
    let id = t.job(&[(&format!("http://127.0.0.1:{}/f", closed_port()), "f")]);
    t.engine.set_minimum_retry_delay(id, 60).unwrap();
    t.engine.set_no_progress_timeout(id, 30).unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Error).await;
    assert_eq!(job.error_count, 1);
}

#[tokio::test]
async fn f63_maximum_download_time_counts_active_time_and_ends_in_error() {
    let slow = Behaviour::slow_drip(body(5_000_000, 4), 1024, Duration::from_millis(20));
    let server = TestServer::start(slow).await;
    let t = TestEngine::start("f63").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_maximum_download_time(id, 1).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::BG_E_MAXDOWNLOAD_TIMEOUT);
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferring).await; // Resume resets the clock: it may run again
}

#[tokio::test]
async fn f64_get_error_in_error_and_unavailable_once_transferring_again() {
    let server = TestServer::start(Behaviour::status_then(
        404,
        None,
        1,
        Behaviour::slow_drip(body(2_000_000, 5), 4096, Duration::from_millis(20)),
    ))
    .await;
    let t = TestEngine::start("f64").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::Error).await;
    let error = t.engine.get_error(id).unwrap();
    assert_eq!(error.code, ErrorCode::http(404));
    assert_eq!(error.context, ErrorContext::RemoteFile);
    assert!(!error.description.is_empty());
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferring).await;
    assert_eq!(
        t.engine.get_error(id).unwrap_err().code,
        ErrorCode::BG_E_ERROR_INFORMATION_UNAVAILABLE
    );
}

#[tokio::test]
async fn f65_get_error_works_in_transient_error() {
    let t = TestEngine::start("f65").await;
    let id = t.start_job(&[(&format!("http://127.0.0.1:{}/f", closed_port()), "f")]);
    t.wait_state(id, JobState::TransientError).await;
    assert_eq!(
        t.engine.get_error(id).unwrap().code,
        ErrorCode::ERROR_WINHTTP_CANNOT_CONNECT
    );
}

#[tokio::test]
async fn f66_a_404_is_0x80190194_in_remote_file_context_naming_the_file() {
    let server = TestServer::start(Behaviour::status(404)).await;
    let t = TestEngine::start("f66").await;
    let id = t.start_job(&[(&server.url("/gone"), "g")]);
    t.wait_state(id, JobState::Error).await;
    let error = t.engine.get_error(id).unwrap();
    assert_eq!(error.code.0, 0x8019_0194);
    assert_eq!(error.context, ErrorContext::RemoteFile);
    assert_eq!(error.file_index, Some(0));
    assert_eq!(error.protocol.as_deref(), Some("http"));
}

#[tokio::test]
async fn f67_an_error_not_tied_to_a_file_names_no_file() {
    let t = TestEngine::start("f67").await;
    let id = t.start_job(&[("http://127.0.0.1:9/f", "f")]);
    t.engine.set_network_available(false);
    let error = t.wait_error(id, JobState::TransientError).await;
    assert_eq!(error.code, ErrorCode::BG_E_NETWORK_DISCONNECTED);
    assert_eq!(
        error.file_index, None,
        "GetFile would answer BG_E_FILE_NOT_AVAILABLE"
    );
}

#[tokio::test]
async fn f69_a_401_is_an_error_until_credentials_are_set() {
    for (scheme, server_scheme) in [
        (Scheme::Basic, AuthScheme::Basic),
        (Scheme::Digest, AuthScheme::Digest),
    ] {
        let inner = Behaviour::full(body(3000, 6));
        let server = TestServer::start(Behaviour::Auth {
            login: Login::new("ann", "s3cret"),
            scheme: server_scheme,
            inner: Box::new(inner),
        })
        .await;
        let t = TestEngine::start("f69").await;
        let id = t.start_job(&[(&server.url("/private"), "p")]);
        let error = t.wait_error(id, JobState::Error).await;
        assert_eq!(error.code.0, 0x8019_0191);
        let login = Credentials {
            target: AuthTarget::Server,
            scheme,
            user_name: "ann".into(),
            password: "s3cret".into(),
        };
        t.engine.set_credentials(id, login).unwrap();
        t.engine.resume(id).unwrap();
        t.wait_state(id, JobState::Transferred).await;
        for store_file in ["ferry.db", "ferry.db-wal"] {
            let stored = std::fs::read(t.data.path().join(store_file)).unwrap_or_default();
            assert!(
                !stored.windows(6).any(|w| w == b"s3cret"),
                "the password must not sit in {store_file} in plain text"
            );
        }
    }
}

#[tokio::test]
async fn f70_a_proxy_407_is_0x80190197_distinct_from_401() {
    let proxy = TestServer::start(Behaviour::Proxy {
        login: Some(Login::new("px", "pw")),
    })
    .await;
    let origin = TestServer::start(Behaviour::full(body(2000, 7))).await;
    let t = TestEngine::start("f70").await;
    let id = t.job(&[(&origin.url("/f"), "f")]);
    t.engine
        .set_proxy(
            id,
            ProxySettings::Override {
                proxy: proxy.origin(),
                bypass: String::new(),
            },
        )
        .unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code.0, 0x8019_0197);
    let login = Credentials {
        target: AuthTarget::Proxy,
        scheme: Scheme::Basic,
        user_name: "px".into(),
        password: "pw".into(),
    };
    t.engine.set_credentials(id, login).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
}

#[tokio::test]
async fn f71_credential_limits() {
    let t = TestEngine::start("f71").await;
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    let with = |user: String| Credentials {
        target: AuthTarget::Server,
        scheme: Scheme::Basic,
        user_name: user,
        password: "p".into(),
    };
    assert_eq!(
        t.engine
            .set_credentials(id, with("u".repeat(301)))
            .unwrap_err()
            .code,
        ErrorCode::BG_E_USERNAME_TOO_LARGE
    );
    assert_eq!(
        t.engine
            .set_credentials(id, with(String::new()))
            .unwrap_err()
            .code,
        ErrorCode::E_INVALIDARG
    );
    assert!(t.engine.set_credentials(id, with("u".repeat(300))).is_ok());
}

#[tokio::test]
async fn f72_a_server_without_ranges_cannot_resume_an_interrupted_file() {
    let data = body(400_000, 8);
    let cut = Behaviour::drop_mid_body(Resource::new(data.clone()), 100_000, 1);
    let server = TestServer::start(cut).await;
    let t = TestEngine::start("f72").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::TransientError).await;
    server.set_behaviour(Behaviour::NoRanges(Resource::new(data)));
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::BG_E_INSUFFICIENT_RANGE_SUPPORT);
    t.engine.restart_file(id, 0).unwrap(); // the fix offered to the user
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
}

#[tokio::test]
async fn f73_no_content_length_is_bg_e_missing_file_size_with_unknown_total() {
    let server = TestServer::start(Behaviour::NoContentLength(body(5000, 9))).await;
    let t = TestEngine::start("f73").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    let job = t.wait_state(id, JobState::Error).await;
    assert_eq!(job.error.unwrap().code, ErrorCode::BG_E_MISSING_FILE_SIZE);
    assert_eq!(job.progress.bytes_total, None);
}

#[tokio::test]
async fn f74_dynamic_content_completes_and_restarts_from_zero() {
    let data = body(5000, 10);
    let server = TestServer::start(Behaviour::NoContentLength(data.clone())).await;
    let t = TestEngine::start("f74").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_dynamic_content(id, true).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(t.read("f"), data);
    let ranged = server
        .requests()
        .iter()
        .filter(|r| r.header("range").is_some())
        .count();
    assert_eq!(ranged, 0, "dynamic content never asks for a range");
}

#[tokio::test]
async fn f77_a_disallowed_redirect_is_an_error_naming_the_target() {
    let server = TestServer::builder()
        .route("/old", Behaviour::redirect(302, "/new"))
        .route("/new", Behaviour::full(body(100, 1)))
        .start()
        .await;
    let t = TestEngine::start("f77").await;
    let id = t.job(&[(&server.url("/old"), "f")]);
    t.engine
        .set_redirect_policy(id, redirects(RedirectMode::Disallow, false))
        .unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Error).await;
    assert_eq!(job.files[0].remote_url, server.url("/new"));
}

#[tokio::test]
async fn f78_https_to_http_redirects_are_refused_unless_allowed() {
    let plain = TestServer::start(Behaviour::full(body(100, 2))).await;
    let secure = TestServer::start_tls(Behaviour::redirect(302, &plain.url("/f"))).await;
    let pem = secure.ca_pem().as_bytes().to_vec();
    let t = TestEngine::start_with("f78", |c| c.extra_root_certificates = vec![pem]).await;
    let id = t.start_job(&[(&secure.url("/f"), "f")]);
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED);
    t.engine
        .set_redirect_policy(id, redirects(RedirectMode::AllowSilent, true))
        .unwrap();
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
}

#[tokio::test]
async fn f79_allow_report_stores_the_final_url() {
    let server = TestServer::builder()
        .route("/a", Behaviour::redirect(301, "/b"))
        .route("/b", Behaviour::redirect(307, "/c"))
        .route("/c", Behaviour::full(body(100, 3)))
        .start()
        .await;
    let t = TestEngine::start("f79").await;
    let id = t.job(&[(&server.url("/a"), "f")]);
    t.engine
        .set_redirect_policy(id, redirects(RedirectMode::AllowReport, false))
        .unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.files[0].remote_url, server.url("/c"));
    let silent = t.job(&[(&server.url("/a"), "g")]);
    t.engine.resume(silent).unwrap();
    let job = t.wait_state(silent, JobState::Transferred).await;
    assert_eq!(
        job.files[0].remote_url,
        server.url("/a"),
        "ALLOW_SILENT keeps the original URL"
    );
}

#[tokio::test]
async fn f_redirect_loops_are_fatal() {
    let server = TestServer::builder()
        .route("/a", Behaviour::redirect(302, "/b"))
        .route("/b", Behaviour::redirect(302, "/a"))
        .start()
        .await;
    let t = TestEngine::start("f-loop").await;
    let id = t.start_job(&[(&server.url("/a"), "f")]);
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::ERROR_WINHTTP_REDIRECT_FAILED);
}

#[tokio::test]
async fn f_503_retry_after_is_a_lower_bound_on_the_retry_delay() {
    let server = TestServer::start(Behaviour::status_then(
        503,
        Some(3600),
        1,
        Behaviour::full(body(100, 4)),
    ))
    .await;
    let t = TestEngine::start("f-retry-after").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine.set_minimum_retry_delay(id, 5).unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::TransientError).await;
    assert!(
        job.retry_in_ms.unwrap() > 3_000_000,
        "Retry-After 3600 outranks a 5 s delay: {:?}",
        job.retry_in_ms
    );
    assert_eq!(job.error.unwrap().retry_after_secs, Some(3600));
}

#[tokio::test]
async fn f_a_truncated_body_never_counts_as_transferred() {
    let data = body(100_000, 5);
    let server = TestServer::start(Behaviour::truncated(data.clone(), 10)).await;
    let t = TestEngine::start("f-truncated").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    let job = t.wait_state(id, JobState::TransientError).await;
    assert!(!job.files[0].transferred);
    assert_eq!(job.files[0].bytes_transferred, 99_990);
    server.set_behaviour(Behaviour::full(data.clone()));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(t.read("f"), data, "resumed bytes fit exactly");
}

#[tokio::test]
async fn f_a_wrong_content_range_is_refused() {
    let data = body(100_000, 6);
    let cut = Behaviour::drop_mid_body(Resource::new(data.clone()), 30_000, 1);
    let server = TestServer::start(cut).await;
    let t = TestEngine::start("f-wrong-range").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::TransientError).await;
    server.set_behaviour(Behaviour::WrongContentRange {
        resource: Resource::new(data),
        shift: 100,
    });
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::BG_E_INVALID_SERVER_RESPONSE);
}

#[tokio::test]
async fn f_changed_validators_restart_the_file_from_zero() {
    let (old, new) = (body(100_000, 7), body(100_000, 8));
    let cut = Behaviour::drop_mid_body(Resource::version(old, 0), 40_000, 1);
    let server = TestServer::start(cut).await;
    let t = TestEngine::start("f-changed").await;
    let id = t.start_job(&[(&server.url("/f"), "f")]);
    t.wait_state(id, JobState::TransientError).await;
    server.set_behaviour(Behaviour::Full(Resource::version(new.clone(), 1)));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(t.read("f"), new, "no byte of the old version may remain");
}

#[tokio::test]
async fn f_a_missing_destination_folder_is_a_local_file_error() {
    let server = TestServer::start(Behaviour::full(body(100, 9))).await;
    let t = TestEngine::start("f-folder").await;
    let folder = t.files.path().join("sub");
    std::fs::create_dir(&folder).unwrap();
    let id = t.engine.create_job("x", JobType::Download).unwrap();
    t.engine
        .add_file(
            id,
            ferry_engine::FileSpec {
                remote_url: server.url("/f"),
                local_path: folder.join("f"),
            },
        )
        .unwrap();
    std::fs::remove_dir(&folder).unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.context, ErrorContext::LocalFile);
    assert_eq!(error.code, ErrorCode::ERROR_PATH_NOT_FOUND);
    let other = t.files.path().join("elsewhere");
    std::fs::create_dir(&other).unwrap();
    t.engine.set_local_path(id, 0, other.join("f")).unwrap(); // "choose another folder"
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
}

#[tokio::test]
async fn f80_an_invalid_file_fails_the_job_and_is_downloaded_again_on_resume() {
    let first = body(4000, 80);
    let second = body(6000, 81);
    let server = TestServer::builder()
        .route("/first", Behaviour::full(first.clone()))
        .route(
            "/second",
            Behaviour::Stall {
                resource: Resource::new(second.clone()),
                after: 100,
            },
        )
        .start()
        .await;
    let t = TestEngine::start("f80").await;
    let id = t.start_job(&[
        (&server.url("/first"), "first"),
        (&server.url("/second"), "second"),
    ]);
    t.wait(id, "file 0 transferred", |j| j.files[0].transferred)
        .await;
    assert_eq!(
        t.engine
            .set_validation_state(id, 1, false)
            .unwrap_err()
            .code,
        ErrorCode::BG_E_INVALID_STATE,
        "a file still downloading cannot be validated"
    );
    t.engine.set_validation_state(id, 0, true).unwrap();
    assert_eq!(t.engine.get(id).unwrap().state, JobState::Transferring);

    t.engine.set_validation_state(id, 0, false).unwrap();
    let failed = t.wait_state(id, JobState::Error).await;
    let error = failed.error.unwrap();
    assert_eq!(error.code, ErrorCode::BG_E_VALIDATION_FAILED);
    assert_eq!(error.context, ErrorContext::RemoteFile);
    assert_eq!(error.file_index, Some(0));
    assert_eq!(failed.files[0].bytes_transferred, 0);
    assert!(!failed.files[0].transferred);

    server.set_route("/second", Behaviour::full(second.clone()));
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    t.engine.complete(id).unwrap();
    assert_eq!(t.read("first"), first);
    assert_eq!(t.read("second"), second);
    let first_requests = server
        .requests()
        .iter()
        .filter(|r| r.path == "/first")
        .count();
    assert_eq!(first_requests, 2, "the invalid file is downloaded again");
}

#[tokio::test]
async fn f_custom_headers_are_sent_and_never_stored_in_plain_text() {
    let server = TestServer::start(Behaviour::full(body(100, 11))).await;
    let t = TestEngine::start("f-headers").await;
    let id = t.job(&[(&server.url("/f"), "f")]);
    t.engine
        .set_custom_headers(id, vec![("X-Ferry-Token".into(), "tok-4f9c-secret".into())])
        .unwrap();
    assert_eq!(
        t.engine.get(id).unwrap().custom_header_names,
        ["X-Ferry-Token"]
    );
    t.engine.resume(id).unwrap();
    t.wait_state(id, JobState::Transferred).await;
    let sent = server
        .requests()
        .iter()
        .filter_map(|r| r.header("x-ferry-token").map(str::to_owned))
        .collect::<Vec<_>>();
    assert_eq!(sent, ["tok-4f9c-secret"]);
    let stored = std::fs::read(t.data.path().join("ferry.db")).unwrap();
    let wal = std::fs::read(t.data.path().join("ferry.db-wal")).unwrap_or_default();
    for bytes in [stored, wal] {
        assert!(
            !bytes.windows(15).any(|w| w == b"tok-4f9c-secret"),
            "a header value sits in the store in plain text"
        );
    }
}
