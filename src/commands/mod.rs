//! One file per command; this module holds what they share: finding and loading the spec,
//! and how paths are shown.

pub mod baseline;
pub(crate) mod changed;
pub mod check;
pub mod completions;
pub mod contract;
pub mod diff_spec;
pub mod explain;
pub mod facts;
pub(crate) mod git;
pub mod graph;
pub mod hook;
pub mod init;
pub mod mcp;
pub(crate) mod patch;
pub(crate) mod progress;
pub(crate) mod proposed;
pub(crate) mod results;
pub(crate) mod warm;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::cli::SpecArgs;
use crate::report::{self, Style};
use crate::spec::{self, LoadError, Spec, SpecErrors};
use crate::{rules, EXIT_ERROR};

pub(crate) struct Loaded {
    pub spec: Spec,
    pub spec_name: String,
    pub root_display: String,
    /// The spec's queries, still compiling (only from [`load_spec_deferred`]): [`analyse`]
    /// waits for them after walking the repository, and stops with exit 2 if they are wrong.
    pending: std::cell::Cell<Option<spec::PendingQueries>>,
    /// A proposed change [`analyse`] reads over the files on disk (`ribo check --patch`,
    /// `--stdin-path`); it then writes no cache.
    pub overlay: Option<std::sync::Arc<crate::facts::Overlay>>,
}

/// What a long-lived process (`ribo mcp`) frees after it has answered, not before.
static FREE_LATER: std::sync::Mutex<Vec<Box<dyn Send>>> = std::sync::Mutex::new(Vec::new());

/// Frees `value` once the answer it served was sent ([`free_now`]).
pub(crate) fn free_later(value: Box<dyn Send>) {
    FREE_LATER
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(value);
}

/// Frees what [`free_later`] was given.
pub(crate) fn free_now() {
    let later = std::mem::take(&mut *FREE_LATER.lock().unwrap_or_else(|p| p.into_inner()));
    drop(later);
}

impl Loaded {
    /// A spec loaded and validated already (a resident engine's: `ribo mcp`), queries compiled.
    pub(crate) fn of(spec: Spec) -> Loaded {
        Loaded {
            spec_name: display_path(&spec.path),
            root_display: display_path(&spec.root),
            spec,
            pending: std::cell::Cell::new(None),
            overlay: None,
        }
    }
}

pub(crate) fn load_spec(
    args: &SpecArgs,
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<Loaded, i32>> {
    load_spec_with(args, false, None, style, err)
}

/// [`load_spec`], leaving the spec's queries compiling (see [`Loaded::pending`]): for a
/// command that goes on to [`analyse`].
pub(crate) fn load_spec_deferred(
    args: &SpecArgs,
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<Loaded, i32>> {
    load_spec_with(args, true, None, style, err)
}

/// [`load_spec_deferred`] of the spec at `path` with `text` as its content (a proposed change
/// to it), not the file's.
pub(crate) fn load_proposed_spec(
    args: &SpecArgs,
    path: &Path,
    text: &[u8],
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<Loaded, i32>> {
    load_spec_with(&with_spec(args, path), true, Some(text), style, err)
}

/// [`load_spec`] of the spec at `path` with `text` as its content (read once by the caller,
/// who keeps it to tell when the file changes: `ribo mcp`), its queries compiled.
pub(crate) fn load_spec_text(
    args: &SpecArgs,
    path: &Path,
    text: &[u8],
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<Loaded, i32>> {
    load_spec_with(&with_spec(args, path), false, Some(text), style, err)
}

/// `args` with the spec file `path`.
fn with_spec(args: &SpecArgs, path: &Path) -> SpecArgs {
    SpecArgs {
        spec: Some(path.to_path_buf()),
        ..args.clone()
    }
}

fn load_spec_with(
    args: &SpecArgs,
    defer: bool,
    text: Option<&[u8]>,
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
    let read = match text {
        Some(bytes) => spec::load_bytes_deferred(&path, bytes),
        None => spec::load_deferred(&path),
    };
    let loaded = read.and_then(|(mut spec, pending)| match pending {
        Some(pending) if !defer => {
            pending.finish(&mut spec).map_err(LoadError::Invalid)?;
            Ok((spec, None))
        }
        pending => Ok((spec, pending)),
    });
    match loaded {
        Ok((spec, pending)) => {
            // Contract declarations are Rust item headers: parsed once, before any checking.
            let errors = rules::contracts::validate_declarations(&spec);
            if !errors.is_empty() {
                return stop_on_spec_errors(err, &spec, &spec_name, errors, style).map(Err);
            }
            let root_display = display_path(&spec.root);
            // Every command reads the root: one that is not a directory stops here.
            if !spec.root.is_dir() {
                writeln!(
                    err,
                    "error: the root `{root_display}` is not a readable directory"
                )?;
                return Ok(Err(EXIT_ERROR));
            }
            Ok(Ok(Loaded {
                spec,
                spec_name,
                root_display,
                pending: std::cell::Cell::new(pending),
                overlay: None,
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

/// Renders `errors` found in `spec` (shown as `spec_name`) and gives the exit status they
/// stop the command with.
pub(crate) fn stop_on_spec_errors(
    err: &mut dyn Write,
    spec: &Spec,
    spec_name: &str,
    errors: Vec<spec::SpecError>,
    style: Style,
) -> io::Result<i32> {
    report::human::write_spec_errors(err, &SpecErrors::of(spec, errors), spec_name, style)?;
    Ok(EXIT_ERROR)
}

pub(crate) fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|c| c.canonicalize().ok());
    let abs = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let rel = cwd.as_ref().and_then(|c| {
        abs.strip_prefix(c)
            .ok()
            .map(Path::to_path_buf)
            .or_else(|| above(c, &abs))
    });
    let shown = match rel {
        Some(r) => r,
        None if path.is_relative() => path.to_path_buf(),
        None => abs,
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    s.trim_start_matches("./").to_string()
}

/// `path` seen from `cwd` when `path` is a directory above it, or a file in one (`..`,
/// `../ribo.yaml`: ribo run in a subdirectory of the project).
fn above(cwd: &Path, path: &Path) -> Option<PathBuf> {
    let dir = match path.is_dir() {
        true => path,
        false => path.parent()?,
    };
    if dir.parent().is_none() || !cwd.starts_with(dir) {
        return None;
    }
    let up = cwd.components().count() - dir.components().count();
    let mut shown: PathBuf = std::iter::repeat_n("..", up).collect();
    shown.push(path.strip_prefix(dir).ok()?);
    Some(shown)
}

pub(crate) fn build_options(spec: &Spec, args: &SpecArgs) -> crate::facts::BuildOptions {
    crate::facts::BuildOptions {
        exclude: spec.exclude_set(),
        exclude_texts: Some(spec.system.exclude.iter().map(|g| g.text.clone()).collect()),
        threads: args.threads.unwrap_or(0),
        query_texts: spec.query_texts(),
        compiled_queries: spec.compiled_queries.as_ref().map(|c| c.0.clone()),
        cache_dir: cache_dir(spec, args),
        progress: None,
        bodies_for: None,
        overlay: None,
    }
}

/// Where the facts cache lives: `--cache-dir`, else `RIBO_CACHE_DIR`, else `.ribo-cache/` in
/// the spec's root; `None` with `--no-cache` or `RIBO_NO_CACHE=1`.
fn cache_dir(spec: &Spec, args: &SpecArgs) -> Option<PathBuf> {
    let disabled = std::env::var_os("RIBO_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0");
    if args.no_cache || disabled {
        return None;
    }
    args.cache_dir
        .clone()
        .or_else(|| std::env::var_os("RIBO_CACHE_DIR").map(PathBuf::from))
        .or_else(|| Some(spec.root.join(".ribo-cache")))
}

/// What a run found: the rules' outcome and what its summary needs.
pub(crate) struct Analysis {
    pub outcome: rules::Outcome,
    /// Rust files found, and how many of them could not be read or parsed.
    pub files: usize,
    pub unreadable: usize,
    /// Warnings about the input.
    pub warnings: Vec<crate::facts::Warning>,
    /// The fact graph and assignment, when they were built (not when a run over the same
    /// input was reused: see `results`).
    pub built: Option<(crate::facts::FactGraph, rules::Assignment)>,
    /// Where the caller of a [`Reuse::Remembered`] run stores its narrowed results (with
    /// [`results::save_to`], slot [`results::FOCUSED_FILE_NAME`]); `None` on a hit.
    pub remember: Option<(PathBuf, [u8; 32])>,
    /// Over a proposed change: where the disk's own results are, and the [`results::key`] of
    /// the disk without the change, when the scan could tell it (see
    /// `facts::Input::disk_digest`).
    pub disk_key: Option<(PathBuf, [u8; 32])>,
}

/// Builds the facts of the spec's root, assigns files to boundaries and runs every rule.
/// With `reuse`, a run over exactly the same input as the last one takes its results from
/// the results cache instead; `progress` draws a bar on a terminal while parsing. With
/// `focus`, only the files it names get per-file rules (the run reports only theirs).
/// Whether a run may take its results from the results cache.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reuse<'a> {
    /// Never (the run is over a proposed change, or reports what it selects).
    No,
    /// A whole-repository run over the same input as the last one.
    Whole,
    /// A focused run over the disk whose caller narrows its results itself and remembers
    /// them (see [`Analysis::remember`]) under the input and these bytes (its selection).
    Remembered(&'a [u8]),
}

pub(crate) fn analyse(
    loaded: &Loaded,
    args: &SpecArgs,
    reuse: Reuse<'_>,
    focus: Option<&std::collections::BTreeSet<String>>,
    progress: bool,
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<Analysis, i32>> {
    let spec = &loaded.spec;
    let mut options = build_options(spec, args);
    options.bodies_for = rules::bodies_read(spec, focus);
    options.overlay = loaded.overlay.clone();
    let input = crate::facts::scan(&spec.root, &options);
    let disk_key = match (&options.cache_dir, input.disk_digest()) {
        (Some(dir), Some(digest)) => Some((
            dir.clone(),
            results::key_of(spec, digest, &options.query_texts),
        )),
        _ => None,
    };
    let key = match (&options.cache_dir, loaded.overlay.is_none()) {
        (Some(dir), true) => {
            results::key(spec, &input, &options.query_texts).map(|k| (dir.clone(), k))
        }
        _ => None,
    };
    let (stored, remember) = match (reuse, key) {
        (Reuse::Whole, key) => (key, None),
        (Reuse::Remembered(more), Some((dir, k))) => (None, Some((dir, results::with(&k, more)))),
        _ => (None, None),
    };
    let hit = match (&stored, &remember) {
        (Some((dir, key)), _) => results::load(dir, key),
        (_, Some((dir, key))) => results::load_from(dir, results::FOCUSED_FILE_NAME, key),
        _ => None,
    };
    if let Some(hit) = hit {
        return Ok(Ok(Analysis {
            outcome: rules::Outcome {
                violations: hit.violations,
                suppressed: hit.suppressed,
            },
            files: hit.files,
            unreadable: hit.unreadable,
            warnings: hit.warnings,
            built: None,
            remember: None,
            disk_key,
        }));
    }
    // The queries compiled while the repository was walked (a run reused whole above needs
    // none: the same spec text was valid when its results were saved).
    if let Some(queries) = loaded.pending.take() {
        match queries.wait() {
            Ok(compiled) => options.compiled_queries = compiled,
            Err(errors) => {
                return stop_on_spec_errors(err, spec, &loaded.spec_name, errors, style).map(Err);
            }
        }
    }
    let (graph, mut pending) = progress::build_from(&spec.root, input, options, progress);
    if focus.is_none() {
        // A full run's rules are its memory peak: the snapshot is written before them.
        if let Some(p) = pending.take() {
            p.save(&graph);
        }
    }
    // In a focused run, the resolution snapshot is written while the rules run.
    let checked = std::thread::scope(|s| {
        if let Some(p) = pending {
            s.spawn(|| p.save(&graph));
        }
        let assignment = match assign_or_report(loaded, &graph, style, err)? {
            Ok(a) => a,
            Err(code) => return Ok(Err(code)),
        };
        let outcome = match focus {
            Some(files) => {
                let only = |path: &str| files.contains(path);
                rules::check_focused(spec, &graph, &assignment, Some(&only))
            }
            None => rules::check(spec, &graph, &assignment),
        };
        io::Result::Ok(Ok((assignment, outcome)))
    })?;
    let (assignment, outcome) = match checked {
        Ok(done) => done,
        Err(code) => return Ok(Err(code)),
    };
    let files = graph.files.len();
    let unreadable = graph.files.iter().filter(|f| !f.parsed).count();
    let mut warnings = graph.warnings.clone();
    let undecodable = crate::facts::items::undecodable();
    if let Some(w) = undecodable_warning() {
        // A bug, not bad input (the cache is checksummed): say so, and keep no results.
        warnings.push(w);
    } else if let Some((dir, key)) = &stored {
        results::save(dir, key, &outcome, files, unreadable, &graph.warnings);
    }
    Ok(Ok(Analysis {
        outcome,
        files,
        unreadable,
        warnings,
        built: Some((graph, assignment)),
        remember: if undecodable > 0 { None } else { remember },
        disk_key,
    }))
}

/// The warning about cached items that could not be decoded in this process, if any (a bug:
/// see `facts::items::undecodable`).
pub(crate) fn undecodable_warning() -> Option<crate::facts::Warning> {
    let undecodable = crate::facts::items::undecodable();
    (undecodable > 0).then(|| {
        crate::facts::Warning::new(
            "",
            format!(
                "internal error: the cached items of {} could not be decoded and were checked \
                 as none; run again with --no-cache",
                crate::report::plural(undecodable, "file", "files")
            ),
        )
    })
}

/// The narrowed results a [`Reuse::Remembered`] run over the disk stored under `more`, if the
/// input is still the one they were made from: only the walk and the hashes are paid (what
/// an agent's hook reads beside the check of a change, on a thread of its own).
pub(crate) fn remembered(
    spec: &Spec,
    args: &SpecArgs,
    more: &[u8],
) -> Option<Vec<rules::Violation>> {
    let options = build_options(spec, args);
    let dir = options.cache_dir.clone()?;
    let input = crate::facts::scan(&spec.root, &options);
    remembered_at(
        &dir,
        &results::key(spec, &input, &options.query_texts)?,
        more,
    )
}

/// The narrowed results a [`Reuse::Remembered`] run stored in `dir` under `key` (the results
/// key of its input) and `more`, if any.
pub(crate) fn remembered_at(
    dir: &Path,
    key: &[u8; 32],
    more: &[u8],
) -> Option<Vec<rules::Violation>> {
    let key = results::with(key, more);
    results::load_from(dir, results::FOCUSED_FILE_NAME, &key).map(|s| s.violations)
}

/// Assigns every file to its boundary; a file two boundaries claim equally is a spec error,
/// rendered against the spec, and the command stops with exit 2.
pub(crate) fn assign_or_report(
    loaded: &Loaded,
    graph: &crate::facts::FactGraph,
    style: Style,
    err: &mut dyn Write,
) -> io::Result<Result<rules::Assignment, i32>> {
    let spec = &loaded.spec;
    match rules::assign::assign(spec, graph) {
        Ok(a) => Ok(Ok(a)),
        Err(errors) => stop_on_spec_errors(err, spec, &loaded.spec_name, errors, style).map(Err),
    }
}

/// A writer that ends quietly at a closed pipe (`ribo check | head`): the first
/// `BrokenPipe` is remembered and every later write is discarded, so that a command still
/// finishes and returns its verdict as its exit status instead of an I/O error.
pub(crate) struct PipeGuard<'w> {
    inner: &'w mut dyn Write,
    closed: bool,
}

impl<'w> PipeGuard<'w> {
    pub(crate) fn new(inner: &'w mut dyn Write) -> Self {
        PipeGuard {
            inner,
            closed: false,
        }
    }
}

impl Write for PipeGuard<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}
