//! Baselines, on temporary copies of `tests/fixtures/baseline` (four violations: a forbidden
//! use, the cycle it closes, two `.unwrap()`s): adopt, add a violation, move lines, fix one.

mod common;

use std::fs;
use std::path::Path;

use common::{copy_dir, fixture, settings, transcript};

/// A temporary copy of a fixture.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&fixture(name), dir.path());
    dir
}

fn read(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).expect("read a file")
}

fn write(dir: &Path, rel: &str, text: &str) {
    fs::write(dir.join(rel), text).expect("write a file");
}

/// Runs each command in `dir` and joins the transcripts, each under its command line.
fn session(dir: &Path, commands: &[&[&str]]) -> String {
    let mut out = String::new();
    for args in commands {
        out.push_str(&format!("$ ribo {}\n", args.join(" ")));
        out.push_str(&transcript(dir, args));
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, text: &str) {
    settings().bind(|| insta::assert_snapshot!(name.to_string(), text));
}

/// Adopts a baseline: `ribo baseline` then `ribo check` passes.
fn adopt(dir: &Path) -> String {
    session(dir, &[&["check", "--quiet"], &["baseline"], &["check"]])
}

#[test]
fn adopting_a_baseline_makes_the_run_pass() {
    let dir = copy_of("baseline");
    let mut text = adopt(dir.path());
    text.push_str("--- ribo-baseline.json\n");
    text.push_str(&read(dir.path(), "ribo-baseline.json"));
    snapshot("baseline_adopt", &text);
    // Running it again changes nothing.
    let again = session(dir.path(), &[&["baseline"]]);
    snapshot("baseline_adopt_again", &again);
}

#[test]
fn a_new_violation_fails_and_is_only_added_on_request() {
    let dir = copy_of("baseline");
    adopt(dir.path());
    let before = read(dir.path(), "ribo-baseline.json");
    let mut domain = read(dir.path(), "src/domain/mod.rs");
    domain.push_str("\npub fn last(xs: &[u32]) -> u32 {\n    *xs.last().unwrap()\n}\n");
    write(dir.path(), "src/domain/mod.rs", &domain);
    let text = session(dir.path(), &[&["check"], &["baseline"]]);
    assert_eq!(read(dir.path(), "ribo-baseline.json"), before);
    snapshot("baseline_new_violation", &text);
    let text = session(dir.path(), &[&["baseline", "--accept-new"], &["check"]]);
    snapshot("baseline_accept_new", &text);
}

#[test]
fn moving_lines_around_baselined_violations_keeps_them_baselined() {
    let dir = copy_of("baseline");
    adopt(dir.path());
    // Functions reordered, lines inserted above, comments and blank lines added,
    // indentation changed: only lines moved.
    write(
        dir.path(),
        "src/domain/mod.rs",
        "//! The domain.\n\n// A comment that moves everything down.\nuse crate::infra::store;\n\n\
         pub fn saved(xs: &[u32]) -> u32 {\n    store::save(xs)\n}\n\n\
         pub fn first(xs: &[u32]) -> u32 {\n    // the first one\n    *xs\n        .first().unwrap()\n}\n\n\
         pub fn total(xs: &[u32]) -> u32 {\n    xs.iter().sum()\n}\n\n\n\
         pub fn parse(s: &str) -> u32 {\n        s.parse().unwrap()\n}\n",
    );
    let text = session(dir.path(), &[&["check"], &["baseline"]]);
    snapshot("baseline_moved_lines", &text);
}

#[test]
fn a_fixed_violation_leaves_a_stale_entry_until_baseline_shrinks_the_file() {
    let dir = copy_of("baseline");
    adopt(dir.path());
    // A reason written by hand on the entry that survives.
    let file = read(dir.path(), "ribo-baseline.json");
    let with_reason = file.replacen(
        "\"message\": \"`domain` may not use `infra`\"\n",
        "\"message\": \"`domain` may not use `infra`\",\n      \"reason\": \"store moves to domain in #12\"\n",
        1,
    );
    assert_ne!(file, with_reason);
    write(dir.path(), "ribo-baseline.json", &with_reason);
    let domain = read(dir.path(), "src/domain/mod.rs");
    let fixed = domain.replace("*xs.first().unwrap()", "xs.first().copied().unwrap_or(0)");
    assert_ne!(domain, fixed);
    write(dir.path(), "src/domain/mod.rs", &fixed);
    let mut text = session(dir.path(), &[&["check"], &["baseline"], &["check"]]);
    text.push_str("--- ribo-baseline.json\n");
    text.push_str(&read(dir.path(), "ribo-baseline.json"));
    snapshot("baseline_fixed_stale", &text);
}

#[test]
fn two_identical_violations_need_two_entries() {
    let dir = copy_of("baseline");
    let mut domain = read(dir.path(), "src/domain/mod.rs");
    domain.push_str(
        "\npub fn twice(s: &str) -> u32 {\n    s.parse().unwrap() + s.parse().unwrap()\n}\n",
    );
    write(dir.path(), "src/domain/mod.rs", &domain);
    adopt(dir.path());
    // Drop one of the two entries of `twice`: one of its violations is new again.
    let file: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "ribo-baseline.json")).expect("JSON");
    let mut entries = file["entries"].as_array().expect("entries").clone();
    let fingerprints: Vec<String> = entries
        .iter()
        .map(|e| e["fingerprint"].as_str().expect("a string").to_owned())
        .collect();
    let unique: std::collections::BTreeSet<&String> = fingerprints.iter().collect();
    assert_eq!(
        unique.len(),
        fingerprints.len(),
        "fingerprints are distinct"
    );
    assert_eq!(entries.len(), 6);
    let index = entries
        .iter()
        .rposition(|e| e["code"] == "invariant::no-unwrap")
        .expect("an unwrap entry");
    entries.remove(index);
    let trimmed = serde_json::json!({"version": 1, "entries": entries});
    write(
        dir.path(),
        "ribo-baseline.json",
        &serde_json::to_string_pretty(&trimmed).expect("JSON"),
    );
    let text = session(dir.path(), &[&["check", "--quiet"]]);
    snapshot("baseline_counts_entries", &text);
}

#[test]
fn a_corrupt_baseline_is_an_error() {
    let dir = copy_of("baseline");
    let cases: &[(&str, &str)] = &[
        ("not JSON", "{\"version\": 1, \"entries\": [\n"),
        ("a newer version", "{\"version\": 2, \"entries\": []}\n"),
        (
            "an entry without its code",
            "{\n  \"version\": 1,\n  \"entries\": [\n    {\"fingerprint\": \"0\", \"file\": \"a\", \"message\": \"m\"}\n  ]\n}\n",
        ),
        (
            "a misspelt key",
            "{\"version\": 1, \"entries\": [{\"fingerprint\": \"0\", \"code\": \"c\", \"file\": \"a\", \"message\": \"m\", \"reson\": \"r\"}]}\n",
        ),
    ];
    let mut text = String::new();
    for (what, content) in cases {
        write(dir.path(), "ribo-baseline.json", content);
        text.push_str(&format!("# {what}\n"));
        text.push_str(&session(dir.path(), &[&["check"], &["baseline"]]));
    }
    snapshot("baseline_corrupt", &text);
}

#[test]
fn baseline_file_options_and_flags() {
    let dir = copy_of("baseline");
    let spec = read(dir.path(), "ribo.yaml");
    write(
        dir.path(),
        "ribo.yaml",
        &spec.replace(
            "system: { name: ledger }\n",
            "system: { name: ledger }\noptions:\n  baseline: debt/ledger.json\n",
        ),
    );
    let text = session(
        dir.path(),
        &[
            &["baseline"],
            &["check", "--quiet"],
            &["check", "--quiet", "--no-baseline"],
            &["check", "--quiet", "--baseline", "missing.json"],
            &["baseline", "--baseline", "other.json"],
            &["check", "--quiet", "--baseline", "other.json"],
        ],
    );
    assert!(dir.path().join("debt/ledger.json").is_file());
    assert!(!dir.path().join("ribo-baseline.json").exists());
    snapshot("baseline_options", &text);
}
