//! Request bodies and response envelopes exactly as they travel, with Instant's mixed casing
//! (`inference?`, `tx-id`, `rules-override`, `isGuest`, `location-id`…). Every casing quirk
//! lives here; the public types in the other modules are converted from these explicitly.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use instantdb_http::Secret;

use crate::client::PROTOCOL_VERSION;
use crate::tx::Chunks;

/// A query as `JSON.stringify` prints it: normalized queries still hold numbers that
/// `serde_json` would spell its own way (`1e+20`, `1e-6`).
fn stringified<S: serde::Serializer>(value: &&Value, serializer: S) -> Result<S::Ok, S::Error> {
    instantdb_schema::js::Json(*value).serialize(serializer)
}

#[derive(Serialize)]
pub(crate) struct QueryBody<'a> {
    #[serde(serialize_with = "stringified")]
    pub(crate) query: &'a Value,
    #[serde(rename = "inference?")]
    pub(crate) inference: bool,
}

#[derive(Serialize)]
pub(crate) struct SubscribeBody<'a> {
    #[serde(serialize_with = "stringified")]
    pub(crate) query: &'a Value,
    #[serde(rename = "inference?")]
    pub(crate) inference: bool,
    pub(crate) versions: Versions,
}

#[derive(Serialize)]
pub(crate) struct Versions {
    #[serde(rename = "@instantdb/admin")]
    admin: &'static str,
    #[serde(rename = "@instantdb/core")]
    core: &'static str,
}

impl Versions {
    pub(crate) const CURRENT: Versions = Versions {
        admin: PROTOCOL_VERSION,
        core: PROTOCOL_VERSION,
    };
}

#[derive(Serialize)]
pub(crate) struct TransactBody<'a> {
    pub(crate) steps: &'a Chunks,
    #[serde(rename = "throw-on-missing-attrs?")]
    pub(crate) throw_on_missing_attrs: bool,
}

#[derive(Deserialize)]
pub(crate) struct TxResponse {
    #[serde(rename = "tx-id")]
    pub(crate) tx_id: i64,
}

/// `debugQuery`'s body, keys in upstream's order.
#[derive(Serialize)]
pub(crate) struct QueryPermsCheckBody<'a> {
    #[serde(serialize_with = "stringified")]
    pub(crate) query: &'a Value,
    #[serde(rename = "rules-override", skip_serializing_if = "Option::is_none")]
    pub(crate) rules: Option<&'a Value>,
    #[serde(rename = "inference?")]
    pub(crate) inference: bool,
    #[serde(rename = "ip-override", skip_serializing_if = "Option::is_none")]
    pub(crate) ip: Option<&'a str>,
    #[serde(rename = "origin-override", skip_serializing_if = "Option::is_none")]
    pub(crate) origin: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct QueryPermsCheckResponse {
    #[serde(default)]
    pub(crate) result: Value,
    #[serde(rename = "check-results", default)]
    pub(crate) check_results: Vec<Value>,
}

/// `debugTransact`'s body, keys in upstream's order.
#[derive(Serialize)]
pub(crate) struct TransactPermsCheckBody<'a> {
    pub(crate) steps: &'a Chunks,
    #[serde(rename = "rules-override", skip_serializing_if = "Option::is_none")]
    pub(crate) rules: Option<&'a Value>,
    #[serde(
        rename = "dangerously-commit-tx",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) dangerously_commit: Option<bool>,
    #[serde(rename = "ip-override", skip_serializing_if = "Option::is_none")]
    pub(crate) ip: Option<&'a str>,
    #[serde(rename = "origin-override", skip_serializing_if = "Option::is_none")]
    pub(crate) origin: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct TransactPermsCheckResponse {
    #[serde(rename = "tx-id", default)]
    pub(crate) tx_id: Option<i64>,
    #[serde(rename = "all-checks-ok?", default)]
    pub(crate) all_checks_ok: bool,
    #[serde(rename = "committed?", default)]
    pub(crate) committed: bool,
    #[serde(rename = "check-results", default)]
    pub(crate) check_results: Vec<Value>,
}

/// A user record as the server sends it.
#[derive(Deserialize)]
pub(crate) struct WireUser {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) app_id: Option<String>,
    #[serde(default)]
    pub(crate) created_at: Option<Value>,
    #[serde(rename = "isGuest", default)]
    pub(crate) is_guest: bool,
    #[serde(rename = "type", default)]
    pub(crate) user_type: Option<String>,
    #[serde(rename = "imageURL", default)]
    pub(crate) image_url: Option<String>,
    #[serde(rename = "linkedPrimaryUser", default)]
    pub(crate) linked_primary_user: Option<String>,
    #[serde(default)]
    pub(crate) refresh_token: Option<Secret>,
    #[serde(flatten)]
    pub(crate) extra: Map<String, Value>,
}

#[derive(Deserialize)]
pub(crate) struct UserEnvelope {
    pub(crate) user: Option<WireUser>,
}

#[derive(Deserialize)]
pub(crate) struct DeletedEnvelope {
    pub(crate) deleted: Option<WireUser>,
}

#[derive(Deserialize)]
pub(crate) struct SignedInEnvelope {
    pub(crate) user: WireUser,
    #[serde(default)]
    pub(crate) created: bool,
}

#[derive(Serialize)]
pub(crate) struct CreateTokenBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<&'a str>,
    #[serde(rename = "extra-fields", skip_serializing_if = "Option::is_none")]
    pub(crate) extra_fields: Option<&'a Value>,
}

#[derive(Serialize)]
pub(crate) struct EmailBody<'a> {
    pub(crate) email: &'a str,
}

#[derive(Deserialize)]
pub(crate) struct CodeResponse {
    #[serde(default)]
    pub(crate) code: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct VerifyMagicCodeBody<'a> {
    pub(crate) email: &'a str,
    pub(crate) code: &'a str,
    #[serde(rename = "extra-fields", skip_serializing_if = "Option::is_none")]
    pub(crate) extra_fields: Option<&'a Value>,
    #[serde(rename = "refresh-token", skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct VerifyRefreshTokenBody<'a> {
    #[serde(rename = "app-id")]
    pub(crate) app_id: &'a str,
    #[serde(rename = "refresh-token")]
    pub(crate) refresh_token: &'a str,
}

/// `signOut`'s body: exactly one of the keys.
#[derive(Serialize)]
pub(crate) struct SignOutBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct DataEnvelope<T> {
    pub(crate) data: T,
}

#[derive(Deserialize)]
pub(crate) struct WireUploadedFile {
    pub(crate) id: String,
    #[serde(rename = "location-id", default)]
    pub(crate) location_id: Option<String>,
    #[serde(default)]
    pub(crate) size: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct DeletedFile {
    #[serde(default)]
    pub(crate) id: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct DeletedFiles {
    #[serde(default)]
    pub(crate) ids: Option<Vec<String>>,
}

#[derive(Serialize)]
pub(crate) struct DeleteFilesBody<'a> {
    pub(crate) filenames: &'a [String],
}

#[derive(Serialize)]
pub(crate) struct SignedUploadUrlBody<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) filename: &'a str,
}

/// A row of the legacy `GET /admin/storage/files`.
#[derive(Deserialize)]
pub(crate) struct WireStorageObject {
    pub(crate) key: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) size: Option<u64>,
    #[serde(default)]
    pub(crate) etag: Option<String>,
    #[serde(default)]
    pub(crate) last_modified: Option<Value>,
}

/// A row of a `$files` query.
#[derive(Deserialize)]
pub(crate) struct WireFile {
    pub(crate) id: String,
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) size: Option<u64>,
    #[serde(rename = "content-type", default)]
    pub(crate) content_type: Option<String>,
    #[serde(rename = "content-disposition", default)]
    pub(crate) content_disposition: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct PresenceResponse {
    #[serde(default)]
    pub(crate) sessions: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
pub(crate) struct WirePresenceSession {
    #[serde(rename = "peer-id", default)]
    pub(crate) peer_id: Option<String>,
    #[serde(default)]
    pub(crate) user: Option<WireUser>,
    #[serde(default)]
    pub(crate) data: Value,
}

/// `page-info` of a live query's `result-meta`, per namespace.
#[derive(Deserialize)]
pub(crate) struct WirePageInfo {
    #[serde(rename = "start-cursor", default)]
    pub(crate) start_cursor: Value,
    #[serde(rename = "end-cursor", default)]
    pub(crate) end_cursor: Value,
    #[serde(rename = "has-next-page?", default)]
    pub(crate) has_next_page: bool,
    #[serde(rename = "has-previous-page?", default)]
    pub(crate) has_previous_page: bool,
}
