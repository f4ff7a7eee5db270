//! `sequelae completions SHELL` and `sequelae man`: generated from the
//! command-line definition itself, so they list exactly the options the
//! binary takes and cannot fall behind it. The binary prints them (rather
//! than the repository carrying generated files) so that the completions
//! and the page installed always come from the version installed.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::Cli;
use crate::exit::Failure;

/// Writes a completion script for `shell` on stdout.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sequelae", &mut script);
    write_stdout(&script)
}

/// Writes the manual page of sequelae, or of one of its commands
/// (`sequelae-exec(1)`), as roff on stdout.
pub(crate) fn man(command: Option<&str>) -> Result<(), Failure> {
    let mut cli = Cli::command();
    cli.build();
    let page = match command {
        None => cli,
        Some(name) => {
            let Some(sub) = cli.find_subcommand(name).cloned() else {
                let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                return Err(Failure::Usage(format!(
                    "`{name}` is not a sequelae command; give one of: {}",
                    names.join(", ")
                )));
            };
            sub.name(format!("sequelae-{name}"))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| Failure::Usage(format!("cannot render the manual page: {e}")))?;
    write_stdout(&roff)
}

/// Writes `bytes` to stdout. A reader that went away (`| head`) is not an
/// error; any other write failure is reported.
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprintln!("sequelae: cannot write to stdout: {e}");
            Err(Failure::Reported(1))
        }
    }
}
