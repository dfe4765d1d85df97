//! The one-pass extractor: a `TreeCursor` walk with an explicit context stack, dispatching
//! on node kind ids. Paths, uses, attributes and macro bodies are read by small iterative
//! helpers when the walk reaches them.

use super::kinds::{Grammar, GRAMMAR, K};
use super::text::{
    cfg_attr_path, cfg_excludes_test, cfg_implies_test, count_lines, ident, node_bytes, node_ident,
    node_ident_inline, node_text, normalise_attr, own_line, slice, unquote, Spanner,
};
use crate::facts::model::{
    Arg, AttrFact, BlockFact, CallFact, Callee, DirectiveFact, FileFacts, ItemFact, ItemKindFact,
    Items, MacroDefFact, MacroFact, ModDeclFact, RefFact, RefKind, ScopeFact, ScopeId, Segs, Span,
    UnsafeFact, UnsafeKind, UseFact, Visibility, BLOCK,
};
use tree_sitter::{Node, Parser, Range, TreeCursor};

/// How many item-position macros may nest inside each other before their bodies are only
/// token-scanned.
const MAX_REPARSE_DEPTH: u32 = 8;

/// How many generic parameter names of enclosing items are remembered (a bound on the
/// per-path check on adversarial input).
const MAX_GENERICS: usize = 256;

/// How many syntax error spans are kept.
const MAX_ERROR_SPANS: usize = 5;

/// How many local bindings (parameters, `let`s, closure and match bindings) of the enclosing
/// code are remembered (a bound on the per-call check on adversarial input).
const MAX_LOCALS: usize = 1024;

/// Macros whose tokens are code generated for another crate (a proc macro's output).
const QUOTING_MACROS: &[&str] = &[
    "quote",
    "quote_spanned",
    "parse_quote",
    "parse_quote_spanned",
];

/// One path segment: a byte range of the source, or the leading `::` of a global path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg {
    Root,
    Text(usize, usize),
}

/// What the walk knows about the node being visited and its ancestors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub kind: K,
    pub scope: ScopeId,
    pub test: bool,
    pub in_block: bool,
    pub assoc: bool,
    /// Part of a path chain: an outermost `scoped_*` node or one of its prefixes.
    pub chain: bool,
    /// Length of the generic-parameter stack to restore when this frame is left.
    pub gen_base: usize,
    /// Length of the local-binding stack to restore when this frame is left.
    pub locals_base: usize,
    /// The local bindings from this index on are in scope (a fn item does not see the
    /// bindings of the fn around it).
    pub locals_floor: usize,
    /// For a `{ .. }` block's frame: its index in the open-block stack, plus one (0: this
    /// frame is not a block).
    pub block: u32,
    /// The subtree may hold ERROR / MISSING nodes that must be counted.
    pub errors: bool,
}

/// Attributes and doc comments seen before the next sibling node.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    active: bool,
    walk: u32,
    level: usize,
    doc: bool,
    cfg_test: bool,
    test_attr: bool,
    path_attr: Option<String>,
    /// `#[cfg(..)]` that holds in no test build.
    not_test: bool,
    /// `#[cfg_attr(.., path = "..")]` paths.
    path_alts: Vec<String>,
    attrs: Vec<String>,
    attr_start: usize,
    ref_start: usize,
}

impl Pending {
    fn has_attr(&self, name: &str) -> bool {
        self.attrs.iter().any(|a| a == name)
    }
}

/// How many facts of each kind were recorded when a block was entered: a block becomes a
/// scope only when it turns out to declare names, and the facts recorded in it until then
/// move into that scope.
#[derive(Debug, Clone, Copy)]
struct Marks {
    refs: usize,
    uses: usize,
    calls: usize,
    macros: usize,
    items: usize,
    scopes: usize,
    blocks: usize,
    mods: usize,
    macro_defs: usize,
}

/// A `{ .. }` block being walked.
#[derive(Debug, Clone, Copy)]
struct OpenBlock {
    marks: Marks,
    /// Byte range and start position (row, byte column).
    range: (usize, usize, usize, usize),
    /// It became a scope (its id is in its frame's `scope`).
    realised: bool,
}

/// Nodes of chosen kinds handed to a callback during the walk of a file's tree.
pub(crate) struct Visit<'v> {
    /// Indexed by node kind id.
    pub kinds: &'v [bool],
    /// Indexed by node kind id: no node of `kinds` can occur below a node of this kind (may be
    /// empty: nothing known).
    pub skips: &'v [bool],
    pub on: &'v mut dyn FnMut(Node<'_>),
}

impl Visit<'_> {
    #[inline]
    fn node(&mut self, node: Node<'_>) {
        if self.kinds.get(usize::from(node.kind_id())) == Some(&true) {
            (self.on)(node);
        }
    }

    /// The grammar says no wanted node can be below `node`; error recovery may put anything
    /// there, so a subtree with a syntax error is never skipped.
    #[inline]
    fn skip(&self, node: Node<'_>) -> bool {
        self.skips.get(usize::from(node.kind_id())) == Some(&true) && !node.has_error()
    }

    /// Visits the descendants of `node` (which the extraction does not descend into), but
    /// those the grammar keeps the wanted kinds out of.
    fn below(&mut self, node: Node<'_>) {
        if node.child_count() == 0 || self.skip(node) {
            return;
        }
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return;
        }
        loop {
            let n = cursor.node();
            self.node(n);
            if !self.skip(n) && cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return;
                }
            }
        }
    }
}

enum ParserSlot<'p> {
    Borrowed(&'p mut Parser),
    Lazy(Option<Parser>),
}

pub(crate) struct Extractor<'s, 'p, 'v> {
    pub src: &'s [u8],
    pub g: &'static Grammar,
    pub facts: FileFacts,
    /// The file's items, in the order found (sorted into `facts.items` at the end).
    items: Vec<ItemFact>,
    /// Byte ranges of the generic type parameter names of the enclosing items.
    pub generics: Vec<(usize, usize)>,
    /// Byte ranges of the names bound locally in the enclosing code.
    pub locals: Vec<(usize, usize)>,
    /// The blocks being walked, innermost last.
    open_blocks: Vec<OpenBlock>,
    /// Scratch buffer for path segments.
    pub seg: Vec<Seg>,
    /// Span computation with a remembered position (long lines).
    pub sp: Spanner,
    pending: Pending,
    parser: ParserSlot<'p>,
    /// Id of the walk in progress: the file's tree, a re-parsed macro body or an attribute
    /// value each get their own, so that pending attributes never leak between them.
    walk_id: u32,
    /// Walks started so far.
    walks: u32,
    /// Visitor of the file's own tree: taken by the outermost walk, so that the nested walks
    /// (attribute values, re-parsed macro bodies) never see it.
    visit: Option<Visit<'v>>,
}

impl<'s, 'p, 'v> Extractor<'s, 'p, 'v> {
    pub(crate) fn new(src: &'s [u8], parser: Option<&'p mut Parser>) -> Self {
        Extractor {
            src,
            g: &GRAMMAR,
            facts: FileFacts::default(),
            items: Vec::new(),
            generics: Vec::new(),
            locals: Vec::new(),
            open_blocks: Vec::new(),
            seg: Vec::new(),
            sp: Spanner::default(),
            pending: Pending::default(),
            parser: match parser {
                Some(p) => ParserSlot::Borrowed(p),
                None => ParserSlot::Lazy(None),
            },
            walk_id: 0,
            walks: 0,
            visit: None,
        }
    }

    /// Hands the nodes of the file's tree that `visit` wants to it during the walk.
    pub(crate) fn visiting(mut self, visit: Option<Visit<'v>>) -> Self {
        self.visit = visit;
        self
    }

    /// Extracts the facts of a whole file from its tree.
    pub(crate) fn run(mut self, root: Node<'_>) -> FileFacts {
        let src = self.src;
        self.facts.lines = count_lines(src);
        self.facts.scopes.push(ScopeFact {
            parent: None,
            name: String::new(),
            path_attr: None,
            test: false,
            not_test: false,
            macro_use: false,
            span: Span {
                start: 0,
                end: u32::try_from(src.len()).unwrap_or(u32::MAX),
                line: 1,
                col: 1,
            },
        });
        let base = Ctx {
            kind: K::Other,
            scope: 0,
            test: false,
            in_block: false,
            assoc: false,
            chain: false,
            gen_base: 0,
            locals_base: 0,
            locals_floor: 0,
            block: 0,
            errors: root.has_error(),
        };
        self.walk(root, base, 0);
        let mut items = std::mem::take(&mut self.items);
        let mut f = self.facts;
        f.mods.sort_by_key(|m| m.span.start);
        f.macro_defs.sort_by_key(|m| m.span.start);
        f.uses.sort_by_key(|u| u.span.start);
        f.refs.sort_by_key(|r| r.span.start);
        f.calls.sort_by_key(|c| c.span.start);
        f.macros.sort_by_key(|m| m.span.start);
        f.unsafe_sites.sort_by_key(|u| u.span.start);
        f.attrs.sort_by_key(|a| a.span.start);
        items.sort_by_key(|i| i.item_span.start);
        f.items = Items::new(items);
        f.directives.sort_by_key(|d| d.span.start);
        f.shrink();
        f
    }

    #[inline]
    pub(crate) fn kind(&self, node: Node<'_>) -> K {
        self.g.kind(node.kind_id())
    }

    // ----- the walk -------------------------------------------------------------------

    /// Walks `root` and everything under it. `base` is the context of `root`'s parent.
    fn walk(&mut self, root: Node<'_>, base: Ctx, depth: u32) {
        self.walks = self.walks.saturating_add(1);
        let saved_walk = self.walk_id;
        let saved_pending = std::mem::take(&mut self.pending);
        self.walk_id = self.walks;
        let mut visit = self.visit.take();
        let mut base = base;
        let mut cursor = root.walk();
        let mut stack: Vec<Ctx> = Vec::new();
        loop {
            let node = cursor.node();
            if let Some(v) = visit.as_mut() {
                v.node(node);
            }
            let level = stack.len();
            let parent = match stack.last_mut() {
                Some(p) => p,
                None => &mut base,
            };
            let descend = self.enter(node, &cursor, parent, level, depth);
            if let Some(ctx) = descend {
                if cursor.goto_first_child() {
                    stack.push(ctx);
                    continue;
                }
                self.leave(&ctx);
            } else if let Some(v) = visit.as_mut() {
                v.below(node);
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    self.pending = saved_pending;
                    self.walk_id = saved_walk;
                    self.visit = visit;
                    return;
                }
                if let Some(frame) = stack.pop() {
                    self.leave(&frame);
                }
            }
        }
    }

    /// Restores what a frame's node brought into scope, when the walk leaves it.
    fn leave(&mut self, frame: &Ctx) {
        self.generics.truncate(frame.gen_base);
        self.locals.truncate(frame.locals_base);
        if frame.block != 0 {
            self.open_blocks.truncate(frame.block as usize - 1);
        }
    }

    /// Visits one node: records its facts and says whether (and in which context) to
    /// descend into its children. Syntax errors under a node that is not descended into are
    /// counted here.
    fn enter(
        &mut self,
        node: Node<'_>,
        cursor: &TreeCursor<'_>,
        parent: &mut Ctx,
        level: usize,
        depth: u32,
    ) -> Option<Ctx> {
        // In a re-parsed macro body, what does not parse as Rust is macro-specific syntax
        // (`enum E { A => 1 }`, `struct a::B with ..`): error recovery's guesses there are not
        // the code's paths.
        if depth > 0 && node.is_error() {
            return None;
        }
        let errors = parent.errors && node.has_error();
        if errors && (node.is_error() || node.is_missing()) {
            self.syntax_error(node);
        }
        let r = self.visit(node, cursor, parent, level, depth, errors);
        if r.is_none() && errors {
            self.count_errors_below(node);
        }
        r
    }

    fn visit(
        &mut self,
        node: Node<'_>,
        cursor: &TreeCursor<'_>,
        parent: &mut Ctx,
        level: usize,
        depth: u32,
        errors: bool,
    ) -> Option<Ctx> {
        let id = node.kind_id();
        let k = self.g.kind(id);
        if parent.block != 0 && declares_names(k) {
            self.realise_block(parent);
        }
        let mut ctx = Ctx {
            kind: k,
            chain: false,
            gen_base: self.generics.len(),
            locals_base: self.locals.len(),
            block: 0,
            errors,
            ..*parent
        };
        match k {
            K::LineComment | K::BlockComment => {
                self.comment(node, k, Some(level));
                return None;
            }
            K::AttributeItem => {
                self.attribute(node, false, parent, level);
                return None;
            }
            K::InnerAttributeItem => {
                self.attribute(node, true, parent, level);
                return None;
            }
            _ => {}
        }
        let pending = self.take_pending(level);
        if let Some(p) = &pending {
            if p.cfg_test || p.test_attr {
                ctx.test = true;
                self.mark_test(p);
            }
        }
        if self.g.is_leaf(id) {
            return None;
        }
        let f = &self.g.f;
        match k {
            K::ScopedIdentifier | K::ScopedTypeIdentifier => {
                let prefix = parent.chain
                    && match parent.kind {
                        K::ScopedIdentifier | K::ScopedTypeIdentifier => {
                            cursor.field_id() == Some(f.path)
                        }
                        K::GenericType => cursor.field_id() == Some(f.type_),
                        _ => false,
                    };
                ctx.chain = true;
                if !prefix {
                    self.path_ref(node, ctx, RefKind::Path);
                }
            }
            K::GenericType => {
                ctx.chain = parent.chain
                    && matches!(parent.kind, K::ScopedIdentifier | K::ScopedTypeIdentifier)
                    && cursor.field_id() == Some(f.path);
            }
            K::CallExpression => {
                if let Some(func) = node.child_by_field_id(f.function.get()) {
                    let args = node.child_by_field_id(f.arguments.get());
                    self.call(func, args, ctx);
                }
            }
            K::Block => {
                ctx.in_block = true;
                ctx.assoc = false;
                let p = node.start_position();
                self.open_blocks.push(OpenBlock {
                    marks: self.marks(),
                    range: (node.start_byte(), node.end_byte(), p.row, p.column),
                    realised: false,
                });
                ctx.block = u32::try_from(self.open_blocks.len()).unwrap_or(u32::MAX);
            }
            K::LetDeclaration | K::LetCondition => {
                // In scope after the statement (or condition), to the end of the block.
                if let Some(pat) = node.child_by_field_id(f.pattern.get()) {
                    self.bind(pat);
                }
                ctx.locals_base = self.locals.len();
            }
            K::MatchArm | K::ForExpression => {
                if let Some(pat) = node.child_by_field_id(f.pattern.get()) {
                    self.bind(pat);
                }
            }
            K::ClosureExpression => {
                if let Some(params) = node.child_by_field_id(f.parameters.get()) {
                    self.bind(params);
                }
            }
            K::DeclarationList => {
                ctx.assoc = matches!(parent.kind, K::ImplItem | K::TraitItem);
            }
            K::UnsafeBlock => {
                if let Some(kw) = node.child(0) {
                    self.unsafe_site(UnsafeKind::Block, kw, ctx);
                }
            }
            // Nothing to find inside these; not descending saves cursor moves.
            K::VisibilityModifier | K::StringLiteral | K::RawStringLiteral | K::Lifetime => {
                return None
            }
            K::UseDeclaration => {
                self.use_decl(node, ctx);
                return None;
            }
            K::ExternCrate => {
                self.extern_crate(node, ctx, pending.as_ref());
                return None;
            }
            K::MacroInvocation => {
                self.macro_invocation(node, parent.kind, ctx, depth);
                return None;
            }
            K::MacroDefinition => {
                self.item(node, ItemKindFact::Macro, ctx, pending.as_ref());
                self.macro_definition(node, ctx, pending.as_ref());
                return None;
            }
            K::ModItem => return self.mod_item(node, ctx, pending),
            K::FunctionItem | K::FunctionSignatureItem => {
                self.item(node, ItemKindFact::Fn, ctx, pending.as_ref());
                self.push_generics(node);
                // A fn item does not capture: the bindings around it are out of its scope.
                ctx.locals_floor = self.locals.len();
                if let Some(params) = node.child_by_field_id(f.parameters.get()) {
                    self.bind(params);
                }
            }
            K::StructItem => self.generic_item(node, ItemKindFact::Struct, ctx, &pending),
            K::EnumItem => self.generic_item(node, ItemKindFact::Enum, ctx, &pending),
            K::UnionItem => self.generic_item(node, ItemKindFact::Union, ctx, &pending),
            K::TraitItem => self.generic_item(node, ItemKindFact::Trait, ctx, &pending),
            K::ImplItem => self.generic_item(node, ItemKindFact::Impl, ctx, &pending),
            K::TypeItem | K::AssociatedType => {
                self.generic_item(node, ItemKindFact::Type, ctx, &pending)
            }
            K::ConstItem => self.item(node, ItemKindFact::Const, ctx, pending.as_ref()),
            K::StaticItem => self.item(node, ItemKindFact::Static, ctx, pending.as_ref()),
            _ => {}
        }
        Some(ctx)
    }

    fn marks(&self) -> Marks {
        let f = &self.facts;
        Marks {
            refs: f.refs.len(),
            uses: f.uses.len(),
            calls: f.calls.len(),
            macros: f.macros.len(),
            items: self.items.len(),
            scopes: f.scopes.len(),
            blocks: f.blocks.len(),
            mods: f.mods.len(),
            macro_defs: f.macro_defs.len(),
        }
    }

    /// Makes the block of frame `frame` a scope (it declares a name): the facts recorded in it
    /// so far in the scope around it move into the block's scope.
    fn realise_block(&mut self, frame: &mut Ctx) {
        let Some(open) = self.open_blocks.get_mut(frame.block as usize - 1) else {
            return;
        };
        if open.realised {
            return;
        }
        open.realised = true;
        let (m, (start, end, row, col)) = (open.marks, open.range);
        let Ok(index) = u32::try_from(self.facts.blocks.len()) else {
            return;
        };
        if index >= BLOCK {
            return;
        }
        let (old, id) = (frame.scope, BLOCK | index);
        let f = &mut self.facts;
        let moved = |s: &mut ScopeId| {
            if *s == old {
                *s = id;
            }
        };
        f.refs[m.refs..]
            .iter_mut()
            .for_each(|r| moved(&mut r.scope));
        f.uses[m.uses..]
            .iter_mut()
            .for_each(|u| moved(&mut u.scope));
        f.calls[m.calls..]
            .iter_mut()
            .for_each(|c| moved(&mut c.scope));
        f.macros[m.macros..]
            .iter_mut()
            .for_each(|c| moved(&mut c.scope));
        f.mods[m.mods..]
            .iter_mut()
            .for_each(|d| moved(&mut d.scope));
        f.macro_defs[m.macro_defs..]
            .iter_mut()
            .for_each(|d| moved(&mut d.scope));
        self.items[m.items..]
            .iter_mut()
            .for_each(|i| moved(&mut i.scope));
        for s in &mut f.scopes[m.scopes..] {
            if s.parent == Some(old) {
                s.parent = Some(id);
            }
        }
        f.blocks[m.blocks..]
            .iter_mut()
            .for_each(|b| moved(&mut b.parent));
        let span = self.sp.at(self.src, start, end, row, col);
        self.facts.blocks.push(BlockFact { parent: old, span });
        frame.scope = id;
    }

    /// Records the names a pattern (or a parameter list) binds as local bindings.
    fn bind(&mut self, pattern: Node<'_>) {
        let f = &self.g.f;
        let mut stack = vec![pattern];
        while let Some(n) = stack.pop() {
            if self.locals.len() >= MAX_LOCALS {
                return;
            }
            match self.kind(n) {
                K::Identifier | K::ShorthandFieldIdentifier => {
                    self.locals.push((n.start_byte(), n.end_byte()));
                }
                K::Parameter => stack.extend(n.child_by_field_id(f.pattern.get())),
                K::FieldPattern => match n.child_by_field_id(f.pattern.get()) {
                    Some(p) => stack.push(p),
                    None => stack.extend(n.child_by_field_id(f.name.get())),
                },
                K::TupleStructPattern | K::StructPattern => {
                    let ty = n.child_by_field_id(f.type_.get());
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c).filter(|c| Some(*c) != ty));
                }
                K::Parameters
                | K::ClosureParameters
                | K::TuplePattern
                | K::RefPattern
                | K::MutPattern
                | K::ReferencePattern
                | K::CapturedPattern
                | K::SlicePattern
                | K::OrPattern
                | K::MatchPattern => {
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c));
                }
                _ => {}
            }
        }
    }

    /// Whether `name` (bytes) is bound locally where the walk is (`floor`: see `Ctx`).
    pub(crate) fn is_local(&self, name: &[u8], floor: usize) -> bool {
        self.locals
            .get(floor..)
            .unwrap_or_default()
            .iter()
            .rev()
            .any(|&(s, e)| slice(self.src, s, e) == name)
    }

    /// Counts the ERROR / MISSING nodes strictly below `node`.
    fn count_errors_below(&mut self, node: Node<'_>) {
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return;
        }
        loop {
            let n = cursor.node();
            let mut descend = false;
            if n.has_error() {
                if n.is_error() || n.is_missing() {
                    self.syntax_error(n);
                }
                descend = true;
            }
            if descend && cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() || cursor.node() == node {
                    return;
                }
            }
        }
    }

    fn syntax_error(&mut self, node: Node<'_>) {
        let fc = &mut self.facts.syntax_error_count;
        *fc = fc.saturating_add(1);
        if self.facts.syntax_errors.len() < MAX_ERROR_SPANS {
            let span = self.sp.node(self.src, node);
            self.facts.syntax_errors.push(span);
        }
    }

    // ----- attributes and comments ----------------------------------------------------

    fn pending_mut(&mut self, level: usize) -> &mut Pending {
        let p = &mut self.pending;
        if !p.active || p.walk != self.walk_id || p.level != level {
            *p = Pending {
                active: true,
                walk: self.walk_id,
                level,
                attr_start: self.facts.attrs.len(),
                ref_start: self.facts.refs.len(),
                ..Pending::default()
            };
        }
        p
    }

    fn take_pending(&mut self, level: usize) -> Option<Pending> {
        if !self.pending.active {
            return None;
        }
        let p = std::mem::take(&mut self.pending);
        (p.walk == self.walk_id && p.level == level).then_some(p)
    }

    /// An item under `#[cfg(test)]` / `#[test]`: its attributes are test code too.
    fn mark_test(&mut self, p: &Pending) {
        for a in self.facts.attrs.iter_mut().skip(p.attr_start) {
            a.test = true;
        }
        for r in self.facts.refs.iter_mut().skip(p.ref_start) {
            r.test = true;
        }
    }

    /// A comment: a `ribo:` directive, an outer doc comment for the next item, or nothing.
    /// `level` is `None` inside token trees (no item follows there).
    pub(crate) fn comment(&mut self, node: Node<'_>, k: K, level: Option<usize>) {
        let src = self.src;
        let bytes = node_bytes(src, node);
        let doc = if k == K::LineComment {
            bytes.starts_with(b"///") && !bytes.starts_with(b"////")
        } else {
            bytes.starts_with(b"/**") && !bytes.starts_with(b"/***") && !bytes.starts_with(b"/**/")
        };
        if doc {
            if let Some(level) = level {
                self.pending_mut(level).doc = true;
            }
        }
        let inner_doc = bytes.starts_with(b"//!") || bytes.starts_with(b"/*!");
        let mut body = bytes.get(2..).unwrap_or_default();
        if doc || inner_doc {
            body = body.get(1..).unwrap_or_default();
        }
        if k == K::BlockComment {
            body = body.strip_suffix(b"*/").unwrap_or(body);
        }
        let body = body.trim_ascii_start();
        let Some(rest) = body.strip_prefix(b"ribo:") else {
            return;
        };
        // Documentation that happens to start with `ribo:` is not a directive; one that reads
        // like a directive is kept, so that the rule can say it is in a doc comment.
        if (doc || inner_doc) && !rest.trim_ascii_start().starts_with(b"allow") {
            return;
        }
        let p = node.start_position();
        let own_line = own_line(src, node.start_byte(), p.column);
        let covers = if doc || inner_doc {
            None
        } else {
            self.coverage(node, own_line)
        };
        self.facts.directives.push(DirectiveFact {
            text: String::from_utf8_lossy(rest.trim_ascii()).into_owned(),
            own_line,
            covers,
            doc: doc || inner_doc,
            span: self.sp.node(self.src, node),
        });
    }

    /// The lines of the syntax node a directive comment applies to (see
    /// [`DirectiveFact::covers`]): on its own line, the node after it (an item with its
    /// attributes, a statement, a multi-line `use`) when that starts on the next line; at the
    /// end of a line, the outermost statement or item starting on that line.
    fn coverage(&self, comment: Node<'_>, own_line: bool) -> Option<(u32, u32)> {
        let row = comment.start_position().row;
        let line = |r: usize| u32::try_from(r + 1).unwrap_or(u32::MAX);
        let is_comment = |n: Node<'_>| matches!(self.kind(n), K::LineComment | K::BlockComment);
        let last_row = |n: Node<'_>| {
            let end = n.end_position();
            // A node ending at the start of a line ends on the line before.
            if end.column == 0 && end.row > n.start_position().row {
                end.row - 1
            } else {
                end.row
            }
        };
        if own_line {
            let mut next = comment.next_sibling();
            while let Some(n) = next.filter(|n| is_comment(*n)) {
                next = n.next_sibling();
            }
            let first = next?;
            if first.start_position().row != row + 1 {
                return None;
            }
            // An attribute-led item: the attributes and the item they decorate.
            let mut last = first;
            while matches!(self.kind(last), K::AttributeItem) {
                let mut n = last.next_sibling();
                while let Some(c) = n.filter(|n| is_comment(*n)) {
                    n = c.next_sibling();
                }
                match n {
                    Some(n) => last = n,
                    None => break,
                }
            }
            return Some((line(row + 1), line(last_row(last))));
        }
        let mut best = None;
        let mut node = comment.parent();
        while let Some(n) = node {
            if n.start_position().row != row {
                break;
            }
            let statement = n.parent().is_some_and(|p| {
                matches!(self.kind(p), K::Block | K::DeclarationList | K::SourceFile)
            });
            if statement {
                best = Some(n);
            }
            node = n.parent();
        }
        best.map(|n| (line(row), line(last_row(n))))
    }

    /// `#[..]` (pending for the next sibling) or `#![..]` (applies to the parent).
    fn attribute(&mut self, item: Node<'_>, inner: bool, parent: &mut Ctx, level: usize) {
        let src = self.src;
        let mut cursor = item.walk();
        let Some(attr) = item
            .children(&mut cursor)
            .find(|c| self.kind(*c) == K::Attribute)
        else {
            return;
        };
        let Some(path_node) = attr.named_child(0) else {
            return;
        };
        let path = if self.collect_path(path_node, false) {
            self.seg_strings()
        } else {
            vec![node_text(src, path_node)]
        };
        let f = &self.g.f;
        let args = attr.child_by_field_id(f.arguments.get());
        let value = attr.child_by_field_id(f.value.get());
        let is = |s: &str| path.len() == 1 && path.first().is_some_and(|p| p == s);
        let cfg_test = is("cfg") && args.is_some_and(|a| cfg_implies_test(node_bytes(src, a)));
        let cfg_not_test = is("cfg") && args.is_some_and(|a| cfg_excludes_test(node_bytes(src, a)));
        let path_alt = if is("cfg_attr") {
            args.and_then(|a| cfg_attr_path(node_bytes(src, a)))
        } else {
            None
        };
        let test_attr = path.last().is_some_and(|s| s == "test");
        // `#[doc = ".."]` documents; `#[doc(hidden)]` does not.
        let doc = is("doc") && value.is_some();
        let path_attr = if is("path") {
            value
                .filter(|v| matches!(self.kind(*v), K::StringLiteral | K::RawStringLiteral))
                .map(|v| unquote(node_bytes(src, v)))
        } else {
            None
        };
        if !inner {
            // Start (or continue) the pending run before recording this attribute's facts,
            // so that a test item can flag them.
            self.pending_mut(level);
        }
        let ctx = *parent;
        if path.len() > 1 {
            self.facts.refs.push(RefFact {
                scope: ctx.scope,
                path: Segs::new(&path),
                kind: RefKind::Attribute,
                test: ctx.test,
                span: self.sp.node(self.src, path_node),
            });
        }
        let joined = path.join("::");
        self.facts.attrs.push(AttrFact {
            path: path.into(),
            text: normalise_attr(node_bytes(src, attr)),
            inner,
            test: ctx.test,
            span: self.sp.node(self.src, item),
        });
        if let Some(a) = args {
            self.scan(a, ctx, super::tokens::Mode::Attribute, false, 0);
        }
        // `#[doc = include_str!("..")]`, `#[x = a::b]`: the value is code.
        if let Some(v) =
            value.filter(|v| !matches!(self.kind(*v), K::StringLiteral | K::RawStringLiteral))
        {
            let base = Ctx {
                kind: K::Attribute,
                errors: false,
                block: 0,
                ..ctx
            };
            self.walk(v, base, MAX_REPARSE_DEPTH);
        }
        if inner {
            if cfg_test {
                parent.test = true;
                if matches!(parent.kind, K::SourceFile | K::DeclarationList) {
                    if let Some(s) = self.facts.scopes.get_mut(parent.scope as usize) {
                        s.test = true;
                    }
                }
            }
            return;
        }
        let p = self.pending_mut(level);
        p.doc |= doc;
        p.cfg_test |= cfg_test;
        p.not_test |= cfg_not_test;
        p.test_attr |= test_attr;
        if path_attr.is_some() {
            p.path_attr = path_attr;
        }
        p.path_alts.extend(path_alt);
        p.attrs.push(joined);
    }

    // ----- paths ----------------------------------------------------------------------

    /// Fills `self.seg` with the segments of a path node, first segment first (a leading
    /// `::` is `Seg::Root`); generic arguments are dropped (`Vec::<u8>::new` is `Vec`, `new`).
    /// With `bracketed`, `<T as Trait>::f` gives the segments of `T` then `f`; without it
    /// such a path is rejected (its inner paths are visited by the walk).
    pub(crate) fn collect_path(&mut self, node: Node<'_>, bracketed: bool) -> bool {
        self.seg.clear();
        let f = &self.g.f;
        let mut cur = node;
        loop {
            match self.kind(cur) {
                K::ScopedIdentifier | K::ScopedTypeIdentifier => {
                    let Some(name) = cur.child_by_field_id(f.name.get()) else {
                        return false;
                    };
                    self.seg.push(Seg::Text(name.start_byte(), name.end_byte()));
                    match cur.child_by_field_id(f.path.get()) {
                        Some(p) => cur = p,
                        None => {
                            self.seg.push(Seg::Root);
                            break;
                        }
                    }
                }
                K::GenericType => match cur.child_by_field_id(f.type_.get()) {
                    Some(t) => cur = t,
                    None => return false,
                },
                K::BracketedType if bracketed => {
                    let Some(inner) = cur.named_child(0) else {
                        return false;
                    };
                    cur = if self.kind(inner) == K::QualifiedType {
                        match inner.child_by_field_id(f.type_.get()) {
                            Some(t) => t,
                            None => return false,
                        }
                    } else {
                        inner
                    };
                }
                K::Identifier
                | K::TypeIdentifier
                | K::PrimitiveType
                | K::SelfKw
                | K::SuperKw
                | K::CrateKw
                | K::Metavariable => {
                    self.seg.push(Seg::Text(cur.start_byte(), cur.end_byte()));
                    break;
                }
                _ => return false,
            }
        }
        self.seg.reverse();
        true
    }

    pub(crate) fn seg_strings(&self) -> Vec<String> {
        self.seg
            .iter()
            .map(|s| match *s {
                Seg::Root => "::".to_string(),
                Seg::Text(a, b) => ident(self.src, a, b),
            })
            .collect()
    }

    /// `self.seg` as a path, built in place (no string per segment: the walk records about a
    /// million paths on the large corpus).
    pub(crate) fn seg_path(&self) -> Segs {
        Segs::new(self.seg.iter().map(|s| match *s {
            Seg::Root => std::borrow::Cow::Borrowed("::"),
            Seg::Text(a, b) => super::text::ident_str(self.src, a, b),
        }))
    }

    /// The first segment of `self.seg` is `Self` or a generic parameter in scope.
    pub(crate) fn seg_is_generic(&self) -> bool {
        let Some(Seg::Text(a, b)) = self.seg.first().copied() else {
            return false;
        };
        let first = slice(self.src, a, b);
        first == b"Self"
            || self
                .generics
                .iter()
                .any(|&(s, e)| slice(self.src, s, e) == first)
    }

    /// A multi-segment path in code.
    fn path_ref(&mut self, node: Node<'_>, ctx: Ctx, kind: RefKind) {
        if !self.collect_path(node, false) || self.seg.len() < 2 || self.seg_is_generic() {
            return;
        }
        let path = self.seg_path();
        self.facts.refs.push(RefFact {
            scope: ctx.scope,
            path,
            kind,
            test: ctx.test,
            span: self.sp.node(self.src, node),
        });
    }

    fn call(&mut self, func: Node<'_>, args: Option<Node<'_>>, ctx: Ctx) {
        let f = &self.g.f;
        let mut func = func;
        if self.kind(func) == K::GenericFunction {
            match func.child_by_field_id(f.function.get()) {
                Some(inner) => func = inner,
                None => return,
            }
        }
        let src = self.src;
        let (callee, span) = match self.kind(func) {
            K::FieldExpression => {
                let Some(name) = func.child_by_field_id(f.field.get()) else {
                    return;
                };
                (
                    Callee::Method(node_ident_inline(src, name)),
                    self.sp.node(self.src, name),
                )
            }
            K::Identifier | K::ScopedIdentifier | K::SelfKw | K::Metavariable => {
                if !self.collect_path(func, true) {
                    return;
                }
                (Callee::Path(self.seg_path()), self.sp.node(self.src, func))
            }
            _ => return,
        };
        let local = self.kind(func) == K::Identifier
            && self.is_local(node_bytes(src, func), ctx.locals_floor);
        let first_arg = args.and_then(|a| first_argument(a, src));
        self.facts.calls.push(CallFact {
            scope: ctx.scope,
            callee,
            test: ctx.test,
            in_macro: false,
            local,
            span,
            first_arg,
        });
    }

    fn push_generics(&mut self, node: Node<'_>) {
        let f = &self.g.f;
        let Some(tp) = node.child_by_field_id(f.type_parameters.get()) else {
            return;
        };
        let mut cursor = tp.walk();
        for c in tp.named_children(&mut cursor) {
            let name = match self.kind(c) {
                K::TypeParameter => c.child_by_field_id(f.name.get()),
                K::TypeIdentifier => Some(c),
                _ => None,
            };
            if let Some(n) = name {
                if self.generics.len() >= MAX_GENERICS {
                    return;
                }
                self.generics.push((n.start_byte(), n.end_byte()));
            }
        }
    }

    // ----- use / extern crate ---------------------------------------------------------

    fn use_leaf(
        &mut self,
        path: Vec<String>,
        name: Option<String>,
        glob: bool,
        public: bool,
        ctx: Ctx,
        span: Span,
    ) {
        self.facts.refs.push(RefFact {
            scope: ctx.scope,
            path: Segs::new(&path),
            kind: RefKind::Use,
            test: ctx.test,
            span,
        });
        self.facts.uses.push(UseFact {
            scope: ctx.scope,
            path: path.into(),
            name,
            glob,
            public,
            test: ctx.test,
            extern_crate: false,
            macro_use: false,
            span,
        });
    }

    /// Segments of a `use` path node appended to `prefix`; `None` if it is not a path.
    fn use_path(&mut self, prefix: &[String], node: Node<'_>) -> Option<Vec<String>> {
        if !self.collect_path(node, false) {
            return None;
        }
        let mut full = prefix.to_vec();
        full.extend(self.seg_strings());
        Some(full)
    }

    fn use_decl(&mut self, node: Node<'_>, ctx: Ctx) {
        let src = self.src;
        let f = &self.g.f;
        let public = self.visibility(node) != Visibility::Private;
        let mut cursor = node.walk();
        let mut stack: Vec<(Node<'_>, Vec<String>)> = Vec::new();
        for c in node.children(&mut cursor) {
            match self.kind(c) {
                K::LineComment | K::BlockComment => self.comment(c, self.kind(c), None),
                K::VisibilityModifier => {}
                _ if c.is_named() => stack.push((c, Vec::new())),
                _ => {}
            }
        }
        stack.reverse();
        while let Some((n, prefix)) = stack.pop() {
            let k = self.kind(n);
            match k {
                K::LineComment | K::BlockComment => self.comment(n, k, None),
                K::UseList => {
                    let mut children: Vec<(Node<'_>, Vec<String>)> = Vec::new();
                    let mut c2 = n.walk();
                    for c in n.named_children(&mut c2) {
                        children.push((c, prefix.clone()));
                    }
                    stack.extend(children.into_iter().rev());
                }
                K::ScopedUseList => {
                    let mut full = prefix;
                    match n.child_by_field_id(f.path.get()) {
                        Some(p) => match self.use_path(&full, p) {
                            Some(v) => full = v,
                            None => continue,
                        },
                        None => full.push("::".to_string()),
                    }
                    if let Some(list) = n.child_by_field_id(f.list.get()) {
                        stack.push((list, full));
                    }
                }
                K::UseWildcard => {
                    let mut full = prefix;
                    let mut c2 = n.walk();
                    for c in n.children(&mut c2) {
                        match self.kind(c) {
                            K::TColonColon
                                if full.is_empty() && c.start_byte() == n.start_byte() =>
                            {
                                full.push("::".to_string());
                            }
                            K::LineComment | K::BlockComment => {}
                            _ if c.is_named() => {
                                if let Some(v) = self.use_path(&full, c) {
                                    full = v;
                                }
                            }
                            _ => {}
                        }
                    }
                    self.use_leaf(full, None, true, public, ctx, self.sp.node(self.src, n));
                }
                K::UseAsClause => {
                    let (Some(p), Some(alias)) = (
                        n.child_by_field_id(f.path.get()),
                        n.child_by_field_id(f.alias.get()),
                    ) else {
                        continue;
                    };
                    let Some(mut full) = self.use_path(&prefix, p) else {
                        continue;
                    };
                    if full.len() > 1 && full.last().is_some_and(|s| s == "self") {
                        full.pop();
                    }
                    let alias = node_ident(src, alias);
                    let name = (alias != "_").then_some(alias);
                    self.use_leaf(full, name, false, public, ctx, self.sp.node(self.src, n));
                }
                _ => {
                    let Some(mut full) = self.use_path(&prefix, n) else {
                        continue;
                    };
                    if full.len() > 1 && full.last().is_some_and(|s| s == "self") {
                        full.pop();
                    }
                    let name = full.last().filter(|s| *s != "::").cloned();
                    self.use_leaf(full, name, false, public, ctx, self.sp.node(self.src, n));
                }
            }
        }
    }

    fn extern_crate(&mut self, node: Node<'_>, ctx: Ctx, pending: Option<&Pending>) {
        let src = self.src;
        let f = &self.g.f;
        let Some(name) = node.child_by_field_id(f.name.get()) else {
            return;
        };
        let crate_name = node_ident(src, name);
        let binding = node
            .child_by_field_id(f.alias.get())
            .map(|a| node_ident(src, a))
            .unwrap_or_else(|| crate_name.clone());
        let public = self.visibility(node) != Visibility::Private;
        let span = self.sp.node(self.src, name);
        self.facts.refs.push(RefFact {
            scope: ctx.scope,
            path: Segs::new([&crate_name]),
            kind: RefKind::ExternCrate,
            test: ctx.test,
            span,
        });
        self.facts.uses.push(UseFact {
            scope: ctx.scope,
            path: Segs::new([crate_name]),
            name: (binding != "_").then_some(binding),
            glob: false,
            public,
            test: ctx.test,
            extern_crate: true,
            macro_use: pending.is_some_and(|p| p.has_attr("macro_use")),
            span,
        });
    }

    // ----- items ----------------------------------------------------------------------

    fn visibility(&self, node: Node<'_>) -> Visibility {
        match node.child(0) {
            Some(v) if self.kind(v) == K::VisibilityModifier => {
                let mut c = v.walk();
                let kids: Vec<K> = v.children(&mut c).map(|k| self.kind(k)).collect();
                match kids.as_slice() {
                    [K::KwPub] | [K::Other] => Visibility::Public,
                    // `pub(self)`: private.
                    [_, _, K::SelfKw, _] => Visibility::Private,
                    _ => Visibility::Restricted,
                }
            }
            _ => Visibility::Private,
        }
    }

    fn generic_item(&mut self, node: Node<'_>, kind: ItemKindFact, ctx: Ctx, p: &Option<Pending>) {
        self.item(node, kind, ctx, p.as_ref());
        self.push_generics(node);
    }

    fn unsafe_site(&mut self, kind: UnsafeKind, kw: Node<'_>, ctx: Ctx) {
        self.facts.unsafe_sites.push(UnsafeFact {
            kind,
            test: ctx.test,
            span: self.sp.node(self.src, kw),
        });
    }

    fn item(&mut self, node: Node<'_>, kind: ItemKindFact, ctx: Ctx, p: Option<&Pending>) {
        let src = self.src;
        let f = &self.g.f;
        let mut is_async = false;
        let mut unsafe_kw = None;
        let mut impl_kw = None;
        let mut cursor = node.walk();
        let header = if kind == ItemKindFact::Macro {
            None
        } else {
            Some(node.children(&mut cursor))
        };
        for c in header.into_iter().flatten() {
            match self.kind(c) {
                K::FunctionModifiers => {
                    let mut c2 = c.walk();
                    for m in c.children(&mut c2) {
                        match self.kind(m) {
                            K::KwAsync => is_async = true,
                            K::KwUnsafe => unsafe_kw = Some(m),
                            _ => {}
                        }
                    }
                }
                K::KwUnsafe => unsafe_kw = Some(c),
                K::KwImpl => {
                    impl_kw = Some(c);
                    break;
                }
                K::KwFn
                | K::KwTrait
                | K::KwStruct
                | K::KwEnum
                | K::KwUnion
                | K::KwType
                | K::KwConst
                | K::KwStatic
                | K::KwMod => break,
                _ => {}
            }
        }
        if let Some(kw) = unsafe_kw {
            let uk = match kind {
                ItemKindFact::Fn => Some(UnsafeKind::Fn),
                ItemKindFact::Impl => Some(UnsafeKind::Impl),
                ItemKindFact::Trait => Some(UnsafeKind::Trait),
                _ => None,
            };
            if let Some(uk) = uk {
                self.unsafe_site(uk, kw, ctx);
            }
        }
        let name_node = if kind == ItemKindFact::Impl {
            impl_kw
        } else {
            node.child_by_field_id(f.name.get())
        };
        let name = match name_node {
            Some(n) if kind != ItemKindFact::Impl => node_ident(src, n),
            _ => String::new(),
        };
        let attrs = p.map(|p| Segs::new(&p.attrs)).unwrap_or_default();
        let has_doc = p.is_some_and(|p| p.doc);
        let item_span = self.sp.node(self.src, node);
        let visibility = self.visibility(node);
        let header = (visibility == Visibility::Public && !ctx.in_block && !ctx.assoc)
            .then(|| super::header::header_of(node, src))
            .flatten()
            .map(Box::new);
        self.items.push(ItemFact {
            scope: ctx.scope,
            kind,
            name,
            visibility,
            is_async,
            is_unsafe: unsafe_kw.is_some(),
            has_doc,
            attrs,
            in_block: ctx.in_block,
            assoc: ctx.assoc,
            test: ctx.test,
            span: name_node
                .map(|n| self.sp.node(self.src, n))
                .unwrap_or(item_span),
            item_span,
            header,
        });
    }

    fn mod_item(&mut self, node: Node<'_>, mut ctx: Ctx, p: Option<Pending>) -> Option<Ctx> {
        let src = self.src;
        let f = &self.g.f;
        self.item(node, ItemKindFact::Mod, ctx, p.as_ref());
        let name = node
            .child_by_field_id(f.name.get())
            .map(|n| node_ident(src, n))
            .unwrap_or_default();
        let macro_use = p.as_ref().is_some_and(|p| p.has_attr("macro_use"));
        let not_test = p.as_ref().is_some_and(|p| p.not_test);
        let (path_attr, path_alts) = match p {
            Some(p) => (p.path_attr, p.path_alts),
            None => (None, Vec::new()),
        };
        let public = self.visibility(node) != Visibility::Private;
        if node.child_by_field_id(f.body.get()).is_none() {
            self.facts.mods.push(ModDeclFact {
                scope: ctx.scope,
                name,
                path_attr,
                test: ctx.test,
                not_test,
                macro_use,
                path_alts,
                public,
                span: self.sp.node(self.src, node),
            });
            return None;
        }
        let id = ScopeId::try_from(self.facts.scopes.len())
            .ok()
            .filter(|id| *id < BLOCK)
            .unwrap_or(BLOCK - 1);
        self.facts.scopes.push(ScopeFact {
            parent: Some(ctx.scope),
            name,
            path_attr,
            test: ctx.test,
            not_test,
            macro_use,
            span: self.sp.node(self.src, node),
        });
        ctx.scope = id;
        ctx.assoc = false;
        ctx.in_block = false;
        Some(ctx)
    }

    // ----- macros ---------------------------------------------------------------------

    fn macro_invocation(&mut self, node: Node<'_>, parent_kind: K, ctx: Ctx, depth: u32) {
        let f = &self.g.f;
        let mut bang = None;
        let mut tt = None;
        let mut cursor = node.walk();
        for c in node.children(&mut cursor) {
            match self.kind(c) {
                K::TBang if bang.is_none() => bang = Some(c),
                K::TokenTree => tt = Some(c),
                K::LineComment | K::BlockComment => self.comment(c, self.kind(c), None),
                _ => {}
            }
        }
        let mut quoting = false;
        if let Some(m) = node.child_by_field_id(f.macro_.get()) {
            if self.collect_path(m, false) {
                let path = self.seg_path();
                quoting = path.last().is_some_and(|l| QUOTING_MACROS.contains(&l));
                if self.macro_path_is_ref() {
                    self.facts.refs.push(RefFact {
                        scope: ctx.scope,
                        path: path.clone(),
                        kind: RefKind::MacroName,
                        test: ctx.test,
                        span: self.sp.node(self.src, m),
                    });
                }
                let first_arg = tt.and_then(|t| first_token_argument(t, self.src));
                self.facts.macros.push(MacroFact {
                    scope: ctx.scope,
                    path,
                    test: ctx.test,
                    span: self.sp.join(self.src, m, bang.unwrap_or(m)),
                    first_arg,
                });
            }
        }
        let Some(tt) = tt else {
            return;
        };
        if quoting {
            self.scan(tt, ctx, super::tokens::Mode::Quoted, false, depth);
            return;
        }
        let item_position = matches!(parent_kind, K::SourceFile | K::DeclarationList);
        if item_position && depth < MAX_REPARSE_DEPTH {
            if self.looks_like_items(tt) && self.reparse(tt, ctx, depth) {
                return;
            }
            self.scan(tt, ctx, super::tokens::Mode::Macro, true, depth);
        } else {
            self.scan(tt, ctx, super::tokens::Mode::Macro, false, depth);
        }
    }

    /// Whether the macro path in `self.seg` is recorded as a `MacroName` reference: any path
    /// but one led by a metavariable (`$m!`) or a generic parameter.
    pub(crate) fn macro_path_is_ref(&self) -> bool {
        let metavariable = match self.seg.first() {
            Some(Seg::Text(a, b)) => {
                let first = slice(self.src, *a, *b);
                first.starts_with(b"$") && first != b"$crate"
            }
            _ => false,
        };
        !self.seg.is_empty() && !metavariable && !self.seg_is_generic()
    }

    fn macro_definition(&mut self, node: Node<'_>, ctx: Ctx, pending: Option<&Pending>) {
        let f = &self.g.f;
        if let Some(name) = node.child_by_field_id(f.name.get()) {
            self.facts.macro_defs.push(MacroDefFact {
                scope: ctx.scope,
                name: node_ident(self.src, name),
                export: pending.is_some_and(|p| p.has_attr("macro_export")),
                span: self.sp.node(self.src, node),
            });
        }
        let mut cursor = node.walk();
        for c in node.children(&mut cursor) {
            match self.kind(c) {
                K::MacroRule => {
                    if let Some(right) = c.child_by_field_id(f.right.get()) {
                        self.scan(right, ctx, super::tokens::Mode::Macro, false, 0);
                    }
                }
                K::LineComment | K::BlockComment => self.comment(c, self.kind(c), None),
                _ => {}
            }
        }
    }

    /// Parses the interior of an item-position macro's token tree as items, in place (node
    /// positions are file positions), and walks it in the macro's context.
    pub(crate) fn reparse(&mut self, tt: Node<'_>, ctx: Ctx, depth: u32) -> bool {
        let count = tt.child_count();
        if count < 2 {
            return false;
        }
        let (Some(open), Some(close)) = (tt.child(0), tt.child(count - 1)) else {
            return false;
        };
        if !matches!(self.kind(open), K::TLParen | K::TLBracket | K::TLBrace)
            || !matches!(self.kind(close), K::TRParen | K::TRBracket | K::TRBrace)
            || close.is_missing()
        {
            return false;
        }
        let (start, end) = (open.end_byte(), close.start_byte());
        if start >= end {
            return true;
        }
        let range = Range {
            start_byte: start,
            end_byte: end,
            start_point: open.end_position(),
            end_point: close.start_position(),
        };
        let src = self.src;
        let Some(parser) = self.parser() else {
            return false;
        };
        if parser.set_included_ranges(&[range]).is_err() {
            let _ = parser.set_included_ranges(&[]);
            return false;
        }
        let tree = parser.parse(src, None);
        let _ = parser.set_included_ranges(&[]);
        let Some(tree) = tree else {
            return false;
        };
        let base = Ctx {
            kind: K::Other,
            chain: false,
            gen_base: self.generics.len(),
            locals_base: self.locals.len(),
            block: 0,
            errors: false,
            ..ctx
        };
        self.walk(tree.root_node(), base, depth.saturating_add(1));
        self.generics.truncate(base.gen_base);
        self.locals.truncate(base.locals_base);
        true
    }

    fn parser(&mut self) -> Option<&mut Parser> {
        match &mut self.parser {
            ParserSlot::Borrowed(p) => Some(&mut **p),
            ParserSlot::Lazy(slot) => {
                if slot.is_none() {
                    let mut p = Parser::new();
                    p.set_language(&tree_sitter_rust::LANGUAGE.into()).ok()?;
                    *slot = Some(p);
                }
                slot.as_mut()
            }
        }
    }

    /// The token tree's body starts like items (`pub`, `mod`, `use`, `fn`, `#[..]`, ...) or
    /// holds a top-level `mod` / `use`.
    pub(crate) fn looks_like_items(&self, tt: Node<'_>) -> bool {
        let mut cursor = tt.walk();
        let mut first = true;
        let count = tt.child_count();
        for (i, c) in tt.children(&mut cursor).enumerate() {
            if i == 0 || i + 1 == count as usize {
                continue; // delimiters
            }
            let k = self.kind(c);
            if matches!(k, K::LineComment | K::BlockComment) {
                continue;
            }
            let item_kw = matches!(k, K::KwMod | K::KwUse);
            if first {
                first = false;
                let starts_item = item_kw
                    || matches!(
                        k,
                        K::THash
                            | K::KwPub
                            | K::KwFn
                            | K::KwStruct
                            | K::KwEnum
                            | K::KwUnion
                            | K::KwImpl
                            | K::KwTrait
                            | K::KwType
                            | K::KwConst
                            | K::KwStatic
                            | K::KwExtern
                            | K::KwUnsafe
                            | K::KwAsync
                    )
                    || (k == K::Identifier && node_bytes(self.src, c) == b"macro_rules");
                if starts_item {
                    return true;
                }
            } else if item_kw {
                return true;
            }
        }
        false
    }
}

/// Whether a node of this kind, directly in a block, declares a name in the block's scope.
fn declares_names(k: K) -> bool {
    matches!(
        k,
        K::UseDeclaration
            | K::ExternCrate
            | K::FunctionItem
            | K::StructItem
            | K::EnumItem
            | K::UnionItem
            | K::TraitItem
            | K::TypeItem
            | K::ConstItem
            | K::StaticItem
            | K::ModItem
            | K::MacroDefinition
    )
}

/// The first argument of an `arguments` node.
fn first_argument(args: Node<'_>, src: &[u8]) -> Option<Arg> {
    let mut cursor = args.walk();
    let first = args.named_children(&mut cursor).find(|n| {
        !matches!(
            n.kind(),
            "line_comment" | "block_comment" | "attribute_item"
        )
    })?;
    Some(literal_or_other(first, src))
}

/// The first comma-separated argument of a token tree: a literal only when the string is
/// the whole argument (`env!("X")`, `var("X")`), not `concat!("X", ..)`.
pub(crate) fn first_token_argument(tt: Node<'_>, src: &[u8]) -> Option<Arg> {
    // Only the first four tokens (comments aside) decide: the opening delimiter, the first
    // argument, what follows it and whether that is the closing delimiter. A macro's token
    // tree can hold thousands of tokens: the scan reads them all once, this must not.
    let mut cursor = tt.walk();
    let mut toks: [Option<Node<'_>>; 4] = [None; 4];
    let mut n = 0;
    if cursor.goto_first_child() {
        loop {
            let c = cursor.node();
            if !matches!(c.kind(), "line_comment" | "block_comment") {
                toks[n] = Some(c);
                n += 1;
                if n == toks.len() {
                    break;
                }
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    // toks[0] is the opening delimiter; the last token is the closing one.
    let [_, Some(first), Some(after), fourth] = toks else {
        return None;
    };
    let ends_there = fourth.is_none() || after.kind() == ",";
    if ends_there {
        Some(literal_or_other(first, src))
    } else {
        Some(Arg::Other)
    }
}

fn literal_or_other(node: Node<'_>, src: &[u8]) -> Arg {
    if node.kind() != "string_literal" {
        return Arg::Other;
    }
    let mut cursor = node.walk();
    let content: String = node
        .children(&mut cursor)
        .filter(|c| matches!(c.kind(), "string_content" | "escape_sequence"))
        .map(|c| node_text(src, c))
        .collect();
    Arg::Literal(content.into())
}
