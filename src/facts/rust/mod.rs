//! Rust fact extraction with tree-sitter: one parse, one cursor walk per file.
//!
//! The walk (`walker`) dispatches on node kind ids resolved once (`kinds`); macro token
//! trees are scanned token by token (`tokens`), and the bodies of item-position macros
//! (`cfg_rt! { pub mod runtime; }`) are re-parsed in place as items with the same parser.
//!
//! Nothing here panics on any input: invalid UTF-8 is read lossily, missing nodes are
//! skipped, and the walk keeps its own stack so deeply nested code cannot overflow ours.

mod kinds;
mod text;
mod tokens;
mod walker;

#[cfg(test)]
mod tests;

use super::model::FileFacts;
use tree_sitter::{Parser, Tree};

/// A parser set up for Rust.
pub fn parser() -> Parser {
    let mut parser = Parser::new();
    // The grammar is compiled into ribo; a version mismatch is a build bug, not user input.
    #[allow(clippy::expect_used)]
    parser
        .set_language(&tree_sitter_rust::LANGUAGE.into())
        .expect("tree-sitter-rust grammar is compatible with the tree-sitter core");
    parser
}

/// Parses `source` with `parser` (a Rust [`parser()`]) and extracts its facts.
///
/// The parser is also used to re-parse the bodies of item-position macros; its included
/// ranges are reset afterwards. `None` only when tree-sitter returns no tree (it was
/// cancelled or has no language).
pub fn extract(parser: &mut Parser, source: &[u8]) -> Option<(Tree, FileFacts)> {
    // A previous caller may have left included ranges behind.
    let _ = parser.set_included_ranges(&[]);
    let tree = parser.parse(source, None)?;
    let facts = walker::Extractor::new(source, Some(parser)).run(tree.root_node());
    Some((tree, facts))
}

/// Extracts the facts of a file already parsed into `tree` from `source`.
///
/// Item-position macro bodies are re-parsed with a parser created on first need; prefer
/// [`extract`] when a parser is at hand.
pub fn extract_tree(tree: &Tree, source: &[u8]) -> FileFacts {
    walker::Extractor::new(source, None).run(tree.root_node())
}
