//! `instant backup list` and `instant backup download`, as instant-cli 1.0.67
//! (`commands/backup/`): the app's backups in a table (or JSON), and a backup saved as a zip
//! through `instantdb-platform`'s archive writer, which streams every entry in constant memory
//! into `<path>.part` and renames it when complete. App admin tokens are accepted, as upstream.
//!
//! Differences from upstream: `--json` prints the SDK's fields in camelCase with ISO-8601
//! times; the download's progress is a bar of bytes with rate and ETA (a line per phase when
//! stderr is not a terminal) instead of a spinner line.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use instantdb_platform::{Backup, DownloadProgress, format_file_size};
use serde_json::{Value, json};

use crate::io::{self, Failure, say};
use crate::server::{self, AppArgs, Context, GlobalArgs};

/// `instant backup …`.
#[derive(Debug, Subcommand)]
pub(crate) enum BackupCommand {
    /// List downloadable backups for an app.
    List(ListArgs),
    /// Download a backup as a zip file.
    Download(DownloadArgs),
}

/// Options of `instant backup list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    app: AppArgs,
    /// Output backups as JSON.
    #[arg(long)]
    json: bool,
}

/// Options of `instant backup download`.
#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// The backup to download (default: ask, or --latest).
    #[arg(value_name = "BACKUP_ID")]
    backup_id: Option<String>,
    #[command(flatten)]
    app: AppArgs,
    /// Download the most recent backup.
    #[arg(long)]
    latest: bool,
    /// Where to save the zip (default: `instant-backup-<time>.zip` in the current directory).
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    out: Option<PathBuf>,
}

/// Runs `instant backup …`.
pub(crate) fn run(command: BackupCommand, global: &GlobalArgs) -> Result<(), Failure> {
    match command {
        BackupCommand::List(args) => list(args, global),
        BackupCommand::Download(args) => download(args, global),
    }
}

fn list(args: ListArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant backup list", global)?;
    let app_id = ctx.app_id(&args.app)?;
    let (token, source) = ctx.token(true)?;
    let backups = ctx.platform(Some(token))?.backups(app_id);
    let mut list = server::runtime(ctx.command)?.block_on(ctx.call(
        "Error listing backups",
        Some(&source),
        backups.list().with_options(ctx.options()),
    ))?;
    if args.json {
        let list: Vec<Value> = list.iter().map(backup_json).collect();
        say(serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_default());
        return Ok(());
    }
    if list.is_empty() {
        say("No backups yet.");
        return Ok(());
    }
    // The server returns newest first; sorted anyway, as upstream, so the table cannot lie.
    list.sort_by_key(|backup| std::cmp::Reverse(backup.backup_at));
    for line in table(&list, SystemTime::now()) {
        say(line);
    }
    Ok(())
}

fn download(args: DownloadArgs, global: &GlobalArgs) -> Result<(), Failure> {
    let ctx = Context::new("instant backup download", global)?;
    let app_id = ctx.app_id(&args.app)?;
    if args.backup_id.is_some() && args.latest {
        return Err(ctx.fail("Pass either a backup id or --latest, not both."));
    }
    let (token, source) = ctx.token(true)?;
    let backups = ctx.platform(Some(token))?.backups(app_id);
    let runtime = server::runtime(ctx.command)?;
    let mut list = runtime.block_on(ctx.call(
        "Error listing backups",
        Some(&source),
        backups.list().with_options(ctx.options()),
    ))?;
    if list.is_empty() {
        say("No backups yet.");
        return Ok(());
    }
    list.sort_by_key(|backup| std::cmp::Reverse(backup.backup_at));
    let now = SystemTime::now();
    let backup = match (&args.backup_id, args.latest) {
        (Some(id), _) => list
            .iter()
            .find(|backup| &backup.id == id)
            .ok_or_else(|| ctx.fail(format!("No backup found with id {id}.")))?,
        (None, true) => &list[0],
        (None, false) if ctx.yes || !io::interactive() => {
            return Err(ctx.fail("Must specify a backup id or --latest"));
        }
        (None, false) => {
            let items: Vec<String> = list
                .iter()
                .map(|backup| {
                    format!(
                        "{}  created {}  {}",
                        backup.id,
                        relative(backup.backup_at, now),
                        clean(backup.description.as_deref().unwrap_or(""))
                    )
                })
                .collect();
            let picked = dialoguer::Select::new()
                .with_prompt("Select a backup to download:")
                .items(&items)
                .interact_opt()
                .ok()
                .flatten();
            match picked.and_then(|index| list.get(index)) {
                Some(backup) => backup,
                None => return Ok(()),
            }
        }
    };
    let cwd =
        std::env::current_dir().map_err(|err| ctx.fail(format!("the current directory: {err}")))?;
    let out = cwd.join(args.out.clone().unwrap_or_else(|| backup.zip_name().into()));
    if out.is_dir() {
        return Err(ctx.fail(format!("{} is a directory.", out.display())));
    }
    for line in table(std::slice::from_ref(backup), now) {
        say(line);
    }
    if let Some((min, max)) = backup.estimated_zip_size() {
        say(format_args!(
            "The zip file will be between {} and {}, depending on the compression ratio.",
            format_file_size(min),
            format_file_size(max)
        ));
    }
    say(format_args!(
        "Saving to {} (pass -o to change).",
        out.display()
    ));
    if !io::confirm("Download this backup?", ctx.yes, true)
        .map_err(|err| err.prefixed(ctx.command))?
    {
        return Ok(());
    }
    if out.exists() {
        let name = out.file_name().map_or_else(
            || out.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if !io::confirm(&format!("{name} already exists. Overwrite?"), ctx.yes, true)
            .map_err(|err| err.prefixed(ctx.command))?
        {
            return Ok(());
        }
    }
    let result = runtime.block_on(async {
        let mut download = backups.download_archive(backup).to_file(&out);
        let mut bar = Bar::start(backup);
        while let Some(progress) = download.next().await {
            bar.update(&progress);
        }
        bar.finish();
        download.await
    });
    let result =
        result.map_err(|err| ctx.api_failure("Error downloading backup", &err, Some(&source)))?;
    let files = if result.files > 0 {
        format!(" and {} storage files", result.files)
    } else {
        String::new()
    };
    say(format_args!(
        "Saved {} namespaces{files} ({})",
        result.entities,
        format_file_size(result.zip_bytes)
    ));
    Ok(())
}

/// The download's progress on stderr: a bar of bytes with rate and ETA on a terminal, else a
/// line each time a namespace or file completes.
enum Bar {
    Terminal(ProgressBar),
    Lines { last: (usize, usize) },
}

impl Bar {
    fn start(backup: &Backup) -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar::Lines { last: (0, 0) };
        }
        let total = backup
            .uncompressed_size
            .or(backup.db_size)
            .map(|size| size + backup.files_size.unwrap_or(0));
        let bar = match total {
            Some(total) => ProgressBar::new(total),
            None => ProgressBar::new_spinner(),
        };
        let template = if total.is_some() {
            "{spinner} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} {msg}"
        } else {
            "{spinner} {bytes} {binary_bytes_per_sec} {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("Preparing download…");
        bar.enable_steady_tick(Duration::from_millis(100));
        Bar::Terminal(bar)
    }

    fn update(&mut self, progress: &DownloadProgress) {
        match self {
            Bar::Terminal(bar) => {
                bar.set_position(progress.bytes_read);
                bar.set_message(phase(progress));
            }
            Bar::Lines { last } => {
                let now = (progress.entities_completed, progress.files_completed);
                if now != *last {
                    *last = now;
                    let _ = writeln!(std::io::stderr(), "{}", phase(progress));
                }
            }
        }
    }

    fn finish(self) {
        if let Bar::Terminal(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// instant-cli's `progressLine`, without the byte count the bar shows.
fn phase(progress: &DownloadProgress) -> String {
    let mut parts = vec![match progress.entities_total {
        None => "listing namespaces…".to_owned(),
        Some(total) => format!("namespaces {}/{total}", progress.entities_completed),
    }];
    match progress.files_total {
        Some(0) => {}
        None => parts.push("listing storage files…".to_owned()),
        Some(total) => parts.push(format!(
            "storage files {}/{total}",
            progress.files_completed
        )),
    }
    parts.push(format_file_size(progress.zip_bytes));
    let current = if progress.current_entity.is_empty() {
        &progress.current_file
    } else {
        &progress.current_entity
    };
    if !current.is_empty() {
        parts.push(current.clone());
    }
    parts.join(" · ")
}

/// Descriptions are user-controlled text headed for the terminal: control characters go.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// instant-cli's `relativeTime`: "3 hours ago", "6 days from now", "just now".
fn relative(at: SystemTime, now: SystemTime) -> String {
    let (abs, past) = match now.duration_since(at) {
        Ok(ago) => (ago, true),
        Err(ahead) => (ahead.duration(), false),
    };
    let ms = abs.as_millis() as f64;
    if ms < 60_000.0 {
        return if past { "just now" } else { "now" }.to_owned();
    }
    let minutes = (ms / 60_000.0).round() as u64;
    let hours = (ms / 3_600_000.0).round() as u64;
    let days = (ms / 86_400_000.0).round() as u64;
    let (count, unit) = if minutes < 60 {
        (minutes, "minute")
    } else if hours < 24 {
        (hours, "hour")
    } else {
        (days, "day")
    };
    let label = format!("{count} {unit}{}", if count == 1 { "" } else { "s" });
    if past {
        format!("{label} ago")
    } else {
        format!("{label} from now")
    }
}

/// instant-cli's `renderBackupsTable`.
fn table(backups: &[Backup], now: SystemTime) -> Vec<String> {
    let header = [
        "ID",
        "CREATED AT",
        "DB SIZE",
        "STORAGE",
        "EXPIRES AT",
        "DESCRIPTION",
    ]
    .map(str::to_owned);
    let size = |bytes: Option<u64>| bytes.map_or_else(|| "-".to_owned(), format_file_size);
    let rows: Vec<[String; 6]> = backups
        .iter()
        .map(|backup| {
            [
                backup.id.clone(),
                relative(backup.backup_at, now),
                size(backup.db_size),
                size(backup.files_size),
                match backup.expires_at {
                    Some(at) if at <= now => "expired".to_owned(),
                    Some(at) => relative(at, now),
                    None => "-".to_owned(),
                },
                clean(backup.description.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String; 6]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut lines = vec![line(&header)];
    lines.push(
        widths
            .iter()
            .map(|width| "-".repeat(*width))
            .collect::<Vec<_>>()
            .join("  "),
    );
    lines.extend(rows.iter().map(line));
    lines
}

fn backup_json(backup: &Backup) -> Value {
    let iso = crate::webhooks::iso;
    json!({
        "id": backup.id,
        "isn": backup.isn,
        "backupAt": iso(backup.backup_at),
        "filesSize": backup.files_size,
        "dbSize": backup.db_size,
        "uncompressedSize": backup.uncompressed_size,
        "description": backup.description,
        "expiresAt": backup.expires_at.map(iso),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_as_instant_clis() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000_000);
        let ago = |secs| now - Duration::from_secs(secs);
        let ahead = |secs| now + Duration::from_secs(secs);
        assert_eq!(relative(ago(30), now), "just now");
        assert_eq!(relative(ahead(30), now), "now");
        assert_eq!(relative(ago(60), now), "1 minute ago");
        assert_eq!(relative(ago(3 * 3600), now), "3 hours ago");
        assert_eq!(relative(ahead(6 * 86_400), now), "6 days from now");
        assert_eq!(clean("a\u{1b}[31mb\n"), "a[31mb");
    }
}
