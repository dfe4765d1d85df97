//! `ribo init [DIR]`: writes a ribo.yaml inferred from the code as it stands, so that
//! `ribo check` passes at once (documented in docs/init.md).
//!
//! The steps, each checked by ribo itself:
//! 1. `infer::project`: which Cargo packages are the project (the root workspace's members, or
//!    the root package, or the top-level packages); every other Rust file (nested fixtures,
//!    examples with their own Cargo.toml) goes to `system.exclude`.
//! 2. The facts are built once, with those excludes.
//! 3. `infer::boundaries`: one boundary per package when the project has two or more, else one
//!    per top-level module of the package's library/main crate, plus `root` (crate roots and
//!    whatever no module claims) and `examples`. Globs claim whole directories where nothing
//!    else lives, files otherwise.
//! 4. The spec so far is loaded and files are assigned exactly as `ribo check` will; `may_use`
//!    and `crates` are the crossings and external crates the non-test code has today; `layers`
//!    is declared when the boundary graph is acyclic and has one top-to-bottom order only.
//! 5. `suggest`: invariants that hold today, emitted as comments (or enabled when the code
//!    already carries suppressions naming them).
//! 6. The final text is checked once more; anything `ribo check` would still report is shown.
//!    Boundaries tangled in cycles today are recorded in a baseline written beside the spec
//!    (`cycles: error` stays on: a new cycle fails).

mod agent;
mod infer;
mod suggest;
mod yaml;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::display_path;
use crate::cli::InitArgs;
use crate::facts::FactGraph;
use crate::report::{plural, Style};
use crate::rules::{self, Assignment, Outcome};
use crate::spec::{self, LoadError, Spec};
use crate::{EXIT_ERROR, EXIT_OK};

/// The spec being written, before it becomes text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub name: String,
    pub exclude: Vec<String>,
    /// One comment line: how the boundaries were chosen.
    pub how: String,
    pub boundaries: Vec<BoundaryDraft>,
    /// The boundary graph has a cycle today.
    pub cyclic: bool,
    /// The baseline the tangles are recorded in (relative to the root), when there are some.
    pub baseline: Option<String>,
    pub layers: Layers,
    pub invariants: Vec<InvariantDraft>,
}

/// One boundary of the draft.
#[derive(Debug, Clone, Default)]
pub(crate) struct BoundaryDraft {
    pub name: String,
    /// What it is, as a trailing comment (`crate::api`, `package core`).
    pub what: String,
    pub paths: Vec<String>,
    /// `None` until inferred (the first load only needs `paths`).
    pub may_use: Option<Vec<String>>,
    pub crates: Option<Vec<String>>,
}

/// `layers`, when the graph allows one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Layers {
    #[default]
    None,
    /// The only top-to-bottom order: declared.
    Declared(Vec<String>),
    /// One of several orders: written as a comment.
    Suggested(Vec<String>),
}

/// Where an invariant applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InvScope {
    Everywhere,
    In(Vec<String>),
    Except(Vec<String>),
}

/// An invariant that holds today.
#[derive(Debug, Clone)]
pub(crate) struct InvariantDraft {
    pub id: &'static str,
    pub message: String,
    /// The rule's YAML lines (`forbid: { unsafe: true }`), unindented.
    pub rule: &'static [&'static str],
    pub scope: InvScope,
    /// Enabled (the code already has suppressions naming it) rather than commented out.
    pub enabled: bool,
}

pub fn init(
    args: &InitArgs,
    _style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    if !dir.is_dir() {
        writeln!(err, "error: `{}` is not a directory", dir.display())?;
        return Ok(EXIT_ERROR);
    }
    if let Some(agent) = args.agent {
        return agent::wire(agent, &dir, out, err);
    }
    let target = dir.join("ribo.yaml");
    if !args.stdout && !args.force {
        for existing in [dir.join("ribo.yaml"), dir.join(".ribo.yaml")] {
            if existing.exists() {
                writeln!(
                    err,
                    "error: `{}` already exists: pass --force to overwrite it, or --stdout to print the inferred spec",
                    display_path(&existing)
                )?;
                return Ok(EXIT_ERROR);
            }
        }
    }
    let root = match dir.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "error: cannot read `{}`: {e}", dir.display())?;
            return Ok(EXIT_ERROR);
        }
    };
    let Inferred {
        text,
        draft,
        problems,
        tangles,
    } = match infer_spec(&root, &dir.display().to_string(), args.threads) {
        Ok(done) => done,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(EXIT_ERROR);
        }
    };
    // The tangles of today, accepted as they are: `ribo check` passes, a new cycle fails.
    let baseline = draft.baseline.as_ref().map(|b| dir.join(b));
    if let (Some(path), false, false) = (&baseline, args.stdout, args.force) {
        if path.exists() {
            writeln!(
                err,
                "error: `{}` already exists: pass --force to overwrite it (the boundaries are \
                 tangled in cycles today, recorded there)",
                display_path(path)
            )?;
            return Ok(EXIT_ERROR);
        }
    }
    if args.stdout {
        out.write_all(text.as_bytes())?;
        if !tangles.is_empty() {
            writeln!(
                err,
                "note: the boundaries are tangled in {} today: `ribo init` without --stdout \
                 records them in `{}` so that `ribo check` passes; with this spec alone, it \
                 reports them",
                plural(tangles.len(), "cycle", "cycles"),
                draft.baseline.as_deref().unwrap_or("ribo-baseline.json")
            )?;
        }
    } else {
        if let Err(e) = std::fs::write(&target, &text) {
            writeln!(
                err,
                "error: could not write `{}`: {e}",
                display_path(&target)
            )?;
            return Ok(EXIT_ERROR);
        }
        if let Some(path) = &baseline {
            let entries: Vec<rules::baseline::Entry> = tangles
                .iter()
                .map(|v| rules::baseline::Entry {
                    reason: Some(
                        "recorded by `ribo init`: the boundaries were tangled when the spec \
                         was written; break the cycle, then run `ribo baseline`"
                            .into(),
                    ),
                    ..rules::baseline::entry_of(v, "ribo.yaml")
                })
                .collect();
            if let Err(e) = std::fs::write(path, super::baseline::render(&entries)) {
                writeln!(err, "error: could not write `{}`: {e}", display_path(path))?;
                return Ok(EXIT_ERROR);
            }
        }
        writeln!(
            out,
            "{}",
            written_line(&display_path(&target), &draft, tangles.len())
        )?;
    }
    if !problems.is_empty() {
        writeln!(
            err,
            "note: with this spec, `ribo check` still reports {} that no inferred boundary can settle:",
            plural(problems.len(), "problem", "problems")
        )?;
        for p in &problems {
            writeln!(err, "  {p}")?;
        }
    }
    Ok(EXIT_OK)
}

/// The line printed after writing the spec (and the baseline of `tangles` cycles).
fn written_line(path: &str, draft: &Draft, tangles: usize) -> String {
    let enabled = draft.invariants.iter().filter(|i| i.enabled).count();
    let suggested = draft.invariants.len() - enabled;
    let mut parts = vec![plural(draft.boundaries.len(), "boundary", "boundaries")];
    if matches!(draft.layers, Layers::Declared(_)) {
        parts.push("layers".into());
    }
    if enabled > 0 {
        parts.push(format!(
            "{} enabled",
            plural(enabled, "invariant", "invariants")
        ));
    }
    if suggested > 0 {
        parts.push(format!(
            "{} suggested in comments",
            plural(suggested, "invariant", "invariants")
        ));
    }
    if let (Some(baseline), true) = (&draft.baseline, tangles > 0) {
        parts.push(format!(
            "{} of boundaries recorded in {baseline}",
            plural(tangles, "cycle", "cycles")
        ));
    }
    format!("wrote {path}: {}; run `ribo check`", parts.join(", "))
}

/// What inference gives: the spec text, its draft, what `ribo check` would still report,
/// and the cycles of boundaries the spec's baseline must record.
struct Inferred {
    text: String,
    draft: Draft,
    problems: Vec<String>,
    tangles: Vec<rules::Violation>,
}

/// The whole inference: the spec text, its draft, and what `ribo check` would still report.
fn infer_spec(root: &Path, shown: &str, threads: Option<usize>) -> Result<Inferred, String> {
    let project = infer::project(root);
    let mut draft = Draft {
        name: project.name.clone(),
        exclude: project.exclude.clone(),
        ..Draft::default()
    };
    // The excludes are compiled by the spec loader, exactly as `ribo check` will.
    let bare = load(root, &yaml::render(&draft))?;
    // `init` writes ribo.yaml and nothing else: no facts cache.
    let args = crate::cli::SpecArgs {
        path: None,
        spec: None,
        threads,
        no_cache: true,
        cache_dir: None,
    };
    let options = super::build_options(&bare, &args);
    let graph = super::progress::build(root, options, true);
    if graph.files.is_empty() {
        return Err(format!(
            "no Rust files under `{shown}`: nothing to describe"
        ));
    }
    infer::boundaries(&graph, &project, &mut draft);
    let spec = load(root, &yaml::render(&draft))?;
    let assignment = assign(&spec, &graph)?;
    infer::dependencies(&spec, &graph, &assignment, &mut draft);
    suggest::invariants(root, &graph, &mut draft)?;
    if draft.cyclic {
        draft.baseline = Some(crate::spec::model::DEFAULT_BASELINE.to_string());
    }
    let text = yaml::render(&draft);
    let checked = check_text(root, &graph, &text)?;
    let tangles: Vec<rules::Violation> = checked
        .outcome
        .violations
        .iter()
        .filter(|v| v.code == "boundary::cycle")
        .cloned()
        .collect();
    let problems = checked
        .outcome
        .violations
        .iter()
        .filter(|v| v.code != "boundary::cycle")
        .map(|v| match &v.location {
            rules::Location::Source { file, span } => {
                format!(
                    "{file}:{}:{}: {}: {}",
                    span.line, span.col, v.code, v.message
                )
            }
            rules::Location::Spec { span } => {
                format!("ribo.yaml:{}: {}: {}", span.line, v.code, v.message)
            }
        })
        .collect();
    Ok(Inferred {
        text,
        draft,
        problems,
        tangles,
    })
}

/// Loads a spec text as if it were `root/ribo.yaml`.
pub(crate) fn load(root: &Path, text: &str) -> Result<Spec, String> {
    match spec::load_bytes(&root.join("ribo.yaml"), text.as_bytes()) {
        Ok(spec) => Ok(spec),
        Err(LoadError::Invalid(errors)) => {
            let list: Vec<String> = errors
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.message))
                .collect();
            Err(format!(
                "internal error: the inferred spec is invalid ({}); please report it",
                list.join("; ")
            ))
        }
        Err(LoadError::Io { error, .. }) => Err(format!("internal error: {error}")),
    }
}

fn assign(spec: &Spec, graph: &FactGraph) -> Result<Assignment, String> {
    rules::assign::assign(spec, graph).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        format!(
            "internal error: the inferred boundaries overlap ({}); please report it",
            list.join("; ")
        )
    })
}

/// A spec text, loaded and checked against the graph.
pub(crate) struct Checked {
    pub assignment: Assignment,
    pub outcome: Outcome,
}

/// Loads `text` and runs every rule, as `ribo check` would.
pub(crate) fn check_text(root: &Path, graph: &FactGraph, text: &str) -> Result<Checked, String> {
    let spec = load(root, text)?;
    let assignment = assign(&spec, graph)?;
    let outcome = rules::check(&spec, graph, &assignment);
    Ok(Checked {
        assignment,
        outcome,
    })
}
