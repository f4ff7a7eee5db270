//! Finding the PostgreSQL installation to run: the server programs (`initdb`, `pg_ctl`,
//! `postgres`) and the client programs of the same version (`psql`, `pg_dump`, ...).

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use camino::{Utf8Path, Utf8PathBuf};

use crate::HarnessError;

/// Where Debian and Ubuntu install each PostgreSQL major version, as `<root>/<version>/bin`.
const VERSIONS_ROOT: &str = "/usr/lib/postgresql";

/// The directory holding `initdb` and `pg_ctl`, found once per process.
pub(crate) fn server_bin_dir() -> Result<&'static Utf8Path, HarnessError> {
    static DIR: OnceLock<Option<Utf8PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        find_bin_dir(
            std::env::var_os("PATH").as_deref(),
            Path::new(VERSIONS_ROOT),
        )
    })
    .as_deref()
    .ok_or(HarnessError::BinariesNotFound)
}

/// Where `scripts/postgres-versions` installs other major versions.
const VERSIONS_CACHE: &str = "/var/tmp/sequelae-postgresql";

/// The name `scripts/postgres-versions` knows an installation by: the major
/// version (`"17"`), with `-icu` for the ICU-enabled build (`"18-icu"`).
pub fn version_name(major: u32, icu: bool) -> String {
    if icu {
        format!("{major}-icu")
    } else {
        major.to_string()
    }
}

/// Whether the tests of installation `name` (see [`version_name`]) are to be
/// skipped: it is listed (comma- or space-separated) in
/// `SEQUELAE_SKIP_PG_VERSIONS`, which is how a machine that cannot install it
/// says so. Without it a missing version fails its tests, so that CI never
/// passes by testing nothing.
pub fn version_skipped(name: &str) -> bool {
    listed(
        std::env::var("SEQUELAE_SKIP_PG_VERSIONS").ok().as_deref(),
        name,
    )
}

/// Whether `list` (comma- or space-separated names, or `all`) names `name`.
fn listed(list: Option<&str>, name: &str) -> bool {
    list.is_some_and(|list| {
        list.split([',', ' '])
            .any(|listed| listed == name || listed == "all")
    })
}

/// The bin directory of PostgreSQL `major` (its ICU-enabled build when
/// `icu`): `SEQUELAE_PG<major>_BIN` (`SEQUELAE_PG<major>_ICU_BIN`) when set,
/// else what `scripts/postgres-versions` installed
/// (`$SEQUELAE_PG_CACHE/<major>[-icu]/bin`), else Debian's
/// `/usr/lib/postgresql/<major>/bin` (Debian builds with ICU).
pub(crate) fn version_bin_dir(major: u32, icu: bool) -> Result<Utf8PathBuf, HarnessError> {
    let name = version_name(major, icu);
    let variable = version_variable(major, icu);
    let cache = std::env::var_os("SEQUELAE_PG_CACHE")
        .map_or_else(|| PathBuf::from(VERSIONS_CACHE), PathBuf::from);
    let candidates = [
        std::env::var_os(&variable).map(PathBuf::from),
        Some(cache.join(&name).join("bin")),
        Some(Path::new(VERSIONS_ROOT).join(major.to_string()).join("bin")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|dir| has_server(dir) && is_executable(&dir.join("postgres")))
        .and_then(|dir| Utf8PathBuf::from_path_buf(dir).ok())
        .ok_or(HarnessError::VersionNotInstalled { name, variable })
}

/// The environment variable that points the harness at an installation.
fn version_variable(major: u32, icu: bool) -> String {
    format!("SEQUELAE_PG{major}{}_BIN", if icu { "_ICU" } else { "" })
}

/// Whether `dir` has the client programs the tests run against a server:
/// `psql` and `pg_dump`.
pub(crate) fn has_clients(dir: &Utf8Path) -> bool {
    ["psql", "pg_dump"]
        .iter()
        .all(|program| is_executable(dir.join(program).as_std_path()))
}

/// The program `name` (`psql`, `pg_dump`, `pg_restore`, ...) of the same installation as the
/// server, so that tests run client and server of one version; falls back to `PATH`.
///
/// On Debian `/usr/bin/psql` is a wrapper that picks a version by itself, which is why the
/// server's directory comes first.
pub fn server_bin(name: &str) -> Result<Utf8PathBuf, HarnessError> {
    let bin_dir = server_bin_dir()?;
    let candidate = bin_dir.join(name);
    if is_executable(candidate.as_std_path()) {
        return Ok(candidate);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .filter(|p| is_executable(p))
        .find_map(|p| Utf8PathBuf::from_path_buf(p).ok())
        .ok_or_else(|| HarnessError::ProgramNotFound {
            program: name.to_owned(),
            bin_dir: bin_dir.to_owned(),
        })
}

/// The first directory on `path_var` with `initdb` and `pg_ctl`, else the newest
/// `<versions_root>/<version>/bin` with them.
///
/// A directory on `PATH` often holds only symbolic links (`/usr/local/bin/initdb ->
/// /usr/lib/postgresql/15/bin/initdb`); the real directory is returned when it has the whole
/// installation, so that [`server_bin`] finds that version's `psql` rather than another.
fn find_bin_dir(path_var: Option<&OsStr>, versions_root: &Path) -> Option<Utf8PathBuf> {
    let on_path = path_var
        .into_iter()
        .flat_map(std::env::split_paths)
        .find(|dir| has_server(dir))
        .map(|dir| {
            std::fs::canonicalize(dir.join("initdb"))
                .ok()
                .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
                .filter(|real| has_server(real) && is_executable(&real.join("postgres")))
                .unwrap_or(dir)
        });
    on_path
        .or_else(|| newest_version_dir(versions_root))
        .and_then(|dir| Utf8PathBuf::from_path_buf(dir).ok())
}

fn newest_version_dir(versions_root: &Path) -> Option<PathBuf> {
    std::fs::read_dir(versions_root)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = version_key(entry.file_name().to_str()?)?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
}

/// `"15"` -> `[15]`, `"9.6"` -> `[9, 6]`: compares versions numerically (so 10 is newer than 9.6).
fn version_key(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

fn has_server(dir: &Path) -> bool {
    is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_give_the_install_hint() {
        let empty = tempfile::tempdir().expect("tempdir");
        let found = find_bin_dir(Some(empty.path().as_os_str()), &empty.path().join("none"));
        assert_eq!(found, None);
        assert_eq!(
            HarnessError::BinariesNotFound.to_string(),
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with \
             `apt-get install -y postgresql` (Debian/Ubuntu) or put their directory on PATH"
        );
    }

    #[test]
    fn skipped_versions_are_listed_by_exact_name() {
        assert!(listed(Some("13 18-icu"), "13"));
        assert!(listed(Some("13,18-icu"), "18-icu"));
        assert!(listed(Some(" 14 , 16 "), "16"));
        assert!(listed(Some("all"), "17"));
        assert!(!listed(Some("18-icu"), "18"));
        assert!(!listed(Some("18"), "18-icu"));
        assert!(!listed(Some(""), "13"));
        assert!(!listed(None, "13"));
    }

    #[test]
    fn newest_version_wins_numerically() {
        let root = tempfile::tempdir().expect("tempdir");
        for version in ["9.6", "10", "12", "notaversion"] {
            let bin = root.path().join(version).join("bin");
            std::fs::create_dir_all(&bin).expect("mkdir");
            for program in ["initdb", "pg_ctl"] {
                std::fs::write(bin.join(program), "").expect("write");
                std::fs::set_permissions(bin.join(program), std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }
        }
        // 12 without pg_ctl is not a server installation.
        std::fs::remove_file(root.path().join("12/bin/pg_ctl")).expect("rm");
        let found = find_bin_dir(None, root.path()).expect("found");
        assert_eq!(found.as_std_path(), root.path().join("10/bin"));
    }

    #[test]
    fn client_programs_come_from_the_server_installation() {
        let dir = server_bin_dir().expect("PostgreSQL installed");
        for program in ["postgres", "psql", "pg_dump", "pg_restore"] {
            let path = server_bin(program).expect(program);
            assert_eq!(path.parent(), Some(dir), "{program}");
        }
        assert!(matches!(
            server_bin("no-such-pg-program"),
            Err(HarnessError::ProgramNotFound { .. })
        ));
    }
}
