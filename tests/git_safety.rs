//! `ribo check --changed` runs nothing the checked repository configures: not its filters,
//! diff drivers, fsmonitor, pager or hooks (src/commands/git.rs). Each vector is set up in a
//! temporary repository (a copy of `tests/fixtures/changed` with one file edited), armed with
//! a command that leaves a marker file when it runs. Where plain git would run it for the
//! command ribo used to run (`git diff --name-status -M HEAD`), a control run shows the marker
//! appears: the vector is real. Then ribo runs, and the marker must not appear.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{copy_dir, fixture};

/// Plain git in `dir`, whatever it answers.
fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    common::git_command(dir)
        .args(args)
        .output()
        .expect("git runs")
}

/// A repository with one commit and `src/domain/rules.rs` edited since; the marker's path.
fn armed(config: &str, attributes: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    copy_dir(&fixture("changed"), root);
    assert!(git(root, &["init", "-q"]).status.success());
    for (k, v) in [("user.name", "t"), ("user.email", "t@t")] {
        assert!(git(root, &["config", k, v]).status.success());
    }
    assert!(git(root, &["add", "-A"]).status.success());
    assert!(git(root, &["commit", "-q", "--no-verify", "-m", "base"])
        .status
        .success());
    let marker = root.join("MARKER");
    let config = config.replace("{MARKER}", &marker.display().to_string());
    let mut text = fs::read_to_string(root.join(".git/config")).expect("reads");
    text.push_str(&config);
    fs::write(root.join(".git/config"), text).expect("arm the config");
    if !attributes.is_empty() {
        fs::write(root.join(".gitattributes"), attributes).expect("attributes");
    }
    let rules = root.join("src/domain/rules.rs");
    let text = fs::read_to_string(&rules).expect("reads");
    fs::write(&rules, text.replace("id > 0", "id > 1")).expect("edit");
    // Written again as it was (a new time, the same content): git must read it, through its
    // filters, to tell that it did not change.
    let app = root.join("src/app/mod.rs");
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&app, fs::read(&app).expect("reads")).expect("rewrite");
    (dir, marker)
}

/// `ribo check --changed` in `root`: its exit status and stdout.
fn ribo(root: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(["check", "--changed", "--format", "compact", "--no-cache"])
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .output()
        .expect("ribo runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Plain git, as ribo used to call it: does the vector fire?
fn control(root: &Path, marker: &Path) -> bool {
    let _ = git(root, &["diff", "--name-status", "-z", "-M", "HEAD", "--"]);
    let _ = git(root, &["ls-files", "--others", "--exclude-standard", "-z"]);
    let fired = marker.exists();
    let _ = fs::remove_file(marker);
    fired
}

fn check_vector(name: &str, config: &str, attributes: &str, fires_in_plain_git: bool) {
    let (dir, marker) = armed(config, attributes);
    let root = dir.path();
    if fires_in_plain_git {
        assert!(
            control(root, &marker),
            "{name}: plain git did not run it; the test proves nothing"
        );
    }
    let (code, stdout) = ribo(root);
    assert!(
        !marker.exists(),
        "{name}: ribo let git run the repository's command"
    );
    // And the check still saw the change: the one file, and only it.
    assert_eq!(code, 0, "{name}: {stdout}");
    assert!(
        stdout.ends_with("ribo: no violations in 1 of 7 files\n"),
        "{name}: {stdout}"
    );
}

/// A command for a config value (quoted: `;` would start a comment).
const TOUCH: &str = r#""sh -c 'touch \"{MARKER}\"; cat'""#;

#[test]
fn a_clean_filter_does_not_run() {
    check_vector(
        "clean filter",
        &format!("[filter \"evil\"]\n\tclean = {TOUCH}\n\tsmudge = {TOUCH}\n"),
        "*.rs filter=evil\n",
        true,
    );
}

#[test]
fn a_filter_with_a_dotted_name_and_required_does_not_run() {
    check_vector(
        "dotted filter name, required",
        &format!("[filter \"a.b=c\"]\n\tclean = {TOUCH}\n\trequired = true\n"),
        "*.rs filter=a.b=c\n",
        true,
    );
}

#[test]
fn a_process_filter_does_not_run() {
    check_vector(
        "process filter",
        r#"[filter "evil"]
	process = "sh -c 'touch \"{MARKER}\"; exit 1'"
"#,
        "*.rs filter=evil\n",
        true,
    );
}

#[test]
fn textconv_and_external_diff_drivers_do_not_run() {
    check_vector(
        "textconv, external diff",
        &format!(
            "[diff \"evil\"]\n\ttextconv = {TOUCH}\n\tcommand = {TOUCH}\n[diff]\n\texternal = {TOUCH}\n"
        ),
        "*.rs diff=evil\n",
        false,
    );
}

#[test]
fn the_fsmonitor_hook_does_not_run() {
    check_vector(
        "fsmonitor",
        r#"[core]
	fsmonitor = "sh -c 'touch \"{MARKER}\"'"
"#,
        "",
        true,
    );
}

#[test]
fn the_pager_does_not_run() {
    check_vector(
        "pager",
        &format!("[core]\n\tpager = {TOUCH}\n[pager]\n\tdiff = {TOUCH}\n"),
        "",
        false,
    );
}

#[test]
fn hooks_do_not_run_and_the_index_is_not_written() {
    let (dir, marker) = armed("", "");
    let root = dir.path();
    let hooks = root.join(".git/hooks");
    fs::create_dir_all(&hooks).expect("hooks dir");
    for hook in [
        "post-index-change",
        "reference-transaction",
        "post-checkout",
        "pre-commit",
    ] {
        let path = hooks.join(hook);
        fs::write(
            &path,
            format!("#!/bin/sh\ntouch \"{}\"\n", marker.display()),
        )
        .expect("hook");
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let index = fs::read(root.join(".git/index")).expect("index");
    let (code, stdout) = ribo(root);
    assert!(!marker.exists(), "a hook ran");
    assert_eq!(
        fs::read(root.join(".git/index")).expect("index"),
        index,
        "the index was written"
    );
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn a_promisor_remote_is_never_fetched_from() {
    // A partial clone's promisor remote is fetched from when an object is missing: an `ext::`
    // URL runs a command. A ref names an object the repository does not have.
    let (dir, marker) = armed(
        r#"[core]
	repositoryformatversion = 1
[extensions]
	partialClone = origin
[remote "origin"]
	promisor = true
	url = "ext::sh -c touch% {MARKER}"
[protocol "ext"]
	allow = always
"#,
        "",
    );
    let root = dir.path();
    fs::write(
        root.join(".git/refs/heads/evil"),
        "1111111111111111111111111111111111111111\n",
    )
    .expect("a ref to a missing object");
    let _ = git(root, &["rev-parse", "--verify", "--quiet", "evil^{commit}"]);
    assert!(
        marker.exists(),
        "plain git did not fetch: the test proves nothing"
    );
    fs::remove_file(&marker).expect("reset");
    let out = Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(["check", "--changed", "--base", "evil", "--no-cache"])
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("ribo runs");
    assert!(
        !marker.exists(),
        "ribo let git fetch from the promisor remote"
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_git_that_never_answers_is_stopped() {
    // The configuration includes a FIFO: git blocks reading it.
    let (dir, _) = armed("", "");
    let root = dir.path();
    let fifo = root.join("cfg.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs")
        .success());
    let mut text = fs::read_to_string(root.join(".git/config")).expect("reads");
    text.push_str(&format!("[include]\n\tpath = {}\n", fifo.display()));
    fs::write(root.join(".git/config"), text).expect("arm");
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(["check", "--changed", "--no-cache"])
        .current_dir(root)
        .env("RIBO_GIT_DEADLINE_SECS", "2")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("ribo runs");
    assert!(started.elapsed().as_secs() < 30, "ribo waited for git");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("git did not answer within 2 s"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
