//! The client, its configuration and the headers every request carries.

use http::Method;
use instantdb_http::{ApiPath, ClientSettings, RequestBuilder, RequestOptions, Secret};
use instantdb_schema::{AppId, SchemaDef};
use std::fmt;
use std::sync::Arc;

use crate::Error;
use crate::auth::Auth;
use crate::builder::{
    QueryPermsCheckRequest, QueryRequest, SubscribeRequest, TransactPermsCheckRequest,
    TransactRequest,
};
use crate::query::Query;
use crate::rooms::Rooms;
use crate::storage::Storage;
use crate::tx::Chunks;

/// Sent where upstream sends its own version (`Instant-Admin-Version`, `Instant-Core-Version`
/// and the live-query `versions`); one constant for every instantdb-rs client.
pub use instantdb_http::PROTOCOL_VERSION;

/// Upstream's wording names its JS API (`pass adminToken to init, or use db.asUser`); these
/// name ours.
const MISSING_TOKEN: &str = "Admin token required. To run this operation set one with \
     `AdminClientBuilder::admin_token`, or act as a user with `AdminClient::as_user` \
     (a refresh token or a guest need no admin token).";
const MISSING_TOKEN_FOR_EMAIL: &str = "Admin token required. To impersonate users with an email \
     you must set one with `AdminClientBuilder::admin_token`.";

/// A client of one app's admin API.
///
/// Holds the app id, the admin token, the base URL and the HTTP connection pool. Cloning is
/// cheap (the configuration sits behind an `Arc` and the pool is shared), so build one and pass
/// clones around instead of wrapping it in an `Arc`.
///
/// ```no_run
/// use instantdb_admin::{AdminClient, Impersonate, id, tx};
/// use serde_json::json;
///
/// # async fn example() -> Result<(), instantdb_admin::Error> {
/// let db = AdminClient::builder("3f2b1c4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e")
///     .admin_token("my-admin-token")
///     .api_uri("http://localhost:8888") // a self-hosted server; the default is api.instantdb.com
///     .build()?;
///
/// let goals = db.query(json!({"goals": {"todos": {}}})).send().await?;
/// let tx_id = db.transact(tx("goals", id()).update(json!({"title": "Ship it"}))).send().await?;
///
/// // The same calls as a user: permission rules apply.
/// let as_alyssa = db.as_user(Impersonate::email("alyssa@example.com"));
/// let visible = as_alyssa.query(json!({"goals": {}})).send().await?;
/// # Ok(())
/// # }
/// ```
///
/// # Configuration
///
/// [`AdminClient::builder`] takes the app id; everything else is optional: the admin token
/// (needed for everything except impersonating with a refresh token or as a guest, and
/// [`Auth::verify_token`]), the base URL, a schema, and the transport settings every client of
/// this SDK has (timeouts, proxy, retry policy, or a whole [`instantdb_http::Client`]). Each
/// call also takes per-call [`RequestOptions`] with `with_options`.
///
/// A schema makes the client behave as upstream's does with one: queries ask for
/// `inference?: true` (singular links come back as an object or `null` instead of a list),
/// transactions send `throw-on-missing-attrs?: true` (the server refuses to create attributes
/// the schema lacks), and both are validated locally first. The schema itself is never sent.
#[derive(Clone)]
pub struct AdminClient {
    pub(crate) inner: Arc<Inner>,
    pub(crate) impersonation: Option<Impersonate>,
    /// The per-call settings of the request this clone was made for (see
    /// [`AdminClient::with_request_options`]); the default for the client itself.
    pub(crate) options: RequestOptions,
}

pub(crate) struct Inner {
    pub(crate) http: instantdb_http::Client,
    pub(crate) app_id: AppId,
    pub(crate) admin_token: Option<Secret>,
    pub(crate) schema: Option<Arc<SchemaDef>>,
    pub(crate) inference: bool,
    pub(crate) throw_on_missing_attrs: bool,
    pub(crate) validate: bool,
}

/// Who an impersonated client acts as (see [`AdminClient::as_user`]).
///
/// Requests run the app's permission rules for that user instead of bypassing them.
#[derive(Clone, PartialEq, Eq)]
pub enum Impersonate {
    /// The user with this email (`as-email`); needs the admin token.
    Email(String),
    /// The user holding this refresh token (`as-token`); works without an admin token.
    Token(Secret),
    /// A guest, with no user (`as-guest: true`); works without an admin token.
    Guest,
}

impl Impersonate {
    /// [`Impersonate::Email`].
    pub fn email(email: impl Into<String>) -> Impersonate {
        Impersonate::Email(email.into())
    }

    /// [`Impersonate::Token`].
    pub fn token(refresh_token: impl Into<Secret>) -> Impersonate {
        Impersonate::Token(refresh_token.into())
    }
}

impl fmt::Debug for Impersonate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Impersonate::Email(email) => f.debug_tuple("Email").field(email).finish(),
            Impersonate::Token(token) => f.debug_tuple("Token").field(token).finish(),
            Impersonate::Guest => f.write_str("Guest"),
        }
    }
}

impl AdminClient {
    /// A client for `app_id` with `admin_token`, against the default base URL.
    pub fn new(
        app_id: impl Into<AppId>,
        admin_token: impl Into<Secret>,
    ) -> Result<AdminClient, Error> {
        AdminClient::builder(app_id)
            .admin_token(admin_token)
            .build()
    }

    /// Starts a configuration for `app_id`.
    pub fn builder(app_id: impl Into<AppId>) -> AdminClientBuilder {
        AdminClientBuilder {
            app_id: app_id.into(),
            admin_token: None,
            schema: None,
            inference: None,
            throw_on_missing_attrs: None,
            validate: true,
            http: ClientSettings::default(),
        }
    }

    /// The app id (trimmed, as sent).
    pub fn app_id(&self) -> &AppId {
        &self.inner.app_id
    }

    /// The base URL requests go to.
    pub fn api_uri(&self) -> &str {
        self.inner.http.base_url().as_str()
    }

    /// The schema the client validates against, if any.
    pub fn schema(&self) -> Option<&SchemaDef> {
        self.inner.schema.as_deref()
    }

    /// Who this client impersonates, if anyone.
    pub fn impersonation(&self) -> Option<&Impersonate> {
        self.impersonation.as_ref()
    }

    /// A client with the same configuration that acts as `user`: queries, live queries,
    /// transactions, the permission checks and storage uploads and deletes carry the
    /// `as-email`/`as-token`/`as-guest` header and run the permission rules. Auth and presence
    /// calls ignore impersonation, as upstream's do. Replaces any previous impersonation.
    pub fn as_user(&self, user: Impersonate) -> AdminClient {
        AdminClient {
            inner: self.inner.clone(),
            impersonation: Some(user),
            options: self.options.clone(),
        }
    }

    /// A query; see [`QueryRequest`]. `query` is a `serde_json::Value` or an
    /// [`InstaQl`](crate::instaql::InstaQl).
    pub fn query(&self, query: impl Into<Query>) -> QueryRequest {
        QueryRequest::new(self.clone(), query.into())
    }

    /// Runs `query` and deserializes the result into `T` (a struct with one field per
    /// namespace, for instance).
    pub async fn query_as<T: serde::de::DeserializeOwned>(
        &self,
        query: impl Into<Query>,
    ) -> Result<T, Error> {
        self.query(query).send_as().await
    }

    /// A live query over server-sent events; see [`SubscribeRequest`].
    pub fn subscribe_query(&self, query: impl Into<Query>) -> SubscribeRequest {
        SubscribeRequest::new(self.clone(), query.into())
    }

    /// A transaction of one or many chunks built with [`tx`](crate::tx()); see
    /// [`TransactRequest`].
    pub fn transact(&self, chunks: impl Into<Chunks>) -> TransactRequest {
        TransactRequest::new(self.clone(), chunks.into())
    }

    /// Runs `query` as the impersonated user and reports each permission check
    /// (`/admin/query_perms_check`); see [`QueryPermsCheckRequest`].
    pub fn query_perms_check(&self, query: impl Into<Query>) -> QueryPermsCheckRequest {
        QueryPermsCheckRequest::new(self.clone(), query.into())
    }

    /// Dry-runs a transaction as the impersonated user and reports each permission check
    /// (`/admin/transact_perms_check`); see [`TransactPermsCheckRequest`].
    pub fn transact_perms_check(&self, chunks: impl Into<Chunks>) -> TransactPermsCheckRequest {
        TransactPermsCheckRequest::new(self.clone(), chunks.into())
    }

    /// Users, tokens and magic codes. Always uses the admin token, never impersonation.
    pub fn auth(&self) -> Auth {
        Auth {
            client: self.without_impersonation(),
        }
    }

    /// File uploads, deletes and listings (uploads and deletes keep the impersonation).
    pub fn storage(&self) -> Storage {
        Storage {
            client: self.clone(),
        }
    }

    /// Room presence. Always uses the admin token, never impersonation.
    pub fn rooms(&self) -> Rooms {
        Rooms {
            client: self.without_impersonation(),
        }
    }

    fn without_impersonation(&self) -> AdminClient {
        AdminClient {
            inner: self.inner.clone(),
            impersonation: None,
            options: self.options.clone(),
        }
    }

    /// This client for one request with per-call settings: every request builder keeps its
    /// client, so `with_options` swaps the client for this clone and the helpers below apply
    /// the options to whatever they build.
    pub(crate) fn with_request_options(&self, options: RequestOptions) -> AdminClient {
        AdminClient {
            inner: self.inner.clone(),
            impersonation: self.impersonation.clone(),
            options,
        }
    }

    /// A request to `path` with the per-call settings (for the calls outside
    /// `authorizedHeaders`, such as the runtime's refresh-token check).
    pub(crate) fn plain_request(&self, method: Method, path: &str) -> RequestBuilder {
        self.options
            .apply(self.inner.http.request(method, ApiPath::new(path)))
    }

    /// A request to an admin endpoint with `?app_id=`, the version headers and the auth
    /// headers upstream's `authorizedHeaders` adds (`content-type: application/json`,
    /// `app-id`, `authorization`, the impersonation header). Refuses locally, as upstream
    /// does, when the admin token is needed and missing.
    pub(crate) fn admin_request(
        &self,
        method: Method,
        path: &str,
        impersonated: bool,
    ) -> Result<RequestBuilder, Error> {
        self.admin_request_with(method, path, impersonated, http::HeaderMap::new())
    }

    /// [`AdminClient::admin_request`] with caller headers beneath the client's own (upstream
    /// spreads `fetchOpts.headers` first, so `app-id` and `authorization` cannot be overridden).
    pub(crate) fn admin_request_with(
        &self,
        method: Method,
        path: &str,
        impersonated: bool,
        extra: http::HeaderMap,
    ) -> Result<RequestBuilder, Error> {
        let builder = self
            .plain_request(method, path)
            .query("app_id", self.inner.app_id.as_str())
            .headers(extra);
        let builder = with_versions(builder);
        self.authorized(builder, impersonated)
    }

    /// Adds upstream's `authorizedHeaders` (and the per-call settings) to `builder`.
    pub(crate) fn authorized(
        &self,
        builder: RequestBuilder,
        impersonated: bool,
    ) -> Result<RequestBuilder, Error> {
        let impersonation = if impersonated {
            self.impersonation.as_ref()
        } else {
            None
        };
        let token_optional = matches!(
            impersonation,
            Some(Impersonate::Token(_) | Impersonate::Guest)
        );
        if !token_optional && self.inner.admin_token.is_none() {
            return Err(Error::missing_admin_token(match impersonation {
                Some(Impersonate::Email(_)) => MISSING_TOKEN_FOR_EMAIL,
                _ => MISSING_TOKEN,
            }));
        }
        let mut builder = self
            .options
            .apply(builder)
            .header("content-type", "application/json")
            .header("app-id", self.inner.app_id.as_str());
        if let Some(token) = &self.inner.admin_token {
            builder = builder.bearer_auth(token);
        }
        Ok(match impersonation {
            Some(Impersonate::Email(email)) => builder.header("as-email", email.as_str()),
            Some(Impersonate::Token(token)) => builder.secret_header("as-token", token),
            // Any non-empty value means guest to the server (even "false"): send exactly `true`.
            Some(Impersonate::Guest) => builder.header("as-guest", "true"),
            None => builder,
        })
    }
}

/// Registers `secret` with the request's redactor, so a token sent in a JSON body is scrubbed
/// from error text like the ones sent in headers (Instant echoes inputs in some error hints).
/// `instantdb-http` registers secrets through `secret_header`; the header is removed again
/// before sending.
pub(crate) fn scrub_secret(builder: RequestBuilder, secret: &Secret) -> RequestBuilder {
    const CARRIER: http::HeaderName = http::HeaderName::from_static("x-instantdb-scrub");
    builder
        .secret_header(CARRIER, secret)
        .without_header(CARRIER)
}

/// The version headers upstream's `jsonFetch` adds to every call.
pub(crate) fn with_versions(builder: RequestBuilder) -> RequestBuilder {
    builder
        .header("instant-admin-version", PROTOCOL_VERSION)
        .header("instant-core-version", PROTOCOL_VERSION)
}

impl fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClient")
            .field("app_id", &self.inner.app_id)
            .field("api_uri", &self.inner.http.base_url())
            .field("admin_token", &self.inner.admin_token)
            .field("schema", &self.inner.schema.is_some())
            .field("impersonation", &self.impersonation)
            .finish_non_exhaustive()
    }
}

/// Configuration of an [`AdminClient`]; see [`AdminClient::builder`].
///
/// Besides the admin token and the schema, it has the transport settings every client builder
/// of this SDK has: `api_uri`, `timeout`, `connect_timeout`, `retry_policy`, `proxy`,
/// `transport` and `http_client`.
#[must_use]
pub struct AdminClientBuilder {
    app_id: AppId,
    admin_token: Option<Secret>,
    schema: Option<Arc<SchemaDef>>,
    inference: Option<bool>,
    throw_on_missing_attrs: Option<bool>,
    validate: bool,
    http: ClientSettings,
}

instantdb_http::client_builder_settings!(AdminClientBuilder.http);

impl AdminClientBuilder {
    /// The app's admin token (leading and trailing whitespace is trimmed, as upstream does).
    pub fn admin_token(mut self, token: impl Into<Secret>) -> AdminClientBuilder {
        let token: Secret = token.into();
        let trimmed = token.expose().trim();
        self.admin_token = Some(if trimmed.len() == token.expose().len() {
            token
        } else {
            Secret::new(trimmed)
        });
        self
    }

    /// The app's schema: local validation of queries and transactions, `inference?: true` and
    /// `throw-on-missing-attrs?: true`.
    pub fn schema(mut self, schema: SchemaDef) -> AdminClientBuilder {
        self.schema = Some(Arc::new(schema));
        self
    }

    /// Overrides `inference?` (default: whether a schema is set). With it, singular links in
    /// results are an object or `null` instead of a list.
    pub fn inference(mut self, inference: bool) -> AdminClientBuilder {
        self.inference = Some(inference);
        self
    }

    /// Overrides `throw-on-missing-attrs?` (default: whether a schema is set). Without it, the
    /// server creates unknown attributes (untyped) on the fly.
    pub fn throw_on_missing_attrs(mut self, throw: bool) -> AdminClientBuilder {
        self.throw_on_missing_attrs = Some(throw);
        self
    }

    /// Skips local validation of queries and transactions (upstream's `disableValidation`).
    /// The typed query builder's checks still apply.
    pub fn disable_validation(mut self, disable: bool) -> AdminClientBuilder {
        self.validate = !disable;
        self
    }

    /// Builds the client. Fails on an invalid setting (a base URL that does not parse); connects
    /// to nothing. An app id that is not a UUID is accepted with a `tracing` warning, as upstream
    /// prints one.
    pub fn build(self) -> Result<AdminClient, Error> {
        if !self.app_id.is_uuid() {
            tracing::warn!(
                "Instant Admin DB must be initialized with a valid appId. Received: {:?}",
                self.app_id.as_str()
            );
        }
        let http = self.http.build()?;
        let has_schema = self.schema.is_some();
        Ok(AdminClient {
            inner: Arc::new(Inner {
                http,
                app_id: self.app_id,
                admin_token: self.admin_token.filter(|token| !token.is_empty()),
                schema: self.schema,
                inference: self.inference.unwrap_or(has_schema),
                throw_on_missing_attrs: self.throw_on_missing_attrs.unwrap_or(has_schema),
                validate: self.validate,
            }),
            impersonation: None,
            options: RequestOptions::default(),
        })
    }
}

impl fmt::Debug for AdminClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClientBuilder")
            .field("app_id", &self.app_id)
            .field("admin_token", &self.admin_token)
            .field("schema", &self.schema.is_some())
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}
