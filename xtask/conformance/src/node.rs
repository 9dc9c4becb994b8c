//! Running the Node drivers in `conformance/js/` against the installed official packages.
//!
//! Protocol: a driver reads one JSON value per line on stdin and writes exactly one JSON value per
//! line on stdout, in the same order (`{"ok": ...}` or `{"error": "..."}`), so a suite can batch a
//! whole corpus into one Node process.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// The workspace root.
pub(crate) fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory holding `node_modules` with the official packages (set by `cargo xtask`).
pub(crate) fn npm_dir() -> Result<PathBuf> {
    std::env::var_os("INSTANTDB_NPM_DIR")
        .map(PathBuf::from)
        .context("INSTANTDB_NPM_DIR is not set: run this through `cargo xtask conformance`")
}

/// Runs `conformance/js/<script>` once over all `inputs` and returns one answer per input.
pub(crate) fn run_batch(script: &str, inputs: &[Value]) -> Result<Vec<Value>> {
    let path = project_root().join("conformance/js").join(script);
    let mut child = Command::new("node")
        .arg(&path)
        .env("INSTANTDB_NPM_DIR", npm_dir()?)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting node {}", path.display()))?;
    let mut stdin = child.stdin.take().context("node stdin")?;
    let payload = inputs
        .iter()
        .map(|input| serde_json::to_string(input).map(|line| line + "\n"))
        .collect::<Result<String, _>>()?;
    // Write from a thread so a driver that answers while reading cannot deadlock us.
    let writer = std::thread::spawn(move || stdin.write_all(payload.as_bytes()));
    let output = child.wait_with_output().context("waiting for node")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("stdin writer panicked"))??;
    if !output.status.success() {
        bail!("node {} failed with {}", path.display(), output.status);
    }
    let answers = String::from_utf8(output.stdout)
        .context("node output is not UTF-8")?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<Vec<Value>, _>>()
        .context("node output is not JSON lines")?;
    if answers.len() != inputs.len() {
        bail!(
            "{script}: {} inputs but {} answers",
            inputs.len(),
            answers.len()
        );
    }
    Ok(answers)
}
