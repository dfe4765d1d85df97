//! Claude Code's hooks (<https://code.claude.com/docs/en/hooks>): `PreToolUse` and
//! `PostToolUse` for the `Edit`, `MultiEdit` and `Write` tools.
//!
//! Input (stdin): `hook_event_name`, `tool_name`, `tool_input` (`file_path`, absolute;
//! `content` for `Write`; `old_string`, `new_string`, `replace_all` for `Edit`; `edits`, a list of
//! those, for `MultiEdit`), `cwd`, and for `PostToolUse` `tool_response` (whose `originalFile`
//! is the content before the edit). Output: a denied `PreToolUse` is exit 0 with
//! `hookSpecificOutput.permissionDecision: "deny"` and the reason Claude reads; a flagged
//! `PostToolUse` is `decision: "block"` with the reason. A non-zero exit other than 2 is a
//! non-blocking error whose stderr the user sees: what ribo does when it cannot check.

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::{json, Value};

use super::{absolute_in, after_writing, before_writing, reason, Outcome};
use crate::{EXIT_OK, EXIT_VIOLATIONS};

/// Which hook fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Pre,
    Post,
}

pub(crate) fn run(payload: &Value, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<i32> {
    let event = match payload.get("hook_event_name").and_then(Value::as_str) {
        Some("PreToolUse") => Event::Pre,
        Some("PostToolUse") => Event::Post,
        // Another event (a hook configured more widely than ribo needs): nothing to do.
        _ => return Ok(EXIT_OK),
    };
    let tool = payload
        .get("tool_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !matches!(tool, "Edit" | "MultiEdit" | "Write") {
        return Ok(EXIT_OK);
    }
    let input = payload.get("tool_input").unwrap_or(&Value::Null);
    let cwd = payload.get("cwd").and_then(Value::as_str);
    let Some(file) = input
        .get("file_path")
        .and_then(Value::as_str)
        .and_then(|p| absolute_in(cwd, p))
    else {
        let why = format!("the `{tool}` call has no `tool_input.file_path`");
        return answer(event, Outcome::Failed(why), out, err);
    };
    let outcome = match event {
        Event::Pre => match proposed_content(tool, input, &file) {
            Some(content) => before_writing(vec![(file, Some(content))], &[]),
            // The tool itself will refuse the call (no match, several matches): not ours.
            None => Outcome::Pass,
        },
        Event::Post => {
            let before = payload
                .get("tool_response")
                .and_then(|r| r.get("originalFile"))
                .and_then(Value::as_str)
                .map(|s| s.as_bytes().to_vec());
            after_writing(file, before)
        }
    };
    answer(event, outcome, out, err)
}

/// The file's content once the tool call is applied, as the tool applies it; `None` when the
/// tool would refuse the call.
pub(crate) fn proposed_content(tool: &str, input: &Value, file: &PathBuf) -> Option<Vec<u8>> {
    if tool == "Write" {
        return input
            .get("content")
            .and_then(Value::as_str)
            .map(|s| s.as_bytes().to_vec());
    }
    let current = match std::fs::symlink_metadata(file) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        _ => Some(String::from_utf8(super::read_regular(file)?).ok()?),
    };
    let edits: Vec<&Value> = match tool {
        "Edit" => vec![input],
        _ => input.get("edits")?.as_array()?.iter().collect(),
    };
    let mut text = current;
    for edit in edits {
        text = Some(apply_edit(text, edit)?);
    }
    text.map(String::into_bytes)
}

/// One `old_string` → `new_string` replacement as the `Edit` tool makes it: `old_string` must
/// occur once (or `replace_all`); an empty `old_string` creates a file that does not exist.
fn apply_edit(text: Option<String>, edit: &Value) -> Option<String> {
    let old = edit.get("old_string")?.as_str()?;
    let new = edit.get("new_string")?.as_str()?;
    let all = edit
        .get("replace_all")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match text {
        None if old.is_empty() => Some(new.to_string()),
        None => None,
        Some(_) if old.is_empty() || old == new => None,
        Some(t) => match t.matches(old).count() {
            0 => None,
            _ if all => Some(t.replace(old, new)),
            1 => Some(t.replacen(old, new, 1)),
            _ => None,
        },
    }
}

/// Writes the outcome as Claude Code reads it.
pub(crate) fn answer(
    event: Event,
    outcome: Outcome,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    match (outcome, event) {
        (Outcome::Pass, _) => Ok(EXIT_OK),
        (Outcome::Findings(lines), Event::Pre) => {
            let answer = json!({
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": reason(&lines, false),
                }
            });
            writeln!(out, "{answer}")?;
            Ok(EXIT_OK)
        }
        (Outcome::Findings(lines), Event::Post) => {
            let answer = json!({
                "decision": "block",
                "reason": reason(&lines, true),
                "hookSpecificOutput": {
                    "hookEventName": "PostToolUse",
                    "additionalContext": reason(&lines, true),
                }
            });
            writeln!(out, "{answer}")?;
            Ok(EXIT_OK)
        }
        (Outcome::Failed(why), _) => {
            // Exit 1: a non-blocking error; Claude Code shows stderr to the user.
            writeln!(
                err,
                "ribo could not check this edit against ribo.yaml (the edit was not checked): {why}"
            )?;
            Ok(EXIT_VIOLATIONS)
        }
    }
}
