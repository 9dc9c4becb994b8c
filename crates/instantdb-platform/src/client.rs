//! `PlatformClient`: configuration, authentication and token refresh, and the request helpers
//! every call goes through.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};

use instantdb_http::http::header::{CONTENT_TYPE, HeaderName};
use instantdb_http::http::{HeaderMap, HeaderValue, Method};
use instantdb_http::{
    ApiPath, Client, ClientSettings, PROTOCOL_VERSION, RequestBuilder, RequestOptions, Secret,
};
use instantdb_oauth::{ClientCredentials, TokenSet};

use crate::Error;
use crate::webhooks::KeyCache;

/// Headers upstream's platform `jsonFetch` and the backups manager add to every request; the
/// versions are the SDK release whose protocol we speak ([`PROTOCOL_VERSION`]), as in every
/// instantdb-rs client.
const PLATFORM_HEADERS: [(&str, &str); 4] = [
    ("instant-platform-version", PROTOCOL_VERSION),
    ("instant-core-version", PROTOCOL_VERSION),
    ("x-instant-source", "platform-sdk"),
    ("x-instant-version", PROTOCOL_VERSION),
];

/// The platform headers the webhooks package does not send (it sends only
/// `instant-core-version`).
const NOT_SENT_BY_WEBHOOKS: [&str; 3] = [
    "instant-platform-version",
    "x-instant-source",
    "x-instant-version",
];

/// The hook called after every token refresh; see [`PlatformClientBuilder::on_refresh`].
type RefreshHook = Arc<dyn Fn(TokenSet) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A client for Instant's platform API: manage apps, schemas, permissions, backups and webhooks
/// on behalf of an Instant user.
///
/// Built from a [`PlatformClientBuilder`] (`PlatformClient::builder()`). Every call starts with a method
/// taking the call's required arguments, continues with setters for the optional ones, and ends
/// with `.send().await`:
///
/// ```no_run
/// use instantdb_platform::PlatformClient;
///
/// # async fn example() -> Result<(), instantdb_platform::Error> {
/// let api = PlatformClient::builder()
///     .token(std::env::var("INSTANT_PLATFORM_TOKEN").unwrap_or_default())
///     .api_uri("http://localhost:8888") // a self-hosted server; default https://api.instantdb.com
///     .build()?;
/// let apps = api.get_apps().include_schema(true).send().await?;
/// for app in &apps {
///     println!("{} {}", app.id, app.title);
/// }
/// # Ok(())
/// # }
/// ```
///
/// # Authentication
///
/// A plain token ([`PlatformClientBuilder::token`]) is an OAuth access token (`pat_…`), a personal
/// access token (`per_…`), or an app's admin token (which works on that app's endpoints only).
/// OAuth tokens with a refresh token and the OAuth client's credentials
/// ([`PlatformClientBuilder::oauth`]) are refreshed automatically, as upstream does: when a call fails
/// with HTTP 401, `record-expired`, or `record-not-found` of a token record, the client runs the
/// refresh grant once, calls the [`on_refresh`](PlatformClientBuilder::on_refresh) hook with the new
/// tokens, and repeats the call once. If the repeated call fails too, its error is returned.
/// Concurrent calls that fail with the same token share one refresh.
///
/// # Pooling and cloning
///
/// `PlatformClient` holds an `Arc`: clones are cheap and share the connection pool and the current
/// token, so clone it rather than wrapping it in an `Arc`. Request builders own a clone, so they
/// can be sent from spawned tasks.
#[doc(alias = "PlatformApi")]
#[derive(Clone)]
pub struct PlatformClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: Client,
    auth: Option<Auth>,
    webhook_keys: KeyCache,
}

enum Auth {
    Token(Secret),
    OAuth(OAuthAuth),
}

struct OAuthAuth {
    tokens: RwLock<TokenSet>,
    credentials: ClientCredentials,
    on_refresh: Option<RefreshHook>,
    /// Held while refreshing, so concurrent failures refresh once.
    refresh_lock: tokio::sync::Mutex<()>,
}

impl OAuthAuth {
    fn tokens(&self) -> TokenSet {
        self.tokens
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn can_refresh(&self) -> bool {
        self.tokens
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .refresh_token
            .is_some()
    }
}

/// The configuration of a [`PlatformClient`]; start with [`PlatformClient::builder`].
///
/// Besides the credentials, it has the transport settings every client builder of this SDK
/// has: `api_uri`, `timeout`, `connect_timeout`, `retry_policy`, `proxy`, `transport` and
/// `http_client`.
#[must_use]
pub struct PlatformClientBuilder {
    auth: Option<AuthConfig>,
    on_refresh: Option<RefreshHook>,
    http: ClientSettings,
}

instantdb_http::client_builder_settings!(PlatformClientBuilder.http);

enum AuthConfig {
    Token(Secret),
    OAuth {
        tokens: TokenSet,
        credentials: ClientCredentials,
    },
}

impl Default for PlatformClientBuilder {
    fn default() -> Self {
        PlatformClientBuilder::new()
    }
}

impl PlatformClientBuilder {
    /// No auth, the default server.
    pub fn new() -> PlatformClientBuilder {
        PlatformClientBuilder {
            auth: None,
            on_refresh: None,
            http: ClientSettings::default(),
        }
    }

    /// Authenticate with a fixed token: an OAuth access token (`pat_…`), a personal access
    /// token (`per_…`) or an app admin token. It is never refreshed.
    pub fn token(mut self, token: impl Into<Secret>) -> PlatformClientBuilder {
        self.auth = Some(AuthConfig::Token(token.into()));
        self
    }

    /// Authenticate with OAuth tokens from a confidential code exchange
    /// ([`instantdb_oauth::exchange_code_for_token`]). When `tokens` carries a refresh token,
    /// the access token is refreshed with `credentials` whenever the server refuses it.
    pub fn oauth(
        mut self,
        tokens: TokenSet,
        credentials: ClientCredentials,
    ) -> PlatformClientBuilder {
        self.auth = Some(AuthConfig::OAuth {
            tokens,
            credentials,
        });
        self
    }

    /// Called with the new tokens after every refresh, before the call that needed it is
    /// repeated, so they can be stored. The refresh token in the set is the one in use (the
    /// server does not rotate it).
    ///
    /// ```no_run
    /// use instantdb_platform::PlatformClient;
    /// use instantdb_oauth::{ClientCredentials, TokenSet};
    ///
    /// # fn example(stored: TokenSet) -> Result<(), instantdb_platform::Error> {
    /// let api = PlatformClient::builder()
    ///     .oauth(stored, ClientCredentials::new("client-id", "client-secret"))
    ///     .on_refresh(|tokens: TokenSet| async move {
    ///         // save tokens.access_token.expose() and tokens.expires_at somewhere safe
    ///         let _ = tokens;
    ///     })
    ///     .build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_refresh<F, Fut>(mut self, hook: F) -> PlatformClientBuilder
    where
        F: Fn(TokenSet) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_refresh = Some(Arc::new(move |tokens| Box::pin(hook(tokens))));
        self
    }

    /// Builds the client; connects to nothing. Fails on an invalid base URL or HTTP setting.
    pub fn build(self) -> Result<PlatformClient, Error> {
        // The SDK headers go on the client (not on each request) so that the OAuth refresh,
        // which sends through it, carries them as upstream's does.
        let mut headers = HeaderMap::new();
        for (name, value) in PLATFORM_HEADERS {
            headers.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let http = self.http.build()?.with_default_headers(&headers);
        let auth = self.auth.map(|auth| match auth {
            AuthConfig::Token(token) => Auth::Token(token),
            AuthConfig::OAuth {
                tokens,
                credentials,
            } => Auth::OAuth(OAuthAuth {
                tokens: RwLock::new(tokens),
                credentials,
                on_refresh: self.on_refresh,
                refresh_lock: tokio::sync::Mutex::new(()),
            }),
        });
        Ok(PlatformClient {
            inner: Arc::new(Inner {
                http,
                auth,
                webhook_keys: KeyCache::default(),
            }),
        })
    }
}

impl fmt::Debug for PlatformClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformClientBuilder")
            .field("http", &self.http)
            .field(
                "auth",
                &self.auth.as_ref().map(|auth| match auth {
                    AuthConfig::Token(_) => "token",
                    AuthConfig::OAuth { .. } => "oauth",
                }),
            )
            .finish_non_exhaustive()
    }
}

/// Which header set a request carries (upstream's packages differ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Headers {
    /// `jsonFetch` and the backups manager: the four SDK headers.
    Platform,
    /// The webhooks package: only `instant-core-version`, and `content-type: application/json`
    /// on every management call, bodies or not.
    Webhooks,
    /// The webhooks package's unauthenticated fetches (JWKS): only `instant-core-version`.
    CoreOnly,
}

impl PlatformClient {
    /// Starts a configuration.
    pub fn builder() -> PlatformClientBuilder {
        PlatformClientBuilder::new()
    }

    /// A client that authenticates with `token` against the default server; see
    /// [`PlatformClientBuilder::token`].
    pub fn new(token: impl Into<Secret>) -> Result<PlatformClient, Error> {
        PlatformClient::builder().token(token).build()
    }

    /// The server's base URL.
    pub fn api_uri(&self) -> &str {
        self.inner.http.base_url().as_str()
    }

    /// The HTTP client the API sends through (its base URL is the server, its default headers
    /// the SDK headers; it carries no token).
    pub fn http_client(&self) -> &Client {
        &self.inner.http
    }

    /// The access token requests are currently sent with (it changes after a refresh), or
    /// `None` without auth.
    pub fn access_token(&self) -> Option<Secret> {
        match self.inner.auth.as_ref()? {
            Auth::Token(token) => Some(token.clone()),
            Auth::OAuth(oauth) => Some(oauth.tokens().access_token),
        }
    }

    /// The current OAuth tokens (after any refresh), or `None` for plain-token auth.
    pub fn oauth_tokens(&self) -> Option<TokenSet> {
        match self.inner.auth.as_ref()? {
            Auth::Token(_) => None,
            Auth::OAuth(oauth) => Some(oauth.tokens()),
        }
    }

    /// Whether the token can be refreshed (OAuth auth with a refresh token). Fails without auth,
    /// as upstream's `canRefreshToken`.
    pub fn can_refresh_token(&self) -> Result<bool, Error> {
        match self.inner.auth.as_ref() {
            None => Err(Error::missing_auth()),
            Some(Auth::Token(_)) => Ok(false),
            Some(Auth::OAuth(oauth)) => Ok(oauth.can_refresh()),
        }
    }

    /// Refreshes the access token now (upstream's `refreshToken`): runs the refresh grant,
    /// switches the client to the new access token, calls the
    /// [`on_refresh`](PlatformClientBuilder::on_refresh) hook and returns the new tokens. `Ok(None)`
    /// when the token cannot be refreshed (plain-token auth, no refresh token).
    ///
    /// Unlike upstream, whose refresh helper ignores HTTP errors and carries on with an
    /// `undefined` token, a refused refresh is an error.
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient) -> Result<(), instantdb_platform::Error> {
    /// if let Some(tokens) = api.refresh_token().await? {
    ///     println!("new token valid until {:?}", tokens.expires_at);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn refresh_token(&self) -> Result<Option<TokenSet>, Error> {
        let oauth = match self.inner.auth.as_ref() {
            None => return Err(Error::missing_auth()),
            Some(Auth::Token(_)) => return Ok(None),
            Some(Auth::OAuth(oauth)) => oauth,
        };
        if !oauth.can_refresh() {
            return Ok(None);
        }
        let _guard = oauth.refresh_lock.lock().await;
        self.run_refresh(oauth).await.map(Some)
    }

    /// The refresh grant, the token switch and the hook. Call with `refresh_lock` held.
    async fn run_refresh(&self, oauth: &OAuthAuth) -> Result<TokenSet, Error> {
        let current = oauth.tokens();
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(Error::invalid_input(
                "the OAuth tokens have no refresh token",
            ));
        };
        tracing::debug!("refreshing the platform access token");
        let mut tokens = instantdb_oauth::exchange_refresh_token(
            &self.inner.http,
            &oauth.credentials,
            &refresh_token,
        )
        .await
        .map_err(Error::refresh)?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token);
        }
        *oauth
            .tokens
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = tokens.clone();
        if let Some(hook) = &oauth.on_refresh {
            hook(tokens.clone()).await;
        }
        Ok(tokens)
    }

    /// The token to send, or [`Error::is_missing_auth`].
    pub(crate) fn token(&self) -> Result<Secret, Error> {
        self.access_token().ok_or_else(Error::missing_auth)
    }

    /// Upstream's `withRetry`: runs `call` with the current token; if it fails in a way that
    /// calls for a refresh and the token can be refreshed, refreshes (unless a concurrent call
    /// already did) and runs it once more. The second failure is returned as is (upstream
    /// resolves `undefined` there).
    pub(crate) async fn with_auth<T, F, Fut>(&self, mut call: F) -> Result<T, Error>
    where
        F: FnMut(Secret) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let token = self.token()?;
        let err = match call(token.clone()).await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        let Some(Auth::OAuth(oauth)) = self.inner.auth.as_ref() else {
            return Err(err);
        };
        if !err.triggers_refresh() || !oauth.can_refresh() {
            return Err(err);
        }
        let fresh = {
            let _guard = oauth.refresh_lock.lock().await;
            let current = oauth.tokens().access_token;
            if current == token {
                self.run_refresh(oauth).await?.access_token
            } else {
                // Another call refreshed while this one was failing.
                current
            }
        };
        call(fresh).await
    }

    /// Refreshes once before a long operation if the token is refreshable, ignoring failures,
    /// as upstream's `schemaPush` does (its background polling cannot refresh midway).
    pub(crate) async fn refresh_up_front(&self) {
        if let Some(Auth::OAuth(oauth)) = self.inner.auth.as_ref()
            && oauth.can_refresh()
        {
            let _guard = oauth.refresh_lock.lock().await;
            if let Err(err) = self.run_refresh(oauth).await {
                tracing::debug!(error = %err, "up-front token refresh failed; continuing with the current token");
            }
        }
    }

    /// `method path` with the platform headers and the token, shaped by `adjust` (a body, a
    /// query), through [`with_auth`](PlatformClient::with_auth); decodes the JSON answer.
    pub(crate) async fn send_authed<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &ApiPath,
        options: &RequestOptions,
        adjust: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<T, Error> {
        self.with_auth(|token| {
            let request = adjust(self.request(
                method.clone(),
                path.clone(),
                Headers::Platform,
                Some(&token),
                options,
            ));
            async move { Ok(request.send_json().await?) }
        })
        .await
    }

    /// A request to `path` with the header set and, when given, the bearer token.
    pub(crate) fn request(
        &self,
        method: Method,
        path: ApiPath,
        headers: Headers,
        token: Option<&Secret>,
        options: &RequestOptions,
    ) -> RequestBuilder {
        let mut request = self.inner.http.request(method, path);
        request = adjust_headers(request, headers);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        options.apply(request)
    }

    pub(crate) fn webhook_keys(&self) -> &KeyCache {
        &self.inner.webhook_keys
    }
}

/// Removes or adds what differs from the client's default (platform) header set.
pub(crate) fn adjust_headers(mut request: RequestBuilder, headers: Headers) -> RequestBuilder {
    match headers {
        Headers::Platform => {}
        Headers::Webhooks | Headers::CoreOnly => {
            for name in NOT_SENT_BY_WEBHOOKS {
                request = request.without_header(HeaderName::from_static(name));
            }
            if headers == Headers::Webhooks {
                request =
                    request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
        }
    }
    request
}

impl fmt::Debug for PlatformClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match self.inner.auth.as_ref() {
            None => "none",
            Some(Auth::Token(_)) => "token",
            Some(Auth::OAuth(oauth)) if oauth.can_refresh() => "oauth (refreshable)",
            Some(Auth::OAuth(_)) => "oauth",
        };
        f.debug_struct("PlatformClient")
            .field("api_uri", &self.api_uri())
            .field("auth", &auth)
            .finish()
    }
}
