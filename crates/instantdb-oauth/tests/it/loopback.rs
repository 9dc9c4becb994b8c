//! The loopback login end to end: a stand-in authorization server redirects a simulated
//! browser to the listener with a real HTTP 302, then checks the PKCE verifier at its token
//! endpoint.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use instantdb_http::Client;
use instantdb_http::http::Method;
use instantdb_oauth::{ErrorKind, LoopbackListener, OAuthClient, Scope, Scopes};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the stand-in answers the authorization request.
#[derive(Clone, Copy, PartialEq)]
enum Consent {
    Grant,
    /// Instant's deny redirect: `error=access_denied`, no `state`.
    Deny,
}

#[derive(Default)]
struct Record {
    start_query: Vec<(String, String)>,
    challenge: Option<String>,
    redirect_uri: Option<String>,
    token_requests: Vec<Value>,
}

/// A stand-in for Instant's `/platform/oauth/start` and `/platform/oauth/token`.
struct AuthServer {
    url: String,
    record: Arc<Mutex<Record>>,
}

const CODE: &str = "0b7e2c9a-5f1d-4e3a-9c8b-1a2b3c4d5e6f";
const ACCESS_TOKEN: &str = "pat_00112233445566778899aabbccddeeff";
const REFRESH_TOKEN: &str = "prt_ffeeddccbbaa99887766554433221100";
const CLIENT_SECRET: &str = "client-secret-4e5f";

impl AuthServer {
    async fn start(consent: Consent) -> AuthServer {
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

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap()
    }
}

async fn answer(
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
async fn browse(url: url::Url) -> (u16, String) {
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
async fn get(url: &str) -> (u16, String) {
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

fn client(server: &AuthServer, redirect_uri: &str) -> OAuthClient {
    OAuthClient::builder("test-client", redirect_uri)
        .api_uri(&server.url)
        .build()
        .unwrap()
}

fn confidential_client(server: &AuthServer, redirect_uri: &str) -> OAuthClient {
    OAuthClient::builder("test-client", redirect_uri)
        .api_uri(&server.url)
        .client_secret(CLIENT_SECRET)
        .build()
        .unwrap()
}

/// A public client's listener on a random port, asking for `apps-read`.
async fn listen(server: &AuthServer) -> LoopbackListener {
    client(server, "http://127.0.0.1:0/cb")
        .loopback_login(Scope::AppsRead)
        .start()
        .await
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn connection_refused(addr: SocketAddr) -> bool {
    // The accept task is aborted asynchronously; give it a moment.
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn pkce_login_through_a_real_redirect() {
    let server = AuthServer::start(Consent::Grant).await;
    let client = client(&server, "http://127.0.0.1:0/oauth/callback");
    let (page_tx, page_rx) = tokio::sync::oneshot::channel();
    let tokens = client
        .loopback_login([Scope::AppsRead, Scope::DataWrite])
        .on_authorization_url(move |url| {
            let url = url.clone();
            tokio::spawn(async move {
                let _ = page_tx.send(browse(url).await);
            });
        })
        .run()
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose(), ACCESS_TOKEN);
    assert!(
        tokens.refresh_token.is_none(),
        "PKCE grants no refresh token"
    );
    assert_eq!(
        tokens.scopes,
        Scopes::from([Scope::AppsRead, Scope::DataWrite])
    );

    let (status, page) = page_rx.await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You can close this window"), "{page}");

    let redirect_uri = check_recorded_pkce_login(&server);

    // The listener is gone.
    let addr: SocketAddr = redirect_uri["http://".len()..]
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(connection_refused(addr).await);
}

/// Checks what the stand-in saw of a PKCE login; returns the redirect URI sent.
fn check_recorded_pkce_login(server: &AuthServer) -> String {
    let record = server.record();
    let keys: Vec<&str> = record.start_query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "response_type",
            "code_challenge",
            "code_challenge_method"
        ]
    );
    assert_eq!(record.start_query[2].1, "apps-read data-write");
    // Port 0 in the redirect URI means "any port": the URI sent names the bound one.
    let redirect_uri = record.redirect_uri.clone().unwrap();
    assert!(redirect_uri.starts_with("http://127.0.0.1:") && !redirect_uri.contains(":0/"));
    let token_request = &record.token_requests[0];
    let keys: Vec<&String> = token_request.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "grant_type",
            "code",
            "redirect_uri",
            "client_id",
            "code_verifier"
        ]
    );
    assert_eq!(token_request["redirect_uri"], redirect_uri.as_str());
    redirect_uri
}

#[tokio::test]
async fn confidential_login_at_the_registered_port() {
    let server = AuthServer::start(Consent::Grant).await;
    let port = free_port();
    let redirect_uri = format!("http://127.0.0.1:{port}/cb");
    let client = confidential_client(&server, &redirect_uri);
    let listener = client
        .loopback_login(Scope::AppsRead)
        .start()
        .await
        .unwrap();
    assert_eq!(listener.local_addr().port(), port);
    assert_eq!(listener.redirect_uri(), redirect_uri);
    let url = listener.authorization_url().clone();
    let browser = tokio::spawn(browse(url));
    let tokens = listener.finish().await.unwrap();
    assert_eq!(browser.await.unwrap().0, 200);
    assert_eq!(
        tokens.refresh_token.as_ref().map(|t| t.expose()),
        Some(REFRESH_TOKEN)
    );
    let body = &server.record().token_requests[0];
    assert_eq!(body["client_secret"], CLIENT_SECRET);
    assert_eq!(body["redirect_uri"], redirect_uri.as_str());
}

#[tokio::test]
async fn a_mismatched_state_is_rejected_and_the_listener_keeps_waiting() {
    let server = AuthServer::start(Consent::Grant).await;
    let listener = client(&server, "http://127.0.0.1:0/cb")
        .loopback_login(Scope::AppsRead)
        .timeout(Duration::from_secs(20))
        .start()
        .await
        .unwrap();
    let base = listener.redirect_uri().to_owned();
    let url = listener.authorization_url().clone();
    let waiting = tokio::spawn(listener.finish());

    let (status, page) = get(&format!("{base}?code={CODE}&state=forged")).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("does not belong"), "{page}");
    let (status, _) = get(&format!("{base}?code={CODE}")).await;
    assert_eq!(status, 400, "a code without a state is rejected too");
    let (status, _) = get(&format!("{base}?code={CODE}&state=a&state=b")).await;
    assert_eq!(status, 400);
    // Other paths (the browser's favicon request) are 404 and change nothing.
    let (status, _) = get(&base.replace("/cb", "/favicon.ico")).await;
    assert_eq!(status, 404);
    assert!(!waiting.is_finished());

    let (status, _) = browse(url).await;
    assert_eq!(status, 200);
    let tokens = waiting.await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose(), ACCESS_TOKEN);
}

#[tokio::test]
async fn a_matching_callback_without_code_fails_the_login() {
    let server = AuthServer::start(Consent::Grant).await;
    let listener = listen(&server).await;
    let state = state_of(listener.authorization_url());
    let base = listener.redirect_uri().to_owned();
    let waiting = tokio::spawn(listener.finish());
    let (status, page) = get(&format!("{base}?state={state}&scope=apps-read")).await;
    assert_eq!(status, 400, "{page}");
    let err = waiting.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingCode, "{err}");
    assert!(server.record().token_requests.is_empty());
}

#[tokio::test]
async fn error_callbacks_become_typed_errors() {
    // Instant's deny redirect has no `state`.
    let server = AuthServer::start(Consent::Deny).await;
    let listener = listen(&server).await;
    let url = listener.authorization_url().clone();
    let waiting = tokio::spawn(listener.finish());
    let (status, page) = browse(url).await;
    assert_eq!(status, 200);
    assert!(page.contains("access_denied"), "{page}");
    let err = waiting.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authorization);
    assert!(err.is_access_denied());

    // An RFC-style error with a state, a description and HTML to escape.
    let listener = listen(&server).await;
    let state = state_of(listener.authorization_url());
    let base = listener.redirect_uri().to_owned();
    let waiting = tokio::spawn(listener.finish());
    let (status, page) = get(&format!(
        "{base}?error=invalid_request&error_description=%3Cb%3Ebad%3C%2Fb%3E&error_uri=https%3A%2F%2Fdocs&state={state}"
    ))
    .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("&lt;b&gt;bad&lt;/b&gt;") && !page.contains("<b>"),
        "{page}"
    );
    let err = waiting.await.unwrap().unwrap_err();
    assert_eq!(err.oauth_error(), Some("invalid_request"));
    assert_eq!(err.error_description(), Some("<b>bad</b>"));
    assert_eq!(err.error_uri(), Some("https://docs"));
    assert!(!err.is_access_denied());
}

#[tokio::test]
async fn the_login_times_out_and_closes_the_listener() {
    let server = AuthServer::start(Consent::Grant).await;
    let listener = client(&server, "http://127.0.0.1:0/cb")
        .loopback_login(Scope::AppsRead)
        .timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let addr = listener.local_addr();
    let started = Instant::now();
    let err = listener.finish().await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_timeout());
    assert!(
        elapsed >= Duration::from_millis(150) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    assert!(connection_refused(addr).await);
}

#[tokio::test]
async fn a_second_callback_after_completion_is_rejected() {
    let server = AuthServer::start(Consent::Grant).await;
    let listener = listen(&server).await;
    let state = state_of(listener.authorization_url());
    let addr = listener.local_addr();
    let base = listener.redirect_uri().to_owned();
    // A connection accepted before completion, whose request arrives after it.
    let mut late = TcpStream::connect(addr).await.unwrap();
    let url = listener.authorization_url().clone();
    let waiting = tokio::spawn(listener.finish());
    assert_eq!(browse(url).await.0, 200);
    let tokens = waiting.await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose(), ACCESS_TOKEN);

    let request = format!(
        "GET /cb?code=other-code&state={state} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    );
    late.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    late.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 409"), "{answer}");
    assert!(answer.contains("already finished"), "{answer}");
    // New connections are refused: the listener is closed.
    assert!(connection_refused(addr).await);
    let _ = base;
    assert_eq!(server.record().token_requests.len(), 1);
}

#[tokio::test]
async fn non_loopback_redirects_are_refused_before_binding() {
    for redirect in [
        "http://0.0.0.0:8976/cb",
        "http://192.168.1.10:8976/cb",
        "http://[::]:8976/cb",
        "http://login.example.com:8976/cb",
        "https://127.0.0.1:8976/cb",
    ] {
        let client = OAuthClient::new("test-client", redirect).unwrap();
        let err = client
            .loopback_login(Scope::AppsRead)
            .start()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{redirect}: {err}");
    }
    let err = OAuthClient::new("c", "http://0.0.0.0:8976/cb")
        .unwrap()
        .loopback_login(Scope::AppsRead)
        .run()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("refusing to listen"), "{err}");
}

#[tokio::test]
async fn a_taken_port_is_a_clear_error() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = taken.local_addr().unwrap().port();
    let client = OAuthClient::new("c", format!("http://127.0.0.1:{port}/cb")).unwrap();
    let err = client
        .loopback_login(Scope::AppsRead)
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

fn state_of(url: &url::Url) -> String {
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

/// Everything written to the test's tracing subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn secrets_stay_out_of_debug_display_and_tracing() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    // The test runtime is single-threaded, so every task logs through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = AuthServer::start(Consent::Grant).await;
    let client = confidential_client(&server, "http://127.0.0.1:0/cb");
    let listener = client
        .loopback_login(Scope::AppsRead)
        .start()
        .await
        .unwrap();
    let state = state_of(listener.authorization_url());
    let base = listener.redirect_uri().to_owned();
    let listener_debug = format!("{listener:?}");
    let url = listener.authorization_url().clone();
    let waiting = tokio::spawn(listener.finish());
    // A forged callback (logged as a warning) and the real one.
    assert_eq!(
        get(&format!("{base}?code=forged-code-1&state=forged"))
            .await
            .0,
        400
    );
    assert_eq!(browse(url).await.0, 200);
    let tokens = waiting.await.unwrap().unwrap();
    // A refresh the server refuses, echoing the refresh token in its hint.
    let err = client
        .exchange_refresh_token(&instantdb_http::Secret::new(REFRESH_TOKEN))
        .await
        .unwrap_err();
    assert!(
        server.record().token_requests[0]
            .get("code_verifier")
            .is_none(),
        "a confidential client sends its secret, not a verifier"
    );

    assert!(err.is_auth_failure(), "{err}");
    // The PKCE verifier, from a public client's login.
    let verifier = client_with_capture_check(&server).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("requesting OAuth tokens"), "{logs}");
    assert!(logs.contains("rejected an OAuth callback"), "{logs}");
    let shown = format!(
        "{logs}\n{tokens:?}\n{client:?}\n{listener_debug}\n{err}\n{err:?}\n{:?}",
        err.api_error().map(|api| api.hint().to_string())
    );
    for secret in [
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        CLIENT_SECRET,
        CODE,
        &state,
        &verifier,
    ] {
        assert!(!shown.contains(secret), "`{secret}` leaked:\n{shown}");
    }
}

/// Runs a PKCE login and returns the verifier it sent, after checking that no Debug output of
/// the login shows it.
async fn client_with_capture_check(server: &AuthServer) -> String {
    let listener = client(server, "http://127.0.0.1:0/cb")
        .loopback_login(Scope::AppsRead)
        .start()
        .await
        .unwrap();
    let shown = format!("{listener:?}");
    let url = listener.authorization_url().clone();
    let waiting = tokio::spawn(listener.finish());
    assert_eq!(browse(url).await.0, 200);
    waiting.await.unwrap().unwrap();
    let verifier = server
        .record()
        .token_requests
        .last()
        .and_then(|body| body["code_verifier"].as_str().map(str::to_owned))
        .unwrap();
    assert_eq!(verifier.len(), 64);
    assert!(!shown.contains(&verifier), "{shown}");
    verifier
}
