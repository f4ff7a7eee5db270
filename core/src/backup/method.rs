//! Which method runs: finding pg_dump, checking that it can dump the
//! server, and falling back.
//!
//! | method     | pg_dump usable        | pg_dump unusable / fails          |
//! |------------|-----------------------|-----------------------------------|
//! | `auto`     | pg_dump runs          | native, with every reason recorded |
//! | `pg_dump`  | pg_dump runs          | the backup fails with the reason  |
//! | `native`   | native (not looked at) | native                            |
//!
//! A backup the user interrupted never falls back.

use std::path::{Path, PathBuf};

use super::error::{BackupError, PgDumpProblem};
use super::options::{BackupMethod, BackupOptions};
use super::version::{Compatibility, PgDumpVersion, ServerVersion};
use crate::config::Environment;

/// The variable that names the pg_dump program when `--pg-dump-path` does
/// not.
pub const PG_DUMP_VAR: &str = "SEQUELAE_PG_DUMP";

/// Where to find pg_dump, before looking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgDumpLocation {
    /// A path (it has a `/`): run exactly that file.
    Path {
        /// The path.
        path: PathBuf,
        /// Who named it, for messages: `--pg-dump-path` or the variable.
        origin: &'static str,
    },
    /// A bare name: the first executable `dir/name` of `PATH`.
    Search {
        /// The program name.
        name: String,
        /// `PATH`'s directories in order.
        dirs: Vec<PathBuf>,
        /// Who named it.
        origin: &'static str,
    },
}

impl PgDumpLocation {
    /// `--pg-dump-path`, else `SEQUELAE_PG_DUMP`, else `pg_dump` on `PATH`.
    pub fn from_options(options: &BackupOptions, env: &Environment) -> PgDumpLocation {
        let (program, origin) = match (&options.pg_dump_path, env.var(PG_DUMP_VAR)) {
            (Some(p), _) if !p.is_empty() => (p.clone(), "--pg-dump-path"),
            (_, Some(p)) => (p.to_string(), PG_DUMP_VAR),
            _ => ("pg_dump".to_string(), "the default"),
        };
        if program.contains('/') {
            return PgDumpLocation::Path {
                path: PathBuf::from(program),
                origin,
            };
        }
        let path_var = env.var("PATH").unwrap_or("");
        let dirs = path_var
            .split(':')
            // An empty entry means the working directory, as for execvp.
            .map(|d| if d.is_empty() { "." } else { d })
            .map(PathBuf::from)
            .collect();
        PgDumpLocation::Search {
            name: program,
            dirs,
            origin,
        }
    }

    /// The files to try, in order.
    pub fn candidates(&self) -> Vec<PathBuf> {
        match self {
            PgDumpLocation::Path { path, .. } => vec![path.clone()],
            PgDumpLocation::Search { name, dirs, .. } => {
                dirs.iter().map(|d| d.join(name)).collect()
            }
        }
    }

    /// Why no candidate was an executable file.
    pub fn not_found(&self) -> PgDumpProblem {
        let detail = match self {
            PgDumpLocation::Path { path, origin } => {
                format!(
                    "{} (from {origin}) is not an executable file",
                    path.display()
                )
            }
            PgDumpLocation::Search { name, dirs, .. } => {
                let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
                format!("no {name} in PATH ({})", dirs.join(":"))
            }
        };
        PgDumpProblem::NotFound { detail }
    }
}

/// What running `program --version` gave: its standard output, or why it
/// could not run or failed.
pub fn read_version(
    program: &Path,
    outcome: Result<String, String>,
) -> Result<PgDumpVersion, PgDumpProblem> {
    let shown = program.display().to_string();
    match outcome {
        Err(reason) => Err(PgDumpProblem::NotRunnable {
            program: shown,
            reason: format!("`{} --version` failed: {reason}", program.display()),
        }),
        Ok(out) => PgDumpVersion::parse(&out).ok_or_else(|| {
            let first = out.lines().next().unwrap_or("").trim();
            PgDumpProblem::NotRunnable {
                program: shown,
                reason: format!(
                    "`--version` printed {first:?}, not \"pg_dump (PostgreSQL) <version>\""
                ),
            }
        }),
    }
}

/// The method to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodChoice {
    /// Run this pg_dump.
    PgDump {
        /// The program's path.
        program: PathBuf,
        /// Its version.
        version: PgDumpVersion,
    },
    /// Run the native method; `reasons` say why pg_dump was not used (empty
    /// when the native method was asked for).
    Native {
        /// Why pg_dump was not used.
        reasons: Vec<PgDumpProblem>,
    },
}

impl MethodChoice {
    /// The choice for `method`, given what was found of pg_dump (`None`
    /// when it was not looked for: see [`BackupMethod::uses_pg_dump`]) and
    /// the server's version.
    ///
    /// # Errors
    ///
    /// [`BackupError::PgDump`] when `--pg-dump` insists and pg_dump is
    /// missing, broken or too old.
    pub fn decide(
        method: BackupMethod,
        found: Option<Result<(PathBuf, PgDumpVersion), PgDumpProblem>>,
        server: ServerVersion,
    ) -> Result<MethodChoice, BackupError> {
        let Some(found) = found.filter(|_| method.uses_pg_dump()) else {
            return Ok(MethodChoice::Native { reasons: vec![] });
        };
        let usable = found.and_then(|(program, version)| {
            let shown = program.display().to_string();
            match version.can_dump(server) {
                Compatibility::Yes => Ok(MethodChoice::PgDump { program, version }),
                Compatibility::ServerNewer => Err(PgDumpProblem::TooOld {
                    program: shown,
                    version,
                    server,
                }),
                Compatibility::ServerTooOld => Err(PgDumpProblem::ServerTooOld {
                    program: shown,
                    version,
                    server,
                }),
            }
        });
        match (usable, method) {
            (Ok(choice), _) => Ok(choice),
            (Err(problem), BackupMethod::PgDump) => Err(BackupError::PgDump(problem)),
            (Err(problem), _) => Ok(MethodChoice::Native {
                reasons: vec![problem],
            }),
        }
    }

    /// Why auto mode goes native without looking for pg_dump: `--jobs`
    /// with plain (or gzip) output, which pg_dump writes with one job
    /// only while the native method copies tables in parallel.
    pub fn parallel_plain(options: &BackupOptions) -> Option<PgDumpProblem> {
        let plain = options.format == super::format::BackupFormat::Plain;
        (options.method == BackupMethod::Auto && plain && options.jobs > 1)
            .then_some(PgDumpProblem::SerialOnly { jobs: options.jobs })
    }

    /// What follows a pg_dump run that failed (not one the user
    /// interrupted): in auto mode the native method, with the failure as
    /// the reason; else the failure.
    ///
    /// # Errors
    ///
    /// [`BackupError::PgDump`] with the failure when `--pg-dump` insists.
    pub fn after_failure(
        method: BackupMethod,
        failure: PgDumpProblem,
    ) -> Result<Vec<PgDumpProblem>, BackupError> {
        match method {
            BackupMethod::Auto => Ok(vec![failure]),
            BackupMethod::PgDump | BackupMethod::Native => Err(BackupError::PgDump(failure)),
        }
    }
}

/// The native method cannot take over (pg_dump failed after it had
/// started writing to standard output): the error says why pg_dump was not
/// used.
pub fn native_unavailable(reasons: Vec<PgDumpProblem>) -> BackupError {
    BackupError::NativeUnavailable { reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment::new().with_var("PATH", "/usr/local/bin:/usr/bin")
    }

    #[test]
    fn location_precedence() {
        let mut o = BackupOptions::default();
        let loc = PgDumpLocation::from_options(&o, &env());
        assert_eq!(
            loc.candidates(),
            vec![
                PathBuf::from("/usr/local/bin/pg_dump"),
                PathBuf::from("/usr/bin/pg_dump")
            ]
        );
        let with_var = env().with_var(PG_DUMP_VAR, "/opt/pg17/bin/pg_dump");
        assert_eq!(
            PgDumpLocation::from_options(&o, &with_var).candidates(),
            vec![PathBuf::from("/opt/pg17/bin/pg_dump")]
        );
        o.pg_dump_path = Some("pg_dump-17".into());
        let loc = PgDumpLocation::from_options(&o, &with_var);
        assert_eq!(
            loc.candidates()[0],
            PathBuf::from("/usr/local/bin/pg_dump-17")
        );
        assert_eq!(
            loc.not_found().to_string(),
            "pg_dump was not found (no pg_dump-17 in PATH (/usr/local/bin:/usr/bin)): install the PostgreSQL client programs, or name the program with --pg-dump-path or SEQUELAE_PG_DUMP"
        );
        o.pg_dump_path = Some("./pg_dump".into());
        let loc = PgDumpLocation::from_options(&o, &env());
        assert!(
            loc.not_found()
                .to_string()
                .contains("./pg_dump (from --pg-dump-path) is not an executable file")
        );
    }

    fn found(v: &str) -> Option<Result<(PathBuf, PgDumpVersion), PgDumpProblem>> {
        let version = PgDumpVersion::parse(&format!("pg_dump (PostgreSQL) {v}")).expect("version");
        Some(Ok((PathBuf::from("/usr/bin/pg_dump"), version)))
    }

    #[test]
    fn auto_runs_a_compatible_pg_dump() {
        let c = MethodChoice::decide(BackupMethod::Auto, found("15.18"), ServerVersion(150_018));
        assert!(matches!(c, Ok(MethodChoice::PgDump { .. })), "{c:?}");
    }

    #[test]
    fn auto_falls_back_when_pg_dump_is_too_old() {
        let c = MethodChoice::decide(BackupMethod::Auto, found("15.18"), ServerVersion(170_002))
            .expect("falls back");
        let MethodChoice::Native { reasons } = c else {
            panic!("{c:?}")
        };
        assert_eq!(
            reasons[0].to_string(),
            "pg_dump 15.18 (/usr/bin/pg_dump) cannot dump PostgreSQL 17.2, a newer major version: install pg_dump 17 or newer and name it with --pg-dump-path or SEQUELAE_PG_DUMP"
        );
        let e = native_unavailable(reasons);
        assert!(e.to_string().contains("cannot dump PostgreSQL 17.2"), "{e}");
    }

    #[test]
    fn forced_pg_dump_fails_instead() {
        let e = MethodChoice::decide(BackupMethod::PgDump, found("15.18"), ServerVersion(170_002))
            .expect_err("no fallback");
        assert!(matches!(
            e,
            BackupError::PgDump(PgDumpProblem::TooOld { .. })
        ));
        let missing = Some(Err(PgDumpProblem::NotFound {
            detail: "no pg_dump in PATH ()".into(),
        }));
        let e = MethodChoice::decide(BackupMethod::PgDump, missing, ServerVersion(150_018))
            .expect_err("no fallback");
        assert!(e.to_string().starts_with("pg_dump was not found"), "{e}");
    }

    #[test]
    fn native_never_looks_at_pg_dump() {
        let c = MethodChoice::decide(BackupMethod::Native, None, ServerVersion(150_018));
        assert_eq!(c, Ok(MethodChoice::Native { reasons: vec![] }));
        assert!(!BackupMethod::Native.uses_pg_dump());
    }

    #[test]
    fn failures_fall_back_only_in_auto_mode() {
        let failure = PgDumpProblem::Failed {
            status: "exit status 1".into(),
            message: "pg_dump: error: boom".into(),
        };
        assert_eq!(
            MethodChoice::after_failure(BackupMethod::Auto, failure.clone()),
            Ok(vec![failure.clone()])
        );
        assert_eq!(
            MethodChoice::after_failure(BackupMethod::PgDump, failure.clone()),
            Err(BackupError::PgDump(failure))
        );
    }

    #[test]
    fn version_output_must_be_pg_dumps() {
        let p = Path::new("/bin/true");
        assert!(read_version(p, Ok("pg_dump (PostgreSQL) 16.1\n".into())).is_ok());
        let e = read_version(p, Ok(String::new())).expect_err("empty");
        assert!(
            e.to_string()
                .contains("/bin/true cannot be used as pg_dump"),
            "{e}"
        );
        let e = read_version(p, Err("exit status 2".into())).expect_err("failed");
        assert!(
            e.to_string().contains("--version` failed: exit status 2"),
            "{e}"
        );
    }
}
