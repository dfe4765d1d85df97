//! `ribo completions SHELL`: a completion script generated from the clap definition.

use std::io::{self, Write};

use clap::CommandFactory;

use crate::cli::Cli;
use crate::EXIT_OK;

pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> io::Result<i32> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ribo", &mut buf);
    out.write_all(&buf)?;
    Ok(EXIT_OK)
}
