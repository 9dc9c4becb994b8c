//! The request description shared by the calls that differ only in method, path, header set,
//! body and how the JSON answer is converted (webhooks, backups, the dashboard routes), and the
//! crate's [`Call`] type they become.

use std::fmt;

use instantdb_http::http::Method;
use instantdb_http::{ApiPath, Secret};
use serde_json::Value;

use instantdb_http::RequestOptions;

use crate::client::Headers;
use crate::{Error, PlatformClient};

/// A call with nothing left to set but per-call options: the return type of the simple calls
/// ([`Webhooks::list`](crate::Webhooks::list), [`PlatformClient::current_user`]…). Await it
/// directly or through `send()`; see [`instantdb_http::Call`].
pub type Call<T> = instantdb_http::Call<T, Error>;

/// One JSON request to the platform API and the conversion of its answer.
pub(crate) struct Endpoint<T> {
    api: PlatformClient,
    method: Method,
    path: ApiPath,
    headers: Headers,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    convert: fn(Value, &str) -> Result<T, Error>,
    options: RequestOptions,
    /// Whether the call carries the client's token (and fails without one).
    authenticated: bool,
}

impl<T> Endpoint<T> {
    pub(crate) fn new(
        api: &PlatformClient,
        method: Method,
        path: ApiPath,
        headers: Headers,
        convert: fn(Value, &str) -> Result<T, Error>,
    ) -> Endpoint<T> {
        Endpoint {
            api: api.clone(),
            method,
            path,
            headers,
            query: Vec::new(),
            body: None,
            convert,
            options: RequestOptions::default(),
            authenticated: true,
        }
    }

    /// A call that sends no token (the ticket login's endpoints), so it works on a client
    /// without auth.
    pub(crate) fn unauthenticated(mut self) -> Endpoint<T> {
        self.authenticated = false;
        self
    }

    pub(crate) fn body(mut self, body: Value) -> Endpoint<T> {
        self.body = Some(body);
        self
    }

    pub(crate) fn set_query(mut self, key: &'static str, value: String) -> Endpoint<T> {
        self.query.retain(|(k, _)| *k != key);
        self.query.push((key, value));
        self
    }

    pub(crate) fn with_options(mut self, options: RequestOptions) -> Endpoint<T> {
        self.options = options;
        self
    }

    /// Sends the request; a refused OAuth token is refreshed and the request repeated once.
    pub(crate) async fn send(self) -> Result<T, Error> {
        let api = &self.api;
        let endpoint = format!("{} {}", self.method, self.path.as_str());
        let send = |token: Option<Secret>| {
            let mut request = api.request(
                self.method.clone(),
                self.path.clone(),
                self.headers,
                token.as_ref(),
                &self.options,
            );
            for (key, value) in &self.query {
                request = request.query(key, value);
            }
            if let Some(body) = &self.body {
                request = request.json(body);
            }
            async move { Ok::<Value, Error>(request.send_json().await?) }
        };
        let value = if self.authenticated {
            api.with_auth(|token| send(Some(token))).await?
        } else {
            send(None).await?
        };
        (self.convert)(value, &endpoint)
    }
}

impl<T: Send + 'static> Endpoint<T> {
    /// The public face of the request: a [`Call`] that applies the per-call options.
    pub(crate) fn call(self, what: &'static str) -> Call<T> {
        Call::new(what, move |options| self.with_options(options).send())
    }
}

impl<T> fmt::Debug for Endpoint<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("method", &self.method)
            .field("path", &self.path.as_str())
            .finish_non_exhaustive()
    }
}

/// Decodes a JSON answer into a wire struct, naming the endpoint on failure.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    value: Value,
    endpoint: &str,
) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|err| Error::invalid_response(endpoint, err.to_string()))
}

// Every request builder of the crate can be awaited without `.send()`, as in the other client
// crates.
instantdb_http::into_future! {
    crate::builder::GetApps => Vec<crate::App>, Error;
    crate::builder::GetApp => crate::App, Error;
    crate::builder::GetSchema => crate::AppSchema, Error;
    crate::builder::GetPerms => Option<instantdb_schema::perms::Rules>, Error;
    crate::builder::GetOrgs => Vec<crate::Org>, Error;
    crate::builder::CreateApp => crate::App, Error;
    crate::builder::CreateTemporaryApp => crate::TemporaryApp, Error;
    crate::builder::UpdateApp => crate::App, Error;
    crate::builder::DeleteApp => crate::App, Error;
    crate::builder::PushPerms => instantdb_schema::perms::Rules, Error;
    crate::builder::ListStorageFiles => crate::StorageFiles, Error;
    crate::builder::CheckCliLogin => crate::CliLoginStatus, Error;
    crate::builder::CreateDashApp => crate::App, Error;
    crate::builder::ListWebhookEvents => crate::WebhookEventsPage, Error;
    crate::builder::PlanSchemaPush => crate::SchemaPlan, Error;
}
