//! Rust fact extraction with tree-sitter: one parse, one cursor walk per file. This part of
//! facts reads and parses one file into its facts ([`parse`]) with the hits of the spec's
//! queries ([`query`]) and its items' headers ([`header`]); it uses only `model`, the ground.
//!
//! The walk (`walker`) dispatches on node kind ids resolved once (`kinds`) and keeps its own
//! context stack (scope, test code, block / impl nesting, generic parameters in scope), so
//! deeply nested code cannot overflow the native stack. Paths, `use` trees and attributes
//! are read by small iterative helpers when the walk reaches them.
//!
//! Code inside macros is not parsed by tree-sitter:
//! * expression-, statement- and type-position macro token trees are scanned token by token
//!   (`tokens`): `a::b::c` paths (`MacroTokens` refs), calls `path(..)` / `.name(..)`
//!   (`in_macro: true`) and nested `name!(..)` invocations;
//! * item-position macros (directly in a file, inline module, impl, trait or extern block)
//!   whose body looks like items (`cfg_rt! { pub mod runtime; use crate::sync::Notify; }`)
//!   are re-parsed in place with the same parser (`Parser::set_included_ranges`, so positions
//!   are file positions) and walked like any other code: their facts are ordinary `Path` /
//!   `Use` facts with `in_macro: false`. Top-level `{ .. }` groups of other item-position
//!   macros are re-parsed the same way (`cfg_if! { if #[cfg(unix)] { mod unix; } }`). Syntax
//!   errors inside re-parsed bodies are not counted in `syntax_errors`; up to 8 such macros
//!   may nest;
//! * `macro_rules!` transcribers are token-scanned (their matchers are not), and
//!   `macro_rules!` itself is an item, not an invocation.
//!
//! Facts of each kind are in source order (sorted by start offset). Nothing here panics on
//! any input: invalid UTF-8 is read lossily, missing nodes are skipped.

pub mod header;
mod kinds;
pub mod parse;
pub mod query;
mod text;
mod tokens;
mod walker;

#[cfg(test)]
mod tests;

use crate::facts::model::FileFacts;
use tree_sitter::{Node, Parser, Tree};

/// A parser set up for Rust.
pub fn parser() -> Parser {
    let mut parser = Parser::new();
    // The grammar is compiled into ribo; a version mismatch is a build bug, not user input.
    #[allow(clippy::expect_used)]
    parser
        .set_language(&tree_sitter_rust::LANGUAGE.into())
        // ribo: allow(invariant::no-unwrap) -- the grammar is compiled in, not user input
        .expect("tree-sitter-rust grammar is compatible with the tree-sitter core");
    parser
}

/// Parses `source` with `parser` (a Rust [`parser()`]) and extracts its facts.
///
/// The parser is also used to re-parse the bodies of item-position macros; its included
/// ranges are reset afterwards. `None` only when tree-sitter returns no tree (it was
/// cancelled or has no language).
pub fn extract(parser: &mut Parser, source: &[u8]) -> Option<(Tree, FileFacts)> {
    extract_with(parser, source, None)
}

/// [`extract`], handing every node of the file's tree whose kind id is marked in `kinds` to
/// `on`, each once, during the same walk (subtrees the extraction skips are walked for it;
/// re-parsed macro bodies are not part of the file's tree and are not visited).
pub fn extract_visiting(
    parser: &mut Parser,
    source: &[u8],
    kinds: &[bool],
    skips: &[bool],
    on: &mut dyn FnMut(Node<'_>),
) -> Option<(Tree, FileFacts)> {
    extract_with(parser, source, Some(walker::Visit { kinds, skips, on }))
}

fn extract_with(
    parser: &mut Parser,
    source: &[u8],
    visit: Option<walker::Visit<'_>>,
) -> Option<(Tree, FileFacts)> {
    let cleaned;
    let source = if needs_cleaning(source) {
        let mut copy = source.to_vec();
        make_parseable(&mut copy);
        cleaned = copy;
        &cleaned[..]
    } else {
        source
    };
    // A previous caller may have left included ranges behind.
    let _ = parser.set_included_ranges(&[]);
    let tree = parser.parse(source, None)?;
    let mut facts = walker::Extractor::new(source, Some(parser))
        .visiting(visit)
        .run(tree.root_node());
    facts.inner_doc = starts_with_inner_doc(source);
    Some((tree, facts))
}

/// Extracts the facts of a file already parsed into `tree` from `source`.
///
/// Item-position macro bodies are re-parsed with a parser created on first need; prefer
/// [`extract`] when a parser is at hand.
pub fn extract_tree(tree: &Tree, source: &[u8]) -> FileFacts {
    walker::Extractor::new(source, None).run(tree.root_node())
}

/// Whether `source` holds a byte tree-sitter-rust does not take where Rust does: a form feed
/// (whitespace to rustc, an error to the grammar) or a NUL (valid in comments). Eight bytes at
/// a time: this runs over every byte of every file parsed.
fn needs_cleaning(source: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH != 0;
    let mut chunks = source.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let w = u64::from_le_bytes(b);
        if has_zero(w) || has_zero(w ^ (ONES * 0x0c)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b == 0 || b == 0x0c)
}

/// Replaces every form feed and NUL of `source` by a space (same length: every offset stays),
/// so that tree-sitter parses what rustc accepts. A NUL outside a comment or a literal is an
/// error either way; inside a string literal only its value changes.
pub fn make_parseable(source: &mut [u8]) {
    if needs_cleaning(source) {
        for b in source.iter_mut() {
            if *b == 0 || *b == 0x0c {
                *b = b' ';
            }
        }
    }
}

/// Does the file open (after whitespace, a shebang line and plain comments) with an inner doc
/// comment: `//!`, `/*!` or `#![doc`?
fn starts_with_inner_doc(source: &[u8]) -> bool {
    let mut rest = source;
    loop {
        while let Some((first, tail)) = rest.split_first() {
            if first.is_ascii_whitespace() {
                rest = tail;
            } else {
                break;
            }
        }
        if rest.starts_with(b"//!") || rest.starts_with(b"/*!") || rest.starts_with(b"#![doc") {
            return true;
        }
        let plain_line = rest.starts_with(b"//") && !rest.starts_with(b"///");
        if plain_line || rest.starts_with(b"#!") && !rest.starts_with(b"#![") {
            match rest.iter().position(|b| *b == b'\n') {
                Some(i) => rest = &rest[i + 1..],
                None => return false,
            }
            continue;
        }
        if rest.starts_with(b"#![") {
            // Other inner attributes (`#![allow(..)]`) may come before the docs.
            match rest.iter().position(|b| *b == b']') {
                Some(i) => rest = &rest[i + 1..],
                None => return false,
            }
            continue;
        }
        return false;
    }
}

#[cfg(test)]
mod inner_doc_tests {
    use super::{needs_cleaning, starts_with_inner_doc};

    #[test]
    fn form_feeds_and_nuls_are_found_wherever_they_are() {
        for len in 0..20 {
            assert!(!needs_cleaning(&vec![b'a'; len]));
            for at in 0..len {
                for bad in [0u8, 0x0c] {
                    let mut v = vec![b'a'; len];
                    v[at] = bad;
                    assert!(needs_cleaning(&v), "{len} {at} {bad}");
                }
            }
        }
        // Bytes near the two (0x0b, 0x0d, 0x8c, 0x01) are not them.
        assert!(!needs_cleaning(&[
            0x0b, 0x0d, 0x8c, 0x01, 0x80, 0xff, 0x0b, 0x0d, 0x8c
        ]));
    }

    #[test]
    fn inner_docs_are_seen_after_attributes_and_comments() {
        assert!(starts_with_inner_doc(b"//! The module.\n"));
        assert!(starts_with_inner_doc(
            b"\n// SPDX: MIT\n#![allow(x)]\n//! Docs\n"
        ));
        assert!(starts_with_inner_doc(b"/*! block */"));
        assert!(starts_with_inner_doc(
            b"#![doc = include_str!(\"README.md\")]"
        ));
        assert!(!starts_with_inner_doc(
            b"/// outer doc of the first item\nfn f() {}"
        ));
        assert!(!starts_with_inner_doc(b"fn f() {}\n//! too late"));
    }
}
