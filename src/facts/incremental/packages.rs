//! The Cargo packages as last read (`packages-v1.bin`): what the manifests say, parsed, under a
//! hash of every manifest's path and content and of the Rust files' paths (which targets
//! exist), the only inputs of [`cargo::read_packages`](crate::facts::model::cargo::read_packages).
//! Parsing TOML costs ~10-20 ms on a 40-crate workspace: a fifth of a one-file run.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::cache;
use crate::facts::model::cargo::Package;
use crate::facts::model::Warning;

/// The file in the cache directory.
pub const FILE_NAME: &str = "packages-v1.bin";

#[derive(Serialize, Deserialize)]
struct Stored {
    input: [u8; 32],
    packages: Vec<Package>,
    /// Each package's `workspace` (which its own serialisation leaves out).
    workspaces: Vec<Option<String>>,
    warnings: Vec<Warning>,
}

/// The packages (and the warnings reading them gave) remembered for `input`, if any.
pub fn load(dir: &Path, input: &[u8; 32]) -> Option<(Vec<Package>, Vec<Warning>)> {
    let body = cache::read_file(dir, FILE_NAME, &cache::cache_key(&[]))?;
    let stored: Stored = postcard::from_bytes(&body).ok()?;
    if stored.input != *input || stored.workspaces.len() != stored.packages.len() {
        return None;
    }
    let mut packages = stored.packages;
    for (p, w) in packages.iter_mut().zip(stored.workspaces) {
        p.workspace = w;
    }
    Some((packages, stored.warnings))
}

/// Remembers `packages` and `warnings` for `input`. Failing to write only costs the next run
/// the parse.
pub fn save(dir: &Path, input: &[u8; 32], packages: &[Package], warnings: &[Warning]) {
    let stored = Stored {
        input: *input,
        packages: packages.to_vec(),
        workspaces: packages.iter().map(|p| p.workspace.clone()).collect(),
        warnings: warnings.to_vec(),
    };
    if let Ok(body) = postcard::to_allocvec(&stored) {
        let _ = cache::write_file(dir, FILE_NAME, &cache::cache_key(&[]), &body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_package_is_the_package_read() {
        let mut read = Vec::new();
        let packages = crate::facts::model::cargo::read_packages(
            &["Cargo.toml".to_string(), "a/Cargo.toml".to_string()],
            &["a/src/lib.rs", "src/main.rs"].into_iter().collect(),
            |rel| {
                Ok(match rel {
                    "Cargo.toml" => "[workspace]\nmembers = [\"a\"]\n[package]\nname = \"top\"\nedition = \"2021\"\n[dependencies]\njson = { package = \"serde_json\", version = \"1\" }\n",
                    _ => "[package]\nname = \"a\"\nedition = \"2024\"\n",
                }
                .to_string())
            },
            &mut read,
        );
        assert!(packages.iter().all(|p| p.workspace.is_some()));
        let dir = tempfile::tempdir().expect("a directory");
        save(dir.path(), &[3; 32], &packages, &read);
        assert_eq!(load(dir.path(), &[3; 32]), Some((packages, read)));
    }

    #[test]
    fn packages_are_remembered_under_their_input_only() {
        let dir = tempfile::tempdir().expect("a directory");
        let warnings = vec![Warning::new("Cargo.toml", "a warning")];
        save(dir.path(), &[1; 32], &[], &warnings);
        assert_eq!(load(dir.path(), &[1; 32]), Some((Vec::new(), warnings)));
        assert_eq!(load(dir.path(), &[2; 32]), None);
    }
}
