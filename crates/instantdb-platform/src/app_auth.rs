//! An app's auth settings from the dashboard routes `instant-cli auth` uses (not part of the
//! platform SDK): the authorized redirect origins, OAuth providers and OAuth clients
//! (`GET /dash/apps/:id/auth`), adding and deleting origins
//! (`/dash/apps/:id/authorized_redirect_origins`) and deleting OAuth clients
//! (`DELETE /dash/apps/:id/oauth_clients/:id`). Field names are the server's (`instant-cli`'s
//! `lib/oauth.ts` schemas).

use instantdb_http::ApiPath;
use instantdb_http::http::Method;
use instantdb_schema::AppId;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::call::{Call, Endpoint, decode};
use crate::client::Headers;
use crate::{Error, PlatformClient};

/// A redirect origin OAuth flows may return to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AuthorizedOrigin {
    /// Its id.
    pub id: String,
    /// `generic` (a website), `vercel`, `netlify` or `custom-scheme`.
    pub service: String,
    /// The service's parameters: `[host]` for `generic`, `["vercel.app", project]` for
    /// `vercel`, `[site]` for `netlify`, `[scheme]` for `custom-scheme`.
    #[serde(default)]
    pub params: Vec<String>,
}

/// An OAuth provider of the app (`google`, `github`…), which clients belong to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct OAuthServiceProvider {
    /// Its id.
    pub id: String,
    /// `google`, `github`, `apple`, `linkedin`, `clerk`, `firebase`…
    pub provider_name: String,
}

/// An OAuth client of the app. The client secret is never returned.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct OAuthClient {
    /// Its id (the database id, which `delete_oauth_client` takes).
    pub id: String,
    /// The name the app refers to it by.
    pub client_name: String,
    /// The provider's client id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The [`OAuthServiceProvider::id`] it belongs to.
    pub provider_id: String,
    /// Where the provider redirects to.
    #[serde(default)]
    pub redirect_to: Option<String>,
    /// Provider-specific settings (`appType` for Google).
    #[serde(default)]
    pub meta: Option<Value>,
    /// Whether Instant's development credentials are used.
    #[serde(default)]
    pub use_shared_credentials: Option<bool>,
}

/// An app's auth settings ([`PlatformClient::app_auth`]).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AppAuth {
    /// The authorized redirect origins.
    pub authorized_redirect_origins: Vec<AuthorizedOrigin>,
    /// The OAuth providers.
    pub oauth_service_providers: Vec<OAuthServiceProvider>,
    /// The OAuth clients.
    pub oauth_clients: Vec<OAuthClient>,
}

#[derive(Deserialize)]
struct AuthResponse {
    #[serde(default)]
    authorized_redirect_origins: Option<Vec<AuthorizedOrigin>>,
    #[serde(default)]
    oauth_service_providers: Option<Vec<OAuthServiceProvider>>,
    #[serde(default)]
    oauth_clients: Option<Vec<OAuthClient>>,
}

#[derive(Deserialize)]
struct OriginResponse {
    origin: AuthorizedOrigin,
}

fn app_auth(value: Value, endpoint: &str) -> Result<AppAuth, Error> {
    let response: AuthResponse = decode(value, endpoint)?;
    Ok(AppAuth {
        authorized_redirect_origins: response.authorized_redirect_origins.unwrap_or_default(),
        oauth_service_providers: response.oauth_service_providers.unwrap_or_default(),
        oauth_clients: response.oauth_clients.unwrap_or_default(),
    })
}

fn origin(value: Value, endpoint: &str) -> Result<AuthorizedOrigin, Error> {
    let response: OriginResponse = decode(value, endpoint)?;
    Ok(response.origin)
}

fn ignore(_value: Value, _endpoint: &str) -> Result<(), Error> {
    Ok(())
}

fn app_path(app_id: AppId) -> ApiPath {
    ApiPath::new("/dash/apps").segment(app_id.as_str())
}

impl PlatformClient {
    /// An app's redirect origins, OAuth providers and OAuth clients (`GET
    /// /dash/apps/:id/auth`, what `instant-cli auth client list` and `auth origin list` read).
    pub fn app_auth(&self, app_id: impl Into<AppId>) -> Call<AppAuth> {
        let path = app_path(app_id.into()).segment("auth");
        Endpoint::new(self, Method::GET, path, Headers::Platform, app_auth).call("app_auth")
    }

    /// Authorizes a redirect origin (`POST /dash/apps/:id/authorized_redirect_origins` with
    /// `{service, params}`): `service` is `generic`, `vercel`, `netlify` or `custom-scheme`,
    /// with the [`AuthorizedOrigin::params`] of that service.
    pub fn add_authorized_origin<I, S>(
        &self,
        app_id: impl Into<AppId>,
        service: impl Into<String>,
        params: I,
    ) -> Call<AuthorizedOrigin>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let params: Vec<String> = params.into_iter().map(Into::into).collect();
        let path = app_path(app_id.into()).segment("authorized_redirect_origins");
        Endpoint::new(self, Method::POST, path, Headers::Platform, origin)
            .body(json!({ "service": service.into(), "params": params }))
            .call("add_authorized_origin")
    }

    /// Removes a redirect origin (`DELETE /dash/apps/:id/authorized_redirect_origins/:id`);
    /// returns it as it was.
    pub fn delete_authorized_origin(
        &self,
        app_id: impl Into<AppId>,
        origin_id: &str,
    ) -> Call<AuthorizedOrigin> {
        let path = app_path(app_id.into())
            .segment("authorized_redirect_origins")
            .segment(origin_id);
        Endpoint::new(self, Method::DELETE, path, Headers::Platform, origin)
            .call("delete_authorized_origin")
    }

    /// Deletes an OAuth client by its [`OAuthClient::id`] (`DELETE
    /// /dash/apps/:id/oauth_clients/:id`).
    pub fn delete_oauth_client(&self, app_id: impl Into<AppId>, client_id: &str) -> Call<()> {
        let path = app_path(app_id.into())
            .segment("oauth_clients")
            .segment(client_id);
        Endpoint::new(self, Method::DELETE, path, Headers::Platform, ignore)
            .call("delete_oauth_client")
    }
}
