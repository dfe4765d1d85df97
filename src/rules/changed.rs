//! Changed mode: which violations a run limited to some files reports.
//!
//! The facts cover the whole repository, so every path resolves exactly; only the report is
//! narrowed. A violation located in a source file is reported when that file changed. A
//! graph-level violation is reported when one of its inputs changed:
//!
//! - anything, when the spec itself changed (every rule reads it);
//! - `boundary::cycle`: a changed file is at either end of an edge between two boundaries of
//!   the tangle (or the cycle is located in a changed file);
//! - `drift::unmatched-glob`: a deleted or renamed-away file matches the glob;
//! - `drift::unused-allowance`: a changed, added or deleted file belongs to the boundary that
//!   declares the allowance;
//! - other violations located in the spec (contracts, unknown crates and modules): any Rust
//!   file changed, as their inputs span whole crates;
//! - every graph-level violation, when a `Cargo.toml` changed (crate names and workspace
//!   resolution may have moved under every path).
//!
//! Stale baseline entries are reported when the entry's file changed or the baseline file did.
//! `docs/changed-mode.md` says the same for users.

use std::collections::BTreeSet;

use super::boundaries::{crossing, cycle_names};
use super::{Assignment, Context, Location, Violation};
use crate::facts::FactGraph;
use crate::spec::model::Scope;
use crate::spec::Spec;

/// The files a changed-mode run is about, relative to the root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Files as they are now: modified, added, renamed to, untracked, or named on the command
    /// line.
    pub present: BTreeSet<String>,
    /// Files that are gone: deleted, or renamed away from.
    pub removed: BTreeSet<String>,
    /// The spec file is among the changes.
    pub spec: bool,
    /// The baseline file is among the changes.
    pub baseline: bool,
}

impl ChangeSet {
    /// The file is present or removed in the change.
    pub fn touches(&self, file: &str) -> bool {
        self.present.contains(file) || self.removed.contains(file)
    }

    fn all(&self) -> impl Iterator<Item = &String> {
        self.present.iter().chain(&self.removed)
    }

    /// A Cargo manifest changed.
    pub fn manifests(&self) -> bool {
        self.all()
            .any(|f| f == "Cargo.toml" || f.ends_with("/Cargo.toml"))
    }

    /// The files whose own violations are all a run over this change reports from per-file
    /// rules ([`Selector::keeps`]); `None` when every file's are needed: the spec changed (all
    /// are reported) or the baseline did (stale entries anywhere are).
    pub fn focus(&self) -> Option<&BTreeSet<String>> {
        (!self.spec && !self.baseline).then_some(&self.present)
    }

    /// A Rust file changed.
    pub fn rust(&self) -> bool {
        self.all().any(|f| f.ends_with(".rs"))
    }
}

/// Decides which violations a changed-mode run reports.
pub struct Selector<'a> {
    cx: Context<'a>,
    changes: &'a ChangeSet,
    /// Ordered boundary pairs that an edge touching a changed file crosses.
    pairs: BTreeSet<(usize, usize)>,
}

impl<'a> Selector<'a> {
    /// A selector for `changes` over the whole-repository facts.
    pub fn new(
        spec: &'a Spec,
        graph: &'a FactGraph,
        assignment: &'a Assignment,
        changes: &'a ChangeSet,
    ) -> Self {
        let cx = Context::new(spec, graph, assignment);
        // Looked up once per file, not once per edge (~200k edges on the large corpus).
        let changed_files: Vec<bool> = graph
            .files
            .iter()
            .map(|f| changes.present.contains(&f.path))
            .collect();
        let changed = |id: u32| changed_files.get(id as usize).copied().unwrap_or(false);
        let pairs = graph
            .edges
            .iter()
            .filter(|e| !(cx.skip_tests() && e.test))
            .filter(|e| changed(e.from) || changed(e.to_file))
            .filter_map(|e| crossing(&cx, e))
            .collect();
        Selector { cx, changes, pairs }
    }

    /// How many of the changed files are Rust files ribo checks (all of them when the spec
    /// changed).
    pub fn files(&self) -> usize {
        let graph = self.cx.graph;
        if self.changes.spec {
            return graph.files.len();
        }
        let present = self.changes.present.iter();
        present.filter(|f| graph.file_id(f).is_some()).count()
    }

    /// The run reports `v`.
    pub fn keeps(&self, v: &Violation) -> bool {
        let changes = self.changes;
        if changes.spec {
            return true;
        }
        let graph_level = changes.manifests();
        match (&v.location, v.code.as_str()) {
            (Location::Source { file, .. }, "boundary::cycle") => {
                graph_level
                    || changes.present.contains(file.as_str())
                    || self.cycle_touched(&v.message)
            }
            (Location::Source { file, .. }, _) => changes.present.contains(file.as_str()),
            (Location::Spec { span }, code) => {
                graph_level
                    || match code {
                        "boundary::cycle" => self.cycle_touched(&v.message),
                        "drift::unmatched-glob" => self.glob_lost_a_file(span.start as usize),
                        "drift::unused-allowance" => self.allowance_touched(span.start as usize),
                        _ => changes.rust(),
                    }
            }
        }
    }

    /// A stale baseline entry recorded under `entry_file` is reported.
    pub fn keeps_stale(&self, entry_file: &str) -> bool {
        self.changes.spec || self.changes.baseline || self.changes.touches(entry_file)
    }

    fn cycle_touched(&self, message: &str) -> bool {
        let Some(names) = cycle_names(message) else {
            return self.changes.rust();
        };
        let index = |name: &str| {
            let boundaries = &self.cx.spec.boundaries;
            boundaries.iter().position(|b| b.name.value == name)
        };
        let ids: Vec<usize> = names.iter().filter_map(|n| index(n)).collect();
        self.pairs
            .iter()
            .any(|(a, b)| ids.contains(a) && ids.contains(b))
    }

    /// The glob declared at `start` matches a file that is gone.
    fn glob_lost_a_file(&self, start: usize) -> bool {
        let spec = self.cx.spec;
        let boundary_globs = spec.boundaries.iter().flat_map(|b| {
            let interface = b.interface.iter().flat_map(|i| i.value.iter());
            b.paths.iter().chain(interface)
        });
        let invariant_scopes = spec
            .invariants
            .iter()
            .flat_map(|i| i.in_.iter().chain(&i.except));
        let contract_scopes = spec.contracts.iter().flat_map(|c| match &c.kind {
            crate::spec::model::ContractKind::CrateUse { only_from, .. } => only_from.as_slice(),
            _ => &[],
        });
        let scope_globs = invariant_scopes
            .chain(contract_scopes)
            .filter_map(|s| match s {
                Scope::Glob(g) => Some(g),
                Scope::Boundary(_) => None,
            });
        let mut globs = boundary_globs.chain(scope_globs);
        match globs.find(|g| g.span.start == start) {
            Some(g) => self.changes.removed.iter().any(|f| g.matcher.is_match(f)),
            None => self.changes.rust(),
        }
    }

    /// A changed file belongs to the boundary whose `may_use` or `crates` holds `start`.
    fn allowance_touched(&self, start: usize) -> bool {
        let boundaries = &self.cx.spec.boundaries;
        let owner = boundaries.iter().position(|b| {
            let may_use = b.may_use.iter().flat_map(|m| &m.value).map(|m| &m.span);
            let crates = b.crates.iter().flat_map(|c| &c.value).map(|c| &c.span);
            may_use.chain(crates).any(|span| span.start == start)
        });
        let Some(owner) = owner else {
            return self.changes.rust();
        };
        let graph = self.cx.graph;
        let belongs = |f: &String| match graph.file_id(f) {
            Some(id) => self.cx.assignment.of(id) == Some(owner),
            None => boundaries[owner]
                .paths
                .iter()
                .any(|g| g.matcher.is_match(f)),
        };
        self.changes.all().any(belongs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(present: &[&str], removed: &[&str]) -> ChangeSet {
        ChangeSet {
            present: present.iter().map(|s| s.to_string()).collect(),
            removed: removed.iter().map(|s| s.to_string()).collect(),
            ..ChangeSet::default()
        }
    }

    #[test]
    fn what_a_change_set_touches() {
        let changes = set(&["src/a.rs", "README.md"], &["crates/x/Cargo.toml"]);
        assert!(changes.touches("src/a.rs") && changes.touches("crates/x/Cargo.toml"));
        assert!(!changes.touches("src/b.rs"));
        assert!(changes.manifests() && changes.rust());
        let docs = set(&["README.md", "NotCargo.toml"], &[]);
        assert!(!docs.manifests() && !docs.rust());
    }
}
