//! The disk's graph kept warm by `ribo mcp` for the checks of proposed changes: built once for
//! a spec and a state of the disk, then patched for each change (`facts::incremental::warm`);
//! the state before a change is read from it too, and remembered while the disk stays the
//! same; Rust files written on disk since are patched into it for good. `check` takes a
//! change's two analyses from here when both patches are taken (the change edits Rust files
//! the graph has, in ways no other file can see: see the facts side), and the analysis of
//! files named (`check` with paths) when their content on disk can be patched in; else it runs
//! its own pipeline. What it reports is the same either way (`commands::mcp::engine`'s tests
//! and `bench/warm-equivalence.py` compare the two).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{baseline, Analysis};
use crate::cli::SpecArgs;
use crate::facts::incremental::warm::Warm;
use crate::facts::incremental::watcher::Seen;
use crate::facts::{FactGraph, Overlay};
use crate::rules::baseline::Baseline;
use crate::rules::changed::{ChangeSet, Selector};
use crate::rules::{self, Violation};
use crate::spec::Spec;

/// The most states before a change remembered at once.
const MAX_BEFORES: usize = 32;

/// A warm graph shared by a server's engine and the checks it runs (`None`: none built, or
/// dropped because the disk or the spec changed).
pub(crate) type Shared = Arc<Mutex<Option<WarmCheck>>>;

/// The disk's graph for one spec, its assignment, and the states before changes worked out.
pub(crate) struct WarmCheck {
    warm: Warm,
    assignment: rules::Assignment,
    spec: Arc<Spec>,
    /// The narrowed findings of the disk for a selection (see `check::selection_key`).
    befores: HashMap<Vec<u8>, Vec<Violation>>,
    /// How many changes were analysed over it (a test's witness that it was used).
    pub patched: usize,
}

impl WarmCheck {
    /// The disk's graph under `spec`, built from the caches (every file's facts lean: a patch
    /// parses the files it changes). `None` when it cannot be patched, or its files cannot
    /// be assigned (the check that runs instead reports why).
    pub fn build(spec: &Arc<Spec>, args: &SpecArgs) -> Option<WarmCheck> {
        let mut options = super::build_options(spec, args);
        // Without the caches (`--no-cache`), nothing tells whether the disk changed but a
        // build from scratch: every change goes through the pipeline, as before.
        options.cache_dir.as_ref()?;
        options.bodies_for = rules::bodies_read(spec, Some(&BTreeSet::new()));
        let warm = crate::facts::build_warm(&spec.root, &options)?;
        let assignment = rules::assign::assign(spec, warm.graph()?).ok()?;
        Some(WarmCheck {
            warm,
            assignment,
            spec: Arc::clone(spec),
            befores: HashMap::new(),
            patched: 0,
        })
    }

    /// Whether it is (still, or again) the disk's graph under `spec`: the same spec, its graph
    /// at home, and by the watch on the disk nothing changed since it was built but Rust files
    /// written, whose new content was patched into it for good (without a watch: nothing
    /// changed, by a scan, the stamps of every file).
    pub fn holds(&mut self, spec: &Arc<Spec>, args: &SpecArgs) -> bool {
        if !Arc::ptr_eq(&self.spec, spec) || self.warm.graph().is_none() {
            return false;
        }
        match self.warm.disk_changes() {
            Some(Seen::Nothing) => true,
            Some(Seen::Written(files)) => self.commit_written(spec, &files),
            Some(Seen::Other) => false,
            None => {
                let options = super::build_options(spec, args);
                // Built before the walk could be remembered (a tree written seconds before:
                // see `facts::incremental::listing`): built again, once, to be watched.
                if !self.warm.walk_remembered()
                    && crate::facts::walk_remembered(&spec.root, &options)
                {
                    return false;
                }
                let input = crate::facts::scan(&spec.root, &options);
                input.digest().is_some() && input.digest() == self.warm.digest()
            }
        }
    }

    /// Takes the content of the Rust files `written` (absolute paths) on disk into the graph
    /// for good: `false` when one is not a file of the graph any more, cannot be read, or
    /// cannot be patched in (the graph is then built again).
    fn commit_written(&mut self, spec: &Spec, written: &BTreeSet<PathBuf>) -> bool {
        let Ok(root) = std::path::absolute(&spec.root) else {
            return false;
        };
        let mut disk = Overlay::default();
        for path in written {
            let Some(rel) = path.strip_prefix(&root).ok().and_then(|p| p.to_str()) else {
                return false;
            };
            let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
            let exists = self.warm.graph().is_some_and(|g| g.file_id(&rel).is_some());
            match crate::facts::read_source(path) {
                Ok(bytes) if exists => disk.set(rel, Some(bytes)),
                _ => return false,
            }
        }
        if !self.warm.patch(&Arc::new(disk)) {
            return false;
        }
        self.warm.commit();
        // The states before a change were the disk's before these writes.
        self.befores.clear();
        true
    }

    /// The changes' files with their content on disk, read whole now (the graph holds every
    /// file without its bodies); `None` when one cannot be read.
    fn as_on_disk(spec: &Spec, changes: &ChangeSet) -> Option<Arc<Overlay>> {
        let mut disk = Overlay::default();
        for rel in &changes.present {
            let bytes = crate::facts::read_source(&spec.root.join(rel)).ok()?;
            disk.set(rel.as_str(), Some(bytes));
        }
        Some(Arc::new(disk))
    }

    /// The analysis of the files `changes` names as they are on disk, as `check` would make
    /// it (see [`WarmCheck::after`]).
    pub fn on_disk(&mut self, spec: &Spec, changes: &ChangeSet) -> Option<Analysis> {
        let disk = Self::as_on_disk(spec, changes)?;
        self.after(spec, &disk, changes)
    }

    /// Whether the state before a change of this selection is remembered.
    pub fn knows_before(&self, selection: &[u8]) -> bool {
        self.befores.contains_key(selection)
    }

    /// Whether a patch would take `overlay`, as far as can be told without resolving it (see
    /// `Warm::takes`).
    pub fn takes(&self, overlay: &Overlay) -> bool {
        self.warm.takes(overlay)
    }

    /// The findings of the disk that `changes` selects (the files it changes, as they are on
    /// disk), narrowed by `baseline` as `check` narrows them; `None` when the graph cannot be
    /// patched with those files' content (read as they are now).
    pub fn before(
        &mut self,
        spec: &Spec,
        changes: &ChangeSet,
        baseline: Option<&Baseline>,
        selection: Vec<u8>,
    ) -> Option<Vec<Violation>> {
        if let Some(found) = self.befores.get(&selection) {
            return Some(found.clone());
        }
        let disk = Self::as_on_disk(spec, changes)?;
        if !self.warm.patch(&disk) {
            return None;
        }
        let graph = self.warm.graph()?;
        let narrowed = focused(spec, graph, &self.assignment, changes, baseline);
        self.warm.restore();
        let violations = narrowed?;
        // Bounded: an agent that proposes changes to ever other files does not grow it.
        if self.befores.len() >= MAX_BEFORES {
            self.befores.clear();
        }
        self.befores.insert(selection, violations.clone());
        Some(violations)
    }

    /// The analysis of the disk with `overlay` (the change `changes` describes), focused on
    /// its files, as `check` would make it; the patched graph lent with it (given back by
    /// [`WarmCheck::give_back`]). `None` when the graph cannot be patched with the change.
    pub fn after(
        &mut self,
        spec: &Spec,
        overlay: &Arc<Overlay>,
        changes: &ChangeSet,
    ) -> Option<Analysis> {
        let focus = changes.focus()?;
        if !self.warm.patch(overlay) {
            return None;
        }
        let graph = self.warm.graph()?;
        let only = |path: &str| focus.contains(path);
        let outcome = rules::check_focused(spec, graph, &self.assignment, Some(&only));
        let files = graph.files.len();
        let unreadable = graph.files.iter().filter(|f| !f.parsed).count();
        let mut warnings = graph.warnings.clone();
        warnings.extend(super::undecodable_warning());
        let graph = self.warm.lend()?;
        self.patched += 1;
        Some(Analysis {
            outcome,
            files,
            unreadable,
            warnings,
            built: Some((graph, self.assignment.clone())),
            remember: None,
            disk_key: None,
        })
    }

    /// Whether the disk is watched (see `facts::incremental::watcher`).
    #[cfg(test)]
    pub fn watched(&self) -> bool {
        self.warm.watched()
    }

    /// The graph [`WarmCheck::after`] lent, given back (its patch taken back).
    pub fn give_back(&mut self, graph: FactGraph) {
        self.warm.give_back(graph);
    }
}

/// Gives `graph`, lent by [`WarmCheck::after`], back to the warm graph `shared` holds.
pub(crate) fn give_back(shared: &Shared, graph: FactGraph) {
    let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(w) = guard.as_mut() {
        w.give_back(graph);
    }
}

/// The findings of `graph` a run focused on the files `changes` names reports, narrowed by the
/// selection and `baseline` (as `check` narrows them).
fn focused(
    spec: &Spec,
    graph: &FactGraph,
    assignment: &rules::Assignment,
    changes: &ChangeSet,
    baseline: Option<&Baseline>,
) -> Option<Vec<Violation>> {
    let focus = changes.focus()?;
    let only = |path: &str| focus.contains(path);
    let outcome = rules::check_focused(spec, graph, assignment, Some(&only));
    let selector = Selector::new(spec, graph, assignment, changes);
    Some(baseline::narrow(outcome.violations, baseline, Some(&selector)).violations)
}
