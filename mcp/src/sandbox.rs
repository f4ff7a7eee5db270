//! The folders a tool may touch: sql_file reads only inside its root (the
//! working directory or SEQUELAE_SQL_ROOT), sql_backup writes only inside
//! its backup folder. A path is judged after every symlink in it is
//! followed, so a link that leads out is refused like `../x` is.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PathRefused {
    #[error("{argument} is empty; give a path")]
    Empty { argument: &'static str },
    #[error("{argument} \"{path}\" contains \"..\"; give a path inside {root} without \"..\"")]
    ParentComponent {
        argument: &'static str,
        path: String,
        root: String,
    },
    #[error("{argument} \"{path}\" is absolute; give a path relative to {root}")]
    Absolute {
        argument: &'static str,
        path: String,
        root: String,
    },
    #[error(
        "{argument} \"{path}\" leads outside {root} (through a symbolic link or an absolute \
         path); only files inside it may be used"
    )]
    Outside {
        argument: &'static str,
        path: String,
        root: String,
    },
    #[error("{argument} \"{path}\" cannot be used: {reason}")]
    Unusable {
        argument: &'static str,
        path: String,
        reason: String,
    },
}

fn has_parent(path: &Path) -> bool {
    path.components().any(|c| matches!(c, Component::ParentDir))
}

/// The SQL file `given` names, inside `root`. Absolute paths are allowed
/// when they lie inside it.
pub(crate) fn sql_file(root: &Path, given: &str) -> Result<PathBuf, PathRefused> {
    const ARG: &str = "filepath";
    if given.is_empty() {
        return Err(PathRefused::Empty { argument: ARG });
    }
    let root = root.canonicalize().map_err(|e| PathRefused::Unusable {
        argument: ARG,
        path: given.to_string(),
        reason: format!("the SQL root {} cannot be read ({e})", root.display()),
    })?;
    let shown_root = root.display().to_string();
    let path = Path::new(given);
    if has_parent(path) {
        return Err(PathRefused::ParentComponent {
            argument: ARG,
            path: given.to_string(),
            root: shown_root,
        });
    }
    let candidate = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    let real = candidate.canonicalize().map_err(|e| {
        // A missing file outside the root is still "outside": say that,
        // not that it is missing.
        if path.is_absolute() && !candidate.starts_with(&root) {
            PathRefused::Outside {
                argument: ARG,
                path: given.to_string(),
                root: shown_root.clone(),
            }
        } else {
            PathRefused::Unusable {
                argument: ARG,
                path: given.to_string(),
                reason: io_reason(&e),
            }
        }
    })?;
    if !real.starts_with(&root) {
        return Err(PathRefused::Outside {
            argument: ARG,
            path: given.to_string(),
            root: shown_root,
        });
    }
    Ok(real)
}

/// Where a backup goes: the backup folder (created on demand) and the
/// path inside it that `given` names (`None`: the default name). The
/// folders on the way are created; every part that exists must stay
/// inside the folder once links are followed.
pub(crate) fn backup_output(
    folder: &Path,
    given: Option<&str>,
) -> Result<(PathBuf, Option<PathBuf>), PathRefused> {
    const ARG: &str = "outputPath";
    let unusable = |path: &str, reason: String| PathRefused::Unusable {
        argument: ARG,
        path: path.to_string(),
        reason,
    };
    std::fs::create_dir_all(folder).map_err(|e| {
        unusable(
            given.unwrap_or(""),
            format!(
                "the backup folder {} cannot be created ({e})",
                folder.display()
            ),
        )
    })?;
    let root = folder.canonicalize().map_err(|e| {
        unusable(
            given.unwrap_or(""),
            format!(
                "the backup folder {} cannot be read ({e})",
                folder.display()
            ),
        )
    })?;
    let Some(given) = given else {
        return Ok((root, None));
    };
    let shown_root = root.display().to_string();
    if given.is_empty() {
        return Err(PathRefused::Empty { argument: ARG });
    }
    let path = Path::new(given);
    if path.is_absolute() {
        return Err(PathRefused::Absolute {
            argument: ARG,
            path: given.to_string(),
            root: shown_root,
        });
    }
    if has_parent(path) {
        return Err(PathRefused::ParentComponent {
            argument: ARG,
            path: given.to_string(),
            root: shown_root,
        });
    }
    let outside = || PathRefused::Outside {
        argument: ARG,
        path: given.to_string(),
        root: shown_root.clone(),
    };
    let target = root.join(path);
    let Some(parent) = target.parent() else {
        return Err(outside());
    };
    // Check the existing part of the parent before creating anything in it.
    let mut existing = parent.to_path_buf();
    while existing.symlink_metadata().is_err() {
        if !existing.pop() {
            return Err(outside());
        }
    }
    let real_existing = existing
        .canonicalize()
        .map_err(|e| unusable(given, io_reason(&e)))?;
    if !real_existing.starts_with(&root) {
        return Err(outside());
    }
    std::fs::create_dir_all(parent).map_err(|e| unusable(given, io_reason(&e)))?;
    let real_parent = parent
        .canonicalize()
        .map_err(|e| unusable(given, io_reason(&e)))?;
    if !real_parent.starts_with(&root) {
        return Err(outside());
    }
    // The target itself: a link there must not lead out (a dangling one
    // cannot be judged, so it is refused too).
    if let Ok(meta) = target.symlink_metadata() {
        if meta.file_type().is_symlink() {
            match target.canonicalize() {
                Ok(real) if real.starts_with(&root) => {}
                _ => return Err(outside()),
            }
        }
    }
    let name = target.file_name().ok_or_else(outside)?;
    Ok((root, Some(real_parent.join(name))))
}

/// Opens the SQL file `real` that [`sql_file`] resolved inside `root`.
///
/// Between that check and this open, a part of the path may have been
/// replaced by a symbolic link leading out (the file itself or a folder
/// on the way). So the file is judged again after it is open: the path
/// must still resolve to itself inside the root, and to the very file
/// that was opened (same device and inode), or it is refused.
pub(crate) fn open_sql_file(root: &Path, real: &Path) -> Result<std::fs::File, PathRefused> {
    use std::os::unix::fs::MetadataExt;
    const ARG: &str = "filepath";
    let shown = real.display().to_string();
    let unusable = |e: &io::Error| PathRefused::Unusable {
        argument: ARG,
        path: shown.clone(),
        reason: io_reason(e),
    };
    let root = root.canonicalize().map_err(|e| unusable(&e))?;
    let outside = || PathRefused::Outside {
        argument: ARG,
        path: shown.clone(),
        root: root.display().to_string(),
    };
    let file = std::fs::File::open(real).map_err(|e| unusable(&e))?;
    let opened = file.metadata().map_err(|e| unusable(&e))?;
    let now = real.canonicalize().map_err(|_| outside())?;
    if now != real || !now.starts_with(&root) {
        return Err(outside());
    }
    let there = std::fs::metadata(&now).map_err(|_| outside())?;
    if (there.dev(), there.ino()) != (opened.dev(), opened.ino()) {
        return Err(outside());
    }
    Ok(file)
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sql_files_inside_the_root_are_found_and_the_rest_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("a.sql"), "SELECT 1").unwrap();
        std::fs::write(outside.path().join("b.sql"), "SELECT 2").unwrap();
        std::os::unix::fs::symlink(outside.path().join("b.sql"), root.path().join("link.sql"))
            .unwrap();
        assert!(sql_file(root.path(), "a.sql").is_ok());
        let inside_absolute = root.path().join("a.sql");
        assert!(sql_file(root.path(), inside_absolute.to_str().unwrap()).is_ok());
        assert!(matches!(
            sql_file(root.path(), "../x.sql"),
            Err(PathRefused::ParentComponent { .. })
        ));
        assert!(matches!(
            sql_file(root.path(), "/etc/passwd"),
            Err(PathRefused::Outside { .. })
        ));
        assert!(matches!(
            sql_file(root.path(), "/etc/nothing-here.sql"),
            Err(PathRefused::Outside { .. })
        ));
        assert!(matches!(
            sql_file(root.path(), "link.sql"),
            Err(PathRefused::Outside { .. })
        ));
    }

    #[test]
    fn backup_paths_stay_in_the_folder() {
        let base = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let folder = base.path().join("backups");
        let (root, path) = backup_output(&folder, Some("nightly/a.sql")).unwrap();
        assert!(folder.is_dir(), "created on demand");
        assert_eq!(path.unwrap(), root.join("nightly").join("a.sql"));
        std::os::unix::fs::symlink(outside.path(), folder.join("out")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.sql"), folder.join("x.sql")).unwrap();
        for bad in ["out/a.sql", "x.sql", "out/new/a.sql"] {
            assert!(
                matches!(
                    backup_output(&folder, Some(bad)),
                    Err(PathRefused::Outside { .. })
                ),
                "{bad}"
            );
        }
        assert!(
            !outside.path().join("new").exists(),
            "nothing created outside"
        );
        assert!(matches!(
            backup_output(&folder, Some("/tmp/a.sql")),
            Err(PathRefused::Absolute { .. })
        ));
        assert!(matches!(
            backup_output(&folder, Some("../a.sql")),
            Err(PathRefused::ParentComponent { .. })
        ));
    }

    /// A link put in place after the path was checked (the file itself,
    /// or a folder on the way) is caught when the file is opened.
    #[test]
    fn a_link_swapped_in_after_the_check_is_refused_at_open() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("a.sql"), "SELECT 'secret'").unwrap();
        std::fs::create_dir(root.path().join("sub")).unwrap();
        std::fs::write(root.path().join("sub").join("a.sql"), "SELECT 1").unwrap();
        std::fs::write(root.path().join("b.sql"), "SELECT 2").unwrap();

        let checked = sql_file(root.path(), "b.sql").unwrap();
        assert!(open_sql_file(root.path(), &checked).is_ok(), "untouched");
        std::fs::remove_file(&checked).unwrap();
        std::os::unix::fs::symlink(outside.path().join("a.sql"), &checked).unwrap();
        assert!(matches!(
            open_sql_file(root.path(), &checked),
            Err(PathRefused::Outside { .. })
        ));

        let checked = sql_file(root.path(), "sub/a.sql").unwrap();
        std::fs::rename(root.path().join("sub"), root.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("sub")).unwrap();
        assert!(matches!(
            open_sql_file(root.path(), &checked),
            Err(PathRefused::Outside { .. })
        ));
    }
}
