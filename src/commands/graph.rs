//! `ribo graph`: the boundary dependency graph (or, with `--modules`, the module graph grouped
//! by boundary) as DOT or Mermaid, with the edges `ribo check` reports drawn apart.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::{assign_or_report, build_options, load_spec, progress};
use crate::cli::{GraphArgs, GraphFormat};
use crate::facts::{Edge, FactGraph};
use crate::report::graph::{Cluster, DepEdge, DepGraph, Node};
use crate::report::{self, Style};
use crate::rules::{self, Assignment, Context, Location, Violation};
use crate::spec::Spec;
use crate::EXIT_OK;

/// The codes that make an edge forbidden.
const EDGE_CODES: [&str; 3] = [
    "boundary::forbidden-use",
    "boundary::layer",
    "boundary::private-use",
];

pub fn graph(
    args: &GraphArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let loaded = match load_spec(&args.spec, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let spec = &loaded.spec;
    let facts = progress::build(&spec.root, build_options(spec, &args.spec), true);
    let assignment = match assign_or_report(&loaded, &facts, style, err)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let outcome = rules::check(spec, &facts, &assignment);
    let cx = Context::new(spec, &facts, &assignment);
    let reported = reported_edges(&outcome.violations);
    let drawn = if args.modules {
        modules(&cx, &reported)
    } else {
        boundaries(&cx, &reported, args.unused)
    };
    match args.format {
        GraphFormat::Dot => report::dot::write(out, &drawn)?,
        GraphFormat::Mermaid => report::mermaid::write(out, &drawn)?,
    }
    Ok(EXIT_OK)
}

/// (file, start, end) -> code of every edge violation `ribo check` reports (after inline
/// suppressions).
type Reported = BTreeMap<(String, u32, u32), String>;

fn reported_edges(violations: &[Violation]) -> Reported {
    violations
        .iter()
        .filter(|v| EDGE_CODES.contains(&v.code.as_str()))
        .filter_map(|v| match &v.location {
            Location::Source { file, span } => {
                Some(((file.to_string(), span.start, span.end), v.code.to_string()))
            }
            Location::Spec { .. } => None,
        })
        .collect()
}

/// The edges `ribo check` looks at: not test code, unless `tests: check`.
fn checked_edges<'a>(cx: &'a Context) -> impl Iterator<Item = &'a Edge> + 'a {
    cx.graph
        .edges
        .iter()
        .filter(move |e| !(cx.skip_tests() && e.test))
}

/// Adds one reference to the edge `from -> to`.
fn count(
    edges: &mut BTreeMap<(usize, usize), DepEdge>,
    from: usize,
    to: usize,
    code: Option<&String>,
) {
    let e = edges.entry((from, to)).or_insert_with(|| DepEdge {
        from,
        to,
        ..DepEdge::default()
    });
    e.count += 1;
    if let Some(code) = code {
        *e.violations.entry(code.clone()).or_insert(0) += 1;
    }
}

fn code_of<'r>(cx: &Context, reported: &'r Reported, e: &Edge) -> Option<&'r String> {
    let file = &cx.graph.file(e.from).path;
    reported.get(&(file.clone(), e.span.start, e.span.end))
}

fn boundaries(cx: &Context, reported: &Reported, unused: bool) -> DepGraph {
    let spec = cx.spec;
    let nodes = spec
        .boundaries
        .iter()
        .map(|b| Node {
            key: b.name.value.clone(),
            label: b.name.value.clone(),
            tooltip: b.description.as_ref().map(|d| d.value.clone()),
        })
        .collect();
    let mut edges = BTreeMap::new();
    for e in checked_edges(cx) {
        if let Some((a, b)) = rules::boundaries::crossing(cx, e) {
            count(&mut edges, a, b, code_of(cx, reported, e));
        }
    }
    if unused {
        for (a, b) in spec.boundaries.iter().enumerate() {
            for m in b.may_use.iter().flat_map(|m| &m.value) {
                edges.entry((a, m.value)).or_insert_with(|| DepEdge {
                    from: a,
                    to: m.value,
                    unused: true,
                    ..DepEdge::default()
                });
            }
        }
    }
    DepGraph {
        name: spec.system.name.value.clone(),
        nodes,
        clusters: Vec::new(),
        edges: edges.into_values().collect(),
    }
}

fn modules(cx: &Context, reported: &Reported) -> DepGraph {
    let g: &FactGraph = cx.graph;
    let files: Vec<u32> = (0..g.files.len() as u32)
        .filter(|&f| !(cx.skip_tests() && g.file(f).test))
        .collect();
    let index: BTreeMap<u32, usize> = files.iter().enumerate().map(|(i, &f)| (f, i)).collect();
    let displays: Vec<String> = files
        .iter()
        .map(|&f| {
            let file = g.file(f);
            file.module
                .map_or_else(|| file.path.clone(), |m| g.module_display(m))
        })
        .collect();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &displays {
        *seen.entry(d.as_str()).or_insert(0) += 1;
    }
    // A lib and a bin of one package share the crate name: their roots show their files.
    let nodes: Vec<Node> = files
        .iter()
        .zip(&displays)
        .map(|(&f, display)| {
            let path = &g.file(f).path;
            let label = if seen[display.as_str()] > 1 {
                format!("{display} ({path})")
            } else {
                display.clone()
            };
            Node {
                key: path.clone(),
                label,
                tooltip: Some(path.clone()),
            }
        })
        .collect();
    let clusters = clusters(cx.spec, cx.assignment, &files);
    let mut edges = BTreeMap::new();
    for e in checked_edges(cx).filter(|e| !e.repeats_use && e.from != e.to_file) {
        if let (Some(&a), Some(&b)) = (index.get(&e.from), index.get(&e.to_file)) {
            count(&mut edges, a, b, code_of(cx, reported, e));
        }
    }
    DepGraph {
        name: cx.spec.system.name.value.clone(),
        nodes,
        clusters,
        edges: edges.into_values().collect(),
    }
}

/// One cluster per boundary with files, in declaration order.
fn clusters(spec: &Spec, assignment: &Assignment, files: &[u32]) -> Vec<Cluster> {
    let mut members: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (i, &f) in files.iter().enumerate() {
        if let Some(b) = assignment.of(f) {
            members.entry(b).or_default().insert(i);
        }
    }
    members
        .into_iter()
        .map(|(b, nodes)| Cluster {
            label: spec.boundaries[b].name.value.clone(),
            tooltip: spec.boundaries[b]
                .description
                .as_ref()
                .map(|d| d.value.clone()),
            nodes: nodes.into_iter().collect(),
        })
        .collect()
}
