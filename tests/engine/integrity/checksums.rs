//! Checksums a user expects and digests a server sends: computed while the bytes arrive, checked
//! before a file counts as transferred, across resumes and restarts; a file that does not match
//! never reaches its final name. A kill of the owner mid-file and `ferry transfer --checksum`
//! are in `tests/processes/integrity/checksums.rs`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use ferry_engine::{ErrorCode, ErrorContext, JobId, JobState, Priority, Verification};
use sha2::Digest as _;

use crate::harness::{files_in, refusal, TestEngine};
use crate::servers::{body, Behaviour, DigestHeader, Resource, TestServer};
use crate::third_party::{Ranges, Software, ThirdPartyServer};
use crate::util::{sha256, sha256_file};

/// `algo:hex` and `algo-base64` checksums of `data` for every supported algorithm.
fn checksums_of(data: &[u8]) -> Vec<(String, String)> {
    let digests: [(&str, Vec<u8>); 4] = [
        ("sha256", sha2::Sha256::digest(data).to_vec()),
        ("sha512", sha2::Sha512::digest(data).to_vec()),
        ("sha1", sha1::Sha1::digest(data).to_vec()),
        ("md5", md5::Md5::digest(data).to_vec()),
    ];
    digests
        .iter()
        .flat_map(|(name, digest)| {
            let hex = format!("{name}:{}", hex::encode(digest));
            let sri = format!("{name}-{}", BASE64.encode(digest));
            let upper = format!("{}:{}", name.to_uppercase(), hex::encode_upper(digest));
            [(sri, hex.clone()), (upper, hex)]
        })
        .collect()
}

/// A wrong `sha256:` checksum (of other bytes).
fn wrong_sha256() -> String {
    format!("sha256:{}", sha256(b"not the file"))
}

/// A FOREGROUND job downloading `url` to `name` with `checksum`, resumed.
fn checked_job(t: &TestEngine, url: &str, name: &str, checksum: &str) -> JobId {
    let id = t.job(&[(url, name)]);
    t.engine.set_checksum(id, 0, Some(checksum)).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    id
}

#[tokio::test]
async fn a_right_checksum_of_each_algorithm_in_both_syntaxes_verifies_the_file() {
    let data = body(300_000, 31);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let t = TestEngine::start("checksum-right").await;
    let checksums = checksums_of(&data);
    let names: Vec<String> = (0..checksums.len()).map(|i| format!("f{i}.bin")).collect();
    let files: Vec<(String, &str)> = names
        .iter()
        .map(|name| (server.url(&format!("/{name}")), name.as_str()))
        .collect();
    let pairs: Vec<(&str, &str)> = files.iter().map(|(u, n)| (u.as_str(), *n)).collect();
    let id = t.job(&pairs);
    for (index, (given, _)) in checksums.iter().enumerate() {
        t.engine
            .set_checksum(id, index as u32, Some(given))
            .unwrap_or_else(|e| panic!("{given}: {e}"));
    }
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    for (file, (given, normalised)) in job.files.iter().zip(&checksums) {
        assert_eq!(
            file.checksum.as_deref(),
            Some(normalised.as_str()),
            "{given}"
        );
        assert_eq!(file.verification, Verification::Checksum, "{given}");
        assert_eq!(
            file.sha256.as_deref(),
            Some(sha256(&data).as_str()),
            "{given}"
        );
    }
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("f0.bin")), sha256(&data));
}

#[tokio::test]
async fn a_wrong_checksum_is_an_error_that_never_writes_the_final_file_and_a_restart_fixes_it() {
    let data = body(500_000, 32);
    let other = body(500_000, 33);
    let server = TestServer::start(Behaviour::full(other.clone())).await;
    let t = TestEngine::start("checksum-wrong").await;
    let expected = format!("sha256:{}", sha256(&data));
    let id = checked_job(&t, &server.url("/file.bin"), "file.bin", &expected);

    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::FERRY_E_CHECKSUM_MISMATCH);
    assert_eq!(error.code_name, "FERRY_E_CHECKSUM_MISMATCH");
    assert_eq!(error.context, ErrorContext::LocalFile);
    assert_eq!(error.file_index, Some(0));
    assert!(
        error.description.contains(&sha256(&data)),
        "{}",
        error.description
    );
    assert!(
        error.description.contains(&sha256(&other)),
        "{}",
        error.description
    );
    let job = t.engine.get(id).unwrap();
    assert!(!job.files[0].transferred);
    assert!(
        !t.path("file.bin").exists(),
        "the final name is never written"
    );
    let temp = job.files[0].temp_path.clone().unwrap();
    assert_eq!(
        sha256_file(&temp),
        sha256(&other),
        "the downloaded bytes are kept aside"
    );
    t.engine.resume(id).unwrap();
    let again = t.wait_error(id, JobState::Error).await;
    assert_eq!(
        again.code,
        ErrorCode::FERRY_E_CHECKSUM_MISMATCH,
        "a resume checks again"
    );

    server.set_behaviour(Behaviour::full(data.clone()));
    t.engine.restart_file(id, 0).unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.files[0].verification, Verification::Checksum);
    t.engine.complete(id).unwrap();
    assert_eq!(sha256_file(&t.path("file.bin")), sha256(&data));
}

#[tokio::test]
async fn complete_without_a_mismatched_file_discards_it() {
    let data = body(200_000, 34);
    let server = TestServer::builder()
        .route("/good.bin", Behaviour::full(data.clone()))
        .route("/bad.bin", Behaviour::full(body(200_000, 35)))
        .start()
        .await;
    let t = TestEngine::start("checksum-complete-without").await;
    let id = t.job(&[
        (&server.url("/good.bin"), "good.bin"),
        (&server.url("/bad.bin"), "bad.bin"),
    ]);
    let good = format!("sha256:{}", sha256(&data));
    t.engine.set_checksum(id, 0, Some(&good)).unwrap();
    t.engine.set_checksum(id, 1, Some(&good)).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::FERRY_E_CHECKSUM_MISMATCH);
    assert_eq!(error.file_index, Some(1));

    let outcome = t.engine.complete(id).unwrap();
    assert_eq!(outcome.code, ErrorCode::BG_S_PARTIAL_COMPLETE);
    assert_eq!(sha256_file(&t.path("good.bin")), sha256(&data));
    let left = files_in(t.files.path());
    assert_eq!(
        left,
        ["good.bin"],
        "the mismatched file and its temporary are gone"
    );
}

#[tokio::test]
async fn malformed_checksums_are_refused_with_e_invalidarg() {
    let data = body(1_000, 36);
    let server = TestServer::start(Behaviour::full(data.clone())).await;
    let t = TestEngine::start("checksum-malformed").await;
    let id = t.job(&[(&server.url("/f.bin"), "f.bin")]);
    let short = format!("sha256:{}", &sha256(&data)[..62]);
    for bad in [
        "",
        "9f86d081",
        "crc32:0000",
        "sha256:xyz",
        &short,
        "sha256-***",
        "sha1:",
    ] {
        let error = t.engine.set_checksum(id, 0, Some(bad)).unwrap_err();
        assert_eq!(error.code, ErrorCode::E_INVALIDARG, "{bad:?}");
        assert!(!error.message.is_empty(), "{bad:?}");
    }
    assert_eq!(
        refusal(t.engine.set_checksum(id, 3, Some(&wrong_sha256()))),
        ErrorCode::E_INVALIDARG,
        "a file the job does not have"
    );
    t.engine.set_checksum(id, 0, Some(&wrong_sha256())).unwrap();
    t.engine.set_checksum(id, 0, None).unwrap();
    assert_eq!(
        t.engine.get(id).unwrap().files[0].checksum,
        None,
        "None clears it"
    );
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.files[0].verification, Verification::NotVerified);
    assert_eq!(job.files[0].sha256.as_deref(), Some(sha256(&data).as_str()));
    assert_eq!(
        refusal(t.engine.set_checksum(id, 0, Some(&wrong_sha256()))),
        ErrorCode::BG_E_INVALID_STATE,
        "a transferred file takes no checksum"
    );
}

#[tokio::test]
async fn a_right_server_digest_of_each_header_verifies_the_file() {
    let data = body(400_000, 37);
    let full = || Behaviour::full(data.clone());
    let server = TestServer::builder()
        .route(
            "/repr.bin",
            full().with_digest(DigestHeader::Repr, &data, false),
        )
        .route(
            "/content.bin",
            full().with_digest(DigestHeader::Content, &data, false),
        )
        .route(
            "/legacy.bin",
            full().with_digest(DigestHeader::Legacy, &data, false),
        )
        .route(
            "/both.bin",
            full().with_digest(DigestHeader::Repr, &data, false),
        )
        .start()
        .await;
    let t = TestEngine::start("server-digest-right").await;
    let names = ["repr.bin", "content.bin", "legacy.bin", "both.bin"];
    let urls: Vec<String> = names.iter().map(|n| server.url(&format!("/{n}"))).collect();
    let files: Vec<(&str, &str)> = urls.iter().map(String::as_str).zip(names).collect();
    let id = t.job(&files);
    let checksum = format!("sha256:{}", sha256(&data));
    t.engine.set_checksum(id, 3, Some(&checksum)).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    let verified: Vec<Verification> = job.files.iter().map(|f| f.verification).collect();
    assert_eq!(
        verified,
        [
            Verification::ServerDigest,
            Verification::ServerDigest,
            Verification::ServerDigest,
            Verification::Checksum,
        ],
        "a checksum wins over a server digest"
    );
    assert!(job.files.iter().all(|f| f.sha256 == Some(sha256(&data))));
}

/// A server that cuts its first answer after 100 000 bytes, then serves `data` in full, with a
/// digest `header`, right or `wrong`.
fn cut_once_with_digest(data: &Bytes, header: DigestHeader, wrong: bool) -> Behaviour {
    Behaviour::drop_mid_body(Resource::new(data.clone()), 100_000, 1)
        .with_digest(header, data, wrong)
}

/// Downloads `url` until its first answer is cut, then resumes it (a 206 for the rest).
async fn resumed(t: &TestEngine, url: &str) -> JobId {
    let id = t.start_job(&[(url, "file.bin")]);
    let error = t.wait_error(id, JobState::TransientError).await;
    assert_eq!(error.code, ErrorCode::ERROR_WINHTTP_CONNECTION_ERROR);
    t.engine.resume(id).unwrap();
    id
}

#[tokio::test]
async fn a_resumed_file_is_checked_against_the_server_digests_of_its_partial_answer() {
    let data = body(600_000, 38);
    for header in [
        DigestHeader::Repr,
        DigestHeader::Content,
        DigestHeader::Legacy,
    ] {
        let server = TestServer::start(cut_once_with_digest(&data, header, false)).await;
        let t = TestEngine::start("server-digest-resume").await;
        let id = resumed(&t, &server.url("/file.bin")).await;
        let job = t.wait_state(id, JobState::Transferred).await;
        // A Content-Digest of the 206 covers its range only; the whole file is checked against
        // the digest of the first answer (a 200), kept with the file's version.
        assert_eq!(
            job.files[0].verification,
            Verification::ServerDigest,
            "{header:?}"
        );
        assert_eq!(job.files[0].sha256, Some(sha256(&data)), "{header:?}");
        let ranges: Vec<_> = server
            .requests()
            .iter()
            .map(|r| r.header("range").map(str::to_owned))
            .collect();
        assert_eq!(ranges[1].as_deref(), Some("bytes=100000-"), "{header:?}");
    }
}

#[tokio::test]
async fn a_wrong_server_digest_is_an_error_naming_the_header() {
    let data = body(600_000, 39);
    let cases = [
        (DigestHeader::Repr, "Repr-Digest"),
        (
            DigestHeader::Content,
            "Content-Digest of bytes 100000-599999",
        ),
        (DigestHeader::Legacy, "Digest"),
    ];
    for (header, named) in cases {
        let server = TestServer::start(cut_once_with_digest(&data, header, true)).await;
        let t = TestEngine::start("server-digest-wrong").await;
        let id = resumed(&t, &server.url("/file.bin")).await;
        let error = t.wait_error(id, JobState::Error).await;
        assert_eq!(
            error.code,
            ErrorCode::FERRY_E_CHECKSUM_MISMATCH,
            "{header:?}"
        );
        assert_eq!(error.context, ErrorContext::LocalFile, "{header:?}");
        assert!(
            error.description.contains(&format!("the server's {named}")),
            "{header:?}: {}",
            error.description
        );
        assert!(!t.path("file.bin").exists());
        // Every byte is on disk now (the server answers 416): the kept digest is checked again.
        t.engine.resume(id).unwrap();
        let again = t.wait_error(id, JobState::Error).await;
        assert_eq!(
            again.code,
            ErrorCode::FERRY_E_CHECKSUM_MISMATCH,
            "{header:?}"
        );
        assert!(!t.path("file.bin").exists());
    }
    // On a whole-file answer too.
    let server = TestServer::start(Behaviour::full(data.clone()).with_digest(
        DigestHeader::Content,
        &data,
        true,
    ))
    .await;
    let t = TestEngine::start("server-digest-wrong-200").await;
    let id = t.start_job(&[(&server.url("/file.bin"), "file.bin")]);
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::FERRY_E_CHECKSUM_MISMATCH);
    assert!(
        error.description.contains("Content-Digest"),
        "{}",
        error.description
    );
}

#[tokio::test]
async fn a_restarted_engine_checks_the_whole_file_when_it_resumes() {
    let data = body(600_000, 41);
    let other = body(600_000, 42);
    let server = TestServer::start(Behaviour::drop_mid_body(
        Resource::new(data.clone()),
        100_000,
        1,
    ))
    .await;
    let t = TestEngine::start("checksum-restart").await;
    let id = t.job(&[(&server.url("/file.bin"), "file.bin")]);
    t.engine
        .set_checksum(id, 0, Some(&format!("sha256:{}", sha256(&data))))
        .unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    t.wait_error(id, JobState::TransientError).await;
    let temp = t.engine.get(id).unwrap().files[0]
        .temp_path
        .clone()
        .unwrap();
    // The prefix on disk is spoiled while Ferry is not running: the resume must notice.
    let t = t.restart().await;
    std::fs::write(&temp, &other[..100_000]).unwrap();
    t.engine.resume(id).unwrap();
    let error = t.wait_error(id, JobState::Error).await;
    assert_eq!(error.code, ErrorCode::FERRY_E_CHECKSUM_MISMATCH);
    assert!(!t.path("file.bin").exists());
}

#[tokio::test]
async fn files_from_nginx_get_their_sha256_and_a_checksum_check() {
    let data = body(2_000_000, 43);
    let (_root, nginx) = ThirdPartyServer::serving_one_file(
        Software::Nginx,
        "checksum-nginx",
        "big.bin",
        &data,
        Ranges::Served,
    );
    let t = TestEngine::start("checksum-nginx").await;
    let id = t.job(&[
        (&nginx.url("/big.bin"), "plain.bin"),
        (&nginx.url("/big.bin"), "checked.bin"),
    ]);
    let checksum = format!("sha512-{}", BASE64.encode(sha2::Sha512::digest(&data)));
    t.engine.set_checksum(id, 1, Some(&checksum)).unwrap();
    t.engine.set_priority(id, Priority::Foreground).unwrap();
    t.engine.resume(id).unwrap();
    let job = t.wait_state(id, JobState::Transferred).await;
    assert_eq!(job.files[0].verification, Verification::NotVerified);
    assert_eq!(job.files[1].verification, Verification::Checksum);
    for file in &job.files {
        assert_eq!(file.sha256, Some(sha256(&data)));
    }
}
