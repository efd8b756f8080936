//! The proxy behaviour: forwards absolute-form requests to origins on 127.0.0.1 and tunnels
//! CONNECT to them, after checking `Proxy-Authorization` when a login is required.

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, CONTENT_TYPE, HOST, PROXY_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use super::auth;
use super::behaviour::Login;
use super::respond::{empty, whole, Body};

/// Headers that belong to one hop and are never passed on.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Answers `request` as a proxy requiring `login` (if any), forwarding with `client`.
pub async fn handle(
    request: Request<Incoming>,
    login: Option<&Login>,
    client: &reqwest::Client,
) -> Response<Body> {
    if let Some(login) = login {
        if !auth::proxy_accepts(login, request.headers()) {
            let mut response = plain(
                StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                "proxy authentication required\n",
            );
            response
                .headers_mut()
                .insert(PROXY_AUTHENTICATE, auth::proxy_challenge());
            return response;
        }
    }
    let authority = request.uri().authority().map(|a| a.to_string());
    let Some(authority) =
        authority.filter(|a| a.starts_with("127.0.0.1:") || a.starts_with("localhost:"))
    else {
        return plain(
            StatusCode::BAD_GATEWAY,
            "this proxy only reaches 127.0.0.1\n",
        );
    };
    if request.method() == Method::CONNECT {
        return tunnel(request, authority).await;
    }
    forward(request, client).await
}

/// Opens a tunnel to `authority` once the client's connection is handed over.
async fn tunnel(request: Request<Incoming>, authority: String) -> Response<Body> {
    let origin = match tokio::net::TcpStream::connect(&authority).await {
        Ok(origin) => origin,
        Err(error) => {
            return plain(
                StatusCode::BAD_GATEWAY,
                &format!("cannot reach {authority}: {error}\n"),
            )
        }
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = hyper::upgrade::on(request).await {
            let mut client = TokioIo::new(upgraded);
            let mut origin = origin;
            // Either side closing ends the tunnel; there is nobody to report an error to.
            let _ = tokio::io::copy_bidirectional(&mut client, &mut origin).await;
        }
    });
    Response::new(empty())
}

/// Sends an absolute-form request on to its origin and streams the answer back.
async fn forward(request: Request<Incoming>, client: &reqwest::Client) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("cannot read the request body: {error}\n"),
            )
        }
    };
    let outgoing = client
        .request(parts.method.clone(), parts.uri.to_string())
        .headers(end_to_end(&parts.headers, Some(&HOST)))
        .body(body);
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(error) => {
            return plain(
                StatusCode::BAD_GATEWAY,
                &format!("the origin did not answer: {error}\n"),
            )
        }
    };
    let status = answer.status();
    let headers = end_to_end(answer.headers(), None);
    let stream = answer
        .bytes_stream()
        .map_ok(Frame::data)
        .map_err(std::io::Error::other);
    let mut response = Response::new(StreamBody::new(stream).boxed_unsync());
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `headers` without the hop-by-hop ones (and without `also`).
fn end_to_end(headers: &HeaderMap, also: Option<&HeaderName>) -> HeaderMap {
    let mut kept = headers.clone();
    for name in HOP_BY_HOP {
        kept.remove(name);
    }
    if let Some(name) = also {
        kept.remove(name);
    }
    kept
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut response = Response::new(whole(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    response
}
