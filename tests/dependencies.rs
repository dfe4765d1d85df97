//! What counts as a dependency: every form of reference, workspaces, test code, bad input.

mod common;
use common::{check_fixture, fixture, settings, transcript};

#[test]
fn every_dependency_form_is_seen_and_comments_strings_are_not() {
    check_fixture("dependency_forms", "dependency-forms");
}

#[test]
fn dependency_forms_facts_json() {
    let text = transcript(&fixture("dependency-forms"), &["facts"]);
    settings().bind(|| insta::assert_snapshot!("dependency_forms_facts", text));
}

#[test]
fn workspace_members_resolve_by_package_name() {
    check_fixture("workspace", "workspace");
}

#[test]
fn workspace_facts_json() {
    let text = transcript(&fixture("workspace"), &["facts"]);
    settings().bind(|| insta::assert_snapshot!("workspace_facts", text));
}

#[test]
fn test_code_skipped_by_default() {
    check_fixture("tests_skip", "tests-skip");
}

#[test]
fn test_code_checked_when_asked() {
    check_fixture("tests_check", "tests-check");
}

#[test]
fn syntax_errors_non_utf8_and_missing_modules_warn_and_go_on() {
    check_fixture("input_problems", "input-problems");
}

#[test]
fn orphan_crate_root_owns_its_directory() {
    check_fixture("orphan_root", "orphan-root");
}

#[test]
fn names_from_glob_imports_are_followed_into_imports() {
    check_fixture("glob_imports", "glob-imports");
}
