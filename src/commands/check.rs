//! `ribo check`: build the facts, assign files to boundaries, run the rules, report.

use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use super::changed::{self, Paths};
use super::proposed::{self, Proposed};
use super::{analyse, baseline, load_proposed_spec, load_spec_deferred, Loaded, Reuse};
use crate::cli::{CheckArgs, Format, SpecArgs};
use crate::report::{self, ChangeCount, Style, Summary};
use crate::rules::changed::{ChangeSet, Selector};
use crate::{rules, EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS};

pub fn check(
    args: &CheckArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    check_with(args, Given::default(), style, out, err)
}

/// What a caller inside ribo (an agent hook) hands a check instead of `--patch` or
/// `--stdin-path`.
#[derive(Default, Clone)]
pub(crate) struct Given {
    /// The proposed change, with `spec_start` (the directory to look for the spec from).
    pub proposal: Option<(Proposed, std::path::PathBuf)>,
    /// For `--new`: the state to compare with, when it is not the disk (the disk holds the
    /// change already: a hook after the edit), as a change over the disk.
    pub before: Option<Proposed>,
    /// For `--new`: check the state before only when the change leaves an error (a hook
    /// needs to know what an edit introduces only to deny it; what it fixes is not counted).
    pub lazy_before: bool,
    /// The spec as it is on disk, loaded and validated already (a resident engine's:
    /// `ribo mcp`), taken instead of reading it again where the spec on disk is wanted.
    pub spec: Option<std::sync::Arc<crate::spec::Spec>>,
    /// Report at most this many findings (errors first, then warnings, each in report order)
    /// and input warnings; the summary still counts them all (`ribo mcp`: a model's context).
    pub limit: Option<usize>,
    /// The disk's graph kept warm (`ribo mcp`, for the resident `spec`): a proposed change
    /// is patched into it instead of built (see [`super::warm`]).
    pub warm: Option<super::warm::Shared>,
}

/// [`check`], with what `given` supplies.
pub(crate) fn check_with(
    args: &CheckArgs,
    mut given: Given,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let started = Instant::now();
    // A closed pipe ends the output, not the verdict: the exit status stays 0 or 1.
    let mut out = super::PipeGuard::new(out);
    let out: &mut dyn Write = &mut out;
    // Named files select changed mode; the spec is then looked for from the first one's dir.
    let paths = match changed::paths(args) {
        Ok(p) => p,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let supplied = given.proposal.take();
    let proposing = args.patch.is_some() || args.stdin_path.is_some() || supplied.is_some();
    if proposing && matches!(paths, Paths::Files(_)) {
        writeln!(
            err,
            "error: --patch and --stdin-path check the change they are given: name no files with them"
        )?;
        return Ok(EXIT_ERROR);
    }
    let names_a_change = args.changed || matches!(paths, Paths::Files(_));
    if args.new && !proposing && given.before.is_none() && !names_a_change {
        writeln!(
            err,
            "error: --new compares a change with the tree without it: use it with --patch, --stdin-path, --changed or named files"
        )?;
        return Ok(EXIT_ERROR);
    }
    let from_files;
    let spec_args = match (&paths, &args.stdin_path) {
        _ if supplied.is_some() => {
            from_files = SpecArgs {
                path: supplied.as_ref().map(|(_, start)| start.clone()),
                ..spec_args_like(&args.spec)
            };
            &from_files
        }
        (Paths::Files(files), _) => {
            from_files = SpecArgs {
                path: changed::discovery_start(files),
                ..spec_args_like(&args.spec)
            };
            &from_files
        }
        (Paths::Repository, Some(path)) if args.spec.path.is_none() => {
            from_files = SpecArgs {
                path: proposed::discovery_start(path),
                ..spec_args_like(&args.spec)
            };
            &from_files
        }
        (Paths::Repository, _) => &args.spec,
    };
    let resident = given.spec.clone();
    let untouched = |p: &Proposed, spec: &crate::spec::Spec| {
        let at = spec
            .path
            .canonicalize()
            .unwrap_or_else(|_| spec.path.clone());
        p.get(&at).is_none() && p.get(&spec.path).is_none()
    };
    // Whether the spec in force is the resident one, on disk (a warm graph was built for it).
    let mut on_resident = false;
    let (mut loaded, proposal) = match (proposing, resident.as_deref(), supplied) {
        (false, Some(spec), _) => {
            on_resident = true;
            (Loaded::of(spec.clone()), None)
        }
        (true, Some(spec), Some((p, _))) if untouched(&p, spec) => {
            on_resident = true;
            (Loaded::of(spec.clone()), Some(p))
        }
        (true, _, supplied) => match load_with_proposal(args, spec_args, supplied, style, err)? {
            Ok(both) => both,
            Err(code) => return Ok(code),
        },
        (false, None, _) => match load_spec_deferred(spec_args, style, err)? {
            Ok(l) => (l, None),
            Err(code) => return Ok(code),
        },
    };
    if let Some(p) = &proposal {
        loaded.overlay = Some(std::sync::Arc::new(p.overlay(&loaded.spec.root)));
    }
    let loaded = loaded;
    let spec = &loaded.spec;
    // The baseline and the changed files, read before the (costly) facts: bad input fails fast.
    let baseline_path = baseline::path(spec, args.baseline.as_deref());
    let baseline = match baseline::for_check(spec, args.baseline.as_deref(), args.no_baseline, err)?
    {
        Ok(b) => b,
        Err(code) => return Ok(code),
    };
    // A change to the baseline file is read as it proposes it.
    let proposed_baseline = proposal
        .as_ref()
        .filter(|_| !args.no_baseline)
        .and_then(|p| {
            let at = std::path::absolute(&baseline_path).unwrap_or_else(|_| baseline_path.clone());
            let at = at.canonicalize().unwrap_or(at);
            match args.baseline {
                // An explicit baseline is that file, wherever the default one is.
                Some(_) => p.get(&at),
                None => p
                    .get(&at)
                    .or_else(|| p.get(&spec.root.join(&spec.options.baseline.value))),
            }
        });
    let baseline = match proposed_baseline {
        Some(Some(bytes)) => {
            match baseline::parse(&baseline_path, &spec.root, &String::from_utf8_lossy(bytes)) {
                Ok(b) => Some(b),
                Err(message) => {
                    writeln!(err, "error: the proposed baseline: {message}")?;
                    return Ok(EXIT_ERROR);
                }
            }
        }
        Some(None) => None,
        None => baseline,
    };
    let selected = match &proposal {
        Some(p) => Ok(Some(changed::proposed(spec, &baseline_path, p))),
        None => changed::select(&paths, args, spec, &loaded.root_display, &baseline_path),
    };
    let changes = match selected {
        Ok(c) => c,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(EXIT_ERROR);
        }
    };
    // `--new` with `--changed` or named files: the tree without the change is the changed
    // files as they are at `--base` (default HEAD), read from git.
    if let (true, false, None, Some(c)) = (args.new, proposing, &given.before, &changes) {
        match files_at_base(spec, c, args.base.as_deref().unwrap_or("HEAD")) {
            Ok(before) => given.before = Some(before),
            Err(message) => {
                writeln!(err, "error: --new: {message}")?;
                return Ok(EXIT_ERROR);
            }
        }
    }
    // A server's warm graph of the disk gives both states of a proposed change (`--new`), or
    // the analysis of the files named, when it can be patched with them; the graph is lent to
    // the analysis, and given back at the end.
    let warm = given
        .warm
        .clone()
        .filter(|_| on_resident && !given.lazy_before && given.before.is_none());
    let warmed = match (&warm, &loaded.overlay, &changes) {
        (Some(w), overlay, Some(c)) if args.new == overlay.is_some() => {
            warm_analyses(w, spec, overlay.as_ref(), c, baseline.as_ref())
        }
        _ => None,
    };
    let lent = warmed.is_some();
    // With `--new`, the state before the change is checked at the same time, on a thread of
    // its own (the two runs read the same caches; the one over the disk keeps them up to date).
    let (before, analysis) = match warmed {
        Some((after, before)) => (Ok(before), Ok(Ok(after))),
        None => std::thread::scope(|s| {
            let before = (args.new && !given.lazy_before).then(|| {
                let spec_path = loaded.spec.path.clone();
                let (changes, baseline, was) =
                    (changes.as_ref(), baseline.as_ref(), given.before.as_ref());
                let resident = resident.as_deref();
                s.spawn(move || {
                    before_change(&spec_path, resident, spec_args, changes, baseline, was)
                })
            });
            // The changed-files view needs the graph; a whole-repository run may reuse the results
            // of a run over the same input.
            let reuse = match changes {
                None => Reuse::Whole,
                Some(_) => Reuse::No,
            };
            let analysis = analyse(
                &loaded,
                spec_args,
                reuse,
                changes.as_ref().and_then(|c| c.focus()),
                !args.quiet,
                style,
                err,
            );
            let before = before.map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(io::Error::other("the check without the change failed"))
                })
            });
            (before.transpose(), analysis)
        }),
    };
    let mut before = before?;
    let analysis = match analysis? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let leaves_errors = |v: &[rules::Violation]| {
        v.iter()
            .any(|v| v.severity == crate::spec::model::Severity::Error)
    };
    let selector = match (&changes, &analysis.built) {
        (Some(c), Some((graph, assignment))) => Some(Selector::new(spec, graph, assignment, c)),
        _ => None,
    };
    let narrowed = baseline::narrow(
        analysis.outcome.violations,
        baseline.as_ref(),
        selector.as_ref(),
    );
    let mut violations = narrowed.violations;
    if args.strict {
        strict_unchecked(&mut violations);
    }
    if args.new && given.lazy_before && leaves_errors(&violations) {
        // Lazy (a hook): the state before is needed only now. What was remembered of the disk
        // is found by the key the scan of the change gave for the disk without it (no second
        // scan), else by a scan of the disk; else that state is checked.
        let remembered = match &given.before {
            None => {
                let disk_key = analysis.disk_key.as_ref();
                before_remembered(
                    spec,
                    spec_args,
                    changes.as_ref(),
                    baseline.as_ref(),
                    disk_key,
                )
            }
            Some(_) => None,
        };
        before = match remembered {
            Some(found) => Some(found),
            None => Some(before_change(
                &spec.path,
                resident.as_deref(),
                spec_args,
                changes.as_ref(),
                baseline.as_ref(),
                given.before.as_ref(),
            )?),
        };
    }
    // `--changed` with the spec among the changes: how it loosens the spec at `--base`.
    if let (true, Some(c)) = (args.changed, &changes) {
        if c.spec {
            violations.extend(spec_loosenings(
                spec,
                args.base.as_deref().unwrap_or("HEAD"),
            ));
            rules::sort(&mut violations);
        }
    }
    let mut change = None;
    if let Some((mut before, spec_before)) = before {
        if args.strict {
            strict_unchecked(&mut before);
        }
        let overlay = loaded.overlay.as_deref();
        let after_text =
            |file: &str| crate::facts::read_for_display_over(&spec.root, overlay, file);
        let was = given.before.as_ref().map(|b| b.overlay(&spec.root));
        let before_text =
            |file: &str| crate::facts::read_for_display_over(&spec.root, was.as_ref(), file);
        let moves = proposal
            .as_ref()
            .map(|p| p.moves_under(&spec.root))
            .unwrap_or_default();
        let (introduced, count) = only_new(
            violations,
            &before,
            &moves,
            Texts::new(&after_text, &spec.source),
            Texts::new(&before_text, &spec_before),
        );
        violations = introduced;
        change = Some(count);
    }
    // What a change introduces is about its files: the input warnings of the others are left
    // to the runs that check them.
    let touched_only: Vec<crate::facts::Warning>;
    let warnings = match (&changes, args.new) {
        (Some(c), true) => {
            touched_only = analysis
                .warnings
                .iter()
                .filter(|w| c.present.contains(&w.path) || c.removed.contains(&w.path))
                .cloned()
                .collect();
            &touched_only
        }
        _ => &analysis.warnings,
    };
    let mut summary = Summary::new(
        &violations,
        analysis.files,
        analysis.unreadable,
        warnings,
        Some(started.elapsed()),
    );
    summary.suppressed = analysis.outcome.suppressed;
    summary.change = change;
    let sources = report::Sources {
        root: &spec.root,
        display_prefix: &loaded.root_display,
        spec_name: &loaded.spec_name,
        spec_source: &spec.source,
        overlay: loaded.overlay.as_deref(),
    };
    summary.baselined = narrowed.baselined;
    summary.selected = selector.as_ref().map(Selector::files);
    let kept_warnings: Vec<crate::facts::Warning>;
    let warnings = match given.limit {
        Some(n) => {
            keep_first(&mut violations, n);
            kept_warnings = warnings.iter().take(n).cloned().collect();
            &kept_warnings
        }
        None => warnings,
    };
    match args.format {
        Format::Human => {
            if args.quiet {
                writeln!(out, "{}", report::human::summary_line(&summary))?;
            } else {
                report::human::write_check(out, &sources, &violations, warnings, &summary, style)?;
            }
        }
        Format::Json => {
            report::json::write(out, &sources, &violations, warnings, &summary)?;
        }
        Format::Sarif => {
            report::sarif::write(out, &sources, &violations, warnings, &spec.invariants)?
        }
        Format::Github => {
            report::github::write(out, &sources, &violations, warnings, &summary)?;
        }
        Format::Compact => {
            report::compact::write(out, &sources, &violations, warnings, &summary)?;
        }
        Format::Junit => report::junit::write(
            out,
            &sources,
            &violations,
            warnings,
            &spec.invariants,
            args.deny_warnings,
        )?,
    }
    let strict_failed = args.strict && summary.input_warnings > 0;
    if strict_failed {
        writeln!(err, "{}", strict_message(summary.input_warnings))?;
    }
    let failed =
        summary.errors > 0 || (args.deny_warnings && summary.warnings > 0) || strict_failed;
    drop(selector);
    match (&warm, analysis.built) {
        (Some(w), Some((graph, _))) if lent => super::warm::give_back(w, graph),
        (_, built) => release((built, violations)),
    }
    Ok(if failed { EXIT_VIOLATIONS } else { EXIT_OK })
}

/// The findings of the state before a change, with the spec's text then.
type Before = (Vec<rules::Violation>, String);

/// From a server's warm graph of the disk: with `overlay` (the proposed change `changes`
/// describes), the analyses of the change and of the disk before it (narrowed by `baseline`,
/// with the spec's text); without, the analysis of the files `changes` names as they are on
/// disk. `None` when it cannot give them (a file deleted or moved, or a patch cannot take
/// them): the pipeline runs instead. The analysed graph is lent with its analysis.
fn warm_analyses(
    shared: &super::warm::Shared,
    spec: &crate::spec::Spec,
    overlay: Option<&std::sync::Arc<crate::facts::Overlay>>,
    changes: &ChangeSet,
    baseline: Option<&crate::rules::baseline::Baseline>,
) -> Option<(super::Analysis, Option<Before>)> {
    if !changes.removed.is_empty() {
        return None;
    }
    let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
    let w = guard.as_mut()?;
    let Some(overlay) = overlay else {
        return w.on_disk(spec, changes).map(|analysis| (analysis, None));
    };
    let was = seen_before(Some(changes))?;
    let selection = selection_key(Some(&was), baseline);
    // A change a patch will not take costs no state before it, then.
    if !w.knows_before(&selection) && !w.takes(overlay) {
        return None;
    }
    let before = w.before(spec, &was, baseline, selection)?;
    let after = w.after(spec, overlay, changes)?;
    Some((after, Some((before, spec.source.clone()))))
}

/// Keeps the first `n` of `violations`: the errors first, then the warnings, each in order.
fn keep_first(violations: &mut Vec<rules::Violation>, n: usize) {
    if violations.len() <= n {
        return;
    }
    let is_error = |v: &rules::Violation| v.severity == crate::spec::model::Severity::Error;
    let errors = violations.iter().filter(|v| is_error(v)).count();
    let (mut errors_left, mut warnings_left) = (n, n.saturating_sub(errors));
    violations.retain(|v| {
        let left = match is_error(v) {
            true => &mut errors_left,
            false => &mut warnings_left,
        };
        let keep = *left > 0;
        *left = left.saturating_sub(1);
        keep
    });
}

/// Frees the facts on another thread: on a large repository, freeing a million small facts
/// takes tens of milliseconds that the verdict need not wait for (the process may exit first;
/// the memory goes back with it).
fn release<T: Send + 'static>(value: T) {
    // A long-lived process (a server, which keeps its caches in memory) frees them once it
    // has answered, before its next call: its memory between calls is its resident state.
    if crate::facts::incremental::resident::kept() {
        super::free_later(Box::new(value));
        return;
    }
    std::thread::spawn(move || drop(value));
}

/// `--strict`: a file no rule could check is an error, not a warning.
fn strict_unchecked(violations: &mut [rules::Violation]) {
    for v in violations.iter_mut() {
        if v.code == rules::input::CODE {
            v.severity = crate::spec::model::Severity::Error;
        }
    }
}

/// Why `--strict` failed a run whose input was not fully checked.
fn strict_message(input_warnings: usize) -> String {
    format!(
        "error: --strict: {} about the input: not everything could be checked",
        report::plural(input_warnings, "warning", "warnings")
    )
}

/// `args` without its starting path (the fields every command's spec arguments share).
fn spec_args_like(args: &SpecArgs) -> SpecArgs {
    SpecArgs {
        path: None,
        ..args.clone()
    }
}

/// The spec and the proposed change of `--patch` or `--stdin-path`: paths in the change are
/// confined to the repository that holds the spec (its top directory, where `git diff` paths
/// start; the spec's directory outside any repository). A change to the spec itself is
/// checked as the spec (its problems stop the run with exit 2, like any broken spec).
fn load_with_proposal(
    args: &CheckArgs,
    spec_args: &SpecArgs,
    supplied: Option<(Proposed, std::path::PathBuf)>,
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<(Loaded, Option<Proposed>), i32>> {
    let start = spec_args.path.clone().unwrap_or_else(|| ".".into());
    let found = match &spec_args.spec {
        Some(p) => Some(p.clone()),
        None => crate::spec::discover::find_spec(&start),
    };
    let Some(spec_path) = found.and_then(|p| p.canonicalize().ok()) else {
        // Not found (or unreadable): the ordinary load says so, as for any check.
        return Ok(load_spec_deferred(spec_args, style, err)?.map(|l| (l, None)));
    };
    let base = crate::spec::validate::repository_top(&spec_path)
        .or_else(|| spec_path.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let made = match (&args.patch, &args.stdin_path) {
        _ if supplied.is_some() => Ok(supplied.map(|(p, _)| p).unwrap_or_default()),
        (Some(patch), _) => proposed::read_bounded(patch, proposed::MAX_PATCH_BYTES, "the patch")
            .and_then(|bytes| proposed::from_patch(&base, &bytes)),
        (None, Some(path)) => proposed::read_bounded(
            Path::new("-"),
            crate::facts::MAX_FILE_BYTES,
            "the proposed content",
        )
        .and_then(|bytes| proposed::from_content(&base, path, bytes)),
        (None, None) => Ok(Proposed::default()),
    };
    let proposal = match made {
        Ok(p) => p,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(Err(EXIT_ERROR));
        }
    };
    let loaded = match proposal.get(&spec_path) {
        Some(Some(text)) => load_proposed_spec(spec_args, &spec_path, text, style, err)?,
        Some(None) => {
            writeln!(
                err,
                "error: the change deletes the spec `{}`: a repository checked by ribo keeps it",
                super::display_path(&spec_path)
            )?;
            return Ok(Err(EXIT_ERROR));
        }
        None => load_spec_deferred(spec_args, style, err)?,
    };
    Ok(loaded.map(|l| (l, Some(proposal))))
}

/// What the same check reports without the proposed change: the spec on disk, the files on
/// disk (or as `before` has them), the same files selected. Its caches are those of the disk
/// (written as by any run over the disk; read only when `before` differs from the disk), and
/// a spec that does not load (the change mends it) gives no findings.
fn before_change(
    spec_path: &Path,
    resident: Option<&crate::spec::Spec>,
    spec_args: &SpecArgs,
    changes: Option<&ChangeSet>,
    baseline: Option<&crate::rules::baseline::Baseline>,
    before: Option<&Proposed>,
) -> io::Result<(Vec<rules::Violation>, String)> {
    let mut quiet = io::sink();
    let args = SpecArgs {
        spec: Some(spec_path.to_path_buf()),
        ..spec_args_like(spec_args)
    };
    let style = Style::default();
    let spec_before = before.and_then(|b| b.get(spec_path));
    let base = match (spec_before, resident) {
        (Some(Some(text)), _) => load_proposed_spec(&args, spec_path, text, style, &mut quiet)?,
        // The spec on disk, resident already.
        (_, Some(spec)) => Ok(Loaded::of(spec.clone())),
        _ => load_spec_deferred(&args, style, &mut quiet)?,
    };
    let mut base = match base {
        Ok(l) => l,
        Err(_) => return Ok((Vec::new(), String::new())),
    };
    // Read only: an empty overlay when the state before is the disk's.
    base.overlay = before.map(|b| std::sync::Arc::new(b.overlay(&base.spec.root)));
    // The same files, seen from before the change: what it deletes or moves away from was
    // there (and is looked at), what it adds was not.
    let mirrored = seen_before(changes);
    let changes = mirrored.as_ref();
    let focus = changes.and_then(|c| c.focus());
    // Over the disk, the narrowed results are remembered under the input and the selection:
    // an agent proposing edit after edit to the same files pays for the state before once.
    let selection = selection_key(changes, baseline);
    let reuse = match before {
        None => Reuse::Remembered(&selection),
        Some(_) => Reuse::No,
    };
    let analysis = match analyse(&base, &args, reuse, focus, false, style, &mut quiet)? {
        Ok(a) => a,
        Err(_) => return Ok((Vec::new(), base.spec.source)),
    };
    if analysis.built.is_none() {
        // Remembered: already narrowed.
        return Ok((analysis.outcome.violations, base.spec.source));
    }
    let selector = match (changes, &analysis.built) {
        (Some(c), Some((graph, assignment))) => {
            Some(Selector::new(&base.spec, graph, assignment, c))
        }
        _ => None,
    };
    let narrowed = baseline::narrow(analysis.outcome.violations, baseline, selector.as_ref());
    drop(selector);
    if let Some((dir, key)) = &analysis.remember {
        let outcome = rules::Outcome {
            violations: narrowed.violations,
            suppressed: analysis.outcome.suppressed,
        };
        super::results::save_to(
            dir,
            super::results::FOCUSED_FILE_NAME,
            key,
            &outcome,
            analysis.files,
            analysis.unreadable,
            &analysis.warnings,
        );
        release(analysis.built);
        return Ok((outcome.violations, base.spec.source));
    }
    release(analysis.built);
    Ok((narrowed.violations, base.spec.source))
}

/// The text of the lines violations are on, on one side of a change (read once per file).
struct Texts<'a> {
    read: &'a dyn Fn(&str) -> Option<String>,
    spec: &'a str,
    /// Each file read, with where its lines start (a file with thousands of findings is not
    /// scanned from its start for each).
    files: std::collections::HashMap<String, Option<(String, Vec<usize>)>>,
    spec_lines: Option<Vec<usize>>,
}

/// Where each line of `text` starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Line `n` (1-based) of `text`, whose lines start at `starts`, without its line ending.
fn nth_line<'t>(text: &'t str, starts: &[usize], n: u32) -> &'t str {
    let Some(&start) = starts.get(n.saturating_sub(1) as usize) else {
        return "";
    };
    let rest = text.get(start..).unwrap_or_default();
    let line = rest.split('\n').next().unwrap_or_default();
    line.strip_suffix('\r').unwrap_or(line)
}

impl<'a> Texts<'a> {
    fn new(read: &'a dyn Fn(&str) -> Option<String>, spec: &'a str) -> Self {
        Texts {
            read,
            spec,
            files: std::collections::HashMap::new(),
            spec_lines: None,
        }
    }

    /// The line of `v`, whitespace collapsed (empty when it cannot be read).
    fn line_of(&mut self, v: &rules::Violation) -> String {
        let line = match &v.location {
            rules::Location::Source { file, span } => {
                let read = self.read;
                let text = self.files.entry(file.to_string()).or_insert_with(|| {
                    read(file).map(|t| {
                        let starts = line_starts(&t);
                        (t, starts)
                    })
                });
                match text {
                    Some((text, starts)) => nth_line(text, starts, span.line),
                    None => "",
                }
            }
            rules::Location::Spec { span } => {
                let spec = self.spec;
                let starts = self.spec_lines.get_or_insert_with(|| line_starts(spec));
                nth_line(spec, starts, span.line)
            }
        };
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The violations of `after` that `before` does not have, and the count of what the change
/// adds and fixes. A finding is the same on both sides when its code, file, message and the
/// text of its line are (moved lines and shifted occurrences pair up first), else when its
/// fingerprint is (an edited line keeps the findings whose fingerprint it keeps).
fn only_new(
    after: Vec<rules::Violation>,
    before: &[rules::Violation],
    moves: &std::collections::BTreeMap<String, String>,
    mut after_text: Texts,
    mut before_text: Texts,
) -> (Vec<rules::Violation>, ChangeCount) {
    type Loose = (String, String, String, String);
    let loose = |v: &rules::Violation, line: String, moved: bool| -> Loose {
        let file = match &v.location {
            rules::Location::Source { file, .. } => file.to_string(),
            rules::Location::Spec { .. } => String::new(),
        };
        // A finding of a file the change moves is the same finding at its new path.
        let file = match moved {
            true => moves.get(&file).cloned().unwrap_or(file),
            false => file,
        };
        (v.code.to_string(), file, v.message.to_string(), line)
    };
    let mut by_line: std::collections::HashMap<Loose, std::collections::VecDeque<usize>> =
        Default::default();
    for (i, v) in before.iter().enumerate() {
        let line = before_text.line_of(v);
        by_line
            .entry(loose(v, line, true))
            .or_default()
            .push_back(i);
    }
    let mut matched = vec![false; before.len()];
    let mut kept: Vec<(rules::Violation, bool)> = after
        .into_iter()
        .map(|v| {
            let line = after_text.line_of(&v);
            let twin = by_line
                .get_mut(&loose(&v, line, false))
                .and_then(std::collections::VecDeque::pop_front);
            if let Some(i) = twin {
                matched[i] = true;
            }
            (v, twin.is_some())
        })
        .collect();
    let mut by_print: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (i, v) in before.iter().enumerate() {
        if !matched[i] {
            by_print.entry(v.fingerprint.as_str()).or_default().push(i);
        }
    }
    for (v, old) in kept.iter_mut().filter(|(_, old)| !*old) {
        if let Some(i) = by_print.get_mut(v.fingerprint.as_str()).and_then(Vec::pop) {
            matched[i] = true;
            *old = true;
        }
    }
    let introduced: Vec<rules::Violation> = kept
        .into_iter()
        .filter_map(|(v, old)| (!old).then_some(v))
        .collect();
    let errors = introduced
        .iter()
        .filter(|v| v.severity == crate::spec::model::Severity::Error)
        .count();
    let count = ChangeCount {
        added_errors: errors,
        added_warnings: introduced.len() - errors,
        fixed: matched.iter().filter(|m| !**m).count(),
    };
    (introduced, count)
}

/// The loosenings of `spec` since the spec at `rev` (warnings: `ribo diff-spec
/// --deny-loosening` is the gate), for `--changed` runs whose change set holds the spec. None
/// when git cannot give the spec at `rev` or it does not load.
fn spec_loosenings(spec: &crate::spec::Spec, rev: &str) -> Vec<rules::Violation> {
    let path = spec
        .path
        .canonicalize()
        .unwrap_or_else(|_| spec.path.clone());
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let Ok(Some(bytes)) = super::git::file_at(dir, rev, &name.to_string_lossy()) else {
        return Vec::new();
    };
    let Ok(old) = crate::spec::load_bytes(&spec.path, &bytes) else {
        return Vec::new();
    };
    let (loosened, _) = rules::loosening::compare_today(&old, spec);
    loosened
        .iter()
        .map(|c| {
            rules::loosening::violation(
                c,
                &spec.source,
                crate::spec::model::Severity::Warning,
                false,
            )
        })
        .collect()
}

/// The changed files (and the spec, when it is among them) as they are at `rev`: the state a
/// `--new` run over `--changed` or named files compares with. A file `rev` does not have is
/// absent there.
fn files_at_base(spec: &crate::spec::Spec, c: &ChangeSet, rev: &str) -> Result<Proposed, String> {
    // Only what ribo reads: Rust files and manifests (not a changed binary or data file).
    let read = |rel: &String| rel.ends_with(".rs") || rel.rsplit('/').next() == Some("Cargo.toml");
    let rels: Vec<String> = c
        .present
        .iter()
        .chain(&c.removed)
        .filter(|r| read(r))
        .cloned()
        .collect();
    let contents = super::git::files_at(&spec.root, rev, &rels)?;
    let mut before = Proposed::default();
    for (rel, content) in rels.iter().zip(contents) {
        before.files.insert(spec.root.join(rel), content);
    }
    if c.spec {
        let path = spec
            .path
            .canonicalize()
            .unwrap_or_else(|_| spec.path.clone());
        if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
            let then = super::git::file_at(dir, rev, &name.to_string_lossy())?;
            before.files.insert(spec.path.clone(), then);
        }
    }
    Ok(before)
}

/// The files of a change set seen from before the change: what it deletes or moves away from
/// was there (and is looked at), what it adds was not.
fn seen_before(changes: Option<&ChangeSet>) -> Option<ChangeSet> {
    changes.map(|c| ChangeSet {
        present: c.present.union(&c.removed).cloned().collect(),
        removed: std::collections::BTreeSet::new(),
        ..c.clone()
    })
}

/// What [`before_change`] remembered of the disk for this selection (see
/// [`super::remembered`]), when the spec in force is `spec` (the change leaves it alone);
/// `None` otherwise, or when nothing is remembered for the tree as it is. With `disk_key`
/// (the disk's results key, from the scan of the change) the disk is not scanned again.
fn before_remembered(
    spec: &crate::spec::Spec,
    spec_args: &SpecArgs,
    changes: Option<&ChangeSet>,
    baseline: Option<&crate::rules::baseline::Baseline>,
    disk_key: Option<&(std::path::PathBuf, [u8; 32])>,
) -> Option<(Vec<rules::Violation>, String)> {
    if changes.is_some_and(|c| c.spec) {
        return None;
    }
    let selection = selection_key(seen_before(changes).as_ref(), baseline);
    let found = match disk_key {
        // The disk's results key, known from the scan of the change (`Input::disk_digest`).
        Some((dir, key)) => super::remembered_at(dir, key, &selection),
        None => super::remembered(spec, spec_args, &selection),
    };
    found.map(|v| (v, spec.source.clone()))
}

/// What a focused run's narrowed results depend on beyond its input: the files selected and
/// the baseline that accepted some.
fn selection_key(
    changes: Option<&ChangeSet>,
    baseline: Option<&crate::rules::baseline::Baseline>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut field = |bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    if let Some(c) = changes {
        for f in &c.present {
            field(f.as_bytes());
        }
        field(b"/removed");
        for f in &c.removed {
            field(f.as_bytes());
        }
        field(&[u8::from(c.spec), u8::from(c.baseline)]);
    }
    if let Some(b) = baseline {
        field(b.file.as_bytes());
        for e in &b.entries {
            for part in [&e.fingerprint, &e.code, &e.file, &e.message] {
                field(part.as_bytes());
            }
        }
    }
    out
}
