//! Source texts for miette: lines found through an index instead of a scan from the start of
//! the text, and very long lines cut to a window around the underlined span.
//!
//! miette's own `SourceCode` for strings scans from byte 0 to the span for every label, so
//! rendering N diagnostics of one file costs N times the file, and a diagnostic on a 5 MB
//! line prints all 5 MB. [`Indexed`] keeps the start of every line (built once per file),
//! finds a span's lines by binary search, and returns the same window miette would (the
//! span's lines plus the context lines), except that a window longer than
//! [`MAX_WINDOW_BYTES`] is cut to the span's own lines, [`CUT_CONTEXT_BYTES`] either side
//! of the span. Columns count characters from the line start (a byte order mark is not one),
//! as rustc and editors do; miette's own counts bytes.

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// A window longer than this is cut around the span.
pub const MAX_WINDOW_BYTES: usize = 4096;

/// How much of a cut line is kept either side of the span.
pub const CUT_CONTEXT_BYTES: usize = 80;

/// A text with the start of every line: `\n`, `\r\n` and a lone `\r` end a line, as in miette.
#[derive(Debug, Clone)]
pub struct Indexed {
    text: String,
    /// Start offset of every line; the first is 0.
    starts: Vec<usize>,
}

impl Indexed {
    /// Indexes `text` (one pass).
    pub fn new(text: String) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    starts.push(i);
                }
                b'\r' | b'\n' => {
                    i += 1;
                    starts.push(i);
                }
                _ => i += 1,
            }
        }
        Indexed { text, starts }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 0-based line holding byte `offset`; a line's break belongs to it.
    fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// Bytes of line `line`, its line break included.
    fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.starts.get(line).copied().unwrap_or(self.text.len());
        let end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        start..end
    }

    /// The end of line `line` without its line break.
    fn content_end(&self, line: usize) -> usize {
        let range = self.line_range(line);
        let line_text = &self.text.as_bytes()[range.clone()];
        let trimmed = line_text
            .iter()
            .rposition(|b| *b != b'\n' && *b != b'\r')
            .map_or(0, |i| i + 1);
        range.start + trimmed
    }

    fn floor_char(&self, mut i: usize) -> usize {
        while i > 0 && !self.text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    fn ceil_char(&self, mut i: usize) -> usize {
        while i < self.text.len() && !self.text.is_char_boundary(i) {
            i += 1;
        }
        i
    }

    /// The window shown for `span`: (bytes, first line, column of the first byte).
    fn window(&self, span: Range<usize>, before: usize, after: usize) -> (Range<usize>, usize) {
        let first = self.line_of(span.start);
        let last_line = self.starts.len() - 1;
        // miette's rule: the span's last line is that of its last byte (of the byte before an
        // empty span); when that byte is a line break, the next line.
        let k = span.end.saturating_sub(1);
        let last = match self.text.as_bytes().get(k) {
            Some(b'\r' | b'\n') => (self.line_of(k) + 1).min(last_line),
            Some(_) => self.line_of(k),
            None => last_line,
        };
        let from = first.saturating_sub(before);
        let to = last.saturating_add(after).min(last_line);
        let start = if before == 0 {
            span.start
        } else {
            self.line_range(from).start
        };
        let end = self.line_range(to).end.max(span.end);
        if end - start <= MAX_WINDOW_BYTES {
            return (start..end, from);
        }
        // Too long to show whole: the span's own lines, cut around the span (from the span
        // itself when no context is asked for: that is the span's position).
        let start = if before == 0 {
            span.start
        } else {
            self.floor_char(
                span.start
                    .saturating_sub(CUT_CONTEXT_BYTES)
                    .max(self.line_range(first).start),
            )
        };
        let end = self.ceil_char(
            span.end
                .saturating_add(CUT_CONTEXT_BYTES)
                .min(self.content_end(last).max(span.end)),
        );
        (start..end, first)
    }
}

impl SourceCode for Indexed {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start.saturating_add(span.len());
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let (bytes, line) = self.window(start..end, context_lines_before, context_lines_after);
        let line_start = self.line_range(line).start;
        let before = self.text.get(line_start..bytes.start).unwrap_or("");
        let mut column = before.chars().count();
        if line == 0 && before.starts_with('\u{feff}') {
            column -= 1;
        }
        let line_count = self.line_of(bytes.end.saturating_sub(1).max(bytes.start)) - line + 1;
        Ok(Box::new(MietteSpanContents::new(
            &self.text.as_bytes()[bytes.clone()],
            (bytes.start, bytes.end - bytes.start).into(),
            line,
            column,
            line_count,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the renderer uses of a window: the text, where it starts, its line and column.
    fn view(source: &dyn SourceCode, span: (usize, usize), context: usize) -> String {
        match source.read_span(&span.into(), context, context) {
            Ok(c) if context == 0 => format!("{} {}", c.line(), c.column()),
            Ok(c) => format!(
                "{:?} {} {} {}",
                String::from_utf8_lossy(c.data()),
                c.span().offset(),
                c.line(),
                c.column()
            ),
            Err(e) => e.to_string(),
        }
    }

    /// ribo renders with one context line (the window) and asks for the span alone (the
    /// position in the header): both agree with miette's own `str` source.
    #[test]
    fn same_windows_as_miette_on_short_lines() {
        let texts = [
            "a\nbc\ndef\nghij\n",
            "one\r\ntwo\r\nthree\r\nfour",
            "x",
            "",
            "l1\n\n\nl4\nl5",
            "lone\rcarriage\n",
        ];
        for text in texts {
            let indexed = Indexed::new(text.to_string());
            for start in 0..=text.len() {
                for len in 0..=(text.len() - start).min(6) {
                    let inside_crlf = |i: usize| {
                        i > 0 && text[..i].ends_with('\r') && text[i..].starts_with('\n')
                    };
                    let boundary = |i: usize| text.is_char_boundary(i) && !inside_crlf(i);
                    if !boundary(start) || !boundary(start + len) {
                        continue;
                    }
                    for context in [0, 1, 2] {
                        assert_eq!(
                            view(&indexed, (start, len), context),
                            view(&text, (start, len), context),
                            "{text:?} span {start}+{len} context {context}"
                        );
                    }
                }
            }
        }
    }

    /// The position of a span counts characters, not bytes, and not a byte order mark (miette's
    /// own source counts bytes: that is where the two differ).
    #[test]
    fn columns_count_characters_not_bytes() {
        let indexed = Indexed::new("héllo wörld\n\u{feff}x".to_string());
        let at = |start: usize| {
            let c = indexed
                .read_span(&(start, 1).into(), 0, 0)
                .expect("in bounds");
            (c.line(), c.column())
        };
        assert_eq!(at(7), (0, 6), "`w` after `é`");
        assert_eq!(
            at(17),
            (1, 1),
            "a BOM not at the start of the file is a character"
        );
        let bom = Indexed::new("\u{feff}use a::b;\nx".to_string());
        let c = bom.read_span(&(7, 4).into(), 0, 0).expect("in bounds");
        assert_eq!(
            (c.line(), c.column()),
            (0, 4),
            "`a::b` after a BOM and `use `"
        );
        // Windows (the lines shown) start at a line start: column 0 whatever the text.
        let w = bom.read_span(&(7, 4).into(), 1, 1).expect("in bounds");
        assert_eq!(w.column(), 0);
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let line = format!("{}TARGET{}\n", "a".repeat(10_000), "b".repeat(10_000));
        let text = format!("first\n{line}last\n");
        let start = text.find("TARGET").expect("present");
        let indexed = Indexed::new(text.clone());
        let contents = indexed
            .read_span(&(start, 6).into(), 1, 1)
            .expect("in bounds");
        let data = String::from_utf8_lossy(contents.data()).into_owned();
        assert_eq!(
            data,
            format!(
                "{}TARGET{}",
                "a".repeat(CUT_CONTEXT_BYTES),
                "b".repeat(CUT_CONTEXT_BYTES)
            )
        );
        assert_eq!(contents.line(), 1);
        assert_eq!(contents.column(), 10_000 - CUT_CONTEXT_BYTES);
        assert_eq!(contents.span().offset(), start - CUT_CONTEXT_BYTES);
        // The position shown in the header is the span's own.
        let position = indexed
            .read_span(&(start, 6).into(), 0, 0)
            .expect("in bounds");
        assert_eq!((position.line(), position.column()), (1, 10_000));
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        let text = "é".repeat(5_000);
        let indexed = Indexed::new(text.clone());
        for start in [0, 1_001, 2_000, 9_998] {
            let start = if text.is_char_boundary(start) {
                start
            } else {
                start - 1
            };
            let contents = indexed
                .read_span(&(start, 2).into(), 1, 1)
                .expect("in bounds");
            assert!(std::str::from_utf8(contents.data()).is_ok());
        }
    }

    #[test]
    fn out_of_bounds_is_an_error() {
        let indexed = Indexed::new("abc".to_string());
        assert!(indexed.read_span(&(2, 5).into(), 1, 1).is_err());
    }
}
