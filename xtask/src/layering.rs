//! The layering rules of docs/ARCHITECTURE.md, checked on the resolved dependency graph from
//! `cargo metadata` (not by grepping manifests, which would miss transitive dependencies).
//!
//! Rules:
//! - `instantdb-schema` and `instantdb-typescript` have no async runtime, HTTP or TLS crate in
//!   their normal (non-dev, non-build) dependency closure;
//! - `instantdb-schema` has no swc either;
//! - only `instantdb-typescript` depends on swc directly, so swc reaches other crates only
//!   through it (and the facade can turn it off).

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::project_root;

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
    let graph = Graph::load()?;
    let mut problems = Vec::new();

    for &(krate, extra_prefixes) in PURE_CRATES {
        let Some(id) = graph.workspace_id(krate) else {
            continue; // Not created yet.
        };
        for dep in graph.normal_closure(id) {
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
        for dep in graph.direct_normal(&id) {
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

struct Graph {
    names: HashMap<String, String>,
    /// Package id → (dependency package id, is a normal dependency on some platform).
    edges: HashMap<String, Vec<(String, bool)>>,
    members: Vec<String>,
}

impl Graph {
    fn load() -> Result<Graph> {
        let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(project_root())
            .args(["metadata", "--format-version", "1", "--locked"])
            .output()
            .context("running cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let meta: Value =
            serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;

        let mut names = HashMap::new();
        for package in meta["packages"].as_array().context("metadata.packages")? {
            let id = package["id"].as_str().context("package.id")?;
            let name = package["name"].as_str().context("package.name")?;
            names.insert(id.to_owned(), name.to_owned());
        }
        let mut edges = HashMap::new();
        for node in meta["resolve"]["nodes"]
            .as_array()
            .context("metadata.resolve.nodes")?
        {
            let id = node["id"].as_str().context("node.id")?.to_owned();
            let mut deps = Vec::new();
            for dep in node["deps"].as_array().context("node.deps")? {
                let dep_id = dep["pkg"].as_str().context("dep.pkg")?.to_owned();
                let normal = dep["dep_kinds"]
                    .as_array()
                    .context("dep.dep_kinds")?
                    .iter()
                    .any(|kind| kind["kind"].is_null());
                deps.push((dep_id, normal));
            }
            edges.insert(id, deps);
        }
        let members = meta["workspace_members"]
            .as_array()
            .context("metadata.workspace_members")?
            .iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect();
        Ok(Graph {
            names,
            edges,
            members,
        })
    }

    fn name(&self, id: &str) -> &str {
        self.names.get(id).map_or("?", String::as_str)
    }

    fn workspace_members(&self) -> Vec<(String, String)> {
        self.members
            .iter()
            .map(|id| (id.clone(), self.name(id).to_owned()))
            .collect()
    }

    fn workspace_id(&self, name: &str) -> Option<String> {
        self.members
            .iter()
            .find(|id| self.name(id) == name)
            .cloned()
    }

    fn direct_normal(&self, id: &str) -> Vec<String> {
        self.edges
            .get(id)
            .into_iter()
            .flatten()
            .filter(|(_, normal)| *normal)
            .map(|(dep, _)| dep.clone())
            .collect()
    }

    fn normal_closure(&self, root: String) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = self.direct_normal(&root);
        while let Some(id) = stack.pop() {
            if seen.insert(id.clone()) {
                stack.extend(self.direct_normal(&id));
            }
        }
        seen
    }
}
