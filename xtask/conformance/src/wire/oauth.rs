//! The `oauth` group of the wire suite: see `mod.rs`.
//!
//! Claims `platform.serverOAuth.*` (the server helpers, replayed with
//! `instantdb_oauth::exchange_code_for_token` / `exchange_refresh_token`) and
//! `platform.OAuthHandler.*` (the browser popup flow; its wire behaviour, the start URL and
//! the PKCE token exchange, is replayed with `OAuthClient::authorization_url` and
//! `exchange_code`; the popup and `BroadcastChannel` plumbing has no wire footprint).

use std::time::{Duration, SystemTime};

use instantdb_http::{Client, Secret};
use instantdb_oauth::{ClientCredentials, OAuthClient, Scope, TokenSet};
use instantdb_test_support::{Scenario, ScriptedServer};
use serde_json::Value;

use super::Outcome;

/// Replays one scenario if it belongs to this group.
pub(crate) async fn replay(scenario: &Scenario, server: &ScriptedServer) -> Outcome {
    let result = match scenario.name.as_str() {
        "platform.serverOAuth.exchangeCodeForToken" => exchange_code(scenario, server).await,
        "platform.serverOAuth.exchangeCodeForToken.error" => {
            exchange_code_error(scenario, server).await
        }
        "platform.serverOAuth.exchangeRefreshToken" => exchange_refresh(scenario, server).await,
        "platform.OAuthHandler.startClientOnlyFlow" => client_only_flow(scenario, server).await,
        name if name.starts_with("platform.serverOAuth.")
            || name.starts_with("platform.OAuthHandler.") =>
        {
            Err(format!("no Rust replay written for `{name}`"))
        }
        _ => return Outcome::NotMine,
    };
    match result {
        Ok(()) => Outcome::Pass,
        Err(why) => Outcome::Fail(why),
    }
}

const CLIENT_ID: &str = "test-client-id";
const CLIENT_SECRET: &str = "test-client-secret";
const REDIRECT_URI: &str = "https://app.example.com/oauth/callback";

fn credentials() -> ClientCredentials {
    ClientCredentials::new(CLIENT_ID, CLIENT_SECRET)
}

fn http(server: &ScriptedServer) -> Result<Client, String> {
    Client::new(server.url()).map_err(|err| format!("building the client: {err}"))
}

async fn exchange_code(scenario: &Scenario, server: &ScriptedServer) -> Result<(), String> {
    let before = SystemTime::now();
    let tokens = instantdb_oauth::exchange_code_for_token(
        &http(server)?,
        &credentials(),
        "test-auth-code",
        REDIRECT_URI,
    )
    .await
    .map_err(|err| format!("the call failed: {err}"))?;
    scenario.check_requests(&server.requests(), &server.url())?;
    check_tokens(scenario, &tokens, before)
}

async fn exchange_code_error(scenario: &Scenario, server: &ScriptedServer) -> Result<(), String> {
    let result = instantdb_oauth::exchange_code_for_token(
        &http(server)?,
        &credentials(),
        "test-auth-code",
        REDIRECT_URI,
    )
    .await;
    scenario.check_requests(&server.requests(), &server.url())?;
    let err = match result {
        Ok(_) => return Err("the call succeeded; the SDK threw".to_owned()),
        Err(err) => err,
    };
    let expected = scenario.error.as_ref().ok_or("the scenario has no error")?;
    let text = |key: &str| expected.get(key).and_then(Value::as_str);
    if err.oauth_error() != text("error") {
        return Err(format!(
            "error code: expected {:?}, got {:?}",
            text("error"),
            err.oauth_error()
        ));
    }
    if err.error_description() != text("errorDescription") {
        return Err(format!(
            "error description: expected {:?}, got {:?}",
            text("errorDescription"),
            err.error_description()
        ));
    }
    Ok(())
}

async fn exchange_refresh(scenario: &Scenario, server: &ScriptedServer) -> Result<(), String> {
    let before = SystemTime::now();
    let tokens = instantdb_oauth::exchange_refresh_token(
        &http(server)?,
        &credentials(),
        &Secret::new("test-refresh-token"),
    )
    .await
    .map_err(|err| format!("the call failed: {err}"))?;
    scenario.check_requests(&server.requests(), &server.url())?;
    // Upstream's `expiresAt` here is `1970-01-14T23:59:30.000Z` (it forgets `Date.now()`); ours
    // is deliberately "now + (expires_in - 30) s", like the code exchange (divergence table in
    // docs/divergences.md), so the result is compared with that expectation.
    let mut expected = scenario
        .result
        .clone()
        .ok_or("the scenario has no result")?;
    expected["expiresAt"] = Value::from("<now + (expires_in - 30)s>");
    compare_tokens(scenario, &expected, &tokens, before)
}

/// `new OAuthHandler({clientId, redirectUri, apiURI}).startClientOnlyFlow(scopes)`: the popup
/// navigates to the start URL, the redirect page hands back `code` and `state`, and the opener
/// exchanges the code with its PKCE verifier.
async fn client_only_flow(scenario: &Scenario, server: &ScriptedServer) -> Result<(), String> {
    let client = OAuthClient::builder(CLIENT_ID, REDIRECT_URI)
        .api_uri(server.url())
        .build()
        .map_err(|err| format!("building the client: {err}"))?;
    let (url, pending) = client
        .authorization_url([Scope::AppsRead, Scope::AppsWrite])
        .map_err(|err| format!("authorization_url failed: {err}"))?;
    let expected = scenario
        .result
        .clone()
        .ok_or("the scenario has no result")?;

    let navigated = format!("{}{}", url.origin().ascii_serialization(), url.path());
    let expected_target = expected["popupNavigatedTo"]
        .as_str()
        .unwrap_or_default()
        .replace("{API}", &server.url());
    if navigated != expected_target {
        return Err(format!(
            "start URL: expected {expected_target}, got {navigated}"
        ));
    }
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let expected_query = expected["popupQuery"]
        .as_object()
        .ok_or("the scenario has no popupQuery")?;
    let expected_keys: Vec<&String> = expected_query.keys().collect();
    let keys: Vec<&String> = query.iter().map(|(k, _)| k).collect();
    if keys != expected_keys {
        return Err(format!(
            "start URL parameters: expected {expected_keys:?}, got {keys:?}"
        ));
    }
    for (key, value) in &query {
        let wanted = expected_query[key].as_str().unwrap_or_default();
        let ok = match wanted {
            "<random state>" => value == pending.state().expose() && !value.is_empty(),
            "<random code_challenge>" => value == &s256(pending.verifier()) && value.len() == 43,
            literal => value == literal,
        };
        if !ok {
            return Err(format!(
                "start URL `{key}`: expected {wanted:?}, got {value:?}"
            ));
        }
    }
    // URLSearchParams writes spaces as `+`.
    if !url
        .query()
        .unwrap_or_default()
        .contains("scope=apps-read+apps-write")
    {
        return Err(format!("start URL query encoding differs: {url}"));
    }

    let verifier = pending.verifier().expose().to_owned();
    let state = pending.state().expose().to_owned();
    let before = SystemTime::now();
    let tokens = client
        .exchange_code(pending, "test-auth-code", &state)
        .await
        .map_err(|err| format!("exchange_code failed: {err}"))?;

    // The verifier is random: check its shape, then compare the request with it filled in.
    let placeholder = "<random pkce verifier (64 chars)>";
    let mut concrete = scenario.clone();
    let body = &mut concrete.requests[0]["body"];
    if body["code_verifier"] != placeholder || verifier.len() != 64 {
        return Err(format!(
            "verifier: expected 64 characters for {:?}, got {}",
            body["code_verifier"],
            verifier.len()
        ));
    }
    body["code_verifier"] = Value::from(verifier);
    concrete.check_requests(&server.requests(), &server.url())?;

    if tokens.access_token.expose() != expected["token"].as_str().unwrap_or_default() {
        return Err("token: the access token differs".to_owned());
    }
    check_expiry(&expected["expiresAt"], &tokens, before, scenario)
}

/// Upstream's `pkceCodeChallengeOfVerifier`: base64url, unpadded, of SHA-256 of the verifier.
fn s256(verifier: &Secret) -> String {
    use base64::Engine as _;
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.expose().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn check_tokens(scenario: &Scenario, tokens: &TokenSet, before: SystemTime) -> Result<(), String> {
    let expected = scenario
        .result
        .clone()
        .ok_or("the scenario has no result")?;
    compare_tokens(scenario, &expected, tokens, before)
}

/// Compares a `TokenSet` with upstream's `{accessToken, refreshToken?, scopes, tokenType,
/// expiresAt}`.
fn compare_tokens(
    scenario: &Scenario,
    expected: &Value,
    tokens: &TokenSet,
    before: SystemTime,
) -> Result<(), String> {
    let text = |key: &str| expected.get(key).and_then(Value::as_str);
    if Some(tokens.access_token.expose()) != text("accessToken") {
        return Err("accessToken differs".to_owned());
    }
    if let Some(refresh) = text("refreshToken")
        && tokens.refresh_token.as_ref().map(Secret::expose) != Some(refresh)
    {
        return Err("refreshToken differs".to_owned());
    }
    let scopes = tokens.scopes.to_string();
    if Some(scopes.as_str()) != text("scopes") {
        return Err(format!(
            "scopes: expected {:?}, got {scopes:?}",
            text("scopes")
        ));
    }
    if Some(tokens.token_type.as_str()) != text("tokenType") {
        return Err(format!(
            "tokenType: expected {:?}, got {:?}",
            text("tokenType"),
            tokens.token_type
        ));
    }
    check_expiry(&expected["expiresAt"], tokens, before, scenario)
}

/// `<now + (expires_in - 30)s>`, with `expires_in` from the scenario's canned response.
fn check_expiry(
    expected: &Value,
    tokens: &TokenSet,
    before: SystemTime,
    scenario: &Scenario,
) -> Result<(), String> {
    if expected.as_str() != Some("<now + (expires_in - 30)s>") {
        return Err(format!("unexpected expiresAt expectation {expected}"));
    }
    let expires_in = scenario.requests[0]["response"]["body"]["expires_in"]
        .as_u64()
        .ok_or("the canned response has no expires_in")?;
    let lifetime = Duration::from_secs(expires_in.saturating_sub(30));
    let after = SystemTime::now();
    match tokens.expires_at {
        Some(at) if at >= before + lifetime && at <= after + lifetime => Ok(()),
        other => Err(format!(
            "expiresAt: expected now + {lifetime:?}, got {other:?}"
        )),
    }
}
