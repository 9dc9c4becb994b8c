//! The token endpoint calls against a scripted loopback server: exact requests (the wire
//! catalog's), responses, error statuses and the secrets they must not leak.

use std::time::{Duration, SystemTime};

use instantdb_http::{Client, PROTOCOL_VERSION, Secret};
use instantdb_oauth::{
    ClientCredentials, ErrorKind, Scope, Scopes, exchange_code_for_token, exchange_refresh_token,
    revoke_token, token_info,
};
use instantdb_test_support::{Reply, ScriptedServer, WireCatalog};
use serde_json::json;

fn credentials() -> ClientCredentials {
    ClientCredentials::new("test-client-id", "test-client-secret")
}

/// A client whose default headers must not reach the token endpoint.
fn platform_like_client(server: &ScriptedServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .bearer_auth(&Secret::new("platform-access-token"))
        .default_header("x-instant-source", "platform-sdk")
        .build()
        .unwrap()
}

#[tokio::test]
async fn code_exchange_matches_the_catalog() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("platform.serverOAuth.exchangeCodeForToken");
    let server = ScriptedServer::start().await;
    server.push_all(scenario.replies(&server.url()));
    let before = SystemTime::now();
    let tokens = exchange_code_for_token(
        &platform_like_client(&server),
        &credentials(),
        "test-auth-code",
        "https://app.example.com/oauth/callback",
    )
    .await
    .unwrap();
    scenario.assert_requests(&server.requests(), &server.url());
    assert_eq!(tokens.access_token.expose(), "exchanged-access-token");
    assert_eq!(
        tokens.refresh_token.as_ref().map(Secret::expose),
        Some("exchanged-refresh-token")
    );
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(
        tokens.scopes,
        Scopes::from([Scope::AppsRead, Scope::AppsWrite])
    );
    let expires_at = tokens.expires_at.unwrap();
    let lifetime = Duration::from_secs(1_209_600 - 30);
    assert!(expires_at >= before + lifetime && expires_at <= SystemTime::now() + lifetime);
}

#[tokio::test]
async fn refresh_matches_the_catalog_and_fixes_expiry_and_scope() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("platform.serverOAuth.exchangeRefreshToken");
    let server = ScriptedServer::start().await;
    server.push_all(scenario.replies(&server.url()));
    let refresh = Secret::new("test-refresh-token");
    let tokens = exchange_refresh_token(&platform_like_client(&server), &credentials(), &refresh)
        .await
        .unwrap();
    scenario.assert_requests(&server.requests(), &server.url());
    assert_eq!(tokens.access_token.expose(), "refreshed-access-token");
    // Upstream computes 1970-01-14; ours is two weeks from now.
    let expires_at = tokens.expires_at.unwrap();
    assert!(expires_at > SystemTime::now() + Duration::from_secs(13 * 86_400));
    // Refresh tokens do not rotate: the one used comes back for storage.
    assert_eq!(tokens.refresh_token, Some(refresh.clone()));

    // The real server answers this grant with the singular `scope`.
    server.push(Reply::json(
        200,
        json!({"access_token": "pat_2", "expires_in": 60, "token_type": "Bearer", "scope": "data-read data-write"}),
    ));
    let tokens = exchange_refresh_token(&platform_like_client(&server), &credentials(), &refresh)
        .await
        .unwrap();
    assert_eq!(
        tokens.scopes,
        Scopes::from([Scope::DataRead, Scope::DataWrite])
    );
}

#[tokio::test]
async fn error_statuses_are_errors_with_both_shapes() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("platform.serverOAuth.exchangeCodeForToken.error");
    let server = ScriptedServer::start().await;
    server.push_all(scenario.replies(&server.url()));
    let err = exchange_code_for_token(
        &Client::new(server.url()).unwrap(),
        &credentials(),
        "test-auth-code",
        "https://app.example.com/oauth/callback",
    )
    .await
    .unwrap_err();
    scenario.assert_requests(&server.requests(), &server.url());
    assert_eq!(err.kind(), ErrorKind::Status);
    assert_eq!(err.oauth_error(), Some("invalid_grant"));
    assert_eq!(
        err.error_description(),
        Some("The authorization code has expired.")
    );
    assert!(err.is_auth_failure());

    // Upstream ignores the status of a refresh and returns `accessToken: undefined`.
    server.push(Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: oauth-refresh-token",
               "hint": {"record-type": "oauth-refresh-token", "args": [{"token": "prt_secret_value"}]}}),
    ));
    let err = exchange_refresh_token(
        &Client::new(server.url()).unwrap(),
        &credentials(),
        &Secret::new("prt_secret_value"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(
        err.api_error().unwrap().error_type(),
        Some("record-not-found")
    );
    assert_eq!(err.oauth_error(), None);
    assert!(err.is_auth_failure());
    let shown = format!("{err} {err:?} {}", err.api_error().unwrap().hint());
    assert!(shown.contains("/platform/oauth/token"), "{shown}");
    assert!(!shown.contains("prt_secret_value"), "{shown}");
    assert!(!shown.contains("test-client-secret"), "{shown}");

    // A success status with a body that is not a token response.
    server.push(Reply::json(200, json!({"token_type": "Bearer"})));
    let err = exchange_code_for_token(
        &Client::new(server.url()).unwrap(),
        &credentials(),
        "c",
        "https://app.example.com/cb",
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(
        err.to_string().contains("`access_token` is missing"),
        "{err}"
    );
}

#[tokio::test]
async fn token_info_sends_the_token_in_the_query_only() {
    let catalog = WireCatalog::load();
    let scenario = catalog.scenario("platform.tokenInfo");
    let server = ScriptedServer::start().await;
    server.push_all(scenario.replies(&server.url()));
    // The SDK headers come from the client, as the platform crate's client sends them.
    let http = Client::builder()
        .base_url(server.url())
        .default_header("x-instant-source", "platform-sdk")
        .default_header("x-instant-version", PROTOCOL_VERSION)
        .default_header("instant-platform-version", PROTOCOL_VERSION)
        .default_header("instant-core-version", PROTOCOL_VERSION)
        .bearer_auth(&Secret::new("test-oauth-token"))
        .build()
        .unwrap();
    let info = token_info(&http, &Secret::new("test-oauth-token"))
        .await
        .unwrap();
    scenario.assert_requests(&server.requests(), &server.url());
    assert_eq!(info.token_type, "Bearer");
    assert_eq!(info.scopes.to_string(), "apps-read apps-write");
    assert!(info.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(1_208_000));

    server.push(Reply::json(
        400,
        json!({"type": "record-expired", "message": "Record expired: oauth-access-token",
               "hint": {"record-type": "oauth-access-token"}}),
    ));
    let err = token_info(&http, &Secret::new("pat_expired"))
        .await
        .unwrap_err();
    assert!(err.is_auth_failure(), "{err}");
}

#[tokio::test]
async fn revoke_posts_a_form_without_default_headers() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(200, json!({})));
    revoke_token(&platform_like_client(&server), &Secret::new("prt_0a1b"))
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/platform/oauth/revoke");
    assert_eq!(request.query, None);
    assert_eq!(request.text(), "token=prt_0a1b");
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("x-instant-source"), None);

    server.push(Reply::json(
        400,
        json!({"type": "param-malformed", "message": "Token is not a access token or a refresh token."}),
    ));
    let err = revoke_token(&platform_like_client(&server), &Secret::new("bogus-token"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Status);
    assert!(err.to_string().contains("param-malformed"), "{err}");
}

#[tokio::test]
async fn self_hosted_base_paths_are_kept() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        200,
        json!({"access_token": "pat_x", "expires_in": 100, "token_type": "Bearer", "scope": "apps-read"}),
    ));
    let http = Client::new(format!("{}/instant/", server.url())).unwrap();
    exchange_refresh_token(&http, &credentials(), &Secret::new("prt_y"))
        .await
        .unwrap();
    assert_eq!(server.requests()[0].path, "/instant/platform/oauth/token");
}

#[tokio::test]
async fn exchange_code_checks_the_state_before_sending_anything() {
    use instantdb_oauth::OAuthClient;

    let server = ScriptedServer::start().await;
    let client = OAuthClient::builder("test-client-id", "https://app.example.com/oauth/callback")
        .api_uri(server.url())
        .build()
        .unwrap();
    let (_, pending) = client.authorization_url(Scope::AppsRead).unwrap();
    let real_state = pending.state().expose().to_owned();
    // Same length, one character off: still refused.
    let mut forged = real_state.clone().into_bytes();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let err = client
        .exchange_code(pending.clone(), "code-1", &forged)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StateMismatch);
    let err = client
        .exchange_code(pending.clone(), "", &real_state)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingCode);
    assert!(server.requests().is_empty());

    // The web-server shape: the pending parts are stored between requests and rebuilt.
    let stored = instantdb_oauth::PendingAuthorization::from_parts(
        pending.state().clone(),
        pending.verifier().clone(),
        pending.redirect_uri(),
        pending.scopes().clone(),
    );
    server.push(Reply::json(
        200,
        json!({"access_token": "pat_1", "expires_in": 100, "token_type": "Bearer", "scopes": "apps-read"}),
    ));
    let tokens = client
        .exchange_code(stored, "code-1", &real_state)
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose(), "pat_1");
    let body = server.requests()[0].json().unwrap();
    assert_eq!(body["code_verifier"], pending.verifier().expose());
    assert_eq!(
        body["redirect_uri"],
        "https://app.example.com/oauth/callback"
    );
}

#[tokio::test]
async fn client_methods_need_what_their_grants_need() {
    use instantdb_oauth::OAuthClient;

    let server = ScriptedServer::start().await;
    let public = OAuthClient::builder("id", "https://app.example.com/cb")
        .api_uri(server.url())
        .build()
        .unwrap();
    let err = public
        .exchange_refresh_token(&Secret::new("prt_1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("client secret"), "{err}");
    assert!(server.requests().is_empty());

    let confidential = OAuthClient::builder("id", "https://app.example.com/cb")
        .http_client(Client::new(server.url()).unwrap())
        .client_secret("s3cret-value")
        .build()
        .unwrap();
    assert!(!format!("{confidential:?}").contains("s3cret-value"));
    server.push(Reply::json(
        200,
        json!({"access_token": "pat_2", "expires_in": 100, "token_type": "Bearer", "scope": "apps-read"}),
    ));
    server.push(Reply::json(200, json!({})));
    let tokens = confidential
        .exchange_refresh_token(&Secret::new("prt_1"))
        .await
        .unwrap();
    assert_eq!(tokens.scopes, Scopes::from(Scope::AppsRead));
    confidential.revoke(&tokens.access_token).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests[0].json().unwrap()["client_secret"], "s3cret-value");
    assert_eq!(requests[1].path, "/platform/oauth/revoke");

    // As in every client builder of the SDK, `api_uri` chooses the server even when a whole
    // HTTP client is given (whose pool and settings are kept).
    let moved = OAuthClient::builder("id", "https://app.example.com/cb")
        .http_client(Client::new(server.url()).unwrap())
        .api_uri("http://other.example.com")
        .build()
        .unwrap();
    assert_eq!(moved.base_url().as_str(), "http://other.example.com");
    let err = OAuthClient::builder("id", "https://app.example.com/cb")
        .api_uri("not a url")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}
