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
pub use validate::PendingQueries;

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

impl SpecErrors {
    /// `errors` found in `spec` (rendered against its source).
    pub fn of(spec: &Spec, errors: Vec<SpecError>) -> Self {
        SpecErrors {
            path: spec.path.clone(),
            source: spec.source.clone(),
            errors,
        }
    }
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

/// The largest spec ribo loads (1 MiB): a real spec has a few hundred lines. A larger file
/// is refused with `spec::too-large` before it is parsed (only this much of it is read).
pub const MAX_SPEC_BYTES: usize = 1 << 20;

/// Reads, parses and validates the spec at `path`.
pub fn load(path: &Path) -> Result<Spec, LoadError> {
    load_bytes(path, &read(path)?)
}

/// [`load`], with the spec's queries possibly still compiling (see
/// [`validate::validate_deferred`]): the spec is valid once they are finished.
pub fn load_deferred(path: &Path) -> Result<(Spec, Option<PendingQueries>), LoadError> {
    load_bytes_deferred(path, &read(path)?)
}

/// The bytes of the spec at `path`, up to one more than [`MAX_SPEC_BYTES`].
fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    let io_error = |error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    // One byte more than the limit tells a file over it; a larger file is not read further.
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_SPEC_BYTES as u64 + 1),
        &mut bytes,
    )
    .map_err(io_error)?;
    Ok(bytes)
}

/// Parses and validates spec bytes read from `path` (used for relative paths and messages).
pub fn load_bytes(path: &Path, bytes: &[u8]) -> Result<Spec, LoadError> {
    let (mut spec, pending) = load_bytes_deferred(path, bytes)?;
    if let Some(pending) = pending {
        pending.finish(&mut spec).map_err(LoadError::Invalid)?;
    }
    Ok(spec)
}

/// [`load_bytes`], with the queries possibly still compiling (see [`load_deferred`]).
pub fn load_bytes_deferred(
    path: &Path,
    bytes: &[u8],
) -> Result<(Spec, Option<PendingQueries>), LoadError> {
    if bytes.len() > MAX_SPEC_BYTES {
        // The start of the file is enough to show where the refusal points.
        let mut head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
        if let Some(cut) = head.find('\n') {
            head.truncate(cut + 1);
        }
        return Err(LoadError::Invalid(SpecErrors {
            path: path.to_path_buf(),
            source: head,
            errors: vec![raw::file_too_large()],
        }));
    }
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
    validate::validate_deferred(path, source, raw).map_err(LoadError::Invalid)
}
