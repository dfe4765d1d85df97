//! Validation: the raw spec to the model rules trust.
//!
//! Every semantic check runs and every problem is collected (together with the structural
//! problems the decoder found) before giving up; errors come back sorted by position. The only
//! filesystem access is canonicalising `system.root`.
//!
//! Decisions worth knowing:
//! - Entries of `may_use`, `layers`, `in`, `except` and `only_from` that contain any of
//!   `/ * ? { [ .` are globs, the others boundary names. `may_use` and `layers` take names only.
//! - A boundary naming itself in `may_use` is dropped silently: its own files always may.
//! - A `may_use` entry naming a boundary above it in `layers` contradicts the layering and is
//!   an error (`spec::layer-conflict`); boundaries outside `layers` are not constrained.
//! - A rule kind is "given" when its key is present: `forbid: { unsafe: false }` and
//!   `require: { items: fn, doc: false }` are accepted, if pointless.
//! - Attributes may be written `instrument` or `#[instrument]`; the `#[...]` is dropped.
//! - Defaults carry a span to point at: options the `options` key (or `0..0` when there is
//!   none), an invariant's default severity its `id` key.

mod errors;
mod glob;
mod pattern;
mod query;
mod rules;

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::lines::Lines;
use super::model::{
    At, Boundary, Contract, Glob, Invariant, Level, Options, Scope, Spec, SpecSpan, System,
    TestsMode, DEFAULT_BASELINE,
};
use super::raw::{RawBoundary, RawList, RawOptions, RawQuery, RawSpec, RawSystem};
use super::{SpecError, SpecErrors};

/// Checks a raw spec read from `path` and builds the model, or returns every problem.
pub fn validate(path: &Path, source: String, raw: RawSpec) -> Result<Spec, SpecErrors> {
    let (mut spec, pending) = validate_deferred(path, source, raw)?;
    if let Some(pending) = pending {
        pending.finish(&mut spec)?;
    }
    Ok(spec)
}

/// [`validate`], except that the spec's queries may still be compiling when it returns:
/// tree-sitter's analysis of a query is the costliest part of loading a spec (8-20 ms for the
/// benchmark spec's ten queries, against ~4 ms for the rest), and a check has the repository
/// to walk meanwhile. The spec is valid once [`PendingQueries::finish`] says so; until then
/// its `compiled_queries` is `None`. When anything else is wrong, the queries are waited for
/// and their errors reported with the others.
pub fn validate_deferred(
    path: &Path,
    source: String,
    raw: RawSpec,
) -> Result<(Spec, Option<PendingQueries>), SpecErrors> {
    let pending = PendingQueries::start(&source, rules::query_texts(&raw.invariants));
    let mut ctx = Ctx::new(&source, &raw);
    let parts = ctx.check(path, raw);
    let mut errors = ctx.errors;
    if errors.is_empty() {
        if let Some(parts) = parts {
            return Ok((parts.into_spec(path, source), pending));
        }
        errors.push(errors::incomplete());
    }
    if let Some(Err(more)) = pending.map(PendingQueries::join) {
        errors.extend(more);
    }
    errors.sort_by_key(|error| (error.span.start, error.span.end));
    Err(SpecErrors {
        path: path.to_path_buf(),
        source,
        errors,
    })
}

/// What compiling a spec's queries gives: the combined query, or every query's errors.
type Compiled = Result<Option<tree_sitter::Query>, Vec<SpecError>>;

/// A spec's queries compiling on their own thread (see [`validate_deferred`]).
pub struct PendingQueries(PendingState);

enum PendingState {
    Compiling {
        thread: std::thread::JoinHandle<Compiled>,
        /// The spec's source and its queries, shared with the thread, to compile them here
        /// should the thread fail.
        input: std::sync::Arc<(String, Vec<RawQuery>)>,
    },
    /// No thread could be started: compiled on the spot.
    Done(Compiled),
}

/// Compiles the queries `raws` of the spec `source`.
fn compile(source: &str, raws: &[RawQuery]) -> Compiled {
    let refs: Vec<&RawQuery> = raws.iter().collect();
    query::compile_all(source, &refs)
}

impl PendingQueries {
    /// Starts compiling `raws`, the queries of the spec `source` (`None` without queries).
    fn start(source: &str, raws: Vec<&RawQuery>) -> Option<PendingQueries> {
        if raws.is_empty() {
            return None;
        }
        let input = std::sync::Arc::new((
            source.to_owned(),
            raws.into_iter().cloned().collect::<Vec<_>>(),
        ));
        let shared = std::sync::Arc::clone(&input);
        let spawned = std::thread::Builder::new().spawn(move || compile(&shared.0, &shared.1));
        Some(PendingQueries(match spawned {
            Ok(thread) => PendingState::Compiling { thread, input },
            Err(_) => PendingState::Done(compile(&input.0, &input.1)),
        }))
    }

    /// Waits for the queries.
    fn join(self) -> Compiled {
        match self.0 {
            PendingState::Compiling { thread, input } => thread
                .join()
                .unwrap_or_else(|_| compile(&input.0, &input.1)),
            PendingState::Done(compiled) => compiled,
        }
    }

    /// Waits for the queries and gives them to `spec`, or returns their errors (the spec is
    /// then invalid, as [`validate`] would have said).
    pub fn finish(self, spec: &mut Spec) -> Result<(), SpecErrors> {
        match self.wait() {
            Ok(query) => {
                spec.compiled_queries = query.map(crate::spec::model::CompiledQueries);
                Ok(())
            }
            Err(errors) => Err(SpecErrors::of(spec, errors)),
        }
    }

    /// Waits for the queries: the combined query, or every query's errors, sorted.
    pub fn wait(self) -> Result<Option<std::sync::Arc<tree_sitter::Query>>, Vec<SpecError>> {
        match self.join() {
            Ok(query) => Ok(query.map(std::sync::Arc::new)),
            Err(mut errors) => {
                errors.sort_by_key(|error| (error.span.start, error.span.end));
                Err(errors)
            }
        }
    }
}

/// The validated pieces of a spec, before it takes ownership of the source.
struct Parts {
    root: PathBuf,
    system: System,
    options: Options,
    boundaries: Vec<Boundary>,
    layers: Option<At<Vec<At<usize>>>>,
    invariants: Vec<Invariant>,
    contracts: Vec<Contract>,
}

impl Parts {
    fn into_spec(self, path: &Path, source: String) -> Spec {
        Spec {
            path: path.to_path_buf(),
            source,
            root: self.root,
            system: self.system,
            options: self.options,
            path_owners: crate::spec::model::PathOwners::new(&self.boundaries),
            boundaries: self.boundaries,
            layers: self.layers,
            invariants: self.invariants,
            contracts: self.contracts,
            compiled_queries: None,
        }
    }
}

/// Validation state: the source (for line numbers) and the problems found so far.
pub(super) struct Ctx<'s> {
    lines: Lines<'s>,
    errors: Vec<SpecError>,
    /// Declared boundary names, in order: a name's index is its boundary's index.
    names: Vec<String>,
}

/// Whether a scope entry is a glob rather than a boundary name.
fn looks_like_glob(text: &str) -> bool {
    text.contains(['/', '*', '?', '{', '[', '.'])
}

const LEVELS: &[(&str, Level)] = &[
    ("allow", Level::Allow),
    ("warn", Level::Warn),
    ("error", Level::Error),
];
const TESTS_MODES: &[(&str, TestsMode)] = &[("skip", TestsMode::Skip), ("check", TestsMode::Check)];

impl<'s> Ctx<'s> {
    fn new(source: &'s str, raw: &RawSpec) -> Self {
        Ctx {
            lines: Lines::new(source),
            errors: raw.problems.clone(),
            names: raw
                .boundaries
                .iter()
                .map(|b| b.name.value.clone())
                .collect(),
        }
    }

    fn push(&mut self, error: SpecError) {
        self.errors.push(error);
    }

    /// The 1-based line of a byte offset, for "first defined on line N" helps.
    fn line(&self, offset: usize) -> usize {
        self.lines.line_of(offset)
    }

    fn check(&mut self, path: &Path, raw: RawSpec) -> Option<Parts> {
        self.version(&raw);
        let system = self.system(raw.system.as_ref());
        let root = self.root(path, raw.system.as_ref());
        let options = self.options(raw.options.as_ref());
        if let (Some(root), Some(top)) = (&root, repository_top(path)) {
            self.baseline_inside(root, &top, &options.baseline);
        }
        let boundaries: Vec<Boundary> = raw.boundaries.iter().map(|b| self.boundary(b)).collect();
        let layers = raw.layers.as_ref().map(|layers| self.layers(layers));
        if let Some(layers) = &layers {
            self.layer_conflicts(&boundaries, layers);
        }
        let invariants = self.invariants(&raw.invariants);
        let contracts = self.contracts(&raw.contracts);
        Some(Parts {
            root: root?,
            system: system?,
            options,
            boundaries,
            layers,
            invariants,
            contracts,
        })
    }

    fn version(&mut self, raw: &RawSpec) {
        if let Some(version) = &raw.version {
            if version.value.number != Some(1) {
                self.push(errors::version(&version.value.text, version.span.clone()));
            }
        }
    }

    fn system(&mut self, raw: Option<&RawSystem>) -> Option<System> {
        let raw = raw?;
        let exclude = raw.exclude.as_ref().map(|list| self.globs(list));
        let name = raw.name.clone()?;
        if name.value.trim().is_empty() {
            self.push(errors::empty_system_name(name.span.clone()));
        }
        Some(System {
            name,
            intent: raw.intent.clone(),
            exclude: exclude.unwrap_or_default(),
            span: raw.key.clone(),
        })
    }

    /// The spec's directory joined with `system.root` (default `.`), canonicalised.
    fn root(&mut self, path: &Path, raw: Option<&RawSystem>) -> Option<PathBuf> {
        let given = raw.and_then(|system| system.root.as_ref());
        let text = given.map_or(".", |root| root.value.as_str());
        let span = given
            .map(|root| root.span.clone())
            .or_else(|| raw.map(|system| system.key.clone()))
            .unwrap_or(0..0);
        let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
        let joined = dir.unwrap_or(Path::new(".")).join(text);
        match joined.canonicalize() {
            Ok(root) if root.is_dir() => match repository_top(path) {
                Some(top) if !root.starts_with(&top) => {
                    self.push(errors::root_outside(text, &top, span));
                    None
                }
                _ => Some(root),
            },
            Ok(_) => {
                self.push(errors::root(text, "it is not a directory", span));
                None
            }
            Err(error) => {
                self.push(errors::root(text, &error.to_string(), span));
                None
            }
        }
    }

    fn options(&mut self, raw: Option<&RawOptions>) -> Options {
        let fallback = raw.map_or(0..0, |options| options.key.clone());
        let field = |get: fn(&RawOptions) -> &Option<At<String>>| raw.and_then(|o| get(o).as_ref());
        Options {
            unassigned: self.level(
                field(|o| &o.unassigned),
                "options.unassigned",
                Level::Warn,
                &fallback,
            ),
            cycles: self.level(
                field(|o| &o.cycles),
                "options.cycles",
                Level::Error,
                &fallback,
            ),
            tests: self.tests_mode(field(|o| &o.tests), "options.tests", &fallback),
            unused_allowances: self.level(
                field(|o| &o.unused_allowances),
                "options.unused_allowances",
                Level::Allow,
                &fallback,
            ),
            baseline: self.baseline(field(|o| &o.baseline), &fallback),
            quoted: self.tests_mode(field(|o| &o.quoted), "options.quoted", &fallback),
        }
    }

    /// `options.baseline` written inside the repository `top` (links on the way followed):
    /// `ribo baseline` writes it.
    fn baseline_inside(&mut self, root: &Path, top: &Path, baseline: &At<String>) {
        let text = baseline.value.as_str();
        if text.is_empty() || text.ends_with('/') || Path::new(text).is_absolute() {
            return; // Already not a relative file name (`baseline`).
        }
        let joined = lexical(&root.join(&baseline.value));
        // The nearest part of it that exists, its links followed, then the rest.
        let resolved = joined.ancestors().find_map(|a| {
            let rest = joined.strip_prefix(a).ok()?;
            a.canonicalize().ok().map(|c| c.join(rest))
        });
        if !resolved.unwrap_or(joined).starts_with(top) {
            self.push(errors::baseline_outside(
                &baseline.value,
                top,
                baseline.span.clone(),
            ));
        }
    }

    /// `options.baseline`: a non-empty relative file name.
    fn baseline(&mut self, raw: Option<&At<String>>, fallback: &SpecSpan) -> At<String> {
        let Some(raw) = raw else {
            return At::new(DEFAULT_BASELINE.to_owned(), fallback.clone());
        };
        let text = raw.value.trim();
        if text.is_empty() || text.ends_with('/') || Path::new(text).is_absolute() {
            self.push(errors::baseline(&raw.value, raw.span.clone()));
        }
        At::new(text.to_owned(), raw.span.clone())
    }

    fn level(
        &mut self,
        raw: Option<&At<String>>,
        key: &str,
        default: Level,
        fallback: &SpecSpan,
    ) -> At<Level> {
        let value = raw.and_then(|raw| self.enumerated(raw, key, LEVELS));
        at_or_default(raw, value, default, fallback)
    }

    fn tests_mode(
        &mut self,
        raw: Option<&At<String>>,
        key: &str,
        fallback: &SpecSpan,
    ) -> At<TestsMode> {
        let value = raw.and_then(|raw| self.enumerated(raw, key, TESTS_MODES));
        at_or_default(raw, value, TestsMode::Skip, fallback)
    }

    /// One of a fixed set of words; reports `spec::value` otherwise.
    fn enumerated<T: Copy>(
        &mut self,
        raw: &At<String>,
        key: &str,
        table: &[(&str, T)],
    ) -> Option<T> {
        let found = table.iter().find(|(word, _)| *word == raw.value);
        if found.is_none() {
            let words: Vec<&str> = table.iter().map(|(word, _)| *word).collect();
            self.push(errors::value(key, &raw.value, &words, raw.span.clone()));
        }
        found.map(|(_, value)| *value)
    }

    /// Checks a name (boundary name, invariant or contract id) is a kebab/snake identifier.
    fn identifier(&mut self, what: &str, name: &At<String>) {
        if !pattern::is_identifier(&name.value) {
            let fixed = pattern::fixed_identifier(&name.value);
            self.push(errors::name(what, &name.value, name.span.clone(), fixed));
        }
    }

    fn boundary(&mut self, raw: &RawBoundary) -> Boundary {
        let name = &raw.name;
        self.identifier("boundary name", name);
        let paths = raw
            .paths
            .as_ref()
            .map(|list| self.globs(list))
            .unwrap_or_default();
        if let Some(list) = raw.paths.as_ref().filter(|list| list.value.is_empty()) {
            self.push(errors::empty_paths(&name.value, list.span.clone()));
        }
        let may_use = raw.may_use.as_ref().map(|list| self.may_use(name, list));
        let may_not_use = raw
            .may_not_use
            .as_ref()
            .map(|list| self.may_not_use(name, list, may_use.as_ref()));
        let crates = raw.crates.as_ref().map(|list| {
            let patterns = list.value.iter();
            let patterns = patterns.filter_map(|entry| self.ok(glob::crate_pattern(entry)));
            At::new(patterns.collect(), list.span.clone())
        });
        let interface = raw
            .interface
            .as_ref()
            .map(|list| At::new(self.globs(list), list.span.clone()));
        Boundary {
            name: name.clone(),
            description: raw.description.clone(),
            paths,
            may_use,
            may_not_use,
            crates,
            interface,
        }
    }

    /// `may_not_use` as boundary indexes; a boundary listed in `may_use` too is a
    /// contradiction (`spec::use-conflict`); the boundary itself is dropped (its own files
    /// always may).
    fn may_not_use(
        &mut self,
        owner: &At<String>,
        list: &RawList,
        may_use: Option<&At<Vec<At<usize>>>>,
    ) -> At<Vec<At<usize>>> {
        let mut out = Vec::new();
        for entry in list.value.iter().filter(|e| e.value != owner.value) {
            let Some(index) = self.boundary_ref(entry, "may_not_use") else {
                continue;
            };
            let allowed = may_use.and_then(|m| m.value.iter().find(|u| u.value == index.value));
            if let Some(allowed) = allowed {
                let line = self.line(allowed.span.start);
                self.push(errors::use_conflict(
                    &owner.value,
                    &entry.value,
                    entry.span.clone(),
                    line,
                ));
                continue;
            }
            out.push(index);
        }
        At::new(out, list.span.clone())
    }

    /// `may_use` as boundary indexes; the boundary itself is dropped (always allowed).
    fn may_use(&mut self, owner: &At<String>, list: &RawList) -> At<Vec<At<usize>>> {
        let resolved = list.value.iter().filter(|entry| entry.value != owner.value);
        let resolved = resolved.filter_map(|entry| self.boundary_ref(entry, "may_use"));
        At::new(resolved.collect(), list.span.clone())
    }

    /// `layers`, top to bottom, as boundary indexes; a repeated boundary is an error.
    fn layers(&mut self, list: &RawList) -> At<Vec<At<usize>>> {
        let mut layers: Vec<At<usize>> = Vec::new();
        for entry in &list.value {
            let Some(index) = self.boundary_ref(entry, "layers") else {
                continue;
            };
            match layers.iter().find(|layer| layer.value == index.value) {
                Some(first) => {
                    let line = self.line(first.span.start);
                    self.push(errors::duplicate_layer(
                        &entry.value,
                        entry.span.clone(),
                        line,
                    ));
                }
                None => layers.push(index),
            }
        }
        At::new(layers, list.span.clone())
    }

    /// Reports every `may_use` entry naming a boundary above its user in `layers`.
    fn layer_conflicts(&mut self, boundaries: &[Boundary], layers: &At<Vec<At<usize>>>) {
        let position = |index: usize| layers.value.iter().position(|layer| layer.value == index);
        let layers_line = self.line(layers.span.start);
        for (user, boundary) in boundaries.iter().enumerate() {
            let Some(user_position) = position(user) else {
                continue;
            };
            let uses = boundary.may_use.iter().flat_map(|list| &list.value);
            for used in uses {
                if position(used.value).is_some_and(|used_position| used_position < user_position) {
                    let used_name = self.names.get(used.value).cloned().unwrap_or_default();
                    let error = errors::layer_conflict(
                        &boundary.name.value,
                        &used_name,
                        used.span.clone(),
                        layers_line,
                    );
                    self.push(error);
                }
            }
        }
    }

    /// A boundary name (not a glob) resolved to its index.
    fn boundary_ref(&mut self, entry: &At<String>, list: &str) -> Option<At<usize>> {
        if looks_like_glob(&entry.value) {
            self.push(errors::glob_not_allowed(
                &entry.value,
                list,
                entry.span.clone(),
            ));
            return None;
        }
        self.resolve(entry, list)
    }

    fn resolve(&mut self, entry: &At<String>, list: &str) -> Option<At<usize>> {
        match self.names.iter().position(|name| *name == entry.value) {
            Some(index) => Some(At::new(index, entry.span.clone())),
            None => {
                let error =
                    errors::unknown_boundary(&entry.value, list, &self.names, entry.span.clone());
                self.push(error);
                None
            }
        }
    }

    /// `in`, `except`, `only_from`: boundary names or globs.
    fn scopes(&mut self, list: Option<&RawList>, key: &str) -> Vec<Scope> {
        let entries = list.map_or(&[][..], |list| list.value.as_slice());
        entries
            .iter()
            .filter_map(|entry| self.scope(entry, key))
            .collect()
    }

    fn scope(&mut self, entry: &At<String>, list: &str) -> Option<Scope> {
        match looks_like_glob(&entry.value) {
            true => self.ok(glob::path_glob(entry)).map(Scope::Glob),
            false => self.resolve(entry, list).map(Scope::Boundary),
        }
    }

    fn globs(&mut self, list: &RawList) -> Vec<Glob> {
        let globs = list.value.iter();
        globs
            .filter_map(|entry| self.ok(glob::path_glob(entry)))
            .collect()
    }

    /// Keeps a value, or records its error.
    fn ok<T>(&mut self, result: Result<T, SpecError>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }
}

/// The value as given, or the default spanned by `fallback` when absent (or invalid).
fn at_or_default<T>(
    raw: Option<&At<String>>,
    value: Option<T>,
    default: T,
    fallback: &Range<usize>,
) -> At<T> {
    match (raw, value) {
        (Some(raw), Some(value)) => At::new(value, raw.span.clone()),
        _ => At::new(default, fallback.clone()),
    }
}

#[cfg(test)]
mod tests;

/// The repository that holds the spec at `spec`: the nearest directory from the spec's own up
/// that holds `.git` (a directory, or the file of a worktree or submodule), canonicalised.
/// `None` outside any repository: then nothing bounds the root.
pub(crate) fn repository_top(spec: &Path) -> Option<PathBuf> {
    let dir = spec.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new(".")).canonicalize().ok()?;
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `path` with `.` and `..` taken as written (`a/../b` is `b`), without the filesystem.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
