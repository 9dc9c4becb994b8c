//! `POST /admin/transact`.

use http::Method;
use instantdb_http::RetryPolicy;

use crate::tx::Chunks;
use crate::wire::{TransactBody, TxResponse};
use crate::{AdminClient, Error, validate};

/// The id of a committed transaction (`{"tx-id": n}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxId(pub i64);

impl TxId {
    /// The number.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A transaction being built; see [`AdminClient::transact`]. Ends with
/// [`send`](TransactRequest::send).
///
/// All steps of all chunks go in one request and commit atomically. With a schema the steps are
/// validated locally first, as upstream's `validateTransactions` does, and
/// `throw-on-missing-attrs?: true` makes the server refuse attributes the schema lacks.
///
/// **Never retried**, whatever the client's retry policy: the server may have committed a
/// transaction whose answer was lost. A failure with [`Error::is_connect`] was never sent and is
/// safe to send again.
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct TransactRequest {
    pub(crate) client: AdminClient,
    chunks: Chunks,
}

impl TransactRequest {
    pub(crate) fn new(client: AdminClient, chunks: Chunks) -> TransactRequest {
        TransactRequest { client, chunks }
    }

    /// The `steps` this transaction sends.
    pub fn steps(&self) -> Result<Vec<serde_json::Value>, Error> {
        self.chunks.steps()
    }

    /// Sends the transaction and returns its id.
    pub async fn send(self) -> Result<TxId, Error> {
        let client = self.client;
        if client.inner.validate
            && let Some(schema) = &client.inner.schema
        {
            validate::validate_transaction(&self.chunks, schema)?;
        }
        self.chunks.check()?;
        let body = TransactBody {
            steps: &self.chunks,
            throw_on_missing_attrs: client.inner.throw_on_missing_attrs,
        };
        let response: TxResponse = client
            .admin_request(Method::POST, "/admin/transact", true)?
            .json(&body)
            .idempotent(false)
            .retry_policy(RetryPolicy::none())
            .send_json()
            .await?;
        Ok(TxId(response.tx_id))
    }
}
