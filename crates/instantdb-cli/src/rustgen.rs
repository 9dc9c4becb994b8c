//! `instant codegen rust`: the typed Rust module of `instant.schema.ts` (see
//! `instantdb-rustgen`), and the helper `instant pull --rust FILE` uses.

use std::path::{Path, PathBuf};

use clap::Args;
use instantdb_schema::SchemaDef;
use instantdb_typescript::parse_schema_typescript_file;

use crate::env::Env;
use crate::io::{self, Failure, Input};
use crate::project::{FileKind, Project};

/// Options of `instant codegen rust`.
#[derive(Debug, Args)]
pub(crate) struct RustArgs {
    /// The schema file (default: the project's `instant.schema.ts`, found as `instant pull`
    /// finds it, `INSTANT_SCHEMA_FILE_PATH` included); `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Where to write the module (e.g. `src/instant_schema.rs`); stdout when absent.
    #[arg(short = 'o', long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The path the generated code names the typed runtime by: `::instantdb::admin::typed`
    /// (the `instantdb` crate, the default) or `::instantdb_admin::typed` (`instantdb-admin`
    /// alone).
    #[arg(long, value_name = "PATH", default_value = "::instantdb::admin::typed")]
    runtime: String,
}

/// Runs `instant codegen rust`.
pub(crate) fn run(args: RustArgs) -> Result<(), Failure> {
    let command = "instant codegen rust";
    let path = match args.schema {
        Some(path) => path,
        None => {
            let cwd = std::env::current_dir()
                .map_err(|err| Failure::new(format!("{command}: the current directory: {err}")))?;
            let env = Env::load(&cwd, None).map_err(|err| err.prefixed(command))?;
            let located = Project::current(&env)
                .map_err(|err| err.prefixed(command))?
                .locate(FileKind::Schema);
            if !located.exists {
                return Err(Failure::new(format!(
                    "{command}: no schema file at {} (give one with --schema)",
                    located.display
                )));
            }
            located.path
        }
    };
    let input = Input::read(Some(&path))?;
    let schema = parse_schema_typescript_file(&input.text, &input.name)
        .map_err(|err| Failure::parse(&err))?;
    let source = path.file_name().map_or_else(
        || input.name.clone(),
        |name| name.to_string_lossy().into_owned(),
    );
    let text = generate(&schema, &source, &args.runtime);
    match args.out {
        Some(out) => write(&out, &text).map_err(|err| err.prefixed(command)),
        None => io::print(&text),
    }
}

/// The module for `schema`, read from the file named `source`.
pub(crate) fn generate(schema: &SchemaDef, source: &str, runtime: &str) -> String {
    instantdb_rustgen::generate(
        schema,
        &instantdb_rustgen::Options {
            runtime: runtime.to_owned(),
            source: source.to_owned(),
            file_header: true,
            system_entities: true,
        },
    )
}

/// Writes the module to `path` (atomically, creating its directory).
pub(crate) fn write(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|err| Failure::new(format!("{}: {err}", dir.display())))?;
    }
    io::write_atomically(path, text)
}
