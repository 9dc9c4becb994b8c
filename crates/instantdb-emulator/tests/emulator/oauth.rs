//! The OAuth provider: authorization (automatic consent), the token endpoint's three grants,
//! token info, revocation, and what the tokens reach.

use std::time::Duration;

use bytes::Bytes;
use instantdb_emulator::{Emulator, OAuthConsent};
use serde_json::{Value, json};

use crate::support::{Client, Platform, Reply, emulator, uuid};

/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:8976/oauth/callback";

fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        out.append_pair(key, value);
    }
    out.finish()
}

/// `GET /platform/oauth/start` with the usual parameters, `extra` replacing or adding some.
async fn start(client: &mut Client, client_id: &str, extra: &[(&str, &str)]) -> Reply {
    let mut pairs = vec![
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "apps-read data-write"),
        ("state", "st-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (key, value) in extra {
        pairs.retain(|(k, _)| k != key);
        if !value.is_empty() {
            pairs.push((key, value));
        }
    }
    client
        .get(&format!("/platform/oauth/start?{}", query(&pairs)), &[])
        .await
}

/// The query parameters of a redirect's `Location`, asserting it goes to [`REDIRECT`].
#[track_caller]
fn redirect_params(reply: &Reply) -> Vec<(String, String)> {
    assert_eq!(
        reply.status,
        302,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let location = url::Url::parse(reply.location.as_deref().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT), "{location}");
    location.query_pairs().into_owned().collect()
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A fresh code from the automatic consent.
async fn code(client: &mut Client, client_id: &str, extra: &[(&str, &str)]) -> String {
    let reply = start(client, client_id, extra).await;
    let params = redirect_params(&reply);
    assert_eq!(param(&params, "state"), Some("st-1"));
    param(&params, "code").unwrap().to_owned()
}

async fn token(client: &mut Client, body: Value) -> Reply {
    client
        .json("POST", "/platform/oauth/token", &[], &body)
        .await
}

async fn token_form(client: &mut Client, pairs: &[(&str, &str)]) -> Reply {
    client
        .send(
            "POST",
            "/platform/oauth/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            Bytes::from(query(pairs)),
        )
        .await
}

#[tokio::test]
async fn pkce_login_issues_a_scoped_access_token() {
    let emu = emulator().await;
    let oauth = emu.create_oauth_client(&[REDIRECT], false).unwrap();
    let client_id = oauth.client_id.to_string();
    let mut http = Client::new(emu.base_url());

    let reply = start(&mut http, &client_id, &[]).await;
    let params = redirect_params(&reply);
    assert_eq!(param(&params, "scope"), Some("apps-read data-write"));
    let code = param(&params, "code").unwrap().to_owned();

    let body = json!({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": VERIFIER,
    });
    let issued = token(&mut http, body.clone()).await.ok();
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["scopes"], "apps-read data-write");
    assert!(issued.get("refresh_token").is_none(), "{issued}");
    assert!(issued["expires_in"].as_i64().unwrap() > 13 * 24 * 3600);
    let access = issued["access_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("pat_"));

    // Codes are single use.
    let again = token(&mut http, body).await.err(400, "record-not-found");
    assert_eq!(again["hint"]["record-type"], "oauth-code");

    // The token carries exactly its scopes.
    let mut user = Platform::new(emu.base_url(), &access);
    user.call("GET", "/superadmin/apps", None).await.ok();
    let denied = user
        .call("POST", "/superadmin/apps", Some(json!({ "title": "x" })))
        .await
        .err(400, "permission-denied");
    assert_eq!(denied["hint"]["required-scope"], "apps-write");
    let info = http
        .get(
            &format!("/platform/oauth/token-info?access_token={access}"),
            &[],
        )
        .await
        .ok();
    assert_eq!(info["scopes"], "apps-read data-write");

    // A wrong verifier burns the code.
    let code = crate::oauth::code(&mut http, &client_id, &[]).await;
    let mut body = json!({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": "wrong",
    });
    let bad = token(&mut http, body.clone())
        .await
        .err(400, "validation-failed");
    assert_eq!(
        bad["message"],
        "Validation failed for oauth-code: The code_challenge and code_verifier do not match."
    );
    assert!(
        !bad.to_string().contains("wrong"),
        "the verifier is not echoed: {bad}"
    );
    body["code_verifier"] = json!(VERIFIER);
    token(&mut http, body).await.err(400, "record-not-found");

    // A code issued without a challenge needs the client secret.
    let code = crate::oauth::code(
        &mut http,
        &client_id,
        &[("code_challenge", ""), ("code_challenge_method", "")],
    )
    .await;
    let body = json!({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client_id,
        "code_verifier": VERIFIER,
    });
    let bad = token(&mut http, body).await.err(400, "param-missing");
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .starts_with("You must provide the client_secret")
    );

    // The redirect URI of the exchange must be the one of the request, byte for byte.
    let code = crate::oauth::code(&mut http, &client_id, &[]).await;
    let body = json!({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": format!("{REDIRECT}/"),
        "client_id": client_id,
        "code_verifier": VERIFIER,
    });
    let bad = token(&mut http, body).await.err(400, "param-malformed");
    assert_eq!(bad["message"], "Invalid redirect_uri parameter");

    let bad = token(
        &mut http,
        json!({ "grant_type": "refresh_token", "client_id": client_id, "refresh_token": "prt_x" }),
    )
    .await
    .err(400, "param-malformed");
    assert_eq!(
        bad["message"],
        "Unrecognized `grant_type` parameter only `authorization_code` is allowed for the PKCE flow."
    );
    // Neither JSON nor a form: every parameter is missing.
    let bad = http
        .send(
            "POST",
            "/platform/oauth/token",
            &[("content-type", "text/plain")],
            Bytes::from("grant_type=authorization_code"),
        )
        .await
        .err(400, "param-missing");
    assert_eq!(bad["hint"]["in"], json!(["grant_type"]));
}

#[tokio::test]
async fn confidential_exchange_refresh_limit_and_revocation() {
    let emu = emulator().await;
    let oauth = emu.create_oauth_client(&[REDIRECT], false).unwrap();
    let client_id = oauth.client_id.to_string();
    let secret = oauth.client_secret().to_owned();
    assert_eq!(secret.len(), 68);
    assert!(!format!("{oauth:?}").contains(&secret));
    let mut http = Client::new(emu.base_url());

    // A form-encoded confidential exchange: refresh token included, no verifier checked.
    let mut issued = Vec::new();
    for _ in 0..6 {
        let code = code(&mut http, &client_id, &[]).await;
        let reply = token_form(
            &mut http,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", &client_id),
                ("client_secret", &secret),
            ],
        )
        .await
        .ok();
        assert_eq!(reply["scopes"], "apps-read data-write");
        issued.push((
            reply["access_token"].as_str().unwrap().to_owned(),
            reply["refresh_token"].as_str().unwrap().to_owned(),
        ));
    }
    let refresh = |token: &str| {
        json!({
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": client_id,
            "client_secret": secret,
        })
    };
    // The refresh grant: `scope`, not `scopes`, and no new refresh token.
    let refreshed = token(&mut http, refresh(&issued[5].1)).await.ok();
    assert_eq!(refreshed["scope"], "apps-read data-write");
    assert!(refreshed.get("scopes").is_none() && refreshed.get("refresh_token").is_none());
    let fresh = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, issued[5].0);

    // Only the 5 newest refresh tokens of a user and client survive; the oldest went, with
    // the access token issued alongside it.
    let gone = token(&mut http, refresh(&issued[0].1))
        .await
        .err(400, "record-not-found");
    assert_eq!(gone["hint"]["record-type"], "oauth-refresh-token");
    Platform::new(emu.base_url(), &issued[0].0)
        .call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-not-found");
    token(&mut http, refresh(&issued[1].1)).await.ok();

    // An unknown secret, whatever the client id.
    let mut body = refresh(&issued[1].1);
    body["client_secret"] = json!("0".repeat(68));
    let bad = token(&mut http, body).await.err(400, "record-not-found");
    assert_eq!(bad["hint"]["record-type"], "oauth-app-client");

    // Revoking a refresh token revokes the access tokens issued from it.
    let revoke = format!("/platform/oauth/revoke?token={}", issued[5].1);
    assert_eq!(
        http.send("POST", &revoke, &[], Bytes::new()).await.ok(),
        json!({})
    );
    token(&mut http, refresh(&issued[5].1))
        .await
        .err(400, "record-not-found");
    Platform::new(emu.base_url(), &fresh)
        .call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-not-found");
    // Access tokens are revoked alone; a form body works, a JSON body is not read.
    let form = query(&[("token", &issued[4].0)]);
    http.send(
        "POST",
        "/platform/oauth/revoke",
        &[("content-type", "application/x-www-form-urlencoded")],
        Bytes::from(form),
    )
    .await
    .ok();
    Platform::new(emu.base_url(), &issued[4].0)
        .call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-not-found");
    token(&mut http, refresh(&issued[4].1)).await.ok();
    http.json(
        "POST",
        "/platform/oauth/revoke",
        &[],
        &json!({ "token": issued[3].0 }),
    )
    .await
    .err(400, "param-missing");
    let bad = http
        .send(
            "POST",
            "/platform/oauth/revoke?token=per_x",
            &[],
            Bytes::new(),
        )
        .await
        .err(400, "param-malformed");
    assert_eq!(
        bad["message"],
        "Token is not a access token or a refresh token."
    );
}

#[tokio::test]
async fn authorization_errors_are_html_pages_and_denial_redirects() {
    let emu = emulator().await;
    let oauth = emu.create_oauth_client(&[REDIRECT], false).unwrap();
    let client_id = oauth.client_id.to_string();
    let mut http = Client::new(emu.base_url());
    let unknown = uuid();

    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("redirect_uri", "http://127.0.0.1:8977/oauth/callback")],
            "Validation failed for redirect_uri",
        ),
        (
            vec![("response_type", "token")],
            "`response_type` parameter must have value `code`",
        ),
        (vec![("scope", "apps-read admin")], "Invalid scope admin"),
        (vec![("state", "")], "Missing parameter"),
        (
            vec![("code_challenge", "")],
            "Validation failed for code-challenge",
        ),
        (
            vec![("client_id", &unknown)],
            "Record not found: oauth-app-client",
        ),
        (vec![("client_id", "nope")], "Malformed parameter"),
    ];
    for (extra, message) in cases {
        let reply = start(&mut http, &client_id, &extra).await;
        assert_eq!(reply.status, 400, "{extra:?}");
        assert_eq!(reply.content_type, "text/html");
        let page = String::from_utf8_lossy(&reply.body);
        assert!(
            page.contains("There was an error with your OAuth request."),
            "{page}"
        );
        assert!(page.contains(message), "{extra:?}: {page}");
    }

    emu.set_oauth_consent(OAuthConsent::Deny);
    let params = redirect_params(&start(&mut http, &client_id, &[]).await);
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(param(&params, "state"), Some("st-1"));
    assert_eq!(param(&params, "code"), None);
    emu.set_oauth_consent(OAuthConsent::Approve);
    code(&mut http, &client_id, &[]).await;

    // Public clients may not use localhost; private ones need loopback or https.
    assert!(emu.create_oauth_client(&[REDIRECT], true).is_err());
    assert!(
        emu.create_oauth_client(&["http://example.com/cb"], false)
            .is_err()
    );
    assert!(
        emu.create_oauth_client(&["https://example.com/cb"], true)
            .is_ok()
    );
}

#[tokio::test]
async fn access_tokens_expire_by_ttl_or_on_demand() {
    let emu = Emulator::builder()
        .oauth_access_token_ttl(Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let oauth = emu.create_oauth_client(&[REDIRECT], false).unwrap();
    let client_id = oauth.client_id.to_string();
    let mut http = Client::new(emu.base_url());
    let code = code(&mut http, &client_id, &[]).await;
    let issued = token(
        &mut http,
        json!({
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "client_secret": oauth.client_secret(),
        }),
    )
    .await
    .ok();
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let mut user = Platform::new(emu.base_url(), &access);
    user.call("GET", "/superadmin/apps", None).await.ok();
    tokio::time::sleep(Duration::from_millis(1600)).await;
    user.call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-expired");

    let refreshed = token(
        &mut http,
        json!({
            "grant_type": "refresh_token",
            "refresh_token": issued["refresh_token"],
            "client_id": client_id,
            "client_secret": oauth.client_secret(),
        }),
    )
    .await
    .ok();
    let mut user = Platform::new(emu.base_url(), refreshed["access_token"].as_str().unwrap());
    user.call("GET", "/superadmin/apps", None).await.ok();
    emu.expire_oauth_access_tokens().unwrap();
    user.call("GET", "/superadmin/apps", None)
        .await
        .err(400, "record-expired");
}
