//! `ribo mcp` on the wire: raw JSON-RPC lines written to its stdin and read from its stdout,
//! with no MCP client in between, in temporary copies of `tests/fixtures/layer`. Malformed
//! lines, unknown methods and tools (before and after `initialize`), a line over the
//! transport's limit, the end of stdin, a long run of calls (and the server's memory across
//! it), and concurrent calls. Every line the server writes to stdout must be a JSON-RPC 2.0
//! message: [`Server`] checks each one as it reads it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{copy_dir, fixture, settings};

/// The longest any one answer may take before the test gives up (and kills the server).
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// The longest the server may take to exit once its stdin is closed.
const EXIT_WITHIN: Duration = Duration::from_secs(60);

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

/// The new content of `src/store.rs` that removes its use of `api`, and with it both errors
/// of the fixture (the layer violation and the cycle).
const FIXED_STORE: &str = "pub fn x() {}\n";

/// `ribo mcp` running in a temporary copy of `tests/fixtures/layer`, its stdout read line by
/// line on a thread. Dropping it kills the server if it still runs (a failing test never
/// leaves one behind, nor hangs on one).
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Every line of stdout, as read (newline included); disconnected at stdout's end.
    lines: Receiver<Vec<u8>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    next_id: u64,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server that has been told nothing yet.
    fn start() -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        copy_dir(&fixture("layer"), dir.path());
        Server::start_in(dir, &[])
    }

    /// `ribo mcp <args>` run in `dir`, which it keeps.
    fn start_in(dir: tempfile::TempDir, args: &[&str]) -> Server {
        let args: Vec<&str> = std::iter::once("mcp").chain(args.iter().copied()).collect();
        let mut child = common::spawn_piped(dir.path(), &args);
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut read = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match read.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if send.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr");
        let stderr = thread::spawn(move || {
            let mut all = Vec::new();
            let _ = stderr.read_to_end(&mut all);
            all
        });
        Server {
            child,
            stdin,
            lines,
            stderr: Some(stderr),
            next_id: 100,
            _dir: dir,
        }
    }

    /// A server past the `initialize` handshake (2025-11-25).
    fn initialized() -> Server {
        let mut server = Server::start();
        server.handshake();
        server
    }

    fn handshake(&mut self) {
        self.send(INITIALIZE);
        let answer = self.answer(&json!(1));
        assert_eq!(
            answer["result"]["protocolVersion"], "2025-11-25",
            "initialize: {answer}"
        );
        assert_eq!(answer["result"]["serverInfo"]["name"], "ribo");
        self.send(INITIALIZED);
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Writes `bytes` to the server's stdin as they are.
    fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush to the server");
    }

    /// Writes `line` and a newline.
    fn send(&mut self, line: &str) {
        self.write(format!("{line}\n").as_bytes());
    }

    /// Writes a request with a fresh id; its id.
    fn request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.id();
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&line.to_string());
        id
    }

    /// Writes a `tools/call` of `tool` with `arguments`; its id.
    fn call(&mut self, tool: &str, arguments: Value) -> u64 {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
    }

    /// The next line of stdout, checked to be one JSON-RPC 2.0 message, as written (without
    /// its newline).
    fn next_line(&mut self) -> String {
        let line = match self.lines.recv_timeout(ANSWER_WITHIN) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no answer from ribo mcp within {ANSWER_WITHIN:?}")
            }
            Err(RecvTimeoutError::Disconnected) => panic!(
                "ribo mcp closed its stdout (exit: {:?}); stderr:\n{}",
                self.child.try_wait(),
                self.stderr_text()
            ),
        };
        json_rpc_line(&line)
    }

    /// The next message of stdout.
    fn next(&mut self) -> Value {
        serde_json::from_str(&self.next_line()).expect("checked by json_rpc_line")
    }

    /// The next message of stdout, which must answer `id` (the calls are made one at a time:
    /// nothing else may come before it).
    fn answer(&mut self, id: &Value) -> Value {
        let message = self.next();
        assert_eq!(
            &message["id"], id,
            "expected the answer to {id}, got {message}"
        );
        message
    }

    /// The result of the tool call `id`, which must have succeeded (no protocol error, no
    /// tool error); its structured content.
    fn result(&mut self, id: u64) -> Value {
        let message = self.answer(&json!(id));
        structured(&message)
    }

    /// A `ping`, which must be answered `{}` by the very next line (so nothing else was
    /// answered in between).
    fn ping(&mut self) {
        let id = self.request_without_params("ping");
        assert_eq!(
            self.next_line(),
            format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}}}}"#)
        );
    }

    fn request_without_params(&mut self, method: &str) -> u64 {
        let id = self.id();
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method}).to_string());
        id
    }

    /// Closes stdin, waits (bounded) for the server to exit, and returns its status, every
    /// message it wrote after those already read, and its stderr.
    fn finish(&mut self) -> (ExitStatus, Vec<Value>, String) {
        self.stdin = None;
        let status = self.wait_exit();
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(ANSWER_WITHIN) {
                Ok(line) => rest.push(
                    serde_json::from_str(&json_rpc_line(&line)).expect("checked by json_rpc_line"),
                ),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("the server exited but its stdout did not end")
                }
            }
        }
        let stderr = self.stderr_text();
        assert!(
            !stderr.contains("panicked at"),
            "ribo mcp panicked:\n{stderr}"
        );
        (status, rest, stderr)
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                return status;
            }
            if start.elapsed() > EXIT_WITHIN {
                let _ = self.child.kill();
                panic!("ribo mcp did not exit within {EXIT_WITHIN:?} of its stdin's end");
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// stderr, once the server has exited (empty while it runs).
    fn stderr_text(&mut self) -> String {
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            return String::new();
        }
        let bytes = self
            .stderr
            .take()
            .map(|t| t.join().expect("stderr read"))
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `line` (as read from stdout) checked to be exactly one JSON-RPC 2.0 message and a newline:
/// an object with `"jsonrpc":"2.0"` and an `id` with either a `result` or an `error`; the line
/// without its newline.
fn json_rpc_line(line: &[u8]) -> String {
    let shown = || {
        let text = String::from_utf8_lossy(line);
        text.chars().take(500).collect::<String>()
    };
    let Some(text) = line.strip_suffix(b"\n") else {
        panic!("stdout ended inside a line: {}", shown());
    };
    let text = std::str::from_utf8(text).unwrap_or_else(|_| panic!("not UTF-8: {}", shown()));
    let message: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("stdout holds a line that is not JSON ({e}): {}", shown()));
    assert_eq!(message["jsonrpc"], "2.0", "not JSON-RPC 2.0: {}", shown());
    let keys: BTreeSet<&str> = message
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {}", shown()))
        .keys()
        .map(String::as_str)
        .collect();
    // An error that answers no request it could read the id of has none (MCP 2026-07-28,
    // "Error Responses").
    let response = keys == BTreeSet::from(["jsonrpc", "id", "result"])
        || keys == BTreeSet::from(["jsonrpc", "id", "error"])
        || keys == BTreeSet::from(["jsonrpc", "error"]);
    assert!(response, "not a JSON-RPC response: {}", shown());
    text.to_string()
}

/// The structured content of a successful tool call's answer.
fn structured(message: &Value) -> Value {
    assert!(
        message.get("error").is_none(),
        "a protocol error: {message}"
    );
    let result = &message["result"];
    assert_eq!(result["isError"], false, "a tool error: {message}");
    result["structuredContent"].clone()
}

/// The error of an answer: its code and message.
fn error(message: &Value) -> (i64, String) {
    let error = &message["error"];
    (
        error["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("no error code: {message}")),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// The arguments each tool is called with in these tests.
fn arguments(tool: &str) -> Value {
    match tool {
        "explain_path" => json!({"path": "src/store.rs"}),
        "where_may" => json!({"target": "api"}),
        "explain_code" => json!({"code": "boundary::layer"}),
        "check" => json!({}),
        "check_change" => json!({"files": {"src/store.rs": FIXED_STORE}}),
        "check_change_diff" => json!({"diff": fixing_diff()}),
        _ => panic!("no arguments for {tool}"),
    }
}

/// The tool behind a name of [`arguments`].
fn tool_of(name: &str) -> &str {
    name.strip_suffix("_diff").unwrap_or(name)
}

/// The change of [`FIXED_STORE`] as a unified diff.
fn fixing_diff() -> String {
    let old = std::fs::read_to_string(fixture("layer").join("src/store.rs")).expect("store.rs");
    let mut diff = format!(
        "--- a/src/store.rs\n+++ b/src/store.rs\n@@ -1,{} +1,1 @@\n",
        old.lines().count()
    );
    for line in old.lines() {
        diff.push_str(&format!("-{line}\n"));
    }
    diff.push_str(&format!("+{FIXED_STORE}"));
    diff
}

/// Checks that `value` is what `name` (see [`arguments`]) answers on the fixture.
fn verify(name: &str, value: &Value) {
    match tool_of(name) {
        "explain_path" => {
            assert_eq!(value["file"], "src/store.rs", "{value}");
            assert_eq!(value["boundary"]["name"], "store", "{value}");
            assert_eq!(
                value["boundary"]["may_not_use"],
                json!(["api", "app"]),
                "{value}"
            );
        }
        "where_may" => {
            assert_eq!(value["target"], "api", "{value}");
            assert_eq!(value["kind"], "boundary", "{value}");
            let may_not: Vec<&Value> = value["may_not"]
                .as_array()
                .expect("may_not")
                .iter()
                .map(|b| &b["boundary"])
                .collect();
            assert_eq!(may_not, [&json!("app"), &json!("store")], "{value}");
        }
        "explain_code" => {
            assert_eq!(value["code"], "boundary::layer", "{value}");
            assert!(value["explanation"].as_str().is_some_and(|s| !s.is_empty()));
        }
        "check" => {
            assert_eq!(value["summary"]["errors"], 2, "{value}");
            let codes: Vec<&Value> = value["violations"]
                .as_array()
                .expect("violations")
                .iter()
                .map(|v| &v["code"])
                .collect();
            assert_eq!(
                codes,
                [&json!("boundary::cycle"), &json!("boundary::layer")],
                "{value}"
            );
            assert!(value["summary"].get("change").is_none(), "{value}");
        }
        "check_change" => {
            assert_eq!(
                value["summary"]["change"],
                json!({"added_errors": 0, "added_warnings": 0, "fixed": 2}),
                "{value}"
            );
            assert_eq!(value["violations"], json!([]), "{value}");
        }
        other => panic!("no expectation for {other}"),
    }
}

/// Calls `name` (see [`arguments`]) and checks its answer.
fn call_and_verify(server: &mut Server, name: &str) {
    let id = server.call(tool_of(name), arguments(name));
    let value = server.result(id);
    verify(name, &value);
}

/// The server's resident memory (VmRSS) or its peak (VmHWM), in KiB, on Linux.
fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Writes `line` (as is: its own line ending, if any) and records what it was answered, in a
/// transcript: `> "line"` then `< answer`, or `< (no answer)`. After it, a ping and a tool
/// call must still be answered, the ping by the very next line (so a line left unanswered
/// was not answered late either).
fn exchange(server: &mut Server, transcript: &mut String, line: &str, answered: bool) -> Value {
    server.write(line.as_bytes());
    transcript.push_str(&format!("> {line:?}\n"));
    let answer = if answered {
        let text = server.next_line();
        transcript.push_str(&format!("< {text}\n"));
        serde_json::from_str(&text).expect("JSON")
    } else {
        transcript.push_str("< (no answer)\n");
        Value::Null
    };
    server.ping();
    call_and_verify(server, "explain_code");
    answer
}

#[test]
fn malformed_lines_get_json_rpc_errors_and_the_server_goes_on() {
    let mut server = Server::start();
    let mut transcript = String::from("## before initialize\n");

    // Before initialize: the transport answers as it does after it, and a ping is answered
    // (MCP allows it), but a tool call needs the handshake, so only the ping is checked here.
    for (line, code) in [("garbage{\n", -32700), ("{\"foo\":1}\n", -32600)] {
        server.write(line.as_bytes());
        let text = server.next_line();
        transcript.push_str(&format!("> {line:?}\n< {text}\n"));
        let answer: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(error(&answer).0, code, "{answer}");
        assert!(answer.get("id").is_none(), "{answer}");
        server.ping();
    }
    server.handshake();
    transcript.push_str("## after initialize\n");

    // Not JSON: a parse error, without an id (there is none to give).
    let answer = exchange(&mut server, &mut transcript, "garbage{\n", true);
    assert_eq!(error(&answer).0, -32700, "{answer}");
    assert!(answer.get("id").is_none(), "{answer}");
    // JSON, not JSON-RPC: an invalid request, without an id.
    for line in [
        "[1,2]\n",
        "{\"foo\":1}\n",
        "{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"ping\"}\n",
    ] {
        let answer = exchange(&mut server, &mut transcript, line, true);
        assert_eq!(error(&answer).0, -32600, "{line}: {answer}");
        assert!(answer.get("id").is_none(), "{line}: {answer}");
    }
    // A request of the wrong shape that has an id: an invalid request, with that id.
    let answer = exchange(
        &mut server,
        &mut transcript,
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"initialize\",\"params\":5}\n",
        true,
    );
    assert_eq!(error(&answer).0, -32600, "{answer}");
    assert_eq!(answer["id"], 9, "{answer}");
    let answer = exchange(
        &mut server,
        &mut transcript,
        "{\"jsonrpc\":\"1.0\",\"id\":\"nine\",\"method\":\"ping\"}\n",
        true,
    );
    assert_eq!(error(&answer).0, -32600, "{answer}");
    assert_eq!(answer["id"], "nine", "{answer}");
    // A malformed notification (no id) is never answered.
    for line in [
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":5}\n",
        "{\"jsonrpc\":\"1.0\",\"method\":\"notifications/initialized\"}\n",
    ] {
        exchange(&mut server, &mut transcript, line, false);
    }
    // Empty and blank lines are skipped.
    for line in ["\n", " \t\r\n", "\r\n"] {
        exchange(&mut server, &mut transcript, line, false);
    }
    // A request ended by CRLF is a request.
    let id = server.id();
    let answer = exchange(
        &mut server,
        &mut transcript,
        &format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}\r\n"),
        true,
    );
    assert_eq!(answer, json!({"jsonrpc": "2.0", "id": id, "result": {}}));
    let id = server.id();
    let answer = exchange(
        &mut server,
        &mut transcript,
        &format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"explain_code\",\"arguments\":{{\"code\":\"boundary::layer\"}}}}}}\r\n"
        ),
        true,
    );
    assert_eq!(answer["id"], id);
    verify("explain_code", &structured(&answer));
    // The tool's answer is long, and checked above: the transcript only names it.
    let transcript = transcript
        .lines()
        .map(|l| {
            if l.starts_with("< ") && l.contains("\"structuredContent\"") {
                "< (the tool's answer)"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");

    let (status, rest, _) = server.finish();
    assert!(status.success(), "{status}");
    assert_eq!(rest, Vec::<Value>::new());
    settings().bind(|| insta::assert_snapshot!("mcp_robustness_malformed", transcript));
}

/// The `_meta` every request of the stateless revision (2026-07-28) carries.
fn stateless_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}
    })
}

/// Writes the request `message` (which has an id), reads its answer (the very next line), and
/// records both in `transcript` under `title`.
fn ask(server: &mut Server, transcript: &mut String, title: &str, message: Value) -> Value {
    let line = message.to_string();
    server.send(&line);
    let answer = server.next_line();
    transcript.push_str(&format!(
        "## {title}
> {line}
< {answer}
"
    ));
    let answer: Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(answer["id"], message["id"], "{answer}");
    answer
}

#[test]
fn unknown_methods_and_tools_are_protocol_errors_with_their_ids() {
    let mut transcript = String::new();
    let t = &mut transcript;
    let unknown_method = |id: u64| json!({"jsonrpc": "2.0", "id": id, "method": "no/such/method"});
    let unknown_tool = |id: u64, params: Value| {
        let mut params = params;
        params["name"] = json!("no_such_tool");
        params["arguments"] = json!({});
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
    };

    // Before initialize, without `_meta`: the SDK has chosen no lifecycle yet, and answers any
    // request but `initialize` and `ping` with -32602 (the `_meta` that 2026-07-28 requires is
    // missing), with its id; the server still takes the handshake afterwards.
    let mut server = Server::start();
    let answer = ask(
        &mut server,
        t,
        "before initialize: an unknown method",
        unknown_method(2),
    );
    assert_eq!(error(&answer).0, -32602, "{answer}");
    let answer = ask(
        &mut server,
        t,
        "before initialize: an unknown tool",
        unknown_tool(3, json!({})),
    );
    assert_eq!(error(&answer).0, -32602, "{answer}");
    server.ping();
    server.handshake();

    // After initialize: -32601 for the method, -32602 for the tool.
    let answer = ask(
        &mut server,
        t,
        "after initialize: an unknown method",
        unknown_method(4),
    );
    assert_eq!(error(&answer).0, -32601, "{answer}");
    let mut with_params = unknown_method(5);
    with_params["params"] = json!({"x": 1});
    let answer = ask(
        &mut server,
        t,
        "after initialize: an unknown method, with params",
        with_params,
    );
    assert_eq!(error(&answer).0, -32601, "{answer}");
    let answer = ask(
        &mut server,
        t,
        "after initialize: an unknown tool",
        unknown_tool(6, json!({})),
    );
    assert_eq!(error(&answer).0, -32602, "{answer}");
    assert!(error(&answer).1.contains("no_such_tool"), "{answer}");
    server.ping();
    call_and_verify(&mut server, "check");
    let (status, rest, _) = server.finish();
    assert!(status.success(), "{status}");
    assert_eq!(rest, Vec::<Value>::new());

    // No initialize, every request carrying the `_meta` of 2026-07-28 (stateless): the same
    // errors as after the handshake, and the tools answer.
    let mut server = Server::start();
    let mut method = unknown_method(7);
    method["params"] = json!({"_meta": stateless_meta()});
    let answer = ask(&mut server, t, "2026-07-28: an unknown method", method);
    assert_eq!(error(&answer).0, -32601, "{answer}");
    let tool = unknown_tool(8, json!({"_meta": stateless_meta()}));
    let answer = ask(&mut server, t, "2026-07-28: an unknown tool", tool);
    assert_eq!(error(&answer).0, -32602, "{answer}");
    let id = server.request(
        "tools/call",
        json!({"name": "explain_code", "arguments": arguments("explain_code"), "_meta": stateless_meta()}),
    );
    verify("explain_code", &server.result(id));
    let (status, rest, _) = server.finish();
    assert!(status.success(), "{status}");
    assert_eq!(rest, Vec::<Value>::new());

    settings().bind(|| insta::assert_snapshot!("mcp_robustness_unknown", transcript));
}

/// Writes a `tools/call` of `check_change` with the id `id` (as JSON) whose `diff` is `mib`
/// MiB long, one MiB at a time from a thread (the pipe blocks until the server reads), and
/// returns the next message (its answer).
fn send_long_line(server: &mut Server, id: &str, mib: usize) -> Value {
    let head = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"check_change\",\"arguments\":{{\"diff\":\""
    );
    let mut stdin = server.stdin.take().expect("stdin");
    let writer = thread::spawn(move || -> std::io::Result<ChildStdin> {
        stdin.write_all(head.as_bytes())?;
        let chunk = vec![b'a'; 1024 * 1024];
        for _ in 0..mib {
            stdin.write_all(&chunk)?;
        }
        stdin.write_all(b"\"}}}\n")?;
        stdin.flush()?;
        Ok(stdin)
    });
    let answer = server.next();
    let stdin = writer.join().expect("the writer thread");
    server.stdin = Some(stdin.expect("the long line, written"));
    answer
}

#[test]
fn a_line_over_the_limit_is_refused_with_its_id_and_the_server_goes_on() {
    let mut server = Server::initialized();
    call_and_verify(&mut server, "check");
    // 100 MiB of diff: over the 96 MiB a line may hold.
    let id = server.id();
    let answer = send_long_line(&mut server, &id.to_string(), 100);
    assert_eq!(answer["id"], id, "{answer}");
    let (code, message) = error(&answer);
    assert_eq!(code, -32600, "{answer}");
    assert!(message.contains("longer than 96 MiB"), "{answer}");
    server.ping();
    call_and_verify(&mut server, "check_change");
    call_and_verify(&mut server, "check");

    // What is past the limit is skipped, not held: after a line of 400 MiB, the server's peak
    // memory is still below 400 MiB. (Up to the limit the line is read in memory, as any line
    // is: the peak is about twice the limit, the buffer growing by doubling.)
    let long = send_long_line(&mut server, "\"long\"", 400);
    assert_eq!(long["id"], "long", "{long}");
    assert_eq!(error(&long).0, -32600, "{long}");
    match memory_kib(server.pid(), "VmHWM") {
        Some(peak) => {
            eprintln!("the server's peak memory after lines of 100 and 400 MiB: {peak} KiB");
            assert!(
                peak < 400 * 1024,
                "the long line was held: VmHWM {peak} KiB"
            );
        }
        None => eprintln!("no /proc/<pid>/status here: the memory is not checked"),
    }
    server.ping();
    call_and_verify(&mut server, "explain_path");
    let (status, rest, _) = server.finish();
    assert!(status.success(), "{status}");
    assert_eq!(rest, Vec::<Value>::new());
    settings().bind(|| insta::assert_snapshot!("mcp_robustness_oversized", answer.to_string()));
}

#[test]
fn every_request_written_before_stdins_end_is_answered_then_the_server_exits() {
    let mut server = Server::initialized();
    let mut expected = BTreeMap::new();
    for name in [
        "check",
        "check_change",
        "explain_path",
        "check_change_diff",
        "where_may",
        "explain_code",
        "check",
    ] {
        let id = server.call(tool_of(name), arguments(name));
        expected.insert(id, name);
    }
    let ping = server.request_without_params("ping");
    let unknown = server.call("no_such_tool", json!({}));
    server.send("garbage{");
    // stdin ends right after the last line.
    let (status, answers, stderr) = server.finish();
    assert!(status.success(), "exit: {status}; stderr:\n{stderr}");
    assert_eq!(answers.len(), expected.len() + 3, "{answers:#?}");
    let mut seen = BTreeSet::new();
    let mut parse_errors = 0;
    for answer in &answers {
        if answer.get("id").is_none() {
            assert_eq!(error(answer).0, -32700, "{answer}");
            parse_errors += 1;
            continue;
        }
        let id = answer["id"].as_u64().expect("a numeric id");
        assert!(seen.insert(id), "{id} answered twice");
        if id == ping {
            assert_eq!(answer["result"], json!({}));
        } else if id == unknown {
            assert_eq!(error(answer).0, -32602, "{answer}");
        } else {
            let name = expected
                .get(&id)
                .unwrap_or_else(|| panic!("an unknown id: {answer}"));
            verify(name, &structured(answer));
        }
    }
    assert_eq!(parse_errors, 1);
    let mut all: BTreeSet<u64> = expected.keys().copied().collect();
    all.extend([ping, unknown]);
    assert_eq!(seen, all);
}

/// Calls still running when stdin ends are answered before the server exits, however long
/// they take: past the SDK's own drain of 5 s (rmcp's `serve_inner`, `QuitReason::Closed`),
/// after which it would exit 0 without them; ribo's transport ends the session only once every
/// request read is answered. The calls are `check_change` of a file with many findings, queued
/// (calls take turns), enough of them to last well over 5 s on this machine.
#[test]
fn calls_still_running_at_stdins_end_are_answered() {
    let heavy: String = (0..20_000)
        .map(|i| format!("pub fn f{i}() {{ crate::api::handle(); }}\n"))
        .collect();
    let change = json!({"files": {"src/store.rs": heavy}});
    let mut server = Server::initialized();
    // One call, timed, to know how many last long enough.
    let started = Instant::now();
    let id = server.call("check_change", change.clone());
    let answer = server.answer(&json!(id));
    assert_eq!(
        structured(&answer)["summary"]["change"]["added_errors"],
        20_000
    );
    let one = started.elapsed();
    let count = (Duration::from_secs(10).as_secs_f64() / one.as_secs_f64()).ceil() as usize;
    let count = count.clamp(2, 400);
    let ids: Vec<u64> = (0..count)
        .map(|_| server.call("check_change", change.clone()))
        .collect();
    let end = Instant::now();
    let (status, answers, stderr) = server.finish();
    let took = end.elapsed();
    assert!(status.success(), "exit: {status}; stderr:\n{stderr}");
    let answered: Vec<u64> = answers.iter().filter_map(|a| a["id"].as_u64()).collect();
    assert_eq!(answered, ids, "{count} calls, {took:?} after stdin's end");
    for a in &answers {
        assert_eq!(structured(a)["summary"]["change"]["added_errors"], 20_000);
    }
    eprintln!("{count} calls of {one:?} each, answered {took:?} after stdin's end");
    // Else the SDK's 5 s would have sufficed, and the test shows nothing.
    assert!(
        took > Duration::from_secs(5),
        "the calls were answered {took:?} after stdin's end: too soon to show anything"
    );
}

/// A spec that is not a regular file (a FIFO) is never opened: every call answers at once
/// that it is not a file, and the server goes on (and ends with stdin).
#[cfg(target_os = "linux")]
#[test]
fn a_spec_that_is_a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    copy_dir(&fixture("layer"), dir.path());
    let fifo = dir.path().join("spec.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let fifo_arg = fifo.display().to_string();
    let mut server = Server::start_in(dir, &["--spec", &fifo_arg]);
    server.handshake();
    for (tool, args) in [
        ("check", json!({})),
        ("spec", json!({})),
        ("explain_path", json!({"path": "src/store.rs"})),
    ] {
        let id = server.call(tool, args);
        let answer = server.answer(&json!(id));
        assert_eq!(answer["result"]["isError"], true, "{answer}");
        let text = answer["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.ends_with("spec.fifo` is not a regular file"), "{text}");
    }
    server.ping();
    let (status, _, stderr) = server.finish();
    assert!(status.success(), "exit: {status}; stderr:\n{stderr}");
}

#[test]
fn a_server_whose_stdin_ends_at_once_exits_quietly() {
    let mut server = Server::start();
    let (status, answers, stderr) = server.finish();
    assert!(status.success(), "exit: {status}; stderr:\n{stderr}");
    assert_eq!(answers, Vec::<Value>::new());
    assert_eq!(stderr, "");
}

#[test]
fn a_thousand_calls_in_a_row_are_answered_without_memory_growing() {
    const CALLS: usize = 1000;
    let mut server = Server::initialized();
    let start = Instant::now();
    let mut rss = Vec::new();
    for n in 1..=CALLS {
        let name = if n % 10 == 0 {
            "check_change"
        } else {
            ["explain_path", "where_may", "explain_code"][n % 3]
        };
        call_and_verify(&mut server, name);
        if n == 100 || n == CALLS {
            rss.push(memory_kib(server.pid(), "VmRSS"));
        }
    }
    let elapsed = start.elapsed();
    server.ping();
    eprintln!("{CALLS} calls in {elapsed:.1?}");
    match (rss[0], rss[1]) {
        (Some(at_100), Some(at_1000)) => {
            eprintln!("VmRSS after call 100: {at_100} KiB; after call {CALLS}: {at_1000} KiB");
            assert!(
                at_1000 <= at_100 + 30 * 1024,
                "memory grew by {} KiB over {} calls",
                at_1000.saturating_sub(at_100),
                CALLS - 100
            );
        }
        _ => eprintln!("no /proc/<pid>/status here: the memory is not checked"),
    }
    let (status, rest, _) = server.finish();
    assert!(status.success(), "{status}");
    assert_eq!(rest, Vec::<Value>::new());
}

#[test]
fn concurrent_calls_are_each_answered_once_with_their_own_result() {
    let mut server = Server::initialized();
    let names = [
        "check",
        "check_change",
        "explain_path",
        "check",
        "check_change_diff",
        "where_may",
        "explain_code",
        "check_change",
        "check",
        "explain_path",
        "check_change_diff",
        "where_may",
        "check",
        "explain_code",
        "explain_path",
        "explain_code",
    ];
    let mut expected = BTreeMap::new();
    for name in names {
        let id = server.call(tool_of(name), arguments(name));
        expected.insert(id, name);
    }
    let mut order = Vec::new();
    for _ in 0..names.len() {
        let answer = server.next();
        let id = answer["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("an id: {answer}"));
        let name = expected
            .remove(&id)
            .unwrap_or_else(|| panic!("{id} answered twice, or never asked: {answer}"));
        verify(name, &structured(&answer));
        order.push(id);
    }
    assert!(expected.is_empty(), "never answered: {expected:?}");
    // Nothing more is to come.
    server.ping();
    eprintln!("answered in the order {order:?}");
    let (status, rest, _) = server.finish();
    assert!(status.success(), "{status}");
    assert_eq!(rest, Vec::<Value>::new());
}

/// Notifications (and stray responses) sent before the first request are dropped: the SDK's
/// handshake would end the session on them (exit 2, "expect initialized request"). The
/// session then starts as usual.
#[test]
fn a_notification_before_initialize_does_not_end_the_session() {
    let mut server = Server::start();
    server.send(INITIALIZED);
    server.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#);
    server.send(r#"{"jsonrpc":"2.0","id":77,"result":{}}"#);
    server.handshake();
    call_and_verify(&mut server, "check");
    let (status, answers, stderr) = server.finish();
    assert!(status.success(), "exit: {status}; stderr:\n{stderr}");
    assert_eq!(
        answers,
        Vec::<Value>::new(),
        "nothing answers the early lines"
    );
}

/// A request the client cancels is not answered (the SDK drops its result): the server does
/// not wait for that answer at stdin's end, and ends.
#[test]
fn a_cancelled_request_is_not_waited_for_at_stdins_end() {
    let mut server = Server::initialized();
    let heavy: String = (0..5_000)
        .map(|i| format!("pub fn f{i}() {{ crate::api::handle(); }}\n"))
        .collect();
    let id = server.call("check_change", json!({"files": {"src/store.rs": heavy}}));
    server.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                "params": {"requestId": id, "reason": "the user stopped it"}})
        .to_string(),
    );
    let (status, answers, stderr) = server.finish();
    assert!(status.success(), "exit: {status}; stderr:\n{stderr}");
    // Answered or not, depending on whether the cancellation came in time; never twice.
    assert!(answers.len() <= 1, "{answers:?}");
}

/// `tools/call` (or `initialize`) whose params are missing or of the wrong shape is a bad-params
/// error with its id (the SDK alone takes it for an unknown method), and the server goes on.
#[test]
fn a_known_method_with_params_of_the_wrong_shape_is_bad_params() {
    let mut server = Server::initialized();
    // (`params: 5` is no JSON-RPC request at all: params are an object or an array.)
    for (params, code) in [
        (None, -32602),
        (Some(json!({"name": "check", "arguments": 5})), -32602),
        (Some(json!({"arguments": {}})), -32602),
        (Some(json!(5)), -32600),
    ] {
        let id = server.id();
        let mut request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call"});
        if let Some(p) = params {
            request["params"] = p;
        }
        server.send(&request.to_string());
        let answer = server.answer(&json!(id));
        assert_eq!(error(&answer).0, code, "{answer}");
    }
    server.ping();
    call_and_verify(&mut server, "check");
}
