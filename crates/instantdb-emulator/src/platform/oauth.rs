//! The platform's OAuth provider (`oauth_apps/routes.clj`, `model/oauth_app.clj`): the
//! authorization endpoint, the token endpoint (PKCE and confidential code exchanges, the
//! refresh grant), token info and revocation.
//!
//! The emulator has no dashboard, so the consent step is automatic: a valid
//! `GET /platform/oauth/start` issues the code for the emulator's platform user at once and
//! redirects to `redirect_uri?code=…&state=…&scope=…` (what upstream's `/platform/oauth/grant`
//! does after the user clicks "allow"), or to `redirect_uri?error=access_denied&state=…` while
//! [`crate::Emulator::set_oauth_consent`] says [`crate::OAuthConsent::Deny`]. There is no
//! `__session` cookie and no `/platform/oauth/{claim,grant,deny}`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::Scope;
use crate::clock;
use crate::crypto::{constant_eq, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::server::{Reply, Request, Shared};
use crate::store::{self, OAuthCode, OAuthRefreshToken, OAuthToken, State};

/// Authorization codes last 10 minutes (`default-expires-at`).
const CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// At most this many refresh tokens per (user, client); older ones go at each code exchange.
const REFRESH_TOKEN_LIMIT: usize = 5;

/// Java's URL-safe base64 decoder: padding optional.
const BASE64URL_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Request parameters, read as upstream's handlers read them: `ex/get-param!` on the query
/// string and form body (`[:params …]`) or on the JSON body (the token endpoint).
struct Params {
    values: Map<String, Value>,
    /// The first element of the parameter path in error hints (`params`), if any.
    prefix: Option<&'static str>,
}

impl Params {
    /// Query parameters, plus form-body parameters when the body is form-encoded (ring's
    /// `:params`). The first of repeated keys wins.
    fn query_and_form(req: &Request) -> Params {
        let mut values = Map::new();
        let mut add = |key: String, value: String| {
            values.entry(key).or_insert(Value::String(value));
        };
        for (key, value) in req.query_pairs() {
            add(key.clone(), value.clone());
        }
        if is_form(req) {
            for (key, value) in url::form_urlencoded::parse(&req.body) {
                add(key.into_owned(), value.into_owned());
            }
        }
        Params {
            values,
            prefix: Some("params"),
        }
    }

    fn path<'a>(&self, key: &'a str) -> Vec<&'a str> {
        match self.prefix {
            Some(prefix) => vec![prefix, key],
            None => vec![key],
        }
    }

    fn missing(&self, key: &str) -> ApiError {
        ApiError::param_missing(&self.path(key))
    }

    fn malformed(&self, key: &str, original: &Value) -> ApiError {
        ApiError::param_malformed(&self.path(key), original.clone())
    }

    fn raw(&self, key: &str) -> Option<&Value> {
        self.values.get(key).filter(|value| !value.is_null())
    }

    /// `string-util/coerce-non-blank-str`: trimmed, numbers stringified, blank is malformed.
    fn optional_str(&self, key: &str) -> ApiResult<Option<String>> {
        let Some(raw) = self.raw(key) else {
            return Ok(None);
        };
        let text = match raw {
            Value::String(text) => text.trim().to_owned(),
            Value::Number(number) => number.to_string(),
            _ => String::new(),
        };
        if text.is_empty() {
            return Err(self.malformed(key, raw));
        }
        Ok(Some(text))
    }

    fn required_str(&self, key: &str) -> ApiResult<String> {
        self.optional_str(key)?.ok_or_else(|| self.missing(key))
    }

    /// `uuid-util/coerce`.
    fn required_uuid(&self, key: &str) -> ApiResult<Uuid> {
        let raw = self.raw(key).ok_or_else(|| self.missing(key))?;
        raw.as_str()
            .and_then(|text| Uuid::parse_str(text.trim()).ok())
            .ok_or_else(|| self.malformed(key, raw))
    }
}

fn is_form(req: &Request) -> bool {
    req.header("content-type")
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

/// `ex/assert-valid!` with string errors: upstream's message then names only the input type.
fn invalid(input_type: &str, input: &str, error: &str) -> ApiError {
    ApiError::validation(input_type, json!(input), vec![json!(error)])
}

/// `join-in-sentence`: `a`, `a and b`, `a, b, and c`.
fn join_in_sentence(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// `url/redirect-url-validation-errors`. Only `localhost` and `127.0.0.1` count as local
/// (not `[::1]`), as upstream.
pub(crate) fn redirect_uri_errors(uri: &str, allow_localhost: bool) -> Vec<&'static str> {
    let Ok(parsed) = url::Url::parse(uri) else {
        return vec!["redirect uri must use the HTTPS scheme"];
    };
    let host = parsed.host_str().unwrap_or("");
    let local = host == "localhost" || host == "127.0.0.1";
    // The URL parser resolves `..`, so path traversal is checked on the raw text.
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let raw_path = after_scheme
        .find('/')
        .map_or("", |start| &after_scheme[start..]);
    let raw_path = raw_path.split(['?', '#']).next().unwrap_or("");
    let mut errors = Vec::new();
    if !parsed.username().is_empty() || parsed.password().is_some() {
        errors.push("redirect uri may not contain user or password");
    }
    if raw_path.contains("/..") || raw_path.contains("\\.") {
        errors.push("redirect uri may not contain a path traversal");
    }
    if uri.contains('#') {
        errors.push("redirect uri may not contain the fragment component");
    }
    if local && !allow_localhost {
        errors.push("redirect uri may not be localhost");
    }
    if !local && parsed.scheme() != "https" {
        errors.push("redirect uri must use the HTTPS scheme");
    }
    if local && !matches!(parsed.scheme(), "http" | "https") {
        errors.push("redirect uri must use either the HTTP or HTTPS scheme");
    }
    errors
}

/// `redirect_uri` with `params` appended to its query (`url/add-query-params`).
fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> ApiResult<String> {
    let mut url = url::Url::parse(redirect_uri)
        .map_err(|_| invalid("redirect_uri", redirect_uri, "redirect uri is not a URL"))?;
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in params {
            query.append_pair(key, value);
        }
    }
    Ok(url.into())
}

/// `GET /platform/oauth/start`: validates the request, then (automatic consent) redirects with
/// a code. Validation failures are upstream's HTML 400 page.
pub(crate) fn start(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    authorize(shared, req).map_err(ApiError::into_html)
}

fn authorize(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let params = Params::query_and_form(req);
    let client_id = params.required_uuid("client_id")?;
    let redirect_uri = params.required_str("redirect_uri")?;
    let response_type = params.required_str("response_type")?;
    if response_type != "code" {
        return Err(ApiError::typed(
            "param-malformed",
            "`response_type` parameter must have value `code`",
            None,
        ));
    }
    let scope_input = params.required_str("scope")?;
    let mut scopes: Vec<String> = Vec::new();
    for scope in scope_input.split(' ') {
        if Scope::parse(scope).is_none() {
            return Err(ApiError::typed(
                "param-malformed",
                format!("Invalid scope {scope}"),
                Some(json!({ "scope-input": scope_input, "invalid-scope": scope })),
            ));
        }
        scopes.push(scope.to_owned());
    }
    let state_param = params.required_str("state")?;
    let challenge = params.optional_str("code_challenge")?;
    let method = match params.raw("code_challenge_method") {
        None => None,
        Some(Value::String(text)) if text == "S256" || text == "plain" => Some(text.clone()),
        Some(raw) => return Err(params.malformed("code_challenge_method", raw)),
    };
    if method.is_some() && challenge.is_none() {
        return Err(invalid(
            "code-challenge",
            "",
            "The code_challenge param must be provided when code_challenge_method is provided",
        ));
    }
    if challenge.is_some() && method.is_none() {
        return Err(invalid(
            "code-challenge-method",
            "",
            "The code_challenge_method param must be provided when code_challenge is provided",
        ));
    }
    let deny = shared.oauth_deny.load(Ordering::SeqCst);
    let user_id = shared.config.default_user;
    shared.write(|state| {
        let client = state.server.oauth_clients.get(&client_id).ok_or_else(|| {
            ApiError::record_not_found(
                "oauth-app-client",
                Some(json!({ "args": [{ "client-id": client_id }] })),
            )
        })?;
        if client.is_public {
            let missing: Vec<&str> = scopes
                .iter()
                .filter(|scope| !client.granted_scopes.contains(scope))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(invalid(
                    "scope",
                    &scope_input,
                    &format!(
                        "this OAuth app has not been granted the {} scopes",
                        join_in_sentence(&missing)
                    ),
                ));
            }
        }
        if !client.redirect_uris.contains(&redirect_uri) {
            return Err(invalid(
                "redirect_uri",
                &redirect_uri,
                "The redirect_uri does not appear in the set of authorized redirect uri for the OAuth client.",
            ));
        }
        let errors = redirect_uri_errors(&redirect_uri, !client.is_public);
        if !errors.is_empty() {
            return Err(ApiError::validation(
                "redirect_uri",
                json!(redirect_uri),
                errors.into_iter().map(|error| json!(error)).collect(),
            ));
        }
        if deny {
            tracing::info!(%client_id, "OAuth consent denied (emulator setting)");
            return Ok(Reply::Redirect(with_query(
                &redirect_uri,
                &[("error", "access_denied"), ("state", &state_param)],
            )?));
        }
        let code = Uuid::new_v4();
        state.server_mut().oauth_codes.insert(
            sha256_hex(code.as_bytes()),
            OAuthCode {
                client_id,
                redirect_uri: redirect_uri.clone(),
                user_id,
                scopes: scopes.clone(),
                code_challenge: challenge,
                code_challenge_method: method,
                expires_at: clock::now_ms() + CODE_TTL_MS,
            },
        );
        tracing::info!(%client_id, scopes = %scopes.join(" "), "OAuth consent granted automatically");
        Ok(Reply::Redirect(with_query(
            &redirect_uri,
            &[
                ("code", &code.to_string()),
                ("state", &state_param),
                ("scope", &scopes.join(" ")),
            ],
        )?))
    })
}

/// `POST /platform/oauth/token`: parameters from a form body or a JSON body (any other content
/// type: every parameter is missing).
pub(crate) fn token(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let values = if is_form(req) {
        Params::query_and_form(req).values
    } else if req
        .header("content-type")
        .is_some_and(|value| value.starts_with("application/json"))
    {
        match req.json()? {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    } else {
        Map::new()
    };
    let params = Params {
        values,
        prefix: None,
    };
    let grant_type = params.required_str("grant_type")?;
    let client_id = params.required_uuid("client_id")?;
    let client_secret = params.optional_str("client_secret")?;
    let ttl_ms = shared.config.oauth_access_token_ttl_ms();
    shared.write(|state| match client_secret {
        None => match grant_type.as_str() {
            "authorization_code" => pkce_exchange(state, &params, client_id, ttl_ms),
            _ => Err(ApiError::typed(
                "param-malformed",
                "Unrecognized `grant_type` parameter only `authorization_code` is allowed for the PKCE flow.",
                Some(json!({ "input": grant_type })),
            )),
        },
        Some(secret) => {
            // Upstream finds the client by the secret's hash alone; `client_id` is only
            // compared with the code's client afterwards.
            let hash = sha256_hex(secret.as_bytes());
            let client_by_secret = state
                .server
                .oauth_clients
                .iter()
                .find(|(_, client)| constant_eq(client.secret_sha256.as_bytes(), hash.as_bytes()))
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    ApiError::record_not_found(
                        "oauth-app-client",
                        Some(json!({ "args": [{ "client-id": client_id }] })),
                    )
                })?;
            match grant_type.as_str() {
                "authorization_code" => {
                    confidential_exchange(state, &params, client_by_secret, ttl_ms)
                }
                "refresh_token" => refresh(state, &params, client_by_secret, ttl_ms),
                _ => Err(ApiError::typed(
                    "param-malformed",
                    "Unrecognized `grant_type` parameter, expected either `authorization_code` or `refresh_token`",
                    Some(json!({ "input": grant_type })),
                )),
            }
        }
    })
}

/// `claim-code!`: deletes the code (single use, even when a later check fails) and checks its
/// expiry. The code is not echoed in the hint (upstream puts it in `hint.args`).
fn claim_code(state: &mut State, code: Uuid) -> ApiResult<OAuthCode> {
    let record = state
        .server_mut()
        .oauth_codes
        .remove(&sha256_hex(code.as_bytes()))
        .ok_or_else(|| ApiError::record_not_found("oauth-code", None))?;
    if record.expires_at <= clock::now_ms() {
        return Err(ApiError::record_expired_with_hint(
            "oauth-code",
            json!({ "expired_at": clock::iso(record.expires_at) }),
        ));
    }
    Ok(record)
}

/// The checks both code exchanges share: the code's client and its redirect URI.
fn check_code(record: &OAuthCode, client_id: Uuid, redirect_uri: &str) -> ApiResult<()> {
    if record.client_id != client_id {
        return Err(ApiError::typed(
            "param-malformed",
            "Invalid client_id parameter",
            Some(json!({ "input": client_id })),
        ));
    }
    if !constant_eq(redirect_uri.as_bytes(), record.redirect_uri.as_bytes()) {
        return Err(ApiError::typed(
            "param-malformed",
            "Invalid redirect_uri parameter",
            Some(json!({ "input": redirect_uri })),
        ));
    }
    Ok(())
}

fn pkce_error(message: &str) -> ApiError {
    // Upstream puts the verifier in `hint.input`; it is a secret, so it is left out.
    ApiError::validation(
        "oauth-code",
        json!({ "code_verifier": "<redacted>" }),
        vec![json!({ "message": message })],
    )
}

/// `verify-pkce!` for a code issued with a challenge.
fn verify_pkce(record: &OAuthCode, verifier: &str) -> ApiResult<()> {
    let challenge = record.code_challenge.as_deref().unwrap_or("");
    let matches = match record.code_challenge_method.as_deref() {
        Some("plain") => constant_eq(verifier.as_bytes(), challenge.as_bytes()),
        _ => {
            let expected = BASE64URL_ANY_PADDING.decode(challenge).map_err(|_| {
                pkce_error("Invalid code_verifier. Expected a url-safe Base64 string.")
            })?;
            let actual = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
            constant_eq(actual.as_ref(), &expected)
        }
    };
    if matches {
        Ok(())
    } else {
        Err(pkce_error(
            "The code_challenge and code_verifier do not match.",
        ))
    }
}

fn pkce_exchange(
    state: &mut State,
    params: &Params,
    client_id: Uuid,
    ttl_ms: i64,
) -> ApiResult<Reply> {
    let redirect_uri = params.required_str("redirect_uri")?;
    let code = params.required_uuid("code")?;
    let record = claim_code(state, code)?;
    check_code(&record, client_id, &redirect_uri)?;
    if record.code_challenge.is_none() || record.code_challenge_method.is_none() {
        return Err(ApiError::typed(
            "param-missing",
            "You must provide the client_secret from a secure server or use the client-side PKCE flow to exchange the OAuth code for a token.",
            None,
        ));
    }
    let verifier = params.required_str("code_verifier")?;
    verify_pkce(&record, &verifier)?;
    let (token, expires_in) = issue_access_token(state, &record, None, ttl_ms);
    Ok(Reply::Json(json!({
        "access_token": token,
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scopes": record.scopes.join(" "),
    })))
}

/// With a client secret, upstream checks no PKCE verifier, even for a code issued with a
/// challenge.
fn confidential_exchange(
    state: &mut State,
    params: &Params,
    client_id: Uuid,
    ttl_ms: i64,
) -> ApiResult<Reply> {
    let redirect_uri = params.required_str("redirect_uri")?;
    let code = params.required_uuid("code")?;
    let record = claim_code(state, code)?;
    check_code(&record, client_id, &redirect_uri)?;
    let refresh_token = store::new_refresh_token();
    let server = state.server_mut();
    server.oauth_refresh_seq += 1;
    let seq = server.oauth_refresh_seq;
    server.oauth_refresh_tokens.insert(
        refresh_token.clone(),
        OAuthRefreshToken {
            client_id,
            user_id: record.user_id,
            scopes: record.scopes.clone(),
            created_at: clock::now_ms(),
            seq,
        },
    );
    let (token, expires_in) =
        issue_access_token(state, &record, Some(refresh_token.clone()), ttl_ms);
    prune_refresh_tokens(state, client_id, record.user_id);
    Ok(Reply::Json(json!({
        "access_token": token,
        "expires_in": expires_in,
        "token_type": "Bearer",
        "refresh_token": refresh_token,
        "scopes": record.scopes.join(" "),
    })))
}

/// Keeps the newest [`REFRESH_TOKEN_LIMIT`] refresh tokens of a (client, user); deleting one
/// deletes the access tokens issued from it.
fn prune_refresh_tokens(state: &mut State, client_id: Uuid, user_id: Uuid) {
    let mut mine: Vec<(u64, String)> = state
        .server
        .oauth_refresh_tokens
        .iter()
        .filter(|(_, record)| record.client_id == client_id && record.user_id == user_id)
        .map(|(token, record)| (record.seq, token.clone()))
        .collect();
    mine.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
    for (_, token) in mine.into_iter().skip(REFRESH_TOKEN_LIMIT) {
        delete_refresh_token(state, &token);
    }
}

fn delete_refresh_token(state: &mut State, token: &str) {
    let server = state.server_mut();
    if server.oauth_refresh_tokens.remove(token).is_some() {
        server
            .oauth_tokens
            .retain(|_, access| access.refresh_token.as_deref() != Some(token));
    }
}

/// The refresh grant: a new access token with the refresh token's scopes, no new refresh
/// token, and `scope` (singular) in the response, as upstream.
fn refresh(state: &mut State, params: &Params, client_id: Uuid, ttl_ms: i64) -> ApiResult<Reply> {
    let refresh_token = params.required_str("refresh_token")?;
    let record = state
        .server
        .oauth_refresh_tokens
        .get(&refresh_token)
        .filter(|record| record.client_id == client_id)
        .cloned()
        .ok_or_else(|| ApiError::record_not_found("oauth-refresh-token", None))?;
    let code_like = OAuthCode {
        client_id,
        redirect_uri: String::new(),
        user_id: record.user_id,
        scopes: record.scopes.clone(),
        code_challenge: None,
        code_challenge_method: None,
        expires_at: 0,
    };
    let (token, expires_in) = issue_access_token(state, &code_like, Some(refresh_token), ttl_ms);
    Ok(Reply::Json(json!({
        "access_token": token,
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scope": record.scopes.join(" "),
    })))
}

/// Stores a new access token; returns it and `expires_in` (whole seconds).
fn issue_access_token(
    state: &mut State,
    grant: &OAuthCode,
    refresh_token: Option<String>,
    ttl_ms: i64,
) -> (String, i64) {
    let token = store::new_oauth_token();
    state.server_mut().oauth_tokens.insert(
        token.clone(),
        OAuthToken {
            user_id: grant.user_id,
            scopes: grant.scopes.clone(),
            expires_at: clock::now_ms().saturating_add(ttl_ms),
            client_id: Some(grant.client_id),
            refresh_token,
        },
    );
    (token, ttl_ms / 1000)
}

/// `POST /platform/oauth/revoke?token=…` (query or form body; a JSON body is not read) → `{}`.
/// Revoking an unknown token succeeds, as upstream.
pub(crate) fn revoke(shared: &Arc<Shared>, req: &Request) -> ApiResult<Reply> {
    let params = Params::query_and_form(req);
    let token = params.required_str("token")?;
    shared.write(|state| {
        if token.starts_with("prt_") {
            delete_refresh_token(state, &token);
        } else if token.starts_with("pat_") {
            state.server_mut().oauth_tokens.remove(&token);
        } else {
            return Err(ApiError::typed(
                "param-malformed",
                "Token is not a access token or a refresh token.",
                None,
            ));
        }
        Ok(Reply::Json(json!({})))
    })
}

/// The base64url (unpadded) S256 challenge of a verifier, for tests.
#[cfg(test)]
fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uri_rules_follow_upstream() {
        assert!(redirect_uri_errors("https://example.com/cb", false).is_empty());
        assert!(redirect_uri_errors("http://127.0.0.1:8976/cb", true).is_empty());
        assert_eq!(
            redirect_uri_errors("http://127.0.0.1:8976/cb", false),
            vec!["redirect uri may not be localhost"]
        );
        assert_eq!(
            redirect_uri_errors("http://example.com/cb", false),
            vec!["redirect uri must use the HTTPS scheme"]
        );
        // `[::1]` is not "localhost" upstream, so it needs https.
        assert_eq!(
            redirect_uri_errors("http://[::1]:1/cb", true),
            vec!["redirect uri must use the HTTPS scheme"]
        );
        assert_eq!(
            redirect_uri_errors("https://u:p@example.com/a/../b#f", false),
            vec![
                "redirect uri may not contain user or password",
                "redirect uri may not contain a path traversal",
                "redirect uri may not contain the fragment component",
            ]
        );
    }

    #[test]
    fn pkce_checks_s256_and_plain() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let mut code = OAuthCode {
            client_id: Uuid::nil(),
            redirect_uri: String::new(),
            user_id: Uuid::nil(),
            scopes: vec![],
            code_challenge: Some(s256(verifier)),
            code_challenge_method: Some("S256".into()),
            expires_at: 0,
        };
        assert!(verify_pkce(&code, verifier).is_ok());
        let wrong = verify_pkce(&code, "x").unwrap_err();
        assert_eq!(
            wrong.message(),
            "Validation failed for oauth-code: The code_challenge and code_verifier do not match."
        );
        code.code_challenge = Some(format!("{}=", s256(verifier)));
        assert!(verify_pkce(&code, verifier).is_ok(), "padding is optional");
        code.code_challenge = Some("not base64!".into());
        assert!(
            verify_pkce(&code, verifier)
                .unwrap_err()
                .message()
                .contains("Expected a url-safe Base64 string")
        );
        code.code_challenge = Some("plain-text".into());
        code.code_challenge_method = Some("plain".into());
        assert!(verify_pkce(&code, "plain-text").is_ok());
        assert!(verify_pkce(&code, "other").is_err());
    }

    #[test]
    fn sentences() {
        assert_eq!(join_in_sentence(&["a"]), "a");
        assert_eq!(join_in_sentence(&["a", "b"]), "a and b");
        assert_eq!(join_in_sentence(&["a", "b", "c"]), "a, b, and c");
    }
}
