//! Reading inputs (files or stdin), writing outputs, and reporting failures.

use std::fmt::Display;
use std::io::{Read, Write};
use std::path::PathBuf;

use instantdb_typescript::{ParseError, ParseErrorKind};
use serde_json::Value;

/// Why a command failed, already worded for the terminal.
#[derive(Debug)]
pub(crate) struct Failure(String);

impl Failure {
    /// A failure about `input`, with no position.
    pub(crate) fn about(input: &Input, message: impl Display) -> Failure {
        Failure(format!("{}: {message}", input.name))
    }

    /// A located parse error, with its excerpt.
    pub(crate) fn parse(error: &ParseError) -> Failure {
        Failure(error.render())
    }

    /// Prints the failure to stderr.
    pub(crate) fn report(&self) {
        let mut stderr = std::io::stderr().lock();
        let text = self.0.trim_end();
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
                let bytes = std::fs::read(path).map_err(|err| Failure(format!("{name}: {err}")))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| Failure(format!("{name}: the file is not UTF-8 text")))?;
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
