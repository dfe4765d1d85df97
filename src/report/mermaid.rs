//! `ribo graph --format mermaid`: a Mermaid flowchart (GitHub renders it in Markdown).
//! Violating edges are dashed and red, unused allowances dotted and grey (`linkStyle`);
//! modules are grouped in one subgraph per boundary.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::graph::DepGraph;

/// Words Mermaid reads as keywords: never used as node ids.
const RESERVED: &[&str] = &[
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "click",
    "call",
    "href",
    "style",
    "class",
    "classdef",
    "linkstyle",
    "direction",
    "default",
    "interpolate",
];

/// Writes the graph as a Mermaid flowchart.
pub fn write(out: &mut dyn Write, g: &DepGraph) -> io::Result<()> {
    let ids = node_ids(g);
    writeln!(out, "flowchart TD")?;
    let mut clustered = vec![false; g.nodes.len()];
    for (ci, c) in g.clusters.iter().enumerate() {
        writeln!(out, "  subgraph cluster_{ci}[{}]", label(&c.label))?;
        for &n in &c.nodes {
            clustered[n] = true;
            writeln!(out, "    {}[{}]", ids[n], label(&g.nodes[n].label))?;
        }
        writeln!(out, "  end")?;
    }
    for n in (0..g.nodes.len()).filter(|&n| !clustered[n]) {
        writeln!(out, "  {}[{}]", ids[n], label(&g.nodes[n].label))?;
    }
    let mut forbidden = Vec::new();
    let mut unused = Vec::new();
    for (i, e) in g.edges.iter().enumerate() {
        let arrow = if e.forbidden() || e.unused {
            "-.->"
        } else {
            "-->"
        };
        writeln!(
            out,
            "  {} {arrow}|{}| {}",
            ids[e.from],
            label(&e.label()),
            ids[e.to]
        )?;
        if e.forbidden() {
            forbidden.push(i.to_string());
        } else if e.unused {
            unused.push(i.to_string());
        }
    }
    if !forbidden.is_empty() {
        writeln!(
            out,
            "  linkStyle {} stroke:#d00,color:#d00,stroke-width:2px",
            forbidden.join(",")
        )?;
    }
    if !unused.is_empty() {
        writeln!(
            out,
            "  linkStyle {} stroke:#999,color:#999,stroke-dasharray:2 4",
            unused.join(",")
        )?;
    }
    Ok(())
}

/// One id per node: its label made an identifier when that is unique and not a keyword,
/// else `n<index>`.
fn node_ids(g: &DepGraph) -> Vec<String> {
    let mut seen = BTreeSet::new();
    g.nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let id: String = n
                .label
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let usable = id.starts_with(|c: char| c.is_ascii_alphabetic())
                && !RESERVED.contains(&id.to_ascii_lowercase().as_str())
                && !id.starts_with("cluster_");
            let mut id = if usable && !seen.contains(&id) {
                id
            } else {
                format!("n{i}")
            };
            while seen.contains(&id) {
                id.push('_');
            }
            seen.insert(id.clone());
            id
        })
        .collect()
}

/// A quoted Mermaid label (`"` written as an entity).
fn label(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "#quot;"))
}
