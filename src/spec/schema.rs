//! The JSON Schema of ribo.yaml (`ribo schema`), for editor completion and validation. The
//! committed copy is `specs/ribo.schema.json`; a test checks it lists exactly the keys the
//! decoder accepts.

/// The schema text, as committed under `specs/`.
pub const SCHEMA: &str = include_str!("../../specs/ribo.schema.json");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::raw::decode::SECTIONS;

    fn keys(v: &serde_json::Value) -> Vec<String> {
        let mut k: Vec<String> = v["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    }

    #[test]
    fn schema_lists_exactly_the_decoders_keys() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
        for (section, expected) in SECTIONS {
            let node = if *section == "top" {
                &schema
            } else {
                &schema["$defs"][*section]
            };
            let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            expected.sort();
            assert_eq!(keys(node), expected, "section `{section}` of the schema");
        }
    }
}
