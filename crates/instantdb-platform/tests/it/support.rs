//! Clients, canned server answers and small assertions shared by the tests.

use std::sync::{Arc, Mutex};

use instantdb_oauth::{ClientCredentials, TokenSet};
use instantdb_platform::PlatformClient;
use instantdb_test_support::{RecordedRequest, Reply, ScriptedServer};
use serde_json::{Value, json};

pub(crate) const APP_ID: &str = "00000000-0000-0000-0000-0000000000aa";
pub(crate) const TOKEN: &str = "test-oauth-token";

/// A client with a plain token against `server`.
pub(crate) fn api(server: &ScriptedServer) -> PlatformClient {
    PlatformClient::builder()
        .token(TOKEN)
        .api_uri(server.url())
        .build()
        .unwrap()
}

/// A client with refreshable OAuth tokens; the vector records the access token of every
/// `on_refresh` call.
pub(crate) fn refresh_api(server: &ScriptedServer) -> (PlatformClient, Arc<Mutex<Vec<TokenSet>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut tokens = TokenSet::new(TOKEN.into());
    tokens.refresh_token = Some("test-refresh-token".into());
    let recorded = calls.clone();
    let api = PlatformClient::builder()
        .api_uri(server.url())
        .oauth(
            tokens,
            ClientCredentials::new("test-client-id", "test-client-secret"),
        )
        .on_refresh(move |tokens: TokenSet| {
            let recorded = recorded.clone();
            async move { recorded.lock().unwrap().push(tokens) }
        })
        .build()
        .unwrap();
    (api, calls)
}

/// The token endpoint's answer to a refresh grant.
pub(crate) fn token_reply(access_token: &str) -> Reply {
    Reply::json(
        200,
        json!({"access_token": access_token, "expires_in": 1_209_600,
               "scope": "apps-read apps-write", "token_type": "Bearer"}),
    )
}

pub(crate) fn app_row(title: &str) -> Value {
    json!({"id": APP_ID, "title": title, "created_at": "2024-01-02T03:04:05.000Z", "org_id": null})
}

pub(crate) fn attr(id: &str, etype: &str, label: &str, checked: Option<&str>) -> Value {
    let mut attr = json!({
        "id": id,
        "forward-identity": [format!("ident-{id}"), etype, label],
        "value-type": "blob",
        "cardinality": "one",
        "unique?": label == "id",
        "index?": false,
        "required?": false,
        "catalog": "user",
    });
    if let Some(checked) = checked {
        attr["checked-data-type"] = json!(checked);
    }
    attr
}

/// `{schema: {blobs: {todos: {id, title}}, refs: {}}}`.
pub(crate) fn schema_reply() -> Reply {
    Reply::json(
        200,
        json!({"schema": {
            "blobs": {"todos": {
                "id": attr("attr-id", "todos", "id", None),
                "title": attr("attr-title", "todos", "title", Some("string")),
            }},
            "refs": {},
        }}),
    )
}

/// A job row as the group endpoint returns it.
pub(crate) fn job(id: &str, job_type: &str, status: &str, updated_at: &str) -> Value {
    json!({
        "id": id, "app_id": APP_ID, "group_id": "group-1", "attr_id": "attr-title",
        "attr_name": "todos.title", "job_type": job_type, "job_status": status,
        "work_estimate": 10, "work_completed": if status == "completed" { 10 } else { 3 },
        "error": null, "created_at": "2024-01-02T03:04:05Z", "updated_at": updated_at,
        "done_at": null, "invalid_unique_value": null, "invalid_triples_sample": null,
        "error_data": null,
    })
}

pub(crate) fn ident(label: &str) -> Value {
    json!(["ident-attr-title", "todos", label])
}

pub(crate) fn jobs_reply(jobs: Vec<Value>) -> Reply {
    Reply::json(200, json!({ "jobs": jobs }))
}

/// The paths of the recorded requests, `METHOD /path`.
pub(crate) fn paths(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

pub(crate) fn bearer(request: &RecordedRequest) -> Option<&str> {
    request.header("authorization")?.strip_prefix("Bearer ")
}

/// An `AsyncWrite` into a shared buffer, to read back what a download wrote.
#[derive(Clone, Default)]
pub(crate) struct SharedBuffer(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    pub(crate) fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

impl tokio::io::AsyncWrite for SharedBuffer {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.0.lock().unwrap().extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
