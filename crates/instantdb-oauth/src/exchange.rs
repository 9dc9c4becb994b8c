//! The token endpoint and its neighbours: code and refresh grants, token info, revocation.
//!
//! Free functions over an [`instantdb_http::Client`], so a crate that already has a client for
//! an Instant server (the platform API client refreshing its token) reuses its connection pool,
//! timeouts and base URL. The token endpoint is called by absolute URL, which makes
//! `instantdb-http` leave out the client's default headers: the grant requests carry only
//! `content-type` (as upstream's `exchangeCodeForToken`/`exchangeRefreshToken`), and an
//! `authorization` header the caller set for the platform API never travels with them.

use std::time::SystemTime;

use instantdb_http::http::Method;
use instantdb_http::http::header::{AUTHORIZATION, CONTENT_TYPE};
use instantdb_http::{ApiPath, Client, PROTOCOL_VERSION, RequestOptions, Secret};
use serde::Serialize;

use crate::{Call, Error, TokenInfo, TokenSet};

/// The token endpoint, under the client's base URL.
pub const TOKEN_PATH: &str = "/platform/oauth/token";
/// The token-info endpoint.
pub const TOKEN_INFO_PATH: &str = "/platform/oauth/token-info";
/// The revocation endpoint.
pub const REVOKE_PATH: &str = "/platform/oauth/revoke";

/// An OAuth client's id and secret, for the confidential grants a server makes.
///
/// `Debug` hides the secret.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    /// The OAuth client id (a UUID) from the app's OAuth settings.
    pub client_id: String,
    /// The client secret. Keep it on a server: a native app or CLI uses PKCE instead.
    pub client_secret: Secret,
}

impl ClientCredentials {
    /// Credentials from an id and a secret.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> ClientCredentials {
        ClientCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

#[derive(Serialize)]
struct ConfidentialCodeGrant<'a> {
    grant_type: &'static str,
    code: &'a str,
    redirect_uri: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
}

#[derive(Serialize)]
struct PkceCodeGrant<'a> {
    grant_type: &'static str,
    code: &'a str,
    redirect_uri: &'a str,
    client_id: &'a str,
    code_verifier: &'a str,
}

#[derive(Serialize)]
struct RefreshGrant<'a> {
    grant_type: &'static str,
    refresh_token: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
}

/// Exchanges an authorization code for tokens with the client secret (upstream's
/// `exchangeCodeForToken`): `POST /platform/oauth/token` with the JSON body
/// `{grant_type: "authorization_code", code, redirect_uri, client_id, client_secret}` and only
/// a `content-type` header. The server answers an access token and a refresh token.
///
/// `redirect_uri` must be byte-equal to the one the authorization URL carried. Any status but
/// 200 is an error ([`ErrorKind::Status`](crate::ErrorKind::Status)); upstream's helper
/// reads the RFC 6749 fields only and so reports Instant's `{type, message}` errors as
/// `server_error`, while [`Error`] keeps both.
///
/// ```no_run
/// use instantdb_oauth::{ClientCredentials, exchange_code_for_token};
///
/// # async fn example() -> Result<(), instantdb_oauth::Error> {
/// let http = instantdb_http::Client::new("http://localhost:8888")?;
/// let credentials = ClientCredentials::new("6b1f…", std::env::var("OAUTH_SECRET").unwrap_or_default());
/// let tokens = exchange_code_for_token(&http, &credentials, "code-from-redirect", "https://app.example.com/oauth/callback").await?;
/// println!("granted {}", tokens.scopes);
/// # Ok(())
/// # }
/// ```
pub fn exchange_code_for_token(
    http: &Client,
    credentials: &ClientCredentials,
    code: &str,
    redirect_uri: &str,
) -> Call<TokenSet> {
    let (http, credentials) = (http.clone(), credentials.clone());
    let (code, redirect_uri) = (Secret::new(code), redirect_uri.to_owned());
    Call::new("exchange_code_for_token", move |options| async move {
        confidential_code_grant(&http, &credentials, &code, &redirect_uri, &options).await
    })
}

async fn confidential_code_grant(
    http: &Client,
    credentials: &ClientCredentials,
    code: &Secret,
    redirect_uri: &str,
    options: &RequestOptions,
) -> Result<TokenSet, Error> {
    let body = ConfidentialCodeGrant {
        grant_type: "authorization_code",
        code: code.expose(),
        redirect_uri,
        client_id: &credentials.client_id,
        client_secret: credentials.client_secret.expose(),
    };
    post_grant(
        http,
        options,
        "authorization_code",
        &body,
        false,
        &[],
        &[code, &credentials.client_secret],
    )
    .await
}

/// Exchanges a refresh token for a new access token (upstream's `exchangeRefreshToken`):
/// `POST /platform/oauth/token` with the JSON body
/// `{grant_type: "refresh_token", refresh_token, client_id, client_secret}` and only a
/// `content-type` header.
///
/// Fixes three upstream bugs: an error status is an error (upstream ignores `res.ok` and
/// returns `accessToken: undefined`); `expires_at` is computed from the time of receipt
/// (upstream's lands in January 1970); and the scopes are read from `scope`, which is what
/// this grant answers (upstream reads `scopes` and gets nothing). The server issues no new
/// refresh token (they do not rotate), so the returned [`TokenSet::refresh_token`] is the one
/// passed in, ready to be stored whole.
///
/// Sending it twice is harmless, so it is marked idempotent (retried on 429/502/503/504 by the
/// client's retry policy).
pub fn exchange_refresh_token(
    http: &Client,
    credentials: &ClientCredentials,
    refresh_token: &Secret,
) -> Call<TokenSet> {
    let (http, credentials) = (http.clone(), credentials.clone());
    let refresh_token = refresh_token.clone();
    Call::new("exchange_refresh_token", move |options| async move {
        refresh_grant(&http, &credentials, &refresh_token, &options).await
    })
}

async fn refresh_grant(
    http: &Client,
    credentials: &ClientCredentials,
    refresh_token: &Secret,
    options: &RequestOptions,
) -> Result<TokenSet, Error> {
    let body = RefreshGrant {
        grant_type: "refresh_token",
        refresh_token: refresh_token.expose(),
        client_id: &credentials.client_id,
        client_secret: credentials.client_secret.expose(),
    };
    let mut tokens = post_grant(
        http,
        options,
        "refresh_token",
        &body,
        true,
        &[],
        &[refresh_token, &credentials.client_secret],
    )
    .await?;
    if tokens.refresh_token.is_none() {
        tokens.refresh_token = Some(refresh_token.clone());
    }
    Ok(tokens)
}

/// The public-client (PKCE) code exchange of upstream's `OAuthHandler`: the JSON body
/// `{grant_type: "authorization_code", code, redirect_uri, client_id, code_verifier}` with
/// `content-type`, `instant-platform-version` and `instant-core-version`. No refresh token
/// comes back from this grant.
pub(crate) async fn exchange_code_with_verifier(
    http: &Client,
    client_id: &str,
    code: &Secret,
    redirect_uri: &str,
    verifier: &Secret,
    options: &RequestOptions,
) -> Result<TokenSet, Error> {
    let body = PkceCodeGrant {
        grant_type: "authorization_code",
        code: code.expose(),
        redirect_uri,
        client_id,
        code_verifier: verifier.expose(),
    };
    post_grant(
        http,
        options,
        "authorization_code",
        &body,
        false,
        &[
            // Upstream's `OAuthHandler` sends its package versions; we send the release whose
            // protocol we speak, as every instantdb-rs client does.
            ("instant-platform-version", PROTOCOL_VERSION),
            ("instant-core-version", PROTOCOL_VERSION),
        ],
        &[code, verifier],
    )
    .await
}

#[allow(clippy::too_many_arguments)] // One private helper for the three grants' requests.
async fn post_grant<B: Serialize>(
    http: &Client,
    options: &RequestOptions,
    grant_type: &'static str,
    body: &B,
    idempotent: bool,
    headers: &[(&'static str, &'static str)],
    secrets: &[&Secret],
) -> Result<TokenSet, Error> {
    let url = http.base_url().join(&ApiPath::new(TOKEN_PATH))?;
    let endpoint = format!("POST {}", url.path());
    tracing::debug!(grant_type, endpoint = %endpoint, "requesting OAuth tokens");
    let mut request = options
        .apply(http.request_url(Method::POST, url))
        .json(body)
        .idempotent(idempotent);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .send()
        .await
        .map_err(|err| Error::from_http(err, secrets))?;
    let received_at = SystemTime::now();
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|err| Error::from_http(err, secrets))?;
    TokenSet::from_response(&endpoint, status, &bytes, received_at, secrets)
}

/// What the server knows about an access token: `GET /platform/oauth/token-info?access_token=…`
/// (upstream's `PlatformApi.tokenInfo`).
///
/// Sent under the client's base URL with its default headers (the platform API's SDK headers
/// when called with the platform client) but never an `authorization` header: the token
/// travels in the query, percent-encoded (upstream interpolates it raw; `pat_` tokens are hex,
/// so the bytes agree). An unknown token is 400 `record-not-found`, an expired one 400
/// `record-expired` ([`Error::is_auth_failure`]).
pub fn token_info(http: &Client, access_token: &Secret) -> Call<TokenInfo> {
    let (http, access_token) = (http.clone(), access_token.clone());
    Call::new("token_info", move |options| async move {
        fetch_token_info(&http, &access_token, &options).await
    })
}

async fn fetch_token_info(
    http: &Client,
    access_token: &Secret,
    options: &RequestOptions,
) -> Result<TokenInfo, Error> {
    let response = options
        .apply(http.get(TOKEN_INFO_PATH))
        .query_secret("access_token", access_token)
        .without_header(AUTHORIZATION)
        .send()
        .await
        .map_err(|err| Error::from_http(err, &[access_token]))?;
    let received_at = SystemTime::now();
    let status = response.status();
    let endpoint = format!(
        "GET {}",
        http.base_url().join(&ApiPath::new(TOKEN_INFO_PATH))?.path()
    );
    let bytes = response
        .bytes()
        .await
        .map_err(|err| Error::from_http(err, &[access_token]))?;
    TokenInfo::from_response(&endpoint, status, &bytes, received_at, &[access_token])
}

/// Revokes an access token (`pat_…`) or a refresh token (`prt_…`):
/// `POST /platform/oauth/revoke` with the form body `token=…`.
///
/// The server supports it (the official SDK has no method for it). It needs no client
/// credentials. Revoking a refresh token does not revoke the access tokens already issued
/// from it. Any other token shape is 400 `param-malformed`. The token goes in the form body
/// rather than the query string the server also reads, so it stays out of access logs.
pub fn revoke_token(http: &Client, token: &Secret) -> Call<()> {
    let (http, token) = (http.clone(), token.clone());
    Call::new("revoke_token", move |options| async move {
        revoke(&http, &token, &options).await
    })
}

async fn revoke(http: &Client, token: &Secret, options: &RequestOptions) -> Result<(), Error> {
    let url = http.base_url().join(&ApiPath::new(REVOKE_PATH))?;
    tracing::debug!(endpoint = %url.path(), "revoking an OAuth token");
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token.expose())
        .finish();
    options
        .apply(http.request_url(Method::POST, url))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form.into_bytes())
        .idempotent(true)
        .send()
        .await
        .map_err(|err| Error::from_http(err, &[token]))?;
    Ok(())
}
