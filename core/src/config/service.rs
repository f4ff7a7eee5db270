//! libpq's connection service file (`pg_service.conf`): named groups of
//! options, so that `service=prod` or `PGSERVICE=prod` connects where psql
//! would. The runtime reads the files; this module decides which files,
//! in which order, and what they say.

use super::error::{ConfigError, Origin};
use super::keywords;

/// The options of one service group, by libpq key, in file order.
pub(crate) type ServiceOptions = Vec<(&'static str, String)>;

/// Where libpq looks for the system-wide file when `PGSYSCONFDIR` is not
/// set: the Debian-family build's configuration directory.
pub const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The files to search, in libpq's order: the user file (`servicefile=`,
/// else `PGSERVICEFILE`, else `~/.pg_service.conf`), then
/// `PGSYSCONFDIR/pg_service.conf`. A file that does not exist is skipped.
pub(crate) fn candidate_files(
    servicefile: Option<&str>,
    env_servicefile: Option<&str>,
    home: Option<&str>,
    sysconfdir: Option<&str>,
) -> Vec<String> {
    let mut files = Vec::with_capacity(2);
    match (servicefile, env_servicefile, home) {
        (Some(f), _, _) | (None, Some(f), _) => files.push(f.to_string()),
        (None, None, Some(home)) => files.push(format!("{home}/.pg_service.conf")),
        (None, None, None) => {}
    }
    let dir = sysconfdir.unwrap_or(DEFAULT_SYSCONFDIR);
    files.push(format!("{}/pg_service.conf", dir.trim_end_matches('/')));
    files
}

/// The options of service `name` in one file's `text`, or `None` when the
/// file has no such group. Lines are `[name]`, `key=value`, blank or `#`
/// comments, with surrounding white space dropped, as libpq reads them.
///
/// # Errors
///
/// A line that is neither, an unknown key, or a nested `service` key,
/// named by file and line as libpq does.
pub(crate) fn lookup(
    text: &str,
    file: &str,
    name: &str,
) -> Result<Option<ServiceOptions>, ConfigError> {
    let mut in_group = false;
    let mut found = false;
    let mut options = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(group) = line.strip_prefix('[') {
            if found && in_group {
                // libpq stops at the group after the one it wanted.
                break;
            }
            in_group = group.strip_suffix(']') == Some(name);
            found |= in_group;
            continue;
        }
        if !in_group {
            continue;
        }
        let syntax = || ConfigError::ServiceFileSyntax {
            file: file.to_string(),
            line: line_no,
        };
        let (key, value) = line.split_once('=').ok_or_else(syntax)?;
        if key == "service" || key == "servicefile" {
            return Err(ConfigError::NestedService {
                file: file.to_string(),
                line: line_no,
            });
        }
        let keyword = keywords::lookup(key).ok_or_else(syntax)?;
        options.push((keyword.name, value.to_string()));
    }
    Ok(found.then_some(options))
}

/// The options of service `name`: the first file (of `files`, read through
/// `read`) that defines it wins, as in libpq.
///
/// # Errors
///
/// [`ConfigError::ServiceNotFound`] when no file defines it, else a syntax
/// error of the file that does.
pub(crate) fn resolve(
    name: &str,
    name_origin: Origin,
    files: &[String],
    read: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, ServiceOptions), ConfigError> {
    for file in files {
        let Some(text) = read(file) else { continue };
        if let Some(options) = lookup(&text, file, name)? {
            return Ok((file.clone(), options));
        }
    }
    Err(ConfigError::ServiceNotFound {
        name: name.to_string(),
        origin: name_origin,
        searched: files.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# shared\n[dev]\nhost=devhost\n\n[prod]\nhost=prodhost\nport=5433\n  dbname=app  \n[other]\nhost=x\n";

    #[test]
    fn reads_the_named_group_only() {
        let options = lookup(FILE, "f", "prod").expect("valid").expect("found");
        assert_eq!(
            options,
            vec![
                ("host", "prodhost".to_string()),
                ("port", "5433".to_string()),
                ("dbname", "app".to_string())
            ]
        );
        assert_eq!(lookup(FILE, "f", "nope").expect("valid"), None);
    }

    #[test]
    fn names_file_and_line_of_a_bad_line() {
        let err = lookup("[a]\nhost=h\nnonsense\n", "/etc/x.conf", "a").expect_err("bad");
        assert_eq!(
            err.to_string(),
            "syntax error in service file \"/etc/x.conf\", line 3: write key=value with a \
             libpq option name"
        );
        let err = lookup("[a]\nservice=b\n", "f", "a").expect_err("nested");
        assert!(err.to_string().contains("nested service"), "{err}");
    }

    #[test]
    fn search_order_is_libpqs() {
        assert_eq!(
            candidate_files(None, None, Some("/home/a"), None),
            vec![
                "/home/a/.pg_service.conf",
                "/etc/postgresql-common/pg_service.conf"
            ]
        );
        assert_eq!(
            candidate_files(Some("/x"), Some("/y"), Some("/home/a"), Some("/etc/pg/")),
            vec!["/x", "/etc/pg/pg_service.conf"]
        );
        assert_eq!(
            candidate_files(None, Some("/y"), Some("/home/a"), None)[0],
            "/y".to_string()
        );
    }

    #[test]
    fn first_file_defining_the_service_wins() {
        let files = vec!["a".to_string(), "b".to_string()];
        let read = |path: &str| match path {
            "a" => Some("[x]\nhost=from-a\n".to_string()),
            "b" => Some("[y]\nhost=from-b\n".to_string()),
            _ => None,
        };
        let (file, options) = resolve("y", Origin::ConnectionString, &files, &read).expect("found");
        assert_eq!(file, "b");
        assert_eq!(options, vec![("host", "from-b".to_string())]);
        let err = resolve("z", Origin::EnvVar("PGSERVICE"), &files, &read).expect_err("missing");
        assert_eq!(
            err.to_string(),
            "definition of service \"z\" (from PGSERVICE) not found in a, b"
        );
    }
}
