//! `ribo hook AGENT` on every payload shape of tests/fixtures/hooks (see its README for the
//! documents each follows), in temporary copies of `tests/fixtures/changed`.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::{copy_dir, fixture, settings};

/// A repository (a copy of the `changed` fixture, with its own `.git` directory marking its
/// top) and a directory outside it.
struct Repo {
    dir: tempfile::TempDir,
    outside: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_dir(&fixture("changed"), dir.path());
        fs::create_dir(dir.path().join(".git")).expect("mark the repository's top");
        let outside = tempfile::tempdir().expect("a temporary directory");
        Repo { dir, outside }
    }

    fn root(&self) -> std::path::PathBuf {
        self.dir.path().canonicalize().expect("canonical")
    }

    /// The edit the after-edit payloads describe (domain using infra), written.
    fn write_the_edit(&self) {
        let file = self.root().join("src/domain/rules.rs");
        let text = fs::read_to_string(&file).expect("reads");
        let edited = text.replace(
            "    id > 0",
            "    crate::infra::store(&crate::domain::model::Order { id }) > 0",
        );
        fs::write(&file, edited).expect("the edit, written");
    }

    /// The payload of `tests/fixtures/hooks/<name>` for this repository.
    fn payload(&self, name: &str) -> String {
        let text = fs::read_to_string(fixture("hooks").join(name)).expect("the payload");
        text.replace("{{ROOT}}", &self.root().display().to_string())
            .replace("{{OUTSIDE}}", &self.outside.path().display().to_string())
            .replace("{{HOME}}", "/home/user")
    }

    /// `ribo hook <agent>` with the payload `name`, run from the repository's root as agents
    /// run hooks: exit status, stdout (JSON pretty-printed) and stderr, paths made stable.
    fn hook(&self, agent: &str, name: &str) -> String {
        let payload = self.payload(name);
        let mut child = common::spawn_piped(&self.root(), &["hook", agent]);
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(payload.as_bytes())
            .expect("write the payload");
        drop(stdin);
        let out = child.wait_with_output().expect("ribo ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked at"), "ribo panicked:\n{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let shown = match serde_json::from_str::<serde_json::Value>(&stdout) {
            Ok(v) => serde_json::to_string_pretty(&v).expect("prints"),
            Err(_) => stdout.into_owned(),
        };
        let mut s = format!("exit: {}\n", out.status.code().unwrap_or(-1));
        if !shown.trim().is_empty() {
            s.push_str(&format!("--- stdout\n{}\n", shown.trim_end()));
        }
        if !stderr.is_empty() {
            s.push_str(&format!("--- stderr\n{stderr}"));
        }
        s.replace(&self.root().display().to_string(), "[ROOT]")
    }
}

/// Every tree byte of the repository but the cache.
fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).expect("lists") {
            let p = e.expect("entry").path();
            if p.ends_with(".ribo-cache") {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((p.display().to_string(), fs::read(&p).expect("reads")));
            }
        }
    }
    out.sort();
    out
}

fn run_all(agent: &str, names: &[&str]) -> String {
    let repo = Repo::new();
    let before = tree(&repo.root());
    let mut text = String::new();
    for name in names {
        text.push_str(&format!("## {name}\n{}", repo.hook(agent, name)));
    }
    assert_eq!(
        tree(&repo.root()),
        before,
        "a hook wrote into the repository"
    );
    text
}

#[test]
fn claude_code_before_an_edit() {
    let text = run_all(
        "claude-code",
        &[
            "claude-code/pre-edit-deny.json",
            "claude-code/pre-edit-replace-all-allow.json",
            "claude-code/pre-edit-no-match.json",
            "claude-code/pre-multiedit-deny.json",
            "claude-code/pre-write-allow.json",
            "claude-code/pre-write-new-file-deny.json",
            "claude-code/pre-write-non-rust.json",
            "claude-code/pre-write-outside.json",
            "claude-code/pre-write-spec-broken.json",
            "claude-code/pre-edit-spec-loosened.json",
            "claude-code/pre-edit-spec-tightened.json",
            "claude-code/pre-write-new-spec.json",
            "claude-code/pre-edit-device.json",
            "claude-code/pre-other-tool.json",
        ],
    );
    settings().bind(|| insta::assert_snapshot!("hook_claude_code_pre", text));
}

#[test]
fn claude_code_after_an_edit_reports_what_it_introduced() {
    let repo = Repo::new();
    repo.write_the_edit();
    let answer = repo.hook("claude-code", "claude-code/post-edit-flagged.json");
    settings().bind(|| insta::assert_snapshot!("hook_claude_code_post", answer));
}

#[test]
fn when_ribo_cannot_check_it_says_so_and_does_not_block() {
    let repo = Repo::new();
    fs::write(repo.root().join("ribo.yaml"), "version: 1\nboundaries: [\n")
        .expect("break the spec");
    let answer = repo.hook("claude-code", "claude-code/pre-edit-deny.json");
    let codex = repo.hook("codex", "codex/pre-apply-patch-deny.json");
    let cursor = repo.hook("cursor", "cursor/after-file-edit-flagged.json");
    let garbage = {
        let mut child = common::spawn_piped(&repo.root(), &["hook", "claude-code"]);
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"{not json").expect("write");
        drop(stdin);
        let out = child.wait_with_output().expect("ends");
        format!(
            "exit: {}\n--- stderr\n{}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    settings().bind(|| {
        insta::assert_snapshot!("hook_failing", format!("{answer}{codex}{cursor}{garbage}"));
    });
}

#[test]
fn codex_apply_patch() {
    let text = run_all(
        "codex",
        &[
            "codex/pre-apply-patch-deny.json",
            "codex/pre-apply-patch-allow.json",
            "codex/pre-apply-patch-move-deny.json",
            "codex/pre-apply-patch-outside-first-then-spec.json",
            "codex/pre-apply-patch-delete-spec.json",
            "codex/pre-apply-patch-move-keeps-debt.json",
            "codex/post-apply-patch.json",
        ],
    );
    settings().bind(|| insta::assert_snapshot!("hook_codex", text));
}

#[test]
fn cursor_after_a_file_edit() {
    let repo = Repo::new();
    repo.write_the_edit();
    let mut out = String::new();
    for name in [
        "cursor/after-file-edit-flagged.json",
        "cursor/after-file-edit-non-rust.json",
        "cursor/before-shell-execution.json",
    ] {
        out.push_str(&format!("## {name}\n{}", repo.hook("cursor", name)));
    }
    settings().bind(|| insta::assert_snapshot!("hook_cursor", out));
}

/// `ribo init --agent` in `dir`: exit status, stdout, stderr.
fn init_agent(dir: &Path, agent: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ribo"))
        .args(["init", "--agent", agent])
        .current_dir(dir)
        .output()
        .expect("ribo runs");
    format!(
        "exit: {}\n{}{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn init_agent_merges_into_an_existing_configuration_once() {
    let repo = Repo::new();
    let root = repo.root();
    fs::create_dir_all(root.join(".claude")).expect("mkdir");
    let settings_path = root.join(".claude/settings.json");
    fs::write(
        &settings_path,
        r#"{
  "model": "opus",
  "permissions": { "deny": ["Edit(ribo.yaml)"] },
  "hooks": {
    "PreToolUse": [
      { "matcher": "Bash", "hooks": [{ "type": "command", "command": "./guard.sh" }] }
    ]
  }
}
"#,
    )
    .expect("write the settings");
    let mut text = String::new();
    text.push_str(&init_agent(&root, "claude-code"));
    text.push_str(&format!(
        "--- .claude/settings.json\n{}",
        fs::read_to_string(&settings_path).expect("reads")
    ));
    let once = fs::read(&settings_path).expect("reads");
    text.push_str(&init_agent(&root, "claude-code"));
    assert_eq!(
        fs::read(&settings_path).expect("reads"),
        once,
        "a second run changed it"
    );
    for (agent, file) in [
        ("codex", ".codex/hooks.json"),
        ("cursor", ".cursor/hooks.json"),
    ] {
        text.push_str(&init_agent(&root, agent));
        text.push_str(&format!(
            "--- {file}\n{}",
            fs::read_to_string(root.join(file)).expect("reads")
        ));
    }
    fs::write(root.join(".cursor/hooks.json"), "{ not json").expect("break it");
    text.push_str(&init_agent(&root, "cursor"));
    assert_eq!(
        fs::read_to_string(root.join(".cursor/hooks.json")).expect("reads"),
        "{ not json"
    );
    settings().bind(|| insta::assert_snapshot!("hook_init_agent", text));
}

#[test]
fn an_edit_that_adds_baseline_entries_is_denied_and_one_that_removes_them_passes() {
    let repo = Repo::new();
    fs::write(
        repo.root().join("ribo-baseline.json"),
        r#"{
  "version": 1,
  "entries": [
    {
      "fingerprint": "86ba54d2d066b14c",
      "code": "invariant::no-unwrap",
      "file": "src/app/mod.rs",
      "message": "breaks invariant `no-unwrap`"
    }
  ]
}
"#,
    )
    .expect("a baseline on disk");
    let text = format!(
        "## grown\n{}## shrunk\n{}",
        repo.hook("claude-code", "claude-code/pre-write-baseline-grown.json"),
        repo.hook("claude-code", "claude-code/pre-write-baseline-shrunk.json")
    );
    settings().bind(|| insta::assert_snapshot!("hook_baseline", text));
}

/// What tells one write of a file from another: its inode (a cache file is written aside and
/// renamed into place) and its modification time.
fn slot_id(path: &Path) -> (u64, std::time::SystemTime) {
    let meta = fs::metadata(path).expect("stat");
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let ino = 0;
    (ino, meta.modified().expect("mtime"))
}

#[test]
fn the_state_before_an_edit_is_remembered_for_the_next_proposal() {
    let repo = Repo::new();
    let first = repo.hook("claude-code", "claude-code/pre-edit-deny.json");
    let slot = repo.root().join(".ribo-cache/results-focused-v1.bin");
    assert!(
        slot.is_file(),
        "the state before the edit was not remembered"
    );
    let remembered = fs::read(&slot).expect("reads");
    let written = slot_id(&slot);
    // The same proposal again: the same answer, from the remembered state (found by the key
    // the scan of the proposal gave for the disk; not checked again, so not written again:
    // a write renames a new file into place).
    let second = repo.hook("claude-code", "claude-code/pre-edit-deny.json");
    assert_eq!(first, second);
    assert_eq!(fs::read(&slot).expect("reads"), remembered);
    assert_eq!(
        slot_id(&slot),
        written,
        "the state before was checked again"
    );
    // A file changed on disk: the remembered state no longer holds, and is not used.
    let rules = repo.root().join("src/domain/rules.rs");
    let text = fs::read_to_string(&rules).expect("reads");
    fs::write(&rules, text.replace("id > 0", "id > 0 && id < 9")).expect("edit");
    let third = repo.hook("claude-code", "claude-code/pre-edit-write-unwrap.json");
    assert!(third.contains("no-unwrap"), "{third}");
}

#[test]
fn an_edit_across_two_specs_is_checked_against_each() {
    let repo = Repo::new();
    let root = repo.root();
    // A second spec, nested, with its own code.
    fs::create_dir_all(root.join("tools/src")).expect("mkdir");
    fs::write(
        root.join("tools/ribo.yaml"),
        "version: 1\nsystem: { name: tools }\nboundaries:\n  all:\n    paths: [\"**\"]\n",
    )
    .expect("spec");
    fs::write(root.join("tools/src/lib.rs"), "pub fn t() {}\n").expect("code");
    // One Codex patch loosening the outer spec, then touching the nested one last.
    let patch = "*** Begin Patch\n*** Update File: ribo.yaml\n@@ infra:\n     paths: [\"src/infra/**\"]\n-    may_use: [domain]\n+    may_use: [domain, app]\n*** Update File: tools/ribo.yaml\n@@\n+# tools\n*** End Patch\n";
    let payload = serde_json::json!({
        "session_id": "s", "transcript_path": null, "cwd": root, "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "apply_patch", "tool_use_id": "call_01",
        "tool_input": { "command": patch }
    });
    let mut child = common::spawn_piped(&root, &["hook", "codex"]);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"permissionDecision\":\"deny\""),
        "{stdout}"
    );
    assert!(stdout.contains("`infra` may now use `app`"), "{stdout}");
}
