//! Uploads of every body kind, with the exact `content-length` and headers; the 1 GiB upload is
//! `tests/upload_1gib.rs`.

use bytes::Bytes;
use instantdb_admin::{Impersonate, UploadBody};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::{APP_ID, admin};

fn uploaded() -> Reply {
    Reply::json(
        200,
        json!({"data": {"id": "f1", "location-id": "l1", "size": 0}}),
    )
}

#[tokio::test]
async fn zero_and_one_byte_uploads_send_exact_lengths() {
    let server = ScriptedServer::start().await;
    let storage = admin(&server).storage();
    let dir = tempfile::tempdir().unwrap();
    let empty_file = dir.path().join("empty.bin");
    std::fs::write(&empty_file, b"").unwrap();
    let bodies: Vec<(UploadBody, &[u8])> = vec![
        (UploadBody::bytes(Vec::new()), b""),
        (UploadBody::bytes(vec![0xff]), b"\xff"),
        (UploadBody::file(&empty_file), b""),
        (UploadBody::reader(&b"x"[..], 1), b"x"),
        (
            UploadBody::stream(
                futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"y"))]),
                1,
            ),
            b"y",
        ),
        (UploadBody::reader(&b""[..], 0), b""),
    ];
    let expected: Vec<&[u8]> = bodies.iter().map(|(_, bytes)| *bytes).collect();
    for (idx, (body, _)) in bodies.into_iter().enumerate() {
        server.push(uploaded());
        let file = storage
            .upload_file(&format!("tiny/{idx}.bin"), body)
            .send()
            .await
            .unwrap();
        assert_eq!(file.id, "f1");
        assert_eq!(file.location_id.as_deref(), Some("l1"));
    }
    for (request, bytes) in server.requests().iter().zip(expected) {
        assert_eq!(request.method, http::Method::PUT);
        assert_eq!(request.path, "/admin/storage/upload");
        assert_eq!(
            request.body.as_ref(),
            bytes,
            "{}",
            request.header("path").unwrap()
        );
        assert_eq!(
            request.header("content-length"),
            Some(bytes.len().to_string().as_str())
        );
        assert!(
            request.header("content-type").is_none(),
            "no content type unless given"
        );
        assert!(request.header("transfer-encoding").is_none());
    }
}

#[tokio::test]
async fn upload_headers_impersonation_and_refusals() {
    let server = ScriptedServer::start().await;
    server.push(uploaded());
    let db = admin(&server);
    db.as_user(Impersonate::Guest)
        .storage()
        .upload_file("photos/café.png", "hello")
        .content_type("image/png")
        .content_disposition("inline")
        .send()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.header("app-id"), Some(APP_ID));
    assert_eq!(request.header("as-guest"), Some("true"));
    assert_eq!(request.header("content-type"), Some("image/png"));
    assert_eq!(request.header("content-disposition"), Some("inline"));
    // Latin-1, as `fetch` sends header values.
    assert_eq!(request.headers["path"].as_bytes(), b"photos/caf\xe9.png");

    let err = db
        .storage()
        .upload_file("photos/🐈.png", "x")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_invalid_input(), "{err}");
    let unknown_length = instantdb_http::Body::from_reader(&b"abc"[..], None);
    let err = db
        .storage()
        .upload_file("x", UploadBody::from(unknown_length))
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("content-length"), "{err}");
    let missing = db
        .storage()
        .upload_file("x", UploadBody::file("/nonexistent/file"))
        .send()
        .await
        .unwrap_err();
    assert!(missing.is_invalid_input(), "{missing}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn listing_and_download_urls_go_through_files_queries() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"$files": [{"id": "f1", "path": "a.txt", "url": "http://x/a", "size": 3, "content-type": "text/plain"}]}),
    ));
    server.push(Reply::json(200, json!({"$files": []})));
    server.push(Reply::json(200, json!({"data": {"ids": null}})));
    let storage = admin(&server).storage();
    let files = storage.list_files().send().await.unwrap();
    assert_eq!(files[0].path, "a.txt");
    assert_eq!(files[0].content_type.as_deref(), Some("text/plain"));
    assert_eq!(storage.download_url("b.txt").send().await.unwrap(), None);
    assert!(
        storage
            .delete_files(["a", "b"])
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    let requests = server.requests();
    assert_eq!(requests[0].json().unwrap()["query"], json!({"$files": {}}));
    assert_eq!(
        requests[1].json().unwrap()["query"],
        json!({"$files": {"$": {"where": {"path": "b.txt"}}}})
    );
    assert_eq!(
        requests[2].json().unwrap(),
        json!({"filenames": ["a", "b"]})
    );
}
