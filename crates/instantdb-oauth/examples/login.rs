//! Logs in to an Instant OAuth app with the loopback flow and prints what was granted (never
//! the token).
//!
//! ```sh
//! cargo run -p instantdb-oauth --example login -- \
//!     --client-id 6b1f0c52-… \
//!     --redirect-uri http://127.0.0.1:8976/oauth/callback \
//!     --api-uri http://localhost:8888 \
//!     --scopes apps-read,apps-write
//! ```
//!
//! The redirect URI must be registered, exactly, among the OAuth client's authorized redirect
//! URLs (loopback redirects are allowed for non-public OAuth apps). Every option can also come
//! from the environment: `INSTANT_OAUTH_CLIENT_ID`, `INSTANT_OAUTH_REDIRECT_URI`,
//! `INSTANT_API_URI`, `INSTANT_OAUTH_SCOPES`, and `INSTANT_OAUTH_CLIENT_SECRET` for a
//! confidential client (which also gets a refresh token). `--no-browser` prints the URL
//! instead of opening it; `--timeout SECONDS` bounds the wait (default 300).

use std::error::Error;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use instantdb_http::Secret;
use instantdb_oauth::{OAuthClient, Scopes};

struct Options {
    client_id: String,
    redirect_uri: String,
    api_uri: String,
    scopes: Scopes,
    client_secret: Option<Secret>,
    timeout: Duration,
    open_browser: bool,
}

fn options() -> Result<Options, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut client_id = env("INSTANT_OAUTH_CLIENT_ID");
    let mut redirect_uri = env("INSTANT_OAUTH_REDIRECT_URI");
    let mut api_uri = env("INSTANT_API_URI");
    let mut scopes = env("INSTANT_OAUTH_SCOPES");
    let mut timeout = None;
    let mut open_browser = true;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--client-id" => client_id = Some(value()?),
            "--redirect-uri" => redirect_uri = Some(value()?),
            "--api-uri" => api_uri = Some(value()?),
            "--scopes" => scopes = Some(value()?),
            "--timeout" => timeout = Some(value()?.parse::<u64>()?),
            "--no-browser" => open_browser = false,
            other => return Err(format!("unknown option `{other}`").into()),
        }
    }
    Ok(Options {
        client_id: client_id.ok_or("--client-id (or INSTANT_OAUTH_CLIENT_ID) is required")?,
        redirect_uri: redirect_uri
            .ok_or("--redirect-uri (or INSTANT_OAUTH_REDIRECT_URI) is required")?,
        api_uri: api_uri.unwrap_or_else(|| instantdb_http::DEFAULT_API_URI.to_owned()),
        scopes: scopes.as_deref().unwrap_or("apps-read").parse()?,
        client_secret: env("INSTANT_OAUTH_CLIENT_SECRET").map(Secret::new),
        timeout: Duration::from_secs(timeout.unwrap_or(300)),
        open_browser,
    })
}

async fn login(options: Options) -> Result<(), Box<dyn Error>> {
    let mut builder = OAuthClient::builder(options.client_id, options.redirect_uri)
        .api_uri(options.api_uri.as_str());
    if let Some(secret) = options.client_secret {
        builder = builder.client_secret(secret);
    }
    let client = builder.build()?;
    eprintln!(
        "Signing in to {} (waiting up to {:?} for the browser)…",
        client.base_url(),
        options.timeout
    );
    let tokens = client
        .loopback_login(options.scopes)
        .timeout(options.timeout)
        .open_browser(options.open_browser)
        .run()
        .await?;
    println!("signed in");
    println!("scopes granted: {}", tokens.scopes);
    if let Some(expires_at) = tokens.expires_at {
        let left = expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        println!("access token expires in {} h", left.as_secs() / 3600);
    }
    println!(
        "refresh token: {}",
        if tokens.refresh_token.is_some() {
            "received"
        } else {
            "none (PKCE clients log in again when the token expires)"
        }
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let result = match options() {
        Ok(options) => login(options).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
