//! Node kinds and field ids of tree-sitter-rust, resolved once per process.
//!
//! The walker dispatches on `Node::kind_id()` through a table indexed by kind id, so one
//! lookup classifies a node whatever alias the grammar gave it (`identifier` exists under
//! several symbol ids, for instance).

use std::num::NonZeroU16;
use std::sync::LazyLock;

/// The node kinds the extractor cares about; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum K {
    Other,
    // Files, comments, attributes.
    SourceFile,
    LineComment,
    BlockComment,
    AttributeItem,
    InnerAttributeItem,
    Attribute,
    // Items.
    ModItem,
    UseDeclaration,
    ScopedUseList,
    UseList,
    UseAsClause,
    UseWildcard,
    ExternCrate,
    FunctionItem,
    FunctionSignatureItem,
    FunctionModifiers,
    StructItem,
    EnumItem,
    UnionItem,
    TraitItem,
    ImplItem,
    TypeItem,
    AssociatedType,
    ConstItem,
    StaticItem,
    MacroDefinition,
    MacroRule,
    ForeignModItem,
    VisibilityModifier,
    DeclarationList,
    Block,
    TypeParameters,
    TypeParameter,
    // Paths.
    ScopedIdentifier,
    ScopedTypeIdentifier,
    GenericType,
    BracketedType,
    QualifiedType,
    Identifier,
    TypeIdentifier,
    PrimitiveType,
    SelfKw,
    SuperKw,
    CrateKw,
    Metavariable,
    // Expressions.
    CallExpression,
    GenericFunction,
    FieldExpression,
    UnsafeBlock,
    MacroInvocation,
    TokenTree,
    TokenRepetition,
    StringLiteral,
    RawStringLiteral,
    Lifetime,
    // Local bindings.
    LetDeclaration,
    LetCondition,
    MatchArm,
    ForExpression,
    ClosureExpression,
    ClosureParameters,
    Parameters,
    Parameter,
    TuplePattern,
    TupleStructPattern,
    StructPattern,
    FieldPattern,
    RefPattern,
    MutPattern,
    ReferencePattern,
    CapturedPattern,
    SlicePattern,
    OrPattern,
    MatchPattern,
    ShorthandFieldIdentifier,
    // Anonymous tokens.
    TColonColon,
    TBang,
    THash,
    TDot,
    TLParen,
    TLBracket,
    TLBrace,
    TRParen,
    TRBracket,
    TRBrace,
    TDollar,
    TSemi,
    TLt,
    TGt,
    TShr,
    TShl,
    TQuote,
    TEq,
    // Keywords as anonymous tokens.
    KwUnsafe,
    KwAsync,
    KwFn,
    KwMod,
    KwUse,
    KwPub,
    KwStruct,
    KwEnum,
    KwUnion,
    KwImpl,
    KwTrait,
    KwType,
    KwConst,
    KwStatic,
    KwExtern,
}

fn classify(name: &str, named: bool) -> K {
    if named {
        match name {
            "source_file" => K::SourceFile,
            "line_comment" => K::LineComment,
            "block_comment" => K::BlockComment,
            "attribute_item" => K::AttributeItem,
            "inner_attribute_item" => K::InnerAttributeItem,
            "attribute" => K::Attribute,
            "mod_item" => K::ModItem,
            "use_declaration" => K::UseDeclaration,
            "scoped_use_list" => K::ScopedUseList,
            "use_list" => K::UseList,
            "use_as_clause" => K::UseAsClause,
            "use_wildcard" => K::UseWildcard,
            "extern_crate_declaration" => K::ExternCrate,
            "function_item" => K::FunctionItem,
            "function_signature_item" => K::FunctionSignatureItem,
            "function_modifiers" => K::FunctionModifiers,
            "struct_item" => K::StructItem,
            "enum_item" => K::EnumItem,
            "union_item" => K::UnionItem,
            "trait_item" => K::TraitItem,
            "impl_item" => K::ImplItem,
            "type_item" => K::TypeItem,
            "associated_type" => K::AssociatedType,
            "const_item" => K::ConstItem,
            "static_item" => K::StaticItem,
            "macro_definition" => K::MacroDefinition,
            "macro_rule" => K::MacroRule,
            "foreign_mod_item" => K::ForeignModItem,
            "visibility_modifier" => K::VisibilityModifier,
            "declaration_list" => K::DeclarationList,
            "block" => K::Block,
            "type_parameters" => K::TypeParameters,
            "type_parameter" => K::TypeParameter,
            "scoped_identifier" => K::ScopedIdentifier,
            "scoped_type_identifier" => K::ScopedTypeIdentifier,
            "generic_type" => K::GenericType,
            "bracketed_type" => K::BracketedType,
            "qualified_type" => K::QualifiedType,
            "identifier" => K::Identifier,
            "type_identifier" => K::TypeIdentifier,
            "primitive_type" => K::PrimitiveType,
            "self" => K::SelfKw,
            "super" => K::SuperKw,
            "crate" => K::CrateKw,
            "metavariable" => K::Metavariable,
            "call_expression" => K::CallExpression,
            "generic_function" => K::GenericFunction,
            "field_expression" => K::FieldExpression,
            "unsafe_block" => K::UnsafeBlock,
            "macro_invocation" => K::MacroInvocation,
            "token_tree" => K::TokenTree,
            "token_repetition" => K::TokenRepetition,
            "string_literal" => K::StringLiteral,
            "raw_string_literal" => K::RawStringLiteral,
            "lifetime" => K::Lifetime,
            "let_declaration" => K::LetDeclaration,
            "let_condition" => K::LetCondition,
            "match_arm" => K::MatchArm,
            "for_expression" => K::ForExpression,
            "closure_expression" => K::ClosureExpression,
            "closure_parameters" => K::ClosureParameters,
            "parameters" => K::Parameters,
            "parameter" => K::Parameter,
            "tuple_pattern" => K::TuplePattern,
            "tuple_struct_pattern" => K::TupleStructPattern,
            "struct_pattern" => K::StructPattern,
            "field_pattern" => K::FieldPattern,
            "ref_pattern" => K::RefPattern,
            "mut_pattern" => K::MutPattern,
            "reference_pattern" => K::ReferencePattern,
            "captured_pattern" => K::CapturedPattern,
            "slice_pattern" => K::SlicePattern,
            "or_pattern" => K::OrPattern,
            "match_pattern" => K::MatchPattern,
            "shorthand_field_identifier" => K::ShorthandFieldIdentifier,
            _ => K::Other,
        }
    } else {
        match name {
            "::" => K::TColonColon,
            "!" => K::TBang,
            "#" => K::THash,
            "." => K::TDot,
            "(" => K::TLParen,
            "[" => K::TLBracket,
            "{" => K::TLBrace,
            ")" => K::TRParen,
            "]" => K::TRBracket,
            "}" => K::TRBrace,
            "$" => K::TDollar,
            ";" => K::TSemi,
            "<" => K::TLt,
            ">" => K::TGt,
            ">>" => K::TShr,
            "<<" => K::TShl,
            "'" => K::TQuote,
            "=" => K::TEq,
            "unsafe" => K::KwUnsafe,
            "async" => K::KwAsync,
            "fn" => K::KwFn,
            "mod" => K::KwMod,
            "use" => K::KwUse,
            "pub" => K::KwPub,
            "struct" => K::KwStruct,
            "enum" => K::KwEnum,
            "union" => K::KwUnion,
            "impl" => K::KwImpl,
            "trait" => K::KwTrait,
            "type" => K::KwType,
            "const" => K::KwConst,
            "static" => K::KwStatic,
            "extern" => K::KwExtern,
            _ => K::Other,
        }
    }
}

/// Field ids used by the walker. A field missing from the grammar gets an id no node has.
pub(crate) struct Fields {
    pub path: NonZeroU16,
    pub name: NonZeroU16,
    pub list: NonZeroU16,
    pub alias: NonZeroU16,
    pub function: NonZeroU16,
    pub field: NonZeroU16,
    pub type_: NonZeroU16,
    pub body: NonZeroU16,
    pub type_parameters: NonZeroU16,
    pub macro_: NonZeroU16,
    pub arguments: NonZeroU16,
    pub value: NonZeroU16,
    pub right: NonZeroU16,
    pub pattern: NonZeroU16,
    pub parameters: NonZeroU16,
}

pub(crate) struct Grammar {
    table: Vec<K>,
    /// Kinds that never have children: anonymous tokens and named terminals.
    leaf: Vec<bool>,
    pub f: Fields,
}

impl Grammar {
    /// The kind of a node kind id (`Other` for kinds the walker ignores).
    #[inline]
    pub fn kind(&self, id: u16) -> K {
        self.table.get(usize::from(id)).copied().unwrap_or(K::Other)
    }

    /// Nodes of this kind are always leaves (so the walk need not look for children).
    #[inline]
    pub fn is_leaf(&self, id: u16) -> bool {
        self.leaf.get(usize::from(id)).copied().unwrap_or(false)
    }
}

/// Named terminals of tree-sitter-rust: tokens that are visible under a name.
const NAMED_LEAVES: &[&str] = &[
    "identifier",
    "type_identifier",
    "field_identifier",
    "shorthand_field_identifier",
    "primitive_type",
    "integer_literal",
    "float_literal",
    "char_literal",
    "string_content",
    "escape_sequence",
    "self",
    "super",
    "crate",
    "metavariable",
    "mutable_specifier",
    "doc_comment",
];

fn build() -> Grammar {
    let lang: tree_sitter::Language = tree_sitter_rust::LANGUAGE.into();
    let count = lang.node_kind_count().min(usize::from(u16::MAX));
    let mut table = Vec::with_capacity(count);
    let mut leaf = Vec::with_capacity(count);
    for id in 0..count {
        let id = u16::try_from(id).unwrap_or(u16::MAX);
        let (k, is_leaf) = match lang.node_kind_for_id(id) {
            Some(name) => {
                let named = lang.node_kind_is_named(id);
                let is_leaf = if named {
                    NAMED_LEAVES.contains(&name)
                } else {
                    // Anonymous nodes are the grammar's string and regex tokens.
                    lang.node_kind_is_visible(id)
                };
                (classify(name, named), is_leaf)
            }
            None => (K::Other, false),
        };
        table.push(k);
        leaf.push(is_leaf);
    }
    let field = |n: &str| lang.field_id_for_name(n).unwrap_or(NonZeroU16::MAX);
    Grammar {
        table,
        leaf,
        f: Fields {
            path: field("path"),
            name: field("name"),
            list: field("list"),
            alias: field("alias"),
            function: field("function"),
            field: field("field"),
            type_: field("type"),
            body: field("body"),
            type_parameters: field("type_parameters"),
            macro_: field("macro"),
            arguments: field("arguments"),
            value: field("value"),
            right: field("right"),
            pattern: field("pattern"),
            parameters: field("parameters"),
        },
    }
}

pub(crate) static GRAMMAR: LazyLock<Grammar> = LazyLock::new(build);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind the walker dispatches on exists in the grammar (a typo in `classify`
    /// would silently never match).
    #[test]
    fn every_kind_and_field_resolves() {
        let all = [
            K::SourceFile,
            K::LineComment,
            K::BlockComment,
            K::AttributeItem,
            K::InnerAttributeItem,
            K::Attribute,
            K::ModItem,
            K::UseDeclaration,
            K::ScopedUseList,
            K::UseList,
            K::UseAsClause,
            K::UseWildcard,
            K::ExternCrate,
            K::FunctionItem,
            K::FunctionSignatureItem,
            K::FunctionModifiers,
            K::StructItem,
            K::EnumItem,
            K::UnionItem,
            K::TraitItem,
            K::ImplItem,
            K::TypeItem,
            K::AssociatedType,
            K::ConstItem,
            K::StaticItem,
            K::MacroDefinition,
            K::MacroRule,
            K::ForeignModItem,
            K::VisibilityModifier,
            K::DeclarationList,
            K::Block,
            K::TypeParameters,
            K::TypeParameter,
            K::ScopedIdentifier,
            K::ScopedTypeIdentifier,
            K::GenericType,
            K::BracketedType,
            K::QualifiedType,
            K::Identifier,
            K::TypeIdentifier,
            K::PrimitiveType,
            K::SelfKw,
            K::SuperKw,
            K::CrateKw,
            K::Metavariable,
            K::CallExpression,
            K::GenericFunction,
            K::FieldExpression,
            K::UnsafeBlock,
            K::MacroInvocation,
            K::TokenTree,
            K::TokenRepetition,
            K::StringLiteral,
            K::RawStringLiteral,
            K::Lifetime,
            K::LetDeclaration,
            K::LetCondition,
            K::MatchArm,
            K::ForExpression,
            K::ClosureExpression,
            K::ClosureParameters,
            K::Parameters,
            K::Parameter,
            K::TuplePattern,
            K::TupleStructPattern,
            K::StructPattern,
            K::FieldPattern,
            K::RefPattern,
            K::MutPattern,
            K::ReferencePattern,
            K::CapturedPattern,
            K::SlicePattern,
            K::OrPattern,
            K::MatchPattern,
            K::ShorthandFieldIdentifier,
            K::TColonColon,
            K::TBang,
            K::THash,
            K::TDot,
            K::TLParen,
            K::TLBracket,
            K::TLBrace,
            K::TRParen,
            K::TRBracket,
            K::TRBrace,
            K::TDollar,
            K::TSemi,
            K::TLt,
            K::TGt,
            K::TShr,
            K::TShl,
            K::TQuote,
            K::TEq,
            K::KwUnsafe,
            K::KwAsync,
            K::KwFn,
            K::KwMod,
            K::KwUse,
            K::KwPub,
            K::KwStruct,
            K::KwEnum,
            K::KwUnion,
            K::KwImpl,
            K::KwTrait,
            K::KwType,
            K::KwConst,
            K::KwStatic,
            K::KwExtern,
        ];
        let g = &*GRAMMAR;
        for k in all {
            assert!(
                g.table.contains(&k),
                "{k:?} has no node kind in the grammar"
            );
        }
        let f = &g.f;
        for id in [
            f.path,
            f.name,
            f.list,
            f.alias,
            f.function,
            f.field,
            f.type_,
            f.body,
            f.type_parameters,
            f.macro_,
            f.arguments,
            f.value,
            f.right,
            f.pattern,
            f.parameters,
        ] {
            assert_ne!(id, NonZeroU16::MAX);
        }
        assert!(!g.is_leaf(u16::MAX));
        // ERROR nodes and ids beyond the table classify as `Other`.
        assert_eq!(g.kind(u16::MAX), K::Other);
    }
}

#[cfg(test)]
mod leaf_tests {
    use super::*;

    /// Kinds marked as leaves never have children, in code that exercises most of the
    /// grammar (a wrong mark would hide facts).
    #[test]
    fn leaves_have_no_children() {
        let src = r##"
//! doc
#![allow(x)]
/// doc
/** block doc */
#[derive(Debug)]
pub(crate) struct S<'a, T: ?Sized + a::B, const N: usize> { x: &'a mut T, y: [u8; N], z: r#type }
enum E { A = 1, B(u8), C { d: f64 } }
union U { a: u32 }
impl<T> Tr for S<'_, T, 3> where T: Clone { type O = (); const K: i32 = -1; fn f(&mut self) {} }
unsafe extern "C" { safe fn g(x: i32) -> *const u8; static V: u8; }
macro_rules! m { ($x:expr, $($y:tt)*) => { $crate::a!($x) }; }
fn h() -> impl Fn() -> bool {
    let s = "str\n\u{1F600}"; let r = r#"raw"#; let b = b"bytes"; let c = 'c'; let f = 1.5e3f32;
    let t = true; let _ = 0x1F_u8 as u64; 'l: loop { break 'l; }
    let v = vec![1, 2]; let w = &v[..]; let z = S::<u8> { x: &mut 1 };
    if let Some(x) = o && x > 0 { } match (a, b) { (1..=2, _) | (_, 3) => {}, _ => {} }
    async move { x.await? }; || -> u8 { 1 }; unsafe { *p }; <T as Tr>::f(); ::std::x::y();
    return move || true;
}
"##;
        let mut p = tree_sitter::Parser::new();
        let lang: tree_sitter::Language = tree_sitter_rust::LANGUAGE.into();
        assert!(p.set_language(&lang).is_ok());
        let Some(tree) = p.parse(src, None) else {
            panic!("no tree")
        };
        let g = &*GRAMMAR;
        let mut c = tree.walk();
        let mut leaves = 0;
        loop {
            let n = c.node();
            if g.is_leaf(n.kind_id()) {
                leaves += 1;
                assert_eq!(
                    n.child_count(),
                    0,
                    "{} at {:?}",
                    n.kind(),
                    n.start_position()
                );
            }
            if c.goto_first_child() {
                continue;
            }
            while !c.goto_next_sibling() {
                if !c.goto_parent() {
                    assert!(leaves > 100);
                    return;
                }
            }
        }
    }
}
