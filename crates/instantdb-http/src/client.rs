//! The client and its configuration.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method};

use crate::headers::HeaderSet;
use crate::hyper_transport::{HyperConfig, HyperTransport};
use crate::secret::Redactor;
use crate::transport::Transport;
use crate::{ApiPath, BaseUrl, Error, Proxy, RequestBuilder, RetryBudget, RetryPolicy, Secret};

/// The release of the official JavaScript SDKs (`@instantdb/core`, `@instantdb/admin`,
/// `@instantdb/platform`) whose wire protocol the instantdb-rs clients implement.
///
/// Every client sends it where upstream sends its own package version: the
/// `instant-core-version`, `instant-admin-version`, `instant-platform-version` and
/// `x-instant-version` headers and the live-query `versions`. The server records these headers;
/// sending the version whose requests we reproduce byte for byte (not our crate version) means a
/// server that gates behaviour on client versions treats us like that SDK. Which software sent
/// a request is the `user-agent`'s job: `instantdb-rs/<crate version>`.
///
/// Raise it only together with the conformance suites' npm packages (`conformance/npm`), once
/// the crates speak that release's protocol.
pub const PROTOCOL_VERSION: &str = "v1.0.67";

/// The default `user-agent`: our name and crate version (the SDK headers carry
/// [`PROTOCOL_VERSION`]).
const DEFAULT_USER_AGENT: &str = concat!("instantdb-rs/", env!("CARGO_PKG_VERSION"));

/// An HTTP client bound to one Instant server.
///
/// Holds the base URL, the headers every request carries (SDK name and version, auth), the
/// timeouts, the retry policy and budget, and the transport with its connection pool. Cloning
/// is cheap and clones share the pool, so build one client and pass clones around instead of
/// wrapping it in an `Arc`.
///
/// Requests start with [`Client::get`], [`Client::post`], [`Client::put`],
/// [`Client::delete`] or [`Client::request`] and end with
/// [`send`](RequestBuilder::send) or [`send_json`](RequestBuilder::send_json).
///
/// ```no_run
/// use std::time::Duration;
/// use instantdb_http::{Client, Secret};
///
/// # async fn example() -> Result<(), instantdb_http::Error> {
/// let client = Client::builder()
///     .base_url("http://localhost:8888")
///     .default_header("instant-admin-version", instantdb_http::PROTOCOL_VERSION)
///     .bearer_auth(&Secret::new("admin-token"))
///     .timeout(Duration::from_secs(30))
///     .build()?;
/// let result: serde_json::Value = client
///     .post("/admin/query")
///     .query("app_id", "my-app-id")
///     .json(&serde_json::json!({"query": {"goals": {}}}))
///     .idempotent(true)
///     .send_json()
///     .await?;
/// # Ok(())
/// # }
/// ```
///
/// # Defaults
///
/// Base URL [`DEFAULT_API_URI`](crate::DEFAULT_API_URI); connect timeout 10 s; total timeout
/// 60 s per attempt (until the response head, and for buffered bodies until the last byte);
/// idle-read timeout 60 s between chunks of a body (Instant's SSE streams send a keep-alive
/// every 15 s); [`RetryPolicy::default`]; [`RetryBudget::default`]; proxies from the environment;
/// the OS trust store; `user-agent: instantdb-rs/<version>`.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) base_url: BaseUrl,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) headers: HeaderMap,
    pub(crate) redactor: Redactor,
    pub(crate) timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    /// Shared with the clients derived by [`Client::with_base_url`] and
    /// [`Client::with_default_headers`]: one budget per pool.
    pub(crate) budget: Arc<RetryBudget>,
}

impl Client {
    /// A client for `base_url` with every other setting at its default.
    pub fn new(base_url: impl IntoBaseUrl) -> Result<Client, Error> {
        Client::builder().base_url(base_url).build()
    }

    /// Starts a configuration.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The base URL every path is joined to.
    pub fn base_url(&self) -> &BaseUrl {
        &self.shared.base_url
    }

    /// A client sharing this one's transport, connection pool, retry budget and settings, that
    /// sends to another server. Client builders use it so that an [`http_client`] given to them
    /// still follows their `api_uri`.
    ///
    /// [`http_client`]: crate::ClientSettings::http_client
    pub fn with_base_url(&self, base_url: impl IntoBaseUrl) -> Result<Client, Error> {
        let base_url = base_url.into_base_url()?;
        Ok(self.derive(|shared| shared.base_url = base_url))
    }

    /// A client sharing this one's transport, pool and settings that also sends `headers` with
    /// every request (replacing default headers of the same name). The platform client adds its
    /// SDK headers this way to a client it was given.
    pub fn with_default_headers(&self, headers: &HeaderMap) -> Client {
        self.derive(|shared| {
            for (name, value) in headers {
                shared.headers.insert(name.clone(), value.clone());
            }
        })
    }

    fn derive(&self, change: impl FnOnce(&mut Shared)) -> Client {
        let current = &self.shared;
        let mut shared = Shared {
            base_url: current.base_url.clone(),
            transport: current.transport.clone(),
            headers: current.headers.clone(),
            redactor: current.redactor.clone(),
            timeout: current.timeout,
            read_timeout: current.read_timeout,
            retry: current.retry.clone(),
            budget: current.budget.clone(),
        };
        change(&mut shared);
        Client {
            shared: Arc::new(shared),
        }
    }

    /// Starts a request to `path` under the base URL.
    pub fn request(&self, method: Method, path: impl Into<ApiPath>) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, path.into())
    }

    /// Starts a request to an absolute URL, such as a presigned storage URL handed out by the
    /// server. The client's default headers are **not** sent (they carry the Instant token,
    /// which must not reach a third-party host); only `user-agent` is.
    ///
    /// ```no_run
    /// # async fn example(client: instantdb_http::Client) -> Result<(), instantdb_http::Error> {
    /// let presigned = url::Url::parse("https://bucket.s3.amazonaws.com/a.png?X-Amz-Signature=…")
    ///     .expect("a URL");
    /// client
    ///     .request_url(http::Method::PUT, presigned)
    ///     .header("content-type", "image/png")
    ///     .body(std::fs::read("a.png").expect("the file"))
    ///     .expect_any_success()
    ///     .send()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn request_url(&self, method: Method, url: url::Url) -> RequestBuilder {
        RequestBuilder::new_absolute(self.clone(), method, url)
    }

    /// `GET path`.
    pub fn get(&self, path: impl Into<ApiPath>) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: impl Into<ApiPath>) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: impl Into<ApiPath>) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// `DELETE path`.
    pub fn delete(&self, path: impl Into<ApiPath>) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .shared
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if value.is_sensitive() {
                    "***"
                } else {
                    value.to_str().unwrap_or("<binary>")
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("Client")
            .field("base_url", &self.shared.base_url)
            .field("headers", &headers)
            .field("timeout", &self.shared.timeout)
            .field("read_timeout", &self.shared.read_timeout)
            .field("retry", &self.shared.retry)
            .field("transport", &self.shared.transport)
            .finish()
    }
}

/// Anything that names a base URL: `&str`, `String`, [`BaseUrl`].
pub trait IntoBaseUrl {
    /// Converts (parsing and normalising strings).
    fn into_base_url(self) -> Result<BaseUrl, Error>;

    /// Like [`into_base_url`](IntoBaseUrl::into_base_url), but a blank string is `None`: the
    /// client builders' `api_uri` treats it as "the default server", as upstream's SDKs treat
    /// an empty `apiURI`.
    fn into_optional_base_url(self) -> Result<Option<BaseUrl>, Error>
    where
        Self: Sized,
    {
        self.into_base_url().map(Some)
    }
}

impl IntoBaseUrl for BaseUrl {
    fn into_base_url(self) -> Result<BaseUrl, Error> {
        Ok(self)
    }
}

impl IntoBaseUrl for &BaseUrl {
    fn into_base_url(self) -> Result<BaseUrl, Error> {
        Ok(self.clone())
    }
}

impl IntoBaseUrl for &str {
    fn into_base_url(self) -> Result<BaseUrl, Error> {
        BaseUrl::parse(self)
    }

    fn into_optional_base_url(self) -> Result<Option<BaseUrl>, Error> {
        if self.trim().is_empty() {
            return Ok(None);
        }
        self.into_base_url().map(Some)
    }
}

impl IntoBaseUrl for String {
    fn into_base_url(self) -> Result<BaseUrl, Error> {
        BaseUrl::parse(&self)
    }

    fn into_optional_base_url(self) -> Result<Option<BaseUrl>, Error> {
        if self.trim().is_empty() {
            return Ok(None);
        }
        self.into_base_url().map(Some)
    }
}

impl IntoBaseUrl for &String {
    fn into_base_url(self) -> Result<BaseUrl, Error> {
        BaseUrl::parse(self)
    }

    fn into_optional_base_url(self) -> Result<Option<BaseUrl>, Error> {
        if self.trim().is_empty() {
            return Ok(None);
        }
        self.into_base_url().map(Some)
    }
}

/// Configuration of a [`Client`]; see [`Client::builder`].
///
/// Setters record the first invalid value (a header that is not valid HTTP, a base URL that
/// does not parse) and [`ClientBuilder::build`] reports it.
pub struct ClientBuilder {
    base_url: Result<BaseUrl, Error>,
    headers: HeaderSet,
    timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    retry: RetryPolicy,
    budget: RetryBudget,
    hyper: HyperConfig,
    transport: Option<Arc<dyn Transport>>,
}

impl ClientBuilder {
    fn new() -> ClientBuilder {
        let mut headers = HeaderSet::default();
        headers
            .map
            .insert(USER_AGENT, HeaderValue::from_static(DEFAULT_USER_AGENT));
        ClientBuilder {
            base_url: Ok(BaseUrl::default()),
            headers,
            timeout: Some(Duration::from_secs(60)),
            read_timeout: Some(Duration::from_secs(60)),
            retry: RetryPolicy::default(),
            budget: RetryBudget::default(),
            hyper: HyperConfig::default(),
            transport: None,
        }
    }

    /// The server (default [`DEFAULT_API_URI`](crate::DEFAULT_API_URI)).
    pub fn base_url(mut self, base_url: impl IntoBaseUrl) -> ClientBuilder {
        self.base_url = base_url.into_base_url();
        self
    }

    /// A header sent with every request (SDK name and version headers, `app-id`…). A request's
    /// own header of the same name replaces it.
    pub fn default_header<K, V>(mut self, name: K, value: V) -> ClientBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        self.headers.set(name, value);
        self
    }

    /// A header with a secret value sent with every request (e.g. `as-token`): marked
    /// sensitive and scrubbed from errors.
    pub fn default_secret_header<K>(mut self, name: K, secret: &Secret) -> ClientBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
    {
        self.headers.set_secret(name, secret);
        self
    }

    /// `authorization: Bearer <token>` on every request.
    pub fn bearer_auth(mut self, token: &Secret) -> ClientBuilder {
        self.headers.bearer(token);
        self
    }

    /// The `user-agent` (default `instantdb-rs/<version>`).
    pub fn user_agent(self, user_agent: &str) -> ClientBuilder {
        self.default_header(USER_AGENT, user_agent)
    }

    /// Total time allowed per attempt: until the response head, and for buffered bodies
    /// (`json`, `bytes`, `text`) until the last byte. `None` disables it. Default 60 s.
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> ClientBuilder {
        self.timeout = timeout.into();
        self
    }

    /// Time allowed to establish a TCP connection. Default 10 s.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> ClientBuilder {
        self.hyper.connect_timeout = timeout.into();
        self
    }

    /// Longest silence between two chunks of a response body (streams included). Default 60 s.
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> ClientBuilder {
        self.read_timeout = timeout.into();
        self
    }

    /// How long an idle pooled connection is kept. Default 90 s.
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> ClientBuilder {
        self.hyper.pool_idle_timeout = timeout.into();
        self
    }

    /// Idle connections kept per host. Default 16.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> ClientBuilder {
        self.hyper.pool_max_idle_per_host = max;
        self
    }

    /// The retry policy of requests that set none themselves.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// The retry budget shared by all requests of the client.
    pub fn retry_budget(mut self, budget: RetryBudget) -> ClientBuilder {
        self.budget = budget;
        self
    }

    /// Proxy settings (default: from the environment).
    pub fn proxy(mut self, proxy: Proxy) -> ClientBuilder {
        self.hyper.proxy = proxy;
        self
    }

    /// Trust the OS certificate store (default true).
    pub fn tls_native_roots(mut self, enabled: bool) -> ClientBuilder {
        self.hyper.native_roots = enabled;
        self
    }

    /// Trust the bundled Mozilla roots (default true when the `webpki-roots` feature is on).
    #[cfg(feature = "webpki-roots")]
    pub fn tls_webpki_roots(mut self, enabled: bool) -> ClientBuilder {
        self.hyper.webpki_roots = enabled;
        self
    }

    /// Also trust the certificates of a PEM bundle, e.g. a self-hosted server's private CA.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> ClientBuilder {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            match cert {
                Ok(cert) => {
                    self.hyper.extra_roots.push(cert);
                    found += 1;
                }
                Err(err) => {
                    self.headers
                        .fail(Error::builder(format!("invalid PEM certificate: {err}")));
                    return self;
                }
            }
        }
        if found == 0 {
            self.headers
                .fail(Error::builder("the PEM bundle contains no certificate"));
        }
        self
    }

    /// Also trust one DER-encoded certificate.
    pub fn add_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> ClientBuilder {
        self.hyper
            .extra_roots
            .push(rustls::pki_types::CertificateDer::from(der.into()));
        self
    }

    /// Refuse plain `http://` URLs (default false: self-hosted servers often run on
    /// `http://localhost`).
    pub fn https_only(mut self, enabled: bool) -> ClientBuilder {
        self.hyper.https_only = enabled;
        self
    }

    /// Replaces the default hyper transport, e.g. with [`transport_fn`](crate::transport_fn) in
    /// tests. The connection settings (proxy, TLS, pool, connect timeout) then do not apply.
    pub fn transport(mut self, transport: impl Transport) -> ClientBuilder {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Builds the client. Fails on an invalid setting; connects to nothing.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(err) = self.headers.error {
            return Err(err);
        }
        let base_url = self.base_url?;
        if self.hyper.https_only && base_url.as_str().starts_with("http:") {
            return Err(Error::builder(
                "the base URL uses http but the client is https-only",
            ));
        }
        let transport: Arc<dyn Transport> = match self.transport {
            Some(transport) => transport,
            None => Arc::new(HyperTransport::new(self.hyper)?),
        };
        Ok(Client {
            shared: Arc::new(Shared {
                base_url,
                transport,
                headers: self.headers.map,
                redactor: self.headers.redactor,
                timeout: self.timeout,
                read_timeout: self.read_timeout,
                retry: self.retry,
                budget: Arc::new(self.budget),
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url.as_ref().ok())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
