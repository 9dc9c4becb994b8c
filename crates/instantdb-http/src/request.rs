//! Building a request and running it: the retry loop, timeouts, status check and tracing.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use crate::base_url::encode_component;
use crate::error::TimeoutPhase;
use crate::headers::HeaderSet;
use crate::response::{Deadline, Response, read_error_body};
use crate::secret::Redactor;
use crate::{ApiError, ApiPath, Body, Client, Error, RetryPolicy, Secret};

/// One request being built; see [`Client::request`].
///
/// Setters record the first invalid input (a header that is not valid HTTP, a body that does
/// not serialize) and [`RequestBuilder::send`] reports it without sending anything.
///
/// ```no_run
/// use instantdb_http::{ApiPath, Client, Secret};
///
/// # async fn example(client: Client, app_id: &str, token: &Secret) -> Result<(), instantdb_http::Error> {
/// let schema: serde_json::Value = client
///     .get(ApiPath::new("/superadmin/apps").segment(app_id).segment("schema"))
///     .bearer_auth(token)
///     .send_json()
///     .await?;
///
/// let response = client
///     .get("/admin/users")
///     .query("app_id", app_id)
///     .query("email", "alyssa+test@example.com") // sent as alyssa%2Btest%40example.com
///     .send()
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct RequestBuilder {
    client: Client,
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    headers: HeaderSet,
    body: Body,
    idempotent: Option<bool>,
    expected: Expected,
    timeout: Option<Option<Duration>>,
    read_timeout: Option<Option<Duration>>,
    retry: Option<RetryPolicy>,
    removed: Vec<HeaderName>,
}

enum Target {
    Path(ApiPath),
    Absolute(url::Url),
}

#[derive(Clone)]
enum Expected {
    Statuses(Vec<StatusCode>),
    AnySuccess,
}

impl Expected {
    fn accepts(&self, status: StatusCode) -> bool {
        match self {
            Expected::Statuses(list) => list.contains(&status),
            Expected::AnySuccess => status.is_success(),
        }
    }
}

impl RequestBuilder {
    pub(crate) fn new(client: Client, method: Method, path: ApiPath) -> RequestBuilder {
        RequestBuilder::with_target(client, method, Target::Path(path))
    }

    pub(crate) fn new_absolute(client: Client, method: Method, url: url::Url) -> RequestBuilder {
        RequestBuilder::with_target(client, method, Target::Absolute(url))
    }

    fn with_target(client: Client, method: Method, target: Target) -> RequestBuilder {
        RequestBuilder {
            client,
            method,
            target,
            query: Vec::new(),
            headers: HeaderSet::default(),
            body: Body::empty(),
            idempotent: None,
            expected: Expected::Statuses(vec![StatusCode::OK]),
            timeout: None,
            read_timeout: None,
            retry: None,
            removed: Vec::new(),
        }
    }

    /// Appends a query parameter. Keys and values are percent-encoded with one set: everything
    /// but `A-Z a-z 0-9 - . _ ~` (a space is `%20`).
    pub fn query(mut self, key: &str, value: impl AsRef<str>) -> RequestBuilder {
        self.query.push((key.to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Appends several query parameters, in order.
    pub fn query_pairs<I, K, V>(mut self, pairs: I) -> RequestBuilder
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.query.extend(
            pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned())),
        );
        self
    }

    /// Appends a query parameter whose value is a secret (e.g. `refresh_token`): it is scrubbed
    /// from errors. The query string is never logged or shown in errors anyway.
    pub fn query_secret(mut self, key: &str, secret: &Secret) -> RequestBuilder {
        self.headers.redactor.add(secret);
        self.query
            .push((key.to_owned(), secret.expose().to_owned()));
        self
    }

    /// Sets a header, replacing the client's default header of the same name.
    pub fn header<K, V>(mut self, name: K, value: V) -> RequestBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        self.headers.set(name, value);
        self
    }

    /// Sets every header of `headers`, replacing defaults of the same names.
    pub fn headers(mut self, headers: HeaderMap) -> RequestBuilder {
        self.headers.extend(headers);
        self
    }

    /// Sets a header whose value is a secret (`as-token`…): marked sensitive and scrubbed from
    /// errors.
    pub fn secret_header<K>(mut self, name: K, secret: &Secret) -> RequestBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
    {
        self.headers.set_secret(name, secret);
        self
    }

    /// `authorization: Bearer <token>`, replacing the client's default.
    pub fn bearer_auth(mut self, token: &Secret) -> RequestBuilder {
        self.headers.bearer(token);
        self
    }

    /// Removes a header, including the client's default of that name.
    pub fn without_header(mut self, name: HeaderName) -> RequestBuilder {
        self.headers.map.remove(&name);
        self.removed.push(name);
        self
    }

    /// A JSON body, with `content-type: application/json` unless a content type is set.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> RequestBuilder {
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                self.body = Body::from_bytes(bytes);
                if !self.headers.map.contains_key(CONTENT_TYPE) {
                    self.headers
                        .map
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
            }
            Err(err) => self.headers.fail(Error::builder(format!(
                "the JSON body does not serialize: {err}"
            ))),
        }
        self
    }

    /// Any body: bytes, a stream, a reader, a file (see [`Body`]). One-pass streams are never
    /// retried.
    pub fn body(mut self, body: impl Into<Body>) -> RequestBuilder {
        self.body = body.into();
        self
    }

    /// Marks whether sending the request twice is harmless, which allows retrying it on HTTP
    /// 429/502/503/504. Default: true for `GET`, `HEAD` and `OPTIONS`, false otherwise. Never
    /// mark a transaction or a schema push idempotent.
    pub fn idempotent(mut self, idempotent: bool) -> RequestBuilder {
        self.idempotent = Some(idempotent);
        self
    }

    /// The only status that counts as success (default: exactly 200, as the official SDKs).
    pub fn expect_status(mut self, status: StatusCode) -> RequestBuilder {
        self.expected = Expected::Statuses(vec![status]);
        self
    }

    /// The statuses that count as success.
    pub fn expect_statuses(
        mut self,
        statuses: impl IntoIterator<Item = StatusCode>,
    ) -> RequestBuilder {
        self.expected = Expected::Statuses(statuses.into_iter().collect());
        self
    }

    /// Any 2xx counts as success (for URLs outside the Instant API, such as presigned uploads).
    pub fn expect_any_success(mut self) -> RequestBuilder {
        self.expected = Expected::AnySuccess;
        self
    }

    /// Overrides the client's total timeout for this request (`None` disables it).
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> RequestBuilder {
        self.timeout = Some(timeout.into());
        self
    }

    /// Overrides the client's idle-read timeout for this response's body (`None` disables it,
    /// e.g. for an event stream from a server that sends no keep-alives).
    pub fn read_timeout(mut self, timeout: impl Into<Option<Duration>>) -> RequestBuilder {
        self.read_timeout = Some(timeout.into());
        self
    }

    /// Overrides the client's retry policy for this request.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> RequestBuilder {
        self.retry = Some(policy);
        self
    }

    /// Sends the request and decodes a success body as JSON.
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<T, Error> {
        self.send().await?.json().await
    }

    /// Sends the request, retrying as the policy allows, and returns the response once its
    /// status is one of the expected ones; any other status is an [`Error`] carrying Instant's
    /// [`ApiError`].
    pub async fn send(self) -> Result<Response, Error> {
        let prepared = match self.prepare() {
            Ok(prepared) => prepared,
            Err((err, endpoint)) => return Err(err.with_endpoint(&endpoint)),
        };
        let span = tracing::debug_span!(
            "instantdb_http.request",
            method = %prepared.method,
            path = %prepared.url.path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let endpoint = prepared.endpoint.clone();
        prepared
            .run()
            .instrument(span)
            .await
            .map_err(|err| err.with_endpoint(&endpoint))
    }

    fn prepare(self) -> Result<Prepared, (Error, String)> {
        let RequestBuilder {
            client,
            method,
            target,
            query,
            headers,
            body,
            idempotent,
            expected,
            timeout,
            read_timeout,
            retry,
            removed,
        } = self;
        let HeaderSet {
            map: headers,
            mut redactor,
            error,
        } = headers;
        let shared = &client.shared;
        let (url, absolute) = match &target {
            Target::Path(path) => (shared.base_url.join(path), false),
            Target::Absolute(url) => (Ok(url.clone()), true),
        };
        let path_for_errors = match &target {
            Target::Path(path) => path.as_str().to_owned(),
            Target::Absolute(url) => url.path().to_owned(),
        };
        let endpoint = format!("{method} {path_for_errors}");
        if let Some(err) = error {
            return Err((err, endpoint));
        }
        let mut url = url.map_err(|err| (err, endpoint.clone()))?;
        let endpoint = format!("{method} {}", url.path());
        if !query.is_empty() {
            let mut encoded = url.query().map(str::to_owned).unwrap_or_default();
            for (key, value) in &query {
                if !encoded.is_empty() {
                    encoded.push('&');
                }
                encoded.push_str(&encode_component(key));
                encoded.push('=');
                encoded.push_str(&encode_component(value));
            }
            url.set_query(Some(&encoded));
        }
        let uri: http::Uri = url.as_str().parse().map_err(|err| {
            (
                Error::builder(format!("invalid URL: {err}")),
                endpoint.clone(),
            )
        })?;

        let mut merged = if absolute {
            let mut only_agent = HeaderMap::new();
            if let Some(agent) = shared.headers.get(http::header::USER_AGENT) {
                only_agent.insert(http::header::USER_AGENT, agent.clone());
            }
            only_agent
        } else {
            redactor.extend(&shared.redactor);
            shared.headers.clone()
        };
        for name in removed.iter().chain(headers.keys()) {
            merged.remove(name);
        }
        for (name, value) in &headers {
            merged.append(name, value.clone());
        }
        let idempotent = idempotent.unwrap_or(matches!(
            method,
            Method::GET | Method::HEAD | Method::OPTIONS
        ));
        Ok(Prepared {
            transport: shared.transport.clone(),
            budget_client: client.clone(),
            method,
            url,
            uri,
            headers: merged,
            body,
            idempotent,
            expected,
            timeout: timeout.unwrap_or(shared.timeout),
            read_timeout: read_timeout.unwrap_or(shared.read_timeout),
            retry: retry.unwrap_or_else(|| shared.retry.clone()),
            redactor,
            endpoint,
        })
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = match &self.target {
            Target::Path(path) => path.as_str().to_owned(),
            Target::Absolute(url) => url.path().to_owned(),
        };
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("path", &target)
            .field(
                "query_keys",
                &self.query.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("headers", &self.headers.map.keys().collect::<Vec<_>>())
            .field("body", &self.body)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

struct Prepared {
    transport: std::sync::Arc<dyn crate::Transport>,
    budget_client: Client,
    method: Method,
    url: url::Url,
    uri: http::Uri,
    headers: HeaderMap,
    body: Body,
    idempotent: bool,
    expected: Expected,
    timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    retry: RetryPolicy,
    redactor: Redactor,
    endpoint: String,
}

impl Prepared {
    async fn run(mut self) -> Result<Response, Error> {
        let client = self.budget_client.clone();
        let budget = &client.shared.budget;
        budget.deposit();
        let mut attempt = 1;
        loop {
            let result = self.attempt().await;
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            let err = match result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    return Ok(response);
                }
                Err(err) => err,
            };
            if let Some(status) = err.status() {
                span.record("status", status.as_u16());
            }
            let Some(delay) = self.retry.retry_delay(&err, attempt, self.idempotent) else {
                return Err(err);
            };
            if !self.body.is_replayable() {
                tracing::debug!(error = %err, "not retrying: the body is a one-pass stream");
                return Err(err);
            }
            if !budget.withdraw() {
                tracing::debug!(error = %err, "not retrying: retry budget exhausted");
                return Err(err);
            }
            tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, error = %err, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(&mut self) -> Result<Response, Error> {
        let Some(body) = self.body.take_attempt() else {
            return Err(Error::builder(
                "a one-pass body stream cannot be sent twice",
            ));
        };
        let mut request = http::Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        let deadline = self.timeout.map(|limit| Deadline {
            at: Instant::now() + limit,
            limit,
        });
        let sending = self.transport.send(request);
        let response = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline.at, sending)
                .await
                .map_err(|_| Error::timeout(TimeoutPhase::Total, deadline.limit))??,
            None => sending.await?,
        };
        let (parts, body) = response.into_parts();
        let body = crate::response::with_idle_timeout(body, self.read_timeout);
        if self.expected.accepts(parts.status) {
            return Ok(Response::new(
                parts,
                body,
                self.endpoint.clone(),
                deadline,
                self.redactor.clone(),
            ));
        }
        let bytes: Bytes = read_error_body(body, deadline).await?;
        Err(Error::from_api(ApiError::from_body_redacted(
            parts.status,
            parts.headers,
            bytes,
            &self.redactor,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport_fn;

    fn client() -> Client {
        Client::builder()
            .base_url("http://instant.test/base/")
            .default_header("x-instant-source", "rust")
            .transport(transport_fn(|request: http::Request<Body>| async move {
                let mut response = http::Response::new(Body::from(request.uri().to_string()));
                *response.status_mut() = StatusCode::OK;
                Ok(response)
            }))
            .build()
            .unwrap()
    }

    fn prepared(builder: RequestBuilder) -> Prepared {
        builder.prepare().map_err(|(e, _)| e).unwrap()
    }

    #[test]
    fn urls_and_query_strings() {
        let p = prepared(
            client()
                .get("/superadmin/apps")
                .query("include", "perms,schema")
                .query("email", "alyssa+test@example.com")
                .query("room-id", "room/1&x=2")
                .query("q", "a b~*"),
        );
        assert_eq!(
            p.uri.to_string(),
            "http://instant.test/base/superadmin/apps?include=perms%2Cschema\
             &email=alyssa%2Btest%40example.com&room-id=room%2F1%26x%3D2&q=a%20b~%2A"
        );
        assert_eq!(p.endpoint, "GET /base/superadmin/apps");
        assert!(p.idempotent);
        assert!(!prepared(client().post("/admin/query")).idempotent);
        assert!(prepared(client().post("/admin/query").idempotent(true)).idempotent);
    }

    #[test]
    fn headers_merge_and_secrets_are_sensitive() {
        let token = Secret::new("tok-abcdef");
        let p = prepared(
            client()
                .post("/admin/transact")
                .bearer_auth(&token)
                .header("x-instant-source", "override")
                .json(&serde_json::json!({"steps": []})),
        );
        assert_eq!(p.headers["x-instant-source"], "override");
        assert_eq!(p.headers[CONTENT_TYPE], "application/json");
        assert!(p.headers[http::header::AUTHORIZATION].is_sensitive());
        assert!(!format!("{:?}", p.headers).contains("tok-abcdef"));
        let mut extra = HeaderMap::new();
        extra.append("x-instant-source", HeaderValue::from_static("a"));
        extra.append("x-instant-source", HeaderValue::from_static("b"));
        let p = prepared(client().get("/x").headers(extra));
        let values: Vec<_> = p.headers.get_all("x-instant-source").iter().collect();
        assert_eq!(values, ["a", "b"]);
        let p = prepared(client().get("/x").without_header(http::header::USER_AGENT));
        assert!(!p.headers.contains_key(http::header::USER_AGENT));
    }

    #[test]
    fn absolute_urls_get_no_default_headers() {
        let url = url::Url::parse("https://bucket.example.com/a%2Fb?sig=1").unwrap();
        let p = prepared(client().request_url(Method::PUT, url).query("x", "y z"));
        assert_eq!(
            p.uri.to_string(),
            "https://bucket.example.com/a%2Fb?sig=1&x=y%20z"
        );
        assert!(!p.headers.contains_key("x-instant-source"));
        assert!(p.headers.contains_key(http::header::USER_AGENT));
    }

    #[test]
    fn invalid_input_is_reported_at_send() {
        let err = client()
            .get("/x")
            .header("bad header", "v")
            .prepare()
            .err()
            .unwrap()
            .0;
        assert!(err.is_builder(), "{err}");
        let err = client().get("/a/../b").prepare().err().unwrap();
        assert!(err.0.to_string().contains("segment"));
        let err = client()
            .get("/x")
            .secret_header("as-token", &Secret::new("bad\nvalue-secret"))
            .prepare()
            .err()
            .unwrap()
            .0;
        assert!(!err.to_string().contains("value-secret"));
    }
}
