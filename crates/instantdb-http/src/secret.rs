//! A wrapper for tokens that keeps them out of `Debug`, `Display`, errors and logs.

use std::fmt;
use std::sync::Arc;

/// A secret string: an admin token, OAuth access or refresh token, PKCE verifier…
///
/// `Debug` and `Display` print `***`. The value leaves the wrapper only through
/// [`Secret::expose`], so every place a token is used is easy to find with grep.
/// Cloning is cheap (the value is shared).
///
/// When a secret is sent with [`RequestBuilder::bearer_auth`](crate::RequestBuilder::bearer_auth),
/// [`secret_header`](crate::RequestBuilder::secret_header) or
/// [`query_secret`](crate::RequestBuilder::query_secret), the header is marked sensitive (HTTP/2
/// never indexes it, `http`'s `Debug` hides it) and its value is scrubbed from error messages built
/// from the response, since Instant echoes tokens back in some error hints.
///
/// ```
/// use instantdb_http::Secret;
///
/// let token = Secret::new("0b9e2f3c-admin-token");
/// assert_eq!(format!("{token:?} {token}"), "Secret(***) ***");
/// assert_eq!(token.expose(), "0b9e2f3c-admin-token");
/// ```
#[derive(Clone)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Arc::from(value.into()))
    }

    /// The secret itself. Call this only where the value must leave the process (a header, a
    /// token file).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

/// Compares in time independent of where the values first differ, so a comparison with a
/// stored token leaks nothing through timing.
impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for Secret {}

/// Deserializes from a JSON string, so token responses can be decoded straight into secrets.
/// There is deliberately no `Serialize`: writing a token out must go through [`Secret::expose`].
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// Replaces known secret values in text that is about to be displayed (error messages, body
/// excerpts): Instant's `record-not-found` hints echo the token that was sent.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    needles: Vec<Secret>,
}

impl Redactor {
    pub(crate) fn add(&mut self, secret: &Secret) {
        // Very short values would redact unrelated text and are not real tokens.
        if secret.expose().len() >= 4 && !self.needles.contains(secret) {
            self.needles.push(secret.clone());
        }
    }

    pub(crate) fn extend(&mut self, other: &Redactor) {
        for secret in &other.needles {
            self.add(secret);
        }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.expose()) {
                out = out.replace(needle.expose(), "***");
            }
        }
        out
    }

    pub(crate) fn scrub_json(&self, value: &mut serde_json::Value) {
        if self.needles.is_empty() {
            return;
        }
        match value {
            serde_json::Value::String(text)
                if self.needles.iter().any(|n| text.contains(n.expose())) =>
            {
                *text = self.scrub(text);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.scrub_json(v)),
            _ => {}
        }
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.needles.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_scrubs_text_and_json() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("tok-123456"));
        assert_eq!(redactor.scrub("bad tok-123456!"), "bad ***!");
        let mut value = serde_json::json!({"hint": {"args": [{"token": "tok-123456"}]}});
        redactor.scrub_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"hint": {"args": [{"token": "***"}]}})
        );
    }

    #[test]
    fn equality_is_by_value() {
        assert_eq!(Secret::new("a"), Secret::from("a"));
        assert_ne!(Secret::new("a"), Secret::new("b"));
        assert_ne!(Secret::new("a"), Secret::new("ab"));
    }
}
