//! `instant dev`: the emulator starts, prints what a user needs, and serves on loopback.

mod common;

use std::process::{Command, Stdio};

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
    let printed = common::read_until(&mut child, "platform token:");
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
    let response =
        common::raw_admin_query(&url, &app_id, &admin_token, r#"{"query":{"goals":{}}}"#);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with(r#"{"goals":[]}"#), "{response}");
}
