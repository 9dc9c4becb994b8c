//! The server's base URL, API paths that cannot escape it, and the one percent-encoding used for
//! path segments and query strings.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// The default Instant API server. This is the only place the host appears in the workspace:
/// Instant Cloud closes on 2027-08-31, so every client takes its base URL as a setting and this
/// is only the fallback.
pub const DEFAULT_API_URI: &str = "https://api.instantdb.com";

/// Everything but RFC 3986 "unreserved" characters (`A-Z a-z 0-9 - . _ ~`) is percent-encoded.
///
/// One set for path segments and query keys and values. Upstream mixes `URLSearchParams`
/// (space as `+`, `~` encoded, `*` kept), `encodeURIComponent` (`!'()*` kept) and no encoding at
/// all; for the characters all three agree on the bytes are identical (see the divergence table
/// in docs/divergences.md).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query component with the crate's one character set.
pub(crate) fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// The base URL of an Instant server (`https://api.instantdb.com`, `http://localhost:8888`, or a
/// self-hosted server behind a path prefix such as `https://example.com/instant`).
///
/// Normalised on parse: surrounding whitespace and trailing slashes are removed, the scheme and
/// host are lower-cased and a default port is dropped, so `https://API.instantdb.com:443//`
/// and `https://api.instantdb.com` are the same base. Only `http` and `https` URLs with a host
/// and without credentials, query or fragment are accepted.
///
/// Upstream appends paths to the configured string as is, so a trailing slash produces
/// `//superadmin/apps`; [`BaseUrl::join`] never does.
///
/// ```
/// use instantdb_http::{ApiPath, BaseUrl};
///
/// let base: BaseUrl = "https://example.com/instant/".parse()?;
/// assert_eq!(base.as_str(), "https://example.com/instant");
/// let url = base.join(&ApiPath::new("/superadmin/apps"))?;
/// assert_eq!(url.as_str(), "https://example.com/instant/superadmin/apps");
///
/// // Paths cannot climb out of the base.
/// assert!(base.join(&ApiPath::new("/../admin")).is_err());
/// assert_eq!(BaseUrl::default().as_str(), instantdb_http::DEFAULT_API_URI);
/// # Ok::<(), instantdb_http::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    /// Normalised, without a trailing slash (a bare host has an empty path).
    normalized: String,
}

impl BaseUrl {
    /// Parses and normalises a base URL.
    pub fn parse(input: &str) -> Result<BaseUrl, Error> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::builder("the base URL is empty"));
        }
        // Never echo the input: a URL with credentials would leak them into the message.
        let url = url::Url::parse(trimmed)
            .map_err(|err| Error::builder(format!("the base URL is not a valid URL: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::builder(format!(
                "the base URL must use http or https, not `{}`",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::builder("the base URL has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::builder(
                "the base URL must not contain credentials; pass tokens separately",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::builder(
                "the base URL must not have a query string or fragment",
            ));
        }
        let mut normalized = url.as_str().to_owned();
        while normalized.ends_with('/') {
            normalized.pop();
        }
        Ok(BaseUrl { normalized })
    }

    /// The normalised URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.normalized
    }

    /// The URL of `path` under this base. The result always starts with the base: the path has
    /// no `.`/`..` or empty segments, query or fragment (see [`ApiPath`]).
    pub fn join(&self, path: &ApiPath) -> Result<url::Url, Error> {
        let validated = path.validated()?;
        let joined = format!("{}{}", self.normalized, validated);
        let url = url::Url::parse(&joined)
            .map_err(|err| Error::builder(format!("invalid request path `{validated}`: {err}")))?;
        // Belt and braces: whatever the URL parser did, the result must still be under the base.
        if !url.as_str().starts_with(&self.normalized) {
            return Err(Error::builder(format!(
                "request path `{validated}` escapes the base URL"
            )));
        }
        Ok(url)
    }
}

impl Default for BaseUrl {
    /// [`DEFAULT_API_URI`].
    fn default() -> BaseUrl {
        BaseUrl {
            normalized: DEFAULT_API_URI.to_owned(),
        }
    }
}

impl FromStr for BaseUrl {
    type Err = Error;

    fn from_str(input: &str) -> Result<BaseUrl, Error> {
        BaseUrl::parse(input)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.normalized)
    }
}

/// A request path under a [`BaseUrl`], such as `/superadmin/apps`.
///
/// Build it from a literal path (`ApiPath::new("/admin/query")`, or `&str`/`String` through
/// `Into`) and append user-supplied values with [`ApiPath::segment`], which percent-encodes them,
/// so an id like `a/b` or `..` stays one segment. Literal paths are checked when the request is
/// built: they must not contain `.`/`..` or empty segments, `?`, `#`, or characters that need
/// encoding.
///
/// ```
/// use instantdb_http::ApiPath;
///
/// let path = ApiPath::new("/superadmin/apps").segment("my app/1").segment("schema");
/// assert_eq!(path.as_str(), "/superadmin/apps/my%20app%2F1/schema");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ApiPath {
    path: String,
}

impl ApiPath {
    /// A literal path; a missing leading `/` is added.
    pub fn new(path: impl Into<String>) -> ApiPath {
        let mut path = path.into();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        ApiPath { path }
    }

    /// Builds a path from raw segments, each percent-encoded.
    pub fn from_segments<I, S>(segments: I) -> ApiPath
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        segments.into_iter().fold(
            ApiPath {
                path: String::new(),
            },
            |path, segment| path.segment(segment.as_ref()),
        )
    }

    /// Appends one segment, percent-encoded (so `/`, `?`, `%` and spaces stay inside it). A
    /// segment that is exactly `.` or `..` cannot be sent (the URL would move up a level), so the
    /// request fails when it is built.
    pub fn segment(mut self, segment: &str) -> ApiPath {
        self.path.push('/');
        self.path.push_str(&encode_component(segment));
        self
    }

    /// The path as it will be sent (segments already encoded).
    pub fn as_str(&self) -> &str {
        &self.path
    }

    fn validated(&self) -> Result<&str, Error> {
        let path = self.path.as_str();
        if path == "/" {
            return Ok("");
        }
        if path.contains(['?', '#']) {
            return Err(Error::builder(format!(
                "request path `{}` contains `?` or `#`; add query parameters with \
                 `RequestBuilder::query`",
                path.escape_debug()
            )));
        }
        for segment in path[1..].split('/') {
            if segment.is_empty() {
                return Err(Error::builder(format!(
                    "request path `{path}` has an empty segment"
                )));
            }
            // URL parsers treat `%2e` as a dot, so decode before comparing.
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
            if decoded == "." || decoded == ".." {
                return Err(Error::builder(format!(
                    "request path `{path}` has a `.` or `..` segment"
                )));
            }
            let mut bytes = segment.bytes();
            while let Some(byte) = bytes.next() {
                let ok = match byte {
                    b'%' => {
                        let hex = (bytes.next(), bytes.next());
                        matches!(hex, (Some(a), Some(b)) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
                    }
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
                    b'-' | b'.' | b'_' | b'~' => true,
                    b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
                    | b':' | b'@' => true,
                    _ => false,
                };
                if !ok {
                    return Err(Error::builder(format!(
                        "request path `{}` contains a character that must be encoded; \
                         append user data with `ApiPath::segment`",
                        path.escape_debug()
                    )));
                }
            }
        }
        Ok(path)
    }
}

impl From<&str> for ApiPath {
    fn from(path: &str) -> ApiPath {
        ApiPath::new(path)
    }
}

impl From<String> for ApiPath {
    fn from(path: String) -> ApiPath {
        ApiPath::new(path)
    }
}

impl From<&String> for ApiPath {
    fn from(path: &String) -> ApiPath {
        ApiPath::new(path.as_str())
    }
}

impl fmt::Debug for ApiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiPath({})", self.path)
    }
}

impl fmt::Display for ApiPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(input: &str) -> String {
        BaseUrl::parse(input).map_or_else(|e| format!("error: {e}"), |b| b.as_str().to_owned())
    }

    #[test]
    fn normalises_base_urls() {
        assert_eq!(
            base("https://api.instantdb.com"),
            "https://api.instantdb.com"
        );
        assert_eq!(
            base(" https://API.instantdb.com:443/ "),
            "https://api.instantdb.com"
        );
        assert_eq!(base("http://localhost:8888///"), "http://localhost:8888");
        assert_eq!(base("http://127.0.0.1:80/x/y/"), "http://127.0.0.1/x/y");
        assert!(base("").starts_with("error"));
        assert!(base("ftp://x").contains("http or https"));
        assert!(base("https://u:p@x.com").contains("credentials"));
        assert!(!base("https://u:hunter2@x.com").contains("hunter2"));
        assert!(base("https://x.com?a=1").contains("query"));
        assert!(base("localhost:8888").starts_with("error"));
    }

    #[test]
    fn joins_without_double_slashes() {
        let b = BaseUrl::parse("http://localhost:8888/").unwrap();
        let url = b.join(&ApiPath::new("/superadmin/apps")).unwrap();
        assert_eq!(url.as_str(), "http://localhost:8888/superadmin/apps");
        let url = b.join(&ApiPath::new("admin/query")).unwrap();
        assert_eq!(url.as_str(), "http://localhost:8888/admin/query");
    }

    #[test]
    fn join_cannot_escape_the_base() {
        let b = BaseUrl::parse("https://example.com/instant").unwrap();
        for bad in [
            "/../x",
            "/a/./b",
            "/a/%2e%2E/b",
            "/a//b",
            "/a?x=1",
            "/a#f",
            "/a b",
            "/a\\..\\b",
            "/é",
            "/a/",
        ] {
            assert!(b.join(&ApiPath::new(bad)).is_err(), "{bad} was accepted");
        }
        for segment in ["..", ".", "../../etc", "a/b", "?x", "%2e%2e"] {
            let path = ApiPath::new("/apps").segment(segment);
            match b.join(&path) {
                Ok(url) => assert!(
                    url.as_str()
                        .starts_with("https://example.com/instant/apps/"),
                    "{url}"
                ),
                Err(err) => assert!(err.to_string().contains("segment"), "{err}"),
            }
        }
        let err = b.join(&ApiPath::new("/apps?include=schema")).unwrap_err();
        assert!(err.to_string().contains("RequestBuilder::query"), "{err}");
        let url = b.join(&ApiPath::new("/apps").segment("a/b")).unwrap();
        assert_eq!(url.as_str(), "https://example.com/instant/apps/a%2Fb");
    }

    #[test]
    fn encodes_components_with_one_set() {
        assert_eq!(encode_component("perms,schema"), "perms%2Cschema");
        assert_eq!(
            encode_component("alyssa+test@example.com"),
            "alyssa%2Btest%40example.com"
        );
        assert_eq!(
            encode_component("photos/my cat&dog.png"),
            "photos%2Fmy%20cat%26dog.png"
        );
        assert_eq!(
            encode_component("a-b_c.d~e*f'(!)"),
            "a-b_c.d~e%2Af%27%28%21%29"
        );
        assert_eq!(encode_component("é"), "%C3%A9");
    }
}
