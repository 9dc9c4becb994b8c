//! `instant parse schema|perms [INPUT]`: read a TypeScript file and print its JSON.

use std::path::PathBuf;

use clap::Subcommand;
use instantdb_typescript::{
    parse_perms_typescript_file, parse_schema_typescript_file_to_wire_json, rules_to_json,
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
            let input = Input::read(input.as_ref())?;
            let json = parse_schema_typescript_file_to_wire_json(&input.text, &input.name)
                .map_err(|err| Failure::parse(&err))?;
            io::print(&(json + "\n"))
        }
        Parse::Perms { input } => {
            let input = Input::read(input.as_ref())?;
            let rules = parse_perms_typescript_file(&input.text, &input.name)
                .map_err(|err| Failure::parse(&err))?;
            io::print(&(rules_to_json(&rules) + "\n"))
        }
    }
}
