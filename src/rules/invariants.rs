//! Invariants: rules the code must never break, scoped by boundary or glob.
//!
//! Codes: `invariant::<id>` (one per declared invariant).
//!
//! `forbid:` kinds are evaluated over facts already extracted in the single parse of each
//! file (`unsafe`, `calls`, `macros`, `paths`, `attributes`) and over the matches of the
//! user's tree-sitter `query`, which ran on the same tree during that parse. `require:`
//! checks selected items for an attribute and/or a doc comment.

use super::patterns::{matches_method, matches_path, Prefilter};
use super::{CodeDoc, Context, Location, SpecLabel, Text, Violation};
use crate::facts::model::{Callee, ItemFact, ItemKindFact, Segs, Span, UnsafeKind, Visibility};
use std::cell::OnceCell;
use std::collections::HashMap;

use crate::facts::model::RefKind;
use crate::facts::resolve::expand::{renamed, Expander, Expansions, Renamed};
use crate::facts::{FileId, SourceFile};
use crate::spec::model::{Forbid, Invariant, ItemKind, PathPattern, Require, Scope, TestsMode};

/// The codes this rule emits, with their documentation.
pub const CODES: &[CodeDoc] = &[CodeDoc {
    code: "invariant::<id>",
    summary: "the code breaks an invariant declared in `invariants:`",
    explanation: "Each invariant has its own code, `invariant::<id>`. `forbid:` reports every \
unsafe block/fn/impl/trait (`unsafe: true`), call (`calls:`; a bare name matches method calls \
and the last segment of path calls, a path pattern matches path calls after `use` names are \
followed; method calls match patterns whose qualifier is only wildcards), macro invocation \
(`macros:`), reference to a path (`paths:`), attribute (`attributes:`) or match of a \
tree-sitter `query:` (each `@violation` capture, or each whole match). `require:` reports each \
selected item that lacks the attribute or the doc comment. `in:`/`except:` scope it by \
boundary name or glob; test code is skipped unless `tests: check`. A justified exception is \
written on the line before (or at the end of the line): \
`// ribo: allow(invariant::<id>) -- reason`.",
}];

/// Checks every invariant against every file it applies to. Files are visited once; the
/// paths of a file's calls, macros and references are expanded through its imports once, and
/// shared by every invariant that applies there. One vector per worker thread, in no
/// particular order (see `rules::concat`).
pub fn check(cx: &Context) -> Vec<Vec<Violation>> {
    if cx.spec.invariants.is_empty() {
        return Vec::new();
    }
    // Each invariant's code and message, made once and shared by all its violations.
    let shared: Vec<(Text, Text)> = cx
        .spec
        .invariants
        .iter()
        .map(|inv| {
            let message = match &inv.message {
                Some(m) => m.value.trim().to_string(),
                None => format!("breaks invariant `{}`", inv.id.value),
            };
            (
                format!("invariant::{}", inv.id.value).into(),
                message.into(),
            )
        })
        .collect();
    let filters = Filters::new(&cx.spec.invariants);
    // One vector per thread, not per file: no copy of tens of thousands of violations from
    // many small vectors into one (the order is the sort's business).
    crate::facts::par::fold(
        cx.graph.files.len(),
        cx.graph.threads,
        Vec::new,
        |i, out| check_file(cx, &shared, &filters, i as FileId, out),
    )
}

/// Every invariant that applies to one file.
fn check_file(
    cx: &Context,
    shared: &[(Text, Text)],
    filters: &Filters,
    id: FileId,
    out: &mut Vec<Violation>,
) {
    let file = cx.graph.file(id);
    if !cx.in_focus(&file.path) {
        return;
    }
    let expanded = Expanded::new(cx.graph, id, filters);
    let path = Text::from(&file.path);
    for (inv, (code, message)) in cx.spec.invariants.iter().zip(shared) {
        let skip_tests = inv
            .tests
            .as_ref()
            .map_or(cx.skip_tests(), |t| t.value == TestsMode::Skip);
        if (skip_tests && file.test) || !applies(cx, inv, id, file) {
            continue;
        }
        let mut found = Found {
            cx,
            inv,
            file,
            path: &path,
            code,
            message,
            labels: Vec::new(),
            texts: std::collections::HashMap::new(),
            skip_tests,
            expanded: &expanded,
            out: &mut *out,
        };
        if let Some(forbid) = &inv.forbid {
            found.forbid(forbid);
        }
        if let Some(require) = &inv.require {
            found.require(require);
        }
    }
}

/// A path as written (a leading `::` dropped) and its expansions through the names in scope.
type Written<'g> = (Vec<&'g str>, Expansions<'g>);

/// The segments of a path as written, a leading `::` dropped (`::std::x` is `std::x`).
fn written(path: &Segs) -> Vec<&str> {
    let mut w = path.to_vec();
    if w.first() == Some(&"::") && w.len() > 1 {
        w.remove(0);
    }
    w
}

/// The [`Prefilter`]s of every invariant's `calls:`, `macros:` and `paths:` together: the
/// expansions of a file's paths are computed once and shared by every invariant.
struct Filters {
    calls: Prefilter,
    macros: Prefilter,
    paths: Prefilter,
}

impl Filters {
    fn new(invariants: &[Invariant]) -> Self {
        let all = |kind: fn(&Forbid) -> &Vec<PathPattern>| -> Vec<PathPattern> {
            invariants
                .iter()
                .filter_map(|i| i.forbid.as_ref())
                .flat_map(|f| kind(f).iter().cloned())
                .collect()
        };
        Filters {
            calls: Prefilter::new(&all(|f| &f.calls), true),
            macros: Prefilter::new(&all(|f| &f.macros), true),
            paths: Prefilter::new(&all(|f| &f.paths), false),
        }
    }
}

/// What the expansions of one file's paths may begin with beyond what is written (see
/// `resolve::expand`): following a name the file's `use`s bind gives the first segment of
/// their paths (and so on, through the names those bind); a glob may stand in for any name, so
/// the first segments its path leads to are always possible; `self`, `super` and items give
/// `crate`; a renamed dependency gives its package.
struct Heads<'g> {
    /// Name -> the first segments of the paths of the `use`s (any scope) that bind it.
    binds: HashMap<&'g str, Vec<&'g str>>,
    /// The first segments of the file's glob `use`s.
    globs: Vec<&'g str>,
    renamed: Renamed<'g>,
    /// Per prefilter (by address) and written first segment: whether an expansion may begin
    /// with a first segment the prefilter accepts (the same few heads recur in a file).
    memo: std::cell::RefCell<HashMap<(usize, &'g str), bool>>,
}

impl<'g> Heads<'g> {
    fn new(graph: &'g crate::facts::FactGraph, id: FileId) -> Self {
        let file = graph.file(id);
        let mut binds: HashMap<&'g str, Vec<&'g str>> = HashMap::new();
        let mut globs = Vec::new();
        for u in &file.facts.uses {
            let Some(f) = u.path.first() else { continue };
            if u.glob {
                if !globs.contains(&f) {
                    globs.push(f);
                }
            } else if let Some(n) = &u.name {
                let firsts = binds.entry(n.as_str()).or_default();
                if !firsts.contains(&f) {
                    firsts.push(f);
                }
            }
        }
        Heads {
            binds,
            globs,
            renamed: renamed(graph, file),
            memo: Default::default(),
        }
    }

    /// Whether `name` is bound by a `use` of the file or is a renamed dependency: a
    /// one-segment path with such a name may expand to another last segment.
    fn bound(&self, name: &str) -> bool {
        self.binds.contains_key(name) || self.renamed.contains_key(name)
    }

    /// Whether `name` (a first segment as it stands) or the package it renames is one
    /// `filter` accepts.
    fn accepts(&self, filter: &Prefilter, name: &str) -> bool {
        filter.first_may_be(name)
            || self
                .renamed
                .get(name)
                .is_some_and(|p| filter.first_may_be(p))
    }

    /// Whether an expansion of a path whose written first segment is `first` may begin with a
    /// first segment `filter` accepts: every head reachable from `first` and from the globs
    /// through the names `use`s bind, `crate`, and the packages of renamed dependencies.
    fn first_may_be(&self, filter: &Prefilter, first: &'g str) -> bool {
        let key = (std::ptr::from_ref(filter) as usize, first);
        if let Some(&known) = self.memo.borrow().get(&key) {
            return known;
        }
        let mut seen: Vec<&'g str> = Vec::with_capacity(8);
        let mut todo: Vec<&'g str> = vec![first, "crate"];
        todo.extend_from_slice(&self.globs);
        let mut hit = false;
        while let Some(name) = todo.pop() {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            if self.accepts(filter, name) {
                hit = true;
                break;
            }
            if let Some(next) = self.binds.get(name) {
                todo.extend_from_slice(next);
            }
        }
        self.memo.borrow_mut().insert(key, hit);
        hit
    }

    /// Whether an expansion of `path` may match a pattern `filter` stands for (see
    /// [`Prefilter`]); a leading `::` is not a segment, and a path it leads is not followed.
    fn may_match(&self, filter: &Prefilter, path: &'g Segs) -> bool {
        if !filter.expands {
            return false;
        }
        let mut segs = path.iter();
        let mut first = segs.next();
        let global = first == Some("::");
        if global {
            first = segs.next();
        }
        let Some(first) = first else {
            return false;
        };
        let last_ok = match segs.next_back() {
            // Two segments or more: every expansion keeps the last.
            Some(last) => filter.last_may_be(last),
            None => {
                matches!(first, "self" | "super" | "crate")
                    || filter.last_may_be(first)
                    || self.bound(first)
            }
        };
        last_ok
            && match global {
                true => self.accepts(filter, first),
                false => self.first_may_be(filter, first),
            }
    }
}

/// The paths of one file's calls, macros and references after `use` names are followed,
/// computed on first need (only those a pattern may match: see [`Prefilter`]).
struct Expanded<'g> {
    graph: &'g crate::facts::FactGraph,
    file: FileId,
    filters: &'g Filters,
    heads: OnceCell<Heads<'g>>,
    expander: OnceCell<Expander<'g>>,
    calls: Lazy<'g>,
    macros: Lazy<'g>,
    refs: Lazy<'g>,
}

impl<'g> Expanded<'g> {
    fn new(graph: &'g crate::facts::FactGraph, file: FileId, filters: &'g Filters) -> Self {
        Expanded {
            graph,
            file,
            filters,
            heads: OnceCell::new(),
            expander: OnceCell::new(),
            calls: OnceCell::new(),
            macros: OnceCell::new(),
            refs: OnceCell::new(),
        }
    }

    fn expander(&self) -> &Expander<'g> {
        self.expander
            .get_or_init(|| Expander::new(self.graph, self.file))
    }

    /// `path` as written and its expansions when `filter` may match one of them; nothing
    /// otherwise (bare patterns read the path itself).
    fn written(
        &self,
        filter: &Prefilter,
        scope: crate::facts::model::ScopeId,
        path: &'g Segs,
        local: bool,
    ) -> Written<'g> {
        if !filter.expands {
            return (Vec::new(), Vec::new());
        }
        let heads = self.heads.get_or_init(|| Heads::new(self.graph, self.file));
        if heads.may_match(filter, path) {
            (
                written(path),
                self.expander().expansions(scope, path, local),
            )
        } else {
            (Vec::new(), Vec::new())
        }
    }
}

/// The expansions of one list of a file's paths, each computed when first read: a path no
/// invariant reads (test code where tests are skipped, a method call) is never expanded.
type Lazy<'g> = OnceCell<Vec<OnceCell<Written<'g>>>>;

/// Item `i` of the `len` items of `list`, made by `make` on first read.
fn nth<'s, 'g>(
    list: &'s Lazy<'g>,
    len: usize,
    i: usize,
    make: impl FnOnce() -> Written<'g>,
) -> &'s Written<'g> {
    list.get_or_init(|| (0..len).map(|_| OnceCell::new()).collect())[i].get_or_init(make)
}

/// `written` as given, or, when it was left out ([`Expanded::written`]), the last segment of
/// `path` (all a bare pattern reads).
fn or_last<'a>(written: &'a [&'a str], path: &'a Segs, one: &'a mut [&'a str; 1]) -> &'a [&'a str] {
    if written.is_empty() {
        one[0] = path.last().unwrap_or("");
        one
    } else {
        written
    }
}

/// Does the invariant apply to this file (`in:` / `except:`)?
pub fn applies(cx: &Context, inv: &Invariant, id: FileId, file: &SourceFile) -> bool {
    let hit = |s: &Scope| match s {
        Scope::Boundary(b) => cx.assignment.of(id) == Some(b.value),
        Scope::Glob(g) => g.matcher.is_match(&file.path),
    };
    (inv.in_.is_empty() || inv.in_.iter().any(hit)) && !inv.except.iter().any(hit)
}

struct Found<'c, 'o> {
    cx: &'c Context<'c>,
    inv: &'c Invariant,
    file: &'c SourceFile,
    /// The file's path, code and message, shared by the violations.
    path: &'c Text,
    code: &'c Text,
    message: &'c Text,
    /// Spec labels made so far, by the start of the spec span they point at.
    labels: Vec<(usize, Option<SpecLabel>)>,
    /// Labels made so far (`call to `.unwrap()` is forbidden here` recurs in a file).
    texts: std::collections::HashMap<String, Text>,
    skip_tests: bool,
    expanded: &'c Expanded<'c>,
    out: &'o mut Vec<Violation>,
}

impl Found<'_, '_> {
    fn skip(&self, test: bool) -> bool {
        self.skip_tests && test
    }

    fn forbid(&mut self, forbid: &Forbid) {
        let facts = &self.file.facts;
        if forbid.unsafe_.as_ref().is_some_and(|u| u.value) {
            let span = forbid
                .unsafe_
                .as_ref()
                .map(|u| u.span.clone())
                .unwrap_or_default();
            for u in &facts.unsafe_sites {
                if !self.skip(u.test) {
                    let what = match u.kind {
                        UnsafeKind::Block => "unsafe block",
                        UnsafeKind::Fn => "unsafe fn",
                        UnsafeKind::Impl => "unsafe impl",
                        UnsafeKind::Trait => "unsafe trait",
                    };
                    self.push(
                        u.span,
                        format!("{what} is forbidden here"),
                        &span,
                        "forbids unsafe code",
                    );
                }
            }
        }
        if !forbid.calls.is_empty() {
            let x = self.expanded;
            for (ci, c) in facts.calls.iter().enumerate() {
                if self.skip(c.test) {
                    continue;
                }
                let hit = match &c.callee {
                    Callee::Method(name) => forbid.calls.iter().find(|p| matches_method(p, name)),
                    // A call of a local binding calls no item of that name.
                    Callee::Path(_) if c.local => None,
                    Callee::Path(path) => {
                        let (w, e) = nth(&x.calls, facts.calls.len(), ci, || {
                            x.written(&x.filters.calls, c.scope, path, c.local)
                        });
                        let mut one = [""];
                        let written = or_last(w, path, &mut one);
                        forbid.calls.iter().find(|p| matches_path(p, written, e))
                    }
                };
                if let Some(p) = hit {
                    let shown = match &c.callee {
                        Callee::Method(name) => format!(".{name}()"),
                        Callee::Path(path) => format!("{}()", path.display()),
                    };
                    self.push_pattern(c.span, format!("call to `{shown}`"), p);
                }
            }
        }
        if !forbid.macros.is_empty() {
            let x = self.expanded;
            for (mi, m) in facts.macros.iter().enumerate() {
                if self.skip(m.test) {
                    continue;
                }
                let (w, e) = nth(&x.macros, facts.macros.len(), mi, || {
                    x.written(&x.filters.macros, m.scope, &m.path, false)
                });
                let mut one = [""];
                let written = or_last(w, &m.path, &mut one);
                if let Some(p) = forbid.macros.iter().find(|p| matches_path(p, written, e)) {
                    self.push_pattern(m.span, format!("`{}!`", m.path.display()), p);
                }
            }
        }
        if !forbid.paths.is_empty() {
            let x = self.expanded;
            for (ri, r) in facts.refs.iter().enumerate() {
                // Quoted tokens are code a proc macro generates for another crate.
                if self.skip(r.test) || (r.kind == RefKind::Quoted && !self.cx.quoted()) {
                    continue;
                }
                let (_, expansions) = nth(&x.refs, facts.refs.len(), ri, || {
                    x.written(&x.filters.paths, r.scope, &r.path, false)
                });
                if let Some(p) = forbid.paths.iter().find(|p| {
                    expansions
                        .iter()
                        .any(|e| super::patterns::matches(&p.segments, e))
                }) {
                    self.push_pattern(r.span, format!("`{}`", r.path.display()), p);
                }
            }
        }
        for a in &facts.attrs {
            if self.skip(a.test) {
                continue;
            }
            if let Some(p) = forbid
                .attributes
                .iter()
                .find(|p| attribute_matches(&p.value, &a.path, &a.text))
            {
                let text = format!("#[{}]", a.text);
                self.push(
                    a.span,
                    format!("`{text}` is forbidden here"),
                    &p.span,
                    "forbids this attribute",
                );
            }
        }
        if let (Some(q), Some(qi)) = (&forbid.query, self.query_index()) {
            for hit in self.file.query_hits.iter().filter(|h| h.query == qi) {
                self.push(
                    hit.span,
                    "matches the forbidden query".into(),
                    &q.text.span,
                    "this query matched",
                );
            }
        }
    }

    /// Index of this invariant's query among all queries of the spec (the order in which
    /// they were compiled and run during the parse).
    fn query_index(&self) -> Option<u32> {
        let mut n = 0;
        for inv in &self.cx.spec.invariants {
            let has = inv.forbid.as_ref().is_some_and(|f| f.query.is_some());
            if std::ptr::eq(inv, self.inv) {
                return has.then_some(n);
            }
            if has {
                n += 1;
            }
        }
        None
    }

    fn require(&mut self, req: &Require) {
        let file: &SourceFile = self.file;
        for item in &file.facts.items {
            if self.skip(item.test) || item.in_block || !selected(&req.items.value, item) {
                continue;
            }
            if let Some(attr) = &req.attribute {
                if !item
                    .attrs
                    .iter()
                    .any(|a| attribute_path_matches(&attr.value, a))
                {
                    let what = describe(item);
                    self.push(
                        item.span,
                        format!("{what} lacks `#[{}]`", attr.value),
                        &attr.span,
                        "requires this attribute",
                    );
                }
            }
            if let Some(doc) = req.doc.as_ref().filter(|d| d.value) {
                if !item.has_doc && !self.module_file_documented(item) {
                    let what = describe(item);
                    self.push(
                        item.span,
                        format!("{what} has no doc comment"),
                        &doc.span,
                        "requires a doc comment",
                    );
                }
            }
        }
    }

    /// `mod x;` is documented by the `//!` comment at the top of x's file.
    fn module_file_documented(&self, item: &ItemFact) -> bool {
        if item.kind != ItemKindFact::Mod {
            return false;
        }
        let g = self.cx.graph;
        let Some(&m) = self.file.scope_modules.get(item.scope as usize) else {
            return false;
        };
        let Some(&child) = g.module(m).children.get(&item.name) else {
            return false;
        };
        let child = g.module(child);
        child.scope == 0 && g.file(child.file).facts.inner_doc
    }

    fn push_pattern(&mut self, span: Span, what: String, p: &PathPattern) {
        self.push(
            span,
            format!("{what} is forbidden here"),
            &p.span,
            &format!("forbids `{}`", p.text),
        );
    }

    fn push(
        &mut self,
        span: Span,
        label: String,
        spec_span: &std::ops::Range<usize>,
        spec_text: &str,
    ) {
        let inv = self.inv;
        let spec_label = match self.labels.iter().find(|(at, _)| *at == spec_span.start) {
            Some((_, label)) => label.clone(),
            None => {
                let label = self
                    .cx
                    .spec_label(spec_span, spec_text)
                    .or_else(|| self.cx.spec_label(&inv.id.span, "declared here"))
                    .map(|l| SpecLabel {
                        text: format!("{} (invariant `{}`)", l.text, inv.id.value).into(),
                        ..l
                    });
                self.labels.push((spec_span.start, label.clone()));
                label
            }
        };
        let label = match self.texts.get(&label) {
            Some(text) => text.clone(),
            None => {
                let text = Text::from(label.as_str());
                self.texts.insert(label, text.clone());
                text
            }
        };
        self.out.push(Violation {
            fingerprint: String::new(),
            location: Location::Source {
                file: self.path.clone(),
                span,
            },
            code: self.code.clone(),
            severity: inv.severity.value,
            message: self.message.clone(),
            label,
            spec_label,
            help: None,
        });
    }
}

fn describe(item: &ItemFact) -> String {
    let vis = if item.visibility == Visibility::Public {
        "pub "
    } else {
        ""
    };
    let asyncness = if item.is_async { "async " } else { "" };
    let kind = match item.kind {
        ItemKindFact::Fn => "fn",
        ItemKindFact::Struct => "struct",
        ItemKindFact::Enum => "enum",
        ItemKindFact::Union => "union",
        ItemKindFact::Trait => "trait",
        ItemKindFact::Impl => "impl",
        ItemKindFact::Type => "type",
        ItemKindFact::Const => "const",
        ItemKindFact::Static => "static",
        ItemKindFact::Mod => "mod",
        ItemKindFact::Macro => "macro",
    };
    if item.name.is_empty() {
        format!("{vis}{asyncness}{kind}")
    } else {
        format!("{vis}{asyncness}{kind} `{}`", item.name)
    }
}

/// Does an item match a `require.items` selector?
pub fn selected(sel: &crate::spec::model::ItemSelector, item: &ItemFact) -> bool {
    if sel.public && item.visibility != Visibility::Public {
        return false;
    }
    if sel.asyncness && !item.is_async {
        return false;
    }
    match sel.kind {
        None => item.kind != ItemKindFact::Impl || !sel.public,
        Some(k) => kind_fact(k) == item.kind,
    }
}

fn kind_fact(k: ItemKind) -> ItemKindFact {
    match k {
        ItemKind::Fn => ItemKindFact::Fn,
        ItemKind::Struct => ItemKindFact::Struct,
        ItemKind::Enum => ItemKindFact::Enum,
        ItemKind::Union => ItemKindFact::Union,
        ItemKind::Trait => ItemKindFact::Trait,
        ItemKind::Impl => ItemKindFact::Impl,
        ItemKind::Type => ItemKindFact::Type,
        ItemKind::Const => ItemKindFact::Const,
        ItemKind::Static => ItemKindFact::Static,
        ItemKind::Mod => ItemKindFact::Mod,
        ItemKind::Macro => ItemKindFact::Macro,
    }
}

/// `instrument` matches `#[instrument]` and `#[tracing::instrument]`; a full path must match
/// exactly.
pub fn attribute_path_matches(wanted: &str, actual: &str) -> bool {
    let wanted = wanted.trim().trim_start_matches("#[").trim_end_matches(']');
    if wanted.contains("::") {
        actual == wanted
    } else {
        actual.rsplit("::").next() == Some(wanted)
    }
}

/// A forbidden attribute: `name` matches by path (last segment or full); `name(a, b)` matches
/// an attribute with that path whose arguments include each of `a`, `b`
/// (`allow(clippy::unwrap_used)` matches `#[allow(clippy::unwrap_used, dead_code)]`).
pub fn attribute_matches(pattern: &str, path: &Segs, text: &str) -> bool {
    // Cheap rejection first (this runs for every attribute and every pattern): the names must
    // share their last segment.
    let name = pattern
        .trim()
        .trim_start_matches("#![")
        .trim_start_matches("#[")
        .split(['(', ']', ' '])
        .next()
        .unwrap_or("");
    let last = name.rsplit("::").next().unwrap_or(name);
    if path.last() != Some(last) {
        return false;
    }
    let pattern: String = pattern
        .trim()
        .trim_start_matches("#![")
        .trim_start_matches("#[")
        .trim_end_matches(']')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let joined = path.join("::");
    match pattern.split_once('(') {
        None => attribute_path_matches(&pattern, &joined),
        Some((name, args)) => {
            if !attribute_path_matches(name, &joined) {
                return false;
            }
            let wanted = args.trim_end_matches(')');
            let actual = text
                .split_once('(')
                .map(|(_, a)| a.strip_suffix(')').unwrap_or(a))
                .unwrap_or("");
            let actual: Vec<&str> = split_top_level(actual);
            split_top_level(wanted).iter().all(|w| actual.contains(w))
        }
    }
}

/// Splits `a, b(c, d), e` at top-level commas.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_patterns() {
        let p = |s: &str| Segs::new(s.split("::"));
        assert!(attribute_matches(
            "allow(clippy::unwrap_used)",
            &p("allow"),
            "allow(clippy::unwrap_used,dead_code)"
        ));
        assert!(!attribute_matches(
            "allow(clippy::unwrap_used)",
            &p("allow"),
            "allow(dead_code)"
        ));
        assert!(attribute_matches(
            "#[no_mangle]",
            &p("no_mangle"),
            "no_mangle"
        ));
        assert!(attribute_matches(
            "instrument",
            &p("tracing::instrument"),
            "tracing::instrument"
        ));
        assert!(!attribute_matches(
            "tracing::instrument",
            &p("instrument"),
            "instrument"
        ));
    }
}
