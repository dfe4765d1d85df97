//! `ribo explain CODE`: the documentation of a diagnostic code.

use std::io::{self, Write};

use crate::{rules, EXIT_ERROR, EXIT_OK};

pub fn explain(code: &str, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<i32> {
    let all = rules::all_codes();
    match all.iter().find(|c| c.code == code) {
        Some(doc) => {
            writeln!(out, "{}: {}\n\n{}", doc.code, doc.summary, doc.explanation)?;
            Ok(EXIT_OK)
        }
        None => {
            let nearest = all
                .iter()
                .map(|c| (strsim::jaro_winkler(c.code, code), c.code))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, c)| c);
            write!(err, "error: unknown code `{code}`")?;
            if let Some(n) = nearest {
                write!(err, "; did you mean `{n}`?")?;
            }
            writeln!(err)?;
            Ok(EXIT_ERROR)
        }
    }
}
