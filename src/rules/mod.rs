//! Rules: the facts diffed against the spec. One file per rule kind; each returns
//! `Violation`s, which are data (errors are for when ribo cannot run).

pub mod assign;
pub mod baseline;
pub mod boundaries;
pub mod changed;
pub mod contracts;
pub mod drift;
pub mod fingerprint;
pub mod input;
pub mod invariants;
pub mod loosening;
pub mod patterns;
pub mod suppress;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::facts::model::Span;
use crate::facts::FactGraph;
use crate::spec::lines::Lines;
use crate::spec::model::{Level, Severity, SpecSpan, TestsMode};
use crate::spec::Spec;

pub use assign::Assignment;

/// The documentation of one diagnostic code, kept next to the rule that emits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDoc {
    pub code: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Markdown: what it means, why it matters, how to fix it.
    pub explanation: &'static str,
}

/// Text a violation shares with many others (its file, code, message, spec label): tens of
/// thousands of violations of one invariant hold one copy, not one each.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(std::sync::Arc<str>);

impl Text {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(s.into())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(s.into())
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(s.as_str().into())
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Text::from)
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Where a violation is: in a source file, or in the spec itself (drift of the spec).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Location {
    /// A source file relative to the root, with the span to underline.
    Source { file: Text, span: Span },
    /// The spec file, with the span to underline.
    Spec { span: Span },
}

/// A label on the spec line that declares the broken rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SpecLabel {
    pub span: Span,
    pub text: Text,
}

/// One drift between the spec and the code (serialisable: the results of a run over an
/// unchanged input are cached).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Violation {
    pub location: Location,
    pub code: Text,
    pub severity: Severity,
    /// One line, lower-case start, no trailing period.
    pub message: Text,
    /// Text under the underline.
    pub label: Text,
    pub spec_label: Option<SpecLabel>,
    pub help: Option<String>,
    /// Stable identity for baselines and CI systems; set by `fingerprint::assign`.
    pub fingerprint: String,
}

/// What every rule sees.
pub struct Context<'a> {
    pub spec: &'a Spec,
    pub graph: &'a FactGraph,
    pub assignment: &'a Assignment,
    /// Line starts of the spec source, indexed once: every violation points into the spec.
    spec_lines: Lines<'a>,
    /// When set, per-file rules (invariants) run only on the files it accepts: a changed-mode
    /// run reports nothing else of theirs.
    focus: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
}

impl<'a> Context<'a> {
    /// The context of one run.
    pub fn new(spec: &'a Spec, graph: &'a FactGraph, assignment: &'a Assignment) -> Self {
        Context {
            spec,
            graph,
            assignment,
            spec_lines: Lines::new(&spec.source),
            focus: None,
        }
    }

    /// Per-file rules look at this file (see `focus`).
    pub fn in_focus(&self, path: &str) -> bool {
        self.focus.is_none_or(|f| f(path))
    }

    /// Test code is left out unless `options.tests: check`.
    pub fn skip_tests(&self) -> bool {
        self.spec.options.tests.value == TestsMode::Skip
    }

    /// Whether the tokens of quoting macros (`quote!`), code generated for another crate,
    /// count as this crate's code (`options.quoted: check`).
    pub fn quoted(&self) -> bool {
        self.spec.options.quoted.value == TestsMode::Check
    }

    /// Whether a reference of this kind is a dependency of its file's code (see
    /// [`Context::quoted`]).
    pub fn counts(&self, kind: crate::facts::model::RefKind) -> bool {
        kind != crate::facts::model::RefKind::Quoted || self.quoted()
    }

    /// A span in the spec source with its line and column.
    pub fn spec_span(&self, span: &SpecSpan) -> Span {
        let len = self.spec.source.len();
        let start = span.start.min(len);
        let end = span.end.clamp(start, len);
        Span {
            start: start as u32,
            end: end as u32,
            line: self.spec_lines.line_of(start) as u32,
            col: self.spec_lines.column_of(start) as u32,
        }
    }

    /// A label on the spec, or `None` when the value was defaulted (no span).
    pub fn spec_label(&self, span: &SpecSpan, text: impl Into<Text>) -> Option<SpecLabel> {
        (span.end > span.start).then(|| SpecLabel {
            span: self.spec_span(span),
            text: text.into(),
        })
    }
}

/// The line and column (1-based, in characters) of a byte span in `source`.
pub fn span_in(source: &str, span: &SpecSpan) -> Span {
    let start = span.start.min(source.len());
    let end = span.end.clamp(start, source.len());
    let before = source.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    Span {
        start: start as u32,
        end: end as u32,
        line: line as u32,
        col: col as u32,
    }
}

/// The severity a level gives, or `None` for `allow`.
pub fn level_severity(level: Level) -> Option<Severity> {
    match level {
        Level::Allow => None,
        Level::Warn => Some(Severity::Warning),
        Level::Error => Some(Severity::Error),
    }
}

/// The result of checking: violations sorted (file, position, code, message), and how many
/// inline suppressions took effect.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub violations: Vec<Violation>,
    pub suppressed: usize,
}

/// The files whose bodies (calls, macros, unsafe sites, attributes, suppression directives,
/// query hits) a run focused on `focus` reads: the focus files, whose per-file rules run, or
/// every file's (`None`) without a focus or when a graph-wide rule reads bodies too.
pub fn bodies_read(spec: &Spec, focus: Option<&BTreeSet<String>>) -> Option<BTreeSet<String>> {
    if contracts::reads_every_body(spec) {
        return None;
    }
    focus.cloned()
}

/// Runs every rule, then applies inline suppressions.
pub fn check(spec: &Spec, graph: &FactGraph, assignment: &Assignment) -> Outcome {
    check_focused(spec, graph, assignment, None)
}

/// [`check`], with per-file rules (invariants) run only on the files `focus` accepts, for a
/// run that reports only those files' violations (changed mode). Graph-wide rules still see
/// every file.
pub fn check_focused(
    spec: &Spec,
    graph: &FactGraph,
    assignment: &Assignment,
    focus: Option<&(dyn Fn(&str) -> bool + Sync)>,
) -> Outcome {
    let mut cx = Context::new(spec, graph, assignment);
    cx.focus = focus;
    let mut others = Vec::new();
    boundaries::check(&cx, &mut others);
    drift::check(&cx, &mut others);
    contracts::check(&cx, &mut others);
    // Files no rule could see: not suppressible (a suppression lives in the file).
    let mut unchecked = Vec::new();
    input::check(&cx, &mut unchecked);
    // Invariants give the bulk of the violations, one vector per thread: the others join
    // them in one vector made large enough for all, the unsuppressible ones included.
    let mut parts = invariants::check(&cx);
    parts.push(others);
    let out = concat(parts, unchecked.len());
    let (mut violations, suppressed) = suppress::apply(&cx, out);
    violations.append(&mut unchecked);
    sort(&mut violations);
    fingerprint::assign(&mut violations, graph, &spec.source);
    Outcome {
        violations,
        suppressed,
    }
}

/// `parts` in one vector, with room for `more` after them. Tens of thousands of violations
/// (168 bytes each) on a large repository: the largest part is grown in place to the exact
/// length once, instead of doubling (a vector grown by `append` or `push` past its capacity
/// doubles it, and the old block lives until the copy is done: massif showed 22 MB of
/// violations at the peak of a cold check of the large corpus for 10 MB of findings).
fn concat(mut parts: Vec<Vec<Violation>>, more: usize) -> Vec<Violation> {
    let total = parts.iter().map(Vec::len).sum::<usize>() + more;
    let largest = (0..parts.len()).max_by_key(|&i| parts[i].capacity());
    let mut out = largest.map(|i| parts.swap_remove(i)).unwrap_or_default();
    out.reserve_exact(total - out.len());
    for mut part in parts {
        out.append(&mut part);
    }
    out
}

/// The one order of violations: by file, position, code, message.
pub fn sort(violations: &mut Vec<Violation>) {
    // Unstable: no buffer of half the violations, and equal violations are one after dedup.
    violations.sort_unstable();
    violations.dedup();
}

/// Every code ribo can emit, with its documentation (`ribo explain CODE`).
pub fn all_codes() -> Vec<CodeDoc> {
    let mut all: Vec<CodeDoc> = Vec::new();
    all.extend_from_slice(boundaries::CODES);
    all.extend_from_slice(drift::CODES);
    all.extend_from_slice(baseline::CODES);
    all.extend_from_slice(invariants::CODES);
    all.extend_from_slice(contracts::CODES);
    all.extend_from_slice(suppress::CODES);
    all.extend_from_slice(input::CODES);
    all.extend_from_slice(loosening::CODES);
    all.extend(
        crate::spec::codes::CODES
            .iter()
            .map(|&(code, summary)| CodeDoc {
                code,
                summary,
                explanation:
                    "A problem in ribo.yaml itself: ribo stops with exit status 2 and points \
at the exact place. See docs/spec.md for every key.",
            }),
    );
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One list of every code: no duplicates, and the list itself is snapshotted so that a
    /// code never disappears or changes by accident.
    #[test]
    fn codes_are_unique_and_listed() {
        let all = all_codes();
        let mut seen = std::collections::BTreeSet::new();
        for c in &all {
            assert!(seen.insert(c.code), "duplicate code {}", c.code);
            assert!(
                !c.summary.is_empty() && !c.explanation.is_empty(),
                "{} undocumented",
                c.code
            );
        }
        let list: Vec<&str> = all.iter().map(|c| c.code).collect();
        insta::assert_snapshot!(list.join("\n"));
    }

    /// Every `spec::*` code the spec module emits is documented.
    #[test]
    fn every_emitted_spec_code_is_documented() {
        let documented: std::collections::BTreeSet<&str> = crate::spec::codes::CODES
            .iter()
            .chain(crate::spec::codes::CHANGE_CODES)
            .map(|c| c.0)
            .collect();
        for dir in ["src/spec", "src/spec/raw", "src/spec/validate", "src/rules"] {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap_or_default();
                for (i, _) in text.match_indices("\"spec::") {
                    let rest = &text[i + 1..];
                    let end = rest.find('"').unwrap_or(0);
                    let code = &rest[..end];
                    let name = code.trim_start_matches("spec::");
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    {
                        continue;
                    }
                    assert!(
                        documented.contains(code),
                        "{code} in {:?} is not in spec::codes",
                        e.path()
                    );
                }
            }
        }
    }
}
