//! The file system side of the output: what is there, the temporary
//! output, and publishing it without overwriting anything (see
//! `sequelae_core::backup::output` for the protocol and its reasons).

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sequelae_core::backup::{BackupError, EntryKind, OutputProbe, OutputTarget};

/// How many temporary names to try before giving up (another process of
/// the same id left some behind).
const TEMP_ATTEMPTS: u32 = 100;

/// What is at the target and its folder.
pub(crate) fn probe(target: &OutputTarget) -> OutputProbe {
    let folder = match fs::metadata(target.folder()) {
        Err(_) => EntryKind::Missing,
        Ok(m) if m.is_dir() => EntryKind::Directory {
            empty: false,
            dump: false,
        },
        Ok(m) if m.is_file() => EntryKind::File,
        Ok(_) => EntryKind::Other,
    };
    OutputProbe {
        folder,
        target: entry_kind(target.path()),
    }
}

fn entry_kind(path: &Path) -> EntryKind {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => EntryKind::Missing,
        // Unreadable: say it is something, so that nothing replaces it.
        Err(_) => EntryKind::Other,
        Ok(m) if m.is_file() => EntryKind::File,
        Ok(m) if m.is_dir() => {
            let empty = fs::read_dir(path).is_ok_and(|mut d| d.next().is_none());
            let dump = fs::read_dir(path).is_ok_and(|entries| {
                let names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                sequelae_core::backup::is_directory_dump(names.iter().map(String::as_str))
            });
            EntryKind::Directory { empty, dump }
        }
        Ok(_) => EntryKind::Other,
    }
}

/// The temporary output pg_dump writes: a file or a directory beside the
/// target, created exclusively (so it is ours), removed on drop unless
/// published.
#[derive(Debug)]
pub(crate) struct TempOutput {
    path: PathBuf,
    directory: bool,
    armed: bool,
}

impl TempOutput {
    /// Creates the temporary output for `target`; proves the folder
    /// writable.
    pub(crate) fn create(target: &OutputTarget, pid: u32) -> Result<TempOutput, BackupError> {
        let directory = target.is_directory();
        for n in 1..=TEMP_ATTEMPTS {
            let path = target.temp_path(pid, n);
            let created = if directory {
                // pg_dump makes its directories 0700; so do we.
                DirBuilder::new().mode(0o700).create(&path)
            } else {
                // A backup holds the whole database: readable by its
                // owner only, like the 0700 of a directory backup.
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map(drop)
            };
            match created {
                Ok(()) => {
                    return Ok(TempOutput {
                        path,
                        directory,
                        armed: true,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(BackupError::FolderNotWritable {
                        folder: target.folder(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        Err(BackupError::FolderNotWritable {
            folder: target.folder(),
            reason: format!("{TEMP_ATTEMPTS} temporary names were all taken"),
        })
    }

    /// Where pg_dump writes.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the temporary output now.
    pub(crate) fn discard(mut self) {
        self.remove();
    }

    fn remove(&mut self) {
        if self.armed {
            self.armed = false;
            let _ = if self.directory {
                fs::remove_dir_all(&self.path)
            } else {
                fs::remove_file(&self.path)
            };
        }
    }

    /// Moves the output to `target`: exclusively, or replacing what is
    /// there when `replace`. On failure nothing at `target` changed and the
    /// temporary output is still ours (removed on drop).
    pub(crate) fn publish(
        &mut self,
        target: &OutputTarget,
        replace: bool,
        pid: u32,
    ) -> Result<(), PublishError> {
        let result = match (self.directory, replace) {
            (false, false) => self.publish_file_exclusive(target.path()),
            (false, true) => fs::rename(&self.path, target.path()).map_err(PublishError::Io),
            (true, false) => self.publish_dir_exclusive(target.path()),
            (true, true) => self.publish_dir_replacing(target, pid),
        };
        if result.is_ok() {
            self.armed = false;
            // Make the new name durable; pg_dump synced the contents.
            if let Ok(folder) = File::open(target.folder()) {
                let _ = folder.sync_all();
            }
        }
        result
    }

    fn publish_file_exclusive(&self, target: &Path) -> Result<(), PublishError> {
        match fs::hard_link(&self.path, target) {
            Ok(()) => {
                let _ = fs::remove_file(&self.path);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(PublishError::Taken),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(PublishError::Io(e)),
            // No hard links on this file system (EPERM, ENOTSUP...):
            // check, then rename; a racing writer could slip in between.
            Err(_) => {
                if fs::symlink_metadata(target).is_ok() {
                    return Err(PublishError::Taken);
                }
                fs::rename(&self.path, target).map_err(PublishError::Io)
            }
        }
    }

    fn publish_dir_exclusive(&self, target: &Path) -> Result<(), PublishError> {
        // Claim the name: mkdir fails if anything is there.
        match DirBuilder::new().mode(0o700).create(target) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(PublishError::Taken),
            Err(e) => return Err(PublishError::Io(e)),
        }
        // rename(2) replaces the empty directory we just made, atomically.
        fs::rename(&self.path, target).map_err(|e| {
            let _ = fs::remove_dir(target);
            PublishError::Io(e)
        })
    }

    fn publish_dir_replacing(&self, target: &OutputTarget, pid: u32) -> Result<(), PublishError> {
        let path = target.path();
        if fs::symlink_metadata(path).is_err() {
            return self.publish_dir_exclusive(path);
        }
        let aside = (1..=TEMP_ATTEMPTS)
            .map(|n| target.aside_path(pid, n))
            .find(|p| fs::symlink_metadata(p).is_err())
            .ok_or_else(|| {
                PublishError::Io(io::Error::other(
                    "no free name to move the old backup aside",
                ))
            })?;
        fs::rename(path, &aside).map_err(PublishError::Io)?;
        if let Err(e) = fs::rename(&self.path, path) {
            let _ = fs::rename(&aside, path);
            return Err(PublishError::Io(e));
        }
        let _ = fs::remove_dir_all(&aside);
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Why publishing failed.
#[derive(Debug)]
pub(crate) enum PublishError {
    /// Something appeared at the target while the backup ran.
    Taken,
    /// The file system refused.
    Io(io::Error),
}

/// Removes what earlier backups into `folder` left behind when their
/// process was killed (the core decides which names are stale); returns a
/// warning for each removed entry. Errors are not fatal: what cannot be
/// removed stays, and the backup goes on.
pub(crate) fn remove_leftovers(folder: &Path, own_pid: u32) -> Vec<String> {
    remove_stale(folder, own_pid, |names, pid, alive| {
        sequelae_core::backup::stale_leftovers(names, pid, alive)
    })
}

/// Removes the private password directories that killed runs left in the
/// temporary folder `folder`, with a warning for each.
pub(crate) fn remove_passfile_leftovers(folder: &Path, own_pid: u32) -> Vec<String> {
    remove_stale(folder, own_pid, |names, pid, alive| {
        sequelae_core::backup::stale_passfile_dirs(names, pid, alive)
    })
}

fn remove_stale(
    folder: &Path,
    own_pid: u32,
    decide: impl Fn(&mut dyn Iterator<Item = &str>, u32, fn(u32) -> bool) -> Vec<(String, u32)>,
) -> Vec<String> {
    let Ok(entries) = fs::read_dir(folder) else {
        return Vec::new();
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let stale = decide(
        &mut names.iter().map(String::as_str),
        own_pid,
        super::pg_dump::process_alive,
    );
    let mut warnings = Vec::new();
    for (name, pid) in stale {
        let path = folder.join(&name);
        let removed = match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&path),
            Ok(_) => fs::remove_file(&path),
            Err(e) => Err(e),
        };
        if removed.is_ok() {
            warnings.push(sequelae_core::backup::leftover_removed_warning(&path, pid));
        }
    }
    warnings
}

/// Bytes in a file, or in all files under a directory.
pub(crate) fn size_of(path: &Path) -> io::Result<u64> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in fs::read_dir(path)? {
        total += size_of(&entry?.path())?;
    }
    Ok(total)
}
