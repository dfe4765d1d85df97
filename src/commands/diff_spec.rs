//! `ribo diff-spec [--base REV] [--deny-loosening]`: the spec (and the baseline file) at REV
//! (default `HEAD`) compared with the working copy by meaning (`rules::loosening`): each
//! loosening at the spec line, with before and after; each tightening as a note; baseline
//! entries added. git is read as `--changed` reads it (nothing the repository configures
//! runs). See docs/spec-changes.md.

use std::io::{self, Write};
use std::path::Path;

use super::{baseline, display_path, git, load_spec};
use crate::cli::{DiffSpecArgs, Format};
use crate::report::{self, Style, Summary};
use crate::rules::{self, loosening, Location, Text};
use crate::spec::model::Severity;
use crate::{EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS};

pub fn diff_spec(
    args: &DiffSpecArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let loaded = match load_spec(&args.spec, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let spec = &loaded.spec;
    let rev = args.base.as_deref().unwrap_or("HEAD");
    let spec_path = spec
        .path
        .canonicalize()
        .unwrap_or_else(|_| spec.path.clone());
    let (dir, name) = match (spec_path.parent(), spec_path.file_name()) {
        (Some(d), Some(n)) => (d.to_path_buf(), n.to_string_lossy().into_owned()),
        _ => {
            writeln!(err, "error: `{}` has no directory", spec.path.display())?;
            return Ok(EXIT_ERROR);
        }
    };
    // The spec at REV: under its name now, or under the other name a spec may have (a spec
    // renamed from `ribo.yaml` to `.ribo.yaml` is compared with what it was).
    let mut before = None;
    let names = std::iter::once(name.as_str()).chain(
        crate::spec::discover::SPEC_NAMES
            .iter()
            .copied()
            .filter(|n| *n != name),
    );
    for candidate in names {
        match git::file_at(&dir, rev, candidate) {
            Ok(Some(bytes)) => {
                before = Some(bytes);
                break;
            }
            Ok(None) => {}
            Err(message) => {
                writeln!(err, "error: {message}")?;
                return Ok(EXIT_ERROR);
            }
        }
    }
    let mut violations = Vec::new();
    let severity = match args.deny_loosening {
        true => Severity::Error,
        false => Severity::Warning,
    };
    let mut unreadable_before = None;
    match before {
        None => {
            unreadable_before = Some(format!(
                "{} does not exist at {rev}: nothing to compare",
                loaded.spec_name
            ))
        }
        Some(bytes) => match crate::spec::load_bytes(&spec.path, &bytes) {
            Err(_) => {
                unreadable_before = Some(format!(
                    "{} at {rev} does not load: nothing to compare",
                    loaded.spec_name
                ));
            }
            Ok(old) => {
                let (loosened, tightened) = loosening::compare_today(&old, spec);
                for c in &loosened {
                    violations.push(loosening::violation(c, &spec.source, severity, false));
                }
                for c in &tightened {
                    let mut v = loosening::violation(c, &old.source, Severity::Warning, true);
                    // What a note describes is in the earlier spec: it points at the line of
                    // the working spec that holds the same name, if one does.
                    let at = locate(&spec.source, &c.message);
                    v.location = Location::Spec {
                        span: rules::span_in(&spec.source, &at),
                    };
                    v.message = Text::from(format!(
                        "tightened: going back to the spec at {rev} would loosen it ({})",
                        c.message
                    ));
                    violations.push(v);
                }
            }
        },
    }
    // Baseline entries added: debt accepted since REV.
    let baseline_path = baseline::path(spec, None);
    let baseline_rel = crate::facts::walk::relative(&spec.root, &baseline_path).unwrap_or_default();
    if let Ok(Some(now)) = baseline::read(&baseline_path, &spec.root) {
        let then = git::file_at(&spec.root, rev, &baseline_rel)
            .ok()
            .flatten()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| baseline::parse(&baseline_path, &spec.root, &text).ok());
        for e in loosening::entries_added(then.as_ref(), &now) {
            let message = loosening::entry_added(e);
            let (label, help) = ("accepted here", "new debt in the baseline is a decision for a human: fix the finding instead, or have the entry reviewed");
            let identity = [loosening::CODE, message.as_str()];
            violations.push(loosening::violation_in(
                &now.file,
                e.span,
                &message,
                severity,
                (label, help),
                &identity,
            ));
        }
    }
    // Inline suppressions added to the Rust files changed since REV.
    match suppressions_added(spec, &loaded.root_display, rev) {
        Ok(added) => {
            for (file, span, codes) in added {
                let message = format!("inline suppression added: `allow({codes})`");
                let (label, help) = ("suppressed here", "a finding silenced in the code is a decision for a human: fix it instead, or have the suppression reviewed");
                let identity = [loosening::CODE, file.as_str(), message.as_str()];
                violations.push(loosening::violation_in(
                    &file,
                    span,
                    &message,
                    severity,
                    (label, help),
                    &identity,
                ));
            }
        }
        Err(message) => writeln!(err, "note: inline suppressions not compared: {message}")?,
    }
    rules::sort(&mut violations);
    let loosenings = violations
        .iter()
        .filter(|v| v.code == loosening::CODE)
        .count();
    let sources = report::Sources {
        root: &spec.root,
        display_prefix: &loaded.root_display,
        spec_name: &loaded.spec_name,
        spec_source: &spec.source,
        overlay: None,
    };
    let summary = Summary::new(&violations, 0, 0, &[], None);
    match args.format {
        Format::Json => report::json::write(out, &sources, &violations, &[], &summary)?,
        Format::Github => report::github::write(out, &sources, &violations, &[], &summary)?,
        Format::Compact => report::compact::write(out, &sources, &violations, &[], &summary)?,
        Format::Sarif => report::sarif::write(out, &sources, &violations, &[], &spec.invariants)?,
        Format::Junit => {
            report::junit::write(out, &sources, &violations, &[], &spec.invariants, false)?
        }
        Format::Human => {
            if !violations.is_empty() {
                report::human::write_check(out, &sources, &violations, &[], &summary, style)?;
            }
        }
    }
    if let Some(why) = unreadable_before {
        writeln!(err, "note: {why}")?;
    }
    if matches!(args.format, Format::Human) {
        let shown = display_path(Path::new(&spec.path));
        writeln!(
            out,
            "ribo diff-spec: {} of {shown} since {rev}",
            match loosenings {
                0 => "no loosening".to_string(),
                n => report::plural(n, "loosening", "loosenings"),
            }
        )?;
    }
    Ok(if args.deny_loosening && loosenings > 0 {
        EXIT_VIOLATIONS
    } else {
        EXIT_OK
    })
}

/// The suppressions each Rust file changed since `rev` (under the root) has now and did not
/// have then: (file relative to the root, span, codes).
fn suppressions_added(
    spec: &crate::spec::Spec,
    shown: &str,
    rev: &str,
) -> Result<Vec<(String, crate::facts::model::Span, String)>, String> {
    let shown = if shown.is_empty() { "." } else { shown };
    let changed = git::changes(&spec.root, shown, rev)?;
    let exclude = spec.exclude_set();
    let rels: Vec<String> = changed
        .present
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter_map(|p| crate::facts::walk::relative(&spec.root, p))
        .filter(|rel| !rel.is_empty() && !exclude.is_match(rel))
        .collect();
    let then = git::files_at(&spec.root, rev, &rels)?;
    let mut out = Vec::new();
    for (rel, before) in rels.iter().zip(then) {
        let Ok(now) = crate::facts::read_source(&spec.root.join(rel)) else {
            continue;
        };
        for (span, codes) in
            loosening::added_suppressions(before.as_deref().unwrap_or_default(), &now)
        {
            out.push((rel.clone(), span, codes));
        }
    }
    Ok(out)
}

/// Where in `source` the first name a message quotes (`` `name` ``) is declared: an `id:` of
/// that name, a key of that name (a boundary, an option), else the start of the spec.
fn locate(source: &str, message: &str) -> std::ops::Range<usize> {
    let Some(name) = message.split('`').nth(1) else {
        return 0..0;
    };
    let key = name.strip_prefix("options.").unwrap_or(name);
    for pattern in [format!("id: {key}"), format!("  {key}:"), format!("{key}:")] {
        if let Some(at) = source.find(&pattern) {
            let start = at + pattern.find(key).unwrap_or(0);
            return start..start + key.len();
        }
    }
    0..0
}
