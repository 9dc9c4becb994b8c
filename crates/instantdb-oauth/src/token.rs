//! Token responses: what the token and token-info endpoints answer, read defensively.

use std::time::{Duration, SystemTime};

use instantdb_http::Secret;
use instantdb_http::http::StatusCode;
use serde_json::{Map, Value};

use crate::error::{excerpt, scrub};
use crate::{Error, Scopes};

/// Token responses' `expiresAt` is this much earlier than `expires_in` says, as upstream's
/// helpers do, so a token is refreshed before the server starts refusing it.
pub const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(30);

/// `tokenInfo`'s margin in upstream (`expires_in - 60`).
const TOKEN_INFO_EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// The tokens a grant returned: an access token, maybe a refresh token, their type, expiry and
/// scopes.
///
/// `Debug` shows `Secret(***)` for both tokens; the values leave only through
/// [`Secret::expose`]. Build one from stored values with [`TokenSet::new`] and the public
/// fields.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use instantdb_http::Secret;
/// use instantdb_oauth::{Scope, TokenSet};
///
/// let mut tokens = TokenSet::new(Secret::new("pat_0123"));
/// tokens.refresh_token = Some(Secret::new("prt_4567"));
/// tokens.expires_at = Some(SystemTime::now() + Duration::from_secs(3600));
/// tokens.scopes.insert(Scope::AppsWrite);
/// assert!(!tokens.expires_within(Duration::from_secs(60)));
/// assert!(!format!("{tokens:?}").contains("pat_0123"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TokenSet {
    /// The bearer token for the platform API (`pat_…`).
    pub access_token: Secret,
    /// The refresh token (`prt_…`): returned by a confidential code exchange; never by a PKCE
    /// exchange. The refresh grant returns none (refresh tokens do not rotate), so
    /// [`exchange_refresh_token`](crate::exchange_refresh_token) puts the one it used here.
    pub refresh_token: Option<Secret>,
    /// `Bearer`.
    pub token_type: String,
    /// When the access token stops working, less [`TOKEN_EXPIRY_MARGIN`], computed from
    /// `expires_in` when the response arrived. `None` if the server sent no `expires_in`.
    pub expires_at: Option<SystemTime>,
    /// The scopes granted, from the response's `scopes` (code exchange) or `scope` (refresh
    /// grant). Empty if the server reported none.
    pub scopes: Scopes,
}

impl TokenSet {
    /// A bearer access token with no refresh token, expiry or scopes.
    pub fn new(access_token: Secret) -> TokenSet {
        TokenSet {
            access_token,
            refresh_token: None,
            token_type: "Bearer".to_owned(),
            expires_at: None,
            scopes: Scopes::new(),
        }
    }

    /// Whether the access token's expiry (with its margin) has passed. A token without an
    /// expiry never expires as far as this is concerned.
    pub fn is_expired(&self) -> bool {
        self.expires_within(Duration::ZERO)
    }

    /// Whether the access token expires within `window` from now.
    pub fn expires_within(&self, window: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= SystemTime::now() + window)
    }

    /// Reads a token endpoint response. `secrets` are the values the request sent (client
    /// secret, code, refresh token), scrubbed from error excerpts along with the tokens.
    pub(crate) fn from_response(
        endpoint: &str,
        status: StatusCode,
        body: &[u8],
        received_at: SystemTime,
        secrets: &[&Secret],
    ) -> Result<TokenSet, Error> {
        let response = ResponseBody::parse(endpoint, status, body, secrets)?;
        let access_token = match response.object.get("access_token") {
            Some(Value::String(token)) if !token.is_empty() => Secret::new(token.as_str()),
            Some(Value::String(_)) => return Err(response.invalid("`access_token` is empty")),
            Some(_) => return Err(response.invalid("`access_token` is not a string")),
            None => return Err(response.invalid("`access_token` is missing")),
        };
        let refresh_token = match response.object.get("refresh_token") {
            None | Some(Value::Null) => None,
            Some(Value::String(token)) if !token.is_empty() => Some(Secret::new(token.as_str())),
            Some(_) => return Err(response.invalid("`refresh_token` is not a non-empty string")),
        };
        Ok(TokenSet {
            access_token,
            refresh_token,
            token_type: response.token_type()?,
            expires_at: response.expires_at(received_at, TOKEN_EXPIRY_MARGIN)?,
            scopes: response.scopes()?,
        })
    }
}

/// What the token-info endpoint says about an access token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenInfo {
    /// `Bearer`.
    pub token_type: String,
    /// The scopes the token holds.
    pub scopes: Scopes,
    /// When it expires, less 60 s (upstream `tokenInfo`'s margin). `None` if the server sent
    /// no `expires_in`.
    pub expires_at: Option<SystemTime>,
}

impl TokenInfo {
    pub(crate) fn from_response(
        endpoint: &str,
        status: StatusCode,
        body: &[u8],
        received_at: SystemTime,
        secrets: &[&Secret],
    ) -> Result<TokenInfo, Error> {
        let response = ResponseBody::parse(endpoint, status, body, secrets)?;
        Ok(TokenInfo {
            token_type: response.token_type()?,
            scopes: response.scopes()?,
            expires_at: response.expires_at(received_at, TOKEN_INFO_EXPIRY_MARGIN)?,
        })
    }
}

/// `received_at + expires_in - margin`, never before `received_at`. Upstream's refresh helper
/// forgets `received_at` and lands in January 1970; this is the fix.
fn expiry(received_at: SystemTime, expires_in: f64, margin: Duration) -> SystemTime {
    let lifetime = Duration::try_from_secs_f64(expires_in).unwrap_or(Duration::ZERO);
    received_at + lifetime.saturating_sub(margin)
}

/// A success body being read, with what an error about it must show.
struct ResponseBody<'a> {
    endpoint: &'a str,
    status: StatusCode,
    secrets: &'a [&'a Secret],
    object: Map<String, Value>,
}

impl<'a> ResponseBody<'a> {
    fn parse(
        endpoint: &'a str,
        status: StatusCode,
        body: &[u8],
        secrets: &'a [&'a Secret],
    ) -> Result<ResponseBody<'a>, Error> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => Ok(ResponseBody {
                endpoint,
                status,
                secrets,
                object,
            }),
            // No excerpt: a bare JSON string or array could be nothing but a token.
            Ok(_) => Err(Error::invalid_response(
                endpoint,
                status,
                "the body is not a JSON object",
                String::new(),
            )),
            // serde_json's syntax errors name positions, never values, so they are safe to show.
            Err(err) => Err(Error::invalid_response(
                endpoint,
                status,
                format!("the body is not JSON: {err}"),
                excerpt(&scrub(&String::from_utf8_lossy(body), secrets)),
            )),
        }
    }

    /// An error naming the problem, with the body's start (token fields and the request's
    /// secrets replaced by `***`).
    fn invalid(&self, message: impl Into<String>) -> Error {
        let mut object = self.object.clone();
        for key in ["access_token", "refresh_token"] {
            if let Some(value) = object.get_mut(key) {
                *value = Value::String("***".to_owned());
            }
        }
        let shown = excerpt(&scrub(&Value::Object(object).to_string(), self.secrets));
        Error::invalid_response(self.endpoint, self.status, message, shown)
    }

    /// `received_at + expires_in - margin`; `None` without `expires_in`.
    fn expires_at(
        &self,
        received_at: SystemTime,
        margin: Duration,
    ) -> Result<Option<SystemTime>, Error> {
        let expires_in = match self.object.get("expires_in") {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(number)) => number.as_f64().filter(|secs| secs.is_finite()),
            Some(_) => return Err(self.invalid("`expires_in` is not a number")),
        };
        let Some(expires_in) = expires_in else {
            return Err(self.invalid("`expires_in` is not a finite number"));
        };
        Ok(Some(expiry(received_at, expires_in.max(0.0), margin)))
    }

    fn token_type(&self) -> Result<String, Error> {
        match self.object.get("token_type") {
            None | Some(Value::Null) => Ok("Bearer".to_owned()),
            Some(Value::String(kind)) => Ok(kind.clone()),
            Some(_) => Err(self.invalid("`token_type` is not a string")),
        }
    }

    /// The code exchange answers `scopes`, the refresh grant `scope` (upstream reads only
    /// `scopes` and so loses them on refresh); both are accepted, `scopes` first.
    fn scopes(&self) -> Result<Scopes, Error> {
        for key in ["scopes", "scope"] {
            match self.object.get(key) {
                None | Some(Value::Null) => continue,
                Some(value) => {
                    return serde_json::from_value::<Scopes>(value.clone()).map_err(|_| {
                        self.invalid(format!("`{key}` is neither a string nor a list of strings"))
                    });
                }
            }
        }
        Ok(Scopes::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorKind, Scope};

    const ENDPOINT: &str = "POST /platform/oauth/token";

    fn parse(body: &str) -> Result<TokenSet, Error> {
        TokenSet::from_response(
            ENDPOINT,
            StatusCode::OK,
            body.as_bytes(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000),
            &[],
        )
    }

    #[test]
    fn code_exchange_response() {
        let tokens = parse(
            r#"{"access_token":"pat_a","refresh_token":"prt_b","expires_in":1209600,"scopes":"apps-read apps-write","token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(tokens.access_token.expose(), "pat_a");
        assert_eq!(
            tokens.refresh_token.as_ref().map(Secret::expose),
            Some("prt_b")
        );
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(
            tokens.expires_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + 1_209_600 - 30))
        );
        assert_eq!(
            tokens.scopes,
            Scopes::from([Scope::AppsRead, Scope::AppsWrite])
        );
    }

    #[test]
    fn refresh_grant_uses_singular_scope() {
        let tokens = parse(
            r#"{"access_token":"pat_a","expires_in":10,"token_type":"Bearer","scope":"data-read"}"#,
        )
        .unwrap();
        assert_eq!(tokens.scopes, Scopes::from(Scope::DataRead));
        assert!(tokens.refresh_token.is_none());
        // A lifetime shorter than the margin is already expired, not in the past of receipt.
        assert_eq!(
            tokens.expires_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
        );
    }

    #[test]
    fn malformed_responses_name_the_field_and_hide_tokens() {
        for (body, needle) in [
            (r#"{"expires_in":1}"#, "`access_token` is missing"),
            (r#"{"access_token":""}"#, "`access_token` is empty"),
            (r#"{"access_token":7}"#, "`access_token` is not a string"),
            (
                r#"{"access_token":"pat_secret1","expires_in":"soon"}"#,
                "`expires_in` is not a number",
            ),
            (
                r#"{"access_token":"pat_secret1","refresh_token":5}"#,
                "`refresh_token`",
            ),
            (r#"{"access_token":"pat_secret1","scopes":5}"#, "`scopes`"),
            (r#"["pat_secret1"]"#, "not a JSON object"),
            ("<html>bad gateway</html>", "not JSON"),
        ] {
            let err = parse(body).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{body}");
            let shown = format!("{err} {err:?}");
            assert!(shown.contains(needle), "{shown}");
            assert!(
                shown.contains(ENDPOINT) && shown.contains("HTTP 200"),
                "{shown}"
            );
            assert!(!shown.contains("pat_secret1"), "{shown}");
        }
    }

    #[test]
    fn token_info_margin_is_sixty_seconds() {
        let info = TokenInfo::from_response(
            "GET /platform/oauth/token-info",
            StatusCode::OK,
            br#"{"expires_in":1209000,"scopes":"apps-read apps-write","token_type":"Bearer"}"#,
            SystemTime::UNIX_EPOCH,
            &[],
        )
        .unwrap();
        assert_eq!(
            info.expires_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_209_000 - 60))
        );
        assert_eq!(info.scopes.to_string(), "apps-read apps-write");
    }
}
