//! `POST /admin/query`.

use http::{HeaderMap, Method};
use instantdb_schema::js;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::instaql::InstaQl;
use crate::wire::QueryBody;
use crate::{AdminClient, Error, validate};

/// A query: a `serde_json::Value` in InstaQL form (`{"goals": {"$": {...}, "todos": {}}}`) or
/// a typed [`InstaQl`].
#[derive(Debug, Clone, PartialEq)]
pub struct Query(QueryKind);

#[derive(Debug, Clone, PartialEq)]
enum QueryKind {
    Json(Value),
    Built(InstaQl),
}

impl From<Value> for Query {
    fn from(query: Value) -> Query {
        Query(QueryKind::Json(query))
    }
}

impl From<InstaQl> for Query {
    fn from(query: InstaQl) -> Query {
        Query(QueryKind::Built(query))
    }
}

impl From<&InstaQl> for Query {
    fn from(query: &InstaQl) -> Query {
        Query(QueryKind::Built(query.clone()))
    }
}

impl Query {
    /// The JSON to send: rule params prepended as upstream's `{$$ruleParams, ...query}` does,
    /// JS key order and number spelling, then upstream's local validation when `validate`.
    pub(crate) fn prepare(
        self,
        client: &AdminClient,
        rule_params: Option<Value>,
        validate: bool,
    ) -> Result<Value, Error> {
        let mut query = match self.0 {
            QueryKind::Json(query) => query,
            QueryKind::Built(query) => query.build()?,
        };
        if let (Some(params), Value::Object(map)) = (rule_params, &mut query) {
            // `{ $$ruleParams: params, ...query }`: first position; a `$$ruleParams` already in
            // the query keeps its value.
            let existing = map.shift_remove("$$ruleParams");
            let mut with_params = Map::new();
            with_params.insert("$$ruleParams".to_owned(), existing.unwrap_or(params));
            with_params.extend(std::mem::take(map));
            *map = with_params;
        }
        js::normalize(&mut query);
        if validate && client.inner.validate {
            validate::validate_query(&query, client.inner.schema.as_deref())?;
        }
        Ok(query)
    }
}

/// A query being built; see [`AdminClient::query`]. Ends with [`send`](QueryRequest::send) or
/// [`send_as`](QueryRequest::send_as).
///
/// The body is `{"query": …, "inference?": …}` with `$$ruleParams` inside the query (the
/// server ignores it beside the query, where the HTTP docs put it). The query is validated
/// locally first as upstream's `validateQuery` does (with the client's schema, if any). The
/// result is the server's object tree, untouched: `{"goals": [{…}, …]}`.
///
/// Queries are idempotent, so the client's retry policy may retry them on 429/502/503/504.
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct QueryRequest {
    pub(crate) client: AdminClient,
    query: Query,
    options: QueryOptions,
}

/// What query, live-query and perms-check requests take besides the query: rule params, the
/// caller's extra headers, and the first invalid input (reported when sending).
#[derive(Debug, Default)]
pub(crate) struct QueryOptions {
    pub(crate) rule_params: Option<Value>,
    pub(crate) headers: HeaderMap,
    pub(crate) error: Option<Error>,
}

impl QueryOptions {
    pub(crate) fn rule_params(&mut self, params: impl serde::Serialize) {
        match serde_json::to_value(params) {
            Ok(params) => self.rule_params = Some(params),
            Err(err) => self.fail(format!("the rule params do not serialize: {err}")),
        }
    }

    pub(crate) fn header(&mut self, name: &str, value: &str) {
        match (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => self.fail(format!("`{name}: {value}` is not a valid header")),
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(Error::invalid_input(message));
        }
    }

    /// The query to send (see [`Query::prepare`]) and the extra headers, or the first invalid
    /// input.
    pub(crate) fn prepare(
        self,
        query: Query,
        client: &AdminClient,
        validate: bool,
    ) -> Result<(Value, HeaderMap), Error> {
        if let Some(err) = self.error {
            return Err(err);
        }
        Ok((
            query.prepare(client, self.rule_params, validate)?,
            self.headers,
        ))
    }
}

impl QueryRequest {
    pub(crate) fn new(client: AdminClient, query: Query) -> QueryRequest {
        QueryRequest {
            client,
            query,
            options: QueryOptions::default(),
        }
    }

    /// `$$ruleParams`: values the permission rules see as `ruleParams` (impersonated requests
    /// only; admins bypass rules).
    pub fn rule_params(mut self, params: impl serde::Serialize) -> QueryRequest {
        self.options.rule_params(params);
        self
    }

    /// An extra header (upstream's `fetchOpts.headers`, e.g. a request id). The client's own
    /// headers (`app-id`, `authorization`…) win over one of the same name.
    pub fn header(mut self, name: &str, value: &str) -> QueryRequest {
        self.options.header(name, value);
        self
    }

    /// Sends the query and returns the result tree.
    pub async fn send(self) -> Result<Value, Error> {
        self.send_as().await
    }

    /// Sends the query and deserializes the result into `T`; a result that does not match
    /// reports the failing field's path and the start of the body.
    pub async fn send_as<T: DeserializeOwned>(self) -> Result<T, Error> {
        let client = self.client;
        let (query, headers) = self.options.prepare(self.query, &client, true)?;
        let request = client
            .admin_request_with(Method::POST, "/admin/query", true, headers)?
            .idempotent(true);
        let body = QueryBody {
            query: &query,
            inference: client.inner.inference,
        };
        Ok(request.json(&body).send_json().await?)
    }
}
