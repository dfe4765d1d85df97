//! Loading `ribo.yaml`: YAML with spans (`raw`), then validation (`validate`) into the
//! types rules trust (`model`). Every problem is collected and reported at once.

pub mod codes;
pub mod discover;
pub mod lines;
pub mod model;
pub mod raw;
pub mod schema;
mod suggest;
pub mod validate;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use model::Spec;

/// One problem found in a spec, located in the spec source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// A `spec::*` diagnostic code, e.g. `spec::unknown-key`.
    pub code: &'static str,
    /// One line, lower-case start, no trailing period.
    pub message: String,
    /// Byte range in the spec source to underline.
    pub span: Range<usize>,
    /// Text shown under the underline.
    pub label: String,
    pub help: Option<String>,
}

/// Every problem found in a spec, with the source needed to render them.
#[derive(Debug, Clone)]
pub struct SpecErrors {
    pub path: PathBuf,
    pub source: String,
    pub errors: Vec<SpecError>,
}

/// Why a spec could not be loaded at all.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The spec was read but is invalid.
    Invalid(SpecErrors),
}

/// Reads, parses and validates the spec at `path`.
pub fn load(path: &Path) -> Result<Spec, LoadError> {
    let bytes = std::fs::read(path).map_err(|error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    load_bytes(path, &bytes)
}

/// Parses and validates spec bytes read from `path` (used for relative paths and messages).
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<Spec, LoadError> {
    let (source, errors) = raw::decode_text(bytes);
    if !errors.is_empty() {
        return Err(LoadError::Invalid(SpecErrors {
            path: path.to_path_buf(),
            source,
            errors,
        }));
    }
    let raw = match raw::parse(&source) {
        Ok(raw) => raw,
        Err(errors) => {
            return Err(LoadError::Invalid(SpecErrors {
                path: path.to_path_buf(),
                source,
                errors,
            }))
        }
    };
    validate::validate(path, source, raw).map_err(LoadError::Invalid)
}
