//! Users, refresh tokens and magic codes (`db.auth` upstream).
//!
//! Every call uses the admin token and ignores impersonation, except
//! [`Auth::verify_token`], which sends no credentials at all.

use http::{HeaderMap, Method};
use serde_json::Value;

use instantdb_http::Secret;

use crate::Call;
use crate::client::{scrub_secret, with_versions};
use crate::cookie::user_cookie;
use crate::user::User;
use crate::wire::{
    CodeResponse, CreateTokenBody, DeletedEnvelope, EmailBody, SignOutBody, SignedInEnvelope,
    UserEnvelope, VerifyMagicCodeBody, VerifyRefreshTokenBody,
};
use crate::{AdminClient, Error};

/// Which user a call is about: by email, id or refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// The user with this email.
    Email(String),
    /// The user with this id.
    Id(String),
    /// The user holding this refresh token.
    RefreshToken(Secret),
}

impl UserRef {
    /// [`UserRef::Email`].
    pub fn email(email: impl Into<String>) -> UserRef {
        UserRef::Email(email.into())
    }

    /// [`UserRef::Id`].
    pub fn id(id: impl Into<String>) -> UserRef {
        UserRef::Id(id.into())
    }

    /// [`UserRef::RefreshToken`].
    pub fn refresh_token(token: impl Into<Secret>) -> UserRef {
        UserRef::RefreshToken(token.into())
    }
}

/// A signed-in user: the user record (with its refresh token) and whether the sign-in created
/// the user.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SignedIn {
    /// The user, with [`User::refresh_token`] set.
    pub user: User,
    /// Whether the user was created by this call.
    pub created: bool,
}

/// The auth API; see [`AdminClient::auth`].
#[derive(Debug, Clone)]
pub struct Auth {
    pub(crate) client: AdminClient,
}

impl Auth {
    /// Creates a refresh token for a user, creating the user if needed
    /// (`POST /admin/refresh_tokens`); see [`CreateTokenRequest`].
    pub fn create_token(&self, user: UserRef) -> CreateTokenRequest {
        CreateTokenRequest {
            client: self.client.clone(),
            user,
            extra_fields: None,
        }
    }

    /// Generates a magic code for `email` without sending it (`POST /admin/magic_code`), for
    /// your own email flow. Returns the 6-digit code.
    pub fn generate_magic_code(&self, email: &str) -> Call<String> {
        let client = self.client.clone();
        let email = email.to_owned();
        Call::new("generate_magic_code", move |options| async move {
            let client = client.with_request_options(options);
            let response: CodeResponse = client
                .admin_request(Method::POST, "/admin/magic_code", false)?
                .json(&EmailBody { email: &email })
                .send_json()
                .await?;
            response.code.ok_or_else(|| {
                Error::invalid_input("the server answered /admin/magic_code without a code")
            })
        })
    }

    /// Sends a magic code to `email` through Instant's (or the app's) mail sender
    /// (`POST /admin/send_magic_code`). Returns the code when the server includes it.
    pub fn send_magic_code(&self, email: &str) -> Call<Option<String>> {
        let client = self.client.clone();
        let email = email.to_owned();
        Call::new("send_magic_code", move |options| async move {
            let client = client.with_request_options(options);
            let response: CodeResponse = client
                .admin_request(Method::POST, "/admin/send_magic_code", false)?
                .json(&EmailBody { email: &email })
                .send_json()
                .await?;
            Ok(response.code)
        })
    }

    /// Checks a magic code and signs the user in (`POST /admin/verify_magic_code`, upstream's
    /// `checkMagicCode`); see [`VerifyMagicCodeRequest`]. A wrong code is 400
    /// `record-not-found`, an expired one `record-expired`.
    pub fn verify_magic_code(&self, email: &str, code: &str) -> VerifyMagicCodeRequest {
        VerifyMagicCodeRequest {
            client: self.client.clone(),
            email: email.to_owned(),
            code: code.to_owned(),
            extra_fields: None,
            refresh_token: None,
        }
    }

    /// The user, or `None` when there is none (the server answers 200 `{"user": null}`, not
    /// 404) (`GET /admin/users`).
    pub fn get_user(&self, user: UserRef) -> Call<Option<User>> {
        let client = self.client.clone();
        Call::new("get_user", move |options| async move {
            let client = client.with_request_options(options);
            let request = with_user_query(
                client.admin_request(Method::GET, "/admin/users", false)?,
                &user,
            );
            let response: UserEnvelope = request.send_json().await?;
            Ok(response.user.map(User::from))
        })
    }

    /// Deletes the user and what cascades from it; returns the deleted user, or `None` when
    /// there was none (`DELETE /admin/users`).
    pub fn delete_user(&self, user: UserRef) -> Call<Option<User>> {
        let client = self.client.clone();
        Call::new("delete_user", move |options| async move {
            let client = client.with_request_options(options);
            let request = with_user_query(
                client.admin_request(Method::DELETE, "/admin/users", false)?,
                &user,
            );
            let response: DeletedEnvelope = request.send_json().await?;
            Ok(response.deleted.map(User::from))
        })
    }

    /// Signs the user out (`POST /admin/sign_out`): by email or id, every refresh token of the
    /// user is revoked; by refresh token, only that one. An unknown email is 400
    /// `record-not-found`; an unknown id or token succeeds.
    pub fn sign_out(&self, user: UserRef) -> Call<()> {
        let client = self.client.clone();
        Call::new("sign_out", move |options| async move {
            let client = client.with_request_options(options);
            let body = match &user {
                UserRef::Email(email) => SignOutBody {
                    email: Some(email),
                    id: None,
                    refresh_token: None,
                },
                UserRef::Id(id) => SignOutBody {
                    email: None,
                    id: Some(id),
                    refresh_token: None,
                },
                UserRef::RefreshToken(token) => SignOutBody {
                    email: None,
                    id: None,
                    refresh_token: Some(token.expose()),
                },
            };
            let mut request = client.admin_request(Method::POST, "/admin/sign_out", false)?;
            if let UserRef::RefreshToken(token) = &user {
                request = scrub_secret(request, token);
            }
            let _: Value = request.json(&body).send_json().await?;
            Ok(())
        })
    }

    /// The user holding `refresh_token` (`POST /runtime/auth/verify_refresh_token`). Sends no
    /// admin token and no `app-id` header: it works with an app id alone. An unknown or revoked
    /// token is an error (400 `record-not-found`), not `None`.
    pub fn verify_token(&self, refresh_token: impl Into<Secret>) -> Call<User> {
        let client = self.client.clone();
        let token: Secret = refresh_token.into();
        Call::new("verify_token", move |options| async move {
            verify(&client.with_request_options(options), &token).await
        })
    }

    /// The signed-in user of a web request, from the `instant_user_<app id>` cookie that
    /// Instant's client SDKs set through the route handler (see
    /// [`InstantRouteHandler`](crate::InstantRouteHandler)); upstream's `getUserFromRequest`.
    /// `None` when there is no such cookie or it holds no refresh token. The token is checked
    /// with [`Auth::verify_token`] unless [`UserFromRequest::disable_validation`].
    pub fn user_from_request(&self, headers: &HeaderMap) -> UserFromRequest {
        let cookies: Vec<&str> = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        self.user_from_cookie_header(&cookies.join("; "))
    }

    /// [`Auth::user_from_request`] given the `Cookie` header's value.
    pub fn user_from_cookie_header(&self, cookie_header: &str) -> UserFromRequest {
        UserFromRequest {
            client: self.client.clone(),
            cookie_header: cookie_header.to_owned(),
            validate: true,
        }
    }
}

fn with_user_query(
    request: instantdb_http::RequestBuilder,
    user: &UserRef,
) -> instantdb_http::RequestBuilder {
    match user {
        UserRef::Email(email) => request.query("email", email),
        UserRef::Id(id) => request.query("id", id),
        UserRef::RefreshToken(token) => request.query_secret("refresh_token", token),
    }
}

async fn verify(client: &AdminClient, token: &Secret) -> Result<User, Error> {
    let app_id = client.inner.app_id.as_str();
    let request = client
        .plain_request(Method::POST, "/runtime/auth/verify_refresh_token")
        .query("app_id", app_id)
        .header("content-type", "application/json");
    let request = scrub_secret(request, token);
    let response: UserEnvelope = with_versions(request)
        .json(&VerifyRefreshTokenBody {
            app_id,
            refresh_token: token.expose(),
        })
        .send_json()
        .await?;
    response.user.map(User::from).ok_or_else(|| {
        Error::invalid_input("the server answered verify_refresh_token without a user")
    })
}

/// A token creation being built; see [`Auth::create_token`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct CreateTokenRequest {
    pub(crate) client: AdminClient,
    user: UserRef,
    extra_fields: Option<Value>,
}

impl CreateTokenRequest {
    /// Custom `$users` attributes to set if the call creates the user (`extra-fields`; each
    /// must be an existing, non-system attribute).
    pub fn extra_fields(mut self, fields: Value) -> CreateTokenRequest {
        self.extra_fields = Some(fields);
        self
    }

    /// Sends the request and returns the new refresh token.
    pub async fn send(self) -> Result<Secret, Error> {
        let (email, id) = match &self.user {
            UserRef::Email(email) => (Some(email.as_str()), None),
            UserRef::Id(id) => (None, Some(id.as_str())),
            UserRef::RefreshToken(_) => {
                return Err(Error::invalid_input(
                    "create_token takes a user's email or id, not a refresh token",
                ));
            }
        };
        let body = CreateTokenBody {
            email,
            id,
            extra_fields: self.extra_fields.as_ref(),
        };
        let response: UserEnvelope = self
            .client
            .admin_request(Method::POST, "/admin/refresh_tokens", false)?
            .json(&body)
            .send_json()
            .await?;
        response
            .user
            .and_then(|user| user.refresh_token)
            .ok_or_else(|| {
                Error::invalid_input(
                    "the server answered /admin/refresh_tokens without a refresh_token",
                )
            })
    }
}

/// A magic-code check being built; see [`Auth::verify_magic_code`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct VerifyMagicCodeRequest {
    pub(crate) client: AdminClient,
    email: String,
    code: String,
    extra_fields: Option<Value>,
    refresh_token: Option<Secret>,
}

impl VerifyMagicCodeRequest {
    /// Custom `$users` attributes to set if the call creates the user (`extra-fields`).
    pub fn extra_fields(mut self, fields: Value) -> VerifyMagicCodeRequest {
        self.extra_fields = Some(fields);
        self
    }

    /// A guest's refresh token: the guest is upgraded to (or linked with) the signed-in user
    /// (`refresh-token`).
    pub fn guest_refresh_token(mut self, token: impl Into<Secret>) -> VerifyMagicCodeRequest {
        self.refresh_token = Some(token.into());
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<SignedIn, Error> {
        let body = VerifyMagicCodeBody {
            email: &self.email,
            code: &self.code,
            extra_fields: self.extra_fields.as_ref(),
            refresh_token: self.refresh_token.as_ref().map(Secret::expose),
        };
        let mut request =
            self.client
                .admin_request(Method::POST, "/admin/verify_magic_code", false)?;
        if let Some(token) = &self.refresh_token {
            request = scrub_secret(request, token);
        }
        let response: SignedInEnvelope = request.json(&body).send_json().await?;
        Ok(SignedIn {
            user: response.user.into(),
            created: response.created,
        })
    }
}

/// Reading the signed-in user of a web request; see [`Auth::user_from_request`].
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct UserFromRequest {
    pub(crate) client: AdminClient,
    cookie_header: String,
    validate: bool,
}

impl UserFromRequest {
    /// Trusts the cookie without asking the server (upstream's `disableValidation`). The cookie
    /// is `HttpOnly` and `Secure`, but only the server can tell whether the token was revoked.
    pub fn disable_validation(mut self, disable: bool) -> UserFromRequest {
        self.validate = !disable;
        self
    }

    /// Reads the cookie, then (unless disabled) verifies its refresh token.
    pub async fn send(self) -> Result<Option<User>, Error> {
        let Some(user) = user_cookie(&self.cookie_header, &self.client.inner.app_id)? else {
            return Ok(None);
        };
        if !self.validate {
            return Ok(Some(user));
        }
        match &user.refresh_token {
            Some(token) => verify(&self.client, token).await.map(Some),
            None => Ok(None),
        }
    }
}
