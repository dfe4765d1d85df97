//! Property tests of the spec loader: `ribo::spec::load_bytes` on arbitrary bytes, on YAML
//! token soup, and on mutated real specs (every `ribo.yaml` of the fixtures, the example and
//! ribo's own). It never panics, every error's span lies inside the source on character
//! boundaries, and every error renders. `PROPTEST_CASES` sets the number of cases.

mod fuzz;

use std::path::PathBuf;

use proptest::prelude::*;
use ribo::report::Style;
use ribo::spec::{load_bytes, LoadError};

/// YAML and spec-format pieces the soup is made of.
const TOKENS: &[&str] = &[
    "version",
    "1",
    "2",
    "system",
    "name",
    "intent",
    "root",
    "exclude",
    "options",
    "unassigned",
    "cycles",
    "tests",
    "boundaries",
    "paths",
    "may_use",
    "crates",
    "interface",
    "layers",
    "invariants",
    "id",
    "message",
    "severity",
    "forbid",
    "require",
    "calls",
    "macros",
    "unsafe",
    "query",
    "in",
    "except",
    "contracts",
    "module",
    "exports",
    "crate",
    "only_from",
    "env",
    "exhaustive",
    "domain",
    "infra",
    "src/**",
    "../**",
    "/abs/**",
    "[",
    "]",
    "{",
    "}",
    ":",
    ": ",
    ", ",
    "- ",
    "\n",
    "\n  ",
    "\n    ",
    "  ",
    "\t",
    "\r\n",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "!tag ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "~",
    "null",
    "true",
    "error",
    "warn",
    "allow",
    "skip",
    "check",
    "\u{feff}",
    "é",
    "fn f(x: u8) -> u8",
    "(call_expression) @violation",
];

fn spec_path() -> PathBuf {
    // A real directory, so that `system.root` resolution touches the file system as it does
    // for a user's spec.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspace/ribo.yaml")
}

/// Loads `bytes`; an invalid spec must have located, renderable errors.
fn check_load(bytes: &[u8]) -> Result<(), TestCaseError> {
    match load_bytes(&spec_path(), bytes) {
        Ok(spec) => {
            prop_assert!(!spec.system.name.value.is_empty());
        }
        Err(LoadError::Io { error, .. }) => {
            return Err(TestCaseError::fail(format!(
                "unexpected I/O error: {error}"
            )));
        }
        Err(LoadError::Invalid(errors)) => {
            prop_assert!(!errors.errors.is_empty(), "invalid without an error");
            for e in &errors.errors {
                let source = &errors.source;
                prop_assert!(
                    e.span.start <= e.span.end && e.span.end <= source.len(),
                    "{}: span {:?} outside a source of {} bytes",
                    e.code,
                    e.span,
                    source.len()
                );
                prop_assert!(
                    source.is_char_boundary(e.span.start) && source.is_char_boundary(e.span.end),
                    "{}: span {:?} splits a character",
                    e.code,
                    e.span
                );
                prop_assert!(e.code.starts_with("spec::"), "code {}", e.code);
                prop_assert!(!e.message.is_empty());
            }
            let mut out = Vec::new();
            ribo::report::human::write_spec_errors(
                &mut out,
                &errors,
                "ribo.yaml",
                Style::default(),
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(!out.is_empty());
        }
    }
    Ok(())
}

fn specs() -> Vec<Vec<u8>> {
    fuzz::corpus(&["tests/fixtures", "examples", "specs"], "yaml")
}

proptest! {
    #![proptest_config(fuzz::config(fuzz::DEFAULT_CASES))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_load(&bytes)?;
    }

    #[test]
    fn yaml_token_soup(bytes in fuzz::token_soup(TOKENS, 300)) {
        check_load(&bytes)?;
    }

    #[test]
    fn mutated_real_specs(
        pick in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(fuzz::mutation(TOKENS), 1..8),
    ) {
        let specs = specs();
        let original = pick.get(&specs).clone();
        check_load(&fuzz::mutate(original, &mutations))?;
    }
}

#[test]
fn the_corpus_loads_and_most_of_it_is_valid() {
    // The mutations start from real specs: most of them must be valid, or the property
    // above would only ever test error paths.
    let specs = specs();
    let valid = specs
        .iter()
        .filter(|s| load_bytes(&spec_path(), s).is_ok())
        .count();
    assert!(
        valid * 2 > specs.len(),
        "{valid} of {} specs are valid",
        specs.len()
    );
}
