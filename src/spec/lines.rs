//! Line arithmetic over the spec source: byte offsets to 1-based lines and columns and back.
//!
//! Lines end at `\n`; a `\r` before it belongs to the line break, not to the line's text, so
//! CRLF files behave like LF files.

use std::ops::Range;

/// The start offset of every line of a text.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        let breaks = text.match_indices('\n').map(|(at, _)| at + 1);
        let starts = std::iter::once(0).chain(breaks).collect();
        Lines { text, starts }
    }

    /// Number of lines (a trailing line break opens a last, empty line).
    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// The 1-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset).max(1)
    }

    /// Byte range of a 1-based line's text, without its line break.
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let next = self.starts.get(line).copied().unwrap_or(self.text.len());
        let text = &self.text[start..next];
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        Some(start..start + text.len())
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &'a str {
        self.line_range(line).map_or("", |range| &self.text[range])
    }

    /// 1-based column (in characters) of `offset` on its line.
    pub fn column_of(&self, offset: usize) -> usize {
        let line = self.line_of(offset);
        let start = self.line_range(line).map_or(0, |range| range.start);
        let end = clamp_to_char(self.text, offset.max(start));
        self.text[start..end].chars().count() + 1
    }

    /// Byte offset of a 1-based line and 1-based character column, clamped to the line's
    /// end (and to the text's end for a line past the last).
    pub fn offset_of(&self, line: usize, column: usize) -> usize {
        let Some(range) = self.line_range(line) else {
            return self.text.len();
        };
        let text = &self.text[range.clone()];
        let skip = column.saturating_sub(1);
        let within = text
            .char_indices()
            .nth(skip)
            .map_or(text.len(), |(at, _)| at);
        range.start + within
    }
}

/// `text` on one line: line breaks, tabs and other control characters are escaped, so
/// user-written text (a quoted key, a value) cannot break a one-line message.
pub fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c.is_control() {
            true => c.escape_default().collect::<Vec<_>>(),
            false => vec![c],
        })
        .collect()
}

/// A library or OS message as a diagnostic message: its first line, trimmed, without a
/// final period, starting lower-case (unless it starts with an acronym, like `YAML`).
pub fn sentence(text: &str) -> String {
    let text = text
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches('.');
    let mut chars = text.chars();
    let acronym = chars.clone().nth(1).is_some_and(char::is_uppercase);
    match chars.next() {
        Some(first) if !acronym => first.to_lowercase().chain(chars).collect(),
        _ => text.to_owned(),
    }
}

/// The largest char boundary of `text` at or before `offset` (clamped to its length).
pub fn clamp_to_char(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_round_trip() {
        let text = "ab\r\ncé\n\nx";
        let lines = Lines::new(text);
        assert_eq!(lines.count(), 4);
        assert_eq!(lines.line_text(1), "ab");
        assert_eq!(lines.line_text(2), "cé");
        assert_eq!(lines.line_text(3), "");
        assert_eq!(lines.line_of(0), 1);
        assert_eq!(lines.line_of(4), 2);
        assert_eq!(lines.column_of(7), 3);
        assert_eq!(lines.offset_of(2, 3), 7);
        assert_eq!(lines.offset_of(2, 99), 7);
        assert_eq!(lines.offset_of(9, 1), text.len());
    }

    #[test]
    fn one_line_escapes_breaks() {
        assert_eq!(one_line("a\nb\tc é"), "a\\nb\\tc é");
    }

    #[test]
    fn sentences_start_lower_case() {
        assert_eq!(
            sentence("Wrong number. Expected 2.\nmore"),
            "wrong number. Expected 2"
        );
        assert_eq!(sentence("YAML too large"), "YAML too large");
    }

    #[test]
    fn clamps_inside_a_character() {
        assert_eq!(clamp_to_char("é", 1), 0);
    }
}
