//! What a scripted server or transport saw.

use bytes::Bytes;
use http::{HeaderMap, Method, Version};
use serde_json::Value;

/// A request as received: the raw path and query as sent on the wire, the headers, and the body
/// (kept up to a size limit; `body_len` is always the full length).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path, percent-encoded as sent.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, or its first bytes when it was larger than the recording limit.
    pub body: Bytes,
    /// The full body length.
    pub body_len: u64,
    /// The protocol version.
    pub version: Version,
}

impl RecordedRequest {
    /// The query parameters, decoded the way servers (and `URLSearchParams`) decode them:
    /// `+` is a space, then percent-decoding.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let Some(query) = &self.query else {
            return Vec::new();
        };
        let decode = |text: &str| {
            let spaced = text.replace('+', " ");
            percent_encoding::percent_decode_str(&spaced)
                .decode_utf8_lossy()
                .into_owned()
        };
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) => (decode(key), decode(value)),
                None => (decode(pair), String::new()),
            })
            .collect()
    }

    /// The value of a header, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `path?query`, as sent.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }
}
