//! Fail closed: a file ribo could not check is never a silent pass for the rules that apply
//! to it.
//!
//! Code: `input::unchecked`.
//!
//! A Rust file that could not be read or parsed at all (unreadable, vanished during the run,
//! over the size limit, a link to nowhere) has no facts, so every rule would find it clean.
//! For each such file, this rule lists the rules that apply to it and could not check it:
//! its boundary's restrictions, the invariants whose scope covers it, and the contracts it
//! could break. A file no rule applies to gets only its input warning. A warning by default;
//! `ribo check --strict` makes it an error.

use super::{CodeDoc, Context, Location, Violation};
use crate::facts::model::Span;
use crate::facts::{FileId, SourceFile};
use crate::spec::model::{ContractKind, Level, Scope, Severity, TestsMode};

/// The code of this rule.
pub const CODE: &str = "input::unchecked";

/// The codes this rule emits, with their documentation.
pub const CODES: &[CodeDoc] = &[CodeDoc {
    code: CODE,
    summary: "a file rules apply to could not be checked (unreadable, vanished, too large)",
    explanation: "ribo could not read or parse this Rust file at all, so no rule saw its code: \
without this warning, the rules that apply to it would pass it silently. The help lists them \
(its boundary's `may_use`/`crates`/layers/cycles, the invariants whose scope covers it, the \
crate-use and env contracts, an exports contract on its module). The input warning on the same \
path says why it could not be read. Make the file readable, or, when it is not code to check \
(generated, vendored), exclude it with `system.exclude`. A warning by default (so \
`--deny-warnings` fails on it); `--strict` makes it an error. See docs/reliability.md.",
}];

/// Reports every file that could not be checked and that some rule applies to.
pub fn check(cx: &Context, out: &mut Vec<Violation>) {
    for (i, file) in cx.graph.files.iter().enumerate() {
        if file.parsed {
            continue;
        }
        let id = i as FileId;
        let rules = rules_for(cx, id, file);
        if rules.is_empty() {
            continue;
        }
        out.push(unchecked(cx, id, file, &rules));
    }
}

/// The rules that apply to the file, described for the help text.
pub fn rules_for(cx: &Context, id: FileId, file: &SourceFile) -> Vec<String> {
    let mut rules = Vec::new();
    let boundary = cx.assignment.of(id);
    if let Some(b) = boundary {
        let parts = boundary_rules(cx, b);
        if !parts.is_empty() {
            let name = &cx.spec.boundaries[b].name.value;
            rules.push(format!("boundary `{name}` ({})", parts.join(", ")));
        }
    }
    let invariants: Vec<String> = cx
        .spec
        .invariants
        .iter()
        .filter(|inv| {
            let skip_tests = inv
                .tests
                .as_ref()
                .map_or(cx.skip_tests(), |t| t.value == TestsMode::Skip);
            super::invariants::applies(cx, inv, id, file) && !(skip_tests && file.test)
        })
        .map(|inv| format!("`{}`", inv.id.value))
        .collect();
    if !invariants.is_empty() {
        let what = if invariants.len() == 1 {
            "invariant"
        } else {
            "invariants"
        };
        rules.push(format!("{what} {}", invariants.join(", ")));
    }
    let contracts: Vec<String> = cx
        .spec
        .contracts
        .iter()
        .filter(|c| contract_applies(cx, &c.kind, id, file))
        .map(|c| format!("`{}`", c.id.value))
        .collect();
    if !contracts.is_empty() {
        let what = if contracts.len() == 1 {
            "contract"
        } else {
            "contracts"
        };
        rules.push(format!("{what} {}", contracts.join(", ")));
    }
    rules
}

/// What boundary `b` restricts: each restriction needs the facts of its files.
fn boundary_rules(cx: &Context, b: usize) -> Vec<&'static str> {
    let spec = cx.spec;
    let boundary = &spec.boundaries[b];
    let mut parts = Vec::new();
    if boundary.may_use.is_some() {
        parts.push("may_use");
    }
    if boundary.may_not_use.is_some() {
        parts.push("may_not_use");
    }
    if boundary.crates.is_some() {
        parts.push("crates");
    }
    let layered = spec
        .layers
        .as_ref()
        .is_some_and(|l| l.value.iter().any(|x| x.value == b));
    if layered {
        parts.push("layers");
    }
    let others_have_interfaces = spec
        .boundaries
        .iter()
        .enumerate()
        .any(|(i, o)| i != b && o.interface.is_some());
    if others_have_interfaces {
        parts.push("interfaces");
    }
    if spec.options.cycles.value != Level::Allow && spec.boundaries.len() > 1 {
        parts.push("cycles");
    }
    parts
}

/// Could the contract find a breach in this file?
fn contract_applies(cx: &Context, kind: &ContractKind, id: FileId, file: &SourceFile) -> bool {
    if cx.skip_tests() && file.test {
        return false;
    }
    match kind {
        // Any file may use the crate, except where the contract allows it.
        ContractKind::CrateUse { only_from, .. } => !only_from.iter().any(|s| match s {
            Scope::Boundary(b) => cx.assignment.of(id) == Some(b.value),
            Scope::Glob(g) => g.matcher.is_match(&file.path),
        }),
        // Any file may read the environment.
        ContractKind::Env { .. } => true,
        // The file that defines the contract's module.
        ContractKind::Exports { target, .. } => {
            super::contracts::target_module(cx.graph, &target.value)
                .is_some_and(|m| cx.graph.modules[m as usize].file == id)
        }
    }
}

/// Why the file could not be checked: its input warning, as the graph recorded it.
fn reason(cx: &Context, file: &SourceFile) -> String {
    cx.graph
        .warnings
        .iter()
        .find(|w| w.path == file.path)
        .map_or_else(|| "it could not be read".to_owned(), |w| w.message.clone())
}

fn unchecked(cx: &Context, id: FileId, file: &SourceFile, rules: &[String]) -> Violation {
    let spec_label = cx.assignment.of(id).and_then(|b| {
        let name = &cx.spec.boundaries[b].name;
        cx.spec_label(&name.span, format!("`{}` claims this file", name.value))
    });
    let reason = reason(cx, file);
    let fix = if reason.starts_with("too large") {
        "Exclude it in `system.exclude` if it is generated, or split it"
    } else {
        "Make the file readable, or exclude it in `system.exclude` if it is not code to check"
    };
    Violation {
        fingerprint: String::new(),
        location: Location::Source {
            file: file.path.as_str().into(),
            span: Span {
                start: 0,
                end: 0,
                line: 1,
                col: 1,
            },
        },
        code: CODE.into(),
        severity: Severity::Warning,
        message: format!(
            "not checked, so the rules that apply to it did not run: {}",
            reason.trim_end_matches(": not checked")
        )
        .into(),
        label: "not checked".into(),
        spec_label,
        help: Some(format!(
            "these rules apply to it: {}. {fix}",
            rules.join("; ")
        )),
    }
}
