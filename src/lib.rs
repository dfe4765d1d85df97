//! ribo: reconciles a repository's declared identity (`ribo.yaml`) with its Rust code.

pub mod facts;
pub mod spec;
