//! Reading a source file, bounded: what every part that reads the checked code (the parse,
//! the hashes, the display of a diagnostic, a proposed change) reads it with.

use std::path::Path;

/// The largest Rust file ribo parses (10 MiB). Parsing costs about 100 bytes of memory per
/// byte of source and a few seconds per 10 MiB; a larger file is generated code, and is
/// reported as not checked instead (exclude it with `system.exclude`).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Reads a source file of at most [`MAX_FILE_BYTES`]; the error is the warning's message.
pub fn read_source(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| format!("could not be read: {}", e.kind());
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    if len > MAX_FILE_BYTES {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // A file that grows while it is read stops at the limit too.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The warning for a file over [`MAX_FILE_BYTES`].
fn too_large(len: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    format!(
        "too large to check ({:.1} MiB > {} MiB limit): not checked",
        len as f64 / MIB,
        MAX_FILE_BYTES / (1024 * 1024)
    )
}
