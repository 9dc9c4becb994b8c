//! `instant`: the InstantDB command-line tool, in Rust.
//!
//! Each command group lives in its own module: [`codegen`] (`instant codegen schema|perms`) and
//! [`parse`] (`instant parse schema|perms`) work offline on files and stdin; [`dev`] runs a local
//! server, and [`demo`] drives an embedded one through the platform and admin clients. The
//! commands that talk to an Instant server, Cloud or self-hosted, replace `instant-cli`'s
//! everyday loop: [`login`] (`login`, `logout`, `whoami`, `info`), [`pull`] and [`push`],
//! [`init`], [`apps`] (`app`, `init-without-files`, `claim`, `explorer`, `query`),
//! [`webhooks`], [`backups`] and [`app_auth`] (`auth client|origin`). Options such as
//! `-t/--token`, `-y/--yes`, `--env`, `--api-uri` and `--timeout` are global, accepted
//! anywhere on the line as instant-cli's are. They share
//! [`server`] (API URI, token, app id, error display), [`mod@env`] (`.env` files), [`auth`] (the
//! token files, shared with instant-cli), [`project`] (where the files are, which package they
//! import), [`plan`] and [`progress`]. Shared input handling and error display are in [`io`].
//!
//! Exit codes: 0 on success, 1 when the input is wrong or a server call or background job
//! failed (the message on stderr is `file:line:col: message` followed by the offending line and
//! a caret when a position is known, or `instant <command>: message`), 2 on usage errors
//! (clap's convention).

mod app_auth;
mod apps;
mod auth;
mod backups;
mod codegen;
mod demo;
mod dev;
mod env;
mod init;
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
mod webhooks;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// InstantDB from the command line, without Node.js: log in, pull and push `instant.schema.ts` /
/// `instant.perms.ts` against Instant Cloud or a self-hosted server (`--api-uri`), generate and
/// read those files offline, run a local server.
#[derive(Debug, Parser)]
#[command(
    name = "instant",
    version,
    about,
    max_term_width = 100,
    disable_version_flag = true,
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    global: server::GlobalArgs,
    /// Print the version number (`-V` too).
    #[arg(short = 'v', long = "version", short_alias = 'V', action = clap::ArgAction::Version, global = true)]
    version: (),
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
    /// Set up a new project: pick, create or import an app, write .env, then pull the schema
    /// and perms (or offer to push local ones).
    Init(init::InitArgs),
    /// Show the server, the account the commands act as, the app, and which token the app
    /// commands use (each token checked with the server).
    Whoami(login::WhoamiArgs),
    /// Display CLI version, login status, and app info.
    Info(login::WhoamiArgs),
    /// Manage individual InstantDB apps.
    #[command(subcommand)]
    App(apps::AppCommand),
    /// Generate a new app id and admin token pair without any files.
    InitWithoutFiles(apps::InitWithoutFilesArgs),
    /// Claim a temporary app (its id and admin token from the environment or .env) for your
    /// account.
    Claim(apps::AppOnlyArgs),
    /// Opens the Explorer in your browser.
    Explorer(apps::AppOnlyArgs),
    /// Run an InstaQL query against your app.
    Query(apps::QueryArgs),
    /// Manage webhooks for an app.
    #[command(subcommand)]
    Webhook(webhooks::WebhookCommand),
    /// View and download backups of your app.
    #[command(subcommand)]
    Backup(backups::BackupCommand),
    /// Manage authentication for your app (OAuth clients, redirect origins).
    #[command(subcommand)]
    Auth(app_auth::AuthCommand),
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
        Command::Login(args) => login::login(args, &cli.global),
        Command::Logout(_) => login::logout(&cli.global),
        Command::Whoami(args) => login::whoami(args, &cli.global),
        Command::Init(args) => init::run(args, &cli.global),
        Command::Info(args) => login::info(args, &cli.global, "instant info"),
        Command::App(command) => apps::app(command, &cli.global),
        Command::InitWithoutFiles(args) => apps::init_without_files(args, &cli.global),
        Command::Claim(args) => apps::claim(args, &cli.global),
        Command::Explorer(args) => apps::explorer(args, &cli.global),
        Command::Query(args) => apps::query(args, &cli.global),
        Command::Webhook(command) => webhooks::run(command, &cli.global),
        Command::Backup(command) => backups::run(command, &cli.global),
        Command::Auth(command) => app_auth::run(command, &cli.global),
        Command::Pull(args) => pull::run(args, &cli.global),
        Command::Push(args) => push::run(args, &cli.global),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report();
            ExitCode::FAILURE
        }
    }
}
