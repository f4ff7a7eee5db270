//! Where the backup goes: the target path, the temporary name it is
//! written under, and what to do with what is already there.
//!
//! # Atomic, exclusive output
//!
//! The dump is written to a temporary name in the target's own folder
//! (`.<name>.sequelae-<pid>-<n>.tmp`, a file or a directory), so that the
//! last step is a rename within one file system. The driver then
//! publishes it (the steps are in the `publish` module):
//!
//! - a file, without `--force`: `link(temp, target)`, which fails if the
//!   target exists (unlike `rename`, which would silently replace it), then
//!   `unlink(temp)`. Two backups racing for one name: one link succeeds,
//!   the other gets "already exists", so no file is ever overwritten or
//!   half written. On a file system without hard links the driver falls
//!   back to check-then-rename, which leaves a small window.
//! - a directory, without `--force`: `mkdir(target)` claims the name (it
//!   fails if anything exists there), then `rename(temp, target)` replaces
//!   that empty directory in one step (POSIX rename may replace an empty
//!   directory).
//! - with `--force`: `rename(temp, target)` replaces a file atomically; an
//!   existing directory backup is first renamed aside, then removed.
//!
//! A default name that is taken when the backup is published (another
//! backup started in the same second) moves on to the next candidate,
//! `backup_<stamp>-2.sql`, so concurrent default backups never collide;
//! an explicit `--output` that is taken fails instead, and the existing
//! file is left untouched.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::error::BackupError;
use super::format::BackupFormat;
use super::options::{BackupOptions, Compression};
use super::timestamp::utc_stamp;

/// Longest piece of the target's name kept in temporary names, so that
/// the prefix and suffix cannot push them past the 255-byte name limit.
const MAX_NAME_IN_TEMP: usize = 120;

/// The path the backup is published at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTarget {
    /// Absolute when the working directory passed in was.
    path: PathBuf,
    /// The user named it (`--output`); else it is a default name.
    explicit: bool,
    format: BackupFormat,
    compressed_plain: bool,
    stamp: String,
    /// 1 for the first default candidate, 2 for `-2`...
    attempt: u32,
}

impl OutputTarget {
    /// The target for `options`: `--output` taken from `cwd` when
    /// relative, else `backup_<UTC stamp of now>.<ext>` in `cwd`.
    pub fn choose(options: &BackupOptions, cwd: &Path, now: SystemTime) -> OutputTarget {
        let compressed_plain = options.format == BackupFormat::Plain
            && options.compression.compresses(BackupFormat::Plain);
        let stamp = utc_stamp(now);
        match &options.output {
            Some(path) => OutputTarget {
                path: cwd.join(path),
                explicit: true,
                format: options.format,
                compressed_plain,
                stamp,
                attempt: 1,
            },
            None => OutputTarget {
                path: cwd.join(default_file_name(
                    options.format,
                    options.compression,
                    &stamp,
                    1,
                )),
                explicit: false,
                format: options.format,
                compressed_plain,
                stamp,
                attempt: 1,
            },
        }
    }

    /// The path to publish at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the user named the path.
    pub fn is_explicit(&self) -> bool {
        self.explicit
    }

    /// True for the directory format.
    pub fn is_directory(&self) -> bool {
        self.format.is_directory()
    }

    /// The folder the target (and its temporary name) is in.
    pub fn folder(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The next default name after this one was found taken; `None` for
    /// an explicit target, which is never renamed behind the user's back.
    pub fn next_candidate(&self) -> Option<OutputTarget> {
        if self.explicit {
            return None;
        }
        let attempt = self.attempt.checked_add(1)?;
        let compression = if self.compressed_plain {
            Compression::on()
        } else {
            Compression::FormatDefault
        };
        let name = default_file_name(self.format, compression, &self.stamp, attempt);
        Some(OutputTarget {
            path: self.folder().join(name),
            attempt,
            ..self.clone()
        })
    }

    /// The `n`th temporary name of process `pid` for this target, in the
    /// same folder, hidden (leading dot).
    pub fn temp_path(&self, pid: u32, n: u32) -> PathBuf {
        self.sibling(&format!("sequelae-{pid}-{n}.tmp"))
    }

    /// Where an existing directory backup is moved while `--force`
    /// replaces it.
    pub fn aside_path(&self, pid: u32, n: u32) -> PathBuf {
        self.sibling(&format!("sequelae-{pid}-{n}.old"))
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "backup".to_string());
        let mut end = name.len().min(MAX_NAME_IN_TEMP);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        self.folder().join(format!(".{}.{suffix}", &name[..end]))
    }

    /// Decides from what the runtime found on disk whether to write, to try
    /// the next default name, or to refuse. Checked before any work.
    ///
    /// # Errors
    ///
    /// A missing or unusable folder; an existing output without `--force`;
    /// with `--force`, an output of the wrong kind or a directory that is
    /// not a directory backup (`--force` must not delete arbitrary trees).
    pub fn decide(&self, probe: &OutputProbe, force: bool) -> Result<OutputDecision, BackupError> {
        // `dir/`, `.` or `..` would only fail when publishing, after the
        // whole dump: refuse before any work.
        let text = self.path.as_os_str().to_string_lossy();
        let names_no_entry = text.ends_with("/.") || text.ends_with("/..");
        // `dumpdir/` is a fine name for a directory backup, not for a file.
        let names_folder = text.ends_with('/') && !self.is_directory();
        if self.explicit && (names_no_entry || names_folder) {
            return Err(BackupError::OutputNotAName {
                path: self.path.clone(),
                example: self.path.join(default_file_name(
                    self.format,
                    if self.compressed_plain {
                        crate::backup::Compression::Level(crate::backup::Compression::DEFAULT_LEVEL)
                    } else {
                        crate::backup::Compression::FormatDefault
                    },
                    &self.stamp,
                    1,
                )),
            });
        }
        match probe.folder {
            EntryKind::Missing => {
                return Err(BackupError::FolderMissing {
                    folder: self.folder(),
                });
            }
            EntryKind::Directory { .. } => {}
            EntryKind::File | EntryKind::Other => {
                return Err(BackupError::FolderNotDirectory {
                    folder: self.folder(),
                });
            }
        }
        let path = self.path.clone();
        match (probe.target, self.is_directory()) {
            (EntryKind::Missing, _) => Ok(OutputDecision::Write { replace: false }),
            (_, _) if !self.explicit => Ok(OutputDecision::TryNextName),
            (EntryKind::Directory { .. }, false) => Err(BackupError::OutputIsDirectory {
                path,
                format: self.format,
            }),
            (EntryKind::File | EntryKind::Other, true) => {
                Err(BackupError::OutputIsNotDirectory { path })
            }
            // Refusals that --force would not change come first, so that
            // the --force hint is only given where it helps.
            (EntryKind::Other, false) => Err(BackupError::OutputNotAFile { path }),
            (EntryKind::Directory { empty, dump }, true) if !empty && !dump => {
                Err(BackupError::WontReplaceDirectory { path })
            }
            (_, _) if !force => Err(BackupError::OutputExists { path }),
            (EntryKind::File, false) | (EntryKind::Directory { .. }, true) => {
                Ok(OutputDecision::Write { replace: true })
            }
        }
    }

    /// Warnings about the name, e.g. a gzip file not named `.gz`.
    pub fn name_warnings(&self) -> Vec<String> {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.explicit && self.compressed_plain && !name.ends_with(".gz") {
            vec![format!(
                "{} is gzip-compressed but its name does not end in .gz; restore it with: gunzip -c {} | psql",
                self.path.display(),
                self.path.display()
            )]
        } else {
            Vec::new()
        }
    }
}

/// `backup_<stamp>[-<attempt>].<ext>`: `.sql` (`.sql.gz` when compressed),
/// `.dump` for custom, `.tar`, and no extension for a directory.
pub fn default_file_name(
    format: BackupFormat,
    compression: Compression,
    stamp: &str,
    attempt: u32,
) -> String {
    let ext = match format {
        BackupFormat::Plain if compression.compresses(BackupFormat::Plain) => ".sql.gz",
        BackupFormat::Plain => ".sql",
        BackupFormat::Custom => ".dump",
        BackupFormat::Tar => ".tar",
        BackupFormat::Directory => "",
    };
    if attempt <= 1 {
        format!("backup_{stamp}{ext}")
    } else {
        format!("backup_{stamp}-{attempt}{ext}")
    }
}

/// The process id in a temporary name this module makes
/// (`.<name>.sequelae-<pid>-<n>.tmp`, or `.old` for a directory moved
/// aside), or `None` for any other name.
pub fn leftover_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let rest = rest
        .strip_suffix(".tmp")
        .or_else(|| rest.strip_suffix(".old"))?;
    let (_, ids) = rest.rsplit_once(".sequelae-")?;
    let (pid, n) = ids.split_once('-')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    pid.parse().ok()
}

/// The entries of a backup folder that earlier backups left behind and
/// may be removed: temporary names whose process is gone (killed, or the
/// machine stopped, before it could clean up). `alive` says whether a
/// process id is running; a live process (even one that merely reuses the
/// id) keeps its names, and so does this process (`own_pid`).
pub fn stale_leftovers<'a>(
    names: impl IntoIterator<Item = &'a str>,
    own_pid: u32,
    alive: impl Fn(u32) -> bool,
) -> Vec<(String, u32)> {
    stale_by(names, leftover_pid, own_pid, alive)
}

/// The private password directories in the temporary folder that runs
/// killed before they could clean up left behind (see
/// [`stale_leftovers`]).
pub fn stale_passfile_dirs<'a>(
    names: impl IntoIterator<Item = &'a str>,
    own_pid: u32,
    alive: impl Fn(u32) -> bool,
) -> Vec<(String, u32)> {
    stale_by(names, super::pg_dump_plan::passfile_dir_pid, own_pid, alive)
}

fn stale_by<'a>(
    names: impl IntoIterator<Item = &'a str>,
    pid_of: impl Fn(&str) -> Option<u32>,
    own_pid: u32,
    alive: impl Fn(u32) -> bool,
) -> Vec<(String, u32)> {
    names
        .into_iter()
        .filter_map(|name| pid_of(name).map(|pid| (name, pid)))
        .filter(|&(_, pid)| pid != own_pid && !alive(pid))
        .map(|(name, pid)| (name.to_string(), pid))
        .collect()
}

/// The warning that says a leftover was removed.
pub fn leftover_removed_warning(path: &Path, pid: u32) -> String {
    format!(
        "removed {}, left behind by an earlier backup whose process ({pid}) is gone",
        path.display()
    )
}

/// What is at a path, as far as the output decision cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Nothing.
    Missing,
    /// A regular file.
    File,
    /// A directory.
    Directory {
        /// It has no entries.
        empty: bool,
        /// It has a `toc.dat`: a pg_dump directory backup.
        dump: bool,
    },
    /// Anything else (symbolic link, device, socket, FIFO).
    Other,
}

impl EntryKind {
    /// A directory holding `names` (its entries, as listed; an unreadable
    /// directory counts as one with entries that are no backup, so that
    /// nothing replaces it).
    pub fn directory(names: Option<&[String]>) -> EntryKind {
        match names {
            Some(names) => EntryKind::Directory {
                empty: names.is_empty(),
                dump: is_directory_dump(names.iter().map(String::as_str)),
            },
            None => EntryKind::Directory {
                empty: false,
                dump: false,
            },
        }
    }
}

/// What the runtime found at the target and its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputProbe {
    /// The folder (symbolic links followed).
    pub folder: EntryKind,
    /// The target itself (symbolic links not followed).
    pub target: EntryKind,
}

/// What [`OutputTarget::decide`] says to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputDecision {
    /// Write the backup; `replace` means publish over the existing output
    /// (`--force`), else publish only if the name is still free.
    Write {
        /// Replace what is there.
        replace: bool,
    },
    /// A default name is taken: try [`OutputTarget::next_candidate`].
    TryNextName,
}

/// True when the entries of a directory are all what pg_dump writes in a
/// directory-format backup (`toc.dat`, `<oid>.dat` with an optional
/// compression suffix, large-object files), with `toc.dat` among them.
/// Only such a directory may be replaced with `--force`: a folder that
/// merely holds a `toc.dat` next to the user's own files is not a backup.
pub fn is_directory_dump<'a>(names: impl IntoIterator<Item = &'a str>) -> bool {
    let mut toc = false;
    for name in names {
        if name == "toc.dat" {
            toc = true;
            continue;
        }
        let base = ["", ".gz", ".lz4", ".zst"]
            .iter()
            .find_map(|suffix| name.strip_suffix(&format!(".dat{suffix}")))
            .or_else(|| name.strip_suffix(".toc"));
        let dumped = match base {
            Some("blobs") => true,
            Some(stem) => {
                let digits = stem.strip_prefix("blob_").unwrap_or(stem);
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
            }
            None => false,
        };
        if !dumped {
            return false;
        }
    }
    toc
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::time::{Duration, UNIX_EPOCH};

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_738_324_800)
    }

    fn target(edit: impl FnOnce(&mut BackupOptions)) -> OutputTarget {
        let mut o = BackupOptions::default();
        edit(&mut o);
        OutputTarget::choose(&o, Path::new("/work"), now())
    }

    const DIR: EntryKind = EntryKind::Directory {
        empty: false,
        dump: false,
    };

    #[rstest]
    #[case(
        BackupFormat::Plain,
        Compression::FormatDefault,
        "/work/backup_20250131T120000Z.sql"
    )]
    #[case(
        BackupFormat::Plain,
        Compression::on(),
        "/work/backup_20250131T120000Z.sql.gz"
    )]
    #[case(
        BackupFormat::Plain,
        Compression::Level(0),
        "/work/backup_20250131T120000Z.sql"
    )]
    #[case(
        BackupFormat::Custom,
        Compression::FormatDefault,
        "/work/backup_20250131T120000Z.dump"
    )]
    #[case(
        BackupFormat::Tar,
        Compression::FormatDefault,
        "/work/backup_20250131T120000Z.tar"
    )]
    #[case(
        BackupFormat::Directory,
        Compression::on(),
        "/work/backup_20250131T120000Z"
    )]
    fn default_names(#[case] f: BackupFormat, #[case] c: Compression, #[case] path: &str) {
        let t = target(|o| {
            o.format = f;
            o.compression = c;
        });
        assert_eq!(t.path(), Path::new(path));
        assert!(!t.is_explicit());
    }

    #[test]
    fn next_candidates_count_up_and_keep_the_extension() {
        let t = target(|o| o.compression = Compression::Level(9));
        let second = t.next_candidate().expect("default names go on");
        assert_eq!(
            second.path(),
            Path::new("/work/backup_20250131T120000Z-2.sql.gz")
        );
        let third = second.next_candidate().expect("and on");
        assert_eq!(
            third.path(),
            Path::new("/work/backup_20250131T120000Z-3.sql.gz")
        );
    }

    #[test]
    fn explicit_paths_are_never_renamed() {
        let t = target(|o| o.output = Some("out/db.dump".into()));
        assert_eq!(t.path(), Path::new("/work/out/db.dump"));
        assert_eq!(t.folder(), Path::new("/work/out"));
        assert_eq!(t.next_candidate(), None);
        let abs = target(|o| o.output = Some("/srv/db.dump".into()));
        assert_eq!(abs.path(), Path::new("/srv/db.dump"));
    }

    #[test]
    fn temp_names_are_hidden_siblings() {
        let t = target(|o| o.output = Some("out/db.dump".into()));
        assert_eq!(
            t.temp_path(42, 1),
            Path::new("/work/out/.db.dump.sequelae-42-1.tmp")
        );
        assert_eq!(
            t.aside_path(42, 2),
            Path::new("/work/out/.db.dump.sequelae-42-2.old")
        );
        let long = "x".repeat(250);
        let t = target(|o| o.output = Some(long.clone().into()));
        let name = t.temp_path(1, 1);
        let name = name
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(name.len() < 160, "{name}");
    }

    fn probe(folder: EntryKind, target: EntryKind) -> OutputProbe {
        OutputProbe { folder, target }
    }

    #[rstest]
    #[case::fresh(false, false, EntryKind::Missing, Ok(OutputDecision::Write { replace: false }))]
    #[case::exists(false, false, EntryKind::File, Err("already exists"))]
    #[case::forced(false, true, EntryKind::File, Ok(OutputDecision::Write { replace: true }))]
    #[case::file_over_dir(false, true, DIR, Err("is a directory, but the plain format"))]
    #[case::file_over_device(false, true, EntryKind::Other, Err("not a regular file"))]
    #[case::dir_fresh(true, false, EntryKind::Missing, Ok(OutputDecision::Write { replace: false }))]
    #[case::dir_exists(true, false, EntryKind::Directory { empty: true, dump: false }, Err("already exists"))]
    #[case::dir_forced_empty(true, true, EntryKind::Directory { empty: true, dump: false }, Ok(OutputDecision::Write { replace: true }))]
    #[case::dir_forced_dump(true, true, EntryKind::Directory { empty: false, dump: true }, Ok(OutputDecision::Write { replace: true }))]
    #[case::dir_forced_home(true, true, DIR, Err("refusing to replace it, even with --force"))]
    #[case::dir_over_file(true, true, EntryKind::File, Err("is not a directory"))]
    // Without --force, no hint to pass it where it would not help.
    #[case::device_unforced(
        false,
        false,
        EntryKind::Other,
        Err("not a regular file: refusing to replace it, even with --force")
    )]
    #[case::dir_home_unforced(true, false, DIR, Err("refusing to replace it, even with --force"))]
    fn explicit_decisions(
        #[case] directory: bool,
        #[case] force: bool,
        #[case] found: EntryKind,
        #[case] expected: Result<OutputDecision, &str>,
    ) {
        let t = target(|o| {
            o.output = Some("x".into());
            if directory {
                o.format = BackupFormat::Directory;
            }
        });
        let got = t.decide(&probe(DIR, found), force);
        match (got, expected) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(e), Err(text)) => {
                assert!(e.to_string().contains(text), "{e}");
                assert_eq!(e.kind(), super::super::ErrorKind::Usage);
            }
            (got, expected) => panic!("{got:?} != {expected:?}"),
        }
    }

    #[test]
    fn taken_default_names_move_on_even_without_force() {
        let t = target(|_| {});
        assert_eq!(
            t.decide(&probe(DIR, EntryKind::File), false),
            Ok(OutputDecision::TryNextName)
        );
    }

    #[rstest]
    #[case(EntryKind::Missing, "does not exist: create it first")]
    #[case(EntryKind::File, "is not a folder")]
    fn folder_must_be_a_directory(#[case] folder: EntryKind, #[case] text: &str) {
        let t = target(|o| o.output = Some("nope/x.sql".into()));
        let e = t
            .decide(&probe(folder, EntryKind::Missing), false)
            .expect_err("refused");
        assert!(e.to_string().contains(text), "{e}");
        assert!(e.to_string().contains("/work/nope"), "{e}");
    }

    #[test]
    fn gzip_without_gz_is_warned_about() {
        let t = target(|o| {
            o.output = Some("x.sql".into());
            o.compression = Compression::on();
        });
        assert_eq!(t.name_warnings().len(), 1);
        let t = target(|o| {
            o.output = Some("x.sql.gz".into());
            o.compression = Compression::on();
        });
        assert!(t.name_warnings().is_empty());
    }
}

#[cfg(test)]
mod directory_dump_tests {
    use super::{is_directory_dump, leftover_pid, stale_leftovers};

    #[test]
    fn only_pg_dump_files_make_a_directory_dump() {
        assert!(is_directory_dump([
            "toc.dat",
            "3456.dat.gz",
            "3457.dat",
            "blobs.toc",
            "blob_16384.dat.gz"
        ]));
        assert!(is_directory_dump(["toc.dat"]));
        assert!(!is_directory_dump(["toc.dat", "notes.txt"]));
        assert!(!is_directory_dump(["3456.dat.gz"]));
        assert!(!is_directory_dump(["toc.dat", ".dat"]));
        assert!(!is_directory_dump(Vec::<&str>::new()));
    }

    #[rstest::rstest]
    #[case(".db.sql.sequelae-4242-1.tmp", Some(4242))]
    #[case(".backup_20260101T000000Z.sequelae-7-12.old", Some(7))]
    #[case(".a.sequelae-b.sequelae-99-3.tmp", Some(99))]
    #[case("db.sql.sequelae-4242-1.tmp", None)]
    #[case(".db.sql.sequelae-4242.tmp", None)]
    #[case(".db.sql.sequelae-x-1.tmp", None)]
    #[case(".db.sql.sequelae-1-1.tmp.keep", None)]
    #[case("db.sql", None)]
    fn leftover_names(#[case] name: &str, #[case] pid: Option<u32>) {
        assert_eq!(leftover_pid(name), pid);
    }

    #[test]
    fn only_leftovers_of_gone_processes_are_stale() {
        let names = [
            "db.sql",
            ".db.sql.sequelae-100-1.tmp",
            ".db.sql.sequelae-200-1.tmp",
            ".db.sql.sequelae-300-2.old",
            ".db.sql.sequelae-555-1.tmp",
            ".hidden",
        ];
        let stale = stale_leftovers(names, 555, |pid| pid == 200);
        assert_eq!(
            stale,
            vec![
                (".db.sql.sequelae-100-1.tmp".to_string(), 100),
                (".db.sql.sequelae-300-2.old".to_string(), 300)
            ]
        );
    }
}
