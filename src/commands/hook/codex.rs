//! Codex's hooks (<https://developers.openai.com/codex/hooks>): `PreToolUse` and `PostToolUse`
//! for `apply_patch`, the tool Codex edits files with. Its input carries Codex's own patch
//! format in `tool_input.command` (`*** Begin Patch`, `*** Add File:`, `*** Update File:` with
//! `*** Move to:` and `@@` chunks, `*** Delete File:`, `*** End Patch`; the grammar and the
//! way chunks are found are those of openai/codex's `codex-rs/apply-patch`), paths relative to
//! the payload's `cwd` or absolute. The answer has Claude Code's shape, as Codex reads it: a
//! denied `PreToolUse` is `hookSpecificOutput.permissionDecision: "deny"` with the reason; a
//! flagged `PostToolUse` is `decision: "block"` with the reason.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::claude::{self, Event};
use super::{absolute_in, after_writing, before_writing, Files, Outcome};
use crate::EXIT_OK;

pub(crate) fn run(payload: &Value, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<i32> {
    let event = match payload.get("hook_event_name").and_then(Value::as_str) {
        Some("PreToolUse") => Event::Pre,
        Some("PostToolUse") => Event::Post,
        _ => return Ok(EXIT_OK),
    };
    if payload.get("tool_name").and_then(Value::as_str) != Some("apply_patch") {
        return Ok(EXIT_OK);
    }
    let input = payload.get("tool_input").unwrap_or(&Value::Null);
    let patch = input
        .get("command")
        .or_else(|| input.get("patch"))
        .or_else(|| input.get("input"))
        .and_then(Value::as_str)
        .or_else(|| input.as_str());
    let Some(patch) = patch else {
        let why = "the `apply_patch` call has no patch in `tool_input.command`";
        return answer(event, Outcome::Failed(why.into()), out, err);
    };
    let cwd = payload.get("cwd").and_then(Value::as_str);
    let Ok(ops) = parse(patch) else {
        // Codex refuses a patch it cannot parse: nothing will be written.
        return Ok(EXIT_OK);
    };
    let outcome = match event {
        Event::Pre => {
            COMPARED.with(|c| c.set(0));
            match proposed(&ops, cwd) {
                Some(files) => before_writing(files, &moves(&ops, cwd)),
                // Not applied because finding its chunks took too long: said, never silent.
                None if compared() > MAX_COMPARED => Outcome::Failed(format!(
                    "locating the patch's chunks went over {MAX_COMPARED} line comparisons"
                )),
                None => Outcome::Pass,
            }
        }
        Event::Post => {
            let mut outcome = Outcome::Pass;
            for path in ops.iter().filter_map(|op| written_path(op, cwd)) {
                outcome = after_writing(path, None);
                if outcome != Outcome::Pass {
                    break;
                }
            }
            outcome
        }
    };
    answer(event, outcome, out, err)
}

/// Codex reads Claude Code's answer shapes.
pub(crate) fn answer(
    event: Event,
    outcome: Outcome,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    claude::answer(event, outcome, out, err)
}

/// One file operation of a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    Add {
        path: String,
        lines: Vec<String>,
    },
    Delete {
        path: String,
    },
    Update {
        path: String,
        to: Option<String>,
        chunks: Vec<Chunk>,
    },
}

/// One `@@` chunk of an `Update File`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// The text after `@@`, a line to find before the chunk's lines.
    context: Option<String>,
    old: Vec<String>,
    new: Vec<String>,
    end_of_file: bool,
}

/// Reads a patch (markers may carry surrounding whitespace, as Codex allows).
pub(crate) fn parse(patch: &str) -> Result<Vec<Op>, String> {
    let lines: Vec<&str> = patch.lines().collect();
    let first = lines.iter().position(|l| l.trim() == "*** Begin Patch");
    let last = lines.iter().rposition(|l| l.trim() == "*** End Patch");
    let (Some(first), Some(last)) = (first, last) else {
        return Err("not a patch: no `*** Begin Patch` ... `*** End Patch`".into());
    };
    let body = lines.get(first + 1..last).unwrap_or_default();
    let mut ops = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let line = body[i].trim();
        if let Some(path) = line.strip_prefix("*** Add File: ") {
            i += 1;
            let mut added = Vec::new();
            while let Some(l) = body.get(i).and_then(|l| l.strip_prefix('+')) {
                added.push(l.to_string());
                i += 1;
            }
            ops.push(Op::Add {
                path: path.to_string(),
                lines: added,
            });
        } else if let Some(path) = line.strip_prefix("*** Delete File: ") {
            ops.push(Op::Delete {
                path: path.to_string(),
            });
            i += 1;
        } else if let Some(path) = line.strip_prefix("*** Update File: ") {
            i += 1;
            let to = body
                .get(i)
                .and_then(|l| l.trim().strip_prefix("*** Move to: "))
                .map(str::to_string);
            if to.is_some() {
                i += 1;
            }
            let mut chunks: Vec<Chunk> = Vec::new();
            let mut ended = false;
            while let Some(&l) = body.get(i) {
                if is_operation(l) {
                    break;
                }
                if l.trim() == "*** End of File" {
                    if let Some(c) = chunks.last_mut() {
                        c.end_of_file = true;
                    }
                    // The chunk ends there: what follows starts another.
                    ended = true;
                    i += 1;
                    continue;
                }
                let header = l.trim_end();
                if header == "@@" || header.starts_with("@@ ") {
                    let context = header[2..].trim();
                    chunks.push(Chunk {
                        context: (!context.is_empty()).then(|| context.to_string()),
                        ..Chunk::default()
                    });
                    ended = false;
                    i += 1;
                    continue;
                }
                if chunks.is_empty() || ended {
                    // The first chunk may start without `@@` (and so may one after an end of
                    // file).
                    chunks.push(Chunk::default());
                    ended = false;
                }
                let Some(c) = chunks.last_mut() else { break };
                match l.chars().next() {
                    Some('+') => c.new.push(l[1..].to_string()),
                    Some('-') => c.old.push(l[1..].to_string()),
                    Some(' ') => {
                        c.old.push(l[1..].to_string());
                        c.new.push(l[1..].to_string());
                    }
                    None => {
                        c.old.push(String::new());
                        c.new.push(String::new());
                    }
                    Some(_) => return Err(format!("unexpected line in a chunk: `{l}`")),
                }
                i += 1;
            }
            if chunks.is_empty() {
                return Err(format!("`*** Update File: {path}` changes nothing"));
            }
            ops.push(Op::Update {
                path: path.to_string(),
                to,
                chunks,
            });
        } else if line.is_empty() {
            i += 1;
        } else {
            return Err(format!("unexpected line in the patch: `{line}`"));
        }
    }
    Ok(ops)
}

/// Whether `line` starts the next file operation.
fn is_operation(line: &str) -> bool {
    let l = line.trim();
    ["*** Add File: ", "*** Delete File: ", "*** Update File: "]
        .iter()
        .any(|m| l.starts_with(m))
}

/// The files as the patch leaves them (`None`: deleted), or `None` when Codex would refuse it
/// (a chunk that matches nowhere, a file to update or delete that does not exist).
fn proposed(ops: &[Op], cwd: Option<&str>) -> Option<Files> {
    let mut files: Files = Vec::new();
    let current = |files: &[(PathBuf, Option<Vec<u8>>)], path: &Path| -> Option<String> {
        match files.iter().rev().find(|(p, _)| p == path) {
            Some((_, content)) => content
                .as_ref()
                .and_then(|c| String::from_utf8(c.clone()).ok()),
            None => super::read_regular(path).and_then(|b| String::from_utf8(b).ok()),
        }
    };
    for op in ops {
        match op {
            Op::Add { path, lines } => {
                // Each added line ends with a newline; no line, no content.
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                files.push((absolute_in(cwd, path)?, Some(text.into_bytes())));
            }
            Op::Delete { path } => {
                let path = absolute_in(cwd, path)?;
                current(&files, &path)?;
                files.push((path, None));
            }
            Op::Update { path, to, chunks } => {
                let from = absolute_in(cwd, path)?;
                let text = apply(&current(&files, &from)?, chunks)?;
                match to {
                    Some(to) => {
                        files.push((from, None));
                        files.push((absolute_in(cwd, to)?, Some(text.into_bytes())));
                    }
                    None => files.push((from, Some(text.into_bytes()))),
                }
            }
        }
    }
    // The last word on each path.
    let mut last: Files = Vec::new();
    for (path, content) in files.into_iter().rev() {
        if !last.iter().any(|(p, _)| *p == path) {
            last.push((path, content));
        }
    }
    Some(last)
}

/// The files the patch moves (`*** Move to:`), old path and new.
fn moves(ops: &[Op], cwd: Option<&str>) -> Vec<(PathBuf, PathBuf)> {
    ops.iter()
        .filter_map(|op| match op {
            Op::Update {
                path, to: Some(to), ..
            } => Some((absolute_in(cwd, path)?, absolute_in(cwd, to)?)),
            _ => None,
        })
        .collect()
}

/// The path an operation leaves a file at (after the edit), if any.
fn written_path(op: &Op, cwd: Option<&str>) -> Option<PathBuf> {
    match op {
        Op::Add { path, .. } => absolute_in(cwd, path),
        Op::Update { to: Some(to), .. } => absolute_in(cwd, to),
        Op::Update { path, .. } => absolute_in(cwd, path),
        Op::Delete { .. } => None,
    }
}

/// `chunks` applied to `text` as Codex applies them: each chunk's `@@` context line found
/// first, then its old lines (exactly, else ignoring trailing whitespace, else ignoring
/// surrounding whitespace), searched from where the previous chunk ended (from the end for a
/// chunk marked `*** End of File`); a chunk with no old lines adds at the end. The result ends
/// with a newline.
pub(crate) fn apply(text: &str, chunks: &[Chunk]) -> Option<String> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let mut replacements: Vec<(usize, usize, Vec<String>)> = Vec::new();
    let mut at = 0;
    for chunk in chunks {
        if let Some(context) = &chunk.context {
            at = seek(&lines, std::slice::from_ref(context), at, false)? + 1;
        }
        if chunk.old.is_empty() {
            // At the end, before a final blank line if the file has one.
            let at = match lines.last().is_some_and(String::is_empty) {
                true => lines.len() - 1,
                false => lines.len(),
            };
            replacements.push((at, 0, chunk.new.clone()));
            continue;
        }
        let mut old: &[String] = &chunk.old;
        let mut new: &[String] = &chunk.new;
        let mut found = seek(&lines, old, at, chunk.end_of_file);
        if found.is_none() && old.last().is_some_and(String::is_empty) {
            old = &old[..old.len() - 1];
            if new.last().is_some_and(String::is_empty) {
                new = &new[..new.len() - 1];
            }
            found = seek(&lines, old, at, chunk.end_of_file);
        }
        let start = found?;
        replacements.push((start, old.len(), new.to_vec()));
        at = start + old.len();
    }
    replacements.sort_by_key(|r| r.0);
    for (start, len, new) in replacements.into_iter().rev() {
        let end = (start + len).min(lines.len());
        lines.splice(start.min(lines.len())..end, new);
    }
    if lines.last().is_none_or(|l| !l.is_empty()) {
        lines.push(String::new());
    }
    Some(lines.join("\n"))
}

/// Where `pattern` starts in `lines`, at or after `from` (from the end first when `eof`).
/// The most lines locating one patch's chunks may compare (a file of many identical lines and
/// a long chunk would make it quadratic).
const MAX_COMPARED: usize = 50_000_000;

thread_local! {
    /// Lines compared by [`seek`] for the patch being applied.
    static COMPARED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Lines compared so far for the patch being applied on this thread.
pub(crate) fn compared() -> usize {
    COMPARED.with(|c| c.get())
}

fn seek(lines: &[String], pattern: &[String], from: usize, eof: bool) -> Option<usize> {
    if pattern.is_empty() {
        return Some(from);
    }
    if pattern.len() > lines.len() {
        return None;
    }
    let last = lines.len() - pattern.len();
    let start = match eof {
        true => last,
        false => from,
    };
    type Same = fn(&str, &str) -> bool;
    let equal: [Same; 4] = [
        |a, b| a == b,
        |a, b| a.trim_end() == b.trim_end(),
        |a, b| a.trim() == b.trim(),
        |a, b| plain(a.trim()) == plain(b.trim()),
    ];
    for eq in equal {
        for i in start..=last {
            let same = lines[i..i + pattern.len()]
                .iter()
                .zip(pattern)
                .take_while(|(l, p)| eq(l, p))
                .count();
            let total = COMPARED.with(|c| {
                c.set(c.get().saturating_add(same + 1));
                c.get()
            });
            if same == pattern.len() {
                return Some(i);
            }
            if total > MAX_COMPARED {
                return None;
            }
        }
    }
    None
}

/// `text` with typographic punctuation and spaces as ASCII (dashes, quotes, non-breaking and
/// other wide spaces): the last way `apply_patch` matches a line a model retyped.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2018}'..='\u{201B}' => '\'',
            '\u{201C}'..='\u{201F}' => '"',
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}
