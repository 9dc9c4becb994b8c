//! No hyper, hyper-util, hyper-rustls, rustls or tokio-rustls type in the public API.
//!
//! `cargo check-external-types` needs a pinned nightly toolchain that this build does not have,
//! so this test reads the sources instead: every `pub` item outside `hyper_transport.rs` (the
//! private module that wraps them) must not name those crates in its signature.

use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "hyper::",
    "hyper_util::",
    "hyper_rustls::",
    "rustls::",
    "tokio_rustls::",
];

#[test]
fn no_hyper_or_rustls_type_is_public() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    assert!(lib.contains("mod hyper_transport;") && !lib.contains("pub mod hyper_transport"));
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "hyper_transport.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut idx = 0;
        while idx < lines.len() {
            let line = lines[idx].trim_start();
            let public = line.starts_with("pub ") && !line.starts_with("pub(crate)");
            if public {
                // The signature runs until the body or the end of the item.
                let mut signature = String::new();
                for next in &lines[idx..] {
                    signature.push_str(next);
                    signature.push('\n');
                    if next.contains('{') || next.trim_end().ends_with(';') {
                        break;
                    }
                }
                for krate in FORBIDDEN {
                    if signature.contains(krate) {
                        problems.push(format!("{name}:{}: {}", idx + 1, signature.trim()));
                    }
                }
            }
            idx += 1;
        }
        // Re-exports of whole crates.
        for krate in [
            "hyper",
            "hyper_util",
            "hyper_rustls",
            "rustls",
            "tokio_rustls",
        ] {
            if text.contains(&format!("pub use {krate}")) {
                problems.push(format!("{name}: re-exports {krate}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "public items naming hyper/rustls:\n{}",
        problems.join("\n")
    );
}

/// The error type stays opaque: one pointer wide, `Send + Sync`.
#[test]
fn error_is_opaque() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<instantdb_http::Error>();
    assert_send_sync::<instantdb_http::Client>();
    assert_eq!(
        std::mem::size_of::<instantdb_http::Error>(),
        std::mem::size_of::<usize>()
    );
}
