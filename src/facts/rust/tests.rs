//! Small input/output vectors for the Rust extractor.
use super::*;
use crate::facts::model::*;

fn facts(src: &str) -> FileFacts {
    facts_bytes(src.as_bytes())
}

fn facts_bytes(src: &[u8]) -> FileFacts {
    let mut p = parser();
    match extract(&mut p, src) {
        Some((_, f)) => f,
        None => panic!("tree-sitter returned no tree"),
    }
}

fn path(p: &Segs) -> String {
    p.join("::").replace("::::", "::")
}

/// `use` leaves as `path as name` / `path::*` / `path as _`, `pub ` and `test ` prefixed.
fn uses(f: &FileFacts) -> Vec<String> {
    f.uses
        .iter()
        .map(|u| {
            let mut s = String::new();
            if u.public {
                s.push_str("pub ");
            }
            if u.test {
                s.push_str("test ");
            }
            s.push_str(&path(&u.path));
            if u.glob {
                s.push_str("::*");
            } else {
                match &u.name {
                    Some(n) => {
                        s.push_str(" as ");
                        s.push_str(n);
                    }
                    None => s.push_str(" as _"),
                }
            }
            s
        })
        .collect()
}

/// Refs other than `use` leaves and bare macro names as `Kind path`.
fn refs(f: &FileFacts) -> Vec<String> {
    f.refs
        .iter()
        .filter(|r| !(r.kind == RefKind::MacroName && r.path.len() == 1))
        .filter(|r| r.kind != RefKind::Use)
        .map(|r| {
            format!(
                "{:?} {}{}",
                r.kind,
                path(&r.path),
                if r.test { " test" } else { "" }
            )
        })
        .collect()
}

fn calls(f: &FileFacts) -> Vec<String> {
    f.calls
        .iter()
        .map(|c| {
            let callee = match &c.callee {
                Callee::Method(m) => format!(".{m}"),
                Callee::Path(p) => path(p),
            };
            let mut s = callee;
            if c.in_macro {
                s.push_str(" [macro]");
            }
            if c.test {
                s.push_str(" test");
            }
            s
        })
        .collect()
}

fn macros(f: &FileFacts) -> Vec<String> {
    f.macros.iter().map(|m| path(&m.path)).collect()
}

fn items(f: &FileFacts) -> Vec<String> {
    f.items
        .iter()
        .map(|i| {
            let mut s = format!("{:?} {}", i.kind, i.name);
            for (flag, word) in [
                (i.visibility == Visibility::Public, "pub"),
                (i.visibility == Visibility::Restricted, "restricted"),
                (i.is_async, "async"),
                (i.is_unsafe, "unsafe"),
                (i.has_doc, "doc"),
                (i.in_block, "in_block"),
                (i.assoc, "assoc"),
                (i.test, "test"),
            ] {
                if flag {
                    s.push(' ');
                    s.push_str(word);
                }
            }
            if !i.attrs.is_empty() {
                s.push_str(&format!(" #[{}]", i.attrs.join(", ")));
            }
            s
        })
        .collect()
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ----- use -------------------------------------------------------------------------------

#[test]
fn use_groups_globs_renames_self() {
    let f = facts("use a::{self, b::{c as d, *}, e as _};");
    assert_eq!(
        uses(&f),
        v(&["a as a", "a::b::c as d", "a::b::*", "a::e as _"])
    );
    // Every leaf is also a `Use` ref with the same path and span.
    let use_refs: Vec<_> = f.refs.iter().filter(|r| r.kind == RefKind::Use).collect();
    assert_eq!(use_refs.len(), 4);
    for (u, r) in f.uses.iter().zip(use_refs) {
        assert_eq!((&u.path, u.span), (&r.path, r.span));
    }
    assert!(refs(&f).is_empty());
}

#[test]
fn use_prefixes() {
    let f = facts(
        "use super::super::x;\nuse ::std::fmt;\nuse ::{q};\nuse crate::{a, b::*};\nuse self::m::n;\nuse {x2, y::z};\nuse *;\nuse a::{self as b};",
    );
    assert_eq!(
        uses(&f),
        v(&[
            "super::super::x as x",
            "::std::fmt as fmt",
            "::q as q",
            "crate::a as a",
            "crate::b::*",
            "self::m::n as n",
            "x2 as x2",
            "y::z as z",
            "::*",
            "a as b",
        ])
    );
    assert_eq!(f.uses[1].path.to_vec(), ["::", "std", "fmt"]);
    assert!(f.uses[8].path.is_empty());
}

#[test]
fn pub_use_and_spans() {
    let f = facts("pub use a::b;\npub(crate) use c::{d, e};");
    assert_eq!(
        uses(&f),
        v(&["pub a::b as b", "pub c::d as d", "pub c::e as e"])
    );
    assert_eq!(
        f.uses[0].span,
        Span {
            start: 8,
            end: 12,
            line: 1,
            col: 9
        }
    );
    assert_eq!(
        f.uses[1].span,
        Span {
            start: 33,
            end: 34,
            line: 2,
            col: 20
        }
    );
}

#[test]
fn use_then_path_call() {
    let f = facts("use crate::infra::db;\nfn f() { db::connect(); }");
    assert_eq!(uses(&f), v(&["crate::infra::db as db"]));
    assert_eq!(refs(&f), v(&["Path db::connect"]));
    assert_eq!(calls(&f), v(&["db::connect"]));
}

#[test]
fn extern_crate_binds_a_name() {
    let f = facts("extern crate foo as bar;\nextern crate baz;");
    assert_eq!(refs(&f), v(&["ExternCrate foo", "ExternCrate baz"]));
    assert_eq!(uses(&f), v(&["foo as bar", "baz as baz"]));
}

// ----- paths -----------------------------------------------------------------------------

#[test]
fn paths_in_code() {
    let f = facts(
        "fn f(x: a::B, y: Vec<crate::a::C>) -> std::io::Result<()> where X: d::E {\n\
         let g::H { i } = crate::j::K { i: 1 };\n\
         match v { l::M::N(x) => {}, O::P => {} }\n\
         Vec::<u8>::new();\n\
         a::B::<u8>::new();\n\
         let _: &dyn q::R = &s::T;\n\
         }",
    );
    assert_eq!(
        refs(&f),
        v(&[
            "Path a::B",
            "Path crate::a::C",
            "Path std::io::Result",
            "Path d::E",
            "Path g::H",
            "Path crate::j::K",
            "Path l::M::N",
            "Path O::P",
            "Path Vec::new",
            "Path a::B::new",
            "Path q::R",
            "Path s::T",
        ])
    );
}

#[test]
fn qualified_paths() {
    let f = facts("fn f() { <crate::x::Y as Z>::f(); let _: <T as a::Tr>::Out = 1; }");
    assert_eq!(refs(&f), v(&["Path crate::x::Y", "Path a::Tr"]));
    assert_eq!(calls(&f), v(&["crate::x::Y::f"]));
}

#[test]
fn impl_headers_and_bounds() {
    let f = facts("impl fmt::Display for X {}\nimpl<T: a::B> c::D<T> for e::F where T: g::H {}");
    assert_eq!(
        refs(&f),
        v(&[
            "Path fmt::Display",
            "Path a::B",
            "Path c::D",
            "Path e::F",
            "Path g::H"
        ])
    );
}

#[test]
fn generic_params_and_self_are_not_refs() {
    let f = facts(
        "fn f<T: Default>() -> T { T::default() }\n\
         struct S<U> { x: U::Item }\n\
         impl<V> W<V> { fn g() -> Self { Self::new(); V::x(); Self { } } }\n\
         fn h() { T::not_generic_here(); }",
    );
    assert_eq!(refs(&f), v(&["Path T::not_generic_here"]));
    assert_eq!(
        calls(&f),
        v(&["T::default", "Self::new", "V::x", "T::not_generic_here"])
    );
}

#[test]
fn visibility_paths_are_skipped() {
    let f = facts("pub(in crate::a) fn f() {}");
    assert!(f.refs.is_empty());
    assert_eq!(items(&f), v(&["Fn f restricted"]));
}

#[test]
fn comments_and_strings_never_count() {
    let f = facts("// crate::a::b()\n/* x::y */\nfn f() { let s = \"crate::a::b()\"; println!(\"{}\", \"c::d()\"); }");
    assert!(refs(&f).is_empty());
    assert!(calls(&f).is_empty());
    assert_eq!(macros(&f), v(&["println"]));
}

// ----- calls and macros --------------------------------------------------------------------

#[test]
fn calls_in_code() {
    let f = facts("fn f() { a(); b::c(); x.unwrap(); d::<u8>(); x.y::<u8>(); (a.b)(); self.m(); std::process::exit(1); }");
    assert_eq!(
        calls(&f),
        v(&[
            "a",
            "b::c",
            ".unwrap",
            "d",
            ".y",
            ".m",
            "std::process::exit"
        ])
    );
}

#[test]
fn macro_tokens_give_refs_and_calls() {
    let f = facts("fn f() { vec![crate::infra::db::connect()]; }");
    assert_eq!(refs(&f), v(&["MacroTokens crate::infra::db::connect"]));
    assert_eq!(calls(&f), v(&["crate::infra::db::connect [macro]"]));
    assert_eq!(macros(&f), v(&["vec"]));
}

#[test]
fn method_calls_in_macros() {
    let f = facts("fn f() { format!(\"{}\", x.unwrap()); assert_eq!(y.expect(\"m\"), 1); }");
    assert_eq!(calls(&f), v(&[".unwrap [macro]", ".expect [macro]"]));
    assert_eq!(macros(&f), v(&["format", "assert_eq"]));
}

#[test]
fn macro_paths() {
    let f = facts("fn f() { std::println!(\"x\"); crate::log!(a::b(), inner!(c::d)); }");
    assert_eq!(macros(&f), v(&["std::println", "crate::log", "inner"]));
    assert_eq!(
        refs(&f),
        v(&[
            "MacroName std::println",
            "MacroName crate::log",
            "MacroTokens a::b",
            "MacroTokens c::d",
        ])
    );
    assert_eq!(calls(&f), v(&["a::b [macro]"]));
    assert_eq!(
        f.macros[0].span,
        Span {
            start: 9,
            end: 22,
            line: 1,
            col: 10
        }
    );
}

#[test]
fn macro_token_edge_cases() {
    let f = facts(
        "fn f() { m!(::std::x, $crate::a::b(), 'a: loop {}, Vec::<u8>::new(), x.y::<T>(), fn g() {}, s.0.len()); }",
    );
    assert_eq!(
        refs(&f),
        v(&[
            "MacroTokens ::std::x",
            "MacroTokens $crate::a::b",
            "MacroTokens Vec::new",
        ])
    );
    assert_eq!(
        calls(&f),
        v(&[
            "$crate::a::b [macro]",
            "Vec::new [macro]",
            ".y [macro]",
            ".len [macro]",
        ])
    );
}

#[test]
fn macro_rules_bodies_are_scanned_not_invocations() {
    let f = facts("macro_rules! m { ($x:expr) => { $crate::a::b($x.unwrap()) }; }");
    assert!(f.macros.is_empty());
    assert_eq!(refs(&f), v(&["MacroTokens $crate::a::b"]));
    assert_eq!(calls(&f), v(&["$crate::a::b [macro]", ".unwrap [macro]"]));
    assert_eq!(items(&f), v(&["Macro m"]));
}

#[test]
fn item_position_macro_is_reparsed() {
    let src = "cfg_rt! {\n    pub mod runtime;\n    use crate::sync::Notify;\n    fn f() { a::b(); }\n}\n";
    let f = facts(src);
    assert_eq!(macros(&f), v(&["cfg_rt"]));
    assert_eq!(f.mods.len(), 1);
    assert_eq!(f.mods[0].name, "runtime");
    assert!(f.mods[0].public);
    assert_eq!(f.mods[0].span.line, 2);
    assert_eq!(f.mods[0].span.col, 5);
    assert_eq!(uses(&f), v(&["crate::sync::Notify as Notify"]));
    assert_eq!(refs(&f), v(&["Path a::b"]));
    assert_eq!(calls(&f), v(&["a::b"]));
    assert_eq!(items(&f), v(&["Mod runtime pub", "Fn f"]));
    assert_eq!(f.syntax_error_count, 0);
    // The positions are the file's.
    let start = f.uses[0].span.start as usize;
    assert_eq!(&src[start..start + 19], "crate::sync::Notify");
}

#[test]
fn item_macros_nest_and_keep_scope() {
    let f = facts(
        "mod outer {\n  cfg_a! { cfg_b! { mod deep; } #[cfg(test)] mod t; }\n}\nimpl X { gen! { fn m(&self) {} } }",
    );
    let names: Vec<_> = f
        .mods
        .iter()
        .map(|m| (m.name.as_str(), m.scope, m.test))
        .collect();
    assert_eq!(names, vec![("deep", 1, false), ("t", 1, true)]);
    assert_eq!(
        items(&f),
        v(&[
            "Mod outer",
            "Mod deep",
            "Mod t test #[cfg]",
            "Impl ",
            "Fn m assoc"
        ])
    );
}

#[test]
fn cfg_if_groups_are_reparsed() {
    let f = facts(
        "cfg_if::cfg_if! {\n  if #[cfg(unix)] {\n    mod unix;\n    use unix::imp;\n  } else {\n    mod other;\n  }\n}",
    );
    let names: Vec<_> = f.mods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, vec!["unix", "other"]);
    assert_eq!(uses(&f), v(&["unix::imp as imp"]));
    assert!(calls(&f).is_empty(), "{:?}", calls(&f));
    assert_eq!(refs(&f), v(&["MacroName cfg_if::cfg_if"]));
}

#[test]
fn non_item_macro_at_item_position_is_scanned() {
    let f = facts("impl_foo!(a::B, c::d());\nlazy_static! { static ref X: a::Y = a::y(); }");
    assert_eq!(
        refs(&f),
        v(&[
            "MacroTokens a::B",
            "MacroTokens c::d",
            "Path a::Y",
            "Path a::y"
        ])
    );
    assert_eq!(calls(&f), v(&["c::d [macro]", "a::y"]));
}

// ----- modules and test code -----------------------------------------------------------------

#[test]
fn mod_declarations() {
    let f = facts("#[path = \"x.rs\"]\nmod y;\npub mod z;\n#[cfg(test)]\nmod tests;");
    let m: Vec<_> = f
        .mods
        .iter()
        .map(|m| (m.name.as_str(), m.path_attr.as_deref(), m.public, m.test))
        .collect();
    assert_eq!(
        m,
        vec![
            ("y", Some("x.rs"), false, false),
            ("z", None, true, false),
            ("tests", None, false, true),
        ]
    );
}

#[test]
fn inline_modules_are_scopes() {
    let f =
        facts("mod a {\n  mod z;\n  #[path = \"p\"] pub mod b { fn f() { mod c { } } }\n}\nmod d;");
    let s: Vec<_> = f
        .scopes
        .iter()
        .map(|s| (s.parent, s.name.as_str(), s.path_attr.as_deref()))
        .collect();
    assert_eq!(
        s,
        vec![
            (None, "", None),
            (Some(0), "a", None),
            (Some(1), "b", Some("p")),
            // In the body of `f`: a block scope, whose parent is `b`.
            (Some(BLOCK), "c", None),
        ]
    );
    assert_eq!(f.blocks[0].parent, 2);
    let m: Vec<_> = f.mods.iter().map(|m| (m.name.as_str(), m.scope)).collect();
    assert_eq!(m, vec![("z", 1), ("d", 0)]);
    assert_eq!(
        f.items.iter().find(|i| i.name == "f").map(|i| i.scope),
        Some(2)
    );
}

#[test]
fn cfg_test_module_flags_everything_inside() {
    let f = facts(
        "fn prod() { a::b(); }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    fn t() { a::b(); x.unwrap(); }\n    mod inner { fn u() {} }\n}",
    );
    assert_eq!(
        f.scopes.iter().map(|s| s.test).collect::<Vec<_>>(),
        vec![false, true, true]
    );
    assert_eq!(uses(&f), v(&["test super::*"]));
    assert_eq!(refs(&f), v(&["Path a::b", "Path a::b test"]));
    assert_eq!(calls(&f), v(&["a::b", "a::b test", ".unwrap test"]));
    assert_eq!(
        items(&f),
        v(&[
            "Fn prod",
            "Mod tests test #[cfg]",
            "Fn t test",
            "Mod inner test",
            "Fn u test"
        ])
    );
    assert!(f.attrs[0].test);
}

#[test]
fn test_functions() {
    let f = facts(
        "#[test]\nfn a() { x.unwrap(); }\n#[tokio::test]\nasync fn b() { y.unwrap(); }\nfn c() { z.unwrap(); }\n#[cfg(all(test, feature = \"x\"))]\nfn d() {}\n#[cfg(not(test))]\nfn e() {}",
    );
    assert_eq!(calls(&f), v(&[".unwrap test", ".unwrap test", ".unwrap"]));
    assert_eq!(
        items(&f),
        v(&[
            "Fn a test #[test]",
            "Fn b async test #[tokio::test]",
            "Fn c",
            "Fn d test #[cfg]",
            "Fn e #[cfg]",
        ])
    );
    assert_eq!(refs(&f), v(&["Attribute tokio::test test"]));
}

#[test]
fn inner_cfg_test_makes_the_file_test() {
    let f = facts("#![cfg(test)]\nfn t() { a::b(); }");
    assert!(f.scopes[0].test);
    assert_eq!(refs(&f), v(&["Path a::b test"]));
    assert!(f.attrs[0].inner);
}

// ----- unsafe, attributes, items ---------------------------------------------------------

#[test]
fn unsafe_kinds() {
    let src = "unsafe fn a() { unsafe { b() } }\nunsafe impl Send for X {}\npub unsafe trait T { unsafe fn g(&self); }\nextern \"C\" { fn c(); }\nfn d(f: unsafe fn()) {}";
    let f = facts(src);
    let u: Vec<_> = f
        .unsafe_sites
        .iter()
        .map(|u| (u.kind, u.span.line, u.span.col))
        .collect();
    assert_eq!(
        u,
        vec![
            (UnsafeKind::Fn, 1, 1),
            (UnsafeKind::Block, 1, 17),
            (UnsafeKind::Impl, 2, 1),
            (UnsafeKind::Trait, 3, 5),
            (UnsafeKind::Fn, 3, 22),
        ]
    );
    for s in &f.unsafe_sites {
        assert_eq!(&src[s.span.start as usize..s.span.end as usize], "unsafe");
    }
}

#[test]
fn attributes() {
    let f = facts(
        "#![allow(dead_code)]\n#[derive(serde::Serialize, Debug)]\n#[allow( clippy::unwrap_used )]\n#[tokio::main]\n#[doc = \"a b\"]\nfn f() {}",
    );
    let a: Vec<_> = f
        .attrs
        .iter()
        .map(|a| (path(&a.path), a.text.as_str(), a.inner))
        .collect();
    assert_eq!(
        a,
        vec![
            ("allow".to_string(), "allow(dead_code)", true),
            (
                "derive".to_string(),
                "derive(serde::Serialize,Debug)",
                false
            ),
            ("allow".to_string(), "allow(clippy::unwrap_used)", false),
            ("tokio::main".to_string(), "tokio::main", false),
            ("doc".to_string(), "doc=\"a b\"", false),
        ]
    );
    assert_eq!(
        refs(&f),
        v(&[
            "Attribute serde::Serialize",
            "Attribute clippy::unwrap_used",
            "Attribute tokio::main",
        ])
    );
    assert_eq!(
        items(&f),
        v(&["Fn f doc #[derive, allow, tokio::main, doc]"])
    );
    assert_eq!(
        f.attrs[1].span,
        Span {
            start: 21,
            end: 55,
            line: 2,
            col: 1
        }
    );
}

#[test]
fn item_kinds_visibility_docs() {
    let f = facts(
        "//! crate docs\n\
         /// documented\n\
         #[inline]\n\
         // plain comment between\n\
         pub async fn a() { struct Local; }\n\
         /** block doc */ pub(crate) struct B;\n\
         //// not a doc\n\
         enum C { X }\n\
         union D { x: u8 }\n\
         pub trait E { type T; const K: u8; fn m(); }\n\
         impl E for B { type T = u8; const K: u8 = 1; fn m() {} }\n\
         type F = u8;\n\
         pub(super) const G: u8 = 1;\n\
         static H: u8 = 1;\n\
         macro_rules! i { () => {} }\n\
         crate fn old() {}\n\
         extern \"C\" { fn ext(); }",
    );
    assert_eq!(
        items(&f),
        v(&[
            "Fn a pub async doc #[inline]",
            "Struct Local in_block",
            "Struct B restricted doc",
            "Enum C",
            "Union D",
            "Trait E pub",
            "Type T assoc",
            "Const K assoc",
            "Fn m assoc",
            "Impl ",
            "Type T assoc",
            "Const K assoc",
            "Fn m assoc",
            "Type F",
            "Const G restricted",
            "Static H",
            "Macro i",
            "Fn old restricted",
            "Fn ext",
        ])
    );
    let a = &f.items[0];
    assert_eq!(
        (a.span.line, a.span.col, a.item_span.line, a.item_span.col),
        (5, 14, 5, 1)
    );
    let imp = f.items.iter().find(|i| i.kind == ItemKindFact::Impl);
    assert_eq!(
        imp.map(|i| (i.span.end - i.span.start, i.span.col)),
        Some((4, 1))
    );
}

// ----- directives, errors, robustness ----------------------------------------------------

#[test]
fn directives() {
    let f = facts(
        "// ribo: allow(x) -- reason\nfn f() {} // ribo: allow(y)\n  /* ribo: block */\n// not ribo: here\n/// ribo: allow(doc) is not a directive\nuse a::{\n    b, // ribo: in use\n};\nfn g() { m!(x // ribo: in macro\n); }",
    );
    let d: Vec<_> = f
        .directives
        .iter()
        .map(|d| (d.text.as_str(), d.own_line, d.doc, d.span.line))
        .collect();
    // Documentation that starts with `ribo:` but reads like no directive is documentation.
    assert!(facts("//! ribo: the crate\n/// ribo: a linter\nfn f() {}")
        .directives
        .is_empty());
    assert_eq!(
        d,
        vec![
            ("allow(x) -- reason", true, false, 1),
            ("allow(y)", false, false, 2),
            ("block", true, false, 3),
            // Kept, so that the rule can say it is not a directive.
            ("allow(doc) is not a directive", true, true, 5),
            ("in use", false, false, 7),
            ("in macro", false, false, 9),
        ]
    );
}

/// A directive covers the syntax node it stands before (on its own line) or whose first line
/// it ends: a multi-line statement, an item with its attributes, a multi-line `use`.
#[test]
fn directives_cover_their_syntax_node() {
    let src = "\
// ribo: allow(a) -- a multi-line use
use std::{
    fmt,
    io,
};
fn f() {
    // ribo: allow(b) -- a method chain
    let v = x
        .iter()
        .unwrap();
    let w = y( // ribo: allow(c) -- the first line of a statement
        1,
    );
    let z = 1; // ribo: allow(d) -- one line
}
// ribo: allow(e) -- an attribute-led item
#[derive(Debug)]
#[allow(x)]
struct S {
    a: u8,
}

// ribo: allow(f) -- a blank line after: the next line only

fn g() {}
/// ribo: allow(g) -- a doc comment
fn h() {}
";
    let f = facts(src);
    let d: Vec<_> = f
        .directives
        .iter()
        .map(|d| (&d.text[6..7], d.covers))
        .collect();
    assert_eq!(
        d,
        vec![
            ("a", Some((2, 5))),
            ("b", Some((8, 10))),
            ("c", Some((11, 13))),
            ("d", None),
            ("e", Some((17, 21))),
            ("f", None),
            ("g", None),
        ]
    );
}

// ----- scopes and local bindings ---------------------------------------------------------

/// A block that declares an item or a `use` is a scope of its own: its names are visible in
/// it only. Facts recorded in it before the declaration move into it too.
#[test]
fn blocks_with_items_or_uses_are_scopes() {
    let f = facts(
        "mod x {\n    fn a() { db::q(); use crate::infra::db; }\n    fn b() { db::inner::g(); }\n    fn c() { let k = || { struct S; S::new() }; }\n}\n",
    );
    assert_eq!(f.blocks.len(), 2);
    assert_eq!(f.blocks[0].parent, 1, "the fn body of `a`, in `mod x`");
    let b1 = BLOCK;
    let b2 = BLOCK | 1;
    assert_eq!(f.blocks[1].parent, 1, "the closure's body");
    let scoped: Vec<(String, ScopeId)> = f.refs.iter().map(|r| (path(&r.path), r.scope)).collect();
    assert_eq!(
        scoped,
        vec![
            ("db::q".to_string(), b1),
            ("crate::infra::db".to_string(), b1),
            ("db::inner::g".to_string(), 1),
            ("S::new".to_string(), b2),
        ]
    );
    assert_eq!(f.uses[0].scope, b1);
    let item_scopes: Vec<_> = f.items.iter().map(|i| (i.name.as_str(), i.scope)).collect();
    assert_eq!(
        item_scopes,
        vec![("x", 0), ("a", 1), ("b", 1), ("c", 1), ("S", b2)]
    );
    assert_eq!(f.module_scope(b2), 1);
    assert_eq!(f.parent_scope(b1), Some(1));
    // A block without declarations is no scope.
    assert!(facts("fn f() { let x = { 1 }; g(x); }").blocks.is_empty());
}

/// Parameters, `let`s, closure parameters, `match`, `for` and `if let` bindings shadow an item
/// of the same name for calls; a nested fn item does not see the bindings around it.
#[test]
fn calls_of_local_bindings() {
    let f = facts(
        "use std::process::exit;\n\
         fn a(exit: impl Fn(&str)) { exit(\"x\") }\n\
         fn b() { exit(1) }\n\
         fn c() { let exit = |s: &str| {}; exit(\"y\"); }\n\
         fn d() { exit(2); let exit = 3; }\n\
         fn e(o: Option<F>) { if let Some(exit) = o { exit(4) } match o { Some(Wrap { exit, .. }) => exit(5), _ => exit(6) } }\n\
         fn g(v: Vec<F>) { for (_, exit) in v { exit(7) } let k = |exit: F| exit(8); }\n\
         fn h(exit: F) { fn inner() { exit(9) } m!(exit(10)); }\n",
    );
    let local: Vec<(String, bool)> = f.calls.iter().map(|c| (calls_of(c), c.local)).collect();
    assert_eq!(
        local,
        vec![
            ("exit".into(), true),
            ("exit".into(), false),
            ("exit".into(), true),
            ("exit".into(), false),
            ("exit".into(), true),
            ("exit".into(), true),
            ("exit".into(), false),
            ("exit".into(), true),
            ("exit".into(), true),
            ("exit".into(), false),
            ("exit [macro]".into(), true),
        ]
    );
}

fn calls_of(c: &CallFact) -> String {
    let mut s = match &c.callee {
        Callee::Method(m) => format!(".{m}"),
        Callee::Path(p) => path(p),
    };
    if c.in_macro {
        s.push_str(" [macro]");
    }
    s
}

/// A raw identifier names what it spells without `r#`: `mod r#type;` is `type.rs`.
#[test]
fn raw_identifiers_name_without_their_prefix() {
    let f = facts("pub mod r#type;\nuse crate::r#type::r#match as r#in;\nfn r#fn() { r#type::r#loop(); }\nmacro_rules! r#try { () => {} }");
    assert_eq!(f.mods[0].name, "type");
    assert_eq!(uses(&f), v(&["crate::type::match as in"]));
    assert_eq!(refs(&f), v(&["Path type::loop"]));
    assert_eq!(items(&f), v(&["Mod type pub", "Fn fn", "Macro try"]));
    assert_eq!(f.macro_defs[0].name, "try");
}

#[test]
fn private_visibility_of_pub_self() {
    let f = facts("pub(self) fn a() {}\npub(crate) fn b() {}\npub(super) fn c() {}\npub(self) use x::y;\npub(crate) use x::z;");
    assert_eq!(
        items(&f),
        v(&["Fn a", "Fn b restricted", "Fn c restricted"])
    );
    assert_eq!(uses(&f), v(&["x::y as y", "pub x::z as z"]));
}

// ----- modules and macros ----------------------------------------------------------------

#[test]
fn module_declarations_carry_their_cfg_and_macro_use() {
    let f = facts(
        "#[cfg(not(test))] pub mod infra;\n\
         #[cfg(test)] #[path = \"testing/fake.rs\"] pub mod infra;\n\
         #[cfg_attr(unix, path = \"sys/unix.rs\")]\n#[cfg_attr(windows, path = \"sys/windows.rs\")]\nmod sys;\n\
         #[macro_use] mod macros;\n\
         #[macro_use] mod inline { macro_rules! m { () => {} } }\n\
         #[macro_use] extern crate log;\n\
         extern crate self as me;\n",
    );
    let mods: Vec<_> = f
        .mods
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.test,
                m.not_test,
                m.macro_use,
                m.path_alts.clone(),
            )
        })
        .collect();
    assert_eq!(
        mods,
        vec![
            ("infra", false, true, false, vec![]),
            ("infra", true, false, false, vec![]),
            (
                "sys",
                false,
                false,
                false,
                vec!["sys/unix.rs".to_string(), "sys/windows.rs".to_string()]
            ),
            ("macros", false, false, true, vec![]),
        ]
    );
    assert!(f.scopes[1].macro_use);
    assert_eq!(
        f.uses
            .iter()
            .map(|u| (path(&u.path), u.name.clone(), u.macro_use))
            .collect::<Vec<_>>(),
        vec![
            ("log".to_string(), Some("log".to_string()), true),
            ("self".to_string(), Some("me".to_string()), false),
        ]
    );
    let defs: Vec<_> = f
        .macro_defs
        .iter()
        .map(|d| (d.name.as_str(), d.scope, d.export))
        .collect();
    assert_eq!(defs, vec![("m", 1, false)]);
}

#[test]
fn macro_definitions_and_bare_invocations() {
    let f = facts(
        "#[macro_export]\nmacro_rules! exported { () => {} }\nmacro_rules! local { ($m:ident) => { $m!(); $crate::exported!(); } }\nfn f() { local!(x); debug!(\"a\"); std::println!(); }\n",
    );
    let defs: Vec<_> = f
        .macro_defs
        .iter()
        .map(|d| (d.name.as_str(), d.export))
        .collect();
    assert_eq!(defs, vec![("exported", true), ("local", false)]);
    // Every invocation by name is a reference (to the module that defines the macro), but one
    // led by a metavariable.
    let all: Vec<String> = f
        .refs
        .iter()
        .map(|r| format!("{:?} {}", r.kind, path(&r.path)))
        .collect();
    assert_eq!(
        all,
        v(&[
            "MacroName $crate::exported",
            "MacroName local",
            "MacroName debug",
            "MacroName std::println",
        ])
    );
}

/// Macro tokens: a path led by a repetition or a metavariable is not a path; `unsafe { .. }` is
/// an unsafe block; `#[cfg(test)]` makes the next item test code; a quoting macro's tokens
/// are `Quoted` paths only.
#[test]
fn macro_tokens_are_read_as_the_compiler_would() {
    let f = facts(
        "macro_rules! m {\n\
         ($($fut:ident)*) => { $($fut)*::new(self); $x::run(); ::real::path(); };\n\
         () => { #[cfg(test)] mod tests { use quickcheck::Arbitrary; } fn prod() { other::f(); } };\n\
         () => { #[test] fn t() { testing::g(); } #[cfg(test)] use testing::h; after::i(); };\n\
         }\n\
         fn f() { println!(\"{}\", unsafe { N }); assert_eq!(unsafe { *p }, 1); }\n\
         fn g() { let t = quote! { ::serde::Serialize for #name { fn f() { x.unwrap(); crate::y::z() } } }; }\n",
    );
    assert_eq!(
        refs(&f),
        v(&[
            "MacroTokens ::real::path",
            "MacroTokens quickcheck::Arbitrary test",
            "MacroTokens other::f",
            "MacroTokens testing::g test",
            "MacroTokens testing::h test",
            "MacroTokens after::i",
            "Quoted ::serde::Serialize",
            "Quoted crate::y::z",
        ])
    );
    assert_eq!(f.unsafe_sites.len(), 2);
    assert!(f.unsafe_sites.iter().all(|u| u.kind == UnsafeKind::Block));
    // Nothing of the quoted code is a call of this crate.
    assert!(!calls(&f)
        .iter()
        .any(|c| c.contains("unwrap") || c.contains("z")));
}

#[test]
fn syntax_errors_still_give_facts() {
    let f = facts("use a::b;\nfn f( { x.unwrap(); c::d(); }\nfn g() { e::f() }\nstruct");
    assert!(f.syntax_error_count > 0);
    assert!(!f.syntax_errors.is_empty() && f.syntax_errors.len() <= 5);
    assert_eq!(uses(&f), v(&["a::b as b"]));
    assert!(calls(&f).contains(&"e::f".to_string()), "{:?}", calls(&f));
    assert!(refs(&f).contains(&"Path e::f".to_string()));
}

#[test]
fn error_spans_are_capped() {
    let src = "fn f( {\n".repeat(20);
    let f = facts(&src);
    assert!(f.syntax_error_count >= 1);
    assert!(f.syntax_errors.len() <= 5);
}

#[test]
fn non_utf8_does_not_panic() {
    let mut src = b"fn f() { let s = \"".to_vec();
    src.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    src.extend_from_slice(b"\"; a::b(); }\n// \xff ribo: \xfe\n\xe9::x();");
    let f = facts_bytes(&src);
    assert!(calls(&f).contains(&"a::b".to_string()));
    // Columns count characters; invalid bytes count as one each.
    let c = f
        .calls
        .iter()
        .find(|c| c.callee == Callee::Path(Segs::new(["a", "b"])))
        .map(|c| c.span.col);
    assert_eq!(c, Some(25));
}

#[test]
fn arbitrary_bytes_do_not_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"fn mod use pub{}()[]<>::!#$'\"/*.,;a b crate self super\n\xff\xc3macro_rules! cfg_rt!{ x y";
    for len in [0usize, 1, 7, 64, 512, 4096] {
        for _ in 0..20 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let f = facts_bytes(&bytes);
            assert!(f.lines as usize <= bytes.len() + 1);
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 10_000;
    let mut src = String::from("fn f() { let x = ");
    for _ in 0..depth {
        src.push_str("a::b(");
    }
    src.push('1');
    for _ in 0..depth {
        src.push(')');
    }
    src.push_str("; }\n");
    // Run on a small stack: the extractor must not recurse per nesting level.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || facts(&src).calls.len());
    let n = match handle.map(|h| h.join()) {
        Ok(Ok(n)) => n,
        _ => panic!("extraction thread failed"),
    };
    assert_eq!(n, depth);
}

#[test]
fn deep_macro_and_use_nesting() {
    let depth = 5_000;
    let mut src = String::from("fn f() { m!(");
    src.push_str(&"(".repeat(depth));
    src.push_str("a::b()");
    src.push_str(&")".repeat(depth));
    src.push_str("); }\nuse ");
    src.push_str(&"a::{".repeat(depth));
    src.push('b');
    src.push_str(&"}".repeat(depth));
    src.push_str(";\n");
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let f = facts(&src);
            (
                f.calls.len(),
                f.uses.len(),
                f.uses.first().map(|u| u.path.len()),
            )
        });
    let r = match handle.map(|h| h.join()) {
        Ok(Ok(r)) => r,
        _ => panic!("extraction thread failed"),
    };
    assert_eq!(r, (1, 1, Some(depth + 1)));
}

#[test]
fn extract_tree_matches_extract() {
    let src = "cfg_rt! { pub mod runtime; }\nfn f() { a::b(); }";
    let mut p = parser();
    let Some((tree, f1)) = extract(&mut p, src.as_bytes()) else {
        panic!("no tree")
    };
    let f2 = extract_tree(&tree, src.as_bytes());
    assert_eq!(f1, f2);
    assert_eq!(f1.mods.len(), 1);
    // The parser is left without included ranges.
    let Some((_, f3)) = extract(&mut p, b"mod a;") else {
        panic!("no tree")
    };
    assert_eq!(f3.mods.len(), 1);
}

#[test]
fn lines_and_spans() {
    let f = facts("fn a() {}\n\n  fn b() {}\n");
    assert_eq!(f.lines, 3);
    assert_eq!(
        f.items[1].span,
        Span {
            start: 16,
            end: 17,
            line: 3,
            col: 6
        }
    );
}

#[test]
fn doc_hidden_is_not_documentation() {
    let f = facts("#[doc(hidden)]\npub fn a() {}\n#[doc = \"x\"]\npub fn b() {}");
    assert_eq!(items(&f), v(&["Fn a pub #[doc]", "Fn b pub doc #[doc]"]));
}

/// One line per fact, with its position: the snapshot a reviewer reads.
fn render(f: &FileFacts) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let at = |s: &Span| format!("{}:{}", s.line, s.col);
    let t = |test: bool| if test { " [test]" } else { "" };
    let _ = writeln!(
        out,
        "lines {} syntax_errors {}",
        f.lines, f.syntax_error_count
    );
    for (i, s) in f.scopes.iter().enumerate() {
        let _ = writeln!(
            out,
            "scope {i} {} parent={:?} path_attr={:?} {}{}",
            s.name,
            s.parent,
            s.path_attr,
            at(&s.span),
            t(s.test)
        );
    }
    for (i, b) in f.blocks.iter().enumerate() {
        let _ = writeln!(
            out,
            "block {} parent={} {}",
            BLOCK | i as u32,
            b.parent,
            at(&b.span)
        );
    }
    for d in &f.macro_defs {
        let _ = writeln!(
            out,
            "macro_rules {} scope={} export={} {}",
            d.name,
            d.scope,
            d.export,
            at(&d.span)
        );
    }
    for m in &f.mods {
        let _ = writeln!(
            out,
            "mod {} scope={} pub={} path_attr={:?} {}{}",
            m.name,
            m.scope,
            m.public,
            m.path_attr,
            at(&m.span),
            t(m.test)
        );
    }
    let uses = uses(f);
    for (u, s) in f.uses.iter().zip(uses) {
        let _ = writeln!(out, "use {s} scope={} {}", u.scope, at(&u.span));
    }
    for r in &f.refs {
        let _ = writeln!(
            out,
            "ref {:?} {} scope={} {}{}",
            r.kind,
            path(&r.path),
            r.scope,
            at(&r.span),
            t(r.test)
        );
    }
    for (c, s) in f.calls.iter().zip(calls(f)) {
        let local = if c.local { " [local]" } else { "" };
        let _ = writeln!(out, "call {s}{local} scope={} {}", c.scope, at(&c.span));
    }
    for m in &f.macros {
        let _ = writeln!(out, "macro {}! {}{}", path(&m.path), at(&m.span), t(m.test));
    }
    for u in &f.unsafe_sites {
        let _ = writeln!(out, "unsafe {:?} {}{}", u.kind, at(&u.span), t(u.test));
    }
    for a in &f.attrs {
        let inner = if a.inner { "#!" } else { "#" };
        let _ = writeln!(out, "attr {inner}[{}] {}{}", a.text, at(&a.span), t(a.test));
    }
    for (i, s) in f.items.iter().zip(items(f)) {
        let _ = writeln!(out, "item {s} scope={} {}", i.scope, at(&i.span));
    }
    for d in &f.directives {
        let _ = writeln!(
            out,
            "directive {:?} own_line={} covers={:?} {}",
            d.text,
            d.own_line,
            d.covers,
            at(&d.span)
        );
    }
    out
}

#[test]
fn snapshot_of_a_realistic_module() {
    let src = r#"//! Order handling.
#![deny(missing_docs)]

use std::collections::HashMap;
use crate::domain::{self, Order, OrderId as Id};
pub use crate::infra::db::{connect, Pool};
use serde::{Deserialize, Serialize};

/// An order service.
#[derive(Debug, Serialize, Deserialize)]
pub struct Service<R: domain::Repo> {
    repo: R,
    cache: HashMap<Id, Order>,
}

impl<R: domain::Repo> Service<R> {
    /// Creates the service.
    #[tracing::instrument(skip(repo))]
    pub async fn new(repo: R) -> Result<Self, crate::error::Error> {
        let pool = connect().await?;
        let order = R::load(&pool).unwrap(); // ribo: allow(no-panics) -- startup only
        tracing::info!("loaded {}", order.id());
        Ok(Self { repo, cache: HashMap::new() })
    }

    pub(crate) fn total(&self) -> u64 {
        self.cache.values().map(|o| domain::price::of(o)).sum()
    }
}

unsafe impl<R: domain::Repo> Send for Service<R> {}

cfg_metrics! {
    pub mod metrics;
    use crate::infra::metrics::Counter;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals() {
        let s = Service::new(crate::testing::FakeRepo::default());
        assert_eq!(s.total(), 0, "{}", crate::testing::describe());
        unsafe { std::ptr::null::<u8>().read() };
    }
}
"#;
    insta::assert_snapshot!(render(&facts(src)));
}

#[test]
fn attribute_values_are_code() {
    let f = facts("#![doc = include_str!(\"../README.md\")]\n#[path = \"p.rs\"]\nmod m;");
    assert_eq!(macros(&f), v(&["include_str"]));
    assert_eq!(f.mods[0].path_attr.as_deref(), Some("p.rs"));
}

#[test]
fn cfg_test_on_uses_and_statements() {
    let f = facts("#[cfg(test)]\nuse a::b;\nuse c::d;\nfn f() {\n    #[cfg(test)]\n    x.unwrap();\n    y.unwrap();\n}");
    assert_eq!(uses(&f), v(&["test a::b as b", "c::d as d"]));
    assert_eq!(calls(&f), v(&[".unwrap test", ".unwrap"]));
}

/// The scan skips token trees without a byte that any fact needs (`tokens::may_record`): each
/// such byte alone must still lead to its fact, in macros and in attribute arguments.
#[test]
fn token_trees_are_skipped_only_when_they_cannot_hold_facts() {
    use super::tokens::{may_record, Mode};
    // Each trigger on its own: a path, a call, a nested macro, a directive, an item group.
    let f = facts("fn f() { m![a::b]; m![g(x)]; m![n![y]]; m![z // ribo: note\n]; }");
    assert_eq!(refs(&f), v(&["MacroTokens a::b"]));
    assert_eq!(calls(&f), v(&["g [macro]"]));
    assert_eq!(macros(&f), v(&["m", "m", "m", "n", "m"]));
    assert_eq!(f.directives.len(), 1);
    let f = facts("m! { { mod a; } }");
    assert_eq!(f.mods.len(), 1);
    // Attribute arguments: paths and comments only.
    let f = facts("#[derive(serde::Serialize)] #[derive(Debug /* ribo: c */)] struct S;");
    assert_eq!(refs(&f), v(&["Attribute serde::Serialize"]));
    assert_eq!(f.directives.len(), 1);
    // Nothing to find: the trees are not walked, and nothing is recorded.
    let f = facts("#[derive(Debug, Clone)] struct T; fn g() { vec![1, 2, x]; }");
    assert_eq!(refs(&f), Vec::<String>::new());
    assert_eq!(calls(&f), Vec::<String>::new());
    assert_eq!(macros(&f), v(&["vec"]));
    // The delimiters themselves never count; a tree cut short keeps its last byte.
    assert!(!may_record(b"(a, b)", Mode::Macro));
    assert!(!may_record(b"{}", Mode::Macro));
    assert!(may_record(b"(a(", Mode::Macro));
    assert!(!may_record(b"(f(x))", Mode::Attribute));
    assert!(may_record(b"(f(x))", Mode::Macro));
    assert!(!may_record(b"", Mode::Macro));
}

/// A form feed is whitespace and a NUL may stand in a comment (rustc accepts both); a byte
/// order mark is not a column.
#[test]
fn form_feeds_nuls_and_byte_order_marks() {
    let f = facts_bytes(b"fn a() {}\x0c\nfn b() {} // x\x00y\n/* \x00 */ fn c() { d::e(); }\n");
    assert_eq!(f.syntax_error_count, 0);
    assert_eq!(items(&f), v(&["Fn a", "Fn b", "Fn c"]));
    assert_eq!(f.refs[0].span.col, 18);
    let f = facts_bytes(b"\xEF\xBB\xBFuse a::b; fn c() { a::d(); }\n");
    assert_eq!(f.syntax_error_count, 0);
    let cols: Vec<u32> = f.refs.iter().map(|r| r.span.col).collect();
    assert_eq!(cols, [5, 20]);
}

/// A contextual keyword (`default`) is a path segment in macro tokens, not the end of a path
/// before a global one; in an item-position macro body, what does not parse as Rust is not
/// read (error recovery would make a global path `::LenMismatchError` of it), and the items
/// around it are (`enum SignatureScheme { A => 1 }` is an enum).
#[test]
fn keyword_segments_and_bodies_that_are_not_quite_items() {
    let f = facts("cold_exhaustive_error! {\n    struct len_mismatch_error::LenMismatchError\n        with pub(crate) constructor {\n        len: usize\n    }\n}\nmacro_rules! m { ($name:ident) => { impl core::default::Default for $name {} }; }\ncfg_rt! { pub mod runtime; }\nenum_builder! { pub enum SignatureScheme { RSA => 0x0201, ECDSA => 0x0203 } }\n");
    assert_eq!(refs(&f), v(&["MacroTokens core::default::Default"]));
    assert_eq!(f.mods.len(), 1, "a body of items is parsed as items");
    assert!(items(&f).contains(&"Enum SignatureScheme pub".to_string()));
}
