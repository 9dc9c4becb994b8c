//! The public handle: [`Emulator::builder`] → [`EmulatorBuilder::start`] → [`Emulator`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use instantdb_schema::AppId;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::auth::Scope;
use crate::crypto::SigningKey;
use crate::error::{Error, ErrorKind};
use crate::persist::Persist;
use crate::server::{self, Config, SentMagicCode, Shared};
use crate::store::{self, App, OAuthClientRecord, OAuthToken, Org, State};
use crate::{clock, crypto, jobs, platform};

/// The email of the platform user the emulator creates on first start.
const DEFAULT_USER_EMAIL: &str = "dev@localhost";

/// Upstream's `instant-cli-login-model/expired?` counts whole minutes and expires a login when
/// more than 2 have passed, i.e. 3 minutes after it was registered.
const DEFAULT_CLI_LOGIN_TTL: Duration = Duration::from_secs(180);

/// Backups stay 7 days upstream (unless the job sets another expiry).
const DEFAULT_BACKUP_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// OAuth access tokens last 2 weeks upstream.
const DEFAULT_OAUTH_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(14 * 24 * 60 * 60);

/// Configures and starts an [`Emulator`].
#[derive(Clone)]
pub struct EmulatorBuilder {
    port: u16,
    data_dir: Option<PathBuf>,
    platform_token: Option<String>,
    job_stage_delay: Duration,
    ephemeral_apps: bool,
    cli_auto_approve: bool,
    cli_login_ttl: Duration,
    oauth_access_token_ttl: Duration,
    backup_ttl: Duration,
    webhook_loopback: bool,
    webhook_retry_delay: Duration,
    max_body_bytes: usize,
    header_timeout: Duration,
}

/// The default request body limit: 1 GiB, room for any storage upload a test makes while
/// bounding what one request can make the emulator hold in memory.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 30;

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field(
                "platform_token",
                &self.platform_token.as_ref().map(|_| "[redacted]"),
            )
            .field("job_stage_delay", &self.job_stage_delay)
            .field("ephemeral_apps", &self.ephemeral_apps)
            .field("cli_auto_approve", &self.cli_auto_approve)
            .field("cli_login_ttl", &self.cli_login_ttl)
            .field("oauth_access_token_ttl", &self.oauth_access_token_ttl)
            .field("backup_ttl", &self.backup_ttl)
            .field("webhook_loopback", &self.webhook_loopback)
            .field("webhook_retry_delay", &self.webhook_retry_delay)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("header_timeout", &self.header_timeout)
            .finish()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            port: 0,
            data_dir: None,
            platform_token: None,
            job_stage_delay: Duration::from_millis(150),
            ephemeral_apps: true,
            cli_auto_approve: false,
            cli_login_ttl: DEFAULT_CLI_LOGIN_TTL,
            oauth_access_token_ttl: DEFAULT_OAUTH_ACCESS_TOKEN_TTL,
            backup_ttl: DEFAULT_BACKUP_TTL,
            webhook_loopback: false,
            webhook_retry_delay: Duration::from_secs(60),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            // hyper's default header read timeout.
            header_timeout: Duration::from_secs(30),
        }
    }
}

impl EmulatorBuilder {
    /// The port to bind on 127.0.0.1. The default, 0, lets the OS choose a free one; read it
    /// back with [`Emulator::base_url`].
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Persist everything (apps, schema, data, files, tokens) in `dir`, created if missing.
    /// Without it the emulator is in-memory and forgets everything when stopped.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Seeds the platform user's personal access token (`per_…` or a UUID) instead of a random
    /// one, so scripts can use a fixed value. Existing tokens in a data directory are kept.
    pub fn platform_token(mut self, token: impl Into<String>) -> Self {
        self.platform_token = Some(token.into());
        self
    }

    /// How long each stage of a background schema job takes (default 150 ms): a job goes
    /// waiting → processing → completed/errored in two stages.
    pub fn job_stage_delay(mut self, delay: Duration) -> Self {
        self.job_stage_delay = delay;
        self
    }

    /// Whether `POST /dash/apps/ephemeral` (temporary apps, no auth) is enabled (default yes).
    pub fn ephemeral_apps(mut self, enabled: bool) -> Self {
        self.ephemeral_apps = enabled;
        self
    }

    /// Approve every CLI ticket login (`POST /dash/cli/auth/register`) for the emulator's
    /// platform user as soon as it is registered, so the CLI's first `check` returns a token
    /// (default off: approve with [`Emulator::approve_cli_login`]). For `instant dev`, where
    /// no dashboard exists to click "approve" in.
    pub fn auto_approve_cli_login(mut self, enabled: bool) -> Self {
        self.cli_auto_approve = enabled;
        self
    }

    /// How long a CLI ticket login can be approved and collected (default 3 minutes, as
    /// upstream); after it, `check` answers `record-expired`. Short values let tests see it.
    pub fn cli_login_ttl(mut self, ttl: Duration) -> Self {
        self.cli_login_ttl = ttl;
        self
    }

    /// How long access tokens from `POST /platform/oauth/token` last (default 2 weeks, as
    /// upstream). A short value lets tests see a `record-expired` and the refresh that follows;
    /// [`Emulator::expire_oauth_access_tokens`] expires them on demand instead.
    pub fn oauth_access_token_ttl(mut self, ttl: Duration) -> Self {
        self.oauth_access_token_ttl = ttl;
        self
    }

    /// How long a backup taken with [`Emulator::create_backup`] stays listed and downloadable
    /// (default 7 days, as upstream's daily backups); afterwards its endpoints answer
    /// `record-expired` and it leaves the list.
    pub fn backup_ttl(mut self, ttl: Duration) -> Self {
        self.backup_ttl = ttl;
        self
    }

    /// Accept webhooks whose URL is loopback `http` (`http://127.0.0.1:<port>/…`,
    /// `http://localhost…`, `http://[::1]…`), so a receiver on this machine gets the deliveries
    /// (default off: upstream accepts only public `https` URLs, and the emulator answers the
    /// same validation errors). Deliveries only ever go to loopback addresses: events of a
    /// webhook with a public URL are recorded as failed attempts, no connection is made.
    pub fn allow_loopback_webhooks(mut self, allow: bool) -> Self {
        self.webhook_loopback = allow;
        self
    }

    /// The wait before the first retry of a failed webhook delivery (default 1 minute, as
    /// upstream); later retries follow upstream's schedule in proportion (5×, 30×, 120×, …),
    /// for at most 11 attempts.
    pub fn webhook_retry_delay(mut self, delay: Duration) -> Self {
        self.webhook_retry_delay = delay;
        self
    }

    /// The largest request body accepted (default [`DEFAULT_MAX_BODY_BYTES`]). A larger
    /// declared `content-length` is answered 413 before any of the body is read; a chunked body
    /// is read up to the limit, then answered 413.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// How long a connection may take to send a request's headers, counted from when the
    /// server starts waiting for them: it also closes idle keep-alive connections and
    /// connections that never send anything (default 30 seconds).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Binds the port, loads the data directory if any, and starts serving on the current tokio
    /// runtime. Background jobs left unfinished by a previous run resume.
    pub async fn start(self) -> Result<Emulator, Error> {
        if let Some(token) = &self.platform_token {
            let valid = token.starts_with("per_") || Uuid::parse_str(token).is_ok();
            if !valid || token.trim() != token {
                return Err(Error::invalid(
                    "a seeded platform token must be `per_…` or a UUID, without whitespace",
                ));
            }
        }
        let (persist, mut state) = match &self.data_dir {
            Some(dir) => {
                let (persist, state) = Persist::open(dir)?;
                (Some(persist), state)
            }
            None => (None, State::default()),
        };
        let (user_id, platform_token) = default_user(&mut state, self.platform_token);
        let (webhook_key, new_key) =
            SigningKey::load_or_generate(state.server.webhook_signing_key.as_ref())
                .map_err(Error::invalid)?;
        if new_key.is_some() {
            state.server_mut().webhook_signing_key = new_key;
        }
        let listener = TcpListener::bind(server::loopback(self.port))
            .await
            .map_err(|source| {
                Error::from(ErrorKind::Bind {
                    port: self.port,
                    source,
                })
            })?;
        let addr = listener.local_addr().map_err(|source| {
            Error::from(ErrorKind::Bind {
                port: self.port,
                source,
            })
        })?;
        let base_url = format!("http://{addr}");
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (deliveries, delivery_queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(
            state,
            persist,
            base_url.clone(),
            Config {
                job_stage_delay: self.job_stage_delay,
                ephemeral_apps: self.ephemeral_apps,
                default_user: user_id,
                cli_auto_approve: self.cli_auto_approve,
                cli_login_ttl: self.cli_login_ttl,
                oauth_access_token_ttl: self.oauth_access_token_ttl,
                backup_ttl: self.backup_ttl,
                webhook_loopback: self.webhook_loopback,
                webhook_retry_delay: self.webhook_retry_delay,
                max_body_bytes: self.max_body_bytes,
                header_timeout: self.header_timeout,
            },
            tokio::runtime::Handle::current(),
            shutdown_rx.clone(),
            webhook_key,
            deliveries,
        ));
        // Persist the default user (and anything loading repaired) before serving.
        shared
            .write(|_| Ok(()))
            .map_err(|err| Error::database(err.message()))?;
        jobs::resume_all(&shared);
        tokio::spawn(platform::deliveries::run(
            Arc::clone(&shared),
            delivery_queue,
            shutdown_rx.clone(),
        ));
        let server = tokio::spawn(server::run(listener, Arc::clone(&shared), shutdown_rx));
        tracing::info!(%base_url, "instantdb emulator listening");
        Ok(Emulator {
            base_url,
            shared,
            shutdown,
            server: Some(server),
            platform_token,
            user_id,
        })
    }
}

/// Finds or creates the emulator's platform user and its personal access token.
fn default_user(state: &mut State, seed: Option<String>) -> (Uuid, String) {
    let ephemeral = state.server.ephemeral_creator;
    let existing = state
        .server
        .users
        .values()
        .find(|user| Some(user.id) != ephemeral)
        .map(|user| user.id);
    match existing {
        Some(user_id) => {
            if let Some(seed) = seed {
                state
                    .server_mut()
                    .personal_tokens
                    .insert(seed.clone(), user_id);
                return (user_id, seed);
            }
            let token = state
                .server
                .personal_tokens
                .iter()
                .filter(|(_, user)| **user == user_id)
                .map(|(token, _)| token.clone())
                .min();
            match token {
                Some(token) => (user_id, token),
                None => {
                    let token = store::new_personal_token();
                    state
                        .server_mut()
                        .personal_tokens
                        .insert(token.clone(), user_id);
                    (user_id, token)
                }
            }
        }
        None => state.create_platform_user(DEFAULT_USER_EMAIL, seed),
    }
}

/// A running emulator. Dropping it stops the server (in-flight requests get a few seconds);
/// [`Emulator::shutdown`] does the same and waits.
pub struct Emulator {
    base_url: String,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    platform_token: String,
    user_id: Uuid,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("platform_token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// What the emulator's automatic OAuth consent answers (see [`Emulator::set_oauth_consent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OAuthConsent {
    /// The platform user allows the request: the redirect carries a `code` (the default).
    #[default]
    Approve,
    /// The platform user denies it: the redirect carries `error=access_denied`.
    Deny,
}

/// An OAuth client registered with [`Emulator::create_oauth_client`].
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClientCredentials {
    /// The client id (`client_id` of the authorization and token requests).
    pub client_id: Uuid,
    client_secret: String,
}

impl OAuthClientCredentials {
    /// The client secret (68 hex digits, as upstream), for confidential code exchanges and the
    /// refresh grant. A secret: the emulator keeps only its hash.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }
}

impl fmt::Debug for OAuthClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// An app created with [`Emulator::create_app`]: its id and admin token.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// The app id (`App-Id` header of admin requests), the type every client takes.
    pub app_id: AppId,
    admin_token: String,
}

impl AppCredentials {
    /// The app's admin token. A secret: it grants full access to the app.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("admin_token", &"[redacted]")
            .finish()
    }
}

impl Emulator {
    /// A builder with the defaults: port 0, in memory.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// `http://127.0.0.1:<port>`, to pass as the SDKs' API URI.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The platform user's personal access token (`per_…`): works on every platform route,
    /// with no scope restrictions. A secret.
    pub fn platform_token(&self) -> &str {
        &self.platform_token
    }

    /// Creates an app owned by the platform user, directly (no HTTP), and returns its
    /// credentials.
    pub fn create_app(&self, title: &str) -> Result<AppCredentials, Error> {
        let title = title.trim();
        if title.is_empty() {
            return Err(Error::invalid("an app needs a non-blank title"));
        }
        let user_id = self.user_id;
        self.shared
            .write(|state| {
                let app = App::new(title, Some(user_id), None);
                let credentials = AppCredentials {
                    app_id: AppId::from(app.meta.id.to_string()),
                    admin_token: app.meta.admin_token.to_string(),
                };
                state.insert_app(app);
                Ok(credentials)
            })
            .map_err(|err| Error::database(err.message()))
    }

    /// The live app titled `title` owned by the platform user, created if there is none: what
    /// `instant dev` uses so a restart with the same data directory keeps the same app.
    pub fn ensure_app(&self, title: &str) -> Result<AppCredentials, Error> {
        let existing = {
            let state = self.shared.read();
            state
                .apps
                .values()
                .find(|app| {
                    app.is_live()
                        && app.meta.creator_id == Some(self.user_id)
                        && app.meta.title == title.trim()
                })
                .map(|app| AppCredentials {
                    app_id: AppId::from(app.meta.id.to_string()),
                    admin_token: app.meta.admin_token.to_string(),
                })
        };
        match existing {
            Some(credentials) => Ok(credentials),
            None => self.create_app(title),
        }
    }

    /// Issues an OAuth access token (`pat_…`) for the platform user with the given scopes
    /// (`apps-read`, `apps-write`, `data-read`, `data-write`, `storage-read`, `storage-write`),
    /// valid for `ttl`. Useful to test scope checks.
    pub fn create_oauth_token(&self, scopes: &[&str], ttl: Duration) -> Result<String, Error> {
        if let Some(bad) = scopes.iter().find(|scope| Scope::parse(scope).is_none()) {
            return Err(Error::invalid(format!("unknown OAuth scope `{bad}`")));
        }
        let user_id = self.user_id;
        let expires_at =
            clock::now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        self.shared
            .write(|state| {
                let token = store::new_oauth_token();
                state.server_mut().oauth_tokens.insert(
                    token.clone(),
                    OAuthToken {
                        user_id,
                        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                        expires_at,
                        client_id: None,
                        refresh_token: None,
                    },
                );
                Ok(token)
            })
            .map_err(|err| Error::database(err.message()))
    }

    /// Takes a backup of the app now, as Instant's backup job does (there is no daily
    /// schedule in the emulator): `config.json` and one `entities/<etype>.jsonl` shard per
    /// namespace, zstd-compressed, listed by `GET /dash/apps/:id/backups` and downloadable
    /// with `PlatformClient`'s backups. `description` defaults to upstream's
    /// "Automated Daily Snapshot". Returns the backup id.
    pub fn create_backup(
        &self,
        app_id: impl Into<AppId>,
        description: Option<&str>,
    ) -> Result<Uuid, Error> {
        let app_id = app_uuid(&app_id.into())?;
        let ttl_ms = self.shared.config.backup_ttl_ms();
        self.shared
            .write(|state| platform::backups::create(state, app_id, description, ttl_ms))
            .map_err(|err| match err.status.as_u16() {
                400 => Error::invalid(format!("cannot back up app {app_id}: {}", err.message())),
                _ => Error::database(err.message()),
            })
    }

    /// Registers an OAuth client (upstream: an OAuth app of one of your Instant apps, and a
    /// client of it) that may redirect to exactly `redirect_uris`, and returns its id and
    /// secret.
    ///
    /// A public client (`is_public`) is granted every scope but may not redirect to localhost
    /// (`localhost` or `127.0.0.1`), as upstream; a private one may, which is what loopback
    /// logins of native apps and CLIs need. Every redirect URI must be a URL that upstream's
    /// redirect check accepts for that kind of client. Consent is automatic, for the
    /// emulator's platform user: see [`Emulator::set_oauth_consent`].
    pub fn create_oauth_client(
        &self,
        redirect_uris: &[&str],
        is_public: bool,
    ) -> Result<OAuthClientCredentials, Error> {
        if redirect_uris.is_empty() {
            return Err(Error::invalid(
                "an OAuth client needs at least one redirect URI",
            ));
        }
        for uri in redirect_uris {
            let errors = platform::oauth::redirect_uri_errors(uri, !is_public);
            if !errors.is_empty() {
                return Err(Error::invalid(format!(
                    "redirect URI `{uri}`: {}",
                    errors.join("; ")
                )));
            }
        }
        let client_id = Uuid::new_v4();
        let client_secret = crypto::random_hex(34);
        let record = OAuthClientRecord {
            redirect_uris: redirect_uris.iter().map(|uri| (*uri).to_owned()).collect(),
            is_public,
            granted_scopes: if is_public {
                Scope::ALL
                    .iter()
                    .map(|scope| scope.as_str().to_owned())
                    .collect()
            } else {
                Vec::new()
            },
            secret_sha256: crypto::sha256_hex(client_secret.as_bytes()),
            created_at: clock::now_ms(),
        };
        self.shared
            .write(|state| {
                state.server_mut().oauth_clients.insert(client_id, record);
                Ok(())
            })
            .map_err(|err| Error::database(err.message()))?;
        Ok(OAuthClientCredentials {
            client_id,
            client_secret,
        })
    }

    /// Sets what the automatic consent of `GET /platform/oauth/start` answers from now on
    /// (default [`OAuthConsent::Approve`]); [`OAuthConsent::Deny`] tests error redirects.
    pub fn set_oauth_consent(&self, consent: OAuthConsent) {
        self.shared
            .oauth_deny
            .store(consent == OAuthConsent::Deny, Ordering::SeqCst);
    }

    /// Expires every OAuth access token now (refresh tokens stay valid): the next request with
    /// one gets upstream's 400 `record-expired`, which clients answer with a refresh.
    pub fn expire_oauth_access_tokens(&self) -> Result<(), Error> {
        let now = clock::now_ms();
        self.shared
            .write(|state| {
                for token in state.server_mut().oauth_tokens.values_mut() {
                    token.expires_at = token.expires_at.min(now);
                }
                Ok(())
            })
            .map_err(|err| Error::database(err.message()))
    }

    /// Creates another platform user and returns their personal access token (to test that
    /// users cannot reach each other's apps).
    pub fn create_platform_user(&self, email: &str) -> Result<String, Error> {
        self.shared
            .write(|state| Ok(state.create_platform_user(email, None).1))
            .map_err(|err| Error::database(err.message()))
    }

    /// Puts a session in a presence room, as a client joining the room with `data` would
    /// (`user` is the `$users` id of a signed-in peer); replaces the session's earlier data.
    /// `GET /admin/rooms/presence` (`db.rooms.getPresence`) then answers it. The emulator has no
    /// realtime connections, so this is how tests give a room its peers. Presence is in memory
    /// only, as upstream's.
    pub fn set_presence(
        &self,
        app_id: impl Into<AppId>,
        room_id: &str,
        session_id: &str,
        user: Option<Uuid>,
        data: serde_json::Value,
    ) -> Result<(), Error> {
        let app_id = app_uuid(&app_id.into())?;
        self.shared
            .write(|state| {
                state.require_app(&app_id)?;
                state
                    .presence
                    .entry((app_id, room_id.to_owned()))
                    .or_default()
                    .insert(
                        session_id.to_owned(),
                        crate::store::PresenceSession { user, data },
                    );
                Ok(())
            })
            .map_err(|err| Error::invalid(err.message()))
    }

    /// Removes a session from a presence room (the peer left); a room with no sessions is
    /// `null` again.
    pub fn remove_presence(&self, app_id: impl Into<AppId>, room_id: &str, session_id: &str) {
        let Ok(app_id) = app_uuid(&app_id.into()) else {
            // No app can have that id: nothing to remove.
            return;
        };
        let _ = self.shared.write(|state| {
            if let Some(sessions) = state.presence.get_mut(&(app_id, room_id.to_owned())) {
                sessions.shift_remove(session_id);
            }
            Ok(())
        });
    }

    /// Creates an organisation with the platform user as its owner; returns its id.
    pub fn create_org(&self, title: &str) -> Result<Uuid, Error> {
        let user_id = self.user_id;
        self.shared
            .write(|state| {
                let id = Uuid::new_v4();
                let mut members = indexmap::IndexMap::new();
                members.insert(user_id, "owner".to_owned());
                state.server_mut().orgs.insert(
                    id,
                    Org {
                        id,
                        title: title.to_owned(),
                        created_at: clock::now_ms(),
                        members,
                    },
                );
                Ok(id)
            })
            .map_err(|err| Error::database(err.message()))
    }

    /// Approves a pending CLI ticket login (the `ticket` of `POST /dash/cli/auth/register`,
    /// which the CLI shows in its dashboard URL) for the emulator's platform user: the CLI's
    /// next `POST /dash/cli/auth/check` returns a dashboard token and the user's email. This is
    /// what clicking "approve" in Instant's dashboard does.
    pub fn approve_cli_login(&self, ticket: Uuid) -> Result<(), Error> {
        let user_id = self.user_id;
        self.decide_cli_login(ticket, Some(user_id))
    }

    /// Denies a pending CLI ticket login: the CLI's next check answers `user-voided-request`
    /// ("This request has been denied").
    pub fn deny_cli_login(&self, ticket: Uuid) -> Result<(), Error> {
        self.decide_cli_login(ticket, None)
    }

    fn decide_cli_login(&self, ticket: Uuid, approver: Option<Uuid>) -> Result<(), Error> {
        let found = self
            .shared
            .write(|state| Ok(platform::dash::decide(state, ticket, approver)))
            .map_err(|err| Error::database(err.message()))?;
        if found {
            Ok(())
        } else {
            Err(Error::invalid(format!("no CLI login with ticket {ticket}")))
        }
    }

    /// Magic codes "sent" by `/admin/send_magic_code` from now on (the emulator never mails).
    pub fn subscribe_mail(&self) -> broadcast::Receiver<SentMagicCode> {
        self.shared.mail.subscribe()
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The emulator keys apps by UUID (every app it creates has one); an id that is not one names
/// no app.
fn app_uuid(app_id: &AppId) -> Result<Uuid, Error> {
    Uuid::parse_str(app_id.as_str())
        .map_err(|_| Error::invalid(format!("{app_id} is not an app id (app ids are UUIDs)")))
}
