//! `ribo mcp` driven as a subprocess by the official Rust SDK's client (rmcp, the
//! `transport-child-process` transport), over both protocol revisions it serves: the
//! `initialize` handshake (2025-11-25) and the stateless 2026-07-28 (`server/discover`, every
//! request with its `_meta`). Every tool with valid arguments (each structured result
//! validated against the tool's own output schema), invalid arguments, a spec broken and
//! mended while the server runs, a file edited on disk between two calls, and a proposed
//! change that leaves no trace. The bytes on the wire (malformed JSON, oversized lines, stdin's
//! end, 1,000 calls, concurrent calls) are tests/mcp_robustness.rs; a second, independent
//! client (the official Python SDK) is tests/mcp_python, run by .ci/run.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rmcp::model::{CallToolRequestParams, CallToolResult, ProtocolVersion, Tool};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{ClientLifecycleMode, ClientServiceExt};
use serde_json::{json, Value};

use common::{copy_dir, fixture, settings};

type Client = RunningService<RoleClient, ()>;

/// A copy of `tests/fixtures/<name>` (or `examples/<name>`) in a temporary directory: the
/// server writes its cache there.
fn repo(from: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().join("repo");
    copy_dir(from, &root);
    (dir, root)
}

/// Writes module `name` of the directory module `dir` (under `root`) with `text`, and declares
/// it in `dir/mod.rs`.
fn add_module(root: &Path, dir: &str, name: &str, text: &str) {
    std::fs::write(root.join(format!("{dir}/{name}.rs")), text).expect("the module");
    let parent = root.join(format!("{dir}/mod.rs"));
    let declared = std::fs::read_to_string(&parent).expect("mod.rs");
    std::fs::write(&parent, format!("{declared}pub mod {name};\n")).expect("its mod");
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn lifecycles() -> Vec<(&'static str, ClientLifecycleMode)> {
    vec![
        ("2025-11-25 (initialize)", ClientLifecycleMode::Initialize),
        (
            "2026-07-28 (server/discover)",
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        ),
    ]
}

async fn connect(root: &Path, lifecycle: ClientLifecycleMode) -> Client {
    let transport = TokioChildProcess::new(
        tokio::process::Command::new(env!("CARGO_BIN_EXE_ribo")).configure(|c| {
            c.arg("mcp").current_dir(root).env_remove("RIBO_NO_CACHE");
        }),
    )
    .expect("ribo mcp starts");
    ().serve_with_lifecycle(transport, lifecycle)
        .await
        .expect("the client connects")
}

fn args(value: Value) -> CallToolRequestParams {
    CallToolRequestParams::new("").with_arguments(match value {
        Value::Object(map) => map,
        _ => panic!("arguments are an object"),
    })
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let mut params = args(arguments);
    params.name = tool.to_string().into();
    client
        .call_tool(params)
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

/// A successful call's structured result, checked against the tool's output schema and
/// against the JSON text the result mirrors it in.
async fn ok(client: &Client, tools: &[Tool], tool: &str, arguments: Value) -> Value {
    let result = call(client, tool, arguments.clone()).await;
    let text = texts(&result);
    assert_eq!(
        result.is_error,
        Some(false),
        "{tool} {arguments} failed: {text}"
    );
    let value = result
        .structured_content
        .clone()
        .unwrap_or_else(|| panic!("{tool}: no structuredContent"));
    let schema = tools
        .iter()
        .find(|t| t.name == tool)
        .and_then(|t| t.output_schema.clone())
        .unwrap_or_else(|| panic!("{tool}: no output schema"));
    let validator =
        jsonschema::validator_for(&Value::Object((*schema).clone())).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{tool}: {errors:#?}\n{value:#}");
    // The short text first, then the result as JSON text (for clients without structured
    // content).
    assert_eq!(result.content.len(), 2, "{tool}: {text}");
    let mirrored: Value = serde_json::from_str(&text_of(&result, 1)).expect("the JSON text");
    assert_eq!(
        mirrored, value,
        "{tool}: the JSON text differs from structuredContent"
    );
    value
}

fn text_of(result: &CallToolResult, i: usize) -> String {
    result.content[i]
        .as_text()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

fn texts(result: &CallToolResult) -> String {
    (0..result.content.len())
        .map(|i| text_of(result, i))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A refused call: a tool error (not a protocol error) with its message.
async fn refused(client: &Client, tool: &str, arguments: Value) -> String {
    let result = call(client, tool, arguments.clone()).await;
    assert_eq!(
        result.is_error,
        Some(true),
        "{tool} {arguments} was not refused: {}",
        texts(&result)
    );
    assert!(result.structured_content.is_none());
    texts(&result)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn codes(report: &Value) -> Vec<String> {
    report["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| format!("{} {}", v["code"].as_str().unwrap_or_default(), v["file"]))
        .collect()
}

#[test]
fn every_tool_answers_in_both_revisions_within_its_output_schema() {
    let (_dir, root) = repo(&example("shop"));
    let rt = runtime();
    let mut seen: Vec<(String, BTreeMap<String, Value>)> = Vec::new();
    for (revision, lifecycle) in lifecycles() {
        let answers = rt.block_on(async {
            let client = connect(&root, lifecycle).await;
            let tools = client.list_all_tools().await.expect("tools/list");
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
            assert_eq!(
                names,
                ["explain_path", "check", "check_change", "where_may", "explain_code", "spec"]
            );
            for t in &tools {
                assert_eq!(t.input_schema.get("type"), Some(&json!("object")));
                let out = t.output_schema.as_ref().expect("an output schema");
                assert_eq!(out.get("type"), Some(&json!("object")), "{}", t.name);
                let read_only = t.annotations.as_ref().and_then(|a| a.read_only_hint);
                assert_eq!(read_only, Some(true), "{}", t.name);
            }
            let mut answers = BTreeMap::new();
            let mut ask = |key: &str, value: Value| {
                answers.insert(key.to_string(), value);
            };
            ask("check", ok(&client, &tools, "check", json!({})).await);
            ask(
                "check paths=[src/domain/pricing.rs]",
                ok(
                    &client,
                    &tools,
                    "check",
                    json!({"paths": ["src/domain/pricing.rs"]}),
                )
                .await,
            );
            // A change that adds a finding (the domain calls the infrastructure) and removes
            // another (the panic in pricing).
            let pricing = std::fs::read_to_string(root.join("src/domain/pricing.rs"))
                .expect("pricing.rs");
            ask(
                "check_change files",
                ok(
                    &client,
                    &tools,
                    "check_change",
                    json!({"files": {
                        "src/domain/pricing.rs": pricing.replace(".unwrap()", ".unwrap_or(0)"),
                        "src/domain/fresh.rs": "pub fn f() { crate::infra::db::connect(); }\n",
                        "src/domain/mod.rs": format!("{}pub mod fresh;\n",
                            std::fs::read_to_string(root.join("src/domain/mod.rs")).expect("mod.rs")),
                    }}),
                )
                .await,
            );
            ask(
                "check_change diff",
                ok(
                    &client,
                    &tools,
                    "check_change",
                    json!({"diff": "--- a/src/ffi/mod.rs\n+++ b/src/ffi/mod.rs\n@@ -1 +1,2 @@\n".to_string()
                        + &format!("-{}\n+{}\n+pub fn more() {{ let _ = std::env::var(\"HOME\"); }}\n",
                            first_line(&root, "src/ffi/mod.rs"), first_line(&root, "src/ffi/mod.rs"))}),
                )
                .await,
            );
            ask(
                "explain_path src/domain/pricing.rs",
                ok(&client, &tools, "explain_path", json!({"path": "src/domain/pricing.rs"})).await,
            );
            ask(
                "explain_path src/api/new_file.rs (does not exist)",
                ok(&client, &tools, "explain_path", json!({"path": "src/api/new_file.rs"})).await,
            );
            ask(
                "where_may domain (boundary)",
                ok(&client, &tools, "where_may", json!({"target": "domain"})).await,
            );
            ask(
                "where_may sqlx (crate)",
                ok(&client, &tools, "where_may", json!({"target": "sqlx"})).await,
            );
            ask(
                "where_may src/domain/pricing.rs (outside the interface)",
                ok(&client, &tools, "where_may", json!({"target": "src/domain/pricing.rs"})).await,
            );
            ask(
                "where_may src/domain/model.rs (in the interface)",
                ok(&client, &tools, "where_may", json!({"target": "src/domain/model.rs", "kind": "path"})).await,
            );
            ask(
                "explain_code boundary::layer",
                ok(&client, &tools, "explain_code", json!({"code": "boundary::layer"})).await,
            );
            ask("spec", ok(&client, &tools, "spec", json!({})).await);
            client.cancel().await.expect("the client closes");
            answers
        });
        seen.push((revision.to_string(), answers));
    }
    let (_, first) = &seen[0];
    for (revision, answers) in &seen[1..] {
        assert_eq!(answers, first, "{revision} answers differently");
    }
    settings().bind(|| insta::assert_json_snapshot!("mcp_every_tool", first));
    // The short texts a model reads first.
    let texts = rt.block_on(async {
        let client = connect(&root, ClientLifecycleMode::Initialize).await;
        let mut out = String::new();
        for (tool, arguments) in [
            ("check", json!({"limit": 3})),
            ("check_change", json!({"files": {"src/domain/fresh.rs": "pub fn f() {}\n", "src/domain/mod.rs": "pub mod fresh;\n"}})),
            ("explain_path", json!({"path": "src/domain/pricing.rs"})),
            ("where_may", json!({"target": "src/domain/pricing.rs"})),
            ("where_may", json!({"target": "aws-sdk-s3"})),
            ("spec", json!({})),
        ] {
            let result = call(&client, tool, arguments.clone()).await;
            out.push_str(&format!("== {tool} {arguments}\n{}\n", text_of(&result, 0)));
        }
        client.cancel().await.expect("the client closes");
        out
    });
    settings().bind(|| insta::assert_snapshot!("mcp_texts", texts));
}

fn first_line(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel))
        .expect("a file")
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn invalid_arguments_are_tool_errors_and_an_unknown_tool_a_protocol_error() {
    let (dir, root) = repo(&fixture("layer"));
    // A link out of the repository.
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("a directory");
    std::fs::write(outside.join("secret.rs"), "pub fn s() {}\n").expect("a file");
    std::os::unix::fs::symlink(&outside, root.join("out")).expect("a link");
    let rt = runtime();
    let transcript = rt.block_on(async {
        let client = connect(&root, ClientLifecycleMode::Initialize).await;
        let big = "x".repeat(11 * 1024 * 1024);
        let cases: Vec<(&str, Value)> = vec![
            ("explain_path", json!({"path": "../x.rs"})),
            ("explain_path", json!({"path": "/etc/passwd"})),
            ("explain_path", json!({"path": "out/secret.rs"})),
            ("explain_path", json!({"path": ".git/config"})),
            ("explain_path", json!({"path": "src"})),
            ("explain_path", json!({"path": 7})),
            ("explain_path", json!({})),
            ("explain_path", json!({"path": "src/a.rs", "extra": true})),
            ("check", json!({"paths": "src/store.rs"})),
            ("check", json!({"paths": ["../x.rs"]})),
            ("check", json!({"limit": 0})),
            ("check_change", json!({})),
            ("check_change", json!({"diff": "x", "files": {}})),
            ("check_change", json!({"files": {}})),
            ("check_change", json!({"files": []})),
            ("check_change", json!({"files": {"src/store.rs": 3}})),
            ("check_change", json!({"files": {"out/secret.rs": "pub fn t() {}\n"}})),
            ("check_change", json!({"files": {"src/store.rs": big}})),
            ("check_change", json!({"diff": "not a diff\n"})),
            (
                "check_change",
                json!({"diff": "--- a/src/store.rs\n+++ b/src/store.rs\n@@ -1 +1 @@\n-no such line\n+x\n"}),
            ),
            ("where_may", json!({"target": "api", "kind": "module"})),
            ("where_may", json!({"target": "nowhere", "kind": "boundary"})),
            ("where_may", json!({"target": "../x.rs"})),
            ("explain_code", json!({"code": "boundary::layr"})),
            ("spec", json!({"verbose": true})),
        ];
        let mut transcript = String::new();
        for (tool, arguments) in cases {
            let shown = arguments.to_string();
            let shown = if shown.len() > 120 {
                format!("{}...", &shown[..120])
            } else {
                shown
            };
            let why = refused(&client, tool, arguments).await;
            transcript.push_str(&format!("{tool} {shown}\n  {why}\n"));
        }
        let mut unknown = args(json!({}));
        unknown.name = "no_such_tool".into();
        match client.call_tool(unknown).await {
            Err(ServiceError::McpError(e)) => {
                transcript.push_str(&format!("no_such_tool: JSON-RPC error {} {}\n", e.code.0, e.message));
            }
            other => panic!("an unknown tool is a protocol error, not {other:?}"),
        }
        // The server goes on.
        let report = call(&client, "check", json!({})).await;
        assert_eq!(report.is_error, Some(false));
        client.cancel().await.expect("the client closes");
        transcript
    });
    settings().bind(|| insta::assert_snapshot!("mcp_refused", transcript));
}

#[test]
fn a_spec_broken_and_mended_while_the_server_runs() {
    let (_dir, root) = repo(&fixture("layer"));
    let spec = std::fs::read_to_string(root.join("ribo.yaml")).expect("the spec");
    let rt = runtime();
    let transcript = rt.block_on(async {
        let client = connect(&root, ClientLifecycleMode::Initialize).await;
        let tools = client.list_all_tools().await.expect("tools/list");
        let before = ok(&client, &tools, "check", json!({})).await;
        assert_eq!(codes(&before).len(), 2);
        std::fs::write(
            root.join("ribo.yaml"),
            spec.replace("layers:", "may_use_everything: true\nlayers:")
                .replace("app: {", "app: { may_use: [nowhere],"),
        )
        .expect("break the spec");
        let mut transcript = String::from("broken:\n");
        for (tool, arguments) in [
            ("check", json!({})),
            (
                "check_change",
                json!({"files": {"src/store.rs": "pub fn x() {}\n"}}),
            ),
            ("explain_path", json!({"path": "src/store.rs"})),
            ("where_may", json!({"target": "api"})),
            ("spec", json!({})),
        ] {
            let why = refused(&client, tool, arguments).await;
            transcript.push_str(&format!("{tool}:\n{why}\n"));
        }
        // What needs no spec still answers.
        ok(
            &client,
            &tools,
            "explain_code",
            json!({"code": "boundary::cycle"}),
        )
        .await;
        std::fs::write(root.join("ribo.yaml"), &spec).expect("mend the spec");
        let after = ok(&client, &tools, "check", json!({})).await;
        assert_eq!(after, before, "the mended spec checks as before");
        client.cancel().await.expect("the client closes");
        transcript
    });
    settings().bind(|| insta::assert_snapshot!("mcp_spec_broken", transcript));
}

#[test]
fn a_file_edited_on_disk_between_two_calls_is_seen_by_the_second() {
    let (_dir, root) = repo(&fixture("layer"));
    let store = root.join("src/store.rs");
    let original = std::fs::read_to_string(&store).expect("store.rs");
    let rt = runtime();
    rt.block_on(async {
        let client = connect(&root, ClientLifecycleMode::Initialize).await;
        let tools = client.list_all_tools().await.expect("tools/list");
        let whole = ok(&client, &tools, "check", json!({})).await;
        assert_eq!(
            codes(&whole),
            [
                "boundary::cycle \"src/store.rs\"",
                "boundary::layer \"src/store.rs\""
            ]
        );
        // A change proposed before and after the same edit on disk: the state before it is
        // the disk's each time (the server's warm graph of the disk is built again).
        let propose =
            json!({"files": {"src/store.rs": format!("{original}\npub fn more() {{}}\n")}});
        let proposed = ok(&client, &tools, "check_change", propose.clone()).await;
        assert_eq!(
            codes(&proposed),
            Vec::<String>::new(),
            "nothing new: {proposed:#}"
        );
        std::fs::write(&store, "pub fn fixed() {}\n").expect("edit store.rs");
        let proposed = ok(&client, &tools, "check_change", propose).await;
        assert_eq!(
            codes(&proposed),
            [
                "boundary::cycle \"src/store.rs\"",
                "boundary::layer \"src/store.rs\""
            ],
            "against the fixed file on disk, the change brings both back: {proposed:#}"
        );
        let fixed = ok(&client, &tools, "check", json!({})).await;
        assert_eq!(codes(&fixed), Vec::<String>::new(), "{fixed:#}");
        let one = ok(&client, &tools, "check", json!({"paths": ["src/store.rs"]})).await;
        assert_eq!(codes(&one), Vec::<String>::new());
        std::fs::write(&store, &original).expect("restore store.rs");
        let again = ok(&client, &tools, "check", json!({"paths": ["src/store.rs"]})).await;
        assert_eq!(codes(&again).len(), 2, "{again:#}");
        client.cancel().await.expect("the client closes");
    });
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).expect("a file"));
            }
        }
    }
    out
}

#[test]
fn a_proposed_change_writes_nothing_and_does_not_change_the_next_check() {
    let (_dir, root) = repo(&fixture("layer"));
    let rt = runtime();
    rt.block_on(async {
        let client = connect(&root, ClientLifecycleMode::Initialize).await;
        let tools = client.list_all_tools().await.expect("tools/list");
        let before = ok(&client, &tools, "check", json!({})).await;
        let one_before = ok(&client, &tools, "check", json!({"paths": ["src/app.rs"]})).await;
        let cache = root.join(".ribo-cache");
        let files = tree(&root);
        assert!(
            files.keys().any(|p| p.starts_with(&cache)),
            "a check keeps its cache in the repository's .ribo-cache"
        );
        let outside_cache = |t: BTreeMap<PathBuf, Vec<u8>>| {
            t.into_iter()
                .filter(|(p, _)| !p.starts_with(&cache))
                .collect::<BTreeMap<_, _>>()
        };
        // app.rs calls the API, a layer above it: one new finding.
        let app = std::fs::read_to_string(root.join("src/app.rs")).expect("app.rs");
        let change = ok(
            &client,
            &tools,
            "check_change",
            json!({"files": {"src/app.rs": format!("{app}\npub fn proposed_only_xq7() {{ crate::api::handle(); }}\n")}}),
        )
        .await;
        assert_eq!(codes(&change), ["boundary::layer \"src/app.rs\""], "{change:#}");
        assert_eq!(change["summary"]["change"]["added_errors"], 1);
        // The state before the change is the disk's: checking it may bring ribo's own cache
        // up to date, but nothing of the change reaches the repository or the cache.
        let after = tree(&root);
        assert_eq!(
            outside_cache(after.clone()),
            outside_cache(files),
            "check_change wrote to the repository"
        );
        for (path, bytes) in &after {
            assert!(
                !bytes.windows(14).any(|w| w == b"proposed_only_"),
                "the proposed change reached {}",
                path.display()
            );
        }
        assert_eq!(ok(&client, &tools, "check", json!({})).await, before);
        assert_eq!(
            ok(&client, &tools, "check", json!({"paths": ["src/app.rs"]})).await,
            one_before
        );
        client.cancel().await.expect("the client closes");
    });
}

#[test]
fn a_limit_reports_errors_first_and_counts_what_it_left_out() {
    let (_dir, root) = repo(&example("shop"));
    let rt = runtime();
    rt.block_on(async {
        let client = connect(&root, ClientLifecycleMode::Initialize).await;
        let tools = client.list_all_tools().await.expect("tools/list");
        let all = ok(&client, &tools, "check", json!({})).await;
        let one = ok(&client, &tools, "check", json!({"limit": 1})).await;
        let total = all["violations"].as_array().expect("violations").len() as u64;
        assert!(total > 1);
        assert_eq!(
            one["summary"], all["summary"],
            "the summary counts everything"
        );
        assert_eq!(one["violations"].as_array().map(Vec::len), Some(1));
        assert_eq!(one["violations"][0]["severity"], "error");
        let first_error = all["violations"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["severity"] == "error"))
            .cloned();
        assert_eq!(Some(one["violations"][0].clone()), first_error);
        assert_eq!(one["omitted"]["violations"], json!(total - 1));
        assert_eq!(all["omitted"]["violations"], 0);
        client.cancel().await.expect("the client closes");
    });
}

/// `where_may` agrees with what `ribo check` reports: the standard library is every
/// boundary's; a renamed dependency (`stripe = { package = "async-stripe" }`) is the same crate
/// by either name; a crate contract that allows files (globs) allows the boundaries that may
/// hold them, for those files only; what is no boundary, crate or file is refused.
#[test]
fn where_may_answers_as_the_check_does() {
    let (_dir, root) = repo(&example("shop"));
    // A copy of the spec whose stripe contract allows files rather than a boundary.
    let spec = std::fs::read_to_string(root.join("ribo.yaml")).expect("the spec");
    assert!(
        spec.contains("only_from: [infra]"),
        "the shop's stripe contract"
    );
    let rt = runtime();
    let transcript = rt.block_on(async {
        let client = connect(&root, ClientLifecycleMode::Initialize).await;
        let tools = client.list_all_tools().await.expect("tools/list");
        let mut out = String::new();
        let mut ask = |v: Value| {
            let may: Vec<&str> = v["may"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["boundary"].as_str())
                .collect();
            let not: Vec<String> = v["may_not"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| format!("{} ({})", m["boundary"].as_str().unwrap_or_default(), m["reason"].as_str().unwrap_or_default()))
                .collect();
            out.push_str(&format!("{}: may {may:?}; may not {not:?}\n", v["target"]));
            v
        };
        let std = ask(ok(&client, &tools, "where_may", json!({"target": "std"})).await);
        assert_eq!(std["may_not"], json!([]));
        let by_code = ask(ok(&client, &tools, "where_may", json!({"target": "stripe"})).await);
        let by_package =
            ask(ok(&client, &tools, "where_may", json!({"target": "async-stripe"})).await);
        assert_eq!(by_code["may"], by_package["may"], "one crate, two names");
        assert_eq!(by_package["declared"], true);
        let unknown = ask(ok(&client, &tools, "where_may", json!({"target": "no-such-crate"})).await);
        assert_eq!(unknown["declared"], false);
        std::fs::write(
            root.join("ribo.yaml"),
            spec.replace("only_from: [infra]", "only_from: [\"src/infra/payments.rs\"]"),
        )
        .expect("a glob in only_from");
        let globbed = ask(ok(&client, &tools, "where_may", json!({"target": "stripe"})).await);
        assert_eq!(
            globbed["may"],
            json!([{"boundary": "infra", "line": 31, "only_files": ["src/infra/payments.rs"], "only_line": 85}])
        );
        std::fs::write(root.join("ribo.yaml"), &spec).expect("the spec as it was");
        for target in ["src/domain", "crate::domain", ""] {
            let why = refused(&client, "where_may", json!({"target": target})).await;
            out.push_str(&format!("{target:?}: refused: {why}\n"));
        }
        client.cancel().await.expect("the client closes");
        out
    });
    settings().bind(|| insta::assert_snapshot!("mcp_where_may", transcript));
    // What the check says of the same uses, written: infra may use stripe, by either name;
    // the domain may use std.
    let (_dir2, written) = repo(&example("shop"));
    add_module(
        &written,
        "src/infra",
        "refunds",
        "use stripe::Charge;\npub fn refund(_c: &Charge) {}\n",
    );
    add_module(
        &written,
        "src/domain",
        "sets",
        "use std::collections::HashMap;\npub fn empty() -> HashMap<u8, u8> { HashMap::new() }\n",
    );
    let (_, stdout, _) = common::run_in(
        &written,
        &[
            "check",
            "src/infra/refunds.rs",
            "src/domain/sets.rs",
            "--format",
            "compact",
        ],
    );
    assert!(
        !stdout.contains("refunds.rs") && !stdout.contains("sets.rs"),
        "the check agrees: {stdout}"
    );
}

/// The spec's problems are read again on every call (what made it invalid may be outside the
/// file: a root that does not exist yet); the spec's name does not depend on the directory the
/// server started in; a file reached through a link inside the repository is the file the
/// walk finds; a diff is read from the repository's top, as `git diff` writes it, wherever the
/// spec is; a change that loosens the spec says so.
#[test]
fn the_spec_and_paths_are_read_as_the_check_reads_them() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let top = dir.path().join("mono");
    let root = top.join("services/shop");
    copy_dir(&example("shop"), &root);
    std::fs::create_dir_all(top.join(".git")).expect("a repository's top");
    let spec = std::fs::read_to_string(root.join("ribo.yaml")).expect("the spec");
    std::os::unix::fs::symlink("domain", root.join("src/alias")).expect("a link");
    let rt = runtime();
    rt.block_on(async {
        // Started in a subdirectory.
        let client = connect(&root.join("src/domain"), ClientLifecycleMode::Initialize).await;
        let tools = client.list_all_tools().await.expect("tools/list");
        let summary = ok(&client, &tools, "spec", json!({})).await;
        assert_eq!(summary["spec"], "ribo.yaml");
        let through = ok(&client, &tools, "explain_path", json!({"path": "src/alias/model.rs"})).await;
        assert_eq!(through["file"], "src/domain/model.rs");
        assert_eq!(through["boundary"]["name"], "domain");
        // The same change, through the link and not: the same findings.
        let body = "pub fn t() -> tokio::task::JoinHandle<()> { todo!() }\n";
        let model = std::fs::read_to_string(root.join("src/domain/model.rs")).expect("model.rs");
        let real = ok(&client, &tools, "check_change", json!({"files": {"src/domain/model.rs": format!("{model}{body}")}})).await;
        let alias = ok(&client, &tools, "check_change", json!({"files": {"src/alias/model.rs": format!("{model}{body}")}})).await;
        assert!(real["summary"]["change"]["added_errors"].as_u64() > Some(0), "{real:#}");
        assert_eq!(alias["violations"], real["violations"]);
        // A diff from the repository's top.
        let line = first_line(&root, "src/domain/model.rs");
        let diff = format!(
            "--- a/services/shop/src/domain/model.rs\n+++ b/services/shop/src/domain/model.rs\n@@ -1 +1,2 @@\n-{line}\n+{line}\n+{body}"
        );
        let from_top = ok(&client, &tools, "check_change", json!({"diff": diff})).await;
        // The same findings (at the line the diff puts the function on).
        let prints = |v: &Value| -> Vec<String> {
            v["violations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["fingerprint"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(prints(&from_top), prints(&real), "{from_top:#}");
        assert_eq!(from_top["violations"][0]["start"]["line"], 2);
        // A loosening of the spec is named.
        let loosened = spec.replace("crates: [serde, thiserror]", "crates: [serde, thiserror, tokio]");
        assert_ne!(loosened, spec);
        let change = ok(&client, &tools, "check_change", json!({"files": {"ribo.yaml": loosened}})).await;
        let named = change["loosenings"].as_array().map(Vec::len).unwrap_or(0);
        assert!(named > 0, "{change:#}");
        // A spec whose root does not exist yet; then it does.
        std::fs::write(root.join("ribo.yaml"), spec.replace("system:\n", "system:\n  root: later\n"))
            .expect("a root to come");
        let why = refused(&client, "check", json!({})).await;
        assert!(why.contains("later"), "{why}");
        copy_dir(&example("shop"), &root.join("later"));
        let now = ok(&client, &tools, "spec", json!({})).await;
        assert_eq!(now["system"]["name"], "shop", "read again: {now:#}");
        client.cancel().await.expect("the client closes");
    });
}
