//! `ribo explain PATH`: the slice of the spec that governs one file, for a person or a coding
//! agent about to change it. Human text, or JSON (a stable structure documented in
//! docs/explain.md; `version` changes when a field changes meaning or disappears).

use std::io::{self, Write};

use serde::Serialize;

/// Version of the explain JSON format.
pub const EXPLAIN_FORMAT_VERSION: u32 = 1;

/// Everything the spec says about one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileSlice {
    pub version: u32,
    /// The file, relative to the spec root.
    pub file: String,
    /// The spec, as shown to the user.
    pub spec: String,
    pub exists: bool,
    /// Matched by `system.exclude`: ribo does not check the file, nothing below applies.
    pub excluded: bool,
    pub system: SystemSlice,
    /// `None` when no boundary's `paths` match the file.
    pub boundary: Option<BoundarySlice>,
    /// The invariants that apply to the file.
    pub invariants: Vec<InvariantSlice>,
    /// Invariants the file is exempt from through `except:`.
    pub exempt: Vec<ExemptSlice>,
    /// The contracts that involve the file.
    pub contracts: Vec<ContractSlice>,
}

/// `system:`.
#[derive(Debug, Clone, Serialize)]
pub struct SystemSlice {
    pub name: String,
    pub intent: Option<String>,
}

/// The boundary that owns the file and its place among the others.
#[derive(Debug, Clone, Serialize)]
pub struct BoundarySlice {
    pub name: String,
    pub description: Option<String>,
    /// Line of ribo.yaml that declares it.
    pub line: u32,
    pub paths: Vec<String>,
    /// The boundaries it may use; `None`: any (no `may_use` key).
    pub may_use: Option<Vec<String>>,
    /// The boundaries it may not use (not in `may_use`, or above it in `layers`).
    pub may_not_use: Vec<String>,
    /// The external crates it may use (globs); `None`: any. std, core and alloc always may.
    pub crates: Option<Vec<String>>,
    /// `None` when the boundary declares no interface (every file is reachable).
    pub interface: Option<InterfaceSlice>,
    /// The boundaries that may use this one.
    pub used_by: Vec<String>,
    /// `None` when the boundary is not in `layers`.
    pub layer: Option<LayerSlice>,
}

/// A boundary's `interface`.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceSlice {
    pub globs: Vec<String>,
    /// The file is part of the interface: other boundaries may reach it.
    pub contains_file: bool,
}

/// The boundary's position in `layers`.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSlice {
    /// Every layer, top to bottom.
    pub layers: Vec<String>,
    /// 1-based position from the top.
    pub position: usize,
    /// The layers above it: it never uses them.
    pub above: Vec<String>,
    /// The layers below it.
    pub below: Vec<String>,
}

/// An invariant that applies to the file.
#[derive(Debug, Clone, Serialize)]
pub struct InvariantSlice {
    pub id: String,
    /// Its diagnostic code, `invariant::<id>`.
    pub code: String,
    pub line: u32,
    /// `error` or `warning`.
    pub severity: &'static str,
    pub message: Option<String>,
    /// `in:` as written (empty: everywhere).
    #[serde(rename = "in")]
    pub in_: Vec<String>,
    pub except: Vec<String>,
    /// `skip` or `check`: is test code held to it?
    pub tests: &'static str,
    pub forbid: Option<ForbidSlice>,
    pub require: Option<RequireSlice>,
}

/// What an invariant forbids.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ForbidSlice {
    #[serde(rename = "unsafe")]
    pub unsafe_: bool,
    pub calls: Vec<String>,
    pub macros: Vec<String>,
    pub paths: Vec<String>,
    pub attributes: Vec<String>,
    /// A tree-sitter query.
    pub query: Option<String>,
}

/// What an invariant requires of selected items.
#[derive(Debug, Clone, Serialize)]
pub struct RequireSlice {
    /// The item selector as written (`pub fn`).
    pub items: String,
    pub attribute: Option<String>,
    pub doc: bool,
}

/// An invariant the file is exempt from.
#[derive(Debug, Clone, Serialize)]
pub struct ExemptSlice {
    pub id: String,
    pub line: u32,
    pub message: Option<String>,
}

/// A contract that involves the file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ContractSlice {
    /// The file defines a module whose public items are declared.
    Exports {
        id: String,
        line: u32,
        description: Option<String>,
        /// The module (`crate::api`), file or crate the contract names.
        target: String,
        exports: Vec<String>,
        exhaustive: bool,
    },
    /// Only some boundaries may use an external crate.
    CrateUse {
        id: String,
        line: u32,
        description: Option<String>,
        #[serde(rename = "crate")]
        krate: String,
        only_from: Vec<String>,
        /// This file may use the crate.
        allowed: bool,
    },
    /// The environment variables the system reads.
    Env {
        id: String,
        line: u32,
        description: Option<String>,
        vars: Vec<String>,
        exhaustive: bool,
    },
}

/// Writes the slice as pretty JSON.
pub fn write_json(out: &mut dyn Write, slice: &FileSlice) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, slice)?;
    writeln!(out)
}

/// Labels are padded to this width in human output.
const LABEL: usize = 12;

/// Writes the slice as text for a person (or an agent) to read.
pub fn write_human(out: &mut dyn Write, s: &FileSlice) -> io::Result<()> {
    writeln!(out, "{}  (spec: {})", s.file, s.spec)?;
    if !s.exists {
        writeln!(
            out,
            "  the file does not exist yet: this is what will govern it"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "system {}", s.system.name)?;
    if let Some(intent) = &s.system.intent {
        for line in intent.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(out)?;
    if s.excluded {
        writeln!(
            out,
            "excluded by `system.exclude`: ribo does not check this file"
        )?;
        return Ok(());
    }
    match &s.boundary {
        Some(b) => write_boundary(out, &s.spec, b)?,
        None => writeln!(
            out,
            "boundary none: no boundary's `paths` match this file (see `options.unassigned`)"
        )?,
    }
    writeln!(out)?;
    if s.invariants.is_empty() {
        writeln!(out, "invariants: none applies")?;
    } else {
        writeln!(out, "invariants that apply")?;
        for inv in &s.invariants {
            write_invariant(out, &s.spec, inv)?;
        }
    }
    if !s.exempt.is_empty() {
        writeln!(out)?;
        writeln!(out, "exempt (`except:`) from")?;
        for e in &s.exempt {
            write!(out, "  {} ({}:{})", e.id, s.spec, e.line)?;
            match &e.message {
                Some(m) => writeln!(out, ": {m}")?,
                None => writeln!(out)?,
            }
        }
    }
    if !s.contracts.is_empty() {
        writeln!(out)?;
        writeln!(out, "contracts")?;
        for c in &s.contracts {
            write_contract(out, &s.spec, c)?;
        }
    }
    Ok(())
}

fn field(out: &mut dyn Write, label: &str, value: &str) -> io::Result<()> {
    writeln!(out, "  {label:<LABEL$}{value}")
}

fn names(list: &[String]) -> String {
    list.join(", ")
}

fn write_boundary(out: &mut dyn Write, spec: &str, b: &BoundarySlice) -> io::Result<()> {
    writeln!(out, "boundary {} ({spec}:{})", b.name, b.line)?;
    if let Some(d) = &b.description {
        writeln!(out, "  {d}")?;
    }
    field(out, "owns", &names(&b.paths))?;
    let may_use = match &b.may_use {
        None => "any boundary (no `may_use`)".to_string(),
        Some(l) if l.is_empty() => "no other boundary".to_string(),
        Some(l) => names(l),
    };
    field(out, "may use", &may_use)?;
    if !b.may_not_use.is_empty() {
        field(out, "may not use", &names(&b.may_not_use))?;
    }
    let crates = match &b.crates {
        None => "any crate (no `crates`)".to_string(),
        Some(l) if l.is_empty() => "none besides std, core and alloc".to_string(),
        Some(l) => format!("{} (and std, core, alloc)", names(l)),
    };
    field(out, "crates", &crates)?;
    if let Some(i) = &b.interface {
        let status = if i.contains_file {
            "this file is part of it: other boundaries may reach it"
        } else {
            "this file is not in it: other boundaries may not reach it"
        };
        field(out, "interface", &format!("{}; {status}", names(&i.globs)))?;
    }
    let used_by = if b.used_by.is_empty() {
        "no other boundary".to_string()
    } else {
        names(&b.used_by)
    };
    field(out, "used by", &used_by)?;
    if let Some(l) = &b.layer {
        field(
            out,
            "layer",
            &format!(
                "{} of {}, top to bottom: {}",
                l.position,
                l.layers.len(),
                l.layers.join(" > ")
            ),
        )?;
    }
    Ok(())
}

fn write_invariant(out: &mut dyn Write, spec: &str, inv: &InvariantSlice) -> io::Result<()> {
    writeln!(out, "  {} ({}, {spec}:{})", inv.id, inv.severity, inv.line)?;
    if let Some(m) = &inv.message {
        writeln!(out, "    {m}")?;
    }
    if let Some(f) = &inv.forbid {
        writeln!(out, "    forbids {}", forbid_summary(f))?;
    }
    if let Some(r) = &inv.require {
        writeln!(out, "    requires {}", require_summary(r))?;
    }
    Ok(())
}

/// `unsafe code; calls: unwrap, expect; macros: panic`.
fn forbid_summary(f: &ForbidSlice) -> String {
    let mut parts = Vec::new();
    if f.unsafe_ {
        parts.push("unsafe code".to_string());
    }
    for (what, list) in [
        ("calls", &f.calls),
        ("macros", &f.macros),
        ("paths", &f.paths),
        ("attributes", &f.attributes),
    ] {
        if !list.is_empty() {
            parts.push(format!("{what}: {}", list.join(", ")));
        }
    }
    if f.query.is_some() {
        parts.push("what its tree-sitter query matches".to_string());
    }
    parts.join("; ")
}

/// `every pub fn to carry #[instrument] and a doc comment`.
fn require_summary(r: &RequireSlice) -> String {
    let mut wants = Vec::new();
    if let Some(a) = &r.attribute {
        wants.push(format!("#[{a}]"));
    }
    if r.doc {
        wants.push("a doc comment".to_string());
    }
    format!("every `{}` to carry {}", r.items, wants.join(" and "))
}

fn write_contract(out: &mut dyn Write, spec: &str, c: &ContractSlice) -> io::Result<()> {
    let (id, line, description) = match c {
        ContractSlice::Exports {
            id,
            line,
            description,
            ..
        }
        | ContractSlice::CrateUse {
            id,
            line,
            description,
            ..
        }
        | ContractSlice::Env {
            id,
            line,
            description,
            ..
        } => (id, line, description),
    };
    write!(out, "  {id} ({spec}:{line})")?;
    match description {
        Some(d) => writeln!(out, ": {d}")?,
        None => writeln!(out)?,
    }
    match c {
        ContractSlice::Exports {
            target,
            exports,
            exhaustive,
            ..
        } => {
            let extra = if *exhaustive {
                "; no other pub item may be added"
            } else {
                ""
            };
            writeln!(
                out,
                "    this file defines `{target}`: its public items are declared{extra}"
            )?;
            for e in exports {
                writeln!(out, "      {e}")?;
            }
        }
        ContractSlice::CrateUse {
            krate,
            only_from,
            allowed,
            ..
        } => {
            let may = if *allowed { "may" } else { "may not" };
            writeln!(
                out,
                "    this file {may} use the crate `{krate}` (only from: {})",
                names(only_from)
            )?;
        }
        ContractSlice::Env {
            vars, exhaustive, ..
        } => {
            let extra = if *exhaustive {
                "; reading any other is drift"
            } else {
                ""
            };
            writeln!(
                out,
                "    the system reads the environment variables {}{extra}",
                names(vars)
            )?;
        }
    }
    Ok(())
}
