//! `ribo completions SHELL`, and the progress bar that never shows outside a terminal.

mod common;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::run_in;

#[test]
fn bash_completions_list_the_commands() {
    let (code, stdout, stderr) = run_in(Path::new("."), &["completions", "bash"]);
    assert_eq!(code, 0, "{stderr}");
    for command in [
        "check",
        "facts",
        "explain",
        "init",
        "graph",
        "schema",
        "completions",
    ] {
        assert!(stdout.contains(command), "no `{command}` in:\n{stdout}");
    }
}

#[test]
fn every_shell_is_supported_and_others_are_refused() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, _) = run_in(Path::new("."), &["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(stdout.contains("check"), "{shell}");
    }
    let (code, _, stderr) = run_in(Path::new("."), &["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("possible values"), "{stderr}");
}

#[test]
fn progress_counts_every_parsed_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let progress = Arc::new(ribo::facts::Progress::default());
    let options = ribo::facts::BuildOptions {
        progress: Some(Arc::clone(&progress)),
        ..Default::default()
    };
    let graph = ribo::facts::build(&root, &options);
    assert_eq!(progress.files.load(Ordering::Relaxed), graph.files.len());
    assert_eq!(progress.parsed.load(Ordering::Relaxed), graph.files.len());
    assert!(graph.files.len() > 10);
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, _, stderr) = run_in(root, &["check", "--spec", "specs/ribo.yaml"]);
    assert_eq!(code, 0);
    assert!(!stderr.contains("parsing"), "{stderr}");
}

/// `ribo schema` prints the JSON Schema committed as specs/ribo.schema.json, byte for byte (the
/// one an editor's `# yaml-language-server: $schema=...` line points at).
#[test]
fn schema_command_prints_the_committed_schema() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ribo"))
        .arg("schema")
        .output()
        .expect("ribo runs");
    assert_eq!(out.status.code(), Some(0));
    let committed = std::fs::read(root.join("specs/ribo.schema.json")).expect("committed");
    assert_eq!(out.stdout, committed);
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(parsed["required"], serde_json::json!(["version", "system"]));
}
