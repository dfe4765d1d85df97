//! The structural decoder: the spanned YAML tree to [`RawSpec`].
//!
//! It checks keys and value types only, collects every problem, and keeps going: an entry
//! with a problem is decoded as far as possible so later problems are found too. A required
//! key that is absent is reported here (`spec::missing-key`), so validation can treat a
//! `None` required value as already reported.
//!
//! A lone string is accepted where a list of strings is expected and read as a one-element
//! list (`paths: src/**`, `in: domain`): it is unambiguous, common in hand-written YAML, and
//! rejecting it would only be a papercut. A `null` list (`may_use:` with nothing after it) is
//! rejected, because for `may_use` and `crates` "omitted" and "empty" mean opposite things.
//! A `null` section (`options:` with every line commented out) reads as an empty one.
//!
//! An `exports` entry written unquoted with one `: ` in it (`- fn get(id: Id) -> Order`) is
//! a one-entry mapping to YAML; it is taken back as the text of its line, so signatures can
//! be written as the spec format shows them. (With two or more `: `, YAML itself refuses the
//! line; that syntax error carries a hint to quote it.)

use std::ops::Range;

use super::errors;
use super::yaml::{Yaml, YamlKind};
use super::{
    RawBoundary, RawContract, RawForbid, RawInvariant, RawList, RawOptions, RawQuery, RawRequire,
    RawSpec, RawSystem, RawVersion,
};
use crate::spec::lines::Lines;
use crate::spec::model::At;
use crate::spec::SpecError;

type Entry = (At<String>, Yaml);

/// Every mapping of the format and the keys it accepts (the JSON Schema is checked against
/// this list by a test).
pub const SECTIONS: &[(&str, &[&str])] = &[
    ("top", TOP_KEYS),
    ("system", SYSTEM_KEYS),
    ("options", OPTION_KEYS),
    ("boundary", BOUNDARY_KEYS),
    ("invariant", INVARIANT_KEYS),
    ("forbid", FORBID_KEYS),
    ("require", REQUIRE_KEYS),
    ("contract", CONTRACT_KEYS),
];

const TOP_KEYS: &[&str] = &[
    "version",
    "system",
    "options",
    "boundaries",
    "layers",
    "invariants",
    "contracts",
];
const SYSTEM_KEYS: &[&str] = &["name", "intent", "root", "exclude"];
const OPTION_KEYS: &[&str] = &[
    "unassigned",
    "cycles",
    "tests",
    "unused_allowances",
    "baseline",
    "quoted",
];
const BOUNDARY_KEYS: &[&str] = &[
    "description",
    "paths",
    "may_use",
    "may_not_use",
    "crates",
    "interface",
];
const INVARIANT_KEYS: &[&str] = &[
    "id", "message", "severity", "in", "except", "tests", "forbid", "require",
];
const FORBID_KEYS: &[&str] = &["unsafe", "calls", "macros", "paths", "attributes", "query"];
const REQUIRE_KEYS: &[&str] = &["items", "attribute", "doc"];
const CONTRACT_KEYS: &[&str] = &[
    "id",
    "description",
    "module",
    "file",
    "crate",
    "exports",
    "exhaustive",
    "only_from",
    "env",
];

/// Decodes the top-level mapping of a spec.
pub(super) fn spec(source: &str, entries: &[Entry]) -> RawSpec {
    let mut decoder = Decoder {
        source,
        lines: Lines::new(source),
        problems: Vec::new(),
    };
    let mut raw = decoder.top(entries);
    raw.problems = decoder.problems;
    raw
}

struct Decoder<'s> {
    source: &'s str,
    lines: Lines<'s>,
    problems: Vec<SpecError>,
}

/// The entries of one mapping kept for decoding: known keys, first occurrences.
struct Fields<'y> {
    kept: Vec<&'y Entry>,
}

impl<'y> Fields<'y> {
    fn get(&self, name: &str) -> Option<&'y Entry> {
        self.kept.iter().copied().find(|(key, _)| key.value == name)
    }

    fn keys(&self) -> Vec<At<String>> {
        self.kept.iter().map(|(key, _)| key.clone()).collect()
    }
}

/// Where a diagnostic about a value points: a scalar's own text; for a collection or an empty
/// value, the key it belongs to (the collection itself may span many lines).
fn blame(value: &Yaml, key: &Range<usize>) -> Range<usize> {
    match value.kind {
        YamlKind::Null | YamlKind::Seq(_) | YamlKind::Map(_) => key.clone(),
        _ if value.span.is_empty() => key.clone(),
        _ => value.span.clone(),
    }
}

/// `invariant `id`` when the entry has a string id, else `invariant #n` (1-based).
fn entry_context(kind: &str, index: usize, entries: &[Entry]) -> String {
    let id = entries.iter().find_map(|(key, value)| match &value.kind {
        YamlKind::Str(id) if key.value == "id" => Some(id),
        _ => None,
    });
    match id {
        Some(id) => format!("{kind} `{id}`"),
        None => format!("{kind} #{}", index + 1),
    }
}

/// The anchor of a list entry: its `id` key, else its first key, else the entry.
fn entry_anchor(fields: &Fields<'_>, entries: &[Entry], item: &Yaml) -> Range<usize> {
    let first = entries.first().map(|(key, _)| key.span.clone());
    let id = fields.get("id").map(|(key, _)| key.span.clone());
    id.or(first).unwrap_or_else(|| item.span.clone())
}

fn quoted(name: &str) -> String {
    format!("`{name}`")
}

impl Decoder<'_> {
    /// Keeps the first occurrence of each known key; reports unknown and repeated keys.
    /// `valid: None` accepts any key (the names under `boundaries`).
    fn fields<'y>(
        &mut self,
        entries: &'y [Entry],
        valid: Option<&[&str]>,
        context: &str,
    ) -> Fields<'y> {
        let mut kept: Vec<&'y Entry> = Vec::new();
        for entry in entries {
            let key = &entry.0;
            if let Some(valid) = valid.filter(|valid| !valid.contains(&key.value.as_str())) {
                let error = errors::unknown_key(&key.value, context, valid, key.span.clone());
                self.problems.push(error);
            } else if let Some(first) = kept.iter().find(|(other, _)| other.value == key.value) {
                let line = self.lines.line_of(first.0.span.start);
                let error = errors::duplicate_key(&key.value, context, key.span.clone(), line);
                self.problems.push(error);
            } else {
                kept.push(entry);
            }
        }
        Fields { kept }
    }

    fn type_error(&mut self, what: &str, expected: &str, value: &Yaml, key: &Range<usize>) {
        let found = value.kind.describe();
        let span = blame(value, key);
        let scalar = matches!(
            value.kind,
            YamlKind::Int(_) | YamlKind::Float(_) | YamlKind::Bool(_)
        );
        let error = match scalar && expected.contains("string") {
            true => errors::not_text(what, expected, found, &self.source[span.clone()], span),
            false => errors::wrong_type(what, expected, found, span),
        };
        self.problems.push(error);
    }

    /// A section whose value is a mapping (`null` reads as empty).
    fn mapping<'y>(&mut self, entry: &'y Entry) -> Option<&'y [Entry]> {
        let (key, value) = entry;
        match &value.kind {
            YamlKind::Map(entries) => Some(entries),
            YamlKind::Null => Some(&[]),
            _ => {
                self.type_error(&quoted(&key.value), "a mapping", value, &key.span);
                None
            }
        }
    }

    /// A section whose value is a list of entries (`null` reads as empty).
    fn list<'y>(&mut self, entry: &'y Entry) -> &'y [Yaml] {
        let (key, value) = entry;
        match &value.kind {
            YamlKind::Seq(items) => items,
            YamlKind::Null => &[],
            _ => {
                let what = quoted(&key.value);
                let found = value.kind.describe();
                let error = errors::not_a_list_of_entries(&what, found, blame(value, &key.span));
                self.problems.push(error);
                &[]
            }
        }
    }

    /// An entry of a list that must be a mapping.
    fn list_entry<'y>(&mut self, item: &'y Yaml, list: &str) -> Option<&'y [Entry]> {
        match &item.kind {
            YamlKind::Map(entries) => Some(entries),
            _ => {
                let what = format!("an entry of `{list}`");
                self.type_error(&what, "a mapping", item, &item.span);
                None
            }
        }
    }

    fn string(&mut self, fields: &Fields<'_>, name: &str) -> Option<At<String>> {
        self.string_as(fields, name, "a string")
    }

    /// A string value; `expected` describes it in a type error (e.g. "`allow`, `warn` or …").
    fn string_as(&mut self, fields: &Fields<'_>, name: &str, expected: &str) -> Option<At<String>> {
        let (key, value) = fields.get(name)?;
        match &value.kind {
            YamlKind::Str(text) => Some(At::new(text.clone(), value.span.clone())),
            _ => {
                self.type_error(&quoted(name), expected, value, &key.span);
                None
            }
        }
    }

    /// A required string: reports `spec::missing-key` at `anchor` when absent.
    fn required_string(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
        context: &str,
        anchor: &Range<usize>,
    ) -> Option<At<String>> {
        if fields.get(name).is_none() {
            let error = errors::missing_key(name, context, anchor.clone());
            self.problems.push(error);
            return None;
        }
        self.string(fields, name)
    }

    fn boolean(&mut self, fields: &Fields<'_>, name: &str) -> Option<At<bool>> {
        let (key, value) = fields.get(name)?;
        match value.kind {
            YamlKind::Bool(flag) => Some(At::new(flag, value.span.clone())),
            _ => {
                self.type_error(&quoted(name), "`true` or `false`", value, &key.span);
                None
            }
        }
    }

    /// A list of strings, spanned by its key. `None` when absent or when any entry is not a
    /// string (reported).
    fn strings(&mut self, fields: &Fields<'_>, name: &str) -> Option<RawList> {
        self.string_list(fields, name, false)
    }

    /// `exports:`: a list of strings where an unquoted `fn f(x: T)`, which YAML reads as a
    /// one-entry mapping, is taken back as the text written on its line.
    fn signatures(&mut self, fields: &Fields<'_>, name: &str) -> Option<RawList> {
        self.string_list(fields, name, true)
    }

    fn string_list(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
        signatures: bool,
    ) -> Option<RawList> {
        let (key, value) = fields.get(name)?;
        let items = match &value.kind {
            YamlKind::Seq(items) => items,
            YamlKind::Str(text) => {
                let single = At::new(text.clone(), value.span.clone());
                return Some(At::new(vec![single], key.span.clone()));
            }
            YamlKind::Null => {
                let error = errors::null_list(&quoted(name), key.span.clone());
                self.problems.push(error);
                return None;
            }
            _ => {
                self.type_error(&quoted(name), "a list of strings", value, &key.span);
                return None;
            }
        };
        let before = self.problems.len();
        let what = format!("an entry of `{name}`");
        let strings: Vec<At<String>> = items
            .iter()
            .filter_map(|item| {
                let text = self.entry_text(item, signatures);
                if text.is_none() {
                    self.type_error(&what, "a string", item, &item.span);
                }
                text
            })
            .collect();
        (self.problems.len() == before).then(|| At::new(strings, key.span.clone()))
    }

    /// A list entry's text: a string, or (for signatures) a one-line `key: value` entry
    /// taken back from the source.
    fn entry_text(&self, item: &Yaml, signatures: bool) -> Option<At<String>> {
        match &item.kind {
            YamlKind::Str(text) => Some(At::new(text.clone(), item.span.clone())),
            YamlKind::Map(entries) if signatures => self.unsplit(entries),
            _ => None,
        }
    }

    fn unsplit(&self, entries: &[Entry]) -> Option<At<String>> {
        let [(key, value)] = entries else {
            return None;
        };
        let scalar = matches!(
            value.kind,
            YamlKind::Str(_) | YamlKind::Int(_) | YamlKind::Float(_) | YamlKind::Bool(_)
        );
        let span = key.span.start..value.span.end;
        let text = self.source.get(span.clone())?;
        (scalar && !text.contains('\n')).then(|| At::new(text.to_owned(), span))
    }

    fn top(&mut self, entries: &[Entry]) -> RawSpec {
        let anchor = entries.first().map_or(0..0, |(key, _)| key.span.clone());
        let fields = self.fields(entries, Some(TOP_KEYS), "the spec");
        let mut raw = RawSpec {
            anchor: anchor.clone(),
            version: self.version(&fields, &anchor),
            system: self.system(&fields, &anchor),
            options: fields.get("options").and_then(|entry| self.options(entry)),
            layers: self.strings(&fields, "layers"),
            ..RawSpec::default()
        };
        if let Some(entry) = fields.get("boundaries") {
            raw.boundaries = self.boundaries(entry);
        }
        if let Some(entry) = fields.get("invariants") {
            raw.invariants = self.invariants(entry);
        }
        if let Some(entry) = fields.get("contracts") {
            raw.contracts = self.contracts(entry);
        }
        raw
    }

    fn version(&mut self, fields: &Fields<'_>, anchor: &Range<usize>) -> Option<At<RawVersion>> {
        let Some((key, value)) = fields.get("version") else {
            self.problems
                .push(errors::missing_key("version", "the spec", anchor.clone()));
            return None;
        };
        let number = match value.kind {
            YamlKind::Int(number) => Some(number),
            YamlKind::Seq(_) | YamlKind::Map(_) => {
                self.type_error("`version`", "an integer", value, &key.span);
                return None;
            }
            _ => None,
        };
        let span = blame(value, &key.span);
        let text = self.source[value.span.clone()].to_owned();
        Some(At::new(RawVersion { number, text }, span))
    }

    fn system(&mut self, fields: &Fields<'_>, anchor: &Range<usize>) -> Option<RawSystem> {
        let Some(entry) = fields.get("system") else {
            self.problems
                .push(errors::missing_key("system", "the spec", anchor.clone()));
            return None;
        };
        let key = entry.0.span.clone();
        let entries = self.mapping(entry)?;
        let fields = self.fields(entries, Some(SYSTEM_KEYS), "`system`");
        Some(RawSystem {
            name: self.required_string(&fields, "name", "`system`", &key),
            intent: self.string(&fields, "intent"),
            root: self.string(&fields, "root"),
            exclude: self.strings(&fields, "exclude"),
            key,
        })
    }

    fn options(&mut self, entry: &Entry) -> Option<RawOptions> {
        let entries = self.mapping(entry)?;
        let fields = self.fields(entries, Some(OPTION_KEYS), "`options`");
        let levels = "`allow`, `warn` or `error`";
        Some(RawOptions {
            key: entry.0.span.clone(),
            unassigned: self.string_as(&fields, "unassigned", levels),
            cycles: self.string_as(&fields, "cycles", levels),
            tests: self.string_as(&fields, "tests", "`skip` or `check`"),
            unused_allowances: self.string_as(&fields, "unused_allowances", levels),
            baseline: self.string(&fields, "baseline"),
            quoted: self.string_as(&fields, "quoted", "`skip` or `check`"),
        })
    }

    fn boundaries(&mut self, entry: &Entry) -> Vec<RawBoundary> {
        let Some(entries) = self.mapping(entry) else {
            return Vec::new();
        };
        let fields = self.fields(entries, None, "`boundaries`");
        fields
            .kept
            .iter()
            .filter_map(|entry| self.boundary(entry))
            .collect()
    }

    fn boundary(&mut self, entry: &Entry) -> Option<RawBoundary> {
        let (name, value) = entry;
        let context = format!("boundary `{}`", name.value);
        let entries = match &value.kind {
            YamlKind::Map(entries) => entries.as_slice(),
            YamlKind::Null => &[],
            _ => {
                self.type_error(&context, "a mapping", value, &name.span);
                return None;
            }
        };
        let fields = self.fields(entries, Some(BOUNDARY_KEYS), &context);
        if fields.get("paths").is_none() {
            let error = errors::missing_key("paths", &context, name.span.clone());
            self.problems.push(error);
        }
        Some(RawBoundary {
            name: name.clone(),
            description: self.string(&fields, "description"),
            paths: self.strings(&fields, "paths"),
            may_use: self.strings(&fields, "may_use"),
            may_not_use: self.strings(&fields, "may_not_use"),
            crates: self.strings(&fields, "crates"),
            interface: self.strings(&fields, "interface"),
        })
    }

    fn invariants(&mut self, entry: &Entry) -> Vec<RawInvariant> {
        let items = self.list(entry);
        let decoded = items.iter().enumerate();
        decoded
            .filter_map(|(index, item)| self.invariant(index, item))
            .collect()
    }

    fn invariant(&mut self, index: usize, item: &Yaml) -> Option<RawInvariant> {
        let entries = self.list_entry(item, "invariants")?;
        let context = entry_context("invariant", index, entries);
        let fields = self.fields(entries, Some(INVARIANT_KEYS), &context);
        let anchor = entry_anchor(&fields, entries, item);
        Some(RawInvariant {
            span: item.span.clone(),
            keys: fields.keys(),
            id: self.required_string(&fields, "id", &context, &anchor),
            message: self.string(&fields, "message"),
            severity: self.string_as(&fields, "severity", "`error` or `warning`"),
            in_: self.strings(&fields, "in"),
            except: self.strings(&fields, "except"),
            tests: self.string_as(&fields, "tests", "`skip` or `check`"),
            forbid: fields.get("forbid").and_then(|entry| self.forbid(entry)),
            require: fields.get("require").and_then(|entry| self.require(entry)),
            anchor,
        })
    }

    fn forbid(&mut self, entry: &Entry) -> Option<RawForbid> {
        let entries = self.mapping(entry)?;
        let fields = self.fields(entries, Some(FORBID_KEYS), "`forbid`");
        let query = self.string(&fields, "query").map(|text| RawQuery {
            text,
            after_key: fields.get("query").map_or(0, |(key, _)| key.span.end),
        });
        Some(RawForbid {
            key: entry.0.span.clone(),
            keys: fields.keys(),
            unsafe_: self.boolean(&fields, "unsafe"),
            calls: self.strings(&fields, "calls"),
            macros: self.strings(&fields, "macros"),
            paths: self.strings(&fields, "paths"),
            attributes: self.strings(&fields, "attributes"),
            query,
        })
    }

    fn require(&mut self, entry: &Entry) -> Option<RawRequire> {
        let key = entry.0.span.clone();
        let entries = self.mapping(entry)?;
        let fields = self.fields(entries, Some(REQUIRE_KEYS), "`require`");
        Some(RawRequire {
            items: self.required_string(&fields, "items", "`require`", &key),
            attribute: self.string(&fields, "attribute"),
            doc: self.boolean(&fields, "doc"),
            keys: fields.keys(),
            key,
        })
    }

    fn contracts(&mut self, entry: &Entry) -> Vec<RawContract> {
        let items = self.list(entry);
        let decoded = items.iter().enumerate();
        decoded
            .filter_map(|(index, item)| self.contract(index, item))
            .collect()
    }

    fn contract(&mut self, index: usize, item: &Yaml) -> Option<RawContract> {
        let entries = self.list_entry(item, "contracts")?;
        let context = entry_context("contract", index, entries);
        let fields = self.fields(entries, Some(CONTRACT_KEYS), &context);
        let anchor = entry_anchor(&fields, entries, item);
        Some(RawContract {
            span: item.span.clone(),
            keys: fields.keys(),
            id: self.required_string(&fields, "id", &context, &anchor),
            description: self.string(&fields, "description"),
            module: self.string(&fields, "module"),
            file: self.string(&fields, "file"),
            krate: self.string(&fields, "crate"),
            exports: self.signatures(&fields, "exports"),
            exhaustive: self.boolean(&fields, "exhaustive"),
            only_from: self.strings(&fields, "only_from"),
            env: self.strings(&fields, "env"),
            anchor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use crate::spec::SpecError;

    fn problems(source: &str) -> Vec<SpecError> {
        parse(source)
            .map(|raw| raw.problems)
            .unwrap_or_else(|errors| errors)
    }

    fn codes(source: &str) -> Vec<&'static str> {
        problems(source).iter().map(|error| error.code).collect()
    }

    const HEAD: &str = "version: 1\nsystem: {name: x}\n";

    #[test]
    fn unknown_keys_suggest_the_nearest() {
        let source = format!("{HEAD}boundaries:\n  a:\n    paths: [src/**]\n    may-use: []\n");
        let found = problems(&source);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, "spec::unknown-key");
        assert_eq!(&source[found[0].span.clone()], "may-use");
        assert!(found[0]
            .help
            .as_deref()
            .unwrap_or("")
            .starts_with("did you mean `may_use`?"));
    }

    #[test]
    fn every_duplicate_key_is_reported() {
        let source = format!(
            "{HEAD}boundaries:\n  a: {{paths: [x]}}\n  a: {{paths: [y]}}\n  a: {{paths: [z]}}\n"
        );
        assert_eq!(
            codes(&source),
            ["spec::duplicate-key", "spec::duplicate-key"]
        );
    }

    #[test]
    fn wrong_types_point_at_the_value_or_key() {
        let source =
            format!("{HEAD}boundaries:\n  a:\n    paths: {{x: 1}}\n    crates: [1, serde]\n");
        let found = problems(&source);
        assert_eq!(codes(&source), ["spec::type", "spec::type"]);
        assert_eq!(&source[found[0].span.clone()], "paths");
        assert_eq!(
            found[0].message,
            "expected a list of strings for `paths`, found a mapping"
        );
        assert_eq!(&source[found[1].span.clone()], "1");
    }

    #[test]
    fn a_lone_string_is_a_one_element_list() {
        let raw = parse(&format!("{HEAD}boundaries:\n  a: {{paths: src/**}}\n")).unwrap();
        assert!(raw.problems.is_empty());
        let paths = raw.boundaries[0].paths.as_ref().unwrap();
        assert_eq!(paths.value[0].value, "src/**");
    }

    #[test]
    fn a_null_list_is_rejected() {
        let source = format!("{HEAD}boundaries:\n  a:\n    paths: [x]\n    may_use:\n");
        assert_eq!(codes(&source), ["spec::type"]);
    }

    #[test]
    fn missing_keys_point_at_the_parent_key() {
        let source = "version: 1\nsystem: {intent: x}\nboundaries:\n  a: {}\ninvariants:\n  - forbid: {unsafe: true}\n";
        let found = problems(source);
        assert_eq!(codes(source), ["spec::missing-key"; 3]);
        assert_eq!(&source[found[0].span.clone()], "system");
        assert_eq!(&source[found[1].span.clone()], "a");
        assert_eq!(&source[found[2].span.clone()], "forbid");
    }

    #[test]
    fn a_query_remembers_where_its_key_ends() {
        let source =
            format!("{HEAD}invariants:\n  - id: q\n    forbid:\n      query: |\n        (x)\n");
        let raw = parse(&source).unwrap();
        let forbid = raw.invariants[0].forbid.as_ref().unwrap();
        let query = forbid.query.as_ref().unwrap();
        assert_eq!(&source[query.after_key..query.after_key + 3], ": |");
        assert_eq!(query.text.value, "(x)\n");
    }
}
