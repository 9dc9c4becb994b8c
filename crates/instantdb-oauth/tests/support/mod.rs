//! Shared by the test binaries: a stand-in for Instant's authorization server
//! (`/platform/oauth/start` redirects with a real 302, `/platform/oauth/token` checks the
//! PKCE verifier or the client secret), a one-redirect "browser", and client helpers.
// Each test binary uses a part of this module.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use instantdb_http::Client;
use instantdb_http::http::Method;
use instantdb_oauth::{LoopbackListener, OAuthClient, Scope};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

/// How the stand-in answers the authorization request.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Consent {
    Grant,
    /// Instant's deny redirect: `error=access_denied`, no `state`.
    Deny,
}

#[derive(Default)]
pub(crate) struct Record {
    pub(crate) start_query: Vec<(String, String)>,
    pub(crate) challenge: Option<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) token_requests: Vec<Value>,
}

/// A stand-in for Instant's `/platform/oauth/start` and `/platform/oauth/token`.
pub(crate) struct AuthServer {
    pub(crate) url: String,
    record: Arc<Mutex<Record>>,
}

pub(crate) const CODE: &str = "0b7e2c9a-5f1d-4e3a-9c8b-1a2b3c4d5e6f";
pub(crate) const ACCESS_TOKEN: &str = "pat_00112233445566778899aabbccddeeff";
pub(crate) const REFRESH_TOKEN: &str = "prt_ffeeddccbbaa99887766554433221100";
pub(crate) const CLIENT_SECRET: &str = "client-secret-4e5f";

impl AuthServer {
    pub(crate) async fn start(consent: Consent) -> AuthServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let record = Arc::new(Mutex::new(Record::default()));
        let shared = record.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let record = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let record = record.clone();
                        async move { Ok::<_, Infallible>(answer(request, &record, consent).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        AuthServer { url, record }
    }

    pub(crate) fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap()
    }
}

pub(crate) async fn answer(
    request: Request<Incoming>,
    record: &Mutex<Record>,
    consent: Consent,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    match path.as_str() {
        "/platform/oauth/start" => {
            let param = |key: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let redirect_uri = param("redirect_uri");
            let mut location = url::Url::parse(&redirect_uri).unwrap();
            match consent {
                Consent::Grant => {
                    location
                        .query_pairs_mut()
                        .append_pair("code", CODE)
                        .append_pair("state", &param("state"))
                        .append_pair("scope", &param("scope"));
                }
                Consent::Deny => {
                    location
                        .query_pairs_mut()
                        .append_pair("error", "access_denied");
                }
            }
            let mut record = record.lock().unwrap();
            record.challenge = Some(param("code_challenge"));
            record.redirect_uri = Some(redirect_uri);
            record.start_query = query;
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::FOUND;
            response
                .headers_mut()
                .insert("location", location.as_str().parse().unwrap());
            response
        }
        "/platform/oauth/token" => {
            let body = request.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&body).unwrap();
            let mut record = record.lock().unwrap();
            record.token_requests.push(body.clone());
            if body["grant_type"] == "refresh_token" {
                // Instant's record-not-found hints echo the looked-up value.
                let reply = json!({
                    "type": "record-not-found",
                    "message": "Record not found: oauth-refresh-token",
                    "hint": {"record-type": "oauth-refresh-token", "args": [{"token": body["refresh_token"]}]},
                });
                let mut response = Response::new(Full::new(Bytes::from(reply.to_string())));
                *response.status_mut() = StatusCode::BAD_REQUEST;
                return response;
            }
            let code_ok = body["code"] == CODE
                && body["redirect_uri"].as_str() == record.redirect_uri.as_deref()
                && body["client_id"] == "test-client";
            let (proof_ok, confidential) = match body.get("code_verifier") {
                Some(verifier) => {
                    let digest = ring::digest::digest(
                        &ring::digest::SHA256,
                        verifier.as_str().unwrap_or_default().as_bytes(),
                    );
                    let challenge = URL_SAFE_NO_PAD.encode(digest.as_ref());
                    (
                        record.challenge.as_deref() == Some(challenge.as_str()),
                        false,
                    )
                }
                None => (body["client_secret"] == CLIENT_SECRET, true),
            };
            let (status, reply) = if code_ok && proof_ok {
                let mut reply = json!({
                    "access_token": ACCESS_TOKEN,
                    "expires_in": 1_209_600,
                    "token_type": "Bearer",
                    "scopes": "apps-read data-write",
                });
                if confidential {
                    reply["refresh_token"] = json!(REFRESH_TOKEN);
                }
                (StatusCode::OK, reply)
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    json!({"type": "param-malformed", "message": "Invalid code_verifier parameter"}),
                )
            };
            let mut response = Response::new(Full::new(Bytes::from(reply.to_string())));
            *response.status_mut() = status;
            response
        }
        _ => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
    }
}

/// A browser that follows one redirect: GET the authorization URL, expect a 302, GET its
/// `Location` (the loopback listener) and return the page's status and text.
pub(crate) async fn browse(url: url::Url) -> (u16, String) {
    let http = Client::new("http://127.0.0.1").unwrap();
    let response = http
        .request_url(Method::GET, url)
        .expect_status(StatusCode::FOUND)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    get(&location).await
}

/// GET any URL, whatever the status.
pub(crate) async fn get(url: &str) -> (u16, String) {
    let http = Client::new("http://127.0.0.1").unwrap();
    let response = http
        .request_url(Method::GET, url::Url::parse(url).unwrap())
        .expect_statuses((100..600).filter_map(|s| StatusCode::from_u16(s).ok()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

pub(crate) fn client(server: &AuthServer, redirect_uri: &str) -> OAuthClient {
    OAuthClient::builder("test-client", redirect_uri)
        .api_uri(&server.url)
        .build()
        .unwrap()
}

pub(crate) fn confidential_client(server: &AuthServer, redirect_uri: &str) -> OAuthClient {
    OAuthClient::builder("test-client", redirect_uri)
        .api_uri(&server.url)
        .client_secret(CLIENT_SECRET)
        .build()
        .unwrap()
}

/// A public client's listener on a random port, asking for `apps-read`.
pub(crate) async fn listen(server: &AuthServer) -> LoopbackListener {
    client(server, "http://127.0.0.1:0/cb")
        .loopback_login(Scope::AppsRead)
        .start()
        .await
        .unwrap()
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) async fn connection_refused(addr: SocketAddr) -> bool {
    // The accept task is aborted asynchronously; give it a moment (up to 5 s on a loaded machine).
    for _ in 0..500 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

pub(crate) fn state_of(url: &url::Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}
