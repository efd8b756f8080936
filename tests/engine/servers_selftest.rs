//! The test servers observed over real HTTP with reqwest: each behaviour does what
//! `servers.rs` promises, so an engine test that fails points at the engine, not the server.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{
    HeaderName, ACCEPT_RANGES, AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    IF_RANGE, LAST_MODIFIED, LOCATION, PROXY_AUTHENTICATE, RANGE, RETRY_AFTER, TRANSFER_ENCODING,
    WWW_AUTHENTICATE,
};
use reqwest::{Client, ClientBuilder, Response, StatusCode};

use crate::servers::{body, AuthScheme, Behaviour, Login, RawServer, Resource, TestServer};
use crate::third_party::{Ranges, Software, ThirdPartyServer};
use crate::util::{sha256, sha256_file, temp_dir, wait_until};

/// A client that ignores the environment's proxies.
fn client() -> Client {
    Client::builder()
        .no_proxy()
        .build()
        .expect("build a client")
}

/// A client that reports redirects instead of following them.
fn client_without_redirects() -> Client {
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build a client")
}

/// A client builder that trusts the run-time CA of the https server `secure`.
fn trusting_the_ca_of(secure: &TestServer) -> ClientBuilder {
    let ca = reqwest::Certificate::from_pem(secure.ca_pem().as_bytes()).expect("the CA PEM parses");
    Client::builder().add_root_certificate(ca)
}

/// Sends a GET of `url` with `headers` and returns the answer, whatever its status.
async fn get_with(client: &Client, url: &str, headers: &[(HeaderName, &str)]) -> Response {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(name.clone(), *value);
    }
    request.send().await.expect("GET")
}

/// Sends a plain GET of `url` and returns the answer, whatever its status.
async fn get(client: &Client, url: &str) -> Response {
    get_with(client, url, &[]).await
}

/// Sends a GET of `url` asking for `range` (a `Range` value such as `bytes=100-`).
async fn get_range(client: &Client, url: &str, range: &str) -> Response {
    get_with(client, url, &[(RANGE, range)]).await
}

/// Sends a GET of `url` asking for `range` only if the file still matches `validator` (an
/// `If-Range` ETag or date).
async fn get_if_range(client: &Client, url: &str, range: &str, validator: &str) -> Response {
    get_with(client, url, &[(RANGE, range), (IF_RANGE, validator)]).await
}

/// The whole body of `response`.
async fn body_of(response: Response) -> Bytes {
    response.bytes().await.expect("body")
}

/// The value of header `name` of `response`, if present and text.
fn header(response: &Response, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Reads a body until it ends or fails: the bytes that arrived, and whether it ended cleanly.
async fn read_until_failure(response: Response) -> (Vec<u8>, bool) {
    let mut received = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(piece) => received.extend_from_slice(&piece),
            Err(_) => return (received, false),
        }
    }
    (received, true)
}

#[test]
fn bodies_are_deterministic_per_seed() {
    assert_eq!(
        body(1001, 7),
        body(1001, 7),
        "the same seed gives the same bytes"
    );
    assert_ne!(
        body(1001, 7),
        body(1001, 8),
        "different seeds give different bytes"
    );
    assert_eq!(body(1001, 7).len(), 1001);
    assert_eq!(body(0, 7).len(), 0);
}

#[tokio::test]
async fn full_serves_the_file_ranges_head_and_416() {
    let file = body(1000, 1);
    let server = TestServer::start(Behaviour::full(file.clone())).await;
    let url = server.url("/file.bin");
    let client = client();

    let whole = get(&client, &url).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(header(&whole, CONTENT_LENGTH), Some("1000"));
    assert_eq!(header(&whole, ACCEPT_RANGES), Some("bytes"));
    assert!(
        header(&whole, ETAG).is_some_and(|tag| tag.starts_with('"')),
        "a strong ETag is announced"
    );
    assert_eq!(
        header(&whole, LAST_MODIFIED),
        Some("Tue, 02 Jan 2024 03:04:05 GMT")
    );
    assert_eq!(body_of(whole).await, file);

    for (range, first, last) in [
        ("bytes=10-19", 10, 19),
        ("bytes=990-", 990, 999),
        ("bytes=-5", 995, 999),
        ("bytes=900-5000", 900, 999),
    ] {
        let partial = get_range(&client, &url, range).await;
        assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&partial, CONTENT_RANGE),
            Some(format!("bytes {first}-{last}/1000").as_str()),
            "{range}"
        );
        assert_eq!(body_of(partial).await, file.slice(first..=last), "{range}");
    }

    let past_the_end = get_range(&client, &url, "bytes=1000-").await;
    assert_eq!(past_the_end.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&past_the_end, CONTENT_RANGE), Some("bytes */1000"));
    let starts: Vec<Option<u64>> = server.requests().iter().map(|r| r.range_start()).collect();
    assert_eq!(
        starts,
        [None, Some(10), Some(990), None, Some(900), Some(1000)],
        "the server records the first byte each request asked for (none for a suffix range)"
    );

    let head = client.head(&url).send().await.expect("HEAD");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        header(&head, CONTENT_LENGTH),
        Some("1000"),
        "HEAD announces the length"
    );
    assert!(
        head.bytes().await.expect("HEAD body").is_empty(),
        "HEAD has no body"
    );
}

#[tokio::test]
async fn full_honours_if_range_by_etag_and_by_date() {
    let file = body(500, 2);
    let resource = Resource::new(file.clone());
    let etag = resource.etag.clone().expect("Resource::new has an ETag");
    let server = TestServer::start(Behaviour::Full(resource)).await;
    let client = client();
    let url = server.url("/f");

    assert_eq!(
        get_if_range(&client, &url, "bytes=100-", &etag)
            .await
            .status(),
        StatusCode::PARTIAL_CONTENT,
        "matching ETag"
    );
    assert_eq!(
        get_if_range(&client, &url, "bytes=100-", "\"other\"")
            .await
            .status(),
        StatusCode::OK,
        "other ETag"
    );
    assert_eq!(
        get_if_range(&client, &url, "bytes=100-", &format!("W/{etag}"))
            .await
            .status(),
        StatusCode::OK,
        "weak tags never match"
    );
    let same_date =
        get_if_range(&client, &url, "bytes=100-", "Tue, 02 Jan 2024 03:04:05 GMT").await;
    assert_eq!(
        same_date.status(),
        StatusCode::PARTIAL_CONTENT,
        "matching date"
    );
    assert_eq!(body_of(same_date).await, file.slice(100..));
    let other_date =
        get_if_range(&client, &url, "bytes=100-", "Wed, 03 Jan 2024 03:04:05 GMT").await;
    assert_eq!(other_date.status(), StatusCode::OK, "other date");
    assert_eq!(
        body_of(other_date).await,
        file,
        "a failed If-Range gets the whole file"
    );
}

#[tokio::test]
async fn a_resource_without_validators_announces_none_and_never_matches_if_range() {
    let file = body(300, 22);
    let server =
        TestServer::start(Behaviour::Full(Resource::without_validators(file.clone()))).await;
    let response = get_if_range(
        &client(),
        &server.url("/f"),
        "bytes=100-",
        "Tue, 02 Jan 2024 03:04:05 GMT",
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "no validator can match If-Range"
    );
    assert_eq!(header(&response, ETAG), None);
    assert_eq!(header(&response, LAST_MODIFIED), None);
    assert_eq!(body_of(response).await, file);
}

#[tokio::test]
async fn no_ranges_answers_200_with_the_whole_file() {
    let file = body(300, 3);
    let server = TestServer::start(Behaviour::NoRanges(Resource::new(file.clone()))).await;
    let response = get_range(&client(), &server.url("/f"), "bytes=100-").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, ACCEPT_RANGES), None);
    assert_eq!(body_of(response).await, file);
}

#[tokio::test(start_paused = true)]
async fn slow_drip_sends_one_piece_per_tick() {
    let file = body(1000, 4);
    let tick = Duration::from_secs(3600);
    let server = TestServer::start(Behaviour::slow_drip(file.clone(), 100, tick)).await;
    let started = tokio::time::Instant::now();
    let response = get_range(&client(), &server.url("/f"), "bytes=500-").await;
    assert_eq!(
        response.status(),
        StatusCode::PARTIAL_CONTENT,
        "a slow server still honours ranges"
    );
    assert_eq!(body_of(response).await, file.slice(500..));
    assert!(
        started.elapsed() >= tick * 5,
        "500 bytes at 100 per tick take five ticks of the (paused) clock"
    );
}

#[tokio::test]
async fn drop_mid_body_cuts_the_first_requests_then_recovers() {
    // Megabytes, so the cut happens while the socket's buffers are full.
    let file = body(8 << 20, 5);
    let after = 5 << 20;
    let cut = Behaviour::drop_mid_body(Resource::new(file.clone()), after, 2);
    let server = TestServer::start(cut).await;
    let client = client();
    let url = server.url("/f");

    let cut = get(&client, &url).await;
    assert_eq!(
        header(&cut, CONTENT_LENGTH),
        Some("8388608"),
        "the whole length is promised"
    );
    let (received, clean) = read_until_failure(cut).await;
    assert!(!clean, "the body ends with an error");
    assert!(
        received == file.slice(..after),
        "exactly `after` bytes arrive, not {}",
        received.len()
    );

    let cut_range = get_range(&client, &url, "bytes=1000-").await;
    assert_eq!(cut_range.status(), StatusCode::PARTIAL_CONTENT);
    let (received, clean) = read_until_failure(cut_range).await;
    assert!(
        !clean && received == file.slice(1000..1000 + after),
        "a range is cut after `after` bytes of its payload"
    );

    let resumed = get_range(&client, &url, "bytes=4000-").await;
    assert_eq!(resumed.status(), StatusCode::PARTIAL_CONTENT);
    assert!(
        resumed
            .bytes()
            .await
            .expect("the third request is served in full")
            == file.slice(4000..)
    );
}

#[tokio::test]
async fn truncated_sends_fewer_bytes_than_promised_every_time() {
    let file = body(2000, 6);
    let server = TestServer::start(Behaviour::truncated(file.clone(), 300)).await;
    for _ in 0..2 {
        let response = get(&client(), &server.url("/f")).await;
        assert_eq!(header(&response, CONTENT_LENGTH), Some("2000"));
        let (received, clean) = read_until_failure(response).await;
        assert!(!clean, "a short body is an error");
        assert_eq!(received, file.slice(..1700));
    }
}

#[tokio::test(start_paused = true)]
async fn stall_goes_silent_after_some_bytes() {
    let file = body(5000, 7);
    let server = TestServer::start(Behaviour::Stall {
        resource: Resource::new(file.clone()),
        after: 1000,
    })
    .await;
    let response = get(&client(), &server.url("/f")).await;
    let mut stream = response.bytes_stream();
    let mut received = Vec::new();
    while received.len() < 1000 {
        received.extend_from_slice(&stream.next().await.expect("a piece").expect("no error"));
    }
    assert_eq!(received, file.slice(..1000));
    let next = tokio::time::timeout(Duration::from_secs(3600), stream.next()).await;
    assert!(
        next.is_err(),
        "nothing more arrives, and the connection stays open"
    );
}

#[tokio::test]
async fn status_answers_its_code_then_recovers() {
    let file = body(100, 8);
    let server = TestServer::start(Behaviour::status_then(
        503,
        Some(7),
        2,
        Behaviour::full(file.clone()),
    ))
    .await;
    let client = client();
    let url = server.url("/f");
    for _ in 0..2 {
        let response = get(&client, &url).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&response, RETRY_AFTER), Some("7"));
    }
    let recovered = get(&client, &url).await;
    assert_eq!(recovered.status(), StatusCode::OK);
    assert_eq!(body_of(recovered).await, file);

    for code in [404, 410, 500] {
        server.set_behaviour(Behaviour::status(code));
        for _ in 0..3 {
            let response = get(&client, &url).await;
            assert_eq!(response.status().as_u16(), code, "forever {code}");
            assert_eq!(header(&response, RETRY_AFTER), None);
        }
    }
}

#[tokio::test]
async fn basic_auth_challenges_until_the_right_login() {
    let file = body(100, 9);
    let login = Login::new("ferry", "s3cret");
    let server = TestServer::start(Behaviour::Auth {
        login,
        scheme: AuthScheme::Basic,
        inner: Box::new(Behaviour::full(file.clone())),
    })
    .await;
    let client = client();
    let url = server.url("/f");
    let get_as = |password: &'static str| client.get(&url).basic_auth("ferry", Some(password));

    let anonymous = get(&client, &url).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&anonymous, WWW_AUTHENTICATE),
        Some("Basic realm=\"testrealm@host.com\"")
    );
    let wrong = get_as("guess").send().await.expect("GET");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = get_as("s3cret").send().await.expect("GET");
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(body_of(right).await, file);
}

#[tokio::test]
async fn digest_auth_checks_the_md5_response() {
    let file = body(100, 10);
    let server = TestServer::start(Behaviour::Auth {
        login: Login::new("ferry", "s3cret"),
        scheme: AuthScheme::Digest,
        inner: Box::new(Behaviour::full(file.clone())),
    })
    .await;
    let client = client();
    let url = server.url("/dir/f.bin?x=1");
    let answer = |password: &'static str, challenge: String| {
        let mut prompt = digest_auth::parse(&challenge).expect("a valid Digest challenge");
        let context = digest_auth::AuthContext::new("ferry", password, "/dir/f.bin?x=1");
        prompt
            .respond(&context)
            .expect("answer the challenge")
            .to_header_string()
    };

    let anonymous = get(&client, &url).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&anonymous, WWW_AUTHENTICATE)
        .expect("a challenge")
        .to_owned();
    assert!(
        challenge.starts_with("Digest ") && challenge.contains("qop=\"auth\""),
        "{challenge}"
    );

    let wrong = answer("guess", challenge.clone());
    let refused = get_with(&client, &url, &[(AUTHORIZATION, &wrong)]).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let right = answer("s3cret", challenge);
    let accepted = get_with(&client, &url, &[(AUTHORIZATION, &right)]).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(body_of(accepted).await, file);
    let elsewhere = get_with(&client, &server.url("/other"), &[(AUTHORIZATION, &right)]).await;
    assert_eq!(
        elsewhere.status(),
        StatusCode::UNAUTHORIZED,
        "an answer is only good for its own URI"
    );
}

#[tokio::test]
async fn digest_auth_accepts_the_rfc_2617_example() {
    let login = Login::new("Mufasa", "Circle Of Life");
    let server = TestServer::start(Behaviour::Auth {
        login,
        scheme: AuthScheme::Digest,
        inner: Box::new(Behaviour::full(body(10, 11))),
    })
    .await;
    // RFC 2617 §3.5, verbatim.
    let authorization = "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
        nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, nc=00000001, \
        cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    let response = get_with(
        &client(),
        &server.url("/dir/index.html"),
        &[(AUTHORIZATION, authorization)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn proxy_requires_its_login_then_forwards_and_tunnels() {
    let file = body(3000, 12);
    let origin = TestServer::start(Behaviour::full(file.clone())).await;
    let proxy = TestServer::start(Behaviour::Proxy {
        login: Some(Login::new("proxyuser", "proxypass")),
    })
    .await;
    let route = |login: Option<(&str, &str)>| {
        let route = reqwest::Proxy::all(proxy.origin()).expect("a proxy URL");
        match login {
            Some((user, password)) => route.basic_auth(user, password),
            None => route,
        }
    };
    let through = |login: Option<(&str, &str)>| {
        Client::builder()
            .proxy(route(login))
            .build()
            .expect("build a client")
    };

    let refused = get(&through(None), &origin.url("/f")).await;
    assert_eq!(refused.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    assert_eq!(
        header(&refused, PROXY_AUTHENTICATE),
        Some("Basic realm=\"testrealm@host.com\"")
    );
    let wrong = get(&through(Some(("proxyuser", "guess"))), &origin.url("/f")).await;
    assert_eq!(wrong.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
    assert!(
        origin.requests().is_empty(),
        "nothing reaches the origin without the proxy's login"
    );

    let logged_in = through(Some(("proxyuser", "proxypass")));
    let forwarded = get_range(&logged_in, &origin.url("/f"), "bytes=1000-").await;
    assert_eq!(forwarded.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(body_of(forwarded).await, file.slice(1000..));
    let at_origin = origin.requests();
    assert_eq!(at_origin.len(), 1);
    assert_eq!(
        at_origin[0].header("range"),
        Some("bytes=1000-"),
        "end-to-end headers are passed on"
    );
    assert_eq!(
        at_origin[0].header("proxy-authorization"),
        None,
        "the proxy's login stays with the proxy"
    );
    assert_eq!(
        proxy.requests().last().map(|r| r.target.clone()),
        Some(origin.url("/f")),
        "the proxy saw an absolute-form target"
    );

    let secure = TestServer::start_tls(Behaviour::full(file.clone())).await;
    let tunnelled = trusting_the_ca_of(&secure)
        .proxy(route(Some(("proxyuser", "proxypass"))))
        .build()
        .expect("build a client");
    let response = get(&tunnelled, &secure.url("/f")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_of(response).await, file);
    assert_eq!(
        proxy.requests().last().map(|r| r.method.clone()),
        Some(reqwest::Method::CONNECT),
        "https goes through a CONNECT tunnel"
    );
}

#[tokio::test]
async fn no_content_length_sends_a_chunked_body() {
    let file = body(50_000, 13);
    let server = TestServer::start(Behaviour::NoContentLength(file.clone())).await;
    let response = get_range(&client(), &server.url("/f"), "bytes=10-").await;
    assert_eq!(response.status(), StatusCode::OK, "ranges are ignored");
    assert_eq!(header(&response, CONTENT_LENGTH), None);
    assert_eq!(header(&response, TRANSFER_ENCODING), Some("chunked"));
    assert_eq!(response.content_length(), None);
    assert_eq!(body_of(response).await, file);
}

#[tokio::test]
async fn changing_validators_serve_a_new_version_per_request() {
    let versions = vec![body(400, 14), body(400, 15)];
    let server = TestServer::start(Behaviour::ChangingValidators {
        versions: versions.clone(),
        every: 1,
    })
    .await;
    let client = client();
    let url = server.url("/f");

    let first = get(&client, &url).await;
    let first_tag = header(&first, ETAG).expect("an ETag").to_owned();
    let first_date = header(&first, LAST_MODIFIED)
        .expect("a Last-Modified")
        .to_owned();
    assert_eq!(body_of(first).await, versions[0]);

    let resume = get_if_range(&client, &url, "bytes=200-", &first_tag).await;
    assert_eq!(
        resume.status(),
        StatusCode::OK,
        "the old ETag no longer matches"
    );
    assert_ne!(header(&resume, ETAG), Some(first_tag.as_str()));
    assert_ne!(header(&resume, LAST_MODIFIED), Some(first_date.as_str()));
    assert_eq!(body_of(resume).await, versions[1]);

    let last = get(&client, &url).await;
    assert_eq!(
        body_of(last).await,
        versions[1],
        "the last version stays once they run out"
    );
}

#[tokio::test]
async fn redirects_chain_loop_and_cross_servers() {
    let file = body(200, 16);
    let target = TestServer::start(Behaviour::full(file.clone())).await;
    let server = TestServer::builder()
        .route("/one", Behaviour::redirect(301, "/two"))
        .route("/two", Behaviour::redirect(302, "/three"))
        .route("/three", Behaviour::redirect(307, &target.url("/file")))
        .route("/loop-a", Behaviour::redirect(302, "/loop-b"))
        .route("/loop-b", Behaviour::redirect(302, "/loop-a"))
        .start()
        .await;

    let hop = get(&client_without_redirects(), &server.url("/one")).await;
    assert_eq!(hop.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header(&hop, LOCATION), Some("/two"));
    let followed = get(&client(), &server.url("/one")).await;
    assert_eq!(
        followed.url().as_str(),
        target.url("/file"),
        "the chain ends on the other server"
    );
    assert_eq!(body_of(followed).await, file);

    let looping = client().get(server.url("/loop-a")).send().await;
    assert!(
        looping.is_err_and(|e| e.is_redirect()),
        "a redirect loop never ends"
    );

    let secure = TestServer::start_tls(Behaviour::redirect(302, &target.url("/file"))).await;
    let trusting = trusting_the_ca_of(&secure)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let downgrade = get(&trusting, &secure.url("/file")).await;
    assert!(secure.url("/file").starts_with("https://127.0.0.1:"));
    assert_eq!(downgrade.status(), StatusCode::FOUND);
    assert_eq!(
        header(&downgrade, LOCATION),
        Some(target.url("/file").as_str()),
        "https redirects to plain http"
    );
}

#[tokio::test]
async fn tls_is_trusted_only_with_its_ca() {
    let file = body(100, 17);
    let secure = TestServer::start_tls(Behaviour::full(file.clone())).await;
    let untrusting = client().get(secure.url("/f")).send().await;
    assert!(untrusting.is_err(), "an unknown CA is refused");
    let trusting = trusting_the_ca_of(&secure)
        .no_proxy()
        .build()
        .expect("client");
    let response = get(&trusting, &secure.url("/f")).await;
    assert_eq!(body_of(response).await, file);
}

#[tokio::test]
async fn wrong_content_range_serves_another_range_than_asked() {
    let file = body(1000, 18);
    let server = TestServer::start(Behaviour::WrongContentRange {
        resource: Resource::new(file.clone()),
        shift: 10,
    })
    .await;
    let response = get_range(&client(), &server.url("/f"), "bytes=100-199").await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&response, CONTENT_RANGE), Some("bytes 110-209/1000"));
    assert_eq!(body_of(response).await, file.slice(110..210));
}

#[tokio::test]
async fn html_error_page_answers_200_with_html() {
    let server = TestServer::start(Behaviour::HtmlErrorPage).await;
    let response = get(&client(), &server.url("/f.bin")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    assert!(response.text().await.expect("text").contains("<html>"));
}

#[tokio::test]
async fn gzip_ranges_compress_range_answers_only() {
    let file = body(10_000, 23);
    let server = TestServer::start(Behaviour::GzipRanges(Resource::new(file.clone()))).await;
    let whole = get(&client(), &server.url("/f")).await;
    assert_eq!(header(&whole, "content-encoding"), None);
    assert_eq!(body_of(whole).await, file);
    let part = get_range(&client(), &server.url("/f"), "bytes=100-").await;
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&part, "content-encoding"), Some("gzip"));
    assert_eq!(header(&part, CONTENT_RANGE), Some("bytes 100-9999/10000"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&body_of(part).await[..]),
        &mut plain,
    )
    .expect("a gzip body");
    assert_eq!(plain, file[100..]);
}

#[tokio::test]
async fn a_raw_server_answers_its_bytes_to_every_request() {
    let server = RawServer::start(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec()).await;
    for _ in 0..2 {
        let response = get(&client(), &server.url("/x")).await;
        assert_eq!(response.text().await.expect("text"), "hi");
    }
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn routes_switch_and_requests_are_recorded() {
    let (a, b) = (body(100, 19), body(200, 20));
    let server = TestServer::builder()
        .route("/a.bin", Behaviour::full(a.clone()))
        .route("/b.bin", Behaviour::status(404))
        .start()
        .await;
    let client = client();
    let (a_url, b_url, c_url) = (
        server.url("/a.bin"),
        server.url("/b.bin"),
        server.url("/c.bin"),
    );

    assert_eq!(body_of(get(&client, &a_url).await).await, a);
    assert_eq!(get(&client, &b_url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&client, &c_url).await.status(),
        StatusCode::NOT_FOUND,
        "unrouted paths get 404"
    );
    server.set_route("/b.bin", Behaviour::full(b.clone()));
    assert_eq!(body_of(get(&client, &b_url).await).await, b);
    server.set_behaviour(Behaviour::HtmlErrorPage);
    assert_eq!(get(&client, &c_url).await.status(), StatusCode::OK);

    client
        .head(server.url("/a.bin"))
        .header(RANGE, "bytes=5-")
        .send()
        .await
        .expect("HEAD");
    let log = server.requests();
    let paths: Vec<&str> = log.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/a.bin", "/b.bin", "/c.bin", "/b.bin", "/c.bin", "/a.bin"]
    );
    let last = log.last().expect("a request");
    assert_eq!(last.method, reqwest::Method::HEAD);
    assert_eq!(last.header("range"), Some("bytes=5-"));
}

#[tokio::test]
async fn nginx_serves_ranges_and_validators() {
    let file = body(100_000, 21);
    let (root, nginx) = ThirdPartyServer::serving_one_file(
        Software::Nginx,
        "nginx-root",
        "file.bin",
        &file,
        Ranges::Served,
    );
    let client = client();
    let url = nginx.url("/file.bin");

    let whole = get(&client, &url).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(header(&whole, ACCEPT_RANGES), Some("bytes"));
    let etag = header(&whole, ETAG)
        .expect("nginx sends an ETag")
        .to_owned();
    assert!(header(&whole, LAST_MODIFIED).is_some());
    assert_eq!(
        sha256(&body_of(whole).await),
        sha256_file(&root.path().join("file.bin"))
    );

    let resumed = get_if_range(&client, &url, "bytes=60000-", &etag).await;
    assert_eq!(resumed.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&resumed, CONTENT_RANGE),
        Some("bytes 60000-99999/100000")
    );
    assert_eq!(body_of(resumed).await, file.slice(60000..));

    let changed = get_if_range(&client, &url, "bytes=60000-", "\"other\"").await;
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "a stale ETag gets the whole file"
    );

    let past_the_end = get_range(&client, &url, "bytes=100000-").await;
    assert_eq!(past_the_end.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&past_the_end, CONTENT_RANGE), Some("bytes */100000"));
}

#[tokio::test]
async fn util_hashes_and_waits() {
    assert_eq!(
        sha256(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let dir = temp_dir("util");
    assert!(dir
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("ferry-test-util-")));
    let path = dir.path().join("abc");
    std::fs::write(&path, b"abc").expect("write");
    assert_eq!(sha256_file(&path), sha256(b"abc"));

    let mut checks = 0;
    wait_until("the third check", || {
        checks += 1;
        std::future::ready(checks == 3)
    })
    .await;
    assert_eq!(checks, 3, "waiting stops as soon as the condition holds");
}

#[tokio::test]
#[should_panic(expected = "gave up waiting for the impossible")]
async fn wait_until_fails_the_test_when_the_condition_never_holds() {
    tokio::time::pause();
    wait_until("the impossible", || std::future::ready(false)).await;
}
