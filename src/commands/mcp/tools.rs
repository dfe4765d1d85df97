//! The tools `ribo mcp` offers: names, descriptions, input and output schemas (JSON Schema),
//! and the reading of a call's arguments. Every structured result conforms to its tool's
//! output schema (tests/mcp.rs validates each one).

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{json, Value};

use super::engine::{Change, MAX_CHANGE_BYTES};
use super::identity::Kind;

/// The schema of `ribo check --format json`: what `check` and `check_change` return.
const CHECK_OUTPUT: &str = include_str!("../../../specs/check-output.schema.json");

/// A call, its arguments read and checked.
pub(crate) enum Call {
    ExplainPath(String),
    Check(Option<Vec<String>>, usize),
    CheckChange(Change, usize),
    WhereMay(String, Option<Kind>),
    ExplainCode(String),
    Spec,
}

impl Call {
    /// A check of the whole repository (no paths, or an empty list): it builds the whole graph.
    pub fn is_whole_check(&self) -> bool {
        matches!(self, Call::Check(paths, _) if paths.as_ref().is_none_or(Vec::is_empty))
    }
}

fn object(value: Value) -> Arc<JsonObject> {
    Arc::new(match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    })
}

fn tool(
    name: &'static str,
    title: &str,
    description: &'static str,
    input: Value,
    output: Value,
) -> Tool {
    let mut t = Tool::new(name, description, object(input));
    t.title = Some(title.to_string());
    t.output_schema = Some(object(output));
    let mut hints = ToolAnnotations::default();
    hints.title = Some(title.to_string());
    hints.read_only_hint = Some(true);
    hints.destructive_hint = Some(false);
    hints.idempotent_hint = Some(true);
    hints.open_world_hint = Some(false);
    t.annotations = Some(hints);
    t
}

/// Findings a check reports when the call gives no `limit`, and the most it may ask for.
pub(crate) const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;

/// The check report's schema, with what `ribo mcp` adds to it: `omitted`, what the limit left
/// out.
fn check_output() -> Value {
    let mut schema: Value =
        serde_json::from_str(CHECK_OUTPUT).unwrap_or_else(|_| json!({"type": "object"}));
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert(
            "omitted".to_string(),
            json!({
                "description": "Findings (`violations`) and input warnings (`warnings`) the call's `limit` left out; the summary counts them all.",
                "type": "object",
                "required": ["violations", "warnings"],
                "additionalProperties": false,
                "properties": {
                    "violations": {"type": "integer", "minimum": 0},
                    "warnings": {"type": "integer", "minimum": 0}
                }
            }),
        );
    }
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.insert(
            "loosenings".to_string(),
            json!({
                "description": "`check_change` only: how the change loosens ribo.yaml or accepts debt in its baseline (`spec::loosened`), one compact line each (docs/spec-changes.md).",
                "type": "array",
                "items": {"type": "string"}
            }),
        );
    }
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.push(json!("omitted"));
    }
    if let Some(title) = schema.get_mut("title") {
        *title = json!("ribo check --format json, version 1, as ribo mcp returns it");
    }
    schema
}

/// The `limit` argument of the checks.
fn limit_schema() -> Value {
    json!({
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "description": format!("Report at most this many findings, errors first (default {DEFAULT_LIMIT}); the summary counts them all.")
    })
}

/// Every tool, in a fixed order (`tools/list` answers are deterministic).
pub(crate) fn all() -> Vec<Tool> {
    let check_output = check_output();
    let line = json!({"type": "integer", "minimum": 1, "description": "A line of ribo.yaml."});
    vec![
        tool(
            "explain_path",
            "What governs a file",
            "What governs a file before you change or create it: its boundary and what that \
             boundary may and may not use (boundaries, crates), whether the file is part of the \
             boundary's interface, the invariants and contracts that apply, and the system's \
             intent. Each rule comes with its line of ribo.yaml. The file need not exist.",
            json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "The file, relative to the repository root, `/`-separated."}
                },
                "required": ["path"],
                "additionalProperties": false
            }),
            json!({
                "type": "object",
                "description": "The data of `ribo explain PATH --format json` (docs/explain.md).",
                "required": ["version", "file", "spec", "exists", "excluded", "system", "boundary", "invariants", "exempt", "contracts"],
                "properties": {
                    "version": {"const": 1},
                    "file": {"type": "string"},
                    "spec": {"type": "string"},
                    "exists": {"type": "boolean"},
                    "excluded": {"type": "boolean"},
                    "system": {
                        "type": "object",
                        "required": ["name", "intent"],
                        "properties": {"name": {"type": "string"}, "intent": {"type": ["string", "null"]}}
                    },
                    "boundary": {
                        "type": ["object", "null"],
                        "required": ["name", "line", "paths", "may_use", "may_not_use", "crates", "interface", "used_by", "layer"],
                        "properties": {
                            "name": {"type": "string"},
                            "description": {"type": ["string", "null"]},
                            "line": line,
                            "paths": {"type": "array", "items": {"type": "string"}},
                            "may_use": {"type": ["array", "null"], "items": {"type": "string"}},
                            "may_not_use": {"type": "array", "items": {"type": "string"}},
                            "crates": {"type": ["array", "null"], "items": {"type": "string"}},
                            "interface": {"type": ["object", "null"]},
                            "used_by": {"type": "array", "items": {"type": "string"}},
                            "layer": {"type": ["object", "null"]}
                        }
                    },
                    "invariants": {"type": "array", "items": {"type": "object", "required": ["id", "code", "line", "severity"]}},
                    "exempt": {"type": "array", "items": {"type": "object", "required": ["id", "line"]}},
                    "contracts": {"type": "array", "items": {"type": "object", "required": ["kind", "id", "line"]}}
                }
            }),
        ),
        tool(
            "check",
            "Check the repository",
            "Checks the code against ribo.yaml: the whole repository, or only the files `paths` \
             names (their findings and those of the edges into them). Each finding has a stable \
             id (`fingerprint`), the code it underlines and the line of ribo.yaml it breaks.",
            json!({
                "type": "object",
                "properties": {
                    "paths": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Files relative to the repository root; omit to check everything."
                    },
                    "limit": limit_schema()
                },
                "additionalProperties": false
            }),
            check_output.clone(),
        ),
        tool(
            "check_change",
            "Check a change before writing it",
            "What a change would introduce, before it is written: give a unified diff (`diff`, \
             as `git diff` prints it) or the new content of files (`files`: path to content, \
             null to delete). Nothing is written. The result lists only the findings the change \
             adds; `summary.change` counts those it adds and fixes.",
            json!({
                "type": "object",
                "properties": {
                    "diff": {"type": "string", "description": "A unified diff, paths relative to the repository root."},
                    "files": {
                        "type": "object",
                        "additionalProperties": {"type": ["string", "null"]},
                        "description": "Path relative to the repository root: its whole new content, or null when the change deletes it."
                    },
                    "limit": limit_schema()
                },
                "oneOf": [{"required": ["diff"]}, {"required": ["files"]}],
                "additionalProperties": false
            }),
            check_output,
        ),
        tool(
            "where_may",
            "Who may use a boundary, crate or file",
            "Which boundaries may use a given boundary, external crate or file, and which may \
             not (with the rule and its line of ribo.yaml): to pick the right place for new code \
             before writing it. `kind` is guessed when omitted (a boundary's name, a path with `/` \
             or `.rs`, else a crate).",
            json!({
                "type": "object",
                "properties": {
                    "target": {"type": "string", "description": "A boundary name, a crate name, or a file path relative to the repository root."},
                    "kind": {"type": "string", "enum": ["boundary", "crate", "path"]}
                },
                "required": ["target"],
                "additionalProperties": false
            }),
            json!({
                "type": "object",
                "required": ["target", "kind", "may", "may_not"],
                "properties": {
                    "target": {"type": "string"},
                    "kind": {"type": "string", "enum": ["boundary", "crate", "path"]},
                    "boundary": {"type": "object", "required": ["name", "line"]},
                    "interface": {"type": ["object", "null"]},
                    "owner": {"type": ["object", "null"]},
                    "in_interface": {"type": "boolean"},
                    "excluded": {"type": "boolean"},
                    "may": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["boundary", "line"],
                            "properties": {"boundary": {"type": "string"}, "line": line}
                        }
                    },
                    "may_not": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["boundary", "reason", "line"],
                            "properties": {"boundary": {"type": "string"}, "reason": {"type": "string"}, "line": line}
                        }
                    }
                }
            }),
        ),
        tool(
            "explain_code",
            "Explain a diagnostic code",
            "The documentation of a diagnostic code (`boundary::layer`, `invariant::no-unwrap`, \
             ...): what it means, why it matters, how to fix it.",
            json!({
                "type": "object",
                "properties": {"code": {"type": "string"}},
                "required": ["code"],
                "additionalProperties": false
            }),
            json!({
                "type": "object",
                "required": ["code", "summary", "explanation"],
                "properties": {
                    "code": {"type": "string"},
                    "summary": {"type": "string"},
                    "explanation": {"type": "string"}
                }
            }),
        ),
        tool(
            "spec",
            "The declared architecture",
            "The system's declared identity, summarised: its intent, every boundary (paths, \
             may_use, crates, interface, layer), the invariants and the contracts, each with its \
             line of ribo.yaml.",
            json!({"type": "object", "properties": {}, "additionalProperties": false}),
            json!({
                "type": "object",
                "required": ["spec", "system", "boundaries", "layers", "invariants", "contracts"],
                "properties": {
                    "spec": {"type": "string"},
                    "system": {"type": "object", "required": ["name", "intent"]},
                    "boundaries": {"type": "array", "items": {"type": "object", "required": ["name", "line", "paths"]}},
                    "layers": {"type": ["array", "null"], "items": {"type": "string"}},
                    "invariants": {"type": "array", "items": {"type": "object", "required": ["id", "line"]}},
                    "contracts": {"type": "array", "items": {"type": "object", "required": ["id", "line", "kind"]}}
                }
            }),
        ),
    ]
}

/// Reads a call of the tool `name` (one of [`all`]) from its `arguments`; an argument of the
/// wrong kind, or one no tool takes, is refused with what was expected.
pub(crate) fn read(name: &str, mut args: JsonObject) -> Result<Call, String> {
    let allowed: &[&str] = match name {
        "explain_path" => &["path"],
        "check" => &["paths", "limit"],
        "check_change" => &["diff", "files", "limit"],
        "where_may" => &["target", "kind"],
        "explain_code" => &["code"],
        _ => &[],
    };
    if let Some(extra) = args.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "`{name}` takes no argument `{extra}` (it takes: {})",
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        ));
    }
    let limit = match args.remove("limit") {
        None | Some(Value::Null) => DEFAULT_LIMIT,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=MAX_LIMIT as u64).contains(&n) => n as usize,
            _ => return Err(format!("`limit` must be an integer from 1 to {MAX_LIMIT}")),
        },
    };
    let mut string = |key: &str| -> Result<Option<String>, String> {
        match args.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("`{key}` must be a string")),
        }
    };
    let required =
        |v: Option<String>, key: &str| v.ok_or_else(|| format!("`{name}` needs `{key}`"));
    match name {
        "explain_path" => Ok(Call::ExplainPath(required(string("path")?, "path")?)),
        "explain_code" => Ok(Call::ExplainCode(required(string("code")?, "code")?)),
        "where_may" => {
            let target = required(string("target")?, "target")?;
            let kind = match string("kind")? {
                None => None,
                Some(k) => Some(Kind::parse(&k).ok_or_else(|| {
                    format!("`kind` is `boundary`, `crate` or `path`, not `{k}`")
                })?),
            };
            Ok(Call::WhereMay(target, kind))
        }
        "spec" => Ok(Call::Spec),
        "check" => match args.remove("paths") {
            None | Some(Value::Null) => Ok(Call::Check(None, limit)),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s),
                    _ => Err("`paths` must be an array of strings".to_string()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|p| Call::Check(Some(p), limit)),
            Some(_) => Err("`paths` must be an array of strings".to_string()),
        },
        "check_change" => {
            let diff = string("diff")?;
            let files = args.remove("files");
            match (diff, files) {
                (Some(_), Some(f)) if !f.is_null() => {
                    Err("give `diff` or `files`, not both".to_string())
                }
                (Some(d), _) if d.len() > MAX_CHANGE_BYTES => Err(format!(
                    "the diff is larger than {} MiB: refused",
                    MAX_CHANGE_BYTES / (1024 * 1024)
                )),
                (Some(d), _) => Ok(Call::CheckChange(Change::Diff(d), limit)),
                (None, Some(Value::Object(map))) => {
                    let mut files = BTreeMap::new();
                    let mut total = 0usize;
                    for (path, content) in map {
                        let content = match content {
                            Value::String(s) => Some(s),
                            Value::Null => None,
                            _ => {
                                return Err(format!(
                                    "`files.{path}` must be the file's content (a string), or null to delete it"
                                ))
                            }
                        };
                        total += content.as_ref().map_or(0, String::len);
                        files.insert(path, content);
                    }
                    if total > MAX_CHANGE_BYTES {
                        return Err(format!(
                            "the files hold more than {} MiB: refused",
                            MAX_CHANGE_BYTES / (1024 * 1024)
                        ));
                    }
                    Ok(Call::CheckChange(Change::Files(files), limit))
                }
                (None, Some(_)) => Err("`files` must be an object: path to content".to_string()),
                (None, None) => Err("`check_change` needs `diff` or `files`".to_string()),
            }
        }
        _ => Err(format!("no tool is named `{name}`")),
    }
}
