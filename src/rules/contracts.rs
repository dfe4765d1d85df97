//! Contracts: what other systems rely on, checked against the code in both directions.
//!
//! Codes: `contract::missing-export`, `contract::signature-drift`,
//! `contract::undeclared-export`, `contract::crate-use`, `contract::undeclared-env`,
//! `contract::unread-env`, `drift::unknown-crate`, `drift::unknown-module`.

use std::collections::{BTreeMap, BTreeSet};

use super::boundaries::normalise_crate;
use super::{CodeDoc, Context, Location, Violation};
use crate::facts::header::DeclarationParser;
use crate::facts::model::{Arg, Callee, Header, Span, Visibility};
use crate::facts::resolve::expand::Expander;
use crate::facts::{FactGraph, FileId, ModId, UseTarget};
use crate::spec::model::{
    At, Contract, ContractKind, CratePattern, ExportTarget, Scope, Severity, Spec,
};
use crate::spec::SpecError;

/// The codes this rule emits, with their documentation.
pub const CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "contract::missing-export",
        summary: "a declared export is not a pub item of the module",
        explanation: "The contract declares an item the module no longer exports: it was removed, \
renamed, or is no longer `pub` (`pub(crate)` is not exported). Restore it, or update the \
contract if the change is intended (it breaks whoever relies on it).",
    },
    CodeDoc {
        code: "contract::signature-drift",
        summary: "a declared export exists but its header differs",
        explanation:
            "The item exists with another header (arguments, return type, generics, where \
clause, asyncness, struct pub fields or enum variants). Comparison is on normalised tokens: \
whitespace, trailing commas and `pub` do not matter. Both the declaration and the code are \
shown.",
    },
    CodeDoc {
        code: "contract::undeclared-export",
        summary: "a pub item the contract does not declare (with `exhaustive: true`)",
        explanation: "The module exports an item the contract does not list. Declare it (run \
`ribo contract snapshot MODULE` for the current list) or make it private.",
    },
    CodeDoc {
        code: "contract::crate-use",
        summary: "an external crate used outside the boundaries allowed to use it",
        explanation: "A `crate:` + `only_from:` contract names the only boundaries or globs that \
may use that crate. Move the code, or widen `only_from` if the architecture changed.",
    },
    CodeDoc {
        code: "contract::undeclared-env",
        summary: "the code reads an environment variable the contract does not list",
        explanation:
            "With `exhaustive: true`, every `std::env::var`/`var_os`/`env!`/`option_env!` \
read with a literal name must be listed in `env:`. Reads with a computed name are listed as \
unresolved in `ribo facts`, never guessed.",
    },
    CodeDoc {
        code: "contract::unread-env",
        summary: "a listed environment variable the code never reads",
        explanation: "The contract lists a variable no code reads (with a literal name): the spec \
is stale, or the code reads it through a computed name. A warning.",
    },
    CodeDoc {
        code: "drift::unknown-crate",
        summary: "a contract names a crate no Cargo.toml declares",
        explanation: "The spec talks about a dependency that is gone from every Cargo.toml of the \
workspace.",
    },
    CodeDoc {
        code: "drift::unknown-module",
        summary: "a contract names a module, file or crate that does not exist",
        explanation:
            "The `module:`, `file:` or `crate:` of an exports contract matches nothing in \
the code: it was moved or removed.",
    },
];

/// Parses every declared export; a declaration that does not parse is a spec error.
pub fn validate_declarations(spec: &Spec) -> Vec<SpecError> {
    let mut parser = DeclarationParser::new();
    let mut errors = Vec::new();
    for c in &spec.contracts {
        if let ContractKind::Exports { exports, .. } = &c.kind {
            for e in exports {
                if let Err(err) = parser.parse(&e.value) {
                    let at = spec_offset(&spec.source, e, err.offset);
                    errors.push(SpecError {
                        code: "spec::declaration",
                        message: format!("the declared export `{}` {}", e.value.trim(), err.message),
                        span: at..(at + 1).min(e.span.end.max(at + 1)),
                        label: "does not parse here".into(),
                        help: Some(
                            "write a Rust item header: `fn name(arg: Type) -> Ret`, `struct Name`, \
`struct Name { field: Type }`, `enum Name`, `trait Name`, `type Name = T`, `const NAME: T`, `mod name`"
                                .into(),
                        ),
                    });
                }
            }
        }
    }
    errors
}

/// Maps an offset in a declaration's text to the spec source (quotes and all).
fn spec_offset(source: &str, e: &At<String>, offset: usize) -> usize {
    let raw = source.get(e.span.clone()).unwrap_or("");
    let trimmed = e.value.trim();
    match raw.find(trimmed) {
        Some(i) => e.span.start + i + offset.min(trimmed.len()),
        None => e.span.start,
    }
}

/// An `env` contract reads the calls of every file (see [`env_reads`]), changed or not.
pub fn reads_every_body(spec: &Spec) -> bool {
    spec.contracts
        .iter()
        .any(|c| matches!(c.kind, ContractKind::Env { .. }))
}

/// Checks every contract.
pub fn check(cx: &Context, out: &mut Vec<Violation>) {
    let mut parser = DeclarationParser::new();
    let crate_uses = CrateUseMatches::new(cx);
    let mut crate_contracts = 0;
    for c in &cx.spec.contracts {
        match &c.kind {
            ContractKind::Exports {
                target,
                exports,
                exhaustive,
            } => exports_contract(
                cx,
                c,
                target,
                exports,
                exhaustive.as_ref(),
                &mut parser,
                out,
            ),
            ContractKind::CrateUse { krate, only_from } => {
                crate_contract(cx, c, krate, only_from, &crate_uses, crate_contracts, out);
                crate_contracts += 1;
            }
            ContractKind::Env { vars, exhaustive } => {
                env_contract(cx, c, vars, exhaustive.as_ref(), out)
            }
        }
    }
}

/// A pub item a module exports: defined there, or re-exported with `pub use`.
#[derive(Debug, Clone)]
pub struct Export {
    pub name: String,
    pub header: Header,
    /// Where the item is defined (its header is there).
    pub file: FileId,
    pub span: Span,
    /// Where the module exports it: the item itself, or the `pub use` leaf.
    pub export_file: FileId,
    pub export_span: Span,
}

/// Non-pub items of a module, by name (to say "exists but is not pub").
fn private_items(g: &FactGraph, m: ModId) -> BTreeMap<String, (FileId, Span)> {
    let module = g.module(m);
    let f = g.file(module.file);
    f.facts
        .items
        .iter()
        .filter(|i| {
            i.scope == module.scope && !i.in_block && !i.assoc && i.visibility != Visibility::Public
        })
        .map(|i| (i.name.clone(), (module.file, i.span)))
        .collect()
}

/// The pub items of a module, including what it re-exports with `pub use`.
pub fn exports_of(g: &FactGraph, m: ModId) -> Vec<Export> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    collect_exports(g, m, &mut out, &mut seen, 0);
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.header.kind.cmp(&b.header.kind)));
    out
}

fn collect_exports(
    g: &FactGraph,
    m: ModId,
    out: &mut Vec<Export>,
    seen: &mut BTreeSet<(ModId, String)>,
    depth: u32,
) {
    if depth > 8 {
        return;
    }
    let module = g.module(m);
    let f = g.file(module.file);
    for item in &f.facts.items {
        if item.scope != module.scope
            || item.in_block
            || item.assoc
            || item.visibility != Visibility::Public
        {
            continue;
        }
        if let Some(h) = &item.header {
            if seen.insert((m, item.name.clone())) {
                out.push(Export {
                    name: item.name.clone(),
                    header: (**h).clone(),
                    file: module.file,
                    span: item.span,
                    export_file: module.file,
                    export_span: item.span,
                });
            }
        }
    }
    for (ui, u) in f.facts.uses.iter().enumerate() {
        if u.scope != module.scope || !u.public {
            continue;
        }
        let Some(UseTarget::Module(target)) = f.use_targets.get(ui).copied() else {
            continue;
        };
        let last = u.path.last().unwrap_or("");
        if u.glob {
            let mut inner = Vec::new();
            collect_exports(g, target, &mut inner, seen, depth + 1);
            out.extend(inner.into_iter().map(|e| Export {
                export_file: module.file,
                export_span: u.span,
                ..e
            }));
            continue;
        }
        let Some(name) = u.name.clone() else { continue };
        // The use names a module (`pub use a::b;` where b is a module): export it as `mod`.
        if g.module(target).path.rsplit("::").next() == Some(last)
            && g.module(target).path != "crate"
        {
            continue;
        }
        let tm = g.module(target);
        let tf = g.file(tm.file);
        if let Some(item) = tf.facts.items.iter().find(|i| {
            i.scope == tm.scope && !i.in_block && !i.assoc && i.name == last && i.header.is_some()
        }) {
            if let Some(h) = &item.header {
                if seen.insert((m, name.clone())) {
                    let mut header = (**h).clone();
                    if name != last {
                        header.name = name.clone();
                    }
                    out.push(Export {
                        name,
                        header,
                        file: tm.file,
                        span: item.span,
                        export_file: module.file,
                        export_span: u.span,
                    });
                }
            }
        }
    }
}

/// The module an exports contract is about.
pub fn target_module(g: &FactGraph, target: &ExportTarget) -> Option<ModId> {
    match target {
        ExportTarget::File(path) => g.file_id(path).and_then(|f| g.file(f).module),
        ExportTarget::Crate(name) => {
            let n = normalise_crate(name);
            g.crates
                .iter()
                .find(|c| {
                    c.kind == crate::facts::cargo::TargetKind::Lib
                        && (c.name == n || normalise_crate(&g.packages[c.package].name) == n)
                })
                .or_else(|| g.crates.iter().find(|c| c.name == n))
                .map(|c| c.root_module)
        }
        ExportTarget::Module(path) => {
            let segs: Vec<&str> = path.split("::").collect();
            let (roots, rest): (Vec<ModId>, &[&str]) = match segs.first() {
                Some(&"crate") => (
                    g.crates
                        .iter()
                        .filter(|c| c.kind == crate::facts::cargo::TargetKind::Lib)
                        .chain(g.crates.iter())
                        .map(|c| c.root_module)
                        .collect(),
                    &segs[1..],
                ),
                Some(first) => (
                    g.crates
                        .iter()
                        .filter(|c| c.name == normalise_crate(first))
                        .map(|c| c.root_module)
                        .collect(),
                    &segs[1..],
                ),
                None => return None,
            };
            roots.into_iter().find_map(|root| {
                let mut cur = root;
                for s in rest {
                    cur = *g.module(cur).children.get(*s)?;
                }
                Some(cur)
            })
        }
    }
}

fn describe_target(t: &ExportTarget) -> String {
    match t {
        ExportTarget::Module(m) => format!("module `{m}`"),
        ExportTarget::File(f) => format!("file `{f}`"),
        ExportTarget::Crate(c) => format!("crate `{c}`"),
    }
}

fn spec_loc(cx: &Context, span: &std::ops::Range<usize>) -> Location {
    Location::Spec {
        span: cx.spec_span(span),
    }
}

#[allow(clippy::too_many_arguments)]
fn exports_contract(
    cx: &Context,
    c: &Contract,
    target: &At<ExportTarget>,
    exports: &[At<String>],
    exhaustive: Option<&At<bool>>,
    parser: &mut DeclarationParser,
    out: &mut Vec<Violation>,
) {
    let g = cx.graph;
    let Some(m) = target_module(g, &target.value) else {
        out.push(Violation {
            fingerprint: String::new(),
            location: spec_loc(cx, &target.span),
            code: "drift::unknown-module".into(),
            severity: Severity::Error,
            message: format!(
                "contract `{}` is about {}, which does not exist",
                c.id.value,
                describe_target(&target.value)
            )
            .into(),
            label: "nothing in the code matches this".into(),
            spec_label: None,
            help: Some("the module was moved or removed: update the contract".into()),
        });
        return;
    };
    let actual = exports_of(g, m);
    let private = private_items(g, m);
    let mut declared_names = BTreeSet::new();
    for e in exports {
        let Ok(decl) = parser.parse(&e.value) else {
            continue;
        };
        declared_names.insert(decl.name.clone());
        let found = actual
            .iter()
            .find(|a| a.name == decl.name && a.header.kind == decl.kind)
            .or_else(|| actual.iter().find(|a| a.name == decl.name));
        match found {
            None => {
                let mut message = format!(
                    "`{}` is declared by contract `{}` but not exported by {}",
                    decl.name,
                    c.id.value,
                    g.module_display(m)
                );
                let label = match private.get(&decl.name) {
                    Some((f, s)) => {
                        message.push_str(" (it is no longer pub)");
                        format!(
                            "exists at {}:{}:{} but is not pub",
                            g.file(*f).path,
                            s.line,
                            s.col
                        )
                    }
                    None => "no pub item of this name".into(),
                };
                out.push(Violation {
                    fingerprint: String::new(),
                    location: spec_loc(cx, &e.span),
                    code: "contract::missing-export".into(),
                    severity: Severity::Error,
                    message: message.into(),
                    label: label.into(),
                    spec_label: None,
                    help: Some(
                        "restore the item, or update the contract if the break is intended".into(),
                    ),
                });
            }
            Some(a) => {
                if let Some(diff) = header_diff(&decl, &a.header) {
                    out.push(Violation {
                        fingerprint: String::new(),
                        location: Location::Source {
                            file: g.file(a.file).path.as_str().into(),
                            span: a.span,
                        },
                        code: "contract::signature-drift".into(),
                        severity: Severity::Error,
                        message: format!(
                            "`{}` differs from its declaration in contract `{}`",
                            decl.name, c.id.value
                        )
                        .into(),
                        label: format!("actual: {}", a.header.text).into(),
                        spec_label: cx.spec_label(&e.span, format!("declared: {}", decl.text)),
                        help: Some(format!(
                            "declared: {}\n  actual: {}{diff}",
                            decl.text, a.header.text
                        )),
                    });
                }
            }
        }
    }
    if exhaustive.is_some_and(|x| x.value) {
        let span = exhaustive.map(|x| x.span.clone()).unwrap_or_default();
        for a in &actual {
            if !declared_names.contains(&a.name) {
                out.push(Violation {
                    fingerprint: String::new(),
                    location: Location::Source {
                        file: g.file(a.export_file).path.as_str().into(),
                        span: a.export_span,
                    },
                    code: "contract::undeclared-export".into(),
                    severity: Severity::Error,
                    message: format!(
                        "`{}` is exported by {} but not declared in contract `{}`",
                        a.name,
                        g.module_display(m),
                        c.id.value
                    )
                    .into(),
                    label: format!("exports `{}`", a.header.text).into(),
                    spec_label: cx.spec_label(&span, "every export must be declared"),
                    help: Some(format!(
                        "declare `- {}` in `exports`, or make the item private",
                        a.header.text
                    )),
                });
            }
        }
    }
}

/// `None` when the headers agree; otherwise a note on what differs beyond the tokens.
fn header_diff(declared: &Header, actual: &Header) -> Option<String> {
    if declared.tokens != actual.tokens {
        return Some(String::new());
    }
    if let (Some(d), Some(a)) = (&declared.fields, &actual.fields) {
        if d != a {
            let show = |f: &Vec<(String, String)>| {
                f.iter()
                    .map(|(n, t)| format!("{n}: {t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Some(format!(
                "\n  declared pub fields: {}\n    actual pub fields: {}",
                show(d),
                show(a)
            ));
        }
    }
    if let (Some(d), Some(a)) = (&declared.variants, &actual.variants) {
        if d != a {
            return Some(format!(
                "\n  declared variants: {}\n    actual variants: {}",
                d.join(", "),
                a.join(", ")
            ));
        }
    }
    None
}

fn in_scopes(cx: &Context, scopes: &[Scope], file: FileId) -> bool {
    let path = &cx.graph.file(file).path;
    scopes.iter().any(|s| match s {
        Scope::Boundary(b) => cx.assignment.of(file) == Some(b.value),
        Scope::Glob(g) => g.matcher.is_match(path),
    })
}

/// The external uses of one crate name and package, with both names normalised.
struct CrateUses {
    name: String,
    package: String,
    /// Indices into the graph's external uses.
    uses: Vec<usize>,
}

/// The external uses of the graph (outside test code when tests are skipped), grouped by
/// crate name and package: a contract matches its crate pattern once per group, not once per
/// use (40 contracts over 100 000 uses were 8 million glob matches).
fn external_uses_by_crate(cx: &Context<'_>) -> Vec<CrateUses> {
    let mut groups: std::collections::HashMap<(&str, &str), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, e) in cx.graph.external_uses.iter().enumerate() {
        if !(cx.skip_tests() && e.test) && cx.counts(e.kind) {
            groups
                .entry((e.name.as_str(), e.package.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_unstable();
    groups
        .into_iter()
        .map(|((name, package), uses)| CrateUses {
            name: normalise_crate(name),
            package: normalise_crate(package),
            uses,
        })
        .collect()
}

/// Every crate name and package some manifest declares as a dependency, normalised, sorted
/// and deduplicated (not every dependency of every package: 40 contracts over 40 packages
/// were ~64k glob matches).
fn declared_crates(cx: &Context<'_>) -> Vec<String> {
    let mut names: Vec<String> = cx
        .graph
        .packages
        .iter()
        .flat_map(|p| &p.dependencies)
        .flat_map(|d| [normalise_crate(&d.name), normalise_crate(&d.package)])
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// What the `crate:` patterns of the spec's `crate:` + `only_from:` contracts match, all
/// patterns matched at once against each crate name (see `CratePattern::matching_each`).
#[derive(Default)]
struct CrateUseMatches {
    uses: Vec<CrateUses>,
    /// For the k-th such contract: whether a manifest declares a crate it names.
    declared: Vec<bool>,
    /// For the k-th such contract: the indices into `uses` of the groups it names.
    groups: Vec<Vec<usize>>,
}

impl CrateUseMatches {
    fn new(cx: &Context<'_>) -> Self {
        let patterns: Vec<&CratePattern> = cx
            .spec
            .contracts
            .iter()
            .filter_map(|c| match &c.kind {
                ContractKind::CrateUse { krate, .. } => Some(krate),
                _ => None,
            })
            .collect();
        if patterns.is_empty() {
            return CrateUseMatches::default();
        }
        let mut declared = vec![false; patterns.len()];
        let names = declared_crates(cx);
        for hits in CratePattern::matching_each(&patterns, names.iter().map(String::as_str)) {
            for k in hits {
                declared[k] = true;
            }
        }
        let uses = external_uses_by_crate(cx);
        let mut groups = vec![Vec::new(); patterns.len()];
        let by_name = uses.iter().map(|u| u.name.as_str());
        let by_package = uses.iter().map(|u| u.package.as_str());
        let named = CratePattern::matching_each(&patterns, by_name);
        let packaged = CratePattern::matching_each(&patterns, by_package);
        for (gi, (a, b)) in named.into_iter().zip(packaged).enumerate() {
            let mut hits = a;
            hits.extend(b);
            hits.sort_unstable();
            hits.dedup();
            for k in hits {
                groups[k].push(gi);
            }
        }
        CrateUseMatches {
            uses,
            declared,
            groups,
        }
    }
}

fn crate_contract(
    cx: &Context,
    c: &Contract,
    krate: &crate::spec::model::CratePattern,
    only_from: &[Scope],
    matches: &CrateUseMatches,
    k: usize,
    out: &mut Vec<Violation>,
) {
    let g = cx.graph;
    if !matches.declared.get(k).copied().unwrap_or(false) {
        out.push(Violation {
            fingerprint: String::new(),
            location: spec_loc(cx, &krate.span),
            code: "drift::unknown-crate".into(),
            severity: Severity::Error,
            message: format!(
                "contract `{}` names the crate `{}`, which no Cargo.toml declares",
                c.id.value, krate.text
            )
            .into(),
            label: "not a dependency of any package".into(),
            spec_label: None,
            help: Some("the dependency is gone: remove or update the contract".into()),
        });
    }
    let groups = matches.groups.get(k).map_or(&[][..], Vec::as_slice);
    let matching = groups
        .iter()
        .filter_map(|&gi| matches.uses.get(gi))
        .flat_map(|group| group.uses.iter().map(|&i| &g.external_uses[i]));
    for e in matching {
        if in_scopes(cx, only_from, e.file) {
            continue;
        }
        out.push(Violation {
            fingerprint: String::new(),
            location: Location::Source {
                file: g.file(e.file).path.as_str().into(),
                span: e.span,
            },
            code: "contract::crate-use".into(),
            severity: Severity::Error,
            message: format!(
                "`{}` may only be used from the places contract `{}` allows",
                e.package, c.id.value
            )
            .into(),
            label: format!("uses `{}` here", e.package).into(),
            spec_label: cx.spec_label(
                &c.id.span,
                c.description
                    .as_ref()
                    .map_or_else(|| "declared here".to_string(), |d| d.value.clone()),
            ),
            help: Some("go through the boundary that owns this dependency".into()),
        });
    }
}

/// An environment read found in the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRead {
    pub file: FileId,
    /// `None` when the name is not a literal.
    pub name: Option<String>,
    /// `std::env::var`, `env!`...
    pub via: String,
    pub span: Span,
    pub test: bool,
}

const ENV_FNS: &[&str] = &["var", "var_os"];

/// Every environment read: `std::env::var`/`var_os` (also through `use`), `env!`, `option_env!`.
pub fn env_reads(g: &FactGraph) -> Vec<EnvRead> {
    let mut out = Vec::new();
    for (i, f) in g.files.iter().enumerate() {
        let id = i as FileId;
        // Indexed only for a file with a call that could read a variable.
        let mut expander = None;
        for c in &f.facts.calls {
            let Callee::Path(path) = &c.callee else {
                continue;
            };
            // Only calls with an argument can read a variable; the name may be an alias
            // (`use std::env::var as get; get("X")`), so follow `use` before deciding.
            if c.first_arg.is_none() {
                continue;
            }
            let full = expander
                .get_or_insert_with(|| Expander::new(g, id))
                .expand(c.scope, path);
            let is_env = matches!(full.as_slice(), ["std" | "::std", "env", f] | ["::", "std", "env", f] if ENV_FNS.contains(f));
            if !is_env {
                continue;
            }
            out.push(EnvRead {
                file: id,
                name: literal(&c.first_arg),
                via: format!("std::env::{}", full.last().copied().unwrap_or("var")),
                span: c.span,
                test: f.test || c.test,
            });
        }
        for m in &f.facts.macros {
            let name = m.path.last().unwrap_or("");
            let std_path =
                m.path.len() == 1 || m.path.first().is_some_and(|s| s == "std" || s == "core");
            if !std_path || !matches!(name, "env" | "option_env") {
                continue;
            }
            out.push(EnvRead {
                file: id,
                name: literal(&m.first_arg),
                via: format!("{name}!"),
                span: m.span,
                test: f.test || m.test,
            });
        }
    }
    out
}

fn literal(arg: &Option<Arg>) -> Option<String> {
    match arg {
        Some(Arg::Literal(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn env_contract(
    cx: &Context,
    c: &Contract,
    vars: &[At<String>],
    exhaustive: Option<&At<bool>>,
    out: &mut Vec<Violation>,
) {
    let g = cx.graph;
    let reads: Vec<EnvRead> = env_reads(g)
        .into_iter()
        .filter(|r| !(cx.skip_tests() && r.test))
        .collect();
    let listed: BTreeSet<&str> = vars.iter().map(|v| v.value.as_str()).collect();
    if exhaustive.is_some_and(|x| x.value) {
        let span = exhaustive.map(|x| x.span.clone()).unwrap_or_default();
        for r in &reads {
            let Some(name) = &r.name else { continue };
            if listed.contains(name.as_str()) {
                continue;
            }
            out.push(Violation {
                fingerprint: String::new(),
                location: Location::Source {
                    file: g.file(r.file).path.as_str().into(),
                    span: r.span,
                },
                code: "contract::undeclared-env".into(),
                severity: Severity::Error,
                message: format!(
                    "reads `{name}`, which contract `{}` does not list",
                    c.id.value
                )
                .into(),
                label: format!("`{}` reads `{name}`", r.via).into(),
                spec_label: cx.spec_label(&span, "every variable read must be listed"),
                help: Some(format!(
                    "add `{name}` to `env` of `{}`, or stop reading it",
                    c.id.value
                )),
            });
        }
    }
    let read: BTreeSet<&str> = reads.iter().filter_map(|r| r.name.as_deref()).collect();
    for v in vars {
        if !read.contains(v.value.as_str()) {
            out.push(Violation {
                fingerprint: String::new(),
                location: spec_loc(cx, &v.span),
                code: "contract::unread-env".into(),
                severity: Severity::Warning,
                message: format!(
                    "`{}` is listed in contract `{}` but no code reads it",
                    v.value, c.id.value
                )
                .into(),
                label: "never read with a literal name".into(),
                spec_label: None,
                help: Some(
                    "remove it if it is gone; reads with computed names are listed in `ribo facts`"
                        .into(),
                ),
            });
        }
    }
}

/// The `exports:` list of a module as it stands, ready to paste into ribo.yaml: struct pub
/// fields and enum variants included, so the contract is as strict as the code.
pub fn snapshot(g: &FactGraph, target: &ExportTarget) -> Option<Vec<String>> {
    let m = target_module(g, target)?;
    Some(
        exports_of(g, m)
            .into_iter()
            .map(|e| declaration(&e.header))
            .collect(),
    )
}

/// A header written back as a declaration.
fn declaration(h: &Header) -> String {
    let mut text = h.text.clone();
    if let Some(fields) = h.fields.as_ref().filter(|f| !f.is_empty()) {
        let list: Vec<String> = fields.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        text.push_str(&format!(" {{ {} }}", list.join(", ")));
    }
    if let Some(variants) = h.variants.as_ref().filter(|v| !v.is_empty()) {
        text.push_str(&format!(" {{ {} }}", variants.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::model::ItemKindFact;

    #[test]
    fn kinds_compare() {
        let mut p = DeclarationParser::new();
        let a = p.parse("struct A { x: u8 }").expect("parses");
        let b = p.parse("struct A { x: u16 }").expect("parses");
        assert!(header_diff(&a, &b).is_some());
        assert_eq!(a.kind, ItemKindFact::Struct);
    }
}
