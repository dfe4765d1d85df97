//! Bad repository input gives warnings with paths and the run goes on; never a panic.

mod common;
use common::{settings, transcript};
use std::fs;

fn write(root: &std::path::Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

fn small_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        root,
        "ribo.yaml",
        "version: 1\nsystem: { name: r }\nboundaries:\n  core: { paths: [\"src/**\"] }\n",
    );
    write(root, "src/lib.rs", "pub fn f() {}\n");
    dir
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_link_outside_root_are_warnings() {
    let dir = small_repo();
    let root = dir.path();
    std::os::unix::fs::symlink(".", root.join("src/loop")).expect("symlink");
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "secret.rs", "pub fn s() {}\n");
    std::os::unix::fs::symlink(outside.path(), root.join("src/outside")).expect("symlink");
    std::os::unix::fs::symlink(root.join("src/nowhere.rs"), root.join("src/dangling.rs"))
        .expect("symlink");
    let text = transcript(root, &["check"]);
    settings().bind(|| insta::assert_snapshot!("symlinks", text));
}

#[test]
fn empty_repository_checks_nothing_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "ribo.yaml",
        "version: 1\nsystem: { name: empty }\n",
    );
    let text = transcript(dir.path(), &["check"]);
    settings().bind(|| insta::assert_snapshot!("empty_repository", text));
}

#[test]
fn missing_spec_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join(".git")).expect("mkdir");
    let (code, _, stderr) = common::run_in(dir.path(), &["check"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: no ribo.yaml or .ribo.yaml in `.` or its parent directories (up to the repository root); pass --spec FILE\n"
    );
}

#[test]
fn bad_arguments_are_exit_2() {
    let dir = small_repo();
    let (code, _, stderr) = common::run_in(dir.path(), &["check", "--format", "xml"]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: invalid value 'xml' for '--format <FORMAT>'"));
}

#[test]
fn output_is_identical_across_thread_counts() {
    let root = common::fixture("dependency-forms");
    let one = transcript(&root, &["check", "--threads", "1"]);
    let many = transcript(&root, &["check", "--threads", "4"]);
    let strip = |s: &str| regex_lite_strip_time(s);
    assert_eq!(strip(&one), strip(&many));
}

/// Drops the `[0.01s]` timing from the summary line.
fn regex_lite_strip_time(s: &str) -> String {
    s.lines()
        .map(|l| match l.rfind(" [") {
            Some(i) if l.starts_with("ribo: ") && l.ends_with("s]") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
