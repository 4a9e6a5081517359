//! Diagnostics: every problem the generator finds, with where it is and what to do about it.

use std::fmt;

use serde::Serialize;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something was approximated or skipped; the output is still complete and compiles.
    Warning,
    /// The input cannot be used as it is; no output is written for this API.
    Error,
}

/// A line and column in a source file, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// One problem found while loading or lowering a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// The file the problem is in, as given to the loader.
    pub file: String,
    /// Line and column in `file`, when the loader can know them.
    pub position: Option<Position>,
    /// JSON pointer into the document (`#/paths/~1patients/get`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Set when the problem cost an operation its tool: why it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkipReason>,
}

/// Why an operation did not become a tool; run summaries group skips by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The operation does not fit the OpenAPI model, even read leniently.
    Malformed,
    /// A `$ref` the tool needs names nothing.
    UnresolvedReference,
    /// The path template and the declared path parameters disagree.
    PathTemplate,
    /// The request body names no media type.
    BodyMediaType,
}

impl SkipReason {
    /// A short phrase for summaries.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::Malformed => "operation does not fit the OpenAPI model",
            SkipReason::UnresolvedReference => "unresolved $ref",
            SkipReason::PathTemplate => "path template and parameters disagree",
            SkipReason::BodyMediaType => "request body without a media type",
        }
    }
}

impl Diagnostic {
    /// A warning at `pointer`; the file and position are filled in by the loader.
    pub fn warning(pointer: impl Into<String>, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self::new(Severity::Warning, pointer, message, help)
    }

    /// An error at `pointer`; the file and position are filled in by the loader.
    pub fn error(pointer: impl Into<String>, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self::new(Severity::Error, pointer, message, help)
    }

    fn new(
        severity: Severity,
        pointer: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            file: String::new(),
            position: None,
            pointer: pointer.into(),
            message: message.into(),
            help: help.into(),
            skipped: None,
        }
    }

    /// Marks the diagnostic as the reason an operation was skipped.
    #[must_use]
    pub fn skipping(mut self, reason: SkipReason) -> Self {
        self.skipped = Some(reason);
        self
    }

    /// Whether this diagnostic stops generation.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        writeln!(f, "{severity}: {}", self.message)?;
        match self.position {
            Some(Position { line, column }) => writeln!(f, "  --> {}:{line}:{column} ({})", self.file, self.pointer)?,
            None => writeln!(f, "  --> {} ({})", self.file, self.pointer)?,
        }
        write!(f, "   = help: {}", self.help)
    }
}

/// Builds a JSON pointer from segments, escaping `~` and `/` as RFC 6901 requires.
pub fn pointer<S: AsRef<str>>(segments: impl IntoIterator<Item = S>) -> String {
    let mut out = String::from("#");
    for segment in segments {
        out.push('/');
        out.push_str(&escape_segment(segment.as_ref()));
    }
    out
}

/// Appends one segment to an existing pointer.
pub fn child(pointer: &str, segment: impl AsRef<str>) -> String {
    format!("{pointer}/{}", escape_segment(segment.as_ref()))
}

fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        assert_eq!(pointer(["paths", "/a/{id}", "get"]), "#/paths/~1a~1{id}/get");
        assert_eq!(child("#/x", "a~b"), "#/x/a~0b");
    }

    #[test]
    fn display_has_location_and_help() {
        let mut d = Diagnostic::warning("#/paths", "bad", "fix it");
        d.file = "spec.yaml".into();
        d.position = Some(Position { line: 3, column: 5 });
        assert_eq!(d.to_string(), "warning: bad\n  --> spec.yaml:3:5 (#/paths)\n   = help: fix it");
    }
}
