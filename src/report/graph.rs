//! The dependency graph drawn by `ribo graph`: nodes (boundaries, or modules grouped by
//! boundary), edges with how many references make them, and the violations among them. The
//! formats are `dot` and `mermaid`, one file each.

use std::collections::BTreeMap;

/// A graph ready to draw. Nodes and edges are in a stable order.
#[derive(Debug, Clone, Default)]
pub struct DepGraph {
    /// The system's name.
    pub name: String,
    pub nodes: Vec<Node>,
    /// Groups of nodes (boundaries, when the nodes are modules).
    pub clusters: Vec<Cluster>,
    pub edges: Vec<DepEdge>,
}

/// A boundary or a module.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique among the nodes.
    pub key: String,
    pub label: String,
    /// Shown on hover where the format allows it (the boundary's description).
    pub tooltip: Option<String>,
}

/// A group of nodes.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub label: String,
    pub tooltip: Option<String>,
    /// Indexes into `DepGraph::nodes`.
    pub nodes: Vec<usize>,
}

/// A dependency between two nodes.
#[derive(Debug, Clone, Default)]
pub struct DepEdge {
    pub from: usize,
    pub to: usize,
    /// References in the code that make the dependency (0 for an unused allowance).
    pub count: usize,
    /// Of those, how many `ribo check` reports, by code.
    pub violations: BTreeMap<String, usize>,
    /// Allowed by `may_use` but used by no code.
    pub unused: bool,
}

impl DepEdge {
    /// Some reference of the edge is a violation.
    pub fn forbidden(&self) -> bool {
        !self.violations.is_empty()
    }

    /// `3`, `1 boundary::forbidden-use`, `4 (1 boundary::private-use)`, or `unused`.
    pub fn label(&self) -> String {
        if self.unused {
            return "unused".to_string();
        }
        let codes: Vec<String> = self
            .violations
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect();
        let violating: usize = self.violations.values().sum();
        match codes.as_slice() {
            [] => self.count.to_string(),
            [one] if violating == self.count => one.clone(),
            _ => format!("{} ({})", self.count, codes.join(", ")),
        }
    }
}
