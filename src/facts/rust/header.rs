//! Item headers as normalised tokens, for comparing declared contract exports with the code.
//!
//! A header is an item without its body, value, attributes, doc comments and visibility:
//! `pub async fn get<T: X>(id: u32,) -> Result<T>  { .. }` gives the tokens of
//! `async fn get<T: X>(id: u32) -> Result<T>`. Whitespace and trailing commas never matter.
//! Structs also carry their pub fields (name and type tokens), enums their variant names.

use tree_sitter::Node;

use crate::facts::model::{Header, ItemKindFact, Segs};

/// A declaration that does not parse as one Rust item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclError {
    /// Byte offset in the declaration text.
    pub offset: usize,
    pub message: String,
}

fn kind_of(kind: &str) -> Option<ItemKindFact> {
    Some(match kind {
        "function_item" | "function_signature_item" => ItemKindFact::Fn,
        "struct_item" => ItemKindFact::Struct,
        "enum_item" => ItemKindFact::Enum,
        "union_item" => ItemKindFact::Union,
        "trait_item" => ItemKindFact::Trait,
        "type_item" => ItemKindFact::Type,
        "const_item" => ItemKindFact::Const,
        "static_item" => ItemKindFact::Static,
        "mod_item" => ItemKindFact::Mod,
        "macro_definition" => ItemKindFact::Macro,
        _ => return None,
    })
}

/// Node kinds whose text is one token.
const ATOMIC: &[&str] = &[
    "string_literal",
    "raw_string_literal",
    "char_literal",
    "lifetime",
    "integer_literal",
    "float_literal",
];

/// The header of an item node.
pub fn header_of(node: Node, source: &[u8]) -> Option<Header> {
    let kind = kind_of(node.kind())?;
    let name = node
        .child_by_field_name("name")
        .map(|n| text(n, source))
        .unwrap_or_default();
    let mut tokens = Vec::new();
    let mut cursor = node.walk();
    if cursor.goto_first_child() {
        loop {
            let child = cursor.node();
            let field = cursor.field_name();
            if !matches!(field, Some("body") | Some("value")) && !skipped(child.kind()) {
                collect(child, source, &mut tokens);
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    if tokens.last().is_some_and(|t| t == ";") {
        tokens.pop();
    }
    if matches!(kind, ItemKindFact::Const | ItemKindFact::Static)
        && tokens.last().is_some_and(|t| t == "=")
    {
        tokens.pop();
    }
    normalise(&mut tokens);
    let body = node.child_by_field_name("body");
    let fields = match (kind, body) {
        (ItemKindFact::Struct | ItemKindFact::Union, Some(b)) => Some(fields_of(b, source, true)),
        _ => None,
    };
    let variants = match (kind, body) {
        (ItemKindFact::Enum, Some(b)) => Some(variants_of(b, source)),
        _ => None,
    };
    Some(Header {
        kind,
        name,
        text: display(&tokens),
        tokens: Segs::new(&tokens),
        fields,
        variants,
    })
}

fn skipped(kind: &str) -> bool {
    matches!(
        kind,
        "visibility_modifier"
            | "attribute_item"
            | "line_comment"
            | "block_comment"
            | "inner_attribute_item"
    )
}

fn text(node: Node, source: &[u8]) -> String {
    String::from_utf8_lossy(&source[node.start_byte()..node.end_byte()]).into_owned()
}

fn collect(node: Node, source: &[u8], out: &mut Vec<String>) {
    if skipped(node.kind()) {
        return;
    }
    if node.child_count() == 0 || ATOMIC.contains(&node.kind()) {
        let t = text(node, source);
        if !t.trim().is_empty() {
            out.push(t);
        }
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect(child, source, out);
    }
}

/// Drops trailing commas (before a closing delimiter or at the end).
fn normalise(tokens: &mut Vec<String>) {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        if t == "," {
            let next = tokens.get(i + 1).map(String::as_str);
            if matches!(next, None | Some(")") | Some(">") | Some("]") | Some("}")) {
                continue;
            }
        }
        out.push(t.clone());
    }
    *tokens = out;
}

/// Tokens joined the way rustfmt would roughly print them.
pub fn display(tokens: &[String]) -> String {
    let mut s = String::new();
    let mut prev: Option<&str> = None;
    for t in tokens {
        let t = t.as_str();
        let no_space_before = matches!(
            t,
            "," | ")" | ">" | "]" | ":" | ";" | "?" | "(" | "::" | "."
        ) && !(t == "(" && prev.is_some_and(|p| matches!(p, "fn" | ",")));
        let no_space_after_prev =
            prev.is_some_and(|p| matches!(p, "(" | "<" | "[" | "&" | "::" | "'" | "#" | "." | "!"));
        let angle_open =
            t == "<" && prev.is_some_and(|p| p.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if prev.is_some() && !no_space_before && !no_space_after_prev && !angle_open {
            s.push(' ');
        }
        s.push_str(t);
        prev = Some(t);
    }
    s
}

fn fields_of(body: Node, source: &[u8], pub_only: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cursor = body.walk();
    for (i, f) in body.children(&mut cursor).enumerate() {
        if f.kind() != "field_declaration" {
            continue;
        }
        let public = {
            let mut c = f.walk();
            let vis = f
                .children(&mut c)
                .find(|n| n.kind() == "visibility_modifier");
            vis.is_some_and(|v| text(v, source) == "pub")
        };
        if pub_only && !public {
            continue;
        }
        let name = f
            .child_by_field_name("name")
            .map(|n| text(n, source))
            .unwrap_or_else(|| i.to_string());
        let mut ty = Vec::new();
        if let Some(t) = f.child_by_field_name("type") {
            collect(t, source, &mut ty);
        }
        normalise(&mut ty);
        out.push((name, display(&ty)));
    }
    out.sort();
    out
}

fn variants_of(body: Node, source: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = body.walk();
    for v in body.children(&mut cursor) {
        if v.kind() == "enum_variant" {
            if let Some(n) = v.child_by_field_name("name") {
                out.push(text(n, source));
            }
        }
    }
    out.sort();
    out
}

/// Parses declarations one after another with one tree-sitter parser.
pub struct DeclarationParser(tree_sitter::Parser);

impl DeclarationParser {
    /// A parser for Rust item declarations.
    pub fn new() -> Self {
        DeclarationParser(super::parser())
    }

    /// See [`parse_declaration`].
    pub fn parse(&mut self, decl: &str) -> Result<Header, DeclError> {
        parse_declaration(&mut self.0, decl)
    }
}

impl Default for DeclarationParser {
    fn default() -> Self {
        Self::new()
    }
}

/// Parses a declared export (`fn name(args) -> Ret`, `struct Name { f: T }`, `enum Name`,
/// `trait Name`, `type Name = T`, `const NAME: T`, `mod name`...), with the parser given.
/// Declarations need no body: one is added where Rust requires it.
pub fn parse_declaration(
    parser: &mut tree_sitter::Parser,
    decl: &str,
) -> Result<Header, DeclError> {
    let trimmed = decl.trim();
    let body_needed = {
        let first_word = trimmed
            .split_whitespace()
            .find(|w| {
                !matches!(*w, "pub" | "async" | "unsafe" | "const" | "extern")
                    && !w.starts_with('"')
                    && !w.starts_with("pub(")
            })
            .unwrap_or("");
        match first_word {
            "fn" | "trait" | "mod" | "enum" => !trimmed.ends_with('}'),
            _ => false,
        }
    };
    let mut source = trimmed.to_string();
    if body_needed {
        source.push_str(" {}");
    } else if !trimmed.ends_with('}') && !trimmed.ends_with(';') {
        source.push(';');
    }
    let offset_of = |byte: usize| byte.min(trimmed.len()) + (decl.len() - decl.trim_start().len());
    let tree = parser.parse(source.as_bytes(), None).ok_or(DeclError {
        offset: 0,
        message: "could not be parsed".into(),
    })?;
    let root = tree.root_node();
    if let Some(err) = first_error(root) {
        return Err(DeclError {
            offset: offset_of(err.start_byte()),
            message: "is not a Rust item header".into(),
        });
    }
    let mut cursor = root.walk();
    let items: Vec<Node> = root
        .children(&mut cursor)
        .filter(|n| !skipped(n.kind()))
        .collect();
    match items.as_slice() {
        [item] => {
            let mut h = header_of(*item, source.as_bytes()).ok_or(DeclError {
                offset: offset_of(item.start_byte()),
                message: format!(
                    "`{}` is not an item a contract can declare",
                    item.kind().replace('_', " ")
                ),
            })?;
            if h.kind == ItemKindFact::Struct || h.kind == ItemKindFact::Union {
                if let Some(b) = item.child_by_field_name("body") {
                    h.fields = Some(fields_of(b, source.as_bytes(), false));
                }
            }
            if h.kind == ItemKindFact::Enum && !trimmed.contains('{') {
                h.variants = None;
            }
            Ok(h)
        }
        [] => Err(DeclError {
            offset: 0,
            message: "is empty".into(),
        }),
        [_, second, ..] => Err(DeclError {
            offset: offset_of(second.start_byte()),
            message: "declares more than one item".into(),
        }),
    }
}

fn first_error(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    let children: Vec<Node> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(s: &str) -> Header {
        let mut p = crate::facts::rust::parser();
        parse_declaration(&mut p, s).expect("parses")
    }

    fn code(s: &str) -> Header {
        let mut p = crate::facts::rust::parser();
        let tree = p.parse(s, None).expect("tree");
        let root = tree.root_node();
        let item = root.child(0).expect("an item");
        header_of(item, s.as_bytes()).expect("a header")
    }

    #[test]
    fn whitespace_trailing_commas_and_pub_do_not_matter() {
        let d = decl("fn create_order(req: CreateOrder,) -> Result<Order, ApiError>");
        let c = code(
            "pub fn create_order(\n    req: CreateOrder,\n) -> Result<Order, ApiError> { todo!() }",
        );
        assert_eq!(d.tokens, c.tokens);
        assert_eq!(
            c.text,
            "fn create_order(req: CreateOrder) -> Result<Order, ApiError>"
        );
    }

    #[test]
    fn generics_where_clauses_lifetimes_impl_trait_async() {
        let src = "pub async fn get<'a, T: Clone>(x: &'a T, f: impl Fn(u8) -> u8) -> T where T: Send { x.clone() }";
        let c = code(src);
        let d =
            decl("async fn get<'a, T: Clone>(x: &'a T, f: impl Fn(u8) -> u8) -> T where T: Send");
        assert_eq!(c.tokens, d.tokens);
        let changed = decl("async fn get<'a, T: Clone>(x: &'a T, f: impl Fn(u8) -> u8) -> T");
        assert_ne!(c.tokens, changed.tokens);
    }

    #[test]
    fn struct_fields_and_enum_variants() {
        let c = code("pub struct Order { pub id: u64, secret: String, pub lines: Vec<Line> }");
        assert_eq!(
            c.fields,
            Some(vec![
                ("id".into(), "u64".into()),
                ("lines".into(), "Vec<Line>".into())
            ])
        );
        let d = decl("struct Order");
        assert_eq!(d.fields, None);
        assert_eq!(d.tokens, c.tokens);
        let e = code("pub enum E { A, B(u8) }");
        assert_eq!(e.variants, Some(vec!["A".into(), "B".into()]));
        assert_eq!(decl("enum E").variants, None);
    }

    #[test]
    fn const_type_and_mod() {
        assert_eq!(
            code("pub const MAX: u32 = 3;").tokens,
            decl("const MAX: u32").tokens
        );
        assert_eq!(
            code("pub type Id = u64;").tokens,
            decl("type Id = u64").tokens
        );
        assert_eq!(code("pub mod api { }").tokens, decl("mod api").tokens);
        assert_eq!(code("pub mod api;").tokens, decl("mod api").tokens);
    }

    #[test]
    fn syntax_errors_have_an_offset() {
        let mut p = crate::facts::rust::parser();
        let e = parse_declaration(&mut p, "fn broken(x: ) ->").expect_err("does not parse");
        assert!(e.offset > 0, "{e:?}");
        assert!(parse_declaration(&mut p, "struct A; struct B").is_err());
    }
}
