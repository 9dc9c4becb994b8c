//! `instant codegen schema|perms`: generate TypeScript from JSON, on stdout.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use instantdb_schema::perms::Rules;
use instantdb_schema::{ApiSchema, SchemaDef, api_schema_to_schema_def};
use instantdb_typescript::{
    DEFAULT_MODULE, Style, generate_perms_file, generate_schema_file, parse_schema_typescript_file,
};
use serde_json::Value;

use crate::io::{self, Failure, Input};

/// The `codegen` command group.
#[derive(Debug, Subcommand)]
pub(crate) enum Codegen {
    /// Generate `instant.schema.ts` from a schema.
    Schema(SchemaArgs),
    /// Generate `instant.perms.ts` from rules JSON (`null` or `{}` give the commented
    /// placeholder).
    Perms(PermsArgs),
    /// Generate the typed Rust module of `instant.schema.ts` (entity structs, typed ids,
    /// attribute and link handles) for the admin client's typed API.
    Rust(crate::rustgen::RustArgs),
}

/// Options of `instant codegen schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// What the input is: `wire` is the schema's wire JSON (`JSON.stringify(i.schema(...))`,
    /// what `instant parse schema` prints); `api` is the server's `{blobs, refs}` schema (a
    /// `/dash/apps/:id/schema/pull` response `{schema: {blobs, refs}, ...}` works too).
    #[arg(long, value_enum)]
    from: From,
    /// The previous schema, whose rooms are kept (the server does not store rooms): an
    /// `instant.schema.ts`, or wire JSON (a `.json` file, or text starting with `{`).
    #[arg(long, value_name = "FILE")]
    prev: Option<PathBuf>,
    #[command(flatten)]
    output: OutputArgs,
    /// Print the schema's wire JSON (after conversion from `--from api`) instead of TypeScript.
    #[arg(long)]
    print_def: bool,
    /// The input file; `-` or nothing reads stdin.
    input: Option<PathBuf>,
}

/// Options of `instant codegen perms`.
#[derive(Debug, Args)]
pub(crate) struct PermsArgs {
    #[command(flatten)]
    output: OutputArgs,
    /// The rules JSON file; `-` or nothing reads stdin.
    input: Option<PathBuf>,
}

/// Options shared by both generators.
#[derive(Debug, Args)]
struct OutputArgs {
    /// The package the file imports from (`@instantdb/react`, `@instantdb/admin`, ...).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_MODULE)]
    module: String,
    /// `prettier` (default) is what `instant-cli pull` writes to disk; `raw` is exactly what
    /// `@instantdb/platform`'s generator returns.
    #[arg(long, value_enum, default_value_t = StyleArg::Prettier)]
    style: StyleArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum From {
    Wire,
    Api,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StyleArg {
    Raw,
    Prettier,
}

impl StyleArg {
    fn style(self) -> Style {
        match self {
            StyleArg::Raw => Style::Raw,
            StyleArg::Prettier => Style::Prettier,
        }
    }
}

pub(crate) fn run(command: Codegen) -> Result<(), Failure> {
    match command {
        Codegen::Schema(args) => schema(args),
        Codegen::Perms(args) => perms(args),
        Codegen::Rust(args) => crate::rustgen::run(args),
    }
}

fn schema(args: SchemaArgs) -> Result<(), Failure> {
    let input = Input::read(args.input.as_ref())?;
    let json = input.json()?;
    let prev = args.prev.as_deref().map(read_prev).transpose()?;
    let style = args.output.style.style();
    let module = &args.output.module;
    let (text, def_json) = match args.from {
        From::Wire => {
            let text = instantdb_typescript::generate_schema_file_from_wire_json(
                prev.as_ref(),
                &input.text,
                module,
                style,
            )
            .map_err(|err| Failure::about(&input, err))?;
            (text, json)
        }
        From::Api => {
            let api_json = match json.get("schema") {
                Some(schema) if json.get("blobs").is_none() && json.get("refs").is_none() => schema,
                _ => &json,
            };
            let api = ApiSchema::from_value(api_json).map_err(|err| Failure::about(&input, err))?;
            let def = api_schema_to_schema_def(&api).map_err(|err| Failure::about(&input, err))?;
            let text = generate_schema_file(prev.as_ref(), &def, module, style);
            (text, def.to_wire_value())
        }
    };
    if args.print_def {
        let mut out = serde_json::to_string(&def_json).unwrap_or_default();
        out.push('\n');
        return io::print(&out);
    }
    io::print(&text)
}

/// The schema in `--prev`: TypeScript, or wire JSON.
fn read_prev(path: &Path) -> Result<SchemaDef, Failure> {
    let input = Input::read(Some(&path.to_path_buf()))?;
    let is_json = path.extension().is_some_and(|ext| ext == "json")
        || input.text.trim_start().starts_with('{');
    if is_json {
        let value = input.json()?;
        SchemaDef::from_wire_value(&value).map_err(|err| Failure::about(&input, err))
    } else {
        parse_schema_typescript_file(&input.text, &input.name).map_err(|err| Failure::parse(&err))
    }
}

fn perms(args: PermsArgs) -> Result<(), Failure> {
    let input = Input::read(args.input.as_ref())?;
    let json = input.json()?;
    let rules = match &json {
        Value::Null => None,
        value => Some(Rules::from_value(value).map_err(|err| Failure::about(&input, err))?),
    };
    let text = generate_perms_file(
        rules.as_ref(),
        &args.output.module,
        args.output.style.style(),
    );
    io::print(&text)
}
