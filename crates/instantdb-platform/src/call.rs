//! The request builder shared by the webhook and backup calls, which differ only in method,
//! path, header set, body and how the JSON answer is converted.

use std::fmt;

use instantdb_http::ApiPath;
use instantdb_http::http::Method;
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
        }
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
        let value: Value = api
            .with_auth(|token| {
                let mut request = api.request(
                    self.method.clone(),
                    self.path.clone(),
                    self.headers,
                    Some(&token),
                    &self.options,
                );
                for (key, value) in &self.query {
                    request = request.query(key, value);
                }
                if let Some(body) = &self.body {
                    request = request.json(body);
                }
                async move { Ok(request.send_json().await?) }
            })
            .await?;
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
