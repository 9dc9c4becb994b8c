//! `POST /admin/subscribe-query`: a live query over server-sent events (`reactive/sse.clj`).
//!
//! The stream opens with `sse-init`, then `add-query-ok` with the result and its page info,
//! then a `refresh-ok` with the full new result whenever a write to the app changes it.
//! Instead of the server's topic-based invalidation, every committed write to the app
//! re-runs the query and compares results; that is exact, and cheap at emulator sizes.
//! Query and permission errors of the first run are answered as plain HTTP errors before the
//! stream opens (upstream sends them as an `error` event), which the SDK reports the same way.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use crate::admin::query;
use crate::auth::{self, Perms, Scope};
use crate::error::{ApiError, ApiResult};
use crate::server::{Reply, Request, Shared};

/// How often an idle stream gets a comment line, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A validated subscription, ready to stream.
#[derive(Debug)]
pub(crate) struct LiveQuery {
    perms: Perms,
    query: Map<String, Value>,
    inference: bool,
    /// The first result, computed while validating the request.
    first: (Value, Value),
    tx_id: i64,
}

/// Validates the request and computes the first result.
pub(crate) fn handle(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let body = req.json()?;
    let query = Request::object_param(&body, "query")?;
    let inference = Request::flag(&body, "inference?");
    let state = shared.read();
    let perms = auth::perms(&state, req, Scope::DataRead)?;
    let app = state.require_app(&perms.app_id)?;
    let first = query::run_with_page_info(app, &perms, &query, inference, &shared.base_url)?;
    Ok(Reply::Live(LiveQuery {
        perms,
        query,
        inference,
        first,
        tx_id: state.tx_seq,
    }))
}

/// A response body fed by a channel: the SSE stream.
pub(crate) struct ChannelBody {
    receiver: mpsc::Receiver<Bytes>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.receiver
            .poll_recv(cx)
            .map(|chunk| chunk.map(|bytes| Ok(Frame::data(bytes))))
    }
}

fn event(message: &Value) -> Bytes {
    Bytes::from(format!("data: {message}\n\n"))
}

/// Starts streaming `live`; the returned body ends when the client goes away.
pub(crate) fn stream(shared: Arc<Shared>, live: LiveQuery) -> ChannelBody {
    let (sender, receiver) = mpsc::channel(16);
    // Subscribe before the task starts, so no write between validation and streaming is missed.
    let changes = shared.changes.subscribe();
    shared
        .runtime
        .clone()
        .spawn(run(shared, live, sender, changes));
    ChannelBody { receiver }
}

async fn run(
    shared: Arc<Shared>,
    live: LiveQuery,
    sender: mpsc::Sender<Bytes>,
    mut changes: broadcast::Receiver<Uuid>,
) {
    let app_id = live.perms.app_id;
    let (result, page_info) = live.first.clone();
    let opening = [
        Bytes::from_static(b"retry: 500\n\n"),
        event(&json!({
            "op": "sse-init",
            "machine-id": Uuid::new_v4(),
            "session-id": Uuid::new_v4(),
            "sse-token": Uuid::new_v4(),
        })),
        event(&json!({
            "op": "add-query-ok",
            "q": live.query,
            "result": result,
            "result-meta": { "page-info": page_info, "aggregate": {} },
            "processed-tx-id": live.tx_id,
            "client-event-id": Uuid::new_v4(),
        })),
    ];
    for chunk in opening {
        if sender.send(chunk).await.is_err() {
            return;
        }
    }
    let mut last = result;
    let mut closing = shared.closing.clone();
    loop {
        let chunk = tokio::select! {
            changed = changes.recv() => match changed {
                Ok(changed) if changed != app_id => continue,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    match refresh(&shared, &live, &mut last).await {
                        Refresh::Same => continue,
                        Refresh::Changed(message) => event(&message),
                        Refresh::Failed(message) => {
                            let _ = sender.send(event(&message)).await;
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
            () = sender.closed() => return,
            _ = closing.changed() => return,
        };
        if sender.send(chunk).await.is_err() {
            return;
        }
    }
}

enum Refresh {
    Same,
    Changed(Value),
    Failed(Value),
}

/// Re-runs the query after a write; `refresh-ok` when the result changed.
async fn refresh(shared: &Arc<Shared>, live: &LiveQuery, last: &mut Value) -> Refresh {
    let shared = Arc::clone(shared);
    let perms = live.perms.clone();
    let query = live.query.clone();
    let inference = live.inference;
    let computed = tokio::task::spawn_blocking(move || {
        let state = shared.read();
        let app = state.require_app(&perms.app_id)?;
        query::run_with_page_info(app, &perms, &query, inference, &shared.base_url)
            .map(|(result, page_info)| (result, page_info, state.tx_seq))
    })
    .await;
    match computed {
        Ok(Ok((result, page_info, tx_id))) => {
            if result == *last {
                return Refresh::Same;
            }
            *last = result.clone();
            Refresh::Changed(json!({
                "op": "refresh-ok",
                "processed-tx-id": tx_id,
                "computations": [{
                    "instaql-query": live.query,
                    "instaql-result": result,
                    "result-meta": { "page-info": page_info, "aggregate": {} },
                    "result-changed?": true,
                }],
            }))
        }
        Ok(Err(error)) => {
            let mut message = error.envelope_json();
            message["op"] = json!("error");
            message["status"] = json!(error.status.as_u16());
            Refresh::Failed(message)
        }
        Err(_) => Refresh::Failed(json!({
            "op": "error",
            "status": 500,
            "message": ApiError::internal().message(),
        })),
    }
}
