//! Validation: raw spec -> model. (stub)
use super::model::Spec;
use super::raw::RawSpec;
use super::SpecErrors;
use std::path::Path;

pub fn validate(path: &Path, source: String, _raw: RawSpec) -> Result<Spec, SpecErrors> {
    Err(SpecErrors {
        path: path.to_path_buf(),
        source,
        errors: Vec::new(),
    })
}
