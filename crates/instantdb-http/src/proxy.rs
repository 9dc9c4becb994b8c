//! Which proxy, if any, requests go through.

use std::fmt;

use hyper_util::client::proxy::matcher::{Intercept, Matcher};

/// Proxy settings of a [`Client`](crate::Client).
///
/// The default reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (and their
/// lower-case forms) when the client is built, as curl does. HTTPS destinations go through a
/// `CONNECT` tunnel, so the proxy never sees the request or the token; plain-HTTP destinations
/// are sent to the proxy in absolute form. Credentials in the proxy URL
/// (`http://user:pass@proxy:3128`) are sent as `Proxy-Authorization: Basic`. The proxy itself is
/// reached over plain TCP.
///
/// ```
/// use instantdb_http::Proxy;
///
/// let proxy = Proxy::none();
/// let proxy = Proxy::custom()
///     .with_https("http://proxy.internal:3128")
///     .with_no_proxy("localhost, 127.0.0.1, .internal");
/// ```
#[derive(Clone, Default)]
pub struct Proxy {
    kind: Kind,
}

#[derive(Clone, Default)]
enum Kind {
    #[default]
    Env,
    None,
    Custom {
        http: Option<String>,
        https: Option<String>,
        no_proxy: Option<String>,
    },
}

impl Proxy {
    /// Read the proxy environment variables when the client is built (the default).
    pub fn from_env() -> Proxy {
        Proxy { kind: Kind::Env }
    }

    /// Always connect directly, whatever the environment says.
    pub fn none() -> Proxy {
        Proxy { kind: Kind::None }
    }

    /// Explicit settings, ignoring the environment; add proxies with the `with_*` methods.
    pub fn custom() -> Proxy {
        Proxy {
            kind: Kind::Custom {
                http: None,
                https: None,
                no_proxy: None,
            },
        }
    }

    /// The proxy for `http://` destinations (turns an env/none setting into a custom one).
    pub fn with_http(self, proxy_url: impl Into<String>) -> Proxy {
        self.edit(|http, _, _| *http = Some(proxy_url.into()))
    }

    /// The proxy for `https://` destinations, reached with a `CONNECT` tunnel.
    pub fn with_https(self, proxy_url: impl Into<String>) -> Proxy {
        self.edit(|_, https, _| *https = Some(proxy_url.into()))
    }

    /// Hosts that bypass the proxy, in `NO_PROXY` syntax (comma-separated domains, which also
    /// match subdomains, IP addresses, CIDR ranges, or `*`).
    pub fn with_no_proxy(self, hosts: impl Into<String>) -> Proxy {
        self.edit(|_, _, no_proxy| *no_proxy = Some(hosts.into()))
    }

    fn edit(
        self,
        f: impl FnOnce(&mut Option<String>, &mut Option<String>, &mut Option<String>),
    ) -> Proxy {
        let (mut http, mut https, mut no_proxy) = match self.kind {
            Kind::Custom {
                http,
                https,
                no_proxy,
            } => (http, https, no_proxy),
            Kind::Env | Kind::None => (None, None, None),
        };
        f(&mut http, &mut https, &mut no_proxy);
        Proxy {
            kind: Kind::Custom {
                http,
                https,
                no_proxy,
            },
        }
    }

    pub(crate) fn matcher(&self) -> Option<ProxyMatcher> {
        match &self.kind {
            Kind::Env => Some(ProxyMatcher {
                matcher: Matcher::from_env(),
                bypass_loopback: true,
            }),
            Kind::None => None,
            Kind::Custom {
                http,
                https,
                no_proxy,
            } => {
                let mut builder = Matcher::builder();
                if let Some(http) = http {
                    builder = builder.http(http.as_str());
                }
                if let Some(https) = https {
                    builder = builder.https(https.as_str());
                }
                if let Some(no_proxy) = no_proxy {
                    builder = builder.no(no_proxy.as_str());
                }
                Some(ProxyMatcher {
                    matcher: builder.build(),
                    bypass_loopback: false,
                })
            }
        }
    }
}

/// Decides, per destination, which proxy (if any) to use.
pub(crate) struct ProxyMatcher {
    matcher: Matcher,
    bypass_loopback: bool,
}

impl ProxyMatcher {
    pub(crate) fn intercept(&self, dst: &http::Uri) -> Option<Intercept> {
        if self.bypass_loopback && dst.host().is_some_and(is_loopback) {
            return None;
        }
        self.matcher.intercept(dst)
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Debug for Proxy {
    /// Shows hosts only: proxy URLs may carry credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = |url: &Option<String>| {
            url.as_deref().map(|u| match url::Url::parse(u) {
                Ok(parsed) => format!(
                    "{}://{}{}",
                    parsed.scheme(),
                    parsed.host_str().unwrap_or(""),
                    parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
                ),
                Err(_) => "<invalid>".to_owned(),
            })
        };
        match &self.kind {
            Kind::Env => f.write_str("Proxy::from_env()"),
            Kind::None => f.write_str("Proxy::none()"),
            Kind::Custom {
                http,
                https,
                no_proxy,
            } => f
                .debug_struct("Proxy")
                .field("http", &host(http))
                .field("https", &host(https))
                .field("no_proxy", no_proxy)
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_proxies_match_by_scheme_and_no_proxy() {
        let proxy = Proxy::custom()
            .with_https("http://user:hunter2@127.0.0.1:3128")
            .with_no_proxy("localhost,.internal");
        let matcher = proxy.matcher().unwrap();
        let hit = matcher.intercept(&"https://api.example.com/x".parse().unwrap());
        assert_eq!(hit.unwrap().uri().port_u16(), Some(3128));
        assert!(
            matcher
                .intercept(&"http://api.example.com/x".parse().unwrap())
                .is_none()
        );
        assert!(
            matcher
                .intercept(&"https://db.internal/x".parse().unwrap())
                .is_none()
        );
        assert!(
            matcher
                .intercept(&"https://localhost/x".parse().unwrap())
                .is_none()
        );
        assert!(!format!("{proxy:?}").contains("hunter2"));
        assert!(Proxy::none().matcher().is_none());
        // Explicit settings apply to loopback too (the proxy tests rely on it)...
        let custom = Proxy::custom()
            .with_http("http://127.0.0.1:3128")
            .matcher()
            .unwrap();
        assert!(
            custom
                .intercept(&"http://127.0.0.1:8888/x".parse().unwrap())
                .is_some()
        );
    }

    #[test]
    fn environment_proxies_never_take_loopback_traffic() {
        let env = ProxyMatcher {
            matcher: Matcher::builder()
                .http("http://proxy.example:3128")
                .https("http://proxy.example:3128")
                .build(),
            bypass_loopback: true,
        };
        for url in [
            "http://localhost:8888/x",
            "https://127.0.0.1/x",
            "http://127.1.2.3/x",
            "http://[::1]:8888/x",
        ] {
            assert!(env.intercept(&url.parse().unwrap()).is_none(), "{url}");
        }
        assert!(
            env.intercept(&"https://api.example.com/x".parse().unwrap())
                .is_some()
        );
    }
}
