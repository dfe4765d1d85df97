//! The draft as ribo.yaml text. Every glob and free string is double-quoted; names are plain
//! only when they are identifiers YAML cannot read as anything else. (Tests load every text
//! written here with the real spec loader.)

use std::fmt::Write as _;

use super::{Draft, InvScope, InvariantDraft, Layers};

/// Lines longer than this turn a flow list into a block list.
const WIDTH: usize = 100;

/// The spec text of a draft.
pub(crate) fn render(d: &Draft) -> String {
    let mut s = String::new();
    s.push_str(HEADER);
    s.push_str("version: 1\n\nsystem:\n");
    let _ = writeln!(s, "  name: {}", quote(&d.name));
    s.push_str(
        "  # intent: what the system does, and what it must never do (`ribo explain` shows it)\n",
    );
    if !d.exclude.is_empty() {
        s.push_str("  # Rust files of other Cargo packages (fixtures, standalone examples):\n");
        list(&mut s, "  ", "exclude", &quoted(&d.exclude));
    }
    s.push_str("\noptions:\n");
    s.push_str("  unassigned: warn         # a new file that no boundary claims is reported\n");
    if let Some(baseline) = &d.baseline {
        let _ = writeln!(
            s,
            "  # Some boundaries depend on each other in cycles today: each tangle is recorded in\n  \
             # {baseline}, so `ribo check` passes; a new cycle, or a boundary joining a tangle,\n  \
             # fails it. Break a tangle, then run `ribo baseline` to drop its entry."
        );
        s.push_str("  cycles: error\n");
    } else {
        s.push_str("  cycles: error            # the boundary graph has no cycle today\n");
    }
    s.push_str("  tests: skip              # test code (tests/, benches/, #[cfg(test)]) is not held to the rules\n");
    s.push_str("  unused_allowances: warn  # an allowance nothing uses is reported: the spec stays as tight as the code\n");
    if !d.boundaries.is_empty() {
        s.push('\n');
        comment(&mut s, "", &d.how);
        s.push_str("boundaries:\n");
    }
    for b in &d.boundaries {
        let _ = writeln!(s, "  {}:  # {}", plain(&b.name), b.what);
        list(&mut s, "    ", "paths", &quoted(&b.paths));
        if let Some(may_use) = &b.may_use {
            list(&mut s, "    ", "may_use", &plains(may_use));
        }
        if let Some(crates) = &b.crates {
            list(&mut s, "    ", "crates", &plains(crates));
        }
    }
    match &d.layers {
        Layers::None => {}
        Layers::Declared(order) => {
            s.push('\n');
            comment(
                &mut s,
                "",
                "The boundary graph has no cycle and only one top-to-bottom order: a boundary never uses one listed above it.",
            );
            list(&mut s, "", "layers", &plains(order));
        }
        Layers::Suggested(order) => {
            s.push('\n');
            comment(
                &mut s,
                "",
                "The boundary graph has no cycle. One top-to-bottom order it allows (boundaries that do not use each other are ordered by depth, then name: check before enabling, a boundary may never use one listed above it):",
            );
            let mut line = String::new();
            list(&mut line, "", "layers", &plains(order));
            commented(&mut s, &line);
        }
    }
    if !d.invariants.is_empty() {
        s.push('\n');
        comment(
            &mut s,
            "",
            "Invariants that hold in the code today. Uncomment the ones that must always hold.",
        );
        let any_enabled = d.invariants.iter().any(|i| i.enabled);
        if any_enabled {
            s.push_str("invariants:\n");
        } else {
            s.push_str("# invariants:\n");
        }
        for inv in &d.invariants {
            let text = invariant(inv);
            if inv.enabled {
                comment(
                    &mut s,
                    "  ",
                    &format!(
                        "Enabled: the code already has `// ribo: allow(invariant::{})` exceptions.",
                        inv.id
                    ),
                );
                s.push_str(&text);
            } else {
                commented(&mut s, &text);
            }
        }
    }
    s
}

const HEADER: &str = "\
# ribo.yaml: the declared identity of this repository, reconciled with the code by `ribo check`.
# Written by `ribo init` from the code as it stands, so `ribo check` passes today: each boundary
# may use exactly the boundaries and crates its code uses now. Make it yours: describe the system
# (`intent:`) and each boundary (`description:`), remove the dependencies that should not exist
# (ribo then reports them), and enable the invariants suggested at the end. Every key is
# documented in docs/spec.md; `ribo explain PATH` shows what governs a file.
";

fn invariant(inv: &InvariantDraft) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "  - id: {}", inv.id);
    let _ = writeln!(s, "    message: {}", quote(&inv.message));
    for line in inv.rule {
        let _ = writeln!(s, "    {line}");
    }
    match &inv.scope {
        InvScope::Everywhere => {}
        InvScope::In(names) => list(&mut s, "    ", "in", &plains(names)),
        InvScope::Except(names) => list(&mut s, "    ", "except", &plains(names)),
    }
    s
}

/// `key: [a, b]`, or a block list when that line would be too long.
fn list(s: &mut String, indent: &str, key: &str, items: &[String]) {
    let flow = format!("{indent}{key}: [{}]", items.join(", "));
    if flow.len() <= WIDTH {
        s.push_str(&flow);
        s.push('\n');
    } else {
        let _ = writeln!(s, "{indent}{key}:");
        for item in items {
            let _ = writeln!(s, "{indent}  - {item}");
        }
    }
}

/// Text as `#` comment lines, wrapped.
fn comment(s: &mut String, indent: &str, text: &str) {
    let width = WIDTH - indent.len() - 2;
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            let _ = writeln!(s, "{indent}# {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(s, "{indent}# {line}");
    }
}

/// YAML lines commented out, keeping their indentation.
fn commented(s: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(s, "# {line}");
    }
}

fn quoted(items: &[String]) -> Vec<String> {
    items.iter().map(|i| quote(i)).collect()
}

fn plains(items: &[String]) -> Vec<String> {
    items.iter().map(|i| plain(i)).collect()
}

/// A double-quoted YAML string.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A name as a plain scalar when it is an identifier YAML reads as that string, else quoted.
pub(crate) fn plain(text: &str) -> String {
    let identifier = text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    let reserved = matches!(
        text,
        "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    if identifier && !reserved {
        text.to_string()
    } else {
        quote(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_unless_plainly_identifiers() {
        assert_eq!(plain("api"), "api");
        assert_eq!(plain("aws-sdk-s3"), "aws-sdk-s3");
        assert_eq!(plain("null"), "\"null\"");
        assert_eq!(plain("Foo"), "\"Foo\"");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
