//! Every forbid and require kind, scoping, test code and suppressions, as a user sees them.

mod common;
use common::check_fixture;

#[test]
fn forbid_kinds_alias_method_path_macro_query_attribute() {
    check_fixture("invariants_forbid", "invariants-forbid");
}

#[test]
fn forbid_kinds_clean() {
    check_fixture("invariants_clean", "invariants-clean");
}

#[test]
fn test_code_skipped_unless_the_invariant_checks_it() {
    check_fixture("invariants_tests", "invariants-tests");
}

#[test]
fn require_attribute_and_doc() {
    check_fixture("invariants_require", "invariants-require");
}

#[test]
fn require_clean() {
    check_fixture("invariants_require_clean", "invariants-require-clean");
}

#[test]
fn suppressions_with_without_reason_unused_and_malformed() {
    check_fixture("suppressions", "suppressions");
}

#[test]
fn in_and_except_globs_that_match_nothing_are_drift() {
    check_fixture("invariants_unmatched_glob", "invariants-unmatched-glob");
}
