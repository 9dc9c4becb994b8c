//! The loopback login of RFC 8252 for native apps and CLIs: a one-shot HTTP listener on the
//! redirect URI's loopback address receives the authorization code.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use instantdb_http::Secret;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use url::{Host, Url};

use crate::{Error, OAuthClient, PendingAuthorization, Scopes, TokenSet};

/// How long a loopback login waits for the browser to come back, by default.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

/// How long one connection to the listener may take, so a client that connects and says
/// nothing does not keep a task alive after the login.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

type UrlHandler = Box<dyn FnOnce(&Url) + Send>;

impl OAuthClient {
    /// A loopback login (RFC 8252) for a native app or CLI, asking for `scopes`.
    ///
    /// The redirect URI must be an `http` URL on a loopback host: `127.0.0.1` (recommended),
    /// `[::1]` or `localhost`. Instant accepts only redirect URIs registered exactly, port
    /// included, so the listener binds the port the URI names; a URI with port `0` (which
    /// Instant's server only accepts if that exact URI is registered, so in practice a
    /// self-hosted server that allows it) gets a random free port instead. Any other host is
    /// refused: the listener would be reachable from the network.
    ///
    /// ```no_run
    /// use instantdb_oauth::{OAuthClient, Scope};
    ///
    /// # async fn example() -> Result<(), instantdb_oauth::Error> {
    /// let client = OAuthClient::builder("6b1f0c52-…", "http://127.0.0.1:8976/oauth/callback")
    ///     .api_uri("https://instant.example.com")
    ///     .build()?;
    /// let tokens = client.loopback_login([Scope::AppsRead]).run().await?;
    /// println!("granted: {}", tokens.scopes);
    /// # Ok(())
    /// # }
    /// ```
    pub fn loopback_login(&self, scopes: impl Into<Scopes>) -> LoopbackLogin {
        LoopbackLogin {
            client: self.clone(),
            scopes: scopes.into(),
            timeout: DEFAULT_LOGIN_TIMEOUT,
            open_browser: true,
            on_url: None,
        }
    }
}

/// A loopback login being configured; see [`OAuthClient::loopback_login`].
///
/// [`run`](LoopbackLogin::run) does everything: binds the listener, opens the browser on the
/// authorization URL (or prints the URL to stderr when no browser can be opened, the one
/// place this crate writes to the terminal), waits for the one callback whose `state`
/// matches, answers it with a page saying the window can be closed, shuts the listener down
/// and exchanges the code. [`start`](LoopbackLogin::start) stops after binding, for callers
/// that present the URL themselves.
pub struct LoopbackLogin {
    client: OAuthClient,
    scopes: Scopes,
    timeout: Duration,
    open_browser: bool,
    on_url: Option<UrlHandler>,
}

impl LoopbackLogin {
    /// How long to wait for the callback, counted from when the listener is bound (default
    /// [`DEFAULT_LOGIN_TIMEOUT`], 5 minutes).
    pub fn timeout(mut self, timeout: Duration) -> LoopbackLogin {
        self.timeout = timeout;
        self
    }

    /// Whether [`run`](LoopbackLogin::run) tries to open the system browser (default true;
    /// only with the `browser` feature). When it does not or cannot, it prints the URL.
    pub fn open_browser(mut self, open: bool) -> LoopbackLogin {
        self.open_browser = open;
        self
    }

    /// Hands the authorization URL to `handler` instead of opening a browser or printing: to
    /// show it in a GUI, or to drive the login in a test. Like
    /// [`open_browser`](LoopbackLogin::open_browser), it applies to
    /// [`run`](LoopbackLogin::run); after [`start`](LoopbackLogin::start) the caller presents
    /// [`LoopbackListener::authorization_url`] itself.
    pub fn on_authorization_url(
        mut self,
        handler: impl FnOnce(&Url) + Send + 'static,
    ) -> LoopbackLogin {
        self.on_url = Some(Box::new(handler));
        self
    }

    /// Binds the listener and prepares the authorization URL, without presenting it. Call
    /// [`LoopbackListener::finish`] to wait for the callback.
    ///
    /// Fails with [`ErrorKind::Config`](crate::ErrorKind::Config) for a redirect URI that is
    /// not `http` on a loopback host, and with [`ErrorKind::Io`](crate::ErrorKind::Io) when the
    /// port is taken.
    pub async fn start(self) -> Result<LoopbackListener, Error> {
        let target = LoopbackTarget::parse(self.client.redirect_uri())?;
        let (listeners, local_addr) = target.bind().await?;
        let redirect_uri = if target.port == 0 {
            target.with_port(local_addr.port())
        } else {
            self.client.redirect_uri().to_owned()
        };
        let (url, pending) = self
            .client
            .authorization_url_for(self.scopes, &redirect_uri)?;
        let (sender, receiver) = oneshot::channel();
        let shared = Arc::new(Shared {
            expected_state: pending.state().clone(),
            path: target.path,
            outcome: Mutex::new(Some(sender)),
            accept_tasks: Mutex::new(Vec::new()),
        });
        {
            let mut tasks = lock(&shared.accept_tasks);
            for listener in listeners {
                let task = tokio::spawn(accept_loop(listener, shared.clone()));
                tasks.push(task.abort_handle());
            }
        }
        tracing::debug!(%local_addr, "OAuth loopback listener bound");
        Ok(LoopbackListener {
            client: self.client,
            pending,
            url,
            redirect_uri,
            local_addr,
            receiver,
            deadline: tokio::time::Instant::now() + self.timeout,
            timeout: self.timeout,
            shutdown: Shutdown(shared),
            open_browser: self.open_browser,
            on_url: self.on_url,
        })
    }

    /// Runs the whole login: [`start`](LoopbackLogin::start), present the URL, then
    /// [`LoopbackListener::finish`].
    pub async fn run(self) -> Result<TokenSet, Error> {
        let mut listener = self.start().await?;
        let on_url = listener.on_url.take();
        present(&listener.url, on_url, listener.open_browser).await;
        listener.finish().await
    }
}

impl fmt::Debug for LoopbackLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackLogin")
            .field("client", &self.client)
            .field("scopes", &self.scopes)
            .field("timeout", &self.timeout)
            .field("open_browser", &self.open_browser)
            .finish_non_exhaustive()
    }
}

/// A bound loopback listener waiting for its callback; see [`LoopbackLogin::start`].
///
/// Dropping it shuts the listener down.
pub struct LoopbackListener {
    client: OAuthClient,
    pending: PendingAuthorization,
    url: Url,
    redirect_uri: String,
    local_addr: SocketAddr,
    receiver: oneshot::Receiver<Outcome>,
    deadline: tokio::time::Instant,
    timeout: Duration,
    shutdown: Shutdown,
    open_browser: bool,
    on_url: Option<UrlHandler>,
}

impl LoopbackListener {
    /// The URL to open in the user's browser.
    pub fn authorization_url(&self) -> &Url {
        &self.url
    }

    /// The redirect URI sent (the configured one, or with the bound port if it named port 0).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits for the callback whose `state` matches (callbacks with another state are
    /// answered 400 and ignored), shuts the listener down, and exchanges the code for tokens.
    ///
    /// Fails with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when no matching callback
    /// came in time, [`ErrorKind::Authorization`](crate::ErrorKind::Authorization) when the
    /// server redirected with `error=…` (the user denied access:
    /// [`Error::is_access_denied`]), and [`ErrorKind::MissingCode`](crate::ErrorKind::MissingCode)
    /// for a matching callback with neither a code nor an error.
    pub async fn finish(self) -> Result<TokenSet, Error> {
        let LoopbackListener {
            client,
            pending,
            receiver,
            deadline,
            timeout,
            shutdown,
            ..
        } = self;
        let received = tokio::time::timeout_at(deadline, receiver).await;
        drop(shutdown);
        let outcome = match received {
            Err(_) => return Err(Error::timeout(timeout)),
            Ok(Err(_)) => {
                return Err(Error::io(
                    "the loopback listener stopped before a callback arrived",
                    None,
                ));
            }
            Ok(Ok(outcome)) => outcome,
        };
        match outcome {
            Outcome::Code(code) => {
                let state = pending.state().clone();
                client
                    .exchange_code(pending, code.expose(), state.expose())
                    .await
            }
            Outcome::Denied {
                error,
                description,
                uri,
            } => Err(Error::authorization(error, description, uri)),
            Outcome::MissingCode => Err(Error::missing_code()),
        }
    }
}

impl fmt::Debug for LoopbackListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackListener")
            .field("local_addr", &self.local_addr)
            .field("redirect_uri", &self.redirect_uri)
            .field("pending", &self.pending)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What the one accepted callback said.
enum Outcome {
    Code(Secret),
    Denied {
        error: String,
        description: Option<String>,
        uri: Option<String>,
    },
    MissingCode,
}

/// State shared by the accept loops and the connection handlers.
struct Shared {
    expected_state: Secret,
    /// The redirect URI's path; every other path is answered 404.
    path: String,
    /// Taken by the first callback that is accepted; `None` afterwards.
    outcome: Mutex<Option<oneshot::Sender<Outcome>>>,
    accept_tasks: Mutex<Vec<AbortHandle>>,
}

impl Shared {
    /// Stops accepting connections. Connections already accepted finish their one request.
    fn stop_listening(&self) {
        for task in lock(&self.accept_tasks).drain(..) {
            task.abort();
        }
    }
}

/// Shuts the listener down when the login ends, whichever way.
struct Shutdown(Arc<Shared>);

impl Drop for Shutdown {
    fn drop(&mut self) {
        self.0.stop_listening();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The data under these locks stays consistent even if a holder panicked.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where to listen, from the redirect URI.
struct LoopbackTarget {
    url: Url,
    /// The first is required; the others are bound on a best-effort basis (`localhost` may
    /// resolve to either family in the browser).
    hosts: Vec<IpAddr>,
    port: u16,
    path: String,
}

impl LoopbackTarget {
    fn parse(redirect_uri: &str) -> Result<LoopbackTarget, Error> {
        let url = Url::parse(redirect_uri).map_err(|err| {
            Error::config(format!("the redirect URI is not an absolute URL: {err}"))
        })?;
        if url.scheme() != "http" {
            return Err(Error::config(format!(
                "a loopback redirect URI must use `http` (the listener serves no TLS), not `{}`",
                url.scheme()
            )));
        }
        let hosts = match url.host() {
            Some(Host::Ipv4(ip)) if ip.is_loopback() => vec![IpAddr::V4(ip)],
            Some(Host::Ipv6(ip)) if ip.is_loopback() => vec![IpAddr::V6(ip)],
            Some(Host::Domain(domain)) if domain.eq_ignore_ascii_case("localhost") => vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
            _ => {
                return Err(Error::config(format!(
                    "refusing to listen for the OAuth redirect on `{}`: only a loopback \
                     redirect URI (127.0.0.1, [::1] or localhost) keeps the listener off the \
                     network",
                    url.host_str().unwrap_or_default()
                )));
            }
        };
        let port = url.port_or_known_default().unwrap_or(80);
        let path = url.path().to_owned();
        Ok(LoopbackTarget {
            url,
            hosts,
            port,
            path,
        })
    }

    async fn bind(&self) -> Result<(Vec<TcpListener>, SocketAddr), Error> {
        let mut listeners = Vec::new();
        let mut port = self.port;
        let mut primary = None;
        for (idx, ip) in self.hosts.iter().enumerate() {
            let addr = SocketAddr::new(*ip, port);
            match TcpListener::bind(addr).await {
                Ok(listener) => {
                    let local = listener.local_addr().map_err(|err| {
                        Error::io("cannot read the loopback listener's address", Some(err))
                    })?;
                    port = local.port();
                    primary.get_or_insert(local);
                    listeners.push(listener);
                }
                Err(err) if idx == 0 => {
                    let hint = if err.kind() == std::io::ErrorKind::AddrInUse {
                        "; another program uses the port of the registered redirect URI"
                    } else {
                        ""
                    };
                    return Err(Error::io(
                        format!("cannot listen for the OAuth redirect on {addr}{hint}"),
                        Some(err),
                    ));
                }
                Err(err) => tracing::debug!(%addr, %err, "optional loopback address not bound"),
            }
        }
        match primary {
            Some(local) => Ok((listeners, local)),
            None => Err(Error::io("no loopback address to listen on", None)),
        }
    }

    fn with_port(&self, port: u16) -> String {
        let mut url = self.url.clone();
        // Only fails for URLs that cannot have a port, which `parse` already refused.
        let _ = url.set_port(Some(port));
        url.into()
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, shared.clone()));
            }
            Err(err) => {
                // Out of file descriptors and the like: do not spin.
                tracing::debug!(%err, "OAuth loopback listener failed to accept");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let response = handle(&shared, &request);
        async move { Ok::<_, Infallible>(response) }
    });
    // One request per connection: a browser's keep-alive connection must not outlive the
    // login, and a second callback must open a new connection (refused once the login ends).
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::debug!(%err, "OAuth loopback connection failed"),
        Err(_) => tracing::debug!("OAuth loopback connection timed out"),
    }
}

/// Answers one request to the listener.
fn handle(shared: &Shared, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != shared.path {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "This address only receives the sign-in redirect.",
        );
    }
    if request.method() != Method::GET {
        return page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "The sign-in redirect is a GET request.",
        );
    }
    let Some(params) = CallbackParams::parse(request.uri().query().unwrap_or_default()) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Invalid sign-in redirect",
            "The redirect repeats a parameter.",
        );
    };
    let state_matches = params
        .state
        .as_deref()
        .is_some_and(|state| Secret::new(state) == shared.expected_state);
    // Instant's deny and grant-failure redirects carry `error` but no `state`; they can only
    // end the login, never complete it, so they are accepted without one.
    let stateless_error = params.state.is_none() && params.error.is_some();
    if !state_matches && !stateless_error {
        tracing::warn!(
            has_state = params.state.is_some(),
            "rejected an OAuth callback whose state does not belong to this login"
        );
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in not recognised",
            "This redirect does not belong to the sign-in in progress. Start the sign-in again \
             from the application.",
        );
    }
    let (outcome, response) = match (params.error, params.code) {
        (Some(error), _) => {
            let text = match &params.error_description {
                Some(description) => format!("Sign-in failed ({error}): {description}"),
                None => format!("Sign-in failed ({error})."),
            };
            let response = page(
                StatusCode::OK,
                "Sign-in failed",
                &format!("{text} You can close this window."),
            );
            let outcome = Outcome::Denied {
                error,
                description: params.error_description,
                uri: params.error_uri,
            };
            (outcome, response)
        }
        (None, Some(code)) if !code.is_empty() => (
            Outcome::Code(Secret::new(code)),
            page(
                StatusCode::OK,
                "Signed in",
                "You are signed in. You can close this window and return to the application.",
            ),
        ),
        (None, _) => (
            Outcome::MissingCode,
            page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The redirect carried no authorization code. You can close this window.",
            ),
        ),
    };
    let Some(sender) = lock(&shared.outcome).take() else {
        return page(
            StatusCode::CONFLICT,
            "Sign-in already finished",
            "This sign-in has already finished. You can close this window.",
        );
    };
    shared.stop_listening();
    // The receiver is gone only if the login was abandoned; the page is still right.
    let _ = sender.send(outcome);
    response
}

/// The parameters of a redirect to the callback path.
struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    error_uri: Option<String>,
}

impl CallbackParams {
    /// `None` if a parameter this reads appears twice: which one counts would be a guess.
    fn parse(query: &str) -> Option<CallbackParams> {
        let mut params: HashMap<String, String> = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let known = matches!(
                &*key,
                "state" | "code" | "error" | "error_description" | "error_uri"
            );
            if known
                && params
                    .insert(key.into_owned(), value.into_owned())
                    .is_some()
            {
                return None;
            }
        }
        Some(CallbackParams {
            state: params.remove("state"),
            code: params.remove("code"),
            error: params.remove("error"),
            error_description: params.remove("error_description"),
            error_uri: params.remove("error_uri"),
        })
    }
}

/// A small self-contained HTML page.
fn page(status: StatusCode, title: &str, message: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>body {{ font-family: system-ui, sans-serif; \
         margin: 4rem auto; max-width: 32rem; text-align: center; }}</style>\n</head>\n\
         <body>\n<h1>{title}</h1>\n<p>{message}</p>\n</body>\n</html>\n",
        title = escape_html(title),
        message = escape_html(message),
    );
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The page's URL holds the code: never send it on as a referrer.
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Opens the URL in a browser, or prints it.
async fn present(url: &Url, on_url: Option<UrlHandler>, open_browser: bool) {
    if let Some(handler) = on_url {
        handler(url);
        return;
    }
    if open_browser && browser::open(url).await {
        return;
    }
    // The documented exception to "library crates never print": a login the caller left to
    // `run` must still reach the user when there is no browser (SSH, containers).
    eprintln!("Open this URL in a browser to sign in:\n\n    {url}\n");
}

#[cfg(feature = "browser")]
mod browser {
    use url::Url;

    /// Whether a browser was launched.
    pub(super) async fn open(url: &Url) -> bool {
        if !has_display() {
            return false;
        }
        let target = url.to_string();
        // `open::that` waits for the launcher (xdg-open, `open`, `start`) to exit.
        match tokio::task::spawn_blocking(move || open::that(target)).await {
            Ok(Ok(())) => true,
            Ok(Err(err)) => {
                tracing::debug!(%err, "could not open a browser");
                false
            }
            Err(err) => {
                tracing::debug!(%err, "the browser launcher panicked");
                false
            }
        }
    }

    /// On X11/Wayland systems a session without a display (SSH, a container) has no browser
    /// to show; xdg-open would start a text browser in the terminal instead.
    fn has_display() -> bool {
        if cfg!(any(target_os = "macos", target_os = "windows")) {
            return true;
        }
        ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
    }
}

#[cfg(not(feature = "browser"))]
mod browser {
    use url::Url;

    /// Without the `browser` feature no browser is ever launched.
    pub(super) async fn open(_url: &Url) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_redirects_are_served() {
        for ok in [
            "http://127.0.0.1:8976/cb",
            "http://127.0.0.2:1/",
            "http://[::1]:8976/cb",
            "http://localhost:8976/cb",
            "http://LOCALHOST/cb",
        ] {
            assert!(LoopbackTarget::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://0.0.0.0:8976/cb",
            "http://192.168.1.10:8976/cb",
            "http://[::]:8976/cb",
            "http://example.com:8976/cb",
            "http://localhost.example.com:8976/cb",
            "https://127.0.0.1:8976/cb",
        ] {
            let err = LoopbackTarget::parse(bad).err().unwrap();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{bad}");
        }
        let target = LoopbackTarget::parse("http://localhost/cb?x=1").unwrap();
        assert_eq!((target.port, target.path.as_str()), (80, "/cb"));
        assert_eq!(target.hosts.len(), 2);
        let target = LoopbackTarget::parse("http://127.0.0.1:0").unwrap();
        assert_eq!(target.path, "/");
        assert_eq!(target.with_port(4321), "http://127.0.0.1:4321/");
    }

    #[test]
    fn callback_params_refuse_repeats() {
        let params = CallbackParams::parse("code=a%2Bb&state=s+1&other=1&other=2").unwrap();
        assert_eq!(params.code.as_deref(), Some("a+b"));
        assert_eq!(params.state.as_deref(), Some("s 1"));
        assert!(CallbackParams::parse("state=a&state=b").is_none());
    }

    #[test]
    fn pages_escape_their_text() {
        assert_eq!(
            escape_html(r#"<script>"x" & 'y'</script>"#),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
