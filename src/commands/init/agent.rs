//! `ribo init --agent AGENT [DIR]`: ribo's hook wired into a coding agent's configuration in
//! the repository (README: ribo and coding agents). The file is merged, never replaced: other
//! hooks and settings stay as they are, in their order; an entry that already runs ribo's
//! hook for an event is left alone, so a second run changes nothing. A file that is not valid
//! JSON, or whose `hooks` is not what the agent documents, is not touched (exit 2).

use std::io::{self, Read, Write};
use std::path::Path;

use serde_json::{json, Map, Value};

use super::super::display_path;
use crate::cli::Agent;
use crate::{EXIT_ERROR, EXIT_OK};

/// One hook to make sure of: the event, the matcher (`None` where the agent has none), the
/// command.
struct Wanted {
    event: &'static str,
    matcher: Option<&'static str>,
    command: &'static str,
}

/// The file each agent reads its project hooks from, the hooks ribo needs there, and what
/// else a new file starts with.
fn plan(agent: Agent) -> (&'static str, Vec<Wanted>, Value) {
    match agent {
        // https://code.claude.com/docs/en/hooks
        Agent::ClaudeCode => (
            ".claude/settings.json",
            ["PreToolUse", "PostToolUse"]
                .into_iter()
                .map(|event| Wanted {
                    event,
                    matcher: Some("Edit|MultiEdit|Write"),
                    command: "ribo hook claude-code",
                })
                .collect(),
            json!({}),
        ),
        // https://developers.openai.com/codex/hooks
        Agent::Codex => (
            ".codex/hooks.json",
            ["PreToolUse", "PostToolUse"]
                .into_iter()
                .map(|event| Wanted {
                    event,
                    matcher: Some("apply_patch"),
                    command: "ribo hook codex",
                })
                .collect(),
            json!({}),
        ),
        // https://cursor.com/docs/agent/hooks
        Agent::Cursor => (
            ".cursor/hooks.json",
            vec![Wanted {
                event: "afterFileEdit",
                matcher: None,
                command: "ribo hook cursor",
            }],
            json!({ "version": 1 }),
        ),
    }
}

pub(crate) fn wire(
    agent: Agent,
    dir: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let (file, wanted, fresh) = plan(agent);
    let path = dir.join(file);
    let shown = display_path(&path);
    // A link or anything but a regular file is not read (a FIFO would block, a device never
    // end), and a configuration file is small.
    let kind = std::fs::symlink_metadata(&path);
    if kind.as_ref().is_ok_and(|m| !m.is_file()) {
        writeln!(err, "error: `{shown}` is not a regular file: left as it is")?;
        return Ok(EXIT_ERROR);
    }
    let read = kind.and_then(|_| {
        let mut bytes = Vec::new();
        std::io::Read::take(std::fs::File::open(&path)?, 4 << 20).read_to_end(&mut bytes)?;
        Ok(bytes)
    });
    let (mut config, existed) = match read {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(v @ Value::Object(_)) => (v, true),
            Ok(_) => {
                writeln!(err, "error: `{shown}` is not a JSON object: left as it is")?;
                return Ok(EXIT_ERROR);
            }
            Err(e) => {
                writeln!(
                    err,
                    "error: `{shown}` is not valid JSON ({e}): left as it is"
                )?;
                return Ok(EXIT_ERROR);
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => (fresh, false),
        Err(e) => {
            writeln!(err, "error: cannot read `{shown}`: {e}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let added = match merge(&mut config, &wanted) {
        Ok(added) => added,
        Err(why) => {
            writeln!(err, "error: `{shown}`: {why}: left as it is")?;
            return Ok(EXIT_ERROR);
        }
    };
    if added.is_empty() {
        writeln!(
            out,
            "{shown}: ribo's hook is already there; nothing changed"
        )?;
        return Ok(EXIT_OK);
    }
    let mut text = serde_json::to_string_pretty(&config).map_err(io::Error::other)?;
    text.push('\n');
    if let Some(parent) = path.parent() {
        // The agent's directory is the repository's own: one that is a link (a cloned
        // repository can carry one) would have ribo write wherever it points.
        if std::fs::symlink_metadata(parent).is_ok_and(|m| m.file_type().is_symlink()) {
            writeln!(
                err,
                "error: `{}` is a symbolic link: left as it is",
                display_path(parent)
            )?;
            return Ok(EXIT_ERROR);
        }
        std::fs::create_dir_all(parent)?;
    }
    // Written aside (a new file: never through a link planted there), then renamed over: an
    // agent reading it never sees half a file.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp = path.with_extension(format!("json.ribo-{nonce}"));
    let written = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &path)) {
        let _ = std::fs::remove_file(&tmp);
        writeln!(err, "error: cannot write `{shown}`: {e}")?;
        return Ok(EXIT_ERROR);
    }
    let verb = if existed { "updated" } else { "created" };
    writeln!(out, "{verb} {shown}:")?;
    for w in added {
        match w.matcher {
            Some(m) => writeln!(out, "  + {} ({m}): {}", w.event, w.command)?,
            None => writeln!(out, "  + {}: {}", w.event, w.command)?,
        }
    }
    if agent == Agent::Codex {
        writeln!(
            out,
            "Codex runs project hooks once the project is trusted; releases before 0.124 also need `[features] codex_hooks = true` in config.toml"
        )?;
    }
    if !dir.join("ribo.yaml").exists() && !dir.join(".ribo.yaml").exists() {
        writeln!(
            out,
            "no ribo.yaml here yet: the hook passes every edit until `ribo init` writes one"
        )?;
    }
    Ok(EXIT_OK)
}

/// Adds to `config` each wanted hook it does not run yet; what it added.
fn merge<'w>(config: &mut Value, wanted: &'w [Wanted]) -> Result<Vec<&'w Wanted>, String> {
    let root = config.as_object_mut().ok_or("not a JSON object")?;
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("`hooks` is not an object")?;
    let mut added = Vec::new();
    for w in wanted {
        let groups = hooks
            .entry(w.event)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .ok_or_else(|| format!("`hooks.{}` is not a list", w.event))?;
        let present = groups.iter().any(|g| runs(g, w.command));
        if present {
            continue;
        }
        groups.push(match w.matcher {
            Some(m) => json!({
                "matcher": m,
                "hooks": [{ "type": "command", "command": w.command, "timeout": 60 }],
            }),
            None => json!({ "command": w.command }),
        });
        added.push(w);
    }
    Ok(added)
}

/// Whether a hook entry (a matcher group with `hooks`, or a handler itself) runs `command`.
fn runs(entry: &Value, command: &str) -> bool {
    let is = |h: &Value| h.get("command").and_then(Value::as_str) == Some(command);
    is(entry)
        || entry
            .get("hooks")
            .and_then(Value::as_array)
            .is_some_and(|hs| hs.iter().any(is))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_other_hooks_and_settings_and_is_idempotent() {
        let mut config = json!({
            "model": "opus",
            "hooks": {
                "PreToolUse": [
                    { "matcher": "Bash", "hooks": [{ "type": "command", "command": "guard.sh" }] }
                ],
                "Stop": [{ "hooks": [{ "type": "command", "command": "notify" }] }]
            },
            "permissions": { "deny": ["Edit(ribo.yaml)"] }
        });
        let (_, wanted, _) = plan(Agent::ClaudeCode);
        let added = merge(&mut config, &wanted).expect("merges");
        assert_eq!(added.len(), 2);
        let again = merge(&mut config, &wanted).expect("merges");
        assert!(again.is_empty());
        let text = serde_json::to_string(&config).expect("prints");
        // Order kept: the user's keys first, ribo's group after the user's.
        assert_eq!(
            text,
            r#"{"model":"opus","hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"guard.sh"}]},{"matcher":"Edit|MultiEdit|Write","hooks":[{"type":"command","command":"ribo hook claude-code","timeout":60}]}],"Stop":[{"hooks":[{"type":"command","command":"notify"}]}],"PostToolUse":[{"matcher":"Edit|MultiEdit|Write","hooks":[{"type":"command","command":"ribo hook claude-code","timeout":60}]}]},"permissions":{"deny":["Edit(ribo.yaml)"]}}"#
        );
    }

    #[test]
    fn a_hooks_value_of_the_wrong_kind_is_refused() {
        let (_, wanted, _) = plan(Agent::Cursor);
        let mut config = json!({ "version": 1, "hooks": [] });
        assert_eq!(
            merge(&mut config, &wanted).err().as_deref(),
            Some("`hooks` is not an object")
        );
        let mut config = json!({ "version": 1, "hooks": { "afterFileEdit": {} } });
        assert!(merge(&mut config, &wanted).is_err());
    }
}
