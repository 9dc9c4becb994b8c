//! Tokens never reach `Debug` output or logs, even at TRACE level with hyper and h2 logging.

use std::io::Write;
use std::sync::{Arc, Mutex};

use instantdb_http::{Client, Proxy, Secret};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

const TOKEN: &str = "per_0123456789abcdef-very-secret";
const AS_TOKEN: &str = "as-token-secret-value";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn secrets_are_absent_from_debug_and_tracing_output() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let debug_output = runtime.block_on(async {
        let token = Secret::new(TOKEN);
        let server = ScriptedServer::start().await;
        server.push(Reply::json(503, json!({})));
        server.push(Reply::json(200, json!({"ok": true})));
        server.push(Reply::json(400, json!({"type": "record-not-found", "message": format!("bad token {TOKEN}"),
            "hint": {"record-type": "app-admin-token", "args": [{"token": TOKEN}]}})));
        let client = crate::support::client(&server).bearer_auth(&token).build().unwrap();
        let builder = client
            .get("/admin/users")
            .query_secret("refresh_token", &Secret::new(AS_TOKEN))
            .secret_header("as-token", &Secret::new(AS_TOKEN));
        let builder_debug = format!("{builder:?}");
        let response = builder.send().await.unwrap();
        let response_debug = format!("{response:?}");
        let err = client.post("/admin/query").send().await.unwrap_err();
        tracing::info!(error = %err, "an error as an application would log it");

        // HTTP/2 over TLS too, where h2 logs frames.
        let (url, _tls) = crate::proxy_tls::tls_server().await;
        let tls_client = Client::builder()
            .base_url(url.as_str())
            .proxy(Proxy::none())
            .tls_native_roots(false)
            .add_root_certificates_pem(include_bytes!("../data/ca.pem"))
            .bearer_auth(&token)
            .build()
            .unwrap();
        let value: serde_json::Value = tls_client.get("/h2").send_json().await.unwrap();
        assert_eq!(value["auth"], true);
        format!("{token:?} {token} {client:?} {tls_client:?} {builder_debug} {response_debug} {err} {err:?}")
    });
    drop(_guard);
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    for secret in [TOKEN, AS_TOKEN] {
        assert!(
            !debug_output.contains(secret),
            "secret in Debug/Display output: {debug_output}"
        );
        assert!(!logs.contains(secret), "secret in tracing output:\n{logs}");
    }
    // The capture did see the requests, so the absence above means something.
    assert!(logs.contains("instantdb_http.request"), "{logs}");
    assert!(logs.contains("path=/admin/users"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert!(logs.contains("h2"), "no HTTP/2 logs captured:\n{logs}");
}
