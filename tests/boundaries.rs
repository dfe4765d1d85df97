//! Every boundary code, on a violating fixture and its clean counterpart, as a user sees it.

mod common;
use common::check_fixture;

#[test]
fn forbidden_use_is_reported_at_each_reference() {
    check_fixture("forbidden_use", "forbidden-use");
}

#[test]
fn forbidden_use_clean() {
    check_fixture("forbidden_use_clean", "forbidden-use-clean");
}

#[test]
fn may_not_use_denies_a_boundary_with_the_same_code() {
    check_fixture("may_not_use", "may-not-use");
}

#[test]
fn may_not_use_clean() {
    check_fixture("may_not_use_clean", "may-not-use-clean");
}

#[test]
fn layer_upward_use_is_reported() {
    check_fixture("layer", "layer");
}

#[test]
fn layer_clean() {
    check_fixture("layer_clean", "layer-clean");
}

#[test]
fn private_use_past_interface_including_through_alias() {
    check_fixture("private_use", "private-use");
}

#[test]
fn private_use_clean() {
    check_fixture("private_use_clean", "private-use-clean");
}

#[test]
fn forbidden_crate_by_code_name_and_package_name() {
    check_fixture("forbidden_crate", "forbidden-crate");
}

#[test]
fn forbidden_crate_clean() {
    check_fixture("forbidden_crate_clean", "forbidden-crate-clean");
}

#[test]
fn cycles_each_reported_once_with_chain() {
    check_fixture("cycle", "cycle");
}

#[test]
fn cycle_clean() {
    check_fixture("cycle_clean", "cycle-clean");
}

#[test]
fn unassigned_file_is_reported_and_tests_are_skipped() {
    check_fixture("unassigned", "unassigned");
}

#[test]
fn unassigned_clean() {
    check_fixture("unassigned_clean", "unassigned-clean");
}

#[test]
fn unmatched_globs_are_drift() {
    check_fixture("unmatched_glob", "unmatched-glob");
}

#[test]
fn unmatched_glob_clean() {
    check_fixture("unmatched_glob_clean", "unmatched-glob-clean");
}

#[test]
fn unused_allowances_warn() {
    check_fixture("unused_allowance", "unused-allowance");
}

#[test]
fn unused_allowance_clean() {
    check_fixture("unused_allowance_clean", "unused-allowance-clean");
}

#[test]
fn most_specific_glob_wins() {
    check_fixture("overlap", "overlap");
}

#[test]
fn equally_specific_globs_are_a_spec_error() {
    check_fixture("overlap_tie", "overlap-tie");
}
