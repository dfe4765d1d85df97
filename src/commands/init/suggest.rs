//! Invariants that already hold, offered for the user to enable.
//!
//! Each candidate is first checked everywhere; the boundaries where it is broken today are
//! left out (`except:` when they are the fewer, `in:` the clean ones otherwise). The scoped
//! invariant is checked again: one that still holds is suggested, as a comment. It is enabled
//! instead when the code already carries `// ribo: allow(invariant::<id>)` suppressions that
//! it makes use of (the team relies on it: leaving it out would make them stale).

use std::collections::BTreeSet;
use std::path::Path;

use super::{check_text, yaml, Draft, InvScope, InvariantDraft};
use crate::facts::model::Visibility;
use crate::facts::FactGraph;
use crate::rules::{suppress, Location};

/// A candidate invariant.
struct Candidate {
    id: &'static str,
    /// What it says, completed by its scope.
    what: &'static str,
    rule: &'static [&'static str],
    /// Only documentation needs something to apply to: a boundary without pub items is not
    /// suggested in `in:`.
    needs_pub_items: bool,
}

const CANDIDATES: &[Candidate] = &[
    Candidate {
        id: "no-unsafe",
        what: "no unsafe code",
        rule: &["forbid: { unsafe: true }"],
        needs_pub_items: false,
    },
    Candidate {
        id: "no-unwrap",
        what: "no unwrap or expect",
        rule: &["forbid:", "  calls: [unwrap, expect]"],
        needs_pub_items: false,
    },
    Candidate {
        id: "no-printing",
        what: "no printing to stdout or stderr",
        rule: &[
            "forbid:",
            "  macros: [println, print, eprintln, eprint, dbg]",
        ],
        needs_pub_items: false,
    },
    Candidate {
        id: "no-process-exit",
        what: "no std::process::exit",
        rule: &["forbid:", "  calls: [\"std::process::exit\"]"],
        needs_pub_items: false,
    },
    Candidate {
        id: "no-todo",
        what: "no todo!() or unimplemented!()",
        rule: &["forbid:", "  macros: [todo, unimplemented]"],
        needs_pub_items: false,
    },
    Candidate {
        id: "pub-items-documented",
        what: "pub items are documented",
        rule: &["require: { items: pub, doc: true }"],
        needs_pub_items: true,
    },
];

/// Adds the invariants that hold today to the draft.
pub(crate) fn invariants(root: &Path, graph: &FactGraph, draft: &mut Draft) -> Result<(), String> {
    let names: Vec<String> = draft.boundaries.iter().map(|b| b.name.clone()).collect();
    // Pass 1: every candidate everywhere; which boundaries break it?
    let mut probe = draft.clone();
    probe.invariants = CANDIDATES
        .iter()
        .map(|c| draft_of(c, InvScope::Everywhere, true))
        .collect();
    let checked = check_text(root, graph, &yaml::render(&probe))?;
    let with_pub_items: BTreeSet<String> = graph
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            !f.test
                && f.facts
                    .items
                    .iter()
                    .any(|i| i.visibility == Visibility::Public && !i.in_block)
        })
        .filter_map(|(i, _)| checked.assignment.of(i as u32))
        .map(|b| names[b].clone())
        .collect();
    let mut scoped = Vec::new();
    for c in CANDIDATES {
        let code = format!("invariant::{}", c.id);
        let dirty: BTreeSet<String> = checked
            .outcome
            .violations
            .iter()
            .filter(|v| v.code == *code)
            .filter_map(|v| match &v.location {
                Location::Source { file, .. } => graph.file_id(file),
                Location::Spec { .. } => None,
            })
            .filter_map(|f| checked.assignment.of(f))
            .map(|b| names[b].clone())
            .collect();
        let clean: Vec<String> = names
            .iter()
            .filter(|n| !dirty.contains(*n))
            .cloned()
            .collect();
        let meaningful: Vec<String> = clean
            .iter()
            .filter(|n| !c.needs_pub_items || with_pub_items.contains(*n))
            .cloned()
            .collect();
        let scope = if dirty.is_empty() {
            InvScope::Everywhere
        } else if meaningful.is_empty() {
            continue;
        } else if dirty.len() <= clean.len() {
            InvScope::Except(dirty.into_iter().collect())
        } else {
            InvScope::In(meaningful)
        };
        scoped.push(draft_of(c, scope, true));
    }
    // Pass 2: the scoped candidates; keep those that hold, enable the ones suppressions name.
    probe.invariants = scoped.clone();
    let checked = check_text(root, graph, &yaml::render(&probe))?;
    let named = suppressed_codes(graph, |_| true);
    let stale = suppressed_codes(graph, |(file, span)| {
        checked.outcome.violations.iter().any(|v| {
            v.code == "drift::unused-suppression"
                && v.location
                    == Location::Source {
                        file: file.to_string().into(),
                        span,
                    }
        })
    });
    for mut inv in scoped {
        let code = format!("invariant::{}", inv.id);
        if checked.outcome.violations.iter().any(|v| v.code == *code) {
            continue;
        }
        inv.enabled = named.contains(&code) && !stale.contains(&code);
        draft.invariants.push(inv);
    }
    Ok(())
}

fn draft_of(c: &Candidate, scope: InvScope, enabled: bool) -> InvariantDraft {
    let message = match &scope {
        InvScope::Everywhere => c.what.to_string(),
        InvScope::In(names) => format!("{} in {}", c.what, names.join(", ")),
        InvScope::Except(names) => format!("{} outside {}", c.what, names.join(", ")),
    };
    InvariantDraft {
        id: c.id,
        message,
        rule: c.rule,
        scope,
        enabled,
    }
}

/// The codes named by the suppressions in non-test code whose location passes `keep`.
fn suppressed_codes(
    graph: &FactGraph,
    keep: impl Fn((&str, crate::facts::model::Span)) -> bool,
) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for f in graph.files.iter().filter(|f| !f.test) {
        for d in &f.facts.directives {
            if !keep((f.path.as_str(), d.span)) {
                continue;
            }
            if let Some(allow) = suppress::parse(&d.text) {
                codes.extend(allow.codes);
            }
        }
    }
    codes
}
