//! The fact graph: what the code says, independent of the spec.
//!
//! `build` walks the root, reads Cargo manifests, parses every Rust file exactly once (in
//! parallel, one parser per thread), builds the module tree of every crate and resolves
//! every path the code writes to a module, an external crate, or an unresolved fact.
//! Source texts are dropped as soon as a file's facts are extracted.
//!
//! Facts is made of parts, each using only those below it: [`model`] (the ground: the data),
//! [`rust`] (a file's extraction), [`resolve`] (module trees and name resolution),
//! [`incremental`] (the caches, the resolution snapshot, names mode). This module, the
//! pipeline, uses them all: it runs a build, and re-exports what code outside facts reads.

pub mod incremental;
pub mod model;
pub mod resolve;
pub mod rust;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use incremental::{listing, names, packages, parse, reframe, resolved, stamps, warm, watcher};
use rust::parse::{ContentHash, Parsed};
use rust::query;

pub use incremental::cache;
pub use model::graph::{
    CacheReport, Crate, CrateId, Edge, ExternalUse, FactGraph, FileId, ModId, Module, SourceFile,
    Unresolved, UseTarget,
};
pub use model::overlay::{self, Overlay};
pub use model::source::{read_source, MAX_FILE_BYTES};
pub use model::{cargo, items, par, walk, Progress, QueryHit, Warning};
pub use rust::header;

/// Whether `name` (normalised, `-` as `_`) is a crate of the standard library (`std`, `core`,
/// `alloc`, ...): every boundary's, whatever its `crates`.
pub fn is_std_crate(name: &str) -> bool {
    resolve::path::STD_CRATES.contains(&name)
}

/// How to build the graph.
#[derive(Debug)]
pub struct BuildOptions {
    /// Files (relative paths) to skip, on top of .gitignore, target/ and .git/.
    pub exclude: globset::GlobSet,
    /// The patterns `exclude` was compiled from. With a cache, the walk's result is
    /// remembered under them (see [`listing`]); `None`: the walk is not remembered.
    pub exclude_texts: Option<Vec<String>>,
    /// Worker threads for parsing; 0 = one per available core.
    pub threads: usize,
    /// Tree-sitter queries (texts) to run on every tree during its one parse; also part of the
    /// cache key, since cached query hits depend on them.
    pub query_texts: Vec<String>,
    /// `query_texts` joined by `\n` and compiled already (by the spec's validation), so the
    /// parse need not compile them again; `None` to compile them when first needed.
    pub compiled_queries: Option<Arc<tree_sitter::Query>>,
    /// Where to keep the facts cache; `None` to neither read nor write one.
    pub cache_dir: Option<std::path::PathBuf>,
    /// Counters updated while building, for a caller that draws progress.
    pub progress: Option<Arc<Progress>>,
    /// The only files whose calls, macros, unsafe sites, attributes, suppression directives
    /// and query hits will be read (by per-file rules, in changed mode): the others' are not
    /// decoded from the cache (they are left empty). `None`: every file's.
    pub bodies_for: Option<std::collections::BTreeSet<String>>,
    /// A proposed change read over the files on disk (see [`overlay`]): a build with one reads
    /// the caches but writes none.
    pub overlay: Option<Arc<Overlay>>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            exclude: globset::GlobSet::empty(),
            exclude_texts: None,
            threads: 0,
            query_texts: Vec::new(),
            compiled_queries: None,
            cache_dir: None,
            progress: None,
            bodies_for: None,
            overlay: None,
        }
    }
}

impl BuildOptions {
    /// Whether this build may write its caches: not over an overlay (the next run, without
    /// it, must find the caches of the files on disk).
    fn writes_caches(&self) -> bool {
        self.overlay.is_none()
    }

    fn overlay(&self) -> Option<&Overlay> {
        self.overlay.as_deref()
    }
}

/// What a build reads before parsing: the files to check, the Cargo packages, and (when the
/// cache is on) every file's content hash. Its [`Input::digest`] identifies the whole input,
/// so a caller can reuse the results of a run over exactly the same input.
#[derive(Debug)]
pub struct Input {
    rust_files: Vec<String>,
    packages: Vec<cargo::Package>,
    warnings: Vec<Warning>,
    /// Content hash of each Rust file (same index), `None` when it could not be read; all
    /// `None` without a cache.
    hashes: Vec<Option<ContentHash>>,
    /// Size of each Rust file (same index) when it was stamped; all `None` without a cache.
    sizes: Vec<Option<u64>>,
    digest: Option<[u8; 32]>,
    /// With an overlay: the digest the same scan would give without it (the disk's), when it
    /// can be had without a second walk (the overlay touches no manifest); see
    /// [`Input::disk_digest`].
    disk_digest: Option<[u8; 32]>,
    /// The caches a focused run reads, being loaded on another thread meanwhile.
    preload: Option<std::thread::JoinHandle<Preloaded>>,
    /// The walk was the remembered one whole: nothing it watched had changed (see `listing`).
    walk_remembered: bool,
}

/// The facts cache and the resolution snapshot, loaded while the scan runs; the snapshot's
/// resolutions being decoded on a thread of their own, which the parse overlaps too.
#[derive(Default)]
struct Preloaded {
    cache: Option<cache::Cache>,
    snapshot: Option<(Arc<resolved::Snapshot>, Decoding)>,
}

/// The snapshot's resolutions, being decoded (`None` when not asked for).
type Decoding = Option<std::thread::JoinHandle<Option<resolved::Resolutions>>>;

impl Preloaded {
    /// Opens the facts cache and the snapshot of `dir`, and decodes the snapshot's
    /// resolutions when `decode` (a focused run, which may use them).
    fn load(dir: &Path, query_texts: &[String], decode: bool) -> Preloaded {
        let cache = cache::Cache::open(dir, &cache::cache_key(query_texts));
        let snapshot = resolved::Snapshot::open(dir, &cache::cache_key(&[])).map(|s| {
            let s = Arc::new(s);
            let resolutions = decode.then(|| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || s.take_resolutions())
            });
            (s, resolutions)
        });
        Preloaded {
            cache: Some(cache),
            snapshot,
        }
    }
}

impl Input {
    /// A hash of everything the facts are built from: every file's path and content (or why
    /// it could not be read), every manifest's content, and the walk's warnings. `None`
    /// when the cache is off (nothing was hashed).
    pub fn digest(&self) -> Option<&[u8; 32]> {
        self.digest.as_ref()
    }

    /// With an overlay: the [`digest`](Input::digest) a scan of the disk without it gives,
    /// when this scan could tell (see [`scan`]); a hook's check of a proposed edit finds the
    /// remembered results of the state before the edit with it, without a second scan.
    pub fn disk_digest(&self) -> Option<&[u8; 32]> {
        self.disk_digest.as_ref()
    }
}

/// Walks the root, reads the manifests and, when the cache is on, hashes every Rust file (in
/// parallel): everything before the parse.
pub fn scan(root: &Path, options: &BuildOptions) -> Input {
    // A focused run is short: reading and checking the caches (and decoding the snapshot)
    // overlaps the walk instead of following it.
    let preload = match (&options.cache_dir, &options.bodies_for) {
        (Some(dir), Some(_)) => {
            let (dir, texts) = (dir.clone(), options.query_texts.clone());
            Some(std::thread::spawn(move || {
                Preloaded::load(&dir, &texts, true)
            }))
        }
        _ => None,
    };
    let (mut walked, walk_remembered) = listing::walk(
        root,
        &options.exclude,
        remembered_walk(root, options),
        options.writes_caches(),
    );
    // The disk's own list, for the digest of the state without the overlay.
    let disk_files = options.overlay().map(|_| walked.rust_files.clone());
    if let Some(o) = options.overlay() {
        let would = |rel: &str| walk::would_walk(root, rel, &options.exclude);
        o.apply_to_list(&mut walked.rust_files, |rel| would(rel) == Some(false));
        o.apply_to_list(&mut walked.manifests, |rel| would(rel) == Some(true));
    }
    let mut warnings = walked.warnings;
    if walked.rust_files.is_empty() {
        warnings.push(Warning::new(
            "",
            "no Rust files under the root: nothing was checked",
        ));
    }
    let hashing = options.cache_dir.is_some();
    let rust_set = walked.rust_files.iter().map(String::as_str).collect();
    let manifests = read_manifests(root, &walked.manifests, &walked.rust_files, options);
    warnings.extend(manifests.warnings);
    let manifest_hashes = manifests.hashes;
    let mut packages = manifests.packages;
    if walked.manifests.is_empty() && !walked.rust_files.is_empty() {
        packages.extend(guess_package(root, &rust_set, &mut warnings));
    }
    let (hashes, sizes) = match &options.cache_dir {
        Some(dir) => hash_files(root, dir, &walked.rust_files, options),
        None => (
            vec![None; walked.rust_files.len()],
            vec![None; walked.rust_files.len()],
        ),
    };
    let digest =
        hashing.then(|| digest_of(&walked.rust_files, &hashes, &manifest_hashes, &warnings));
    // The state without the overlay differs only in the content of the overlaid Rust files
    // when the overlay adds or deletes none (the packages, which read the list, are the same)
    // and overlays no manifest, and there are files and manifests (no warning reads the list).
    let disk_digest = match (options.overlay(), disk_files) {
        (Some(o), Some(disk))
            if hashing
                && !disk.is_empty()
                && disk == walked.rust_files
                && !walked.manifests.is_empty()
                && !o.touches(|p| p == "Cargo.toml" || p.ends_with("/Cargo.toml")) =>
        {
            let disk_hashes: Vec<Option<ContentHash>> = disk
                .iter()
                .map(|rel| match o.get(rel) {
                    overlay::Entry::Disk => walked
                        .rust_files
                        .binary_search(rel)
                        .ok()
                        .and_then(|i| hashes[i]),
                    _ => read_source(&root.join(rel))
                        .ok()
                        .map(|bytes| cache::content_hash(&bytes)),
                })
                .collect();
            Some(digest_of(&disk, &disk_hashes, &manifest_hashes, &warnings))
        }
        _ => None,
    };
    Input {
        rust_files: walked.rust_files,
        packages,
        warnings,
        hashes,
        sizes,
        digest,
        disk_digest,
        preload,
        walk_remembered,
    }
}

/// The digest of a scan's input: every Rust file's path and content hash, every manifest's,
/// and the warnings (see [`Input::digest`]).
fn digest_of(
    rust_files: &[String],
    hashes: &[Option<ContentHash>],
    manifest_hashes: &[(String, ContentHash)],
    warnings: &[Warning],
) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    for (path, hash) in rust_files.iter().zip(hashes) {
        field(path.as_bytes());
        field(hash.as_ref().map_or(&[][..], |h| &h[..]));
    }
    for (path, hash) in manifest_hashes {
        field(path.as_bytes());
        field(hash);
    }
    for w in warnings {
        field(w.path.as_bytes());
        field(w.message.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// Where the walk of `root` is remembered, and under which key (see [`listing`]).
fn remembered_walk<'o>(root: &Path, options: &'o BuildOptions) -> Option<(&'o Path, [u8; 32])> {
    match (&options.cache_dir, &options.exclude_texts) {
        (Some(dir), Some(texts)) => {
            let at = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
            let mut key_texts = vec![at.to_string_lossy().into_owned()];
            key_texts.extend(texts.iter().cloned());
            Some((dir.as_path(), cache::cache_key(&key_texts)))
        }
        _ => None,
    }
}

/// The Cargo packages under `root` (their manifests, as a [`scan`] reads them, without hashing
/// the Rust files): what a question about dependencies alone needs.
pub fn packages(root: &Path, options: &BuildOptions) -> Vec<cargo::Package> {
    let (walked, _) = listing::walk(
        root,
        &options.exclude,
        remembered_walk(root, options),
        false,
    );
    read_manifests(root, &walked.manifests, &walked.rust_files, options).packages
}

/// What the manifests say: the packages, the warnings reading them gave, and (with a cache)
/// each readable manifest's content hash.
struct Manifests {
    packages: Vec<cargo::Package>,
    warnings: Vec<Warning>,
    hashes: Vec<(String, ContentHash)>,
}

/// Reads the `manifests` once (as a proposed change has them, if it does) and parses them, or
/// takes what they say from the packages remembered for exactly these manifests and
/// `rust_files` (see [`packages`](incremental::packages)): parsing is a pure function of both.
fn read_manifests(
    root: &Path,
    manifests: &[String],
    rust_files: &[String],
    options: &BuildOptions,
) -> Manifests {
    let texts: Vec<Result<String, String>> = manifests
        .iter()
        .map(|rel| match options.overlay().map(|o| o.get(rel)) {
            Some(overlay::Entry::Content(bytes)) => String::from_utf8(bytes.to_vec())
                .map_err(|_| "stream did not contain valid UTF-8".to_string()),
            _ => std::fs::read_to_string(root.join(rel)).map_err(|e| e.kind().to_string()),
        })
        .collect();
    let hashes = match options.cache_dir {
        Some(_) => manifests
            .iter()
            .zip(&texts)
            .filter_map(|(rel, text)| {
                let text = text.as_ref().ok()?;
                Some((rel.clone(), cache::content_hash(text.as_bytes())))
            })
            .collect(),
        None => Vec::new(),
    };
    let key = options.cache_dir.as_ref().map(|_| {
        let mut h = blake3::Hasher::new();
        let mut field = |bytes: &[u8]| {
            h.update(&(bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        for (rel, text) in manifests.iter().zip(&texts) {
            field(rel.as_bytes());
            match text {
                Ok(t) => {
                    field(b"ok");
                    field(t.as_bytes());
                }
                Err(e) => {
                    field(b"error");
                    field(e.as_bytes());
                }
            }
        }
        for rel in rust_files {
            field(rel.as_bytes());
        }
        *h.finalize().as_bytes()
    });
    if let (Some(dir), Some(key)) = (&options.cache_dir, &key) {
        if let Some((packages, warnings)) = packages::load(dir, key) {
            return Manifests {
                packages,
                warnings,
                hashes,
            };
        }
    }
    let read: std::collections::HashMap<&str, &Result<String, String>> =
        manifests.iter().map(String::as_str).zip(&texts).collect();
    let mut warnings = Vec::new();
    let packages = cargo::read_packages(
        manifests,
        &rust_files.iter().map(String::as_str).collect(),
        |rel| {
            read.get(rel)
                .map(|text| (*text).clone())
                .unwrap_or_else(|| Err("not a manifest of the walk".to_string()))
        },
        &mut warnings,
    );
    if let (Some(dir), Some(key), true) = (&options.cache_dir, &key, options.writes_caches()) {
        packages::save(dir, key, &packages, &warnings);
    }
    Manifests {
        packages,
        warnings,
        hashes,
    }
}

/// The content hash of every file (`None`: unreadable) and its size, in parallel. A file whose
/// stamp (size, times, inode) is the one remembered from the last run keeps the hash
/// remembered with it; the others are read and hashed. The stamps are written back when they
/// changed (see [`stamps`]).
fn hash_files(
    root: &Path,
    dir: &Path,
    files: &[String],
    options: &BuildOptions,
) -> (Vec<Option<ContentHash>>, Vec<Option<u64>>) {
    let key = cache::cache_key(&[]);
    let known = stamps::Stamps::load(dir, &key);
    // Taken before any file is looked at: a file modified after it is too recent to trust.
    let now = std::time::SystemTime::now();
    let found = par::map(files.len(), options.threads, |i| {
        if let Some(overlay::Entry::Content(bytes)) = options.overlay().map(|o| o.get(&files[i])) {
            // No stamp: the content is not the file's on disk.
            return (None, Some(cache::content_hash(bytes)));
        }
        let path = root.join(&files[i]);
        let stamp = std::fs::metadata(&path)
            .ok()
            .and_then(|m| stamps::Stamp::of(&m));
        if let Some(hash) = stamp.and_then(|s| known.hash(&files[i], &s)) {
            return (stamp, Some(hash));
        }
        let hash = read_source(&path)
            .ok()
            .map(|bytes| cache::content_hash(&bytes));
        (stamp, hash)
    });
    let current: Vec<_> = files
        .iter()
        .zip(&found)
        .map(|(path, (stamp, hash))| (path.as_str(), *stamp, *hash))
        .collect();
    if options.writes_caches() && known.differ(&current) {
        // Not being able to write them only costs the next run the hashing.
        let _ = stamps::Stamps::save(dir, &key, &current, now);
    }
    found
        .into_iter()
        .map(|(stamp, hash)| (hash, stamp.map(|s| s.size)))
        .unzip()
}

/// Builds the fact graph of the Rust code under `root`.
pub fn build(root: &Path, options: &BuildOptions) -> FactGraph {
    build_from(root, scan(root, options), options)
}

/// Builds the fact graph from a [`scan`] of `root`: parses every file (a file whose content
/// hash is in the facts cache is not even read again), then assembles and resolves. A run that
/// reads few files' bodies (`bodies_for`) takes the resolution of unchanged files from the
/// resolution snapshot when the structure it was made for still holds (see [`resolved`]).
pub fn build_from(root: &Path, input: Input, options: &BuildOptions) -> FactGraph {
    let (graph, pending) = build_deferred(root, input, options);
    if let Some(p) = pending {
        p.save(&graph);
    }
    graph
}

/// [`build_from`], leaving the resolution snapshot it would write to the caller, who may write
/// it while the rules run.
pub fn build_deferred(
    root: &Path,
    input: Input,
    options: &BuildOptions,
) -> (FactGraph, Option<PendingSnapshot>) {
    let (graph, pending, _) = build_parts(root, input, options, false);
    (graph, pending)
}

/// The disk's graph, built to be kept warm by a long-lived process and patched for proposed
/// changes (see [`incremental::warm`]): a watch on what the remembered walk watches is set
/// first (see [`incremental::watcher`]), then the root is scanned and the graph built as
/// `options` say (a run focused on no file reads every file's facts lean, from the caches).
/// `None` when the graph cannot be patched (see [`warm::Warm::new`]).
pub fn build_warm(root: &Path, options: &BuildOptions) -> Option<warm::Warm> {
    let remembered = remembered_walk(root, options);
    let listed = || remembered.and_then(|(dir, key)| listing::watched(dir, &key));
    let watched = listed();
    let watcher = watched
        .as_ref()
        .and_then(|(dirs, others)| watcher::Watcher::start(dirs, others));
    let input = scan(root, options);
    // A walk that was not the remembered one whole listed directories again (they changed
    // meanwhile): what it found may be in a directory not watched, and a change there missed.
    // The graph is built, and taken as changed at once (built again on the next call, over a
    // walk remembered by then, or again).
    let watcher = watcher.map(|mut w| {
        if !input.walk_remembered || listed() != watched {
            w.mark_changed();
        }
        w
    });
    let warnings = input.warnings.clone();
    let digest = input.digest;
    let queries =
        query::QuerySet::with_compiled(&options.query_texts, options.compiled_queries.clone());
    let (graph, pending, memo) = build_parts(root, input, options, true);
    if let Some(p) = pending {
        p.save(&graph);
    }
    let walk_remembered = watched.is_some();
    warm::Warm::new(
        graph,
        memo?,
        warnings,
        queries,
        (watcher, walk_remembered),
        digest,
    )
}

/// Whether a walk of `root` is remembered under `options` (what a watch of the disk watches:
/// see [`build_warm`]).
pub fn walk_remembered(root: &Path, options: &BuildOptions) -> bool {
    remembered_walk(root, options).is_some_and(|(dir, key)| listing::watched(dir, &key).is_some())
}

/// [`build_deferred`], also giving what every `use` resolved to when `keep_memo`.
fn build_parts(
    root: &Path,
    input: Input,
    options: &BuildOptions,
    keep_memo: bool,
) -> (FactGraph, Option<PendingSnapshot>, Option<resolve::Memo>) {
    let Input {
        rust_files,
        packages,
        mut warnings,
        hashes,
        sizes,
        preload,
        ..
    } = input;
    if let Some(p) = &options.progress {
        p.files
            .store(rust_files.len(), std::sync::atomic::Ordering::Relaxed);
    }
    let key = options
        .cache_dir
        .as_ref()
        .map(|_| cache::cache_key(&options.query_texts));
    let focused = options.bodies_for.is_some();
    let preloaded = match (preload.map(|p| p.join()), &options.cache_dir) {
        (Some(Ok(p)), _) => p,
        (_, Some(dir)) => Preloaded::load(dir, &options.query_texts, focused),
        (_, None) => Preloaded::default(),
    };
    let loaded = preloaded.cache;
    let whole: Vec<bool> = match &options.bodies_for {
        Some(only) => rust_files.iter().map(|f| only.contains(f)).collect(),
        None => Vec::new(),
    };
    let snapshot_key = cache::cache_key(&[]);
    let (snapshot, resolutions) = match preloaded.snapshot {
        Some((s, r)) => (Some(s), r),
        None => (None, None),
    };
    let with_cache = options.cache_dir.is_some();
    let layout = with_cache.then(|| resolved::layout(&packages, &rust_files));
    // Today's files mapped onto the snapshot's (by path when files were added or deleted),
    // and its resolutions by today's file ids.
    let map = match (&snapshot, &layout) {
        (Some(s), Some(layout)) if focused => s.file_map(&rust_files, layout),
        _ => None,
    };
    let queries =
        query::QuerySet::with_compiled(&options.query_texts, options.compiled_queries.clone());
    // The files whose resolution the snapshot may give: their references are not read (if
    // the structure turns out to have changed, they are read after all: `load_refs`).
    // The focused files' references are read whatever: per-file rules (`forbid.paths`) read them.
    let lean: Vec<bool> = match (&snapshot, &resolutions, &map) {
        (Some(s), Some(_), Some(map)) if focused => s
            .unchanged_as(map, &hashes)
            .into_iter()
            .zip(&whole)
            .map(|(unchanged, whole)| unchanged && !whole)
            .collect(),
        _ => Vec::new(),
    };
    let cache_use = loaded.as_ref().map(|c| parse::CacheUse {
        cache: c,
        collect: true,
        known: &hashes,
        sizes: &sizes,
        whole: &whole,
        lean: &lean,
    });
    let (mut parsed, entries, stats) = parse::parse_all(
        root,
        options.overlay(),
        &rust_files,
        options.threads,
        &queries,
        cache_use,
        options.progress.as_deref(),
    );
    // The facts cache is written back first: encoding the parsed files' facts sets their
    // interface digests, which the structure below reads.
    if let (Some(dir), Some(key), Some(c)) = (&options.cache_dir, &key, &loaded) {
        if options.writes_caches() && needs_rewrite(stats.misses, entries.len(), c.len()) {
            let fresh: Vec<usize> = entries.iter().filter_map(|e| e.2).collect();
            let mut encoder = parse::Encoder::new(&mut parsed, fresh);
            let saved = cache::save(dir, key, c, entries, |i| encoder.take(i));
            if let Err(e) = saved {
                warnings.push(Warning::new(
                    walk::relative(root, dir).unwrap_or_default(),
                    format!("cache could not be written: {}", e.kind()),
                ));
            }
        }
    }
    let structure_of = |parsed: &[Parsed]| {
        resolved::structure(&packages, &rust_files, &resolved::interfaces(parsed))
    };
    let mut structure = with_cache.then(|| structure_of(&parsed));
    let read_as = |parsed: &[Parsed]| -> Vec<Option<ContentHash>> {
        parsed.iter().map(Parsed::hash).collect()
    };
    // The snapshot's resolutions (by today's file ids), which files it holds for, and, when
    // only item names and `use`s changed since it was written, how (see `names::Renamed`).
    let resolutions = match (resolutions.and_then(|d| d.join().ok()).flatten(), &map) {
        (Some(r), Some(m)) if !m.is_identity() => reframe::reindex(r, m),
        (r, Some(_)) => r,
        (_, None) => None,
    };
    let prior = match (&snapshot, &structure, resolutions, &map) {
        (Some(s), Some(now), Some(resolutions), Some(map))
            if focused && resolutions.fit_files(&parsed) =>
        {
            // The snapshot holds for the files whose content, as read, is the one it was
            // made from; every file read without its references must be one of them.
            let reusable: Vec<bool> = s.unchanged_as(map, &read_as(&parsed));
            let lean_reusable = parsed
                .iter()
                .zip(&reusable)
                .all(|(p, r)| *r || !matches!(p, Parsed::Ok { lean: true, .. }));
            if !lean_reusable {
                None
            } else if s.structure == *now {
                resolutions
                    .fit(&parsed)
                    .then_some((resolutions, reusable, None))
            } else {
                loaded
                    .is_some()
                    .then(|| resolved::changes(s, &parsed, &reusable, map))
                    .flatten()
                    .and_then(|mut changes| {
                        // Other packages or files: the trees are compared (and other packages
                        // resolve everything again).
                        changes.reframe |= Some(s.layout) != layout;
                        let trees = match changes.reframe {
                            true => Some((s.tree()?, map.clone())),
                            false => None,
                        };
                        Some((resolutions, reusable, Some((changes, trees))))
                    })
            }
        }
        _ => None,
    };
    if let (None, Some(c)) = (&prior, &loaded) {
        let again = parse::load_refs(
            root,
            options.overlay(),
            &rust_files,
            &mut parsed,
            c,
            &queries,
            options.threads,
        );
        if again > 0 {
            // Files parsed again from disk may have changed meanwhile.
            structure = structure.map(|_| structure_of(&parsed));
        }
    }
    let read_as = read_as(&parsed);
    let renamed = matches!(&prior, Some((_, _, Some(_))));
    let lean: Vec<bool> = match renamed {
        true => parsed
            .iter()
            .map(|p| matches!(p, Parsed::Ok { lean: true, .. }))
            .collect(),
        false => Vec::new(),
    };
    let source = loaded.as_ref().map(|cache| CacheRefs {
        cache,
        root,
        hashes: &read_as,
        sizes: &sizes,
    });
    let prior = prior.map(|(resolutions, reusable, changes)| names::Prior {
        resolutions,
        reusable,
        renamed: changes
            .zip(source.as_ref())
            .map(|((changes, trees), refs)| {
                names::Renamed::new(changes, lean, refs as &dyn names::RefSource, trees)
            }),
    });
    let had_prior = prior.is_some();
    let names::Assembled {
        mut graph,
        mut memo,
        reused,
        complete,
        seeded,
    } = names::assemble_with(
        root.to_path_buf(),
        rust_files,
        parsed,
        packages,
        warnings,
        options.threads,
        prior,
    );
    let mut rejected = None;
    let mut keep = None;
    if let Some(c) = loaded {
        rejected = c.rejected.clone();
        // The loaded cache (the whole file's bytes) is kept only for the references of files
        // read without them (see `FactGraph::edge_path`).
        if had_prior {
            keep = Some(c);
        }
    }
    let mut pending = None;
    let snapshot_dir = options
        .cache_dir
        .as_ref()
        .filter(|_| options.writes_caches());
    if let (Some(dir), Some(structure), Some(layout)) = (snapshot_dir, structure, layout) {
        // Written after a full resolution that a snapshot on disk does not already hold; when
        // the files resolved again since it was written add up (as for the facts cache); or on
        // the second run in names mode over the same snapshot and the same new structure (the
        // first leaves a mark): until the snapshot holds the new structure, every focused run
        // resolves every `use` again (~30 ms on the large corpus), and writing it costs about
        // as much, once (not on every other run while edit after edit changes the structure).
        let fresh = graph.files.len() - reused.unwrap_or(0);
        let stale = match &snapshot {
            Some(s) => s.structure != structure || s.hashes != read_as,
            None => true,
        };
        let rewrite = reused.is_none()
            || needs_rewrite(fresh, graph.files.len(), graph.files.len())
            || (renamed
                && snapshot
                    .as_ref()
                    .is_some_and(|s| resolved::seen_in_names_mode(dir, &s.structure, &structure)));
        if stale && rewrite && complete {
            pending = Some(PendingSnapshot {
                dir: dir.clone(),
                key: snapshot_key,
                structure,
                layout,
                hashes: read_as.clone(),
                memo: match keep_memo {
                    true => memo.clone(),
                    false => std::mem::take(&mut memo),
                },
            });
        }
    }
    graph.overlay = options.overlay.clone();
    graph.lean_refs = keep
        .map(|c| std::sync::Arc::new(cache::LeanRefs::new(c, root.to_path_buf(), read_as)) as _);
    graph.cache = CacheReport {
        hits: stats.hits,
        misses: stats.misses,
        rejected,
        enabled: options.cache_dir.is_some(),
        resolutions_reused: reused.unwrap_or(0),
        uses_seeded: seeded,
    };
    (graph, pending, keep_memo.then_some(memo))
}

/// The references of files read without them, from the facts cache (else from the files,
/// parsed again if their content is still the one read).
struct CacheRefs<'a> {
    cache: &'a cache::Cache,
    root: &'a Path,
    /// The content hash each file's facts were read for.
    hashes: &'a [Option<ContentHash>],
    /// Each file's size when it was stamped (may be empty).
    sizes: &'a [Option<u64>],
}

/// Files whose sources add up to no more than this are parsed again for their references
/// rather than read from the facts cache, unless its rest file was read already: parsing
/// costs ~0.14 ms per KB on one thread, reading and checking the rest file ~20 ms (24 MB on
/// the large corpus).
const REPARSE_AT_MOST: u64 = 64 * 1024;

impl names::RefSource for CacheRefs<'_> {
    fn refs(&self, files: &[(FileId, &str)], threads: usize) -> Vec<Option<Vec<model::RefFact>>> {
        let bytes = files.iter().fold(0u64, |sum, &(f, _)| {
            let size = self.sizes.get(f as usize).copied().flatten();
            sum.saturating_add(size.unwrap_or(u64::MAX))
        });
        let parse = bytes <= REPARSE_AT_MOST && !self.cache.rest_loaded();
        par::map(files.len(), threads, |k| {
            let (file, path) = files[k];
            let hash = self.hashes.get(file as usize).copied().flatten()?;
            if parse {
                cache::refs_parsed(self.root, path, &hash).or_else(|| self.cache.refs(path, &hash))
            } else {
                cache::refs_of(self.cache, self.root, path, &hash)
            }
        })
    }

    fn may_mention(&self, file: FileId, path: &str, names: &[u64]) -> bool {
        match self.hashes.get(file as usize) {
            Some(Some(hash)) => self.cache.may_mention(path, hash, names),
            _ => true,
        }
    }
}

/// A resolution snapshot to write (see [`build_deferred`]).
pub struct PendingSnapshot {
    dir: PathBuf,
    key: [u8; 32],
    structure: resolved::Structure,
    layout: resolved::Structure,
    hashes: Vec<Option<ContentHash>>,
    memo: resolve::Memo,
}

impl PendingSnapshot {
    /// Writes the snapshot of `graph` (the graph it was built with). Not being able to write
    /// it only costs the next focused run a full resolution.
    pub fn save(self, graph: &FactGraph) {
        let _ = resolved::save(
            &self.dir,
            &self.key,
            &self.structure,
            &self.layout,
            &self.hashes,
            graph,
            &self.memo,
        );
    }
}

/// Whether the facts cache is written back after a parse that had `misses` of `files` files,
/// the cache on disk holding `cached` entries. Misses (files edited or added) and stale
/// entries (files gone: entries are looked up by path, so one is only dead weight) worth more
/// than rewriting the whole cache rewrite it. A few do not: rewriting costs about as much as
/// parsing one file in 64 (measured on the large corpus: 33 MB, ~0.3 s, against ~1.3 ms of
/// parse per file), so the next run re-parses those few files instead, and the cache is
/// rewritten once changes add up to that much. A change is never lost: a stale entry never
/// matches its file's new content hash.
fn needs_rewrite(misses: usize, files: usize, cached: usize) -> bool {
    // Entries are by path: those beyond the files are of files gone (at least).
    let off = misses + cached.saturating_sub(files);
    (cached == 0 && files > 0) || (off > 0 && off * 64 >= files)
}

/// Without any Cargo.toml, crates are guessed from Cargo's layout conventions, named after
/// the root directory; a warning says so.
fn guess_package(
    root: &Path,
    rust_files: &std::collections::BTreeSet<&str>,
    warnings: &mut Vec<Warning>,
) -> Option<cargo::Package> {
    let name = root
        .canonicalize()
        .ok()
        .and_then(|r| r.file_name().map(|n| n.to_string_lossy().replace('-', "_")))
        .filter(|n| !n.is_empty() && !n.starts_with('.'))
        .unwrap_or_else(|| "crate".to_owned());
    warnings.push(Warning::new(
        "",
        format!(
            "no Cargo.toml under the root: crates are guessed from the layout (src/lib.rs, \
             src/main.rs, src/bin/) as package `{name}`, with no declared dependencies"
        ),
    ));
    cargo::guessed_package(&name, rust_files)
}

/// Reads a source file for rendering: invalid UTF-8 bytes are replaced one-for-one by `?`
/// so byte offsets recorded in facts stay valid. `None` when it cannot be read or is over
/// [`MAX_FILE_BYTES`] (it was not parsed either).
pub fn read_for_display(root: &Path, rel: &str) -> Option<String> {
    let bytes = read_source(&root.join(rel)).ok()?;
    Some(lossy_same_len(bytes))
}

/// [`read_for_display`] of a file of `graph`, as the graph read it: a proposed change's
/// content when the graph was built over one.
pub fn source_text(graph: &FactGraph, rel: &str) -> Option<String> {
    read_for_display_over(&graph.root, graph.overlay.as_deref(), rel)
}

/// [`read_for_display`] of the file at `rel` as `overlay` (a proposed change) has it, when it
/// has it: its content, or nothing for a file it deletes.
pub fn read_for_display_over(root: &Path, overlay: Option<&Overlay>, rel: &str) -> Option<String> {
    match overlay.map(|o| o.get(rel)) {
        Some(overlay::Entry::Content(bytes)) => Some(lossy_same_len(bytes.to_vec())),
        Some(overlay::Entry::Deleted) => None,
        _ => read_for_display(root, rel),
    }
}

/// UTF-8 text with each invalid byte replaced by `?` (same length, same offsets).
pub fn lossy_same_len(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let mut bytes = e.into_bytes();
            let mut i = 0;
            while i < bytes.len() {
                match std::str::from_utf8(&bytes[i..]) {
                    Ok(_) => break,
                    Err(err) => {
                        let bad = i + err.valid_up_to();
                        let len = err.error_len().unwrap_or(bytes.len() - bad);
                        for b in &mut bytes[bad..bad + len] {
                            *b = b'?';
                        }
                        i = bad + len;
                    }
                }
            }
            String::from_utf8(bytes).unwrap_or_default()
        }
    }
}

/// The root a path argument designates (used by the CLI and tests).
pub fn display_root(root: &Path) -> PathBuf {
    root.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest of the one-package repositories these tests write.
    const PACKAGE: &str = "[package]\nname = \"t\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

    /// Writes `text` to `rel` under `root`, making its directories.
    fn write_file(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// With an overlay that only changes the content of Rust files, the scan tells the digest
    /// of the disk without it: the one a scan of the disk gives. When the overlay adds or
    /// deletes a file, or touches a manifest, it does not tell (a second scan is needed).
    #[test]
    fn a_scan_over_an_overlay_tells_the_digest_of_the_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write_file(root, "Cargo.toml", PACKAGE);
        write_file(root, "src/lib.rs", "pub mod a;\n");
        write_file(root, "src/a.rs", "pub fn a() {}\n");
        let plain = BuildOptions {
            cache_dir: Some(root.join(".ribo-cache")),
            ..BuildOptions::default()
        };
        let disk = scan(root, &plain);
        let disk_digest = *disk.digest().expect("hashed");
        assert_eq!(disk.disk_digest(), None, "no overlay, no second digest");
        let over = |entries: &[(&str, Option<&str>)]| {
            let mut o = Overlay::default();
            for (path, text) in entries {
                o.set(*path, text.map(|t| t.as_bytes().to_vec()));
            }
            BuildOptions {
                cache_dir: Some(root.join(".ribo-cache")),
                overlay: Some(Arc::new(o)),
                ..BuildOptions::default()
            }
        };
        let edited = scan(root, &over(&[("src/a.rs", Some("pub fn b() {}\n"))]));
        assert_ne!(
            edited.digest(),
            Some(&disk_digest),
            "the edit is in its digest"
        );
        assert_eq!(edited.disk_digest(), Some(&disk_digest));
        for (entries, why) in [
            (&[("src/c.rs", Some("pub fn c() {}\n"))][..], "a file added"),
            (&[("src/a.rs", None)][..], "a file deleted"),
            (
                &[
                    ("Cargo.toml", Some(PACKAGE)),
                    ("src/a.rs", Some("fn x() {}\n")),
                ][..],
                "a manifest overlaid",
            ),
        ] {
            assert_eq!(scan(root, &over(entries)).disk_digest(), None, "{why}");
        }
    }

    #[test]
    fn the_cache_is_rewritten_when_it_pays() {
        assert!(!needs_rewrite(0, 3643, 3643), "nothing changed");
        assert!(
            !needs_rewrite(1, 3643, 3643),
            "one edit in a large repository"
        );
        assert!(needs_rewrite(57, 3643, 3643), "edits add up");
        assert!(needs_rewrite(1, 7, 7), "one edit in a small repository");
        assert!(!needs_rewrite(1, 3644, 3643), "a file added");
        assert!(!needs_rewrite(0, 3642, 3643), "a file gone");
        assert!(needs_rewrite(0, 3586, 3643), "files gone add up");
        assert!(needs_rewrite(30, 3643, 3670), "edits and files gone add up");
        assert!(needs_rewrite(1, 1, 0), "no cache yet, one file");
        assert!(needs_rewrite(1, 3, 3), "a file added to a small repository");
        assert!(needs_rewrite(3643, 3643, 0), "no cache yet");
        assert!(!needs_rewrite(0, 0, 0), "nothing to cache");
    }

    /// A focused check decodes the items of no file read from the cache (no rule of its
    /// reads them), neither after a body edit nor in names mode, whose resolution reads only
    /// the items' names (here: `a.rs`'s own `Local` and, through a glob, `b.rs`'s `Helper`);
    /// a file parsed again has its items.
    #[test]
    fn a_focused_check_leaves_cached_items_encoded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |rel: &str, text: &str| write_file(root, rel, text);
        write("Cargo.toml", PACKAGE);
        write(
            "src/lib.rs",
            "pub mod a;\npub mod b;\npub use a::run;\npub struct Root;\n",
        );
        write(
            "src/a.rs",
            "use crate::b::*;\nstruct Local;\nimpl Local {\n    fn new() {}\n}\npub fn run() {\n    Helper::go();\n    Local::new();\n}\n",
        );
        write("src/b.rs", "pub fn existing() {}\n");
        let full = BuildOptions {
            cache_dir: Some(root.join(".ribo-cache")),
            ..BuildOptions::default()
        };
        build(root, &full);
        let focused = BuildOptions {
            bodies_for: Some(["src/b.rs".to_string()].into_iter().collect()),
            ..full
        };
        let resolved = |g: &FactGraph| format!("{:?} {:?}", g.edges, g.unresolved);
        for (text, names_mode) in [
            ("pub fn existing() { let _ = 1; }\n", false),
            ("pub fn existing() {}\npub struct Helper;\n", true),
        ] {
            write("src/b.rs", text);
            let g = build(root, &focused);
            let decoded: Vec<&str> = g
                .files
                .iter()
                .filter(|f| f.facts.items.is_decoded())
                .map(|f| f.path.as_str())
                .collect();
            assert_eq!(decoded, ["src/b.rs"], "names mode: {names_mode}");
            let fresh = build(root, &BuildOptions::default());
            assert_eq!(resolved(&g), resolved(&fresh), "names mode: {names_mode}");
        }
    }

    /// A file whose references must be read again in names mode but cannot be (here: its
    /// stamp says it is unchanged, the rest file with its references is gone, and its content
    /// on disk is not the content the stamp vouches for) is warned about and left unresolved;
    /// that run's graph must not become the snapshot, which would then give the file no
    /// results, without a warning, whenever it has that content again.
    #[test]
    fn a_graph_missing_a_files_paths_is_not_saved_as_the_snapshot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let write = |rel: &str, text: &str| write_file(root, rel, text);
        write("Cargo.toml", PACKAGE);
        let fill: String = (0..64).map(|i| format!("pub mod f{i};\n")).collect();
        write("src/lib.rs", &format!("pub mod a;\npub mod b;\n{fill}"));
        for i in 0..64 {
            write(&format!("src/f{i}.rs"), "pub fn f() {}\n");
        }
        let a_text = "use crate::b::*;\npub fn run() {\n    helper::go();\n}\n";
        write("src/a.rs", a_text);
        write("src/b.rs", "pub fn existing() {}\n");
        let cache_dir = root.join(".ribo-cache");
        let full = BuildOptions {
            cache_dir: Some(cache_dir.clone()),
            ..BuildOptions::default()
        };
        build(root, &full);
        // `b.rs` gains `helper`, which `a.rs` writes: names mode must resolve `a.rs` again.
        write("src/b.rs", "pub fn existing() {}\npub struct helper;\n");
        // `a.rs` changes, but the stamps say it did not (its new stamp, its old hash), and its
        // references are not in the cache any more.
        write("src/a.rs", &format!("{a_text}// changed\n"));
        let meta = std::fs::metadata(root.join("src/a.rs")).expect("stat");
        let stamp = stamps::Stamp::of(&meta);
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        let old_hash = cache::content_hash(a_text.as_bytes());
        stamps::Stamps::save(
            &cache_dir,
            &cache::cache_key(&[]),
            &[("src/a.rs", stamp, Some(old_hash))],
            later,
        )
        .expect("stamps");
        std::fs::remove_file(cache_dir.join("facts-v1-rest.bin")).expect("rest file");
        let snapshot = cache_dir.join("resolved-v2.bin");
        let before = std::fs::read(&snapshot).expect("snapshot");
        let focused = BuildOptions {
            bodies_for: Some(["src/b.rs".to_string()].into_iter().collect()),
            ..full
        };
        let g = build(root, &focused);
        assert!(
            g.warnings
                .iter()
                .any(|w| w.path == "src/a.rs" && w.message.contains("could not be read again")),
            "{:?}",
            g.warnings
        );
        assert!(g.cache.resolutions_reused > 0, "names mode");
        assert_eq!(std::fs::read(&snapshot).expect("snapshot"), before);
    }

    #[test]
    fn lossy_keeps_offsets() {
        let s = lossy_same_len(vec![b'a', 0xff, 0xfe, b'b', 0xc3, 0xa9]);
        assert_eq!(s, "a??bé");
    }
}
