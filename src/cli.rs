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
    /// Record today's violations in the baseline file, so that only new ones fail `check`.
    Baseline(BaselineArgs),
    /// Print the fact graph ribo builds from the code (files, modules, edges, crates).
    Facts(FactsArgs),
    /// Print what governs a file (its boundary, what it may use, the invariants and contracts
    /// that apply), or the documentation of a diagnostic code (`ribo explain boundary::layer`).
    Explain(ExplainArgs),
    /// Write a ribo.yaml inferred from the code as it stands, so that `ribo check` passes.
    Init(InitArgs),
    /// Draw the boundary dependency graph (or the module graph) as DOT or Mermaid.
    Graph(GraphArgs),
    /// Print a shell completion script (`ribo completions bash > /etc/bash_completion.d/ribo`).
    Completions(CompletionsArgs),
    /// Print the JSON Schema of ribo.yaml (for editor completion).
    Schema,
    /// Work with contracts.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// Compare ribo.yaml (and the baseline) with REV by meaning: list each loosening, with
    /// before and after, and each tightening as a note (docs/spec-changes.md).
    DiffSpec(DiffSpecArgs),
    /// A coding agent's hook: reads the agent's hook input on stdin, checks the edit before it
    /// is written (or after), answers in the agent's protocol (README: ribo and coding agents).
    Hook(HookArgs),
    /// Serve the Model Context Protocol on stdin/stdout: tools that explain what governs a
    /// path and check a change before it is written (README: ribo and coding agents).
    Mcp(McpArgs),
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// Where to look for ribo.yaml (default: the directory the server starts in), or --spec.
    #[command(flatten)]
    pub spec: SpecArgs,
}

#[derive(Debug, Args)]
pub struct DiffSpecArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The revision to compare with.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Exit 1 on any loosening (a CI job for pull requests: loosening the identity needs a
    /// human).
    #[arg(long)]
    pub deny_loosening: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The agent whose hook protocol to speak.
    #[arg(value_enum)]
    pub agent: Agent,
}

/// The coding agents ribo has hooks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Agent {
    /// Claude Code: PreToolUse and PostToolUse of Edit, MultiEdit, Write.
    ClaudeCode,
    /// Codex: PreToolUse and PostToolUse of apply_patch.
    Codex,
    /// Cursor: afterFileEdit.
    Cursor,
}

#[derive(Debug, Clone, Default, Args)]
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
    /// Neither read nor write the facts cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Keep the facts cache here (default: `.ribo-cache/` in the spec's root, or
    /// RIBO_CACHE_DIR).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Print only the summary line (human format; the other formats ignore it).
    #[arg(long, short)]
    pub quiet: bool,
    /// Exit 1 on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Exit 1 when any input could not be fully checked: unreadable, too large or partly
    /// unparsable files, missing modules, links not followed (see docs/reliability.md).
    #[arg(long)]
    pub strict: bool,
    // -- baselines and changed files (docs/baseline.md, docs/changed-mode.md) --
    /// Files to check (PATH may be the first): only violations that concern them are reported,
    /// though the whole repository is read (docs/changed-mode.md). A single directory PATH checks
    /// the whole repository.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Report only violations in files changed since --base: `git diff` (staged and unstaged)
    /// plus untracked files. Ignored when files are named.
    #[arg(long)]
    pub changed: bool,
    /// The revision --changed compares with.
    #[arg(long, value_name = "REV", requires = "changed")]
    pub base: Option<String>,
    /// Read this baseline file instead of `options.baseline` (default ribo-baseline.json).
    #[arg(long, value_name = "FILE", conflicts_with = "no_baseline")]
    pub baseline: Option<PathBuf>,
    /// Ignore the baseline file: report every violation.
    #[arg(long)]
    pub no_baseline: bool,
    // -- a change that is not written (docs/changed-mode.md) --
    /// Check a proposed change: a unified diff (`git diff`, `git format-patch`, `diff -u`) in
    /// FILE, or on stdin with `-`, applied in memory over the working tree (paths relative to
    /// the repository's top directory). Nothing is written. Reports what the change's files
    /// would be reported for.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["changed", "stdin_path"])]
    pub patch: Option<PathBuf>,
    /// Check a proposed content of PATH (existing or new), read from stdin. Nothing is written.
    #[arg(long, value_name = "PATH", conflicts_with = "changed")]
    pub stdin_path: Option<PathBuf>,
    /// Report only the findings a change introduces, compared with the same check without it,
    /// and count those it fixes: the change of --patch or --stdin-path; with --changed, the
    /// changed files against the same files at --base (default HEAD); with named files, against
    /// HEAD.
    #[arg(long)]
    pub new: bool,
}

impl CheckArgs {
    /// The arguments of a check that ribo runs for a caller of its own (an agent's hook, the
    /// MCP server): `spec`, in `format`, of `files` (none: the repository), `--new` or not;
    /// every other option as on the command line by default.
    pub fn of(spec: SpecArgs, format: Format, files: Vec<PathBuf>, new: bool) -> CheckArgs {
        CheckArgs {
            spec,
            format,
            quiet: false,
            deny_warnings: false,
            strict: false,
            files,
            changed: false,
            base: None,
            baseline: None,
            no_baseline: false,
            patch: None,
            stdin_path: None,
            new,
        }
    }
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Also record violations that are not in the existing baseline (by default an existing
    /// baseline only shrinks).
    #[arg(long)]
    pub accept_new: bool,
    /// Write this file instead of `options.baseline` (default ribo-baseline.json).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
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
    /// A diagnostic code (`boundary::forbidden-use`) or a file path (`src/domain/pricing.rs`,
    /// relative to the current directory; it need not exist yet).
    #[arg(value_name = "CODE|PATH")]
    pub target: String,
    /// Output format (for a PATH).
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
    /// Use this spec file instead of looking for one upwards from the file's directory.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository to describe (default: the current directory); ribo.yaml is written there.
    pub dir: Option<PathBuf>,
    /// Overwrite an existing ribo.yaml.
    #[arg(long)]
    pub force: bool,
    /// Print the spec instead of writing it.
    #[arg(long)]
    pub stdout: bool,
    /// Parser threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Instead of a spec, wire ribo's hook into this agent's configuration in DIR (merged into
    /// what is there, never replacing other hooks or settings; running it again changes
    /// nothing).
    #[arg(long, value_enum, value_name = "AGENT", conflicts_with_all = ["force", "stdout"])]
    pub agent: Option<Agent>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Draw modules (grouped by boundary) instead of boundaries.
    #[arg(long)]
    pub modules: bool,
    /// Also draw `may_use` entries no code uses (dotted grey).
    #[arg(long)]
    pub unused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

/// The formats of `ribo check` (docs/formats.md describes each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with the code and the spec line underlined, for people.
    Human,
    /// Versioned JSON (specs/check-output.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions annotations (workflow commands).
    Github,
    /// JUnit XML, for GitLab and Jenkins test reports.
    Junit,
    /// One line per finding (`path:line:col: error[code]: message [ribo.yaml:N] help: ..`),
    /// no colour, no excerpt: for coding agents, editors' error lists and grep.
    Compact,
}

/// Output formats of `ribo explain PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks (positional order, conflicts) for every subcommand.
    #[test]
    fn the_cli_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
