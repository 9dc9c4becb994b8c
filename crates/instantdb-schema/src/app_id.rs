//! The id of an Instant app, one type for every client and the emulator.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// An Instant app's id.
///
/// Every app the server creates has a UUID, but the id is kept as the text given (trimmed of
/// surrounding whitespace), not parsed: upstream's admin SDK accepts an id that is not a UUID
/// with a warning and sends it as it is, and the server answers for itself. Serializes as the
/// plain string.
///
/// The clients accept anything that converts (`&str`, `String`, an `AppId`), and return
/// `AppId`s (`App::id` of `instantdb-platform`, the emulator's new apps):
///
/// ```
/// use instantdb_schema::AppId;
///
/// let id = AppId::from(" 3f2b1c4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e\n");
/// assert_eq!(id.as_str(), "3f2b1c4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e");
/// assert_eq!(id, "3f2b1c4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e");
/// assert_eq!(serde_json::to_string(&id).unwrap(), r#""3f2b1c4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e""#);
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AppId(String);

impl AppId {
    /// The id `id`, trimmed.
    pub fn new(id: impl Into<String>) -> AppId {
        let id = id.into();
        let trimmed = id.trim();
        if trimmed.len() == id.len() {
            AppId(id)
        } else {
            AppId(trimmed.to_owned())
        }
    }

    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the id is a UUID, as every id the server creates is (upstream's admin SDK warns
    /// about an app id that is not).
    pub fn is_uuid(&self) -> bool {
        crate::js::is_uuid(&self.0)
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for AppId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<AppId, D::Error> {
        String::deserialize(deserializer).map(AppId::new)
    }
}

impl From<&str> for AppId {
    fn from(id: &str) -> AppId {
        AppId::new(id)
    }
}

impl From<String> for AppId {
    fn from(id: String) -> AppId {
        AppId::new(id)
    }
}

impl From<&String> for AppId {
    fn from(id: &String) -> AppId {
        AppId::new(id.as_str())
    }
}

impl From<&AppId> for AppId {
    fn from(id: &AppId) -> AppId {
        id.clone()
    }
}

impl From<AppId> for String {
    fn from(id: AppId) -> String {
        id.0
    }
}

impl Deref for AppId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AppId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for AppId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AppId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for AppId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<AppId> for &str {
    fn eq(&self, other: &AppId) -> bool {
        *self == other.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AppId").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_round_trips() {
        let id = AppId::new("  abc ");
        assert_eq!(id.as_str(), "abc");
        let back: AppId = serde_json::from_str(r#"" abc""#).unwrap();
        assert_eq!(back, id);
        assert_eq!(format!("{id} {id:?}"), r#"abc AppId("abc")"#);
    }
}
