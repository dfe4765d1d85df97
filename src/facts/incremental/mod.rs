//! What makes a run after the first cheap: the facts cache ([`cache`]) and the parse through it
//! ([`parse`]), the file stamps ([`stamps`]) and the remembered walk ([`listing`]), the
//! resolution snapshot ([`resolved`]) mapped across module-tree edits ([`reframe`]), and names
//! mode ([`names`]), which takes from it the resolution of the files it still holds for.
//!
//! This part of facts uses `resolve`, `rust` (the parse of one file) and `model` (the ground);
//! none of them uses it.

pub mod cache;
pub mod listing;
pub mod names;
pub mod packages;
pub mod parse;
pub mod reframe;
pub mod resident;
pub mod resolved;
pub mod stamps;
pub mod warm;
pub mod watcher;
