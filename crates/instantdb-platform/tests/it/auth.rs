//! Token refresh: which failures trigger it, that it happens once, that the hook sees the new
//! token, and that a second failure is returned.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use instantdb_http::http::{Response, StatusCode};
use instantdb_http::{Body, transport_fn};
use instantdb_oauth::{ClientCredentials, TokenSet};
use instantdb_platform::{ErrorKind, PlatformClient};
use instantdb_test_support::{Reply, ScriptedServer};
use serde_json::json;

use crate::support::*;

/// Each failure shape upstream's `withRetry` refreshes on.
fn refresh_triggers() -> Vec<(&'static str, Reply)> {
    vec![
        (
            "401",
            Reply::json(
                401,
                json!({"type": "record-not-found", "message": "Record not found: instant-user",
                                    "hint": {"record-type": "instant-user", "args": [{"auth?": true}]}}),
            ),
        ),
        (
            "400 record-expired",
            Reply::json(
                400,
                json!({"type": "record-expired", "message": "Record expired: oauth-access-token",
                                    "hint": {"record-type": "oauth-access-token"}}),
            ),
        ),
        (
            "400 record-not-found of a token",
            Reply::json(
                400,
                json!({"type": "record-not-found", "message": "Record not found: oauth-access-token",
                                    "hint": {"record-type": "oauth-access-token"}}),
            ),
        ),
    ]
}

#[tokio::test]
async fn every_auth_failure_shape_refreshes_once_and_repeats_the_call() {
    for (shape, failure) in refresh_triggers() {
        let server = ScriptedServer::start().await;
        let (api, refreshed) = refresh_api(&server);
        server.push(failure);
        server.push(token_reply("fresh-token"));
        server.push(Reply::json(200, json!({"app": app_row("Mine")})));
        let app = api.get_app(APP_ID).send().await.unwrap();
        assert_eq!(app.title, "Mine", "{shape}");

        let requests = server.requests();
        assert_eq!(
            paths(&requests),
            [
                format!("GET /superadmin/apps/{APP_ID}"),
                "POST /platform/oauth/token".to_owned(),
                format!("GET /superadmin/apps/{APP_ID}"),
            ],
            "{shape}"
        );
        assert_eq!(bearer(&requests[0]), Some(TOKEN), "{shape}");
        assert_eq!(bearer(&requests[2]), Some("fresh-token"), "{shape}");
        let grant = requests[1].json().unwrap();
        assert_eq!(
            grant,
            json!({"grant_type": "refresh_token", "refresh_token": "test-refresh-token",
                   "client_id": "test-client-id", "client_secret": "test-client-secret"}),
            "{shape}"
        );
        assert_eq!(requests[1].header("authorization"), None, "{shape}");

        let calls = refreshed.lock().unwrap();
        assert_eq!(calls.len(), 1, "{shape}");
        assert_eq!(calls[0].access_token.expose(), "fresh-token", "{shape}");
        // The refresh grant returns no refresh token; the one in use is kept.
        assert_eq!(
            calls[0]
                .refresh_token
                .as_ref()
                .map(|t| t.expose().to_owned())
                .as_deref(),
            Some("test-refresh-token")
        );
        assert!(calls[0].expires_at.is_some());
        assert_eq!(api.access_token().unwrap().expose(), "fresh-token");
    }
}

#[tokio::test]
async fn other_failures_do_not_refresh() {
    let others = [
        Reply::json(
            400,
            json!({"type": "record-not-found", "message": "Record not found: app", "hint": {"record-type": "app"}}),
        ),
        // Upstream throws a TypeError here; the API error is returned.
        Reply::json(
            404,
            json!({"type": "record-not-found", "message": "Record not found: app"}),
        ),
        Reply::json(
            400,
            json!({"type": "permission-denied", "message": "You are missing the apps-write scope",
                                "hint": {"required-scope": "apps-write"}}),
        ),
        Reply::json(
            400,
            json!({"type": "validation-failed", "message": "Validation failed for user-role: User is missing role admin."}),
        ),
    ];
    for reply in others {
        let server = ScriptedServer::start().await;
        let (api, refreshed) = refresh_api(&server);
        let status = reply.status();
        server.push(reply);
        let err = api.get_app(APP_ID).send().await.unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert_eq!(server.requests().len(), 1);
        assert!(refreshed.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_second_auth_failure_is_returned_not_swallowed() {
    let server = ScriptedServer::start().await;
    let (api, refreshed) = refresh_api(&server);
    server.push(Reply::json(
        401,
        json!({"type": "authorization", "message": "Unauthorized"}),
    ));
    server.push(token_reply("fresh-token"));
    server.push(Reply::json(
        401,
        json!({"type": "authorization", "message": "Still unauthorized"}),
    ));
    let err = api.get_apps().send().await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(err.api_error().unwrap().message(), "Still unauthorized");
    // One refresh, not upstream's two.
    assert_eq!(server.requests().len(), 3);
    assert_eq!(refreshed.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_refused_refresh_is_an_error() {
    let server = ScriptedServer::start().await;
    let (api, refreshed) = refresh_api(&server);
    server.push(Reply::json(
        400,
        json!({"type": "record-expired", "message": "Record expired: oauth-access-token",
                                       "hint": {"record-type": "oauth-access-token"}}),
    ));
    server.push(Reply::json(
        400,
        json!({"type": "record-not-found", "message": "Record not found: oauth-refresh-token",
                                       "hint": {"record-type": "oauth-refresh-token"}}),
    ));
    let err = api.get_orgs().send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Refresh);
    assert!(err.is_auth_failure(), "{err}");
    assert!(err.oauth_error().is_some());
    assert!(!format!("{err} {err:?}").contains("test-client-secret"));
    assert!(!format!("{err} {err:?}").contains("test-refresh-token"));
    assert!(refreshed.lock().unwrap().is_empty());
    assert_eq!(api.access_token().unwrap().expose(), TOKEN);
}

#[tokio::test]
async fn plain_tokens_are_never_refreshed() {
    let server = ScriptedServer::start().await;
    server.push(Reply::json(
        401,
        json!({"type": "authorization", "message": "Unauthorized"}),
    ));
    let api = api(&server);
    let err = api.get_apps().send().await.unwrap_err();
    assert!(err.is_auth_failure());
    assert_eq!(server.requests().len(), 1);
    assert!(!api.can_refresh_token().unwrap());
    assert!(api.refresh_token().await.unwrap().is_none());

    // OAuth tokens without a refresh token cannot be refreshed either.
    let api = PlatformClient::builder()
        .api_uri(server.url())
        .oauth(
            TokenSet::new("pat_x".into()),
            ClientCredentials::new("id", "secret"),
        )
        .build()
        .unwrap();
    assert!(!api.can_refresh_token().unwrap());
    assert!(api.refresh_token().await.unwrap().is_none());

    let no_auth = PlatformClient::builder()
        .api_uri(server.url())
        .build()
        .unwrap();
    assert!(no_auth.can_refresh_token().unwrap_err().is_missing_auth());
    assert!(
        no_auth
            .get_apps()
            .send()
            .await
            .unwrap_err()
            .is_missing_auth()
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn explicit_refresh_switches_the_token_and_calls_the_hook() {
    let server = ScriptedServer::start().await;
    let (api, refreshed) = refresh_api(&server);
    server.push(token_reply("fresh-token"));
    let tokens = api.refresh_token().await.unwrap().unwrap();
    assert_eq!(tokens.access_token.expose(), "fresh-token");
    assert_eq!(tokens.scopes.to_string(), "apps-read apps-write");
    // Upstream computes this from 1970.
    assert!(tokens.expires_at.unwrap() > std::time::SystemTime::now());
    assert_eq!(refreshed.lock().unwrap().len(), 1);
    assert_eq!(
        api.oauth_tokens().unwrap().access_token.expose(),
        "fresh-token"
    );
}

#[tokio::test]
async fn concurrent_failures_share_one_refresh() {
    let grants = Arc::new(AtomicUsize::new(0));
    let counted = grants.clone();
    let transport = transport_fn(move |request| {
        let counted = counted.clone();
        async move {
            let token = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let (status, body) = if request.uri().path() == "/platform/oauth/token" {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                // Slow enough that every failing call is waiting for it.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                (
                    200,
                    json!({"access_token": format!("fresh-{n}"), "expires_in": 3600, "token_type": "Bearer"}),
                )
            } else if token.starts_with("Bearer fresh-") {
                (200, json!({"orgs": []}))
            } else {
                (
                    401,
                    json!({"type": "authorization", "message": "Unauthorized"}),
                )
            };
            let mut response = Response::new(Body::from(body.to_string()));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            Ok(response)
        }
    });
    let mut tokens = TokenSet::new(TOKEN.into());
    tokens.refresh_token = Some("test-refresh-token".into());
    let api = PlatformClient::builder()
        .api_uri("http://instant.test")
        .transport(transport)
        .oauth(tokens, ClientCredentials::new("id", "secret"))
        .build()
        .unwrap();
    let calls = (0..8).map(|_| {
        let api = api.clone();
        tokio::spawn(async move { api.get_orgs().send().await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
    assert_eq!(grants.load(Ordering::SeqCst), 1);
    assert_eq!(api.access_token().unwrap().expose(), "fresh-0");
}

#[tokio::test]
async fn tokens_stay_out_of_debug_output_and_errors() {
    let server = ScriptedServer::start().await;
    let (api, _) = refresh_api(&server);
    let shown = format!("{api:?}");
    assert!(
        !shown.contains(TOKEN) && !shown.contains("test-refresh-token"),
        "{shown}"
    );
    assert!(shown.contains("oauth (refreshable)"), "{shown}");

    // The server echoes the token in a hint; errors scrub it.
    server.push(Reply::json(
        400,
        json!({"type": "validation-failed", "message": format!("bad token {TOKEN}"),
                                       "hint": {"token": TOKEN}}),
    ));
    let err = api.get_orgs().send().await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains(TOKEN), "{err:?}");
}
