//! Shell completions (clap_complete) and the manual page (clap_mangen), printed to stdout.

use std::process::ExitCode;

use clap::CommandFactory;

use crate::args::{Cli, Verb};

/// Prints the completion script or the manual page `verb` asks for.
pub fn print(verb: &Verb) -> ExitCode {
    let mut command = Cli::command();
    let mut out = std::io::stdout();
    match verb {
        Verb::Completions { shell } => {
            clap_complete::generate(*shell, &mut command, "ferry", &mut out);
            ExitCode::SUCCESS
        }
        _ => match clap_mangen::Man::new(command).render(&mut out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("ferry: cannot write the manual page: {error}");
                ExitCode::FAILURE
            }
        },
    }
}
