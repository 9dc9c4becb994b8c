//! Where the benchmark comparisons keep criterion's output, and how they read its results back.
//! The `bench` entry points run `cargo bench` for our side and Node for the official one, then
//! divide the two means.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::node::project_root;

/// `CRITERION_HOME` for one suite's benchmarks, under the target directory so that a clean
/// clone starts without old baselines.
pub(crate) fn home(suite: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"));
    target.join(format!("conformance/criterion-{suite}"))
}

/// The mean time, in nanoseconds, criterion measured for `bench` (its id, `group/name` for a
/// benchmark in a group) in the last run under `home`.
pub(crate) fn mean_ns(home: &Path, bench: &str) -> Result<f64> {
    let path = home.join(bench).join("new/estimates.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading criterion's {}", path.display()))?;
    let estimates: Value =
        serde_json::from_str(&text).with_context(|| format!("decoding {}", path.display()))?;
    estimates["mean"]["point_estimate"]
        .as_f64()
        .with_context(|| format!("{} has no mean.point_estimate", path.display()))
}
