//! The patch reader on the shapes git and diff write, and on malformed patches. The fixture
//! trees under tests/fixtures/patches were made with git 2.47 and GNU diff (see its README).

use super::*;

fn one(patch: &str) -> FilePatch {
    let mut files = parse(patch.as_bytes()).expect("parses");
    assert_eq!(files.len(), 1);
    files.remove(0)
}

const BASE: &str = "a\nb\nc\nd\ne\nf\ng\nh\n";

#[test]
fn a_hunk_applies_where_its_header_says() {
    let p = one("--- a/x.rs\n+++ b/x.rs\n@@ -2,3 +2,3 @@\n b\n-c\n+C\n d\n");
    assert_eq!(
        (p.old.as_deref(), p.new.as_deref()),
        (Some("x.rs"), Some("x.rs"))
    );
    assert_eq!(
        apply(&p, BASE.as_bytes()).expect("applies"),
        b"a\nb\nC\nd\ne\nf\ng\nh\n"
    );
}

#[test]
fn a_hunk_whose_lines_moved_applies_at_the_nearest_offset() {
    // The header says line 2; the lines are at 5 (three lines were added above since).
    let p = one("--- a/x.rs\n+++ b/x.rs\n@@ -2,2 +2,2 @@\n e\n-f\n+F\n");
    assert_eq!(
        apply(&p, BASE.as_bytes()).expect("applies"),
        b"a\nb\nc\nd\ne\nF\ng\nh\n"
    );
}

#[test]
fn a_hunk_that_matches_nowhere_names_the_file_and_the_hunk() {
    let p = one("--- a/x.rs\n+++ b/x.rs\n@@ -1,1 +1,1 @@\n-a\n+A\n@@ -3,2 +3,2 @@\n c\n-z\n+Z\n");
    let e = apply(&p, BASE.as_bytes()).expect_err("does not apply");
    assert_eq!(
        e,
        "hunk 2 of 2 (@@ -3,2 +3,2 @@, patch line 6) does not apply to `x.rs`: its context and \
         removed lines are not in the file (expected at line 3)"
    );
}

#[test]
fn hunks_apply_in_order_and_never_overlap() {
    // The second hunk's lines exist only before the first hunk's end: not applied there.
    let p = one("--- a/x.rs\n+++ b/x.rs\n@@ -3,2 +3,2 @@\n c\n-d\n+D\n@@ -1,1 +1,1 @@\n-a\n+A\n");
    assert!(apply(&p, BASE.as_bytes()).is_err());
}

#[test]
fn no_newline_at_the_end_is_kept_on_either_side() {
    let p =
        one("--- a/x.rs\n+++ b/x.rs\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+B\n");
    assert_eq!(apply(&p, b"a\nb").expect("applies"), b"a\nB\n");
    let p =
        one("--- a/x.rs\n+++ b/x.rs\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n\\ No newline at end of file\n");
    assert_eq!(apply(&p, b"a\nb\n").expect("applies"), b"a\nB");
    // The old side says "no newline": a file that has one does not match.
    let p = one("--- a/x.rs\n+++ b/x.rs\n@@ -1 +1 @@\n-b\n\\ No newline at end of file\n+B\n");
    assert!(apply(&p, b"b\n").is_err());
}

#[test]
fn crlf_lines_keep_their_carriage_returns() {
    let p = one("--- a/x.rs\n+++ b/x.rs\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+B\r\n");
    assert_eq!(apply(&p, b"a\r\nb\r\n").expect("applies"), b"a\r\nB\r\n");
    // Without its `\r`, the line does not match.
    assert!(apply(&p, b"a\nb\n").is_err());
}

#[test]
fn git_headers_give_added_deleted_renamed_and_copied_files() {
    let files = parse(
        b"diff --git a/n.rs b/n.rs\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n\
          +++ b/n.rs\n@@ -0,0 +1 @@\n+fn n() {}\n\
          diff --git a/d.rs b/d.rs\ndeleted file mode 100644\n--- a/d.rs\n+++ /dev/null\n\
          @@ -1 +0,0 @@\n-fn d() {}\n\
          diff --git a/old.rs b/new.rs\nsimilarity index 100%\nrename from old.rs\nrename to new.rs\n\
          diff --git a/c.rs b/c2.rs\nsimilarity index 100%\ncopy from c.rs\ncopy to c2.rs\n\
          diff --git a/m.rs b/m.rs\nold mode 100644\nnew mode 100755\n",
    )
    .expect("parses");
    let shape: Vec<_> = files
        .iter()
        .map(|f| (f.old.as_deref(), f.new.as_deref(), f.copy, f.hunks.len()))
        .collect();
    assert_eq!(
        shape,
        [
            (None, Some("n.rs"), false, 1),
            (Some("d.rs"), None, false, 1),
            (Some("old.rs"), Some("new.rs"), false, 0),
            (Some("c.rs"), Some("c2.rs"), true, 0),
            (Some("m.rs"), Some("m.rs"), false, 0),
        ]
    );
    assert_eq!(apply(&files[0], b"").expect("applies"), b"fn n() {}\n");
    assert_eq!(apply(&files[1], b"fn d() {}\n").expect("applies"), b"");
}

#[test]
fn quoted_paths_are_unquoted() {
    let p = one(
        "diff --git \"a/sp ace\\303\\251.rs\" \"b/sp ace\\303\\251.rs\"\n--- \"a/sp ace\\303\\251.rs\"\n\
         +++ \"b/sp ace\\303\\251.rs\"\n@@ -1 +1 @@\n-a\n+b\n",
    );
    assert_eq!(p.new.as_deref(), Some("sp aceé.rs"));
}

#[test]
fn a_mail_and_a_diffstat_before_the_first_file_are_skipped() {
    let files = parse(
        b"From 0644 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\n---\n x.rs | 2 +-\n\n\
          diff --git a/x.rs b/x.rs\n--- a/x.rs\n+++ b/x.rs\n@@ -1 +1 @@\n-a\n+b\n-- \n2.47.3\n",
    )
    .expect("parses");
    assert_eq!(files.len(), 1);
    assert_eq!(apply(&files[0], b"a\n").expect("applies"), b"b\n");
}

#[test]
fn malformed_patches_are_errors_that_name_the_line() {
    let cases: [(&str, &str); 6] = [
        ("just some text\n", "no file changes found in the patch"),
        (
            "--- a/x.rs\n+++ b/x.rs\n@@ -1,3 +1,3 @@\n a\n-b\n",
            "line 3: hunk @@ -1,3 +1,3 @@ of `x.rs` ends before all the lines its header counts",
        ),
        ("--- a/x.rs\n+++ b/x.rs\n@@ -x +1 @@\n-a\n+b\n", "line 3: malformed hunk header"),
        (
            "--- a/x.rs\n+++ b/x.rs\n@@ -1 +1 @@\n?a\n+b\n",
            "line 4: hunk @@ -1,1 +1,1 @@ of `x.rs` has more or other lines than its header counts",
        ),
        (
            "diff --git a/x.png b/x.png\nindex 1..2 100644\nGIT binary patch\nliteral 3\n",
            "line 3: `x.png` is a binary patch",
        ),
        (
            "diff --git a/x.png b/x.png\nindex 1..2 100644\nBinary files a/x.png and b/x.png differ\n",
            "is a binary patch",
        ),
    ];
    for (patch, expected) in cases {
        let e = parse(patch.as_bytes()).expect_err(patch);
        assert!(
            e.starts_with(expected) || e.contains(expected),
            "{patch:?}: {e}"
        );
    }
}

#[test]
fn plain_diffs_strip_the_compared_directories() {
    let p = one(
        "--- before/src/x.rs\t2026-01-01\n+++ after/src/x.rs\t2026-01-01\n@@ -1 +1 @@\n-a\n+b\n",
    );
    assert_eq!(
        (p.old.as_deref(), p.new.as_deref()),
        (Some("src/x.rs"), Some("src/x.rs"))
    );
    assert!(p.plain);
    let p = one("--- src/x.rs.orig\n+++ src/x.rs\n@@ -1 +1 @@\n-a\n+b\n");
    assert_eq!(
        (p.old.as_deref(), p.new.as_deref()),
        (Some("src/x.rs.orig"), Some("src/x.rs"))
    );
}

#[test]
fn unusual_headers_neither_panic_nor_lose_their_paths() {
    // Too short to hold two prefixed names, or multi-byte where a prefix would be.
    for header in [
        "diff --git x y\n",
        "diff --git a\u{e9} a\u{e9}\n",
        "diff --git \n",
    ] {
        let _ = parse(header.as_bytes());
    }
    // `git diff --no-prefix`: the paths are whole.
    let p = one("diff --git src/x.rs src/x.rs\n--- src/x.rs\n+++ src/x.rs\n@@ -1 +1 @@\n-a\n+b\n");
    assert_eq!(
        (p.old.as_deref(), p.new.as_deref()),
        (Some("src/x.rs"), Some("src/x.rs"))
    );
    // `diff.mnemonicPrefix`: i/ and w/.
    let p = one(
        "diff --git i/src/x.rs w/src/x.rs\n--- i/src/x.rs\n+++ w/src/x.rs\n@@ -1 +1 @@\n-a\n+b\n",
    );
    assert_eq!(p.new.as_deref(), Some("src/x.rs"));
}

#[test]
fn huge_line_numbers_do_not_overflow() {
    let p = one(
        "--- a/x.rs\n+++ b/x.rs\n@@ -1,1 +1,1 @@\n-a\n+A\n@@ -9223372036854775807,1 +9223372036854775807,1 @@\n-c\n+C\n",
    );
    assert_eq!(apply(&p, b"a\nb\nc\n").expect("applies"), b"A\nb\nC\n");
    let p = one("--- a/x.rs\n+++ b/x.rs\n@@ -18446744073709551615,1 +1,1 @@\n-z\n+Z\n");
    assert!(apply(&p, b"a\n").is_err());
}
