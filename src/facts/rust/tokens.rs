//! Macro token trees: tree-sitter does not parse the code inside `name!(..)`, so paths,
//! calls and nested macros are recognised from the token sequence.
//!
//! * `a::b::c` (also `::a`, `crate::`, `self::`, `super::`, `$crate::`, turbofish skipped)
//!   is a path: a `MacroTokens` ref when it has two segments or more;
//! * a path followed by a `( .. )` tree is a call, `. name ( .. )` a method call;
//! * a path followed by `!` and a tree is a macro invocation, whose tree is scanned too;
//! * `unsafe { .. }` is an unsafe block;
//! * after `#[cfg(test)]` (or `#[test]`, `#[cfg(doctest)]`), everything up to the end of the
//!   next item (its `{ .. }` body or its `;`) is test code.
//!
//! A path led by a metavariable or a repetition (`$x::new`, `$($f)*::new`) is not a path: what
//! it names is known only where the macro is used. String literals and comments are separate
//! nodes, so their text never looks like a path. In the tokens of a quoting macro (`quote!`),
//! only paths are read, as `Quoted` references (`#var` interpolations are not paths).

use super::kinds::K;
use super::text::{cfg_implies_test, node_bytes, node_ident_inline};
use super::walker::{Ctx, Extractor, Seg};
use crate::facts::model::{CallFact, Callee, MacroFact, RefFact, RefKind, UnsafeFact, UnsafeKind};
use tree_sitter::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A macro invocation's (or `macro_rules!` transcriber's) tokens.
    Macro,
    /// An attribute's arguments: paths only, as `Attribute` refs.
    Attribute,
    /// A quoting macro's tokens (`quote!`): paths only, as `Quoted` refs.
    Quoted,
}

type Tok<'t> = (Node<'t>, K);

/// A token tree waiting to be scanned: the tree, whether calls and macros count in it,
/// whether it is the top-level tree of the scan, and whether it is test code.
type Work<'t> = (Node<'t>, bool, bool, bool);

fn kind_at(toks: &[Tok<'_>], i: usize) -> Option<K> {
    toks.get(i).map(|t| t.1)
}

/// After `<` at `i`: the index just past the matching `>`.
fn skip_angles(toks: &[Tok<'_>], i: usize) -> Option<usize> {
    let mut depth: i64 = 0;
    let mut idx = i;
    while let Some(k) = kind_at(toks, idx) {
        match k {
            K::TLt => depth += 1,
            K::TShl => depth += 2,
            K::TGt => depth -= 1,
            K::TShr => depth -= 2,
            K::TSemi | K::TBang => return None,
            _ => {}
        }
        idx += 1;
        if depth <= 0 {
            return Some(idx);
        }
    }
    None
}

/// Tokens after which `::` continues something rather than starting a global path.
fn ends_path(k: Option<K>) -> bool {
    matches!(
        k,
        Some(
            K::Identifier
                | K::TGt
                | K::TShr
                | K::TokenTree
                | K::SelfKw
                | K::SuperKw
                | K::CrateKw
                | K::Metavariable
                | K::PrimitiveType
                | K::TokenRepetition
                | K::TDollar
        )
    )
}

/// Whether scanning a token tree whose text is `text` can record anything. Every fact the scan
/// records needs one of a few bytes inside the tree's delimiters: a path its `::`, a comment
/// its directive's `ribo:` (other comments record nothing here), and in a macro also a call its
/// arguments' `(`, a nested macro its `!`, an item group its `{` (an attribute's arguments
/// record paths and directives only). Walking a tree token by token costs about a thousand
/// instructions a token (each token sits below hidden nodes that the cursor climbs in and out
/// of): trees without any of these bytes (`#[derive(Debug, Clone)]`, `vec![a, b]`) are not
/// walked. Such a byte inside a string literal only costs the walk.
pub(crate) fn may_record(text: &[u8], mode: Mode) -> bool {
    // Without the opening delimiter, and the closing one when it is there (a tree cut short
    // by a syntax error has none).
    let inner = match text {
        [_, inner @ .., b')' | b']' | b'}'] => inner,
        [_, inner @ ..] => inner,
        [] => return false,
    };
    match mode {
        Mode::Attribute | Mode::Quoted => inner.contains(&b':'),
        Mode::Macro => inner
            .iter()
            .any(|&b| matches!(b, b':' | b'(' | b'!' | b'{')),
    }
}

impl<'s> Extractor<'s, '_, '_> {
    /// Whether a token is a contextual keyword, an identifier to rustc that tree-sitter reads as
    /// a keyword in a token tree (`default` in `core::default::Default`).
    fn is_word(&self, n: Node<'_>) -> bool {
        matches!(
            node_bytes(self.src, n),
            b"default" | b"union" | b"auto" | b"raw" | b"safe" | b"macro_rules"
        )
    }

    fn is_paren_tree(&self, tok: Option<&Tok<'_>>) -> bool {
        match tok {
            Some((n, K::TokenTree)) => n.child(0).is_some_and(|c| self.kind(c) == K::TLParen),
            _ => false,
        }
    }

    /// Scans a token tree and the trees nested in it. With `item_groups`, top-level `{ .. }`
    /// groups that look like items (`cfg_if! { if #[cfg(x)] { mod a; } }`) are re-parsed.
    pub(crate) fn scan(
        &mut self,
        tt: Node<'_>,
        ctx: Ctx,
        mode: Mode,
        item_groups: bool,
        depth: u32,
    ) {
        if !may_record(node_bytes(self.src, tt), mode) {
            return;
        }
        let mut work: Vec<Work<'_>> = vec![(tt, mode == Mode::Macro, true, ctx.test)];
        let mut toks: Vec<Tok<'_>> = Vec::new();
        let mut groups: Vec<(Node<'_>, bool)> = Vec::new();
        let mut cursor = tt.walk();
        while let Some((t, calls, top, test)) = work.pop() {
            toks.clear();
            for c in t.children(&mut cursor) {
                let k = self.kind(c);
                match k {
                    K::LineComment | K::BlockComment => self.comment(c, k, None),
                    _ => toks.push((c, k)),
                }
            }
            let level = Ctx { test, ..ctx };
            self.scan_level(
                &toks,
                level,
                mode,
                calls,
                top && item_groups,
                &mut work,
                &mut groups,
            );
        }
        for (g, test) in groups {
            let at = Ctx { test, ..ctx };
            if !self.reparse(g, at, depth) {
                self.scan(g, at, mode, false, depth);
            }
        }
    }

    /// Whether the attribute whose `[..]` tree is `tree` (after a `#`) makes the next item test
    /// code: `#[test]`, `#[cfg(test)]`, `#[cfg(doctest)]` and the like.
    fn test_attribute(&self, tree: Node<'_>) -> bool {
        let text = node_bytes(self.src, tree);
        let Some(inner) = text.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")) else {
            return false;
        };
        let inner = inner.trim_ascii();
        if inner == b"test" || inner.ends_with(b"::test") {
            return true;
        }
        match inner.strip_prefix(b"cfg") {
            Some(args) => {
                let args = args.trim_ascii_start();
                args.starts_with(b"(") && cfg_implies_test(args)
            }
            None => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn scan_level<'t>(
        &mut self,
        toks: &[Tok<'t>],
        ctx: Ctx,
        mode: Mode,
        calls: bool,
        item_groups: bool,
        work: &mut Vec<Work<'t>>,
        groups: &mut Vec<(Node<'t>, bool)>,
    ) {
        let mut i = 0;
        // After a test attribute: test code up to the end of the next item.
        let mut test_item = false;
        while let Some(&(node, k)) = toks.get(i) {
            let here = Ctx {
                test: ctx.test || test_item,
                ..ctx
            };
            match k {
                K::TokenTree => {
                    let prev = i.checked_sub(1).and_then(|j| kind_at(toks, j));
                    let prev2 = i.checked_sub(2).and_then(|j| kind_at(toks, j));
                    let attribute = prev == Some(K::THash)
                        || (prev == Some(K::TBang) && prev2 == Some(K::THash));
                    let brace = node.child(0).is_some_and(|c| self.kind(c) == K::TLBrace);
                    if attribute && mode != Mode::Attribute && self.test_attribute(node) {
                        test_item = true;
                    }
                    if item_groups && brace && self.looks_like_items(node) {
                        groups.push((node, here.test));
                    } else {
                        work.push((node, calls && !attribute, false, here.test));
                    }
                    if brace && !attribute {
                        test_item = false;
                    }
                    i += 1;
                }
                K::TokenRepetition => {
                    work.push((node, calls, false, here.test));
                    i += 1;
                }
                K::TSemi => {
                    test_item = false;
                    i += 1;
                }
                K::KwUnsafe if calls => {
                    let block = toks.get(i + 1).is_some_and(|(n, k)| {
                        *k == K::TokenTree && n.child(0).is_some_and(|c| self.kind(c) == K::TLBrace)
                    });
                    if block {
                        self.facts.unsafe_sites.push(UnsafeFact {
                            kind: UnsafeKind::Block,
                            test: here.test,
                            span: self.sp.node(self.src, node),
                        });
                    }
                    i += 1;
                }
                _ => i = self.scan_at(toks, i, here, mode, calls).max(i + 1),
            }
        }
    }

    /// Reads the path (or method call) starting at token `i`; returns the index after it.
    fn scan_at(&mut self, toks: &[Tok<'_>], i: usize, ctx: Ctx, mode: Mode, calls: bool) -> usize {
        let src = self.src;
        let prev = i.checked_sub(1).and_then(|j| kind_at(toks, j));
        let Some(&(first, k)) = toks.get(i) else {
            return i + 1;
        };
        if prev == Some(K::TDot) {
            // `. name ( .. )` or `. name :: < .. > ( .. )`
            if k == K::Identifier && calls {
                let mut j = i + 1;
                if kind_at(toks, j) == Some(K::TColonColon) && kind_at(toks, j + 1) == Some(K::TLt)
                {
                    j = skip_angles(toks, j + 1).unwrap_or(j);
                }
                if self.is_paren_tree(toks.get(j)) {
                    self.facts.calls.push(CallFact {
                        scope: ctx.scope,
                        callee: Callee::Method(node_ident_inline(src, first)),
                        test: ctx.test,
                        in_macro: true,
                        local: false,
                        span: self.sp.node(self.src, first),
                        first_arg: toks
                            .get(j)
                            .and_then(|t| super::walker::first_token_argument(t.0, src)),
                    });
                }
            }
            return i + 1;
        }
        if prev == Some(K::TQuote) {
            return i + 1; // a lifetime or a label
        }
        if mode == Mode::Quoted && prev == Some(K::THash) {
            return i + 1; // `#var`: an interpolation in quoted tokens
        }
        let Some(end) = self.token_path(toks, i, prev) else {
            return i + 1;
        };
        let Some(&(last, _)) = end.checked_sub(1).and_then(|j| toks.get(j)) else {
            return i + 1;
        };
        let span = self.sp.join(self.src, first, last);
        let multi = self.seg.len() > 1 && !self.seg_is_generic();
        let next = kind_at(toks, end);
        if next == Some(K::TBang) && kind_at(toks, end + 1) == Some(K::TokenTree) {
            if calls {
                let path = self.seg_path();
                if self.macro_path_is_ref() {
                    self.facts.refs.push(RefFact {
                        scope: ctx.scope,
                        path: path.clone(),
                        kind: RefKind::MacroName,
                        test: ctx.test,
                        span,
                    });
                }
                let bang = toks.get(end).map_or(last, |t| t.0);
                self.facts.macros.push(MacroFact {
                    scope: ctx.scope,
                    path,
                    test: ctx.test,
                    span: self.sp.join(self.src, first, bang),
                    first_arg: toks
                        .get(end + 1)
                        .and_then(|t| super::walker::first_token_argument(t.0, src)),
                });
            }
            return end;
        }
        let is_call = calls
            && self.is_paren_tree(toks.get(end))
            && !matches!(
                prev,
                Some(
                    K::KwFn
                        | K::KwStruct
                        | K::KwEnum
                        | K::KwUnion
                        | K::KwTrait
                        | K::KwImpl
                        | K::KwMod
                        | K::KwType
                        | K::KwConst
                        | K::KwStatic
                )
            );
        if !multi && !is_call {
            return end;
        }
        let path = self.seg_path();
        if multi {
            let kind = match mode {
                Mode::Macro => RefKind::MacroTokens,
                Mode::Attribute => RefKind::Attribute,
                Mode::Quoted => RefKind::Quoted,
            };
            self.facts.refs.push(RefFact {
                scope: ctx.scope,
                path: path.clone(),
                kind,
                test: ctx.test,
                span,
            });
        }
        if is_call {
            let local = match self.seg.as_slice() {
                [Seg::Text(a, b)] => {
                    self.is_local(super::text::slice(self.src, *a, *b), ctx.locals_floor)
                }
                _ => false,
            };
            self.facts.calls.push(CallFact {
                scope: ctx.scope,
                callee: Callee::Path(path),
                test: ctx.test,
                in_macro: true,
                local,
                span,
                first_arg: toks
                    .get(end)
                    .and_then(|t| super::walker::first_token_argument(t.0, src)),
            });
        }
        end
    }

    /// Fills `self.seg` with the path starting at token `i`; returns the index after it.
    fn token_path(&mut self, toks: &[Tok<'_>], i: usize, prev: Option<K>) -> Option<usize> {
        self.seg.clear();
        let mut j = i;
        if kind_at(toks, j) == Some(K::TColonColon) {
            // After a word (`core::default::Default`: `default` is a keyword token in a token
            // tree), `::` goes on rather than starting a global path.
            let after_word = i
                .checked_sub(1)
                .and_then(|p| toks.get(p))
                .is_some_and(|(n, _)| self.is_word(*n));
            if ends_path(prev) || after_word {
                return None;
            }
            self.seg.push(Seg::Root);
            j += 1;
        }
        let &(n, k) = toks.get(j)?;
        match k {
            K::Identifier | K::SelfKw | K::SuperKw | K::CrateKw | K::PrimitiveType => {
                self.seg.push(Seg::Text(n.start_byte(), n.end_byte()));
                j += 1;
            }
            K::TDollar if kind_at(toks, j + 1) == Some(K::CrateKw) => {
                let end = toks.get(j + 1).map_or(n.end_byte(), |t| t.0.end_byte());
                self.seg.push(Seg::Text(n.start_byte(), end));
                j += 2;
            }
            K::Metavariable if node_bytes(self.src, n) == b"$crate" => {
                self.seg.push(Seg::Text(n.start_byte(), n.end_byte()));
                j += 1;
            }
            _ => return None,
        }
        while kind_at(toks, j) == Some(K::TColonColon) {
            match toks.get(j + 1) {
                Some(&(s, K::Identifier | K::SelfKw | K::SuperKw | K::CrateKw)) => {
                    self.seg.push(Seg::Text(s.start_byte(), s.end_byte()));
                    j += 2;
                }
                // A contextual keyword as a segment (`core::default::Default`).
                Some(&(s, K::Other)) if self.is_word(s) => {
                    self.seg.push(Seg::Text(s.start_byte(), s.end_byte()));
                    j += 2;
                }
                Some(&(_, K::TLt)) => match skip_angles(toks, j + 1) {
                    Some(after) => {
                        j = after;
                        if kind_at(toks, j) != Some(K::TColonColon) {
                            break;
                        }
                    }
                    None => break,
                },
                _ => break,
            }
        }
        Some(j)
    }
}
