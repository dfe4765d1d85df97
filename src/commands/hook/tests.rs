//! How each agent's edit is turned into the file's new content, as the agent's own tool makes
//! it (Claude Code's `Edit`/`MultiEdit`/`Write`, Codex's `apply_patch`).

use serde_json::json;

use super::claude::proposed_content;
use super::codex::{apply, parse, Op};

#[test]
fn claude_edits_replace_as_the_edit_tool_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a.rs");
    std::fs::write(&file, "fn a() { x(); x(); }\nfn b() {}\n").expect("write");
    let edit = |old: &str, new: &str, all: bool| json!({ "file_path": file, "old_string": old, "new_string": new, "replace_all": all });
    let text = |v: Option<Vec<u8>>| v.map(|b| String::from_utf8(b).expect("utf-8"));
    // Once, when it occurs once.
    assert_eq!(
        text(proposed_content(
            "Edit",
            &edit("fn b() {}", "fn b() { y(); }", false),
            &file
        )),
        Some("fn a() { x(); x(); }\nfn b() { y(); }\n".into())
    );
    // Several occurrences need replace_all (else the tool refuses: `None`).
    assert_eq!(
        proposed_content("Edit", &edit("x();", "z();", false), &file),
        None
    );
    assert_eq!(
        text(proposed_content("Edit", &edit("x();", "z();", true), &file)),
        Some("fn a() { z(); z(); }\nfn b() {}\n".into())
    );
    // Not found, or no change: refused.
    assert_eq!(
        proposed_content("Edit", &edit("nope", "z", false), &file),
        None
    );
    assert_eq!(
        proposed_content("Edit", &edit("x();", "x();", true), &file),
        None
    );
    // MultiEdit: in order, each on the result of the one before.
    let multi = json!({ "file_path": file, "edits": [
        { "old_string": "fn b() {}", "new_string": "fn b() { c(); }" },
        { "old_string": "c();", "new_string": "d();" }
    ]});
    assert_eq!(
        text(proposed_content("MultiEdit", &multi, &file)),
        Some("fn a() { x(); x(); }\nfn b() { d(); }\n".into())
    );
    // An empty old_string creates a file that does not exist.
    let new = dir.path().join("new.rs");
    let create = json!({ "file_path": new, "old_string": "", "new_string": "fn n() {}\n" });
    assert_eq!(
        text(proposed_content("Edit", &create, &new)),
        Some("fn n() {}\n".into())
    );
    let write = json!({ "file_path": new, "content": "fn w() {}\n" });
    assert_eq!(
        text(proposed_content("Write", &write, &new)),
        Some("fn w() {}\n".into())
    );
}

#[test]
fn codex_patches_parse_into_operations() {
    let ops = parse(
        "*** Begin Patch\n*** Add File: src/n.rs\n+fn n() {}\n*** Delete File: src/d.rs\n\
         *** Update File: src/u.rs\n*** Move to: src/v.rs\n@@ fn u() {\n-    a();\n+    b();\n\
         *** End of File\n*** End Patch",
    )
    .expect("parses");
    assert_eq!(ops.len(), 3);
    assert!(
        matches!(&ops[0], Op::Add { path, lines } if path == "src/n.rs" && lines == &["fn n() {}"])
    );
    assert!(matches!(&ops[1], Op::Delete { path } if path == "src/d.rs"));
    assert!(
        matches!(&ops[2], Op::Update { path, to: Some(to), chunks } if path == "src/u.rs" && to == "src/v.rs" && chunks.len() == 1)
    );
    assert!(parse("no patch here").is_err());
    assert!(parse("*** Begin Patch\n*** Update File: x\n*** End Patch").is_err());
    assert!(parse("*** Begin Patch\n*** Frobnicate: x\n*** End Patch").is_err());
}

fn update(patch_body: &str, text: &str) -> Option<String> {
    let ops = parse(&format!(
        "*** Begin Patch\n*** Update File: f\n{patch_body}\n*** End Patch"
    ))
    .ok()?;
    match ops.into_iter().next()? {
        Op::Update { chunks, .. } => apply(text, &chunks),
        _ => None,
    }
}

#[test]
fn codex_chunks_apply_as_apply_patch_applies_them() {
    let text = "a\nb\nc\nd\ne\nf\n";
    // Context lines and removed lines found in order; several chunks.
    assert_eq!(
        update("@@\n a\n-b\n+B\n@@\n c\n d\n-e\n+E", text).as_deref(),
        Some("a\nB\nc\nd\nE\nf\n")
    );
    // An `@@ line` header: found first, the chunk searched after it.
    assert_eq!(
        update("@@ c\n-d\n+D", text).as_deref(),
        Some("a\nb\nc\nD\ne\nf\n")
    );
    // Pure addition: at the end.
    assert_eq!(
        update("@@\n+g", text).as_deref(),
        Some("a\nb\nc\nd\ne\nf\ng\n")
    );
    // End of file: searched from the end.
    assert_eq!(
        update("@@\n f\n+g\n*** End of File", text).as_deref(),
        Some("a\nb\nc\nd\ne\nf\ng\n")
    );
    // Whitespace differences at the ends of lines are forgiven.
    assert_eq!(
        update("@@\n-b   \n+B", text).as_deref(),
        Some("a\nB\nc\nd\ne\nf\n")
    );
    // A file without a final newline gets one.
    assert_eq!(update("@@\n-a\n+A", "a\nb").as_deref(), Some("A\nb\n"));
    // Typographic punctuation retyped by a model still finds the line.
    assert_eq!(
        update(
            "@@\n-let s = \u{201C}x\u{201D}; // a \u{2014} b\n+let s = 1;",
            "let s = \"x\"; // a - b\n"
        )
        .as_deref(),
        Some("let s = 1;\n")
    );
    // Lines that are not there: the tool refuses.
    assert_eq!(update("@@\n-z\n+Z", text), None);
    assert_eq!(update("@@ nowhere\n-a\n+A", text), None);
}

#[test]
fn locating_a_chunk_in_a_file_of_identical_lines_is_bounded() {
    let text = "x\n".repeat(60_000);
    let chunk = format!("@@\n{}-y\n+z", "-x\n".repeat(30_000));
    assert_eq!(update(&chunk, &text), None);
    assert!(super::codex::compared() > 50_000_000);
}
