//! File storage (`db.storage` upstream): streaming uploads, deletes, listings and download
//! URLs.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_core::Stream;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method};
use serde_json::json;
use tokio::io::AsyncRead;

use instantdb_http::{Body, BoxError};

use crate::Call;
use crate::wire::{
    DataEnvelope, DeleteFilesBody, DeletedFile, DeletedFiles, SignedUploadUrlBody, WireFile,
    WireStorageObject, WireUploadedFile,
};
use crate::{AdminClient, Error};

/// The storage API; see [`AdminClient::storage`].
///
/// Uploads and deletes keep the client's impersonation (the `$files` permission rules then
/// decide; with no rule a guest or user is refused); the legacy endpoints always use the admin
/// token, as upstream's do.
#[derive(Debug, Clone)]
pub struct Storage {
    pub(crate) client: AdminClient,
}

/// What to upload: bytes, a file, an `AsyncRead` or a stream of chunks, always with a known
/// length (the upload endpoint needs `content-length`). Files, readers and streams are sent in
/// 64 KiB chunks, in constant memory whatever their size.
pub struct UploadBody(Source);

enum Source {
    Body(Body),
    File(PathBuf),
}

impl UploadBody {
    /// Bytes in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> UploadBody {
        UploadBody(Source::Body(Body::from_bytes(bytes)))
    }

    /// A file, opened when the request is sent; its size at that moment is the
    /// `content-length`. The upload can be retried (the file is re-opened).
    pub fn file(path: impl Into<PathBuf>) -> UploadBody {
        UploadBody(Source::File(path.into()))
    }

    /// Any `AsyncRead` that will yield exactly `length` bytes (the request fails if it yields
    /// more or fewer). Sent once, never retried.
    pub fn reader(reader: impl AsyncRead + Send + 'static, length: u64) -> UploadBody {
        UploadBody(Source::Body(Body::from_reader(reader, Some(length))))
    }

    /// A stream of chunks that adds up to exactly `length` bytes. Sent once, never retried.
    pub fn stream<S, E>(stream: S, length: u64) -> UploadBody
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        UploadBody(Source::Body(Body::from_stream(stream, Some(length))))
    }

    async fn into_body(self) -> Result<Body, Error> {
        let body = match self.0 {
            Source::Body(body) => body,
            Source::File(path) => Body::from_file(path)
                .await
                .map_err(|err| Error::invalid_input(err.to_string()))?,
        };
        if body.content_length().is_none() {
            // Upstream: "fileSize is required in metadata when uploading streams".
            return Err(Error::invalid_input(
                "the upload body has no known length; the upload endpoint needs `content-length` \
                 (use `UploadBody::reader` or `UploadBody::stream` with the size)",
            ));
        }
        Ok(body)
    }
}

impl fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Body(body) => f.debug_tuple("UploadBody").field(body).finish(),
            Source::File(path) => f.debug_tuple("UploadBody::File").field(path).finish(),
        }
    }
}

impl From<Bytes> for UploadBody {
    fn from(bytes: Bytes) -> UploadBody {
        UploadBody::bytes(bytes)
    }
}

impl From<Vec<u8>> for UploadBody {
    fn from(bytes: Vec<u8>) -> UploadBody {
        UploadBody::bytes(bytes)
    }
}

impl From<String> for UploadBody {
    fn from(text: String) -> UploadBody {
        UploadBody::bytes(text)
    }
}

impl From<&'static [u8]> for UploadBody {
    fn from(bytes: &'static [u8]) -> UploadBody {
        UploadBody::bytes(bytes)
    }
}

impl From<&'static str> for UploadBody {
    fn from(text: &'static str) -> UploadBody {
        UploadBody::bytes(text)
    }
}

/// Any transport body; one without a known length is refused when sending.
impl From<Body> for UploadBody {
    fn from(body: Body) -> UploadBody {
        UploadBody(Source::Body(body))
    }
}

/// The stored file: `{id, location-id, size}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedFile {
    /// The `$files` entity id (the same for a re-upload to the same path).
    pub id: String,
    /// Where the bytes are stored (new for every upload).
    pub location_id: Option<String>,
    /// The stored size in bytes.
    pub size: Option<u64>,
}

/// A `$files` entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileInfo {
    /// The entity id.
    pub id: String,
    /// The storage path.
    pub path: String,
    /// A download URL (presigned, valid for 7 days on Instant Cloud).
    pub url: Option<String>,
    /// The size in bytes.
    pub size: Option<u64>,
    /// The content type given at upload.
    pub content_type: Option<String>,
    /// The content disposition given at upload.
    pub content_disposition: Option<String>,
}

impl From<WireFile> for FileInfo {
    fn from(wire: WireFile) -> FileInfo {
        FileInfo {
            id: wire.id,
            path: wire.path,
            url: wire.url,
            size: wire.size,
            content_type: wire.content_type,
            content_disposition: wire.content_disposition,
        }
    }
}

/// An entry of the legacy listing (`GET /admin/storage/files`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StorageObject {
    /// The object key, `<app id>/<bin>/<location id>`.
    pub key: String,
    /// The storage path.
    pub name: String,
    /// The size in bytes.
    pub size: Option<u64>,
    /// The ETag, if the store gives one.
    pub etag: Option<String>,
    /// The last modification time, when the store gives one (an ISO-8601 string or epoch
    /// milliseconds on the wire; anything else is treated as absent).
    pub last_modified: Option<SystemTime>,
}

/// `last_modified` of the legacy listing: the S3 listing's timestamp as the server serializes
/// it (ISO-8601 text, or epoch milliseconds), `null` on Instant today.
fn last_modified(value: Option<serde_json::Value>) -> Option<SystemTime> {
    match value? {
        serde_json::Value::String(text) => humantime::parse_rfc3339_weak(&text).ok(),
        serde_json::Value::Number(ms) => {
            let ms = ms.as_u64()?;
            SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(ms))
        }
        _ => None,
    }
}

/// The `path` header carries the storage path as Latin-1, as browsers' and Node's `fetch`
/// send header values; characters beyond U+00FF cannot travel in a header (upstream's `fetch`
/// throws on them).
fn path_header(path: &str) -> Result<HeaderValue, Error> {
    let mut bytes = Vec::with_capacity(path.len());
    for c in path.chars() {
        match u8::try_from(u32::from(c)) {
            Ok(byte) if byte >= 0x20 && byte != 0x7f => bytes.push(byte),
            _ => {
                return Err(Error::invalid_input(format!(
                    "the storage path {path:?} contains {c:?}, which cannot be sent in the `path` \
                     header (only printable Latin-1 characters can)"
                )));
            }
        }
    }
    if path.trim().is_empty() {
        return Err(Error::invalid_input("the storage path is empty"));
    }
    HeaderValue::from_bytes(&bytes).map_err(|err| Error::invalid_input(err.to_string()))
}

impl Storage {
    /// Uploads `body` to `path` (`PUT /admin/storage/upload`), replacing any file already at
    /// that path; see [`UploadRequest`].
    pub fn upload_file(&self, path: &str, body: impl Into<UploadBody>) -> UploadRequest {
        UploadRequest {
            client: self.client.clone(),
            path: path.to_owned(),
            body: body.into(),
            content_type: None,
            content_disposition: None,
            timeout: None,
        }
    }

    /// Deletes the file at `path` (`DELETE /admin/storage/files`); returns its id, `None` if
    /// there was no file. (Deleting the `$files` entity in a transaction does the same.)
    pub fn delete_file(&self, path: &str) -> Call<Option<String>> {
        let client = self.client.clone();
        let path = path.to_owned();
        Call::new("delete_file", move |options| async move {
            let client = client.with_request_options(options);
            let response: DataEnvelope<DeletedFile> = client
                .admin_request(Method::DELETE, "/admin/storage/files", true)?
                .query("filename", &path)
                .send_json()
                .await?;
            Ok(response.data.id)
        })
    }

    /// Deletes the files at `paths` (`POST /admin/storage/files/delete`); returns the ids of the
    /// deleted files.
    pub fn delete_files<I, S>(&self, paths: I) -> Call<Vec<String>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let client = self.client.clone();
        let paths: Vec<String> = paths.into_iter().map(Into::into).collect();
        Call::new("delete_files", move |options| async move {
            let client = client.with_request_options(options);
            let response: DataEnvelope<DeletedFiles> = client
                .admin_request(Method::POST, "/admin/storage/files/delete", true)?
                .json(&DeleteFilesBody { filenames: &paths })
                .send_json()
                .await?;
            Ok(response.data.ids.unwrap_or_default())
        })
    }

    /// Every file, through a `{"$files": {}}` query (with the client's impersonation, so
    /// `$files` view rules apply).
    pub fn list_files(&self) -> Call<Vec<FileInfo>> {
        self.files_query("list_files", json!({"$files": {}}))
    }

    /// The download URL of the file at `path`, through a `$files` query; `None` when there is no
    /// such file.
    pub fn download_url(&self, path: &str) -> Call<Option<String>> {
        let files = self.files_query(
            "download_url",
            json!({"$files": {"$": {"where": {"path": path}}}}),
        );
        Call::new("download_url", move |options| async move {
            let files = files.with_options(options).send().await?;
            Ok(files.into_iter().find_map(|file| file.url))
        })
    }

    fn files_query(&self, what: &'static str, query: serde_json::Value) -> Call<Vec<FileInfo>> {
        let client = self.client.clone();
        Call::new(what, move |options| async move {
            let client = client.with_request_options(options);
            #[derive(serde::Deserialize)]
            struct Files {
                #[serde(rename = "$files", default)]
                files: Vec<WireFile>,
            }
            let files: Files = client.query(query).send_as().await?;
            Ok(files.files.into_iter().map(FileInfo::from).collect())
        })
    }

    /// The legacy listing (`GET /admin/storage/files`, deprecated upstream in favour of
    /// [`Storage::list_files`]). Admin token only.
    pub fn legacy_list(&self) -> Call<Vec<StorageObject>> {
        let client = self.client.clone();
        Call::new("legacy_list", move |options| async move {
            let client = client.with_request_options(options);
            let response: DataEnvelope<Vec<WireStorageObject>> = client
                .admin_request(Method::GET, "/admin/storage/files", false)?
                .send_json()
                .await?;
            Ok(response
                .data
                .into_iter()
                .map(|object| StorageObject {
                    key: object.key,
                    name: object.name,
                    size: object.size,
                    etag: object.etag,
                    last_modified: last_modified(object.last_modified),
                })
                .collect())
        })
    }

    /// A presigned download URL from the legacy endpoint
    /// (`GET /admin/storage/signed-download-url`, deprecated upstream in favour of
    /// [`Storage::download_url`]). Admin token only.
    pub fn legacy_download_url(&self, path: &str) -> Call<Option<String>> {
        let client = self.client.clone();
        let path = path.to_owned();
        Call::new("legacy_download_url", move |options| async move {
            let client = client.with_request_options(options);
            let response: DataEnvelope<Option<String>> = client
                .admin_request(Method::GET, "/admin/storage/signed-download-url", false)?
                .query("filename", &path)
                .send_json()
                .await?;
            Ok(response.data)
        })
    }

    /// The legacy two-step upload (deprecated upstream in favour of [`Storage::upload_file`]):
    /// asks for a presigned URL (`POST /admin/storage/signed-upload-url`), then `PUT`s the bytes
    /// there with only `content-type`. Returns whether the store accepted them (any 2xx), as
    /// upstream's `ok`. Admin token only.
    pub fn legacy_upload(
        &self,
        path: &str,
        bytes: impl Into<Bytes>,
        content_type: Option<&str>,
    ) -> Call<bool> {
        let client = self.client.clone();
        let path = path.to_owned();
        let bytes: Bytes = bytes.into();
        let content_type = content_type.map(str::to_owned);
        Call::new("legacy_upload", move |options| async move {
            let client = client.with_request_options(options);
            let response: DataEnvelope<String> = client
                .admin_request(Method::POST, "/admin/storage/signed-upload-url", false)?
                .json(&SignedUploadUrlBody {
                    app_id: &client.inner.app_id,
                    filename: &path,
                })
                .send_json()
                .await?;
            let url = url::Url::parse(&response.data).map_err(|err| {
                Error::protocol(format!("the signed upload URL does not parse: {err}"))
            })?;
            let mut request = client
                .inner
                .http
                .request_url(Method::PUT, url)
                .header(http::header::CONTENT_LENGTH, bytes.len())
                .body(Body::from_bytes(bytes))
                .expect_any_success();
            if let Some(content_type) = &content_type {
                request = request.header(CONTENT_TYPE, content_type.as_str());
            }
            match request.send().await {
                Ok(_) => Ok(true),
                Err(err) if err.is_status() => Ok(false),
                Err(err) => Err(err.into()),
            }
        })
    }
}

/// An upload being built; see [`Storage::upload_file`].
///
/// Sends `PUT /admin/storage/upload` with the raw bytes, the `path` header and, when set,
/// `content-type` and `content-disposition`; `content-length` is the body's exact size. Not
/// bounded by the client's total timeout (a large upload may take long); set
/// [`UploadRequest::timeout`] to bound it.
#[derive(Debug)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct UploadRequest {
    pub(crate) client: AdminClient,
    path: String,
    body: UploadBody,
    content_type: Option<String>,
    content_disposition: Option<String>,
    timeout: Option<Duration>,
}

impl UploadRequest {
    /// The `content-type` to store (none by default: the server keeps the store's default).
    pub fn content_type(mut self, content_type: impl Into<String>) -> UploadRequest {
        self.content_type = Some(content_type.into());
        self
    }

    /// The `content-disposition` to store (e.g. `attachment; filename="cat.png"`).
    pub fn content_disposition(mut self, disposition: impl Into<String>) -> UploadRequest {
        self.content_disposition = Some(disposition.into());
        self
    }

    /// Bounds the whole upload (until the server's answer).
    pub fn timeout(mut self, timeout: Duration) -> UploadRequest {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the upload.
    pub async fn send(self) -> Result<UploadedFile, Error> {
        let path = path_header(&self.path)?;
        let body = self.body.into_body().await?;
        let length = body.content_length().unwrap_or_default();
        let mut request = self
            .client
            .admin_request(Method::PUT, "/admin/storage/upload", true)?
            .without_header(CONTENT_TYPE)
            .header("path", path)
            // Explicit, so an empty file is announced as `content-length: 0` too (hyper leaves
            // the header out for an empty body).
            .header(http::header::CONTENT_LENGTH, length);
        if let Some(disposition) = &self.content_disposition {
            request = request.header("content-disposition", disposition.as_str());
        }
        if let Some(content_type) = &self.content_type {
            request = request.header(CONTENT_TYPE, content_type.as_str());
        }
        let response: DataEnvelope<WireUploadedFile> = request
            .body(body)
            // Uploads replace the file at the path, so sending twice is harmless.
            .idempotent(true)
            .timeout(self.timeout)
            .send_json()
            .await?;
        Ok(UploadedFile {
            id: response.data.id,
            location_id: response.data.location_id,
            size: response.data.size,
        })
    }
}
