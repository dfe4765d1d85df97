//! The `ribo` binary: parse arguments, run, exit with ribo's status.

use clap::Parser;

fn main() {
    let cli = ribo::cli::Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = ribo::run(cli, &mut stdout.lock(), &mut stderr.lock());
    std::process::exit(code);
}
