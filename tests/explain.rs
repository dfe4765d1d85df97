//! `ribo explain PATH`: what governs a file, in human form and JSON, for one file in each
//! boundary of the example; files in no boundary, excluded files and codes.

mod common;

use std::path::Path;

use common::{settings, transcript};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `ribo explain` of a file of the example, human then JSON, as one snapshot.
fn explain_both(snapshot: &str, file: &str) {
    let path = format!("examples/shop/{file}");
    let human = transcript(repo(), &["explain", &path]);
    let json = transcript(repo(), &["explain", &path, "--format", "json"]);
    let text =
        format!("$ ribo explain {path}\n{human}\n$ ribo explain {path} --format json\n{json}");
    settings().bind(|| insta::assert_snapshot!(snapshot.to_string(), text));
}

#[test]
fn explain_entry_file() {
    explain_both("explain_shop_entry", "src/main.rs");
}

#[test]
fn explain_api_file_with_its_exports_contract() {
    explain_both("explain_shop_api", "src/api/mod.rs");
}

#[test]
fn explain_app_file() {
    explain_both("explain_shop_app", "src/app/orders.rs");
}

#[test]
fn explain_infra_file_that_may_use_stripe() {
    explain_both("explain_shop_infra", "src/infra/payments.rs");
}

#[test]
fn explain_domain_file_outside_the_interface() {
    explain_both("explain_shop_domain", "src/domain/pricing.rs");
}

#[test]
fn explain_ffi_file_exempt_from_unsafe() {
    explain_both("explain_shop_ffi", "src/ffi/mod.rs");
}

#[test]
fn explain_ops_file_exempt_by_glob() {
    explain_both("explain_shop_ops", "src/ops/teardown.rs");
}

#[test]
fn explain_a_file_that_does_not_exist_in_no_boundary() {
    let text = transcript(repo(), &["explain", "examples/shop/src/billing/mod.rs"]);
    settings().bind(|| insta::assert_snapshot!("explain_unassigned", text));
}

#[test]
fn explain_an_excluded_file() {
    let text = transcript(
        repo(),
        &[
            "explain",
            "tests/fixtures/cycle/src/a.rs",
            "--spec",
            "specs/ribo.yaml",
        ],
    );
    settings().bind(|| insta::assert_snapshot!("explain_excluded", text));
}

#[test]
fn explain_code_and_unknown_code() {
    let known = transcript(repo(), &["explain", "boundary::layer"]);
    let unknown = transcript(repo(), &["explain", "boundary::layers"]);
    let outside = transcript(
        repo(),
        &["explain", "src/lib.rs", "--spec", "examples/shop/ribo.yaml"],
    );
    let text = format!(
        "$ ribo explain boundary::layer\n{known}\n$ ribo explain boundary::layers\n{unknown}\n$ ribo explain src/lib.rs --spec examples/shop/ribo.yaml\n{outside}"
    );
    settings().bind(|| insta::assert_snapshot!("explain_codes", text));
}

#[test]
fn explain_a_file_two_boundaries_claim_equally_is_a_spec_error() {
    let text = transcript(
        repo(),
        &["explain", "tests/fixtures/overlap-tie/src/billing/mod.rs"],
    );
    settings().bind(|| insta::assert_snapshot!("explain_tie", text));
}
