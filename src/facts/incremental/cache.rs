//! A content-addressed cache of per-file facts, so an unchanged repository is not parsed again.
//!
//! One file, `<dir>/facts-v1.bin`: a header, then one entry per source file — its path, the
//! BLAKE3 hash of its content, its interface digest (`resolved`), a Bloom filter
//! of the segments of its references (`resolved::ref_filter`), and its facts encoded with
//! postcard (references and bodies in `facts-v1-rest.bin`). An entry is used only when
//! the file's current content has the same hash. The header holds a key derived from the ribo
//! version, the cache format, the queries the facts were built with, and a secret kept in the
//! user's cache directory: a cache written by another ribo, for another spec's queries, on
//! another machine, or committed into a repository, does not match and is ignored. A body
//! checksum catches truncation and corruption: such a cache is ignored and rebuilt, never
//! trusted. The directory gets a `.gitignore` of `*`, so it never reaches version control.

use foldhash::{HashMap, HashMapExt};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::facts::model::graph::{self, FileId};
use crate::facts::model::{FileFacts, QueryHit, RefFact};
use crate::facts::rust;
use crate::facts::rust::parse::{read_source, ContentHash};

/// Bumped whenever the encoding or the facts' shape changes.
pub const FORMAT: u32 = 17;
const MAGIC: &[u8; 8] = b"RIBOFCT\0";
const FILE_NAME: &str = "facts-v1.bin";
/// The references and bodies of the entries of [`FILE_NAME`], read only when needed.
const REST_FILE_NAME: &str = "facts-v1-rest.bin";

/// The part of a file's facts only per-file rules read (calls, macros, unsafe sites,
/// attributes, suppression directives, query hits): encoded apart from the rest, so that a run
/// that needs it for a few files (`ribo check FILE`) does not decode it for every other file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Body {
    calls: Vec<crate::facts::model::CallFact>,
    macros: Vec<crate::facts::model::MacroFact>,
    unsafe_sites: Vec<crate::facts::model::UnsafeFact>,
    attrs: Vec<crate::facts::model::AttrFact>,
    directives: Vec<crate::facts::model::DirectiveFact>,
    hits: Vec<QueryHit>,
    queries_incomplete: bool,
}

impl Body {
    fn take(file: &mut CachedFile) -> Body {
        let f = &mut file.facts;
        Body {
            calls: std::mem::take(&mut f.calls),
            macros: std::mem::take(&mut f.macros),
            unsafe_sites: std::mem::take(&mut f.unsafe_sites),
            attrs: std::mem::take(&mut f.attrs),
            directives: std::mem::take(&mut f.directives),
            hits: std::mem::take(&mut file.hits),
            queries_incomplete: file.queries_incomplete,
        }
    }

    fn put(self, file: &mut CachedFile) {
        let f = &mut file.facts;
        f.calls = self.calls;
        f.macros = self.macros;
        f.unsafe_sites = self.unsafe_sites;
        f.attrs = self.attrs;
        f.directives = self.directives;
        file.hits = self.hits;
        file.queries_incomplete = self.queries_incomplete;
    }
}

/// What is cached for one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedFile {
    pub facts: FileFacts,
    pub hits: Vec<QueryHit>,
    pub not_utf8: bool,
    /// A query ran out of its work budget on this file (see `query::FileQueries`).
    pub queries_incomplete: bool,
    /// The facts' interface digest (see `resolved::interface_digest`), stored beside the
    /// encoded facts so that a run need not compute it again.
    #[serde(skip)]
    pub interface: Option<[u8; 16]>,
}

/// The hash of a file's content.
pub fn content_hash(bytes: &[u8]) -> ContentHash {
    let mut out = [0u8; 16];
    out.copy_from_slice(&blake3::hash(bytes).as_bytes()[..16]);
    out
}

/// The key a cache must carry to be trusted: ribo's version, the format, the queries and a
/// secret of this user (see the module docs).
pub fn cache_key(queries: &[String]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(&user_secret());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&FORMAT.to_le_bytes());
    for q in queries {
        h.update(&(q.len() as u64).to_le_bytes());
        h.update(q.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// A secret of this user, created on first use under the user's cache directory
/// (`$XDG_CACHE_HOME/ribo/secret` or `~/.cache/ribo/secret`). Without a home directory, a
/// fixed value: the cache then only protects against accidents, not against a planted file.
fn user_secret() -> [u8; 32] {
    // Once per process: threads that ask at once (the preload and the scan) get one secret.
    static SECRET: OnceLock<[u8; 32]> = OnceLock::new();
    *SECRET.get_or_init(load_user_secret)
}

fn load_user_secret() -> [u8; 32] {
    let dir = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("ribo"));
    let Some(dir) = dir else {
        return *blake3::hash(b"ribo: no user cache directory").as_bytes();
    };
    let path = dir.join("secret");
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(secret) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return secret;
        }
    }
    let mut secret = [0u8; 32];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut secret));
    if random.is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let here = &secret as *const _ as usize;
        secret = *blake3::hash(format!("{now}:{here}").as_bytes()).as_bytes();
    }
    let _ = std::fs::create_dir_all(&dir);
    // Written aside, then renamed: another process never reads half a secret.
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!("secret.{nonce}.tmp"));
    if std::fs::write(&tmp, secret).is_ok() && std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    secret
}

/// A loaded cache: entries point into the raw bytes, decoded only on a hit. The heads file is
/// read when the cache is opened; the rest file (references and bodies) only when a caller
/// first asks for a reference or a body.
#[derive(Debug, Default)]
pub struct Cache {
    heads: Framed,
    entries: HashMap<String, Entry>,
    /// The rest file's bytes and where its body is in them.
    rest: OnceLock<Option<Framed>>,
    /// Where the rest file is, and the checksum it must have (written with the heads).
    rest_from: Option<(PathBuf, [u8; 32], [u8; 32])>,
    /// Why the cache on disk was not used, if it existed.
    pub rejected: Option<String>,
}

/// Where one file's cached facts are.
#[derive(Debug)]
struct Entry {
    hash: ContentHash,
    interface: [u8; 16],
    /// In the heads file's body: the Bloom filter of the segments of the file's references
    /// (see `resolved::ref_filter`).
    filter: Range<usize>,
    /// In the heads file's body.
    head: Range<usize>,
    /// In the rest file's body: the length of the references, the references, the body.
    rest: Range<usize>,
}

/// One file's facts, encoded for the cache (see [`encode`]).
#[derive(Debug)]
pub struct Encoded {
    interface: [u8; 16],
    filter: Vec<u8>,
    head: Vec<u8>,
    rest: Vec<u8>,
}

/// One entry to write: path, content hash, and where its facts are: the index of a file parsed
/// in this run (encoded only when the cache is written, one at a time), or `None` to copy the
/// entry of the loaded cache (a hit).
pub type NewEntry = (String, ContentHash, Option<usize>);

fn take<'a>(data: &'a [u8], pos: &mut usize, n: usize) -> Option<&'a [u8]> {
    let end = pos.checked_add(n)?;
    let s = data.get(*pos..end)?;
    *pos = end;
    Some(s)
}

fn take_u32(data: &[u8], pos: &mut usize) -> Option<u32> {
    take(data, pos, 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}

fn take_u64(data: &[u8], pos: &mut usize) -> Option<u64> {
    take(data, pos, 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
}

impl Cache {
    /// Loads `<dir>/facts-v1.bin` if it exists and carries `key`; otherwise an empty cache.
    pub fn open(dir: &Path, key: &[u8; 32]) -> Cache {
        let path = dir.join(FILE_NAME);
        if !path.exists() {
            return Cache::default();
        }
        let framed = super::resident::framed(&path, key, |data| check_frame(data, key).ok());
        let Some((data, body)) = framed else {
            // Read again, for the reason it is rejected.
            let data = std::fs::read(&path).unwrap_or_default();
            let why = check_frame(&data, key).err().unwrap_or("could not be read");
            return Cache {
                rejected: Some(why.to_string()),
                ..Cache::default()
            };
        };
        match Self::parse(Framed { data, body }, key) {
            Ok(mut cache) => {
                if let Some((path, _, _)) = &mut cache.rest_from {
                    *path = dir.join(REST_FILE_NAME);
                }
                cache
            }
            Err(why) => Cache {
                rejected: Some(why.to_string()),
                ..Cache::default()
            },
        }
    }

    fn parse(heads: Framed, key: &[u8; 32]) -> Result<Cache, &'static str> {
        let data: &[u8] = &heads;
        let mut pos = 0;
        let rest_sum: [u8; 32] = take(data, &mut pos, 32)
            .and_then(|s| s.try_into().ok())
            .ok_or("truncated")?;
        let count = take_u64(data, &mut pos).ok_or("truncated")?;
        let mut entries = HashMap::new();
        for _ in 0..count {
            let len = take_u32(data, &mut pos).ok_or("truncated")? as usize;
            let path = take(data, &mut pos, len).ok_or("truncated")?;
            let path = String::from_utf8(path.to_vec()).map_err(|_| "corrupt path")?;
            let mut fixed = |n| take(data, &mut pos, n).ok_or("truncated");
            let hash: ContentHash = fixed(16)?.try_into().map_err(|_| "truncated")?;
            let interface: [u8; 16] = fixed(16)?.try_into().map_err(|_| "truncated")?;
            let len = take_u32(data, &mut pos).ok_or("truncated")? as usize;
            let start = pos;
            take(data, &mut pos, len).ok_or("truncated")?;
            let filter = start..pos;
            let len = take_u32(data, &mut pos).ok_or("truncated")? as usize;
            let start = pos;
            take(data, &mut pos, len).ok_or("truncated")?;
            let head = start..pos;
            let rest_at = take_u64(data, &mut pos).ok_or("truncated")? as usize;
            let rest_len = take_u32(data, &mut pos).ok_or("truncated")? as usize;
            let rest = rest_at..rest_at.checked_add(rest_len).ok_or("corrupt")?;
            entries.insert(
                path,
                Entry {
                    hash,
                    interface,
                    filter,
                    head,
                    rest,
                },
            );
        }
        Ok(Cache {
            heads,
            entries,
            rest: OnceLock::new(),
            rest_from: Some((PathBuf::new(), *key, rest_sum)),
            rejected: None,
        })
    }

    /// The rest file's body, read and checked on first use; `None` when it is missing, corrupt
    /// or not the one written with the heads (each entry's references and body are then
    /// misses: the file is parsed again).
    fn rest(&self) -> Option<&[u8]> {
        let framed = self
            .rest
            .get_or_init(|| {
                let (path, key, sum) = self.rest_from.as_ref()?;
                let (data, body) = super::resident::framed(path, key, |data| {
                    let body = check_frame(data, key).ok()?;
                    let checksum = data.get(body.end..)?;
                    (checksum == sum.as_slice()).then_some(body)
                })?;
                Some(Framed { data, body })
            })
            .as_ref()?;
        Some(&**framed)
    }

    /// Whether the rest file was read already (reading it costs ~20 ms on a large repository:
    /// parsing a few small files again is cheaper).
    pub fn rest_loaded(&self) -> bool {
        self.rest.get().is_some()
    }

    /// The cached facts of `path` if its content still has `hash` (an undecodable entry is a
    /// miss); without the part only per-file rules read unless `body` (see [`Body`]), and
    /// without the references unless `refs` (a run that takes their resolution from the
    /// snapshot does not read them: see `resolved`).
    pub fn get(
        &self,
        path: &str,
        hash: &ContentHash,
        refs: bool,
        body: bool,
    ) -> Option<CachedFile> {
        let entry = self.entry(path, hash)?;
        let mut file: CachedFile =
            postcard::from_bytes(self.heads.get(entry.head.clone())?).ok()?;
        file.interface = Some(entry.interface);
        if refs || body {
            let (refs_bytes, body_bytes) = self.rest_parts(entry)?;
            if refs {
                file.facts.refs = postcard::from_bytes(refs_bytes).ok()?;
            }
            if body {
                let body: Body = postcard::from_bytes(body_bytes).ok()?;
                body.put(&mut file);
            }
        }
        Some(file)
    }

    /// Just the references of `path`'s cached facts, if its content still has `hash`.
    pub fn refs(&self, path: &str, hash: &ContentHash) -> Option<Vec<RefFact>> {
        let (refs, _) = self.rest_parts(self.entry(path, hash)?)?;
        postcard::from_bytes(refs).ok()
    }

    /// Whether the references of `path`'s cached facts (its content having `hash`) may write
    /// a segment of one of the hashes `names` (see `resolved::name_hash`): by the entry's
    /// filter, without decoding them; `true` when there is no such entry.
    pub fn may_mention(&self, path: &str, hash: &ContentHash, names: &[u64]) -> bool {
        let Some(filter) = self
            .entry(path, hash)
            .and_then(|e| self.heads.get(e.filter.clone()))
        else {
            return true;
        };
        names
            .iter()
            .any(|h| super::resolved::filter_may_hold(filter, *h))
    }

    fn entry(&self, path: &str, hash: &ContentHash) -> Option<&Entry> {
        self.entries.get(path).filter(|e| e.hash == *hash)
    }

    /// An entry's encoded references and body.
    fn rest_parts(&self, entry: &Entry) -> Option<(&[u8], &[u8])> {
        let bytes = self.rest()?.get(entry.rest.clone())?;
        let mut pos = 0;
        let refs_len = take_u32(bytes, &mut pos)? as usize;
        let refs = take(bytes, &mut pos, refs_len)?;
        Some((refs, bytes.get(pos..)?))
    }

    /// The encoded entry of `path`, as loaded.
    fn raw(&self, path: &str) -> Option<Raw<'_>> {
        let entry = self.entries.get(path)?;
        Some(Raw {
            interface: entry.interface,
            filter: self.heads.get(entry.filter.clone())?,
            head: self.heads.get(entry.head.clone())?,
            rest: self.rest()?.get(entry.rest.clone())?,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One entry's parts, encoded.
struct Raw<'a> {
    interface: [u8; 16],
    filter: &'a [u8],
    head: &'a [u8],
    rest: &'a [u8],
}

/// Encodes one file's facts for the cache: its interface digest, the filter of
/// its references' segments; the head (everything but the
/// references and the [`Body`]); and the rest: the length of the references, the references,
/// then the body. `file` is the same afterwards, its interface digest set.
pub fn encode(file: &mut CachedFile) -> Option<Encoded> {
    let interface = super::resolved::interface_digest(&file.facts);
    file.interface = Some(interface);
    let filter = super::resolved::ref_filter(&file.facts.refs);
    let body = Body::take(file);
    let refs = std::mem::take(&mut file.facts.refs);
    let head = postcard::to_allocvec(&*file).ok();
    let refs_bytes = postcard::to_allocvec(&refs).ok();
    let tail = postcard::to_allocvec(&body).ok();
    file.facts.refs = refs;
    body.put(file);
    let (head, refs, tail) = (head?, refs_bytes?, tail?);
    let mut rest = Vec::with_capacity(4 + refs.len() + tail.len());
    rest.extend_from_slice(&u32::try_from(refs.len()).ok()?.to_le_bytes());
    rest.extend_from_slice(&refs);
    rest.extend_from_slice(&tail);
    Some(Encoded {
        interface,
        filter,
        head,
        rest,
    })
}

/// The loaded cache kept for the references of the files whose facts were read without them
/// (see [`Cache::get`]): a rule that shows the path of an edge of such a file
/// (`FactGraph::edge_path`) reads it from here, or, when the cache cannot give it (its rest
/// file gone or from another write), from the file itself, parsed again if its content is
/// still the one the facts were read for.
#[derive(Debug)]
pub struct LeanRefs {
    cache: Cache,
    root: PathBuf,
    /// The content hash each file's facts were read under (by file id).
    hashes: Vec<Option<ContentHash>>,
}

impl LeanRefs {
    /// References of files under `root` read from `cache` under `hashes` (by file id).
    pub fn new(cache: Cache, root: PathBuf, hashes: Vec<Option<ContentHash>>) -> Self {
        LeanRefs {
            cache,
            root,
            hashes,
        }
    }
}

impl graph::LeanRefs for LeanRefs {
    /// The path of reference `reference` of file `id` (at `path`), as written.
    fn path(&self, id: FileId, path: &str, reference: u32) -> Option<String> {
        let hash = self.hashes.get(id as usize).copied().flatten()?;
        let refs = refs_of(&self.cache, &self.root, path, &hash)?;
        refs.get(reference as usize).map(|r| r.path.join("::"))
    }

    fn may_mention(&self, id: FileId, path: &str, names: &[u64]) -> bool {
        match self.hashes.get(id as usize) {
            Some(Some(hash)) => self.cache.may_mention(path, hash, names),
            _ => true,
        }
    }
}

/// The references of the file at `path` (under `root`) whose facts were read for content
/// `hash`: from `cache`, else from the file itself, parsed again if its content is still that
/// one (`None` otherwise).
pub fn refs_of(cache: &Cache, root: &Path, path: &str, hash: &ContentHash) -> Option<Vec<RefFact>> {
    match cache.refs(path, hash) {
        Some(refs) => Some(refs),
        None => refs_parsed(root, path, hash),
    }
}

/// The references of the file at `path` (under `root`), parsed again, if its content still has
/// `hash`.
pub fn refs_parsed(root: &Path, path: &str, hash: &ContentHash) -> Option<Vec<RefFact>> {
    let source = read_source(&root.join(path)).ok()?;
    if content_hash(&source) != *hash {
        return None;
    }
    let mut parser = rust::parser();
    Some(rust::extract(&mut parser, &source)?.1.refs)
}

/// Writes the cache atomically: the rest file, then the heads file (each a temporary file,
/// then a rename), with the directory's `.gitignore`. The heads file holds the rest file's
/// checksum: a rest file from another write is never paired with these heads.
pub fn save(
    dir: &Path,
    key: &[u8; 32],
    loaded: &Cache,
    mut entries: Vec<NewEntry>,
    mut fresh: impl FnMut(usize) -> Option<Encoded>,
) -> io::Result<()> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // The rest file is streamed, each fresh entry encoded when its turn comes and freed once
    // written (a cold run's entries are 32 MB: they are never held whole); only the heads (a
    // quarter of it) are gathered, to follow the rest file's checksum.
    let mut heads = Vec::new();
    let mut count = 0u64;
    let rest_sum = write_stream(dir, REST_FILE_NAME, key, |out| {
        let mut at = 0u64;
        for (path, hash, parsed) in entries {
            let encoded = parsed.and_then(&mut fresh);
            let raw = match (&encoded, parsed) {
                (Some(e), _) => Raw {
                    interface: e.interface,
                    filter: &e.filter,
                    head: &e.head,
                    rest: &e.rest,
                },
                (None, Some(_)) => continue,
                (None, None) => match loaded.raw(&path) {
                    Some(raw) => raw,
                    None => continue,
                },
            };
            let Raw {
                interface,
                filter,
                head,
                rest: more,
            } = raw;
            heads.extend_from_slice(&(path.len() as u32).to_le_bytes());
            heads.extend_from_slice(path.as_bytes());
            heads.extend_from_slice(&hash);
            heads.extend_from_slice(&interface);
            heads.extend_from_slice(&(filter.len() as u32).to_le_bytes());
            heads.extend_from_slice(filter);
            heads.extend_from_slice(&(head.len() as u32).to_le_bytes());
            heads.extend_from_slice(head);
            heads.extend_from_slice(&at.to_le_bytes());
            heads.extend_from_slice(&(more.len() as u32).to_le_bytes());
            out.write_all(more)?;
            at += more.len() as u64;
            count += 1;
        }
        Ok(())
    })?;
    write_stream(dir, FILE_NAME, key, |out| {
        out.write_all(&rest_sum)?;
        out.write_all(&count.to_le_bytes())?;
        out.write_all(&heads)
    })
    .map(|_| ())
}

/// Checks a cache file's frame (magic, format, key, body checksum); the body's range.
fn check_frame(data: &[u8], key: &[u8; 32]) -> Result<Range<usize>, &'static str> {
    let mut pos = 0;
    if take(data, &mut pos, 8) != Some(MAGIC.as_slice()) {
        return Err("not a ribo cache");
    }
    if take_u32(data, &mut pos) != Some(FORMAT) {
        return Err("written by another cache format");
    }
    if take(data, &mut pos, 32) != Some(key.as_slice()) {
        return Err("written by another ribo version, spec or machine");
    }
    let checksum_at = data.len().checked_sub(32).ok_or("truncated")?;
    if checksum_at < pos || blake3::hash(&data[pos..checksum_at]).as_bytes() != &data[checksum_at..]
    {
        return Err("corrupt (checksum mismatch)");
    }
    Ok(pos..checksum_at)
}

/// The body of `<dir>/<name>` when it exists and carries `key` with an intact checksum; a
/// missing, foreign or corrupt file is `None` (to be rebuilt, never trusted).
pub fn read_file(dir: &Path, name: &str, key: &[u8; 32]) -> Option<Framed> {
    let (data, body) =
        super::resident::framed(&dir.join(name), key, |data| check_frame(data, key).ok())?;
    Some(Framed { data, body })
}

/// A file's bytes as read, seen as the body its frame holds (dereferences to the body). The
/// header is not cut off: draining it moved the whole body (9 MB for the heads and for the
/// snapshot, on every focused run).
#[derive(Debug, Default, Clone)]
pub struct Framed {
    /// Shared with the kept copy when cache files are kept in memory (see `resident`).
    data: Arc<Vec<u8>>,
    body: Range<usize>,
}

impl Framed {
    /// Whether something else holds these bytes too (the resident copy of a server).
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.data) > 1
    }
}

impl std::ops::Deref for Framed {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.data.get(self.body.clone()).unwrap_or_default()
    }
}

/// [`read_file`], the bytes never kept in memory for the next run (see `resident`): for a file
/// that is decoded whole at once and is large (the results of a whole run).
pub fn read_file_once(dir: &Path, name: &str, key: &[u8; 32]) -> Option<Framed> {
    let data = std::fs::read(dir.join(name)).ok()?;
    let body = check_frame(&data, key).ok()?;
    Some(Framed {
        data: Arc::new(data),
        body,
    })
}

/// Writes `<dir>/<name>` (magic, format, key, body, checksum) atomically: a temporary file,
/// then a rename; the checksum written. The directory gets a `.gitignore` of `*`.
pub fn write_file(dir: &Path, name: &str, key: &[u8; 32], body: &[u8]) -> io::Result<[u8; 32]> {
    write_stream(dir, name, key, |out| out.write_all(body))
}

/// [`write_file`] with a body written by `body` as it goes (hashed on the way).
pub fn write_stream(
    dir: &Path,
    name: &str,
    key: &[u8; 32],
    body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<[u8; 32]> {
    std::fs::create_dir_all(dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# Written by ribo: its cache never belongs in version control.\n*\n",
        )?;
    }
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!("{name}.{nonce}.tmp"));
    let written = (|| {
        let mut f = io::BufWriter::new(std::fs::File::create(&tmp)?);
        f.write_all(MAGIC)?;
        f.write_all(&FORMAT.to_le_bytes())?;
        f.write_all(key)?;
        let mut hashing = Hashing {
            inner: &mut f,
            hasher: blake3::Hasher::new(),
        };
        body(&mut hashing)?;
        let checksum = *hashing.hasher.finalize().as_bytes();
        f.write_all(&checksum)?;
        f.flush()?;
        Ok(checksum)
    })();
    match written {
        Ok(checksum) => {
            std::fs::rename(&tmp, dir.join(name))?;
            Ok(checksum)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// A writer that hashes what goes through it.
struct Hashing<'w> {
    inner: &'w mut dyn Write,
    hasher: blake3::Hasher,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CachedFile {
        let mut p = crate::facts::rust::parser();
        let (_, facts) =
            crate::facts::rust::extract(&mut p, b"use crate::a::b;\nfn f() { b::c().unwrap(); }\n")
                .expect("parses");
        CachedFile {
            facts,
            hits: Vec::new(),
            not_utf8: false,
            queries_incomplete: false,
            interface: None,
        }
    }

    #[test]
    fn round_trip_and_rejections() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = [7u8; 32];
        let mut file = sample();
        let bytes = encode(&mut file).expect("encodes");
        let hash = content_hash(b"content");
        let mut once = Some(bytes);
        save(
            dir.path(),
            &key,
            &Cache::default(),
            vec![("src/lib.rs".into(), hash, Some(0))],
            |_| once.take(),
        )
        .expect("saves");
        assert!(dir.path().join(".gitignore").exists());

        let cache = Cache::open(dir.path(), &key);
        let got = cache.get("src/lib.rs", &hash, true, true).expect("a hit");
        assert_eq!(got.facts, file.facts);
        assert!(!got.facts.calls.is_empty());
        // Without the body: the same facts but calls, macros, unsafe sites, attributes,
        // directives and query hits.
        let head = cache.get("src/lib.rs", &hash, true, false).expect("a hit");
        let mut expected = file.clone();
        Body::take(&mut expected);
        assert_eq!(head.facts, expected.facts);
        assert!(head.facts.calls.is_empty() && !head.facts.refs.is_empty());
        // Without the references too; they can be read alone.
        let lean = cache.get("src/lib.rs", &hash, false, false).expect("a hit");
        expected.facts.refs.clear();
        assert_eq!(lean.facts, expected.facts);
        assert_eq!(
            cache.refs("src/lib.rs", &hash),
            Some(file.facts.refs.clone())
        );
        assert!(cache
            .get("src/lib.rs", &content_hash(b"changed"), true, true)
            .is_none());
        assert!(cache
            .refs("src/lib.rs", &content_hash(b"changed"))
            .is_none());

        // The rest file (references, bodies) is read only when asked for, and trusted only
        // if it is the one written with the heads: otherwise heads still hit, the rest misses.
        let rest_path = dir.path().join(REST_FILE_NAME);
        let rest = std::fs::read(&rest_path).expect("written");
        let mut bad = rest.clone();
        let at = bad.len() / 2;
        bad[at] ^= 0xff;
        std::fs::write(&rest_path, &bad).expect("writes");
        let torn = Cache::open(dir.path(), &key);
        assert!(torn.get("src/lib.rs", &hash, false, false).is_some());
        assert!(torn.get("src/lib.rs", &hash, true, false).is_none());
        assert!(torn.get("src/lib.rs", &hash, false, true).is_none());
        assert!(torn.refs("src/lib.rs", &hash).is_none());
        let mut other_file = sample();
        other_file.facts.refs.pop();
        let other_dir = tempfile::tempdir().expect("tempdir");
        let mut other_bytes = encode(&mut other_file);
        save(
            other_dir.path(),
            &key,
            &Cache::default(),
            vec![("src/lib.rs".into(), hash, Some(0))],
            |_| other_bytes.take(),
        )
        .expect("saves");
        std::fs::copy(other_dir.path().join(REST_FILE_NAME), &rest_path).expect("copies");
        let mixed = Cache::open(dir.path(), &key);
        assert!(mixed.get("src/lib.rs", &hash, false, false).is_some());
        assert!(
            mixed.refs("src/lib.rs", &hash).is_none(),
            "another write's rest file"
        );
        std::fs::write(&rest_path, &rest).expect("writes");
        assert_eq!(
            Cache::open(dir.path(), &key).refs("src/lib.rs", &hash),
            Some(file.facts.refs.clone())
        );

        let other = Cache::open(dir.path(), &[8u8; 32]);
        assert!(other.is_empty());
        assert!(other.rejected.is_some());

        // Flip one byte of the body: the checksum catches it.
        let path = dir.path().join(FILE_NAME);
        let mut raw = std::fs::read(&path).expect("reads");
        let mid = raw.len() / 2;
        raw[mid] ^= 0xff;
        std::fs::write(&path, &raw).expect("writes");
        let corrupt = Cache::open(dir.path(), &key);
        assert!(corrupt.is_empty());
        assert_eq!(
            corrupt.rejected.as_deref(),
            Some("corrupt (checksum mismatch)")
        );

        // Truncation and garbage never panic.
        for n in [0, 5, 20, 44, raw.len() - 1] {
            std::fs::write(&path, &raw[..n]).expect("writes");
            assert!(Cache::open(dir.path(), &key).is_empty());
        }
    }
}
