//! `ribo facts`: the fact graph as JSON.

use std::io::{self, Write};

use super::{build_options, load_spec};
use crate::cli::SpecArgs;
use crate::report::{self, Style};
use crate::EXIT_OK;

pub fn facts(
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
    report::facts_json::write(out, &graph)?;
    Ok(EXIT_OK)
}
