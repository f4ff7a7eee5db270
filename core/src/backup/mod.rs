//! Backup planning, without I/O: every decision of `sequelae backup`, made
//! from values the runtime passes in.
//!
//! The runtime asks, in this order, and does only what the answers say:
//!
//! 1. [`BackupOptions::check`]: option conflicts.
//! 2. [`OutputTarget::choose`] (from the working directory and a time it
//!    passes in), then [`OutputTarget::decide`] on what it found on disk:
//!    write, take the next default name, or refuse. [`stale_leftovers`]
//!    and [`stale_passfile_dirs`] say which temporary names of killed runs
//!    to remove (the runtime lists the folders and says which processes
//!    live). It then creates the temporary output, which proves the folder
//!    writable before any work. With [`BackupOptions::streams_to_stdout`]
//!    (`--output -`) there is no target: pg_dump writes to standard output.
//! 3. [`CATALOG_QUERY`] on a connection, read by [`Catalog::from_rows`];
//!    [`Catalog::select`] resolves the user's table and schema names
//!    (unknown ones fail here, with suggestions).
//! 4. [`PgDumpLocation`] says where pg_dump may be; the runtime finds it
//!    and runs `--version` ([`read_version`]); [`MethodChoice::decide`]
//!    picks pg_dump or the native method.
//! 5. [`PgDumpPlan::build`]: program, arguments, environment (password in
//!    `PGPASSWORD` or a private password file, never in the arguments).
//! 6. While pg_dump runs, [`PgDumpStderr`] turns its standard error into
//!    [`ProgressEvent`]s and keeps its warnings and errors, redacted.
//! 7. If pg_dump fails, [`MethodChoice::after_failure`] says whether to
//!    fall back; on success the runtime publishes the temporary output as
//!    the module documentation of [`output`] describes.
//! 8. A [`BackupReport`] for people and programs.
//!
//! The native method (`Native` in [`MethodChoice`]) is a later change;
//! until it lands, choosing it ends the backup with
//! [`BackupError::NativeUnavailable`], which says why pg_dump was not used.

mod catalog;
mod error;
mod method;
mod names;
pub mod native;
mod options;
pub mod output;
mod pg_dump_plan;
mod progress;
mod redact;
mod report;
mod timestamp;
mod version;

pub use catalog::{CATALOG_QUERY, Catalog, Relation, RelationKind, Selection};
pub use error::{BackupError, ErrorKind, PgDumpProblem};
pub use method::{MethodChoice, PG_DUMP_VAR, PgDumpLocation, native_unavailable, read_version};
pub use names::{
    QualifiedName, RelationName, parse_relation_list, parse_schema_list, quote_ident, quote_literal,
};
pub use options::{BackupFormat, BackupMethod, BackupOptions, Compression, PasswordChannel};
pub use output::{
    EntryKind, OutputDecision, OutputProbe, OutputTarget, default_file_name, is_directory_dump,
    leftover_pid, leftover_removed_warning, stale_leftovers, stale_passfile_dirs,
};
pub use pg_dump_plan::{
    PassfileRequest, PgDumpInputs, PgDumpPlan, passfile_dir, passfile_dir_pid, passfile_parent,
};
pub use progress::{PgDumpStderr, ProgressEvent};
pub use redact::{REDACTED, Redactor};
pub use report::{BackupReport, MethodUsed, human_size};
pub use timestamp::utc_stamp;
pub use version::{Compatibility, PgDumpVersion, ServerVersion};
