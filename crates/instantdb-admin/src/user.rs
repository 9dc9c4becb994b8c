//! The user record the auth endpoints return.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use instantdb_http::Secret;

use crate::Error;
use crate::wire::WireUser;

/// A user of the app (a `$users` entity) as the auth endpoints return it.
///
/// `Debug` never shows the refresh token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct User {
    /// The user's id (a UUID).
    pub id: String,
    /// The email, lower-cased by the server; `None` for guests.
    pub email: Option<String>,
    /// The app the user belongs to.
    pub app_id: Option<String>,
    /// Creation time, ISO-8601 (`2025-01-02T03:04:05Z`).
    pub created_at: Option<String>,
    /// Whether the user signed in as a guest (`isGuest`).
    pub is_guest: bool,
    /// `"user"` or `"guest"` when the server records it (`type`).
    pub user_type: Option<String>,
    /// Profile picture from an OAuth provider (`imageURL`).
    pub image_url: Option<String>,
    /// The primary user a guest was linked to (`linkedPrimaryUser`).
    pub linked_primary_user: Option<String>,
    /// The refresh token, on the endpoints that hand one out (sign-in, token creation,
    /// `verify_token`).
    pub refresh_token: Option<Secret>,
    /// The app's custom `$users` attributes.
    pub extra: Map<String, Value>,
}

impl User {
    /// The app's custom `$users` attributes ([`User::extra`]) deserialized into `T`; a mismatch
    /// names the failing field's path.
    ///
    /// ```
    /// # fn example(user: instantdb_admin::User) -> Result<(), instantdb_admin::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Profile {
    ///     handle: String,
    ///     #[serde(rename = "avatarUrl")]
    ///     avatar_url: Option<String>,
    /// }
    /// let profile: Profile = user.extra_as()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn extra_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_path_to_error::deserialize(Value::Object(self.extra.clone())).map_err(|err| {
            Error::protocol(format!(
                "the custom attributes of user {} do not match {} at `{}`: {}",
                self.id,
                std::any::type_name::<T>(),
                err.path(),
                err.inner()
            ))
        })
    }
}

impl From<WireUser> for User {
    fn from(wire: WireUser) -> User {
        User {
            id: wire.id,
            email: wire.email,
            app_id: wire.app_id,
            created_at: wire.created_at.map(|value| match value {
                Value::String(text) => text,
                other => other.to_string(),
            }),
            is_guest: wire.is_guest,
            user_type: wire.user_type,
            image_url: wire.image_url,
            linked_primary_user: wire.linked_primary_user,
            refresh_token: wire.refresh_token,
            extra: wire.extra,
        }
    }
}
