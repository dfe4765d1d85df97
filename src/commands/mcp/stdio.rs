//! The stdio transport of `ribo mcp`: newline-delimited JSON-RPC on stdin and stdout, as the
//! MCP stdio transport specifies, with the errors JSON-RPC 2.0 asks for where the SDK's own
//! transport stays silent:
//! - a line that is not JSON is answered with a parse error (-32700, without an id: MCP
//!   2026-07-28, "Error Responses", omits the id the server cannot read, where bare JSON-RPC
//!   2.0 writes `null`, which MCP's `RequestId` does not allow);
//! - JSON that is not a JSON-RPC message is answered with an invalid request (-32600, with the
//!   message's id when it has one);
//! - a line longer than [`MAX_LINE_BYTES`] is skipped without being held in memory, and
//!   answered with an invalid request (-32600, with its id when the start of the line names
//!   one), so that a client waiting for it is not left waiting.
//!
//! Everything written to stdout goes through one writer task, message by message: a response
//! and an error answered while a line is read never interleave.

use std::borrow::Cow;

use rmcp::model::{ErrorData, NumberOrString, ServerJsonRpcMessage};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::RoleServer;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// The longest line read (96 MiB): a `check_change` of the largest change a tool accepts
/// (64 MiB of content), escaped as JSON, fits.
pub const MAX_LINE_BYTES: usize = 96 * 1024 * 1024;

/// How far into an oversized line, from its start and from its end, its id is looked for
/// (clients write `id` first or last).
const ID_WITHIN: usize = 4096;

/// The methods ribo serves whose params the SDK requires (a request of one of them that it
/// cannot read becomes an unknown "custom" request).
const KNOWN_METHODS: [&str; 3] = ["tools/call", "initialize", "server/discover"];

/// Requests read and not answered yet, past which no more is read.
const MAX_IN_FLIGHT: usize = 8;

/// The server's end of stdio.
pub(crate) struct Lines<R> {
    read: BufReader<R>,
    line: Vec<u8>,
    /// The rest of an oversized line is being skipped.
    skipping: bool,
    /// The first bytes of the oversized line being skipped (to find its id).
    head: Vec<u8>,
    /// Its last bytes so far.
    tail: Vec<u8>,
    out: mpsc::UnboundedSender<TxJsonRpcMessage<RoleServer>>,
    max: usize,
    /// The ids of the requests read and not answered yet: at stdin's end, the transport ends
    /// only once they are (the SDK would give them a few seconds, then drop them).
    pending: std::sync::Arc<Pending>,
    /// stdin ended.
    ended: bool,
    /// A request was read: until then, notifications and responses are dropped (the SDK's
    /// handshake ends the session on anything but a request: one notification sent too early
    /// would end it).
    started: bool,
}

/// Requests read and not answered yet.
#[derive(Default)]
struct Pending {
    ids: std::sync::Mutex<std::collections::HashSet<NumberOrString>>,
    answered: tokio::sync::Notify,
}

/// What one bounded read of a line found.
enum Read {
    Line,
    Oversized,
    End,
}

impl<R: tokio::io::AsyncRead + Unpin + Send> Lines<R> {
    /// Reads from `read`; messages go to `write` through a task on the current runtime, which
    /// ends once the transport is dropped and everything sent was written (await the handle).
    pub fn new<W: AsyncWrite + Unpin + Send + 'static>(
        read: R,
        write: W,
        max: usize,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (out, mut queue) = mpsc::unbounded_channel::<TxJsonRpcMessage<RoleServer>>();
        let writer = tokio::spawn(async move {
            let mut write = write;
            while let Some(message) = queue.recv().await {
                let Ok(mut bytes) = serde_json::to_vec(&message) else {
                    continue;
                };
                bytes.push(b'\n');
                if write.write_all(&bytes).await.is_err() || write.flush().await.is_err() {
                    // The client is gone: nothing more can be said to it.
                    break;
                }
            }
        });
        let lines = Lines {
            read: BufReader::new(read),
            line: Vec::new(),
            skipping: false,
            head: Vec::new(),
            tail: Vec::new(),
            out,
            max,
            pending: Default::default(),
            ended: false,
            started: false,
        };
        (lines, writer)
    }

    /// Reads up to the next newline into `self.line`; cancel-safe (what was read stays in
    /// `self`, and the next call goes on from there).
    async fn read_line(&mut self) -> std::io::Result<Read> {
        loop {
            let available = self.read.fill_buf().await?;
            if available.is_empty() {
                return Ok(Read::End);
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let take = newline.map_or(available.len(), |i| i + 1);
            if self.skipping {
                keep_tail(&mut self.tail, &available[..take]);
                self.read.consume(take);
                if newline.is_some() {
                    self.skipping = false;
                    return Ok(Read::Oversized);
                }
                continue;
            }
            if self.line.len() + take > self.max {
                self.head = std::mem::take(&mut self.line);
                self.head.truncate(ID_WITHIN);
                let room = ID_WITHIN.saturating_sub(self.head.len());
                self.head.extend_from_slice(&available[..take.min(room)]);
                self.tail.clear();
                keep_tail(&mut self.tail, &available[..take]);
                self.line = Vec::new();
                self.read.consume(take);
                if newline.is_some() {
                    return Ok(Read::Oversized);
                }
                self.skipping = true;
                continue;
            }
            self.line.extend_from_slice(&available[..take]);
            self.read.consume(take);
            if newline.is_some() {
                return Ok(Read::Line);
            }
        }
    }

    fn answer(&self, error: ErrorData, id: Option<NumberOrString>) {
        let _ = self.out.send(ServerJsonRpcMessage::error(error, id));
    }
}

/// Waits until every request read has been answered.
async fn drained(pending: std::sync::Arc<Pending>) {
    within(pending, 1).await;
}

/// Waits until fewer than `most` requests read are unanswered.
async fn within(pending: std::sync::Arc<Pending>, most: usize) {
    loop {
        let answered = pending.answered.notified();
        let fewer = pending.ids.lock().map_or(true, |ids| ids.len() < most);
        if fewer {
            return;
        }
        answered.await;
    }
}

/// The id of a JSON-RPC message (`{"id": ...}`), if it has a valid one.
fn id_of(value: &Value) -> Option<NumberOrString> {
    match value.get("id")? {
        Value::Number(n) => n.as_i64().map(NumberOrString::Number),
        Value::String(s) => Some(NumberOrString::String(s.as_str().into())),
        _ => None,
    }
}

/// The id an oversized line starts with (`{"jsonrpc":"2.0","id":7,...`), if it is found within
/// its first bytes.
fn id_near_start(head: &[u8]) -> Option<NumberOrString> {
    let text = String::from_utf8_lossy(head);
    let at = text.find("\"id\"")? + 4;
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        let end = s.find('"')?;
        return Some(NumberOrString::String(s[..end].into()));
    }
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok().map(NumberOrString::Number)
}

/// Keeps the last [`ID_WITHIN`] bytes of what was skipped in `tail`.
fn keep_tail(tail: &mut Vec<u8>, more: &[u8]) {
    tail.extend_from_slice(&more[more.len().saturating_sub(ID_WITHIN)..]);
    let over = tail.len().saturating_sub(ID_WITHIN);
    tail.drain(..over);
}

/// The id an oversized line ends with (`...},"id":7}`), if it is found within its last bytes.
fn id_near_end(tail: &[u8]) -> Option<NumberOrString> {
    let text = String::from_utf8_lossy(tail);
    let at = text.rfind("\"id\"")?;
    id_near_start(text[at..].as_bytes())
}

impl<R: tokio::io::AsyncRead + Unpin + Send> Transport<RoleServer> for Lines<R> {
    type Error = std::io::Error;

    fn name() -> Cow<'static, str> {
        "ribo stdio".into()
    }

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send + 'static {
        let id = match &item {
            rmcp::model::JsonRpcMessage::Response(r) => Some(r.id.clone()),
            rmcp::model::JsonRpcMessage::Error(e) => e.id.clone(),
            _ => None,
        };
        if let Some(id) = id {
            if let Ok(mut ids) = self.pending.ids.lock() {
                ids.remove(&id);
            }
            self.pending.answered.notify_waiters();
        }
        let sent = self
            .out
            .send(item)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdout closed"));
        std::future::ready(sent)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            // Calls take turns on one engine: past a few waiting, the next line is not read
            // until one is answered (their arguments, up to 64 MiB each, are not piled up).
            if !self.ended {
                within(std::sync::Arc::clone(&self.pending), MAX_IN_FLIGHT).await;
            }
            if self.ended {
                // stdin ended: the session ends once every request read is answered.
                drained(std::sync::Arc::clone(&self.pending)).await;
                return None;
            }
            match self.read_line().await {
                Ok(Read::Line) => {}
                Ok(Read::Oversized) => {
                    let id = id_near_start(&self.head).or_else(|| id_near_end(&self.tail));
                    self.head = Vec::new();
                    self.tail = Vec::new();
                    self.answer(
                        ErrorData::invalid_request(
                            format!(
                                "the request is longer than {} MiB: refused",
                                self.max / (1024 * 1024)
                            ),
                            None,
                        ),
                        id,
                    );
                    continue;
                }
                // stdin ended (or cannot be read): no more requests.
                Ok(Read::End) | Err(_) => {
                    self.ended = true;
                    continue;
                }
            }
            let line = std::mem::take(&mut self.line);
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(text) {
                Ok(message) => {
                    match &message {
                        // A known method with params of the wrong shape falls through to the
                        // SDK's custom requests, which answers "method not found": it is bad
                        // params (-32602).
                        rmcp::model::JsonRpcMessage::Request(r)
                            if matches!(&r.request,
                                rmcp::model::ClientRequest::CustomRequest(c)
                                    if KNOWN_METHODS.contains(&c.method.as_str())) =>
                        {
                            self.answer(
                                ErrorData::invalid_params(
                                    "the params of this method are missing or of the wrong shape",
                                    None,
                                ),
                                Some(r.id.clone()),
                            );
                            continue;
                        }
                        rmcp::model::JsonRpcMessage::Request(r) => {
                            self.started = true;
                            if let Ok(mut ids) = self.pending.ids.lock() {
                                ids.insert(r.id.clone());
                            }
                        }
                        _ if !self.started => continue,
                        // A cancelled request is not answered (the SDK drops its result):
                        // it is no longer waited for.
                        rmcp::model::JsonRpcMessage::Notification(n) => {
                            if let rmcp::model::ClientNotification::CancelledNotification(c) =
                                &n.notification
                            {
                                if let Some(id) = &c.params.request_id {
                                    if let Ok(mut ids) = self.pending.ids.lock() {
                                        ids.remove(id);
                                    }
                                    self.pending.answered.notify_waiters();
                                }
                            }
                        }
                        _ => {}
                    }
                    return Some(message);
                }
                Err(e) => match serde_json::from_slice::<Value>(text) {
                    Err(_) => {
                        self.answer(ErrorData::parse_error(format!("not JSON: {e}"), None), None)
                    }
                    // A notification is never answered, not even when it is malformed.
                    Ok(v) if v.get("method").is_some() && v.get("id").is_none() => {}
                    Ok(v) => self.answer(
                        ErrorData::invalid_request(
                            format!("not a JSON-RPC 2.0 request: {e}"),
                            None,
                        ),
                        id_of(&v),
                    ),
                },
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_of_an_oversized_line_is_found_near_its_start() {
        let n = |s: &str| id_near_start(s.as_bytes());
        assert_eq!(
            n(r#"{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"#),
            Some(NumberOrString::Number(17))
        );
        assert_eq!(
            n(r#"{"id" : "abc","jsonrpc":"2.0""#),
            Some(NumberOrString::String("abc".into()))
        );
        assert_eq!(n(r#"{"jsonrpc":"2.0","method":"x""#), None);
        assert_eq!(
            id_near_end(br#"xxxx"}},"jsonrpc":"2.0","id":42}"#),
            Some(NumberOrString::Number(42))
        );
    }
}
