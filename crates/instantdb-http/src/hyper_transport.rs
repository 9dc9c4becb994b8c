//! The default transport: hyper-util's pooled client over a proxy-aware rustls connector.
//!
//! This module is the only place hyper, hyper-util, hyper-rustls and rustls types are named;
//! nothing here is public.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Uri, header};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use tokio::net::TcpStream;

use crate::proxy::ProxyMatcher;
use crate::transport::{BoxFuture, Transport};
use crate::{Body, Error};

/// Settings of the default transport, filled in by [`ClientBuilder`](crate::ClientBuilder).
#[derive(Clone)]
pub(crate) struct HyperConfig {
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) pool_idle_timeout: Option<Duration>,
    pub(crate) pool_max_idle_per_host: usize,
    pub(crate) proxy: crate::Proxy,
    pub(crate) native_roots: bool,
    pub(crate) webpki_roots: bool,
    pub(crate) extra_roots: Vec<CertificateDer<'static>>,
    pub(crate) https_only: bool,
}

impl Default for HyperConfig {
    fn default() -> HyperConfig {
        HyperConfig {
            connect_timeout: Some(Duration::from_secs(10)),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            pool_max_idle_per_host: 16,
            proxy: crate::Proxy::from_env(),
            native_roots: true,
            webpki_roots: cfg!(feature = "webpki-roots"),
            extra_roots: Vec::new(),
            https_only: false,
        }
    }
}

pub(crate) struct HyperTransport {
    client: HyperClient<Connector, Body>,
    proxy: Option<Arc<ProxyMatcher>>,
}

impl HyperTransport {
    pub(crate) fn new(config: HyperConfig) -> Result<HyperTransport, Error> {
        let tls = Arc::new(tls_config(&config)?);
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(config.connect_timeout);
        let proxy = config.proxy.matcher().map(Arc::new);
        let connector = Connector {
            direct: https_connector(&tls, http.clone(), config.https_only),
            http,
            tls,
            proxy: proxy.clone(),
            https_only: config.https_only,
        };
        let mut builder = HyperClient::builder(TokioExecutor::new());
        // Without a timer hyper-util silently ignores the idle timeout and HTTP/2 keep-alive.
        builder
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host);
        Ok(HyperTransport {
            client: builder.build(connector),
            proxy,
        })
    }
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("proxy", &self.proxy.is_some())
            .finish_non_exhaustive()
    }
}

impl Transport for HyperTransport {
    fn send(
        &self,
        mut request: http::Request<Body>,
    ) -> BoxFuture<'_, Result<http::Response<Body>, Error>> {
        // Plain-HTTP requests through a proxy carry the proxy's credentials themselves; HTTPS
        // ones send them in the CONNECT request (see `Connector`).
        if request.uri().scheme_str() == Some("http")
            && let Some(auth) = self
                .proxy
                .as_ref()
                .and_then(|m| m.intercept(request.uri()))
                .and_then(|i| i.basic_auth().cloned())
        {
            let mut auth: HeaderValue = auth;
            auth.set_sensitive(true);
            request
                .headers_mut()
                .insert(header::PROXY_AUTHORIZATION, auth);
        }
        let future = self.client.request(request);
        Box::pin(async move {
            match future.await {
                Ok(response) => Ok(response.map(Body::from_http_body)),
                Err(err) if err.is_connect() => Err(Error::connect(err)),
                Err(err) => Err(Error::transport(err)),
            }
        })
    }
}

fn https_connector<H>(
    tls: &Arc<rustls::ClientConfig>,
    inner: H,
    https_only: bool,
) -> HttpsConnector<H> {
    let builder = HttpsConnectorBuilder::new().with_tls_config((**tls).clone());
    let builder = if https_only {
        builder.https_only()
    } else {
        builder.https_or_http()
    };
    builder.enable_http1().enable_http2().wrap_connector(inner)
}

fn tls_config(config: &HyperConfig) -> Result<rustls::ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    if config.native_roots {
        roots.roots.extend(native_roots().roots.iter().cloned());
    }
    #[cfg(feature = "webpki-roots")]
    if config.webpki_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    let _ = config.webpki_roots;
    for cert in &config.extra_roots {
        roots
            .add(cert.clone())
            .map_err(|err| Error::builder(format!("invalid root certificate: {err}")))?;
    }
    if roots.is_empty() {
        tracing::warn!("no TLS root certificates: https requests will fail to verify");
    }
    // The provider is passed explicitly: relying on rustls picking the process default panics
    // when both ring and aws-lc-rs end up enabled in a binary (rustls/rustls#2070). An
    // application that installed one (`CryptoProvider::install_default`, e.g. aws-lc-rs for
    // post-quantum key exchange) gets it; otherwise ring, the workspace's one crypto library.
    let provider = match rustls::crypto::CryptoProvider::get_default() {
        Some(installed) => Arc::clone(installed),
        None => Arc::new(ring_provider()),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::builder(format!("TLS configuration: {err}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// rustls's ring provider. rustls 0.23.48 deprecated `ring::default_provider` because ring has no
/// post-quantum key exchange, and 0.23 offers no other way to build a ring provider; users who
/// want post-quantum key exchange install aws-lc-rs as the process default (see `tls_config`).
/// The lint is allowed here, at the one call, so the workspace's locked rustls (0.23.46, where
/// it is not deprecated) and a user's newer one both build without warnings.
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The OS trust store, read once per process: reading it costs milliseconds and it does not
/// change under a running program.
fn native_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let result = rustls_native_certs::load_native_certs();
        for err in &result.errors {
            tracing::debug!(error = %err, "skipping part of the OS trust store");
        }
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(result.certs);
        tracing::debug!(added, ignored, "loaded OS root certificates");
        roots
    })
}

/// Chooses, per destination, between a direct connection, a CONNECT tunnel through a proxy
/// (HTTPS destinations) and a plain connection to a proxy (HTTP destinations, absolute-form
/// requests).
#[derive(Clone)]
struct Connector {
    direct: HttpsConnector<HttpConnector>,
    http: HttpConnector,
    tls: Arc<rustls::ClientConfig>,
    proxy: Option<Arc<ProxyMatcher>>,
    https_only: bool,
}

type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

impl tower_service::Service<Uri> for Connector {
    type Response = Conn;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let intercept = self.proxy.as_ref().and_then(|m| m.intercept(&dst));
        match intercept {
            None => {
                let connecting = tower_service::Service::call(&mut self.direct, dst);
                Box::pin(async move {
                    Ok(Conn {
                        stream: connecting.await?,
                        proxied_http: false,
                    })
                })
            }
            Some(intercept) if dst.scheme_str() == Some("https") => {
                let mut tunnel = Tunnel::new(intercept.uri().clone(), self.http.clone());
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let mut tls = https_connector(&self.tls, tunnel, self.https_only);
                Box::pin(async move {
                    Ok(Conn {
                        stream: tower_service::Service::call(&mut tls, dst).await?,
                        proxied_http: false,
                    })
                })
            }
            Some(intercept) => {
                let proxy = intercept.uri().clone();
                let connecting = tower_service::Service::call(&mut self.http, proxy);
                Box::pin(async move {
                    Ok(Conn {
                        stream: MaybeHttpsStream::Http(connecting.await?),
                        proxied_http: true,
                    })
                })
            }
        }
    }
}

/// A connection, remembering whether it goes to an HTTP proxy (hyper-util then sends
/// absolute-form request targets).
struct Conn {
    stream: Stream,
    proxied_http: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        self.stream.connected().proxy(self.proxied_http)
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
}
