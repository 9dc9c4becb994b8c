//! HTTPS with HTTP/2 via ALPN, custom roots, and proxies (CONNECT tunnel, absolute form).

use std::sync::Arc;

use http::Version;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use instantdb_http::{Client, Proxy, Secret};
use instantdb_test_support::{ConnectProxy, Reply, ScriptedServer};
use serde_json::json;
use tokio::net::TcpListener;

const CA: &[u8] = include_bytes!("../data/ca.pem");
const CERT: &[u8] = include_bytes!("../data/localhost.pem");
const KEY: &[u8] = include_bytes!("../data/localhost.key");

/// A TLS server offering h2 and http/1.1 that answers `{"version": "...", "auth": bool}`.
pub(crate) async fn tls_server() -> (String, tokio::task::JoinHandle<()>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(CERT)
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    // Deprecated from rustls 0.23.48 (no post-quantum key exchange), which a test server does
    // not need; allowed so a lock-file update does not break `clippy -D warnings`.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service =
                    service_fn(|request: http::Request<hyper::body::Incoming>| async move {
                        let body = json!({
                            "version": format!("{:?}", request.version()),
                            "auth": request.headers().contains_key("authorization"),
                        });
                        Ok::<_, std::convert::Infallible>(http::Response::new(
                            Full::new(bytes::Bytes::from(body.to_string())).boxed(),
                        ))
                    });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (format!("https://localhost:{port}"), task)
}

#[tokio::test]
async fn https_negotiates_http2_with_a_private_ca() {
    let (url, _server) = tls_server().await;
    let client = Client::builder()
        .base_url(url.as_str())
        .proxy(Proxy::none())
        .tls_native_roots(false)
        .add_root_certificates_pem(CA)
        .build()
        .unwrap();
    let response = client
        .get("/health")
        .bearer_auth(&Secret::new("tok"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let value: serde_json::Value = response.json().await.unwrap();
    assert_eq!(value, json!({"version": "HTTP/2.0", "auth": true}));
}

#[tokio::test]
async fn an_unknown_ca_is_a_connect_error_that_is_not_retried() {
    let (url, _server) = tls_server().await;
    let client = Client::builder()
        .base_url(url.as_str())
        .proxy(Proxy::none())
        .tls_native_roots(false)
        .build()
        .unwrap();
    let err = client.get("/health").send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(
        !err.is_transient_and_not_sent(),
        "a certificate error will not heal: {err:?}"
    );
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel() {
    let (url, _server) = tls_server().await;
    let proxy = ConnectProxy::start().await;
    let proxy_url = proxy.url().replace("http://", "http://user:pa%20ss@");
    let client = Client::builder()
        .base_url(url.as_str())
        .proxy(Proxy::custom().with_https(proxy_url))
        .tls_native_roots(false)
        .add_root_certificates_pem(CA)
        .build()
        .unwrap();
    let value: serde_json::Value = client.get("/health").send_json().await.unwrap();
    assert_eq!(value["version"], "HTTP/2.0");
    let seen = proxy.connections();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "CONNECT");
    assert_eq!(seen[0].target, url.trim_start_matches("https://"));
    // user:"pa ss" in Basic auth.
    assert_eq!(
        seen[0].proxy_authorization.as_deref(),
        Some("Basic dXNlcjpwYSBzcw==")
    );
}

#[tokio::test]
async fn http_goes_to_the_proxy_in_absolute_form_and_no_proxy_bypasses_it() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({"via": "proxy"})));
    server.push(Reply::json(200, json!({"via": "direct"})));
    let proxy = ConnectProxy::start().await;
    let client = Client::builder()
        .base_url(server.url())
        .proxy(Proxy::custom().with_http(proxy.url()))
        .build()
        .unwrap();
    let value: serde_json::Value = client
        .get("/superadmin/apps")
        .query("a", "b")
        .send_json()
        .await
        .unwrap();
    assert_eq!(value["via"], "proxy");
    let seen = proxy.connections();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, server.addr().to_string());
    assert_eq!(
        server.requests()[0].path_and_query(),
        "/superadmin/apps?a=b"
    );

    let bypass = Client::builder()
        .base_url(server.url())
        .proxy(
            Proxy::custom()
                .with_http(proxy.url())
                .with_no_proxy("127.0.0.1"),
        )
        .build()
        .unwrap();
    let value: serde_json::Value = bypass.get("/x").send_json().await.unwrap();
    assert_eq!(value["via"], "direct");
    assert_eq!(proxy.connections().len(), 1);
}
