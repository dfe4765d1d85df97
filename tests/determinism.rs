//! The same repository gives byte-identical output: across runs, across thread counts
//! (`RAYON_NUM_THREADS=1` and `=2`, `--threads 4`), in every format, for `check` and `facts`.
//! Only the wall time on the summary line differs, and it is cut off before comparing.

mod common;

use std::path::Path;
use std::process::Command;

/// Fixtures with many kinds of output: violations of every rule kind, input warnings
/// (invalid UTF-8, syntax errors, a missing module), a workspace, and ribo itself.
const FIXTURES: &[&str] = &[
    "dependency-forms",
    "input-problems",
    "invariants-forbid",
    "contracts-exports",
    "workspace",
    "cycle",
];

/// Drops the `[0.01s]` timing from the summary line.
fn strip_time(s: &str) -> String {
    s.lines()
        .map(|l| match l.rfind(" [") {
            Some(i) if l.starts_with("ribo: ") && l.ends_with("s]") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// stdout, stderr and exit status of `ribo <args>` in `dir`, with `RAYON_NUM_THREADS` set or
/// not.
fn run(dir: &Path, args: &[&str], rayon_threads: Option<&str>) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ribo"));
    cmd.env("RIBO_NO_CACHE", "1");
    cmd.args(args)
        .args(["--color", "never"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RAYON_NUM_THREADS");
    if let Some(n) = rayon_threads {
        cmd.env("RAYON_NUM_THREADS", n);
    }
    let out = cmd.output().expect("ribo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked at"), "ribo panicked:\n{stderr}");
    format!(
        "exit {:?}\n{}\n--- stderr\n{}",
        out.status.code(),
        strip_time(&String::from_utf8_lossy(&out.stdout)),
        stderr
    )
}

fn assert_deterministic(dir: &Path, args: &[&str]) {
    let reference = run(dir, args, None);
    assert!(
        reference.len() > 100,
        "{args:?}: too little output to compare"
    );
    let mut variants = vec![
        ("second run", run(dir, args, None)),
        ("third run", run(dir, args, None)),
        ("RAYON_NUM_THREADS=1", run(dir, args, Some("1"))),
        ("RAYON_NUM_THREADS=2", run(dir, args, Some("2"))),
    ];
    let mut with_threads = args.to_vec();
    with_threads.extend(["--threads", "4"]);
    variants.push(("--threads 4", run(dir, &with_threads, None)));
    for (what, output) in variants {
        assert!(
            output == reference,
            "{} {args:?}: {what} differs from the first run",
            dir.display()
        );
    }
}

#[test]
fn check_human_is_byte_identical_across_runs_and_threads() {
    for name in FIXTURES {
        assert_deterministic(&common::fixture(name), &["check"]);
    }
}

#[test]
fn check_json_is_byte_identical_across_runs_and_threads() {
    for name in FIXTURES {
        assert_deterministic(&common::fixture(name), &["check", "--format", "json"]);
    }
}

#[test]
fn facts_are_byte_identical_across_runs_and_threads() {
    for name in FIXTURES {
        assert_deterministic(&common::fixture(name), &["facts"]);
    }
}

#[test]
fn ribo_on_itself_is_byte_identical_across_runs_and_threads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_deterministic(
        root,
        &["check", "--spec", "specs/ribo.yaml", "--format", "json"],
    );
    assert_deterministic(root, &["facts", "--spec", "specs/ribo.yaml"]);
}
