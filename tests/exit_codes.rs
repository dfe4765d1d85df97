//! The exit status of ribo in every situation (the table in README.md and
//! docs/reliability.md): 0 clean or warnings only, 1 error-level violations (also warnings
//! with `--deny-warnings`, input warnings with `--strict`), 2 when ribo could not run. Never a
//! panic: every run goes through `common::run_in`, which fails on `panicked at`.

mod common;
use common::{fixture, run_in};
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

/// Exit status, the summary line without its timing, and stderr.
fn outcome(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let (code, stdout, stderr) = run_in(dir, args);
    let last = stdout.lines().last().unwrap_or_default();
    let last = match last.rfind(" [") {
        Some(i) if last.ends_with("s]") => &last[..i],
        _ => last,
    };
    (code, last.to_owned(), stderr)
}

#[test]
fn clean_is_0() {
    let got = outcome(&fixture("forbidden-use-clean"), &["check"]);
    assert_eq!(got, (0, "ribo: no violations in 4 files".into(), "".into()));
}

#[test]
fn error_level_violations_are_1() {
    let got = outcome(&fixture("forbidden-use"), &["check"]);
    assert_eq!(
        got,
        (1, "ribo: 3 errors, 0 warnings in 4 files".into(), "".into())
    );
}

#[test]
fn warnings_only_are_0() {
    let got = outcome(&fixture("unused-allowance"), &["check"]);
    assert_eq!(
        got,
        (0, "ribo: 0 errors, 2 warnings in 4 files".into(), "".into())
    );
}

#[test]
fn warnings_with_deny_warnings_are_1() {
    let got = outcome(&fixture("unused-allowance"), &["check", "--deny-warnings"]);
    assert_eq!(
        got,
        (1, "ribo: 0 errors, 2 warnings in 4 files".into(), "".into())
    );
}

#[test]
fn quiet_and_json_keep_the_status() {
    assert_eq!(outcome(&fixture("forbidden-use"), &["check", "-q"]).0, 1);
    assert_eq!(
        outcome(&fixture("forbidden-use"), &["check", "--format", "json"]).0,
        1
    );
    assert_eq!(
        outcome(
            &fixture("forbidden-use-clean"),
            &["check", "--format", "json"]
        )
        .0,
        0
    );
}

/// A clean repository whose only problem is in the input: a module whose file is missing.
fn input_warning_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\n",
    );
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: r }\nboundaries:\n  core: { paths: [\"src/**\"] }\n",
    );
    write(root, "src/lib.rs", "pub mod missing;\n");
    dir
}

#[test]
fn input_warnings_are_0_and_1_with_strict() {
    let dir = input_warning_repo();
    let summary = "ribo: no violations in 1 file; 1 warning about the input";
    assert_eq!(
        outcome(dir.path(), &["check"]),
        (0, summary.into(), "".into())
    );
    // --deny-warnings is about violations; input warnings need --strict.
    assert_eq!(
        outcome(dir.path(), &["check", "--deny-warnings"]),
        (0, summary.into(), "".into())
    );
    assert_eq!(
        outcome(dir.path(), &["check", "--strict"]),
        (
            1,
            summary.into(),
            "error: --strict: 1 warning about the input: not everything could be checked\n".into()
        )
    );
}

#[test]
fn strict_makes_an_unchecked_file_an_error() {
    let dir = input_warning_repo();
    let root = dir.path();
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: r }\nboundaries:\n  core: { paths: [\"src/**\"], crates: [] }\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("nowhere.rs", root.join("src/missing.rs")).expect("symlink");
    #[cfg(not(unix))]
    write(root, "src/missing.rs", &"// generated\n".repeat(1_000_000));
    let (code, stdout, stderr) = run_in(root, &["check", "--strict", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(code, 1);
    assert_eq!(json["violations"][0]["code"], "input::unchecked");
    assert_eq!(json["violations"][0]["severity"], "error");
    assert_eq!(json["summary"]["unreadable_files"], 1);
    assert_eq!(
        stderr,
        "error: --strict: 1 warning about the input: not everything could be checked\n"
    );
    let (code, stdout, _) = run_in(root, &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        (code, &json["violations"][0]["severity"]),
        (0, &"warning".into())
    );
}

#[test]
fn every_invalid_spec_is_2() {
    let dir = fixture("spec-errors");
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    let valid = ["valid.yaml", "bom-crlf.yaml"];
    let mut checked = 0;
    for case in cases {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if valid.contains(&name.as_str()) {
            continue;
        }
        let spec = case.to_string_lossy().into_owned();
        let (code, stdout, stderr) = run_in(&dir, &["check", "--spec", &spec]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert_eq!(stdout, "", "{name}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!("ribo: {name} is invalid: ")),
            "{name}: {last}"
        );
        checked += 1;
    }
    assert!(checked >= 35, "only {checked} cases");
}

/// `check` lets the spec's queries compile while it walks the repository: a wrong query is
/// still exit 2 before anything is reported, with the same diagnostics as a command that
/// waits for the queries while loading the spec (`graph`), alone or among other problems.
#[test]
fn a_wrong_query_stops_check_as_it_stops_other_commands() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-errors");
    for case in ["bad-query.yaml", "many-problems.yaml"] {
        let (code, stdout, stderr) = run_in(&dir, &["check", "--spec", case, "--no-cache"]);
        let (graph_code, _, graph_stderr) = run_in(&dir, &["graph", "--spec", case]);
        assert_eq!((code, stdout.as_str()), (2, ""), "{case}: {stderr}");
        assert_eq!(graph_code, 2, "{case}: {graph_stderr}");
        assert!(stderr.contains("spec::query"), "{case}: {stderr}");
        assert_eq!(stderr, graph_stderr, "{case}");
    }
}

#[test]
fn missing_spec_is_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join(".git")).expect("mkdir");
    let (code, _, stderr) = run_in(dir.path(), &["check"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: no ribo.yaml or .ribo.yaml in `.` or its parent directories (up to the repository root); pass --spec FILE\n"
    );
}

#[test]
fn unreadable_spec_is_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, stderr) = run_in(dir.path(), &["check", "--spec", "nothing.yaml"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: could not read `nothing.yaml`: No such file or directory (os error 2)\n"
    );
}

#[test]
fn a_root_that_is_not_a_directory_is_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "file.txt", "");
    let (code, stdout, stderr) = run_in(dir.path(), &["check", "does-not-exist"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(stderr, "error: `does-not-exist` does not exist\n");
    // A file names a file to check (changed mode): with no spec above it, that is exit 2.
    let (code, stdout, _) = run_in(dir.path(), &["check", "file.txt"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
}

#[test]
fn bad_arguments_are_2() {
    let dir = fixture("forbidden-use-clean");
    let cases: &[(&[&str], &str)] = &[
        (
            &["check", "--format", "xml"],
            "error: invalid value 'xml' for '--format <FORMAT>'",
        ),
        (
            &["check", "--threads", "many"],
            "error: invalid value 'many' for '--threads <N>'",
        ),
        (
            &["check", "--no-such-flag"],
            "error: unexpected argument '--no-such-flag' found",
        ),
        (
            &["frobnicate"],
            "error: unrecognized subcommand 'frobnicate'",
        ),
        (&[], "error: 'ribo' requires a subcommand"),
    ];
    for (args, start) in cases {
        let (code, _, stderr) = run_in(&dir, args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.starts_with(start), "{args:?}: {stderr}");
    }
}

#[test]
fn help_and_version_are_0() {
    let dir = fixture("forbidden-use-clean");
    for args in [&["--help"][..], &["--version"], &["check", "--help"]] {
        let (code, stdout, stderr) = run_in(&dir, args);
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
        assert!(!stdout.is_empty(), "{args:?}");
    }
}

/// `ribo check | head`: the reader goes away. The output stops quietly (no error message,
/// no panic) and the exit status is still the verdict: 1 here, as there are violations.
#[test]
fn a_closed_pipe_ends_the_output_quietly_and_keeps_the_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\n",
    );
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: r }\nboundaries:\n  core: { paths: [\"src/**\"] }\n\
         invariants:\n  - id: no-unwrap\n    forbid: { calls: [unwrap] }\n",
    );
    // About 1 MB of diagnostics: far more than a pipe buffers.
    write(
        root,
        "src/lib.rs",
        &"pub fn f() { x.unwrap(); }\n".repeat(1500),
    );
    for format in ["human", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ribo"))
            .env("RIBO_NO_CACHE", "1")
            .args(["check", "--color", "never", "--format", format])
            .current_dir(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ribo runs");
        // Read a little, then close the read end.
        let mut stdout = child.stdout.take().expect("piped");
        let mut first = [0u8; 64];
        stdout.read_exact(&mut first).expect("some output");
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("piped")
            .read_to_string(&mut stderr)
            .expect("stderr");
        let status = child.wait().expect("exits");
        assert_eq!(stderr, "", "{format}");
        assert_eq!(status.code(), Some(1), "{format}");
    }
}
