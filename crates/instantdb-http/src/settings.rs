//! The transport settings every client builder takes, written once.

use std::fmt;

use crate::{BaseUrl, Client, ClientBuilder, Error, IntoBaseUrl};

/// The transport half of a client builder (`AdminClientBuilder`, `PlatformClientBuilder`,
/// `OAuthClientBuilder`): the server, timeouts, retries, proxy, transport, or a whole
/// [`Client`]. The builders expose it through [`client_builder_settings!`](crate::client_builder_settings),
/// so every client has the same settings with the same names and documentation.
#[derive(Default)]
pub struct ClientSettings {
    api_uri: Option<Result<BaseUrl, Error>>,
    builder: Option<ClientBuilder>,
    client: Option<Client>,
}

impl ClientSettings {
    /// The server's base URL; a blank string means the default.
    pub fn api_uri(&mut self, api_uri: impl IntoBaseUrl) {
        self.api_uri = api_uri.into_optional_base_url().transpose();
    }

    /// The configured base URL, if one was set (and parsed).
    pub fn get_api_uri(&self) -> Option<&BaseUrl> {
        self.api_uri.as_ref().and_then(|url| url.as_ref().ok())
    }

    /// Changes the HTTP configuration (ignored once a whole [`Client`] was given).
    pub fn configure(&mut self, change: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        let builder = self.builder.take().unwrap_or_else(Client::builder);
        self.builder = Some(change(builder));
    }

    /// Uses an already configured client.
    pub fn http_client(&mut self, client: Client) {
        self.client = Some(client);
    }

    /// The client: the given one (moved to [`api_uri`](ClientSettings::api_uri) when that is
    /// set), or one built from the settings.
    pub fn build(self) -> Result<Client, Error> {
        let api_uri = self.api_uri.transpose()?;
        match self.client {
            Some(client) => match api_uri {
                Some(url) => client.with_base_url(url),
                None => Ok(client),
            },
            None => {
                let mut builder = self.builder.unwrap_or_else(Client::builder);
                if let Some(url) = api_uri {
                    builder = builder.base_url(url);
                }
                builder.build()
            }
        }
    }
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("api_uri", &self.get_api_uri().map(BaseUrl::as_str))
            .field("http_client", &self.client.is_some())
            .finish_non_exhaustive()
    }
}

/// Paths the exported macros expand to.
#[doc(hidden)]
pub mod __private {
    pub use std::time::Duration;
}

/// Implements the transport settings shared by every client builder on `$builder`, whose field
/// `$field` is a [`ClientSettings`]: `api_uri`, `timeout`, `connect_timeout`, `retry_policy`,
/// `proxy`, `transport` and `http_client`, with the same names, types and documentation in
/// `instantdb-admin`, `instantdb-platform` and `instantdb-oauth`.
#[macro_export]
macro_rules! client_builder_settings {
    ($builder:ident . $field:ident) => {
        impl $builder {
            /// The server's base URL (default `https://api.instantdb.com`): a self-hosted
            /// Instant, or `instant dev`'s local server. A blank string means the default.
            pub fn api_uri(mut self, api_uri: impl $crate::IntoBaseUrl) -> $builder {
                self.$field.api_uri(api_uri);
                self
            }

            /// Total time allowed per HTTP attempt (default 60 s; `None`: no limit). A call's
            /// `with_options` can override it.
            pub fn timeout(
                mut self,
                timeout: impl ::std::convert::Into<::std::option::Option<$crate::__private::Duration>>,
            ) -> $builder {
                let timeout = timeout.into();
                self.$field.configure(|http| http.timeout(timeout));
                self
            }

            /// Time allowed to connect (default 10 s; `None`: no limit).
            pub fn connect_timeout(
                mut self,
                timeout: impl ::std::convert::Into<::std::option::Option<$crate::__private::Duration>>,
            ) -> $builder {
                let timeout = timeout.into();
                self.$field.configure(|http| http.connect_timeout(timeout));
                self
            }

            /// The retry policy (default: `RetryPolicy::default()`, which retries connection
            /// failures, and HTTP 429/502/503/504 of reads and idempotent calls).
            /// Calls that are not safe to repeat (a transaction, a schema push, a create) are
            /// never retried after they were sent, whatever the policy.
            pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> $builder {
                self.$field.configure(|http| http.retry_policy(policy));
                self
            }

            /// Proxy settings (default: from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`).
            pub fn proxy(mut self, proxy: $crate::Proxy) -> $builder {
                self.$field.configure(|http| http.proxy(proxy));
                self
            }

            /// Replaces the HTTP transport (tests, or a custom HTTP stack); the connection
            /// settings (proxy, TLS, connect timeout) then do not apply.
            pub fn transport(mut self, transport: impl $crate::Transport) -> $builder {
                self.$field.configure(|http| http.transport(transport));
                self
            }

            /// Uses an already configured HTTP client (extra root certificates, a shared pool…):
            /// the settings above are then ignored, except [`api_uri`](Self::api_uri), which
            /// still chooses the server when it is set.
            pub fn http_client(mut self, client: $crate::Client) -> $builder {
                self.$field.http_client(client);
                self
            }
        }
    };
}
