//! Headers being configured (on a client or a request), the secrets among them, and the first
//! invalid input, which is reported when the client is built or the request sent.

use std::fmt;

use http::HeaderMap;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::secret::Redactor;
use crate::{Error, Secret};

#[derive(Default)]
pub(crate) struct HeaderSet {
    pub(crate) map: HeaderMap,
    pub(crate) redactor: Redactor,
    pub(crate) error: Option<Error>,
}

impl HeaderSet {
    pub(crate) fn fail(&mut self, err: Error) {
        if self.error.is_none() {
            self.error = Some(err);
        }
    }

    /// Sets a header, replacing any value of that name.
    pub(crate) fn set<K, V>(&mut self, name: K, value: V)
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        let name = match name.try_into() {
            Ok(name) => name,
            Err(err) => return self.fail(Error::builder(format!("invalid header name: {err}"))),
        };
        match value.try_into() {
            Ok(value) => {
                self.map.insert(name, value);
            }
            Err(err) => self.fail(Error::builder(format!(
                "invalid value for header `{name}`: {err}"
            ))),
        }
    }

    /// Sets a header whose value is a secret: marked sensitive, scrubbed from errors, and never
    /// echoed in the error for an invalid value.
    pub(crate) fn set_secret<K>(&mut self, name: K, secret: &Secret)
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
    {
        let name = match name.try_into() {
            Ok(name) => name,
            Err(err) => return self.fail(Error::builder(format!("invalid header name: {err}"))),
        };
        match HeaderValue::from_str(secret.expose()) {
            Ok(mut value) => {
                value.set_sensitive(true);
                self.map.insert(name, value);
                self.redactor.add(secret);
            }
            Err(_) => self.fail(Error::builder(format!(
                "the secret for header `{name}` contains characters not allowed in a header"
            ))),
        }
    }

    /// `authorization: Bearer <token>`; the bare token is scrubbed from errors too.
    pub(crate) fn bearer(&mut self, token: &Secret) {
        self.redactor.add(token);
        self.set_secret(
            AUTHORIZATION,
            &Secret::new(format!("Bearer {}", token.expose())),
        );
    }

    /// Every header of `headers`, each name replacing earlier values of that name; repeated
    /// names in `headers` are all kept.
    pub(crate) fn extend(&mut self, headers: HeaderMap) {
        let mut last: Option<HeaderName> = None;
        for (name, value) in headers {
            match name {
                Some(name) => {
                    self.map.insert(name.clone(), value);
                    last = Some(name);
                }
                None => {
                    if let Some(name) = &last {
                        self.map.append(name.clone(), value);
                    }
                }
            }
        }
    }
}
