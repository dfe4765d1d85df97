//! A file's items, decoded from the cache only when something reads them.
//!
//! A focused check (`ribo check FILE`) decodes every file's cached head, and items were most
//! of it: ~11% of a one-file check's samples and a quarter of its page faults went to
//! allocating ~100k items (a name, attribute paths and a header each) that no rule of that
//! run reads. Resolution reads only the names of module-level items, which are kept apart
//! (two allocations per file) and decoded with the head; the items themselves stay encoded
//! until first read ([`Items`] dereferences to the slice, decoding it once, from any thread).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{self, SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};

use super::{ItemFact, ItemKindFact, ScopeId, Segs, Visibility};

/// How many files' cached items could not be decoded this run (see [`undecodable`]).
static UNDECODABLE: AtomicUsize = AtomicUsize::new(0);

/// How many files' cached items could not be decoded in this process. The cache is checksummed
/// with a key of this ribo version and format, so this is a bug, never bad input: a check
/// reports it as a warning (its items were read as none) rather than pass it silently.
pub fn undecodable() -> usize {
    UNDECODABLE.load(Ordering::Relaxed)
}

/// Whether an item declares a name in its scope (a module's, or a block's for items in
/// blocks): not impls, not associated items.
pub fn names_in_scope(it: &ItemFact) -> bool {
    !(it.assoc || it.kind == ItemKindFact::Impl || it.name.is_empty())
}

/// The namespaces of names, as bits: types and modules, values, macros (the Rust reference's
/// three namespaces).
pub mod ns {
    /// Types, modules, traits, crates.
    pub const TYPE: u8 = 1;
    /// Functions, constants, statics, tuple and unit struct constructors.
    pub const VALUE: u8 = 2;
    /// Macros.
    pub const MACRO: u8 = 4;
    /// Every namespace (what an import of an unknown external item may bind).
    pub const ALL: u8 = TYPE | VALUE | MACRO;
    /// Not a namespace: every item of this name in this scope is private (`pub(self)` or no
    /// `pub`), visible only in its module and the modules inside it.
    pub const PRIVATE: u8 = 8;
}

/// The namespaces an item of this kind declares its name in.
pub fn namespaces(kind: ItemKindFact) -> u8 {
    match kind {
        ItemKindFact::Fn | ItemKindFact::Const | ItemKindFact::Static => ns::VALUE,
        // Tuple and unit structs are also values (their constructors).
        ItemKindFact::Struct => ns::TYPE | ns::VALUE,
        ItemKindFact::Enum
        | ItemKindFact::Union
        | ItemKindFact::Trait
        | ItemKindFact::Type
        | ItemKindFact::Mod => ns::TYPE,
        ItemKindFact::Macro => ns::MACRO,
        ItemKindFact::Impl => 0,
    }
}

/// The items of one file (in source order), with the names they declare.
#[derive(Default)]
pub struct Items {
    /// The scopes of [`Items::names`], one per name.
    scopes: Box<[ScopeId]>,
    /// The names declared ([`names_in_scope`]), sorted by `(scope, name)`, deduplicated.
    names: Segs,
    /// Per name: its namespaces and [`ns::PRIVATE`].
    marks: Box<[u8]>,
    /// Where each name ends in `names` (byte offset), for lookups by binary search.
    ends: Box<[u32]>,
    list: OnceLock<Vec<ItemFact>>,
    /// The items as the cache holds them, until (and after) they are decoded.
    encoded: Option<Box<[u8]>>,
}

impl Items {
    /// The items of a file just extracted, in source order.
    pub fn new(list: Vec<ItemFact>) -> Self {
        let mut names: Vec<(ScopeId, &str, u8)> = list
            .iter()
            .filter(|it| names_in_scope(it))
            .map(|it| {
                let private = match it.visibility {
                    Visibility::Private => ns::PRIVATE,
                    _ => 0,
                };
                (it.scope, it.name.as_str(), namespaces(it.kind) | private)
            })
            .collect();
        names.sort_unstable();
        // One entry per name: its namespaces joined, private only if every item is.
        let mut merged: Vec<(ScopeId, &str, u8)> = Vec::with_capacity(names.len());
        for (scope, name, marks) in names {
            match merged.last_mut() {
                Some(last) if last.0 == scope && last.1 == name => {
                    let private = last.2 & marks & ns::PRIVATE;
                    last.2 = (last.2 | marks) & ns::ALL | private;
                }
                _ => merged.push((scope, name, marks)),
            }
        }
        let scopes = merged.iter().map(|(s, _, _)| *s).collect();
        let marks = merged.iter().map(|(_, _, m)| *m).collect();
        let names = Segs::new(merged.iter().map(|(_, n, _)| n));
        let ends = ends_of(&names);
        Items {
            scopes,
            names,
            marks,
            ends,
            list: OnceLock::from(list),
            encoded: None,
        }
    }

    /// The name at index `i` (of [`Items::names`]).
    fn name_at(&self, i: usize) -> &str {
        let all = self.names.as_str();
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).map_or(0, |e| *e as usize + 1),
        };
        let end = self.ends.get(i).map_or(all.len(), |e| *e as usize);
        all.get(start..end).unwrap_or("")
    }

    /// The names `scope` declares, with their marks (never decodes the items).
    pub fn in_scope(&self, scope: ScopeId) -> impl Iterator<Item = (&str, u8)> {
        let from = self.scopes.partition_point(|s| *s < scope);
        let to = self.scopes.partition_point(|s| *s <= scope);
        (from..to).map(|i| (self.name_at(i), self.marks.get(i).copied().unwrap_or(0)))
    }

    /// The marks of `name` if `scope` declares it, found by binary search (never decodes the
    /// items).
    pub fn lookup(&self, scope: ScopeId, name: &str) -> Option<u8> {
        let mut lo = 0;
        let mut hi = self.scopes.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            match (self.scopes[mid], self.name_at(mid)).cmp(&(scope, name)) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.marks.get(mid).copied(),
            }
        }
        None
    }

    /// The names declared, as `(scope, name, marks)` ([`ns`] bits), sorted by scope and name,
    /// one per name (never decodes the items).
    pub fn names(&self) -> impl Iterator<Item = (ScopeId, &str, u8)> {
        self.scopes
            .iter()
            .copied()
            .zip(self.names.iter())
            .zip(self.marks.iter().copied())
            .map(|((s, n), m)| (s, n, m))
    }

    /// Whether the items are in memory (read, or just extracted), not only encoded.
    pub fn is_decoded(&self) -> bool {
        self.list.get().is_some()
    }

    /// The items, decoded on first read.
    pub fn list(&self) -> &[ItemFact] {
        self.list.get_or_init(|| {
            let Some(bytes) = &self.encoded else {
                return Vec::new();
            };
            postcard::from_bytes(bytes).unwrap_or_else(|_| {
                UNDECODABLE.fetch_add(1, Ordering::Relaxed);
                Vec::new()
            })
        })
    }

    /// Gives back unused capacity.
    pub fn shrink(&mut self) {
        if let Some(list) = self.list.get_mut() {
            list.shrink_to_fit();
        }
    }
}

impl std::ops::Deref for Items {
    type Target = [ItemFact];

    fn deref(&self) -> &[ItemFact] {
        self.list()
    }
}

impl<'a> IntoIterator for &'a Items {
    type Item = &'a ItemFact;
    type IntoIter = std::slice::Iter<'a, ItemFact>;

    fn into_iter(self) -> Self::IntoIter {
        self.list().iter()
    }
}

impl From<Vec<ItemFact>> for Items {
    fn from(list: Vec<ItemFact>) -> Self {
        Items::new(list)
    }
}

impl Clone for Items {
    fn clone(&self) -> Self {
        Items {
            scopes: self.scopes.clone(),
            names: self.names.clone(),
            marks: self.marks.clone(),
            ends: self.ends.clone(),
            list: self.list.clone(),
            encoded: self.encoded.clone(),
        }
    }
}

impl PartialEq for Items {
    fn eq(&self, other: &Self) -> bool {
        self.scopes == other.scopes
            && self.names == other.names
            && self.marks == other.marks
            && self.list() == other.list()
    }
}

impl Eq for Items {}

impl std::fmt::Debug for Items {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list()).finish()
    }
}

/// Human-readable formats (JSON) see a list of items; binary ones (the cache) the names, then
/// the items encoded apart, so that decoding a head skips them in one step.
impl Serialize for Items {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return self.list().serialize(serializer);
        }
        let fresh;
        let encoded: &[u8] = match (&self.encoded, self.list.get()) {
            (Some(bytes), _) => bytes,
            (None, list) => {
                fresh = postcard::to_allocvec(list.map_or(&[][..], Vec::as_slice))
                    .map_err(ser::Error::custom)?;
                &fresh
            }
        };
        let mut t = serializer.serialize_tuple(4)?;
        t.serialize_element(&self.scopes)?;
        t.serialize_element(&self.names)?;
        t.serialize_element(&Bytes(&self.marks))?;
        t.serialize_element(&Bytes(encoded))?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            return Vec::<ItemFact>::deserialize(deserializer).map(Items::new);
        }
        deserializer.deserialize_tuple(4, StoredVisitor)
    }
}

struct StoredVisitor;

impl<'de> Visitor<'de> for StoredVisitor {
    type Value = Items;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a file's item names and encoded items")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
        let missing = || de::Error::custom("truncated items");
        let scopes: Box<[ScopeId]> = seq.next_element()?.ok_or_else(missing)?;
        let names: Segs = seq.next_element()?.ok_or_else(missing)?;
        let OwnedBytes(marks) = seq.next_element()?.ok_or_else(missing)?;
        let OwnedBytes(encoded) = seq.next_element()?.ok_or_else(missing)?;
        let ends = ends_of(&names);
        if scopes.len() != ends.len() || marks.len() != ends.len() {
            return Err(de::Error::custom("item names and scopes differ in number"));
        }
        Ok(Items {
            scopes,
            names,
            marks,
            ends,
            list: OnceLock::new(),
            encoded: Some(encoded),
        })
    }
}

/// Where each segment of `names` ends (byte offsets).
fn ends_of(names: &Segs) -> Box<[u32]> {
    let all = names.as_str();
    // The separator is one byte in UTF-8, never part of another character's encoding.
    let mut ends: Vec<u32> = memchr::memchr_iter(super::SEGS_SEPARATOR as u8, all.as_bytes())
        .map(|i| i as u32)
        .collect();
    if !all.is_empty() {
        ends.push(all.len() as u32);
    }
    ends.into_boxed_slice()
}

/// Bytes serialized as one byte string (not a sequence of numbers).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// Bytes deserialized from one byte string.
struct OwnedBytes(Box<[u8]>);

impl<'de> Deserialize<'de> for OwnedBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl Visitor<'_> for BytesVisitor {
            type Value = OwnedBytes;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a byte string")
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<OwnedBytes, E> {
                Ok(OwnedBytes(v.into()))
            }

            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<OwnedBytes, E> {
                Ok(OwnedBytes(v.into_boxed_slice()))
            }
        }
        deserializer.deserialize_bytes(BytesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::model::{Span, Visibility};

    fn item(scope: ScopeId, name: &str, kind: ItemKindFact, assoc: bool) -> ItemFact {
        ItemFact {
            scope,
            kind,
            name: name.to_string(),
            visibility: Visibility::Public,
            is_async: false,
            is_unsafe: false,
            has_doc: false,
            attrs: Segs::new(["derive"]),
            in_block: false,
            assoc,
            test: false,
            span: Span::default(),
            item_span: Span::default(),
            header: None,
        }
    }

    fn sample() -> Items {
        Items::new(vec![
            item(1, "b", ItemKindFact::Fn, false),
            item(0, "z", ItemKindFact::Struct, false),
            item(0, "", ItemKindFact::Impl, false),
            item(0, "m", ItemKindFact::Fn, true),
            item(0, "a", ItemKindFact::Fn, false),
            item(0, "a", ItemKindFact::Macro, false),
        ])
    }

    #[test]
    fn names_are_the_declared_ones_sorted_and_deduplicated() {
        let items = sample();
        let names: Vec<_> = items.names().collect();
        // `a` is a fn and a macro: both namespaces.
        assert_eq!(
            names,
            [
                (0, "a", ns::VALUE | ns::MACRO),
                (0, "z", ns::TYPE | ns::VALUE),
                (1, "b", ns::VALUE)
            ]
        );
        assert!(Items::default().names().next().is_none());
        // Looked up by binary search, each name in its scope only.
        for (scope, name, marks) in &names {
            assert_eq!(items.lookup(*scope, name), Some(*marks));
        }
        assert_eq!(items.lookup(0, "b"), None);
        assert_eq!(items.lookup(1, "a"), None);
        assert_eq!(items.lookup(0, ""), None);
        assert_eq!(Items::default().lookup(0, "a"), None);
        let back: Items = postcard::from_bytes(&postcard::to_allocvec(&items).expect("encodes"))
            .expect("decodes");
        assert_eq!(back.lookup(0, "z"), Some(ns::TYPE | ns::VALUE));
    }

    #[test]
    fn the_cache_encoding_decodes_to_the_same_items_only_when_read() {
        let items = sample();
        let bytes = postcard::to_allocvec(&items).expect("encodes");
        let back: Items = postcard::from_bytes(&bytes).expect("decodes");
        assert!(back.list.get().is_none(), "decoded before being read");
        assert_eq!(
            back.names().collect::<Vec<_>>(),
            items.names().collect::<Vec<_>>()
        );
        assert!(back.list.get().is_none(), "names decoded the items");
        assert_eq!(&*back, &*items);
        // Encoding what was read from the cache writes the same bytes, read or not.
        let unread: Items = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(postcard::to_allocvec(&unread).expect("encodes"), bytes);
        assert_eq!(postcard::to_allocvec(&back).expect("encodes"), bytes);
    }

    #[test]
    fn json_sees_a_list_of_items() {
        let items = sample();
        let json = serde_json::to_value(&items).expect("serializes");
        assert_eq!(json.as_array().map(Vec::len), Some(6));
        let back: Items = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, items);
    }

    #[test]
    fn undecodable_items_read_as_none_and_are_counted() {
        let mut bytes = postcard::to_allocvec(&sample()).expect("encodes");
        // The last byte is inside the encoded items (the item list ends the entry).
        let last = bytes.len() - 1;
        bytes.truncate(last);
        let before = undecodable();
        // The byte string's length prefix now runs past the end: the head itself fails.
        assert!(postcard::from_bytes::<Items>(&bytes).is_err());
        let broken = Items {
            encoded: Some(vec![0xff, 0xff, 0xff].into_boxed_slice()),
            ..Items::default()
        };
        assert!(broken.is_empty());
        assert!(undecodable() > before);
    }
}
