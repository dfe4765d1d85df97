//! Violations and spec errors as miette diagnostics: the offending code underlined, plus a
//! related diagnostic pointing at the line of ribo.yaml that declares the broken rule.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use super::source::Indexed;

/// A self-contained miette diagnostic.
#[derive(Debug)]
pub struct Diag {
    pub code: String,
    pub severity: miette::Severity,
    pub message: String,
    pub source: Option<NamedSource<Arc<Indexed>>>,
    pub labels: Vec<LabeledSpan>,
    pub help: Option<String>,
    pub related: Vec<Diag>,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<_>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)) as Box<_>)
    }
}

/// Renders one diagnostic to text.
pub fn render(diag: &Diag, style: super::Style) -> String {
    let theme = if style.color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(1)
        .with_show_related_as_nested(true)
        .with_wrap_lines(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diag).is_err() {
        out = format!("{}: {}\n", diag.code, diag.message);
    }
    out
}
