//! The ground of the facts: their data, and what every other part of facts builds on. It
//! uses no other part.
//!
//! - the facts ribo extracts from one Rust file, before any resolution (here, with the
//!   file's [`Items`] in [`items`] and the [`Header`] of its pub items), and the matches of the
//!   spec's queries ([`QueryHit`]);
//! - the fact graph ([`graph`]): files, crates, modules and what every path resolved to;
//! - the Cargo packages ([`cargo`]), the files to check ([`walk`]), the warnings about the
//!   input ([`Warning`]), the work split over threads ([`par`]) and the build's progress
//!   counters ([`Progress`]).
//!
//! Everything here is independent of the spec: the extractor records what the code says,
//! and the graph builder and rules decide what it means.

pub mod cargo;
pub mod graph;
pub mod items;
pub mod overlay;
pub mod par;
pub mod source;
pub mod walk;

use std::sync::atomic::AtomicUsize;

use serde::{Deserialize, Serialize};

pub use items::Items;

/// Something ribo could not read or understand, with the path it concerns. Warnings never
/// stop a run; they are counted in the summary so nothing passes silently.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// Relative to the root, `/`-separated; empty when it concerns the root itself.
    pub path: String,
    pub message: String,
}

impl Warning {
    /// A warning about `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Warning {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Counters a caller can watch from another thread while `build` runs (the CLI draws a
/// progress bar from them; facts knows nothing about drawing). `files` is set once the walk
/// has found every Rust file; `parsed` counts the files parsed so far.
#[derive(Debug, Default)]
pub struct Progress {
    pub files: AtomicUsize,
    pub parsed: AtomicUsize,
}

/// A match of a user-written tree-sitter query (an invariant's `query:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueryHit {
    /// Index of the query in the list given to the build.
    pub query: u32,
    pub span: Span,
}

/// A location in a source file: byte range plus 1-based line and column (in characters) of
/// its start.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

/// The segments of a path written in the code (`a::b::c`), kept in one string: a fact graph
/// holds close to a million paths, and a `Vec<String>` per path cost about four times the
/// memory (and the allocations) of this. Up to 24 bytes (most paths) the string is held inline,
/// without an allocation: each of those cost a 32-byte heap block besides the box (a cold
/// run's peak was 63 MB of allocator overhead against 121 MB of data). Segments are never
/// empty; the leading `::` of a global path is the segment `"::"`.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Segs(InlineStr);

/// A short string held inline up to 24 bytes (no allocation): crate names, method names and
/// the like, of which a fact graph holds tens of thousands.
pub type InlineStr = compact_str::CompactString;

/// Separates segments inside [`Segs`] (a character no segment can hold).
const SEP: char = '\u{1f}';

/// [`SEP`], for code that reads a [`Segs`]'s text ([`Segs::as_str`]).
pub const SEGS_SEPARATOR: char = SEP;

// One byte in UTF-8, never part of another character's encoding: searched for as a byte.
const _: () = assert!(SEP.is_ascii());

/// The segments of a [`Segs`], from either end. Paths are short: a byte loop finds the
/// separator sooner than a general substring search does.
#[derive(Clone)]
pub struct SegsIter<'a> {
    /// What is left to split (`None`: nothing, not even an empty segment).
    rest: Option<&'a str>,
}

impl<'a> Iterator for SegsIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == SEP as u8) {
            Some(i) => {
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => self.rest.take(),
        }
    }
}

impl<'a> DoubleEndedIterator for SegsIter<'a> {
    fn next_back(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().rposition(|b| b == SEP as u8) {
            Some(i) => {
                self.rest = rest.get(..i);
                rest.get(i + 1..)
            }
            None => self.rest.take(),
        }
    }
}

impl Segs {
    /// A path from its segments.
    pub fn new<S: AsRef<str>>(segments: impl IntoIterator<Item = S>) -> Self {
        let mut out = InlineStr::const_new("");
        for (i, s) in segments.into_iter().enumerate() {
            if i > 0 {
                out.push(SEP);
            }
            out.push_str(s.as_ref());
        }
        out.shrink_to_fit();
        Segs(out)
    }

    /// The segments, in order.
    pub fn iter(&self) -> SegsIter<'_> {
        SegsIter {
            // "" would split into one empty piece; no segments is what it means.
            rest: (!self.0.is_empty()).then_some(&*self.0),
        }
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        if self.0.is_empty() {
            0
        } else {
            memchr::memchr_iter(SEP as u8, self.0.as_bytes()).count() + 1
        }
    }

    /// No segments.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first segment.
    pub fn first(&self) -> Option<&str> {
        self.iter().next()
    }

    /// The last segment.
    pub fn last(&self) -> Option<&str> {
        self.iter().next_back()
    }

    /// The segments as a vector of borrowed strings (for slice patterns and matching).
    pub fn to_vec(&self) -> Vec<&str> {
        self.iter().collect()
    }

    /// Calls `f` with the segments as a slice, held on the stack for paths of up to 16
    /// segments (resolution reads every path of every file as a slice: a vector each was an
    /// allocation per path).
    pub fn with_slice<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
        const ON_STACK: usize = 16;
        let mut buf = [""; ON_STACK];
        let mut n = 0;
        for seg in self.iter() {
            if n == ON_STACK {
                return f(&self.to_vec());
            }
            buf[n] = seg;
            n += 1;
        }
        f(&buf[..n])
    }

    /// The segments joined by [`SEGS_SEPARATOR`].
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments joined by `sep`.
    pub fn join(&self, sep: &str) -> String {
        self.0.replace(SEP, sep)
    }

    /// The path as written in Rust: `a::b`, `::std::process::exit` (the leading `"::"`
    /// segment is not doubled).
    pub fn display(&self) -> String {
        let joined = self.join("::");
        match joined.strip_prefix("::::") {
            Some(rest) => format!("::{rest}"),
            None => joined,
        }
    }
}

impl std::fmt::Debug for Segs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<String>> for Segs {
    fn from(v: Vec<String>) -> Self {
        Segs::new(v)
    }
}

/// A scope inside one file. Below [`BLOCK`]: a module scope, the index into
/// [`FileFacts::scopes`] (0 is the file itself, others are inline `mod name { ... }` blocks).
/// From [`BLOCK`] on: a block scope, `BLOCK | index` into [`FileFacts::blocks`].
pub type ScopeId = u32;

/// The tag of block scope ids (see [`ScopeId`]).
pub const BLOCK: ScopeId = 1 << 31;

/// Whether `scope` is a block scope.
pub fn is_block(scope: ScopeId) -> bool {
    scope & BLOCK != 0
}

/// A `{ .. }` block that declares items or `use`s of its own (a fn body, a closure's body, a
/// `const` block...): a scope whose names are visible in that block only. Blocks without
/// items or `use`s are not scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockFact {
    /// The enclosing scope (a module scope or another block).
    pub parent: ScopeId,
    pub span: Span,
}

/// A `macro_rules!` definition: its name is in textual scope after it (see the resolver).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacroDefFact {
    pub scope: ScopeId,
    pub name: String,
    /// `#[macro_export]`: also an item of the crate root (`crate::name!`).
    pub export: bool,
    /// The whole definition (the name is in scope after its end).
    pub span: Span,
}

/// A module scope inside a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeFact {
    /// `None` for the file's root scope (id 0).
    pub parent: Option<ScopeId>,
    /// The inline module's name (empty for the root scope).
    pub name: String,
    /// `#[path = "..."]` on the inline module, if any.
    pub path_attr: Option<String>,
    /// The module is under `#[cfg(test)]` (itself or an ancestor scope in this file).
    pub test: bool,
    /// Under `#[cfg(not(test))]`: absent from test builds.
    pub not_test: bool,
    /// `#[macro_use]`: the `macro_rules!` it defines stay in scope after it.
    pub macro_use: bool,
    pub span: Span,
}

/// `mod name;`: a module whose body is another file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModDeclFact {
    pub scope: ScopeId,
    pub name: String,
    pub path_attr: Option<String>,
    /// Under `#[cfg(test)]` (on the declaration or an enclosing scope).
    pub test: bool,
    /// Under `#[cfg(not(test))]`: absent from test builds.
    pub not_test: bool,
    /// `#[macro_use]`: the `macro_rules!` of its file stay in scope after the declaration.
    pub macro_use: bool,
    /// Paths given by `#[cfg_attr(.., path = "..")]`: each a cfg alternative of the module.
    pub path_alts: Vec<String>,
    pub public: bool,
    pub span: Span,
}

/// One leaf of a `use` declaration, flattened: `use a::{b, c::d as e, f::*};` gives
/// `a::b` (name `b`), `a::c::d` (name `e`), `a::f` (glob).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseFact {
    pub scope: ScopeId,
    /// Path segments as written; `self` leaves are folded (`a::{self}` gives `a`, name `a`).
    /// Leading `::` is kept as a `"::"` segment. `crate`, `self`, `super` are kept as written.
    pub path: Segs,
    /// The name the use binds; `None` for a glob and for `as _`.
    pub name: Option<String>,
    pub glob: bool,
    /// `pub use` (any `pub` visibility but `pub(self)`): a re-export.
    pub public: bool,
    pub test: bool,
    /// `extern crate name [as binding];` rather than a `use` (its path is the crate's name).
    pub extern_crate: bool,
    /// `#[macro_use] extern crate ..`: the crate's macros are in scope everywhere.
    pub macro_use: bool,
    /// The leaf's span (the whole path when the use has no group).
    pub span: Span,
}

/// Where a path reference was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    /// A `use` declaration leaf.
    Use,
    /// A qualified path in code: expression, type, pattern, bound, impl header.
    Path,
    /// A path inside a macro invocation's token tree.
    MacroTokens,
    /// A macro invoked by path: `crate::log!(..)`.
    MacroName,
    /// An attribute path or a path in attribute arguments: `#[tokio::main]`.
    Attribute,
    /// `extern crate name;`.
    ExternCrate,
    /// A path in the tokens of a macro that generates code for another crate (`quote!`,
    /// `quote_spanned!`, `parse_quote!`): not a dependency of this crate unless the spec opts
    /// in (`options.quoted: check`).
    Quoted,
}

/// A multi-segment path written in the code (`a::b::c`), or a `use` leaf, or `extern crate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefFact {
    pub scope: ScopeId,
    pub path: Segs,
    pub kind: RefKind,
    pub test: bool,
    pub span: Span,
}

/// What a call calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Callee {
    /// `receiver.name(...)`.
    Method(InlineStr),
    /// `a::b::name(...)` or `name(...)`: path segments as written.
    Path(Segs),
}

/// The first argument of a call or macro invocation, as far as env contracts need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arg {
    /// A plain string literal; the text between the quotes, escapes as written.
    Literal(InlineStr),
    /// Anything else (a variable, a call, `concat!(..)`...).
    Other,
}

/// A call: method call or path call, also inside macro token trees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFact {
    pub scope: ScopeId,
    pub callee: Callee,
    pub test: bool,
    /// In a macro's token tree rather than parsed code.
    pub in_macro: bool,
    /// The callee is one name bound locally (a parameter, a `let`, a closure parameter, a
    /// match or `if let` binding): a call of that value, not of an item of that name.
    pub local: bool,
    /// The callee's span (method name for a method call, path for a path call).
    pub span: Span,
    /// The first argument, when there is one.
    pub first_arg: Option<Arg>,
}

/// A macro invocation `name!(...)` / `a::b::name!{...}` (also nested in token trees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacroFact {
    pub scope: ScopeId,
    pub path: Segs,
    pub test: bool,
    /// Span of the macro path and the `!`.
    pub span: Span,
    /// The first token-level argument (`env!("X")` gives `Literal("X")`).
    pub first_arg: Option<Arg>,
}

/// The kinds of unsafe code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnsafeKind {
    Block,
    Fn,
    Impl,
    Trait,
}

/// An `unsafe` block, fn, impl or trait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsafeFact {
    pub kind: UnsafeKind,
    pub test: bool,
    /// Span of the `unsafe` keyword.
    pub span: Span,
}

/// An attribute, outer (`#[..]`) or inner (`#![..]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttrFact {
    /// The attribute path: `allow`, `tokio::main`, `cfg`.
    pub path: Segs,
    /// The whole attribute content without `#[`/`]` and whitespace: `allow(clippy::unwrap_used)`.
    pub text: String,
    pub inner: bool,
    pub test: bool,
    pub span: Span,
}

/// The kinds of items ribo records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKindFact {
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

/// An item's visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Visibility {
    /// No `pub`, or `pub(self)`.
    Private,
    /// `pub`
    Public,
    /// `pub(crate)`, `pub(super)`, `pub(in path)`
    Restricted,
}

/// An item defined in the file (also items nested in fn bodies and impl/trait blocks, which
/// have `in_block` / `assoc` set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFact {
    pub scope: ScopeId,
    pub kind: ItemKindFact,
    /// Empty for impls.
    pub name: String,
    pub visibility: Visibility,
    pub is_async: bool,
    pub is_unsafe: bool,
    pub has_doc: bool,
    /// Paths of the attributes on the item, each joined with `::` (`derive`,
    /// `tracing::instrument`), in one allocation (items are decoded for every file on every
    /// run: a `Vec<String>` here was an allocation per attribute).
    pub attrs: Segs,
    /// Declared inside a fn body / block (not visible at module level).
    pub in_block: bool,
    /// An associated item inside an `impl` or `trait` block.
    pub assoc: bool,
    pub test: bool,
    /// Span of the item's name (of the `impl` keyword for impls).
    pub span: Span,
    /// Span of the whole item, attributes excluded.
    pub item_span: Span,
    /// Normalised header, for pub module-level items (contract exports).
    pub header: Option<Box<Header>>,
}

/// The comparable shape of an item (see `rust::header`, which normalises it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub kind: ItemKindFact,
    pub name: String,
    /// Normalised tokens of the header (in one allocation: headers are decoded for every
    /// pub item of every file on every run).
    pub tokens: Segs,
    /// The header as one line of text (tokens joined for display).
    pub text: String,
    /// Struct fields (`None` when the declaration lists none): pub fields only for code,
    /// every listed field for a declaration. Name and type tokens joined.
    pub fields: Option<Vec<(String, String)>>,
    /// Enum variant names (`None` when the declaration lists none).
    pub variants: Option<Vec<String>>,
}

/// A `// ribo: ...` comment (the only comments ribo keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectiveFact {
    /// Text after `ribo:`, trimmed.
    pub text: String,
    /// The comment is the only thing on its line (it applies to the next line).
    pub own_line: bool,
    /// The lines (first, last; 1-based) of the syntax node it applies to: the statement,
    /// item (with its attributes) or `use` that starts on the next line (own line) or on its
    /// line (at the end of a line). `None`: just the line.
    pub covers: Option<(u32, u32)>,
    /// Written in a doc comment (`/// ribo: ..`): not a directive (malformed).
    pub doc: bool,
    pub span: Span,
}

/// Everything extracted from one file in a single parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Scope 0 is the file; one more per inline `mod x { }`.
    pub scopes: Vec<ScopeFact>,
    /// Blocks with items or `use`s of their own (scope ids `BLOCK | index`).
    pub blocks: Vec<BlockFact>,
    pub mods: Vec<ModDeclFact>,
    /// `macro_rules!` definitions.
    pub macro_defs: Vec<MacroDefFact>,
    pub uses: Vec<UseFact>,
    pub refs: Vec<RefFact>,
    pub calls: Vec<CallFact>,
    pub macros: Vec<MacroFact>,
    pub unsafe_sites: Vec<UnsafeFact>,
    pub attrs: Vec<AttrFact>,
    /// Decoded from the cache on first read (see [`Items`]).
    pub items: Items,
    pub directives: Vec<DirectiveFact>,
    /// Number of lines in the file.
    pub lines: u32,
    /// The file starts with an inner doc comment (`//!`, `/*!`, `#![doc`): the module's doc.
    pub inner_doc: bool,
    /// Syntax errors tree-sitter recovered from: the first few spans.
    pub syntax_errors: Vec<Span>,
    /// Total number of ERROR/MISSING nodes.
    pub syntax_error_count: u32,
}

impl FileFacts {
    /// Gives back the slack of every list: facts live for the whole run, for every file, so
    /// growth capacity would cost up to as much memory again.
    pub fn shrink(&mut self) {
        self.scopes.shrink_to_fit();
        self.blocks.shrink_to_fit();
        self.macro_defs.shrink_to_fit();
        self.mods.shrink_to_fit();
        self.uses.shrink_to_fit();
        self.refs.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.macros.shrink_to_fit();
        self.unsafe_sites.shrink_to_fit();
        self.attrs.shrink_to_fit();
        self.items.shrink();
        self.directives.shrink_to_fit();
        self.syntax_errors.shrink_to_fit();
    }
}

impl FileFacts {
    /// The module scope `scope` belongs to: itself for a module scope, the nearest enclosing
    /// module scope for a block (0 when the chain is broken).
    pub fn module_scope(&self, scope: ScopeId) -> ScopeId {
        let mut s = scope;
        // Parents are recorded before their children: the chain is finite, but bound it
        // anyway against a corrupt cache.
        for _ in 0..=self.blocks.len() {
            if !is_block(s) {
                return s;
            }
            match self.blocks.get((s & !BLOCK) as usize) {
                Some(b) => s = b.parent,
                None => return 0,
            }
        }
        0
    }

    /// The parent of a scope (block or module scope) inside the file; `None` for the file's
    /// root scope.
    pub fn parent_scope(&self, scope: ScopeId) -> Option<ScopeId> {
        if is_block(scope) {
            self.blocks.get((scope & !BLOCK) as usize).map(|b| b.parent)
        } else {
            self.scopes.get(scope as usize).and_then(|s| s.parent)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Segs;

    #[test]
    fn segs_behave_like_the_segment_list() {
        let p = Segs::new(["::", "std", "fmt"]);
        assert_eq!(p.len(), 3);
        assert_eq!(p.to_vec(), ["::", "std", "fmt"]);
        assert_eq!((p.first(), p.last()), (Some("::"), Some("fmt")));
        assert_eq!(p.join("::"), "::::std::fmt");
        assert_eq!(format!("{p:?}"), r#"["::", "std", "fmt"]"#);
        assert_eq!(p.iter().rev().collect::<Vec<_>>(), ["fmt", "std", "::"]);
        // From both ends at once, each segment once; non-ASCII segments whole.
        let mut it = p.iter();
        assert_eq!((it.next(), it.next_back()), (Some("::"), Some("fmt")));
        assert_eq!((it.next_back(), it.next()), (Some("std"), None));
        let accents = Segs::new(["é", "ü"]);
        assert_eq!(accents.to_vec(), ["é", "ü"]);

        let empty = Segs::new(Vec::<String>::new());
        assert!(empty.is_empty());
        assert_eq!(empty.len(), 0);
        assert_eq!(empty.iter().count(), 0);
        assert_eq!((empty.first(), empty.last()), (None, None));

        let one = Segs::from(vec!["unwrap".to_owned()]);
        assert_eq!(
            (one.len(), one.first(), one.last()),
            (1, Some("unwrap"), Some("unwrap"))
        );

        // As a slice, on the stack or (past 16 segments) not.
        for n in [0, 1, 15, 16, 17, 40] {
            let segs: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
            let p = Segs::new(&segs);
            assert_eq!(p.with_slice(|s| s.join("/")), segs.join("/"), "{n}");
            assert_eq!(p.with_slice(|s| s.len()), n);
        }
    }

    /// Paths order as their segment lists do (the separator sorts before any character a
    /// segment holds), so sorted facts keep the order they had as `Vec<String>`.
    #[test]
    fn segs_order_as_segment_lists() {
        let lists: [&[&str]; 5] = [&["a"], &["a", "b"], &["ab"], &["a", "b", "c"], &["b"]];
        for x in lists {
            for y in lists {
                assert_eq!(Segs::new(x).cmp(&Segs::new(y)), x.cmp(y), "{x:?} vs {y:?}");
            }
        }
    }
}
