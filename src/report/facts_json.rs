//! `ribo facts --format json`: the fact graph as ribo saw it, with file paths and module
//! paths instead of internal ids, sorted, so a person or a script can read it.

use std::io::{self, Write};

use serde::Serialize;

use crate::facts::cargo::{Package, TargetKind};
use crate::facts::model::{RefKind, Span};
use crate::facts::FactGraph;

/// Version of the facts JSON format.
pub const FACTS_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Facts<'a> {
    version: u32,
    packages: &'a [Package],
    crates: Vec<CrateOut<'a>>,
    files: Vec<FileOut<'a>>,
    modules: Vec<ModuleOut<'a>>,
    edges: Vec<EdgeOut<'a>>,
    external_uses: Vec<ExternalOut<'a>>,
    unresolved: Vec<UnresolvedOut<'a>>,
    pub_items: Vec<PubItemOut<'a>>,
    env_reads: Vec<EnvReadOut<'a>>,
    warnings: &'a [crate::facts::Warning],
}

#[derive(Serialize)]
struct PubItemOut<'a> {
    module: String,
    name: String,
    header: String,
    file: &'a str,
    line: u32,
    /// Re-exported with `pub use` from another module.
    reexport: bool,
}

#[derive(Serialize)]
struct EnvReadOut<'a> {
    file: &'a str,
    line: u32,
    col: u32,
    /// `null` when the name is computed: never guessed.
    name: Option<String>,
    via: String,
    test: bool,
}

#[derive(Serialize)]
struct CrateOut<'a> {
    name: &'a str,
    kind: TargetKind,
    package: &'a str,
    root: &'a str,
}

#[derive(Serialize)]
struct FileOut<'a> {
    path: &'a str,
    module: Option<String>,
    in_module_tree: bool,
    test: bool,
    parsed: bool,
    lines: u32,
}

#[derive(Serialize)]
struct ModuleOut<'a> {
    module: String,
    file: &'a str,
    test: bool,
}

#[derive(Serialize)]
struct EdgeOut<'a> {
    file: &'a str,
    line: u32,
    col: u32,
    path: String,
    kind: RefKind,
    to_module: String,
    to_file: &'a str,
    via_use: bool,
    repeats_use: bool,
    test: bool,
    #[serde(skip)]
    _span: Span,
}

#[derive(Serialize)]
struct ExternalOut<'a> {
    file: &'a str,
    line: u32,
    col: u32,
    path: &'a str,
    kind: RefKind,
    krate: &'a str,
    package: &'a str,
    declared: bool,
    test: bool,
}

#[derive(Serialize)]
struct UnresolvedOut<'a> {
    file: &'a str,
    line: u32,
    col: u32,
    path: &'a str,
    kind: RefKind,
    reason: &'a str,
    test: bool,
}

/// Writes the graph as pretty JSON.
pub fn write(out: &mut dyn Write, g: &FactGraph) -> io::Result<()> {
    let path = |f: u32| g.file(f).path.as_str();
    let facts = Facts {
        version: FACTS_FORMAT_VERSION,
        packages: &g.packages,
        crates: g
            .crates
            .iter()
            .map(|c| CrateOut {
                name: &c.name,
                kind: c.kind,
                package: &g.packages[c.package].name,
                root: path(c.root_file),
            })
            .collect(),
        files: g
            .files
            .iter()
            .map(|f| FileOut {
                path: &f.path,
                module: f.module.map(|m| g.module_display(m)),
                in_module_tree: f.in_tree,
                test: f.test,
                parsed: f.parsed,
                lines: f.facts.lines,
            })
            .collect(),
        modules: {
            let mut m: Vec<ModuleOut> = (0..g.modules.len() as u32)
                .map(|id| ModuleOut {
                    module: g.module_display(id),
                    file: path(g.module(id).file),
                    test: g.module(id).test,
                })
                .collect();
            m.sort_by(|a, b| a.module.cmp(&b.module).then(a.file.cmp(b.file)));
            m
        },
        edges: g
            .edges
            .iter()
            .map(|e| EdgeOut {
                file: path(e.from),
                line: e.span.line,
                col: e.span.col,
                path: g.edge_path(e),
                kind: e.kind,
                to_module: g.module_display(e.to),
                to_file: path(e.to_file),
                via_use: e.via_use,
                repeats_use: e.repeats_use,
                test: e.test,
                _span: e.span,
            })
            .collect(),
        external_uses: g
            .external_uses
            .iter()
            .map(|e| ExternalOut {
                file: path(e.file),
                line: e.span.line,
                col: e.span.col,
                path: &e.path,
                kind: e.kind,
                krate: &e.name,
                package: &e.package,
                declared: e.declared,
                test: e.test,
            })
            .collect(),
        unresolved: g
            .unresolved
            .iter()
            .map(|u| UnresolvedOut {
                file: path(u.file),
                line: u.span.line,
                col: u.span.col,
                path: &u.path,
                kind: u.kind,
                reason: &u.reason,
                test: u.test,
            })
            .collect(),
        pub_items: pub_items(g),
        env_reads: crate::rules::contracts::env_reads(g)
            .into_iter()
            .map(|r| EnvReadOut {
                file: path(r.file),
                line: r.span.line,
                col: r.span.col,
                name: r.name,
                via: r.via,
                test: r.test,
            })
            .collect(),
        warnings: &g.warnings,
    };
    serde_json::to_writer_pretty(&mut *out, &facts).map_err(io::Error::other)?;
    writeln!(out)
}

/// Every module's exports (pub items and re-exports), sorted by module then name.
fn pub_items(g: &FactGraph) -> Vec<PubItemOut<'_>> {
    let mut out = Vec::new();
    for m in 0..g.modules.len() as u32 {
        for e in crate::rules::contracts::exports_of(g, m) {
            out.push(PubItemOut {
                module: g.module_display(m),
                reexport: e.export_file != e.file || e.export_span != e.span,
                name: e.name,
                header: e.header.text,
                file: &g.file(e.export_file).path,
                line: e.export_span.line,
            });
        }
    }
    out.sort_by(|a, b| a.module.cmp(&b.module).then(a.name.cmp(&b.name)));
    out
}
