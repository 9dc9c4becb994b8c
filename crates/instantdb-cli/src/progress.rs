//! The progress of a schema push's background jobs on stderr: a bar on a terminal, else one
//! plain line each time the summary changes.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use instantdb_platform::PushSummary;

/// The push's progress on stderr: a bar on a terminal, else one line per change.
pub(crate) enum Progress {
    Bar(ProgressBar),
    Lines { last: String },
}

impl Progress {
    pub(crate) fn start(steps: usize) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress::Lines {
                last: String::new(),
            };
        }
        let bar = ProgressBar::new(steps as u64);
        // The template is a constant; should it ever be refused, the default bar still works.
        if let Ok(style) =
            ProgressStyle::with_template("      {spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("schema operations done");
        bar.enable_steady_tick(Duration::from_millis(80));
        Progress::Bar(bar)
    }

    pub(crate) fn update(&mut self, summary: &PushSummary) {
        let done = summary.completed_count + summary.error_count;
        let message = describe(summary);
        match self {
            Progress::Bar(bar) => {
                bar.set_length(summary.total_count as u64);
                bar.set_position(done as u64);
                bar.set_message(message);
            }
            Progress::Lines { last } => {
                let line = format!("      {done}/{} {message}", summary.total_count);
                if *last != line {
                    // Progress is a courtesy: a closed stderr must not stop the push.
                    let _ = writeln!(std::io::stderr(), "{line}");
                    *last = line;
                }
            }
        }
    }

    pub(crate) fn finish(self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// The words next to the `done/total` counter, counting the same thing: upstream's own text
/// ("Completing 5 of 12") counts the steps still running, which read as a contradiction next
/// to a `7/12` counter of the finished ones.
pub(crate) fn describe(summary: &PushSummary) -> String {
    let mut text = format!(
        "schema operation{} done",
        if summary.total_count == 1 { "" } else { "s" }
    );
    if summary.in_progress_count > 0 {
        text.push_str(&format!(", {} running", summary.in_progress_count));
    }
    if summary.error_count > 0 {
        text.push_str(&format!(", {} failed", summary.error_count));
    }
    text
}

/// What a long wait is waiting for, on stderr: a spinner on a terminal, else one line.
pub(crate) struct Spinner(Option<ProgressBar>);

impl Spinner {
    pub(crate) fn start(message: &str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            let _ = writeln!(std::io::stderr(), "{message}");
            return Spinner(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(80));
        Spinner(Some(bar))
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}
