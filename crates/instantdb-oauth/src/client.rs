//! `OAuthClient`: one OAuth client (id, redirect URI, optional secret) of one Instant server.

use std::fmt;

use instantdb_http::{ApiPath, BaseUrl, Client, ClientSettings, Secret};
use url::Url;

use crate::exchange::{ClientCredentials, exchange_code_with_verifier};
use crate::{Call, Error, Scopes, TokenInfo, TokenSet, pkce};

/// The authorization endpoint, under the server's base URL. It answers a redirect to the
/// dashboard's consent screen.
pub const AUTHORIZE_PATH: &str = "/platform/oauth/start";

/// An OAuth client registered with an Instant OAuth app: its id, one of its authorized
/// redirect URIs, and for a server-side (confidential) client its secret.
///
/// The flow: [`OAuthClient::authorization_url`] gives the URL to send the user to and a
/// [`PendingAuthorization`] holding the PKCE verifier and the `state`; the server redirects
/// the browser to the redirect URI with `code` and `state`; [`OAuthClient::exchange_code`]
/// checks the state and trades the code for a [`TokenSet`]. A native app or CLI does all of it
/// with [`OAuthClient::loopback_login`] instead.
///
/// Without a client secret the exchange is a PKCE (public client) exchange and returns no
/// refresh token; with one it is a confidential exchange that also returns a refresh token,
/// which [`OAuthClient::exchange_refresh_token`] trades for new access tokens.
///
/// ```no_run
/// use instantdb_oauth::{OAuthClient, Scope};
///
/// # async fn example(code: &str, returned_state: &str) -> Result<(), instantdb_oauth::Error> {
/// let client = OAuthClient::builder("6b1f0c52-…", "https://app.example.com/oauth/callback")
///     .api_uri("https://instant.example.com")
///     .build()?;
/// let (url, pending) = client.authorization_url([Scope::AppsRead, Scope::AppsWrite])?;
/// // ... redirect the user to `url`, keep `pending` in their session ...
/// let tokens = client.exchange_code(pending, code, returned_state).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OAuthClient {
    client_id: String,
    /// Exactly as configured: the server compares it byte for byte with the registered ones.
    redirect_uri: String,
    client_secret: Option<Secret>,
    http: Client,
}

impl OAuthClient {
    /// A public (PKCE) client of the server at [`DEFAULT_API_URI`](instantdb_http::DEFAULT_API_URI).
    pub fn new(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Result<OAuthClient, Error> {
        OAuthClient::builder(client_id, redirect_uri).build()
    }

    /// Starts a configuration: the server, a client secret, the HTTP client.
    pub fn builder(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> OAuthClientBuilder {
        OAuthClientBuilder {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            client_secret: None,
            http: ClientSettings::default(),
        }
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The redirect URI, as configured.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Whether a client secret is configured (confidential client).
    pub fn has_client_secret(&self) -> bool {
        self.client_secret.is_some()
    }

    /// The Instant server.
    pub fn base_url(&self) -> &BaseUrl {
        self.http.base_url()
    }

    /// The HTTP client requests go through.
    pub fn http_client(&self) -> &Client {
        &self.http
    }

    /// The URL to send the user to, and the pending state to keep until the redirect comes
    /// back: `{api}/platform/oauth/start?client_id&redirect_uri&scope&state&response_type=code
    /// &code_challenge&code_challenge_method=S256`, form-encoded in that order as upstream's
    /// `URLSearchParams` does (spaces in `scope` become `+`).
    ///
    /// Fails if `scopes` is empty (the server requires at least one) or holds names this
    /// version does not know.
    pub fn authorization_url(
        &self,
        scopes: impl Into<Scopes>,
    ) -> Result<(Url, PendingAuthorization), Error> {
        self.authorization_url_for(scopes.into(), &self.redirect_uri)
    }

    pub(crate) fn authorization_url_for(
        &self,
        scopes: Scopes,
        redirect_uri: &str,
    ) -> Result<(Url, PendingAuthorization), Error> {
        if scopes.is_empty() {
            return Err(Error::config(
                "an authorization request needs at least one scope",
            ));
        }
        if let Some(unknown) = scopes.unknown().first() {
            return Err(Error::config(format!(
                "unknown scope `{}` in an authorization request",
                unknown.escape_debug()
            )));
        }
        let state = pkce::new_state()?;
        let verifier = pkce::new_verifier()?;
        let mut url = self.base_url().join(&ApiPath::new(AUTHORIZE_PATH))?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scopes.to_string())
            .append_pair("state", state.expose())
            .append_pair("response_type", "code")
            .append_pair("code_challenge", &pkce::s256_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        let pending = PendingAuthorization {
            state,
            verifier,
            redirect_uri: redirect_uri.to_owned(),
            scopes,
        };
        Ok((url, pending))
    }

    /// Trades the `code` the redirect brought for tokens, after checking (in constant time)
    /// that the redirect's `state` is the one `pending` sent.
    ///
    /// A mismatched state is [`ErrorKind::StateMismatch`](crate::ErrorKind::StateMismatch) and
    /// nothing is sent: the redirect was not started by this login (a forged link, or a stale
    /// tab). Without a client secret this is the PKCE exchange (upstream `OAuthHandler`'s
    /// request: `{grant_type, code, redirect_uri, client_id, code_verifier}`, no refresh
    /// token comes back); with one, the confidential exchange of
    /// [`exchange_code_for_token`](crate::exchange_code_for_token). `pending` is consumed:
    /// codes are single-use.
    pub fn exchange_code(
        &self,
        pending: PendingAuthorization,
        code: &str,
        returned_state: &str,
    ) -> Call<TokenSet> {
        if Secret::new(returned_state) != pending.state {
            return Call::fail("exchange_code", Error::state_mismatch());
        }
        if code.is_empty() {
            return Call::fail("exchange_code", Error::missing_code());
        }
        match &self.client_secret {
            Some(secret) => {
                let credentials = ClientCredentials::new(self.client_id.clone(), secret.clone());
                crate::exchange_code_for_token(
                    &self.http,
                    &credentials,
                    code,
                    &pending.redirect_uri,
                )
            }
            None => {
                let (http, client_id, code) =
                    (self.http.clone(), self.client_id.clone(), Secret::new(code));
                Call::new("exchange_code", move |options| async move {
                    exchange_code_with_verifier(
                        &http,
                        &client_id,
                        &code,
                        &pending.redirect_uri,
                        &pending.verifier,
                        &options,
                    )
                    .await
                })
            }
        }
    }

    /// A new access token for a refresh token; see
    /// [`exchange_refresh_token`](crate::exchange_refresh_token). Needs the client secret:
    /// the server grants refreshes to confidential clients only.
    pub fn exchange_refresh_token(&self, refresh_token: &Secret) -> Call<TokenSet> {
        let Some(secret) = &self.client_secret else {
            return Call::fail(
                "exchange_refresh_token",
                Error::config(
                    "refreshing a token needs the OAuth client secret; public (PKCE) clients get no \
                 refresh token and must log in again",
                ),
            );
        };
        let credentials = ClientCredentials::new(self.client_id.clone(), secret.clone());
        crate::exchange_refresh_token(&self.http, &credentials, refresh_token)
    }

    /// What the server knows about an access token; see [`token_info`](crate::token_info).
    pub fn token_info(&self, access_token: &Secret) -> Call<TokenInfo> {
        crate::token_info(&self.http, access_token)
    }

    /// Revokes an access or refresh token; see [`revoke_token`](crate::revoke_token).
    pub fn revoke(&self, token: &Secret) -> Call<()> {
        crate::revoke_token(&self.http, token)
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("client_secret", &self.client_secret)
            .field("base_url", self.base_url())
            .finish()
    }
}

/// Configuration of an [`OAuthClient`]; see [`OAuthClient::builder`].
///
/// Besides the client secret, it has the transport settings every client builder of this SDK
/// has: `api_uri`, `timeout`, `connect_timeout`, `retry_policy`, `proxy`, `transport` and
/// `http_client`.
#[must_use]
pub struct OAuthClientBuilder {
    client_id: String,
    redirect_uri: String,
    client_secret: Option<Secret>,
    http: ClientSettings,
}

instantdb_http::client_builder_settings!(OAuthClientBuilder.http);

impl OAuthClientBuilder {
    /// The client secret, for a server-side (confidential) client. Never ship it in a native
    /// app or CLI: those use PKCE.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> OAuthClientBuilder {
        self.client_secret = Some(secret.into());
        self
    }

    /// Checks the settings and builds the client. Connects to nothing.
    pub fn build(self) -> Result<OAuthClient, Error> {
        if self.client_id.trim().is_empty() {
            return Err(Error::config("the OAuth client id is empty"));
        }
        validate_redirect_uri(&self.redirect_uri)?;
        if self.client_secret.as_ref().is_some_and(Secret::is_empty) {
            return Err(Error::config("the OAuth client secret is empty"));
        }
        let http = self
            .http
            .build()
            .map_err(|err| Error::config(format!("the HTTP settings are invalid: {err}")))?;
        Ok(OAuthClient {
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            client_secret: self.client_secret,
            http,
        })
    }
}

impl fmt::Debug for OAuthClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClientBuilder")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

/// A redirect URI must be an absolute URL without a fragment (RFC 6749 §3.1.2); the server
/// checks the rest (registered, https unless localhost).
fn validate_redirect_uri(redirect_uri: &str) -> Result<Url, Error> {
    let url = Url::parse(redirect_uri).map_err(|err| {
        Error::config(format!(
            "the redirect URI `{}` is not an absolute URL: {err}",
            redirect_uri.escape_debug()
        ))
    })?;
    if url.fragment().is_some() {
        return Err(Error::config(format!(
            "the redirect URI `{}` must not have a fragment",
            redirect_uri.escape_debug()
        )));
    }
    Ok(url)
}

/// What an authorization request must remember until its redirect comes back: the `state` it
/// sent, the PKCE verifier, the redirect URI and the scopes asked for.
///
/// `Debug` hides the state and the verifier. A web server that handles the redirect in
/// another request keeps the parts in the user's session and rebuilds this with
/// [`PendingAuthorization::from_parts`].
#[derive(Clone, Debug)]
pub struct PendingAuthorization {
    state: Secret,
    verifier: Secret,
    redirect_uri: String,
    scopes: Scopes,
}

impl PendingAuthorization {
    /// Rebuilds a pending authorization from stored parts.
    pub fn from_parts(
        state: Secret,
        verifier: Secret,
        redirect_uri: impl Into<String>,
        scopes: Scopes,
    ) -> PendingAuthorization {
        PendingAuthorization {
            state,
            verifier,
            redirect_uri: redirect_uri.into(),
            scopes,
        }
    }

    /// The `state` the authorization URL carries.
    pub fn state(&self) -> &Secret {
        &self.state
    }

    /// The PKCE code verifier.
    pub fn verifier(&self) -> &Secret {
        &self.verifier
    }

    /// The redirect URI the authorization URL carries (the exchange must send the same).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The scopes asked for (the server may grant fewer; see [`TokenSet::scopes`]).
    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Scope};

    #[test]
    fn authorization_url_has_upstreams_parameters_in_order() {
        let client = OAuthClient::builder("client-1", "http://127.0.0.1:8976/cb")
            .api_uri("https://instant.example.com/base/")
            .build()
            .unwrap();
        let (url, pending) = client
            .authorization_url([Scope::AppsWrite, Scope::AppsRead])
            .unwrap();
        assert_eq!(url.path(), "/base/platform/oauth/start");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "response_type",
                "code_challenge",
                "code_challenge_method"
            ]
        );
        assert_eq!(pairs[1].1, "http://127.0.0.1:8976/cb");
        assert_eq!(pairs[2].1, "apps-read apps-write");
        assert!(url.query().unwrap().contains("scope=apps-read+apps-write"));
        assert_eq!(pairs[3].1, pending.state().expose());
        assert_eq!(pairs[5].1, pkce::s256_challenge(pending.verifier()));
        assert_eq!(pairs[6].1, "S256");
        // Debug shows neither the state nor the verifier.
        let shown = format!("{pending:?} {client:?}");
        assert!(!shown.contains(pending.state().expose()), "{shown}");
        assert!(!shown.contains(pending.verifier().expose()), "{shown}");
    }

    #[test]
    fn bad_settings_are_config_errors() {
        for (id, redirect) in [
            ("", "http://127.0.0.1:1/cb"),
            ("c", "not a url"),
            ("c", "/relative/cb"),
            ("c", "https://app.example.com/cb#frag"),
        ] {
            let err = OAuthClient::new(id, redirect).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{id} {redirect}: {err}");
        }
        let err = OAuthClient::builder("c", "https://a.example.com/cb")
            .api_uri("ftp://x")
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        let client = OAuthClient::new("c", "https://a.example.com/cb").unwrap();
        assert_eq!(client.base_url().as_str(), instantdb_http::DEFAULT_API_URI);
        assert!(client.authorization_url(Scopes::new()).is_err());
        assert!(
            client
                .authorization_url(Scopes::from_wire("apps-read nope"))
                .is_err()
        );
    }
}
