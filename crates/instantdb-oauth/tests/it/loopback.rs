//! The loopback login end to end: a stand-in authorization server redirects a simulated
//! browser to the listener with a real HTTP 302, then checks the PKCE verifier at its token
//! endpoint.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use instantdb_oauth::{ErrorKind, OAuthClient, Scope, Scopes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

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

#[tokio::test]
async fn localhost_redirects_listen_on_loopback() {
    let server = AuthServer::start(Consent::Grant).await;
    let listener = client(&server, "http://localhost:0/cb")
        .loopback_login(Scope::AppsRead)
        .start()
        .await
        .unwrap();
    assert!(listener.local_addr().ip().is_loopback());
    let port = listener.local_addr().port();
    assert_eq!(
        listener.redirect_uri(),
        format!("http://localhost:{port}/cb")
    );
    let url = listener.authorization_url().clone();
    let waiting = tokio::spawn(listener.finish());
    assert_eq!(browse(url).await.0, 200);
    assert_eq!(
        waiting.await.unwrap().unwrap().access_token.expose(),
        ACCESS_TOKEN
    );
}
