//! `ribo init --agent AGENT [DIR]`: ribo wired into a coding agent's configuration in the
//! repository (README: ribo and coding agents): its hook, and its MCP server (`ribo mcp`) in the
//! agent's project-level MCP configuration. Each file is merged, never replaced: other hooks,
//! servers and settings stay as they are, in their order (a TOML file keeps its comments and
//! layout); an entry that already runs ribo's hook for an event, or ribo's server, is left
//! alone, so a second run changes nothing. A file that is not valid JSON (TOML), or whose
//! `hooks` or server table is not what the agent documents, is not touched (exit 2), and then
//! neither is the other file. A server already named `ribo` that runs something else is left
//! as it is, with a warning.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike};

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

/// The name ribo's MCP server is registered under, and the command line that starts it (a
/// stdio server).
const SERVER_NAME: &str = "ribo";
const SERVER_COMMAND: &str = "ribo";
const SERVER_ARGS: [&str; 1] = ["mcp"];

/// How an agent's MCP configuration file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `{"mcpServers": {"NAME": {"command": "...", "args": [...]}}}`
    Json,
    /// `[mcp_servers.NAME]` with `command = "..."` and `args = [...]`
    Toml,
}

/// The file each agent reads the project's MCP servers from.
fn mcp_plan(agent: Agent) -> (&'static str, Format) {
    match agent {
        // https://code.claude.com/docs/en/mcp: project scope, `.mcp.json` at the project's root,
        // `{"mcpServers": {"NAME": {"command": "...", "args": [...], "env": {...}}}}` (a stdio
        // server; `"type": "stdio"` may be spelt out). Claude Code asks before it starts one.
        Agent::ClaudeCode => (".mcp.json", Format::Json),
        // https://developers.openai.com/codex/mcp: `[mcp_servers.NAME]` with `command` and
        // `args`, in `~/.codex/config.toml` or, for one project, `.codex/config.toml` (read once
        // the project is trusted).
        Agent::Codex => (".codex/config.toml", Format::Toml),
        // https://cursor.com/docs/context/mcp: project configuration `.cursor/mcp.json`,
        // `{"mcpServers": {"NAME": {"command": "...", "args": [...], "env": {...}}}}`.
        Agent::Cursor => (".cursor/mcp.json", Format::Json),
    }
}

/// What became of ribo's server in an MCP configuration.
#[derive(Debug, PartialEq, Eq)]
enum Registered {
    /// Added, as `ribo`.
    Added,
    /// Already there, under this name.
    Present(String),
    /// `ribo` names a server that is not ribo's: what it is (`runs \`npx ribo-mcp\``).
    Taken(String),
}

/// A configuration file merged in memory: written only once every file of the run merged.
struct Merged {
    path: PathBuf,
    shown: String,
    existed: bool,
    /// The new contents; `None` when the file already has everything.
    text: Option<String>,
}

pub(crate) fn wire(
    agent: Agent,
    dir: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let (hooks_file, wanted, fresh) = plan(agent);
    let (mcp_file, format) = mcp_plan(agent);
    let hooks = merge_hooks(&dir.join(hooks_file), &wanted, fresh);
    let mcp = register_server(&dir.join(mcp_file), format);
    let ((hooks, added), (mcp, registered)) = match (hooks, mcp) {
        (Ok(hooks), Ok(mcp)) => (hooks, mcp),
        (hooks, mcp) => {
            // One file refused: neither is written, so that a run does all or nothing.
            let refused = [hooks.as_ref().err(), mcp.as_ref().err()];
            for why in refused.into_iter().flatten() {
                writeln!(err, "error: {why}")?;
            }
            let held = [
                hooks.as_ref().ok().map(|h| &h.0),
                mcp.as_ref().ok().map(|m| &m.0),
            ];
            for merged in held.into_iter().flatten() {
                if merged.text.is_some() {
                    writeln!(err, "`{}` was not written either", merged.shown)?;
                }
            }
            return Ok(EXIT_ERROR);
        }
    };
    let writes: Vec<&Merged> = [&hooks, &mcp]
        .into_iter()
        .filter(|m| m.text.is_some())
        .collect();
    // The agent's directory is the repository's own: one that is a link (a cloned repository
    // can carry one) would have ribo write wherever it points. Checked for every file before
    // any is written.
    for merged in &writes {
        let parent = merged.path.parent().filter(|p| *p != dir);
        if let Some(parent) = parent {
            if std::fs::symlink_metadata(parent).is_ok_and(|m| m.file_type().is_symlink()) {
                writeln!(
                    err,
                    "error: `{}` is a symbolic link: left as it is",
                    display_path(parent)
                )?;
                return Ok(EXIT_ERROR);
            }
        }
    }
    for merged in &writes {
        if let Err(e) = write_config(merged) {
            writeln!(err, "error: cannot write `{}`: {e}", merged.shown)?;
            return Ok(EXIT_ERROR);
        }
    }
    let verb = |m: &Merged| if m.existed { "updated" } else { "created" };
    if hooks.text.is_some() {
        writeln!(out, "{} {}:", verb(&hooks), hooks.shown)?;
        for w in &added {
            match w.matcher {
                Some(m) => writeln!(out, "  + {} ({m}): {}", w.event, w.command)?,
                None => writeln!(out, "  + {}: {}", w.event, w.command)?,
            }
        }
    } else {
        writeln!(
            out,
            "{}: ribo's hook is already there; nothing changed",
            hooks.shown
        )?;
    }
    let command_line = command_line(SERVER_COMMAND, &SERVER_ARGS);
    match &registered {
        Registered::Added => {
            writeln!(out, "{} {}:", verb(&mcp), mcp.shown)?;
            writeln!(out, "  + MCP server {SERVER_NAME}: {command_line}")?;
        }
        Registered::Present(name) if name == SERVER_NAME => writeln!(
            out,
            "{}: ribo's MCP server is already there; nothing changed",
            mcp.shown
        )?,
        Registered::Present(name) => writeln!(
            out,
            "{}: ribo's MCP server is already there (as `{name}`); nothing changed",
            mcp.shown
        )?,
        Registered::Taken(what) => writeln!(
            err,
            "warning: `{}`: the MCP server `{SERVER_NAME}` there {what}, not `{command_line}`: left as it is",
            mcp.shown
        )?,
    }
    let server_added = registered == Registered::Added;
    match agent {
        Agent::ClaudeCode if server_added => writeln!(
            out,
            "Claude Code asks each user to approve the servers of .mcp.json before it starts them"
        )?,
        Agent::Codex if !added.is_empty() || server_added => {
            let what = match (!added.is_empty(), server_added) {
                (true, true) => "runs project hooks and reads .codex/config.toml",
                (true, false) => "runs project hooks",
                _ => "reads .codex/config.toml",
            };
            let older = match added.is_empty() {
                false => "; releases before 0.124 also need `[features] codex_hooks = true` in config.toml",
                true => "",
            };
            writeln!(out, "Codex {what} once the project is trusted{older}")?;
        }
        _ => {}
    }
    if !writes.is_empty() && !dir.join("ribo.yaml").exists() && !dir.join(".ribo.yaml").exists() {
        writeln!(
            out,
            "no ribo.yaml here yet: the hook passes every edit until `ribo init` writes one"
        )?;
    }
    Ok(EXIT_OK)
}

/// The most of a configuration file ribo reads: it is small.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// The bytes of the configuration file at `path`, `None` when there is none. A link or
/// anything but a regular file is not read (a FIFO would block, a device never end).
fn read_config(path: &Path, shown: &str) -> Result<Option<Vec<u8>>, String> {
    let kind = std::fs::symlink_metadata(path);
    if kind.as_ref().is_ok_and(|m| !m.is_file()) {
        return Err(format!("`{shown}` is not a regular file: left as it is"));
    }
    let read = kind.and_then(|_| {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?
            .take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    });
    match read {
        // Cut short, it would be merged into and written back without its end.
        Ok(bytes) if bytes.len() as u64 > MAX_CONFIG_BYTES => Err(format!(
            "`{shown}` is larger than {} MiB: left as it is",
            MAX_CONFIG_BYTES >> 20
        )),
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read `{shown}`: {e}")),
    }
}

/// A JSON configuration file's object.
fn parse_json_object(bytes: &[u8], shown: &str) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(format!("`{shown}` is not a JSON object: left as it is")),
        Err(e) => Err(format!("`{shown}` is not valid JSON ({e}): left as it is")),
    }
}

fn print_json(config: &Value) -> Result<String, String> {
    let mut text = serde_json::to_string_pretty(config).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

/// The hook file at `path` with every wanted hook in it; the hooks it adds.
fn merge_hooks<'w>(
    path: &Path,
    wanted: &'w [Wanted],
    fresh: Value,
) -> Result<(Merged, Vec<&'w Wanted>), String> {
    let shown = display_path(path);
    let (mut config, existed) = match read_config(path, &shown)? {
        Some(bytes) => (parse_json_object(&bytes, &shown)?, true),
        None => (fresh, false),
    };
    let added =
        merge(&mut config, wanted).map_err(|why| format!("`{shown}`: {why}: left as it is"))?;
    let text = match added.is_empty() {
        true => None,
        false => Some(print_json(&config)?),
    };
    let merged = Merged {
        path: path.to_path_buf(),
        shown,
        existed,
        text,
    };
    Ok((merged, added))
}

/// The MCP configuration file at `path` with ribo's server in it; what became of it.
fn register_server(path: &Path, format: Format) -> Result<(Merged, Registered), String> {
    let shown = display_path(path);
    let bytes = read_config(path, &shown)?;
    let existed = bytes.is_some();
    let refused = |why: String| format!("`{shown}`: {why}: left as it is");
    let (registered, text) = match format {
        Format::Json => {
            let mut config = match &bytes {
                Some(bytes) => parse_json_object(bytes, &shown)?,
                None => json!({}),
            };
            let registered = register_json(&mut config).map_err(refused)?;
            let text = match registered {
                Registered::Added => Some(print_json(&config)?),
                _ => None,
            };
            (registered, text)
        }
        Format::Toml => {
            let source = match bytes {
                Some(bytes) => String::from_utf8(bytes).map_err(|_| {
                    format!("`{shown}` is not valid TOML (not UTF-8): left as it is")
                })?,
                None => String::new(),
            };
            let mut doc = source.parse::<DocumentMut>().map_err(|e| {
                let why = e.to_string();
                format!(
                    "`{shown}` is not valid TOML: left as it is\n  {}",
                    why.trim_end().replace('\n', "\n  ")
                )
            })?;
            let registered = register_toml(&mut doc).map_err(refused)?;
            let text = match registered {
                // toml_edit writes `\n` line ends: a file written with `\r\n` keeps them.
                Registered::Added if source.contains("\r\n") => {
                    Some(toml_text(&doc).replace("\r\n", "\n").replace('\n', "\r\n"))
                }
                Registered::Added => Some(toml_text(&doc)),
                _ => None,
            };
            (registered, text)
        }
    };
    let merged = Merged {
        path: path.to_path_buf(),
        shown,
        existed,
        text,
    };
    Ok((merged, registered))
}

/// Written aside (a new file: never through a link planted there), then renamed over: an
/// agent reading it never sees half a file.
fn write_config(merged: &Merged) -> io::Result<()> {
    let Some(text) = &merged.text else {
        return Ok(());
    };
    let path = &merged.path;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".ribo-{nonce}"));
    let tmp = path.with_file_name(name);
    let written = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    let done = written.and_then(|()| std::fs::rename(&tmp, path));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// `command` and `args` as one line.
fn command_line(command: &str, args: &[&str]) -> String {
    std::iter::once(command)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a server's command line (its command, split on white space, then its arguments)
/// starts ribo's MCP server: a program named `ribo` (on the PATH or not), then `mcp`.
fn starts_ribo_server(command: &str, args: &[&str]) -> bool {
    let mut words = command.split_whitespace().chain(args.iter().copied());
    let program = words.next().map(Path::new).and_then(Path::file_name);
    matches!(program.and_then(|p| p.to_str()), Some("ribo" | "ribo.exe"))
        && words.next() == Some("mcp")
}

/// What a server that is not ribo's is, from its command line or its address.
fn what_server(line: Option<(String, Vec<String>)>, url: Option<&str>) -> String {
    match (line, url) {
        (Some((command, args)), _) => {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            format!("runs `{}`", command_line(&command, &args))
        }
        (None, Some(url)) => format!("is at `{url}`"),
        (None, None) => "is something else".to_string(),
    }
}

/// Adds ribo's server to a JSON MCP configuration (`mcpServers`) unless a server there
/// starts it already, or `ribo` names another one.
fn register_json(config: &mut Value) -> Result<Registered, String> {
    let root = config.as_object_mut().ok_or("not a JSON object")?;
    let servers = root
        .entry("mcpServers")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("`mcpServers` is not an object")?;
    let line = |server: &Value| -> Option<(String, Vec<String>)> {
        let command = server.get("command")?.as_str()?.to_string();
        let args = match server.get("args") {
            None => Vec::new(),
            Some(args) => args
                .as_array()?
                .iter()
                .map(|a| a.as_str().map(str::to_string))
                .collect::<Option<_>>()?,
        };
        Some((command, args))
    };
    for (name, server) in servers.iter() {
        if let Some((command, args)) = line(server) {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if starts_ribo_server(&command, &args) {
                return Ok(Registered::Present(name.clone()));
            }
        }
    }
    if let Some(other) = servers.get(SERVER_NAME) {
        let url = other.get("url").and_then(Value::as_str);
        return Ok(Registered::Taken(what_server(line(other), url)));
    }
    servers.insert(
        SERVER_NAME.to_string(),
        json!({ "command": SERVER_COMMAND, "args": SERVER_ARGS }),
    );
    Ok(Registered::Added)
}

/// Adds ribo's server to a TOML MCP configuration (`[mcp_servers.NAME]`) unless a server
/// there starts it already, or `ribo` names another one. Everything else of the document,
/// comments and layout included, is kept.
fn register_toml(doc: &mut DocumentMut) -> Result<Registered, String> {
    let root = doc.as_table_mut();
    if !root.contains_key("mcp_servers") {
        // `[mcp_servers.ribo]` alone, without an empty `[mcp_servers]` above it.
        let mut servers = Table::new();
        servers.set_implicit(true);
        root.insert("mcp_servers", Item::Table(servers));
    }
    let servers = root
        .get_mut("mcp_servers")
        .filter(|item| item.is_table_like())
        .ok_or("`mcp_servers` is not a table")?;
    let line = |server: &dyn TableLike| -> Option<(String, Vec<String>)> {
        let command = server.get("command")?.as_str()?.to_string();
        let args = match server.get("args") {
            None => Vec::new(),
            Some(args) => args
                .as_array()?
                .iter()
                .map(|a| a.as_str().map(str::to_string))
                .collect::<Option<_>>()?,
        };
        Some((command, args))
    };
    let listed = servers.as_table_like().into_iter().flat_map(|t| t.iter());
    for (name, server) in listed {
        if let Some((command, args)) = server.as_table_like().and_then(line) {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            if starts_ribo_server(&command, &args) {
                return Ok(Registered::Present(name.to_string()));
            }
        }
    }
    if let Some(other) = servers.get(SERVER_NAME) {
        let other = other.as_table_like();
        let url = other.and_then(|o| o.get("url")).and_then(Item::as_str);
        return Ok(Registered::Taken(what_server(other.and_then(line), url)));
    }
    let mut server = InlineTable::new();
    server.insert("command", SERVER_COMMAND.into());
    server.insert("args", SERVER_ARGS.into_iter().collect::<Array>().into());
    match servers {
        // `mcp_servers = { other = { .. } }`: one more entry of it.
        Item::Value(toml_edit::Value::InlineTable(inline)) => {
            // The blank before the closing brace moves after ribo's entry.
            let mut server = toml_edit::Value::from(server);
            if let Some((_, last)) = inline.iter_mut().last() {
                if let Some(blank) = last.decor().suffix().cloned() {
                    last.decor_mut().set_suffix("");
                    server.decor_mut().set_suffix(blank);
                }
            }
            inline.insert(SERVER_NAME, server);
        }
        Item::Table(table) => {
            let mut server = server.into_table();
            // `mcp_servers.other.command = ".."` lines: ribo's written the same way; otherwise
            // a `[mcp_servers.ribo]` table of its own, after the other servers.
            server.set_dotted(table.is_dotted());
            table.insert(SERVER_NAME, Item::Table(server));
        }
        _ => return Err("`mcp_servers` is not a table".to_string()),
    }
    Ok(Registered::Added)
}

/// The text of a TOML configuration ribo's table was added to. toml_edit hands the comments
/// between two tables to the header below them; those that belong to what was there before
/// ribo's table (the comments ending the document, and the lines above a blank line before the
/// next header: a commented-out line of the server above) are moved back above it, where they
/// were, instead of reading as ribo's.
fn toml_text(doc: &DocumentMut) -> String {
    let text = doc.to_string();
    let block = format!(
        "[mcp_servers.{SERVER_NAME}]\ncommand = {}\nargs = {}\n",
        toml_edit::Value::from(SERVER_COMMAND),
        SERVER_ARGS.into_iter().collect::<Array>()
    );
    let found = text
        .match_indices(&block)
        .find(|(at, _)| *at == 0 || text[..*at].ends_with('\n'));
    let Some((at, _)) = found else {
        return text;
    };
    let pre = text[..at].strip_suffix('\n').filter(|p| p.ends_with('\n'));
    let pre = pre.unwrap_or(&text[..at]);
    let rest = &text[at + block.len()..];
    // The comment and blank lines after ribo's table, and the last blank one among them.
    let mut run = 0;
    let mut last_blank = None;
    for line in rest.split_inclusive('\n') {
        let words = line.trim();
        if words.is_empty() {
            last_blank = Some(run);
        } else if !words.starts_with('#') {
            break;
        }
        run += line.len();
    }
    let (above, below) = match (run >= rest.len(), last_blank) {
        (true, _) => (rest.trim_end(), ""),
        (false, Some(blank)) => (rest[..blank].trim_end(), &rest[blank..]),
        (false, None) => return text,
    };
    if above.trim().is_empty() {
        return text;
    }
    format!("{pre}{above}\n\n{block}{below}")
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

    #[test]
    fn registering_in_json_keeps_other_servers_and_settings_and_is_idempotent() {
        let mut config = json!({
            "$schema": "https://example.com/mcp.schema.json",
            "mcpServers": {
                "docs": { "command": "npx", "args": ["-y", "docs-mcp"], "env": { "KEY": "v" } },
                "remote": { "type": "http", "url": "https://example.com/mcp" }
            },
            "other": true
        });
        assert_eq!(register_json(&mut config), Ok(Registered::Added));
        let once = serde_json::to_string(&config).expect("prints");
        assert_eq!(
            once,
            r#"{"$schema":"https://example.com/mcp.schema.json","mcpServers":{"docs":{"command":"npx","args":["-y","docs-mcp"],"env":{"KEY":"v"}},"remote":{"type":"http","url":"https://example.com/mcp"},"ribo":{"command":"ribo","args":["mcp"]}},"other":true}"#
        );
        assert_eq!(
            register_json(&mut config),
            Ok(Registered::Present("ribo".to_string()))
        );
        assert_eq!(serde_json::to_string(&config).expect("prints"), once);
        // A new file: the server alone.
        let mut config = json!({});
        assert_eq!(register_json(&mut config), Ok(Registered::Added));
        assert_eq!(
            serde_json::to_string(&config).expect("prints"),
            r#"{"mcpServers":{"ribo":{"command":"ribo","args":["mcp"]}}}"#
        );
    }

    #[test]
    fn ribo_s_server_under_another_name_or_spelling_counts_as_there() {
        for server in [
            json!({ "type": "stdio", "command": "ribo", "args": ["mcp"] }),
            json!({ "command": "/usr/local/bin/ribo", "args": ["mcp", "--quiet"] }),
            json!({ "command": "ribo mcp" }),
        ] {
            let mut config = json!({ "mcpServers": { "lint": server } });
            let before = config.clone();
            assert_eq!(
                register_json(&mut config),
                Ok(Registered::Present("lint".to_string()))
            );
            assert_eq!(config, before);
        }
        assert!(!starts_ribo_server("ribo", &["hook", "mcp"]));
        assert!(!starts_ribo_server("ribo-mcp", &[]));
        assert!(!starts_ribo_server("", &[]));
    }

    #[test]
    fn a_server_named_ribo_that_runs_something_else_is_left_alone() {
        let mut config =
            json!({ "mcpServers": { "ribo": { "command": "npx", "args": ["-y", "ribo-mcp"] } } });
        let before = config.clone();
        assert_eq!(
            register_json(&mut config),
            Ok(Registered::Taken("runs `npx -y ribo-mcp`".to_string()))
        );
        assert_eq!(config, before);
        let mut config = json!({ "mcpServers": { "ribo": { "url": "https://ribo.example/mcp" } } });
        assert_eq!(
            register_json(&mut config),
            Ok(Registered::Taken(
                "is at `https://ribo.example/mcp`".to_string()
            ))
        );
        let source = "[mcp_servers.ribo]\ncommand = \"ribo-server\" # ours\n";
        let mut doc: DocumentMut = source.parse().expect("parses");
        assert_eq!(
            register_toml(&mut doc),
            Ok(Registered::Taken("runs `ribo-server`".to_string()))
        );
        assert_eq!(doc.to_string(), source);
    }

    #[test]
    fn a_server_table_of_the_wrong_kind_is_refused() {
        for config in [
            json!({ "mcpServers": [] }),
            json!({ "mcpServers": "ribo" }),
            json!({ "mcpServers": null }),
        ] {
            let mut config = config;
            assert_eq!(
                register_json(&mut config),
                Err("`mcpServers` is not an object".to_string())
            );
        }
        for source in [
            "mcp_servers = 3\n",
            "mcp_servers = [\"ribo\"]\n",
            "[[mcp_servers]]\nname = \"docs\"\n",
        ] {
            let mut doc: DocumentMut = source.parse().expect("parses");
            assert_eq!(
                register_toml(&mut doc),
                Err("`mcp_servers` is not a table".to_string()),
                "{source}"
            );
        }
    }

    #[test]
    fn registering_in_toml_keeps_comments_layout_and_other_servers() {
        let source = r#"# Codex, for this repository.
model = "o3"   # the default

[mcp_servers.docs]
command = "npx"  # pinned below
args = ["-y", "docs-mcp@1.2"]
# startup_timeout_sec = 30

# Profiles.
[profiles.fast]
model = "mini"
"#;
        let mut doc: DocumentMut = source.parse().expect("parses");
        assert_eq!(register_toml(&mut doc), Ok(Registered::Added));
        let once = toml_text(&doc);
        assert_eq!(
            once,
            r#"# Codex, for this repository.
model = "o3"   # the default

[mcp_servers.docs]
command = "npx"  # pinned below
args = ["-y", "docs-mcp@1.2"]
# startup_timeout_sec = 30

[mcp_servers.ribo]
command = "ribo"
args = ["mcp"]

# Profiles.
[profiles.fast]
model = "mini"
"#
        );
        let mut doc: DocumentMut = once.parse().expect("parses");
        assert_eq!(
            register_toml(&mut doc),
            Ok(Registered::Present("ribo".to_string()))
        );
        assert_eq!(doc.to_string(), once);
    }

    #[test]
    fn registering_in_toml_writes_the_way_the_file_does() {
        let cases = [
            // A new file.
            ("", "[mcp_servers.ribo]\ncommand = \"ribo\"\nargs = [\"mcp\"]\n"),
            // Comments that end the file stay above ribo's table.
            (
                "[features]\ncodex_hooks = true\n# the end\n",
                "[features]\ncodex_hooks = true\n# the end\n\n[mcp_servers.ribo]\ncommand = \"ribo\"\nargs = [\"mcp\"]\n",
            ),
            // No line end at the end.
            (
                "model = \"o3\"",
                "model = \"o3\"\n\n[mcp_servers.ribo]\ncommand = \"ribo\"\nargs = [\"mcp\"]\n",
            ),
            // Dotted keys.
            (
                "mcp_servers.docs.command = \"npx\"\n",
                "mcp_servers.docs.command = \"npx\"\nmcp_servers.ribo.command = \"ribo\"\nmcp_servers.ribo.args = [\"mcp\"]\n",
            ),
            // An inline table.
            (
                "mcp_servers = { docs = { command = \"npx\" } }\n",
                "mcp_servers = { docs = { command = \"npx\" }, ribo = { command = \"ribo\", args = [\"mcp\"] } }\n",
            ),
            // Servers listed in `[mcp_servers]` itself.
            (
                "[mcp_servers]\ndocs = { command = \"npx\" }\n",
                "[mcp_servers]\ndocs = { command = \"npx\" }\n\n[mcp_servers.ribo]\ncommand = \"ribo\"\nargs = [\"mcp\"]\n",
            ),
        ];
        for (source, expected) in cases {
            let mut doc: DocumentMut = source.parse().expect("parses");
            assert_eq!(register_toml(&mut doc), Ok(Registered::Added), "{source}");
            let text = toml_text(&doc);
            assert_eq!(text, expected, "{source}");
            let mut again: DocumentMut = text.parse().expect("parses");
            assert_eq!(
                register_toml(&mut again),
                Ok(Registered::Present("ribo".to_string())),
                "{source}"
            );
        }
    }
}
