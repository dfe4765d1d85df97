//! Shared helpers for the integration tests: run the real binary on a fixture and render
//! everything a user would see (exit status, stdout, stderr) as one snapshot string.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fixture directory `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `ribo <args>` in `dir` without colour and returns exit code, stdout and stderr.
pub fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(args)
        .args(["--color", "never"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RAYON_NUM_THREADS")
        // Fixture directories stay untouched; the cache has its own tests.
        .env("RIBO_NO_CACHE", "1")
        .output()
        .expect("the ribo binary runs");
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked at"), "ribo panicked:\n{stderr}");
    (code, stdout, stderr)
}

/// Exit code, stdout and stderr in one string for a snapshot.
pub fn transcript(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = run_in(dir, args);
    let mut s = format!("exit: {code}\n");
    if !stdout.is_empty() {
        s.push_str("--- stdout\n");
        s.push_str(&stdout);
    }
    if !stderr.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&stderr);
    }
    s
}

/// Snapshot settings shared by every CLI snapshot: wall time is replaced.
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\[\d+\.\d+s\]", "[TIME]");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"));
    settings
}

/// `ribo check` in `tests/fixtures/<name>`, snapshotted as `<snapshot>`.
pub fn check_fixture(snapshot: &str, name: &str) {
    let text = transcript(&fixture(name), &["check"]);
    settings().bind(|| insta::assert_snapshot!(snapshot.to_string(), text));
}
