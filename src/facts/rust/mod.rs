//! Rust fact extraction with tree-sitter: one parse, one cursor walk per file. (stub)
use super::model::FileFacts;

/// A parser set up for Rust.
pub fn parser() -> tree_sitter::Parser {
    let mut parser = tree_sitter::Parser::new();
    // The grammar is compiled into ribo; a version mismatch is a build bug, not user input.
    #[allow(clippy::expect_used)]
    parser
        .set_language(&tree_sitter_rust::LANGUAGE.into())
        .expect("tree-sitter-rust grammar is compatible with the tree-sitter core");
    parser
}

/// Parses and extracts the facts of one file.
pub fn extract(
    parser: &mut tree_sitter::Parser,
    source: &[u8],
) -> Option<(tree_sitter::Tree, FileFacts)> {
    let tree = parser.parse(source, None)?;
    Some((tree, FileFacts::default()))
}
