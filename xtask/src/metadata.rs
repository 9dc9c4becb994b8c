//! The resolved dependency graph from `cargo metadata`, shared by the layering and tidy checks.
//!
//! Read from cargo's own resolution rather than by grepping manifests, which would miss
//! transitive dependencies, renamed packages and features.

use std::collections::{BTreeSet, HashMap};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{cargo, project_root};

/// One package of the graph.
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) version: String,
    /// The `rust-version` it declares, if any.
    pub(crate) rust_version: Option<String>,
    /// `false` for `publish = false`.
    pub(crate) publishable: bool,
}

/// One edge: how a package depends on another (on some platform).
struct Edge {
    to: String,
    normal: bool,
    build: bool,
}

pub(crate) struct Graph {
    packages: HashMap<String, Package>,
    edges: HashMap<String, Vec<Edge>>,
    members: Vec<String>,
}

/// Which dependency kinds a walk follows.
#[derive(Clone, Copy)]
pub(crate) enum Kinds {
    /// `[dependencies]` only: what ends up linked into the crate.
    Normal,
    /// `[dependencies]` and `[build-dependencies]`: everything a user's compiler must build.
    NormalAndBuild,
}

impl Graph {
    /// Runs `cargo metadata --locked`; `all_features` resolves with every feature of every
    /// workspace crate turned on (what some user may enable), otherwise with default features.
    pub(crate) fn load(all_features: bool) -> Result<Graph> {
        let mut cmd = cargo();
        cmd.current_dir(project_root())
            .args(["metadata", "--format-version", "1", "--locked"]);
        if all_features {
            cmd.arg("--all-features");
        }
        let output = cmd.output().context("running cargo metadata")?;
        if !output.status.success() {
            bail!(
                "cargo metadata failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let meta: Value =
            serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
        Graph::from_metadata(&meta)
    }

    /// The graph of a parsed `cargo metadata --format-version 1` document.
    pub(crate) fn from_metadata(meta: &Value) -> Result<Graph> {
        let mut packages = HashMap::new();
        for package in meta["packages"].as_array().context("metadata.packages")? {
            let id = package["id"].as_str().context("package.id")?;
            let text = |key: &str| package[key].as_str().map(str::to_owned);
            packages.insert(
                id.to_owned(),
                Package {
                    name: text("name").context("package.name")?,
                    version: text("version").context("package.version")?,
                    rust_version: text("rust_version"),
                    // `null` means "any registry"; `[]` is `publish = false`.
                    publishable: package["publish"]
                        .as_array()
                        .is_none_or(|registries| !registries.is_empty()),
                },
            );
        }
        let mut edges = HashMap::new();
        for node in meta["resolve"]["nodes"]
            .as_array()
            .context("metadata.resolve.nodes")?
        {
            let id = node["id"].as_str().context("node.id")?.to_owned();
            let mut deps = Vec::new();
            for dep in node["deps"].as_array().context("node.deps")? {
                let kinds = dep["dep_kinds"].as_array().context("dep.dep_kinds")?;
                deps.push(Edge {
                    to: dep["pkg"].as_str().context("dep.pkg")?.to_owned(),
                    normal: kinds.iter().any(|kind| kind["kind"].is_null()),
                    build: kinds.iter().any(|kind| kind["kind"] == "build"),
                });
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
            packages,
            edges,
            members,
        })
    }

    pub(crate) fn package(&self, id: &str) -> Option<&Package> {
        self.packages.get(id)
    }

    pub(crate) fn name(&self, id: &str) -> &str {
        self.package(id)
            .map_or("?", |package| package.name.as_str())
    }

    /// Workspace members as (package id, name).
    pub(crate) fn workspace_members(&self) -> Vec<(String, String)> {
        self.members
            .iter()
            .map(|id| (id.clone(), self.name(id).to_owned()))
            .collect()
    }

    pub(crate) fn direct(&self, id: &str, kinds: Kinds) -> Vec<String> {
        self.edges
            .get(id)
            .into_iter()
            .flatten()
            .filter(|edge| match kinds {
                Kinds::Normal => edge.normal,
                Kinds::NormalAndBuild => edge.normal || edge.build,
            })
            .map(|edge| edge.to.clone())
            .collect()
    }

    /// Every package `root` reaches through edges of `kinds`, `root` excluded.
    pub(crate) fn closure(&self, root: &str, kinds: Kinds) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = self.direct(root, kinds);
        while let Some(id) = stack.pop() {
            if seen.insert(id.clone()) {
                stack.extend(self.direct(&id, kinds));
            }
        }
        seen
    }
}
