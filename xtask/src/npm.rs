//! Installs the official TypeScript SDKs that the differential tests compare against.
//!
//! The manifest and lock file live in `conformance/npm/` (committed); the install goes to
//! `target/conformance/npm/` so the source tree stays clean and `cargo clean` removes it. `npm ci`
//! runs only when the lock file changed since the last install.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::{project_root, run};

/// Returns the directory whose `node_modules` holds the packages.
pub(crate) fn install() -> Result<PathBuf> {
    let root = project_root();
    let src = root.join("conformance/npm");
    let dst = root.join("target/conformance/npm");
    fs::create_dir_all(&dst).with_context(|| format!("creating {}", dst.display()))?;

    let manifest =
        fs::read(src.join("package.json")).context("reading conformance/npm/package.json")?;
    let lock = fs::read(src.join("package-lock.json"))
        .context("reading conformance/npm/package-lock.json")?;
    let stamp = dst.join(".installed-lock");
    let up_to_date = dst.join("node_modules").is_dir()
        && fs::read(&stamp).is_ok_and(|installed| installed == lock);
    if up_to_date {
        return Ok(dst);
    }

    fs::write(dst.join("package.json"), &manifest)?;
    fs::write(dst.join("package-lock.json"), &lock)?;
    run(Command::new("npm").current_dir(&dst).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]))
    .context("installing the official packages (needs Node.js and npm on PATH)")?;
    fs::write(&stamp, &lock)?;
    Ok(dst)
}
