//! Small pass/fail vectors for validation (the integration tests render full diagnostics).

use std::path::Path;

use crate::spec::model::{ContractKind, ExportTarget, ItemKind, Level, Scope, Severity, TestsMode};
use crate::spec::{load_bytes, LoadError, Spec};

const HEAD: &str = "version: 1\nsystem:\n  name: shop\nboundaries:\n  domain: {paths: [src/domain/**]}\n  infra: {paths: [src/infra/**], may_use: [domain]}\n";

fn load(tail: &str) -> Result<Spec, Vec<(&'static str, String)>> {
    let source = format!("{HEAD}{tail}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ribo.yaml");
    load_bytes(&path, source.as_bytes()).map_err(|error| match error {
        LoadError::Invalid(errors) => errors
            .errors
            .into_iter()
            .map(|e| (e.code, errors.source[e.span].to_owned()))
            .collect(),
        LoadError::Io { error, .. } => panic!("{error}"),
    })
}

fn fails(tail: &str) -> Vec<(&'static str, String)> {
    match load(tail) {
        Ok(_) => panic!("expected errors for {tail:?}"),
        Err(errors) => errors,
    }
}

fn one(code: &'static str, text: &str) -> Vec<(&'static str, String)> {
    vec![(code, text.to_owned())]
}

#[test]
fn the_head_alone_is_valid_with_defaults() {
    let spec = load("").unwrap();
    assert_eq!(spec.system.name.value, "shop");
    assert_eq!(spec.options.unassigned.value, Level::Warn);
    assert_eq!(spec.options.cycles.value, Level::Error);
    assert_eq!(spec.options.unused_allowances.value, Level::Allow);
    assert_eq!(spec.options.tests.value, TestsMode::Skip);
    assert_eq!(spec.options.tests.span, 0..0);
    assert_eq!(
        spec.boundaries[1].may_use.as_ref().unwrap().value[0].value,
        0
    );
    assert!(spec.root.is_absolute());
}

#[test]
fn versions_other_than_one_are_refused() {
    let source = "version: 2\nsystem: {name: x}\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ribo.yaml");
    let Err(LoadError::Invalid(errors)) = load_bytes(&path, source.as_bytes()) else {
        panic!("expected an invalid spec");
    };
    assert_eq!(errors.errors[0].code, "spec::version");
    assert_eq!(&source[errors.errors[0].span.clone()], "2");
}

#[test]
fn option_values_are_checked() {
    let spec = load("options: {cycles: warn, tests: check}\n").unwrap();
    assert_eq!(spec.options.cycles.value, Level::Warn);
    assert_eq!(spec.options.tests.value, TestsMode::Check);
    assert_eq!(
        fails("options: {cycles: warning}\n"),
        one("spec::value", "warning")
    );
}

#[test]
fn the_baseline_option_is_a_relative_file_name() {
    let spec = load("").unwrap();
    assert_eq!(spec.options.baseline.value, "ribo-baseline.json");
    let spec = load("options: {baseline: ci/debt.json}\n").unwrap();
    assert_eq!(spec.options.baseline.value, "ci/debt.json");
    assert_eq!(
        fails("options: {baseline: /tmp/debt.json}\n"),
        one("spec::value", "/tmp/debt.json")
    );
    assert_eq!(
        fails("options: {baseline: \"\"}\n"),
        one("spec::value", "\"\"")
    );
}

#[test]
fn boundary_references_are_resolved() {
    assert_eq!(
        fails("layers: [infra, domian]\n"),
        one("spec::unknown-boundary", "domian")
    );
    assert_eq!(
        fails("layers: [infra, domain, infra]\n"),
        one("spec::duplicate-layer", "infra")
    );
    assert_eq!(
        fails("layers: [domain, infra]\n"),
        one("spec::layer-conflict", "domain")
    );
    assert_eq!(
        fails("layers: [src/**]\n"),
        one("spec::unknown-boundary", "src/**")
    );
    let spec = load("layers: [infra, domain]\n").unwrap();
    let layers = spec.layers.unwrap();
    assert_eq!(
        layers.value.iter().map(|l| l.value).collect::<Vec<_>>(),
        [1, 0]
    );
}

#[test]
fn boundary_names_and_paths_are_checked() {
    let errors = fails("  Bad: {paths: []}\n");
    assert_eq!(
        errors,
        [
            ("spec::name", "Bad".to_owned()),
            ("spec::empty-paths", "paths".to_owned())
        ]
    );
    assert_eq!(
        fails("  x: {paths: [../y]}\n"),
        one("spec::glob-escape", "../y")
    );
}

#[test]
fn may_use_self_is_dropped() {
    let spec = load("  app: {paths: [src/app/**], may_use: [app, infra]}\n").unwrap();
    let may_use = spec.boundaries[2].may_use.as_ref().unwrap();
    assert_eq!(
        may_use.value.iter().map(|u| u.value).collect::<Vec<_>>(),
        [1]
    );
}

#[test]
fn invariants_are_checked() {
    let ok = "invariants:\n  - id: a\n    severity: warning\n    in: [domain, src/x.rs]\n    forbid: {macros: [panic!], calls: ['*::delete_*']}\n  - id: b\n    tests: check\n    require: {items: pub async fn, attribute: '#[instrument]'}\n";
    let spec = load(ok).unwrap();
    let first = &spec.invariants[0];
    assert_eq!(first.severity.value, Severity::Warning);
    assert!(matches!(first.in_[0], Scope::Boundary(ref b) if b.value == 0));
    assert!(matches!(first.in_[1], Scope::Glob(ref g) if g.text == "src/x.rs"));
    let second = spec.invariants[1].require.as_ref().unwrap();
    assert_eq!(second.items.value.kind, Some(ItemKind::Fn));
    assert_eq!(second.attribute.as_ref().unwrap().value, "instrument");
    assert_eq!(
        fails("invariants:\n  - id: a\n"),
        one("spec::empty-rule", "id")
    );
    assert_eq!(
        fails("invariants:\n  - id: a\n    forbid: {}\n"),
        one("spec::empty-rule", "forbid")
    );
    assert_eq!(
        fails("invariants:\n  - id: a\n    require: {items: fn}\n"),
        one("spec::empty-rule", "require")
    );
    let twice =
        "invariants:\n  - {id: a, forbid: {unsafe: true}}\n  - {id: a, forbid: {unsafe: true}}\n";
    assert_eq!(fails(twice), one("spec::duplicate-id", "a"));
    let bad = "invariants:\n  - {id: a, forbid: {calls: ['::x']}, except: [nope]}\n";
    assert_eq!(
        fails(bad),
        [
            ("spec::pattern", "'::x'".to_owned()),
            ("spec::unknown-boundary", "nope".to_owned())
        ]
    );
}

#[test]
fn contracts_are_checked() {
    let ok = "contracts:\n  - {id: a, module: crate::api, exports: [struct Order], exhaustive: true}\n  - {id: b, crate: aws-sdk-*, only_from: [infra]}\n  - {id: c, env: [DATABASE_URL]}\n  - {id: d, crate: my-lib, exports: []}\n";
    let spec = load(ok).unwrap();
    assert!(
        matches!(&spec.contracts[0].kind, ContractKind::Exports { target, .. } if target.value == ExportTarget::Module("crate::api".into()))
    );
    assert!(
        matches!(&spec.contracts[1].kind, ContractKind::CrateUse { krate, .. } if krate.matcher.is_match("aws_sdk_s3"))
    );
    assert!(matches!(&spec.contracts[2].kind, ContractKind::Env { vars, .. } if vars.len() == 1));
    assert!(
        matches!(&spec.contracts[3].kind, ContractKind::Exports { target, .. } if target.value == ExportTarget::Crate("my-lib".into()))
    );
    assert_eq!(
        fails("contracts:\n  - {id: a}\n"),
        one("spec::contract-kind", "id")
    );
    assert_eq!(
        fails("contracts:\n  - {id: a, module: x, env: [A]}\n"),
        one("spec::contract-kind", "env")
    );
    assert_eq!(
        fails("contracts:\n  - {id: a, crate: x}\n"),
        one("spec::contract-kind", "crate")
    );
    assert_eq!(
        fails("contracts:\n  - {id: a, module: x}\n"),
        one("spec::missing-key", "module")
    );
    assert_eq!(
        fails("contracts:\n  - {id: a, env: [A-B]}\n"),
        one("spec::env-name", "A-B")
    );
}

#[test]
fn a_missing_root_is_reported_at_its_value() {
    let source = "version: 1\nsystem: {name: x, root: does-not-exist}\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ribo.yaml");
    let Err(LoadError::Invalid(errors)) = load_bytes(&path, source.as_bytes()) else {
        panic!("expected an invalid spec");
    };
    assert_eq!(errors.errors[0].code, "spec::root");
    assert_eq!(&source[errors.errors[0].span.clone()], "does-not-exist");
}

#[test]
fn root_is_relative_to_the_spec_directory() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = "version: 1\nsystem: {name: x, root: ..}\n";
    let spec = match load_bytes(&manifest.join("src/ribo.yaml"), source.as_bytes()) {
        Ok(spec) => spec,
        Err(error) => panic!("{error:?}"),
    };
    assert_eq!(spec.root, manifest.canonicalize().unwrap());
}

/// A repository (a directory holding `.git`) inside a scratch directory, and the errors of
/// `spec` loaded as `rel` in it (`None`: valid).
fn in_repository(
    rel: &str,
    spec: &str,
) -> (tempfile::TempDir, Option<Vec<(&'static str, String)>>) {
    let scratch = tempfile::tempdir().unwrap();
    let repo = scratch.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("specs")).unwrap();
    let path = repo.join(rel);
    let errors = match load_bytes(&path, spec.as_bytes()) {
        Ok(_) => None,
        Err(LoadError::Invalid(errors)) => Some(
            errors
                .errors
                .into_iter()
                .map(|e| (e.code, errors.source[e.span].to_owned()))
                .collect(),
        ),
        Err(LoadError::Io { error, .. }) => panic!("{error}"),
    };
    (scratch, errors)
}

#[test]
fn a_root_outside_the_repository_is_a_spec_error() {
    let spec = "version: 1\nsystem: {name: x, root: ..}\n";
    let (_dir, errors) = in_repository("ribo.yaml", spec);
    assert_eq!(errors, Some(one("spec::root", "..")));
    // From a subdirectory, `..` is the repository itself.
    let (_dir, errors) = in_repository("specs/ribo.yaml", spec);
    assert_eq!(errors, None);
    let (_dir, errors) = in_repository(
        "specs/ribo.yaml",
        "version: 1\nsystem: {name: x, root: ../..}\n",
    );
    assert_eq!(errors, Some(one("spec::root", "../..")));
}

#[test]
fn outside_any_repository_the_root_is_not_bounded() {
    let scratch = tempfile::tempdir().unwrap();
    let inner = scratch.path().join("a");
    std::fs::create_dir_all(&inner).unwrap();
    let spec = "version: 1\nsystem: {name: x, root: ..}\n";
    assert!(load_bytes(&inner.join("ribo.yaml"), spec.as_bytes()).is_ok());
}

#[test]
fn a_baseline_outside_the_repository_is_a_spec_error() {
    let head = "version: 1\nsystem: {name: x}\noptions:\n  baseline: ";
    let (_dir, errors) = in_repository("ribo.yaml", &format!("{head}../x.json\n"));
    assert_eq!(errors, Some(one("spec::value", "../x.json")));
    let (_dir, errors) = in_repository("ribo.yaml", &format!("{head}specs/../x.json\n"));
    assert_eq!(errors, None);
    let (_dir, errors) = in_repository("ribo.yaml", &format!("{head}specs/../../x.json\n"));
    assert_eq!(errors, Some(one("spec::value", "specs/../../x.json")));
}

#[cfg(unix)]
#[test]
fn a_baseline_through_a_link_out_of_the_repository_is_a_spec_error() {
    let scratch = tempfile::tempdir().unwrap();
    let repo = scratch.path().join("repo");
    let outside = scratch.path().join("outside");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("link")).unwrap();
    let spec = "version: 1\nsystem: {name: x}\noptions:\n  baseline: link/x.json\n";
    let Err(LoadError::Invalid(errors)) = load_bytes(&repo.join("ribo.yaml"), spec.as_bytes())
    else {
        panic!("expected an invalid spec");
    };
    assert_eq!(errors.errors[0].code, "spec::value");
}
