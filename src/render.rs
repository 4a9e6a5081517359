//! Diagnostics rendered as rustc renders its own: the message, the file and position, the source
//! line with a caret under the spot, and the help, in colour on a terminal.

use annotate_snippets::{AnnotationKind, Level, Origin, Renderer, Snippet};

use crate::diag::{Diagnostic, Position, Severity};

/// The longest source line shown; a longer one (a spec on one line) is cut around the spot.
const MAX_LINE_CHARS: usize = 160;

/// Renders `diagnostic`, showing its line of `source` (the text of its file) when it has a
/// position there.
pub fn render(diagnostic: &Diagnostic, source: Option<&str>, color: bool) -> String {
    let level = match diagnostic.severity {
        Severity::Warning => Level::WARNING,
        Severity::Error => Level::ERROR,
    };
    let title = level.primary_title(diagnostic.message.as_str());
    let located = diagnostic.position.and_then(|position| {
        let lines: Vec<&str> = source?.lines().collect();
        match lines.get(position.line.checked_sub(1)?) {
            Some(line) => Some((position, *line)),
            // A parser that ran out of text points just past it: show the end of the last line.
            None if position.line == lines.len() + 1 => {
                let last = lines.last()?;
                Some((Position { line: lines.len(), column: last.chars().count() + 1 }, *last))
            }
            None => None,
        }
    });
    let group = match located {
        Some((position, line)) => {
            let (shown, column) = window(line, position.column.saturating_sub(1));
            let span = column..column + token_len(&shown[column..]);
            let snippet = Snippet::source(shown)
                .line_start(position.line)
                .path(diagnostic.file.as_str())
                .annotation(AnnotationKind::Primary.span(span).label(diagnostic.pointer.as_str()));
            title.element(snippet)
        }
        None => match diagnostic.position {
            Some(position) => title
                .element(Origin::path(diagnostic.file.as_str()).line(position.line).char_column(position.column))
                .element(Level::NOTE.message(format!("at {}", diagnostic.pointer))),
            None => title.element(Origin::path(format!("{} ({})", diagnostic.file, diagnostic.pointer))),
        },
    };
    let group = group.element(Level::HELP.message(diagnostic.help.as_str()));
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    renderer.render(&[group])
}

/// The part of `line` shown, and the byte offset of `column` (a char index) in it.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.trim_end().chars().collect();
    let column = column.min(chars.len());
    let start = column.saturating_sub(MAX_LINE_CHARS / 2);
    let end = (start + MAX_LINE_CHARS).min(chars.len());
    let before: String = chars[start..column].iter().collect();
    let shown: String = chars[start..end].iter().collect();
    (shown, before.len())
}

/// The length in bytes of the token `text` starts with: a quoted string, or up to a delimiter.
fn token_len(text: &str) -> usize {
    let mut chars = text.char_indices();
    match chars.next() {
        None => 0,
        Some((_, quote @ ('"' | '\''))) => {
            chars.find(|(_, c)| *c == quote).map_or(text.len(), |(at, c)| at + c.len_utf8())
        }
        Some(_) => text
            .find(|c: char| c.is_whitespace() || ":,{}[]".contains(c))
            .filter(|at| *at > 0)
            .unwrap_or_else(|| text.chars().next().map_or(0, char::len_utf8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(line: usize, column: usize) -> Diagnostic {
        let mut diagnostic = Diagnostic::warning("#/paths/~1a/get", "no responses", "add one");
        diagnostic.file = "spec.yaml".into();
        diagnostic.position = Some(Position { line, column });
        diagnostic
    }

    #[test]
    fn the_source_line_is_shown_with_a_caret_under_the_token() {
        let source = "paths:\n  /a:\n    get: {}\n";
        let text = render(&diagnostic(3, 5), Some(source), false);
        assert!(text.starts_with("warning: no responses\n"), "{text}");
        assert!(text.contains("--> spec.yaml:3:5"), "{text}");
        assert!(text.contains("3 |     get: {}"), "{text}");
        assert!(text.contains("^^^ #/paths/~1a/get"), "{text}");
        assert!(text.contains("= help: add one"), "{text}");
        assert!(!text.contains('\u{1b}'), "no colour when asked for none");
        assert!(render(&diagnostic(3, 5), Some(source), true).contains('\u{1b}'));
    }

    #[test]
    fn without_source_or_position_the_location_is_still_given() {
        let text = render(&diagnostic(2, 1), Some("openapi: [unclosed"), false);
        assert!(
            text.contains("1 | openapi: [unclosed") && text.contains("--> spec.yaml:1:19"),
            "the end of the text:\n{text}"
        );
        let text = render(&diagnostic(9, 1), Some("one line"), false);
        assert!(text.contains("--> spec.yaml:9:1") && text.contains("= note: at #/paths/~1a/get"), "{text}");
        let mut unplaced = diagnostic(1, 1);
        unplaced.position = None;
        let text = render(&unplaced, None, false);
        assert!(text.contains("--> spec.yaml (#/paths/~1a/get)"), "{text}");
    }

    #[test]
    fn a_long_line_is_cut_around_the_spot() {
        let line = format!("{}\"bad\"{}", "x".repeat(5000), "y".repeat(5000));
        let text = render(&diagnostic(1, 5001), Some(&line), false);
        assert!(text.contains("^^^^^"), "{text}");
        assert!(text.len() < 1000, "{}", text.len());
    }
}
