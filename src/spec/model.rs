//! The validated spec: the only form of `ribo.yaml` that rules ever see.
//!
//! Every value that a diagnostic may need to point at carries its byte span in the spec
//! source, so a violation can show the exact line of ribo.yaml it breaks.

use std::ops::Range;
use std::path::PathBuf;

/// A byte range in the spec source (`ribo.yaml`).
pub type SpecSpan = Range<usize>;

/// A value together with the span of ribo.yaml that declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At<T> {
    pub value: T,
    pub span: SpecSpan,
}

impl<T> At<T> {
    /// A value with the span that declared it.
    pub fn new(value: T, span: SpecSpan) -> Self {
        At { value, span }
    }
}

/// A loaded, validated `ribo.yaml`.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Path of the spec file as given or discovered.
    pub path: PathBuf,
    /// The spec source text, kept to render diagnostics that point into it.
    pub source: String,
    /// The directory every path and glob of the spec is relative to (the spec's directory
    /// joined with `system.root`), canonicalised.
    pub root: PathBuf,
    pub system: System,
    pub options: Options,
    /// Boundaries in the order they were declared.
    pub boundaries: Vec<Boundary>,
    /// `layers`, top to bottom, as indexes into `boundaries`.
    pub layers: Option<At<Vec<At<usize>>>>,
    pub invariants: Vec<Invariant>,
    pub contracts: Vec<Contract>,
    /// Every `query:` text of `invariants`, in order, joined by `\n` and compiled once while
    /// validating (the parse runs this very query); `None` without queries.
    pub compiled_queries: Option<CompiledQueries>,
    /// Every boundary's `paths` globs as one set, to find a file's owner in one match.
    pub path_owners: PathOwners,
}

/// The spec's tree-sitter queries compiled as one (see [`Spec::compiled_queries`]).
#[derive(Clone)]
pub struct CompiledQueries(pub std::sync::Arc<tree_sitter::Query>);

impl std::fmt::Debug for CompiledQueries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CompiledQueries({} patterns)", self.0.pattern_count())
    }
}

/// `system:`: what the system is.
#[derive(Debug, Clone)]
pub struct System {
    pub name: At<String>,
    pub intent: Option<At<String>>,
    /// Extra globs to skip (on top of target/, .git/ and .gitignore).
    pub exclude: Vec<Glob>,
    /// Span of the `system:` key.
    pub span: SpecSpan,
}

/// `allow | warn | error`, for options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Allow,
    Warn,
    Error,
}

/// `options.tests`: is test code held to the rules?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestsMode {
    Skip,
    Check,
}

/// `options:` with defaults filled in.
#[derive(Debug, Clone)]
pub struct Options {
    pub unassigned: At<Level>,
    pub cycles: At<Level>,
    pub tests: At<TestsMode>,
    pub unused_allowances: At<Level>,
    /// The baseline file, relative to the spec root (default `ribo-baseline.json`).
    pub baseline: At<String>,
    /// `options.quoted`: are the tokens of quoting macros (`quote!`, code a proc macro
    /// generates for another crate) held to the rules as this crate's code? (`Skip`: no.)
    pub quoted: At<TestsMode>,
}

/// The default of `options.baseline`.
pub const DEFAULT_BASELINE: &str = "ribo-baseline.json";

/// A compiled glob, relative to the spec root, with the text the user wrote.
#[derive(Debug, Clone)]
pub struct Glob {
    /// As written in the spec (normalised: no leading `./`).
    pub text: String,
    pub span: SpecSpan,
    pub matcher: globset::GlobMatcher,
    /// How specific the glob is: used to give a file claimed by two boundaries to the most
    /// specific one. Higher is more specific. (literal prefix length, literal char count)
    pub specificity: (usize, usize),
}

/// The globs of `matchers` as one set, in order (`None` if the set cannot be built: the
/// callers then match them one by one).
fn glob_set<'g>(
    matchers: impl IntoIterator<Item = &'g globset::GlobMatcher>,
) -> Option<globset::GlobSet> {
    let mut builder = globset::GlobSetBuilder::new();
    for m in matchers {
        builder.add(m.glob().clone());
    }
    builder.build().ok()
}

/// A path split into its parts once, to be matched against many [`Glob`]s.
pub struct GlobCandidate<'a>(globset::Candidate<'a>);

impl<'a> GlobCandidate<'a> {
    /// `path`, relative to the spec root.
    pub fn new(path: &'a str) -> Self {
        GlobCandidate(globset::Candidate::new(path))
    }
}

impl Glob {
    /// Whether the glob matches the path.
    pub fn matches(&self, path: &GlobCandidate<'_>) -> bool {
        self.matcher.is_match_candidate(&path.0)
    }

    /// For each of `globs`, whether any of `paths` matches it: the globs are matched as one
    /// set, path by path, until each has matched (one glob after another over every path was
    /// ~60k matches for the benchmark spec's 40 boundaries).
    pub fn any_match<'p, I>(globs: &[&Glob], paths: I) -> Vec<bool>
    where
        I: IntoIterator<Item = &'p str> + Clone,
    {
        let mut matched = vec![false; globs.len()];
        let Some(set) = glob_set(globs.iter().map(|g| &g.matcher)) else {
            // One by one, as the matchers were compiled.
            for (m, g) in matched.iter_mut().zip(globs) {
                *m = paths.clone().into_iter().any(|p| g.matcher.is_match(p));
            }
            return matched;
        };
        let mut left = globs.len();
        let mut hits = Vec::new();
        for path in paths {
            if left == 0 {
                break;
            }
            set.matches_into(path, &mut hits);
            for &i in &hits {
                if let Some(m) = matched.get_mut(i) {
                    if !*m {
                        *m = true;
                        left -= 1;
                    }
                }
            }
        }
        matched
    }
}

/// The `paths` globs of every boundary as one `GlobSet`: a file's candidate owners in one
/// match instead of one per glob (matching 3,643 files against 40 globs one by one was ~12%
/// of a one-file check's instructions on the large corpus).
#[derive(Debug, Clone, Default)]
pub struct PathOwners {
    /// `None` when the set could not be built (the globs are then matched one by one).
    set: Option<globset::GlobSet>,
    /// For each glob of the set, in order: its boundary and its index in that `paths`.
    globs: Vec<(usize, usize)>,
}

impl PathOwners {
    /// The set of `boundaries`' `paths` globs.
    pub fn new(boundaries: &[Boundary]) -> Self {
        let mut globs = Vec::new();
        for (bi, b) in boundaries.iter().enumerate() {
            globs.extend((0..b.paths.len()).map(|gi| (bi, gi)));
        }
        let matchers = boundaries.iter().flat_map(|b| &b.paths).map(|g| &g.matcher);
        PathOwners {
            set: glob_set(matchers),
            globs,
        }
    }

    /// Every `(boundary, glob index)` whose glob matches `path`, in boundary then glob order,
    /// into `out` (cleared first).
    pub fn matching(
        &self,
        boundaries: &[Boundary],
        path: &GlobCandidate<'_>,
        out: &mut Vec<(usize, usize)>,
    ) {
        out.clear();
        match &self.set {
            Some(set) => {
                let mut hits = Vec::new();
                set.matches_candidate_into(&path.0, &mut hits);
                hits.sort_unstable();
                out.extend(hits.into_iter().filter_map(|i| self.globs.get(i).copied()));
            }
            None => {
                for (bi, b) in boundaries.iter().enumerate() {
                    for (gi, g) in b.paths.iter().enumerate() {
                        if g.matches(path) {
                            out.push((bi, gi));
                        }
                    }
                }
            }
        }
    }
}

/// A boundary: a named part of the system and what it may depend on.
#[derive(Debug, Clone)]
pub struct Boundary {
    pub name: At<String>,
    pub description: Option<At<String>>,
    pub paths: Vec<Glob>,
    /// `None` = key omitted (any boundary may be used).
    pub may_use: Option<At<Vec<At<usize>>>>,
    /// Boundaries it must not depend on (`None`: key omitted).
    pub may_not_use: Option<At<Vec<At<usize>>>>,
    /// `None` = key omitted (any crate may be used). Patterns are globs over crate names.
    pub crates: Option<At<Vec<CratePattern>>>,
    /// `None` = no interface declared (every file is reachable).
    pub interface: Option<At<Vec<Glob>>>,
}

/// A crate name pattern from `crates:` / `crate:`; `-` and `_` are equivalent.
#[derive(Debug, Clone)]
pub struct CratePattern {
    pub text: String,
    pub span: SpecSpan,
    /// Matches the crate name with every `-` replaced by `_`.
    pub matcher: globset::GlobMatcher,
}

impl CratePattern {
    /// For each of `names` (normalised crate names), the indices of the `patterns` that match
    /// it, increasing: the patterns are matched as one set, once per name (40 `crate:`
    /// contracts over ~500 crate names were ~38k matches one pattern at a time).
    pub fn matching_each<'n>(
        patterns: &[&CratePattern],
        names: impl IntoIterator<Item = &'n str>,
    ) -> Vec<Vec<usize>> {
        let set = glob_set(patterns.iter().map(|p| &p.matcher));
        names
            .into_iter()
            .map(|name| match &set {
                Some(set) => {
                    let mut hits = set.matches(name);
                    hits.sort_unstable();
                    hits
                }
                None => (0..patterns.len())
                    .filter(|&i| patterns[i].matcher.is_match(name))
                    .collect(),
            })
            .collect()
    }
}

/// Where a rule applies or is exempt: boundary names or globs.
#[derive(Debug, Clone)]
pub enum Scope {
    Boundary(At<usize>),
    Glob(Glob),
}

/// How a violation counts: errors fail the run, warnings do not.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Severity {
    Warning,
    Error,
}

/// An invariant: something the code must never do, or must always carry.
#[derive(Debug, Clone)]
pub struct Invariant {
    pub id: At<String>,
    pub message: Option<At<String>>,
    pub severity: At<Severity>,
    /// Empty = everywhere.
    pub in_: Vec<Scope>,
    pub except: Vec<Scope>,
    /// Per-invariant override of `options.tests`.
    pub tests: Option<At<TestsMode>>,
    pub forbid: Option<Forbid>,
    pub require: Option<Require>,
    /// Span of the whole invariant entry (its `id` line is the natural anchor).
    pub span: SpecSpan,
}

/// A call / macro / path pattern: `::`-separated segments, `*` one segment, `**` any number.
#[derive(Debug, Clone)]
pub struct PathPattern {
    pub text: String,
    pub span: SpecSpan,
    pub segments: Vec<PatternSegment>,
}

/// One segment of a path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternSegment {
    /// A literal name, or a name with `*` wildcards inside (`delete_*`).
    Name(String),
    /// `*`: exactly one segment.
    Any,
    /// `**`: any number of segments (including none).
    AnyMany,
}

/// `forbid:` of an invariant: every kind is checked.
#[derive(Debug, Clone, Default)]
pub struct Forbid {
    pub unsafe_: Option<At<bool>>,
    pub calls: Vec<PathPattern>,
    pub macros: Vec<PathPattern>,
    pub paths: Vec<PathPattern>,
    pub attributes: Vec<At<String>>,
    pub query: Option<Query>,
    pub span: SpecSpan,
}

/// A user-written tree-sitter query, validated (it compiles) at load time.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: At<String>,
}

/// `require:` of an invariant.
#[derive(Debug, Clone)]
pub struct Require {
    pub items: At<ItemSelector>,
    pub attribute: Option<At<String>>,
    pub doc: Option<At<bool>>,
    pub span: SpecSpan,
}

/// `items:` of a `require:` rule, e.g. `pub fn`, `async fn`, `pub struct`, `pub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSelector {
    /// Only `pub` items.
    pub public: bool,
    /// Only async fns.
    pub asyncness: bool,
    /// `None` = any kind of item.
    pub kind: Option<ItemKind>,
}

/// Item kinds a `require.items` selector can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    Fn,
    Struct,
    Enum,
    Union,
    Trait,
    Impl,
    Type,
    Const,
    Static,
    Mod,
    Macro,
}

/// A contract: something other systems rely on.
#[derive(Debug, Clone)]
pub struct Contract {
    pub id: At<String>,
    pub description: Option<At<String>>,
    pub kind: ContractKind,
    pub span: SpecSpan,
}

/// The three shapes of contract.
#[derive(Debug, Clone)]
pub enum ContractKind {
    /// `module:` / `file:` / `crate:` (workspace crate) + `exports:`.
    Exports {
        target: At<ExportTarget>,
        exports: Vec<At<String>>,
        exhaustive: Option<At<bool>>,
    },
    /// `crate:` (external) + `only_from:`.
    CrateUse {
        krate: CratePattern,
        only_from: Vec<Scope>,
    },
    /// `env:` + `exhaustive:`.
    Env {
        vars: Vec<At<String>>,
        exhaustive: Option<At<bool>>,
    },
}

/// What an exports contract is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportTarget {
    /// `crate::api` or `<crate>::api`.
    Module(String),
    /// A file path relative to the spec root.
    File(String),
    /// The root module of a workspace crate.
    Crate(String),
}

impl Spec {
    /// The `system.exclude` globs as one set (compiled the same way validation compiled them).
    pub fn exclude_set(&self) -> globset::GlobSet {
        let mut builder = globset::GlobSetBuilder::new();
        for g in &self.system.exclude {
            if let Ok(glob) = globset::GlobBuilder::new(&g.text)
                .literal_separator(true)
                .build()
            {
                builder.add(glob);
            }
        }
        builder
            .build()
            .unwrap_or_else(|_| globset::GlobSet::empty())
    }
}

impl Spec {
    /// The invariants' query texts, in declaration order (part of the facts cache key).
    pub fn query_texts(&self) -> Vec<String> {
        self.invariants
            .iter()
            .filter_map(|i| i.forbid.as_ref()?.query.as_ref())
            .map(|q| q.text.value.clone())
            .collect()
    }
}
