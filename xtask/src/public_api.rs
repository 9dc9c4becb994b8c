//! `cargo xtask public-api [--bless]`: the public API of the client crates, one line per item,
//! compared with the snapshot committed next to each crate (`crates/<name>/public-api.txt`).
//!
//! Why: the client crates follow one convention (client + builder, request builders with
//! `with_options`, `send` and `IntoFuture`, one `Error` with `kind()` and the same predicates).
//! A snapshot makes every change of a public shape visible in review, and makes a call that
//! strays from its siblings stand out in one file.
//!
//! How: rustdoc's JSON output (`--output-format json`, unstable, enabled on the stable toolchain
//! with `RUSTC_BOOTSTRAP=1` for this one command, as no other toolchain can be installed here),
//! walked from the crate root through public modules and re-exports. Items are listed by path
//! with their kind; inherent methods with their parameter names; trait impls by trait name.
//! Types are left out of the lines on purpose: rustdoc's type JSON changes between toolchains,
//! names do not.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{cargo, project_root, run};

/// The crates whose shape the convention fixes.
const CRATES: [&str; 3] = ["instantdb-admin", "instantdb-platform", "instantdb-oauth"];

pub(crate) fn check(bless: bool) -> Result<()> {
    let root = project_root();
    let target = target_dir(&root)?;
    let mut stale = Vec::new();
    for name in CRATES {
        run(cargo()
            .current_dir(&root)
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["rustdoc", "--quiet", "--locked", "-p", name, "--lib"])
            .args(["--", "-Z", "unstable-options", "--output-format", "json"]))?;
        let json_path = target
            .join("doc")
            .join(format!("{}.json", name.replace('-', "_")));
        let text = fs::read_to_string(&json_path)
            .with_context(|| format!("reading {}", json_path.display()))?;
        let doc: Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", json_path.display()))?;
        let listing = listing(&doc, &name.replace('-', "_"))?;
        let snapshot = root.join("crates").join(name).join("public-api.txt");
        let current = fs::read_to_string(&snapshot).unwrap_or_default();
        if current == listing {
            continue;
        }
        if bless {
            fs::write(&snapshot, &listing)
                .with_context(|| format!("writing {}", snapshot.display()))?;
            eprintln!("public-api: updated {}", snapshot.display());
        } else {
            stale.push(diff_summary(name, &current, &listing));
        }
    }
    if !stale.is_empty() {
        bail!(
            "the public API changed:\n{}\nReview the change, then run `cargo xtask public-api --bless` \
             and commit the snapshots.",
            stale.join("\n")
        );
    }
    Ok(())
}

fn target_dir(root: &Path) -> Result<PathBuf> {
    let output = cargo()
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    let meta: Value = serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    meta["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata has no target_directory")
}

/// The lines only in the snapshot (`-`) and only in the crate (`+`).
fn diff_summary(name: &str, old: &str, new: &str) -> String {
    let old: BTreeSet<&str> = old.lines().collect();
    let new: BTreeSet<&str> = new.lines().collect();
    let mut out = format!("{name}:");
    for line in old.difference(&new) {
        out.push_str(&format!("\n  - {line}"));
    }
    for line in new.difference(&old) {
        out.push_str(&format!("\n  + {line}"));
    }
    out
}

/// The sorted listing of a crate's public API.
fn listing(doc: &Value, crate_name: &str) -> Result<String> {
    let index = doc["index"]
        .as_object()
        .context("rustdoc JSON without an index")?;
    let root = id_key(&doc["root"]).context("rustdoc JSON without a root")?;
    let mut walker = Walker {
        index,
        lines: BTreeSet::new(),
        seen: HashSet::new(),
    };
    walker.module(&root, crate_name);
    let mut text = String::new();
    for line in walker.lines {
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

/// Ids are numbers in recent formats and strings in older ones.
fn id_key(id: &Value) -> Option<String> {
    match id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

struct Walker<'a> {
    index: &'a serde_json::Map<String, Value>,
    lines: BTreeSet<String>,
    /// `(id, path)` pairs already listed: a type re-exported twice is listed under each path,
    /// but a glob cycle stops.
    seen: HashSet<(String, String)>,
}

impl Walker<'_> {
    fn module(&mut self, id: &str, path: &str) {
        if !self.seen.insert((id.to_owned(), path.to_owned())) {
            return;
        }
        let Some(item) = self.index.get(id) else {
            return;
        };
        let Some(items) = item["inner"]["module"]["items"].as_array() else {
            return;
        };
        for child in items.iter().filter_map(id_key) {
            self.item(&child, path, None);
        }
    }

    fn item(&mut self, id: &str, parent: &str, rename: Option<&str>) {
        let Some(item) = self.index.get(id) else {
            return;
        };
        if item["visibility"] != "public" {
            return;
        }
        let inner = &item["inner"];
        let Some((kind, body)) = inner.as_object().and_then(|map| map.iter().next()) else {
            return;
        };
        if kind == "use" {
            let name = body["name"].as_str().unwrap_or_default();
            match id_key(&body["id"]) {
                // A re-export of this crate's item: list it under the re-exported name.
                Some(target) if self.index.contains_key(&target) => {
                    if body["is_glob"] == true {
                        self.module(&target, parent);
                    } else {
                        self.item(&target, parent, Some(name));
                    }
                }
                // A re-export of another crate's item: list the re-export itself.
                _ => {
                    let source = body["source"].as_str().unwrap_or_default();
                    self.lines
                        .insert(format!("pub use {parent}::{name} = {source}"));
                }
            }
            return;
        }
        let name = rename.or_else(|| item["name"].as_str()).unwrap_or_default();
        let path = format!("{parent}::{name}");
        match kind.as_str() {
            "module" => {
                self.lines.insert(format!("pub mod {path}"));
                self.module(id, &path);
            }
            "struct" | "enum" | "union" => {
                self.lines.insert(format!("pub {kind} {path}"));
                if kind == "enum" {
                    for variant in body["variants"].as_array().into_iter().flatten() {
                        if let Some(variant) = id_key(variant).and_then(|v| self.index.get(&v)) {
                            let variant = variant["name"].as_str().unwrap_or_default();
                            self.lines.insert(format!("pub variant {path}::{variant}"));
                        }
                    }
                }
                self.impls(body, &path);
            }
            "function" => {
                let params = params(body);
                self.lines.insert(format!("pub fn {path}({params})"));
            }
            "trait" | "type_alias" | "constant" | "static" | "macro" => {
                self.lines.insert(format!("pub {kind} {path}"));
            }
            _ => {}
        }
    }

    fn impls(&mut self, body: &Value, path: &str) {
        for impl_id in body["impls"].as_array().into_iter().flatten() {
            let Some(imp) = id_key(impl_id).and_then(|id| self.index.get(&id)) else {
                continue;
            };
            let imp = &imp["inner"]["impl"];
            if imp["is_synthetic"] == true || !imp["blanket_impl"].is_null() {
                continue;
            }
            if let Some(tr) = imp["trait"].as_object() {
                let trait_name = tr
                    .get("path")
                    .or_else(|| tr.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let trait_name = trait_name.rsplit("::").next().unwrap_or(trait_name);
                // Derived and marker impls say little about the shape; the traits a caller
                // uses to drive a request (`IntoFuture`, `Future`, `Stream`) say a lot.
                if matches!(
                    trait_name,
                    "IntoFuture" | "Future" | "Stream" | "From" | "Error" | "Display" | "Default"
                ) {
                    self.lines.insert(format!("impl {trait_name} for {path}"));
                }
                continue;
            }
            for item in imp["items"].as_array().into_iter().flatten() {
                let Some(item) = id_key(item).and_then(|id| self.index.get(&id)) else {
                    continue;
                };
                if item["visibility"] != "public" {
                    continue;
                }
                let name = item["name"].as_str().unwrap_or_default();
                if let Some(function) = item["inner"].get("function") {
                    let params = params(function);
                    self.lines
                        .insert(format!("pub fn {path}::{name}({params})"));
                }
            }
        }
    }
}

/// The parameter names of a function (`self, options`).
fn params(function: &Value) -> String {
    function["sig"]["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|input| input.get(0).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(", ")
}
