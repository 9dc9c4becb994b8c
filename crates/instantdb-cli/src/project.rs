//! The project around the current directory, as `instant-cli` finds it: where
//! `instant.schema.ts` / `instant.perms.ts` live, where new ones go, and which Instant package
//! they import from.
//!
//! Files are looked up in instant-cli's order: `INSTANT_SCHEMA_FILE_PATH` /
//! `INSTANT_PERMS_FILE_PATH` when set (that file only); else `instant.<kind>.{ts,mts,cts,js,mjs,cjs}`,
//! then the same under `src/` (3 levels deep), `lib/` (2 levels) and `app/`, each searched
//! from the current directory up through its parents. Directories starting with `.` and
//! `node_modules` are skipped. A new file goes to `src/` if the current directory has one.

use std::path::{Path, PathBuf};

use instantdb_typescript::DEFAULT_MODULE;

use crate::env::Env;
use crate::io::Failure;

/// The extensions instant-cli tries, in its order.
const EXTENSIONS: [&str; 6] = ["ts", "mts", "cts", "js", "mjs", "cjs"];

/// The Instant packages a project can depend on, in instant-cli's order of preference, with
/// the short names `--package` takes.
const PACKAGES: [(&str, &str); 7] = [
    ("react", "@instantdb/react"),
    ("react-native", "@instantdb/react-native"),
    ("core", "@instantdb/core"),
    ("admin", "@instantdb/admin"),
    ("solid", "@instantdb/solidjs"),
    ("svelte", "@instantdb/svelte"),
    ("vue", "@instantdb/vue"),
];

/// Which of the two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    Schema,
    Perms,
}

impl FileKind {
    /// `schema` or `perms`.
    pub(crate) fn stem(self) -> &'static str {
        match self {
            FileKind::Schema => "schema",
            FileKind::Perms => "perms",
        }
    }

    /// The variable that points at the file.
    pub(crate) fn path_var(self) -> &'static str {
        match self {
            FileKind::Schema => "INSTANT_SCHEMA_FILE_PATH",
            FileKind::Perms => "INSTANT_PERMS_FILE_PATH",
        }
    }

    fn base_name(self) -> String {
        format!("instant.{}", self.stem())
    }
}

/// Where a file is, or would be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    /// As shown to the user: relative to the current directory when it is inside it.
    pub(crate) display: String,
    /// The path to read and write.
    pub(crate) path: PathBuf,
    /// Whether the file exists.
    pub(crate) exists: bool,
    /// Whether it came from the kind's path variable.
    pub(crate) from_var: bool,
}

/// The project directory: the current one, where the search starts.
#[derive(Debug)]
pub(crate) struct Project<'a> {
    cwd: PathBuf,
    env: &'a Env,
}

impl<'a> Project<'a> {
    /// The project around the current directory.
    pub(crate) fn current(env: &'a Env) -> Result<Project<'a>, Failure> {
        let cwd = std::env::current_dir()
            .map_err(|err| Failure::new(format!("the current directory: {err}")))?;
        Ok(Project { cwd, env })
    }

    #[cfg(test)]
    fn at(cwd: &Path, env: &'a Env) -> Project<'a> {
        Project {
            cwd: cwd.to_owned(),
            env,
        }
    }

    /// The existing file of `kind`, or where a new one goes.
    pub(crate) fn locate(&self, kind: FileKind) -> Located {
        if let Some(var) = self.env.get(kind.path_var()) {
            let path = self.cwd.join(&var);
            return Located {
                exists: path.is_file(),
                display: var,
                path,
                from_var: true,
            };
        }
        if let Some(path) = self.find(kind) {
            return Located {
                display: self.display(&path),
                path,
                exists: true,
                from_var: false,
            };
        }
        let name = format!("{}.ts", kind.base_name());
        let relative = if self.cwd.join("src").is_dir() {
            Path::new("src").join(name)
        } else {
            PathBuf::from(name)
        };
        Located {
            display: relative.display().to_string(),
            path: self.cwd.join(relative),
            exists: false,
            from_var: false,
        }
    }

    /// instant-cli's read candidates, each looked for from the current directory up.
    fn find(&self, kind: FileKind) -> Option<PathBuf> {
        let base = kind.base_name();
        let mut sources = vec![PathBuf::from(&base)];
        sources.extend(subdirectories(&self.cwd, "src", 3).map(|dir| dir.join(&base)));
        sources.extend(subdirectories(&self.cwd, "lib", 2).map(|dir| dir.join(&base)));
        sources.push(Path::new("app").join(&base));
        sources.into_iter().find_map(|source| {
            self.cwd.ancestors().find_map(|dir| {
                // unconfig stops below the filesystem root.
                dir.parent()?;
                EXTENSIONS.iter().find_map(|ext| {
                    let mut name = source.clone().into_os_string();
                    name.push(".");
                    name.push(ext);
                    let path = dir.join(name);
                    path.is_file().then_some(path)
                })
            })
        })
    }

    fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.cwd)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// The package the generated files import from: `--package` (a short name such as `react`,
    /// or a full one), else the first Instant package the nearest project depends on
    /// (`@instantdb/core` for Deno and Python projects), else `None`.
    pub(crate) fn module_name(&self, package: Option<&str>) -> Result<Option<String>, Failure> {
        if let Some(package) = package {
            return PACKAGES
                .iter()
                .find(|(short, full)| *short == package || *full == package)
                .map(|(_, full)| Some((*full).to_owned()))
                .ok_or_else(|| {
                    let names: Vec<_> = PACKAGES.iter().map(|(short, _)| *short).collect();
                    Failure::new(format!(
                        "--package {package}: not an Instant package (one of {})",
                        names.join(", ")
                    ))
                });
        }
        for dir in self.cwd.ancestors() {
            // Deno, then Python, then Node, when several markers share a directory.
            if dir.join("deno.json").is_file()
                || dir.join("deno.jsonc").is_file()
                || dir.join("pyproject.toml").is_file()
            {
                return Ok(Some(DEFAULT_MODULE.to_owned()));
            }
            let manifest = dir.join("package.json");
            if manifest.is_file() {
                return Ok(package_json_module(&manifest));
            }
        }
        Ok(None)
    }
}

/// `dir` under `root` and its subdirectories down to `depth` levels, skipping hidden ones and
/// `node_modules`, in name order (instant-cli takes the file system's order).
fn subdirectories(root: &Path, dir: &str, depth: usize) -> impl Iterator<Item = PathBuf> {
    fn walk(root: &Path, relative: PathBuf, depth: usize, out: &mut Vec<PathBuf>) {
        let full = root.join(&relative);
        if !full.is_dir() {
            return;
        }
        out.push(relative.clone());
        if depth == 0 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(&full) else {
            return;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.') && name != "node_modules")
            .collect();
        names.sort();
        for name in names {
            walk(root, relative.join(name), depth - 1, out);
        }
    }
    let mut out = Vec::new();
    walk(root, PathBuf::from(dir), depth, &mut out);
    out.into_iter()
}

/// The first Instant package among a `package.json`'s dependencies and devDependencies.
fn package_json_module(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let has = |name: &str| {
        ["dependencies", "devDependencies"]
            .iter()
            .any(|section| json.get(section).and_then(|deps| deps.get(name)).is_some())
    };
    PACKAGES
        .iter()
        .map(|(_, full)| *full)
        .find(|name| has(name))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, relative: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn finds_files_in_instant_clis_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        std::fs::create_dir_all(&root).unwrap();
        let env = Env::from_vars(&[]);
        let project = Project::at(&root, &env);

        // Nothing yet: a new file at the top, or in src/ when there is one.
        let new = project.locate(FileKind::Schema);
        assert_eq!(
            (new.display.as_str(), new.exists),
            ("instant.schema.ts", false)
        );
        touch(&root, "src/db/.hidden/instant.schema.ts");
        touch(&root, "src/node_modules/x/instant.schema.ts");
        touch(&root, "src/a/b/c/d/instant.schema.ts");
        assert_eq!(
            project.locate(FileKind::Schema).display,
            "src/instant.schema.ts"
        );

        touch(&root, "app/instant.schema.js");
        assert_eq!(
            project.locate(FileKind::Schema).display,
            "app/instant.schema.js"
        );
        touch(&root, "lib/db/instant.schema.mts");
        assert_eq!(
            project.locate(FileKind::Schema).display,
            "lib/db/instant.schema.mts"
        );
        touch(&root, "src/lib/db/instant.schema.ts");
        assert_eq!(
            project.locate(FileKind::Schema).display,
            "src/lib/db/instant.schema.ts"
        );
        touch(&root, "instant.schema.cjs");
        touch(&root, "instant.schema.mts");
        let found = project.locate(FileKind::Schema);
        assert_eq!(
            (found.display.as_str(), found.exists),
            ("instant.schema.mts", true)
        );

        // Perms are looked up separately; a parent directory's file is found too.
        touch(dir.path(), "instant.perms.ts");
        let perms = project.locate(FileKind::Perms);
        assert!(perms.exists);
        assert_eq!(perms.path, dir.path().join("instant.perms.ts"));

        // The variable wins, existing or not.
        let env = Env::from_vars(&[("INSTANT_SCHEMA_FILE_PATH", "config/schema.ts")]);
        let project = Project::at(&root, &env);
        let chosen = project.locate(FileKind::Schema);
        assert_eq!(
            (chosen.display.as_str(), chosen.exists, chosen.from_var),
            ("config/schema.ts", false, true)
        );
    }

    #[test]
    fn module_names_come_from_the_nearest_project() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let env = Env::from_vars(&[]);
        let nested = root.join("web/app");
        std::fs::create_dir_all(&nested).unwrap();
        let project = Project::at(&nested, &env);
        assert_eq!(project.module_name(None).unwrap(), None);

        std::fs::write(
            root.join("web/package.json"),
            r#"{"dependencies": {"@instantdb/admin": "1"}, "devDependencies": {"@instantdb/react": "1"}}"#,
        )
        .unwrap();
        assert_eq!(
            project.module_name(None).unwrap().as_deref(),
            Some("@instantdb/react")
        );
        std::fs::write(nested.join("pyproject.toml"), "").unwrap();
        assert_eq!(
            project.module_name(None).unwrap().as_deref(),
            Some("@instantdb/core")
        );
        assert_eq!(
            project.module_name(Some("solid")).unwrap().as_deref(),
            Some("@instantdb/solidjs")
        );
        assert_eq!(
            project
                .module_name(Some("@instantdb/vue"))
                .unwrap()
                .as_deref(),
            Some("@instantdb/vue")
        );
        assert!(project.module_name(Some("angular")).is_err());
    }
}
