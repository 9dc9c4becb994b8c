//! The permission debuggers: `POST /admin/query_perms_check` and
//! `POST /admin/transact_perms_check` (upstream's `debugQuery` / `debugTransact`).
//!
//! Both run as the impersonated user ([`AdminClient::as_user`]); the server refuses them for a
//! plain admin ("Cannot test perms as admin") but the request is still sent, as upstream does.
//! Both need the admin token.

use http::Method;
use instantdb_schema::perms::Rules;
use serde_json::Value;

use crate::query::{Query, QueryOptions};
use crate::tx::Chunks;
use crate::wire::{
    QueryPermsCheckBody, QueryPermsCheckResponse, TransactPermsCheckBody,
    TransactPermsCheckResponse,
};
use crate::{AdminClient, Error};

/// The answer of [`AdminClient::query_perms_check`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct QueryPermsCheck {
    /// The query result as the user sees it.
    pub result: Value,
    /// One entry per checked record: `{id, entity, record, check, program?…}`.
    pub check_results: Vec<Value>,
}

/// The answer of [`AdminClient::transact_perms_check`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TransactPermsCheck {
    /// The transaction id, when the server ran it.
    pub tx_id: Option<i64>,
    /// Whether every check passed (`all-checks-ok?`).
    pub all_checks_ok: bool,
    /// Whether the transaction was committed (`committed?`): only with
    /// [`TransactPermsCheckRequest::dangerously_commit`] and all checks passing.
    pub committed: bool,
    /// One entry per check: `{scope, action, etype, eid, program, check-result, check-pass?…}`.
    pub check_results: Vec<Value>,
}

/// Overrides shared by both checks.
#[derive(Debug, Default)]
struct Overrides {
    rules: Option<Value>,
    ip: Option<String>,
    origin: Option<String>,
}

impl Overrides {
    /// Upstream sends `ip-override`/`origin-override` only when truthy.
    fn ip(&self) -> Option<&str> {
        self.ip.as_deref().filter(|ip| !ip.is_empty())
    }

    fn origin(&self) -> Option<&str> {
        self.origin.as_deref().filter(|origin| !origin.is_empty())
    }
}

/// A query permission check being built; see [`AdminClient::query_perms_check`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct QueryPermsCheckRequest {
    pub(crate) client: AdminClient,
    query: Query,
    options: QueryOptions,
    inference: Option<bool>,
    overrides: Overrides,
}

impl QueryPermsCheckRequest {
    pub(crate) fn new(client: AdminClient, query: Query) -> QueryPermsCheckRequest {
        QueryPermsCheckRequest {
            client,
            query,
            options: QueryOptions::default(),
            inference: None,
            overrides: Overrides::default(),
        }
    }

    /// Checks against these rules instead of the app's (`rules-override`, an
    /// `instant.perms.ts` object).
    pub fn rules(mut self, rules: &Rules) -> QueryPermsCheckRequest {
        self.overrides.rules = Some(rules.to_value());
        self
    }

    /// `$$ruleParams` inside the query.
    pub fn rule_params(mut self, params: impl serde::Serialize) -> QueryPermsCheckRequest {
        self.options.rule_params(params);
        self
    }

    /// `request.ip` as the rules see it (`ip-override`).
    pub fn ip(mut self, ip: impl Into<String>) -> QueryPermsCheckRequest {
        self.overrides.ip = Some(ip.into());
        self
    }

    /// `request.origin` as the rules see it (`origin-override`).
    pub fn origin(mut self, origin: impl Into<String>) -> QueryPermsCheckRequest {
        self.overrides.origin = Some(origin.into());
        self
    }

    /// `inference?` for this check (upstream's `cardinalityInference`; default: the client's).
    pub fn inference(mut self, inference: bool) -> QueryPermsCheckRequest {
        self.inference = Some(inference);
        self
    }

    /// Sends the check. The query is not validated locally (upstream does not either).
    pub async fn send(self) -> Result<QueryPermsCheck, Error> {
        let client = self.client;
        let (query, _) = self.options.prepare(self.query, &client, false)?;
        let body = QueryPermsCheckBody {
            query: &query,
            rules: self.overrides.rules.as_ref(),
            inference: self.inference.unwrap_or(client.inner.inference),
            ip: self.overrides.ip(),
            origin: self.overrides.origin(),
        };
        let response: QueryPermsCheckResponse = client
            .admin_request(Method::POST, "/admin/query_perms_check", true)?
            .json(&body)
            .send_json()
            .await?;
        Ok(QueryPermsCheck {
            result: response.result,
            check_results: response.check_results,
        })
    }
}

/// A transaction permission check being built; see [`AdminClient::transact_perms_check`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct TransactPermsCheckRequest {
    pub(crate) client: AdminClient,
    chunks: Chunks,
    dangerously_commit: Option<bool>,
    overrides: Overrides,
}

impl TransactPermsCheckRequest {
    pub(crate) fn new(client: AdminClient, chunks: Chunks) -> TransactPermsCheckRequest {
        TransactPermsCheckRequest {
            client,
            chunks,
            dangerously_commit: None,
            overrides: Overrides::default(),
        }
    }

    /// Checks against these rules instead of the app's (`rules-override`).
    pub fn rules(mut self, rules: &Rules) -> TransactPermsCheckRequest {
        self.overrides.rules = Some(rules.to_value());
        self
    }

    /// `request.ip` as the rules see it (`ip-override`).
    pub fn ip(mut self, ip: impl Into<String>) -> TransactPermsCheckRequest {
        self.overrides.ip = Some(ip.into());
        self
    }

    /// `request.origin` as the rules see it (`origin-override`).
    pub fn origin(mut self, origin: impl Into<String>) -> TransactPermsCheckRequest {
        self.overrides.origin = Some(origin.into());
        self
    }

    /// Commits the transaction when every check passes (`dangerously-commit-tx`, upstream's
    /// private `__dangerouslyCommit`). By default the check is a dry run that rolls back.
    pub fn dangerously_commit(mut self, commit: bool) -> TransactPermsCheckRequest {
        self.dangerously_commit = Some(commit);
        self
    }

    /// Sends the check. Not validated locally and never retried, like a transaction.
    pub async fn send(self) -> Result<TransactPermsCheck, Error> {
        let client = self.client;
        self.chunks.check()?;
        let body = TransactPermsCheckBody {
            steps: &self.chunks,
            rules: self.overrides.rules.as_ref(),
            dangerously_commit: self.dangerously_commit,
            ip: self.overrides.ip(),
            origin: self.overrides.origin(),
        };
        let response: TransactPermsCheckResponse = client
            .admin_request(Method::POST, "/admin/transact_perms_check", true)?
            .json(&body)
            .retry_policy(instantdb_http::RetryPolicy::none())
            .send_json()
            .await?;
        Ok(TransactPermsCheck {
            tx_id: response.tx_id,
            all_checks_ok: response.all_checks_ok,
            committed: response.committed,
            check_results: response.check_results,
        })
    }
}
