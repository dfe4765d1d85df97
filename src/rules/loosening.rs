//! `spec::loosened`: the identity changed in a way that lets more code pass. Two specs are
//! compared by meaning (reformatting, comments and key order are neither loosening nor
//! tightening), and globs by the files they match today. A loosening is a finding at the line
//! of the working spec it is on (or the nearest line that still exists, for what was
//! removed), with before and after; a tightening is the same comparison the other way round,
//! reported as a note. See docs/spec-changes.md.

use std::collections::BTreeSet;

use super::{span_in, Location, Text, Violation};
use crate::spec::model::{
    Boundary, ContractKind, Forbid, Glob, GlobCandidate, Invariant, Level, Scope, Severity,
    SpecSpan, TestsMode,
};
use crate::spec::Spec;

/// The code of a loosening.
pub const CODE: &str = "spec::loosened";
/// The code of a tightening (a note).
pub const TIGHTENED: &str = "spec::tightened";

/// Their documentation (`ribo explain`).
pub const CODES: &[super::CodeDoc] = &[
    super::CodeDoc {
        code: CODE,
        summary: "the spec changed in a way that lets more code pass",
        explanation:
            "`ribo diff-spec` (and the agent hooks, for an edit of ribo.yaml) compare the \
spec with an earlier one by meaning and list each loosening: a boundary removed or its `paths` \
claiming files they did not, `may_use` or `crates` entries added, `may_not_use` entries \
removed, an `interface` widened, a layer removed or a boundary moved up, an invariant removed, \
its `in` narrowed or its `except` widened (by the files they match today), a `forbid` entry \
removed or a `require` weakened, a severity lowered, `tests: check` turned to `skip`, options \
relaxed, a contract removed, made non-exhaustive or an export changed, baseline entries added, \
inline suppressions added to the code. \
Loosening the identity is a decision for a human: `--deny-loosening` fails a run on it (a CI \
job for pull requests). Tightenings are listed as notes.",
    },
    super::CodeDoc {
        code: TIGHTENED,
        summary: "the spec changed in a way that lets less code pass (a note)",
        explanation: "Listed by `ribo diff-spec` beside the loosenings: the inverse changes \
(a boundary or an invariant added, `may_use` entries removed, a severity raised...). Code that \
passed may not pass now; nothing fails on it.",
    },
];

/// One difference between two specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changed, with before and after.
    pub message: String,
    /// Where in the spec that has it (the later one for a loosening).
    pub at: SpecSpan,
}

/// What `new` loosens compared with `old` (spans in `new`), and what it tightens (spans in
/// `old`: what the later spec no longer has). `files` are today's Rust files (relative to
/// the root, excluded ones included), by which globs are compared.
pub fn compare(old: &Spec, new: &Spec, files: &[String]) -> (Vec<Change>, Vec<Change>) {
    let loosened = looser(old, new, files);
    let tightened = looser(new, old, files);
    (loosened, tightened)
}

/// [`compare`] over the Rust files under `new`'s root today (excluded ones included).
pub fn compare_today(old: &Spec, new: &Spec) -> (Vec<Change>, Vec<Change>) {
    let every = crate::facts::BuildOptions::default().exclude;
    let files = crate::facts::walk::walk(&new.root, &every).rust_files;
    compare(old, new, &files)
}

/// The entries of the baseline `now` that `before` does not have (by fingerprint): debt
/// accepted since.
pub fn entries_added<'a>(
    before: Option<&super::baseline::Baseline>,
    now: &'a super::baseline::Baseline,
) -> Vec<&'a super::baseline::Entry> {
    let known: BTreeSet<&str> = before
        .map(|b| b.entries.iter().map(|e| e.fingerprint.as_str()).collect())
        .unwrap_or_default();
    now.entries
        .iter()
        .filter(|e| !known.contains(e.fingerprint.as_str()))
        .collect()
}

/// What a baseline entry added says.
pub fn entry_added(e: &super::baseline::Entry) -> String {
    format!(
        "baseline entry added: `{}` in `{}` accepted ({})",
        e.code, e.file, e.message
    )
}

/// A loosening found in a file other than the spec (the baseline, a Rust file), at `span`;
/// its fingerprint is made of `identity`.
pub fn violation_in(
    file: &str,
    span: crate::facts::model::Span,
    message: &str,
    severity: Severity,
    (label, help): (&str, &str),
    identity: &[&str],
) -> Violation {
    Violation {
        location: Location::Source {
            file: Text::from(file),
            span,
        },
        code: Text::from(CODE),
        severity,
        message: Text::from(message),
        label: Text::from(label),
        spec_label: None,
        help: Some(help.to_string()),
        fingerprint: super::fingerprint::of(identity),
    }
}

/// The changes `b` makes that let more pass than `a` (spans in `b`, or where `b` keeps the
/// nearest enclosing thing for what it removed).
fn looser(a: &Spec, b: &Spec, files: &[String]) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |message: String, at: SpecSpan| out.push(Change { message, at });
    let top = section(b, "boundaries:");

    // Boundaries.
    for ba in &a.boundaries {
        let Some(bb) = b.boundaries.iter().find(|x| x.name.value == ba.name.value) else {
            push(format!("boundary `{}` removed", ba.name.value), top.clone());
            continue;
        };
        let at = bb.name.span.clone();
        let (fa, fb) = (matched(&ba.paths, files), matched(&bb.paths, files));
        let gained: Vec<&String> = fb.difference(&fa).collect();
        if !gained.is_empty() {
            push(
                format!(
                    "the `paths` of `{}` now claim {} it did not ({}): before {}, now {}",
                    bb.name.value,
                    plural(gained.len(), "file", "files"),
                    examples(&gained),
                    globs(&ba.paths),
                    globs(&bb.paths)
                ),
                bb.paths.first().map_or(at.clone(), |g| g.span.clone()),
            );
        }
        let uses = |s: &Spec, x: &Boundary| -> Option<BTreeSet<String>> {
            x.may_use.as_ref().map(|m| {
                m.value
                    .iter()
                    .map(|i| name(s, i.value).to_string())
                    .collect()
            })
        };
        match (uses(a, ba), uses(b, bb)) {
            (Some(_), None) => push(
                format!(
                    "`{}` lost its `may_use` list: it may now use every boundary",
                    bb.name.value
                ),
                at.clone(),
            ),
            (Some(before), Some(now)) => {
                for added in now.difference(&before) {
                    let span = bb
                        .may_use
                        .as_ref()
                        .and_then(|m| m.value.iter().find(|i| name(b, i.value) == added))
                        .map_or(at.clone(), |i| i.span.clone());
                    push(
                        format!(
                            "`{}` may now use `{added}` (`may_use` was {})",
                            bb.name.value,
                            list(&before)
                        ),
                        span,
                    );
                }
            }
            _ => {}
        }
        let not_uses = |s: &Spec, x: &Boundary| -> BTreeSet<String> {
            x.may_not_use.as_ref().map_or_else(BTreeSet::new, |m| {
                m.value
                    .iter()
                    .map(|i| name(s, i.value).to_string())
                    .collect()
            })
        };
        for removed in not_uses(a, ba).difference(&not_uses(b, bb)) {
            push(
                format!(
                    "`{}` is no longer kept from `{removed}` (`may_not_use` entry removed)",
                    bb.name.value
                ),
                at.clone(),
            );
        }
        let crates = |x: &Boundary| -> Option<BTreeSet<String>> {
            x.crates
                .as_ref()
                .map(|c| c.value.iter().map(|p| p.text.clone()).collect())
        };
        match (crates(ba), crates(bb)) {
            (Some(_), None) => push(
                format!(
                    "`{}` lost its `crates` list: it may now use every external crate",
                    bb.name.value
                ),
                at.clone(),
            ),
            (Some(before), Some(now)) => {
                for added in now.difference(&before) {
                    let span = bb
                        .crates
                        .as_ref()
                        .and_then(|c| c.value.iter().find(|p| &p.text == added))
                        .map_or(at.clone(), |p| p.span.clone());
                    push(
                        format!(
                            "`{}` may now use the crate `{added}` (`crates` was {})",
                            bb.name.value,
                            list(&before)
                        ),
                        span,
                    );
                }
            }
            _ => {}
        }
        match (&ba.interface, &bb.interface) {
            (Some(_), None) => push(
                format!(
                    "`{}` lost its `interface`: every file of it may now be used from outside",
                    bb.name.value
                ),
                at.clone(),
            ),
            (Some(ia), Some(ib)) => {
                let (fa, fb) = (matched(&ia.value, files), matched(&ib.value, files));
                let gained: Vec<&String> = fb.difference(&fa).collect();
                if !gained.is_empty() {
                    push(
                        format!(
                            "the `interface` of `{}` now takes in {} ({}): before {}, now {}",
                            bb.name.value,
                            plural(gained.len(), "more file", "more files"),
                            examples(&gained),
                            globs(&ia.value),
                            globs(&ib.value)
                        ),
                        ib.span.clone(),
                    );
                }
            }
            _ => {}
        }
    }

    // Layers: a boundary that was layered and is not, or that sits higher (may use more).
    if let Some(la) = &a.layers {
        let layer = |s: &Spec, l: &[crate::spec::model::At<usize>], n: &str| {
            l.iter().position(|x| name(s, x.value) == n)
        };
        match &b.layers {
            None => push(
                "`layers` removed: no order between boundaries is enforced any more".into(),
                top.clone(),
            ),
            Some(lb) => {
                for x in &la.value {
                    let n = name(a, x.value);
                    match (layer(a, &la.value, n), layer(b, &lb.value, n)) {
                        (Some(_), None) if b.boundaries.iter().any(|bb| bb.name.value == n) => push(
                            format!("`{n}` was taken out of `layers`: it may now use boundaries above it"),
                            lb.span.clone(),
                        ),
                        (Some(i), Some(j)) if j < i => push(
                            format!("`{n}` moved up in `layers` (from position {} to {}): it may now use what sits between", i + 1, j + 1),
                            lb.value.get(j).map_or(lb.span.clone(), |v| v.span.clone()),
                        ),
                        _ => {}
                    }
                }
            }
        }
    }

    // Invariants.
    let inv_top = section(b, "invariants:");
    for ia in &a.invariants {
        let Some(ib) = b.invariants.iter().find(|x| x.id.value == ia.id.value) else {
            push(
                format!("invariant `{}` removed", ia.id.value),
                inv_top.clone(),
            );
            continue;
        };
        let id = &ib.id.value;
        let at = ib.id.span.clone();
        if ia.severity.value == Severity::Error && ib.severity.value == Severity::Warning {
            push(
                format!("invariant `{id}` lowered from error to warning"),
                ib.severity.span.clone(),
            );
        }
        let (ca, cb) = (covered(a, ia, files), covered(b, ib, files));
        let lost: Vec<&String> = ca.difference(&cb).collect();
        if !lost.is_empty() {
            push(
                format!(
                    "invariant `{id}` no longer applies to {} ({}): its `in` narrowed or its `except` widened",
                    plural(lost.len(), "file", "files"),
                    examples(&lost)
                ),
                at.clone(),
            );
        }
        let tests =
            |s: &Spec, i: &Invariant| i.tests.as_ref().map_or(s.options.tests.value, |t| t.value);
        if tests(a, ia) == TestsMode::Check && tests(b, ib) == TestsMode::Skip {
            push(
                format!("invariant `{id}` no longer checks test code (`tests: skip`)"),
                at.clone(),
            );
        }
        for lost in forbidden(ia.forbid.as_ref()).difference(&forbidden(ib.forbid.as_ref())) {
            push(
                format!("invariant `{id}` no longer forbids {lost}"),
                at.clone(),
            );
        }
        match (&ia.require, &ib.require) {
            (Some(_), None) => push(
                format!("invariant `{id}` no longer requires anything"),
                at.clone(),
            ),
            (Some(ra), Some(rb)) => {
                if ra.attribute.is_some()
                    && rb.attribute.as_ref().map(|x| &x.value)
                        != ra.attribute.as_ref().map(|x| &x.value)
                {
                    push(
                        format!(
                            "invariant `{id}` no longer requires the attribute `{}`",
                            ra.attribute.as_ref().map_or("", |x| x.value.as_str())
                        ),
                        at.clone(),
                    );
                }
                if ra.doc.as_ref().is_some_and(|d| d.value)
                    && !rb.doc.as_ref().is_some_and(|d| d.value)
                {
                    push(
                        format!("invariant `{id}` no longer requires doc comments"),
                        at.clone(),
                    );
                }
                if ra.items.value != rb.items.value {
                    push(
                        format!("invariant `{id}` requires it of other items now"),
                        rb.items.span.clone(),
                    );
                }
            }
            _ => {}
        }
    }

    // Options.
    let relaxed = |x: Level, y: Level| rank(y) < rank(x);
    for (key, x, y) in [
        ("unassigned", &a.options.unassigned, &b.options.unassigned),
        ("cycles", &a.options.cycles, &b.options.cycles),
        (
            "unused_allowances",
            &a.options.unused_allowances,
            &b.options.unused_allowances,
        ),
    ] {
        if relaxed(x.value, y.value) {
            push(
                format!(
                    "`options.{key}` relaxed from `{}` to `{}`",
                    level(x.value),
                    level(y.value)
                ),
                y.span.clone(),
            );
        }
    }
    if a.options.quoted.value == TestsMode::Check && b.options.quoted.value == TestsMode::Skip {
        push(
            "`options.quoted` turned from `check` to `skip`: quoted code is no longer held to the rules".into(),
            b.options.quoted.span.clone(),
        );
    }
    if a.options.baseline.value != b.options.baseline.value {
        push(
            format!(
                "`options.baseline` points at another file: before `{}`, now `{}` (its entries are \
                 accepted debt no one compared)",
                a.options.baseline.value, b.options.baseline.value
            ),
            b.options.baseline.span.clone(),
        );
    }
    // Files the walk leaves out: nothing checks them.
    let (xa, xb) = (
        matched(&a.system.exclude, files),
        matched(&b.system.exclude, files),
    );
    let hidden: Vec<&String> = xb.difference(&xa).collect();
    if !hidden.is_empty() {
        push(
            format!(
                "`system.exclude` now leaves out {} ({}): nothing checks them",
                plural(hidden.len(), "more file", "more files"),
                examples(&hidden)
            ),
            b.system
                .exclude
                .first()
                .map_or(b.system.span.clone(), |g| g.span.clone()),
        );
    }
    if a.options.tests.value == TestsMode::Check && b.options.tests.value == TestsMode::Skip {
        push("`options.tests` turned from `check` to `skip`: test code is no longer held to the rules".into(), b.options.tests.span.clone());
    }

    // Contracts.
    let contracts_top = section(b, "contracts:");
    for ca in &a.contracts {
        let Some(cb) = b.contracts.iter().find(|x| x.id.value == ca.id.value) else {
            push(
                format!("contract `{}` removed", ca.id.value),
                contracts_top.clone(),
            );
            continue;
        };
        let id = &cb.id.value;
        let at = cb.id.span.clone();
        match (&ca.kind, &cb.kind) {
            (
                ContractKind::Exports {
                    exports: ea,
                    exhaustive: xa,
                    ..
                },
                ContractKind::Exports {
                    exports: eb,
                    exhaustive: xb,
                    ..
                },
            ) => {
                let (sa, sb): (BTreeSet<&str>, BTreeSet<&str>) = (
                    ea.iter().map(|e| e.value.as_str()).collect(),
                    eb.iter().map(|e| e.value.as_str()).collect(),
                );
                for gone in sa.difference(&sb) {
                    push(format!("contract `{id}` no longer holds the export `{gone}` (removed or its declaration changed)"), at.clone());
                }
                if flag(xa) && !flag(xb) {
                    push(format!("contract `{id}` made non-exhaustive"), at.clone());
                }
            }
            (
                ContractKind::Env {
                    vars: va,
                    exhaustive: xa,
                },
                ContractKind::Env {
                    vars: vb,
                    exhaustive: xb,
                },
            ) => {
                let sb: BTreeSet<&str> = vb.iter().map(|v| v.value.as_str()).collect();
                for gone in va.iter().filter(|v| !sb.contains(v.value.as_str())) {
                    push(
                        format!(
                            "contract `{id}` no longer lists the variable `{}`",
                            gone.value
                        ),
                        at.clone(),
                    );
                }
                if flag(xa) && !flag(xb) {
                    push(format!("contract `{id}` made non-exhaustive"), at.clone());
                }
            }
            (
                ContractKind::CrateUse { only_from: fa, .. },
                ContractKind::CrateUse { only_from: fb, .. },
            ) => {
                let (sa, sb) = (scope_files(a, fa, files), scope_files(b, fb, files));
                let gained: Vec<&String> = sb.difference(&sa).collect();
                if !gained.is_empty() {
                    push(
                        format!(
                            "contract `{id}` now lets {} use the crate ({})",
                            plural(gained.len(), "more file", "more files"),
                            examples(&gained)
                        ),
                        at.clone(),
                    );
                }
            }
            _ => push(format!("contract `{id}` changed its kind"), at.clone()),
        }
    }
    out
}

/// The inline suppressions (`// ribo: allow(CODE) -- reason`) of a Rust source: each one's
/// span and the codes it allows (as written, joined by `, `). Doc comments and malformed
/// directives allow nothing and are left out.
pub fn suppressions(source: &[u8]) -> Vec<(crate::facts::model::Span, String)> {
    let mut parser = crate::facts::rust::parser();
    let Some((_, facts)) = crate::facts::rust::extract(&mut parser, source) else {
        return Vec::new();
    };
    facts
        .directives
        .iter()
        .filter(|d| !d.doc)
        .filter_map(|d| super::suppress::parse(&d.text).map(|a| (d.span, a.codes.join(", "))))
        .collect()
}

/// The suppressions `now` has that `before` did not (by the codes they allow, as many times as
/// each is written): what a change of the file adds.
pub fn added_suppressions(before: &[u8], now: &[u8]) -> Vec<(crate::facts::model::Span, String)> {
    let mut left: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, codes) in suppressions(before) {
        *left.entry(codes).or_default() += 1;
    }
    suppressions(now)
        .into_iter()
        .filter(|(_, codes)| match left.get_mut(codes) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

/// A loosening (or, `note`, a tightening) as a violation at the spec: `source` is the text
/// the change's span is in.
pub fn violation(change: &Change, source: &str, severity: Severity, note: bool) -> Violation {
    let code = if note { TIGHTENED } else { CODE };
    let help = match note {
        false => "loosening the identity is a decision for a human: keep the declaration, or have the change reviewed (`ribo diff-spec --deny-loosening` in CI)",
        true => "the identity is stricter: code that passed may not now",
    };
    Violation {
        location: Location::Spec {
            span: span_in(source, &change.at),
        },
        code: Text::from(code),
        severity,
        message: Text::from(change.message.as_str()),
        label: Text::from(if note {
            "tightened here"
        } else {
            "loosened here"
        }),
        spec_label: None,
        help: Some(help.to_string()),
        fingerprint: super::fingerprint::of(&[code, &change.message]),
    }
}

/// Where a top-level section starts in `spec`'s text (the start of the file when it has none):
/// what a removal is pointed at.
fn section(spec: &Spec, key: &str) -> SpecSpan {
    let at = spec
        .source
        .match_indices(key)
        .find(|(i, _)| *i == 0 || spec.source.as_bytes().get(i - 1) == Some(&b'\n'))
        .map_or(0, |(i, _)| i);
    at..at + key.len().min(spec.source.len() - at)
}

/// Today's files the globs match.
fn matched(globs: &[Glob], files: &[String]) -> BTreeSet<String> {
    files
        .iter()
        .filter(|f| {
            let c = GlobCandidate::new(f);
            globs.iter().any(|g| g.matches(&c))
        })
        .cloned()
        .collect()
}

/// The files a list of scopes (boundary names or globs) covers today.
fn scope_files(spec: &Spec, scopes: &[Scope], files: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in scopes {
        match s {
            Scope::Boundary(i) => {
                if let Some(b) = spec.boundaries.get(i.value) {
                    out.extend(matched(&b.paths, files));
                }
            }
            Scope::Glob(g) => out.extend(matched(std::slice::from_ref(g), files)),
        }
    }
    out
}

/// The files an invariant applies to today: its `in` (everywhere when empty) less `except`.
fn covered(spec: &Spec, inv: &Invariant, files: &[String]) -> BTreeSet<String> {
    let within: BTreeSet<String> = match inv.in_.is_empty() {
        true => files.iter().cloned().collect(),
        false => scope_files(spec, &inv.in_, files),
    };
    let except = scope_files(spec, &inv.except, files);
    within.difference(&except).cloned().collect()
}

/// Each thing a `forbid` rule forbids, described.
fn forbidden(f: Option<&Forbid>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(f) = f else { return out };
    if f.unsafe_.as_ref().is_some_and(|u| u.value) {
        out.insert("`unsafe`".to_string());
    }
    for (kind, list) in [
        ("the call", &f.calls),
        ("the macro", &f.macros),
        ("the path", &f.paths),
    ] {
        for p in list {
            out.insert(format!("{kind} `{}`", p.text));
        }
    }
    for a in &f.attributes {
        out.insert(format!("the attribute `{}`", a.value));
    }
    if let Some(q) = &f.query {
        out.insert(format!("the query `{}`", q.text.value.trim()));
    }
    out
}

/// The name of boundary `i` of `s`.
fn name(s: &Spec, i: usize) -> &str {
    s.boundaries.get(i).map_or("?", |b| b.name.value.as_str())
}

/// `n thing` / `n things`.
fn plural(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("{n} {one}"),
        _ => format!("{n} {many}"),
    }
}

fn flag(x: &Option<crate::spec::model::At<bool>>) -> bool {
    x.as_ref().is_some_and(|b| b.value)
}

fn rank(l: Level) -> u8 {
    match l {
        Level::Allow => 0,
        Level::Warn => 1,
        Level::Error => 2,
    }
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Allow => "allow",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

fn globs(g: &[Glob]) -> String {
    let texts: Vec<String> = g.iter().map(|g| format!("`{}`", g.text)).collect();
    format!("[{}]", texts.join(", "))
}

fn list(s: &BTreeSet<String>) -> String {
    let texts: Vec<String> = s.iter().map(|x| format!("`{x}`")).collect();
    format!("[{}]", texts.join(", "))
}

/// The first few of `files`, for a message.
fn examples(files: &[&String]) -> String {
    let mut shown: Vec<&str> = files.iter().take(3).map(|s| s.as_str()).collect();
    if files.len() > 3 {
        shown.push("...");
    }
    shown.join(", ")
}
