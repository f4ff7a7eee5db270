//! pg_dump's progress on stderr: a progress bar on a terminal, plain lines
//! otherwise (logs, CI, an MCP client's pipe).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sequelae_core::backup::ProgressEvent;

/// Shows progress events as they come.
#[derive(Debug)]
pub(crate) enum ProgressDisplay {
    /// A terminal: one bar, redrawn in place.
    Bar {
        bar: ProgressBar,
        /// The bar counts tables (else it is still a spinner).
        counting: bool,
    },
    /// Anything else: a line per table.
    Lines {
        /// The catalog line was printed.
        said_catalog: bool,
    },
}

impl ProgressDisplay {
    /// A bar when stderr is a terminal, else lines.
    pub(crate) fn for_stderr() -> ProgressDisplay {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style());
            bar.set_message("starting");
            bar.enable_steady_tick(Duration::from_millis(120));
            ProgressDisplay::Bar {
                bar,
                counting: false,
            }
        } else {
            ProgressDisplay::Lines {
                said_catalog: false,
            }
        }
    }

    /// Shows one event.
    pub(crate) fn show(&mut self, event: &ProgressEvent) {
        match self {
            ProgressDisplay::Bar { bar, counting } => match event {
                ProgressEvent::Catalog { step, .. } => {
                    bar.set_message(format!("pg_dump: {step}"));
                }
                ProgressEvent::Definition { what, done } => {
                    bar.set_message(format!("pg_dump: definitions ({done}): {what}"));
                }
                ProgressEvent::TableData {
                    table,
                    started,
                    total,
                } => {
                    if !*counting {
                        *counting = true;
                        bar.set_style(bar_style());
                    }
                    bar.set_length(*total as u64);
                    // In parallel runs "finished" events also move it: only
                    // ever forward.
                    let done = started.saturating_sub(1) as u64;
                    bar.set_position(bar.position().max(done));
                    bar.set_message(table.clone());
                }
                ProgressEvent::TableDone {
                    finished, total, ..
                }
                | ProgressEvent::TableCopied {
                    finished, total, ..
                } => {
                    bar.set_length(*total as u64);
                    bar.set_position(bar.position().max(*finished as u64));
                }
            },
            ProgressDisplay::Lines { said_catalog } => match event {
                ProgressEvent::Catalog { .. } if !*said_catalog => {
                    *said_catalog = true;
                    crate::output::note("sequelae: pg_dump is reading the catalog");
                }
                ProgressEvent::TableData {
                    table,
                    started,
                    total,
                } => crate::output::note(&format!(
                    "sequelae: dumping table {table} ({started}/{total})"
                )),
                ProgressEvent::TableCopied {
                    finished,
                    total,
                    rows,
                    bytes,
                    ..
                } => crate::output::note(&format!(
                    "sequelae: {finished}/{total} tables copied, {rows} rows, {}",
                    sequelae_core::backup::human_size(*bytes)
                )),
                _ => {}
            },
        }
    }

    /// Clears the bar (results follow on stdout, messages on stderr).
    pub(crate) fn finish(&self) {
        if let ProgressDisplay::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} [{elapsed}] {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} tables  {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
