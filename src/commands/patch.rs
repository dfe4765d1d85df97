//! Unified diffs, read and applied in memory (`ribo check --patch`): what `git diff`,
//! `git diff --staged`, `git format-patch` and `diff -u` write. Modified, added, deleted,
//! renamed and copied files, several files and hunks, `\ No newline at end of file`, CRLF
//! files (a line's `\r` is part of its content, as git writes it). Applied as `git apply`
//! does: each hunk where its header says, or at the nearest place its context and removed
//! lines match exactly (an offset, no fuzz); a hunk that matches nowhere is an error naming
//! the file and the hunk. Binary patches are refused.

/// One file's part of a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// The path before the change (`None`: the file is added).
    pub old: Option<String>,
    /// The path after the change (`None`: the file is deleted).
    pub new: Option<String>,
    /// A copy: the old file stays.
    pub copy: bool,
    /// Not from git (`diff -u`): an added or deleted file shows as a hunk from or to nothing
    /// (`diff -N` writes the other side as an empty file, dated 1970).
    pub plain: bool,
    pub hunks: Vec<Hunk>,
    /// The line of the patch its header starts at (1-based), for messages.
    pub line: usize,
}

impl FilePatch {
    /// The path it is named by in messages.
    pub fn name(&self) -> &str {
        self.new.as_deref().or(self.old.as_deref()).unwrap_or("?")
    }
}

/// One `@@ -a,b +c,d @@` hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    /// The old side's lines (context and removed), each with its line end unless it is the
    /// file's last line without one.
    pub old_lines: Vec<Vec<u8>>,
    /// The new side's lines (context and added), likewise.
    pub new_lines: Vec<Vec<u8>>,
    /// The line of the patch its header is on (1-based).
    pub line: usize,
}

impl Hunk {
    fn header(&self) -> String {
        format!(
            "@@ -{},{} +{},{} @@",
            self.old_start, self.old_len, self.new_start, self.new_len
        )
    }
}

/// Reads a patch. Text before the first file header (a `format-patch` mail, a commit
/// message, a diffstat) is skipped; a patch with no file in it, a binary patch, a hunk cut
/// short or a malformed header is an error (the message names the line).
pub fn parse(patch: &[u8]) -> Result<Vec<FilePatch>, String> {
    let lines: Vec<&[u8]> = split_lines(patch);
    let mut files = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = trim_cr(lines[i]);
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            let (file, next) = git_section(&lines, i, rest)?;
            files.push(file);
            i = next;
        } else if line.starts_with(b"--- ")
            && lines
                .get(i + 1)
                .is_some_and(|l| trim_cr(l).starts_with(b"+++ "))
        {
            let (old, new) = plain_pair(
                plain_path(&line[4..]),
                plain_path(&trim_cr(lines[i + 1])[4..]),
            );
            let mut file = FilePatch {
                old,
                new,
                copy: false,
                plain: true,
                hunks: Vec::new(),
                line: i + 1,
            };
            i = hunks(&lines, i + 2, &mut file)?;
            files.push(file);
        } else {
            i += 1;
        }
    }
    if files.is_empty() {
        return Err("no file changes found in the patch (is it a unified diff?)".into());
    }
    Ok(files)
}

/// The lines of `bytes`, each without its `\n` (a final `\n` ends the last line).
fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A `diff --git` section starting at line `at`: its extended header, then its hunks.
fn git_section(lines: &[&[u8]], at: usize, names: &[u8]) -> Result<(FilePatch, usize), String> {
    let (a, b) = git_names(names).ok_or_else(|| {
        format!(
            "line {}: cannot read the paths of `diff --git {}`",
            at + 1,
            String::from_utf8_lossy(names)
        )
    })?;
    let mut file = FilePatch {
        old: Some(a),
        new: Some(b),
        copy: false,
        plain: false,
        hunks: Vec::new(),
        line: at + 1,
    };
    let mut i = at + 1;
    while i < lines.len() {
        let line = trim_cr(lines[i]);
        let text = String::from_utf8_lossy(line);
        if line.starts_with(b"diff --git ") || line.starts_with(b"@@ ") {
            break;
        }
        if line.starts_with(b"--- ") {
            let old = plain_path(&line[4..]);
            let next = lines.get(i + 1).map(|l| trim_cr(l)).unwrap_or_default();
            let Some(rest) = next.strip_prefix(b"+++ ") else {
                return Err(format!(
                    "line {}: `---` is not followed by a `+++` line",
                    i + 1
                ));
            };
            let new = plain_path(rest);
            file.old = old.map(|p| strip_prefix(&p));
            file.new = new.map(|p| strip_prefix(&p));
            i += 2;
            break;
        }
        if line.starts_with(b"GIT binary patch") || line.starts_with(b"Binary files ") {
            return Err(format!(
                "line {}: `{}` is a binary patch: ribo checks text changes only",
                i + 1,
                file.name()
            ));
        }
        if text.starts_with("new file mode") {
            file.old = None;
        } else if text.starts_with("deleted file mode") {
            file.new = None;
        } else if let Some(p) = text.strip_prefix("rename from ") {
            file.old = Some(unquote(p));
        } else if let Some(p) = text.strip_prefix("rename to ") {
            file.new = Some(unquote(p));
        } else if let Some(p) = text.strip_prefix("copy from ") {
            file.old = Some(unquote(p));
            file.copy = true;
        } else if let Some(p) = text.strip_prefix("copy to ") {
            file.new = Some(unquote(p));
        }
        // index, mode, similarity lines: nothing to apply.
        i += 1;
    }
    let next = hunks(lines, i, &mut file)?;
    Ok((file, next))
}

/// `a/x b/x` (possibly quoted) into the two paths without their `a/` and `b/`.
fn git_names(names: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(trim_cr(names)).into_owned();
    if text.starts_with('"') {
        let (a, rest) = quoted(&text)?;
        let rest = rest.trim_start();
        let b = match rest.starts_with('"') {
            true => quoted(rest)?.0,
            false => rest.to_string(),
        };
        return Some((strip_prefix(&a), strip_prefix(&b)));
    }
    // Unquoted: the two names are the same path for anything but a rename or copy (whose
    // real names are in the header's `rename`/`copy` lines); split where ` b/` makes halves
    // of equal length, else at the first ` b/`.
    let n = text.len();
    if n % 2 == 1 {
        let half = n / 2;
        let (a, b) = (text.get(..half), text.get(half + 1..));
        if text.get(half..half + 1) == Some(" ") {
            if let (Some(a), Some(b)) = (a, b) {
                if a.get(2..).is_some() && a.get(2..) == b.get(2..) || a == b {
                    return Some((strip_prefix(a), strip_prefix(b)));
                }
            }
        }
    }
    let at = text.find(" b/")?;
    Some((
        strip_prefix(text.get(..at)?),
        strip_prefix(text.get(at + 1..)?),
    ))
}

/// The two paths of a `diff -u` without the directories the two trees were compared from
/// (`a/x` and `b/x`, `before/x` and `after/x`: one leading component, as `patch -p1`), when
/// both have one and the rest is the same path; otherwise as written (`patch -p0`).
fn plain_pair(old: Option<String>, new: Option<String>) -> (Option<String>, Option<String>) {
    // An absolute path keeps its root (and is refused where paths are confined).
    fn rest(p: &Option<String>) -> Option<&str> {
        p.as_deref()
            .filter(|p| !p.starts_with('/'))
            .and_then(|p| p.split_once('/'))
            .map(|s| s.1)
    }
    let strip = match (&old, &new) {
        (Some(_), Some(_)) => rest(&old).is_some() && rest(&old) == rest(&new),
        (Some(p), None) => p.starts_with("a/") && rest(&old).is_some(),
        (None, Some(p)) => p.starts_with("b/") && rest(&new).is_some(),
        (None, None) => false,
    };
    match strip {
        true => (
            rest(&old).map(str::to_string),
            rest(&new).map(str::to_string),
        ),
        false => (old, new),
    }
}

/// One path without the first component git puts before it (`a/`, `b/`).
/// Only git's own one-letter prefixes are taken off (`a/`, `b/`, and those of
/// `diff.mnemonicPrefix`: `i/`, `w/`, `c/`, `o/`); a patch made with `--no-prefix` keeps its
/// paths whole.
fn strip_prefix(path: &str) -> String {
    match path.split_once('/') {
        Some(("a" | "b" | "i" | "w" | "c" | "o", rest)) => rest.to_string(),
        _ => path.to_string(),
    }
}

/// The path of a `---`/`+++` line: `None` for `/dev/null`; a tab and what follows (a date)
/// cut off; quoted names unquoted.
fn plain_path(rest: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(trim_cr(rest)).into_owned();
    let name = match text.starts_with('"') {
        true => quoted(&text).map(|(n, _)| n).unwrap_or(text),
        false => text.split('\t').next().unwrap_or("").trim_end().to_string(),
    };
    (name != "/dev/null").then_some(name)
}

fn unquote(text: &str) -> String {
    match text.starts_with('"') {
        true => quoted(text)
            .map(|(n, _)| n)
            .unwrap_or_else(|| text.to_string()),
        false => text.to_string(),
    }
}

/// A C-style quoted name at the start of `text` (as git quotes unusual paths), and the rest.
fn quoted(text: &str) -> Option<(String, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                return Some((String::from_utf8_lossy(&out).into_owned(), &text[i + 1..]));
            }
            b'\\' => {
                let c = *bytes.get(i + 1)?;
                match c {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'"' | b'\\' => out.push(c),
                    b'0'..=b'7' => {
                        let digits = bytes.get(i + 1..i + 4)?;
                        let s = std::str::from_utf8(digits).ok()?;
                        out.push(u8::from_str_radix(s, 8).ok()?);
                        i += 2;
                    }
                    other => out.push(other),
                }
                i += 2;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// The hunks of one file, from line `at`; returns the line after them.
fn hunks(lines: &[&[u8]], mut at: usize, file: &mut FilePatch) -> Result<usize, String> {
    while at < lines.len() {
        let line = trim_cr(lines[at]);
        if !line.starts_with(b"@@ ") {
            break;
        }
        let (old_start, old_len, new_start, new_len) = hunk_header(line).ok_or_else(|| {
            format!(
                "line {}: malformed hunk header `{}`",
                at + 1,
                String::from_utf8_lossy(line)
            )
        })?;
        let mut hunk = Hunk {
            old_start,
            old_len,
            new_start,
            new_len,
            old_lines: Vec::new(),
            new_lines: Vec::new(),
            line: at + 1,
        };
        at += 1;
        let (mut old_left, mut new_left) = (old_len, new_len);
        // Which sides the last line went to, for a `\ No newline` marker after it.
        let mut last = (false, false);
        while at < lines.len() {
            let line = lines[at];
            if line.starts_with(b"\\") {
                if last.0 {
                    strip_newline(&mut hunk.old_lines);
                }
                if last.1 {
                    strip_newline(&mut hunk.new_lines);
                }
                at += 1;
                continue;
            }
            if old_left == 0 && new_left == 0 {
                break;
            }
            let (kind, content) = match line.split_first() {
                Some((k, rest)) => (*k, rest),
                // An empty line: a context line whose space was lost (some editors trim it).
                None => (b' ', &b""[..]),
            };
            let mut with_end = content.to_vec();
            with_end.push(b'\n');
            match kind {
                b' ' if old_left > 0 && new_left > 0 => {
                    hunk.old_lines.push(with_end.clone());
                    hunk.new_lines.push(with_end);
                    old_left -= 1;
                    new_left -= 1;
                    last = (true, true);
                }
                b'-' if old_left > 0 => {
                    hunk.old_lines.push(with_end);
                    old_left -= 1;
                    last = (true, false);
                }
                b'+' if new_left > 0 => {
                    hunk.new_lines.push(with_end);
                    new_left -= 1;
                    last = (false, true);
                }
                _ => {
                    return Err(format!(
                        "line {}: hunk {} of `{}` has more or other lines than its header counts",
                        at + 1,
                        hunk.header(),
                        file.name()
                    ))
                }
            }
            at += 1;
        }
        if old_left > 0 || new_left > 0 {
            return Err(format!(
                "line {}: hunk {} of `{}` ends before all the lines its header counts",
                hunk.line,
                hunk.header(),
                file.name()
            ));
        }
        file.hunks.push(hunk);
    }
    Ok(at)
}

fn strip_newline(lines: &mut [Vec<u8>]) {
    if let Some(l) = lines.last_mut() {
        if l.last() == Some(&b'\n') {
            l.pop();
        }
    }
}

/// `@@ -a[,b] +c[,d] @@ ...`.
fn hunk_header(line: &[u8]) -> Option<(usize, usize, usize, usize)> {
    let text = std::str::from_utf8(line).ok()?;
    let inner = text.strip_prefix("@@ ")?;
    let end = inner.find(" @@")?;
    let mut parts = inner[..end].split(' ');
    let range = |s: &str, sign: char| -> Option<(usize, usize)> {
        let s = s.strip_prefix(sign)?;
        match s.split_once(',') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((s.parse().ok()?, 1)),
        }
    };
    let (a, b) = range(parts.next()?, '-')?;
    let (c, d) = range(parts.next()?, '+')?;
    Some((a, b, c, d))
}

/// `file`'s hunks applied to `base` (the file's content before the change; empty for an
/// added file). The error names the hunk and why it does not apply.
/// The most lines one patch's hunks may compare while looking for where they apply.
const MAX_COMPARED: usize = 50_000_000;

pub fn apply(file: &FilePatch, base: &[u8]) -> Result<Vec<u8>, String> {
    let compared = std::cell::Cell::new(0usize);
    let lines: Vec<&[u8]> = base.split_inclusive(|b| *b == b'\n').collect();
    let mut out: Vec<u8> = Vec::with_capacity(base.len());
    // The next line of `base` not yet copied, and how far the hunks so far moved from where
    // their headers said.
    let mut next = 0usize;
    let mut offset: isize = 0;
    for (k, hunk) in file.hunks.iter().enumerate() {
        let n = hunk.old_lines.len();
        // Where the header says the old lines start (0-based); a hunk that only adds lines
        // after line `old_start` starts after it.
        let said = match n {
            0 => hunk.old_start,
            _ => hunk.old_start.saturating_sub(1),
        };
        let want = isize::try_from(said)
            .ok()
            .and_then(|s| s.checked_add(offset))
            .map_or(usize::MAX, |w| w.max(0) as usize)
            .max(next);
        // Lines compared, over the whole patch: a file of many identical lines and a long
        // hunk would make the search quadratic.
        let fits = |at: usize| {
            if !(at >= next && at.checked_add(n).is_some_and(|end| end <= lines.len())) {
                return false;
            }
            let same = lines[at..at + n]
                .iter()
                .zip(&hunk.old_lines)
                .take_while(|(l, o)| **l == o.as_slice())
                .count();
            compared.set(compared.get().saturating_add(same + 1));
            same == n
        };
        // Past the end of the file nothing fits: the search starts from the nearest line
        // that could.
        let want = want.min(lines.len());
        let found = (0..=lines.len()).find_map(|d| {
            if compared.get() > MAX_COMPARED {
                return None;
            }
            let after = want.saturating_add(d);
            if fits(after) {
                return Some(after);
            }
            want.checked_sub(d).filter(|&before| fits(before))
        });
        if compared.get() > MAX_COMPARED {
            return Err(format!(
                "hunk {} of {} ({}, patch line {}) of `{}`: the search for where it applies went \
                 over {MAX_COMPARED} line comparisons (too many lines like its context): refused",
                k + 1,
                file.hunks.len(),
                hunk.header(),
                hunk.line,
                file.name()
            ));
        }
        let Some(at) = found else {
            return Err(format!(
                "hunk {} of {} ({}, patch line {}) does not apply to `{}`: {}",
                k + 1,
                file.hunks.len(),
                hunk.header(),
                hunk.line,
                file.name(),
                match n {
                    0 => "the file is shorter than the line it inserts after".to_string(),
                    _ => format!(
                        "its {} and removed lines are not in the file (expected at line {})",
                        "context",
                        said + 1
                    ),
                }
            ));
        };
        for l in &lines[next..at] {
            out.extend_from_slice(l);
        }
        for l in &hunk.new_lines {
            out.extend_from_slice(l);
        }
        next = at + n;
        offset = isize::try_from(at)
            .unwrap_or(isize::MAX)
            .saturating_sub(isize::try_from(said).unwrap_or(isize::MAX));
    }
    for l in &lines[next.min(lines.len())..] {
        out.extend_from_slice(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
