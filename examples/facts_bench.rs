//! Measures Rust fact extraction against the tree-sitter parse floor on a directory of `.rs`
//! files (for instance the corpus built by `bench/make-corpus.sh`).
//!
//! usage: cargo run --release --example facts_bench -- MODE DIR
//!   split   : per file, time the parse, a bare TreeCursor walk reading every node's kind
//!             (the floor of any one-walk extractor), and ribo's extraction from the same
//!             tree; prints the three totals and the ratios to the parse time
//!   extract : parse + extract end to end (`ribo::facts::rust::extract`), one parser
//!   parse   : parse only
//!   oracle  : per-crate counts (first directory under DIR = crate) to compare with
//!             `bench/tsparse oracle`: unsafe blocks, `.unwrap()` calls outside macros,
//!             `println!`, `use crate::` leaves, calls outside macros, macro invocations
//! Files are read into memory first; only parsing / walking / extraction is timed, on one
//! thread.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use ribo::facts::model::{Callee, FileFacts, UnsafeKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => walk_dir(&p, out),
            Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "rs") => out.push(p),
            _ => {}
        }
    }
}

/// Visits every node with a cursor and reads its kind: what any one-walk extractor pays.
fn bare_walk(tree: &tree_sitter::Tree) -> u64 {
    let mut c = tree.walk();
    let mut n = 0u64;
    loop {
        n = n.wrapping_add(u64::from(c.node().kind_id()));
        if c.goto_first_child() {
            continue;
        }
        loop {
            if c.goto_next_sibling() {
                break;
            }
            if !c.goto_parent() {
                return n;
            }
        }
    }
}

fn counts(f: &FileFacts) -> [usize; 8] {
    [
        f.uses.len(),
        f.refs.len(),
        f.calls.len(),
        f.macros.len(),
        f.unsafe_sites.len(),
        f.items.len(),
        f.mods.len(),
        f.syntax_error_count as usize,
    ]
}

const COUNT_NAMES: &str = "uses refs calls macros unsafe items mods syntax_errors";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: facts_bench split|extract|parse|oracle DIR");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let mut files = Vec::new();
    walk_dir(dir, &mut files);
    let sources: Vec<(PathBuf, Vec<u8>)> = files
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|s| (p, s)))
        .collect();
    let lines: usize = sources
        .iter()
        .map(|(_, s)| s.split(|&b| b == b'\n').count())
        .sum();
    println!("{} files, {lines} lines", sources.len());
    let mut parser = ribo::facts::rust::parser();
    let mut totals = [0usize; 8];
    match mode.as_str() {
        "split" => {
            let (mut parse, mut walk, mut extract) =
                (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            let mut sink = 0u64;
            for (_, src) in &sources {
                let t0 = Instant::now();
                let Some(tree) = parser.parse(src, None) else {
                    continue;
                };
                let t1 = Instant::now();
                sink = sink.wrapping_add(bare_walk(&tree));
                let t2 = Instant::now();
                let f = ribo::facts::rust::extract_tree(&tree, src);
                let t3 = Instant::now();
                parse += t1 - t0;
                walk += t2 - t1;
                extract += t3 - t2;
                for (t, c) in totals.iter_mut().zip(counts(&f)) {
                    *t += c;
                }
            }
            let p = parse.as_secs_f64();
            println!("parse   {p:.3} s");
            println!(
                "walk    {:.3} s   parse+walk    = {:.3} x parse",
                walk.as_secs_f64(),
                (p + walk.as_secs_f64()) / p
            );
            println!(
                "extract {:.3} s   parse+extract = {:.3} x parse   (sink {})",
                extract.as_secs_f64(),
                (p + extract.as_secs_f64()) / p,
                sink % 10
            );
        }
        "extract" | "parse" => {
            let start = Instant::now();
            for (_, src) in &sources {
                if mode == "parse" {
                    totals[0] += usize::from(parser.parse(src, None).is_some());
                } else if let Some((_, f)) = ribo::facts::rust::extract(&mut parser, src) {
                    for (t, c) in totals.iter_mut().zip(counts(&f)) {
                        *t += c;
                    }
                }
            }
            println!("{mode} {:.3} s", start.elapsed().as_secs_f64());
        }
        "oracle" => {
            oracle(dir, &sources, &mut parser);
            return;
        }
        _ => {
            eprintln!("unknown mode {mode}");
            std::process::exit(2);
        }
    }
    println!("totals ({COUNT_NAMES}): {totals:?}");
}

fn oracle(dir: &Path, sources: &[(PathBuf, Vec<u8>)], parser: &mut tree_sitter::Parser) {
    let mut rows: BTreeMap<String, [usize; 6]> = BTreeMap::new();
    for (p, src) in sources {
        let krate = p
            .strip_prefix(dir)
            .ok()
            .and_then(|r| r.components().next())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((_, f)) = ribo::facts::rust::extract(parser, src) else {
            continue;
        };
        let row = rows.entry(krate).or_default();
        let unwrap = Callee::Method("unwrap".into());
        row[0] += f
            .unsafe_sites
            .iter()
            .filter(|u| u.kind == UnsafeKind::Block)
            .count();
        row[1] += f
            .calls
            .iter()
            .filter(|c| !c.in_macro && c.callee == unwrap)
            .count();
        row[2] += f
            .macros
            .iter()
            .filter(|m| m.path.to_vec() == ["println"])
            .count();
        row[3] += f
            .uses
            .iter()
            .filter(|u| u.path.first().is_some_and(|s| s == "crate"))
            .count();
        row[4] += f.calls.iter().filter(|c| !c.in_macro).count();
        row[5] += f.macros.len();
    }
    println!("crate\tunsafe_block\tunwrap_call\tprintln_macro\tuse_crate_leaves\tcalls\tmacros");
    for (k, r) in rows {
        println!(
            "{k}\t{}\t{}\t{}\t{}\t{}\t{}",
            r[0], r[1], r[2], r[3], r[4], r[5]
        );
    }
}
