//! `ribo baseline`, and the baseline file it writes and `ribo check` reads.
//!
//! The file is JSON, versioned, sorted, pretty-printed with a trailing newline, so that it
//! diffs well: `{"version": 1, "entries": [{"fingerprint", "code", "file", "message",
//! "reason"?}]}`. Matching violations to entries is `rules::baseline`'s job; here are the file
//! and the command. See docs/baseline.md.

use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{analyse, display_path, load_spec, Reuse};
use crate::cli::BaselineArgs;
use crate::report::{plural, Style};
use crate::rules::baseline::{self as matching, Baseline, Entry};
use crate::rules::changed::Selector;
use crate::rules::{self, Violation};
use crate::spec::Spec;
use crate::{EXIT_ERROR, EXIT_OK};

/// Version of the baseline file format.
pub const BASELINE_FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    version: u32,
    entries: Vec<EntryFormat>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFormat {
    fingerprint: String,
    code: String,
    file: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Only the version, read first so that a newer file gets a version error, not a field error.
#[derive(Deserialize)]
struct VersionOnly {
    version: Option<serde_json::Value>,
}

/// The baseline file: `--baseline FILE`, else `options.baseline` under the spec root.
pub(crate) fn path(spec: &Spec, explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(p) => p.to_path_buf(),
        None => spec.root.join(&spec.options.baseline.value),
    }
}

/// `path` relative to `root` with `/` separators (`..` when it lies outside).
pub(crate) fn root_relative(root: &Path, path: &Path) -> String {
    let abs = absolute(path);
    let root = absolute(root);
    let common = root
        .components()
        .zip(abs.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = root.components().count() - common;
    let mut parts: Vec<String> = vec!["..".to_owned(); ups];
    parts.extend(
        abs.components()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// Canonical when it exists; else its parent canonicalised joined with its name.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let joined = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    match (out.parent().map(Path::canonicalize), out.file_name()) {
        (Some(Ok(parent)), Some(name)) => parent.join(name),
        _ => out,
    }
}

/// Reads the baseline at `path`: `Ok(None)` when there is none; an error message when it
/// cannot be read or is not a baseline.
pub(crate) fn read(path: &Path, root: &Path) -> Result<Option<Baseline>, String> {
    let shown = display_path(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("could not read the baseline `{shown}`: {e}")),
    };
    parse(path, root, &text).map(Some)
}

/// The baseline `text`, the content of the file at `path` (now, or at a revision).
pub(crate) fn parse(path: &Path, root: &Path, text: &str) -> Result<Baseline, String> {
    let shown = display_path(path);
    let invalid = |why: String| {
        format!("`{shown}` is not a valid baseline file: {why}; fix it, or delete it and run `ribo baseline`")
    };
    let version: VersionOnly = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    match version.version {
        Some(v) if v == serde_json::json!(BASELINE_FORMAT_VERSION) => {}
        Some(v) => {
            return Err(invalid(format!(
                "unsupported version {v} (this ribo reads version {BASELINE_FORMAT_VERSION})"
            )))
        }
        None => return Err(invalid("missing field `version`".to_owned())),
    }
    let file: FileFormat = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let spans = fingerprint_spans(text);
    let entries = file
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| Entry {
            span: spans
                .get(i)
                .map(|r| rules::span_in(text, r))
                .unwrap_or_else(|| rules::span_in(text, &(0..0))),
            fingerprint: e.fingerprint,
            code: e.code,
            file: e.file,
            message: e.message,
            reason: e.reason,
        })
        .collect();
    Ok(Baseline {
        file: root_relative(root, path),
        entries,
    })
}

/// The byte range of each entry's fingerprint value, in file order: the value after each
/// `"fingerprint"` key. (Inside JSON strings every `"` is escaped, so the key cannot be
/// mistaken for text.)
fn fingerprint_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    let key = "\"fingerprint\"";
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|t| t.find(key)) {
        let after = from + found + key.len();
        from = after;
        let rest = text.get(after..).unwrap_or("");
        let Some(colon) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = colon.trim_start();
        let start = text.len() - value.len();
        if !value.starts_with('"') {
            continue;
        }
        let end = value
            .char_indices()
            .skip(1)
            .scan(false, |escaped, (i, c)| {
                let done = c == '"' && !*escaped;
                *escaped = c == '\\' && !*escaped;
                Some((i, done))
            })
            .find(|(_, done)| *done)
            .map_or(value.len(), |(i, _)| i + 1);
        spans.push(start..start + end);
    }
    spans
}

/// The file text for `entries` (sorted first).
pub(crate) fn render(entries: &[Entry]) -> String {
    let mut entries = entries.to_vec();
    matching::sort(&mut entries);
    let file = FileFormat {
        version: BASELINE_FORMAT_VERSION,
        entries: entries
            .into_iter()
            .map(|e| EntryFormat {
                fingerprint: e.fingerprint,
                code: e.code,
                file: e.file,
                message: e.message,
                reason: e.reason,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// What `ribo check` reports after the baseline and the changed-files selection: the
/// violations to show and how many the baseline accepted.
pub(crate) struct Narrowed {
    pub violations: Vec<Violation>,
    pub baselined: usize,
}

/// Applies the baseline (new violations and stale entries are reported, baselined ones
/// counted) and the changed-files selection.
pub(crate) fn narrow(
    violations: Vec<Violation>,
    baseline: Option<&Baseline>,
    selector: Option<&Selector>,
) -> Narrowed {
    let keeps = |v: &Violation| selector.is_none_or(|s| s.keeps(v));
    let Some(baseline) = baseline else {
        return Narrowed {
            violations: violations.into_iter().filter(keeps).collect(),
            baselined: 0,
        };
    };
    let split = matching::split(violations, baseline);
    let mut shown: Vec<Violation> = split.new.iter().filter(|v| keeps(v)).cloned().collect();
    for i in split.stale() {
        let entry = &baseline.entries[i];
        if selector.is_none_or(|s| s.keeps_stale(&entry.file)) {
            shown.push(matching::stale_violation(baseline, entry));
        }
    }
    rules::sort(&mut shown);
    Narrowed {
        violations: shown,
        baselined: split.baselined.iter().filter(|v| keeps(v)).count(),
    }
}

/// The baseline `ribo check` uses: none with `--no-baseline`; `--baseline FILE` must exist.
pub(crate) fn for_check(
    spec: &Spec,
    explicit: Option<&Path>,
    disabled: bool,
    err: &mut dyn Write,
) -> io::Result<Result<Option<Baseline>, i32>> {
    if disabled {
        return Ok(Ok(None));
    }
    let path = path(spec, explicit);
    match read(&path, &spec.root) {
        Ok(None) if explicit.is_some() => {
            let shown = display_path(&path);
            writeln!(
                err,
                "error: the baseline `{shown}` does not exist (`ribo baseline --baseline {shown}` writes it)"
            )?;
            Ok(Err(EXIT_ERROR))
        }
        Ok(found) => Ok(Ok(found)),
        Err(message) => {
            writeln!(err, "error: {message}")?;
            Ok(Err(EXIT_ERROR))
        }
    }
}

/// What `ribo baseline` did, for its one line of output.
struct Written {
    shown: String,
    created: bool,
    unchanged: bool,
    kept: usize,
    removed: usize,
    added: usize,
    refused: usize,
}

/// `ribo baseline`: records today's violations. An existing baseline only shrinks (stale
/// entries go, reasons of surviving entries stay) unless `--accept-new` adds the new ones.
pub fn baseline(
    args: &BaselineArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let loaded = match load_spec(&args.spec, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let outcome = match analyse(&loaded, &args.spec, Reuse::Whole, None, true, style, err)? {
        Ok(a) => a.outcome,
        Err(code) => return Ok(code),
    };
    let spec = &loaded.spec;
    let path = path(spec, args.baseline.as_deref());
    let existing = match read(&path, &spec.root) {
        Ok(b) => b,
        Err(message) => {
            writeln!(err, "error: {message}")?;
            return Ok(EXIT_ERROR);
        }
    };
    let spec_file = root_relative(&spec.root, &spec.path);
    let violations = outcome.violations;
    let entry = |v: &Violation| matching::entry_of(v, &spec_file);
    let mut written = Written {
        shown: display_path(&path),
        created: existing.is_none(),
        unchanged: false,
        kept: 0,
        removed: 0,
        added: 0,
        refused: 0,
    };
    let entries: Vec<Entry> = match &existing {
        None => {
            written.added = violations.len();
            violations.iter().map(entry).collect()
        }
        Some(old) => {
            let split = matching::split(violations.clone(), old);
            let mut entries: Vec<Entry> = Vec::new();
            for (ei, matched) in split.matched.iter().enumerate() {
                if let Some(vi) = matched {
                    let mut kept = old.entries[ei].clone();
                    kept.message = violations[*vi].message.to_string();
                    entries.push(kept);
                }
            }
            written.kept = entries.len();
            written.removed = old.entries.len() - entries.len();
            if args.accept_new {
                written.added = split.new.len();
                entries.extend(split.new.iter().map(entry));
            } else {
                written.refused = split.new.len();
            }
            entries
        }
    };
    let text = render(&entries);
    written.unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
    if !written.unchanged {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        let made = parent.map_or(Ok(()), std::fs::create_dir_all);
        if let Err(e) = made.and_then(|()| std::fs::write(&path, &text)) {
            writeln!(err, "error: could not write `{}`: {e}", written.shown)?;
            return Ok(EXIT_ERROR);
        }
    }
    writeln!(out, "{}", written_line(&written))?;
    Ok(EXIT_OK)
}

/// `ribo: wrote ribo-baseline.json with 3 entries`, or what changed in an existing one.
fn written_line(w: &Written) -> String {
    let mut line = if w.created {
        format!(
            "ribo: wrote {} with {}",
            w.shown,
            plural(w.added, "entry", "entries")
        )
    } else if w.unchanged {
        format!(
            "ribo: {} is up to date ({})",
            w.shown,
            plural(w.kept, "entry", "entries")
        )
    } else {
        let mut parts = vec![format!("{} kept", plural(w.kept, "entry", "entries"))];
        if w.removed > 0 {
            parts.push(format!(
                "{} removed",
                plural(w.removed, "stale entry", "stale entries")
            ));
        }
        if w.added > 0 {
            parts.push(format!(
                "{} added",
                plural(w.added, "new entry", "new entries")
            ));
        }
        format!("ribo: updated {}: {}", w.shown, parts.join(", "))
    };
    if w.refused > 0 {
        line.push_str(&format!(
            "; {} not added (`ribo baseline --accept-new` adds {})",
            plural(w.refused, "new violation", "new violations"),
            if w.refused == 1 { "it" } else { "them" }
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_spans_find_each_value() {
        let text = "{\"entries\": [{\"message\": \"say \\\"fingerprint\\\": no\", \"fingerprint\" : \"ab\\\"c\"}, {\"fingerprint\":\"d\"}]}";
        let spans: Vec<&str> = fingerprint_spans(text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(spans, ["\"ab\\\"c\"", "\"d\""]);
    }

    #[test]
    fn paths_outside_the_root_go_up() {
        let root = Path::new("/a/b");
        assert_eq!(root_relative(root, Path::new("/a/b/c/d.json")), "c/d.json");
        assert_eq!(root_relative(root, Path::new("/a/x.json")), "../x.json");
    }
}
