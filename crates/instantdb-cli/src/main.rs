//! `instant`: the InstantDB command-line tool, in Rust.
//!
//! Each command group lives in its own module: [`codegen`] (`instant codegen schema|perms`) and
//! [`parse`] (`instant parse schema|perms`) work offline on files and stdin; [`dev`] runs a local
//! server, and [`demo`] drives an embedded one through the platform and admin clients. The
//! commands that talk to an Instant server, Cloud or self-hosted, replace `instant-cli`'s
//! everyday loop: [`login`] (`login`, `logout`, `whoami`), [`pull`] and [`push`]. They share
//! [`server`] (API URI, token, app id, error display), [`mod@env`] (`.env` files), [`auth`] (the
//! token files, shared with instant-cli), [`project`] (where the files are, which package they
//! import), [`plan`] and [`progress`]. Shared input handling and error display are in [`io`].
//!
//! Exit codes: 0 on success, 1 when the input is wrong or a server call or background job
//! failed (the message on stderr is `file:line:col: message` followed by the offending line and
//! a caret when a position is known, or `instant <command>: message`), 2 on usage errors
//! (clap's convention).

mod auth;
mod codegen;
mod demo;
mod dev;
mod env;
mod io;
mod login;
mod parse;
mod plan;
mod progress;
mod project;
mod pull;
mod push;
mod rustgen;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// InstantDB from the command line, without Node.js: log in, pull and push `instant.schema.ts` /
/// `instant.perms.ts` against Instant Cloud or a self-hosted server (`--api-uri`), generate and
/// read those files offline, run a local server.
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
    /// Log in to an Instant server through its dashboard (or store a token) and keep the token
    /// where instant-cli keeps it.
    Login(login::LoginArgs),
    /// Forget the stored login for a server.
    Logout(login::LogoutArgs),
    /// Show the server, the account the commands act as, and the app.
    #[command(alias = "info")]
    Whoami(login::WhoamiArgs),
    /// Write an app's schema and permission rules to `instant.schema.ts` / `instant.perms.ts`.
    Pull(pull::PullArgs),
    /// Apply `instant.schema.ts` / `instant.perms.ts` to an app: plan, confirm, push, and
    /// follow the background jobs.
    Push(push::PushArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen(command) => codegen::run(command),
        Command::Parse(command) => parse::run(command),
        Command::Dev(args) => dev::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Login(args) => login::login(args),
        Command::Logout(args) => login::logout(args),
        Command::Whoami(args) => login::whoami(args),
        Command::Pull(args) => pull::run(args),
        Command::Push(args) => push::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            ExitCode::FAILURE
        }
    }
}
