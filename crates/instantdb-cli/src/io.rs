//! Reading inputs (files or stdin), writing outputs, and reporting failures.

use std::fmt::Display;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use instantdb_typescript::{ParseError, ParseErrorKind};
use serde_json::Value;

/// Why a command failed, already worded for the terminal.
#[derive(Debug)]
pub(crate) struct Failure(String);

impl Failure {
    /// A failure with its whole message.
    pub(crate) fn new(message: impl Into<String>) -> Failure {
        Failure(message.into())
    }

    /// The failure with `command: ` in front.
    pub(crate) fn prefixed(self, command: &str) -> Failure {
        Failure(format!("{command}: {}", self.0))
    }

    /// The failure followed by a line saying what it means for the rest of the command.
    pub(crate) fn with_note(self, note: &str) -> Failure {
        Failure(format!("{}\n{note}", self.0.trim_end()))
    }

    /// A failure about `input`, with no position.
    pub(crate) fn about(input: &Input, message: impl Display) -> Failure {
        Failure(format!("{}: {message}", input.name))
    }

    /// A located parse error, with its excerpt.
    pub(crate) fn parse(error: &ParseError) -> Failure {
        Failure(error.render())
    }

    /// The message.
    pub(crate) fn message(&self) -> &str {
        &self.0
    }

    /// Prints the failure to stderr (nothing for a failure already reported on stdout).
    pub(crate) fn report(&self) {
        let mut stderr = std::io::stderr().lock();
        let text = self.0.trim_end();
        if text.is_empty() {
            return;
        }
        // Nothing sensible is left to do if stderr is gone.
        let _ = writeln!(stderr, "{text}");
    }
}

/// A command's input: its display name and text.
#[derive(Debug)]
pub(crate) struct Input {
    /// The path as given, or `<stdin>`.
    pub(crate) name: String,
    /// The whole text.
    pub(crate) text: String,
}

impl Input {
    /// Reads `path`, or stdin when it is `None` or `-`.
    pub(crate) fn read(path: Option<&PathBuf>) -> Result<Input, Failure> {
        match path {
            Some(path) if path.as_os_str() != "-" => {
                let name = path.display().to_string();
                let text =
                    read_text(path).map_err(|message| Failure(format!("{name}: {message}")))?;
                Ok(Input { name, text })
            }
            _ => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|err| Failure(format!("<stdin>: {err}")))?;
                Ok(Input {
                    name: "<stdin>".to_owned(),
                    text,
                })
            }
        }
    }

    /// The input as JSON; syntax errors are reported at their line and column.
    pub(crate) fn json(&self) -> Result<Value, Failure> {
        serde_json::from_str(&self.text).map_err(|err| {
            let message = err.to_string();
            // serde_json appends " at line L column C"; the position is shown separately.
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(head, _)| head);
            Failure::parse(&ParseError::at_line_column(
                &self.name,
                &self.text,
                err.line(),
                err.column(),
                ParseErrorKind::Json,
                message,
            ))
        })
    }
}

/// Writes `text` to stdout.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|err| Failure(format!("<stdout>: {err}")))
}

/// Writes `text` to `path` through a temporary file in the same directory renamed over it, so a
/// reader (a dev server watching the file) never sees half a file. An existing file keeps its
/// permissions; a new one is readable by all (0644), as an ordinary write would leave it.
pub(crate) fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    write_via_temp(path, text, false)
}

/// [`write_atomically`] for secrets: the file is readable by its owner only (0600), from the
/// moment it exists, whatever the file it replaces allowed.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), Failure> {
    write_via_temp(path, text, true)
}

fn write_via_temp(path: &Path, text: &str, private: bool) -> Result<(), Failure> {
    let fail = |err: &dyn Display| Failure(format!("{}: {err}", path.display()));
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // tempfile creates its files 0600 on Unix: right for secrets, too strict for the rest.
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|err| fail(&err))?;
    if !private {
        let permissions = match std::fs::metadata(path) {
            Ok(existing) => existing.permissions(),
            Err(_) => public_permissions(file.as_file()).map_err(|err| fail(&err))?,
        };
        file.as_file()
            .set_permissions(permissions)
            .map_err(|err| fail(&err))?;
    }
    file.write_all(text.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|err| fail(&err))?;
    file.persist(path).map_err(|err| fail(&err.error))?;
    Ok(())
}

#[cfg(unix)]
fn public_permissions(_file: &std::fs::File) -> std::io::Result<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn public_permissions(file: &std::fs::File) -> std::io::Result<std::fs::Permissions> {
    Ok(file.metadata()?.permissions())
}

/// Whether questions can be asked: stdin and stderr are terminals.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks `question` on the terminal (yes or no, `default` on Enter); `yes` answers it without
/// asking. Without a terminal the question is not silently answered: it fails and says to
/// re-run with `--yes`.
pub(crate) fn confirm(question: &str, yes: bool, default: bool) -> Result<bool, Failure> {
    if yes {
        return Ok(true);
    }
    if !interactive() {
        return Err(Failure(format!(
            "{question} Cannot ask: stdin is not a terminal. Re-run with --yes to answer yes."
        )));
    }
    dialoguer::Confirm::new()
        .with_prompt(question)
        .default(default)
        .interact()
        .map_err(|err| Failure(format!("{question} {err}")))
}

/// Prints a line on stdout at once. A closed stdout (`instant pull | head`) is ignored rather
/// than a panic halfway through a command that changes files or a server.
pub(crate) fn say(line: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// The text of the file at `path`, or why not (`the file is not UTF-8 text`, or the IO error):
/// every command that reads a schema, rules or JSON file words it the same way.
pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|err| err.to_string())?;
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())
}

/// Reads the sibling modules a schema or rules file imports (`import { x } from "./shared"`):
/// the parser builds their paths from the file's shown name, which is relative to `base` (the
/// current directory) or absolute. Missing and non-UTF-8 files read as absent, which the parser
/// reports at the import.
pub(crate) fn module_reader(base: &Path) -> impl Fn(&str) -> Option<String> + '_ {
    move |path: &str| read_text(&base.join(path)).ok()
}
