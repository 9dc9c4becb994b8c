//! The layering rules of docs/ARCHITECTURE.md ("Code map"), checked on the resolved dependency
//! graph from `cargo metadata --all-features` (not by grepping manifests, which would miss
//! transitive dependencies and optional ones behind features).
//!
//! The rules are an allow-list, [`RULES`]: one entry per workspace crate, naming
//! - the workspace crates it may depend on (normal and build dependencies; dev-dependencies are
//!   free, since users never build them), and
//! - the external crates that must not appear anywhere in its normal dependency tree.
//!
//! A workspace crate without an entry is an error, so a new crate starts by deciding its layer.
//! On top of the table, only `instantdb-typescript` may name swc directly: swc reaches the CLI,
//! the facade and the conformance suites only through it (and the facade can turn it off).

use anyhow::{Result, bail};

use crate::metadata::{Graph, Kinds};

/// Crates that mean IO, async or networking; the pure crates must not reach any of them.
const NETWORK: &[&str] = &[
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

/// swc, the TypeScript parser: a large build that only `instantdb-typescript` and the crates
/// above it pay for. A trailing `*` matches a prefix.
const SWC: &[&str] = &["swc_*"];

/// The crates published to crates.io, as a library user sees them.
const LIBRARIES: &[&str] = &[
    "instantdb-schema",
    "instantdb-typescript",
    "instantdb-http",
    "instantdb-oauth",
    "instantdb-admin",
    "instantdb-platform",
    "instantdb-emulator",
    "instantdb-rustgen",
    "instantdb-macros",
];

/// One crate's layer.
pub(crate) struct Rule {
    pub(crate) krate: &'static str,
    /// Workspace crates it may depend on (normal and build edges).
    pub(crate) may_depend_on: &'static [&'static str],
    /// External crates forbidden anywhere in its normal dependency tree.
    pub(crate) forbidden: &'static [&'static [&'static str]],
}

/// The allow-list; docs/ARCHITECTURE.md's "Code map" says the same in prose.
pub(crate) const RULES: &[Rule] = &[
    Rule {
        krate: "instantdb-schema",
        may_depend_on: &[],
        forbidden: &[NETWORK, SWC],
    },
    Rule {
        krate: "instantdb-typescript",
        may_depend_on: &["instantdb-schema"],
        forbidden: &[NETWORK],
    },
    Rule {
        krate: "instantdb-http",
        may_depend_on: &[],
        forbidden: &[SWC],
    },
    Rule {
        krate: "instantdb-oauth",
        may_depend_on: &["instantdb-http"],
        forbidden: &[SWC],
    },
    Rule {
        krate: "instantdb-admin",
        may_depend_on: &["instantdb-http", "instantdb-schema"],
        forbidden: &[SWC],
    },
    Rule {
        krate: "instantdb-platform",
        may_depend_on: &["instantdb-http", "instantdb-oauth", "instantdb-schema"],
        forbidden: &[SWC],
    },
    Rule {
        // Shares the model, never the clients' wire code: a casing bug cannot hide by both
        // sides agreeing.
        krate: "instantdb-emulator",
        may_depend_on: &["instantdb-schema"],
        forbidden: &[SWC],
    },
    Rule {
        // Pure: the same generator runs in the CLI and at compile time inside the macro.
        krate: "instantdb-rustgen",
        may_depend_on: &["instantdb-schema"],
        forbidden: &[NETWORK, SWC],
    },
    Rule {
        // Runs inside rustc: reading the TS file is all it may do.
        krate: "instantdb-macros",
        may_depend_on: &["instantdb-typescript", "instantdb-rustgen"],
        forbidden: &[NETWORK],
    },
    Rule {
        // Never published: only ever a dev-dependency of the libraries.
        krate: "instantdb-test-support",
        may_depend_on: &["instantdb-http"],
        forbidden: &[SWC],
    },
    Rule {
        krate: "instantdb",
        may_depend_on: LIBRARIES,
        forbidden: &[],
    },
    Rule {
        krate: "instantdb-cli",
        may_depend_on: LIBRARIES,
        forbidden: &[],
    },
    Rule {
        // Builds even while a library crate does not compile.
        krate: "xtask",
        may_depend_on: &[],
        forbidden: &[SWC],
    },
    Rule {
        // The typed-vs-untyped differential: generates its typed modules at build time.
        krate: "typed-diff",
        may_depend_on: &["instantdb-admin", "instantdb-rustgen", "instantdb-schema"],
        forbidden: &[SWC],
    },
    Rule {
        krate: "xtask-conformance",
        may_depend_on: &[
            "instantdb-schema",
            "instantdb-typescript",
            "instantdb-http",
            "instantdb-oauth",
            "instantdb-admin",
            "instantdb-platform",
            "instantdb-emulator",
            "instantdb-test-support",
        ],
        forbidden: &[],
    },
];

/// The crate allowed to name swc crates directly.
const SWC_OWNER: &str = "instantdb-typescript";

pub(crate) fn check() -> Result<()> {
    let graph = Graph::load(true)?;
    let problems = problems(&graph, RULES);
    if !problems.is_empty() {
        bail!("layering check failed:\n  {}", problems.join("\n  "));
    }
    eprintln!(
        "layering: ok ({} workspace crates checked)",
        graph.workspace_members().len()
    );
    Ok(())
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// Every violation of `rules` in `graph`, one sentence each.
pub(crate) fn problems(graph: &Graph, rules: &[Rule]) -> Vec<String> {
    let mut problems = Vec::new();
    let members = graph.workspace_members();
    let member_names: Vec<&str> = members.iter().map(|(_, name)| name.as_str()).collect();
    for (id, name) in &members {
        let Some(rule) = rules.iter().find(|rule| rule.krate == name) else {
            problems.push(format!(
                "{name} has no entry in xtask/src/layering.rs `RULES`: add one naming the \
                 workspace crates it may depend on, and say where it sits in \
                 docs/ARCHITECTURE.md's code map"
            ));
            continue;
        };
        for dep in graph.direct(id, Kinds::NormalAndBuild) {
            let dep_name = graph.name(&dep);
            if member_names.contains(&dep_name) && !rule.may_depend_on.contains(&dep_name) {
                problems.push(format!(
                    "{name} depends on {dep_name}, which its layer does not allow (it may \
                     depend on: {}); see `RULES` in xtask/src/layering.rs",
                    list_or_nothing(rule.may_depend_on)
                ));
            }
            if dep_name.starts_with("swc_") && name != SWC_OWNER {
                problems.push(format!(
                    "{name} depends on `{dep_name}` directly; only {SWC_OWNER} may use swc"
                ));
            }
        }
        for dep in graph.closure(id, Kinds::Normal) {
            let dep_name = graph.name(&dep);
            let hit = rule
                .forbidden
                .iter()
                .flat_map(|set| set.iter())
                .find(|pattern| matches(pattern, dep_name));
            if let Some(pattern) = hit {
                problems.push(format!(
                    "{name} must not reach `{pattern}` but its normal dependency tree contains \
                     `{dep_name}`; see `cargo tree -p {name} -e normal -i {dep_name}`"
                ));
            }
        }
    }
    for rule in rules {
        if !member_names.contains(&rule.krate) {
            problems.push(format!(
                "xtask/src/layering.rs `RULES` names {}, which is not a workspace member",
                rule.krate
            ));
        }
    }
    problems
}

fn list_or_nothing(names: &[&str]) -> String {
    if names.is_empty() {
        "no workspace crate".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A package's dependencies: (name, `dep_kinds.kind`: `None` normal, or "dev"/"build").
    type Deps<'a> = &'a [(&'a str, Option<&'a str>)];

    fn graph(nodes: &[(&str, Deps<'_>)], members: &[&str]) -> Graph {
        let packages: Vec<Value> = nodes
            .iter()
            .map(|(name, _)| json!({"id": name, "name": name, "version": "1.0.0"}))
            .collect();
        let resolve: Vec<Value> = nodes
            .iter()
            .map(|(name, deps)| {
                let deps: Vec<Value> = deps
                    .iter()
                    .map(|(dep, kind)| json!({"pkg": dep, "dep_kinds": [{"kind": kind}]}))
                    .collect();
                json!({"id": name, "deps": deps})
            })
            .collect();
        let meta = json!({
            "packages": packages,
            "resolve": {"nodes": resolve},
            "workspace_members": members,
        });
        Graph::from_metadata(&meta).expect("test metadata parses")
    }

    const TEST_RULES: &[Rule] = &[
        Rule {
            krate: "pure",
            may_depend_on: &[],
            forbidden: &[NETWORK, SWC],
        },
        Rule {
            krate: "instantdb-typescript",
            may_depend_on: &["pure"],
            forbidden: &[NETWORK],
        },
        Rule {
            krate: "client",
            may_depend_on: &["pure"],
            forbidden: &[SWC],
        },
    ];

    #[test]
    fn a_clean_graph_has_no_problems() {
        let graph = graph(
            &[
                ("pure", &[("serde", None)]),
                (
                    "instantdb-typescript",
                    &[("pure", None), ("swc_ecma_parser", None)],
                ),
                (
                    "client",
                    &[
                        ("pure", None),
                        ("tokio", None),
                        ("instantdb-typescript", Some("dev")),
                    ],
                ),
                ("serde", &[]),
                ("swc_ecma_parser", &[]),
                ("tokio", &[]),
            ],
            &["pure", "instantdb-typescript", "client"],
        );
        assert_eq!(problems(&graph, TEST_RULES), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_violation_is_named() {
        let graph = graph(
            &[
                // A forbidden crate two levels down.
                ("pure", &[("helper", None)]),
                ("helper", &[("tokio", None)]),
                ("tokio", &[]),
                // A workspace edge the layer does not allow, and swc named directly.
                (
                    "client",
                    &[
                        ("instantdb-typescript", None),
                        ("swc_common", Some("build")),
                    ],
                ),
                ("instantdb-typescript", &[("pure", None)]),
                ("swc_common", &[]),
                // A crate without a rule.
                ("newcomer", &[]),
            ],
            &["pure", "client", "instantdb-typescript", "newcomer"],
        );
        let problems = problems(&graph, TEST_RULES);
        let expected = [
            "pure must not reach `tokio` but its normal dependency tree contains `tokio`",
            // Transitively, through `pure`.
            "instantdb-typescript must not reach `tokio` but its normal dependency tree contains `tokio`",
            "client depends on instantdb-typescript, which its layer does not allow (it may depend on: pure)",
            "client depends on `swc_common` directly; only instantdb-typescript may use swc",
            "newcomer has no entry in xtask/src/layering.rs `RULES`",
        ];
        for needle in expected {
            assert!(
                problems.iter().any(|problem| problem.contains(needle)),
                "missing {needle:?} in {problems:#?}"
            );
        }
        // `swc_common` is only a build dependency of `client`: not in its normal tree.
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    }

    #[test]
    fn rules_naming_no_member_are_reported() {
        let graph = graph(&[("pure", &[])], &["pure"]);
        let problems = problems(&graph, TEST_RULES);
        assert!(
            problems
                .iter()
                .any(|problem| problem.contains("names client, which is not a workspace member")),
            "{problems:#?}"
        );
    }

    /// `cargo test -p xtask` (and so `cargo test --workspace`) enforces the layering of the real
    /// workspace, not only `cargo xtask layering`.
    #[test]
    fn workspace_layering() {
        if let Err(err) = check() {
            panic!("{err:#}");
        }
    }
}
