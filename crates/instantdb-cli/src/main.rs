//! `instant`: the InstantDB command-line tool, in Rust.
//!
//! Each command group lives in its own module: [`codegen`] (`instant codegen schema|perms`) and
//! [`parse`] (`instant parse schema|perms`) work offline on files and stdin; [`dev`] runs a local
//! server, and [`demo`] drives an embedded one through the platform and admin clients. Groups
//! that talk to a remote server are added next to them. Shared input handling and error display
//! are in [`io`].
//!
//! Exit codes: 0 on success, 1 when the input is wrong (the message on stderr is
//! `file:line:col: message` followed by the offending line and a caret when a position is
//! known), 2 on usage errors (clap's convention).

mod codegen;
mod demo;
mod dev;
mod io;
mod parse;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// InstantDB from the command line: generate and read `instant.schema.ts` / `instant.perms.ts`
/// without Node.js.
#[derive(Debug, Parser)]
#[command(name = "instant", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate `instant.schema.ts` or `instant.perms.ts` from JSON.
    #[command(subcommand)]
    Codegen(codegen::Codegen),
    /// Read `instant.schema.ts` or `instant.perms.ts` and print its JSON.
    #[command(subcommand)]
    Parse(parse::Parse),
    /// Run a local InstantDB-compatible server (the emulator) until Ctrl-C.
    Dev(dev::DevArgs),
    /// Show the SDK end to end on an embedded emulator: create an app, push a schema change,
    /// write `instant.schema.ts` / `instant.perms.ts`, transact and query (no account needed).
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen(command) => codegen::run(command),
        Command::Parse(command) => parse::run(command),
        Command::Dev(args) => dev::run(args),
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            ExitCode::FAILURE
        }
    }
}
