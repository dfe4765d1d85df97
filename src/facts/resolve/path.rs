//! Paths: where a path starts (`crate`, `self`, `super`, `::`, or its first segment looked up
//! in scope), how it goes on through modules (children, items, re-exports, globs), and what
//! the crates of a package may name (the extern prelude).

use std::sync::atomic::Ordering;

use foldhash::{HashMap, HashMapExt};

use super::scope::{Found, Lookup, Opaque, MAX_DEPTH};
use super::{watch, Binding, Extern, Res, Resolver, Why};
use crate::facts::model::cargo::{Edition, TargetKind};
use crate::facts::model::graph::{CrateId, FactGraph, FileId, ModId};
use crate::facts::model::items::ns;
use crate::facts::model::ScopeId;

/// Crates every Rust program can name without declaring them.
pub const STD_CRATES: [&str; 5] = ["std", "core", "alloc", "proc_macro", "test"];

/// Tool namespaces of attributes and lints (`#[allow(clippy::x)]`, `#[rustfmt::skip]`).
const TOOL_NAMESPACES: &[&str] = &[
    "clippy",
    "rustfmt",
    "rustdoc",
    "rustc",
    "diagnostic",
    "rust_analyzer",
    "miri",
];

/// Names in scope everywhere: the standard prelude's types, traits and variants (2015 to
/// 2024), and the primitive types.
pub(crate) const PRELUDE: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "Default",
    "Drop",
    "Eq",
    "PartialEq",
    "Ord",
    "PartialOrd",
    "Hash",
    "Debug",
    "Iterator",
    "IntoIterator",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "Extend",
    "FromIterator",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
    "Fn",
    "FnMut",
    "FnOnce",
    "AsyncFn",
    "AsyncFnMut",
    "AsyncFnOnce",
    "Future",
    "IntoFuture",
    "Send",
    "Sync",
    "Sized",
    "Unpin",
    "bool",
    "char",
    "str",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f16",
    "f32",
    "f64",
    "f128",
];

/// What is asked of a path: the namespaces of its last segment, whether it is a `use` path
/// (edition 2015 starts those at the crate root), whether the code asking is test code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ask {
    pub last: u8,
    pub is_use: bool,
    pub test: bool,
    /// The `use` being resolved (it does not see itself).
    pub exclude: Option<usize>,
    pub depth: u32,
}

impl Ask {
    /// A path in code: a type, an expression, a pattern... (its last segment may be in any
    /// namespace).
    pub fn path(test: bool) -> Ask {
        Ask {
            last: ns::ALL,
            is_use: false,
            test,
            exclude: None,
            depth: 0,
        }
    }

    /// A `use` path.
    pub fn use_path(test: bool) -> Ask {
        Ask {
            is_use: true,
            ..Ask::path(test)
        }
    }

    /// A macro invoked by path.
    pub fn macro_path(test: bool) -> Ask {
        Ask {
            last: ns::MACRO,
            ..Ask::path(test)
        }
    }
}

/// The extern prelude of crate `k`: dependency name -> what it is. A workspace member is
/// named by its library's name (`[lib] name`) unless the dependency renames it; the package's
/// own library is named by its name (what bins, tests and examples use).
pub(crate) fn extern_table(g: &FactGraph, k: CrateId) -> HashMap<String, Extern> {
    let lib_of = |pi: usize| {
        g.crates
            .iter()
            .position(|c| c.package == pi && c.kind == TargetKind::Lib)
            .map(|c| c as CrateId)
    };
    let c = &g.crates[k as usize];
    let mut t = HashMap::new();
    let pkg = &g.packages[c.package];
    for d in &pkg.dependencies {
        let member = g.packages.iter().position(|p| p.name == d.package);
        let lib = member.and_then(lib_of);
        let e = match lib {
            Some(lib) => Extern::Internal(lib),
            None => Extern::External {
                package: d.package.clone(),
                dev_only: d.kind == crate::facts::model::cargo::DepKind::Dev,
            },
        };
        // Not renamed: the code uses the library's own name.
        let renamed = d.is_renamed();
        let name = match lib {
            Some(lib) if !renamed => g.crates[lib as usize].name.clone(),
            _ => d.name.clone(),
        };
        t.insert(name, e);
    }
    if c.kind != TargetKind::Build {
        if let (Some(lib), Some(target)) = (lib_of(c.package), pkg.lib()) {
            t.entry(target.name.clone())
                .or_insert(Extern::Internal(lib));
        }
    }
    t
}

/// `-`, `_` and a `rust-`/`-rs` affix removed: how a library name is guessed from a package
/// name when they differ (`md-5` is `md5`, `rust-ini` is `ini`).
fn loose(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let trimmed = lower
        .strip_prefix("rust-")
        .or_else(|| lower.strip_prefix("rust_"))
        .unwrap_or(&lower);
    let trimmed = trimmed
        .strip_suffix("-rs")
        .or_else(|| trimmed.strip_suffix("_rs"))
        .unwrap_or(trimmed);
    trimmed.replace(['-', '_'], "")
}

impl Resolver<'_> {
    /// A crate name visible from module `m`: its extern prelude (dependencies, `extern crate`
    /// at its root, the package's library), std; else a declared registry dependency whose
    /// library name may be this name (see [`loose`]: the library name of a registry package
    /// is not in the repository; the rule is the same on every machine).
    pub(crate) fn extern_prelude(&self, m: ModId, name: &str, depth: u32) -> Option<Binding> {
        let k = self.crate_of(m)?;
        let found = |e: &Extern| match e {
            Extern::Internal(c) => Res::Module(self.g.crates[*c as usize].root_module),
            Extern::External { package, .. } => Res::External {
                name: name.into(),
                package: package.as_str().into(),
                declared: true,
            },
        };
        if let Some(e) = self.externs(k).get(name) {
            return Some(Binding::of(found(e)));
        }
        // `extern crate x as y;` at the crate root names `y` everywhere in the crate.
        let root = &self.g.crates[k as usize];
        if let Some(u) = self.index(root.root_file).binding(0, name) {
            if self.facts(root.root_file).uses[u].extern_crate {
                return Some(self.resolve_use(root.root_file, u, depth + 1).clone());
            }
        }
        if STD_CRATES.contains(&name) {
            return Some(Binding::of(Res::Std));
        }
        self.guess_library(m, name).map(Binding::of)
    }

    /// `extern crate name` (or `extern crate self`) in `scope` of `file`.
    pub(crate) fn extern_crate(&self, file: FileId, scope: ScopeId, path: &[&str]) -> Res {
        let Some(&name) = path.first() else {
            return Res::Unresolved(Why::Empty);
        };
        let m = self.module_of(file, scope);
        if name == "self" {
            return match self.crate_of(m) {
                Some(k) => Res::Module(self.g.crates[k as usize].root_module),
                None => Res::Unresolved(Why::NoCrate),
            };
        }
        let k = self.crate_of(m);
        if let Some(e) = k.and_then(|k| self.externs(k).get(name)) {
            return match e {
                Extern::Internal(c) => Res::Module(self.g.crates[*c as usize].root_module),
                Extern::External { package, .. } => Res::External {
                    name: name.into(),
                    package: package.as_str().into(),
                    declared: true,
                },
            };
        }
        if STD_CRATES.contains(&name) {
            return Res::Std;
        }
        self.guess_library(m, name)
            .unwrap_or_else(|| undeclared(name))
    }

    /// The declared registry dependency whose library `name` may be: the only one whose
    /// package name is `name` up to `-`, `_` and a `rust-`/`-rs` affix (see [`loose`]).
    fn guess_library(&self, m: ModId, name: &str) -> Option<Res> {
        let k = self.crate_of(m)?;
        let guesses = self.guesses[k as usize].get_or_init(|| {
            let mut by_loose: HashMap<String, Option<&str>> = HashMap::new();
            for e in self.externs(k).values() {
                if let Extern::External { package, .. } = e {
                    by_loose
                        .entry(loose(package))
                        .and_modify(|p| {
                            if *p != Some(package.as_str()) {
                                *p = None;
                            }
                        })
                        .or_insert(Some(package.as_str()));
                }
            }
            by_loose
                .into_iter()
                .filter_map(|(l, p)| Some((l, p?.to_string())))
                .collect()
        });
        guesses.get(&loose(name)).map(|package| Res::External {
            name: name.into(),
            package: package.as_str().into(),
            declared: true,
        })
    }

    /// The resolution of `use` `u` of `file`, memoised. (Called only from one thread until
    /// every `use` is memoised; after that, only read.)
    pub(crate) fn resolve_use(&self, file: FileId, u: usize, depth: u32) -> &Binding {
        /// What a `use` that leads back to itself (or too deep) binds.
        static CIRCULAR: Binding = Binding {
            res: Res::Unresolved(Why::Circular),
            ns: 0,
            through: None,
            macro_def: None,
            tainted: true,
            height: 0,
        };
        let memo = &self.memo[file as usize][u];
        if let Some(b) = memo.get() {
            // Read here, resolved elsewhere: as deep as if resolved here.
            let reach = depth + u32::from(b.height);
            watch::reach(reach);
            if b.tainted || reach > MAX_DEPTH {
                watch::hit();
            }
            return b;
        }
        watch::reach(depth);
        let in_progress = &self.in_progress[file as usize][u];
        if in_progress.load(Ordering::Relaxed) || depth > MAX_DEPTH {
            watch::hit();
            return &CIRCULAR;
        }
        in_progress.store(true, Ordering::Relaxed);
        let at = watch::enter(depth);
        let use_fact = &self.facts(file).uses[u];
        let test = self.g.files[file as usize].test || use_fact.test;
        let b = if use_fact.extern_crate {
            Binding::of(
                use_fact
                    .path
                    .with_slice(|p| self.extern_crate(file, use_fact.scope, p)),
            )
        } else {
            let ask = Ask {
                exclude: Some(u),
                depth: depth + 1,
                ..Ask::use_path(test)
            };
            let (b, _) = use_fact
                .path
                .with_slice(|p| self.resolve_path(file, use_fact.scope, p, ask));
            // A glob's path names the module whose names it imports; what it binds is not
            // one name.
            b
        };
        let (tainted, height) = watch::leave(depth, at);
        let b = Binding {
            tainted,
            height,
            ..b
        };
        in_progress.store(false, Ordering::Relaxed);
        memo.get_or_init(|| b)
    }

    /// Resolves `path` written in `scope` of `file`; also gives the `use` of the file that its
    /// first segment went through, if any.
    pub(crate) fn resolve_path(
        &self,
        file: FileId,
        scope: ScopeId,
        path: &[&str],
        ask: Ask,
    ) -> (Binding, Option<(FileId, usize)>) {
        let fail = |why| (Binding::of(Res::Unresolved(why)), None);
        watch::reach(ask.depth);
        if ask.depth > MAX_DEPTH {
            watch::hit();
            return fail(Why::Circular);
        }
        let Some(&first) = path.first() else {
            return fail(Why::Empty);
        };
        let m = self.module_of(file, scope);
        let krate = self.crate_of(m);
        let edition = krate.map_or(Edition::E2021, |k| self.g.crates[k as usize].edition);
        let root = krate.map(|k| self.g.crates[k as usize].root_module);
        let want_first = if path.len() > 1 { ns::TYPE } else { ask.last };
        let mut via = None;
        let mut through = None;
        let (start, rest): (ModId, &[&str]) = match first {
            "crate" | "$crate" => match root {
                Some(r) => (r, &path[1..]),
                None => return fail(Why::NoCrate),
            },
            "self" => (m, &path[1..]),
            "super" => {
                let mut c = m;
                let mut i = 0;
                while path.get(i).is_some_and(|s| *s == "super") {
                    match self.g.modules[c as usize].parent {
                        Some(p) => c = p,
                        None => return fail(Why::AboveRoot),
                    }
                    i += 1;
                }
                (c, &path[i..])
            }
            "::" if edition == Edition::E2015 => match root {
                Some(r) => return self.at_root(r, &path[1..], m, ask),
                None => return fail(Why::NoCrate),
            },
            "::" => {
                let Some(&name) = path.get(1) else {
                    return fail(Why::Empty);
                };
                let b = self
                    .extern_prelude(m, name, ask.depth)
                    .unwrap_or_else(|| Binding::of(undeclared(name)));
                match b.res {
                    Res::Module(r) => (r, &path[2..]),
                    _ => return (b, None),
                }
            }
            _ if edition == Edition::E2015 && ask.is_use => match root {
                Some(r) => return self.at_root(r, path, m, ask),
                None => return fail(Why::NoCrate),
            },
            name => {
                let found = self.lexical(
                    file,
                    scope,
                    name,
                    want_first,
                    ask.exclude,
                    ask.test,
                    ask.depth,
                );
                let found = match found {
                    Lookup::Found(f) => f,
                    Lookup::Glob(gf, g, f) => {
                        via = Some((gf, g));
                        f
                    }
                    Lookup::Nothing(opaque) => {
                        let b = self.outside_scope(m, name, want_first, opaque, ask);
                        match b.res {
                            // A crate of the workspace: the path goes on in it.
                            Res::Module(r) => {
                                let (mut b, through) = self.walk(r, &path[1..], m, ask);
                                b.through = through;
                                return (b, None);
                            }
                            _ => return (b, None),
                        }
                    }
                };
                match found {
                    Found::Use(uf, u, b) => {
                        via = via.or(Some((uf, u)));
                        through = b.through.or((uf != file).then_some(uf));
                        match b.res {
                            Res::Module(x) if path.len() > 1 => (x, &path[1..]),
                            _ => {
                                return (
                                    Binding {
                                        through,
                                        ..b.clone()
                                    },
                                    via,
                                )
                            }
                        }
                    }
                    Found::Module(child) => (child, &path[1..]),
                    Found::Item(Some(owner)) if owner != m => {
                        // An item reached through a glob: it names the glob's module.
                        let b = Binding::at(Res::Item(owner), want_first);
                        return (b, via);
                    }
                    Found::Item(_) => {
                        let b = Binding::at(Res::Local, ns::ALL);
                        return (b, via);
                    }
                }
            }
        };
        let (mut b, t) = self.walk(start, rest, m, ask);
        b.through = through.or(t);
        (b, via)
    }

    /// The rest of a path whose start names no scope's name: the extern prelude, std's
    /// prelude and tools, `#[macro_use]` crates; else unresolved.
    fn outside_scope(
        &self,
        m: ModId,
        name: &str,
        want: u8,
        opaque: Option<Opaque>,
        ask: Ask,
    ) -> Binding {
        if want & ns::TYPE != 0 || ask.is_use {
            if let Some(b) = self.extern_prelude(m, name, ask.depth) {
                return b;
            }
        }
        if PRELUDE.contains(&name) || TOOL_NAMESPACES.contains(&name) {
            return Binding::of(Res::Std);
        }
        if want & ns::MACRO != 0 {
            if let Some(res) = self.macro_prelude(m, name) {
                return Binding::of(res);
            }
        }
        Binding::of(Res::Unresolved(self.not_found(name, opaque)))
    }

    /// A path from the crate root `root` (edition 2015 `use` paths, and `::` paths there):
    /// its first segment is a name of the root's scope (an `extern crate` there, a module, an
    /// item...); else a crate of the extern prelude (`std` and `core` are injected at the root
    /// of a 2015 crate; other crates need `extern crate`, but ribo is lenient there).
    fn at_root(
        &self,
        root: ModId,
        path: &[&str],
        m: ModId,
        ask: Ask,
    ) -> (Binding, Option<(FileId, usize)>) {
        let Some(&first) = path.first() else {
            return (Binding::of(Res::Module(root)), None);
        };
        let next = path.get(1).copied();
        let want = if path.len() > 1 { ns::TYPE } else { ask.last };
        let mut visited = Vec::new();
        let in_root = self.child(root, first, ask.test, next).is_some()
            || !matches!(
                self.offered(
                    root,
                    first,
                    want,
                    Some(m),
                    ask.test,
                    ask.depth,
                    &mut visited
                ),
                Lookup::Nothing(_)
            );
        if in_root {
            let (mut b, through) = self.walk(root, path, m, ask);
            b.through = through;
            return (b, None);
        }
        match self.extern_prelude(m, first, ask.depth) {
            Some(b) => match b.res {
                Res::Module(r) => {
                    let (mut b, through) = self.walk(r, &path[1..], m, ask);
                    b.through = through;
                    (b, None)
                }
                _ => (b, None),
            },
            None => (
                Binding::of(Res::Unresolved(Why::NotFound(first.to_string()))),
                None,
            ),
        }
    }

    /// Goes down `rest` from module `cur` (segments looked up as [`Resolver::offered`] says,
    /// to code in module `from`); gives what the path names and the first file whose `use` it
    /// went through.
    fn walk(
        &self,
        mut cur: ModId,
        rest: &[&str],
        from: ModId,
        ask: Ask,
    ) -> (Binding, Option<FileId>) {
        let mut through = None;
        let mut depth = ask.depth;
        for i in 0..rest.len() {
            depth += 1;
            if depth > MAX_DEPTH * 4 {
                watch::hit();
                // Nested too deep: what was reached.
                return (Binding::at(Res::Item(cur), ns::ALL), through);
            }
            let sub = Ask { depth, ..ask };
            match self.step(cur, rest[i], rest, i, from, sub) {
                Step::Module(next, t, last) => {
                    through = through.or(t);
                    cur = next;
                    if i + 1 == rest.len() {
                        let b = last.unwrap_or_else(|| Binding::of(Res::Module(next)));
                        return (b, through);
                    }
                }
                Step::Done(b, t) => return (b, through.or(t)),
            }
        }
        (Binding::of(Res::Module(cur)), through)
    }

    /// One segment `seg` (index `i` of `rest`) looked up in module `cur`.
    fn step(&self, cur: ModId, seg: &str, rest: &[&str], i: usize, from: ModId, ask: Ask) -> Step {
        let last = i + 1 == rest.len();
        let want = if last { ask.last } else { ns::TYPE };
        let next = rest.get(i + 1).copied();
        // A child module first (the alternative that goes on, for the code asking).
        if want & ns::TYPE != 0 {
            if let Some(child) = self.child(cur, seg, ask.test, next) {
                // The last segment may name a macro too (`use tracing::span;`: the module and
                // the `#[macro_export]` macro `span!`).
                let also = (last && want & ns::MACRO != 0)
                    .then(|| self.macro_in(cur, seg, ask))
                    .flatten();
                let binding = also.map(|def| Binding {
                    ns: ns::TYPE | ns::MACRO,
                    macro_def: Some(def),
                    ..Binding::of(Res::Module(child))
                });
                return Step::Module(child, None, binding);
            }
        }
        let mut visited = Vec::new();
        let found = self.offered(
            cur,
            seg,
            want,
            Some(from),
            ask.test,
            ask.depth,
            &mut visited,
        );
        let (found, glob_file) = match found {
            Lookup::Found(f) => (f, None),
            Lookup::Glob(gf, _, f) => (f, Some(gf)),
            // A name ribo does not know there (generated by a macro?): the path names `cur`.
            Lookup::Nothing(_) => return Step::Done(Binding::at(Res::Beyond(cur), want), None),
        };
        match found {
            Found::Module(child) => Step::Module(child, glob_file, None),
            Found::Item(owner) => Step::Done(
                Binding::at(Res::Item(owner.unwrap_or(cur)), want),
                glob_file,
            ),
            Found::Use(uf, _, b) => {
                let t = glob_file.or(b.through).or(Some(uf));
                match b.res {
                    Res::Module(x) => Step::Module(x, t, last.then(|| b.clone())),
                    // An import of a name of its own module's scope.
                    Res::Local => Step::Done(Binding::at(Res::Item(cur), want), t),
                    Res::Unresolved(_) => Step::Done(Binding::at(Res::Beyond(cur), want), t),
                    _ => Step::Done(
                        Binding {
                            through: None,
                            ..b.clone()
                        },
                        t,
                    ),
                }
            }
        }
    }

    /// The module defining the macro `seg` that module `cur` offers besides its child module
    /// of that name (its `#[macro_export]` ones at a crate root, one it imports by name; not
    /// through its globs), if any.
    fn macro_in(&self, cur: ModId, seg: &str, ask: Ask) -> Option<ModId> {
        if let Some(def) = self.exported_at_root(cur, seg) {
            return Some(def);
        }
        let module = &self.g.modules[cur as usize];
        let u = self.index(module.file).binding(module.scope, seg)?;
        let b = self.resolve_use(module.file, u, ask.depth + 1);
        if b.ns & ns::MACRO == 0 {
            return None;
        }
        b.macro_def.or_else(|| super::target(&b.res))
    }
}

/// One step of a path through the module tree.
enum Step {
    /// Into a module (through the file of a `use` followed, if one was); at the last segment,
    /// what the path binds when that is more than the module.
    Module(ModId, Option<FileId>, Option<Binding>),
    /// The path ends here (what it names, through the file of a `use` followed).
    Done(Binding, Option<FileId>),
}

/// An external crate no manifest declares.
pub(crate) fn undeclared(name: &str) -> Res {
    Res::External {
        name: name.into(),
        package: name.into(),
        declared: false,
    }
}

#[cfg(test)]
mod tests {
    use super::loose;

    #[test]
    fn library_names_guessed_from_package_names() {
        assert_eq!(loose("md-5"), loose("md5"));
        assert_eq!(loose("rust-ini"), loose("ini"));
        assert_eq!(loose("serde_json"), loose("serde-json"));
        assert_ne!(loose("md-5"), loose("md4"));
    }
}
