//! Micro-benchmarks of ribo's hot paths (criterion): fact extraction of one real file, the
//! whole build (walk, parse, module trees, resolution) of a fixture repository, and rule
//! evaluation over facts already built. The end-to-end benchmark against the parse floor and
//! ast-grep on 1.56M lines of real code is `bench/run.sh` (results in docs/performance.md).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};

/// A real, sizeable Rust file (41 KB): ribo's resolution snapshot.
const SOURCE: &[u8] = include_bytes!("../src/facts/incremental/resolved.rs");

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn extraction(c: &mut Criterion) {
    let mut parser = ribo::facts::rust::parser();
    c.bench_function("parse only (tree-sitter floor)", |b| {
        b.iter(|| black_box(parser.parse(black_box(SOURCE), None)))
    });
    let mut parser = ribo::facts::rust::parser();
    c.bench_function("parse + extract facts", |b| {
        b.iter(|| black_box(ribo::facts::rust::extract(&mut parser, black_box(SOURCE))))
    });
}

fn build_and_rules(c: &mut Criterion) {
    let root = fixture("invariants-forbid");
    let spec = match ribo::spec::load(&root.join("ribo.yaml")) {
        Ok(s) => s,
        Err(e) => panic!("the fixture spec loads: {e:?}"),
    };
    let options = ribo::facts::BuildOptions {
        exclude: spec.exclude_set(),
        threads: 1,
        query_texts: spec.query_texts(),
        ..ribo::facts::BuildOptions::default()
    };
    c.bench_function("build: walk, parse, module trees, resolution", |b| {
        b.iter(|| black_box(ribo::facts::build(&root, &options)))
    });
    let graph = ribo::facts::build(&root, &options);
    let assignment = match ribo::rules::assign::assign(&spec, &graph) {
        Ok(a) => a,
        Err(e) => panic!("no ties in the fixture: {e:?}"),
    };
    c.bench_function("rules: every rule over built facts", |b| {
        b.iter(|| black_box(ribo::rules::check(&spec, &graph, &assignment)))
    });
}

criterion_group!(benches, extraction, build_and_rules);
criterion_main!(benches);
