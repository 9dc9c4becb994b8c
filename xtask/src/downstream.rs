//! `cargo xtask downstream`: builds the facade the way a user's project builds it, and fails on
//! any warning from our crates.
//!
//! The workspace's `Cargo.lock` pins every dependency, so a dependency release that deprecates an
//! API we call goes unnoticed here while every user who runs `cargo add instantdb` sees the
//! warning (rustls 0.23.48 deprecated `crypto::ring::default_provider`, for one). So this task
//! writes a scratch crate under the target directory that depends on `crates/instantdb` by path
//! with every feature, resolves its own lock file with the newest semver-compatible versions
//! (`cargo generate-lockfile`, as a new project does; it needs crates.io), builds it, and reads
//! cargo's JSON messages: a warning whose package is one of ours (a path package) fails the task.
//! Dependencies' own warnings are capped by cargo and never shown, exactly as for a user.
//!
//! The scratch crate shares the workspace's target directory, so dependencies whose resolved
//! version did not change are not rebuilt.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{cargo, project_root, run};

pub(crate) fn check() -> Result<()> {
    let root = project_root();
    let target = target_dir(&root);
    let scratch = target.join("downstream");
    let features = facade_features(&root)?;
    write_scratch_crate(&root, &scratch, &features)?;
    let manifest = scratch.join("Cargo.toml");

    // A fresh lock on every run: the point is the newest versions a user would get today.
    let _ = fs::remove_file(scratch.join("Cargo.lock"));
    run(cargo()
        .current_dir(&scratch)
        .args(["generate-lockfile", "--manifest-path"])
        .arg(&manifest))?;

    let shown = format!("cargo build --manifest-path {}", manifest.display());
    eprintln!("$ {shown}");
    let output = cargo()
        .current_dir(&scratch)
        .args(["build", "--message-format=json", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        // The user's build, not CI's: no `-D warnings` or other flags from the environment.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start {shown}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let ours = our_diagnostics(&stdout);
    for diagnostic in &ours {
        eprint!("{diagnostic}");
    }
    if !output.status.success() {
        bail!("{shown} failed with {}", output.status);
    }
    if !ours.is_empty() {
        bail!(
            "a downstream build with the newest compatible dependencies prints {} warning(s) \
             from our crates (above); the versions resolved are in {}",
            ours.len(),
            scratch.join("Cargo.lock").display()
        );
    }
    eprintln!(
        "downstream: ok (the facade with features {} builds without warnings from our crates)",
        features.join(", ")
    );
    Ok(())
}

/// `$CARGO_TARGET_DIR`, else `<root>/target`, as cargo itself decides (a relative
/// `CARGO_TARGET_DIR` is relative to the current directory, which the scratch build changes).
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                std::env::current_dir()
                    .map(|cwd| cwd.join(&dir))
                    .unwrap_or(dir)
            }
        }
        _ => root.join("target"),
    }
}

/// Every feature of the facade, read from `cargo metadata`, so a new feature is covered without
/// touching this task.
fn facade_features(root: &Path) -> Result<Vec<String>> {
    let output = cargo()
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let meta: Value = serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    let facade = meta["packages"]
        .as_array()
        .context("metadata.packages")?
        .iter()
        .find(|package| package["name"] == "instantdb")
        .context("the workspace has no `instantdb` package")?;
    let mut features: Vec<String> = facade["features"]
        .as_object()
        .context("package.features")?
        .keys()
        .filter(|name| *name != "default")
        .cloned()
        .collect();
    features.sort();
    Ok(features)
}

fn write_scratch_crate(root: &Path, scratch: &Path, features: &[String]) -> Result<()> {
    fs::create_dir_all(scratch.join("src"))
        .with_context(|| format!("creating {}", scratch.display()))?;
    let facade = root.join("crates/instantdb");
    let features: Vec<String> = features.iter().map(|name| format!("{name:?}")).collect();
    // `[workspace]`: the scratch crate sits under the target directory, which may be inside our
    // workspace; it must resolve alone, with its own lock file.
    let manifest = format!(
        "# Written by `cargo xtask downstream`; rewritten on every run.\n\
         [package]\n\
         name = \"instantdb-downstream\"\n\
         version = \"0.0.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\
         \n\
         [dependencies]\n\
         instantdb = {{ path = {path:?}, features = [{features}] }}\n\
         \n\
         [workspace]\n",
        path = facade.display().to_string(),
        features = features.join(", "),
    );
    fs::write(scratch.join("Cargo.toml"), manifest).context("writing the scratch manifest")?;
    fs::write(
        scratch.join("src/lib.rs"),
        "//! A user's crate: it only needs the facade to build.\npub use instantdb;\n",
    )
    .context("writing the scratch lib.rs")?;
    Ok(())
}

/// The rendered warnings and errors that cargo's JSON messages attribute to a path package (one
/// of ours, never a registry crate).
fn our_diagnostics(messages: &str) -> Vec<String> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-message")
        .filter(|message| {
            message["package_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("path+file://"))
        })
        .filter(|message| {
            matches!(
                message["message"]["level"].as_str(),
                Some("warning" | "error")
            )
        })
        .filter_map(|message| message["message"]["rendered"].as_str().map(str::to_owned))
        // rustc ends with a summary ("`instantdb-http` (lib) generated 1 warning"), which names
        // no location; keep only the diagnostics themselves.
        .filter(|rendered| rendered.contains("-->"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_warnings_are_kept() {
        let deprecated = r#"{"reason":"compiler-message","package_id":"path+file:///w/crates/instantdb-http#0.1.0","message":{"level":"warning","rendered":"warning: use of deprecated function\n  --> crates/instantdb-http/src/hyper_transport.rs:163:46\n"}}"#;
        let summary = r#"{"reason":"compiler-message","package_id":"path+file:///w/crates/instantdb-http#0.1.0","message":{"level":"warning","rendered":"warning: 1 warning emitted\n"}}"#;
        let registry = r#"{"reason":"compiler-message","package_id":"registry+https://github.com/rust-lang/crates.io-index#rustls@0.23.48","message":{"level":"warning","rendered":"warning: unused\n  --> src/lib.rs:1:1\n"}}"#;
        let note = r#"{"reason":"compiler-message","package_id":"path+file:///w/crates/instantdb#0.1.0","message":{"level":"note","rendered":"note: x\n  --> src/lib.rs:1:1\n"}}"#;
        let artifact = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/instantdb#0.1.0"}"#;
        let messages = [deprecated, summary, registry, note, artifact, "not json"].join("\n");
        let ours = our_diagnostics(&messages);
        assert_eq!(ours.len(), 1, "{ours:#?}");
        assert!(ours[0].contains("hyper_transport.rs:163"), "{ours:#?}");
    }
}
