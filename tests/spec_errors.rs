//! Every spec error case, loaded through `ribo::spec::load` from
//! `tests/fixtures/spec-errors/<case>.yaml` and snapshotted as compact text: one line per
//! error, `LINE:COL code: message [label] (help: ...)`, then the spec line with the span
//! underlined.

use std::path::{Path, PathBuf};

use ribo::spec::lines::Lines;
use ribo::spec::model::{ContractKind, ExportTarget, ItemKind, Level, Scope, Severity, TestsMode};
use ribo::spec::{load, load_bytes, LoadError, Spec, SpecError, SpecErrors};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec-errors")
        .join(format!("{case}.yaml"))
}

fn render_error(lines: &Lines<'_>, source: &str, error: &SpecError) -> String {
    let line = lines.line_of(error.span.start);
    let column = lines.column_of(error.span.start);
    let help = error
        .help
        .as_ref()
        .map(|help| format!(" (help: {help})"))
        .unwrap_or_default();
    let text = lines.line_text(line);
    let line_end = lines
        .line_range(line)
        .map_or(source.len(), |range| range.end);
    let end = error.span.end.clamp(error.span.start, line_end);
    let width = source[error.span.start.min(end)..end]
        .chars()
        .count()
        .max(1);
    format!(
        "{line}:{column} {code}: {message} [{label}]{help}\n  | {text}\n  | {pad}{carets}\n",
        code = error.code,
        message = error.message,
        label = error.label,
        pad = " ".repeat(column - 1),
        carets = "^".repeat(width),
    )
}

fn render(errors: &SpecErrors) -> String {
    let lines = Lines::new(&errors.source);
    let rendered = errors.errors.iter();
    rendered
        .map(|error| render_error(&lines, &errors.source, error))
        .collect()
}

fn invalid(result: Result<Spec, LoadError>) -> SpecErrors {
    match result {
        Ok(spec) => panic!(
            "expected spec errors, got a valid spec for {}",
            spec.path.display()
        ),
        Err(LoadError::Io { path, error }) => panic!("cannot read {}: {error}", path.display()),
        Err(LoadError::Invalid(errors)) => errors,
    }
}

fn check(case: &str) {
    let errors = invalid(load(&fixture(case)));
    assert!(!errors.errors.is_empty(), "{case}: no errors");
    insta::assert_snapshot!(case, render(&errors));
}

macro_rules! cases {
    ($($name:ident => $case:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check($case);
            }
        )*
    };
}

cases! {
    yaml_syntax_error => "yaml-syntax",
    unknown_key_with_suggestion => "unknown-key",
    wrong_type => "wrong-type",
    missing_required_key => "missing-key",
    bad_glob => "bad-glob",
    glob_escaping_with_parent => "glob-parent",
    absolute_glob => "glob-absolute",
    unknown_boundary_in_may_use => "unknown-boundary-may-use",
    unknown_boundary_in_layers => "unknown-boundary-layers",
    unknown_boundary_in_in => "unknown-boundary-in",
    unknown_boundary_in_except => "unknown-boundary-except",
    unknown_boundary_in_only_from => "unknown-boundary-only-from",
    duplicate_invariant_id => "duplicate-invariant-id",
    duplicate_layer => "duplicate-layer",
    layer_conflict => "layer-conflict",
    use_conflict => "use-conflict",
    bad_query_in_block_scalar => "bad-query",
    bad_item_selector => "bad-item-selector",
    bad_contract_kind => "bad-contract-kind",
    bad_env_name => "bad-env-name",
    wrong_version => "wrong-version",
    empty_file => "empty",
    list_instead_of_mapping => "list-not-mapping",
    duplicate_boundary => "duplicate-boundary",
    bad_pattern => "bad-pattern",
    empty_rule => "empty-rule",
    bad_option_value => "bad-option",
    bad_names => "bad-name",
    bad_root => "bad-root",
    empty_paths => "empty-paths",
    several_problems_in_one_file => "many-problems",
    unquoted_signature_with_two_colons => "unquoted-signature",
    tab_indentation => "tabs",
    duplicate_keys => "duplicate-key",
    alias_bomb => "alias-bomb",
    block_nesting_too_deep => "deep-block",
    flow_nesting_too_deep => "deep-flow",
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let started = std::time::Instant::now();
    let errors = invalid(load(&fixture("alias-bomb")));
    assert_eq!(errors.errors[0].code, "spec::too-large");
    // Refused after at most 20 000 replayed events: well under a second, even unoptimised.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// The binary, under a 128 MiB address-space limit (`ulimit -v`): an alias bomb expanded
/// even partly would need far more, and allocation would fail (abort, not exit 2).
#[cfg(target_os = "linux")]
#[test]
fn an_alias_bomb_is_refused_in_bounded_memory() {
    let dir = fixture("alias-bomb");
    let dir = dir.parent().expect("fixtures");
    let command = format!(
        "ulimit -v 131072 && exec '{}' check --spec alias-bomb.yaml --color never",
        env!("CARGO_BIN_EXE_ribo")
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(dir)
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("spec::too-large"), "{stderr}");
    assert!(
        stderr.ends_with("ribo: alias-bomb.yaml is invalid: 1 problem\n"),
        "{stderr}"
    );
}

#[test]
fn a_spec_over_1_mib_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ribo.yaml");
    let mut text = String::from("version: 1\nsystem: { name: shop }\n");
    while text.len() <= ribo::spec::MAX_SPEC_BYTES {
        text.push_str("# a generated comment line to make the file large\n");
    }
    std::fs::write(&path, &text).expect("write");
    let errors = invalid(load(&path));
    insta::assert_snapshot!("too-large-file", render(&errors));
    // Only the first line is kept to show where the refusal points.
    assert_eq!(errors.source, "version: 1\n");
    // The same through `load_bytes`, and one byte less is loaded.
    let errors = invalid(load_bytes(&path, text.as_bytes()));
    assert_eq!(errors.errors[0].code, "spec::too-large");
    let fits = &text.as_bytes()[..ribo::spec::MAX_SPEC_BYTES];
    let fits = &fits[..fits.iter().rposition(|b| *b == b'\n').expect("lines") + 1];
    assert!(load_bytes(&path, fits).is_ok());
}

#[test]
fn non_utf8_bytes() {
    let bytes = b"version: 1\nsystem:\n  name: caf\xe9\nboundaries: {}\n";
    let errors = invalid(load_bytes(&fixture("non-utf8"), bytes));
    insta::assert_snapshot!("non-utf8", render(&errors));
}

#[test]
fn bom_and_crlf_spec_is_valid() {
    let bytes = std::fs::read(fixture("bom-crlf")).expect("fixture exists");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF") && bytes.windows(2).any(|w| w == b"\r\n"));
    let spec = load(&fixture("bom-crlf")).unwrap_or_else(|error| panic!("{error:?}"));
    assert_eq!(spec.system.name.value, "shop");
    assert_eq!(&spec.source[spec.system.name.span.clone()], "shop");
    let intent = spec.system.intent.expect("intent");
    assert_eq!(
        intent.value,
        "Takes orders.\nNever deletes infrastructure.\n"
    );
    assert_eq!(spec.boundaries.len(), 2);
    assert_eq!(&spec.source[spec.boundaries[1].name.span.clone()], "infra");
}

fn valid() -> Spec {
    load(&fixture("valid")).unwrap_or_else(|error| match error {
        LoadError::Invalid(errors) => panic!("{}", render(&errors)),
        LoadError::Io { error, .. } => panic!("{error}"),
    })
}

#[test]
fn valid_spec_system_and_options() {
    let spec = valid();
    assert_eq!(spec.system.name.value, "shop");
    assert_eq!(&spec.source[spec.system.span.clone()], "system");
    assert!(spec.system.intent.is_some());
    assert_eq!(spec.system.exclude[0].text, "generated/**");
    let root = fixture("valid")
        .parent()
        .map(Path::to_path_buf)
        .expect("dir");
    assert_eq!(spec.root, root.canonicalize().expect("canonical root"));
    assert_eq!(spec.options.unassigned.value, Level::Error);
    assert_eq!(spec.options.cycles.value, Level::Error);
    assert_eq!(&spec.source[spec.options.cycles.span.clone()], "options");
    assert_eq!(spec.options.tests.value, TestsMode::Check);
    assert_eq!(spec.options.unused_allowances.value, Level::Allow);
}

#[test]
fn valid_spec_boundaries_and_layers() {
    let spec = valid();
    let names: Vec<&str> = spec
        .boundaries
        .iter()
        .map(|b| b.name.value.as_str())
        .collect();
    assert_eq!(names, ["domain", "infra", "app", "api"]);
    let domain = &spec.boundaries[0];
    assert!(domain.may_use.as_ref().expect("may_use").value.is_empty());
    assert!(domain.paths[0]
        .matcher
        .is_match("src/domain/model/order.rs"));
    let interface = &domain.interface.as_ref().expect("interface").value;
    assert_eq!(interface[1].text, "src/domain/model.rs");
    let infra = &spec.boundaries[1];
    let crates = &infra.crates.as_ref().expect("crates").value;
    assert!(crates[2].matcher.is_match("aws_sdk_s3"));
    assert!(spec.boundaries[2].crates.is_none());
    let api_uses: Vec<usize> = spec.boundaries[3]
        .may_use
        .as_ref()
        .expect("may_use")
        .value
        .iter()
        .map(|u| u.value)
        .collect();
    assert_eq!(api_uses, [2, 0]);
    let layers: Vec<usize> = spec
        .layers
        .expect("layers")
        .value
        .iter()
        .map(|l| l.value)
        .collect();
    assert_eq!(layers, [3, 2, 1, 0]);
}

#[test]
fn valid_spec_invariants() {
    let spec = valid();
    let ids: Vec<&str> = spec
        .invariants
        .iter()
        .map(|i| i.id.value.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "no-unsafe-outside-ffi",
            "no-panics-in-domain",
            "no-environment-teardown",
            "no-sleep-in-async",
            "handlers-instrumented",
            "api-documented"
        ]
    );
    let unsafe_rule = spec.invariants[0].forbid.as_ref().expect("forbid");
    assert_eq!(unsafe_rule.unsafe_.as_ref().map(|u| u.value), Some(true));
    assert!(
        matches!(&spec.invariants[0].except[0], Scope::Glob(glob) if glob.text == "src/ffi/**")
    );
    let panics = spec.invariants[1].forbid.as_ref().expect("forbid");
    assert_eq!(panics.calls.len(), 3);
    assert_eq!(panics.macros[1].text, "todo");
    assert_eq!(spec.invariants[1].severity.value, Severity::Error);
    assert_eq!(spec.invariants[2].severity.value, Severity::Warning);
    assert!(spec.invariants[3]
        .forbid
        .as_ref()
        .expect("forbid")
        .query
        .is_some());
    let require = spec.invariants[4].require.as_ref().expect("require");
    assert!(require.items.value.public);
    assert_eq!(require.items.value.kind, Some(ItemKind::Fn));
    assert_eq!(
        require.attribute.as_ref().expect("attribute").value,
        "instrument"
    );
    let documented = spec.invariants[5].require.as_ref().expect("require");
    assert_eq!(documented.items.value.kind, None);
    assert_eq!(documented.doc.as_ref().map(|d| d.value), Some(true));
}

#[test]
fn valid_spec_contracts() {
    let spec = valid();
    assert_eq!(spec.contracts.len(), 3);
    let ContractKind::Exports {
        target,
        exports,
        exhaustive,
    } = &spec.contracts[0].kind
    else {
        panic!("orders-api is an exports contract");
    };
    assert_eq!(target.value, ExportTarget::Module("crate::api".to_owned()));
    assert_eq!(exports.len(), 2);
    let signature = "fn create_order(req: CreateOrder) -> Result<Order, ApiError>";
    assert_eq!(exports[0].value, signature);
    assert_eq!(&spec.source[exports[0].span.clone()], signature);
    assert_eq!(exhaustive.as_ref().map(|e| e.value), Some(true));
    let ContractKind::CrateUse { krate, only_from } = &spec.contracts[1].kind else {
        panic!("stripe-only-in-infra is a crate-use contract");
    };
    assert_eq!(krate.text, "stripe");
    assert!(matches!(&only_from[0], Scope::Boundary(b) if b.value == 1));
    let ContractKind::Env { vars, .. } = &spec.contracts[2].kind else {
        panic!("configuration is an env contract");
    };
    assert_eq!(vars[1].value, "STRIPE_API_KEY");
}
