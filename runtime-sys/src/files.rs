//! The file system steps of a backup: look, list, create privately,
//! remove, sync, measure, and whether a process is alive. Each is a
//! blocking call (the async runtime runs it on `blocking`'s thread pool).
//! What to do and what an answer means is the driver's.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use sequelae_core::backup::{EntryKind, FsFailure, OutputProbe, PassfileRequest};

/// What is at the folder (links followed) and the target (not followed).
pub fn probe(folder: &Path, target: &Path) -> OutputProbe {
    let folder = match fs::metadata(folder) {
        Err(_) => EntryKind::Missing,
        Ok(m) if m.is_dir() => EntryKind::Directory {
            empty: false,
            dump: false,
        },
        Ok(m) if m.is_file() => EntryKind::File,
        Ok(_) => EntryKind::Other,
    };
    let target = match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => EntryKind::Missing,
        // Unreadable: say it is something, so that nothing replaces it.
        Err(_) => EntryKind::Other,
        Ok(m) if m.is_file() => EntryKind::File,
        Ok(m) if m.is_dir() => EntryKind::directory(try_list(target, true).as_deref()),
        Ok(_) => EntryKind::Other,
    };
    OutputProbe { folder, target }
}

/// The names in `folder`; none when it cannot be read.
pub fn list(folder: &Path) -> Vec<String> {
    try_list(folder, false).unwrap_or_default()
}

/// The names in `folder`: every one (`lossy`: one that is not UTF-8 still
/// counts, so that a directory holding only such a name is not empty), or
/// only those that can be named back.
fn try_list(folder: &Path, lossy: bool) -> Option<Vec<String>> {
    let entries = fs::read_dir(folder).ok()?.filter_map(Result::ok);
    Some(if lossy {
        entries
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    } else {
        entries
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()
    })
}

/// Removes a file, or a directory and all in it; true when it is gone.
pub fn remove(path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).is_ok(),
        Ok(_) => fs::remove_file(path).is_ok(),
        Err(_) => false,
    }
}

/// The permission bits of a regular file (links followed).
pub fn file_mode(path: &Path) -> Option<u32> {
    fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.permissions().mode())
}

/// Creates `path` exclusively: a directory of mode 0700 (as pg_dump makes
/// them) or an empty file of mode 0600 (a backup holds the whole
/// database: readable by its owner only).
pub fn create_private(path: &Path, directory: bool) -> Result<(), FsFailure> {
    let created = if directory {
        DirBuilder::new().mode(0o700).create(path)
    } else {
        new_private_file(path).map(drop)
    };
    created.map_err(FsFailure::from)
}

/// A new file of mode 0600; fails when `path` is taken.
fn new_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(0o600).open(path)
}

/// Creates the private directory, then the password file in it. A taken
/// directory name is [`FsFailure::Exists`]; anything after the directory
/// was made is another failure (the driver then removes both).
pub fn write_private(request: &PassfileRequest) -> Result<(), FsFailure> {
    create_private(&request.dir, true)?;
    new_private_file(&request.path)
        .and_then(|mut file| file.write_all(request.contents.expose().as_bytes()))
        .map_err(|e| FsFailure::Other(e.to_string()))
}

/// Flushes a folder, so that a name made in it is durable (the contents
/// were synced by whoever wrote them).
pub fn sync(folder: &Path) {
    if let Ok(folder) = File::open(folder) {
        let _ = folder.sync_all();
    }
}

/// Bytes in a file, or in all files under a directory.
pub fn size_of(path: &Path) -> io::Result<u64> {
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

/// True unless process `pid` is known to be gone (a process of another
/// user answers "not permitted": it is alive).
#[cfg(target_os = "linux")]
pub fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return true;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Without a liveness check every process counts as alive: nothing is
/// removed.
#[cfg(not(target_os = "linux"))]
pub fn process_alive(_pid: u32) -> bool {
    true
}
