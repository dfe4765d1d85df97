//! The user's `query:` invariants: every query text compiled into **one** multi-pattern
//! tree-sitter query, run on each tree while it is still in memory.
//!
//! Two ways to run it, with the same matches:
//! * **node by node** (the usual case): when every pattern has a single root node of a known
//!   kind (`(call_expression …)`, `"unsafe"`, `[(a) (b)]`, `((x) @c (#eq? @c "…"))`), the
//!   extraction walk hands each node of those kinds to [`FileQueries::on_node`], which runs
//!   the query on that node alone with a start depth of 0: a match can only start at its
//!   root, so the matches found are exactly those rooted at the node. No second traversal of
//!   the tree: tree-sitter's query cursor costs about as much as the parse when it walks every
//!   node of every tree (measured: ~0.33 s of a 0.9 s run, whatever the patterns).
//! * **over the whole tree** ([`FileQueries::on_tree`]) otherwise: a wildcard or supertype
//!   root (`(_)`, `(_expression)`), sibling sequences (`((a) . (b))`), quantified roots,
//!   `ERROR`/`MISSING` roots.

use std::sync::{Arc, OnceLock};

use tree_sitter::{Language, Node, Query, QueryCursor, StreamingIterator, Tree};

use super::parse::Positions;
use crate::facts::model::QueryHit;

/// The user's queries compiled into one multi-pattern query, so each tree is traversed once
/// whatever the number of `query:` invariants (ten separate queries cost ten traversals).
/// Compiled on first use: a run whose files all come from the cache never needs it.
#[derive(Default)]
pub struct QuerySet {
    texts: Vec<String>,
    /// The texts joined by `\n`, compiled by the caller already.
    precompiled: Option<Arc<Query>>,
    compiled: OnceLock<Option<Compiled>>,
}

struct Compiled {
    query: Arc<Query>,
    /// For each pattern of the combined query: the index of the user query it came from.
    owner: Vec<u32>,
    /// For each pattern: does it have a `@violation` capture?
    has_violation: Vec<bool>,
    violation: Option<u32>,
    /// Indexed by node kind id: can a pattern's match start at a node of this kind? `None`
    /// when some pattern's root is not one known kind (the query then walks whole trees).
    roots: Option<Vec<bool>>,
    /// Indexed by node kind id: no root kind can occur below a node of this kind (see
    /// [`below_skips`]); empty when that is not known.
    skips: Vec<bool>,
}

impl std::fmt::Debug for QuerySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QuerySet({} queries)", self.texts.len())
    }
}

impl QuerySet {
    /// The queries (already validated by the spec loader), to compile when first needed; one
    /// that does not compile then is left out.
    pub fn new(texts: &[String]) -> QuerySet {
        QuerySet::with_compiled(texts, None)
    }

    /// The queries with their combined compilation (`texts` joined by `\n`, in order) made
    /// already, when there is one.
    pub fn with_compiled(texts: &[String], compiled: Option<Arc<Query>>) -> QuerySet {
        QuerySet {
            texts: texts.to_vec(),
            precompiled: compiled,
            compiled: OnceLock::new(),
        }
    }

    /// No query to run.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    fn compiled(&self) -> Option<&Compiled> {
        if self.texts.is_empty() {
            return None;
        }
        self.compiled
            .get_or_init(|| Compiled::new(&self.texts, self.precompiled.clone()))
            .as_ref()
    }

    /// The queries' run on one file of `source`; `None` when there is no query.
    pub fn for_file<'q, 's>(&'q self, source: &'s [u8]) -> Option<FileQueries<'q, 's>> {
        let set = self.compiled()?;
        let budget =
            (QUERY_WORK_BASE + QUERY_WORK_PER_BYTE * source.len() as u64) / QUERY_WORK_PER_CALLBACK;
        let mut cursor = QueryCursor::new();
        cursor.set_match_limit(MAX_QUERY_STATES);
        Some(FileQueries {
            set,
            source,
            cursor,
            raw: Vec::new(),
            callbacks: 0,
            budget,
            incomplete: false,
        })
    }
}

impl Compiled {
    fn new(texts: &[String], precompiled: Option<Arc<Query>>) -> Option<Compiled> {
        let language: Language = tree_sitter_rust::LANGUAGE.into();
        let mut combined = String::new();
        let mut starts = Vec::with_capacity(texts.len());
        for text in texts {
            starts.push(combined.len());
            combined.push_str(text);
            combined.push('\n');
        }
        let query = match precompiled {
            Some(query) => query,
            None => Arc::new(Query::new(&language, &combined).ok()?),
        };
        // A pattern belongs to the query whose text holds its first byte.
        let owner = (0..query.pattern_count())
            .map(|p| {
                let at = query.start_byte_for_pattern(p);
                (starts.partition_point(|s| *s <= at).saturating_sub(1)) as u32
            })
            .collect();
        let violation = query.capture_index_for_name("violation");
        let has_violation = (0..query.pattern_count())
            .map(|p| {
                violation.is_some_and(|v| {
                    query
                        .capture_quantifiers(p)
                        .get(v as usize)
                        .is_some_and(|q| *q != tree_sitter::CaptureQuantifier::Zero)
                })
            })
            .collect();
        let roots = root_kinds(&query, &combined, &language);
        let skips = roots
            .as_deref()
            .map(|r| below_skips(r, &language))
            .unwrap_or_default();
        Some(Compiled {
            query,
            owner,
            has_violation,
            violation,
            roots,
            skips,
        })
    }
}

/// Most candidate matches a query cursor keeps in progress at once; past it tree-sitter drops
/// the oldest, and the file is reported as not fully checked.
pub const MAX_QUERY_STATES: u32 = 1024;

/// Work a query may do on a file, per byte of source (plus [`QUERY_WORK_BASE`]). tree-sitter
/// charges one unit per node visited plus one per candidate match in progress, so a pattern
/// over nested nodes on code nested 100 000 deep costs the square of the depth (it ran for
/// minutes). The budget is counted, not timed, so the outcome does not depend on the machine:
/// past it the query stops and the file is reported as not fully checked.
pub const QUERY_WORK_PER_BYTE: u64 = 256;

/// Work every query may do on a file, whatever its size.
pub const QUERY_WORK_BASE: u64 = 10_000_000;

/// tree-sitter consults the progress callback once per this many units of work.
const QUERY_WORK_PER_CALLBACK: u64 = 1000;

/// The queries' run on one file: fed node by node during the extraction walk
/// ([`FileQueries::root_kinds`], [`FileQueries::on_node`]) or with the whole tree
/// ([`FileQueries::on_tree`]), then [`FileQueries::finish`]ed into hits.
pub struct FileQueries<'q, 's> {
    set: &'q Compiled,
    source: &'s [u8],
    cursor: QueryCursor,
    /// (query, start byte, end byte) of each hit.
    raw: Vec<(u32, usize, usize)>,
    /// Progress callbacks so far (one per [`QUERY_WORK_PER_CALLBACK`] units of work).
    callbacks: u64,
    budget: u64,
    incomplete: bool,
}

impl<'q> FileQueries<'q, '_> {
    /// Indexed by node kind id: the kinds to hand to [`FileQueries::on_node`] — every kind a
    /// match can start at. `None`: run [`FileQueries::on_tree`] instead.
    pub fn root_kinds(&self) -> Option<&'q [bool]> {
        self.set.roots.as_deref()
    }

    /// Indexed by node kind id: the kinds below which no root kind can occur, whose subtrees
    /// the walk need not hand over (unless they hold a syntax error); may be empty.
    pub fn skips(&self) -> &'q [bool] {
        &self.set.skips
    }

    /// Runs the queries on the matches rooted at `node` (one of [`FileQueries::root_kinds`]).
    pub fn on_node(&mut self, node: Node<'_>) {
        self.run(node, Some(0));
    }

    /// Runs the queries over the whole tree.
    pub fn on_tree(&mut self, tree: &Tree) {
        self.run(tree.root_node(), None);
    }

    fn run(&mut self, node: Node<'_>, max_start_depth: Option<u32>) {
        let FileQueries {
            set,
            source,
            cursor,
            raw,
            callbacks,
            budget,
            incomplete,
        } = self;
        if *callbacks > *budget {
            return;
        }
        cursor.set_max_start_depth(max_start_depth);
        let budget = *budget;
        let mut over_budget = |_: &tree_sitter::QueryCursorState| {
            *callbacks += 1;
            if *callbacks > budget {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        };
        let options = tree_sitter::QueryCursorOptions::new().progress_callback(&mut over_budget);
        let mut matches = cursor.matches_with_options(&set.query, node, *source, options);
        while let Some(m) = matches.next() {
            let p = m.pattern_index;
            let Some(&qi) = set.owner.get(p) else {
                continue;
            };
            if set.has_violation.get(p).copied().unwrap_or(false) {
                for c in m
                    .captures()
                    .iter()
                    .filter(|c| Some(c.index) == set.violation)
                {
                    raw.push((qi, c.node.start_byte(), c.node.end_byte()));
                }
            } else {
                let start = m.captures().iter().map(|c| c.node.start_byte()).min();
                let end = m.captures().iter().map(|c| c.node.end_byte()).max();
                if let (Some(start), Some(end)) = (start, end) {
                    raw.push((qi, start, end));
                }
            }
        }
        drop(matches);
        if cursor.did_exceed_match_limit() || *callbacks > budget {
            *incomplete = true;
        }
    }

    /// The hits in source order, and whether some query gave up on the file before its end
    /// (over [`MAX_QUERY_STATES`] candidate matches at once, or over its work budget).
    pub fn finish(self) -> (Vec<QueryHit>, bool) {
        let FileQueries {
            source,
            mut raw,
            incomplete,
            ..
        } = self;
        if raw.is_empty() {
            return (Vec::new(), incomplete);
        }
        // Sorted by position, so the spans are computed in one pass over the source.
        raw.sort_unstable_by_key(|&(query, start, end)| (start, end, query));
        raw.dedup();
        let mut positions = Positions::new(source);
        let mut hits: Vec<QueryHit> = raw
            .into_iter()
            .map(|(query, start, end)| QueryHit {
                query,
                span: positions.span(start, end),
            })
            .collect();
        hits.sort_by_key(|h| (h.span.start, h.query));
        hits.dedup();
        (hits, incomplete)
    }
}

/// Runs `set` over the whole of `tree` (parsed from `source`): its hits in source order and
/// whether some query gave up before the end.
pub fn run_on_tree(set: &QuerySet, tree: &Tree, source: &[u8]) -> (Vec<QueryHit>, bool) {
    match set.for_file(source) {
        Some(mut run) => {
            run.on_tree(tree);
            run.finish()
        }
        None => (Vec::new(), false),
    }
}

// ----- which node kinds a match can start at --------------------------------------------

/// A pattern's root as written: a named node kind or an anonymous token.
#[derive(Debug, PartialEq, Eq)]
enum Root {
    Named(String),
    Anonymous(String),
}

/// Indexed by node kind id: the kinds every pattern of `query` (compiled from `source`) can
/// start at, or `None` when some pattern's root is not one or more plain node kinds.
fn root_kinds(query: &Query, source: &str, language: &Language) -> Option<Vec<bool>> {
    let mut kinds = vec![false; language.node_kind_count()];
    for p in 0..query.pattern_count() {
        if !query.is_pattern_rooted(p) || query.is_pattern_non_local(p) {
            return None;
        }
        let text = source.get(query.start_byte_for_pattern(p)..query.end_byte_for_pattern(p))?;
        for root in pattern_roots(text)? {
            let (name, named) = match &root {
                Root::Named(n) => (n.as_str(), true),
                Root::Anonymous(n) => (n.as_str(), false),
            };
            let mut found = false;
            for (id, slot) in kinds.iter_mut().enumerate() {
                let id = u16::try_from(id).ok()?;
                if language.node_kind_for_id(id) == Some(name)
                    && language.node_kind_is_named(id) == named
                    && language.node_kind_is_visible(id)
                {
                    *slot = true;
                    found = true;
                }
            }
            if !found {
                return None;
            }
        }
    }
    Some(kinds)
}

/// Indexed by node kind id: whether no node of the `roots` kinds can occur below a node of
/// this kind, by the grammar's node types (`tree_sitter_rust::NODE_TYPES`: the named children
/// and fields each kind can have). Comments are extras, which may occur anywhere: when a root
/// kind can occur in a comment, nothing is skipped. Node types list named children only, so
/// nothing is skipped either when some root is an anonymous token; nor below a kind the node
/// types do not describe. (A subtree with a syntax error is walked whatever this says.)
fn below_skips(roots: &[bool], language: &Language) -> Vec<bool> {
    use std::collections::{BTreeMap, BTreeSet};
    let named = |id: usize| u16::try_from(id).is_ok_and(|id| language.node_kind_is_named(id));
    let name = |id: usize| {
        u16::try_from(id)
            .ok()
            .and_then(|id| language.node_kind_for_id(id))
    };
    if (0..roots.len()).any(|id| roots[id] && !named(id)) {
        return Vec::new();
    }
    let root_names: BTreeSet<&str> = (0..roots.len())
        .filter(|&id| roots[id])
        .filter_map(name)
        .collect();
    let Ok(serde_json::Value::Array(types)) =
        serde_json::from_str::<serde_json::Value>(tree_sitter_rust::NODE_TYPES)
    else {
        return Vec::new();
    };
    let names = |list: Option<&serde_json::Value>| -> Vec<String> {
        list.and_then(|l| l.as_array())
            .into_iter()
            .flatten()
            .filter(|t| t["named"] == serde_json::Value::Bool(true))
            .filter_map(|t| t["type"].as_str().map(str::to_owned))
            .collect()
    };
    // Each named kind's possible named children (supertypes, like `_expression`, stand for
    // their subtypes: they are edges too).
    let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in &types {
        let (Some(kind), true) = (
            t["type"].as_str(),
            t["named"] == serde_json::Value::Bool(true),
        ) else {
            continue;
        };
        let mut below = names(t.get("subtypes"));
        below.extend(names(t.get("children").and_then(|c| c.get("types"))));
        if let Some(fields) = t.get("fields").and_then(|f| f.as_object()) {
            for field in fields.values() {
                below.extend(names(field.get("types")));
            }
        }
        children.insert(kind.to_owned(), below);
    }
    // Whether a root kind can occur strictly below `kind`.
    let reaches = |kind: &str| {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = children
            .get(kind)
            .into_iter()
            .flatten()
            .map(|s| s.as_str())
            .collect();
        while let Some(k) = todo.pop() {
            if root_names.contains(k) {
                return true;
            }
            if seen.insert(k) {
                todo.extend(children.get(k).into_iter().flatten().map(|s| s.as_str()));
            }
        }
        false
    };
    let extras = ["line_comment", "block_comment"];
    if extras.iter().any(|e| root_names.contains(e) || reaches(e)) {
        return Vec::new();
    }
    (0..roots.len())
        .map(|id| match name(id) {
            Some(kind) if named(id) => children.contains_key(kind) && !reaches(kind),
            _ => false,
        })
        .collect()
}

/// The roots of one pattern's text, or `None` when it has no single root node of known
/// kinds (a wildcard, a supertype, a sibling sequence, a quantified root, …).
fn pattern_roots(text: &str) -> Option<Vec<Root>> {
    let mut scan = Scan {
        s: text.as_bytes(),
        i: 0,
    };
    let mut roots = Vec::new();
    scan.node(&mut roots, 0)?;
    scan.captures()?;
    scan.skip_ws();
    (scan.i == scan.s.len()).then_some(roots)
}

/// A cursor over a pattern's text.
struct Scan<'a> {
    s: &'a [u8],
    i: usize,
}

/// How deeply groups and alternations may nest in the part of a pattern that is read.
const MAX_NESTING: u32 = 64;

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips whitespace and `;` comments.
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.i += 1;
            } else if c == b';' {
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if c == b'\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'?' | b'!' | b'/') {
                self.i += 1;
            } else {
                break;
            }
        }
        std::str::from_utf8(&self.s[start..self.i]).unwrap_or("")
    }

    /// A string literal at the cursor, unescaped.
    fn string(&mut self) -> Option<String> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        b'0' => 0,
                        b'\\' | b'"' => e,
                        _ => return None,
                    });
                }
                _ => out.push(c),
            }
        }
    }

    /// Skips a parenthesised or bracketed form at the cursor, strings and comments included.
    fn skip_balanced(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'(' | b'[' => {
                    depth += 1;
                    self.i += 1;
                }
                b')' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.i += 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
                b'"' => {
                    self.string()?;
                }
                b';' => self.skip_ws(),
                _ => self.i += 1,
            }
        }
    }

    /// `@name` captures after a node, none being fine; a quantifier is refused.
    fn captures(&mut self) -> Option<()> {
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'@') => {
                    self.i += 1;
                    self.ident();
                }
                Some(b'*' | b'+' | b'?') => return None,
                _ => return Some(()),
            }
        }
    }

    /// One node at the cursor: its possible root kinds are pushed on `out`.
    fn node(&mut self, out: &mut Vec<Root>, nesting: u32) -> Option<()> {
        if nesting > MAX_NESTING {
            return None;
        }
        self.skip_ws();
        match self.peek()? {
            b'"' => out.push(Root::Anonymous(self.string()?)),
            b'[' => {
                self.i += 1;
                loop {
                    self.skip_ws();
                    if self.peek()? == b']' {
                        self.i += 1;
                        break;
                    }
                    self.node(out, nesting + 1)?;
                    self.captures()?;
                }
            }
            b'(' => {
                let open = self.i;
                self.i += 1;
                self.skip_ws();
                match self.peek()? {
                    // A group: one node with predicates, else a sibling sequence.
                    b'(' | b'[' | b'"' => {
                        let mut nodes = 0;
                        loop {
                            self.skip_ws();
                            match self.peek()? {
                                b')' => {
                                    self.i += 1;
                                    break;
                                }
                                b'(' if self.s.get(self.i + 1) == Some(&b'#') => {
                                    self.skip_balanced()?;
                                }
                                _ => {
                                    nodes += 1;
                                    self.node(out, nesting + 1)?;
                                    self.captures()?;
                                }
                            }
                        }
                        if nodes != 1 {
                            return None;
                        }
                    }
                    _ => {
                        let name = self.ident();
                        if name.is_empty()
                            || name.starts_with('_')
                            || name.contains('/')
                            || name == "ERROR"
                            || name == "MISSING"
                        {
                            return None;
                        }
                        out.push(Root::Named(name.to_string()));
                        self.i = open;
                        self.skip_balanced()?;
                    }
                }
            }
            _ => return None,
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::rust;

    #[test]
    fn combined_queries_report_each_match_under_its_own_query() {
        let texts = vec![
            "(unsafe_block) @violation".to_string(),
            "(loop_expression) @violation\n(while_expression) @violation".to_string(),
            "(macro_invocation macro: (identifier) @m (#eq? @m \"dbg\"))".to_string(),
        ];
        let set = QuerySet::new(&texts);
        let src = b"fn f() {\n    unsafe { g() }\n    loop {}\n    while x {}\n    dbg!(1);\n}\n";
        let mut parser = rust::parser();
        let tree = parser.parse(src, None).expect("parses");
        let hits: Vec<(u32, u32)> = run_on_tree(&set, &tree, src)
            .0
            .iter()
            .map(|h| (h.query, h.span.line))
            .collect();
        assert_eq!(hits, vec![(0, 2), (1, 3), (1, 4), (2, 5)]);
    }

    fn roots(text: &str) -> Option<Vec<Root>> {
        pattern_roots(text)
    }

    fn named(n: &str) -> Root {
        Root::Named(n.to_string())
    }

    /// Below which kinds the visit may skip, for queries rooted at `kinds` (named kinds):
    /// the kinds in `probe` that are skipped.
    fn skipped(kinds: &[(&str, bool)], probe: &[&str]) -> Vec<String> {
        let language: Language = tree_sitter_rust::LANGUAGE.into();
        let mut roots = vec![false; language.node_kind_count()];
        for &(kind, named) in kinds {
            let id = language.id_for_node_kind(kind, named);
            assert_ne!(id, 0, "{kind}");
            roots[id as usize] = true;
        }
        let skips = below_skips(&roots, &language);
        probe
            .iter()
            .filter(|k| {
                let id = language.id_for_node_kind(k, true) as usize;
                skips.get(id) == Some(&true)
            })
            .map(|k| k.to_string())
            .collect()
    }

    #[test]
    fn the_visit_skips_only_subtrees_the_grammar_keeps_roots_out_of() {
        let probe = [
            "string_literal",
            "token_tree",
            "use_declaration",
            "attribute_item",
            "block",
            "macro_invocation",
            "function_item",
            "visibility_modifier",
        ];
        // A call cannot be inside a string or a token tree (a macro's tokens); by the grammar
        // it can be inside a `use`, a visibility or a macro's path (`a::<[u8; f()]>::b`), an
        // attribute (`#[doc = f()]`), a block or a function.
        assert_eq!(
            skipped(&[("call_expression", true)], &probe),
            ["string_literal", "token_tree"]
        );
        // An identifier can be in a token tree, a `use` and a macro's path or tokens.
        assert_eq!(skipped(&[("identifier", true)], &probe), ["string_literal"]);
        // Comments may occur anywhere: nothing is skipped for a query on them, or on what
        // they hold; nor for a query rooted at an anonymous token (node types list named
        // children only).
        for roots in [
            &[("line_comment", true)][..],
            &[("doc_comment", true)],
            &[("unsafe", false)],
        ] {
            assert_eq!(skipped(roots, &probe), Vec::<String>::new(), "{roots:?}");
        }
    }

    #[test]
    fn pattern_roots_are_read_from_the_pattern_text() {
        assert_eq!(
            roots("(unsafe_block) @violation"),
            Some(vec![named("unsafe_block")])
        );
        assert_eq!(
            roots("(call_expression function: (identifier) @f (#eq? @f \"x\"))"),
            Some(vec![named("call_expression")])
        );
        assert_eq!(
            roots("((identifier) @v (#match? @v \"^(a|b)$\"))"),
            Some(vec![named("identifier")])
        );
        assert_eq!(
            roots("[(loop_expression) (while_expression) @w] @violation"),
            Some(vec![named("loop_expression"), named("while_expression")])
        );
        assert_eq!(
            roots("; a comment\n\"unsafe\" @violation"),
            Some(vec![Root::Anonymous("unsafe".into())])
        );
        assert_eq!(
            roots("(string_literal) @s (#eq? @s \"(\")"),
            None,
            "a predicate outside a group is not a pattern tree-sitter accepts either"
        );
    }

    #[test]
    fn patterns_without_one_plain_root_walk_the_whole_tree() {
        for text in [
            "(_) @any",
            "_ @any",
            "(_expression) @e",
            "(expression/identifier) @e",
            "((line_comment) . (function_item))",
            "(line_comment)+ @docs",
            "((identifier) @a (identifier) @b)",
            "(ERROR) @e",
            "(MISSING) @e",
            "[(identifier) (_)] @x",
        ] {
            assert_eq!(roots(text), None, "{text}");
        }
    }

    /// Runs `texts` both ways on `src` and returns the node-by-node hits, having checked they
    /// equal the whole-tree hits.
    fn both_ways(texts: &[&str], src: &str) -> Vec<(u32, u32, u32)> {
        let texts: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        let set = QuerySet::new(&texts);
        let src = src.as_bytes();
        let mut parser = rust::parser();
        let tree = parser.parse(src, None).expect("parses");
        let whole = run_on_tree(&set, &tree, src);
        let mut run = set.for_file(src).expect("queries");
        let kinds = run.root_kinds().expect("rooted patterns").to_vec();
        let mut cursor = tree.walk();
        loop {
            let node = cursor.node();
            if kinds.get(node.kind_id() as usize).copied().unwrap_or(false) {
                run.on_node(node);
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    let by_node = run.finish();
                    assert_eq!(by_node, whole);
                    return by_node
                        .0
                        .iter()
                        .map(|h| (h.query, h.span.line, h.span.col))
                        .collect();
                }
            }
        }
    }

    #[test]
    fn node_by_node_finds_what_the_whole_tree_walk_finds() {
        let src = r#"
fn f() {
    let a = x.unwrap().unwrap();
    let b = std::mem::transmute::<u8, i8>(a);
    unsafe { unsafe { g() } }
    loop { while c { println!("{}", 1 as usize); } }
    let m = move || { h(i(j(k()))) };
}
pub async fn g() {}
unsafe impl Send for T {}
static mut S: u8 = 0;
"#;
        let hits = both_ways(
            &[
                "(unsafe_block) @violation",
                r#"(call_expression function: (field_expression field: (field_identifier) @violation (#eq? @violation "unwrap")))"#,
                r#"(macro_invocation macro: (identifier) @violation (#eq? @violation "println"))"#,
                r#"(function_item (function_modifiers "async") name: (identifier) @violation)"#,
                r#"(impl_item "unsafe" @violation)"#,
                "(static_item (mutable_specifier) @violation)",
                r#"(call_expression function: (generic_function function: (scoped_identifier) @violation (#match? @violation "transmute$")))"#,
                r#"(closure_expression "move" @violation)"#,
                "[(loop_expression) (while_expression)] @violation",
                r#"((primitive_type) @violation (#eq? @violation "usize"))"#,
                "(call_expression (arguments (call_expression) @violation))",
                "\"unsafe\" @violation",
                "(let_declaration pattern: (identifier) @violation value: (_))",
            ],
            src,
        );
        // Every query found something: the comparison is not between two empty lists.
        let mut queries: Vec<u32> = hits.iter().map(|h| h.0).collect();
        queries.dedup();
        queries.sort_unstable();
        queries.dedup();
        assert_eq!(queries, (0..13).collect::<Vec<u32>>(), "{hits:?}");
    }

    /// The extraction walk skips subtrees it reads by hand (paths, `use` trees, attributes,
    /// macro token trees) and walks re-parsed macro bodies that are not part of the tree: the
    /// nodes it hands to the queries must still be each node of the tree, once.
    #[test]
    fn the_extraction_walk_hands_every_node_of_the_tree_once() {
        let texts: Vec<String> = [
            "(identifier) @violation",
            "(token_tree) @violation",
            "(scoped_identifier) @violation",
            "(attribute_item) @violation",
            "(use_declaration) @violation",
            "(string_literal) @violation",
            "(macro_invocation) @violation",
            "\"::\" @violation",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let src = r#"
#![allow(dead_code)]
use std::{io::Write, fmt as f};
#[cfg(test)] #[doc = include_str!("x.md")]
mod m { pub fn g() -> a::b::C { a::b::c(1) } }
cfg_if::cfg_if! { if #[cfg(unix)] { mod unix; use crate::x::Y; } }
macro_rules! m { ($x:expr) => { $x.unwrap() }; }
fn f<T: std::fmt::Debug>(t: T) { println!("{:?} {}", t, ::core::mem::size_of::<T>()); vec![1, 2]; }
impl<T> S<T> where T: Clone { fn h(&self) -> Self::Out { <T as Tr>::k() } }
"#
        .as_bytes();
        let set = QuerySet::new(&texts);
        let mut parser = rust::parser();
        let tree = parser.parse(src, None).expect("parses");
        let whole = run_on_tree(&set, &tree, src);
        let mut run = set.for_file(src).expect("queries");
        let kinds = run.root_kinds().expect("rooted patterns");
        let skips = run.skips();
        let (_, facts) = rust::extract_visiting(&mut parser, src, kinds, skips, &mut |node| {
            run.on_node(node);
        })
        .expect("extracts");
        assert_eq!(run.finish(), whole);
        // The facts are those of a plain extraction.
        let plain = rust::extract(&mut parser, src).expect("extracts").1;
        assert_eq!(format!("{facts:?}"), format!("{plain:?}"));
        let mut queries: Vec<u32> = whole.0.iter().map(|h| h.query).collect();
        queries.sort_unstable();
        queries.dedup();
        assert_eq!(queries, (0..8).collect::<Vec<u32>>());
    }
}
