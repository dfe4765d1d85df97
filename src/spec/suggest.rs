//! "Did you mean …?": the nearest candidate to a misspelt key, value or name.

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
///
/// Closeness is the Damerau–Levenshtein distance on the lower-cased words with `-` and `_`
/// treated alike; a candidate qualifies within one edit per three characters (at least one),
/// or when one word starts with the other (at least three characters: `warning` -> `warn`).
pub(crate) fn nearest<'c, I>(word: &str, candidates: I) -> Option<&'c str>
where
    I: IntoIterator<Item = &'c str>,
{
    let wanted = normalise(word);
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let normalised = normalise(candidate);
            let distance = strsim::damerau_levenshtein(&wanted, &normalised);
            let close = distance <= (candidate.chars().count() / 3).max(1);
            (close || is_prefix(&wanted, &normalised)).then_some((distance, candidate))
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// Whether the shorter word (three characters or more) starts the longer one.
fn is_prefix(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.chars().count() >= 3 && long.starts_with(short)
}

/// `` `a`, `b`, `c` ``: a list of names for a help text.
pub(crate) fn backticked<'c, I>(names: I) -> String
where
    I: IntoIterator<Item = &'c str>,
{
    names
        .into_iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn normalise(word: &str) -> String {
    word.to_lowercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["paths", "may_use", "crates", "interface", "description"];
        assert_eq!(nearest("may-use", keys), Some("may_use"));
        assert_eq!(nearest("mayuse", keys), Some("may_use"));
        assert_eq!(nearest("path", keys), Some("paths"));
        assert_eq!(nearest("Crates", keys), Some("crates"));
        assert_eq!(nearest("colour", keys), None);
        assert_eq!(nearest("warning", ["allow", "warn", "error"]), Some("warn"));
        assert_eq!(nearest("in", ["interface"]), None);
    }

    #[test]
    fn lists_names_in_backticks() {
        assert_eq!(backticked(["a", "b"]), "`a`, `b`");
    }
}
