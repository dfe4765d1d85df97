//! `ribo init --agent AGENT` registers ribo's MCP server (`ribo mcp`) in the agent's project
//! MCP configuration beside its hook, in temporary copies of `tests/fixtures/changed`: merged,
//! never clobbered, once; a file of the wrong shape, a link or a FIFO is refused and nothing is
//! written.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{copy_dir, fixture, settings, transcript};

/// Each agent: its hook file and its MCP configuration.
const AGENTS: [(&str, &str, &str); 3] = [
    ("claude-code", ".claude/settings.json", ".mcp.json"),
    ("codex", ".codex/hooks.json", ".codex/config.toml"),
    ("cursor", ".cursor/hooks.json", ".cursor/mcp.json"),
];

/// A copy of the `changed` fixture (a repository with its ribo.yaml).
fn repo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&fixture("changed"), dir.path());
    let root = dir.path().canonicalize().expect("canonical");
    (dir, root)
}

fn init_agent(root: &Path, agent: &str) -> String {
    transcript(root, &["init", "--agent", agent])
}

/// `path` (relative to `root`) with its contents, for a snapshot.
fn shown(root: &Path, path: &str) -> String {
    match fs::read_to_string(root.join(path)) {
        Ok(text) => format!("--- {path}\n{text}"),
        Err(e) => format!("--- {path}: {:?}\n", e.kind()),
    }
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

#[test]
fn each_agent_gets_its_server_once_beside_its_hook() {
    let mut text = String::new();
    for (agent, hooks, mcp) in AGENTS {
        let (_dir, root) = repo();
        text.push_str(&format!("## {agent}\n{}", init_agent(&root, agent)));
        text.push_str(&shown(&root, mcp));
        let written = (
            fs::read(root.join(hooks)).expect("the hook file"),
            fs::read(root.join(mcp)).expect("the MCP configuration"),
        );
        text.push_str(&format!("## {agent}, again\n{}", init_agent(&root, agent)));
        let again = (
            fs::read(root.join(hooks)).expect("the hook file"),
            fs::read(root.join(mcp)).expect("the MCP configuration"),
        );
        assert_eq!(written, again, "{agent}: a second run changed a file");
    }
    settings().bind(|| insta::assert_snapshot!("init_mcp_fresh", text));
}

#[test]
fn an_existing_configuration_is_merged_into() {
    let (_dir, root) = repo();
    write(
        &root,
        ".mcp.json",
        r#"{
  "mcpServers": {
    "docs": { "command": "npx", "args": ["-y", "docs-mcp"], "env": { "DOCS_KEY": "${DOCS_KEY}" } },
    "tracker": { "type": "http", "url": "https://tracker.example/mcp" }
  },
  "note": "shared with the team"
}
"#,
    );
    write(
        &root,
        ".codex/config.toml",
        r#"# Codex, for this repository (trusted).
model = "o3"  # the team's default
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"
args = ["-y", "docs-mcp"]  # pinned in package.json
# startup_timeout_sec = 30

[mcp_servers.docs.env]
DOCS_KEY = "from-the-environment"

# A profile for quick questions.
[profiles.quick]
model = "o4-mini"
"#,
    );
    write(
        &root,
        ".cursor/mcp.json",
        r#"{"mcpServers":{"browser":{"command":"npx","args":["@playwright/mcp@latest"]}}}"#,
    );
    let mut text = String::new();
    for (agent, _, mcp) in AGENTS {
        text.push_str(&format!("## {agent}\n{}", init_agent(&root, agent)));
        text.push_str(&shown(&root, mcp));
        let once = fs::read(root.join(mcp)).expect("reads");
        text.push_str(&format!("## {agent}, again\n{}", init_agent(&root, agent)));
        assert_eq!(fs::read(root.join(mcp)).expect("reads"), once, "{agent}");
    }
    settings().bind(|| insta::assert_snapshot!("init_mcp_merged", text));
}

#[test]
fn a_server_named_ribo_that_runs_something_else_is_left_with_a_warning() {
    let (_dir, root) = repo();
    let claude =
        r#"{ "mcpServers": { "ribo": { "command": "npx", "args": ["-y", "ribo-mcp"] } } }"#;
    let codex = "[mcp_servers.ribo]\nurl = \"https://ribo.example/mcp\"\n";
    // ribo's own server, under another name: there already.
    let cursor =
        r#"{ "mcpServers": { "architecture": { "command": "/opt/bin/ribo", "args": ["mcp"] } } }"#;
    write(&root, ".mcp.json", claude);
    write(&root, ".codex/config.toml", codex);
    write(&root, ".cursor/mcp.json", cursor);
    let mut text = String::new();
    for (agent, hooks, _) in AGENTS {
        text.push_str(&format!("## {agent}\n{}", init_agent(&root, agent)));
        assert!(
            root.join(hooks).is_file(),
            "{agent}: the hook was not written"
        );
    }
    assert_eq!(
        fs::read_to_string(root.join(".mcp.json")).expect("reads"),
        claude
    );
    assert_eq!(
        fs::read_to_string(root.join(".codex/config.toml")).expect("reads"),
        codex
    );
    assert_eq!(
        fs::read_to_string(root.join(".cursor/mcp.json")).expect("reads"),
        cursor
    );
    settings().bind(|| insta::assert_snapshot!("init_mcp_conflict", text));
}

#[test]
fn a_configuration_of_the_wrong_shape_is_refused_and_nothing_is_written() {
    let cases = [
        ("claude-code", ".mcp.json", r#"{ "mcpServers": ["ribo"] }"#),
        ("claude-code", ".mcp.json", "[]"),
        (
            "codex",
            ".codex/config.toml",
            "[mcp_servers\ncommand = 'x'\n",
        ),
        ("codex", ".codex/config.toml", "mcp_servers = \"ribo\"\n"),
        ("cursor", ".cursor/mcp.json", "{ \"mcpServers\": { , } }"),
    ];
    let mut text = String::new();
    for (agent, mcp, bad) in cases {
        let (_dir, root) = repo();
        write(&root, mcp, bad);
        text.push_str(&format!("## {agent}: {bad}\n{}", init_agent(&root, agent)));
        assert_eq!(fs::read_to_string(root.join(mcp)).expect("reads"), bad);
        let hooks = AGENTS
            .iter()
            .find(|a| a.0 == agent)
            .map(|a| a.1)
            .expect("an agent");
        assert!(
            !root.join(hooks).exists(),
            "{agent}: the hook file was written though the MCP configuration was refused"
        );
    }
    // A broken hook file holds the MCP configuration back too.
    let (_dir, root) = repo();
    write(&root, ".cursor/hooks.json", "{ not json");
    text.push_str(&format!(
        "## cursor: a broken hook file\n{}",
        init_agent(&root, "cursor")
    ));
    assert!(!root.join(".cursor/mcp.json").exists());
    settings().bind(|| insta::assert_snapshot!("init_mcp_refused", text));
}

#[cfg(unix)]
#[test]
fn links_and_special_files_are_refused() {
    let mut text = String::new();
    // `.mcp.json` a link to a file elsewhere: not read, not replaced.
    let (_dir, root) = repo();
    let outside = tempfile::tempdir().expect("a temporary directory");
    let target = outside.path().join("mcp.json");
    fs::write(&target, "{}").expect("write");
    std::os::unix::fs::symlink(&target, root.join(".mcp.json")).expect("symlink");
    text.push_str(&format!(
        "## .mcp.json a link\n{}",
        init_agent(&root, "claude-code")
    ));
    assert_eq!(fs::read_to_string(&target).expect("reads"), "{}");
    assert!(!root.join(".claude").exists());
    // `.codex` a link to a directory elsewhere: nothing written there.
    let (_dir, root) = repo();
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    std::os::unix::fs::symlink(elsewhere.path(), root.join(".codex")).expect("symlink");
    text.push_str(&format!("## .codex a link\n{}", init_agent(&root, "codex")));
    assert_eq!(
        fs::read_dir(elsewhere.path()).expect("lists").count(),
        0,
        "ribo wrote through the link"
    );
    // `.cursor/mcp.json` a FIFO: refused at once (reading it would block).
    let (_dir, root) = repo();
    fs::create_dir(root.join(".cursor")).expect("mkdir");
    let made = std::process::Command::new("mkfifo")
        .arg(root.join(".cursor/mcp.json"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    text.push_str(&format!(
        "## .cursor/mcp.json a FIFO\n{}",
        init_agent(&root, "cursor")
    ));
    assert!(!root.join(".cursor/hooks.json").exists());
    settings().bind(|| insta::assert_snapshot!("init_mcp_links", text));
}
