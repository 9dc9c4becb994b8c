//! The layering rules of docs/ARCHITECTURE.md, checked on the resolved dependency graph from
//! `cargo metadata` (not by grepping manifests, which would miss transitive dependencies).
//!
//! Rules:
//! - `instantdb-schema` and `instantdb-typescript` have no async runtime, HTTP or TLS crate in
//!   their normal (non-dev, non-build) dependency closure;
//! - `instantdb-schema` has no swc either;
//! - only `instantdb-typescript` depends on swc directly, so swc reaches other crates only
//!   through it (and the facade can turn it off).

use anyhow::{Result, bail};

use crate::metadata::{Graph, Kinds};

/// Crates that mean IO, async or networking; the pure crates must not reach any of them.
const NETWORK_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "h2",
    "http",
    "http-body",
    "http-body-util",
    "rustls",
    "tokio-rustls",
    "rustls-native-certs",
    "webpki-roots",
    "reqwest",
    "ureq",
    "isahc",
    "surf",
    "curl",
    "async-std",
    "smol",
];

/// Pure crates and, for each, the extra crate-name prefixes forbidden in it.
const PURE_CRATES: &[(&str, &[&str])] = &[
    ("instantdb-schema", &["swc_"]),
    ("instantdb-typescript", &[]),
];

pub(crate) fn check() -> Result<()> {
    let graph = Graph::load(false)?;
    let mut problems = Vec::new();

    for &(krate, extra_prefixes) in PURE_CRATES {
        let Some(id) = graph.workspace_id(krate) else {
            continue; // Not created yet.
        };
        for dep in graph.closure(&id, Kinds::Normal) {
            let name = graph.name(&dep);
            let forbidden = NETWORK_CRATES.contains(&name)
                || extra_prefixes.iter().any(|prefix| name.starts_with(prefix));
            if forbidden {
                problems.push(format!(
                    "{krate} must stay pure but its normal dependency tree contains `{name}`; \
                     see `cargo tree -p {krate} -e normal -i {name}`"
                ));
            }
        }
    }

    for (id, name) in graph.workspace_members() {
        if name == "instantdb-typescript" {
            continue;
        }
        for dep in graph.direct(&id, Kinds::Normal) {
            let dep_name = graph.name(&dep);
            if dep_name.starts_with("swc_") {
                problems.push(format!(
                    "{name} depends on `{dep_name}` directly; only instantdb-typescript may use swc"
                ));
            }
        }
    }

    if !problems.is_empty() {
        bail!("layering check failed:\n  {}", problems.join("\n  "));
    }
    eprintln!(
        "layering: ok ({} workspace crates checked)",
        graph.workspace_members().len()
    );
    Ok(())
}
