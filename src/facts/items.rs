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

use super::model::{ItemFact, ItemKindFact, ScopeId, Segs};

/// How many files' cached items could not be decoded this run (see [`undecodable`]).
static UNDECODABLE: AtomicUsize = AtomicUsize::new(0);

/// How many files' cached items could not be decoded in this process. The cache is checksummed
/// with a key of this ribo version and format, so this is a bug, never bad input: a check
/// reports it as a warning (its items were read as none) rather than pass it silently.
pub fn undecodable() -> usize {
    UNDECODABLE.load(Ordering::Relaxed)
}

/// Whether an item names something at module level (what other files' paths can reach).
pub fn names_in_module(it: &ItemFact) -> bool {
    !(it.in_block || it.assoc || it.kind == ItemKindFact::Impl || it.name.is_empty())
}

/// The items of one file (in source order), with the names of its module-level ones.
#[derive(Default)]
pub struct Items {
    /// The scopes of [`Items::names`], one per name.
    scopes: Box<[ScopeId]>,
    /// The module-level names ([`names_in_module`]), sorted by `(scope, name)`, deduplicated.
    names: Segs,
    list: OnceLock<Vec<ItemFact>>,
    /// The items as the cache holds them, until (and after) they are decoded.
    encoded: Option<Box<[u8]>>,
}

impl Items {
    /// The items of a file just extracted, in source order.
    pub fn new(list: Vec<ItemFact>) -> Self {
        let mut names: Vec<(ScopeId, &str)> = list
            .iter()
            .filter(|it| names_in_module(it))
            .map(|it| (it.scope, it.name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        let scopes = names.iter().map(|(s, _)| *s).collect();
        let names = Segs::new(names.iter().map(|(_, n)| n));
        Items {
            scopes,
            names,
            list: OnceLock::from(list),
            encoded: None,
        }
    }

    /// The module-level names as `(scope, name)`, sorted and deduplicated (never decodes the
    /// items).
    pub fn names(&self) -> impl Iterator<Item = (ScopeId, &str)> {
        self.scopes.iter().copied().zip(self.names.iter())
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
            list: self.list.clone(),
            encoded: self.encoded.clone(),
        }
    }
}

impl PartialEq for Items {
    fn eq(&self, other: &Self) -> bool {
        self.scopes == other.scopes && self.names == other.names && self.list() == other.list()
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
        let mut t = serializer.serialize_tuple(3)?;
        t.serialize_element(&self.scopes)?;
        t.serialize_element(&self.names)?;
        t.serialize_element(&Bytes(encoded))?;
        t.end()
    }
}

impl<'de> Deserialize<'de> for Items {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            return Vec::<ItemFact>::deserialize(deserializer).map(Items::new);
        }
        deserializer.deserialize_tuple(3, StoredVisitor)
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
        let OwnedBytes(encoded) = seq.next_element()?.ok_or_else(missing)?;
        if scopes.len() != names.len() {
            return Err(de::Error::custom("item names and scopes differ in number"));
        }
        Ok(Items {
            scopes,
            names,
            list: OnceLock::new(),
            encoded: Some(encoded),
        })
    }
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
    fn names_are_the_module_level_ones_sorted_and_deduplicated() {
        let items = sample();
        let names: Vec<_> = items.names().collect();
        assert_eq!(names, [(0, "a"), (0, "z"), (1, "b")]);
        assert!(Items::default().names().next().is_none());
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
