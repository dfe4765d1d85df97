//! `ribo mcp`: a Model Context Protocol server over stdio, built on the official Rust SDK
//! (`rmcp`). It serves the revisions the SDK serves: 2026-07-28 (stateless: `server/discover`,
//! every request carrying its `_meta`) and, through the `initialize` handshake, 2025-11-25 and
//! the revisions before it. Newline-delimited JSON-RPC on stdin and stdout; nothing else is
//! written to stdout; the server ends when stdin closes.
//!
//! The tools (see [`tools`]) answer from a resident engine ([`engine`]): the spec stays in
//! memory between calls, and each check pays only for what changed on disk since the last.
//! Tool arguments are untrusted (paths confined to the spec's root, inputs bounded); a call
//! that cannot be answered (a broken spec, a refused path) is a tool error the agent reads,
//! and the server goes on. The server never writes to the repository (only ribo's own cache).

mod engine;
mod identity;
mod stdio;
mod text;
mod tools;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler, ServiceExt};

use crate::cli::McpArgs;
use crate::{EXIT_ERROR, EXIT_OK};
use engine::{Answer, Engine};
use tools::Call;

/// What the server tells an agent about when to call what.
const INSTRUCTIONS: &str = "\
ribo holds this repository's Rust code to its declared architecture (ribo.yaml: boundaries, \
what each may use, invariants, contracts).
- Before you edit or create a file, call `explain_path` with its path: its boundary, what it may \
and may not use, the invariants that apply.
- Before you put new code somewhere (a module that calls an external crate, a new file), call \
`where_may` with the crate, boundary or path: it lists the boundaries that may use it.
- Before you write a change, call `check_change` with the diff (or the files' new content): it \
lists only the findings the change would add. Fix them, or choose another place for the code.
- After editing, call `check` with the paths you changed; `check` without paths checks everything.
- `explain_code` documents a finding's code; `spec` summarises the whole declaration.
Do not loosen ribo.yaml (or its baseline) to make a check pass: that is the user's decision.";

/// How long a client may keep the tool list (ms): it never changes while the server runs.
const TOOLS_TTL_MS: u64 = 3_600_000;

#[derive(Clone)]
struct Server {
    engine: Arc<Mutex<Engine>>,
    tools: Arc<Vec<Tool>>,
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("ribo", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec())
            .with_ttl_ms(TOOLS_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if !self.tools.iter().any(|t| t.name == name) {
            // An unknown tool is a protocol error (the request cannot be routed).
            return Err(ErrorData::invalid_params(
                format!("no tool is named `{name}`"),
                None,
            ));
        }
        let call = match tools::read(&name, request.arguments.unwrap_or_default()) {
            Ok(call) => call,
            // Arguments that do not fit the schema: a tool error the model can read and fix.
            Err(why) => return Ok(refused(why).into()),
        };
        // What needs no engine does not wait for it.
        if let Call::ExplainCode(code) = &call {
            return Ok(done(engine::explain_code(code)).into());
        }
        let engine = Arc::clone(&self.engine);
        let (sent, answered) = tokio::sync::oneshot::channel();
        tokio::task::spawn_blocking(move || {
            // A call that panicked left the engine as it was before it: take it back.
            let mut engine = engine.lock().unwrap_or_else(|p| p.into_inner());
            // A whole check builds the whole graph: the next call waits until it is freed (two
            // at once would double the peak). After a smaller one, the next goes on meanwhile
            // on the other core.
            let whole = call.is_whole_check();
            let _ = sent.send(answer(&mut engine, call));
            if !whole {
                drop(engine);
            }
            // Once answered: what the call built is freed and given back to the system.
            super::free_now();
            if let Some(release) = crate::RELEASE_MEMORY.get() {
                release();
            }
        });
        let answer = answered
            .await
            .map_err(|_| ErrorData::internal_error("the tool failed", None))?;
        Ok(done(answer).into())
    }
}

/// The result of a call: structured, with its short text first; or a tool error.
fn done(answer: Answer) -> CallToolResult {
    match answer {
        Answer::Done { value, text } => {
            let mut result = CallToolResult::structured(value);
            result.content.insert(0, ContentBlock::text(text));
            result
        }
        Answer::Refused(why) => refused(why),
    }
}

fn refused(why: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(why)])
}

/// Runs one call on the engine (calls take turns: the engine's state is one).
fn answer(engine: &mut Engine, call: Call) -> Answer {
    match call {
        Call::ExplainPath(path) => engine.explain_path(&path),
        Call::Check(paths, limit) => engine.check(paths, limit),
        Call::CheckChange(change, limit) => engine.check_change(change, limit),
        Call::WhereMay(target, kind) => engine.where_may(&target, kind),
        Call::Spec => engine.spec(),
        Call::ExplainCode(code) => engine::explain_code(&code),
    }
}

/// Serves MCP on stdin and stdout until stdin closes.
pub fn mcp(args: &McpArgs, err: &mut dyn Write) -> io::Result<i32> {
    // The caches a call reads stay in memory for the next (read again once rewritten).
    crate::facts::incremental::resident::keep();
    let server = Server {
        engine: Arc::new(Mutex::new(Engine::new(&args.spec))),
        tools: Arc::new(tools::all()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let served = runtime.block_on(async move {
        let (lines, writer) = stdio::Lines::new(
            tokio::io::stdin(),
            tokio::io::stdout(),
            stdio::MAX_LINE_BYTES,
        );
        let served = match server.serve(lines).await {
            Ok(running) => running
                .waiting()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            // stdin closed before a client said anything: nothing to serve.
            Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => Ok(()),
            Err(e) => Err(e.to_string()),
        };
        // Every answer sent is written before the server ends.
        let _ = writer.await;
        served
    });
    // Calls still running on the blocking pool are not waited for.
    runtime.shutdown_background();
    match served {
        Ok(()) => Ok(EXIT_OK),
        Err(e) => {
            writeln!(err, "error: ribo mcp: {e}")?;
            Ok(EXIT_ERROR)
        }
    }
}
