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

/// A copy of the directory `from` at `to` (created), files and directories.
/// Writes each `(path, text)` of `files` under `root`, creating directories.
pub fn write_files<S: AsRef<str>>(root: &Path, files: &[(&str, S)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text.as_ref()).expect("write");
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a directory");
    for entry in std::fs::read_dir(from).expect("read the fixture") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// `ribo <args>` started in `dir` with stdin, stdout and stderr piped, without colour, and with
/// its cache on whatever the caller's environment says (RIBO_NO_CACHE and RIBO_CACHE_DIR are
/// left out): a hook, a proposed change on stdin, a server.
pub fn spawn_piped(dir: &Path, args: &[&str]) -> std::process::Child {
    use std::process::Stdio;
    Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RIBO_NO_CACHE")
        .env_remove("RIBO_CACHE_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the ribo binary runs")
}

/// `git` in `dir`, with the caller's git environment (a hook's GIT_DIR, the user's config)
/// kept out of the test.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    isolated(&mut cmd).current_dir(dir);
    cmd
}

/// Keeps the caller's git environment (a hook's GIT_DIR, the user's config) out of `cmd` (git,
/// or a ribo that runs git).
pub fn isolated(cmd: &mut Command) -> &mut Command {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
}

/// `git <args>` in `dir` (see [`git_command`]), which must succeed; its stdout.
pub fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Makes `dir` a git repository with everything in it committed once.
pub fn commit_all(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "base",
        ],
    );
}

/// A small deterministic generator (no dependency: the sequences must be the same on every
/// run, and a failing case is named by its seed).
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}
