//! A tiny HTTP client and helpers shared by the tests.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use instantdb_emulator::{AppCredentials, Emulator};
use serde_json::{Value, json};
use tokio::net::TcpStream;

/// A response: status, content type and body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    /// The `Location` header of a redirect.
    pub(crate) location: Option<String>,
    /// The `Content-Encoding` header.
    pub(crate) content_encoding: Option<String>,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!("not JSON ({err}): {}", String::from_utf8_lossy(&self.body))
        })
    }

    /// Asserts a 200 and returns the JSON body.
    #[track_caller]
    pub(crate) fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        self.json()
    }

    /// Asserts an error envelope with `status` and `type`; returns the body.
    #[track_caller]
    pub(crate) fn err(&self, status: u16, kind: &str) -> Value {
        let body = self.json();
        assert_eq!(self.status, status, "{body}");
        assert_eq!(body["type"], kind, "{body}");
        body
    }
}

/// One keep-alive HTTP/1.1 connection to the emulator.
pub(crate) struct Client {
    base: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    pub(crate) fn new(base: &str) -> Client {
        Client {
            base: base.to_owned(),
            sender: None,
        }
    }

    async fn sender(&mut self) -> &mut SendRequest<Full<Bytes>> {
        let alive = self.sender.as_ref().is_some_and(|s| !s.is_closed());
        if !alive {
            let authority = self.base.trim_start_matches("http://").to_owned();
            let stream = TcpStream::connect(&authority).await.unwrap();
            let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .unwrap();
            tokio::spawn(conn);
            self.sender = Some(sender);
        }
        self.sender.as_mut().unwrap()
    }

    pub(crate) async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Reply {
        let uri = format!("{}{}", self.base, path);
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder.body(Full::new(body)).unwrap();
        let sender = self.sender().await;
        sender.ready().await.unwrap();
        let response = tokio::time::timeout(Duration::from_secs(30), sender.send_request(request))
            .await
            .expect("request timed out")
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let content_encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            location,
            content_encoding,
            body,
        }
    }

    /// Sends a JSON POST and returns the streaming response (status, body) for SSE tests.
    pub(crate) async fn open_stream(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> (u16, hyper::body::Incoming) {
        let mut builder = http::Request::builder()
            .method("POST")
            .uri(format!("{}{}", self.base, path))
            .header("content-type", "application/json");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let sender = self.sender().await;
        sender.ready().await.unwrap();
        let response = sender.send_request(request).await.unwrap();
        (response.status().as_u16(), response.into_body())
    }

    pub(crate) async fn json(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send(method, path, &all, Bytes::from(body.to_string()))
            .await
    }

    pub(crate) async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", path, headers, Bytes::new()).await
    }
}

/// Admin requests for one app.
pub(crate) struct AdminApp {
    pub(crate) client: Client,
    pub(crate) app_id: String,
    pub(crate) token: String,
}

impl AdminApp {
    pub(crate) fn new(base: &str, app: &AppCredentials) -> AdminApp {
        AdminApp {
            client: Client::new(base),
            app_id: app.app_id.to_string(),
            token: app.admin_token().to_owned(),
        }
    }

    fn headers(&self) -> Vec<(String, String)> {
        vec![
            ("app-id".into(), self.app_id.clone()),
            ("authorization".into(), format!("Bearer {}", self.token)),
        ]
    }

    pub(crate) async fn post_as(
        &mut self,
        path: &str,
        body: Value,
        extra: &[(&str, &str)],
    ) -> Reply {
        let owned = self.headers();
        let mut headers: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        headers.extend_from_slice(extra);
        self.client.json("POST", path, &headers, &body).await
    }

    pub(crate) async fn post(&mut self, path: &str, body: Value) -> Reply {
        self.post_as(path, body, &[]).await
    }

    pub(crate) async fn get(&mut self, path: &str) -> Reply {
        let owned = self.headers();
        let headers: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.client.get(path, &headers).await
    }

    pub(crate) async fn transact(&mut self, steps: Value) -> Reply {
        self.post("/admin/transact", json!({ "steps": steps }))
            .await
    }

    pub(crate) async fn query(&mut self, query: Value) -> Value {
        self.post("/admin/query", json!({ "query": query }))
            .await
            .ok()
    }
}

/// A fresh in-memory emulator with fast background jobs.
pub(crate) async fn emulator() -> Emulator {
    Emulator::builder()
        .job_stage_delay(Duration::from_millis(20))
        .start()
        .await
        .unwrap()
}

/// Platform requests with a bearer token.
pub(crate) struct Platform {
    pub(crate) client: Client,
    pub(crate) token: String,
}

impl Platform {
    pub(crate) fn new(base: &str, token: &str) -> Platform {
        Platform {
            client: Client::new(base),
            token: token.to_owned(),
        }
    }

    pub(crate) async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {}", self.token);
        match body {
            Some(body) => {
                self.client
                    .json(method, path, &[("authorization", &auth)], &body)
                    .await
            }
            None => {
                self.client
                    .send(method, path, &[("authorization", &auth)], Bytes::new())
                    .await
            }
        }
    }
}

impl Platform {
    /// Applies an additive schema push; returns the response and its job group id.
    pub(crate) async fn push_apply(&mut self, app_id: &str, body: Value) -> (Value, String) {
        let path = format!("/superadmin/apps/{app_id}/schema/push/apply");
        let applied = self.call("POST", &path, Some(body)).await.ok();
        let group = applied["indexing-jobs"]["group-id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (applied, group)
    }

    /// Polls a job group until every job in it has finished (`completed` or `errored`); returns
    /// the statuses the first job went through and the final group. Polls for up to 20 s: a
    /// fixed count of short sleeps ran out on a loaded CI machine.
    pub(crate) async fn wait_for_jobs(
        &mut self,
        app_id: &str,
        group: &str,
    ) -> (Vec<String>, Value) {
        let path = format!("/dash/apps/{app_id}/indexing-jobs/group/{group}");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut statuses: Vec<String> = Vec::new();
        loop {
            let jobs = self.call("GET", &path, None).await.ok();
            let status = jobs["jobs"][0]["job_status"].as_str().unwrap().to_owned();
            if statuses.last() != Some(&status) {
                statuses.push(status);
            }
            let finished = jobs["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .all(|job| matches!(job["job_status"].as_str(), Some("completed" | "errored")));
            if finished {
                return (statuses, jobs);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "jobs did not finish: {statuses:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Posts overwrite-mode steps to `/dash/apps/:id/schema/steps/apply`.
    pub(crate) async fn steps_apply(&mut self, app_id: &str, steps: Value) -> Reply {
        let path = format!("/dash/apps/{app_id}/schema/steps/apply");
        self.call("POST", &path, Some(json!({ "steps": steps })))
            .await
    }
}

/// A schema push body as `@instantdb/platform` sends it.
pub(crate) fn push_body(schema: Value) -> Value {
    json!({ "schema": schema, "check_types": true, "supports_background_updates": true })
}

/// A uuid string.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Reads SSE `data:` messages from a streaming body until `count` have arrived.
pub(crate) async fn read_events(
    body: &mut hyper::body::Incoming,
    buffer: &mut String,
    count: usize,
) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            for line in block.lines() {
                if let Some(data) = line.strip_prefix("data: ") {
                    events.push(serde_json::from_str(data).unwrap());
                }
            }
            if events.len() >= count {
                return events;
            }
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("no event within 5 s")
            .expect("stream ended")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            buffer.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}
