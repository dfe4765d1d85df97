//! The `ribo` binary: parse arguments, run, exit with ribo's status.

use clap::Parser;

fn main() {
    let cli = ribo::cli::Cli::parse();
    let stdout = std::io::stdout();
    // stderr is locked per write, not for the whole run: the progress bar draws on it from
    // another thread.
    let code = ribo::run(cli, &mut stdout.lock(), &mut std::io::stderr());
    std::process::exit(code);
}
