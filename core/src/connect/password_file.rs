//! Loading the password file the settings name, as libpq does: a file that
//! is missing is no error, one that others can read is ignored with a
//! warning, and only then is it read. The runtime stats and reads; this
//! decides.

use crate::config::PgPass;

/// What the runtime found at the password file's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// A plain file (not a directory, FIFO or device).
    pub is_file: bool,
    /// The permission bits (`st_mode`).
    pub mode: u32,
}

/// What to do next for the password file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordFileStep<'a> {
    /// Stat this path; answer with [`PasswordFileLoad::handle_stat`].
    Stat(&'a str),
    /// Read this path as text; answer with [`PasswordFileLoad::handle_text`].
    Read(&'a str),
    /// Nothing left: call [`PasswordFileLoad::finish`].
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Stat,
    Read,
    Done,
}

/// Loading one password file: stat, then read only if it may be used.
///
/// ```
/// use sequelae_core::connect::{FileStat, PasswordFileLoad, PasswordFileStep};
///
/// let mut load = PasswordFileLoad::new(Some("/home/a/.pgpass".into()));
/// assert_eq!(load.next_step(), PasswordFileStep::Stat("/home/a/.pgpass"));
/// load.handle_stat(Some(FileStat { is_file: true, mode: 0o644 }));
/// // Readable by others: never read, and the warning says why.
/// assert_eq!(load.next_step(), PasswordFileStep::Done);
/// let (file, warnings) = load.finish();
/// assert!(file.is_none() && warnings[0].contains("group or world access"));
/// ```
#[derive(Debug, Clone)]
pub struct PasswordFileLoad {
    path: Option<String>,
    stage: Stage,
    file: Option<PgPass>,
    warnings: Vec<String>,
}

impl PasswordFileLoad {
    /// Loads the file at `path`; `None` (no file named, no home) loads
    /// nothing.
    pub fn new(path: Option<String>) -> PasswordFileLoad {
        let stage = if path.is_some() {
            Stage::Stat
        } else {
            Stage::Done
        };
        PasswordFileLoad {
            path,
            stage,
            file: None,
            warnings: Vec::new(),
        }
    }

    /// The file's path, for saying where a password came from.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// What the runtime must do now.
    pub fn next_step(&self) -> PasswordFileStep<'_> {
        match (self.stage, self.path.as_deref()) {
            (Stage::Stat, Some(path)) => PasswordFileStep::Stat(path),
            (Stage::Read, Some(path)) => PasswordFileStep::Read(path),
            _ => PasswordFileStep::Done,
        }
    }

    /// The stat result: `None` when nothing is there (or it cannot be
    /// stat'ed), which libpq treats as "no password file".
    pub fn handle_stat(&mut self, stat: Option<FileStat>) {
        self.stage = Stage::Done;
        let (Some(stat), Some(path)) = (stat, self.path.as_deref()) else {
            return;
        };
        match PgPass::refusal(path, stat.is_file, stat.mode) {
            Some(warning) => self.warnings.push(warning),
            None => self.stage = Stage::Read,
        }
    }

    /// The file's text, or why it could not be read (shown in a warning).
    pub fn handle_text(&mut self, text: Result<String, String>) {
        self.stage = Stage::Done;
        match text {
            Ok(text) => self.file = Some(PgPass::parse(&text)),
            Err(why) => self.warnings.push(format!(
                "could not read password file \"{}\": {why}",
                self.path.as_deref().unwrap_or_default()
            )),
        }
    }

    /// The parsed file (if it could be used) and the warnings about it.
    pub fn finish(self) -> (Option<PgPass>, Vec<String>) {
        (self.file, self.warnings)
    }
}
