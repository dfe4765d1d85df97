//! Property tests of the Rust fact extractor (`ribo::facts::rust::extract`) on arbitrary
//! bytes, on Rust token soup and on mutated real sources (the fixtures' and ribo's own), and
//! of the whole check (walk, parse, graph, rules with a tree-sitter query, both report formats)
//! on mutated sources.
//! Nothing panics, and every recorded span lies inside the source. `PROPTEST_CASES` sets the
//! number of cases.

mod fuzz;

use proptest::prelude::*;
use ribo::facts::model::{FileFacts, Span};

/// Rust pieces the soup is made of: items, paths, macros, attributes, nesting, ribo
/// directives, and the bodies of item-position macros that the extractor re-parses.
const TOKENS: &[&str] = &[
    "fn ",
    "pub ",
    "mod ",
    "use ",
    "crate",
    "self",
    "super",
    "::",
    "::*",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    ";",
    ",",
    " as ",
    "impl ",
    "trait ",
    "struct ",
    "enum ",
    "unsafe ",
    "async ",
    "extern crate ",
    "#[cfg(test)]",
    "#[path = \"x.rs\"]",
    "#![doc = \"x\"]",
    "//! doc\n",
    "/// doc\n",
    "// ribo: allow(invariant::x) -- why\n",
    "/* ",
    " */",
    "macro_rules! m ",
    "cfg_if! ",
    "m!",
    "vec!",
    "println!",
    "format!(",
    "\"s\"",
    "r#\"raw\"#",
    "'c'",
    "'a ",
    "1",
    "x",
    "a::b::c",
    "std::env::var(\"X\")",
    ".unwrap()",
    ".expect(\"e\")",
    "?",
    "=>",
    "->",
    "=",
    "let ",
    "match ",
    "if ",
    "else ",
    "loop ",
    "|x| ",
    "&",
    "*",
    "where ",
    "dyn ",
    "\n",
    " ",
    "\t",
    "\r\n",
    "é",
    "\u{0}",
];

fn within(span: &Span, len: usize) -> bool {
    span.start <= span.end && (span.end as usize) <= len && span.line >= 1 && span.col >= 1
}

/// Every span the facts record, with what it belongs to.
fn spans(f: &FileFacts) -> Vec<(&'static str, Span)> {
    let mut all = Vec::new();
    all.extend(f.scopes.iter().map(|x| ("scope", x.span)));
    all.extend(f.mods.iter().map(|x| ("mod", x.span)));
    all.extend(f.uses.iter().map(|x| ("use", x.span)));
    all.extend(f.refs.iter().map(|x| ("ref", x.span)));
    all.extend(f.calls.iter().map(|x| ("call", x.span)));
    all.extend(f.macros.iter().map(|x| ("macro", x.span)));
    all.extend(f.unsafe_sites.iter().map(|x| ("unsafe", x.span)));
    all.extend(f.attrs.iter().map(|x| ("attr", x.span)));
    all.extend(f.items.iter().map(|x| ("item", x.span)));
    all.extend(f.items.iter().map(|x| ("item body", x.item_span)));
    all.extend(f.directives.iter().map(|x| ("directive", x.span)));
    all.extend(f.syntax_errors.iter().map(|x| ("syntax error", *x)));
    all
}

fn check_extract(source: &[u8]) -> Result<(), TestCaseError> {
    let mut parser = ribo::facts::rust::parser();
    let Some((_tree, facts)) = ribo::facts::rust::extract(&mut parser, source) else {
        return Err(TestCaseError::fail("tree-sitter returned no tree"));
    };
    for (what, span) in spans(&facts) {
        prop_assert!(
            within(&span, source.len()),
            "{what} span {span:?} outside a source of {} bytes",
            source.len()
        );
    }
    // The parser is reused for the next file: it must be left clean.
    let again = ribo::facts::rust::extract(&mut parser, source).map(|(_, f)| f);
    prop_assert_eq!(again.as_ref(), Some(&facts), "a second parse differs");
    Ok(())
}

fn sources() -> Vec<Vec<u8>> {
    fuzz::corpus(&["tests/fixtures", "examples", "src"], "rs")
}

proptest! {
    #![proptest_config(fuzz::config(fuzz::DEFAULT_CASES))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_extract(&bytes)?;
    }

    #[test]
    fn rust_token_soup(bytes in fuzz::token_soup(TOKENS, 400)) {
        check_extract(&bytes)?;
    }

    #[test]
    fn mutated_real_sources(
        pick in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(fuzz::mutation(TOKENS), 1..8),
    ) {
        let sources = sources();
        let original = pick.get(&sources).clone();
        check_extract(&fuzz::mutate(original, &mutations))?;
    }
}

/// A repository whose `src/lib.rs` is replaced by each case, checked end to end.
fn check_repo(lib: &[u8], format: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let root = dir.path();
    let write = |rel: &str, bytes: &[u8]| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap_or(root))?;
        std::fs::write(path, bytes)
    };
    let spec = "version: 1\nsystem: { name: fuzz }\nboundaries:\n  \
                core: { paths: [\"src/lib.rs\"], may_use: [], crates: [std] }\n  \
                rest: { paths: [\"src/**\"], interface: [\"src/a.rs\"] }\n\
                layers: [rest, core]\n\
                invariants:\n  - id: no-unwrap\n    forbid: { calls: [unwrap], macros: [println], unsafe: true }\n  \
                - id: documented\n    require: { items: pub fn, doc: true }\n  \
                - id: nested-calls\n    forbid: { query: \"(call_expression (arguments (call_expression) @violation))\" }\n\
                contracts:\n  - id: env\n    env: [HOME]\n";
    let io = |e: std::io::Error| TestCaseError::fail(e.to_string());
    write("ribo.yaml", spec.as_bytes()).map_err(io)?;
    write(
        "Cargo.toml",
        b"[package]\nname = \"fuzz\"\nversion = \"0.1.0\"\n",
    )
    .map_err(io)?;
    write("src/a.rs", b"pub fn a() {}\npub mod b;\n").map_err(io)?;
    write("src/a/b.rs", b"use crate::a;\n").map_err(io)?;
    write("src/lib.rs", lib).map_err(io)?;
    let root_arg = root.to_string_lossy().into_owned();
    let cli = <ribo::cli::Cli as clap::Parser>::try_parse_from([
        "ribo",
        "check",
        root_arg.as_str(),
        "--format",
        format,
        "--color",
        "never",
    ])
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = ribo::run(cli, &mut out, &mut err);
    prop_assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&err)
    );
    prop_assert!(!out.is_empty());
    Ok(())
}

proptest! {
    // End to end is slower: a quarter of the cases.
    #![proptest_config(fuzz::config(fuzz::DEFAULT_CASES / 4))]

    #[test]
    fn whole_check_on_mutated_sources(
        pick in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(fuzz::mutation(TOKENS), 1..8),
        json in any::<bool>(),
    ) {
        let sources = sources();
        let original = pick.get(&sources).clone();
        let format = if json { "json" } else { "human" };
        check_repo(&fuzz::mutate(original, &mutations), format)?;
    }
}
