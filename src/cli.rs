//! Command-line types (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// ribo reconciles a repository's declared identity (ribo.yaml) with its Rust code.
#[derive(Debug, Parser)]
#[command(name = "ribo", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to use colours in human output (NO_COLOR is honoured by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the code against ribo.yaml; exit 1 on drift, 2 when ribo cannot run.
    Check(CheckArgs),
    /// Print the fact graph ribo builds from the code (files, modules, edges, crates).
    Facts(FactsArgs),
    /// Print the documentation of a diagnostic code (`ribo explain boundary::layer`).
    Explain(ExplainArgs),
    /// Print the JSON Schema of ribo.yaml (for editor completion).
    Schema,
    /// Work with contracts.
    #[command(subcommand)]
    Contract(ContractCommand),
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Where to start looking for ribo.yaml (then .ribo.yaml) upwards; default: the current
    /// directory.
    pub path: Option<PathBuf>,
    /// Use this spec file instead of looking for one.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Parser threads (default: one per core; RAYON_NUM_THREADS is honoured too).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print only the summary line (human format).
    #[arg(long, short)]
    pub quiet: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Exit 1 when any input could not be fully checked: unreadable, too large or partly
    /// unparsable files, missing modules, links not followed (see docs/reliability.md).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct FactsArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
}

#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// Print the `exports:` list of a module as it stands, ready to paste into ribo.yaml.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// `crate::api`, `<crate>::api`, a file (`src/api/mod.rs`) or a workspace crate name.
    pub module: String,
    #[command(flatten)]
    pub spec: SpecArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A diagnostic code, e.g. `boundary::forbidden-use`.
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
