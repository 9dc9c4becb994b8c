//! The `/dash/*` endpoints `instant-cli` relies on beyond the platform SDK's: the ticket login
//! (`/dash/cli/auth/register` and `/check`), the user behind a token (`/dash/me`), and the
//! schema pull with every attribute (`/dash/apps/:id/schema/pull`), and the dashboard's own app
//! list, creation, deletion and claim (`/dash`, `/dash/apps`), which accept the ticket login's
//! dashboard token where the `/superadmin` routes do not. Applying precomputed steps is
//! [`PlatformClient::apply_schema_steps`].

use std::fmt;

use instantdb_http::http::Method;
use instantdb_http::{ApiPath, Secret};
use instantdb_schema::AppId;
use instantdb_schema::{ApiAttr, ApiSchema};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::apps::{App, AppRow, AppSchema};
use crate::call::{Call, Endpoint, decode};
use crate::client::Headers;
use crate::{Error, PlatformClient};
use instantdb_http::RequestOptions;

/// The `hint.errors[0].issue` of a check while nobody has answered the login yet.
const WAITING_FOR_USER: &str = "waiting-for-user";

/// A ticket login in progress ([`PlatformClient::start_cli_login`]).
///
/// Show the [`ticket`](CliLogin::ticket) to the user in the dashboard's URL,
/// `{dashboard}/dash?ticket=<ticket>`, where they approve or deny it; keep the
/// [`secret`](CliLogin::secret) to yourself and poll [`PlatformClient::check_cli_login`] with it.
/// The server forgets the login a few minutes after it was started.
#[derive(Clone)]
#[non_exhaustive]
pub struct CliLogin {
    /// The public half, put in the dashboard URL.
    pub ticket: String,
    /// The private half, which collects the token.
    pub secret: Secret,
}

impl fmt::Debug for CliLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliLogin")
            .field("ticket", &self.ticket)
            .field("secret", &self.secret)
            .finish()
    }
}

/// Where a ticket login stands ([`PlatformClient::check_cli_login`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CliLoginStatus {
    /// Nobody has approved or denied the login yet: check again later (`instant-cli` checks
    /// once a second, up to 120 times).
    Waiting,
    /// Approved. The token is a dashboard refresh token: it works on the `/dash/*` routes and
    /// on the app-scoped platform routes of the apps the user can reach. The server hands it
    /// out once; a later check fails with `user-already-claimed`.
    Approved {
        /// The user's token.
        token: Secret,
        /// The user's email.
        email: String,
    },
}

/// A platform user, as `GET /dash/me` describes the owner of a dashboard token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DashUser {
    /// The user's id.
    pub id: String,
    /// The user's email.
    pub email: String,
}

/// An app as the dashboard lists it (`GET /dash`): with the user's role on it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DashApp {
    /// The app id.
    pub id: AppId,
    /// The app's title.
    pub title: String,
    /// The user's role on the app: `owner`, `admin` or `collaborator`.
    pub user_app_role: String,
    /// The org the app belongs to; `None` for a personal app.
    pub org_id: Option<String>,
    /// The app's admin token, when the server lists it.
    pub admin_token: Option<Secret>,
}

#[derive(Deserialize)]
struct DashHome {
    #[serde(default)]
    apps: Vec<DashAppRow>,
}

#[derive(Deserialize)]
struct DashAppRow {
    id: String,
    title: String,
    #[serde(default)]
    user_app_role: Option<String>,
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    admin_token: Option<String>,
}

fn dash_apps(value: Value, endpoint: &str) -> Result<Vec<DashApp>, Error> {
    let home: DashHome = decode(value, endpoint)?;
    Ok(home
        .apps
        .into_iter()
        .map(|row| DashApp {
            id: AppId::new(row.id),
            title: row.title,
            user_app_role: row.user_app_role.unwrap_or_default(),
            org_id: row.org_id,
            admin_token: row
                .admin_token
                .filter(|token| !token.is_empty())
                .map(Secret::new),
        })
        .collect())
}

fn dash_app(value: Value, endpoint: &str) -> Result<App, Error> {
    let response: DashAppResponse = decode(value, endpoint)?;
    response.app.into_app(endpoint)
}

fn ignore(_value: Value, _endpoint: &str) -> Result<(), Error> {
    Ok(())
}

#[derive(Deserialize)]
struct DashAppResponse {
    app: AppRow,
}

/// Request builder of [`PlatformClient::create_dash_app`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct CreateDashApp {
    api: PlatformClient,
    title: String,
    org_id: Option<String>,
    options: RequestOptions,
}

impl CreateDashApp {
    /// Create the app in this org instead of the user's personal account.
    pub fn org_id(mut self, org_id: impl Into<String>) -> CreateDashApp {
        self.org_id = Some(org_id.into());
        self
    }

    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> CreateDashApp {
        self.options = options;
        self
    }

    /// Sends the request: `POST /dash/apps` with `{id, title, admin_token, org_id}`, the id and
    /// admin token generated here as `instant-cli` generates them. The returned app carries the
    /// admin token.
    pub async fn send(self) -> Result<App, Error> {
        let (id, admin_token) = (
            uuid::Uuid::new_v4().to_string(),
            uuid::Uuid::new_v4().to_string(),
        );
        let endpoint = Endpoint::new(
            &self.api,
            Method::POST,
            ApiPath::new("/dash/apps"),
            Headers::Platform,
            dash_app,
        )
        .body(json!({
            "id": id,
            "title": self.title,
            "admin_token": admin_token,
            "org_id": self.org_id,
        }))
        .with_options(self.options);
        let mut app = endpoint.send().await?;
        app.admin_token = Some(Secret::new(admin_token));
        Ok(app)
    }
}

/// An app's schema as `instant-cli` pulls it (`GET /dash/apps/:id/schema/pull`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PulledSchema {
    /// The schema, converted as [`PlatformClient::get_schema`] converts it.
    pub schema: AppSchema,
    /// Every attribute of the app, system ones included (`$users.email`...): what
    /// `collect_system_catalog_ident_names` and `convert_tx_steps` need for a push diffed on the
    /// client, as `instant-cli push` passes them. [`AppSchema::attrs`] leaves out the system
    /// attributes the server hides from the schema.
    pub attrs: Vec<ApiAttr>,
    /// The app's title.
    pub app_title: String,
}

#[derive(Deserialize)]
struct PullResponse {
    schema: ApiSchema,
    #[serde(default)]
    attrs: Vec<ApiAttr>,
    #[serde(rename = "app-title", default)]
    app_title: String,
}

#[derive(Deserialize)]
struct RegisterResponse {
    ticket: String,
    secret: String,
}

#[derive(Deserialize)]
struct CheckResponse {
    token: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
struct MeResponse {
    user: MeUser,
}

#[derive(Deserialize)]
struct MeUser {
    id: String,
    #[serde(default)]
    email: String,
}

fn cli_auth_path(action: &str) -> ApiPath {
    ApiPath::new("/dash/cli/auth").segment(action)
}

fn pulled_schema(value: Value, endpoint: &str) -> Result<PulledSchema, Error> {
    let response: PullResponse = decode(value, endpoint)?;
    Ok(PulledSchema {
        schema: AppSchema::from_api(response.schema, endpoint)?,
        attrs: response.attrs,
        app_title: response.app_title,
    })
}

fn cli_login(value: Value, endpoint: &str) -> Result<CliLogin, Error> {
    let response: RegisterResponse = decode(value, endpoint)?;
    Ok(CliLogin {
        ticket: response.ticket,
        secret: Secret::new(response.secret),
    })
}

fn approved(value: Value, endpoint: &str) -> Result<CliLoginStatus, Error> {
    let response: CheckResponse = decode(value, endpoint)?;
    Ok(CliLoginStatus::Approved {
        token: Secret::new(response.token),
        email: response.email,
    })
}

fn dash_user(value: Value, endpoint: &str) -> Result<DashUser, Error> {
    let response: MeResponse = decode(value, endpoint)?;
    Ok(DashUser {
        id: response.user.id,
        email: response.user.email,
    })
}

/// Whether `err` is the server's "nobody has answered yet" (400 `validation-failed` whose first
/// `hint.errors` entry has `issue: "waiting-for-user"`).
fn is_waiting(err: &Error) -> bool {
    err.api_error()
        .and_then(|api| api.hint().get("errors")?.get(0)?.get("issue")?.as_str())
        == Some(WAITING_FOR_USER)
}

/// Request builder of [`PlatformClient::check_cli_login`].
#[derive(Debug)]
#[must_use = "call .send().await"]
pub struct CheckCliLogin {
    call: Endpoint<CliLoginStatus>,
}

impl CheckCliLogin {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> CheckCliLogin {
        self.call = self.call.with_options(options);
        self
    }

    /// Sends the request. Denied, expired, already collected or unknown logins are errors
    /// (400 `validation-failed` with `hint.errors[0].issue` `user-voided-request` or
    /// `user-already-claimed`, `record-expired`, `record-not-found`).
    pub async fn send(self) -> Result<CliLoginStatus, Error> {
        match self.call.send().await {
            Err(err) if is_waiting(&err) => Ok(CliLoginStatus::Waiting),
            other => other,
        }
    }
}

impl PlatformClient {
    /// An app's schema together with every attribute of the app (`GET
    /// /dash/apps/:id/schema/pull`, what `instant-cli pull` and `push` read). Works with a
    /// dashboard token, a personal access token, an OAuth token (`apps-read`) or the app's
    /// admin token.
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let pulled = api.pull_schema(app_id).send().await?;
    /// println!("{}: {} attributes", pulled.app_title, pulled.attrs.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn pull_schema(&self, app_id: impl Into<AppId>) -> Call<PulledSchema> {
        let path = ApiPath::new("/dash/apps")
            .segment(&app_id.into())
            .segment("schema")
            .segment("pull");
        Endpoint::new(self, Method::GET, path, Headers::Platform, pulled_schema).call("pull_schema")
    }

    /// The user behind the client's token (`GET /dash/me`). The server accepts dashboard
    /// tokens (from the ticket login) there, and platform tokens on servers that let them reach
    /// the dashboard routes.
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient) -> Result<(), instantdb_platform::Error> {
    /// let me = api.current_user().send().await?;
    /// println!("logged in as {}", me.email);
    /// # Ok(())
    /// # }
    /// ```
    pub fn current_user(&self) -> Call<DashUser> {
        Endpoint::new(
            self,
            Method::GET,
            ApiPath::new("/dash/me"),
            Headers::Platform,
            dash_user,
        )
        .call("current_user")
    }

    /// Starts a ticket login, `instant-cli login`'s flow (`POST /dash/cli/auth/register`, no
    /// token needed): send the user to `{dashboard}/dash?ticket=<ticket>`, then poll
    /// [`check_cli_login`](PlatformClient::check_cli_login) until it is approved.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use instantdb_platform::{CliLoginStatus, PlatformClient};
    ///
    /// # async fn example() -> Result<(), instantdb_platform::Error> {
    /// let api = PlatformClient::builder().api_uri("https://api.example.com").build()?;
    /// let login = api.start_cli_login().send().await?;
    /// println!("Open https://dash.example.com/dash?ticket={}", login.ticket);
    /// let token = loop {
    ///     if let CliLoginStatus::Approved { token, email } =
    ///         api.check_cli_login(&login.secret).send().await?
    ///     {
    ///         println!("logged in as {email}");
    ///         break token;
    ///     }
    ///     tokio::time::sleep(Duration::from_secs(1)).await;
    /// };
    /// let api = PlatformClient::builder().api_uri(api.api_uri()).token(token).build()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn start_cli_login(&self) -> Call<CliLogin> {
        Endpoint::new(
            self,
            Method::POST,
            cli_auth_path("register"),
            Headers::Platform,
            cli_login,
        )
        .unauthenticated()
        .call("start_cli_login")
    }

    /// The apps the user can reach, with their role on each (`GET /dash`, what `instant-cli app
    /// list` and `app delete` read). Needs a dashboard token (the ticket login) or a token the
    /// server lets reach the dashboard routes; app admin tokens are refused.
    pub fn dash_apps(&self) -> Call<Vec<DashApp>> {
        Endpoint::new(
            self,
            Method::GET,
            ApiPath::new("/dash"),
            Headers::Platform,
            dash_apps,
        )
        .call("dash_apps")
    }

    /// Creates an app from the dashboard routes (`POST /dash/apps`, what `instant-cli init` and
    /// `init-without-files` send), which accept the ticket login's token.
    pub fn create_dash_app(&self, title: impl Into<String>) -> CreateDashApp {
        CreateDashApp {
            api: self.clone(),
            title: title.into(),
            org_id: None,
            options: RequestOptions::default(),
        }
    }

    /// Deletes an app from the dashboard routes (`DELETE /dash/apps/:id`, what `instant-cli app
    /// delete` sends). The user must be the app's owner or admin.
    pub fn delete_dash_app(&self, app_id: impl Into<AppId>) -> Call<()> {
        let path = ApiPath::new("/dash/apps").segment(&app_id.into());
        Endpoint::new(self, Method::DELETE, path, Headers::Platform, ignore).call("delete_dash_app")
    }

    /// Claims a temporary app for the user (`POST /dash/apps/ephemeral/:id/claim` with `{app_id,
    /// token}`, what `instant-cli claim` sends): the app stops expiring and joins the user's
    /// apps. `admin_token` proves the caller holds the app.
    pub fn claim_app(&self, app_id: impl Into<AppId>, admin_token: &Secret) -> Call<()> {
        let app_id = app_id.into();
        let path = ApiPath::new("/dash/apps/ephemeral")
            .segment(&app_id)
            .segment("claim");
        Endpoint::new(self, Method::POST, path, Headers::Platform, ignore)
            .body(json!({ "app_id": app_id.as_str(), "token": admin_token.expose() }))
            .call("claim_app")
    }

    /// Checks a ticket login started with [`start_cli_login`](PlatformClient::start_cli_login)
    /// (`POST /dash/cli/auth/check` with `{secret}`, no token needed).
    pub fn check_cli_login(&self, secret: &Secret) -> CheckCliLogin {
        let call = Endpoint::new(
            self,
            Method::POST,
            cli_auth_path("check"),
            Headers::Platform,
            approved,
        )
        .unauthenticated()
        .body(json!({ "secret": secret.expose() }));
        CheckCliLogin { call }
    }
}
