//! Changed-files mode: `ribo check --changed [--base REV]` in temporary git repositories made
//! from `tests/fixtures/changed`, and `ribo check FILE...` (no git needed). Only violations
//! that concern the changed files are reported; the whole repository is still read.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{copy_dir, fixture, isolated, settings};

/// A temporary copy of a fixture, not under git.
fn copy_of(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&fixture(name), dir.path());
    dir
}

fn git(dir: &Path, args: &[&str]) {
    common::git(dir, args);
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--no-verify", "-m", message]);
}

/// A temporary git repository holding a fixture, committed once.
fn repo(name: &str) -> tempfile::TempDir {
    let dir = copy_of(name);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["config", "user.name", "ribo tests"]);
    git(dir.path(), &["config", "user.email", "tests@ribo.invalid"]);
    git(dir.path(), &["config", "commit.gpgsign", "false"]);
    commit(dir.path(), "base");
    dir
}

fn write(dir: &Path, rel: &str, text: &str) {
    fs::write(dir.join(rel), text).expect("write a file");
}

fn read(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).expect("read a file")
}

/// `ribo <args>` in `dir` (relative to it), transcribed like `common::transcript`.
fn ribo(dir: &Path, args: &[&str]) -> String {
    ribo_with(dir, args, &[])
}

/// `ribo <args>` with extra environment variables.
fn ribo_with(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> String {
    let out = isolated(
        Command::new(env!("CARGO_BIN_EXE_ribo"))
            .env("RIBO_NO_CACHE", "1")
            .args(args)
            .args(["--color", "never"])
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("RAYON_NUM_THREADS")
            .envs(vars.iter().copied()),
    )
    .output()
    .expect("the ribo binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked at"), "ribo panicked:\n{stderr}");
    let mut s = format!(
        "$ ribo {}\nexit: {}\n",
        args.join(" "),
        out.status.code().unwrap_or(-1)
    );
    if !stdout.is_empty() {
        s.push_str("--- stdout\n");
        s.push_str(&stdout);
    }
    if !stderr.is_empty() {
        s.push_str("--- stderr\n");
        s.push_str(&stderr);
    }
    s.push('\n');
    s
}

fn session(dir: &Path, commands: &[&[&str]]) -> String {
    commands.iter().map(|args| ribo(dir, args)).collect()
}

fn snapshot(name: &str, text: &str) {
    settings().bind(|| insta::assert_snapshot!(name.to_string(), text));
}

#[test]
fn nothing_changed_reports_nothing() {
    let dir = repo("changed");
    let text = session(
        dir.path(),
        &[&["check", "--quiet"], &["check", "--changed"]],
    );
    snapshot("changed_nothing", &text);
}

#[test]
fn a_modified_file_is_reported_alone_staged_or_not() {
    let dir = repo("changed");
    let model = read(dir.path(), "src/domain/model.rs");
    write(
        dir.path(),
        "src/domain/model.rs",
        &format!("// edited\n{model}"),
    );
    let mut text = session(dir.path(), &[&["check", "--changed"]]);
    git(dir.path(), &["add", "src/domain/model.rs"]);
    text.push_str(&session(dir.path(), &[&["check", "--changed", "--quiet"]]));
    snapshot("changed_modified", &text);
}

#[test]
fn added_and_untracked_files_are_reported() {
    let dir = repo("changed");
    // Staged, new: a file with a violation, declared in a clean file.
    write(
        dir.path(),
        "src/infra/cache.rs",
        "pub fn get(key: &str) -> u32 {\n    key.parse().unwrap()\n}\n",
    );
    let infra = read(dir.path(), "src/infra/mod.rs");
    write(
        dir.path(),
        "src/infra/mod.rs",
        &format!("pub mod cache;\n{infra}"),
    );
    git(dir.path(), &["add", "-A"]);
    // Untracked (never added).
    write(
        dir.path(),
        "src/domain/extra.rs",
        "pub fn one(s: &str) -> u8 {\n    s.parse().unwrap()\n}\n",
    );
    let domain = read(dir.path(), "src/domain/mod.rs");
    write(
        dir.path(),
        "src/domain/mod.rs",
        &format!("{domain}pub mod extra;\n"),
    );
    let text = session(dir.path(), &[&["check", "--changed"]]);
    snapshot("changed_added_untracked", &text);
}

#[test]
fn a_renamed_file_is_reported_under_its_new_name_and_its_old_glob_goes_stale() {
    let dir = repo("changed");
    git(
        dir.path(),
        &["mv", "src/domain/model.rs", "src/domain/entity.rs"],
    );
    for file in ["src/domain/mod.rs", "src/app/mod.rs", "src/infra/mod.rs"] {
        let text = read(dir.path(), file).replace("model", "entity");
        write(dir.path(), file, &text);
    }
    let text = session(dir.path(), &[&["check", "--changed"]]);
    snapshot("changed_renamed", &text);
}

#[test]
fn a_deleted_file_reports_what_it_leaves_behind() {
    let dir = repo("changed");
    // json.rs is infra's only use of serde: the allowance is unused once it is gone.
    git(dir.path(), &["rm", "-q", "src/infra/json.rs"]);
    let infra = read(dir.path(), "src/infra/mod.rs").replace("pub mod json;\n", "");
    write(dir.path(), "src/infra/mod.rs", &infra);
    let text = session(dir.path(), &[&["check", "--changed"]]);
    snapshot("changed_deleted", &text);
}

#[test]
fn base_selects_the_revision_to_compare_with() {
    let dir = repo("changed");
    let model = read(dir.path(), "src/domain/model.rs");
    write(
        dir.path(),
        "src/domain/model.rs",
        &format!("// edited\n{model}"),
    );
    commit(dir.path(), "edit the model");
    let text = session(
        dir.path(),
        &[
            &["check", "--changed", "--quiet"],
            &["check", "--changed", "--base", "HEAD~1", "--quiet"],
        ],
    );
    snapshot("changed_base", &text);
}

#[test]
fn a_changed_spec_reports_everything() {
    let dir = repo("changed");
    let spec = read(dir.path(), "ribo.yaml");
    write(dir.path(), "ribo.yaml", &format!("# edited\n{spec}"));
    let text = session(dir.path(), &[&["check", "--changed", "--quiet"]]);
    snapshot("changed_spec", &text);
}

#[test]
fn changed_mode_errors() {
    let plain = copy_of("changed");
    let mut text = session(plain.path(), &[&["check", "--changed"]]);
    let dir = repo("changed");
    text.push_str(&session(
        dir.path(),
        &[
            &["check", "--changed", "--base", "no-such-branch"],
            &["check", "--changed", "--base=--output=x"],
        ],
    ));
    let empty = copy_of("changed");
    git(empty.path(), &["init", "-q"]);
    text.push_str(&session(empty.path(), &[&["check", "--changed"]]));
    // git is not on PATH.
    text.push_str(&ribo_with(
        dir.path(),
        &["check", "--changed"],
        &[("PATH", "")],
    ));
    snapshot("changed_errors", &text);
}

#[test]
fn files_named_on_the_command_line_need_no_git() {
    let dir = copy_of("changed");
    let text = session(
        dir.path(),
        &[
            &["check", "src/domain/model.rs"],
            &["check", "src/infra/mod.rs", "src/domain/rules.rs"],
            &["check", "--quiet", "ribo.yaml"],
            &["check", "src/nope.rs"],
            &["check", "src", "src/lib.rs"],
        ],
    );
    let sub = session(
        &dir.path().join("src/domain"),
        &[&["check", "--quiet", "model.rs"]],
    );
    snapshot("changed_files", &format!("{text}# from src/domain\n{sub}"));
}

#[test]
fn a_cycle_is_reported_when_a_changed_file_makes_one_of_its_edges() {
    // In `baseline`, domain -> infra (src/domain/mod.rs) and infra -> domain
    // (src/infra/store.rs) make a cycle located in src/domain/mod.rs.
    let dir = copy_of("baseline");
    let text = session(
        dir.path(),
        &[&["check", "src/infra/store.rs"], &["check", "src/lib.rs"]],
    );
    snapshot("changed_cycle", &text);
}

#[test]
fn stale_baseline_entries_are_reported_with_their_file() {
    let dir = copy_of("baseline");
    session(dir.path(), &[&["baseline"]]);
    let domain = read(dir.path(), "src/domain/mod.rs");
    let fixed = domain.replace("*xs.first().unwrap()", "xs.first().copied().unwrap_or(0)");
    write(dir.path(), "src/domain/mod.rs", &fixed);
    let text = session(
        dir.path(),
        &[
            &["check", "--quiet", "src/infra/store.rs"],
            &["check", "src/domain/mod.rs"],
            &["check", "--quiet", "ribo-baseline.json"],
        ],
    );
    snapshot("changed_baseline", &text);
}

/// The hook in `.pre-commit-hooks.yaml`, called the way pre-commit calls it: its `entry`
/// followed by the staged files that match its `files` pattern, from the repository root.
#[test]
fn the_pre_commit_hook_runs_ribo_check_on_the_staged_files() {
    let hooks: serde_json::Value = serde_saphyr::from_str(
        &fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .expect("the hooks file"),
    )
    .expect("the hooks file is YAML");
    let hook = &hooks[0];
    let entry: Vec<&str> = hook["entry"]
        .as_str()
        .expect("an entry")
        .split_whitespace()
        .collect();
    assert_eq!(entry[0], "ribo");
    let dir = repo("changed");
    let model = read(dir.path(), "src/domain/model.rs");
    write(
        dir.path(),
        "src/domain/model.rs",
        &format!("// edited\n{model}"),
    );
    write(dir.path(), "README.md", "not Rust\n");
    git(dir.path(), &["add", "-A"]);
    // pre-commit filters with Python's `re.search`; this pattern means the same in `regex`.
    let pattern = regex::Regex::new(hook["files"].as_str().expect("a files pattern"))
        .expect("the files pattern compiles");
    let staged = ["README.md", "src/domain/model.rs"];
    let matching: Vec<&str> = staged.into_iter().filter(|f| pattern.is_match(f)).collect();
    assert_eq!(matching, ["src/domain/model.rs"]);
    let args: Vec<&str> = entry[1..].iter().copied().chain(matching).collect();
    snapshot("changed_pre_commit", &ribo(dir.path(), &args));
}

/// `.pre-commit-hooks.yaml` declares the hook the README documents.
#[test]
fn the_pre_commit_hook_is_declared() {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"))
            .expect("the hooks file");
    let hooks: serde_json::Value = serde_saphyr::from_str(&text).expect("the hooks file is YAML");
    let hooks = hooks.as_array().expect("a list of hooks");
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert_eq!(hook["id"], "ribo");
    assert_eq!(hook["name"], "ribo");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["entry"], "ribo check");
    assert_eq!(hook["pass_filenames"], true);
    assert_eq!(hook["require_serial"], true);
    let files = regex::Regex::new(hook["files"].as_str().expect("files")).expect("a regex");
    for (path, runs) in [
        ("src/lib.rs", true),
        ("ribo.yaml", true),
        ("specs/ribo.yaml", true),
        (".ribo.yaml", true),
        ("crates/a/Cargo.toml", true),
        ("ribo-baseline.json", true),
        ("README.md", false),
        ("notribo.yaml", false),
        ("src/rs.txt", false),
    ] {
        assert_eq!(files.is_match(path), runs, "{path}");
    }
}

/// The GitHub Actions example runs ribo with SARIF output and uploads it.
#[test]
fn the_github_actions_example_uploads_sarif() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci/github-actions.yml"),
    )
    .expect("the workflow");
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).expect("the workflow is YAML");
    let steps = workflow["jobs"]["ribo"]["steps"]
        .as_array()
        .expect("the ribo job's steps");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        runs.iter()
            .any(|r| r.contains("ribo check --format sarif > ribo.sarif")),
        "{runs:?}"
    );
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert_eq!(upload["with"]["sarif_file"], "ribo.sarif");
}
