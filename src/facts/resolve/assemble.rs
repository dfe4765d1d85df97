//! Assembling the fact graph without a snapshot: every file's facts, every crate's module tree,
//! then every path resolved, in two passes (see [`resolve_all`]); and the steps of that
//! assembly that `incremental`'s reuse of an earlier run's resolution is made of.

// foldhash, not SipHash: resolution hashes millions of short names and spans, and SipHash was
// 7% of a one-file check (docs/performance.md).
use foldhash::{HashSet, HashSetExt};
use std::path::PathBuf;

use super::{Binding, Memo, Res, Resolved, Resolver};
use crate::facts::model::cargo::Package;
use crate::facts::model::graph::{
    CacheReport, Edge, ExternalUse, FactGraph, FileId, SourceFile, Unresolved, UseTarget,
};
use crate::facts::model::{par, FileFacts, RefFact, Warning};
use crate::facts::rust::parse::Parsed;

/// Builds modules, crates and resolves every reference.
pub fn assemble(
    root: PathBuf,
    rust_files: Vec<String>,
    parsed: Vec<Parsed>,
    packages: Vec<Package>,
    warnings: Vec<Warning>,
    threads: usize,
) -> FactGraph {
    let mut g = modules(root, rust_files, parsed, packages, warnings, threads);
    resolve_all(&mut g);
    finish(&mut g);
    g
}

/// The graph of `rust_files` (their facts as `parsed`; a warning for each file that was not
/// fully read), with every crate's module tree; nothing resolved yet.
pub(crate) fn modules(
    root: PathBuf,
    rust_files: Vec<String>,
    parsed: Vec<Parsed>,
    packages: Vec<Package>,
    mut warnings: Vec<Warning>,
    threads: usize,
) -> FactGraph {
    let mut files = Vec::with_capacity(rust_files.len());
    for (path, p) in rust_files.into_iter().zip(parsed) {
        let (facts, ok, query_hits) = match p {
            Parsed::Ok {
                facts,
                not_utf8,
                hits,
                queries_incomplete,
                ..
            } => {
                warnings.extend(parse_warnings(&path, &facts, not_utf8, queries_incomplete));
                (*facts, true, hits)
            }
            Parsed::Failed(message) => {
                warnings.push(Warning::new(&path, message));
                (FileFacts::default(), false, Vec::new())
            }
        };
        files.push(SourceFile {
            path,
            krate: None,
            module: None,
            in_tree: false,
            test: false,
            parsed: ok,
            facts,
            scope_modules: Vec::new(),
            query_hits,
            use_targets: Vec::new(),
        });
    }
    let mut g = FactGraph {
        root,
        files,
        packages,
        crates: Vec::new(),
        modules: Vec::new(),
        edges: Vec::new(),
        external_uses: Vec::new(),
        unresolved: Vec::new(),
        warnings,
        cache: CacheReport::default(),
        threads,
        lean_refs: None,
        overlay: None,
    };
    super::trees::build(&mut g);
    g
}

/// The warnings about a file the parse gives (`not_utf8`, `queries_incomplete` as
/// [`Parsed::Ok`] says).
pub(crate) fn parse_warnings(
    path: &str,
    facts: &FileFacts,
    not_utf8: bool,
    queries_incomplete: bool,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if queries_incomplete {
        warnings.push(Warning::new(
            path,
            format!(
                "{QUERY_GAVE_UP} (over its work budget, as on very deeply nested code): not \
                 fully checked"
            ),
        ));
    }
    if not_utf8 {
        warnings.push(Warning::new(path, NOT_UTF8));
    }
    if facts.syntax_error_count > 0 {
        warnings.push(syntax_warning(path, facts));
    }
    warnings
}

/// Whether `message` is one of the warnings about a file that its own parse and the
/// resolution of its own paths give ([`parse_warnings`], [`unchecked_of`]): made again from
/// the file's facts and paths alone.
pub(crate) fn of_the_file_alone(message: &str) -> bool {
    message.starts_with(QUERY_GAVE_UP)
        || message == NOT_UTF8
        || (message.starts_with("has ") && message.contains(" syntax error(s)"))
        || message.ends_with(UNCHECKED_TAIL)
}

const QUERY_GAVE_UP: &str = "a `query:` invariant gave up on this file";
const NOT_UTF8: &str = "is not valid UTF-8: checked as far as it could be parsed";
const UNCHECKED_TAIL: &str = "; its dependency is not checked";

/// The warnings of a resolved graph added (see [`unchecked_warnings`]), then all of its
/// warnings sorted, each once.
pub(crate) fn finish(g: &mut FactGraph) {
    unchecked_warnings(g);
    g.warnings.sort();
    g.warnings.dedup();
}

/// One warning per file and name for the paths that may cross a boundary unseen (see
/// [`Unresolved::unchecked`]).
fn unchecked_warnings(g: &mut FactGraph) {
    let out = unchecked_of(&g.files, &g.unresolved);
    g.warnings.extend(out);
}

/// The warnings of [`unchecked_warnings`] for the paths `unresolved` (of `files`).
pub(crate) fn unchecked_of(files: &[SourceFile], unresolved: &[Unresolved]) -> Vec<Warning> {
    let mut seen: HashSet<(FileId, &str)> = HashSet::new();
    let mut out = Vec::new();
    for u in unresolved {
        let Some(key) = &u.unchecked else { continue };
        if seen.insert((u.file, key.as_str())) {
            let file = &files[u.file as usize].path;
            out.push(Warning::new(
                file,
                format!(
                    "`{}` (line {}) cannot be resolved: {}{UNCHECKED_TAIL}",
                    u.path, u.span.line, u.reason
                ),
            ));
        }
    }
    out
}

fn syntax_warning(path: &str, facts: &FileFacts) -> Warning {
    let at = facts
        .syntax_errors
        .first()
        .map(|s| format!(" (first at {}:{})", s.line, s.col))
        .unwrap_or_default();
    Warning::new(
        path,
        format!(
            "has {} syntax error(s){at}: facts were extracted from the rest of the file",
            facts.syntax_error_count
        ),
    )
}

/// Resolves every reference in two passes: every `use` of every file first, in file order, on
/// one thread (a `use` may follow others, in any file, and the memo of their resolutions,
/// cycles included, must not depend on thread timing); then every other path, file by file
/// in parallel, against that memo, now only read. Gives the memo.
pub(crate) fn resolve_all(g: &mut FactGraph) -> Memo {
    let resolvable = resolvable(g);
    let r = Resolver::new(g);
    r.first_pass(&resolvable);
    let reusable = vec![false; g.files.len()];
    let per_file = resolve_files(g, &r, &resolvable, &reusable, &[]);
    let memo = r.into_memo();
    set_use_targets(g, &resolvable, &memo);
    let (edges, external, unresolved) = gather(per_file);
    g.edges = edges;
    g.external_uses = external;
    g.unresolved = unresolved;
    memo
}

/// Which files' paths can be resolved (same index): those a module tree places.
pub(crate) fn resolvable(g: &FactGraph) -> Vec<bool> {
    g.files
        .iter()
        .map(|f| !f.scope_modules.is_empty())
        .collect()
}

/// The second pass: the paths of every file that is `resolvable` and not `reusable` (same
/// index), resolved by `r` (its first pass done), file by file in parallel; a file's
/// references are `loaded[fid]` when given (read for a file read without them), else its
/// facts'. Every other file's result is empty.
pub(crate) fn resolve_files(
    g: &FactGraph,
    r: &Resolver<'_>,
    resolvable: &[bool],
    reusable: &[bool],
    loaded: &[Option<Vec<RefFact>>],
) -> Vec<Resolved> {
    par::map(g.files.len(), g.threads, |fid| {
        let mut out = Resolved::default();
        if resolvable[fid] && !reusable[fid] {
            let refs = match loaded.get(fid) {
                Some(Some(refs)) => refs,
                _ => &g.files[fid].facts.refs,
            };
            r.resolve_file(fid as FileId, refs, &mut out);
            // Kept until every file is done and `gather` copies them into one list: their
            // growth slack would be the peak's (massif, cold check of the large corpus).
            out.edges.shrink_to_fit();
            out.external.shrink_to_fit();
            out.unresolved.shrink_to_fit();
        }
        out
    })
}

/// Gives every `resolvable` file (same index) what each of its `use`s resolved to, by `memo`,
/// as rules see it.
pub(crate) fn set_use_targets(g: &mut FactGraph, resolvable: &[bool], memo: &Memo) {
    for (fid, f) in g.files.iter_mut().enumerate() {
        if resolvable[fid] {
            f.use_targets = memo[fid].iter().map(use_target).collect();
        }
    }
}

/// Every file's results, in file order: its edges, external uses and unresolved paths.
pub(crate) fn gather(per_file: Vec<Resolved>) -> (Vec<Edge>, Vec<ExternalUse>, Vec<Unresolved>) {
    let total = |n: fn(&Resolved) -> usize| per_file.iter().map(n).sum::<usize>();
    let mut edges = Vec::with_capacity(total(|r| r.edges.len()));
    let mut external = Vec::with_capacity(total(|r| r.external.len()));
    let mut unresolved = Vec::with_capacity(total(|r| r.unresolved.len()));
    for mut done in per_file {
        edges.append(&mut done.edges);
        external.append(&mut done.external);
        unresolved.append(&mut done.unresolved);
    }
    (edges, external, unresolved)
}

/// What a `use` leaf resolved to, as rules see it.
pub(crate) fn use_target(b: &Option<Binding>) -> UseTarget {
    match b.as_ref().map(|b| &b.res) {
        Some(Res::Module(m) | Res::Item(m) | Res::Beyond(m)) => UseTarget::Module(*m),
        Some(Res::External { .. } | Res::Std) => UseTarget::External,
        Some(Res::Local | Res::Unresolved(_)) | None => UseTarget::Other,
    }
}
