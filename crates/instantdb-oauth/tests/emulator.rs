//! End to end against the local emulator (`instantdb-emulator`), which issues real codes and
//! tokens: the loopback login with a stand-in browser that follows the redirect over HTTP, the
//! scopes of the resulting token on the platform API, and a refresh through `PlatformClient`'s
//! refresh hook once the emulator has expired the access token.

// Helpers outside #[test] functions panic on purpose: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use instantdb_emulator::{Emulator, OAuthClientCredentials, OAuthConsent};
use instantdb_oauth::{ClientCredentials, ErrorKind, OAuthClient, Scope, TokenSet};
use instantdb_platform::PlatformClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// A free loopback port for the redirect URI. Instant matches registered redirect URIs
/// exactly, port included, so the port must be known before the client is registered.
async fn free_port() -> u16 {
    let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
    probe.local_addr().unwrap().port()
}

/// What the stand-in browser saw.
#[derive(Debug)]
struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

/// One HTTP/1.1 GET, no redirect following: the few lines a browser needs here.
async fn get(url: &Url) -> Page {
    let host = url.host_str().unwrap();
    let port = url.port_or_known_default().unwrap();
    let mut stream = TcpStream::connect((host, port)).await.unwrap();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let location = head
        .lines()
        .find_map(|line| {
            line.strip_prefix("location: ")
                .or(line.strip_prefix("Location: "))
        })
        .map(str::to_owned);
    Page {
        status,
        location,
        body: body.to_owned(),
    }
}

/// The browser: opens the authorization URL on the emulator (which consents at once) and
/// follows its 302 to the loopback listener. Returns both pages.
async fn browse(authorization_url: Url) -> (Page, Page) {
    let authorize = get(&authorization_url).await;
    assert_eq!(authorize.status, 302, "{}", authorize.body);
    let callback = Url::parse(authorize.location.as_deref().unwrap()).unwrap();
    let landing = get(&callback).await;
    (authorize, landing)
}

/// A loopback login through the stand-in browser; the browser's pages come back with the
/// result.
async fn login(
    client: &OAuthClient,
    scopes: &[Scope],
) -> (Result<TokenSet, instantdb_oauth::Error>, (Page, Page)) {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let result = client
        .loopback_login(scopes.iter().copied().collect::<instantdb_oauth::Scopes>())
        .timeout(Duration::from_secs(20))
        .on_authorization_url(move |url| {
            let url = url.clone();
            tokio::spawn(async move {
                let _ = sender.send(browse(url).await);
            });
        })
        .run()
        .await;
    (result, receiver.await.unwrap())
}

async fn setup() -> (Emulator, OAuthClientCredentials, String) {
    let emulator = Emulator::builder().start().await.unwrap();
    let redirect_uri = format!("http://127.0.0.1:{}/oauth/callback", free_port().await);
    let credentials = emulator
        .create_oauth_client(&[redirect_uri.as_str()], false)
        .unwrap();
    (emulator, credentials, redirect_uri)
}

#[tokio::test]
async fn pkce_loopback_login_gives_a_token_limited_to_its_scopes() {
    let (emulator, credentials, redirect_uri) = setup().await;
    emulator.create_app("existing").unwrap();
    let client = OAuthClient::builder(credentials.client_id.to_string(), &redirect_uri)
        .api_uri(emulator.base_url())
        .build()
        .unwrap();

    let (tokens, (authorize, landing)) = login(&client, &[Scope::AppsRead]).await;
    let tokens = tokens.unwrap();
    assert!(authorize.location.unwrap().starts_with(&redirect_uri));
    assert_eq!(landing.status, 200);
    assert!(
        landing.body.to_lowercase().contains("close"),
        "{}",
        landing.body
    );
    assert!(
        tokens.refresh_token.is_none(),
        "PKCE exchanges give no refresh token"
    );
    assert!(tokens.scopes.contains(Scope::AppsRead));
    assert!(!tokens.scopes.contains(Scope::AppsWrite));
    let expires_at = tokens.expires_at.unwrap();
    assert!(expires_at > std::time::SystemTime::now() + Duration::from_secs(13 * 24 * 3600));

    let info = client.token_info(&tokens.access_token).await.unwrap();
    assert!(info.scopes.contains(Scope::AppsRead));

    // apps-read lists apps but cannot create one.
    let api = PlatformClient::builder()
        .token(tokens.access_token.clone())
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let apps = api.get_apps().send().await.unwrap();
    assert_eq!(apps.len(), 1);
    let refused = api.create_app("new").send().await.unwrap_err();
    assert!(refused.is_permission_denied(), "{refused:?}");
    let api_error = refused.api_error().unwrap();
    assert_eq!(api_error.message(), "You are missing the apps-write scope");

    // Revoked, the token stops working.
    client.revoke(&tokens.access_token).await.unwrap();
    let refused = api.get_apps().send().await.unwrap_err();
    assert!(refused.is_record_not_found(), "{refused:?}");
}

#[tokio::test]
async fn confidential_login_refreshes_through_the_platform_hook_after_expiry() {
    let (emulator, credentials, redirect_uri) = setup().await;
    let client = OAuthClient::builder(credentials.client_id.to_string(), &redirect_uri)
        .api_uri(emulator.base_url())
        .client_secret(credentials.client_secret())
        .build()
        .unwrap();
    let (tokens, _) = login(&client, &[Scope::AppsWrite]).await;
    let tokens = tokens.unwrap();
    let refresh_token = tokens.refresh_token.clone().unwrap();
    assert!(refresh_token.expose().starts_with("prt_"));

    let refreshed: Arc<Mutex<Vec<TokenSet>>> = Arc::default();
    let seen = refreshed.clone();
    let api = PlatformClient::builder()
        .api_uri(emulator.base_url())
        .oauth(
            tokens.clone(),
            ClientCredentials::new(
                credentials.client_id.to_string(),
                credentials.client_secret(),
            ),
        )
        .on_refresh(move |tokens: TokenSet| {
            let seen = seen.clone();
            async move { seen.lock().unwrap().push(tokens) }
        })
        .build()
        .unwrap();
    let app = api.create_app("before expiry").send().await.unwrap();
    assert!(refreshed.lock().unwrap().is_empty());

    // The emulator expires the access token: the next call gets 400 `record-expired`,
    // refreshes once, calls the hook and goes through.
    emulator.expire_oauth_access_tokens().unwrap();
    let fetched = api.get_app(&app.id).send().await.unwrap();
    assert_eq!(fetched.title, "before expiry");
    let hooked = refreshed.lock().unwrap().clone();
    assert_eq!(hooked.len(), 1);
    let new = &hooked[0];
    assert_ne!(new.access_token, tokens.access_token);
    assert_eq!(
        new.refresh_token.as_ref(),
        Some(&refresh_token),
        "not rotated"
    );
    assert!(new.scopes.contains(Scope::AppsWrite), "read from `scope`");
    assert_eq!(api.access_token().unwrap(), new.access_token);
    api.get_apps().send().await.unwrap();
    assert_eq!(refreshed.lock().unwrap().len(), 1, "no second refresh");

    // A revoked refresh token ends it: the error surfaces instead of a retry with nothing.
    client.revoke(&refresh_token).await.unwrap();
    let refused = api.get_apps().send().await.unwrap_err();
    assert!(
        refused.is_auth_failure() || refused.is_record_not_found(),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_denied_consent_is_an_access_denied_error() {
    let (emulator, credentials, redirect_uri) = setup().await;
    emulator.set_oauth_consent(OAuthConsent::Deny);
    let client = OAuthClient::builder(credentials.client_id.to_string(), &redirect_uri)
        .api_uri(emulator.base_url())
        .build()
        .unwrap();
    let (result, (_, landing)) = login(&client, &[Scope::DataRead]).await;
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Authorization);
    assert!(error.is_access_denied(), "{error:?}");
    assert_eq!(
        landing.status, 200,
        "the browser still gets a page: {}",
        landing.body
    );
}
