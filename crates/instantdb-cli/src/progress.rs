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
        bar.set_message("applying the schema change");
        bar.enable_steady_tick(Duration::from_millis(80));
        Progress::Bar(bar)
    }

    pub(crate) fn update(&mut self, summary: &PushSummary) {
        let done = (summary.completed_count + summary.error_count) as u64;
        match self {
            Progress::Bar(bar) => {
                bar.set_length(summary.total_count as u64);
                bar.set_position(done);
                bar.set_message(summary.friendly_description.clone());
            }
            Progress::Lines { last } => {
                if *last != summary.friendly_description {
                    last.clone_from(&summary.friendly_description);
                    // Progress is a courtesy: a closed stderr must not stop the push.
                    let _ = writeln!(
                        std::io::stderr(),
                        "      {done}/{} {}",
                        summary.total_count,
                        summary.friendly_description
                    );
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
