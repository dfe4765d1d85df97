//! Scopes and the names in them: what a scope declares (items, `mod` children, `use`s,
//! globs), in which namespace, visible to whom, and the order in which a name is looked up.

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

use super::{Binding, Res, Resolver, Why};
use crate::facts::model::graph::{FileId, ModId};
use crate::facts::model::items::ns;
use crate::facts::model::{is_block, FileFacts, ScopeId, UseFact};

/// How deep imports may lead into each other (`use` through `use` through glob...).
pub(crate) const MAX_DEPTH: u32 = 16;

/// The names one file's `use` declarations and blocks bring into each of its scopes.
pub(crate) struct FileIndex<'a> {
    /// `(scope, name)` -> the first `use` of that scope that binds `name` (not a glob).
    bindings: HashMap<(ScopeId, &'a str), usize>,
    /// Each scope's glob `use`s, in order.
    globs: HashMap<ScopeId, Vec<usize>>,
    /// What the file's blocks declare, built on first use (most lookups never reach a block
    /// scope that declares anything).
    blocks: OnceLock<BlockNames<'a>>,
    facts: &'a FileFacts,
    /// The `use` leaf at each span, built on first use (only resolving a file's references
    /// reads it: a run that resolves every `use` but few files' paths builds few).
    use_at: OnceLock<HashMap<(u32, u32), usize>>,
    uses: &'a [UseFact],
}

impl<'a> FileIndex<'a> {
    /// The index of one file's facts.
    pub fn new(facts: &'a FileFacts) -> Self {
        let (bindings, globs) = import_slots(
            facts
                .uses
                .iter()
                .map(|u| (u.scope, u.name.as_deref(), u.glob)),
        );
        FileIndex {
            bindings,
            globs,
            blocks: OnceLock::new(),
            facts,
            use_at: OnceLock::new(),
            uses: &facts.uses,
        }
    }

    /// What the file's blocks declare.
    pub fn blocks(&self) -> &BlockNames<'a> {
        self.blocks.get_or_init(|| {
            let mut names = BlockNames::default();
            if self.facts.blocks.is_empty() {
                return names;
            }
            for (scope, name, marks) in self.facts.items.names() {
                if is_block(scope) {
                    *names.items.entry((scope, name)).or_insert(0) |= marks & ns::ALL;
                }
            }
            for (i, s) in self.facts.scopes.iter().enumerate() {
                if let Some(parent) = s.parent.filter(|p| is_block(*p)) {
                    names.mods.insert((parent, s.name.as_str()), i as ScopeId);
                }
            }
            names
        })
    }

    /// The `use` leaf whose span is `start..end`.
    pub fn use_at(&self, start: u32, end: u32) -> Option<usize> {
        self.use_at
            .get_or_init(|| {
                let mut use_at = HashMap::new();
                for (i, u) in self.uses.iter().enumerate() {
                    use_at.entry((u.span.start, u.span.end)).or_insert(i);
                }
                use_at
            })
            .get(&(start, end))
            .copied()
    }

    /// The `use` binding `name` in `scope` (not a glob).
    pub fn binding(&self, scope: ScopeId, name: &str) -> Option<usize> {
        self.bindings.get(&(scope, name)).copied()
    }

    /// The glob `use`s of `scope`, in order.
    pub fn globs(&self, scope: ScopeId) -> &[usize] {
        self.globs.get(&scope).map_or(&[], Vec::as_slice)
    }
}

/// The names a file's blocks declare.
#[derive(Default)]
pub(crate) struct BlockNames<'a> {
    /// `(block, name)` -> the namespaces (and privacy) of the items the block declares.
    items: HashMap<(ScopeId, &'a str), u8>,
    /// `(block, name)` -> the inline module a block declares (its scope index).
    mods: HashMap<(ScopeId, &'a str), ScopeId>,
}

/// What [`import_slots`] gives: `(scope, name)` bindings and each scope's globs.
pub(crate) type ImportSlots<'a> = (
    HashMap<(ScopeId, &'a str), usize>,
    HashMap<ScopeId, Vec<usize>>,
);

/// The import index of one file's `use` leaves, given as `(scope, name, glob)` in order: the
/// `use` each `(scope, name)` binds to (the first `use` of that name in that scope that is not
/// a glob), and each scope's glob `use`s, in order. What the resolver reads of a file's `use`s
/// beyond their own resolution (`resolved::changes` compares two versions of a file by it).
pub(crate) fn import_slots<'a>(
    uses: impl IntoIterator<Item = (ScopeId, Option<&'a str>, bool)>,
) -> ImportSlots<'a> {
    let mut bindings = HashMap::new();
    let mut globs: HashMap<ScopeId, Vec<usize>> = HashMap::new();
    for (i, (scope, name, glob)) in uses.into_iter().enumerate() {
        if glob {
            globs.entry(scope).or_default().push(i);
        } else if let Some(name) = name {
            bindings.entry((scope, name)).or_insert(i);
        }
    }
    (bindings, globs)
}

/// What a name found in a scope is.
#[derive(Debug, Clone)]
pub(crate) enum Found<'r> {
    /// Bound by `use` `.1` of file `.0`.
    Use(FileId, usize, &'r Binding),
    /// A child module (the alternative chosen for the code asking).
    Module(ModId),
    /// An item the scope declares (of module `.0`; `None` for a block's).
    Item(Option<ModId>),
}

/// A glob import whose names ribo cannot list: the name may come from it. Glob `use` `.1` of
/// file `.0` (its path is spelt only when a verdict says so: most lookups that pass such a
/// glob find the name elsewhere).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Opaque {
    /// Of an external crate (or std).
    External(FileId, usize),
    /// Of something ribo cannot see into: a module a macro generates, a crate no manifest
    /// declares.
    Unknown(FileId, usize),
}

/// What a lookup in a scope and its globs gives.
pub(crate) enum Lookup<'r> {
    Found(Found<'r>),
    /// Through glob `use` `.1` of file `.0`.
    Glob(FileId, usize, Found<'r>),
    /// Nothing; the first glob that may hold the name though ribo cannot list it, if any.
    Nothing(Option<Opaque>),
}

impl Resolver<'_> {
    /// Why a name was not found: it may come from glob `opaque` (spelt as written), else it
    /// is not there.
    pub(crate) fn not_found(&self, name: &str, opaque: Option<Opaque>) -> Why {
        let path = |file: FileId, g: usize| self.facts(file).uses[g].path.display();
        match opaque {
            Some(Opaque::External(file, g)) => Why::ExternalGlob(path(file, g)),
            Some(Opaque::Unknown(file, g)) => Why::OpaqueGlob(path(file, g)),
            None => Why::NotFound(name.to_string()),
        }
    }

    /// The namespaces and privacy of `name` if module `m`'s scope declares it (an item or a
    /// `mod`; not a `macro_rules!`, which is in textual scope, not in the module).
    pub(crate) fn item(&self, m: ModId, name: &str) -> Option<u8> {
        // Asked for every module a path goes through, and for every name looked up through a
        // glob: a table per module, built once from the names of its scope.
        let table = self.items[m as usize].get_or_init(|| {
            let module = &self.g.modules[m as usize];
            let items = &self.g.files[module.file as usize].facts.items;
            items
                .in_scope(module.scope)
                .map(|(name, marks)| (name, marks & !ns::MACRO))
                .filter(|(_, marks)| marks & ns::ALL != 0)
                .collect()
        });
        table.get(name).copied()
    }

    /// The innermost module that holds both `a` and `b` (`None`: they are in different crates).
    pub(crate) fn common(&self, a: ModId, b: ModId) -> Option<ModId> {
        let mut x = Some(a);
        let mut steps = 0;
        while let Some(m) = x {
            if self.within(b, m) {
                return Some(m);
            }
            steps += 1;
            if steps > 4096 {
                return None;
            }
            x = self.g.modules[m as usize].parent;
        }
        None
    }

    /// Whether module `inner` is `outer` or inside it (what sees `outer`'s private names).
    pub(crate) fn within(&self, inner: ModId, outer: ModId) -> bool {
        let mut m = Some(inner);
        let mut steps = 0;
        while let Some(x) = m {
            if x == outer {
                return true;
            }
            steps += 1;
            if steps > 4096 {
                return false;
            }
            m = self.g.modules[x as usize].parent;
        }
        false
    }

    /// Looks `name` up (in namespaces `want`) from `scope` of `file`, as a path's first segment
    /// is: each scope from the innermost block out to the module, with its items, explicit
    /// imports and child modules, then its globs; `exclude`, a `use` being resolved, does not
    /// see itself. `test`: the code asking is test code (it may see test-only modules).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lexical(
        &self,
        file: FileId,
        scope: ScopeId,
        name: &str,
        want: u8,
        exclude: Option<usize>,
        test: bool,
        depth: u32,
    ) -> Lookup<'_> {
        let facts = self.facts(file);
        let index = self.index(file);
        let mut s = scope;
        let mut opaque = None;
        for _ in 0..=facts.blocks.len() {
            if let Some(u) = index.binding(s, name).filter(|u| Some(*u) != exclude) {
                let b = self.resolve_use(file, u, depth);
                if b.ns & want != 0 || matches!(b.res, Res::Unresolved(_)) {
                    return Lookup::Found(Found::Use(file, u, b));
                }
            }
            let module = if is_block(s) {
                let blocks = index.blocks();
                if blocks
                    .items
                    .get(&(s, name))
                    .is_some_and(|marks| marks & want != 0)
                {
                    if let Some(&inline) = blocks.mods.get(&(s, name)) {
                        let m = self.g.files[file as usize]
                            .scope_modules
                            .get(inline as usize);
                        if let (Some(&m), true) = (m, want & ns::TYPE != 0) {
                            return Lookup::Found(Found::Module(m));
                        }
                    }
                    return Lookup::Found(Found::Item(None));
                }
                None
            } else {
                let m = self.module_of(file, s);
                if want & ns::TYPE != 0 {
                    if let Some(child) = self.child(m, name, test, None) {
                        return Lookup::Found(Found::Module(child));
                    }
                }
                if self.item(m, name).is_some_and(|marks| marks & want != 0) {
                    return Lookup::Found(Found::Item(Some(m)));
                }
                Some(m)
            };
            let importer = module.unwrap_or_else(|| self.module_of(file, s));
            let globs = index
                .globs(s)
                .iter()
                .copied()
                .filter(|g| Some(*g) != exclude);
            match self.through_globs(file, globs, name, want, importer, test, depth) {
                Lookup::Nothing(o) => opaque = opaque.or(o),
                found => return found,
            }
            match (module, facts.parent_scope(s)) {
                (None, Some(parent)) => s = parent,
                _ => break,
            }
        }
        Lookup::Nothing(opaque)
    }

    /// The child module `name` of `m` that code asking (`test` code or not) reaches: the
    /// first `#[cfg]` alternative in declaration order that exists for it (test code prefers a
    /// test-only one, other code never reaches one), and, when `next` is given, that has a
    /// child of that name if one does.
    pub(crate) fn child(
        &self,
        m: ModId,
        name: &str,
        test: bool,
        next: Option<&str>,
    ) -> Option<ModId> {
        let first = *self.g.modules[m as usize].children.get(name)?;
        let modules = &self.g.modules;
        // The common case: one declaration, not test-only, or test code asking.
        let only = &modules[first as usize];
        if only.alt.is_none() {
            return (!only.test || test).then_some(first);
        }
        let alternatives = std::iter::successors(Some(first), |&a| modules[a as usize].alt);
        let fits = |a: ModId| {
            let module = &modules[a as usize];
            if test {
                !module.not_test
            } else {
                !module.test
            }
        };
        let mut best: Option<ModId> = None;
        let mut best_rank = u8::MAX;
        for a in alternatives.take(64) {
            if !fits(a) {
                continue;
            }
            let module = &modules[a as usize];
            let has_next = next.is_none_or(|n| module.children.contains_key(n));
            // Test code prefers a test-only alternative; any code one that goes on.
            let rank = u8::from(!has_next) * 2 + u8::from(test && !module.test);
            if rank < best_rank {
                best = Some(a);
                best_rank = rank;
            }
        }
        best.or(Some(first).filter(|_| !modules[first as usize].test || test))
    }

    /// Looks for `name` in the modules the glob `use`s `globs` of `file` import, as module
    /// `importer` sees them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn through_globs(
        &self,
        file: FileId,
        globs: impl IntoIterator<Item = usize>,
        name: &str,
        want: u8,
        importer: ModId,
        test: bool,
        depth: u32,
    ) -> Lookup<'_> {
        let mut visited = Vec::new();
        self.globs_in(
            file,
            globs,
            name,
            want,
            Some(importer),
            test,
            depth,
            &mut visited,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn globs_in(
        &self,
        file: FileId,
        globs: impl IntoIterator<Item = usize>,
        name: &str,
        want: u8,
        viewer: Option<ModId>,
        test: bool,
        depth: u32,
        visited: &mut Vec<ModId>,
    ) -> Lookup<'_> {
        let mut opaque = None;
        super::watch::reach(depth);
        if depth > MAX_DEPTH {
            super::watch::hit();
            return Lookup::Nothing(None);
        }
        for g in globs {
            let b = self.resolve_use(file, g, depth + 1);
            match &b.res {
                &Res::Module(gm) => {
                    if visited.contains(&gm) {
                        continue;
                    }
                    visited.push(gm);
                    // A glob imports what its own module sees: a name private to `gm` reaches
                    // the code asking only if every module on the way is inside `gm` too.
                    let here = self.module_of(file, self.facts(file).uses[g].scope);
                    let viewer = viewer.and_then(|v| self.common(v, here));
                    match self.offered(gm, name, want, viewer, test, depth + 1, visited) {
                        Lookup::Found(found) | Lookup::Glob(_, _, found) => {
                            return Lookup::Glob(file, g, found)
                        }
                        Lookup::Nothing(o) => opaque = opaque.or(o),
                    }
                }
                Res::External { .. } | Res::Std => {
                    opaque = opaque.or(Some(Opaque::External(file, g)));
                }
                Res::Beyond(_) | Res::Unresolved(_) => {
                    opaque = opaque.or(Some(Opaque::Unknown(file, g)));
                }
                // A glob of an enum (its variants), of a local item: no module.
                Res::Item(_) | Res::Local => {}
            }
        }
        Lookup::Nothing(opaque)
    }

    /// What module `m` offers as `name` (in namespaces `want`) to code in module `viewer`: a
    /// child module, an item, an import, or what its own globs offer; private names only when
    /// `viewer` is `m` or inside it (`None`: public names only). Through globs, `viewer` is
    /// the innermost module that holds the code asking and every glob's module on the way.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn offered(
        &self,
        m: ModId,
        name: &str,
        want: u8,
        viewer: Option<ModId>,
        test: bool,
        depth: u32,
        visited: &mut Vec<ModId>,
    ) -> Lookup<'_> {
        let inside = || viewer.is_some_and(|v| self.within(v, m));
        if want & ns::TYPE != 0 {
            if let Some(child) = self.child(m, name, test, None) {
                if self.g.modules[child as usize].public || inside() {
                    return Lookup::Found(Found::Module(child));
                }
            }
        }
        if let Some(marks) = self.item(m, name) {
            if marks & want != 0 && (marks & ns::PRIVATE == 0 || inside()) {
                return Lookup::Found(Found::Item(Some(m)));
            }
        }
        if want & ns::MACRO != 0 {
            if let Some(def) = self.exported_at_root(m, name) {
                return Lookup::Found(Found::Item(Some(def)));
            }
        }
        let module = &self.g.modules[m as usize];
        let (file, scope) = (module.file, module.scope);
        let index = self.index(file);
        let uses = &self.facts(file).uses;
        if let Some(u) = index.binding(scope, name) {
            if uses[u].public || inside() {
                let b = self.resolve_use(file, u, depth + 1);
                if b.ns & want != 0 || matches!(b.res, Res::Unresolved(_)) {
                    return Lookup::Found(Found::Use(file, u, b));
                }
            }
        }
        let see_private = inside();
        let globs = index
            .globs(scope)
            .iter()
            .copied()
            .filter(|&g| see_private || uses[g].public);
        self.globs_in(file, globs, name, want, viewer, test, depth, visited)
    }
}
