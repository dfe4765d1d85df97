//! Drift of the spec from the code: the spec describes something that no longer exists, or
//! allows something nothing uses.
//!
//! Codes: `drift::unmatched-glob`, `drift::unused-allowance`.

use std::collections::BTreeSet;

use super::boundaries::{crate_allowed, crossing};
use super::{level_severity, CodeDoc, Context, Location, Violation};
use crate::spec::model::{Glob, Severity};

/// The codes this rule emits, with their documentation.
pub const CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "drift::unmatched-glob",
        summary: "a glob in the spec matches no file",
        explanation: "A boundary's `paths` or `interface` glob, an invariant's `in`/`except` glob, or \
a contract's `only_from` glob matches no Rust file under the root: the spec describes something that no longer exists (a module was moved or deleted). \
Fix the glob, or remove it.",
    },
    CodeDoc {
        code: "drift::unused-allowance",
        summary: "a `may_use` or `crates` entry that no code uses",
        explanation: "The boundary is allowed to use something it does not use: the allowance \
is wider than the architecture. Remove it to keep the spec tight. Severity follows \
`options.unused_allowances` (allow by default).",
    },
];

/// Reports globs that match nothing and allowances nothing uses.
pub fn check(cx: &Context, out: &mut Vec<Violation>) {
    unmatched_globs(cx, out);
    unused_allowances(cx, out);
}

/// Every glob of the spec that should match a file but matches none: boundaries' `paths` and
/// `interface`, invariants' `in` / `except`, contracts' `only_from`.
fn unmatched_globs(cx: &Context, out: &mut Vec<Violation>) {
    use crate::spec::model::{ContractKind, Scope};
    let mut globs: Vec<(&Glob, String)> = Vec::new();
    for b in &cx.spec.boundaries {
        for g in &b.paths {
            globs.push((g, format!("`paths` of `{}`", b.name.value)));
        }
        for g in b.interface.iter().flat_map(|i| &i.value) {
            globs.push((g, format!("`interface` of `{}`", b.name.value)));
        }
    }
    for inv in &cx.spec.invariants {
        for (key, scopes) in [("in", &inv.in_), ("except", &inv.except)] {
            for s in scopes {
                if let Scope::Glob(g) = s {
                    globs.push((g, format!("`{key}` of invariant `{}`", inv.id.value)));
                }
            }
        }
    }
    for c in &cx.spec.contracts {
        if let ContractKind::CrateUse { only_from, .. } = &c.kind {
            for s in only_from {
                if let Scope::Glob(g) = s {
                    globs.push((g, format!("`only_from` of contract `{}`", c.id.value)));
                }
            }
        }
    }
    let only: Vec<&Glob> = globs.iter().map(|(g, _)| *g).collect();
    let paths = cx.graph.files.iter().map(|f| f.path.as_str());
    let matched = Glob::any_match(&only, paths);
    for ((g, what), matched) in globs.iter().zip(matched) {
        if !matched {
            out.push(unmatched(cx, g, what));
        }
    }
}

fn unmatched(cx: &Context, g: &Glob, what: &str) -> Violation {
    Violation {
        fingerprint: String::new(),
        location: Location::Spec {
            span: cx.spec_span(&g.span),
        },
        code: "drift::unmatched-glob".into(),
        severity: Severity::Error,
        message: format!("`{}` in {what} matches no file", g.text).into(),
        label: "no Rust file under the root matches this glob".into(),
        spec_label: None,
        help: Some("the code it described is gone or moved: fix or remove the glob".into()),
    }
}

fn unused_allowances(cx: &Context, out: &mut Vec<Violation>) {
    let Some(severity) = level_severity(cx.spec.options.unused_allowances.value) else {
        return;
    };
    let mut used_pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for edge in &cx.graph.edges {
        if cx.skip_tests() && edge.test {
            continue;
        }
        if let Some(pair) = crossing(cx, edge) {
            used_pairs.insert(pair);
        }
    }
    for (bi, b) in cx.spec.boundaries.iter().enumerate() {
        if let Some(may_use) = &b.may_use {
            for m in &may_use.value {
                if m.value != bi && !used_pairs.contains(&(bi, m.value)) {
                    let target = &cx.spec.boundaries[m.value].name.value;
                    out.push(unused(
                        cx,
                        &m.span,
                        severity,
                        format!("`{}` may use `{target}` but never does", b.name.value),
                    ));
                }
            }
        }
        if let Some(crates) = &b.crates {
            for pat in &crates.value {
                let used = cx.graph.external_uses.iter().any(|e| {
                    !(cx.skip_tests() && e.test)
                        && cx.counts(e.kind)
                        && cx.assignment.of(e.file) == Some(bi)
                        && crate_allowed(std::slice::from_ref(pat), e)
                });
                if !used {
                    out.push(unused(
                        cx,
                        &pat.span,
                        severity,
                        format!(
                            "`{}` may use the crate `{}` but never does",
                            b.name.value, pat.text
                        ),
                    ));
                }
            }
        }
    }
}

fn unused(
    cx: &Context,
    span: &std::ops::Range<usize>,
    severity: Severity,
    message: String,
) -> Violation {
    Violation {
        fingerprint: String::new(),
        location: Location::Spec {
            span: cx.spec_span(span),
        },
        code: "drift::unused-allowance".into(),
        severity,
        message: message.into(),
        label: "nothing uses this allowance".into(),
        spec_label: None,
        help: Some("remove it to keep the spec as tight as the code".into()),
    }
}
