//! What the code says about its own architecture: the project's packages, the boundaries, the
//! globs that claim their files, and the dependencies between them today.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{BoundaryDraft, Draft, Layers};
use crate::facts::cargo::{self, parent_dir, Package, TargetKind};
use crate::facts::{walk, BuildOptions, FactGraph, FileId, ModId};
use crate::rules::{self, Assignment};
use crate::spec::Spec;

/// The project inside the directory: its packages, and what to exclude.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    /// Every package found (the project's and the others), to tell who owns a file.
    pub packages: Vec<Package>,
    /// Directories of the project's packages.
    pub dirs: BTreeSet<String>,
    /// Globs of the Rust files outside the project.
    pub exclude: Vec<String>,
    pub name: String,
}

/// Finds the project's packages from the manifests alone (nothing is parsed): the members of
/// a workspace at the root, else the root package, else every package not nested in another.
/// Rust files owned by no project package are excluded, by the highest directories holding
/// nothing of the project.
pub(crate) fn project(root: &Path) -> Project {
    let walked = walk::walk(root, &BuildOptions::default().exclude);
    let rust_set = walked.rust_files.iter().map(String::as_str).collect();
    let mut warnings = Vec::new();
    let packages = cargo::read_packages(
        &walked.manifests,
        &rust_set,
        |rel| std::fs::read_to_string(root.join(rel)).map_err(|e| e.kind().to_string()),
        &mut warnings,
    );
    let chosen = project_packages(&packages);
    let dirs: BTreeSet<String> = chosen.iter().map(|p| p.dir.clone()).collect();
    let mut mine = BTreeSet::new();
    let mut foreign = BTreeSet::new();
    for f in &walked.rust_files {
        let owned = dirs.is_empty() || owner(&packages, f).is_some_and(|p| dirs.contains(&p.dir));
        if owned {
            mine.insert(f.as_str());
        } else {
            foreign.insert(f.as_str());
        }
    }
    let name = match chosen.as_slice() {
        [only] => only.name.clone(),
        _ => root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "system".to_string()),
    };
    Project {
        exclude: cover(&foreign, &mine),
        dirs,
        packages,
        name,
    }
}

fn project_packages(packages: &[Package]) -> Vec<&Package> {
    let root_ws = packages.iter().any(|p| p.workspace.as_deref() == Some(""));
    if root_ws {
        return packages
            .iter()
            .filter(|p| p.workspace.as_deref() == Some(""))
            .collect();
    }
    if let Some(root) = packages.iter().find(|p| p.dir.is_empty()) {
        return vec![root];
    }
    packages
        .iter()
        .filter(|p| {
            !packages
                .iter()
                .any(|q| q.dir != p.dir && inside(&p.dir, &q.dir))
        })
        .collect()
}

/// Is `path` inside the directory `dir` (`""` is the root, holding everything)?
fn inside(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The package owning a file: the one with the deepest directory holding it.
fn owner<'a>(packages: &'a [Package], path: &str) -> Option<&'a Package> {
    packages
        .iter()
        .filter(|p| inside(path, &p.dir))
        .max_by_key(|p| p.dir.len())
}

/// Globs that claim every file of `mine` and none of `others` (files in neither may be
/// claimed too): each file climbs to its highest ancestor directory holding none of `others`
/// (never the root itself) and is claimed as `dir/**`, or by its own path when its directory
/// holds one of `others`. Sorted.
pub(crate) fn cover(mine: &BTreeSet<&str>, others: &BTreeSet<&str>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for f in mine {
        let mut best = None;
        let mut dir = parent_dir(f);
        while !dir.is_empty() && !holds_any(others, dir) {
            best = Some(dir);
            dir = parent_dir(dir);
        }
        out.insert(match best {
            Some(d) => format!("{}/**", escape_glob(d)),
            None => escape_glob(f),
        });
    }
    out.into_iter().collect()
}

fn holds_any(set: &BTreeSet<&str>, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    set.range(prefix.as_str()..)
        .next()
        .is_some_and(|f| f.starts_with(&prefix))
}

/// A path as a glob matching only itself.
fn escape_glob(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' | '\\' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// A boundary name from a package or module name: `[a-z][a-z0-9_-]*`.
pub(crate) fn identifier(name: &str) -> String {
    let lower = name.to_lowercase();
    let mapped: String = lower
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches(|c: char| !c.is_ascii_lowercase());
    if trimmed.is_empty() {
        "part".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Boundaries under construction: name -> (comment, files).
#[derive(Default)]
struct Parts {
    order: Vec<String>,
    parts: BTreeMap<String, (String, BTreeSet<FileId>)>,
}

impl Parts {
    /// A new part whose name is `wanted` made unique.
    fn add(&mut self, wanted: &str, what: String) -> String {
        let base = identifier(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while self.parts.contains_key(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        self.order.push(name.clone());
        self.parts.insert(name.clone(), (what, BTreeSet::new()));
        name
    }

    fn claim(&mut self, name: &str, file: FileId) {
        if let Some((_, files)) = self.parts.get_mut(name) {
            files.insert(file);
        }
    }
}

/// Chooses the boundaries and their `paths` (test files are left to whoever claims their
/// directory: with `tests: skip` no rule looks at them).
pub(crate) fn boundaries(graph: &FactGraph, project: &Project, draft: &mut Draft) {
    let mut parts = Parts::default();
    let mut owner_of: BTreeMap<FileId, String> = BTreeMap::new();
    if project.dirs.len() >= 2 {
        draft.how = "One boundary per package of the workspace.".into();
        let mut by_dir: BTreeMap<&str, String> = BTreeMap::new();
        for p in project
            .packages
            .iter()
            .filter(|p| project.dirs.contains(&p.dir))
        {
            let what = if p.dir.is_empty() {
                format!("package `{}`", p.name)
            } else {
                format!("package `{}` ({})", p.name, p.dir)
            };
            by_dir.insert(&p.dir, parts.add(&p.name, what));
        }
        for (i, f) in graph.files.iter().enumerate() {
            if let Some(name) =
                owner(&project.packages, &f.path).and_then(|p| by_dir.get(p.dir.as_str()))
            {
                owner_of.insert(i as FileId, name.clone());
            }
        }
    } else {
        modules(graph, project, &mut parts, &mut owner_of, draft);
    }
    for (file, name) in &owner_of {
        if !graph.file(*file).test {
            parts.claim(name, *file);
        }
    }
    let claimed: BTreeMap<&str, &str> = parts
        .parts
        .iter()
        .flat_map(|(name, (_, files))| {
            files
                .iter()
                .map(move |f| (graph.file(*f).path.as_str(), name.as_str()))
        })
        .collect();
    for name in &parts.order {
        let (what, files) = &parts.parts[name];
        if files.is_empty() {
            continue;
        }
        let mine: BTreeSet<&str> = files.iter().map(|f| graph.file(*f).path.as_str()).collect();
        let others: BTreeSet<&str> = claimed
            .iter()
            .filter(|(_, b)| **b != name.as_str())
            .map(|(p, _)| *p)
            .collect();
        draft.boundaries.push(BoundaryDraft {
            name: name.clone(),
            what: what.clone(),
            paths: cover(&mine, &others),
            may_use: None,
            crates: None,
        });
    }
}

/// One boundary per top-level module of the package's library and main binary, `root` for
/// the crate roots and what no module claims, `examples` for the examples.
fn modules(
    graph: &FactGraph,
    project: &Project,
    parts: &mut Parts,
    owner_of: &mut BTreeMap<FileId, String>,
    draft: &mut Draft,
) {
    let pkg_dir = project.dirs.iter().next().cloned().unwrap_or_default();
    let in_pkg = |rel: &str| {
        if pkg_dir.is_empty() {
            rel.to_string()
        } else {
            format!("{pkg_dir}/{rel}")
        }
    };
    let main_rs = in_pkg("src/main.rs");
    let mut tops: Vec<(String, ModId, String)> = Vec::new();
    let mut crate_names = Vec::new();
    for c in &graph.crates {
        let root_path = &graph.file(c.root_file).path;
        let main = graph.packages[c.package].dir == pkg_dir
            && (c.kind == TargetKind::Lib || (c.kind == TargetKind::Bin && *root_path == main_rs));
        if !main {
            continue;
        }
        crate_names.push(format!("`{}`", c.name));
        let src = parent_dir(root_path).to_string();
        for (name, &child) in &graph.module(c.root_module).children {
            let m = graph.module(child);
            // Files no `mod` declares are placed under the root by guess: not modules.
            let declared = graph.file(m.file).in_tree;
            if m.scope == 0 && !m.test && m.file != c.root_file && declared {
                tops.push((name.clone(), child, src.clone()));
            }
        }
    }
    crate_names.dedup();
    draft.how = if crate_names.is_empty() {
        "One boundary for the whole code (no library or main crate was found).".into()
    } else {
        format!(
            "One boundary per top-level module of {} (`src/<module>.rs` and `src/<module>/`), `root` for the crate roots and what no module claims.",
            crate_names.join(" and ")
        )
    };
    let root = parts.add("root", "the crate roots".into());
    let mut by_path: Vec<(String, String)> = Vec::new();
    for (name, module, src) in &tops {
        let boundary = match parts
            .order
            .iter()
            .find(|b| parts.parts[*b].0 == format!("crate::{name}"))
        {
            Some(existing) => existing.clone(),
            None => parts.add(name, format!("crate::{name}")),
        };
        let mut stack = vec![*module];
        while let Some(m) = stack.pop() {
            let module = graph.module(m);
            owner_of
                .entry(module.file)
                .or_insert_with(|| boundary.clone());
            stack.extend(module.children.values().copied());
        }
        let dir = if src.is_empty() {
            name.clone()
        } else {
            format!("{src}/{name}")
        };
        by_path.push((dir, boundary));
    }
    let examples_dir = in_pkg("examples");
    let mut examples: Option<String> = None;
    for (i, f) in graph.files.iter().enumerate() {
        let id = i as FileId;
        if owner_of.contains_key(&id) {
            continue;
        }
        let by_location = by_path
            .iter()
            .find(|(dir, _)| f.path == format!("{dir}.rs") || inside(&f.path, dir));
        let name = match by_location {
            Some((_, b)) => b.clone(),
            None if inside(&f.path, &examples_dir) && !f.test => examples
                .get_or_insert_with(|| parts.add("examples", "the examples".into()))
                .clone(),
            None => root.clone(),
        };
        owner_of.insert(id, name);
    }
}

/// `may_use` and `crates` from what the non-test code does today, exactly as `ribo check`
/// assigns files; then cycles and layers.
pub(crate) fn dependencies(
    spec: &Spec,
    graph: &FactGraph,
    assignment: &Assignment,
    draft: &mut Draft,
) {
    let cx = rules::Context::new(spec, graph, assignment);
    let n = spec.boundaries.len();
    let mut adj: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for edge in graph.edges.iter().filter(|e| !e.test && cx.counts(e.kind)) {
        if let Some((a, b)) = rules::boundaries::crossing(&cx, edge) {
            adj[a].insert(b);
        }
    }
    let mut crates: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
    let mut seen: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
    for ext in graph
        .external_uses
        .iter()
        .filter(|e| !e.test && cx.counts(e.kind))
    {
        if let Some(b) = assignment.of(ext.file) {
            if seen[b].insert(rules::boundaries::normalise_crate(&ext.package)) {
                crates[b].insert(ext.package.to_string());
            }
        }
    }
    let name = |i: usize| spec.boundaries[i].name.value.clone();
    for (i, b) in draft.boundaries.iter_mut().enumerate() {
        b.may_use = Some(adj[i].iter().map(|&j| name(j)).collect());
        b.crates = Some(crates[i].iter().cloned().collect());
    }
    match topological(&adj) {
        None => {
            draft.cyclic = true;
            draft.layers = Layers::None;
        }
        Some(depth) => {
            let involved: Vec<usize> = (0..n)
                .filter(|&i| !adj[i].is_empty() || adj.iter().any(|s| s.contains(&i)))
                .collect();
            let mut order = involved.clone();
            order.sort_by_key(|&i| (depth[i], name(i)));
            let unique = order.windows(2).all(|w| adj[w[0]].contains(&w[1]));
            let names: Vec<String> = order.iter().map(|&i| name(i)).collect();
            draft.layers = if order.len() < 2 {
                Layers::None
            } else if unique {
                Layers::Declared(names)
            } else {
                Layers::Suggested(names)
            };
            // Boundaries top to bottom, the ones no dependency touches last.
            let mut keyed: Vec<((bool, usize, String), BoundaryDraft)> = draft
                .boundaries
                .drain(..)
                .enumerate()
                .map(|(i, b)| ((!involved.contains(&i), depth[i], b.name.clone()), b))
                .collect();
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            draft.boundaries = keyed.into_iter().map(|(_, b)| b).collect();
        }
    }
}

/// The depth of each node (longest path from a node nothing uses), or `None` on a cycle.
fn topological(adj: &[BTreeSet<usize>]) -> Option<Vec<usize>> {
    let n = adj.len();
    let mut indegree = vec![0usize; n];
    for targets in adj {
        for &t in targets {
            indegree[t] += 1;
        }
    }
    let mut depth = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut done = 0;
    while let Some(v) = ready.pop() {
        done += 1;
        for &t in &adj[v] {
            depth[t] = depth[t].max(depth[v] + 1);
            indegree[t] -= 1;
            if indegree[t] == 0 {
                ready.push(t);
            }
        }
    }
    (done == n).then_some(depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<'a>(items: &[&'a str]) -> BTreeSet<&'a str> {
        items.iter().copied().collect()
    }

    #[test]
    fn cover_claims_whole_directories_only_when_nothing_else_lives_there() {
        let mine = set(&["src/api/mod.rs", "src/api/x/y.rs", "src/cli.rs"]);
        let others = set(&["src/lib.rs", "src/domain/mod.rs"]);
        assert_eq!(cover(&mine, &others), vec!["src/api/**", "src/cli.rs"]);
        let mine = set(&["crates/core/src/lib.rs", "crates/core/src/m.rs"]);
        let others = set(&["crates/api/src/lib.rs"]);
        assert_eq!(cover(&mine, &others), vec!["crates/core/**"]);
        assert_eq!(cover(&set(&["build.rs"]), &others), vec!["build.rs"]);
        assert_eq!(
            cover(&set(&["a/[x].rs"]), &set(&["a/b.rs"])),
            vec!["a/[[]x[]].rs"]
        );
    }

    #[test]
    fn identifiers_are_valid_boundary_names() {
        assert_eq!(identifier("my_crate"), "my_crate");
        assert_eq!(identifier("Foo.Bar"), "foo-bar");
        assert_eq!(identifier("_private"), "private");
        assert_eq!(identifier("__"), "part");
    }

    #[test]
    fn depth_is_the_longest_path_and_cycles_have_none() {
        let adj = vec![BTreeSet::from([1, 2]), BTreeSet::from([2]), BTreeSet::new()];
        assert_eq!(topological(&adj), Some(vec![0, 1, 2]));
        let cyclic = vec![BTreeSet::from([1]), BTreeSet::from([0])];
        assert_eq!(topological(&cyclic), None);
    }
}
