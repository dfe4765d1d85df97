//! `ribo contract snapshot MODULE`: a module's exports, ready to paste into ribo.yaml.

use std::io::{self, Write};

use super::{build_options, load_spec};
use crate::cli::SpecArgs;
use crate::report::Style;
use crate::{rules, spec, EXIT_ERROR, EXIT_OK};

pub fn contract_snapshot(
    module: &str,
    args: &SpecArgs,
    style: Style,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<i32> {
    let loaded = match load_spec(args, style, err)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let options = build_options(&loaded.spec, args);
    let graph = super::progress::build(&loaded.spec.root, options, true);
    let target = if module.ends_with(".rs") {
        spec::model::ExportTarget::File(module.to_string())
    } else if module.contains("::") || module == "crate" {
        spec::model::ExportTarget::Module(module.to_string())
    } else {
        spec::model::ExportTarget::Crate(module.to_string())
    };
    match rules::contracts::snapshot(&graph, &target) {
        Some(exports) => {
            writeln!(out, "exports:")?;
            for e in exports {
                writeln!(
                    out,
                    "  - \"{}\"",
                    e.replace('\\', "\\\\").replace('"', "\\\"")
                )?;
            }
            Ok(EXIT_OK)
        }
        None => {
            writeln!(
                err,
                "error: no module `{module}` in the code under `{}`",
                loaded.root_display
            )?;
            Ok(EXIT_ERROR)
        }
    }
}
