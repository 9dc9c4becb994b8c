//! The fault-injection matrix: every fault kind, for an idempotent and a non-idempotent
//! request, ends in the expected typed error or success; none hangs, none panics.

use std::time::Duration;

use bytes::Bytes;
use instantdb_http::{Client, Error};
use instantdb_test_support::{Fault, Reply, ScriptedServer};
use serde_json::json;

use crate::support::{client_for, closed_port_url};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Status(u16),
    Connect,
    Transport,
    Body,
    Decode,
    Timeout,
}

fn classify(result: &Result<serde_json::Value, Error>) -> Outcome {
    let Err(err) = result else { return Outcome::Ok };
    if err.is_connect() {
        Outcome::Connect
    } else if err.is_timeout() {
        Outcome::Timeout
    } else if let Some(status) = err.status().filter(|_| err.is_status()) {
        Outcome::Status(status.as_u16())
    } else if err.is_decode() {
        Outcome::Decode
    } else if err.is_body() {
        Outcome::Body
    } else {
        assert!(
            err.is_transient() && !err.is_transient_and_not_sent(),
            "unclassified: {err:?}"
        );
        Outcome::Transport
    }
}

struct Case {
    name: &'static str,
    replies: Vec<Reply>,
    /// Expected outcome and request count for (idempotent, non-idempotent).
    idempotent: (Outcome, usize),
    non_idempotent: (Outcome, usize),
}

fn cases() -> Vec<Case> {
    use Outcome::*;
    let ok = || Reply::json(200, json!({"ok": true}));
    vec![
        Case {
            name: "500 envelope",
            replies: vec![Reply::json(
                500,
                json!({"type": "unknown", "message": "Something went wrong. Sorry about this!"}),
            )],
            idempotent: (Status(500), 1),
            non_idempotent: (Status(500), 1),
        },
        Case {
            name: "503 then ok",
            replies: vec![Reply::json(503, json!({})), ok()],
            idempotent: (Ok, 2),
            non_idempotent: (Status(503), 1),
        },
        Case {
            name: "429 retry-after then ok",
            replies: vec![
                Reply::json(429, json!({"type": "rate-limited"})).header("retry-after", "0"),
                ok(),
            ],
            idempotent: (Ok, 2),
            non_idempotent: (Status(429), 1),
        },
        Case {
            name: "400 text/plain",
            replies: vec![Reply::text(400, "Malformed JSON in request body.")],
            idempotent: (Status(400), 1),
            non_idempotent: (Status(400), 1),
        },
        Case {
            name: "reset",
            replies: vec![Reply::fault(Fault::Reset)],
            idempotent: (Transport, 1),
            non_idempotent: (Transport, 1),
        },
        Case {
            name: "close without answer",
            replies: vec![Reply::fault(Fault::Close)],
            idempotent: (Transport, 1),
            non_idempotent: (Transport, 1),
        },
        Case {
            name: "garbage instead of HTTP",
            replies: vec![Reply::fault(Fault::Garbage(Bytes::from(
                "SSH-2.0-OpenSSH\r\n",
            )))],
            idempotent: (Transport, 1),
            non_idempotent: (Transport, 1),
        },
        Case {
            name: "truncated body",
            replies: vec![Reply::fault(Fault::Truncated {
                body: Bytes::from("{\"ok\":"),
                declared: 64,
            })],
            idempotent: (Body, 1),
            non_idempotent: (Body, 1),
        },
        Case {
            name: "invalid JSON body",
            replies: vec![Reply::text(200, "{\"ok\": tru")],
            idempotent: (Decode, 1),
            non_idempotent: (Decode, 1),
        },
        Case {
            name: "stall before head",
            replies: vec![Reply::fault(Fault::Stall)],
            idempotent: (Timeout, 1),
            non_idempotent: (Timeout, 1),
        },
        Case {
            name: "stall mid-body",
            replies: vec![Reply::fault(Fault::StallBody {
                body: Bytes::from("{\"ok\":"),
                declared: 64,
            })],
            idempotent: (Timeout, 1),
            non_idempotent: (Timeout, 1),
        },
        Case {
            name: "slow body within limits",
            replies: vec![
                Reply::json(200, json!({"ok": true, "pad": "xxxxxxxxxxxxxxxx"}))
                    .chunked(4, Duration::from_millis(10)),
            ],
            idempotent: (Ok, 1),
            non_idempotent: (Ok, 1),
        },
        Case {
            name: "connection refused",
            replies: vec![],
            idempotent: (Connect, 0),
            non_idempotent: (Connect, 0),
        },
    ]
}

async fn run(case: &Case, idempotent: bool) -> (Outcome, usize) {
    let server = ScriptedServer::start().await;
    server.push_all(case.replies.clone());
    let url = if case.name == "connection refused" {
        closed_port_url().await
    } else {
        server.url()
    };
    let client: Client = client_for(&url)
        .timeout(Duration::from_millis(600))
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let request = if idempotent {
        client.get("/admin/x")
    } else {
        client.post("/admin/transact").json(&json!({"steps": []}))
    };
    let result = async { request.send().await?.json::<serde_json::Value>().await };
    let result = tokio::time::timeout(Duration::from_secs(10), result)
        .await
        .unwrap_or_else(|_| panic!("{}: hung", case.name));
    (classify(&result), server.requests().len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix() {
    let cases = cases();
    assert!(cases.len() >= 10);
    let mut table = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        for (idempotent, expected) in [(true, case.idempotent), (false, case.non_idempotent)] {
            let actual = run(case, idempotent).await;
            table.push(format!(
                "{:<26} {:<15} {:?}",
                case.name,
                if idempotent {
                    "idempotent"
                } else {
                    "non-idempotent"
                },
                actual
            ));
            if actual != expected {
                failures.push(format!(
                    "{} (idempotent: {idempotent}): expected {expected:?}, got {actual:?}",
                    case.name
                ));
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
