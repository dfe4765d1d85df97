//! `ribo hook AGENT`: a coding agent's hook, following that agent's documented protocol. Before
//! an edit is written, the file's proposed content is checked as `ribo check --patch --new`
//! would (nothing written); an edit that introduces error-level findings is denied, with the
//! compact lines as the reason the model reads. After an edit, what it introduced is fed back.
//! A clean edit, a file ribo does not read (anything but `.rs`, `Cargo.toml` and the spec), a
//! file outside the repository that holds a spec: silence, exit 0. When ribo itself cannot
//! check (a broken spec on disk, unreadable input), it says so plainly and follows the agent's
//! documented failure behaviour: never blocks forever, never passes in silence.
//!
//! One file per agent: [`claude`] (Claude Code), [`codex`] (Codex), [`cursor`] (Cursor); the
//! payload shapes each follows are in tests/fixtures/hooks with links to their documents.

pub(crate) mod claude;
pub(crate) mod codex;
pub(crate) mod cursor;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::check::{check_with, Given};
use super::proposed::{self, Proposed};
use crate::cli::{Agent, CheckArgs, Format, HookArgs, SpecArgs};
use crate::report::Style;
use crate::{EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS};

/// The largest hook payload read from stdin (64 MiB: a `Write` of a 10 MiB file, escaped).
pub const MAX_PAYLOAD_BYTES: u64 = 64 * 1024 * 1024;

/// Files and their proposed contents (`None`: deleted), by absolute path.
pub(crate) type Files = Vec<(PathBuf, Option<Vec<u8>>)>;

/// What a hook decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to say: the edit is clean, or not ribo's business.
    Pass,
    /// The edit introduces errors (before it is written: deny it; after: tell the model).
    Findings(String),
    /// ribo could not check the edit: why.
    Failed(String),
}

pub fn hook(
    args: &HookArgs,
    _style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let payload = match proposed::read_bounded(Path::new("-"), MAX_PAYLOAD_BYTES, "the hook input")
    {
        Ok(bytes) => bytes,
        Err(message) => return failed(args.agent, &message, out, err),
    };
    let payload: serde_json::Value = match serde_json::from_slice(&payload) {
        Ok(v) => v,
        Err(e) => {
            let message = format!("the hook input is not JSON: {e}");
            return failed(args.agent, &message, out, err);
        }
    };
    match args.agent {
        Agent::ClaudeCode => claude::run(&payload, out, err),
        Agent::Codex => codex::run(&payload, out, err),
        Agent::Cursor => cursor::run(&payload, out, err),
    }
}

/// The agent's failure behaviour for input ribo cannot read.
fn failed(
    agent: Agent,
    message: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    match agent {
        Agent::ClaudeCode => claude::answer(
            claude::Event::Pre,
            Outcome::Failed(message.into()),
            out,
            err,
        ),
        Agent::Codex => codex::answer(
            claude::Event::Pre,
            Outcome::Failed(message.into()),
            out,
            err,
        ),
        Agent::Cursor => cursor::answer(
            cursor::Event::Other,
            Outcome::Failed(message.into()),
            out,
            err,
        ),
    }
}

/// What the model reads when an edit is denied (or flagged after it was written).
pub(crate) fn reason(lines: &str, written: bool) -> String {
    let head = match written {
        false => "ribo: this edit would break the architecture declared in ribo.yaml, so it was not applied:",
        true => "ribo: this edit broke the architecture declared in ribo.yaml:",
    };
    format!(
        "{head}\n{}\nFollow the declaration: change the code so that it respects ribo.yaml \
         (`ribo explain PATH` says what governs a file). If the architecture itself must \
         change, ask a human to change ribo.yaml; do not loosen it yourself.",
        lines.trim_end()
    )
}

/// Whether ribo reads `path` at all: Rust files, manifests, the spec.
fn is_checked_kind(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.ends_with(".rs")
        || name == "Cargo.toml"
        || crate::spec::discover::SPEC_NAMES.contains(&name)
}

/// The nearest existing directory that holds `path` (the file, and directories above it, may
/// be new).
fn existing_dir(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|a| a.is_dir())
        .map(Path::to_path_buf)
}

/// The content of the regular file at `path`, as a source is read (bounded); `None` when it
/// is not one (missing, a directory, a FIFO, a device) or cannot be read.
pub(crate) fn read_regular(path: &Path) -> Option<Vec<u8>> {
    proposed::read_existing(path).ok().flatten()
}

/// The file an agent named, absolute: as given when absolute, else under `cwd`.
pub(crate) fn absolute_in(cwd: Option<&str>, path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    if p.is_absolute() {
        return Some(p.to_path_buf());
    }
    cwd.map(|c| Path::new(c).join(p))
}

/// The spec that governs `path` (canonical), if any.
fn governing_spec(path: &Path) -> Option<PathBuf> {
    let dir = existing_dir(path)?;
    crate::spec::discover::find_spec(&dir)?.canonicalize().ok()
}

/// The files of an edit that `spec` governs, in the repository that holds it: where to look
/// for the spec from, the repository's top, and the files (paths as [`place`] gives them).
fn in_scope(
    spec: &Path,
    files: &[(PathBuf, Option<Vec<u8>>)],
) -> Option<(PathBuf, PathBuf, Files)> {
    let start = spec.parent()?.to_path_buf();
    let top = crate::spec::validate::repository_top(spec).unwrap_or_else(|| start.clone());
    let kept: Files = files
        .iter()
        .filter(|(p, _)| is_checked_kind(p))
        .filter_map(|(p, content)| Some((place(&top, p)?, content.clone())))
        .collect();
    (!kept.is_empty()).then_some((start, top, kept))
}

/// `path` inside the repository at `top`: its directory canonical (as `top` is), then confined
/// like any untrusted path (a link on its way out of the repository is not followed); `None`
/// outside.
fn place(top: &Path, path: &Path) -> Option<PathBuf> {
    let dir = existing_dir(path)?;
    let rest = path.strip_prefix(&dir).ok()?;
    let resolved = dir.canonicalize().ok()?.join(rest);
    let rel = resolved.strip_prefix(top).ok()?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    proposed::confine(top, &rel).ok()
}

/// Checks an edit before it is written: the files' proposed contents (`None`: deleted).
/// `moves` are the files the edit moves (old path, new path): their findings are not new.
pub(crate) fn before_writing(files: Files, moves: &[(PathBuf, PathBuf)]) -> Outcome {
    if let Some(found) = loosens_baseline(&files) {
        return Outcome::Findings(found);
    }
    // Each spec governs its own files: an edit across several repositories or nested specs
    // is checked group by group, against the spec of each, and the first finding answers.
    let mut groups: std::collections::BTreeMap<PathBuf, Files> = Default::default();
    for (path, content) in files.into_iter().filter(|(p, _)| is_checked_kind(p)) {
        if let Some(spec) = governing_spec(&path) {
            groups.entry(spec).or_default().push((path, content));
        }
    }
    for (spec, group) in groups {
        let outcome = check_group(&spec, group, moves);
        if outcome != Outcome::Pass {
            return outcome;
        }
    }
    Outcome::Pass
}

/// [`before_writing`] for the files one spec governs.
fn check_group(spec: &Path, files: Files, moves: &[(PathBuf, PathBuf)]) -> Outcome {
    let Some((start, top, files)) = in_scope(spec, &files) else {
        return Outcome::Pass;
    };
    if let Some(found) = loosens_spec(&files) {
        return Outcome::Findings(found);
    }
    let fresh_spec = files
        .iter()
        .find(|(p, c)| is_spec(p) && c.is_some() && !p.exists());
    if let Some((path, _)) = fresh_spec {
        // A new spec beside or below the one in force would govern files in its place.
        return Outcome::Findings(format!(
            "{}: error[{}]: a new spec file: it would take over from the spec in force for the \
             files under it\n",
            super::display_path(path),
            crate::rules::loosening::CODE
        ));
    }
    let mut proposal = Proposed::default();
    for (path, content) in files {
        proposal.files.insert(path, content);
    }
    proposal.moves = moves
        .iter()
        .filter_map(|(from, to)| Some((place(&top, from)?, place(&top, to)?)))
        .collect();
    run_check(
        Given {
            proposal: Some((proposal, start)),
            ..Given::default()
        },
        Vec::new(),
    )
}

/// Checks an edit after it was written: `file` as it is now, against its content before the
/// edit when the agent gave it (else every error of the file is reported).
pub(crate) fn after_writing(file: PathBuf, before: Option<Vec<u8>>) -> Outcome {
    let Some(spec) = governing_spec(&file) else {
        return Outcome::Pass;
    };
    let Some((_, _, files)) = in_scope(&spec, &[(file, None)]) else {
        return Outcome::Pass;
    };
    let Some((path, _)) = files.into_iter().next() else {
        return Outcome::Pass;
    };
    if !path.is_file() {
        return Outcome::Pass;
    }
    let mut was = Proposed::default();
    was.files.insert(path.clone(), before.clone());
    run_check(
        Given {
            before: before.map(|_| was),
            ..Given::default()
        },
        vec![path],
    )
}

/// One check in compact format, reporting what the change introduces (`--new`), read back as an
/// outcome.
fn run_check(given: Given, files: Vec<PathBuf>) -> Outcome {
    // A clean edit is the common case: one run over the change says so. Only an edit that
    // leaves errors is checked against the state before it too (`--new`), so that old debt
    // of the file is not laid at its door.
    let new = given.proposal.is_some() || given.before.is_some();
    let given = Given {
        lazy_before: true,
        spec: None,
        limit: None,
        ..given
    };
    let args = CheckArgs::of(SpecArgs::default(), Format::Compact, files, new);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let spec_change = given
        .proposal
        .as_ref()
        .is_some_and(|(p, _)| p.files.keys().any(|k| is_spec(k)));
    let code = match check_with(&args, given, Style::default(), &mut out, &mut err) {
        Ok(code) => code,
        Err(e) => return Outcome::Failed(format!("ribo could not run the check: {e}")),
    };
    let out = String::from_utf8_lossy(&out).into_owned();
    let err = String::from_utf8_lossy(&err).into_owned();
    match code {
        EXIT_OK => Outcome::Pass,
        EXIT_VIOLATIONS => Outcome::Findings(out),
        // A proposed spec that does not load is the edit's fault: its problems are findings.
        EXIT_ERROR
            if spec_change
                && (err.contains(" is invalid: ") || err.contains("deletes the spec")) =>
        {
            Outcome::Findings(err)
        }
        _ => Outcome::Failed(err.trim().to_string()),
    }
}

/// The loosenings a proposed content of the spec makes to the spec on disk (`rules::loosening`),
/// one compact line each (none when it loosens nothing, or either spec does not load: the
/// check says why).
pub(crate) fn spec_loosenings(files: &[(PathBuf, Option<Vec<u8>>)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (path, content) in files.iter().filter(|(p, _)| is_spec(p)) {
        let (Ok(old), Some(content)) = (crate::spec::load(path), content.as_deref()) else {
            continue;
        };
        let Ok(new) = crate::spec::load_bytes(path, content) else {
            continue;
        };
        let (loosened, _) = crate::rules::loosening::compare_today(&old, &new);
        let name = super::display_path(path);
        for c in &loosened {
            let at = crate::rules::span_in(&new.source, &c.at);
            lines.push(loosening_line(&name, at.line, at.col, &c.message));
        }
    }
    lines
}

/// The entries a proposed content of the baseline file adds to the one on disk (new debt
/// accepted: a loosening), one compact line each (none when it adds none, or the file is no
/// spec's baseline, or either version does not read).
pub(crate) fn baseline_debt(files: &[(PathBuf, Option<Vec<u8>>)]) -> Vec<String> {
    let mut lines = Vec::new();
    // A Rust file, a manifest or a spec is no baseline: the spec is loaded only for the others
    // (an edit of a Rust file, the usual case, pays nothing here).
    for (path, content) in files.iter().filter(|(p, _)| !is_checked_kind(p)) {
        let Some(content) = content else { continue };
        let found = existing_dir(path).and_then(|dir| crate::spec::discover::find_spec(&dir));
        let Some(spec) = found.and_then(|f| crate::spec::load(&f).ok()) else {
            continue;
        };
        let baseline = super::baseline::path(&spec, None);
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        if !same(path, &baseline) {
            continue;
        }
        let before = super::baseline::read(&baseline, &spec.root).ok().flatten();
        let text = String::from_utf8_lossy(content);
        let Ok(now) = super::baseline::parse(&baseline, &spec.root, &text) else {
            continue;
        };
        let name = super::display_path(&baseline);
        for e in crate::rules::loosening::entries_added(before.as_ref(), &now) {
            let message = crate::rules::loosening::entry_added(e);
            lines.push(loosening_line(&name, e.span.line, e.span.col, &message));
        }
    }
    lines
}

/// One loosening as a compact line.
fn loosening_line(file: &str, line: u32, col: u32, message: &str) -> String {
    format!(
        "{file}:{line}:{col}: error[{}]: {message}",
        crate::rules::loosening::CODE
    )
}

/// [`spec_loosenings`] as the hook answers them, with their count; `None` without any.
fn loosens_spec(files: &[(PathBuf, Option<Vec<u8>>)]) -> Option<String> {
    let lines = spec_loosenings(files);
    let summary = format!(
        "ribo: this edit loosens the identity in {}",
        crate::report::plural(lines.len(), "place", "places")
    );
    answer_of(lines, summary)
}

/// [`baseline_debt`] as the hook answers it, with its count; `None` without any.
fn loosens_baseline(files: &[(PathBuf, Option<Vec<u8>>)]) -> Option<String> {
    let lines = baseline_debt(files);
    let summary = format!(
        "ribo: this edit accepts {} of debt in the baseline",
        crate::report::plural(lines.len(), "finding", "findings")
    );
    answer_of(lines, summary)
}

/// `lines` and `summary`, one per line; `None` without lines.
fn answer_of(lines: Vec<String>, summary: String) -> Option<String> {
    if lines.is_empty() {
        return None;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text.push_str(&summary);
    text.push('\n');
    Some(text)
}

fn is_spec(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| crate::spec::discover::SPEC_NAMES.contains(&n))
}

#[cfg(test)]
mod tests;
