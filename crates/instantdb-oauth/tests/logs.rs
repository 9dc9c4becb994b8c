//! Secrets never reach `Debug`, `Display` or tracing output during logins, exchanges and
//! refused refreshes.
//!
//! A binary of its own: tracing caches per call site whether anyone listens, and a test on
//! another thread without a subscriber can make this test's thread-local subscriber miss
//! events; alone in its process, it sees every event.
#![allow(clippy::unwrap_used)]

#[path = "support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};

use instantdb_oauth::Scope;

use support::*;

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
