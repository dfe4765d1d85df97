//! ribo: reconciles a repository's declared identity (`ribo.yaml`) with its Rust code.
//!
//! `run` is the whole program: spec (`spec`) and code facts (`facts`) are built
//! independently, rules (`rules`) diff them into violations, and a report format (`report`)
//! writes them. Each command lives in `commands`. Exit status: 0 clean, 1 violations, 2 could
//! not run.

pub mod cli;
pub mod commands;
pub mod facts;
pub mod report;
pub mod rules;
pub mod spec;

use std::io::{self, IsTerminal, Write};

use cli::{Cli, ColorChoice, Command, ContractCommand};
use report::Style;

/// What gives the memory freed by a call back to the system, between the calls of a
/// long-lived command (`ribo mcp`): set by the binary, which owns the allocator.
pub static RELEASE_MEMORY: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Chooses the allocator for what follows (`true`: mimalloc, as for a focused check; `false`:
/// the system's, as for a whole one): set by the binary, which owns the allocator. A
/// long-lived command (`ribo mcp`) switches per call.
pub static FOCUSED_ALLOCATOR: std::sync::OnceLock<fn(bool)> = std::sync::OnceLock::new();

pub const EXIT_OK: i32 = 0;

pub const EXIT_VIOLATIONS: i32 = 1;

pub const EXIT_ERROR: i32 = 2;

pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let style = Style {
        color: use_color(cli.color),
        width: 100,
    };
    let result = match &cli.command {
        Command::Check(args) => commands::check::check(args, style, out, err),
        Command::Baseline(args) => commands::baseline::baseline(args, style, out, err),
        Command::Facts(args) => commands::facts::facts(&args.spec, style, out, err),
        Command::Explain(args) => commands::explain::explain(args, style, out, err),
        Command::Init(args) => commands::init::init(args, style, out, err),
        Command::Graph(args) => commands::graph::graph(args, style, out, err),
        Command::Completions(args) => commands::completions::completions(args.shell, out),
        Command::Contract(ContractCommand::Snapshot(args)) => {
            commands::contract::contract_snapshot(&args.module, &args.spec, style, out, err)
        }
        Command::Hook(args) => commands::hook::hook(args, style, out, err),
        Command::DiffSpec(args) => commands::diff_spec::diff_spec(args, style, out, err),
        Command::Mcp(args) => commands::mcp::mcp(args, err),
        Command::Schema => out
            .write_all(spec::schema::SCHEMA.as_bytes())
            .map(|()| EXIT_OK),
    };
    match result {
        Ok(code) => code,
        // A closed pipe (`ribo check | head`) is not an error worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "error: could not write output: {e}");
            EXIT_ERROR
        }
    }
}

/// Whether `cli` is a focused check: one that reports on named files or on the changed ones
/// (changed mode), as `ribo check` itself decides from its paths.
pub fn focused(cli: &Cli) -> bool {
    match &cli.command {
        Command::Check(args) => {
            args.changed
                || args.patch.is_some()
                || args.stdin_path.is_some()
                || matches!(
                    commands::changed::paths(args),
                    Ok(commands::changed::Paths::Files(_))
                )
        }
        // A hook checks one edit: a focused run. A server's calls are focused runs, one after
        // another in one process: mimalloc gives their memory back between them.
        Command::Hook(_) | Command::Mcp(_) => true,
        _ => false,
    }
}

/// Whether the command speaks a protocol on stdout itself (`ribo mcp`): [`run`] is then given
/// no writer for stdout, and nothing may lock it.
pub fn serves_stdio(cli: &Cli) -> bool {
    matches!(cli.command, Command::Mcp(_))
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}
