//! The emulator's whole state, in memory: platform users and their tokens, orgs, apps (with
//! their attributes, rules, background jobs, app users' tokens and magic codes), entities and
//! stored files.
//!
//! [`State`] is plain data behind one lock (see `server.rs`); it does no IO. Mutations mark what
//! they changed in [`Dirty`], and `persist.rs` writes exactly that after the request.

pub(crate) mod attrs;
pub(crate) mod data;

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use self::attrs::Attrs;
use self::data::AppData;
use crate::clock;
use crate::error::{ApiError, ApiResult};

/// A dashboard user: owns apps and personal access tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PlatformUser {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) created_at: i64,
}

/// An OAuth access token (`pat_…`) with its scopes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OAuthToken {
    pub(crate) user_id: Uuid,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: i64,
    /// The OAuth client that obtained it (`None` for [`crate::Emulator::create_oauth_token`]).
    #[serde(default)]
    pub(crate) client_id: Option<Uuid>,
    /// The refresh token it was issued with or from: revoking that one deletes this one too
    /// (upstream's `on delete cascade`).
    #[serde(default)]
    pub(crate) refresh_token: Option<String>,
}

/// An OAuth client registered on the emulator (upstream: an OAuth app and one of its clients).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OAuthClientRecord {
    /// Redirect URIs the authorization request must match exactly.
    pub(crate) redirect_uris: Vec<String>,
    /// Public apps may not redirect to localhost and ask only for their granted scopes.
    pub(crate) is_public: bool,
    pub(crate) granted_scopes: Vec<String>,
    /// SHA-256 (hex) of the client secret: it is shown once, at registration.
    pub(crate) secret_sha256: String,
    pub(crate) created_at: i64,
}

/// An authorization code waiting for its exchange (single use, 10 minutes).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OAuthCode {
    pub(crate) client_id: Uuid,
    pub(crate) redirect_uri: String,
    pub(crate) user_id: Uuid,
    pub(crate) scopes: Vec<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
    pub(crate) expires_at: i64,
}

/// An OAuth refresh token (`prt_…`): it never expires and is not rotated on use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OAuthRefreshToken {
    pub(crate) client_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) scopes: Vec<String>,
    pub(crate) created_at: i64,
    /// Creation order, so "the 5 newest" is exact even within one millisecond.
    pub(crate) seq: u64,
}

/// An organisation and the roles of its members.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Org {
    pub(crate) id: Uuid,
    pub(crate) title: String,
    pub(crate) created_at: i64,
    /// user id → role (`collaborator`, `admin`, `owner`).
    pub(crate) members: IndexMap<Uuid, String>,
}

/// Server-wide records (everything but apps).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ServerRecords {
    pub(crate) users: IndexMap<Uuid, PlatformUser>,
    /// Personal access token (`per_…` or a legacy UUID) → user.
    pub(crate) personal_tokens: HashMap<String, Uuid>,
    pub(crate) oauth_tokens: HashMap<String, OAuthToken>,
    pub(crate) orgs: IndexMap<Uuid, Org>,
    /// The user apps created through `/dash/apps/ephemeral` belong to.
    pub(crate) ephemeral_creator: Option<Uuid>,
    /// Dashboard refresh tokens (what the CLI's ticket login hands out) → user.
    #[serde(default)]
    pub(crate) dashboard_tokens: HashMap<Uuid, Uuid>,
    /// CLI ticket logins by ticket (`instant_cli_logins`).
    #[serde(default)]
    pub(crate) cli_logins: IndexMap<Uuid, CliLogin>,
    /// OAuth clients by client id.
    #[serde(default)]
    pub(crate) oauth_clients: IndexMap<Uuid, OAuthClientRecord>,
    /// Authorization codes by the SHA-256 (hex) of the code.
    #[serde(default)]
    pub(crate) oauth_codes: HashMap<String, OAuthCode>,
    /// Refresh token → its record.
    #[serde(default)]
    pub(crate) oauth_refresh_tokens: HashMap<String, OAuthRefreshToken>,
    /// The last refresh-token sequence number handed out.
    #[serde(default)]
    pub(crate) oauth_refresh_seq: u64,
    /// The webhook signing key, created on first start.
    #[serde(default)]
    pub(crate) webhook_signing_key: Option<StoredSigningKey>,
}

/// A CLI ticket login (`instant_cli_logins` row): the CLI polls with the secret, the dashboard
/// (here: the handle, or auto-approval) claims the ticket for a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CliLogin {
    /// SHA-256 of the secret, hex, as upstream stores it (the secret is a credential).
    pub(crate) secret_sha256: String,
    /// The user who approved the login; `None` while waiting (or after a denial).
    pub(crate) user_id: Option<Uuid>,
    /// Set when the CLI collected the token, or when the login was denied.
    pub(crate) used: bool,
    pub(crate) created_at: i64,
}

/// A background job (`indexing_jobs` row).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    pub(crate) id: Uuid,
    pub(crate) group_id: Uuid,
    pub(crate) attr_id: Uuid,
    pub(crate) attr_name: String,
    pub(crate) job_type: String,
    pub(crate) status: String,
    pub(crate) stage: String,
    pub(crate) checked_data_type: Option<String>,
    pub(crate) work_estimate: Option<u64>,
    pub(crate) work_completed: Option<u64>,
    pub(crate) error: Option<String>,
    pub(crate) invalid_unique_value: Option<Value>,
    pub(crate) invalid_triples_sample: Option<Value>,
    pub(crate) error_data: Option<Value>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) done_at: Option<i64>,
}

impl Job {
    pub(crate) fn is_done(&self) -> bool {
        self.status == "completed" || self.status == "errored"
    }
}

/// A webhook registration and its events, newest last.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Webhook {
    pub(crate) id: Uuid,
    pub(crate) url: String,
    pub(crate) namespaces: Vec<String>,
    pub(crate) actions: Vec<String>,
    pub(crate) enabled: bool,
    pub(crate) disabled_reason: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    #[serde(default)]
    pub(crate) events: Vec<WebhookEvent>,
}

/// One change a webhook is told about (`webhook_events` row), with the records its payload
/// serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WebhookEvent {
    pub(crate) isn: String,
    /// `pending`, `processing`, `success`, `error` (will retry) or `failed` (gave up).
    pub(crate) status: String,
    pub(crate) attempts: Vec<WebhookAttempt>,
    pub(crate) next_attempt_after: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    /// The payload's `data`: `{namespace, action, id, before, after, idempotencyKey}` records.
    pub(crate) records: Vec<Value>,
}

/// One delivery attempt (`WebhookAttempt`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WebhookAttempt {
    pub(crate) attempt_at: i64,
    pub(crate) duration_ms: u64,
    pub(crate) success: bool,
    pub(crate) status_code: Option<u16>,
    pub(crate) response_text: Option<String>,
    pub(crate) error_type: Option<String>,
    pub(crate) error_message: Option<String>,
}

/// The Ed25519 key that signs webhook deliveries and payload tokens, kept so signatures stay
/// verifiable across restarts with a data directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredSigningKey {
    /// The key id (`kid`): a decimal `u32`, as Tink numbers keys.
    pub(crate) kid: String,
    /// The PKCS#8 document, base64.
    pub(crate) pkcs8: String,
}

/// The text form of an Instant sequence number for transaction `tx`: zero-padded so that text
/// order is numeric order (cursors compare them).
pub(crate) fn isn(tx: i64) -> String {
    format!("0/{tx:016X}")
}

/// A pending magic code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MagicCode {
    pub(crate) email: String,
    pub(crate) code: String,
    pub(crate) created_at: i64,
}

/// Everything about an app except its entities and file bytes: one persisted record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AppMeta {
    pub(crate) id: Uuid,
    pub(crate) title: String,
    pub(crate) creator_id: Option<Uuid>,
    pub(crate) org_id: Option<Uuid>,
    pub(crate) created_at: i64,
    pub(crate) deletion_marked_at: Option<i64>,
    pub(crate) admin_token: Uuid,
    pub(crate) ephemeral: bool,
    /// The permission rules (`code`), or `None` when never set.
    pub(crate) perms: Option<Value>,
    pub(crate) attrs: Attrs,
    pub(crate) jobs: Vec<Job>,
    /// App user refresh token → user id.
    pub(crate) refresh_tokens: IndexMap<Uuid, Uuid>,
    pub(crate) magic_codes: Vec<MagicCode>,
    /// Stored files: location id → size (the bytes live in [`App::files`]).
    #[serde(default)]
    pub(crate) file_sizes: IndexMap<String, usize>,
    #[serde(default)]
    pub(crate) webhooks: Vec<Webhook>,
    /// Backups, oldest first (the files live in [`App::files`] under `backup/<id>/<name>`).
    #[serde(default)]
    pub(crate) backups: Vec<Backup>,
    /// Sign-in configuration (`/dash/apps/:app_id/auth`), in creation order.
    #[serde(default)]
    pub(crate) redirect_origins: Vec<RedirectOrigin>,
    #[serde(default)]
    pub(crate) oauth_providers: Vec<OAuthProvider>,
    #[serde(default)]
    pub(crate) oauth_clients: Vec<AppOAuthClient>,
}

/// A row of `app_authorized_redirect_origins`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RedirectOrigin {
    pub(crate) id: Uuid,
    pub(crate) service: String,
    pub(crate) params: Vec<String>,
    pub(crate) created_at: i64,
}

/// A `$oauthProviders` entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OAuthProvider {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) created_at: i64,
}

/// A `$oauthClients` entity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AppOAuthClient {
    pub(crate) id: Uuid,
    pub(crate) provider_id: Uuid,
    pub(crate) name: String,
    pub(crate) client_id: Option<String>,
    /// SHA-256 of the client secret, hex; never served.
    pub(crate) secret_hash: Option<String>,
    pub(crate) discovery_endpoint: Option<String>,
    pub(crate) meta: Option<Value>,
    pub(crate) redirect_to: Option<String>,
    pub(crate) use_shared_credentials: bool,
    pub(crate) created_at: i64,
}

/// A backup (`app_backups` row) and what its listing endpoints serve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Backup {
    pub(crate) id: Uuid,
    /// The WAL position it was taken at, as text (`isn`).
    pub(crate) isn: String,
    pub(crate) backup_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) description: String,
    /// `config.json` then `entities/<etype>.jsonl`, with their zstd-compressed sizes.
    pub(crate) files: Vec<(String, u64)>,
    /// Total size of the app's stored files; `None` when it has none.
    pub(crate) files_size: Option<u64>,
    pub(crate) db_size: u64,
    pub(crate) uncompressed_size: u64,
    /// `(location id, path)` of the `$files` captured, for the storage-file listing.
    pub(crate) storage: Vec<(String, String)>,
    /// The unguessable part of the file URLs (upstream presigns S3 URLs instead).
    pub(crate) url_token: String,
    pub(crate) deleted: bool,
    /// The on-demand job (`POST …/backups`) that took it, if any.
    #[serde(default)]
    pub(crate) job_id: Option<Uuid>,
}

/// One app.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) meta: AppMeta,
    pub(crate) data: AppData,
    /// location id → bytes.
    pub(crate) files: HashMap<String, Bytes>,
}

impl App {
    pub(crate) fn new(title: &str, creator_id: Option<Uuid>, org_id: Option<Uuid>) -> App {
        App {
            meta: AppMeta {
                id: Uuid::new_v4(),
                title: title.to_owned(),
                creator_id,
                org_id,
                created_at: clock::now_ms(),
                deletion_marked_at: None,
                admin_token: Uuid::new_v4(),
                ephemeral: false,
                perms: None,
                attrs: Attrs::with_system_catalog(),
                jobs: Vec::new(),
                refresh_tokens: IndexMap::new(),
                magic_codes: Vec::new(),
                file_sizes: IndexMap::new(),
                webhooks: Vec::new(),
                backups: Vec::new(),
                redirect_origins: Vec::new(),
                oauth_providers: Vec::new(),
                oauth_clients: Vec::new(),
            },
            data: AppData::default(),
            files: HashMap::new(),
        }
    }

    pub(crate) fn is_live(&self) -> bool {
        self.meta.deletion_marked_at.is_none()
    }
}

/// A signed upload URL waiting for its bytes. Kept in memory only: a restart invalidates it.
#[derive(Debug, Clone)]
pub(crate) struct PendingUpload {
    pub(crate) app_id: Uuid,
    pub(crate) path: String,
    pub(crate) expires_at: i64,
}

/// What changed since the last flush.
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    pub(crate) server: bool,
    pub(crate) apps: HashSet<Uuid>,
    /// `(app, location id)` of files added or removed.
    pub(crate) files: HashSet<(Uuid, String)>,
    pub(crate) seq: bool,
}

/// The whole state.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) server: ServerRecords,
    pub(crate) apps: IndexMap<Uuid, App>,
    /// The last transaction id handed out (`tx-id`), server-wide and monotonic.
    pub(crate) tx_seq: i64,
    /// Signed upload URLs not used yet, by upload id.
    pub(crate) pending_uploads: HashMap<Uuid, PendingUpload>,
    /// Room presence by `(app, room id)`: session id → session. Ephemeral, as upstream's
    /// (`reactive/ephemeral.clj` keeps it in memory): never persisted.
    pub(crate) presence: HashMap<(Uuid, String), IndexMap<String, PresenceSession>>,
    pub(crate) dirty: Dirty,
}

/// One session in a room (`ephemeral.clj`: `{:peer-id, :user {:id}, :data}`).
#[derive(Debug, Clone)]
pub(crate) struct PresenceSession {
    pub(crate) user: Option<Uuid>,
    pub(crate) data: Value,
}

impl State {
    /// A live app (not marked for deletion).
    pub(crate) fn app(&self, id: &Uuid) -> Option<&App> {
        self.apps.get(id).filter(|app| app.is_live())
    }

    /// A live app for writing; marks its record dirty.
    pub(crate) fn app_mut(&mut self, id: &Uuid) -> Option<&mut App> {
        let app = self.apps.get_mut(id).filter(|app| app.is_live())?;
        self.dirty.apps.insert(*id);
        Some(app)
    }

    /// A live app, or the server's `record-not-found` for `app`.
    pub(crate) fn require_app(&self, id: &Uuid) -> ApiResult<&App> {
        self.app(id)
            .ok_or_else(|| ApiError::record_not_found("app", None))
    }

    /// A live app for writing, or the server's `record-not-found` for `app`.
    pub(crate) fn require_app_mut(&mut self, id: &Uuid) -> ApiResult<&mut App> {
        self.app_mut(id)
            .ok_or_else(|| ApiError::record_not_found("app", None))
    }

    pub(crate) fn app_by_admin_token(&self, token: &Uuid) -> Option<&App> {
        self.apps
            .values()
            .find(|app| app.is_live() && app.meta.admin_token == *token)
    }

    pub(crate) fn insert_app(&mut self, app: App) -> Uuid {
        let id = app.meta.id;
        self.dirty.apps.insert(id);
        self.apps.insert(id, app);
        id
    }

    pub(crate) fn next_tx_id(&mut self) -> i64 {
        self.tx_seq += 1;
        self.dirty.seq = true;
        self.tx_seq
    }

    pub(crate) fn server_mut(&mut self) -> &mut ServerRecords {
        self.dirty.server = true;
        &mut self.server
    }

    /// Creates a platform user with a personal access token; returns both.
    pub(crate) fn create_platform_user(
        &mut self,
        email: &str,
        token: Option<String>,
    ) -> (Uuid, String) {
        let id = Uuid::new_v4();
        let token = token.unwrap_or_else(new_personal_token);
        let server = self.server_mut();
        server.users.insert(
            id,
            PlatformUser {
                id,
                email: email.to_owned(),
                created_at: clock::now_ms(),
            },
        );
        server.personal_tokens.insert(token.clone(), id);
        (id, token)
    }
}

/// `per_` + 64 hex digits, the shape of a personal access token.
pub(crate) fn new_personal_token() -> String {
    format!("per_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// `prt_` + 64 hex digits, the shape of an OAuth refresh token.
pub(crate) fn new_refresh_token() -> String {
    format!("prt_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// `pat_` + 64 hex digits, the shape of an OAuth access token.
pub(crate) fn new_oauth_token() -> String {
    format!("pat_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}
