//! `Backups::download_archive`: a backup as one zip64 archive, in restore order, in bounded
//! memory.
//!
//! Three parts run concurrently, connected by bounded channels:
//! - the storage listing is drained into a queue by a task (upstream does the same, so the
//!   NDJSON connection is not held open while large blobs download);
//! - the *feeder* opens one entry at a time (presigned URL, retried until its first chunk
//!   arrives) and sends its chunks to the writer;
//! - the *writer*, on a blocking thread, zstd-decodes entity files and writes the zip with the
//!   `zip` crate's stream writer (deflate, data descriptors, zip64 sizes, nothing seeked),
//!   sending the archive's bytes back to the *drainer*, which writes them to the file or writer.
//!
//! The channels hold a few chunks each, so memory stays flat however large the backup is.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use instantdb_http::http::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::Error;
use crate::backups::{Backup, BackupFile, Backups, StorageFile};
use crate::error::BoxError;
use crate::progress::{ProgressFuture, ProgressSender};

/// Chunks in flight between the feeder and the writer, and between the writer and the sink.
const CHANNEL_CHUNKS: usize = 8;
/// Archive bytes are sent to the sink in chunks of about this size.
const OUTPUT_CHUNK: usize = 64 * 1024;
/// Progress reports between phase changes are at least this far apart (upstream's 100 ms).
const REPORT_INTERVAL: Duration = Duration::from_millis(100);
/// Unread progress reports kept; older ones are dropped (the latest counts matter).
const DOWNLOAD_REPORTS: usize = 64;
/// The zstd frame magic number, little-endian.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Failures that only echo another part's failure (a channel closed because its other end
/// stopped); the root cause is reported instead.
const STOPPED_WRITER: &str = "the archive writer stopped";
const STOPPED_FEEDER: &str = "the download stopped";
const STOPPED_SINK: &str = "the archive destination stopped";
/// The cap of the backoff between attempts to open an entry (upstream's).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// How the archive's entries are compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArchiveCompression {
    /// Deflate (the default; what most zip tools and zip.js write). Entity files shrink a lot.
    #[default]
    Deflated,
    /// No compression: fastest, largest.
    Stored,
}

/// Where a download stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadProgress {
    /// Entity shards written.
    pub entities_completed: usize,
    /// Entity shards in the backup (`config.json` not counted), once listed.
    pub entities_total: Option<usize>,
    /// Storage files written.
    pub files_completed: usize,
    /// Storage files discovered so far.
    pub files_discovered: usize,
    /// Storage files in the backup, once the listing is complete.
    pub files_total: Option<usize>,
    /// Archive bytes written to the destination.
    pub zip_bytes: u64,
    /// Uncompressed bytes read from the entries' bodies.
    pub bytes_read: u64,
    /// The backup's uncompressed size plus its files' size, when the backup row has them: the
    /// denominator of `bytes_read`.
    pub bytes_total: Option<u64>,
    /// The entity file being written, or empty.
    pub current_entity: String,
    /// The storage file being written (its path, or its location id), or empty.
    pub current_file: String,
}

/// What a finished download wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadResult {
    /// Entity shards written (`config.json` not counted).
    pub entities: usize,
    /// Storage files written.
    pub files: usize,
    /// The archive's size in bytes.
    pub zip_bytes: u64,
}

/// A running backup download: a [`Future`](std::future::Future) of its [`DownloadResult`] and a
/// [`Stream`](futures_core::Stream) of [`DownloadProgress`] reports (at most one per 100 ms,
/// plus one per phase change). See [`ProgressFuture`].
pub type ArchiveDownload = ProgressFuture<DownloadProgress, DownloadResult>;

/// A body opened by a [`DownloadArchive::fetch_body_with`] fetcher.
pub struct FetchedBody {
    content_encoding: Option<String>,
    stream: Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>,
}

impl FetchedBody {
    /// A body from a stream of chunks.
    pub fn new<S>(stream: S) -> FetchedBody
    where
        S: Stream<Item = Result<Bytes, BoxError>> + Send + 'static,
    {
        FetchedBody {
            content_encoding: None,
            stream: Box::pin(stream),
        }
    }

    /// A body held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> FetchedBody {
        let bytes = bytes.into();
        FetchedBody::new(futures_util::stream::iter(
            (!bytes.is_empty()).then_some(Ok(bytes)),
        ))
    }

    /// The response's `Content-Encoding`; `zstd` makes the body be decoded. Entity files are
    /// also decoded when they start with the zstd magic number.
    pub fn content_encoding(mut self, encoding: impl Into<String>) -> FetchedBody {
        self.content_encoding = Some(encoding.into());
        self
    }
}

impl std::fmt::Debug for FetchedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchedBody")
            .field("content_encoding", &self.content_encoding)
            .finish_non_exhaustive()
    }
}

type Fetcher = Arc<
    dyn Fn(
            String,
        )
            -> Pin<Box<dyn std::future::Future<Output = Result<FetchedBody, BoxError>> + Send>>
        + Send
        + Sync,
>;

/// Request builder of [`Backups::download_archive`]; ends with
/// [`to_file`](DownloadArchive::to_file) or [`to_writer`](DownloadArchive::to_writer).
#[must_use = "call .to_file(path) or .to_writer(writer) and await the result"]
pub struct DownloadArchive {
    backups: Backups,
    backup: Backup,
    compression: ArchiveCompression,
    attempts: u32,
    retry_delay: Duration,
    fetcher: Option<Fetcher>,
}

impl std::fmt::Debug for DownloadArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadArchive")
            .field("backup", &self.backup.id)
            .field("compression", &self.compression)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl Backups {
    /// Downloads a backup into one zip archive: `config.json`, then every
    /// `entities/<etype>.jsonl` shard (zstd-decoded), then every storage file as
    /// `files/<locationId>`, each dated `backup_at`. Entries use zip64 extra fields, so
    /// archives and entries beyond 4 GiB work.
    ///
    /// Opening an entry (its presigned URL, the response, the first chunk) is tried 3 times
    /// with a backoff of 500 ms doubling up to 5 s; a failure once bytes flow fails the
    /// download. Memory use does not grow with the backup's size.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    ///
    /// # async fn example(api: instantdb_platform::PlatformClient, app_id: &str) -> Result<(), instantdb_platform::Error> {
    /// let backups = api.backups(app_id);
    /// let Some(backup) = backups.list().send().await?.into_iter().next() else { return Ok(()) };
    /// let mut download = backups.download_archive(&backup).to_file(backup.zip_name());
    /// while let Some(progress) = download.next().await {
    ///     println!("{}/{:?} bytes", progress.bytes_read, progress.bytes_total);
    /// }
    /// let result = download.await?;
    /// println!("{} entities, {} files, {} bytes", result.entities, result.files, result.zip_bytes);
    /// # Ok(())
    /// # }
    /// ```
    pub fn download_archive(&self, backup: &Backup) -> DownloadArchive {
        DownloadArchive {
            backups: self.clone(),
            backup: backup.clone(),
            compression: ArchiveCompression::default(),
            attempts: 3,
            retry_delay: Duration::from_millis(500),
            fetcher: None,
        }
    }
}

impl DownloadArchive {
    /// How entries are compressed (default deflate).
    pub fn compression(mut self, compression: ArchiveCompression) -> DownloadArchive {
        self.compression = compression;
        self
    }

    /// Tries to open each entry `attempts` times (at least 1; default 3), waiting `delay`,
    /// then twice as long each time, up to 5 s (default 500 ms).
    pub fn retry(mut self, attempts: u32, delay: Duration) -> DownloadArchive {
        self.attempts = attempts.max(1);
        self.retry_delay = delay;
        self
    }

    /// Fetches presigned URLs with this function instead of the client's HTTP stack (a
    /// different proxy, a mirror, a test double). It gets the URL and returns the body, failing
    /// on a non-success status.
    pub fn fetch_body_with<F, Fut>(mut self, fetcher: F) -> DownloadArchive
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<FetchedBody, BoxError>> + Send + 'static,
    {
        self.fetcher = Some(Arc::new(move |url| Box::pin(fetcher(url))));
        self
    }

    /// Writes the archive to `path`, through `<path>.part`, which is renamed when the archive
    /// is complete and removed if the download fails or is dropped.
    pub fn to_file(self, path: impl AsRef<Path>) -> ArchiveDownload {
        let path = path.as_ref().to_path_buf();
        ProgressFuture::new(DOWNLOAD_REPORTS, move |progress| async move {
            let part = part_path(&path);
            let mut guard = PartFile(Some(part.clone()));
            let file = tokio::fs::File::create(&part).await.map_err(|err| {
                Error::backup_with(format!("cannot create {}", part.display()), err.into())
            })?;
            let result = self.run(file, progress).await?;
            tokio::fs::rename(&part, &path).await.map_err(|err| {
                Error::backup_with(
                    format!("cannot rename {} to {}", part.display(), path.display()),
                    err.into(),
                )
            })?;
            guard.0 = None;
            Ok(result)
        })
    }

    /// Writes the archive to `writer` (flushed at the end, not shut down). On failure the
    /// writer holds a partial archive: discard it.
    pub fn to_writer<W>(self, writer: W) -> ArchiveDownload
    where
        W: AsyncWrite + Unpin + Send + 'static,
    {
        ProgressFuture::new(DOWNLOAD_REPORTS, move |progress| self.run(writer, progress))
    }

    async fn run<W>(
        self,
        mut sink: W,
        progress: ProgressSender<DownloadProgress>,
    ) -> Result<DownloadResult, Error>
    where
        W: AsyncWrite + Unpin + Send,
    {
        let tracker = Tracker::new(&self.backup, progress);
        // Requested first and drained concurrently, as upstream, so the listing's connection
        // closes early.
        let listing = self.backups.storage_files(&self.backup.id).send().await?;
        let (files_tx, mut files_rx) = mpsc::unbounded_channel();
        let discovery = DiscoveryTask(tokio::spawn(discover(listing, files_tx, tracker.clone())));

        let files = self.backups.list_files(&self.backup.id).send().await?;
        let Some(first) = files.first() else {
            return Err(Error::backup("No files found for this backup."));
        };
        if first.name != "config.json" {
            return Err(Error::backup(format!(
                "Backup files came back in an unexpected order (expected config.json first, got \"{}\").",
                first.name
            )));
        }
        for file in &files {
            check_entry_name(&file.name)?;
        }
        tracker.update(true, |p| {
            p.entities_total = Some(files.iter().filter(|f| f.name != "config.json").count());
        });

        let (commands, commands_rx) = mpsc::channel(CHANNEL_CHUNKS);
        let (output_tx, output) = mpsc::channel(CHANNEL_CHUNKS);
        let bytes_read = tracker.bytes_read.clone();
        let modified = zip_time(self.backup.backup_at);
        let compression = self.compression;
        let writer = tokio::task::spawn_blocking(move || {
            write_archive(commands_rx, output_tx, bytes_read, modified, compression)
        });

        // Each side owns its channel end, so when one stops the others see the channel close
        // instead of waiting forever.
        let feeder = async {
            let commands = commands;
            let feeder = Feeder {
                download: &self,
                commands: &commands,
                tracker: &tracker,
            };
            for file in &files {
                feeder.entity(file).await?;
            }
            while let Some(next) = files_rx.recv().await {
                feeder.storage_file(next?).await?;
            }
            tracker.update(true, |p| {
                p.current_entity.clear();
                p.current_file.clear();
            });
            commands
                .send(Command::Finish)
                .await
                .map_err(|_| stopped(STOPPED_WRITER))
        };
        let drainer = async {
            let mut output = output;
            while let Some(chunk) = output.recv().await {
                sink.write_all(&chunk)
                    .await
                    .map_err(|err| Error::backup_with("cannot write the archive", err.into()))?;
                tracker.update(false, |p| p.zip_bytes += chunk.len() as u64);
            }
            sink.flush()
                .await
                .map_err(|err| Error::backup_with("cannot write the archive", err.into()))
        };
        let (fed, drained) = futures_util::future::join(feeder, drainer).await;
        let written = match writer.await {
            Ok(result) => result,
            Err(err) => Err(Error::backup(format!("the archive writer failed: {err}"))),
        };
        // One failure makes the other parts stop too; report the one that is not an echo.
        let failures: Vec<Error> = [drained.err(), fed.err(), written.err()]
            .into_iter()
            .flatten()
            .collect();
        if let Some(root) = failures.iter().position(|err| !is_echo(err)) {
            return Err(failures
                .into_iter()
                .nth(root)
                .unwrap_or_else(|| stopped(STOPPED_FEEDER)));
        }
        if let Some(err) = failures.into_iter().next() {
            return Err(err);
        }
        drop(discovery);

        let done = tracker.update(true, |p| {
            p.current_entity.clear();
            p.current_file.clear();
        });
        Ok(DownloadResult {
            entities: done.entities_completed,
            files: done.files_completed,
            zip_bytes: done.zip_bytes,
        })
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

/// Removes the partial file unless the download completed.
struct PartFile(Option<PathBuf>);

impl Drop for PartFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Aborts the storage listing task when the download ends or is dropped.
struct DiscoveryTask(tokio::task::JoinHandle<()>);

impl Drop for DiscoveryTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An entity file's name becomes an archive path; refuse names that would climb out of it.
fn check_entry_name(name: &str) -> Result<(), Error> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.chars().any(|c| c.is_ascii_control())
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(Error::backup(format!(
            "the backup lists a file with an invalid name: {name:?}"
        )));
    }
    Ok(())
}

async fn discover(
    mut listing: crate::StorageFiles,
    files: mpsc::UnboundedSender<Result<StorageFile, Error>>,
    tracker: Tracker,
) {
    while let Some(item) = listing.next().await {
        let failed = item.is_err();
        if item.is_ok() {
            tracker.update(false, |p| p.files_discovered += 1);
        }
        if files.send(item).is_err() || failed {
            return;
        }
    }
    tracker.update(true, |p| p.files_total = Some(p.files_discovered));
}

/// Shared progress counters; reports go out at most every 100 ms unless forced.
#[derive(Clone)]
struct Tracker {
    state: Arc<Mutex<(DownloadProgress, Option<Instant>)>>,
    bytes_read: Arc<AtomicU64>,
    progress: ProgressSender<DownloadProgress>,
}

impl Tracker {
    fn new(backup: &Backup, progress: ProgressSender<DownloadProgress>) -> Tracker {
        let initial = DownloadProgress {
            bytes_total: backup
                .uncompressed_size
                .map(|size| size.saturating_add(backup.files_size.unwrap_or(0))),
            ..DownloadProgress::default()
        };
        Tracker {
            state: Arc::new(Mutex::new((initial, None))),
            bytes_read: Arc::new(AtomicU64::new(0)),
            progress,
        }
    }

    /// Applies `change`, sends a report if `force` or if the last one is old enough, and
    /// returns the current state.
    fn update(&self, force: bool, change: impl FnOnce(&mut DownloadProgress)) -> DownloadProgress {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut state.0);
        state.0.bytes_read = self.bytes_read.load(Ordering::Relaxed);
        let due = state.1.is_none_or(|last| last.elapsed() >= REPORT_INTERVAL);
        if force || due {
            state.1 = Some(Instant::now());
            self.progress.send(state.0.clone());
        }
        state.0.clone()
    }
}

/// Messages from the feeder to the blocking archive writer.
enum Command {
    Start { name: String, decode: Decode },
    Chunk(Bytes),
    End,
    Finish,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Decode {
    /// Copy the bytes as they come.
    None,
    /// zstd frames.
    Zstd,
    /// zstd if the body starts with the magic number (an entity file whose response had no
    /// `Content-Encoding`).
    Sniff,
}

struct Feeder<'a> {
    download: &'a DownloadArchive,
    commands: &'a mpsc::Sender<Command>,
    tracker: &'a Tracker,
}

/// An entry's body, opened: its first chunk already read.
struct Opened {
    decode: Decode,
    first: Option<Bytes>,
    rest: Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>,
}

impl Feeder<'_> {
    async fn entity(&self, file: &BackupFile) -> Result<(), Error> {
        let backups = &self.download.backups;
        let backup_id = &self.download.backup.id;
        let opened = self
            .open(
                true,
                |message| format!("Failed to fetch {}: {message}.", file.name),
                || async {
                    let url = backups
                        .file_url(backup_id, &file.name)
                        .send()
                        .await
                        .map_err(BoxError::from)?;
                    self.fetch(url).await
                },
            )
            .await?;
        self.tracker.update(true, |p| {
            p.current_entity = file.name.clone();
            p.current_file.clear();
        });
        self.write(&file.name, opened).await?;
        let is_shard = file.name != "config.json";
        self.tracker.update(true, |p| {
            if is_shard {
                p.entities_completed += 1;
            }
        });
        Ok(())
    }

    async fn storage_file(&self, file: StorageFile) -> Result<(), Error> {
        let label = file
            .path
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| file.location_id.clone());
        let opened = self
            .open(
                false,
                |message| format!("Couldn't download storage file \"{label}\" ({message})."),
                || self.fetch(file.url.clone()),
            )
            .await?;
        self.tracker.update(true, |p| {
            p.current_entity.clear();
            p.current_file = label.clone();
        });
        self.write(&format!("files/{}", file.location_id), opened)
            .await?;
        self.tracker.update(true, |p| p.files_completed += 1);
        Ok(())
    }

    async fn fetch(&self, url: String) -> Result<FetchedBody, BoxError> {
        if let Some(fetcher) = &self.download.fetcher {
            return fetcher(url).await;
        }
        let parsed = url::Url::parse(&url)?;
        let response = self
            .download
            .backups
            .api
            .http_client()
            .request_url(Method::GET, parsed)
            .send()
            .await?;
        let content_encoding = response
            .headers()
            .get("content-encoding")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let stream = response
            .bytes_stream()
            .map(|chunk| chunk.map_err(BoxError::from));
        Ok(FetchedBody {
            content_encoding,
            stream: Box::pin(stream),
        })
    }

    /// Opens a body, retrying with backoff until its first chunk arrives.
    async fn open<Describe, Open, Fut>(
        &self,
        entity: bool,
        describe: Describe,
        mut open: Open,
    ) -> Result<Opened, Error>
    where
        Describe: Fn(&str) -> String,
        Open: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<FetchedBody, BoxError>>,
    {
        let attempts = self.download.attempts.max(1);
        let mut delay = self.download.retry_delay;
        let mut last_error: Option<BoxError> = None;
        for attempt in 1..=attempts {
            let result = async {
                let mut body = open().await?;
                let first = body.stream.next().await.transpose()?;
                Ok::<_, BoxError>((body, first))
            }
            .await;
            match result {
                Ok((body, first)) => {
                    let zstd = body
                        .content_encoding
                        .as_deref()
                        .is_some_and(|encoding| encoding.to_ascii_lowercase().contains("zstd"));
                    let decode = match (zstd, entity) {
                        (true, _) => Decode::Zstd,
                        (false, true) => Decode::Sniff,
                        (false, false) => Decode::None,
                    };
                    return Ok(Opened {
                        decode,
                        first,
                        rest: body.stream,
                    });
                }
                Err(err) => {
                    tracing::debug!(attempt, error = %err, "opening a backup entry failed");
                    last_error = Some(err);
                    if attempt < attempts {
                        tokio::time::sleep(delay.min(MAX_RETRY_DELAY)).await;
                        delay = delay.saturating_mul(2);
                    }
                }
            }
        }
        let message = last_error.map(|err| err.to_string()).unwrap_or_default();
        Err(Error::backup(describe(&message)))
    }

    async fn write(&self, name: &str, opened: Opened) -> Result<(), Error> {
        let stopped = || stopped(STOPPED_WRITER);
        self.commands
            .send(Command::Start {
                name: name.to_owned(),
                decode: opened.decode,
            })
            .await
            .map_err(|_| stopped())?;
        if let Some(first) = opened.first {
            self.commands
                .send(Command::Chunk(first))
                .await
                .map_err(|_| stopped())?;
        }
        let mut rest = opened.rest;
        while let Some(chunk) = rest.next().await {
            let chunk = chunk
                .map_err(|err| Error::backup_with(format!("Failed to download {name}"), err))?;
            self.commands
                .send(Command::Chunk(chunk))
                .await
                .map_err(|_| stopped())?;
            self.tracker.update(false, |_| {});
        }
        self.commands
            .send(Command::End)
            .await
            .map_err(|_| stopped())
    }
}

/// The DOS timestamp of `time` (zip's 1980–2107 range, 2-second resolution; UTC, as most tools
/// write it): years out of range are clamped, anything unrepresentable becomes 1980-01-01.
fn zip_time(time: SystemTime) -> zip::DateTime {
    let text = humantime::format_rfc3339_seconds(time).to_string();
    let field = |range: std::ops::Range<usize>| {
        text.get(range)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let narrow = |v: u16| u8::try_from(v).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        field(0..4).clamp(1980, 2107),
        narrow(field(5..7)),
        narrow(field(8..10)),
        narrow(field(11..13)),
        narrow(field(14..16)),
        narrow(field(17..19)),
    )
    .unwrap_or_default()
}

// ---- the blocking writer ----

/// Sends the archive's bytes to the drainer in chunks.
struct ChannelWriter {
    output: mpsc::Sender<Bytes>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(OUTPUT_CHUNK),
        ));
        self.output
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, STOPPED_SINK))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= OUTPUT_CHUNK {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

/// Reads one entry's chunks from the command channel, until `End`.
struct EntryReader<'a> {
    commands: &'a mut mpsc::Receiver<Command>,
    current: Bytes,
    ended: bool,
}

impl Read for EntryReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.commands.blocking_recv() {
                Some(Command::Chunk(chunk)) => self.current = chunk,
                Some(Command::End) => self.ended = true,
                Some(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "an entry was not ended",
                    ));
                }
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the download stopped",
                    ));
                }
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Counts the uncompressed bytes going into the zip entry.
struct Counting<'a, W: Write> {
    inner: &'a mut W,
    count: &'a AtomicU64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn write_archive(
    mut commands: mpsc::Receiver<Command>,
    output: mpsc::Sender<Bytes>,
    bytes_read: Arc<AtomicU64>,
    modified: zip::DateTime,
    compression: ArchiveCompression,
) -> Result<(), Error> {
    let sink = ChannelWriter {
        output,
        buffer: Vec::with_capacity(OUTPUT_CHUNK),
    };
    // The stream writer never seeks: sizes and CRCs follow each entry in a data descriptor, so
    // the archive can go to a channel (and on to a pipe or a socket).
    let mut zip = zip::ZipWriter::new_stream(sink);
    let options = SimpleFileOptions::default()
        .compression_method(match compression {
            ArchiveCompression::Deflated => CompressionMethod::Deflated,
            ArchiveCompression::Stored => CompressionMethod::Stored,
        })
        .last_modified_time(modified)
        .unix_permissions(0o644)
        // Sizes are unknown when an entry starts, and any storage file may pass 4 GiB: zip64
        // sizes for every entry (20 bytes each) rather than a failure at the 4 GiB mark.
        .large_file(true);
    loop {
        match commands.blocking_recv() {
            Some(Command::Start { name, decode }) => {
                // Also ends the previous entry (its data descriptor).
                zip.start_file(name.as_str(), options)
                    .map_err(|err| zip_error(&name, err.into()))?;
                let mut reader = EntryReader {
                    commands: &mut commands,
                    current: Bytes::new(),
                    ended: false,
                };
                let mut counting = Counting {
                    inner: &mut zip,
                    count: &bytes_read,
                };
                copy_entry(&mut reader, &mut counting, decode)
                    .map_err(|err| zip_error(&name, err))?;
            }
            Some(Command::Finish) => {
                let mut sink = zip
                    .finish()
                    .map_err(|err| zip_error("the central directory", err.into()))?
                    .into_inner();
                return sink
                    .flush()
                    .map_err(|err| zip_error("the central directory", err.into()));
            }
            Some(Command::Chunk(_) | Command::End) => {
                return Err(Error::backup(
                    "the archive writer got data outside an entry",
                ));
            }
            // The feeder stopped (it failed, or the download was dropped).
            None => return Err(stopped(STOPPED_FEEDER)),
        }
    }
}

fn stopped(message: &'static str) -> Error {
    Error::backup(message)
}

fn is_echo(err: &Error) -> bool {
    let text = err.to_string();
    [STOPPED_WRITER, STOPPED_FEEDER, STOPPED_SINK]
        .iter()
        .any(|echo| text.contains(echo))
}

fn zip_error(name: &str, err: BoxError) -> Error {
    Error::backup_with(format!("cannot write {name} to the archive"), err)
}

/// Copies one entry's body into the zip, decoding zstd frames if asked.
fn copy_entry(
    reader: &mut EntryReader<'_>,
    out: &mut impl Write,
    decode: Decode,
) -> Result<(), BoxError> {
    let mut input = BufReader::with_capacity(64 * 1024, reader);
    let zstd = match decode {
        Decode::None => false,
        Decode::Zstd => true,
        Decode::Sniff => input.fill_buf()?.starts_with(&ZSTD_MAGIC),
    };
    if !zstd {
        io::copy(&mut input, out)?;
        return Ok(());
    }
    // A body may hold several frames back to back.
    while !input.fill_buf()?.is_empty() {
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(&mut input)
            .map_err(|err| format!("invalid zstd data: {err}"))?;
        io::copy(&mut decoder, out).map_err(|err| format!("invalid zstd data: {err}"))?;
        let frame = decoder.into_frame_decoder();
        if let (Some(expected), Some(actual)) = (
            frame.get_checksum_from_data(),
            frame.get_calculated_checksum(),
        ) && expected != actual
        {
            return Err("zstd checksum mismatch".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_cannot_escape() {
        assert!(check_entry_name("config.json").is_ok());
        assert!(check_entry_name("entities/goals.jsonl").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "entities/../../x",
            "a\\b",
            "a//b",
            "a\u{0}b",
            "entities/",
        ] {
            assert!(check_entry_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn part_files_sit_beside_the_target() {
        assert_eq!(
            part_path(Path::new("/tmp/x/backup.zip")),
            Path::new("/tmp/x/backup.zip.part")
        );
        assert_eq!(part_path(Path::new("b.zip")), Path::new("b.zip.part"));
    }

    fn zip_date(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> zip::DateTime {
        zip::DateTime::from_date_and_time(year, month, day, hour, minute, second).unwrap()
    }

    #[test]
    fn dos_times() {
        let time = humantime::parse_rfc3339("2024-01-02T03:04:05Z").unwrap();
        assert_eq!(zip_time(time), zip_date(2024, 1, 2, 3, 4, 5));
        assert_eq!(
            zip_time(SystemTime::UNIX_EPOCH),
            zip_date(1980, 1, 1, 0, 0, 0)
        );
        let far = humantime::parse_rfc3339("2200-12-31T23:59:59Z").unwrap();
        assert_eq!(zip_time(far), zip_date(2107, 12, 31, 23, 59, 58));
    }

    /// Runs `write_archive` over `entries` and returns the archive's bytes.
    fn archive(entries: &[(&str, &[u8])], compression: ArchiveCompression) -> Vec<u8> {
        let (commands, commands_rx) = mpsc::channel(CHANNEL_CHUNKS);
        let (output_tx, mut output) = mpsc::channel(CHANNEL_CHUNKS);
        let modified = zip_date(2024, 1, 2, 3, 4, 5);
        let bytes_read = Arc::new(AtomicU64::new(0));
        let counted = bytes_read.clone();
        let writer = std::thread::spawn(move || {
            write_archive(commands_rx, output_tx, counted, modified, compression)
        });
        let owned: Vec<(String, Vec<u8>)> = entries
            .iter()
            .map(|(name, data)| ((*name).to_owned(), data.to_vec()))
            .collect();
        let feeder = std::thread::spawn(move || {
            for (name, data) in owned {
                let decode = Decode::None;
                commands
                    .blocking_send(Command::Start { name, decode })
                    .unwrap();
                // In pieces, as the feeder sends them.
                for piece in data.chunks(7) {
                    let chunk = Command::Chunk(Bytes::copy_from_slice(piece));
                    commands.blocking_send(chunk).unwrap();
                }
                commands.blocking_send(Command::End).unwrap();
            }
            commands.blocking_send(Command::Finish).unwrap();
        });
        let mut bytes = Vec::new();
        while let Some(chunk) = output.blocking_recv() {
            bytes.extend_from_slice(&chunk);
        }
        feeder.join().unwrap();
        writer.join().unwrap().unwrap();
        let total: usize = entries.iter().map(|(_, data)| data.len()).sum();
        assert_eq!(bytes_read.load(Ordering::Relaxed), total as u64);
        bytes
    }

    #[test]
    fn archives_read_back_with_the_zip_reader() {
        let text = b"{\"id\":1}\n".repeat(300);
        let entries: [(&str, &[u8]); 4] = [
            ("config.json", b"{}"),
            ("entities/goals.jsonl", &text),
            ("files/empty", b""),
            ("files/caf\u{e9}", b"raw bytes"),
        ];
        for compression in [ArchiveCompression::Deflated, ArchiveCompression::Stored] {
            let bytes = archive(&entries, compression);
            let mut zip = zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap();
            assert_eq!(zip.len(), 4);
            for (index, (name, data)) in entries.iter().enumerate() {
                let mut entry = zip.by_index(index).unwrap();
                assert_eq!(entry.name().unwrap(), *name);
                let mut out = Vec::new();
                // Reading to the end checks the CRC too.
                entry.read_to_end(&mut out).unwrap();
                assert_eq!(&out, data, "{name}");
                let modified = entry.last_modified().unwrap();
                assert_eq!(
                    (
                        modified.year(),
                        modified.month(),
                        modified.day(),
                        modified.hour(),
                        modified.minute(),
                        modified.second()
                    ),
                    (2024, 1, 2, 3, 4, 4)
                );
                assert_eq!(entry.unix_mode(), Some(0o100_644));
            }
            let goals = zip.by_name("entities/goals.jsonl").unwrap();
            if compression == ArchiveCompression::Deflated {
                assert_eq!(goals.compression(), CompressionMethod::Deflated);
                assert!(goals.compressed_size() < text.len() as u64 / 10);
            } else {
                assert_eq!(goals.compression(), CompressionMethod::Stored);
                assert_eq!(goals.compressed_size(), text.len() as u64);
            }
        }
    }

    #[test]
    fn an_empty_archive_is_valid() {
        let bytes = archive(&[], ArchiveCompression::Deflated);
        assert_eq!(
            zip::ZipArchive::new(io::Cursor::new(bytes)).unwrap().len(),
            0
        );
    }

    fn run_copy(chunks: Vec<Bytes>, decode: Decode) -> Result<Vec<u8>, BoxError> {
        let (tx, mut rx) = mpsc::channel(chunks.len() + 1);
        for chunk in chunks {
            tx.try_send(Command::Chunk(chunk)).unwrap();
        }
        tx.try_send(Command::End).unwrap();
        let mut reader = EntryReader {
            commands: &mut rx,
            current: Bytes::new(),
            ended: false,
        };
        let mut out = Vec::new();
        copy_entry(&mut reader, &mut out, decode)?;
        Ok(out)
    }

    #[test]
    fn zstd_bodies_are_decoded_across_chunks_and_frames() {
        let text = b"{\"id\":1}\n".repeat(1000);
        let frame = ruzstd::encoding::compress_to_vec(
            &text[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        let mut two = frame.clone();
        two.extend_from_slice(&frame);
        let chunks: Vec<Bytes> = two.chunks(7).map(Bytes::copy_from_slice).collect();
        let out = run_copy(chunks, Decode::Sniff).unwrap();
        assert_eq!(out.len(), text.len() * 2);
        assert_eq!(&out[..text.len()], &text[..]);
        // Without the magic number a sniffed body is copied as is.
        assert_eq!(
            run_copy(vec![Bytes::from_static(b"{}")], Decode::Sniff).unwrap(),
            b"{}"
        );
        assert_eq!(run_copy(vec![], Decode::Sniff).unwrap(), b"");
        // Declared zstd that is not: an error, not garbage in the archive.
        assert!(run_copy(vec![Bytes::from_static(b"plain text")], Decode::Zstd).is_err());
        let mut truncated = frame.clone();
        truncated.truncate(frame.len() / 2);
        assert!(run_copy(vec![Bytes::from(truncated)], Decode::Zstd).is_err());
    }
}
