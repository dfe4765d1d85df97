//! `ribo check --format human|json|sarif|github|junit|compact`: every format snapshotted on one fixture
//! (tests/fixtures/formats: an error in code, an error whose message needs escaping in every
//! format, a warning spanning three lines, a warning located in the spec, a suppressed
//! violation, a warning about the input, non-ASCII text before a violation), the JSON checked
//! against its published schema, the SARIF against the official SARIF 2.1.0 schema, and the
//! exit status checked to be the same in every format.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, run_in, settings, transcript};
use serde_json::Value;

const FORMATS: [&str; 6] = ["human", "json", "sarif", "github", "junit", "compact"];

/// Snapshot settings, with ribo's version replaced so a release does not touch the snapshots.
fn format_settings() -> insta::Settings {
    let mut s = settings();
    let version = env!("CARGO_PKG_VERSION").replace('.', r"\.");
    s.add_filter(&format!(r#""{version}""#), r#""[VERSION]""#);
    s
}

fn snapshot_format(format: &str) {
    let text = transcript(&fixture("formats"), &["check", "--format", format]);
    format_settings().bind(|| insta::assert_snapshot!(format!("formats_{format}"), text));
}

#[test]
fn human() {
    snapshot_format("human");
}

#[test]
fn json() {
    snapshot_format("json");
}

#[test]
fn sarif() {
    snapshot_format("sarif");
}

#[test]
fn github() {
    snapshot_format("github");
}

#[test]
fn junit() {
    snapshot_format("junit");
}

#[test]
fn compact() {
    snapshot_format("compact");
}

/// Run from the repository root, paths are relative to it: what GitHub needs to annotate.
#[test]
fn github_paths_are_relative_to_the_working_directory() {
    let text = transcript(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["check", "tests/fixtures/formats", "--format", "github"],
    );
    format_settings().bind(|| insta::assert_snapshot!("formats_github_from_parent", text));
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs that exercise every shape the reports can take: clean, errors and warnings in code
/// and in the spec, input warnings, suppressions, contracts, cycles, and a root that is not
/// the working directory. `(directory to run in, extra arguments)`.
fn runs() -> Vec<(PathBuf, Vec<&'static str>)> {
    let mut runs: Vec<(PathBuf, Vec<&'static str>)> = [
        "formats",
        "invariants-clean",
        "invariants-forbid",
        "input-problems",
        "suppressions",
        "cycle",
        "unmatched-glob",
        "unassigned",
        "contracts-exports",
        "contracts-env",
    ]
    .iter()
    .map(|name| (fixture(name), Vec::new()))
    .collect();
    runs.push((manifest_dir(), vec!["examples/shop"]));
    runs.push((manifest_dir(), vec!["tests/fixtures/formats"]));
    runs
}

fn output(dir: &Path, extra: &[&str], format: &str) -> (i32, String) {
    let mut args = vec!["check"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--format", format]);
    let (code, stdout, stderr) = run_in(dir, &args);
    assert!(
        stderr.is_empty(),
        "{dir:?} {args:?} wrote to stderr:\n{stderr}"
    );
    (code, stdout)
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("schema readable");
    serde_json::from_str(&text).expect("schema is JSON")
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn check_schema_validator() -> jsonschema::Validator {
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&load_json(
            &manifest_dir().join("specs/check-output.schema.json"),
        ))
        .expect("the published schema compiles")
}

fn sarif_validator() -> jsonschema::Validator {
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&load_json(
            &manifest_dir().join("tests/data/sarif-schema-2.1.0.json"),
        ))
        .expect("the SARIF schema compiles")
}

#[test]
fn json_validates_against_the_published_schema() {
    let validator = check_schema_validator();
    for (dir, extra) in runs() {
        let (_, stdout) = output(&dir, &extra, "json");
        let report: Value = serde_json::from_str(&stdout).expect("json output parses");
        let errs = errors(&validator, &report);
        assert!(errs.is_empty(), "{dir:?} {extra:?}: {errs:#?}");
    }
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    for (dir, extra) in runs() {
        let (_, stdout) = output(&dir, &extra, "sarif");
        let log: Value = serde_json::from_str(&stdout).expect("sarif output parses");
        let errs = errors(&validator, &log);
        assert!(errs.is_empty(), "{dir:?} {extra:?}: {errs:#?}");
        // What the schema cannot say: every result names its rule by id and index, and no
        // two results share a fingerprint.
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        let mut fingerprints = std::collections::BTreeSet::new();
        for result in run["results"].as_array().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"], "{dir:?}");
            let fp = result["partialFingerprints"]["ribo/v1"].as_str();
            assert!(fingerprints.insert(fp.expect("fingerprint")), "{dir:?}");
        }
    }
}

/// The schemas are tests only if they can fail: outputs broken on purpose are refused.
#[test]
fn the_schemas_refuse_broken_reports() {
    let (_, stdout) = output(&fixture("formats"), &[], "json");
    let good: Value = serde_json::from_str(&stdout).expect("json");
    let validator = check_schema_validator();
    assert!(validator.is_valid(&good));
    let mut extra_key = good.clone();
    extra_key["violations"][0]["line"] = Value::from(3);
    let mut no_fingerprint = good.clone();
    no_fingerprint["violations"][0]
        .as_object_mut()
        .expect("object")
        .remove("fingerprint");
    let mut bad_severity = good.clone();
    bad_severity["violations"][0]["severity"] = Value::from("fatal");
    for broken in [extra_key, no_fingerprint, bad_severity] {
        assert!(!validator.is_valid(&broken));
    }

    let (_, stdout) = output(&fixture("formats"), &[], "sarif");
    let good: Value = serde_json::from_str(&stdout).expect("sarif");
    let validator = sarif_validator();
    assert!(validator.is_valid(&good));
    let mut bad_level = good.clone();
    bad_level["runs"][0]["results"][0]["level"] = Value::from("fatal");
    let mut bad_line = good.clone();
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    let mut no_message = good.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .expect("object")
        .remove("message");
    for (what, broken) in [
        ("level", bad_level),
        ("line", bad_line),
        ("message", no_message),
    ] {
        assert!(!validator.is_valid(&broken), "a broken {what} passed");
    }
}

/// The format changes what is written, never the exit status.
#[test]
fn exit_status_is_the_same_in_every_format() {
    for (dir, extra) in runs() {
        for deny in [false, true] {
            let mut args = extra.clone();
            if deny {
                args.push("--deny-warnings");
            }
            let codes: Vec<i32> = FORMATS.iter().map(|f| output(&dir, &args, f).0).collect();
            assert!(
                codes.iter().all(|c| *c == codes[0]),
                "{dir:?} {args:?}: {codes:?}"
            );
        }
    }
}

/// Counts of `(testcases, failed testcases)`, after checking the document is well-formed XML
/// whose counts agree with its content.
fn junit_counts(dir: &Path, extra: &[&str]) -> (usize, usize) {
    let (_, stdout) = output(dir, extra, "junit");
    let doc = roxmltree::Document::parse(&stdout).expect("junit output is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failed = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    for element in [root, root.first_element_child().expect("testsuite")] {
        assert_eq!(
            element.attribute("tests"),
            Some(cases.len().to_string().as_str())
        );
        assert_eq!(
            element.attribute("failures"),
            Some(failed.to_string().as_str())
        );
    }
    (cases.len(), failed)
}

#[test]
fn junit_is_well_formed_and_its_counts_agree() {
    for (dir, extra) in runs() {
        junit_counts(&dir, &extra);
    }
    // The fixture has two rules with errors and two with only warnings: the warnings fail
    // their testcases only under --deny-warnings.
    let (tests, failed) = junit_counts(&fixture("formats"), &[]);
    let (_, failed_denied) = junit_counts(&fixture("formats"), &["--deny-warnings"]);
    assert_eq!((failed, failed_denied), (2, 4), "{tests} testcases");
}

/// The workflow commands shown in docs/formats.md are what ribo writes for the fixture.
#[test]
fn documented_github_example_is_current() {
    let docs = std::fs::read_to_string(manifest_dir().join("docs/formats.md")).expect("docs");
    let (_, stdout) = output(&fixture("formats"), &[], "github");
    let shown: Vec<&str> = docs.lines().filter(|l| l.starts_with("::")).collect();
    assert!(!shown.is_empty());
    for line in shown {
        assert!(
            stdout.lines().any(|l| l == line),
            "docs/formats.md shows a line ribo no longer writes:\n{line}"
        );
    }
}
