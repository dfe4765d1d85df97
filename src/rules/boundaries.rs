//! Boundary rules: which parts may depend on which, through which files, on which crates,
//! and without cycles.
//!
//! Codes: `boundary::forbidden-use`, `boundary::layer`, `boundary::private-use`,
//! `boundary::forbidden-crate`, `boundary::cycle`, `boundary::unassigned`.
//!
//! Every dependency edge between two different boundaries is checked once, and reports at most
//! one violation, in this order: `may_use` (forbidden-use), then `layers` (layer), then the
//! target's `interface` (private-use).

use std::collections::{BTreeMap, BTreeSet};

use super::{level_severity, CodeDoc, Context, Location, Violation};
use crate::facts::{Edge, ExternalUse};
use crate::spec::model::{Boundary, Severity};

/// The codes this rule emits, with their documentation.
pub const CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "boundary::forbidden-use",
        summary: "a boundary depends on a boundary its `may_use` does not list",
        explanation: "A file of boundary A names a module owned by boundary B (through a `use`, a \
qualified path, a macro's tokens, a macro invoked by name or `extern crate`), and A's `may_use` does \
not list B. A path through a re-export (`pub use`) names the module the re-export names.\n\n\
Fix: depend on something A may use, move the code, or add B to A's `may_use` if the \
architecture really changed.",
    },
    CodeDoc {
        code: "boundary::layer",
        summary: "a boundary depends on a boundary above it in `layers`",
        explanation:
            "`layers` lists boundaries top to bottom; a boundary never uses one above it. \
Fix: invert the dependency (pass data or a trait down), or move the code to the right layer.",
    },
    CodeDoc {
        code: "boundary::private-use",
        summary: "a path reaches into another boundary past its `interface`",
        explanation: "Boundary B declares `interface` files; other boundaries may only reach B \
through them. The path names a module of B defined outside its interface, and does not go \
through a re-export in one of them. The target of a path is the module it names: \
`use crate::domain::Order` reaches `crate::domain`, and through `pub use self::db::Pool;` in \
`domain`'s interface file, `crate::domain::Pool` reaches `crate::domain::db` by way of the \
interface. Fix: go through B's interface (re-export what is needed there).",
    },
    CodeDoc {
        code: "boundary::forbidden-crate",
        summary: "a boundary uses an external crate its `crates` does not list",
        explanation: "Boundary A lists the external crates it may use in `crates`; std, core and \
alloc are always allowed. Names are compared with `-` and `_` treated alike, against both the \
name the code uses and the package name from Cargo.toml. Fix: move the code, or add the crate.",
    },
    CodeDoc {
        code: "boundary::cycle",
        summary: "boundaries depend on each other in a cycle",
        explanation: "The boundary dependency graph (every edge the code has, allowed or not) \
contains a cycle; each elementary cycle is reported once, with one example reference for each \
edge of its chain. Severity follows `options.cycles`.",
    },
    CodeDoc {
        code: "boundary::unassigned",
        summary: "a source file no boundary claims",
        explanation: "No boundary's `paths` match this file, so no rule can place it. Add it to a \
boundary, or to `system.exclude`. Severity follows `options.unassigned`.",
    },
];

/// Runs every boundary rule.
pub fn check(cx: &Context, out: &mut Vec<Violation>) {
    for edge in &cx.graph.edges {
        if cx.skip_tests() && edge.test {
            continue;
        }
        if let Some(v) = check_edge(cx, edge) {
            out.push(v);
        }
    }
    for ext in &cx.graph.external_uses {
        if cx.skip_tests() && ext.test {
            continue;
        }
        if let Some(v) = check_crate(cx, ext) {
            out.push(v);
        }
    }
    cycles(cx, out);
    unassigned(cx, out);
}

/// The boundaries of an edge's ends, when both are assigned and differ. An edge that only
/// repeats its `use` is not a crossing of its own.
pub fn crossing(cx: &Context, edge: &Edge) -> Option<(usize, usize)> {
    if edge.repeats_use || !cx.counts(edge.kind) {
        return None;
    }
    let from = cx.assignment.of(edge.from)?;
    let to = cx.assignment.of(edge.to_file)?;
    (from != to).then_some((from, to))
}

fn check_edge(cx: &Context, edge: &Edge) -> Option<Violation> {
    let (a, b) = crossing(cx, edge)?;
    let (from, to) = (&cx.spec.boundaries[a], &cx.spec.boundaries[b]);
    if let Some(may_use) = &from.may_use {
        if !may_use.value.iter().any(|m| m.value == b) {
            return Some(forbidden_use(cx, edge, from, to));
        }
    }
    if let Some(layers) = &cx.spec.layers {
        let pos = |x: usize| layers.value.iter().position(|l| l.value == x);
        if let (Some(pa), Some(pb)) = (pos(a), pos(b)) {
            if pb < pa {
                return Some(layer(cx, edge, from, to, &layers.value[pa].span));
            }
        }
    }
    if let Some(interface) = &to.interface {
        let in_interface = |file: u32| {
            let path = &cx.graph.file(file).path;
            interface.value.iter().any(|g| g.matcher.is_match(path))
        };
        // Reached through a re-export in one of the target's interface files: the way in.
        let through_interface = edge
            .through
            .is_some_and(|t| cx.assignment.of(t) == Some(b) && in_interface(t));
        if !in_interface(edge.to_file) && !through_interface {
            return Some(private_use(cx, edge, to, &interface.span));
        }
    }
    None
}

fn source(cx: &Context, file: u32, span: crate::facts::model::Span) -> Location {
    Location::Source {
        file: cx.graph.file(file).path.as_str().into(),
        span,
    }
}

fn forbidden_use(cx: &Context, edge: &Edge, from: &Boundary, to: &Boundary) -> Violation {
    let may_use = from
        .may_use
        .as_ref()
        .map(|m| m.span.clone())
        .unwrap_or_default();
    Violation {
        fingerprint: String::new(),
        location: source(cx, edge.from, edge.span),
        code: "boundary::forbidden-use".into(),
        severity: Severity::Error,
        message: format!(
            "`{}` may not use `{}`",
            from.name.value, to.name.value
        ).into(),
        label: format!(
            "`{}` belongs to `{}`",
            cx.graph.module_display(edge.to),
            to.name.value
        ).into(),
        spec_label: cx.spec_label(
            &may_use,
            format!("`{}` may only use what is listed here", from.name.value),
        ),
        help: Some(format!(
            "depend on a boundary `{}` may use, or add `{}` to its `may_use` if the architecture changed",
            from.name.value, to.name.value
        )),
    }
}

fn layer(
    cx: &Context,
    edge: &Edge,
    from: &Boundary,
    to: &Boundary,
    layer_span: &std::ops::Range<usize>,
) -> Violation {
    Violation {
        fingerprint: String::new(),
        location: source(cx, edge.from, edge.span),
        code: "boundary::layer".into(),
        severity: Severity::Error,
        message: format!(
            "`{}` may not use `{}`, a layer above it",
            from.name.value, to.name.value
        )
        .into(),
        label: format!(
            "`{}` belongs to `{}`",
            cx.graph.module_display(edge.to),
            to.name.value
        )
        .into(),
        spec_label: cx.spec_label(
            layer_span,
            format!("`{}` is layered below `{}`", from.name.value, to.name.value),
        ),
        help: Some("a layer depends only on layers below it: invert the dependency".into()),
    }
}

fn private_use(
    cx: &Context,
    edge: &Edge,
    to: &Boundary,
    interface_span: &std::ops::Range<usize>,
) -> Violation {
    let target = &cx.graph.file(edge.to_file).path;
    Violation {
        fingerprint: String::new(),
        location: source(cx, edge.from, edge.span),
        code: "boundary::private-use".into(),
        severity: Severity::Error,
        message: format!(
            "`{}` is private to `{}`",
            cx.graph.module_display(edge.to),
            to.name.value
        )
        .into(),
        label: format!(
            "reaches `{target}`, outside the interface of `{}`",
            to.name.value
        )
        .into(),
        spec_label: cx.spec_label(
            interface_span,
            format!(
                "other boundaries may only reach `{}` through these",
                to.name.value
            ),
        ),
        help: Some(format!(
            "use what `{}` exposes in its interface (re-export it there if needed)",
            to.name.value
        )),
    }
}

/// `-` and `_` are the same in crate names.
pub fn normalise_crate(name: &str) -> String {
    name.replace('-', "_")
}

/// Does a crate pattern list allow this external use?
pub fn crate_allowed(patterns: &[crate::spec::model::CratePattern], ext: &ExternalUse) -> bool {
    let (n, p) = (normalise_crate(&ext.name), normalise_crate(&ext.package));
    patterns
        .iter()
        .any(|pat| pat.matcher.is_match(&n) || pat.matcher.is_match(&p))
}

fn check_crate(cx: &Context, ext: &ExternalUse) -> Option<Violation> {
    if !cx.counts(ext.kind) {
        return None;
    }
    let b = &cx.spec.boundaries[cx.assignment.of(ext.file)?];
    let crates = b.crates.as_ref()?;
    if crate_allowed(&crates.value, ext) {
        return None;
    }
    Some(Violation {
        fingerprint: String::new(),
        location: source(cx, ext.file, ext.span),
        code: "boundary::forbidden-crate".into(),
        severity: Severity::Error,
        message: format!("`{}` may not use the crate `{}`", b.name.value, ext.package).into(),
        label: format!("uses `{}`", ext.package).into(),
        spec_label: cx.spec_label(
            &crates.span,
            format!("`{}` may only use these crates", b.name.value),
        ),
        help: Some(format!(
            "move this code to a boundary that may use `{}`, or add it to `crates` of `{}`",
            ext.package, b.name.value
        )),
    })
}

/// The first edge (in graph order) between each ordered pair of boundaries.
pub fn boundary_edges<'a>(cx: &Context<'a>) -> BTreeMap<(usize, usize), &'a Edge> {
    let mut first: BTreeMap<(usize, usize), &Edge> = BTreeMap::new();
    for edge in &cx.graph.edges {
        if cx.skip_tests() && edge.test {
            continue;
        }
        if let Some(pair) = crossing(cx, edge) {
            first.entry(pair).or_insert(edge);
        }
    }
    first
}

/// Upper bound on reported cycles, so a dense graph cannot flood the output.
const MAX_CYCLES: usize = 100;

fn cycles(cx: &Context, out: &mut Vec<Violation>) {
    let Some(severity) = level_severity(cx.spec.options.cycles.value) else {
        return;
    };
    let edges = boundary_edges(cx);
    let n = cx.spec.boundaries.len();
    let mut adj: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for &(a, b) in edges.keys() {
        adj[a].insert(b);
    }
    for cycle in elementary_cycles(&adj, MAX_CYCLES) {
        out.push(cycle_violation(cx, &cycle, &edges, severity));
    }
}

/// Elementary cycles, each once, starting from its smallest node (at most `limit`).
fn elementary_cycles(adj: &[BTreeSet<usize>], limit: usize) -> Vec<Vec<usize>> {
    let mut found = Vec::new();
    for start in 0..adj.len() {
        let mut stack = vec![(start, adj[start].iter().copied().collect::<Vec<_>>())];
        let mut path = vec![start];
        let mut on_path = vec![false; adj.len()];
        on_path[start] = true;
        while let Some((_, next)) = stack.last_mut() {
            match next.pop() {
                Some(w) if w == start => {
                    found.push(path.clone());
                    if found.len() >= limit {
                        return found;
                    }
                }
                Some(w) if w > start && !on_path[w] => {
                    on_path[w] = true;
                    path.push(w);
                    stack.push((w, adj[w].iter().rev().copied().collect()));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                    if let Some(v) = path.pop() {
                        on_path[v] = false;
                    }
                }
            }
        }
    }
    found.sort();
    found
}

fn cycle_violation(
    cx: &Context,
    cycle: &[usize],
    edges: &BTreeMap<(usize, usize), &Edge>,
    severity: Severity,
) -> Violation {
    let name = |b: usize| cx.spec.boundaries[b].name.value.as_str();
    let mut chain: Vec<&str> = cycle.iter().map(|&b| name(b)).collect();
    chain.push(name(cycle[0]));
    let mut hops = Vec::new();
    for (i, &a) in cycle.iter().enumerate() {
        let b = cycle[(i + 1) % cycle.len()];
        if let Some(e) = edges.get(&(a, b)) {
            hops.push(format!(
                "`{}` -> `{}`: {}:{}:{} `{}`",
                name(a),
                name(b),
                cx.graph.file(e.from).path,
                e.span.line,
                e.span.col,
                cx.graph.edge_path(e)
            ));
        }
    }
    let first = edges.get(&(cycle[0], cycle[1 % cycle.len()]));
    let location = match first {
        Some(e) => source(cx, e.from, e.span),
        None => Location::Spec {
            span: cx.spec_span(&cx.spec.boundaries[cycle[0]].name.span),
        },
    };
    Violation {
        fingerprint: String::new(),
        location,
        code: "boundary::cycle".into(),
        severity,
        message: format!("boundary cycle: {}", chain.join(" -> ")).into(),
        label: format!("`{}` -> `{}` starts the cycle here", chain[0], chain[1]).into(),
        spec_label: cx.spec_label(
            &cx.spec.options.cycles.span,
            "cycles are reported as set here",
        ),
        help: Some(format!(
            "break one edge of the cycle; its edges are:\n{}",
            hops.join("\n")
        )),
    }
}

/// The boundaries of a `boundary::cycle` violation, read back from its message (built by
/// `cycle_violation`): `a -> b -> a` gives `[a, b, a]`.
pub fn cycle_names(message: &str) -> Option<Vec<&str>> {
    let chain = message.strip_prefix("boundary cycle: ")?;
    Some(chain.split(" -> ").collect())
}

fn unassigned(cx: &Context, out: &mut Vec<Violation>) {
    let Some(severity) = level_severity(cx.spec.options.unassigned.value) else {
        return;
    };
    for (i, file) in cx.graph.files.iter().enumerate() {
        if cx.assignment.of(i as u32).is_some() || (cx.skip_tests() && file.test) {
            continue;
        }
        out.push(Violation {
            fingerprint: String::new(),
            location: source(
                cx,
                i as u32,
                crate::facts::model::Span {
                    start: 0,
                    end: 0,
                    line: 1,
                    col: 1,
                },
            ),
            code: "boundary::unassigned".into(),
            severity,
            message: format!("`{}` belongs to no boundary", file.path).into(),
            label: "no boundary's `paths` match this file".into(),
            spec_label: cx.spec_label(
                &cx.spec.options.unassigned.span,
                "unassigned files are reported as set here",
            ),
            help: Some("add it to a boundary's `paths`, or to `system.exclude`".into()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adj(edges: &[(usize, usize)], n: usize) -> Vec<BTreeSet<usize>> {
        let mut a = vec![BTreeSet::new(); n];
        for &(x, y) in edges {
            a[x].insert(y);
        }
        a
    }

    #[test]
    fn each_elementary_cycle_once() {
        let cycles = elementary_cycles(&adj(&[(0, 1), (1, 0), (1, 2), (2, 0), (2, 3)], 4), 10);
        assert_eq!(cycles, vec![vec![0, 1], vec![0, 1, 2]]);
    }

    #[test]
    fn acyclic_graph_has_no_cycle() {
        assert!(elementary_cycles(&adj(&[(0, 1), (1, 2), (0, 2)], 3), 10).is_empty());
    }

    #[test]
    fn cycle_limit_holds() {
        let full: Vec<(usize, usize)> = (0..6)
            .flat_map(|a| (0..6).filter(move |b| *b != a).map(move |b| (a, b)))
            .collect();
        assert_eq!(elementary_cycles(&adj(&full, 6), 7).len(), 7);
    }

    #[test]
    fn cycle_names_read_the_message_back() {
        assert_eq!(
            cycle_names("boundary cycle: app -> infra -> app"),
            Some(vec!["app", "infra", "app"])
        );
        assert_eq!(cycle_names("`a` may not use `b`"), None);
    }
}
