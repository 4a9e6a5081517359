//! A generated crate's `CHANGELOG.md`: one entry per regeneration that changed the tools, newest
//! first. Each entry is built from the surface the crate recorded last time and the new one, so the
//! text is the same on every machine; what a user writes in the file is kept.

use std::fmt::Write as _;

use crate::diff::{self, Change};
use crate::surface::Surface;

/// The changelog's file name in a generated crate.
pub const FILE_NAME: &str = "CHANGELOG.md";

const HEADER: &str = "# Changelog\n\nWhat each regeneration changed in the tools, newest first. mcpgen adds an entry when the tools\nchange and keeps everything else in this file.\n";

/// The changelog after a regeneration: `previous` (the file's text, if any) with an entry for the
/// changes from `old` (the surface recorded last time, if any) to `new`.
pub fn updated(previous: Option<&str>, old: Option<&Surface>, new: &Surface) -> String {
    let entry = match old {
        Some(old) => {
            let report = diff::diff(old, new);
            if report.is_empty() {
                return previous.map_or_else(|| format!("{HEADER}{}", first_entry(new)), str::to_string);
            }
            let mut entry = heading(Some(old), new);
            section(&mut entry, "Breaking", &report.breaking);
            section(&mut entry, "Other", &report.non_breaking);
            entry
        }
        None if previous.is_some() => return previous.unwrap_or_default().to_string(),
        None => first_entry(new),
    };
    let previous = previous.unwrap_or(HEADER);
    // The new entry goes above the newest one, or at the end of a file that has none yet.
    let at = previous.find("\n## ").map_or(previous.len(), |at| at + 1);
    let (head, rest) = previous.split_at(at);
    let separator = if head.ends_with("\n\n") || head.is_empty() { "" } else { "\n" };
    format!("{head}{separator}{entry}{}{rest}", if rest.is_empty() { "" } else { "\n" })
}

fn first_entry(new: &Surface) -> String {
    format!("{}\n- First generated, with {} tools.\n", heading(None, new), new.tools.len())
}

fn heading(old: Option<&Surface>, new: &Surface) -> String {
    match old {
        Some(old) if old.api_version != new.api_version => {
            format!("## API version {} (was {})\n", new.api_version, old.api_version)
        }
        _ => format!("## API version {}\n", new.api_version),
    }
}

fn section(entry: &mut String, title: &str, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(entry, "\n{title}:\n");
    for change in changes {
        let _ = writeln!(entry, "- {}", change.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surface::ToolSurface;

    fn surface(version: &str, tools: &[&str]) -> Surface {
        let tools = tools
            .iter()
            .map(|name| {
                let tool =
                    ToolSurface { operation: (*name).into(), route: format!("GET /{name}"), ..Default::default() };
                (name.to_string(), tool)
            })
            .collect();
        Surface { api_version: version.into(), tools, ..Surface::default() }
    }

    #[test]
    fn entries_go_newest_first_and_text_added_by_hand_stays() {
        let first = updated(None, None, &surface("1", &["a", "b"]));
        assert_eq!(first, format!("{HEADER}\n## API version 1\n\n- First generated, with 2 tools.\n"));
        let unchanged = updated(Some(&first), Some(&surface("1", &["a", "b"])), &surface("1", &["a", "b"]));
        assert_eq!(unchanged, first);
        let with_note = first.replace("tools.\n", "tools.\n\nDeployed on the 3rd.\n");
        let second = updated(Some(&with_note), Some(&surface("1", &["a", "b"])), &surface("2", &["a", "c"]));
        assert_eq!(
            second,
            format!(
                "{HEADER}\n## API version 2 (was 1)\n\nBreaking:\n\n- b: removed (GET /b)\n\nOther:\n\n- c: added (GET /c)\n\n\
                 ## API version 1\n\n- First generated, with 2 tools.\n\nDeployed on the 3rd.\n"
            )
        );
    }
}
