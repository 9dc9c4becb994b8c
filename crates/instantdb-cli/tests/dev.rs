//! `instant dev`: the emulator starts, prints what a user needs, and serves on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn dev_prints_the_url_and_tokens_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_instant"))
        .args(["dev", "--port", "0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("platform token:");
        printed.push(line);
        if done {
            break;
        }
    }
    let field = |label: &str| {
        printed
            .iter()
            .find_map(|line| line.trim().strip_prefix(label).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no `{label}` in {printed:?}"))
    };
    let url = printed[0].rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{printed:?}");
    let app_id = field("app id:");
    let admin_token = field("admin token:");
    assert!(field("platform token:").starts_with("per_"));

    // A raw admin request with the printed credentials.
    let mut stream = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = r#"{"query":{"goals":{}}}"#;
    write!(
        stream,
        "POST /admin/query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\napp-id: {app_id}\r\nauthorization: Bearer {admin_token}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with(r#"{"goals":[]}"#), "{response}");
}
