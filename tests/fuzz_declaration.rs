//! Property tests of the contract-declaration parser (`DeclarationParser`, which parses the
//! `exports:` entries of ribo.yaml) on arbitrary strings, Rust token soup and mutated valid
//! declarations. It never panics, and an error's offset lies inside the declaration.
//! `PROPTEST_CASES` sets the number of cases.

mod fuzz;

use proptest::prelude::*;
use ribo::facts::header::DeclarationParser;

const TOKENS: &[&str] = &[
    "pub ",
    "pub(crate) ",
    "async ",
    "unsafe ",
    "const ",
    "extern \"C\" ",
    "fn ",
    "struct ",
    "enum ",
    "trait ",
    "type ",
    "mod ",
    "static ",
    "union ",
    "impl ",
    "name",
    "T",
    "'a",
    "<",
    ">",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ":",
    "::",
    ";",
    ",",
    "->",
    "=",
    "&",
    "mut ",
    "dyn ",
    "where ",
    "Self",
    "self",
    "u8",
    "Vec<T>",
    "Result<(), E>",
    "#[derive(Debug)]",
    "///",
    "//",
    "/*",
    "*/",
    "\"",
    "'",
    "\n",
    " ",
    "é",
    "\u{0}",
];

const VALID: &[&str] = &[
    "fn create_order(req: CreateOrder) -> Result<Order, ApiError>",
    "async fn get<'a, T: Clone>(x: &'a T) -> T where T: Send",
    "struct Order { pub id: u64, pub lines: Vec<Line> }",
    "enum Status { Open, Closed(u8) }",
    "trait Store: Send",
    "type Id = u64",
    "const LIMIT: usize",
    "mod api",
    "unsafe extern \"C\" fn raw(p: *const u8)",
];

fn check_parse(decl: &str) -> Result<(), TestCaseError> {
    let mut parser = DeclarationParser::new();
    if let Err(e) = parser.parse(decl) {
        prop_assert!(
            e.offset <= decl.len(),
            "offset {} past a declaration of {} bytes",
            e.offset,
            decl.len()
        );
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz::config(fuzz::DEFAULT_CASES))]

    #[test]
    fn arbitrary_strings(decl in any::<String>()) {
        check_parse(&decl)?;
    }

    #[test]
    fn rust_token_soup(bytes in fuzz::token_soup(TOKENS, 60)) {
        check_parse(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn mutated_valid_declarations(
        pick in proptest::sample::select(VALID),
        mutations in proptest::collection::vec(fuzz::mutation(TOKENS), 1..6),
    ) {
        let bytes = fuzz::mutate(pick.as_bytes().to_vec(), &mutations);
        check_parse(&String::from_utf8_lossy(&bytes))?;
    }
}

#[test]
fn the_valid_declarations_parse() {
    let mut parser = DeclarationParser::new();
    for decl in VALID {
        assert!(parser.parse(decl).is_ok(), "{decl}");
    }
}
