//! Self-tests of the BITS upload test server (`bits_server.rs`), driven with raw `BITS_POST`
//! requests so that the server is known to follow bits-spec.md §8 before the engine's upload
//! client is tested against it.

use std::time::Duration;

use bytes::Bytes;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};

use crate::bits_server::{
    hresult_text, http_error_code, AppFailure, BitsServer, BitsServerConfig, Credentials,
    DropFragments, Hold, HoldPoint, HostId, HostIdTarget, Listener, Misbehaviour, PacketKind,
    SessionSnapshot, BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH, BG_E_SESSION_NOT_FOUND,
    CONTEXT_REMOTE_APPLICATION, CONTEXT_REMOTE_FILE, UPLOAD_PROTOCOL,
};

/// A client that ignores the environment's proxies.
fn client() -> Client {
    Client::builder()
        .no_proxy()
        .build()
        .expect("a reqwest client")
}

/// A server started with `config`, a client, and the upload URL of `name` on the server.
async fn serve(config: BitsServerConfig, name: &str) -> (BitsServer, Client, String) {
    let server = BitsServer::start(config).await;
    let url = server.url(name);
    (server, client(), url)
}

/// A `BITS_POST` of `packet_type` to `url`, ready for more headers.
fn packet(client: &Client, url: &str, packet_type: &str) -> RequestBuilder {
    let method = Method::from_bytes(b"BITS_POST").expect("BITS_POST is a valid method token");
    client
        .request(method, url)
        .header("BITS-Packet-Type", packet_type)
}

/// A Create-Session packet offering the upload protocol.
fn create_session_packet(client: &Client, url: &str) -> RequestBuilder {
    packet(client, url, "Create-Session").header("BITS-Supported-Protocols", UPLOAD_PROTOCOL)
}

/// Sends a packet and returns its answer, checked to be an Ack by [`ack`].
async fn send(request: RequestBuilder) -> Response {
    ack(request.send().await.expect("the packet reaches the server"))
}

/// Sends a GET of `url` (a reply URL, or an upload URL that expects packets).
async fn fetch(client: &Client, url: &str) -> Response {
    client.get(url).send().await.expect("the server answers")
}

/// The value of header `name` of `response`, if present.
fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("an ASCII header value"))
}

/// `BITS-Received-Content-Range` of an Ack: the next byte the server expects.
fn next_expected(response: &Response) -> Option<&str> {
    header(response, "BITS-Received-Content-Range")
}

/// Asserts the §8.1 framing every answer must have and returns the response for more checks.
fn ack(response: Response) -> Response {
    assert_eq!(
        header(&response, "BITS-Packet-Type"),
        Some("Ack"),
        "every answer is an Ack"
    );
    assert!(
        header(&response, "Content-Length").is_some(),
        "every Ack carries Content-Length"
    );
    response
}

/// Asserts an error Ack with `status`, `BITS-Error-Code` `code` and `BITS-Error-Context`
/// `context`.
fn assert_error(response: &Response, status: StatusCode, code: u32, context: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(
        header(response, "BITS-Error-Code"),
        Some(hresult_text(code).as_str()),
        "BITS-Error-Code"
    );
    assert_eq!(
        header(response, "BITS-Error-Context"),
        Some(context),
        "BITS-Error-Context"
    );
}

/// Asserts an error Ack with `status` and its `BG_E_HTTP_ERROR_<status>` code in `context`.
fn assert_http_error(response: &Response, status: StatusCode, context: &str) {
    assert_error(response, status, http_error_code(status.as_u16()), context);
}

/// Asserts the 500 Ack of a packet naming a session the server does not know.
fn assert_session_not_found(response: &Response) {
    assert_error(
        response,
        StatusCode::INTERNAL_SERVER_ERROR,
        BG_E_SESSION_NOT_FOUND,
        CONTEXT_REMOTE_FILE,
    );
}

/// Asserts the 400 Ack of a Create-Session that does not offer the upload protocol.
fn assert_protocol_mismatch(response: &Response) {
    assert_error(
        response,
        StatusCode::BAD_REQUEST,
        BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH,
        CONTEXT_REMOTE_FILE,
    );
}

/// Opens a session on `url` and returns its id.
async fn create_session(client: &Client, url: &str) -> String {
    let response = send(create_session_packet(client, url)).await;
    assert_eq!(response.status(), StatusCode::OK, "Create-Session succeeds");
    header(&response, "BITS-Session-Id")
        .expect("Create-Session Ack carries BITS-Session-Id")
        .to_owned()
}

/// One fragment holding `data`, placed at `start` of a `total`-byte file.
fn fragment(
    client: &Client,
    url: &str,
    session_id: &str,
    start: u64,
    data: &[u8],
    total: u64,
) -> RequestBuilder {
    let end = start + data.len() as u64 - 1;
    let request = packet(client, url, "Fragment")
        .header("BITS-Session-Id", session_id)
        .header("Content-Range", format!("bytes {start}-{end}/{total}"))
        .body(data.to_vec());
    if start == 0 {
        request.header("Content-Name", "local.bin")
    } else {
        request
    }
}

/// Sends Close-Session or Cancel-Session (`packet_type`) for `session_id`.
async fn end_session(client: &Client, url: &str, packet_type: &str, session_id: &str) -> Response {
    send(packet(client, url, packet_type).header("BITS-Session-Id", session_id)).await
}

/// Uploads `data` in one fragment and returns the final Ack.
async fn upload(client: &Client, url: &str, data: &[u8]) -> (String, Response) {
    let session_id = create_session(client, url).await;
    let response = send(fragment(
        client,
        url,
        &session_id,
        0,
        data,
        data.len() as u64,
    ))
    .await;
    (session_id, response)
}

/// The bytes of the upload the server moved into place under `name`.
async fn uploaded_bytes(server: &BitsServer, name: &str) -> Vec<u8> {
    let path = server
        .uploaded_file(name)
        .unwrap_or_else(|| panic!("no upload named {name} is in place"));
    tokio::fs::read(path).await.expect("the uploaded file")
}

/// `length` bytes of a repeating pattern.
fn content(length: usize) -> Vec<u8> {
    (0..length).map(|index| (index % 251) as u8).collect()
}

/// A server configuration whose upload-reply sessions answer with `reply`.
fn replying(reply: Bytes) -> BitsServerConfig {
    BitsServerConfig::misbehaving(Misbehaviour {
        reply: Some(reply),
        ..Misbehaviour::default()
    })
}

#[tokio::test]
async fn full_session_uploads_the_file_and_every_answer_is_an_ack() {
    let (server, client, url) = serve(BitsServerConfig::default(), "report.bin").await;
    let data = content(300);

    let ping = send(packet(&client, &url, "Ping")).await;
    assert_eq!(ping.status(), StatusCode::OK);

    let created = send(packet(&client, &url, "Create-Session").header(
        "BITS-Supported-Protocols",
        format!("{{00000000-0000-0000-0000-000000000000}} {UPLOAD_PROTOCOL}"),
    ))
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    assert_eq!(header(&created, "BITS-Protocol"), Some(UPLOAD_PROTOCOL));
    assert_eq!(header(&created, "Accept-Encoding"), Some("Identity"));
    assert_eq!(
        header(&created, "BITS-Host-Id"),
        None,
        "no host id unless configured"
    );
    let session_id = header(&created, "BITS-Session-Id")
        .expect("a session id")
        .to_owned();
    assert!(
        uuid::Uuid::parse_str(&session_id).is_ok() && session_id.starts_with('{'),
        "default ids are GUIDs: {session_id}"
    );

    for (start, end) in [(0, 127), (128, 212), (213, 299)] {
        let piece = &data[start as usize..=end as usize];
        let response = send(fragment(&client, &url, &session_id, start, piece, 300)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "BITS-Session-Id"),
            Some(session_id.as_str())
        );
        assert_eq!(
            next_expected(&response),
            Some((end + 1).to_string().as_str()),
            "next expected offset"
        );
        assert_eq!(
            header(&response, "BITS-Reply-URL"),
            None,
            "no reply unless configured"
        );
    }
    assert_eq!(
        uploaded_bytes(&server, "report.bin").await,
        data,
        "the upload moved into place on the last fragment"
    );
    assert_eq!(
        server.sessions(),
        vec![SessionSnapshot {
            id: session_id.clone(),
            file_name: "report.bin".to_owned(),
            received: 300,
            total: Some(300),
            delivered: true,
        }],
        "the session lives on until Close-Session"
    );

    let closed = end_session(&client, &url, "Close-Session", &session_id).await;
    assert_eq!(closed.status(), StatusCode::OK);
    assert!(
        server.sessions().is_empty(),
        "Close-Session frees the session"
    );
    assert!(server.partial_files().is_empty(), "no partial file remains");
    assert!(
        server.uploaded_file("report.bin").is_some(),
        "closing keeps the upload"
    );

    let packets = server.packets();
    let kinds: Vec<PacketKind> = packets.iter().map(|packet| packet.kind).collect();
    assert_eq!(
        kinds,
        [
            PacketKind::Ping,
            PacketKind::CreateSession,
            PacketKind::Fragment,
            PacketKind::Fragment,
            PacketKind::Fragment,
            PacketKind::CloseSession
        ]
    );
    let fragments: Vec<_> = packets
        .iter()
        .filter(|packet| packet.kind == PacketKind::Fragment)
        .collect();
    let ranges: Vec<_> = fragments
        .iter()
        .map(|packet| packet.content_range.clone())
        .collect();
    assert_eq!(
        ranges,
        [
            Some("bytes 0-127/300".to_owned()),
            Some("bytes 128-212/300".to_owned()),
            Some("bytes 213-299/300".to_owned())
        ]
    );
    let names: Vec<_> = fragments
        .iter()
        .map(|packet| packet.content_name.as_deref())
        .collect();
    assert_eq!(
        names,
        [Some("local.bin"), None, None],
        "Content-Name comes with the first fragment"
    );
    let body_lengths: Vec<u64> = fragments.iter().map(|packet| packet.body_len).collect();
    assert_eq!(body_lengths, [128, 85, 87]);
    for packet in &packets {
        assert_eq!(packet.method, "BITS_POST");
        assert_eq!(packet.path, "/upload/report.bin");
        assert_eq!(packet.listener, Listener::Main);
        assert_eq!(packet.ack_status, Some(200));
        assert!(
            packet.header("bits-packet-type").is_some(),
            "headers are recorded"
        );
        if packet.kind != PacketKind::Ping && packet.kind != PacketKind::CreateSession {
            assert_eq!(
                packet.session_id.as_deref(),
                Some(session_id.as_str()),
                "the session id is echoed"
            );
        }
    }
}

#[tokio::test]
async fn gap_is_refused_with_416_and_the_expected_offset() {
    let (server, client, url) = serve(BitsServerConfig::default(), "gap.bin").await;
    let data = content(300);
    let session_id = create_session(&client, &url).await;
    send(fragment(&client, &url, &session_id, 0, &data[..100], 300)).await;

    let response = send(fragment(
        &client,
        &url,
        &session_id,
        150,
        &data[150..200],
        300,
    ))
    .await;
    assert_http_error(
        &response,
        StatusCode::RANGE_NOT_SATISFIABLE,
        CONTEXT_REMOTE_FILE,
    );
    assert_eq!(next_expected(&response), Some("100"));
    assert_eq!(
        server.sessions()[0].received,
        100,
        "nothing beyond the contiguous prefix is kept"
    );

    let resumed = send(fragment(&client, &url, &session_id, 100, &data[100..], 300)).await;
    assert_eq!(next_expected(&resumed), Some("300"));
    assert_eq!(uploaded_bytes(&server, "gap.bin").await, data);
}

#[tokio::test]
async fn overlap_keeps_held_bytes_and_writes_only_the_new_tail() {
    let (server, client, url) = serve(BitsServerConfig::default(), "overlap.bin").await;
    let session_id = create_session(&client, &url).await;

    let first = send(fragment(&client, &url, &session_id, 0, &[b'a'; 101], 151)).await;
    assert_eq!(next_expected(&first), Some("101"));
    let second = send(fragment(&client, &url, &session_id, 50, &[b'b'; 101], 151)).await;
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(next_expected(&second), Some("151"));

    let mut expected = vec![b'a'; 101];
    expected.extend_from_slice(&[b'b'; 50]);
    assert_eq!(
        uploaded_bytes(&server, "overlap.bin").await,
        expected,
        "bytes 50-100 stay 'a'"
    );
}

#[tokio::test]
async fn create_session_without_the_upload_protocol_is_refused() {
    let (server, client, url) = serve(BitsServerConfig::default(), "protocol.bin").await;

    let other = send(packet(&client, &url, "Create-Session").header(
        "BITS-Supported-Protocols",
        "{00000000-0000-0000-0000-000000000000}",
    ))
    .await;
    assert_protocol_mismatch(&other);
    let missing = send(packet(&client, &url, "Create-Session")).await;
    assert_protocol_mismatch(&missing);
    assert!(server.sessions().is_empty(), "no session was opened");

    let upper_case = send(packet(&client, &url, "create-session").header(
        "bits-supported-protocols",
        UPLOAD_PROTOCOL.to_ascii_uppercase(),
    ))
    .await;
    assert_eq!(
        upper_case.status(),
        StatusCode::OK,
        "packet types and GUIDs compare case-insensitively"
    );
}

#[tokio::test]
async fn unknown_session_is_reported_as_session_not_found() {
    let (server, client, url) = serve(BitsServerConfig::default(), "unknown.bin").await;

    let fragment = send(fragment(&client, &url, "{not-a-session}", 0, b"hello", 5)).await;
    assert_session_not_found(&fragment);
    for packet_type in ["Close-Session", "Cancel-Session"] {
        let response = end_session(&client, &url, packet_type, "{not-a-session}").await;
        assert_session_not_found(&response);
    }
    assert!(server.partial_files().is_empty(), "nothing was written");
}

#[tokio::test]
async fn existing_file_is_refused_with_409_unless_overwrite_is_allowed() {
    let (server, client, url) = serve(BitsServerConfig::default(), "taken.txt").await;
    tokio::fs::write(server.upload_dir().join("taken.txt"), b"old")
        .await
        .expect("plant a file");

    let refused = send(create_session_packet(&client, &url)).await;
    assert_http_error(&refused, StatusCode::CONFLICT, CONTEXT_REMOTE_FILE);
    assert_eq!(hresult_text(http_error_code(409)), "0x80190199");

    server.set_misbehaviour(Misbehaviour {
        allow_overwrite: true,
        ..Misbehaviour::default()
    });
    let (_, response) = upload(&client, &url, b"new content").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(uploaded_bytes(&server, "taken.txt").await, b"new content");
}

#[tokio::test]
async fn create_session_can_be_refused_with_403_or_404() {
    let (server, client, url) = serve(BitsServerConfig::default(), "refused.bin").await;
    for (status, code) in [
        (StatusCode::FORBIDDEN, "0x80190193"),
        (StatusCode::NOT_FOUND, "0x80190194"),
    ] {
        server.set_misbehaviour(Misbehaviour {
            refuse_create_session: Some(status.as_u16()),
            ..Misbehaviour::default()
        });
        let response = send(create_session_packet(&client, &url)).await;
        assert_http_error(&response, status, CONTEXT_REMOTE_FILE);
        assert_eq!(header(&response, "BITS-Error-Code"), Some(code));
    }
    assert!(server.sessions().is_empty());
}

#[tokio::test]
async fn cancel_before_completion_deletes_the_partial_file() {
    let (server, client, url) = serve(BitsServerConfig::default(), "cancelled.bin").await;
    let data = content(300);
    let session_id = create_session(&client, &url).await;
    send(fragment(&client, &url, &session_id, 0, &data[..100], 300)).await;
    assert_eq!(
        server.partial_files().len(),
        1,
        "the first fragment reached the disk"
    );

    let cancelled = end_session(&client, &url, "Cancel-Session", &session_id).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    assert_eq!(
        header(&cancelled, "BITS-Session-Id"),
        Some(session_id.as_str())
    );
    assert!(
        server.partial_files().is_empty(),
        "the partial upload is deleted"
    );
    assert!(server.sessions().is_empty());
    assert_eq!(server.uploaded_file("cancelled.bin"), None);

    let late = send(fragment(&client, &url, &session_id, 100, &data[100..], 300)).await;
    assert_session_not_found(&late);
}

#[tokio::test]
async fn close_before_completion_leaves_no_partial_upload() {
    let (server, client, url) = serve(BitsServerConfig::default(), "abandoned.bin").await;
    let session_id = create_session(&client, &url).await;
    send(fragment(&client, &url, &session_id, 0, &content(100), 300)).await;

    let closed = end_session(&client, &url, "Close-Session", &session_id).await;
    assert_eq!(closed.status(), StatusCode::OK);
    assert!(server.partial_files().is_empty(), "no partial uploads");
    assert_eq!(server.uploaded_file("abandoned.bin"), None);
}

#[tokio::test]
async fn cancel_after_completion_keeps_the_upload_and_withdraws_the_reply() {
    let reply = Bytes::from(content(10 * 1024));
    let (server, client, url) = serve(replying(reply.clone()), "done.bin").await;
    let (session_id, finished) = upload(&client, &url, b"finished upload").await;
    let reply_url = header(&finished, "BITS-Reply-URL")
        .expect("an upload-reply session gets a reply URL")
        .to_owned();
    let fetched = fetch(&client, &reply_url).await;
    assert_eq!(fetched.bytes().await.expect("the reply body"), reply);

    let cancelled = end_session(&client, &url, "Cancel-Session", &session_id).await;
    assert_eq!(cancelled.status(), StatusCode::OK);
    assert_eq!(
        uploaded_bytes(&server, "done.bin").await,
        b"finished upload",
        "Cancel-Session after completion keeps the upload"
    );
    let withdrawn = fetch(&client, &reply_url).await;
    assert_eq!(
        withdrawn.status(),
        StatusCode::NOT_FOUND,
        "the reply is cancelled"
    );
}

#[tokio::test]
async fn reply_url_is_served_whole_and_in_ranges_until_close() {
    let reply = Bytes::from(content(2 * 1024 * 1024));
    let (server, client, url) = serve(replying(reply.clone()), "with-reply.bin").await;
    let (session_id, finished) = upload(&client, &url, &content(1000)).await;
    let reply_url = header(&finished, "BITS-Reply-URL")
        .expect("the final Ack carries BITS-Reply-URL")
        .to_owned();
    assert!(
        reply_url.starts_with("http://127.0.0.1:"),
        "an absolute URL: {reply_url}"
    );
    let get_range = |range: String, if_range: Option<&str>| {
        let request = client.get(&reply_url).header("Range", range);
        match if_range {
            Some(validator) => request.header("If-Range", validator),
            None => request,
        }
        .send()
    };

    let head = client
        .head(&reply_url)
        .send()
        .await
        .expect("HEAD is served");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        header(&head, "Content-Length"),
        Some(reply.len().to_string().as_str()),
        "HEAD reports the size"
    );
    assert_eq!(header(&head, "Accept-Ranges"), Some("bytes"));
    let etag = header(&head, "ETag").expect("a validator").to_owned();

    let whole = fetch(&client, &reply_url).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.bytes().await.expect("the reply body"), reply);

    let part = get_range("bytes=100-199".to_owned(), Some(&etag))
        .await
        .expect("a range is served");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&part, "Content-Range"),
        Some(format!("bytes 100-199/{}", reply.len()).as_str())
    );
    assert_eq!(
        part.bytes().await.expect("the range body"),
        reply.slice(100..200)
    );

    let suffix = get_range("bytes=-10".to_owned(), None)
        .await
        .expect("a suffix is served");
    assert_eq!(
        suffix.bytes().await.expect("the suffix body"),
        reply.slice(reply.len() - 10..)
    );

    let stale = get_range("bytes=100-199".to_owned(), Some("\"another-version\""))
        .await
        .expect("the server answers");
    assert_eq!(
        stale.status(),
        StatusCode::OK,
        "a stale If-Range gets the whole reply"
    );

    let beyond = get_range(format!("bytes={}-", reply.len()), None)
        .await
        .expect("the server answers");
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        header(&beyond, "Content-Range"),
        Some(format!("bytes */{}", reply.len()).as_str())
    );

    let fetches: Vec<_> = server
        .reply_fetches()
        .into_iter()
        .map(|fetch| (fetch.method, fetch.range, fetch.status))
        .collect();
    assert_eq!(
        fetches,
        [
            ("HEAD".to_owned(), None, 200),
            ("GET".to_owned(), None, 200),
            ("GET".to_owned(), Some("bytes=100-199".to_owned()), 206),
            ("GET".to_owned(), Some("bytes=-10".to_owned()), 206),
            ("GET".to_owned(), Some("bytes=100-199".to_owned()), 200),
            (
                "GET".to_owned(),
                Some(format!("bytes={}-", reply.len())),
                416
            ),
        ]
    );

    end_session(&client, &url, "Close-Session", &session_id).await;
    let lost = fetch(&client, &reply_url).await;
    assert_eq!(
        lost.status(),
        StatusCode::NOT_FOUND,
        "the reply is lost after Close-Session"
    );
}

#[tokio::test]
async fn empty_reply_is_served_as_an_empty_body() {
    let (_server, client, url) = serve(replying(Bytes::new()), "empty-reply.bin").await;
    let (_, finished) = upload(&client, &url, b"data").await;
    let reply_url = header(&finished, "BITS-Reply-URL")
        .expect("a reply URL even for an empty reply")
        .to_owned();
    let reply = fetch(&client, &reply_url).await;
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(header(&reply, "Content-Length"), Some("0"));
    assert!(reply.bytes().await.expect("the reply body").is_empty());
}

#[tokio::test]
async fn configured_session_id_is_handed_out_and_echoed() {
    let unusual = "ferry:session/42 (any HTTP-legal text)";
    let config = BitsServerConfig {
        session_ids: vec![unusual.to_owned()],
        ..BitsServerConfig::default()
    };
    let (server, client, url) = serve(config, "echo.bin").await;

    let session_id = create_session(&client, &url).await;
    assert_eq!(session_id, unusual);
    let response = send(fragment(&client, &url, &session_id, 0, b"payload", 7)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "BITS-Session-Id"), Some(unusual));
    assert!(server.uploaded_file("echo.bin").is_some());

    let next = create_session(&client, &server.url("echo-2.bin")).await;
    assert!(
        uuid::Uuid::parse_str(&next).is_ok(),
        "configured ids used up: back to GUIDs, got {next}"
    );
}

#[tokio::test]
async fn malformed_fragments_are_refused() {
    let (server, client, url) = serve(BitsServerConfig::default(), "strict.bin").await;
    let session_id = create_session(&client, &url).await;
    let nameless_fragment = || {
        packet(&client, &url, "Fragment")
            .header("BITS-Session-Id", &session_id)
            .body("hello")
    };

    let encoded = send(
        fragment(&client, &url, &session_id, 0, b"hello", 5).header("Content-Encoding", "gzip"),
    )
    .await;
    assert_http_error(&encoded, StatusCode::BAD_REQUEST, CONTEXT_REMOTE_FILE);

    let nameless = send(nameless_fragment().header("Content-Range", "bytes 0-4/5")).await;
    assert_eq!(
        nameless.status(),
        StatusCode::BAD_REQUEST,
        "the first fragment must carry Content-Name"
    );

    let short = send(
        nameless_fragment()
            .header("Content-Name", "local.bin")
            .header("Content-Range", "bytes 0-9/10"),
    )
    .await;
    assert_eq!(
        short.status(),
        StatusCode::BAD_REQUEST,
        "Content-Length must match Content-Range"
    );
    assert_eq!(server.sessions()[0].received, 0, "nothing was accepted");

    let identity = send(
        fragment(&client, &url, &session_id, 0, b"hello", 5).header("Content-Encoding", "identity"),
    )
    .await;
    assert_eq!(
        identity.status(),
        StatusCode::OK,
        "identity encoding is fine"
    );
}

#[tokio::test]
async fn unexpected_packets_get_a_400_ack() {
    let (server, client, url) = serve(BitsServerConfig::default(), "odd.bin").await;

    let bogus = send(packet(&client, &url, "Bogus")).await;
    assert_http_error(&bogus, StatusCode::BAD_REQUEST, CONTEXT_REMOTE_FILE);
    let get = ack(fetch(&client, &url).await);
    assert_eq!(get.status(), StatusCode::BAD_REQUEST);

    let packets = server.packets();
    assert!(packets
        .iter()
        .all(|packet| packet.kind == PacketKind::Unexpected));
    assert_eq!(packets[1].method, "GET");
}

#[tokio::test]
async fn dropped_fragment_keeps_the_bytes_that_arrived() {
    let config = BitsServerConfig::misbehaving(Misbehaviour {
        drop_fragments: Some(DropFragments {
            after_bytes: 50,
            times: 1,
        }),
        ..Misbehaviour::default()
    });
    let (server, client, url) = serve(config, "dropped.bin").await;
    let data = content(200);
    let session_id = create_session(&client, &url).await;

    let cut = fragment(&client, &url, &session_id, 0, &data, 200)
        .send()
        .await;
    assert!(cut.is_err(), "the connection is cut instead of answering");
    let packet = server.packets().pop().expect("the fragment was recorded");
    assert_eq!(
        (packet.kind, packet.body_len, packet.ack_status),
        (PacketKind::Fragment, 50, None)
    );
    assert_eq!(
        server.sessions()[0].received,
        50,
        "the bytes that arrived are kept"
    );
    assert!(
        server.misbehaviour().drop_fragments.is_none(),
        "the knob is used up"
    );

    let resent = send(fragment(&client, &url, &session_id, 0, &data, 200)).await;
    assert_eq!(next_expected(&resent), Some("200"));
    assert_eq!(uploaded_bytes(&server, "dropped.bin").await, data);
}

#[tokio::test]
async fn close_session_answers_503_the_configured_number_of_times() {
    let config = BitsServerConfig::misbehaving(Misbehaviour {
        close_session_unavailable: 2,
        ..Misbehaviour::default()
    });
    let (server, client, url) = serve(config, "busy.bin").await;
    let (session_id, _) = upload(&client, &url, b"data").await;

    for _ in 0..2 {
        let busy = end_session(&client, &url, "Close-Session", &session_id).await;
        assert_http_error(&busy, StatusCode::SERVICE_UNAVAILABLE, CONTEXT_REMOTE_FILE);
        assert_eq!(server.sessions().len(), 1, "a 503 keeps the session");
    }
    let closed = end_session(&client, &url, "Close-Session", &session_id).await;
    assert_eq!(closed.status(), StatusCode::OK);
    assert!(server.sessions().is_empty());
    assert_eq!(server.misbehaviour().close_session_unavailable, 0);
}

// The delay is measured on tokio's paused clock, which only jumps ahead to fire a pending timer
// when every task is idle: no wall-clock timing is involved.
#[tokio::test(start_paused = true)]
async fn final_ack_is_held_back_by_the_configured_delay() {
    let delay = Duration::from_secs(30);
    let server = BitsServer::start(BitsServerConfig::misbehaving(Misbehaviour {
        final_ack_delay: Some(delay),
        ..Misbehaviour::default()
    }))
    .await;
    // Without a connection pool there is no idle timer, so the only timer the paused clock can
    // jump to is the server's delay.
    let client = Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a reqwest client");
    let url = server.url("slow-app.bin");
    let session_id = create_session(&client, &url).await;

    let not_final = tokio::time::Instant::now();
    send(fragment(&client, &url, &session_id, 0, b"first", 10)).await;
    assert!(not_final.elapsed() < delay, "only the final Ack waits");

    let started = tokio::time::Instant::now();
    let last = send(fragment(&client, &url, &session_id, 5, b"final", 10)).await;
    assert_eq!(last.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= delay,
        "the final Ack came after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_application_failure_has_context_7_and_a_resent_final_fragment_recovers() {
    let config = BitsServerConfig::misbehaving(Misbehaviour {
        app_failure: Some(AppFailure {
            status: 500,
            times: 1,
        }),
        reply: Some(Bytes::from_static(b"receipt")),
        ..Misbehaviour::default()
    });
    let (server, client, url) = serve(config, "app.bin").await;
    let (session_id, failed) = upload(&client, &url, b"order").await;
    assert_http_error(
        &failed,
        StatusCode::INTERNAL_SERVER_ERROR,
        CONTEXT_REMOTE_APPLICATION,
    );
    assert_eq!(
        server.uploaded_file("app.bin"),
        None,
        "the application did not take the file"
    );
    assert_eq!(
        server.sessions()[0].received,
        5,
        "the bytes stay on the server"
    );
    assert!(!server.sessions()[0].delivered);
    assert!(
        server.misbehaviour().app_failure.is_none(),
        "the knob is used up"
    );

    let retried = send(fragment(&client, &url, &session_id, 0, b"order", 5)).await;
    assert_eq!(retried.status(), StatusCode::OK);
    let reply_url = header(&retried, "BITS-Reply-URL")
        .expect("the reply URL")
        .to_owned();
    assert!(server.uploaded_file("app.bin").is_some());

    let again = send(fragment(&client, &url, &session_id, 0, b"order", 5)).await;
    assert_eq!(
        header(&again, "BITS-Reply-URL"),
        Some(reply_url.as_str()),
        "a re-sent final fragment is idempotent"
    );

    server.set_misbehaviour(Misbehaviour {
        app_failure: Some(AppFailure {
            status: 403,
            times: 1,
        }),
        ..Misbehaviour::default()
    });
    let (_, forbidden) = upload(&client, &server.url("app-2.bin"), b"order").await;
    assert_http_error(
        &forbidden,
        StatusCode::FORBIDDEN,
        CONTEXT_REMOTE_APPLICATION,
    );
}

#[tokio::test]
async fn basic_auth_is_required_when_configured() {
    let config = BitsServerConfig::misbehaving(Misbehaviour {
        basic_auth: Some(Credentials {
            user: "uploader".to_owned(),
            password: "s3cret:with colon".to_owned(),
        }),
        reply: Some(Bytes::from_static(b"ok")),
        ..Misbehaviour::default()
    });
    let (_server, client, url) = serve(config, "private.bin").await;
    let password = Some("s3cret:with colon");

    let anonymous = send(packet(&client, &url, "Ping")).await;
    assert_http_error(&anonymous, StatusCode::UNAUTHORIZED, CONTEXT_REMOTE_FILE);
    assert!(header(&anonymous, "WWW-Authenticate").is_some_and(|value| value.starts_with("Basic")));
    let wrong = send(packet(&client, &url, "Ping").basic_auth("uploader", Some("guess"))).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let created = send(create_session_packet(&client, &url).basic_auth("uploader", password)).await;
    assert_eq!(created.status(), StatusCode::OK);
    let session_id = header(&created, "BITS-Session-Id")
        .expect("a session id")
        .to_owned();
    let finished = send(
        fragment(&client, &url, &session_id, 0, b"secret", 6).basic_auth("uploader", password),
    )
    .await;
    let reply_url = header(&finished, "BITS-Reply-URL")
        .expect("the reply URL")
        .to_owned();

    let anonymous_reply = fetch(&client, &reply_url).await;
    assert_eq!(
        anonymous_reply.status(),
        StatusCode::UNAUTHORIZED,
        "the reply needs credentials too"
    );
    let reply = client
        .get(&reply_url)
        .basic_auth("uploader", password)
        .send()
        .await
        .expect("the reply is served");
    assert_eq!(reply.bytes().await.expect("the reply body").as_ref(), b"ok");
}

#[tokio::test]
async fn host_id_listener_shares_sessions_and_can_become_unreachable() {
    let config = BitsServerConfig {
        host_id: Some(HostId {
            target: HostIdTarget::SecondListener,
            fallback_timeout_secs: Some(60),
        }),
        ..BitsServerConfig::default()
    };
    let (server, client, url) = serve(config, "farm.bin").await;
    let host_id_url = server.host_id_url("farm.bin").expect("a second listener");

    let created = send(create_session_packet(&client, &url)).await;
    let host = header(&created, "BITS-Host-Id")
        .expect("BITS-Host-Id is advertised")
        .to_owned();
    assert_eq!(
        host_id_url,
        format!("http://{host}/upload/farm.bin"),
        "the host id names the second listener"
    );
    assert_eq!(
        header(&created, "BITS-Host-Id-Fallback-Timeout"),
        Some("60")
    );
    let session_id = header(&created, "BITS-Session-Id")
        .expect("a session id")
        .to_owned();

    let data = content(20);
    let first = send(fragment(
        &client,
        &host_id_url,
        &session_id,
        0,
        &data[..10],
        20,
    ))
    .await;
    assert_eq!(
        first.status(),
        StatusCode::OK,
        "the host id listener knows the session"
    );
    let packet = server.packets().pop().expect("the fragment was recorded");
    assert_eq!(packet.listener, Listener::HostId);

    server.set_host_id_reachable(false).await;
    let refused = fragment(&client, &host_id_url, &session_id, 10, &data[10..], 20)
        .send()
        .await;
    assert!(refused.is_err(), "the host id is unreachable");
    server.set_host_id_reachable(true).await;
    let resumed = send(fragment(
        &client,
        &host_id_url,
        &session_id,
        10,
        &data[10..],
        20,
    ))
    .await;
    assert_eq!(next_expected(&resumed), Some("20"));
}

#[tokio::test]
async fn named_host_id_is_advertised_as_configured() {
    let config = BitsServerConfig {
        host_id: Some(HostId {
            target: HostIdTarget::Named("farm-node-7".to_owned()),
            fallback_timeout_secs: None,
        }),
        ..BitsServerConfig::default()
    };
    let (server, client, url) = serve(config, "named.bin").await;
    let created = send(create_session_packet(&client, &url)).await;
    assert_eq!(header(&created, "BITS-Host-Id"), Some("farm-node-7"));
    assert_eq!(
        header(&created, "BITS-Host-Id-Fallback-Timeout"),
        None,
        "absent: never fall back"
    );
    assert_eq!(server.host_id_url("named.bin"), None, "no second listener");
}

#[tokio::test]
async fn sessions_survive_the_server_becoming_unreachable() {
    let (server, client, url) = serve(BitsServerConfig::default(), "outage.bin").await;
    let data = content(64);
    let session_id = create_session(&client, &url).await;
    send(fragment(&client, &url, &session_id, 0, &data[..32], 64)).await;

    server.set_reachable(false).await;
    let refused = packet(&client, &url, "Ping").send().await;
    assert!(refused.is_err(), "the server refuses connections");
    server.set_reachable(true).await;

    let resumed = send(fragment(&client, &url, &session_id, 32, &data[32..], 64)).await;
    assert_eq!(next_expected(&resumed), Some("64"));
    assert_eq!(uploaded_bytes(&server, "outage.bin").await, data);
}

#[tokio::test]
async fn stalled_reply_download_is_cut_when_the_session_is_cancelled() {
    let reply = Bytes::from(content(10 * 1024));
    let config = BitsServerConfig::misbehaving(Misbehaviour {
        reply: Some(reply.clone()),
        stall_reply_after: Some(1000),
        ..Misbehaviour::default()
    });
    let (server, client, url) = serve(config, "stalled.bin").await;
    let (session_id, finished) = upload(&client, &url, b"data").await;
    let reply_url = header(&finished, "BITS-Reply-URL")
        .expect("the reply URL")
        .to_owned();

    let mut download = fetch(&client, &reply_url).await;
    assert_eq!(
        header(&download, "Content-Length"),
        Some(reply.len().to_string().as_str())
    );
    let mut received = Vec::new();
    while received.len() < 1000 {
        let chunk = download
            .chunk()
            .await
            .expect("the first bytes flow")
            .expect("more bytes");
        received.extend_from_slice(&chunk);
    }
    assert_eq!(
        received,
        reply.slice(..1000),
        "the download stalls after 1000 bytes"
    );

    end_session(&client, &url, "Cancel-Session", &session_id).await;
    assert!(
        download.chunk().await.is_err(),
        "cancelling the session cuts the reply download"
    );
    assert!(
        server.uploaded_file("stalled.bin").is_some(),
        "the upload itself stays"
    );
}

#[tokio::test]
async fn a_held_packet_is_counted_and_never_answered() {
    let holding = BitsServerConfig::misbehaving(Misbehaviour {
        hold: Some(Hold {
            kind: PacketKind::CreateSession,
            skip: 1,
            point: HoldPoint::BeforeHandling,
        }),
        ..Misbehaviour::default()
    });
    let (server, client, url) = serve(holding, "held.bin").await;
    send(create_session_packet(&client, &url)).await;
    assert_eq!(server.held(), 0, "the packets before the held one pass");

    let held = tokio::spawn(create_session_packet(&client, &url).send());
    crate::util::wait_until("the second Create-Session held", || {
        std::future::ready(server.held() == 1)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!held.is_finished(), "a held packet gets no answer");
    held.abort();
}
