//! `ribo explain CODE`: the documentation of a diagnostic code.
//! `ribo explain PATH`: the slice of the spec that governs a file: its boundary and what it may
//! and may not use, the invariants and contracts that apply, and the system's intent.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{build_options, display_path, load_spec, progress};
use crate::cli::{ExplainArgs, ExplainFormat, SpecArgs};
use crate::facts::FactGraph;
use crate::report::explain::{
    BoundarySlice, ContractSlice, ExemptSlice, FileSlice, ForbidSlice, InterfaceSlice,
    InvariantSlice, LayerSlice, RequireSlice, SystemSlice, EXPLAIN_FORMAT_VERSION,
};
use crate::report::{self, Style};
use crate::rules::{self, span_in};
use crate::spec::model::{
    ContractKind, ExportTarget, Invariant, ItemKind, ItemSelector, Scope, Severity, TestsMode,
};
use crate::spec::Spec;
use crate::{EXIT_ERROR, EXIT_OK};

pub fn explain(
    args: &ExplainArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let all = rules::all_codes();
    let target = args.target.as_str();
    if let Some(doc) = all.iter().find(|c| c.code == target) {
        writeln!(out, "{}: {}\n\n{}", doc.code, doc.summary, doc.explanation)?;
        return Ok(EXIT_OK);
    }
    let looks_like_code = target.contains("::") && !target.contains(['/', '\\']);
    if looks_like_code && !Path::new(target).exists() {
        return unknown_code(target, err);
    }
    explain_path(args, style, out, err)
}

/// The known diagnostic code nearest to `code` (for an unknown one).
pub(crate) fn nearest_code(code: &str) -> Option<&'static str> {
    rules::all_codes()
        .iter()
        .map(|c| (strsim::jaro_winkler(c.code, code), c.code))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn unknown_code(code: &str, err: &mut dyn Write) -> io::Result<i32> {
    let nearest = nearest_code(code);
    write!(err, "error: unknown code `{code}`")?;
    if let Some(n) = nearest {
        write!(err, "; did you mean `{n}`?")?;
    }
    writeln!(err)?;
    Ok(EXIT_ERROR)
}

/// The absolute form of `path` (which need not exist): its deepest existing ancestor,
/// canonicalised, joined with the rest.
fn absolute(path: &Path) -> Option<(PathBuf, PathBuf)> {
    let mut existing = path.to_path_buf();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        let probe = if existing.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            existing.clone()
        };
        if let Ok(canonical) = probe.canonicalize() {
            let mut full = canonical.clone();
            for part in rest.iter().rev() {
                full.push(part);
            }
            let start = if rest.is_empty() {
                canonical
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or(canonical)
            } else {
                canonical
            };
            return Some((full, start));
        }
        rest.push(existing.file_name()?.to_os_string());
        existing = existing.parent()?.to_path_buf();
    }
}

fn explain_path(
    args: &ExplainArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let path = Path::new(&args.target);
    if path.is_dir() {
        writeln!(
            err,
            "error: `{}` is a directory: `ribo explain` takes a file or a diagnostic code",
            args.target
        )?;
        return Ok(EXIT_ERROR);
    }
    let Some((abs, start)) = absolute(path) else {
        writeln!(err, "error: cannot resolve `{}`", args.target)?;
        return Ok(EXIT_ERROR);
    };
    let spec_args = SpecArgs {
        path: Some(start),
        spec: args.spec.clone(),
        threads: None,
        no_cache: false,
        cache_dir: None,
    };
    let loaded = match load_spec(&spec_args, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let spec = &loaded.spec;
    let Some(rel) = abs.strip_prefix(&spec.root).ok().map(|r| {
        r.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    }) else {
        writeln!(
            err,
            "error: `{}` is outside `{}`, the root of {}",
            args.target,
            display_path(&spec.root),
            loaded.spec_name
        )?;
        return Ok(EXIT_ERROR);
    };
    let boundary = match rules::assign::owner(spec, &rel) {
        Ok(b) => b,
        Err(tie) => {
            return super::stop_on_spec_errors(
                err,
                spec,
                &loaded.spec_name,
                vec![*tie.error],
                style,
            )
        }
    };
    let graph = needs_facts(spec)
        .then(|| progress::build(&spec.root, build_options(spec, &spec_args), true));
    let slice = slice(
        spec,
        &loaded.spec_name,
        &rel,
        abs.is_file(),
        boundary,
        &|target| graph.as_ref().and_then(|g| module_file(g, target)),
    );
    match args.format {
        ExplainFormat::Human => report::explain::write_human(out, &slice)?,
        ExplainFormat::Json => report::explain::write_json(out, &slice)?,
    }
    Ok(EXIT_OK)
}

/// The file that defines the module an exports contract names (`module:`, `crate:`), in `graph`.
pub(crate) fn module_file(graph: &FactGraph, target: &ExportTarget) -> Option<String> {
    let m = rules::contracts::target_module(graph, target)?;
    Some(graph.file(graph.module(m).file).path.clone())
}

/// Whether explaining a file needs the facts: only to find the file of a contract's module.
pub(crate) fn needs_facts(spec: &Spec) -> bool {
    spec.contracts.iter().any(|c| {
        matches!(&c.kind, ContractKind::Exports { target, .. }
            if !matches!(target.value, ExportTarget::File(_)))
    })
}

/// Everything the spec says about the file `rel` (relative to the root), owned by `boundary`.
pub(crate) fn slice(
    spec: &Spec,
    spec_name: &str,
    rel: &str,
    exists: bool,
    boundary: Option<usize>,
    module_file: &dyn Fn(&ExportTarget) -> Option<String>,
) -> FileSlice {
    let excluded = spec.exclude_set().is_match(rel);
    let line = |span: &std::ops::Range<usize>| span_in(&spec.source, span).line;
    let in_scope = |s: &Scope| match s {
        Scope::Boundary(b) => boundary == Some(b.value),
        Scope::Glob(g) => g.matcher.is_match(rel),
    };
    let mut invariants = Vec::new();
    let mut exempt = Vec::new();
    let mut contracts = Vec::new();
    if !excluded {
        for inv in &spec.invariants {
            if !inv.in_.is_empty() && !inv.in_.iter().any(in_scope) {
                continue;
            }
            if inv.except.iter().any(in_scope) {
                exempt.push(ExemptSlice {
                    id: inv.id.value.clone(),
                    line: line(&inv.id.span),
                    message: inv.message.as_ref().map(|m| m.value.clone()),
                });
            } else {
                invariants.push(invariant(spec, inv, line(&inv.id.span)));
            }
        }
        for c in &spec.contracts {
            let id = c.id.value.clone();
            let cline = line(&c.id.span);
            let description = c.description.as_ref().map(|d| d.value.clone());
            match &c.kind {
                ContractKind::Exports {
                    target,
                    exports,
                    exhaustive,
                } => {
                    let file = match &target.value {
                        ExportTarget::File(f) => Some(f.clone()),
                        other => module_file(other),
                    };
                    if file.as_deref() == Some(rel) {
                        contracts.push(ContractSlice::Exports {
                            id,
                            line: cline,
                            description,
                            target: export_target(&target.value),
                            exports: exports.iter().map(|e| e.value.clone()).collect(),
                            exhaustive: exhaustive.as_ref().is_some_and(|e| e.value),
                        });
                    }
                }
                ContractKind::CrateUse { krate, only_from } => {
                    contracts.push(ContractSlice::CrateUse {
                        id,
                        line: cline,
                        description,
                        krate: krate.text.clone(),
                        only_from: only_from.iter().map(|s| scope_text(spec, s)).collect(),
                        allowed: only_from.iter().any(in_scope),
                    });
                }
                ContractKind::Env { vars, exhaustive } => contracts.push(ContractSlice::Env {
                    id,
                    line: cline,
                    description,
                    vars: vars.iter().map(|v| v.value.clone()).collect(),
                    exhaustive: exhaustive.as_ref().is_some_and(|e| e.value),
                }),
            }
        }
    }
    FileSlice {
        version: EXPLAIN_FORMAT_VERSION,
        file: rel.to_string(),
        spec: spec_name.to_string(),
        exists,
        excluded,
        system: SystemSlice {
            name: spec.system.name.value.clone(),
            intent: spec
                .system
                .intent
                .as_ref()
                .map(|i| i.value.trim_end().to_string()),
        },
        boundary: boundary
            .filter(|_| !excluded)
            .map(|b| boundary_slice(spec, b, rel)),
        invariants,
        exempt,
        contracts,
    }
}

pub(crate) fn boundary_slice(spec: &Spec, bi: usize, rel: &str) -> BoundarySlice {
    let b = &spec.boundaries[bi];
    let name = |i: usize| spec.boundaries[i].name.value.clone();
    let layer_of = |i: usize| layer_of(spec, i);
    let may = |from: usize, to: usize| may_use(spec, from, to).is_ok();
    let others = (0..spec.boundaries.len()).filter(|&i| i != bi);
    let layer = spec.layers.as_ref().and_then(|l| {
        let pos = layer_of(bi)?;
        let layers: Vec<String> = l.value.iter().map(|x| name(x.value)).collect();
        Some(LayerSlice {
            position: pos + 1,
            above: layers[..pos].to_vec(),
            below: layers[pos + 1..].to_vec(),
            layers,
        })
    });
    BoundarySlice {
        name: b.name.value.clone(),
        description: b.description.as_ref().map(|d| d.value.clone()),
        line: span_in(&spec.source, &b.name.span).line,
        paths: b.paths.iter().map(|g| g.text.clone()).collect(),
        may_use: b
            .may_use
            .as_ref()
            .map(|m| m.value.iter().map(|x| name(x.value)).collect()),
        may_not_use: others.clone().filter(|&i| !may(bi, i)).map(name).collect(),
        crates: b
            .crates
            .as_ref()
            .map(|c| c.value.iter().map(|p| p.text.clone()).collect()),
        interface: b.interface.as_ref().map(|i| InterfaceSlice {
            globs: i.value.iter().map(|g| g.text.clone()).collect(),
            contains_file: i.value.iter().any(|g| g.matcher.is_match(rel)),
        }),
        used_by: others.filter(|&i| may(i, bi)).map(name).collect(),
        layer,
    }
}

/// The position of boundary `i` in `layers`, top first.
fn layer_of(spec: &Spec, i: usize) -> Option<usize> {
    spec.layers
        .as_ref()
        .and_then(|l| l.value.iter().position(|x| x.value == i))
}

/// Why boundary `from` may not use boundary `to`, as far as `may_use`, `may_not_use` and
/// `layers` go: the key that forbids it and the span of its declaration.
pub(crate) enum Forbidden {
    /// `to` is not in `from`'s `may_use`.
    NotInMayUse(crate::spec::model::SpecSpan),
    /// `to` is in `from`'s `may_not_use`.
    InMayNotUse(crate::spec::model::SpecSpan),
    /// `to` is above `from` in `layers`.
    Upward(crate::spec::model::SpecSpan),
}

/// May boundary `from` use boundary `to`? (The interface of `to` is a question per file.)
pub(crate) fn may_use(spec: &Spec, from: usize, to: usize) -> Result<(), Forbidden> {
    let b = &spec.boundaries[from];
    if let Some(m) = b.may_use.as_ref() {
        if !m.value.iter().any(|x| x.value == to) {
            return Err(Forbidden::NotInMayUse(m.span.clone()));
        }
    }
    if let Some(m) = b.may_not_use.as_ref() {
        if let Some(x) = m.value.iter().find(|x| x.value == to) {
            return Err(Forbidden::InMayNotUse(x.span.clone()));
        }
    }
    if let (Some(f), Some(t), Some(l)) = (layer_of(spec, from), layer_of(spec, to), &spec.layers) {
        if t < f {
            // The place of `from` in `layers`, as `boundary::layer` cites it.
            return Err(Forbidden::Upward(l.value[f].span.clone()));
        }
    }
    Ok(())
}

pub(crate) fn invariant(spec: &Spec, inv: &Invariant, line: u32) -> InvariantSlice {
    let tests = inv
        .tests
        .as_ref()
        .map_or(spec.options.tests.value, |t| t.value);
    InvariantSlice {
        id: inv.id.value.clone(),
        code: format!("invariant::{}", inv.id.value),
        line,
        severity: match inv.severity.value {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        message: inv.message.as_ref().map(|m| m.value.clone()),
        in_: inv.in_.iter().map(|s| scope_text(spec, s)).collect(),
        except: inv.except.iter().map(|s| scope_text(spec, s)).collect(),
        tests: match tests {
            TestsMode::Skip => "skip",
            TestsMode::Check => "check",
        },
        forbid: inv.forbid.as_ref().map(|f| ForbidSlice {
            unsafe_: f.unsafe_.as_ref().is_some_and(|u| u.value),
            calls: f.calls.iter().map(|p| p.text.clone()).collect(),
            macros: f.macros.iter().map(|p| p.text.clone()).collect(),
            paths: f.paths.iter().map(|p| p.text.clone()).collect(),
            attributes: f.attributes.iter().map(|a| a.value.clone()).collect(),
            query: f.query.as_ref().map(|q| q.text.value.clone()),
        }),
        require: inv.require.as_ref().map(|r| RequireSlice {
            items: selector_text(&r.items.value),
            attribute: r.attribute.as_ref().map(|a| a.value.clone()),
            doc: r.doc.as_ref().is_some_and(|d| d.value),
        }),
    }
}

pub(crate) fn scope_text(spec: &Spec, s: &Scope) -> String {
    match s {
        Scope::Boundary(b) => spec.boundaries[b.value].name.value.clone(),
        Scope::Glob(g) => g.text.clone(),
    }
}

pub(crate) fn export_target(t: &ExportTarget) -> String {
    match t {
        ExportTarget::Module(m) => m.clone(),
        ExportTarget::File(f) => f.clone(),
        ExportTarget::Crate(c) => c.clone(),
    }
}

/// An item selector as it is written in a spec: `pub async fn`, `struct`, `pub`.
fn selector_text(sel: &ItemSelector) -> String {
    let mut words = Vec::new();
    if sel.public {
        words.push("pub");
    }
    if sel.asyncness {
        words.push("async");
    }
    if let Some(kind) = sel.kind {
        words.push(match kind {
            ItemKind::Fn => "fn",
            ItemKind::Struct => "struct",
            ItemKind::Enum => "enum",
            ItemKind::Union => "union",
            ItemKind::Trait => "trait",
            ItemKind::Impl => "impl",
            ItemKind::Type => "type",
            ItemKind::Const => "const",
            ItemKind::Static => "static",
            ItemKind::Mod => "mod",
            ItemKind::Macro => "macro",
        });
    }
    if words.is_empty() {
        "item".to_string()
    } else {
        words.join(" ")
    }
}
