//! Backup planning, without I/O: every decision of `sequelae backup`, made
//! from values the runtime passes in.
//!
//! A runtime pumps a [`BackupDriver`]: [`BackupDriver::next_step`] names
//! the next piece of I/O (a [`Step`]: probe the output, list a folder,
//! remove, create the temporary output, connect, query, find pg_dump, ask
//! its version, write the private password file, run pg_dump, link,
//! rename, measure), a `handle_*` call gives its result, and
//! [`BackupDriver::finish`] gives the [`BackupReport`].
//! [`BackupDriver::cancel`] at any point turns what is left into cleanup.
//! The runtime keeps no order, no retry and no rule of its own.
//!
//! The driver's decisions live in the modules it calls:
//!
//! - [`BackupOptions::check`]: option conflicts;
//!   [`BackupOptions::streams_to_stdout`] (`--output -`: no target, pg_dump
//!   writes to standard output).
//! - [`OutputTarget::choose`] and [`OutputTarget::decide`]: the name and
//!   whether to write, take the next default name, or refuse;
//!   [`stale_leftovers`] and [`stale_passfile_dirs`]: which temporary names
//!   of killed runs to remove; the [`output`] module: why publishing
//!   avoids overwriting anything, and the `publish` module: how.
//! - [`CATALOG_QUERY`], [`Catalog::from_rows`] and [`Catalog::select`]: the
//!   user's table and schema names, by the rule all commands share
//!   ([`crate::catalog`]); unknown ones fail, with suggestions.
//! - [`PgDumpLocation`], [`read_version`] and [`MethodChoice`]: pg_dump or
//!   the native method, and falling back after a failure.
//! - [`PgDumpPlan::build`]: program, arguments, environment (password in
//!   `PGPASSWORD` or a private password file, never in the arguments).
//! - [`Supervision`] and [`ProcessExit`]: how pg_dump is watched and
//!   stopped, and what its exit means; [`PgDumpStderr`] turns its standard
//!   error into [`ProgressEvent`]s and keeps its warnings and errors,
//!   redacted and bounded.
//!
//! The native method (`Native` in [`MethodChoice`]) adds its own steps to
//! the driver: a session for [`native::NativeDump`], the output opened
//! (plain or gzip), rendered bytes written, each COPY streamed into the
//! output, the output closed. What it cannot do yet (other formats,
//! filters, `--jobs`) fails before any work, naming both ways out.

mod catalog;
mod driver;
mod error;
mod format;
mod method;
mod names;
pub mod native;
mod native_jobs;
mod native_run;
mod options;
pub mod output;
mod pg_dump_plan;
mod process;
mod progress;
mod publish;
mod redact;
mod report;
mod step;
mod timestamp;
mod version;

pub use catalog::{CATALOG_QUERY, Catalog, Relation, RelationKind, Selection};
pub use driver::{BackupDriver, BackupJob};
pub use error::{BackupError, ErrorKind, PgDumpProblem};
pub use format::BackupFormat;
pub use method::{MethodChoice, PG_DUMP_VAR, PgDumpLocation, native_unavailable, read_version};
pub use names::{QualifiedName, quote_ident, quote_literal};
pub use native_jobs::{WorkerAnswer, WorkerTask};
pub use options::{BackupMethod, BackupOptions, Compression, PasswordChannel};
pub use output::{
    EntryKind, OutputDecision, OutputProbe, OutputTarget, default_file_name, is_directory_dump,
    leftover_pid, leftover_removed_warning, stale_leftovers, stale_passfile_dirs,
};
pub use pg_dump_plan::{
    PassfileRequest, PgDumpInputs, PgDumpPlan, passfile_dir, passfile_dir_pid, passfile_parent,
};
pub use process::{
    ChildWatch, CommandEnd, ProcessExit, SIGPIPE, Supervision, VERSION_TIMEOUT, WatchAction,
    is_executable,
};
pub use progress::{PgDumpStderr, ProgressEvent};
pub use redact::{REDACTED, Redactor};
pub use report::{BackupReport, MethodUsed, human_size};
pub use step::{FsFailure, OutputFailure, PublishEnd, Step};
pub use timestamp::utc_stamp;
pub use version::{Compatibility, PgDumpVersion, ServerVersion};

#[cfg(test)]
mod driver_tests;
#[cfg(test)]
mod module_graph_tests;
