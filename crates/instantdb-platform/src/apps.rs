//! Apps, orgs, schemas and permissions: the `/superadmin/*` endpoints and temporary apps.

use std::time::{Duration, SystemTime};

use instantdb_http::http::header::CONTENT_TYPE;
use instantdb_http::http::{HeaderValue, Method};
use instantdb_http::{ApiPath, Secret};
use instantdb_schema::AppId;
use instantdb_schema::perms::Rules;
use instantdb_schema::{
    ApiAttr, ApiSchema, SchemaDef, api_schema_to_attrs, api_schema_to_schema_def,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::call::Call;
use crate::client::Headers;
use crate::time::parse_timestamp;
use crate::{Error, PlatformClient};
use instantdb_http::RequestOptions;

/// An Instant app.
///
/// `perms` and `schema` are filled only when the call asked for them (`include_perms`,
/// `include_schema`) or always returns them (`create_app`); `perms` is also `None` when the app
/// has no rules. `admin_token` is set by `create_app` and `create_temporary_app`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct App {
    /// The app id (a UUID).
    pub id: AppId,
    /// The app's title.
    pub title: String,
    /// When the app was created.
    pub created_at: SystemTime,
    /// The org the app belongs to; `None` for a personal app.
    pub org_id: Option<String>,
    /// The app's admin token, for `instantdb-admin` (only on creation).
    pub admin_token: Option<Secret>,
    /// The app's permission rules.
    pub perms: Option<Rules>,
    /// The app's schema.
    pub schema: Option<AppSchema>,
}

/// An app's schema as the server returns it, and converted to a [`SchemaDef`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AppSchema {
    /// The schema, converted as upstream's `apiSchemaToInstantSchemaDef` does: entities and
    /// attributes in `localeCompare` order, attribute types from the checked data type, links
    /// named `fwdEtype + upperFirst(fwdLabel)`, no rooms. Give it to
    /// `instantdb_typescript::generate_schema_file` to write `instant.schema.ts`.
    pub schema: SchemaDef,
    /// The server's attribute-level schema (`{blobs, refs}`), with attribute ids and flags.
    pub api_schema: ApiSchema,
}

impl AppSchema {
    pub(crate) fn from_api(api_schema: ApiSchema, endpoint: &str) -> Result<AppSchema, Error> {
        let schema = api_schema_to_schema_def(&api_schema)
            .map_err(|err| Error::invalid_response(endpoint, err.to_string()))?;
        Ok(AppSchema { schema, api_schema })
    }

    /// Every attribute, in upstream's `apiSchemaToAttrs` order (what plans describe steps
    /// against).
    pub fn attrs(&self) -> Vec<ApiAttr> {
        api_schema_to_attrs(&self.api_schema)
    }
}

/// An org the user belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Org {
    /// The org id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// When it was created.
    pub created_at: SystemTime,
}

/// A temporary app: no owner, deleted by the server after 14 days unless claimed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TemporaryApp {
    /// The app, with its admin token.
    pub app: App,
    /// `expires_ms` as the server sent it: when the app expires, in milliseconds since the Unix
    /// epoch.
    pub expires_ms: i64,
}

impl TemporaryApp {
    /// [`TemporaryApp::expires_ms`] as a time.
    pub fn expires_at(&self) -> Option<SystemTime> {
        u64::try_from(self.expires_ms)
            .ok()
            .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms))
    }
}

// ---- wire ----

#[derive(Deserialize)]
pub(crate) struct AppRow {
    id: String,
    title: String,
    created_at: String,
    #[serde(default)]
    org_id: Option<String>,
    #[serde(rename = "admin-token", default)]
    admin_token: Option<String>,
    #[serde(default)]
    perms: Option<Value>,
    #[serde(default)]
    schema: Option<ApiSchema>,
}

#[derive(Deserialize)]
struct AppsResponse {
    apps: Vec<AppRow>,
}

#[derive(Deserialize)]
struct AppResponse {
    app: AppRow,
}

#[derive(Deserialize)]
struct OrgRow {
    id: String,
    title: String,
    created_at: String,
}

#[derive(Deserialize)]
struct OrgsResponse {
    orgs: Vec<OrgRow>,
}

#[derive(Deserialize)]
struct SchemaResponse {
    schema: ApiSchema,
}

#[derive(Deserialize)]
struct PermsResponse {
    #[serde(default)]
    perms: Option<Value>,
}

#[derive(Deserialize)]
struct RulesResponse {
    rules: RulesRow,
}

#[derive(Deserialize)]
struct RulesRow {
    #[serde(default)]
    code: Option<Value>,
}

#[derive(Deserialize)]
struct TemporaryAppResponse {
    app: AppRow,
    #[serde(default)]
    expires_ms: Option<i64>,
}

pub(crate) fn timestamp(endpoint: &str, field: &str, text: &str) -> Result<SystemTime, Error> {
    parse_timestamp(text).ok_or_else(|| {
        Error::invalid_response(endpoint, format!("`{field}` is not a timestamp: {text:?}"))
    })
}

pub(crate) fn rules(endpoint: &str, value: Option<Value>) -> Result<Option<Rules>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => Rules::from_value(&value)
            .map(Some)
            .map_err(|err| Error::invalid_response(endpoint, err.to_string())),
    }
}

impl AppRow {
    pub(crate) fn into_app(self, endpoint: &str) -> Result<App, Error> {
        Ok(App {
            created_at: timestamp(endpoint, "created_at", &self.created_at)?,
            id: AppId::new(self.id),
            title: self.title,
            org_id: self.org_id,
            admin_token: self
                .admin_token
                .filter(|token| !token.is_empty())
                .map(Secret::new),
            perms: rules(endpoint, self.perms)?,
            schema: self
                .schema
                .map(|schema| AppSchema::from_api(schema, endpoint))
                .transpose()?,
        })
    }
}

// ---- calls ----

/// `include=perms,schema`, in upstream's order.
fn include(perms: bool, schema: bool) -> Option<&'static str> {
    match (perms, schema) {
        (true, true) => Some("perms,schema"),
        (true, false) => Some("perms"),
        (false, true) => Some("schema"),
        (false, false) => None,
    }
}

fn app_path(app_id: &str) -> ApiPath {
    ApiPath::new("/superadmin/apps").segment(app_id)
}

/// Request builder of [`PlatformClient::get_apps`] and [`PlatformClient::get_apps_for_org`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct GetApps {
    api: PlatformClient,
    org_id: Option<String>,
    include_perms: bool,
    include_schema: bool,
    options: RequestOptions,
}

impl GetApps {
    /// Also fetch each app's permission rules.
    pub fn include_perms(mut self, include: bool) -> GetApps {
        self.include_perms = include;
        self
    }

    /// Also fetch each app's schema.
    pub fn include_schema(mut self, include: bool) -> GetApps {
        self.include_schema = include;
        self
    }

    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> GetApps {
        self.options = options;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Vec<App>, Error> {
        let path = match &self.org_id {
            Some(org_id) => ApiPath::new("/superadmin/orgs")
                .segment(org_id)
                .segment("apps"),
            None => ApiPath::new("/superadmin/apps"),
        };
        let include = include(self.include_perms, self.include_schema);
        let endpoint = format!("GET {}", path.as_str());
        let response: AppsResponse = self
            .api
            .send_authed(Method::GET, &path, &self.options, |request| match include {
                Some(include) => request.query("include", include),
                None => request,
            })
            .await?;
        response
            .apps
            .into_iter()
            .map(|row| row.into_app(&endpoint))
            .collect()
    }
}

/// Request builder of [`PlatformClient::get_app`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct GetApp {
    api: PlatformClient,
    app_id: AppId,
    include_perms: bool,
    include_schema: bool,
    options: RequestOptions,
}

impl GetApp {
    /// Also fetch the app's permission rules (`GET /superadmin/apps/:id/perms`).
    pub fn include_perms(mut self, include: bool) -> GetApp {
        self.include_perms = include;
        self
    }

    /// Also fetch the app's schema (`GET /superadmin/apps/:id/schema`).
    pub fn include_schema(mut self, include: bool) -> GetApp {
        self.include_schema = include;
        self
    }

    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> GetApp {
        self.options = options;
        self
    }

    /// Sends the requests: perms, then schema, then the app, as upstream orders them. A refresh
    /// repeats the whole sequence once.
    pub async fn send(self) -> Result<App, Error> {
        let api = &self.api;
        api.with_auth(|token| {
            let this = &self;
            async move {
                let perms = if this.include_perms {
                    Some(fetch_perms(api, &this.app_id, &token, &this.options).await?)
                } else {
                    None
                };
                let schema = if this.include_schema {
                    Some(fetch_schema(api, &this.app_id, &token, &this.options).await?)
                } else {
                    None
                };
                let path = app_path(&this.app_id);
                let endpoint = format!("GET {}", path.as_str());
                let response: AppResponse = api
                    .request(
                        Method::GET,
                        path,
                        Headers::Platform,
                        Some(&token),
                        &this.options,
                    )
                    .send_json()
                    .await?;
                let mut app = response.app.into_app(&endpoint)?;
                if let Some(perms) = perms {
                    app.perms = perms;
                }
                if let Some(schema) = schema {
                    app.schema = Some(schema);
                }
                Ok(app)
            }
        })
        .await
    }
}

pub(crate) async fn fetch_schema(
    api: &PlatformClient,
    app_id: &str,
    token: &Secret,
    options: &RequestOptions,
) -> Result<AppSchema, Error> {
    let path = app_path(app_id).segment("schema");
    let endpoint = format!("GET {}", path.as_str());
    let response: SchemaResponse = api
        .request(Method::GET, path, Headers::Platform, Some(token), options)
        .send_json()
        .await?;
    AppSchema::from_api(response.schema, &endpoint)
}

async fn fetch_perms(
    api: &PlatformClient,
    app_id: &str,
    token: &Secret,
    options: &RequestOptions,
) -> Result<Option<Rules>, Error> {
    let path = app_path(app_id).segment("perms");
    let endpoint = format!("GET {}", path.as_str());
    let response: PermsResponse = api
        .request(Method::GET, path, Headers::Platform, Some(token), options)
        .send_json()
        .await?;
    rules(&endpoint, response.perms)
}

/// Request builder of [`PlatformClient::get_schema`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct GetSchema {
    api: PlatformClient,
    app_id: AppId,
    options: RequestOptions,
}

impl GetSchema {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> GetSchema {
        self.options = options;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<AppSchema, Error> {
        let (api, app_id, options) = (&self.api, &self.app_id, &self.options);
        api.with_auth(|token| async move { fetch_schema(api, app_id, &token, options).await })
            .await
    }
}

/// Request builder of [`PlatformClient::get_perms`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct GetPerms {
    api: PlatformClient,
    app_id: AppId,
    options: RequestOptions,
}

impl GetPerms {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> GetPerms {
        self.options = options;
        self
    }

    /// Sends the request. `None`: the app has no rules.
    pub async fn send(self) -> Result<Option<Rules>, Error> {
        let (api, app_id, options) = (&self.api, &self.app_id, &self.options);
        api.with_auth(|token| async move { fetch_perms(api, app_id, &token, options).await })
            .await
    }
}

/// Request builder of [`PlatformClient::get_orgs`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct GetOrgs {
    api: PlatformClient,
    options: RequestOptions,
}

impl GetOrgs {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> GetOrgs {
        self.options = options;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Vec<Org>, Error> {
        let path = ApiPath::new("/superadmin/orgs");
        let endpoint = format!("GET {}", path.as_str());
        let response: OrgsResponse = self
            .api
            .send_authed(Method::GET, &path, &self.options, |request| request)
            .await?;
        response
            .orgs
            .into_iter()
            .map(|org| {
                Ok(Org {
                    created_at: timestamp(&endpoint, "created_at", &org.created_at)?,
                    id: org.id,
                    title: org.title,
                })
            })
            .collect()
    }
}

#[derive(Serialize)]
struct CreateAppBody<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'a SchemaDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    perms: Option<&'a Rules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org_id: Option<&'a str>,
}

/// Request builder of [`PlatformClient::create_app`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct CreateApp {
    api: PlatformClient,
    title: String,
    schema: Option<SchemaDef>,
    perms: Option<Rules>,
    org_id: Option<String>,
    options: RequestOptions,
}

impl CreateApp {
    /// The app's initial schema. The server applies it synchronously (constraints included).
    pub fn schema(mut self, schema: &SchemaDef) -> CreateApp {
        self.schema = Some(schema.clone());
        self
    }

    /// The app's permission rules.
    pub fn perms(mut self, perms: &Rules) -> CreateApp {
        self.perms = Some(perms.clone());
        self
    }

    /// Create the app in this org (the user must be an org admin) instead of the user's
    /// personal account.
    pub fn org_id(mut self, org_id: impl Into<String>) -> CreateApp {
        self.org_id = Some(org_id.into());
        self
    }

    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> CreateApp {
        self.options = options;
        self
    }

    /// Sends the request: `POST /superadmin/apps` with `{title, schema?, perms?, org_id?}`.
    /// Never retried on a transient failure (it would create a second app); a refused token is
    /// refreshed and the call repeated, as upstream.
    pub async fn send(self) -> Result<App, Error> {
        let path = ApiPath::new("/superadmin/apps");
        let endpoint = format!("POST {}", path.as_str());
        let body = CreateAppBody {
            title: &self.title,
            schema: self.schema.as_ref(),
            perms: self.perms.as_ref(),
            org_id: self.org_id.as_deref(),
        };
        let response: AppResponse = self
            .api
            .send_authed(Method::POST, &path, &self.options, |request| {
                request.json(&body)
            })
            .await?;
        response.app.into_app(&endpoint)
    }
}

#[derive(Serialize)]
struct RulesCode<'a> {
    code: &'a Rules,
}

#[derive(Serialize)]
struct CreateTemporaryAppBody<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<&'a SchemaDef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<RulesCode<'a>>,
}

/// Request builder of [`PlatformClient::create_temporary_app`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct CreateTemporaryApp {
    api: PlatformClient,
    title: String,
    schema: Option<SchemaDef>,
    rules: Option<Rules>,
    options: RequestOptions,
}

impl CreateTemporaryApp {
    /// The app's initial schema.
    pub fn schema(mut self, schema: &SchemaDef) -> CreateTemporaryApp {
        self.schema = Some(schema.clone());
        self
    }

    /// The app's permission rules (sent as `rules: {code}`, the key the server reads).
    pub fn perms(mut self, rules: &Rules) -> CreateTemporaryApp {
        self.rules = Some(rules.clone());
        self
    }

    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> CreateTemporaryApp {
        self.options = options;
        self
    }

    /// Sends the request: `POST /dash/apps/ephemeral`, without a token, never retried.
    pub async fn send(self) -> Result<TemporaryApp, Error> {
        let path = ApiPath::new("/dash/apps/ephemeral");
        let endpoint = format!("POST {}", path.as_str());
        let body = CreateTemporaryAppBody {
            title: &self.title,
            schema: self.schema.as_ref(),
            rules: self.rules.as_ref().map(|code| RulesCode { code }),
        };
        let response: TemporaryAppResponse = self
            .api
            .request(Method::POST, path, Headers::Platform, None, &self.options)
            .json(&body)
            .send_json()
            .await?;
        Ok(TemporaryApp {
            app: response.app.into_app(&endpoint)?,
            expires_ms: response.expires_ms.unwrap_or_default(),
        })
    }
}

#[derive(Serialize)]
struct TitleBody<'a> {
    title: &'a str,
}

/// Request builder of [`PlatformClient::update_app`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct UpdateApp {
    api: PlatformClient,
    app_id: AppId,
    title: String,
    options: RequestOptions,
}

impl UpdateApp {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> UpdateApp {
        self.options = options;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<App, Error> {
        let path = app_path(&self.app_id);
        let endpoint = format!("POST {}", path.as_str());
        let body = TitleBody { title: &self.title };
        let response: AppResponse = self
            .api
            .send_authed(Method::POST, &path, &self.options, |request| {
                request.json(&body)
            })
            .await?;
        response.app.into_app(&endpoint)
    }
}

/// Request builder of [`PlatformClient::delete_app`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct DeleteApp {
    api: PlatformClient,
    app_id: AppId,
    options: RequestOptions,
}

impl DeleteApp {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> DeleteApp {
        self.options = options;
        self
    }

    /// Sends the request. The server marks the app for deletion and returns it.
    pub async fn send(self) -> Result<App, Error> {
        let path = app_path(&self.app_id);
        let endpoint = format!("DELETE {}", path.as_str());
        let response: AppResponse = self
            .api
            .send_authed(Method::DELETE, &path, &self.options, |request| {
                // Upstream sends a JSON content type with no body; kept for byte parity.
                request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            })
            .await?;
        response.app.into_app(&endpoint)
    }
}

/// Request builder of [`PlatformClient::push_perms`].
#[derive(Debug, Clone)]
#[must_use = "call .send().await"]
pub struct PushPerms {
    api: PlatformClient,
    app_id: AppId,
    perms: Rules,
    options: RequestOptions,
}

impl PushPerms {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> PushPerms {
        self.options = options;
        self
    }

    /// Sends the request: `POST /superadmin/apps/:id/perms` with `{code}`. Returns the rules
    /// as stored.
    pub async fn send(self) -> Result<Rules, Error> {
        let path = app_path(&self.app_id).segment("perms");
        let endpoint = format!("POST {}", path.as_str());
        let body = RulesCode { code: &self.perms };
        let response: RulesResponse = self
            .api
            .send_authed(Method::POST, &path, &self.options, |request| {
                request.json(&body)
            })
            .await?;
        Ok(rules(&endpoint, response.rules.code)?.unwrap_or_default())
    }
}

impl PlatformClient {
    /// All apps of the authenticated user (`GET /superadmin/apps`; scope `apps-read`; not with
    /// an app admin token).
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient) -> Result<(), instantdb_platform::Error> {
    /// let apps = api.get_apps().include_schema(true).include_perms(true).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_apps(&self) -> GetApps {
        GetApps {
            api: self.clone(),
            org_id: None,
            include_perms: false,
            include_schema: false,
            options: RequestOptions::default(),
        }
    }

    /// The apps of an org (`GET /superadmin/orgs/:org_id/apps`; the user must be a member).
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient) -> Result<(), instantdb_platform::Error> {
    /// for org in api.get_orgs().send().await? {
    ///     let apps = api.get_apps_for_org(&org.id).send().await?;
    ///     println!("{}: {} apps", org.title, apps.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_apps_for_org(&self, org_id: impl Into<String>) -> GetApps {
        GetApps {
            org_id: Some(org_id.into()),
            ..self.get_apps()
        }
    }

    /// The orgs the user belongs to (`GET /superadmin/orgs`).
    pub fn get_orgs(&self) -> GetOrgs {
        GetOrgs {
            api: self.clone(),
            options: RequestOptions::default(),
        }
    }

    /// One app (`GET /superadmin/apps/:id`), optionally with its schema and rules.
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let app = api.get_app(app_id).include_schema(true).include_perms(true).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_app(&self, app_id: impl Into<AppId>) -> GetApp {
        GetApp {
            api: self.clone(),
            app_id: app_id.into(),
            include_perms: false,
            include_schema: false,
            options: RequestOptions::default(),
        }
    }

    /// An app's schema (`GET /superadmin/apps/:id/schema`), as the server's attribute schema
    /// and converted to a [`SchemaDef`].
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let schema = api.get_schema(app_id).send().await?;
    /// for (name, entity) in &schema.schema.entities {
    ///     println!("{name}: {} attributes", entity.attrs.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_schema(&self, app_id: impl Into<AppId>) -> GetSchema {
        GetSchema {
            api: self.clone(),
            app_id: app_id.into(),
            options: RequestOptions::default(),
        }
    }

    /// An app's permission rules (`GET /superadmin/apps/:id/perms`); `None` when it has none.
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let perms = api.get_perms(app_id).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_perms(&self, app_id: impl Into<AppId>) -> GetPerms {
        GetPerms {
            api: self.clone(),
            app_id: app_id.into(),
            options: RequestOptions::default(),
        }
    }

    /// Creates an app in the user's account or an org (`POST /superadmin/apps`; scope
    /// `apps-write`). The returned app carries its admin token, rules and schema.
    ///
    /// ```no_run
    /// use instantdb_schema::i;
    /// use instantdb_schema::perms::Rules;
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient) -> Result<(), Box<dyn std::error::Error>> {
    /// let schema = i::schema().entities([(
    ///     "todos",
    ///     i::entity([("title", i::string()), ("done", i::boolean())]),
    /// )]);
    /// let perms = Rules::from_json(r#"{"todos": {"allow": {"view": "true", "create": "isOwner"},
    ///                                            "bind": ["isOwner", "auth.id == data.creatorId"]}}"#)?;
    /// let app = api.create_app("Todo app").schema(&schema).perms(&perms).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_app(&self, title: impl Into<String>) -> CreateApp {
        CreateApp {
            api: self.clone(),
            title: title.into(),
            schema: None,
            perms: None,
            org_id: None,
            options: RequestOptions::default(),
        }
    }

    /// Creates a temporary app (`POST /dash/apps/ephemeral`): no token needed, deleted by the
    /// server after 14 days. The server may have them turned off.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), instantdb_platform::Error> {
    /// let api = instantdb_platform::PlatformClient::builder().api_uri("http://localhost:8888").build()?;
    /// let temp = api.create_temporary_app("Scratch").send().await?;
    /// println!("{} expires at {:?}", temp.app.id, temp.expires_at());
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_temporary_app(&self, title: impl Into<String>) -> CreateTemporaryApp {
        CreateTemporaryApp {
            api: self.clone(),
            title: title.into(),
            schema: None,
            rules: None,
            options: RequestOptions::default(),
        }
    }

    /// Renames an app (`POST /superadmin/apps/:id`; admin role).
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let app = api.update_app(app_id, "New app title").send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn update_app(&self, app_id: impl Into<AppId>, title: impl Into<String>) -> UpdateApp {
        UpdateApp {
            api: self.clone(),
            app_id: app_id.into(),
            title: title.into(),
            options: RequestOptions::default(),
        }
    }

    /// Deletes an app (`DELETE /superadmin/apps/:id`; admin role, owner for personal apps; not
    /// with an app admin token).
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let app = api.delete_app(app_id).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn delete_app(&self, app_id: impl Into<AppId>) -> DeleteApp {
        DeleteApp {
            api: self.clone(),
            app_id: app_id.into(),
            options: RequestOptions::default(),
        }
    }

    /// Replaces an app's permission rules (`POST /superadmin/apps/:id/perms`).
    ///
    /// ```no_run
    /// use instantdb_schema::perms::Rules;
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let perms = Rules::from_json(r#"{"$default": {"allow": {"$default": "false"}},
    ///                                  "todos": {"allow": {"view": "true"}}}"#)?;
    /// let stored = api.push_perms(app_id, &perms).send().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn push_perms(&self, app_id: impl Into<AppId>, perms: &Rules) -> PushPerms {
        PushPerms {
            api: self.clone(),
            app_id: app_id.into(),
            perms: perms.clone(),
            options: RequestOptions::default(),
        }
    }

    /// What the server says about the current OAuth access token (`GET
    /// /platform/oauth/token-info`): its scopes and expiry. Only `pat_` tokens have any.
    ///
    /// ```no_run
    /// # async fn example(api: instantdb_platform::PlatformClient) -> Result<(), instantdb_platform::Error> {
    /// let info = api.token_info().await?;
    /// println!("scopes: {}", info.scopes);
    /// # Ok(())
    /// # }
    /// ```
    pub fn token_info(&self) -> Call<instantdb_oauth::TokenInfo> {
        let api = self.clone();
        Call::new("token_info", move |options| async move {
            api.with_auth(|token| {
                let http = api.http_client().clone();
                let options = options.clone();
                async move {
                    Ok(instantdb_oauth::token_info(&http, &token)
                        .with_options(options)
                        .await?)
                }
            })
            .await
        })
    }
}
