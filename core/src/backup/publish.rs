//! Publishing the temporary output under the backup's name, as steps of
//! the [`BackupDriver`](super::BackupDriver): nothing at the name is ever
//! overwritten unless the user said `--force`, and a failure leaves what
//! was there as it was (see the [`output`](super::output) module for why).
//!
//! - A file, exclusively: a hard link fails if the name exists; then the
//!   temporary name is removed. Without hard links (some file systems):
//!   check, then rename (a racing writer could slip in between).
//! - A file, replacing: rename.
//! - A directory, exclusively: make the directory (which fails if the name
//!   exists), then rename onto it (an empty directory is replaced
//!   atomically); on failure, remove the directory made.
//! - A directory, replacing: move the old one aside to a free name, move
//!   the new one in, remove the old one; on failure move the old one back.
//!
//! Then the folder is synced, so that the new name is durable.

use std::path::PathBuf;

use super::step::{FsFailure, PublishEnd, Step};

/// What the publication waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    LinkFile,
    RemoveLinkedTemp,
    CheckTarget,
    RenameFile,
    MakeDir,
    RenameIntoDir,
    RemoveClaimedDir,
    CheckDirTarget,
    FindAside(usize),
    MoveOldAside(usize),
    MoveNewIn(usize),
    RestoreOld(usize),
    RemoveAside(usize),
    Sync,
    End(PublishEnd),
}

/// One publication in progress.
#[derive(Debug, Clone)]
pub(super) struct Publication {
    from: PathBuf,
    to: PathBuf,
    folder: PathBuf,
    asides: Vec<PathBuf>,
    op: Op,
    /// How it ends once the cleanup step under way is done.
    pending: Option<PublishEnd>,
}

impl Publication {
    /// Moves `from` to `to` (in `folder`); `asides` are the names to try
    /// for an old directory that is replaced.
    pub(super) fn new(
        from: PathBuf,
        to: PathBuf,
        folder: PathBuf,
        directory: bool,
        replace: bool,
        asides: Vec<PathBuf>,
    ) -> Publication {
        let op = match (directory, replace) {
            (false, false) => Op::LinkFile,
            (false, true) => Op::RenameFile,
            (true, false) => Op::MakeDir,
            (true, true) => Op::CheckDirTarget,
        };
        Publication {
            from,
            to,
            folder,
            asides,
            op,
            pending: None,
        }
    }

    /// The step to do, or how the publication ended.
    pub(super) fn next(&mut self) -> Result<Step, PublishEnd> {
        let rename = |from: &PathBuf, to: &PathBuf| Step::Rename {
            from: from.clone(),
            to: to.clone(),
        };
        Ok(match &self.op {
            Op::LinkFile => Step::HardLink {
                from: self.from.clone(),
                to: self.to.clone(),
            },
            Op::RemoveLinkedTemp => Step::Remove {
                path: self.from.clone(),
            },
            Op::CheckTarget | Op::CheckDirTarget => Step::Exists {
                path: self.to.clone(),
            },
            Op::RenameFile | Op::RenameIntoDir => rename(&self.from, &self.to),
            Op::MakeDir => Step::CreatePrivate {
                path: self.to.clone(),
                directory: true,
            },
            Op::RemoveClaimedDir => Step::Remove {
                path: self.to.clone(),
            },
            Op::FindAside(n) => Step::Exists {
                path: self.asides[*n].clone(),
            },
            Op::MoveOldAside(n) => rename(&self.to, &self.asides[*n]),
            Op::MoveNewIn(_) => rename(&self.from, &self.to),
            Op::RestoreOld(n) => rename(&self.asides[*n], &self.to),
            Op::RemoveAside(n) => Step::Remove {
                path: self.asides[*n].clone(),
            },
            Op::Sync => {
                // Needs no answer.
                self.op = Op::End(PublishEnd::Published);
                Step::SyncFolder {
                    path: self.folder.clone(),
                }
            }
            Op::End(end) => return Err(end.clone()),
        })
    }

    /// The answer to the last step: for [`Step::Exists`], `Ok` when
    /// something is there; for [`Step::Remove`], `Ok` when it is gone.
    pub(super) fn answer(&mut self, answer: Result<(), FsFailure>) {
        let failed = |reason: &str| Op::End(PublishEnd::Failed(reason.to_string()));
        let reason = |failure: &FsFailure| match failure {
            FsFailure::Exists => "the name exists".to_string(),
            FsFailure::Missing(reason) | FsFailure::Other(reason) => reason.clone(),
        };
        self.op = match (&self.op, answer) {
            (Op::LinkFile, Ok(())) => Op::RemoveLinkedTemp,
            (Op::LinkFile, Err(FsFailure::Exists)) => Op::End(PublishEnd::Taken),
            (Op::LinkFile, Err(FsFailure::Missing(r))) => failed(&r),
            // No hard links on this file system (EPERM, ENOTSUP...).
            (Op::LinkFile, Err(FsFailure::Other(_))) => Op::CheckTarget,
            (Op::RemoveLinkedTemp, _) => Op::Sync,
            (Op::CheckTarget, Ok(())) => Op::End(PublishEnd::Taken),
            (Op::CheckTarget, Err(_)) => Op::RenameFile,
            (Op::RenameFile | Op::RenameIntoDir, Ok(())) => Op::Sync,
            (Op::RenameFile, Err(f)) => failed(&reason(&f)),
            (Op::MakeDir, Ok(())) => Op::RenameIntoDir,
            (Op::MakeDir, Err(FsFailure::Exists)) => Op::End(PublishEnd::Taken),
            (Op::MakeDir, Err(f)) => failed(&reason(&f)),
            (Op::RenameIntoDir, Err(f)) => {
                self.pending = Some(PublishEnd::Failed(reason(&f)));
                Op::RemoveClaimedDir
            }
            (Op::CheckDirTarget, Ok(())) => Op::FindAside(0),
            (Op::CheckDirTarget, Err(_)) => Op::MakeDir,
            (Op::FindAside(n), Ok(())) if n + 1 < self.asides.len() => Op::FindAside(n + 1),
            (Op::FindAside(_), Ok(())) => failed("no free name to move the old backup aside"),
            (Op::FindAside(n), Err(_)) => Op::MoveOldAside(*n),
            (Op::MoveOldAside(n), Ok(())) => Op::MoveNewIn(*n),
            (Op::MoveOldAside(_), Err(f)) => failed(&reason(&f)),
            (Op::MoveNewIn(n), Ok(())) => Op::RemoveAside(*n),
            (Op::MoveNewIn(n), Err(f)) => {
                self.pending = Some(PublishEnd::Failed(reason(&f)));
                Op::RestoreOld(*n)
            }
            (Op::RemoveAside(_), _) => Op::Sync,
            (Op::RemoveClaimedDir | Op::RestoreOld(_), _) => Op::End(
                self.pending
                    .take()
                    .unwrap_or(PublishEnd::Failed(String::new())),
            ),
            (Op::Sync | Op::End(_), _) => return,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a publication with `answers` in order; the steps it took and
    /// how it ended.
    fn publish(
        directory: bool,
        replace: bool,
        answers: &[Result<(), FsFailure>],
    ) -> (Vec<String>, PublishEnd) {
        let mut p = Publication::new(
            "/w/.t.tmp".into(),
            "/w/t".into(),
            "/w".into(),
            directory,
            replace,
            vec!["/w/.t.old1".into(), "/w/.t.old2".into()],
        );
        let mut answers = answers.iter().cloned();
        let mut steps = Vec::new();
        loop {
            match p.next() {
                Err(end) => return (steps, end),
                Ok(step) => {
                    steps.push(match &step {
                        Step::HardLink { to, .. } => format!("link {}", to.display()),
                        Step::Rename { from, to } => {
                            format!("rename {} {}", from.display(), to.display())
                        }
                        Step::Exists { path } => format!("exists {}", path.display()),
                        Step::Remove { path } => format!("remove {}", path.display()),
                        Step::CreatePrivate { path, .. } => format!("mkdir {}", path.display()),
                        Step::SyncFolder { path } => format!("sync {}", path.display()),
                        other => panic!("{other:?}"),
                    });
                    if !matches!(step, Step::SyncFolder { .. }) {
                        p.answer(answers.next().expect("an answer for each step"));
                    }
                }
            }
        }
    }

    fn other() -> Result<(), FsFailure> {
        Err(FsFailure::Other("EPERM".into()))
    }

    fn missing() -> Result<(), FsFailure> {
        Err(FsFailure::Missing("ENOENT".into()))
    }

    #[test]
    fn a_file_is_linked_then_its_temporary_name_removed() {
        let (steps, end) = publish(false, false, &[Ok(()), Ok(())]);
        assert_eq!(steps, ["link /w/t", "remove /w/.t.tmp", "sync /w"]);
        assert_eq!(end, PublishEnd::Published);
        let (_, end) = publish(false, false, &[Err(FsFailure::Exists)]);
        assert_eq!(end, PublishEnd::Taken);
    }

    #[test]
    fn without_hard_links_a_file_is_checked_then_renamed() {
        let (steps, end) = publish(false, false, &[other(), missing(), Ok(())]);
        assert_eq!(
            steps,
            [
                "link /w/t",
                "exists /w/t",
                "rename /w/.t.tmp /w/t",
                "sync /w"
            ]
        );
        assert_eq!(end, PublishEnd::Published);
        let (_, end) = publish(false, false, &[other(), Ok(())]);
        assert_eq!(end, PublishEnd::Taken);
    }

    #[test]
    fn a_directory_claims_its_name_first() {
        let (steps, end) = publish(true, false, &[Ok(()), Ok(())]);
        assert_eq!(steps, ["mkdir /w/t", "rename /w/.t.tmp /w/t", "sync /w"]);
        assert_eq!(end, PublishEnd::Published);
        let (_, end) = publish(true, false, &[Err(FsFailure::Exists)]);
        assert_eq!(end, PublishEnd::Taken);
        let (steps, end) = publish(true, false, &[Ok(()), other(), Ok(())]);
        assert_eq!(
            steps,
            ["mkdir /w/t", "rename /w/.t.tmp /w/t", "remove /w/t"]
        );
        assert_eq!(end, PublishEnd::Failed("EPERM".into()));
    }

    #[test]
    fn a_replaced_directory_is_moved_aside_and_back_on_failure() {
        let (steps, end) = publish(
            true,
            true,
            &[Ok(()), Ok(()), missing(), Ok(()), Ok(()), Ok(())],
        );
        assert_eq!(
            steps,
            [
                "exists /w/t",
                "exists /w/.t.old1",
                "exists /w/.t.old2",
                "rename /w/t /w/.t.old2",
                "rename /w/.t.tmp /w/t",
                "remove /w/.t.old2",
                "sync /w"
            ]
        );
        assert_eq!(end, PublishEnd::Published);
        let (steps, end) = publish(true, true, &[Ok(()), missing(), Ok(()), other(), Ok(())]);
        assert_eq!(
            steps[3..],
            ["rename /w/.t.tmp /w/t", "rename /w/.t.old1 /w/t"]
        );
        assert_eq!(end, PublishEnd::Failed("EPERM".into()));
        let (_, end) = publish(true, true, &[Ok(()), Ok(()), Ok(())]);
        assert_eq!(
            end,
            PublishEnd::Failed("no free name to move the old backup aside".into())
        );
    }
}
