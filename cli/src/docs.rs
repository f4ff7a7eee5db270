//! `sequelae completions SHELL` and `sequelae man`: generated from the
//! command-line definition itself, so they list exactly the options the
//! binary takes and cannot fall behind it. The binary prints them (rather
//! than the repository carrying generated files) so that the completions
//! and the page installed always come from the version installed.

use clap::CommandFactory;

use crate::Cli;
use crate::exit::Failure;

/// Writes a completion script for `shell` on stdout.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sequelae", &mut script);
    crate::output::write(&script)
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
    crate::output::write(&roff)
}
