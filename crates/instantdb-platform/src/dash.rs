//! The `/dash/*` endpoints `instant-cli` relies on beyond the platform SDK's: the ticket login
//! (`/dash/cli/auth/register` and `/check`), the user behind a token (`/dash/me`), and the
//! schema pull with every attribute (`/dash/apps/:id/schema/pull`). Applying precomputed steps
//! is [`PlatformClient::apply_schema_steps`].

use std::fmt;

use instantdb_http::http::Method;
use instantdb_http::{ApiPath, Secret};
use instantdb_schema::AppId;
use instantdb_schema::{ApiAttr, ApiSchema};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::apps::AppSchema;
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
