//! The YAML layer: serde-saphyr parses the text into a generic tree whose every node and key
//! carries its byte span in the spec source.
//!
//! Duplicate keys are passed through (`DuplicateKeyPolicy::PassThrough`) so the structural
//! decoder can report every one of them; serde-saphyr's other safe defaults (alias replay
//! limits, the parse budget) are kept. YAML 1.2 booleans are used (`yes`/`no`/`on`/`off` stay
//! strings).

use std::fmt;
use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Location, MessageFormatter, Spanned};

use super::errors;
use crate::spec::lines::{clamp_to_char, Lines};
use crate::spec::model::At;
use crate::spec::SpecError;

/// A YAML node with its span: the scalar's text (quotes included, trailing line breaks of a
/// block scalar excluded), or a collection's extent (first entry to last, brackets included
/// for flow collections).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Yaml {
    pub(crate) kind: YamlKind,
    pub(crate) span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum YamlKind {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Yaml>),
    Map(Vec<(At<String>, Yaml)>),
}

impl YamlKind {
    /// How a value of this kind is described in a "found …" message.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            YamlKind::Null => "nothing (null)",
            YamlKind::Bool(_) => "a boolean",
            YamlKind::Int(_) => "an integer",
            YamlKind::Float(_) => "a number",
            YamlKind::Str(_) => "a string",
            YamlKind::Seq(_) => "a list",
            YamlKind::Map(_) => "a mapping",
        }
    }
}

/// Parses one YAML document into a spanned tree.
pub(crate) fn load(source: &str) -> Result<Yaml, SpecError> {
    let options = serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        with_snippet: false,
        budget: Some(budget()),
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
        },
    };
    let lines = Lines::new(source);
    match serde_saphyr::from_str_with_options::<Spanned<Node>>(source, options) {
        Ok(node) => Ok(Converter {
            source,
            lines: &lines,
        }
        .node(node)),
        Err(error) => Err(syntax_error(source, &lines, &error)),
    }
}

/// Most YAML nodes a spec may have, aliases expanded (serde-saphyr's default is 250 000; a
/// large real spec has a few thousand).
pub const MAX_NODES: usize = 100_000;

/// Most YAML events aliases may replay in one spec (serde-saphyr allows 1 000 000; a spec
/// that shares a list through an anchor replays a few hundred).
pub const MAX_REPLAYED_EVENTS: usize = 20_000;

/// Deepest nesting of mappings and lists (a spec needs about 6). serde-saphyr allows 64, but
/// its deserializer recurses per level with large frames in unoptimised builds: 64 levels
/// overflow a 2 MiB thread stack, 32 take half of one.
pub const MAX_DEPTH: usize = 32;

/// serde-saphyr's budget with ribo's tighter node and depth limits.
fn budget() -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_NODES;
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget
}

fn syntax_error(source: &str, lines: &Lines<'_>, error: &serde_saphyr::Error) -> SpecError {
    let span = match error.location() {
        Some(location) => location_span(source, lines, &location),
        None => 0..0,
    };
    if let Some(reason) = over_budget(error) {
        return errors::too_large(&reason, span);
    }
    let message = serde_saphyr::UserMessageFormatter.format_message(error);
    errors::yaml(&message, span)
}

/// Why the YAML was refused as too large or complex, when it was.
fn over_budget(error: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach;
    use serde_saphyr::Error as E;
    let reason = match error {
        E::AliasError { error, .. } | E::WithSnippet { error, .. } => return over_budget(error),
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Nodes { .. } => {
                format!("it has more than {MAX_NODES} YAML nodes once aliases are expanded")
            }
            BudgetBreach::Depth { .. } => {
                format!("it nests mappings and lists more than {MAX_DEPTH} levels deep")
            }
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => {
                "its anchors and aliases expand too far (an alias bomb?)".to_owned()
            }
            other => format!("it is over ribo's YAML budget ({other:?})"),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => {
            "its anchors and aliases expand too far (an alias bomb?)".to_owned()
        }
        other if other.to_string().contains("recursion limit exceeded") => {
            "it nests flow collections (`[`, `{`) too deeply".to_owned()
        }
        _ => return None,
    };
    Some(reason)
}

/// The byte range of a serde-saphyr location (from its byte offset, or from its line and
/// column when the offset is unknown), clamped to char boundaries of `source`.
fn location_span(source: &str, lines: &Lines<'_>, location: &Location) -> Range<usize> {
    let span = location.span();
    let start = match span.byte_offset() {
        Some(offset) => usize::try_from(offset).unwrap_or(source.len()),
        None if location.line() == 0 => 0,
        None => lines.offset_of(to_usize(location.line()), to_usize(location.column())),
    };
    let len = span.byte_len().map_or(0, to_usize);
    let start = clamp_to_char(source, start);
    start..clamp_to_char(source, start.saturating_add(len))
}

fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Turns serde-saphyr's `Spanned` tree into [`Yaml`] with byte spans.
struct Converter<'s, 'l> {
    source: &'s str,
    lines: &'l Lines<'s>,
}

impl Converter<'_, '_> {
    fn node(&self, node: Spanned<Node>) -> Yaml {
        let at = location_span(self.source, self.lines, &node.referenced);
        match node.value {
            Node::Null => self.leaf(YamlKind::Null, at),
            Node::Bool(value) => self.leaf(YamlKind::Bool(value), at),
            Node::Int(value) => self.leaf(YamlKind::Int(value), at),
            Node::Float(value) => self.leaf(YamlKind::Float(value), at),
            Node::Str(value) => self.leaf(YamlKind::Str(value), at),
            Node::Seq(items) => self.seq(items, at.start),
            Node::Map(entries) => self.map(entries, at.start),
        }
    }

    /// A scalar: its span without trailing whitespace (a block scalar's span runs on to the
    /// next key).
    fn leaf(&self, kind: YamlKind, at: Range<usize>) -> Yaml {
        let text = &self.source[at.clone()];
        let end = at.start + text.trim_end().len();
        Yaml {
            kind,
            span: at.start..end,
        }
    }

    fn seq(&self, items: Vec<Spanned<Node>>, start: usize) -> Yaml {
        let items: Vec<Yaml> = items.into_iter().map(|item| self.node(item)).collect();
        let end = items
            .iter()
            .map(|item| item.span.end)
            .max()
            .unwrap_or(start);
        let span = self.extent(start, end, '[', ']');
        Yaml {
            kind: YamlKind::Seq(items),
            span,
        }
    }

    fn map(&self, entries: Vec<(Spanned<String>, Spanned<Node>)>, start: usize) -> Yaml {
        let entries: Vec<(At<String>, Yaml)> = entries
            .into_iter()
            .map(|(key, value)| {
                let span = location_span(self.source, self.lines, &key.referenced);
                (At::new(key.value, span), self.node(value))
            })
            .collect();
        let end = entries
            .iter()
            .map(|(key, value)| key.span.end.max(value.span.end))
            .max()
            .unwrap_or(start);
        let span = self.extent(start, end, '{', '}');
        Yaml {
            kind: YamlKind::Map(entries),
            span,
        }
    }

    /// A collection's extent; a flow collection (`[...]`, `{...}`) includes its brackets.
    fn extent(&self, start: usize, end: usize, open: char, close: char) -> Range<usize> {
        let end = end.max(start);
        if !self.source[start..].starts_with(open) {
            return start..end;
        }
        let from = end.max(start + open.len_utf8());
        let rest = &self.source[from..];
        let skipped = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n', ',']).len();
        match rest[skipped..].starts_with(close) {
            true => start..from + skipped + close.len_utf8(),
            false => start..end,
        }
    }
}

/// The tree serde-saphyr deserializes into (any YAML value, spans on every node and key).
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Int(value.into()))
    }

    fn visit_i128<E>(self, value: i128) -> Result<Node, E> {
        Ok(Node::Int(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Int(value.into()))
    }

    fn visit_u128<E: serde::de::Error>(self, value: u128) -> Result<Node, E> {
        i128::try_from(value)
            .map(Node::Int)
            .map_err(|_| E::custom("integer too large"))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Float(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Str(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Node, E> {
        Ok(Node::Str(value))
    }

    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Node, E> {
        Err(E::custom("binary values are not supported"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn str_at(yaml: &Yaml) -> (&str, Range<usize>) {
        match &yaml.kind {
            YamlKind::Str(text) => (text, yaml.span.clone()),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn entries(yaml: &Yaml) -> &[(At<String>, Yaml)] {
        match &yaml.kind {
            YamlKind::Map(entries) => entries,
            other => panic!("not a mapping: {other:?}"),
        }
    }

    #[test]
    fn spans_are_byte_ranges() {
        let source = "a: \"x\"\nb: |\n  one\n  two\nc: [p, q]\n";
        let doc = load(source).unwrap();
        let map = entries(&doc);
        assert_eq!(map[0].0.span, 0..1);
        assert_eq!(str_at(&map[0].1), ("x", 3..6));
        let (text, span) = str_at(&map[1].1);
        assert_eq!(text, "one\ntwo\n");
        assert_eq!(&source[span], "one\n  two");
        assert_eq!(&source[map[2].1.span.clone()], "[p, q]");
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let doc = load("a: 1\na: 2\n").unwrap();
        assert_eq!(entries(&doc).len(), 2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let error = load("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(error.code, "spec::yaml");
        assert_eq!(error.span.start, 10);
    }

    #[test]
    fn yes_and_no_are_strings() {
        let doc = load("a: yes\n").unwrap();
        assert_eq!(str_at(&entries(&doc)[0].1).0, "yes");
    }
}
