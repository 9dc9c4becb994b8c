//! `instant dev`: runs a local InstantDB-compatible server (`instantdb-emulator`) until Ctrl-C.
//!
//! It prints the API URI, the admin token of a development app and the platform user's
//! personal access token, then the magic codes apps "send" (the emulator never mails). With no
//! dashboard to approve them, `instant login` ticket logins are approved at once. With
//! `--data-dir` everything survives a restart, including the app and both tokens.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use instantdb_emulator::Emulator;

use crate::io::{Failure, Input};

/// The title of the app `instant dev` creates (and finds again in a data directory).
const DEV_APP_TITLE: &str = "dev";

/// Options of `instant dev`.
#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// Port to listen on, on 127.0.0.1 only; 0 picks a free port. 8888 is the port the official
    /// CLI uses for a local server (`INSTANT_CLI_DEV`).
    #[arg(long, default_value_t = 8888)]
    port: u16,
    /// Keep apps, schema, data, files and tokens in this directory (created if missing)
    /// instead of in memory.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

fn failure(message: impl std::fmt::Display) -> Failure {
    let input = Input {
        name: "instant dev".to_owned(),
        text: String::new(),
    };
    Failure::about(&input, message)
}

/// Runs the server until Ctrl-C.
pub(crate) fn run(args: DevArgs) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| failure(format!("could not start the async runtime: {err}")))?;
    runtime.block_on(serve(args))
}

async fn serve(args: DevArgs) -> Result<(), Failure> {
    // No dashboard runs here to approve `instant login`: every login is approved at once.
    let mut builder = Emulator::builder()
        .port(args.port)
        .auto_approve_cli_login(true);
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    let emulator = builder.start().await.map_err(failure)?;
    let app = emulator.ensure_app(DEV_APP_TITLE).map_err(failure)?;
    let url = emulator.base_url().to_owned();
    let storage = match &args.data_dir {
        Some(dir) => format!("persisted in {}", dir.display()),
        None => "in memory (pass --data-dir DIR to keep it)".to_owned(),
    };
    // Printing the tokens is the point of this command: they are local-only credentials.
    println!("InstantDB emulator listening on {url}");
    println!("  data:           {storage}");
    println!("  app id:         {}", app.app_id);
    println!("  admin token:    {}", app.admin_token());
    println!("  platform token: {}", emulator.platform_token());
    println!();
    println!(
        "Use it as the API URI of the SDKs (apiURI: \"{url}\") or the CLI (INSTANT_CLI_API_URI={url})."
    );
    println!(
        "`instant login --api-uri {url}` logs in at once as the platform user (logins are approved automatically)."
    );
    println!("Magic codes are printed here instead of being emailed. Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();
    let mut mail = emulator.subscribe_mail();
    loop {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => {
                signal.map_err(|err| failure(format!("could not wait for Ctrl-C: {err}")))?;
                break;
            }
            sent = mail.recv() => match sent {
                Ok(sent) => println!("magic code for {} (app {}): {}", sent.email, sent.app_id, sent.code),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    println!("({missed} magic codes were sent too fast to show)");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            },
        }
    }
    println!("stopping");
    emulator.shutdown().await;
    Ok(())
}
