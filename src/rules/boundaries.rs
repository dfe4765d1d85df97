//! Boundary rules: which parts may depend on which, through which files, on which crates,
//! and without cycles.
//!
//! Codes: `boundary::forbidden-use`, `boundary::layer`, `boundary::private-use`,
//! `boundary::forbidden-crate`, `boundary::cycle`, `boundary::unassigned`.
//!
//! Every dependency edge between two different boundaries is checked once, and reports at most
//! one violation, in this order: `may_use`, then `may_not_use` (both forbidden-use), then
//! `layers` (layer), then the target's `interface` (private-use).

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
not list B, or A's `may_not_use` does. A path through a re-export (`pub use`) names the module the \
re-export names.\n\n\
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
contains a cycle. Each tangle (a strongly connected component: boundaries that all reach each \
other) is reported once, naming its boundaries, with the edges whose removal makes it acyclic \
while cutting as few references as ribo can find (exactly for up to 16 boundaries; by a greedy \
ordering above), each with its number of references and an example. Its fingerprint is the set \
of its boundaries: a baseline keeps holding while code moves, and a boundary joining the tangle \
is a new finding. Severity follows `options.cycles`.",
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
            let label = format!("`{}` may only use what is listed here", from.name.value);
            return Some(forbidden_use(cx, edge, from, to, &may_use.span, label));
        }
    }
    if let Some(denied) = from
        .may_not_use
        .as_ref()
        .and_then(|m| m.value.iter().find(|m| m.value == b))
    {
        let label = format!("`{}` must not use `{}`", from.name.value, to.name.value);
        return Some(forbidden_use(cx, edge, from, to, &denied.span, label));
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

fn forbidden_use(
    cx: &Context,
    edge: &Edge,
    from: &Boundary,
    to: &Boundary,
    rule: &std::ops::Range<usize>,
    rule_label: String,
) -> Violation {
    let help = match from.may_use {
        Some(_) => format!(
            "depend on a boundary `{}` may use, or add `{}` to its `may_use` if the architecture changed",
            from.name.value, to.name.value
        ),
        None => format!(
            "depend on something else, or remove `{}` from its `may_not_use` if the architecture changed",
            to.name.value
        ),
    };
    Violation {
        fingerprint: String::new(),
        location: source(cx, edge.from, edge.span),
        code: "boundary::forbidden-use".into(),
        severity: Severity::Error,
        message: format!("`{}` may not use `{}`", from.name.value, to.name.value).into(),
        label: format!(
            "`{}` belongs to `{}`",
            cx.graph.module_display(edge.to),
            to.name.value
        )
        .into(),
        spec_label: cx.spec_label(rule, rule_label),
        help: Some(help),
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

/// The references between each ordered pair of boundaries: how many, and the first (in graph
/// order) as an example.
pub fn boundary_weights<'a>(cx: &Context<'a>) -> BTreeMap<(usize, usize), (usize, &'a Edge)> {
    let mut weights: BTreeMap<(usize, usize), (usize, &Edge)> = BTreeMap::new();
    for edge in &cx.graph.edges {
        if cx.skip_tests() && edge.test {
            continue;
        }
        if let Some(pair) = crossing(cx, edge) {
            weights.entry(pair).or_insert((0, edge)).0 += 1;
        }
    }
    weights
}

/// One `boundary::cycle` per strongly connected component of the boundary graph (boundaries
/// that all reach each other), with the edges to cut that make it acyclic.
fn cycles(cx: &Context, out: &mut Vec<Violation>) {
    let Some(severity) = level_severity(cx.spec.options.cycles.value) else {
        return;
    };
    let weights = boundary_weights(cx);
    let n = cx.spec.boundaries.len();
    let mut adj: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for &(a, b) in weights.keys() {
        adj[a].insert(b);
    }
    // Among cuts of as few references, one of edges the spec already forbids is proposed.
    let scale = weights.len() + 1;
    for component in tangles(&adj) {
        let w = |a: usize, b: usize| match weights.get(&(a, b)) {
            Some((c, _)) => c * scale + usize::from(!forbidden_pair(cx, a, b)),
            None => 0,
        };
        let cut = feedback_arcs(&component, &adj, &w);
        out.push(cycle_violation(cx, &component, &cut, &weights, severity));
    }
}

/// Whether the spec forbids boundary `a` to use boundary `b` (`may_use` or `layers`).
fn forbidden_pair(cx: &Context, a: usize, b: usize) -> bool {
    let from = &cx.spec.boundaries[a];
    let listed = |list: &Option<crate::spec::model::At<Vec<crate::spec::model::At<usize>>>>| {
        list.as_ref().map(|m| m.value.iter().any(|x| x.value == b))
    };
    if listed(&from.may_use) == Some(false) || listed(&from.may_not_use) == Some(true) {
        return true;
    }
    cx.spec.layers.as_ref().is_some_and(|layers| {
        let pos = |x: usize| layers.value.iter().position(|l| l.value == x);
        matches!((pos(a), pos(b)), (Some(pa), Some(pb)) if pb < pa)
    })
}

/// The strongly connected components of more than one node, each sorted, in the order of
/// their smallest node (Tarjan's algorithm, iterative).
pub fn tangles(adj: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, its successors still to visit)
        let mut work: Vec<(usize, Vec<usize>)> = Vec::new();
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        work.push((root, adj[root].iter().rev().copied().collect()));
        while let Some((v, succ)) = work.last_mut() {
            let v = *v;
            match succ.pop() {
                Some(w) if index[w] == usize::MAX => {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, adj[w].iter().rev().copied().collect()));
                }
                Some(w) => {
                    if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                }
                None => {
                    work.pop();
                    if let Some((parent, _)) = work.last() {
                        low[*parent] = low[*parent].min(low[v]);
                    }
                    if low[v] == index[v] {
                        let mut component = Vec::new();
                        while let Some(x) = stack.pop() {
                            on_stack[x] = false;
                            component.push(x);
                            if x == v {
                                break;
                            }
                        }
                        if component.len() > 1 {
                            component.sort_unstable();
                            out.push(component);
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// Up to this many boundaries in a tangle, the fewest references to cut are found exactly.
const EXACT: usize = 16;

/// Edges inside `component` whose removal makes it acyclic, cutting as little weight as
/// practical (`w`: the weight of an edge; `cycles` weighs references first, then whether the
/// spec allows the edge). A minimum feedback arc set is NP-hard: for up to
/// [`EXACT`] boundaries it is computed exactly (dynamic programming over the subsets: the best
/// order of the boundaries, an edge going back in that order is cut); above, by the greedy
/// ordering of Eades, Lin and Smyth with weights (sinks last, sources first, else the boundary
/// whose outgoing references most exceed its incoming ones), then improved by moving single
/// boundaries while that cuts fewer references. Ties go to the lower boundary index, so the
/// result is deterministic. Edges in `(from, to)` order.
pub fn feedback_arcs(
    component: &[usize],
    adj: &[BTreeSet<usize>],
    w: &dyn Fn(usize, usize) -> usize,
) -> Vec<(usize, usize)> {
    let k = component.len();
    let order: Vec<usize> = if k <= EXACT {
        exact_order(component, w)
    } else {
        greedy_order(component, adj, w)
    };
    let pos: std::collections::HashMap<usize, usize> =
        order.iter().enumerate().map(|(i, &v)| (v, i)).collect();
    let mut cut = Vec::new();
    for &a in component {
        for &b in &adj[a] {
            if let (Some(&pa), Some(&pb)) = (pos.get(&a), pos.get(&b)) {
                if pb < pa {
                    cut.push((a, b));
                }
            }
        }
    }
    cut.sort_unstable();
    cut
}

/// The order of `component` with the fewest references going back (exact, `2^k · k²`).
fn exact_order(component: &[usize], w: &dyn Fn(usize, usize) -> usize) -> Vec<usize> {
    let k = component.len();
    // back[v][S]: references from v into the set S (computed per v over the bits).
    let full = (1usize << k) - 1;
    let mut best = vec![usize::MAX; 1 << k];
    let mut from = vec![usize::MAX; 1 << k];
    best[0] = 0;
    let weight: Vec<Vec<usize>> = (0..k)
        .map(|i| (0..k).map(|j| w(component[i], component[j])).collect())
        .collect();
    for set in 0..=full {
        if best[set] == usize::MAX {
            continue;
        }
        for (v, row) in weight.iter().enumerate() {
            if set & (1 << v) != 0 {
                continue;
            }
            // Placing v after `set`: its edges into `set` go back.
            let back: usize = (0..k).filter(|j| set & (1 << j) != 0).map(|j| row[j]).sum();
            let next = set | (1 << v);
            let cost = best[set] + back;
            if cost < best[next] {
                best[next] = cost;
                from[next] = v;
            }
        }
    }
    let mut order = Vec::with_capacity(k);
    let mut set = full;
    while set != 0 {
        let v = from[set];
        order.push(component[v]);
        set &= !(1 << v);
    }
    order.reverse();
    order
}

/// Eades–Lin–Smyth's greedy order with weights, then single moves while they help.
fn greedy_order(
    component: &[usize],
    adj: &[BTreeSet<usize>],
    w: &dyn Fn(usize, usize) -> usize,
) -> Vec<usize> {
    let inside: BTreeSet<usize> = component.iter().copied().collect();
    let mut left: BTreeSet<usize> = inside.clone();
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    let weight_in = |v: usize, left: &BTreeSet<usize>| -> usize {
        left.iter().filter(|&&u| u != v).map(|&u| w(u, v)).sum()
    };
    let weight_out = |v: usize, left: &BTreeSet<usize>| -> usize {
        adj[v]
            .iter()
            .filter(|u| left.contains(u) && **u != v)
            .map(|&u| w(v, u))
            .sum()
    };
    while !left.is_empty() {
        if let Some(&sink) = left.iter().find(|&&v| weight_out(v, &left) == 0) {
            tail.push(sink);
            left.remove(&sink);
            continue;
        }
        if let Some(&source) = left.iter().find(|&&v| weight_in(v, &left) == 0) {
            head.push(source);
            left.remove(&source);
            continue;
        }
        let pick = left
            .iter()
            .copied()
            .max_by_key(|&v| {
                let delta = weight_out(v, &left) as i64 - weight_in(v, &left) as i64;
                (delta, std::cmp::Reverse(v))
            })
            .unwrap_or(0);
        head.push(pick);
        left.remove(&pick);
    }
    tail.reverse();
    head.extend(tail);
    let cost = |order: &[usize]| -> usize {
        let mut c = 0;
        for (i, &a) in order.iter().enumerate() {
            for &b in &order[..i] {
                c += w(a, b);
            }
        }
        c
    };
    let mut order = head;
    let mut current = cost(&order);
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < 32 {
        improved = false;
        rounds += 1;
        for i in 0..order.len() {
            for j in 0..order.len() {
                if i == j {
                    continue;
                }
                let mut moved = order.clone();
                let v = moved.remove(i);
                moved.insert(j, v);
                let c = cost(&moved);
                if c < current {
                    order = moved;
                    current = c;
                    improved = true;
                }
            }
        }
    }
    order
}

fn cycle_violation(
    cx: &Context,
    component: &[usize],
    cut: &[(usize, usize)],
    weights: &BTreeMap<(usize, usize), (usize, &Edge)>,
    severity: Severity,
) -> Violation {
    let name = |b: usize| cx.spec.boundaries[b].name.value.as_str();
    let names: Vec<&str> = component.iter().map(|&b| name(b)).collect();
    let edges_inside = weights
        .keys()
        .filter(|(a, b)| component.contains(a) && component.contains(b))
        .count();
    let describe = |&(a, b): &(usize, usize)| {
        let (count, e) = weights[&(a, b)];
        format!(
            "`{}` -> `{}`: {} ({}:{}:{} `{}`)",
            name(a),
            name(b),
            plural(count, "reference", "references"),
            cx.graph.file(e.from).path,
            e.span.line,
            e.span.col,
            cx.graph.edge_path(e)
        )
    };
    let cut_refs: usize = cut.iter().map(|p| weights[p].0).sum();
    let lines: Vec<String> = cut.iter().map(describe).collect();
    let first = cut.first().and_then(|p| weights.get(p));
    let location = match first {
        Some((_, e)) => source(cx, e.from, e.span),
        None => Location::Spec {
            span: cx.spec_span(&cx.spec.boundaries[component[0]].name.span),
        },
    };
    let label = match cut.first() {
        Some(&(a, b)) => format!(
            "`{}` -> `{}`: cutting it helps break the cycle",
            name(a),
            name(b)
        ),
        None => "part of the cycle".to_string(),
    };
    let mut fingerprint_parts = vec!["boundary::cycle"];
    fingerprint_parts.extend(names.iter().copied());
    Violation {
        // The boundaries of the tangle, and nothing about where its edges are: unrelated code
        // moving keeps it; a boundary joining or leaving makes it another finding.
        fingerprint: super::fingerprint::of(&fingerprint_parts),
        location,
        code: "boundary::cycle".into(),
        severity,
        message: format!("{CYCLE_PREFIX}{}", names.join(", ")).into(),
        label: label.into(),
        spec_label: cx.spec_label(
            &cx.spec.options.cycles.span,
            "cycles are reported as set here",
        ),
        help: Some(format!(
            "these {} boundaries reach each other through {} edges; cutting {} ({}) makes \
             them acyclic:\n{}",
            names.len(),
            edges_inside,
            plural(cut.len(), "edge", "edges"),
            plural(cut_refs, "reference", "references"),
            lines.join("\n")
        )),
    }
}

/// `1 edge`, `2 edges`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How a `boundary::cycle` message starts (`cycle_names` reads it back).
const CYCLE_PREFIX: &str = "boundary cycle among ";

/// The boundaries of a `boundary::cycle` violation, read back from its message (built by
/// `cycle_violation`): `boundary cycle among a, b` gives `[a, b]`.
pub fn cycle_names(message: &str) -> Option<Vec<&str>> {
    let list = message.strip_prefix(CYCLE_PREFIX)?;
    Some(list.split(", ").collect())
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
    fn tangles_are_the_strongly_connected_components() {
        let g = adj(
            &[
                (0, 1),
                (1, 0),
                (1, 2),
                (2, 0),
                (2, 3),
                (4, 5),
                (5, 4),
                (3, 6),
            ],
            7,
        );
        assert_eq!(tangles(&g), vec![vec![0, 1, 2], vec![4, 5]]);
        assert!(tangles(&adj(&[(0, 1), (1, 2), (0, 2)], 3)).is_empty());
    }

    /// The cut makes the component acyclic and, where it is computed exactly, no other cut
    /// of the same component costs fewer references (checked against every order).
    #[test]
    fn feedback_arcs_break_every_cycle_with_the_fewest_references() {
        let edges = [
            ((0, 1), 5),
            ((1, 0), 1),
            ((1, 2), 4),
            ((2, 0), 2),
            ((2, 3), 3),
            ((3, 1), 1),
            ((3, 0), 7),
        ];
        let g = adj(&edges.iter().map(|(e, _)| *e).collect::<Vec<_>>(), 4);
        let w = |a: usize, b: usize| {
            edges
                .iter()
                .find(|(e, _)| *e == (a, b))
                .map_or(0, |(_, w)| *w)
        };
        let component = vec![0, 1, 2, 3];
        let cut = feedback_arcs(&component, &g, &w);
        let mut rest = g.clone();
        for (a, b) in &cut {
            rest[*a].remove(b);
        }
        assert!(tangles(&rest).is_empty(), "{cut:?} leaves a cycle");
        let cost: usize = cut.iter().map(|&(a, b)| w(a, b)).sum();
        // Every order of four boundaries: the best backward weight.
        let mut best = usize::MAX;
        let mut perm = vec![0, 1, 2, 3];
        permutations(&mut perm, 0, &mut |order| {
            let mut c = 0;
            for (i, &a) in order.iter().enumerate() {
                for &b in &order[..i] {
                    c += w(a, b);
                }
            }
            best = best.min(c);
        });
        assert_eq!(cost, best);
        // The greedy ordering also breaks every cycle (on a large ring of rings).
        let n = 40;
        let mut big = Vec::new();
        for i in 0..n {
            big.push((i, (i + 1) % n));
            big.push((i, (i + 7) % n));
        }
        let g = adj(&big, n);
        let component: Vec<usize> = (0..n).collect();
        let cut = feedback_arcs(&component, &g, &|_, _| 1);
        let mut rest = g.clone();
        for (a, b) in &cut {
            rest[*a].remove(b);
        }
        assert!(tangles(&rest).is_empty());
    }

    fn permutations(v: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize])) {
        if k == v.len() {
            f(v);
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            permutations(v, k + 1, f);
            v.swap(k, i);
        }
    }

    #[test]
    fn cycle_names_read_the_message_back() {
        assert_eq!(
            cycle_names("boundary cycle among app, infra"),
            Some(vec!["app", "infra"])
        );
        assert_eq!(cycle_names("`a` may not use `b`"), None);
    }
}
