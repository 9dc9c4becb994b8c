//! The request builder shared by the webhook and backup calls, which differ only in method,
//! path, header set, body and how the JSON answer is converted.

use std::fmt;

use instantdb_http::http::Method;
use instantdb_http::{ApiPath, Secret};
use serde_json::Value;

use crate::client::{Headers, RequestOptions};
use crate::{Error, PlatformApi};

/// A platform API call that ends with `.send().await`, returned by the methods of
/// [`Webhooks`](crate::Webhooks) and [`Backups`](crate::Backups).
#[must_use = "call .send().await"]
pub struct ApiCall<T> {
    api: PlatformApi,
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

impl<T> ApiCall<T> {
    pub(crate) fn new(
        api: &PlatformApi,
        method: Method,
        path: ApiPath,
        headers: Headers,
        convert: fn(Value, &str) -> Result<T, Error>,
    ) -> ApiCall<T> {
        ApiCall {
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
    pub(crate) fn unauthenticated(mut self) -> ApiCall<T> {
        self.authenticated = false;
        self
    }

    pub(crate) fn body(mut self, body: Value) -> ApiCall<T> {
        self.body = Some(body);
        self
    }

    pub(crate) fn set_query(mut self, key: &'static str, value: String) -> ApiCall<T> {
        self.query.retain(|(k, _)| *k != key);
        self.query.push((key, value));
        self
    }

    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> ApiCall<T> {
        self.options = options;
        self
    }

    /// Sends the request; a refused OAuth token is refreshed and the request repeated once.
    pub async fn send(self) -> Result<T, Error> {
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

impl<T> fmt::Debug for ApiCall<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiCall")
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
