//! ribo: reconciles a repository's declared identity (`ribo.yaml`) with its Rust code.
//!
//! `run` is the whole program: spec (`spec`) and code facts (`facts`) are built
//! independently, rules (`rules`) diff them into violations, and a report format (`report`)
//! writes them. Exit status: 0 clean, 1 violations, 2 could not run.

pub mod cli;
pub mod facts;
pub mod report;
pub mod rules;
pub mod spec;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use cli::{CheckArgs, Cli, ColorChoice, Command, ContractCommand, Format, SpecArgs};
use report::{Style, Summary};
use spec::{LoadError, Spec, SpecErrors};

/// Exit status: no error-level violation.
pub const EXIT_OK: i32 = 0;
/// Exit status: at least one error-level violation.
pub const EXIT_VIOLATIONS: i32 = 1;
/// Exit status: ribo could not run (invalid spec, unreadable root, bad arguments).
pub const EXIT_ERROR: i32 = 2;

/// Runs a parsed command line; writes the report to `out` and problems to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let style = Style {
        color: use_color(cli.color),
        width: 100,
    };
    let result = match &cli.command {
        Command::Check(args) => check(args, style, out, err),
        Command::Facts(args) => facts(&args.spec, style, out, err),
        Command::Explain(args) => explain(&args.code, out, err),
        Command::Contract(ContractCommand::Snapshot(args)) => {
            contract_snapshot(&args.module, &args.spec, style, out, err)
        }
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

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// A loaded spec and how to display paths relative to the current directory.
struct Loaded {
    spec: Spec,
    spec_name: String,
    root_display: String,
}

/// Finds and loads the spec; on failure writes the diagnostics and returns the exit code.
fn load_spec(
    args: &SpecArgs,
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<Loaded, i32>> {
    let start = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    if args.spec.is_none() && !start.is_dir() {
        writeln!(err, "error: `{}` is not a directory", start.display())?;
        return Ok(Err(EXIT_ERROR));
    }
    let path = match &args.spec {
        Some(p) => p.clone(),
        None => match spec::discover::find_spec(&start) {
            Some(p) => p,
            None => {
                writeln!(
                    err,
                    "error: no ribo.yaml or .ribo.yaml in `{}` or its parent directories (up to the repository root); pass --spec FILE",
                    start.display()
                )?;
                return Ok(Err(EXIT_ERROR));
            }
        },
    };
    let spec_name = display_path(&path);
    match spec::load(&path) {
        Ok(spec) => {
            // Contract declarations are Rust item headers: parsed once, before any checking.
            let errors = rules::contracts::validate_declarations(&spec);
            if !errors.is_empty() {
                let errors = SpecErrors {
                    path: spec.path.clone(),
                    source: spec.source.clone(),
                    errors,
                };
                report::human::write_spec_errors(err, &errors, &spec_name, style)?;
                return Ok(Err(EXIT_ERROR));
            }
            let root_display = display_path(&spec.root);
            Ok(Ok(Loaded {
                spec,
                spec_name,
                root_display,
            }))
        }
        Err(LoadError::Io { path, error }) => {
            writeln!(err, "error: could not read `{}`: {error}", path.display())?;
            Ok(Err(EXIT_ERROR))
        }
        Err(LoadError::Invalid(errors)) => {
            report::human::write_spec_errors(err, &errors, &spec_name, style)?;
            Ok(Err(EXIT_ERROR))
        }
    }
}

/// A path as the user would type it from the current directory.
fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|c| c.canonicalize().ok());
    let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let rel = cwd.as_ref().and_then(|c| abs.strip_prefix(c).ok());
    let shown = match rel {
        Some(r) => r.to_path_buf(),
        None if path.is_relative() => path.to_path_buf(),
        None => abs,
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    s.trim_start_matches("./").to_string()
}

fn build_options(spec: &Spec, threads: Option<usize>) -> facts::BuildOptions {
    facts::BuildOptions {
        exclude: spec.exclude_set(),
        threads: threads.unwrap_or(0),
        queries: spec.queries(),
    }
}

fn check(
    args: &CheckArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let started = Instant::now();
    let loaded = match load_spec(&args.spec, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let spec = &loaded.spec;
    if !spec.root.is_dir() {
        writeln!(
            err,
            "error: the root `{}` is not a readable directory",
            loaded.root_display
        )?;
        return Ok(EXIT_ERROR);
    }
    let graph = facts::build(&spec.root, &build_options(spec, args.spec.threads));
    let assignment = match rules::assign::assign(spec, &graph) {
        Ok(a) => a,
        Err(errors) => {
            let errors = SpecErrors {
                path: spec.path.clone(),
                source: spec.source.clone(),
                errors,
            };
            report::human::write_spec_errors(err, &errors, &loaded.spec_name, style)?;
            return Ok(EXIT_ERROR);
        }
    };
    let outcome = rules::check(spec, &graph, &assignment);
    let violations = outcome.violations;
    let unreadable = graph.files.iter().filter(|f| !f.parsed).count();
    let summary = Summary::new(
        &violations,
        graph.files.len(),
        unreadable,
        &graph.warnings,
        Some(started.elapsed()),
    );
    match args.format {
        Format::Human => {
            let sources = report::human::Sources {
                root: &spec.root,
                display_prefix: &loaded.root_display,
                spec_name: &loaded.spec_name,
                spec_source: &spec.source,
            };
            if args.quiet {
                writeln!(out, "{}", report::human::summary_line(&summary))?;
            } else {
                report::human::write_check(
                    out,
                    &sources,
                    &violations,
                    &graph.warnings,
                    &summary,
                    style,
                )?;
            }
        }
        Format::Json => report::json::write(
            out,
            &loaded.spec_name,
            &violations,
            &graph.warnings,
            &summary,
        )?,
    }
    let failed = summary.errors > 0 || (args.deny_warnings && summary.warnings > 0);
    Ok(if failed { EXIT_VIOLATIONS } else { EXIT_OK })
}

fn facts(
    args: &SpecArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let loaded = match load_spec(args, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let graph = facts::build(
        &loaded.spec.root,
        &build_options(&loaded.spec, args.threads),
    );
    report::facts_json::write(out, &graph)?;
    Ok(EXIT_OK)
}

fn explain(code: &str, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<i32> {
    let all = rules::all_codes();
    match all.iter().find(|c| c.code == code) {
        Some(doc) => {
            writeln!(out, "{}: {}\n\n{}", doc.code, doc.summary, doc.explanation)?;
            Ok(EXIT_OK)
        }
        None => {
            let nearest = all
                .iter()
                .map(|c| (strsim::jaro_winkler(c.code, code), c.code))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, c)| c);
            write!(err, "error: unknown code `{code}`")?;
            if let Some(n) = nearest {
                write!(err, "; did you mean `{n}`?")?;
            }
            writeln!(err)?;
            Ok(EXIT_ERROR)
        }
    }
}

fn contract_snapshot(
    module: &str,
    args: &SpecArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let loaded = match load_spec(args, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let graph = facts::build(
        &loaded.spec.root,
        &build_options(&loaded.spec, args.threads),
    );
    let target = if module.ends_with(".rs") {
        spec::model::ExportTarget::File(module.to_string())
    } else if module.contains("::") || module == "crate" {
        spec::model::ExportTarget::Module(module.to_string())
    } else {
        spec::model::ExportTarget::Crate(module.to_string())
    };
    match rules::contracts::snapshot(&graph, &target) {
        Some(exports) => {
            writeln!(out, "exports:")?;
            for e in exports {
                writeln!(
                    out,
                    "  - \"{}\"",
                    e.replace('\\', "\\\\").replace('"', "\\\"")
                )?;
            }
            Ok(EXIT_OK)
        }
        None => {
            writeln!(
                err,
                "error: no module `{module}` in the code under `{}`",
                loaded.root_display
            )?;
            Ok(EXIT_ERROR)
        }
    }
}
