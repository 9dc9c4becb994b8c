//! The `instant_user_<app id>` cookie: written by the route handler Instant's client SDKs post
//! the signed-in user to (`createInstantRouteHandler`), read back by
//! [`Auth::user_from_request`](crate::Auth::user_from_request).

use http::StatusCode;
use instantdb_schema::js;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::Error;
use crate::user::User;
use crate::wire::WireUser;

/// What `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// The cookie's name for `app_id`.
fn cookie_name(app_id: &str) -> String {
    format!("instant_user_{app_id}")
}

/// The value of cookie `name` in a `Cookie` header, as the `cookie` npm package (1.x) parses
/// it: pairs split on `;`, names and values trimmed of spaces and tabs, the first pair of a
/// name wins, and values containing `%` are URI-decoded unless that fails.
fn cookie_value(header: &str, name: &str) -> Option<String> {
    for pair in header.split(';') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        if key.trim_matches([' ', '\t']) == name {
            return Some(decode_uri_component(value.trim_matches([' ', '\t'])));
        }
    }
    None
}

/// `decodeURIComponent`, falling back to the input when it throws (a `%` not followed by two
/// hex digits, or bytes that are not UTF-8).
fn decode_uri_component(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(idx, &b)| {
        b != b'%'
            || (bytes.get(idx + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(idx + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return text.to_owned();
    }
    match percent_encoding::percent_decode_str(text).decode_utf8() {
        Ok(decoded) => decoded.into_owned(),
        Err(_) => text.to_owned(),
    }
}

/// The user in the cookie, or `None` when there is no cookie or its user has no refresh token.
pub(crate) fn user_cookie(header: &str, app_id: &str) -> Result<Option<User>, Error> {
    let Some(value) = cookie_value(header, &cookie_name(app_id)).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let user: Value = serde_json::from_str(&value).map_err(|err| {
        Error::invalid_input(format!(
            "the {} cookie is not JSON: {err}",
            cookie_name(app_id)
        ))
    })?;
    if !user.get("refresh_token").is_some_and(js::truthy) {
        return Ok(None);
    }
    let user: WireUser = serde_json::from_value(user).map_err(|err| {
        Error::invalid_input(format!(
            "the {} cookie does not hold a user: {err}",
            cookie_name(app_id)
        ))
    })?;
    Ok(Some(user.into()))
}

/// The server side of Instant's cookie sync, upstream's `createInstantRouteHandler`, without a
/// web framework: hand it the body of a `POST` from Instant's client SDK and send back what it
/// returns. The `sync-user` message sets (or clears) the `instant_user_<app id>` cookie that
/// [`Auth::user_from_request`](crate::Auth::user_from_request) reads.
///
/// ```
/// use instantdb_admin::InstantRouteHandler;
///
/// let handler = InstantRouteHandler::new("00000000-0000-4000-8000-0000000000aa");
/// let body = br#"{"type":"sync-user","appId":"00000000-0000-4000-8000-0000000000aa","user":{"id":"u1","refresh_token":"t1"}}"#;
/// let response = handler.post(body);
/// assert_eq!(response.status.as_u16(), 200);
/// assert_eq!(
///     response.set_cookie.as_deref(),
///     Some("instant_user_00000000-0000-4000-8000-0000000000aa=%7B%22id%22%3A%22u1%22%2C%22refresh_token%22%3A%22t1%22%7D; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=604800")
/// );
/// ```
#[derive(Debug, Clone)]
pub struct InstantRouteHandler {
    app_id: String,
}

/// What [`InstantRouteHandler::post`] answers: send `status`, `body` as JSON
/// (`content-type: application/json`) and, when present, a `Set-Cookie` header.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RouteResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The JSON body: `{"ok": true}`, or `{"ok": false, "error": …}`.
    pub body: Value,
    /// The `Set-Cookie` header value, when the cookie changes.
    pub set_cookie: Option<String>,
}

impl InstantRouteHandler {
    /// A handler for `app_id`.
    pub fn new(app_id: impl Into<String>) -> InstantRouteHandler {
        InstantRouteHandler {
            app_id: app_id.into(),
        }
    }

    /// Handles the body of a `POST`.
    pub fn post(&self, body: &[u8]) -> RouteResponse {
        let error = |status: StatusCode, message: &str| RouteResponse {
            status,
            body: json!({"ok": false, "error": message}),
            set_cookie: None,
        };
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return error(StatusCode::BAD_REQUEST, "Invalid JSON body");
        };
        let field = |name: &str| body.get(name).filter(|_| body.is_object());
        let Some(kind) = field("type").filter(|kind| js::truthy(kind)) else {
            return error(StatusCode::BAD_REQUEST, "Missing \"type\" field");
        };
        if field("appId").and_then(Value::as_str) != Some(self.app_id.as_str()) {
            return error(StatusCode::FORBIDDEN, "App ID mismatch");
        }
        if kind != "sync-user" {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Unknown type: {}", js::to_string(kind)),
            );
        }
        let name = cookie_name(&self.app_id);
        let user = field("user")
            .filter(|user| js::truthy(user) && user.get("refresh_token").is_some_and(js::truthy));
        let set_cookie = match user {
            Some(user) => {
                let json = js::stringify(user);
                let encoded = utf8_percent_encode(&json, URI_COMPONENT).to_string();
                format!(
                    "{name}={encoded}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=604800"
                )
            }
            None => format!("{name}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=-1"),
        };
        RouteResponse {
            status: StatusCode::OK,
            body: json!({"ok": true}),
            set_cookie: Some(set_cookie),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "00000000-0000-4000-8000-0000000000aa";

    #[test]
    fn cookies_parse_like_the_cookie_package() {
        let header = format!(
            " a=1; instant_user_{APP} = %7B%22id%22%3A%22u%22%2C%22refresh_token%22%3A%22t%22%7D ;instant_user_{APP}=second"
        );
        let user = user_cookie(&header, APP).unwrap().unwrap();
        assert_eq!(user.id, "u");
        assert_eq!(user.refresh_token.unwrap().expose(), "t");
        assert!(user_cookie("a=1", APP).unwrap().is_none());
        let no_token = format!("instant_user_{APP}={{\"id\":\"u\"}}");
        assert!(user_cookie(&no_token, APP).unwrap().is_none());
        let bad = format!("instant_user_{APP}=%ZZ");
        assert!(user_cookie(&bad, APP).unwrap_err().is_invalid_input());
        assert_eq!(decode_uri_component("%E0%A4%A"), "%E0%A4%A");
        assert_eq!(decode_uri_component("a%20b"), "a b");
    }

    #[test]
    fn route_handler_answers_like_upstream() {
        let handler = InstantRouteHandler::new(APP);
        assert_eq!(handler.post(b"{").body["error"], "Invalid JSON body");
        assert_eq!(handler.post(b"{}").body["error"], "Missing \"type\" field");
        let other_app = br#"{"type":"sync-user","appId":"x"}"#;
        assert_eq!(handler.post(other_app).status, StatusCode::FORBIDDEN);
        let unknown = format!(r#"{{"type":"nope","appId":"{APP}"}}"#);
        assert_eq!(
            handler.post(unknown.as_bytes()).body["error"],
            "Unknown type: nope"
        );
        let sign_out = format!(r#"{{"type":"sync-user","appId":"{APP}","user":null}}"#);
        assert_eq!(
            handler.post(sign_out.as_bytes()).set_cookie.unwrap(),
            format!("instant_user_{APP}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=-1")
        );
    }
}
