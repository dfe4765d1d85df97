//! Macros invoked by their bare name (`name!`), as the reference's "Macros by example" scopes
//! them: textual scope first (a `macro_rules!` is in scope after its definition, to the end
//! of the module that holds it, in the modules declared there after it, and after a
//! `#[macro_use]` module that holds it), then path-based scope (`use`d macros, and at the
//! crate root its `#[macro_export]` ones), then `#[macro_use] extern crate`, then the standard
//! prelude's macros.

use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt};

use super::scope::{Found, Lookup};
use super::{Res, Resolver, Why};
use crate::facts::model::graph::{FileId, ModId};
use crate::facts::model::items::ns;
use crate::facts::model::{RefFact, ScopeId};

/// The macros of the standard prelude (`std`'s `#[macro_export]` macros).
const STD_MACROS: &[&str] = &[
    "asm",
    "assert",
    "assert_eq",
    "assert_ne",
    "cfg",
    "column",
    "compile_error",
    "concat",
    "concat_idents",
    "const_format_args",
    "dbg",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "env",
    "eprint",
    "eprintln",
    "file",
    "format",
    "format_args",
    "format_args_nl",
    "global_asm",
    "include",
    "include_bytes",
    "include_str",
    "is_aarch64_feature_detected",
    "is_arm_feature_detected",
    "is_loongarch_feature_detected",
    "is_mips64_feature_detected",
    "is_mips_feature_detected",
    "is_powerpc64_feature_detected",
    "is_powerpc_feature_detected",
    "is_riscv_feature_detected",
    "is_x86_feature_detected",
    "line",
    "log_syntax",
    "matches",
    "module_path",
    "naked_asm",
    "option_env",
    "panic",
    "print",
    "println",
    "stringify",
    "thread_local",
    "todo",
    "trace_macros",
    "try",
    "unimplemented",
    "unreachable",
    "vec",
    "write",
    "writeln",
];

/// How deep module trees are followed for textual scope (a bound on adversarial input).
const MAX_NESTING: u32 = 256;

impl<'a> Resolver<'a> {
    /// A macro invoked by its bare name in `scope` of `file`, at byte `at` (reference `r`);
    /// also gives the `use` of the file it was found through, if any.
    pub(crate) fn bare_macro(
        &self,
        file: FileId,
        scope: ScopeId,
        at: u32,
        r: &RefFact,
        test: bool,
    ) -> (Res, Option<(FileId, usize)>) {
        let Some(name) = r.path.first() else {
            return (Res::Unresolved(Why::Empty), None);
        };
        let m = self.module_of(file, scope);
        if let Some(def) = self.textual(file, scope, at, name) {
            return (if def == m { Res::Local } else { Res::Item(def) }, None);
        }
        let (found, via) = match self.lexical(file, scope, name, ns::MACRO, None, test, 0) {
            Lookup::Found(found) => (Ok(found), None),
            Lookup::Glob(gf, g, found) => (Ok(found), Some((gf, g))),
            Lookup::Nothing(o) => (Err(o), None),
        };
        let opaque = match found {
            Ok(Found::Use(uf, u, b)) => {
                let res = match (b.macro_def, &b.res) {
                    (Some(def), _) | (None, &Res::Module(def)) => Res::Item(def),
                    (None, res) => res.clone(),
                };
                return (res, via.or(Some((uf, u))));
            }
            Ok(Found::Module(x)) => return (Res::Item(x), via),
            Ok(Found::Item(Some(x))) if x != m => return (Res::Item(x), via),
            Ok(Found::Item(_)) => return (Res::Local, via),
            Err(o) => o,
        };
        if let Some(def) = self.exported_at_root(m, name) {
            return (if def == m { Res::Local } else { Res::Item(def) }, None);
        }
        if STD_MACROS.contains(&name) {
            return (Res::Std, None);
        }
        let res = match (self.macro_prelude(m, name), opaque) {
            (Some(res), _) => res,
            (None, opaque) => Res::Unresolved(self.not_found(name, opaque)),
        };
        (res, None)
    }

    /// The module defining the `#[macro_export]` macro `name` of the crate whose root is `m`
    /// (`None` when `m` is not a crate root).
    pub(crate) fn exported_at_root(&self, m: ModId, name: &str) -> Option<ModId> {
        let module = &self.g.modules[m as usize];
        let k = module.krate?;
        if module.parent.is_some() || self.g.crates[k as usize].root_module != m {
            return None;
        }
        let exports = self.exports[k as usize].get_or_init(|| {
            let mut out = HashMap::new();
            for (fid, f) in self.g.files.iter().enumerate() {
                if f.krate != Some(k) {
                    continue;
                }
                for d in f.facts.macro_defs.iter().filter(|d| d.export) {
                    out.entry(d.name.as_str())
                        .or_insert_with(|| self.module_of(fid as FileId, d.scope));
                }
            }
            out
        });
        exports.get(name).copied()
    }

    /// What `#[macro_use] extern crate` brings for `name` in the crate of `m`: the crate, when
    /// exactly one is so imported (which of several exports the macro cannot be told).
    pub(crate) fn macro_prelude(&self, m: ModId, name: &str) -> Option<Res> {
        let k = self.crate_of(m)?;
        let crates = self.macro_prelude[k as usize].get_or_init(|| {
            let mut out = Vec::new();
            for (fid, f) in self.g.files.iter().enumerate() {
                if f.krate != Some(k) {
                    continue;
                }
                for u in f
                    .facts
                    .uses
                    .iter()
                    .filter(|u| u.macro_use && u.extern_crate)
                {
                    let res = u
                        .path
                        .with_slice(|p| self.extern_crate(fid as FileId, u.scope, p));
                    if !out.contains(&res) {
                        out.push(res);
                    }
                }
            }
            out
        });
        match crates.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [first, ..] => Some(match first {
                Res::External { name: c, .. } => Res::Unresolved(Why::ExternalGlob(format!(
                    "{c} (or another `#[macro_use] extern crate`) for `{name}!`"
                ))),
                other => other.clone(),
            }),
        }
    }

    /// The module defining the `macro_rules!` named `name` in textual scope at byte `at` of
    /// `scope` of `file`.
    fn textual(&self, file: FileId, scope: ScopeId, at: u32, name: &str) -> Option<ModId> {
        if let Some(m) = self.textual_in_file(file, scope, at, name) {
            return Some(m);
        }
        let fm = self.g.files[file as usize].module?;
        self.entry_macros(fm, 0).get(name).copied()
    }

    /// The macros in textual scope at the start of module `m`'s file (what the file that
    /// declares it has in scope at the declaration).
    fn entry_macros(&self, m: ModId, nesting: u32) -> &HashMap<&'a str, ModId> {
        static EMPTY: OnceLock<HashMap<&'static str, ModId>> = OnceLock::new();
        let empty = || EMPTY.get_or_init(HashMap::new);
        let module = &self.g.modules[m as usize];
        let (Some(parent), Some(at)) = (module.parent, module.decl_at) else {
            return empty();
        };
        if nesting > MAX_NESTING {
            return empty();
        }
        self.entry[m as usize].get_or_init(|| {
            let parent_file = self.g.modules[parent as usize].file;
            let mut set = match self.g.files[parent_file as usize].module {
                Some(pm) => self.entry_macros(pm, nesting + 1).clone(),
                None => HashMap::new(),
            };
            for (name, def) in self.visible_in_file(parent_file, module.decl_scope, at) {
                set.insert(name, def);
            }
            set
        })
    }

    /// Every macro in textual scope at byte `at` of `scope` of `file` from this file alone,
    /// in the order they come into scope (a later one shadows an earlier one).
    fn visible_in_file(&self, file: FileId, scope: ScopeId, at: u32) -> Vec<(&'a str, ModId)> {
        let facts = self.facts(file);
        let chain = self.scope_chain(file, scope);
        let mut found: Vec<(u32, &'a str, ModId)> = Vec::new();
        for d in &facts.macro_defs {
            if d.span.end <= at && chain.contains(&d.scope) {
                found.push((d.span.end, d.name.as_str(), self.module_of(file, d.scope)));
            }
        }
        for (end, child) in self.macro_use_children(file, &chain, at) {
            for (&name, &def) in self.macro_use_exports(child, 0) {
                found.push((end, name, def));
            }
        }
        found.sort_by_key(|(end, _, _)| *end);
        found.into_iter().map(|(_, n, d)| (n, d)).collect()
    }

    /// The last macro named `name` to come into textual scope at byte `at` of `scope` of
    /// `file`, from this file alone.
    fn textual_in_file(&self, file: FileId, scope: ScopeId, at: u32, name: &str) -> Option<ModId> {
        let facts = self.facts(file);
        if facts.macro_defs.is_empty()
            && !facts.mods.iter().any(|d| d.macro_use)
            && !facts.scopes.iter().any(|s| s.macro_use)
        {
            return None;
        }
        let chain = self.scope_chain(file, scope);
        let mut best: Option<(u32, ModId)> = None;
        for d in &facts.macro_defs {
            if d.name == name && d.span.end <= at && chain.contains(&d.scope) {
                best = Some((d.span.end, self.module_of(file, d.scope)));
            }
        }
        for (end, child) in self.macro_use_children(file, &chain, at) {
            if best.is_some_and(|(b, _)| b > end) {
                continue;
            }
            if let Some(&def) = self.macro_use_exports(child, 0).get(name) {
                best = Some((end, def));
            }
        }
        best.map(|(_, m)| m)
    }

    /// `scope` and the scopes around it in its file, innermost first.
    fn scope_chain(&self, file: FileId, scope: ScopeId) -> Vec<ScopeId> {
        let facts = self.facts(file);
        let mut chain = vec![scope];
        let mut s = scope;
        while let Some(p) = facts.parent_scope(s) {
            if chain.len() > facts.scopes.len() + facts.blocks.len() {
                break;
            }
            chain.push(p);
            s = p;
        }
        chain
    }

    /// The `#[macro_use]` modules declared in the scopes `chain` of `file` that end before byte
    /// `at`, with where they end.
    fn macro_use_children(&self, file: FileId, chain: &[ScopeId], at: u32) -> Vec<(u32, ModId)> {
        let f = &self.g.files[file as usize];
        let mut out = Vec::new();
        for (i, s) in f.facts.scopes.iter().enumerate() {
            let inside = s.parent.is_some_and(|p| chain.contains(&p));
            if s.macro_use && inside && s.span.end <= at {
                if let Some(&m) = f.scope_modules.get(i) {
                    out.push((s.span.end, m));
                }
            }
        }
        for d in f.facts.mods.iter().filter(|d| d.macro_use) {
            if d.span.end > at || !chain.contains(&d.scope) {
                continue;
            }
            let parent = self.module_of(file, d.scope);
            for m in self.declared(parent, &d.name, d.span.start) {
                out.push((d.span.end, m));
            }
        }
        out
    }

    /// The modules a `mod name;` at byte `at` declares in `parent` (each alternative).
    fn declared(&self, parent: ModId, name: &str, at: u32) -> Vec<ModId> {
        let modules = &self.g.modules;
        let Some(&first) = modules[parent as usize].children.get(name) else {
            return Vec::new();
        };
        std::iter::successors(Some(first), |&a| modules[a as usize].alt)
            .take(64)
            .filter(|&a| modules[a as usize].decl_at == Some(at))
            .collect()
    }

    /// The macros a `#[macro_use]` on module `m` keeps in scope after it: those defined in its
    /// scope, and those its own `#[macro_use]` modules keep.
    fn macro_use_exports(&self, m: ModId, nesting: u32) -> &HashMap<&'a str, ModId> {
        static EMPTY: OnceLock<HashMap<&'static str, ModId>> = OnceLock::new();
        if nesting > MAX_NESTING {
            return EMPTY.get_or_init(HashMap::new);
        }
        self.macro_use[m as usize].get_or_init(|| {
            let module = &self.g.modules[m as usize];
            let (file, scope) = (module.file, module.scope);
            let facts = self.facts(file);
            let mut found: Vec<(u32, &'a str, ModId)> = Vec::new();
            for d in facts.macro_defs.iter().filter(|d| d.scope == scope) {
                found.push((d.span.end, d.name.as_str(), m));
            }
            for (end, child) in self.macro_use_children(file, &[scope], u32::MAX) {
                // Only modules declared here (a `#[path]` loop links a module elsewhere).
                if self.g.modules[child as usize].parent != Some(m) {
                    continue;
                }
                for (&name, &def) in self.macro_use_exports(child, nesting + 1) {
                    found.push((end, name, def));
                }
            }
            found.sort_by_key(|(end, _, _)| *end);
            found.into_iter().map(|(_, n, d)| (n, d)).collect()
        })
    }
}
