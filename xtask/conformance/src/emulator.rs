//! The `emulator` suite: the official `@instantdb/platform` and `@instantdb/admin` 1.0.67 drive a
//! fresh `instantdb-emulator` through a whole session (apps with schema and perms, transactions,
//! queries with where/order/limit, auth, storage upload and download, impersonated queries and
//! writes obeying rules, schema pushes with failing and succeeding background jobs, overwrite
//! pushes with renames and deletes, backups listed and downloaded, the OAuth provider through
//! `OAuthHandler`, `exchangeCodeForToken`, `exchangeRefreshToken` and a refreshing `PlatformApi`,
//! and webhook deliveries received with `processNodeRequest`) and assert the results. The same
//! driver then checks what issue 13 fixed (deletes that destroy data, full CEL rules and their
//! validation, query validation, the dashboard routes and token kinds of `instant-cli`) and runs
//! the official `instant-cli` 1.0.67 command by command (ticket login, info, app list,
//! init-without-files, pull, push with renames and deletes, query as admin/email/guest/token,
//! backup, webhook, auth origin/client, explorer, claim, app delete, logout).
//!
//! The emulator runs in this process on its own tokio runtime; the Node driver
//! (`conformance/js/emulator.mjs`) gets its base URL and platform token and reports one result
//! per check. Every check is an assertion about what the official SDK returned, so a mismatch
//! between the emulator and the SDK's expectations of the real server shows up here.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::Tally;
use crate::node::run_batch;

/// How many failures to print in full.
const SHOWN_FAILURES: usize = 8;

pub(crate) fn run() -> Result<Tally> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting a tokio runtime for the emulator")?;
    let emulator = runtime
        .block_on(
            instantdb_emulator::Emulator::builder()
                .job_stage_delay(Duration::from_millis(60))
                // The driver and the scripted `instant-cli` log in with the CLI's ticket flow,
                // which a person approves in the dashboard upstream.
                .auto_approve_cli_login(true)
                .start(),
        )
        .context("starting the emulator")?;
    // Webhook deliveries go to a receiver in the Node driver, on loopback: a second emulator
    // that accepts loopback URLs, so the first keeps upstream's URL validation.
    let hooks = runtime
        .block_on(
            instantdb_emulator::Emulator::builder()
                .allow_loopback_webhooks(true)
                .start(),
        )
        .context("starting the webhook emulator")?;
    // Presence comes from realtime sessions, which the emulator does not have: the driver reads
    // a room given its peers with `set_presence` (on the second emulator, whose app list no
    // check asserts).
    let presence_app = hooks.create_app("Presence")?;
    hooks.set_presence(
        &presence_app.app_id,
        "room-1",
        "peer-a",
        None,
        json!({ "name": "Ada", "cursor": { "x": 1, "y": 2 } }),
    )?;
    hooks.set_presence(
        &presence_app.app_id,
        "room-1",
        "peer-b",
        None,
        json!({ "name": "Bob" }),
    )?;
    let hour = Duration::from_secs(3600);
    let read_only = emulator.create_oauth_token(&["apps-read"], hour)?;
    let oauth = emulator.create_oauth_token(&["apps-read", "apps-write", "data-read"], hour)?;
    // Nothing listens on the redirect URI: the driver reads the emulator's redirect instead.
    let redirect_uri = "http://127.0.0.1:9/oauth/callback";
    let client = emulator.create_oauth_client(&[redirect_uri], false)?;
    let input = json!({
        "apiURI": emulator.base_url(),
        "platformToken": emulator.platform_token(),
        "readOnlyToken": read_only,
        "oauthToken": oauth,
        "oauthClient": {
            "clientId": client.client_id,
            "clientSecret": client.client_secret(),
            "redirectUri": redirect_uri,
        },
        "hooks": {
            "apiURI": hooks.base_url(),
            "platformToken": hooks.platform_token(),
        },
        "presence": {
            "appId": presence_app.app_id,
            "adminToken": presence_app.admin_token(),
        },
    });
    let answers = run_batch("emulator.mjs", &[input])?;
    runtime.block_on(emulator.shutdown());
    runtime.block_on(hooks.shutdown());
    let Some(answer) = answers.into_iter().next() else {
        bail!("the emulator driver gave no answer");
    };
    if let Some(error) = answer.get("error") {
        bail!("the emulator driver failed: {error}");
    }
    let results = answer
        .pointer("/ok/results")
        .and_then(Value::as_array)
        .context("the emulator driver's answer has no results")?;
    let calls = answer
        .pointer("/ok/calls")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let mut tally = Tally::default();
    let mut shown = 0;
    for result in results {
        let name = result.get("name").and_then(Value::as_str).unwrap_or("?");
        if result.get("ok") == Some(&Value::Bool(true)) {
            tally.passed += 1;
        } else {
            tally.failed += 1;
            if shown < SHOWN_FAILURES {
                shown += 1;
                let error = result.get("error").and_then(Value::as_str).unwrap_or("");
                eprintln!("--- emulator check `{name}` failed:\n{error}\n");
            }
        }
    }
    eprintln!(
        "emulator: {} checks through {calls} HTTP calls of the official SDKs",
        results.len()
    );
    Ok(tally)
}
