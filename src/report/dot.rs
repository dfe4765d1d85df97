//! `ribo graph --format dot`: Graphviz. Violating edges are red and dashed, unused
//! allowances grey and dotted; modules are grouped in one cluster per boundary.

use std::io::{self, Write};

use super::graph::DepGraph;

/// Writes the graph in the DOT language.
pub fn write(out: &mut dyn Write, g: &DepGraph) -> io::Result<()> {
    writeln!(out, "digraph {} {{", quote(&g.name))?;
    writeln!(out, "  rankdir=TB;")?;
    writeln!(out, "  fontname=\"Helvetica\";")?;
    writeln!(
        out,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"
    )?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];")?;
    let mut clustered = vec![false; g.nodes.len()];
    for (ci, c) in g.clusters.iter().enumerate() {
        writeln!(out, "  subgraph \"cluster_{ci}\" {{")?;
        writeln!(out, "    label={};", quote(&c.label))?;
        if let Some(t) = &c.tooltip {
            writeln!(out, "    tooltip={};", quote(t))?;
        }
        writeln!(out, "    style=rounded;")?;
        for &n in &c.nodes {
            clustered[n] = true;
            write_node(out, "    ", g, n)?;
        }
        writeln!(out, "  }}")?;
    }
    for n in (0..g.nodes.len()).filter(|&n| !clustered[n]) {
        write_node(out, "  ", g, n)?;
    }
    for e in &g.edges {
        let from = quote(&g.nodes[e.from].key);
        let to = quote(&g.nodes[e.to].key);
        let style = if e.forbidden() {
            ", color=\"red\", fontcolor=\"red\", style=\"dashed\""
        } else if e.unused {
            ", color=\"grey\", fontcolor=\"grey\", style=\"dotted\""
        } else {
            ""
        };
        writeln!(
            out,
            "  {from} -> {to} [label={}{style}];",
            quote(&e.label())
        )?;
    }
    writeln!(out, "}}")
}

fn write_node(out: &mut dyn Write, indent: &str, g: &DepGraph, n: usize) -> io::Result<()> {
    let node = &g.nodes[n];
    write!(
        out,
        "{indent}{} [label={}",
        quote(&node.key),
        quote(&node.label)
    )?;
    if let Some(t) = &node.tooltip {
        write!(out, ", tooltip={}", quote(t))?;
    }
    writeln!(out, "];")
}

/// A DOT double-quoted string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
