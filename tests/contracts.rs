//! Contracts: exports (both ways), external crates, environment, and `contract snapshot`.

mod common;
use common::{check_fixture, fixture, settings, transcript};

#[test]
fn exports_missing_drifted_undeclared_reexported_generic_pub_crate() {
    check_fixture("contracts_exports", "contracts-exports");
}

#[test]
fn exports_clean_ignores_whitespace_and_trailing_commas() {
    check_fixture("contracts_exports_clean", "contracts-exports-clean");
}

#[test]
fn a_declaration_that_does_not_parse_is_a_spec_error() {
    check_fixture("contracts_bad_declaration", "contracts-bad-declaration");
}

#[test]
fn a_contract_about_a_module_or_file_that_is_gone_is_drift() {
    check_fixture("contracts_unknown_module", "contracts-unknown-module");
}

#[test]
fn crate_use_outside_only_from_and_unknown_crate() {
    check_fixture("contracts_crate", "contracts-crate");
}

#[test]
fn env_reads_through_aliases_undeclared_and_unread() {
    check_fixture("contracts_env", "contracts-env");
}

#[test]
fn env_clean() {
    check_fixture("contracts_env_clean", "contracts-env-clean");
}

#[test]
fn contract_snapshot_prints_the_exports_ready_to_paste() {
    let text = transcript(
        &fixture("contracts-exports"),
        &["contract", "snapshot", "crate::api"],
    );
    settings().bind(|| insta::assert_snapshot!("contract_snapshot", text));
}

#[test]
fn facts_list_pub_items_and_env_reads() {
    let text = transcript(&fixture("contracts-env"), &["facts"]);
    settings().bind(|| insta::assert_snapshot!("contracts_env_facts", text));
}
