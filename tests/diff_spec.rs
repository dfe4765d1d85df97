//! `ribo diff-spec`: ribo.yaml (and the baseline) at a revision compared by meaning with the
//! working copy, in temporary git repositories made from `tests/fixtures/changed` with the
//! specs of `tests/fixtures/spec-changes` (every kind of loosening in `after.yaml`).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{copy_dir, fixture, settings};

/// A repository whose commit holds `committed` as ribo.yaml, with `working` written over it.
fn repo(committed: &str, working: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    copy_dir(&fixture("changed"), root);
    let specs = fixture("spec-changes");
    fs::copy(specs.join(committed), root.join("ribo.yaml")).expect("the spec before");
    common::commit_all(root);
    fs::copy(specs.join(working), root.join("ribo.yaml")).expect("the spec now");
    dir
}

fn ribo(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(args)
        .args(["--color", "never"])
        .current_dir(dir)
        .env("RIBO_NO_CACHE", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .output()
        .expect("ribo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked at"), "{stderr}");
    format!(
        "exit: {}\n{}{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        stderr
    )
}

#[test]
fn every_loosening_is_listed_with_before_and_after() {
    let dir = repo("before.yaml", "after.yaml");
    // A finding silenced in the code since.
    let model = dir.path().join("src/domain/model.rs");
    let text = fs::read_to_string(&model).expect("reads");
    fs::write(
        &model,
        text.replace(
            "    Order { id: s.parse().unwrap() }",
            "    // ribo: allow(invariant::no-unwrap) -- parsed upstream\n    Order { id: s.parse().unwrap() }",
        ),
    )
    .expect("suppress");
    // Debt accepted since: a baseline written now.
    let written = ribo(dir.path(), &["baseline"]);
    assert!(written.starts_with("exit: 0"), "{written}");
    let text = format!(
        "{}{}",
        ribo(dir.path(), &["diff-spec", "--format", "compact"]),
        ribo(dir.path(), &["diff-spec", "--deny-loosening"])
    );
    settings().bind(|| insta::assert_snapshot!("diff_spec_loosened", text));
}

#[test]
fn the_same_change_back_is_tightenings_only() {
    let dir = repo("after.yaml", "before.yaml");
    let text = ribo(
        dir.path(),
        &["diff-spec", "--deny-loosening", "--format", "compact"],
    );
    // What loosens both ways: an export's declaration changed, `require` asking it of other
    // items, the layers reordered (a boundary moves up either way), the baseline retargeted.
    assert_eq!(text.matches("[spec::loosened]").count(), 4, "{text}");
    settings().bind(|| insta::assert_snapshot!("diff_spec_tightened", text));
}

#[test]
fn reformatting_reordering_and_comments_are_neither() {
    let dir = repo("before.yaml", "before.yaml");
    let spec = fs::read_to_string(dir.path().join("ribo.yaml")).expect("reads");
    // The boundaries in another order, block style, comments.
    let moved = spec
        .replace("  scratch:\n    paths: [\"src/scratch/**\"]\n", "")
        .replace(
            "boundaries:\n",
            "boundaries:\n  # scratch space\n  scratch:\n    paths:\n      - \"src/scratch/**\"\n",
        );
    fs::write(dir.path().join("ribo.yaml"), moved).expect("write");
    let text = ribo(dir.path(), &["diff-spec", "--deny-loosening"]);
    assert_eq!(
        text,
        "exit: 0\nribo diff-spec: no loosening of ribo.yaml since HEAD\n"
    );
}

#[test]
fn outside_a_repository_or_at_a_bad_revision_it_says_so() {
    let dir = repo("before.yaml", "before.yaml");
    let bad_rev = ribo(dir.path(), &["diff-spec", "--base", "no-such-rev"]);
    let plain = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("changed"), plain.path());
    let no_repo = ribo(plain.path(), &["diff-spec"]);
    let text = format!(
        "{bad_rev}{}",
        no_repo.replace(&plain.path().display().to_string(), "[DIR]")
    );
    settings().bind(|| insta::assert_snapshot!("diff_spec_errors", text));
}

#[test]
fn check_changed_reports_the_loosenings_of_a_changed_spec() {
    let dir = repo("before.yaml", "before.yaml");
    let spec = fs::read_to_string(dir.path().join("ribo.yaml")).expect("reads");
    fs::write(
        dir.path().join("ribo.yaml"),
        spec.replace("    crates: [serde]\n", "    crates: [serde, tokio]\n"),
    )
    .expect("loosen");
    let text = ribo(dir.path(), &["check", "--changed", "--format", "compact"]);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("spec::loosened"))
        .collect();
    assert_eq!(
        lines,
        ["ribo.yaml:23:21: warning[spec::loosened]: `infra` may now use the crate `tokio` (`crates` was [`serde`]): loosened here help: loosening the identity is a decision for a human: keep the declaration, or have the change reviewed (`ribo diff-spec --deny-loosening` in CI)"],
        "{text}"
    );
}
