//! Webhooks: managing an app's webhooks and their events (`/dash/apps/:id/webhooks…`), and
//! receiving deliveries (signature verification, payload fetch, dispatch to handlers).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use instantdb_http::http::header::{ACCEPT, HeaderName};
use instantdb_http::http::{HeaderValue, Method};
use instantdb_http::{ApiPath, DEFAULT_API_URI, Secret};
use instantdb_schema::AppId;
use ring::signature::{self, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::apps::timestamp;
use crate::call::{Call, Endpoint, decode};
use crate::client::Headers;
use crate::error::BoxError;
use crate::time::parse_timestamp;
use crate::{Error, PlatformClient};
use instantdb_http::RequestOptions;

/// The default age limit of a delivery's signature (upstream's 5 minutes).
pub const DEFAULT_SIGNATURE_TOLERANCE: Duration = Duration::from_secs(300);

/// Signing keys that upstream knows without a JWKS fetch, by server.
const KNOWN_KEYS: &[(&str, &str, &str)] = &[
    (
        DEFAULT_API_URI,
        "1034696293",
        "N-C41432STKAKkXAWmeIOXMnZcGRR1b9u1L3bTVqI_o",
    ),
    // Instant's development server; a self-hosted server on this address has other kids, so
    // its keys are still fetched.
    (
        "http://localhost:8888",
        "503090235",
        "qrSkwDaMITRMF9nOgpueqxgaAiuFmJperYE3mkyl8Ow",
    ),
];

// ---- model ----

/// A write action a webhook can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookAction {
    /// An entity was created.
    Create,
    /// An entity was updated.
    Update,
    /// An entity was deleted.
    Delete,
}

/// Whether a webhook delivers events.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookStatus {
    /// Delivering.
    Active,
    /// Configured, but no new events are queued.
    Disabled,
    /// A status this SDK does not know.
    Other(String),
}

/// A webhook.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Webhook {
    /// Its id.
    pub id: String,
    /// The HTTPS endpoint Instant posts to (`sink.url`).
    pub url: String,
    /// The namespaces it listens to.
    pub namespaces: Vec<String>,
    /// The actions that trigger a delivery.
    pub actions: Vec<WebhookAction>,
    /// Whether it delivers.
    pub status: WebhookStatus,
    /// Why it was disabled (by Instant after repeated failures, or by a caller).
    pub disabled_reason: Option<String>,
    /// When it was created.
    pub created_at: SystemTime,
    /// When its configuration last changed.
    pub updated_at: SystemTime,
}

/// Where a webhook event is in its delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookEventStatus {
    /// Queued.
    Pending,
    /// Being delivered.
    Processing,
    /// The receiver answered 2xx.
    Success,
    /// An attempt failed; another is scheduled.
    Error,
    /// Every retry failed; [`resend_event`](Webhooks::resend_event) tries again.
    Failed,
    /// A status this SDK does not know.
    Other(String),
}

/// One delivery attempt of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookAttempt {
    /// When it started.
    pub attempt_at: Option<SystemTime>,
    /// How long it took, in milliseconds.
    pub duration_ms: Option<u64>,
    /// Whether the receiver answered 2xx.
    pub success: Option<bool>,
    /// The receiver's status code.
    pub status_code: Option<u16>,
    /// The start of the receiver's answer.
    pub response_text: Option<String>,
    /// `timeout`, `dns`, `connect`, `tls`, `protocol`, `network` or `unknown`.
    pub error_type: Option<String>,
    /// What went wrong.
    pub error_message: Option<String>,
}

/// A webhook event (one transaction's records for one webhook).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// Its Instant sequence number.
    pub isn: String,
    /// Where its delivery is.
    pub status: WebhookEventStatus,
    /// The attempts so far, oldest first; `None` before the first.
    pub attempts: Option<Vec<WebhookAttempt>>,
    /// The next attempt happens no earlier than this.
    pub next_attempt_after: Option<SystemTime>,
    /// When it was queued.
    pub created_at: SystemTime,
    /// When its status last changed.
    pub updated_at: SystemTime,
}

/// A page of events, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookEventsPage {
    /// The events.
    pub events: Vec<WebhookEvent>,
    /// Cursor of the first event.
    pub start_cursor: Option<String>,
    /// Cursor of the last event: pass it to [`ListWebhookEvents::after`] for the next page.
    pub end_cursor: Option<String>,
    /// Whether there are more events after `end_cursor`.
    pub has_next_page: bool,
}

/// One record of a delivery: an entity that was created, updated or deleted.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WebhookRecord {
    /// The entity's namespace.
    pub namespace: String,
    /// The entity id.
    pub id: String,
    /// What happened.
    pub action: WebhookAction,
    /// The entity before (`None` for `create`).
    #[serde(default)]
    pub before: Option<Value>,
    /// The entity after (`None` for `delete`).
    #[serde(default)]
    pub after: Option<Value>,
    /// Stable across redeliveries of this record.
    #[serde(rename = "idempotencyKey", default)]
    pub idempotency_key: String,
}

/// The records of a delivery.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct WebhookPayload {
    /// The records.
    pub data: Vec<WebhookRecord>,
    /// Stable across redeliveries of this event.
    #[serde(rename = "idempotencyKey", default)]
    pub idempotency_key: String,
}

/// A verified delivery's body: where to fetch its records, and the token to fetch them with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WebhookBody {
    /// The records' URL.
    pub payload_url: String,
    /// A short-lived JWT for `payload_url`.
    pub token: Secret,
}

impl WebhookBody {
    /// A delivery body verified by other means (for instance before it was queued).
    pub fn new(payload_url: impl Into<String>, token: impl Into<Secret>) -> WebhookBody {
        WebhookBody {
            payload_url: payload_url.into(),
            token: token.into(),
        }
    }
}

/// Instant's webhook signing keys (`/.well-known/webhooks/jwks.json`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Jwks {
    /// The keys.
    #[serde(default)]
    pub keys: Vec<Jwk>,
}

/// One JSON Web Key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Jwk {
    /// Key type: `OKP` (Ed25519), `EC` or `RSA`.
    pub kty: String,
    /// Key id, as in the `Instant-Signature` header.
    #[serde(default)]
    pub kid: Option<String>,
    /// Curve (`Ed25519`, `P-256`, `P-384`).
    #[serde(default)]
    pub crv: Option<String>,
    /// Algorithm (`EdDSA`, `RS256`…).
    #[serde(default)]
    pub alg: Option<String>,
    /// Public key (OKP) or x coordinate (EC), base64url.
    #[serde(default)]
    pub x: Option<String>,
    /// y coordinate (EC), base64url.
    #[serde(default)]
    pub y: Option<String>,
    /// Modulus (RSA), base64url.
    #[serde(default)]
    pub n: Option<String>,
    /// Exponent (RSA), base64url.
    #[serde(default)]
    pub e: Option<String>,
}

/// Options of [`Webhooks::verify_signature`].
#[derive(Clone, Debug)]
#[must_use]
pub struct VerifyOptions {
    tolerance: Duration,
    received_at: Option<SystemTime>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            tolerance: DEFAULT_SIGNATURE_TOLERANCE,
            received_at: None,
        }
    }
}

impl VerifyOptions {
    /// Upstream's defaults: 5 minutes of tolerance, received now.
    pub fn new() -> VerifyOptions {
        VerifyOptions::default()
    }

    /// How far the signature's timestamp may be from the receipt time.
    pub fn tolerance(mut self, tolerance: Duration) -> VerifyOptions {
        self.tolerance = tolerance;
        self
    }

    /// When the delivery arrived (default: now).
    pub fn received_at(mut self, received_at: SystemTime) -> VerifyOptions {
        self.received_at = Some(received_at);
        self
    }
}

// ---- wire ----

#[derive(Deserialize)]
struct WebhookRow {
    id: String,
    #[serde(default)]
    sink: Option<SinkRow>,
    #[serde(default)]
    namespaces: Option<Vec<String>>,
    #[serde(default)]
    actions: Option<Vec<WebhookAction>>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    disabled_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct SinkRow {
    url: String,
}

#[derive(Deserialize)]
struct EventRow {
    isn: Value,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    attempts: Option<Vec<AttemptRow>>,
    #[serde(default)]
    next_attempt_after: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct AttemptRow {
    #[serde(rename = "attempt-at", default)]
    attempt_at: Option<String>,
    #[serde(rename = "duration-ms", default)]
    duration_ms: Option<u64>,
    #[serde(rename = "success?", default)]
    success: Option<bool>,
    #[serde(rename = "status-code", default)]
    status_code: Option<u16>,
    #[serde(rename = "response-text", default)]
    response_text: Option<String>,
    #[serde(rename = "error-type", default)]
    error_type: Option<String>,
    #[serde(rename = "error-message", default)]
    error_message: Option<String>,
}

#[derive(Deserialize)]
struct WebhooksResponse {
    #[serde(default)]
    webhooks: Vec<WebhookRow>,
}

#[derive(Deserialize)]
struct WebhookResponse {
    webhook: WebhookRow,
}

#[derive(Deserialize)]
struct EventResponse {
    event: EventRow,
}

#[derive(Deserialize)]
struct EventsResponse {
    #[serde(default)]
    events: Vec<EventRow>,
    #[serde(rename = "pageInfo", default)]
    page_info: Option<PageInfoRow>,
}

#[derive(Deserialize)]
struct PageInfoRow {
    #[serde(rename = "startCursor", default)]
    start_cursor: Option<String>,
    #[serde(rename = "endCursor", default)]
    end_cursor: Option<String>,
    #[serde(rename = "hasNextPage", default)]
    has_next_page: Option<bool>,
}

impl WebhookRow {
    fn into_webhook(self, endpoint: &str) -> Result<Webhook, Error> {
        Ok(Webhook {
            created_at: timestamp(endpoint, "created_at", &self.created_at)?,
            updated_at: timestamp(endpoint, "updated_at", &self.updated_at)?,
            id: self.id,
            url: self.sink.map(|sink| sink.url).unwrap_or_default(),
            namespaces: self.namespaces.unwrap_or_default(),
            actions: self.actions.unwrap_or_default(),
            status: match self.status.as_deref() {
                Some("active") => WebhookStatus::Active,
                Some("disabled") => WebhookStatus::Disabled,
                other => WebhookStatus::Other(other.unwrap_or_default().to_owned()),
            },
            disabled_reason: self.disabled_reason,
        })
    }
}

impl EventRow {
    fn into_event(self, endpoint: &str) -> Result<WebhookEvent, Error> {
        Ok(WebhookEvent {
            isn: match self.isn {
                Value::String(isn) => isn,
                other => other.to_string(),
            },
            status: match self.status.as_deref() {
                Some("pending") => WebhookEventStatus::Pending,
                Some("processing") => WebhookEventStatus::Processing,
                Some("success") => WebhookEventStatus::Success,
                Some("error") => WebhookEventStatus::Error,
                Some("failed") => WebhookEventStatus::Failed,
                other => WebhookEventStatus::Other(other.unwrap_or_default().to_owned()),
            },
            attempts: self.attempts.map(|attempts| {
                attempts
                    .into_iter()
                    .map(|a| WebhookAttempt {
                        attempt_at: a.attempt_at.as_deref().and_then(parse_timestamp),
                        duration_ms: a.duration_ms,
                        success: a.success,
                        status_code: a.status_code,
                        response_text: a.response_text,
                        error_type: a.error_type,
                        error_message: a.error_message,
                    })
                    .collect()
            }),
            next_attempt_after: self.next_attempt_after.as_deref().and_then(parse_timestamp),
            created_at: timestamp(endpoint, "created_at", &self.created_at)?,
            updated_at: timestamp(endpoint, "updated_at", &self.updated_at)?,
        })
    }
}

fn to_webhooks(value: Value, endpoint: &str) -> Result<Vec<Webhook>, Error> {
    let response: WebhooksResponse = decode(value, endpoint)?;
    response
        .webhooks
        .into_iter()
        .map(|row| row.into_webhook(endpoint))
        .collect()
}

fn to_webhook(value: Value, endpoint: &str) -> Result<Webhook, Error> {
    decode::<WebhookResponse>(value, endpoint)?
        .webhook
        .into_webhook(endpoint)
}

fn to_event(value: Value, endpoint: &str) -> Result<WebhookEvent, Error> {
    decode::<EventResponse>(value, endpoint)?
        .event
        .into_event(endpoint)
}

fn to_events(value: Value, endpoint: &str) -> Result<WebhookEventsPage, Error> {
    let response: EventsResponse = decode(value, endpoint)?;
    let page = response.page_info;
    Ok(WebhookEventsPage {
        events: response
            .events
            .into_iter()
            .map(|row| row.into_event(endpoint))
            .collect::<Result<_, _>>()?,
        start_cursor: page.as_ref().and_then(|p| p.start_cursor.clone()),
        end_cursor: page.as_ref().and_then(|p| p.end_cursor.clone()),
        has_next_page: page.and_then(|p| p.has_next_page).unwrap_or(false),
    })
}

fn to_payload(value: Value, endpoint: &str) -> Result<WebhookPayload, Error> {
    decode(value, endpoint)
}

// ---- management ----

/// Request builder of [`Webhooks::list_events`]; [`after`](ListWebhookEvents::after) pages.
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct ListWebhookEvents {
    endpoint: Endpoint<WebhookEventsPage>,
}

impl ListWebhookEvents {
    /// Start after this cursor (a page's [`end_cursor`](WebhookEventsPage::end_cursor)).
    pub fn after(mut self, cursor: impl Into<String>) -> ListWebhookEvents {
        let cursor = cursor.into();
        if !cursor.is_empty() {
            self.endpoint = self.endpoint.set_query("after", cursor);
        }
        self
    }

    /// Per-call settings (timeout, retry policy), replacing earlier ones.
    pub fn with_options(mut self, options: RequestOptions) -> ListWebhookEvents {
        self.endpoint = self.endpoint.with_options(options);
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<WebhookEventsPage, Error> {
        self.endpoint.send().await
    }
}

/// Changes to a webhook; fields left `None` keep their value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WebhookUpdate {
    /// New delivery URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New namespaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// New actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<WebhookAction>>,
}

impl WebhookUpdate {
    /// No change.
    pub fn new() -> WebhookUpdate {
        WebhookUpdate::default()
    }

    /// Change the URL.
    pub fn url(mut self, url: impl Into<String>) -> WebhookUpdate {
        self.url = Some(url.into());
        self
    }

    /// Change the namespaces.
    pub fn namespaces<I, S>(mut self, namespaces: I) -> WebhookUpdate
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.namespaces = Some(namespaces.into_iter().map(Into::into).collect());
        self
    }

    /// Change the actions.
    pub fn actions(mut self, actions: impl IntoIterator<Item = WebhookAction>) -> WebhookUpdate {
        self.actions = Some(actions.into_iter().collect());
        self
    }
}

#[derive(Serialize)]
struct CreateBody<'a> {
    url: &'a str,
    namespaces: &'a [String],
    actions: &'a [WebhookAction],
}

/// An app's webhooks: management (scopes `data-read`/`data-write`) and delivery verification.
/// Get one with [`PlatformClient::webhooks`].
///
/// ```no_run
/// use instantdb_platform::WebhookAction;
///
/// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
/// let webhooks = api.webhooks(app_id);
/// let hook = webhooks
///     .create("https://example.com/instant", ["todos"], [WebhookAction::Create, WebhookAction::Update])
///     .send()
///     .await?;
/// let page = webhooks.list_events(&hook.id).send().await?;
/// for event in &page.events {
///     println!("{} {:?}", event.isn, event.status);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Webhooks {
    api: PlatformClient,
    app_id: AppId,
}

impl Webhooks {
    fn endpoint<T>(
        &self,
        method: Method,
        path: ApiPath,
        body: Option<Value>,
        convert: fn(Value, &str) -> Result<T, Error>,
    ) -> Endpoint<T> {
        let endpoint = Endpoint::new(&self.api, method, path, Headers::Webhooks, convert);
        match body {
            Some(body) => endpoint.body(body),
            None => endpoint,
        }
    }

    fn call<T: Send + 'static>(
        &self,
        method: Method,
        path: ApiPath,
        body: Option<Value>,
        convert: fn(Value, &str) -> Result<T, Error>,
    ) -> Call<T> {
        self.endpoint(method, path, body, convert).call("webhooks")
    }

    fn hooks_path(&self) -> ApiPath {
        ApiPath::new("/dash/apps")
            .segment(&self.app_id)
            .segment("webhooks")
    }

    fn hook_path(&self, webhook_id: &str) -> ApiPath {
        self.hooks_path().segment(webhook_id)
    }

    /// The app id.
    pub fn app_id(&self) -> &AppId {
        &self.app_id
    }

    /// Every webhook of the app, active and disabled, newest first.
    pub fn list(&self) -> Call<Vec<Webhook>> {
        self.call(Method::GET, self.hooks_path(), None, to_webhooks)
    }

    /// Creates a webhook (active at once). The server wants an `https` URL on a public host,
    /// at least one namespace of the schema and one action; an app has at most 100 active
    /// webhooks.
    pub fn create<N, S>(
        &self,
        url: impl Into<String>,
        namespaces: N,
        actions: impl IntoIterator<Item = WebhookAction>,
    ) -> Call<Webhook>
    where
        N: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let url = url.into();
        let namespaces: Vec<String> = namespaces.into_iter().map(Into::into).collect();
        let actions: Vec<WebhookAction> = actions.into_iter().collect();
        let body = serde_json::to_value(CreateBody {
            url: &url,
            namespaces: &namespaces,
            actions: &actions,
        })
        .unwrap_or(Value::Null);
        self.call(Method::POST, self.hooks_path(), Some(body), to_webhook)
    }

    /// Changes a webhook's URL, namespaces or actions.
    pub fn update(&self, webhook_id: &str, update: WebhookUpdate) -> Call<Webhook> {
        let body = serde_json::to_value(update).unwrap_or(Value::Null);
        self.call(
            Method::POST,
            self.hook_path(webhook_id),
            Some(body),
            to_webhook,
        )
    }

    /// Deletes a webhook; returns it as it was.
    pub fn delete(&self, webhook_id: &str) -> Call<Webhook> {
        self.call(Method::DELETE, self.hook_path(webhook_id), None, to_webhook)
    }

    /// Re-enables a disabled webhook (events from while it was disabled are not delivered).
    pub fn enable(&self, webhook_id: &str) -> Call<Webhook> {
        self.call(
            Method::POST,
            self.hook_path(webhook_id).segment("enable"),
            Some(Value::Object(Default::default())),
            to_webhook,
        )
    }

    /// Disables a webhook, optionally saying why (shown in the dashboard).
    pub fn disable(&self, webhook_id: &str, reason: Option<&str>) -> Call<Webhook> {
        let mut body = serde_json::Map::new();
        if let Some(reason) = reason.filter(|r| !r.is_empty()) {
            body.insert("reason".to_owned(), Value::from(reason));
        }
        self.call(
            Method::POST,
            self.hook_path(webhook_id).segment("disable"),
            Some(Value::Object(body)),
            to_webhook,
        )
    }

    /// A page of a webhook's events (100, newest first; events are kept about 60 days).
    pub fn list_events(&self, webhook_id: &str) -> ListWebhookEvents {
        ListWebhookEvents {
            endpoint: self.endpoint(
                Method::GET,
                self.hook_path(webhook_id).segment("events"),
                None,
                to_events,
            ),
        }
    }

    /// One event.
    pub fn get_event(&self, webhook_id: &str, isn: &str) -> Call<WebhookEvent> {
        self.call(
            Method::GET,
            self.hook_path(webhook_id).segment("events").segment(isn),
            None,
            to_event,
        )
    }

    /// Queues an event for delivery again. The server refuses a resend within a minute of the
    /// last one (`validation-failed`).
    pub fn resend_event(&self, webhook_id: &str, isn: &str) -> Call<WebhookEvent> {
        self.call(
            Method::POST,
            self.hook_path(webhook_id).segment("events").segment(isn),
            Some(Value::Object(Default::default())),
            to_event,
        )
    }

    /// An event's records.
    pub fn get_payload(&self, webhook_id: &str, isn: &str) -> Call<WebhookPayload> {
        let path = ApiPath::new("/webhooks/payload")
            .segment(&self.app_id)
            .segment(webhook_id)
            .segment(isn);
        self.call(Method::GET, path, None, to_payload)
    }

    // ---- receiving ----

    /// Instant's signing keys (`GET {api_uri}/.well-known/webhooks/jwks.json`, no token).
    pub async fn fetch_jwks(&self) -> Result<Jwks, Error> {
        let request = self.api.request(
            Method::GET,
            ApiPath::new("/.well-known/webhooks/jwks.json"),
            Headers::CoreOnly,
            None,
            &RequestOptions::default(),
        );
        Ok(request.send_json().await?)
    }

    /// The verification key of `kid`: cached per client, built in for Instant's own servers,
    /// else fetched with [`fetch_jwks`](Webhooks::fetch_jwks).
    async fn key(&self, kid: &str) -> Result<Arc<VerifyingKey>, Error> {
        if let Some(key) = self.api.webhook_keys().get(kid) {
            return Ok(key);
        }
        let api_uri = self.api.api_uri();
        let known = KNOWN_KEYS
            .iter()
            .find(|(uri, known_kid, _)| *uri == api_uri && *known_kid == kid)
            .map(|(_, kid, x)| Jwk {
                kty: "OKP".to_owned(),
                kid: Some((*kid).to_owned()),
                crv: Some("Ed25519".to_owned()),
                alg: Some("EdDSA".to_owned()),
                x: Some((*x).to_owned()),
                y: None,
                n: None,
                e: None,
            });
        let jwk = match known {
            Some(jwk) => jwk,
            None => self
                .fetch_jwks()
                .await?
                .keys
                .into_iter()
                .find(|jwk| jwk.kid.as_deref() == Some(kid))
                .ok_or_else(|| {
                    Error::webhook(format!("Could not find matching signing key (kid {kid})"))
                })?,
        };
        let key = Arc::new(VerifyingKey::from_jwk(&jwk)?);
        self.api.webhook_keys().insert(kid, key.clone());
        Ok(key)
    }

    /// Verifies a delivery: the `Instant-Signature` header (`t=<unix seconds>,kid=<key
    /// id>,v1=<hex signature>`) against the raw request body, and returns the body's
    /// `{payloadUrl, token}`.
    ///
    /// The signature is Ed25519 (or the JWK's algorithm) over `"{t}.{body}"` with the key
    /// `kid`, which is looked up as [`fetch_jwks`](Webhooks::fetch_jwks) describes. A `t` more
    /// than the tolerance (default 5 minutes) before the receipt time is refused, as upstream,
    /// and so is one more than the tolerance after it (upstream accepts any future time).
    /// Pass the body exactly as received: a re-serialized JSON object will not verify.
    ///
    /// ```no_run
    /// use instantdb_platform::VerifyOptions;
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient, header: &str, raw_body: &[u8]) -> Result<(), instantdb_platform::Error> {
    /// let webhooks = api.webhooks("2d9f…");
    /// let body = webhooks.verify_signature(header, raw_body, VerifyOptions::new()).await?;
    /// let payload = webhooks.fetch_payload(&body).await?;
    /// for record in payload.data {
    ///     println!("{} {:?} {}", record.namespace, record.action, record.id);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify_signature(
        &self,
        signature_header: &str,
        body: &[u8],
        options: VerifyOptions,
    ) -> Result<WebhookBody, Error> {
        let received_at = options.received_at.unwrap_or_else(SystemTime::now);
        let header = SignatureHeader::parse(signature_header)?;
        header.check_time(received_at, options.tolerance)?;
        let key = self.key(&header.kid).await?;
        let signature = decode_hex(&header.v1)
            .ok_or_else(|| Error::webhook("Instant Signature did not validate"))?;
        let mut message = Vec::with_capacity(header.t.len() + 1 + body.len());
        message.extend_from_slice(header.t.as_bytes());
        message.push(b'.');
        message.extend_from_slice(body);
        if !key.verify(&message, &signature) {
            return Err(Error::webhook("Instant Signature did not validate"));
        }
        let invalid_body = || {
            Error::webhook(
                "Invalid webhook body, expected an object with payloadUrl and token fields",
            )
        };
        let value: Value = serde_json::from_slice(body).map_err(|_| invalid_body())?;
        match (value.get("payloadUrl"), value.get("token")) {
            (Some(Value::String(payload_url)), Some(Value::String(token))) => Ok(WebhookBody {
                payload_url: payload_url.clone(),
                token: Secret::new(token.as_str()),
            }),
            _ => Err(invalid_body()),
        }
    }

    /// Fetches a verified delivery's records from its `payload_url` with its token.
    pub async fn fetch_payload(&self, body: &WebhookBody) -> Result<WebhookPayload, Error> {
        let url = url::Url::parse(&body.payload_url)
            .map_err(|err| Error::webhook(format!("the payload URL is invalid: {err}")))?;
        let endpoint = format!("GET {}", url.path());
        // An absolute URL carries none of the client's default headers; add what upstream sends.
        let value: Value = self
            .api
            .http_client()
            .request_url(Method::GET, url)
            .bearer_auth(&body.token)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(
                HeaderName::from_static("instant-core-version"),
                HeaderValue::from_static(instantdb_http::PROTOCOL_VERSION),
            )
            .send_json()
            .await?;
        to_payload(value, &endpoint)
    }

    /// Verifies a delivery, fetches its records and runs the matching handlers (upstream's
    /// `processRequest`). Handlers run concurrently; the call fails if any fails, so answer
    /// the delivery with a non-2xx status and Instant retries it.
    ///
    /// ```no_run
    /// use instantdb_platform::{VerifyOptions, WebhookAction, WebhookHandlers};
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient, header: &str, raw_body: &[u8]) -> Result<(), instantdb_platform::Error> {
    /// let handlers = WebhookHandlers::new()
    ///     .on("todos", WebhookAction::Create, |record| async move {
    ///         println!("new todo {}", record.id);
    ///         Ok(())
    ///     })
    ///     .on_any(|record| async move {
    ///         println!("{} {:?}", record.namespace, record.action);
    ///         Ok(())
    ///     });
    /// api.webhooks("2d9f…")
    ///     .process_request(&handlers, header, raw_body, VerifyOptions::new())
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn process_request(
        &self,
        handlers: &WebhookHandlers,
        signature_header: &str,
        body: &[u8],
        options: VerifyOptions,
    ) -> Result<(), Error> {
        let body = self
            .verify_signature(signature_header, body, options)
            .await?;
        let payload = self.fetch_payload(&body).await?;
        handlers.dispatch(payload).await
    }
}

impl PlatformClient {
    /// The webhooks of an app. Management calls need a token with `data-read`/`data-write`;
    /// verifying deliveries needs none.
    pub fn webhooks(&self, app_id: impl Into<AppId>) -> Webhooks {
        Webhooks {
            api: self.clone(),
            app_id: app_id.into(),
        }
    }
}

// ---- handlers ----

type Handler = Arc<
    dyn Fn(WebhookRecord) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>
        + Send
        + Sync,
>;

/// Handlers for a delivery's records, chosen per record as upstream: the handler for the
/// record's namespace and action, else the namespace's, else the catch-all. Records without a
/// handler are skipped.
#[derive(Clone, Default)]
pub struct WebhookHandlers {
    by_action: HashMap<(String, WebhookAction), Handler>,
    by_namespace: HashMap<String, Handler>,
    fallback: Option<Handler>,
}

fn boxed<F, Fut>(handler: F) -> Handler
where
    F: Fn(WebhookRecord) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    Arc::new(move |record| Box::pin(handler(record)))
}

impl WebhookHandlers {
    /// No handlers.
    pub fn new() -> WebhookHandlers {
        WebhookHandlers::default()
    }

    /// Handles `action` on `namespace` (replacing an earlier handler for the pair).
    pub fn on<F, Fut>(
        mut self,
        namespace: &str,
        action: WebhookAction,
        handler: F,
    ) -> WebhookHandlers
    where
        F: Fn(WebhookRecord) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.by_action
            .insert((namespace.to_owned(), action), boxed(handler));
        self
    }

    /// Handles every action on `namespace` that has no handler of its own.
    pub fn on_namespace<F, Fut>(mut self, namespace: &str, handler: F) -> WebhookHandlers
    where
        F: Fn(WebhookRecord) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.by_namespace
            .insert(namespace.to_owned(), boxed(handler));
        self
    }

    /// Handles every record no other handler takes.
    pub fn on_any<F, Fut>(mut self, handler: F) -> WebhookHandlers
    where
        F: Fn(WebhookRecord) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.fallback = Some(boxed(handler));
        self
    }

    fn handler(&self, record: &WebhookRecord) -> Option<&Handler> {
        self.by_action
            .get(&(record.namespace.clone(), record.action))
            .or_else(|| self.by_namespace.get(&record.namespace))
            .or(self.fallback.as_ref())
    }

    /// Runs the handlers of a payload's records concurrently (upstream's `processPayload`).
    pub async fn dispatch(&self, payload: WebhookPayload) -> Result<(), Error> {
        let runs: Vec<_> = payload
            .data
            .into_iter()
            .filter_map(|record| self.handler(&record).map(|handler| handler(record)))
            .collect();
        for result in futures_util::future::join_all(runs).await {
            if let Err(err) = result {
                return Err(Error::webhook_with("a webhook handler failed", err));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for WebhookHandlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookHandlers")
            .field("by_action", &self.by_action.keys().collect::<Vec<_>>())
            .field(
                "by_namespace",
                &self.by_namespace.keys().collect::<Vec<_>>(),
            )
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

// ---- signatures ----

struct SignatureHeader {
    t: String,
    kid: String,
    v1: String,
}

impl SignatureHeader {
    fn parse(header: &str) -> Result<SignatureHeader, Error> {
        let (mut t, mut kid, mut v1) = (None, None, None);
        for part in header.split(',') {
            let Some((key, value)) = part.trim().split_once('=') else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match key.trim() {
                "t" => t = Some(value.to_owned()),
                "kid" => kid = Some(value.to_owned()),
                "v1" => v1 = Some(value.to_owned()),
                _ => {}
            }
        }
        match (t, kid, v1) {
            (Some(t), Some(kid), Some(v1)) => Ok(SignatureHeader { t, kid, v1 }),
            _ => Err(Error::webhook("Invalid Instant-Signature header.")),
        }
    }

    fn check_time(&self, received_at: SystemTime, tolerance: Duration) -> Result<(), Error> {
        // Upstream's parseInt would accept "12abc" and skip the check for "abc"; a signature
        // time must be a number here.
        let t: i64 = self
            .t
            .parse()
            .map_err(|_| Error::webhook("Invalid Instant-Signature header."))?;
        let now = match received_at.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
        let age = now.saturating_sub(t);
        if age > tolerance {
            return Err(Error::webhook("Webhook signature is too old"));
        }
        if -age > tolerance {
            return Err(Error::webhook("Webhook signature is from the future"));
        }
        Ok(())
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A public key that verifies webhook signatures.
pub(crate) enum VerifyingKey {
    Ed25519(Vec<u8>),
    Ecdsa(&'static signature::EcdsaVerificationAlgorithm, Vec<u8>),
    Rsa(
        &'static signature::RsaParameters,
        signature::RsaPublicKeyComponents<Vec<u8>>,
    ),
}

impl VerifyingKey {
    fn from_jwk(jwk: &Jwk) -> Result<VerifyingKey, Error> {
        let unsupported = || {
            Error::webhook(format!(
                "Unsupported JWK configuration: kty={}, crv={}",
                jwk.kty,
                jwk.crv.as_deref().unwrap_or("undefined")
            ))
        };
        let field = |value: &Option<String>| -> Result<Vec<u8>, Error> {
            let text = value.as_deref().ok_or_else(unsupported)?;
            URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|_| {
                    Error::webhook(format!(
                        "the signing key {:?} is not valid base64url",
                        jwk.kid
                    ))
                })
        };
        match (jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => Ok(VerifyingKey::Ed25519(field(&jwk.x)?)),
            ("EC", Some(curve @ ("P-256" | "P-384"))) => {
                let mut point = vec![4u8];
                point.extend(field(&jwk.x)?);
                point.extend(field(&jwk.y)?);
                let algorithm = if curve == "P-256" {
                    &signature::ECDSA_P256_SHA256_FIXED
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED
                };
                Ok(VerifyingKey::Ecdsa(algorithm, point))
            }
            ("RSA", _) => {
                let parameters = match jwk.alg.as_deref() {
                    Some("RS384") => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Some("RS512") => &signature::RSA_PKCS1_2048_8192_SHA512,
                    _ => &signature::RSA_PKCS1_2048_8192_SHA256,
                };
                Ok(VerifyingKey::Rsa(
                    parameters,
                    signature::RsaPublicKeyComponents {
                        n: field(&jwk.n)?,
                        e: field(&jwk.e)?,
                    },
                ))
            }
            _ => Err(unsupported()),
        }
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            VerifyingKey::Ed25519(key) => UnparsedPublicKey::new(&signature::ED25519, key)
                .verify(message, signature)
                .is_ok(),
            VerifyingKey::Ecdsa(algorithm, point) => UnparsedPublicKey::new(*algorithm, point)
                .verify(message, signature)
                .is_ok(),
            VerifyingKey::Rsa(parameters, components) => {
                components.verify(parameters, message, signature).is_ok()
            }
        }
    }
}

/// Verification keys by kid, shared by a client's clones (upstream caches them for the
/// process). Only keys that imported are cached; a kid that is not found is looked up again.
#[derive(Default)]
pub(crate) struct KeyCache {
    keys: Mutex<HashMap<String, Arc<VerifyingKey>>>,
}

impl KeyCache {
    fn get(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(kid)
            .cloned()
    }

    fn insert(&self, kid: &str, key: Arc<VerifyingKey>) {
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(kid.to_owned(), key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    fn keypair() -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).unwrap()
    }

    #[test]
    fn signature_header_parsing() {
        let header = SignatureHeader::parse("t=1700000000,kid=abc,v1=00ff").unwrap();
        assert_eq!(
            (header.t.as_str(), header.kid.as_str(), header.v1.as_str()),
            ("1700000000", "abc", "00ff")
        );
        let header = SignatureHeader::parse(" t=1 , v1=aa, kid=k, extra=1").unwrap();
        assert_eq!(header.kid, "k");
        for bad in ["", "t=1,kid=k", "t=1,kid=,v1=aa", "garbage"] {
            assert_eq!(
                SignatureHeader::parse(bad)
                    .err()
                    .map(|e| e.to_string())
                    .as_deref(),
                Some("Invalid Instant-Signature header."),
                "{bad}"
            );
        }
    }

    #[test]
    fn tolerance_window() {
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let header = SignatureHeader::parse("t=1000,kid=k,v1=aa").unwrap();
        let tolerance = Duration::from_secs(300);
        assert!(header.check_time(at(1300), tolerance).is_ok());
        assert_eq!(
            header
                .check_time(at(1301), tolerance)
                .unwrap_err()
                .to_string(),
            "Webhook signature is too old"
        );
        assert!(header.check_time(at(700), tolerance).is_ok());
        assert_eq!(
            header
                .check_time(at(699), tolerance)
                .unwrap_err()
                .to_string(),
            "Webhook signature is from the future"
        );
        let header = SignatureHeader::parse("t=soon,kid=k,v1=aa").unwrap();
        assert!(header.check_time(at(0), tolerance).is_err());
    }

    #[test]
    fn ed25519_keys_verify_and_reject() {
        let pair = keypair();
        let jwk = Jwk {
            kty: "OKP".into(),
            kid: Some("k".into()),
            crv: Some("Ed25519".into()),
            alg: Some("EdDSA".into()),
            x: Some(URL_SAFE_NO_PAD.encode(pair.public_key().as_ref())),
            y: None,
            n: None,
            e: None,
        };
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        let signature = pair.sign(b"1.{}");
        assert!(key.verify(b"1.{}", signature.as_ref()));
        assert!(!key.verify(b"2.{}", signature.as_ref()));
        let unsupported = Jwk {
            kty: "oct".into(),
            crv: None,
            ..jwk
        };
        assert_eq!(
            VerifyingKey::from_jwk(&unsupported)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("Unsupported JWK configuration: kty=oct, crv=undefined")
        );
    }

    #[test]
    fn ecdsa_keys_verify() {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .unwrap();
        let pair = signature::EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8.as_ref(),
            &rng,
        )
        .unwrap();
        let public = pair.public_key().as_ref();
        let jwk = Jwk {
            kty: "EC".into(),
            kid: None,
            crv: Some("P-256".into()),
            alg: None,
            x: Some(URL_SAFE_NO_PAD.encode(&public[1..33])),
            y: Some(URL_SAFE_NO_PAD.encode(&public[33..])),
            n: None,
            e: None,
        };
        let key = VerifyingKey::from_jwk(&jwk).unwrap();
        let signature = pair.sign(&rng, b"message").unwrap();
        assert!(key.verify(b"message", signature.as_ref()));
        assert!(!key.verify(b"massage", signature.as_ref()));
    }

    #[test]
    fn hex() {
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex("é0"), None);
    }
}
