//! Backups: listing an app's backups and their files (`/dash/apps/:id/backups…`), the storage
//! file listing, and the archive download (in `archive.rs`).

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::SystemTime;

use bytes::{Buf, BytesMut};
use futures_core::Stream;
use instantdb_http::http::Method;
use instantdb_http::{ApiPath, BodyStream};
use instantdb_schema::AppId;
use serde::Deserialize;
use serde_json::Value;

use crate::apps::timestamp;
use crate::call::{Call, Endpoint, decode};
use crate::client::Headers;
use crate::time::parse_timestamp;
use crate::{Error, PlatformClient};
use instantdb_http::RequestOptions;

/// The longest NDJSON line of a storage listing that is accepted (a record is a few hundred
/// bytes; this only bounds memory against a broken server).
const MAX_LISTING_LINE: usize = 1024 * 1024;

/// A point-in-time snapshot of an app.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backup {
    /// The backup id.
    pub id: String,
    /// The Instant sequence number the snapshot was taken at.
    pub isn: String,
    /// When the snapshot was taken.
    pub backup_at: SystemTime,
    /// Total size of the app's storage files at backup time, in bytes.
    pub files_size: Option<u64>,
    /// Size of the app's database at backup time, in bytes.
    pub db_size: Option<u64>,
    /// Uncompressed size of the backup's entity files, in bytes.
    pub uncompressed_size: Option<u64>,
    /// A label such as "Automated Daily Snapshot".
    pub description: Option<String>,
    /// When the backup stops being downloadable.
    pub expires_at: Option<SystemTime>,
}

impl Backup {
    /// Upstream's `backupZipName`: `instant-backup-2024-01-02T03-04-05-000Z.zip`.
    pub fn zip_name(&self) -> String {
        let iso = humantime::format_rfc3339_millis(self.backup_at).to_string();
        format!("instant-backup-{}.zip", iso.replace([':', '.'], "-"))
    }

    /// Upstream's `estimateZipSize`: the range the archive's size should fall in, from
    /// everything compressing 4× to nothing compressing. `None` without sizes.
    pub fn estimated_zip_size(&self) -> Option<(u64, u64)> {
        let backup_bytes = self.uncompressed_size.or(self.db_size)?;
        let max = backup_bytes.checked_add(self.files_size?)?;
        Some(((max as f64 / 4.0).round() as u64, max))
    }
}

/// Upstream's `formatFileSize`: decimal units as Finder shows them (`999 B`, `1.23 KB`,
/// `45.6 MB`, `789 GB`).
///
/// ```
/// assert_eq!(instantdb_platform::format_file_size(1_234_567), "1.23 MB");
/// ```
pub fn format_file_size(bytes: u64) -> String {
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    value /= 1000.0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let digits = |v: f64| {
        if v < 10.0 {
            2
        } else if v < 100.0 {
            1
        } else {
            0
        }
    };
    let mut places = digits(value);
    let rounded: f64 = format!("{value:.places$}").parse().unwrap_or(value);
    if rounded >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
        places = 2;
    }
    format!("{value:.places$} {}", UNITS[unit])
}

/// A file of a backup's payload: `config.json` or an `entities/<etype>.jsonl` shard.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackupFile {
    /// Its name, also its path in the archive.
    pub name: String,
    /// Its stored (zstd-compressed) size in bytes.
    pub size: u64,
}

/// A storage file captured in a backup.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorageFile {
    /// The stable id of the file's blob; the archive stores it as `files/<location_id>`.
    pub location_id: String,
    /// The path the file was uploaded to.
    pub path: Option<String>,
    /// A presigned download URL, valid for 12 hours.
    pub url: String,
}

// ---- wire ----

#[derive(Deserialize)]
struct BackupRow {
    id: String,
    isn: Value,
    backup_at: String,
    #[serde(default)]
    files_size: Option<u64>,
    #[serde(default)]
    db_size: Option<u64>,
    #[serde(default)]
    uncompressed_size: Option<u64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    expires_at: Option<String>,
}

#[derive(Deserialize)]
struct BackupsResponse {
    #[serde(default)]
    backups: Vec<BackupRow>,
}

#[derive(Deserialize)]
struct FileRow {
    name: String,
    #[serde(default)]
    size: u64,
}

#[derive(Deserialize)]
struct FilesResponse {
    #[serde(default)]
    files: Vec<FileRow>,
}

#[derive(Deserialize)]
struct FileUrlResponse {
    url: String,
}

fn to_backups(value: Value, endpoint: &str) -> Result<Vec<Backup>, Error> {
    decode::<BackupsResponse>(value, endpoint)?
        .backups
        .into_iter()
        .map(|row| {
            Ok(Backup {
                backup_at: timestamp(endpoint, "backup_at", &row.backup_at)?,
                id: row.id,
                isn: match row.isn {
                    Value::String(isn) => isn,
                    other => other.to_string(),
                },
                files_size: row.files_size,
                db_size: row.db_size,
                uncompressed_size: row.uncompressed_size,
                description: row.description,
                expires_at: row.expires_at.as_deref().and_then(parse_timestamp),
            })
        })
        .collect()
}

fn to_files(value: Value, endpoint: &str) -> Result<Vec<BackupFile>, Error> {
    Ok(decode::<FilesResponse>(value, endpoint)?
        .files
        .into_iter()
        .map(|row| BackupFile {
            name: row.name,
            size: row.size,
        })
        .collect())
}

fn to_url(value: Value, endpoint: &str) -> Result<String, Error> {
    Ok(decode::<FileUrlResponse>(value, endpoint)?.url)
}

/// An app's backups (read-only; scope `data-read`). Get one with [`PlatformClient::backups`].
///
/// An archive's entries come in the order a restore needs: `config.json`, then every
/// `entities/<etype>.jsonl` shard, then the storage blobs as `files/<locationId>`.
/// [`download_archive`](Backups::download_archive) writes it end to end;
/// [`list_files`](Backups::list_files), [`file_url`](Backups::file_url) and
/// [`storage_files`](Backups::storage_files) are the pieces for a custom pipeline.
///
/// ```no_run
/// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
/// let backups = api.backups(app_id);
/// for backup in backups.list().send().await? {
///     println!("{} {:?} {}", backup.id, backup.description, backup.zip_name());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Backups {
    pub(crate) api: PlatformClient,
    pub(crate) app_id: AppId,
}

impl Backups {
    fn path(&self) -> ApiPath {
        ApiPath::new("/dash/apps")
            .segment(&self.app_id)
            .segment("backups")
    }

    fn backup_path(&self, backup_id: &str) -> ApiPath {
        self.path().segment(backup_id)
    }

    /// The app id.
    pub fn app_id(&self) -> &AppId {
        &self.app_id
    }

    /// The app's downloadable backups, newest first.
    pub fn list(&self) -> Call<Vec<Backup>> {
        Endpoint::new(
            &self.api,
            Method::GET,
            self.path(),
            Headers::Platform,
            to_backups,
        )
        .call("backups.list")
    }

    /// A backup's entity files (`config.json` first, then the shards), in archive order.
    pub fn list_files(&self, backup_id: &str) -> Call<Vec<BackupFile>> {
        Endpoint::new(
            &self.api,
            Method::GET,
            self.backup_path(backup_id).segment("files"),
            Headers::Platform,
            to_files,
        )
        .call("backups.list_files")
    }

    /// A presigned URL for one entity file, valid for an hour. The file is served
    /// zstd-compressed (`Content-Encoding: zstd`).
    pub fn file_url(&self, backup_id: &str, name: &str) -> Call<String> {
        Endpoint::new(
            &self.api,
            Method::GET,
            self.backup_path(backup_id).segment("file-url"),
            Headers::Platform,
            to_url,
        )
        .set_query("name", name.to_owned())
        .call("backups.file_url")
    }

    /// The backup's storage files, streamed from the server's NDJSON listing.
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    ///
    /// # async fn example(backups: instantdb_platform::Backups, backup_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let mut files = backups.storage_files(backup_id).send().await?;
    /// while let Some(file) = files.try_next().await? {
    ///     println!("{} {:?}", file.location_id, file.path);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn storage_files(&self, backup_id: &str) -> ListStorageFiles {
        ListStorageFiles {
            backups: self.clone(),
            backup_id: backup_id.to_owned(),
            options: RequestOptions::default(),
        }
    }
}

impl PlatformClient {
    /// The backups of an app.
    pub fn backups(&self, app_id: impl Into<AppId>) -> Backups {
        Backups {
            api: self.clone(),
            app_id: app_id.into(),
        }
    }
}

/// Request builder of [`Backups::storage_files`].
#[derive(Clone, Debug)]
#[must_use = "call .send().await"]
pub struct ListStorageFiles {
    backups: Backups,
    backup_id: String,
    options: RequestOptions,
}

impl ListStorageFiles {
    /// Per-call settings.
    pub fn with_options(mut self, options: RequestOptions) -> ListStorageFiles {
        self.options = options;
        self
    }

    /// Sends the request and returns the listing as a stream once the server has answered.
    pub async fn send(self) -> Result<StorageFiles, Error> {
        let api = &self.backups.api;
        let path = self
            .backups
            .backup_path(&self.backup_id)
            .segment("storage-files");
        let response = api
            .with_auth(|token| {
                let request = api.request(
                    Method::GET,
                    path.clone(),
                    Headers::Platform,
                    Some(&token),
                    &self.options,
                );
                async move { Ok(request.send().await?) }
            })
            .await?;
        Ok(StorageFiles {
            body: Some(response.bytes_stream()),
            buffer: BytesMut::new(),
        })
    }
}

/// The storage files of a backup, read as they arrive.
///
/// The server ends a complete listing with `{"done":true}`; a listing that ends without it is
/// an error ("Storage file listing ended before it finished. Please retry the download."), and
/// so is a record whose `locationId` is empty, `.`/`..`, or contains `/`, `\` or a control
/// character, or whose `url` is empty, since either would corrupt an archive.
pub struct StorageFiles {
    body: Option<BodyStream>,
    buffer: BytesMut,
}

const LISTING_TRUNCATED: &str =
    "Storage file listing ended before it finished. Please retry the download.";
const LISTING_MALFORMED: &str =
    "Storage file listing returned a malformed record. Please retry the download.";

enum Line {
    Done,
    File(StorageFile),
}

fn parse_line(line: &[u8]) -> Result<Line, Error> {
    let value: Value =
        serde_json::from_slice(line).map_err(|_| Error::backup(LISTING_MALFORMED))?;
    if value.get("done") == Some(&Value::Bool(true)) {
        return Ok(Line::Done);
    }
    let location_id = value
        .get("locationId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let url = value.get("url").and_then(Value::as_str).unwrap_or("");
    let bad_location = location_id.is_empty()
        || location_id == "."
        || location_id == ".."
        || location_id
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_ascii_control());
    if bad_location || url.is_empty() {
        return Err(Error::backup(LISTING_MALFORMED));
    }
    Ok(Line::File(StorageFile {
        location_id: location_id.to_owned(),
        path: value.get("path").and_then(Value::as_str).map(str::to_owned),
        url: url.to_owned(),
    }))
}

impl StorageFiles {
    /// The next complete, non-blank line in the buffer.
    fn next_line(&mut self) -> Option<BytesMut> {
        loop {
            let newline = self.buffer.iter().position(|b| *b == b'\n')?;
            let mut line = self.buffer.split_to(newline + 1);
            line.truncate(newline);
            if !line.trim_ascii().is_empty() {
                return Some(line);
            }
        }
    }

    fn finish(&mut self, item: Result<Line, Error>) -> Poll<Option<Result<StorageFile, Error>>> {
        match item {
            Ok(Line::File(file)) => Poll::Ready(Some(Ok(file))),
            Ok(Line::Done) => {
                // Closes the connection; anything after the sentinel is ignored, as upstream.
                self.body = None;
                self.buffer.clear();
                Poll::Ready(None)
            }
            Err(err) => {
                self.body = None;
                self.buffer.clear();
                Poll::Ready(Some(Err(err)))
            }
        }
    }
}

impl Stream for StorageFiles {
    type Item = Result<StorageFile, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(line) = this.next_line() {
                let parsed = parse_line(line.trim_ascii());
                return this.finish(parsed);
            }
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            match ready!(Pin::new(body).poll_next(cx)) {
                Some(Ok(chunk)) => {
                    if this.buffer.len() + chunk.len() > MAX_LISTING_LINE && !chunk.contains(&b'\n')
                    {
                        return this.finish(Err(Error::backup(LISTING_MALFORMED)));
                    }
                    this.buffer.extend_from_slice(chunk.chunk());
                }
                Some(Err(err)) => return this.finish(Err(err.into())),
                None => {
                    this.body = None;
                    let rest = std::mem::take(&mut this.buffer);
                    let rest = rest.trim_ascii();
                    if rest.is_empty() {
                        return this.finish(Err(Error::backup(LISTING_TRUNCATED)));
                    }
                    return match parse_line(rest) {
                        Ok(Line::Done) => Poll::Ready(None),
                        // A last record without the sentinel after it: the listing is cut short.
                        Ok(Line::File(_)) => this.finish(Err(Error::backup(LISTING_TRUNCATED))),
                        Err(err) => this.finish(Err(err)),
                    };
                }
            }
        }
    }
}

impl std::fmt::Debug for StorageFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageFiles")
            .field("open", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sizes_read_like_finder() {
        assert_eq!(format_file_size(0), "0 B");
        assert_eq!(format_file_size(999), "999 B");
        assert_eq!(format_file_size(1000), "1.00 KB");
        assert_eq!(format_file_size(1_234_567), "1.23 MB");
        assert_eq!(format_file_size(45_600_000), "45.6 MB");
        assert_eq!(format_file_size(789_000_000_000), "789 GB");
        assert_eq!(format_file_size(999_500), "1.00 MB");
        assert_eq!(format_file_size(5_000_000_000_000_000), "5000 TB");
    }

    #[test]
    fn zip_name_and_estimate() {
        let backup = Backup {
            id: "b".into(),
            isn: "1".into(),
            backup_at: humantime::parse_rfc3339("2024-01-02T03:04:05Z").unwrap(),
            files_size: Some(1234),
            db_size: Some(5678),
            uncompressed_size: Some(9012),
            description: None,
            expires_at: None,
        };
        assert_eq!(
            backup.zip_name(),
            "instant-backup-2024-01-02T03-04-05-000Z.zip"
        );
        assert_eq!(backup.estimated_zip_size(), Some((2562, 10246)));
        let unknown = Backup {
            files_size: None,
            ..backup
        };
        assert_eq!(unknown.estimated_zip_size(), None);
    }

    #[test]
    fn listing_records_are_checked() {
        let file = |line: &str| match parse_line(line.as_bytes()) {
            Ok(Line::File(file)) => Ok(file.location_id),
            Ok(Line::Done) => Ok("<done>".to_owned()),
            Err(err) => Err(err.to_string()),
        };
        assert_eq!(
            file(r#"{"locationId":"loc-1","path":"a/b.png","url":"https://s3/x"}"#).unwrap(),
            "loc-1"
        );
        assert_eq!(file(r#"{"done":true}"#).unwrap(), "<done>");
        for bad in [
            r#"{"locationId":"","url":"u"}"#,
            r#"{"locationId":"..","url":"u"}"#,
            r#"{"locationId":"a/b","url":"u"}"#,
            r#"{"locationId":"a\\b","url":"u"}"#,
            "{\"locationId\":\"a\\u0007\",\"url\":\"u\"}",
            r#"{"locationId":"ok","url":""}"#,
            r#"{"done":"true"}"#,
            "not json",
        ] {
            assert_eq!(file(bad).unwrap_err(), LISTING_MALFORMED, "{bad}");
        }
    }
}
