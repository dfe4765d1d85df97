//! Cursor's hooks (<https://cursor.com/docs/agent/hooks>, `.cursor/hooks.json`, version 1):
//! `afterFileEdit`, which fires after the agent edited a file. Its input carries `file_path`
//! (absolute) and `edits` (`old_string`, `new_string` pairs), with `hook_event_name` and
//! `workspace_roots`. Cursor has no hook before a file edit, so ribo cannot stop one: it tells
//! the agent what the edit introduced, in `additional_context`, for its next step. The content
//! before the edit is rebuilt from the edits (each `new_string` put back to its `old_string`);
//! when that fails, every error of the file is reported. A failing hook (any exit but 0) is
//! shown and the agent goes on, as Cursor documents.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{absolute_in, after_writing, reason, Outcome};
use crate::{EXIT_OK, EXIT_VIOLATIONS};

/// Which hook fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    AfterFileEdit,
    Other,
}

pub(crate) fn run(payload: &Value, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<i32> {
    if payload.get("hook_event_name").and_then(Value::as_str) != Some("afterFileEdit") {
        return Ok(EXIT_OK);
    }
    let root = payload
        .get("workspace_roots")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(Value::as_str);
    let Some(file) = payload
        .get("file_path")
        .and_then(Value::as_str)
        .and_then(|p| absolute_in(root, p))
    else {
        let why = "the `afterFileEdit` input has no `file_path`".to_string();
        return answer(Event::AfterFileEdit, Outcome::Failed(why), out, err);
    };
    let now = super::read_regular(&file).and_then(|b| String::from_utf8(b).ok());
    let before = now.and_then(|now| {
        let edits = payload.get("edits")?.as_array()?;
        edits.iter().rev().try_fold(now, |text, edit| {
            let old = edit.get("old_string")?.as_str()?;
            let new = edit.get("new_string")?.as_str()?;
            match new.is_empty() {
                true => None,
                false => text.contains(new).then(|| text.replacen(new, old, 1)),
            }
        })
    });
    let outcome = after_writing(file, before.map(String::into_bytes));
    answer(Event::AfterFileEdit, outcome, out, err)
}

/// Writes the outcome as Cursor reads it.
pub(crate) fn answer(
    _event: Event,
    outcome: Outcome,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    match outcome {
        Outcome::Pass => Ok(EXIT_OK),
        Outcome::Findings(lines) => {
            writeln!(
                out,
                "{}",
                json!({ "additional_context": reason(&lines, true) })
            )?;
            Ok(EXIT_OK)
        }
        Outcome::Failed(why) => {
            writeln!(
                err,
                "ribo could not check this edit against ribo.yaml (the edit was not checked): {why}"
            )?;
            Ok(EXIT_VIOLATIONS)
        }
    }
}
