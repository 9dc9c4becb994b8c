//! `instant parse schema|perms [INPUT]`: read a TypeScript file and print its JSON.

use std::path::PathBuf;

use clap::Subcommand;
use instantdb_typescript::{
    ParseError, ReadModule, parse_perms_typescript_file_to_json,
    parse_schema_typescript_file_to_wire_json,
    parse_schema_typescript_file_to_wire_json_with_imports,
};

use crate::io::{self, Failure, Input};

/// The `parse` command group.
#[derive(Debug, Subcommand)]
pub(crate) enum Parse {
    /// Print the wire JSON of the schema an `instant.schema.ts` declares (what
    /// `JSON.stringify(schema)` prints).
    Schema {
        /// The file to read; `-` or nothing reads stdin.
        input: Option<PathBuf>,
    },
    /// Print the rules JSON an `instant.perms.ts` declares.
    Perms {
        /// The file to read; `-` or nothing reads stdin.
        input: Option<PathBuf>,
    },
}

pub(crate) fn run(command: Parse) -> Result<(), Failure> {
    match command {
        Parse::Schema { input } => {
            let json = read(
                input.as_ref(),
                parse_schema_typescript_file_to_wire_json,
                parse_schema_typescript_file_to_wire_json_with_imports,
            )?;
            io::print(&(json + "\n"))
        }
        Parse::Perms { input } => {
            // Any value the rules hold, as upstream's `permsTypescriptFileToCode` returns it.
            let json = read(
                input.as_ref(),
                |src, name| parse_perms_typescript_file_to_json(src, name, None),
                |src, name, modules| parse_perms_typescript_file_to_json(src, name, Some(modules)),
            )?;
            io::print(&(json + "\n"))
        }
    }
}

/// Reads `input` with `from_text`, or, for a file on disk, with `from_disk`, which follows
/// its relative imports (paths relative to the current directory, as the file name is).
fn read<T>(
    input: Option<&PathBuf>,
    from_text: fn(&str, &str) -> Result<T, ParseError>,
    from_disk: fn(&str, &str, ReadModule<'_>) -> Result<T, ParseError>,
) -> Result<T, Failure> {
    let on_disk = input.is_some_and(|path| path.as_os_str() != "-");
    let input = Input::read(input)?;
    let result = if on_disk {
        let cwd = std::env::current_dir().unwrap_or_default();
        from_disk(&input.text, &input.name, &io::module_reader(&cwd))
    } else {
        from_text(&input.text, &input.name)
    };
    result.map_err(|err| Failure::parse(&err))
}
