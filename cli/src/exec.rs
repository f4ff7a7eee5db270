//! `sequelae exec` and `sequelae file`: run SQL and show every result as
//! it arrives.

use std::fs::File;
use std::io::BufReader;

use camino::Utf8Path;
use sequelae_core::session::{ScriptDriver, ScriptOptions};
use sequelae_core::sql::ScriptItem;
use sequelae_std::{Client, settings_from_env};

use crate::GlobalOptions;
use crate::exit::Failure;
use crate::interrupt;
use crate::output;
use crate::script;
use crate::source::Source;

/// `sequelae exec SQL`.
pub(crate) fn exec(global: &GlobalOptions, sql: &str) -> Result<(), Failure> {
    run(global, Source::from_text(sql))
}

/// `sequelae file PATH` (`-` for stdin): the file is read and sent in
/// pieces, never loaded whole.
pub(crate) fn file(global: &GlobalOptions, path: &Utf8Path) -> Result<(), Failure> {
    if path == "-" {
        return run(global, Source::from_stdin());
    }
    let file = File::open(path).map_err(|e| Failure::Usage(format!("cannot open {path}: {e}")))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Failure::Usage(format!(
            "{path} is a directory; give a SQL file"
        )));
    }
    // A file can be read twice: check the whole script first (meta-commands,
    // unterminated quotes, invalid UTF-8), so that a mistake on line 90,000
    // is reported before line 1 runs, even with --no-transaction.
    let mut check =
        Source::from_reader(BufReader::with_capacity(64 * 1024, file), path.to_string());
    while check.next()?.is_some() {}
    let file = File::open(path).map_err(|e| Failure::Usage(format!("cannot open {path}: {e}")))?;
    run(
        global,
        Source::from_reader(BufReader::with_capacity(64 * 1024, file), path.to_string()),
    )
}

fn run(global: &GlobalOptions, mut source: Source<'_>) -> Result<(), Failure> {
    let options = ScriptOptions {
        transaction: !global.no_transaction,
        read_only: global.read_only,
        statement_timeout: global.timeout(),
        max_rows: global.max_rows,
    };
    // Refuse bad flags, a closed stdout, and unreadable or malformed
    // input before connecting.
    output::check_stdout_open()?;
    let name = (source.name != "<command>").then(|| source.name.clone());
    let driver = ScriptDriver::new(options, name).map_err(|e| Failure::Usage(e.to_string()))?;
    interrupt::report_json(global.json);
    let multi = {
        // Waiting for the first statements (stdin may be slow): a signal
        // wakes the read, and the failure is reported as any other.
        let _waiting = interrupt::on_interrupt(|| {});
        match source.next()? {
            Some(first) => {
                let copy = matches!(&first, ScriptItem::Statement(s) if s.copy_from_stdin);
                let more = copy || source.peek()?.is_some();
                source.unread_front(first);
                more
            }
            None => false,
        }
    };
    let connection = settings_from_env(global.database_url.as_deref())?;
    let mut client = Client::connect(&connection)?;
    for warning in client.warnings() {
        output::note(&format!("sequelae: warning: {warning}"));
    }
    let mut presenter = crate::present::for_options(global, multi, source.name.clone());
    let result = script::run(&mut client, &mut source, driver, presenter.as_mut());
    drop(presenter);
    // A session that broke (timeout, lost connection) cannot say goodbye.
    let _ = client.close();
    result
}
