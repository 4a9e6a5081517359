//! Semantic diffs of two API surfaces: what changes for a client that calls the tools, each change
//! classified as breaking (a call that worked before may now fail, or a deployment needs new
//! configuration) or not.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::surface::{Argument, Surface, ToolSurface};

/// What kind of change a [`Change`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A new tool.
    ToolAdded,
    /// A tool that is gone.
    ToolRemoved,
    /// The same operation under another tool name.
    ToolRenamed,
    /// The tool calls another method or path upstream.
    RouteChanged,
    /// A new argument that calls must give.
    ArgumentAddedRequired,
    /// A new argument that calls may give.
    ArgumentAddedOptional,
    /// An argument that is gone: calls that give it are rejected as unknown.
    ArgumentRemoved,
    /// An argument of another type.
    ArgumentRetyped,
    /// An optional argument that calls must now give.
    ArgumentMadeRequired,
    /// A required argument that calls may now leave out.
    ArgumentMadeOptional,
    /// Values an enum no longer allows.
    EnumValuesRemoved,
    /// Values an enum now allows.
    EnumValuesAdded,
    /// A format added or changed.
    FormatTightened,
    /// A format dropped.
    FormatLoosened,
    /// A pattern added or changed.
    PatternTightened,
    /// A pattern dropped.
    PatternLoosened,
    /// A bound added or moved inwards.
    BoundTightened,
    /// A bound dropped or moved outwards.
    BoundLoosened,
    /// The upstream authentication changed.
    AuthChanged,
    /// The default upstream base URL changed.
    BaseUrlChanged,
}

/// One change between two surfaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// The kind of change.
    pub kind: ChangeKind,
    /// The tool it concerns (in the new surface when renamed); `None` for API-wide changes.
    pub tool: Option<String>,
    /// The argument it concerns, by path (`body.items[].name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argument: Option<String>,
    /// What changed, in a sentence.
    pub detail: String,
    /// Whether a client or deployment that worked before may now fail.
    #[serde(skip)]
    pub breaking: bool,
}

/// The changes between two surfaces, split by whether they break clients.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Changes that may make a call or deployment that worked before fail.
    pub breaking: Vec<Change>,
    /// Changes that do not.
    pub non_breaking: Vec<Change>,
}

impl Report {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.breaking.is_empty() && self.non_breaking.is_empty()
    }

    /// The report for people: a count, then one line per change, breaking ones first.
    pub fn render(&self) -> String {
        if self.is_empty() {
            return "no changes to the tools\n".to_string();
        }
        let mut text = format!("{} breaking, {} non-breaking\n", self.breaking.len(), self.non_breaking.len());
        for (title, changes) in [("breaking", &self.breaking), ("non-breaking", &self.non_breaking)] {
            if !changes.is_empty() {
                let _ = writeln!(text, "\n{title}:");
            }
            for change in changes {
                let _ = writeln!(text, "  {}", change.line());
            }
        }
        text
    }
}

impl Change {
    /// The change on one line: `list_patients: argument `q`: ...`.
    pub fn line(&self) -> String {
        let tool = self.tool.as_deref().map(|tool| format!("{tool}: ")).unwrap_or_default();
        let argument = self.argument.as_deref().map(|argument| format!("`{argument}` ")).unwrap_or_default();
        format!("{tool}{argument}{}", self.detail)
    }
}

/// Compares two surfaces.
pub fn diff(old: &Surface, new: &Surface) -> Report {
    let mut changes = Vec::new();
    api_changes(old, new, &mut changes);
    let removed: Vec<&String> = old.tools.keys().filter(|name| !new.tools.contains_key(*name)).collect();
    let mut added: BTreeSet<&String> = new.tools.keys().filter(|name| !old.tools.contains_key(*name)).collect();
    for name in removed {
        let before = &old.tools[name];
        // A rename keeps the operation: its operationId, else its route.
        let renamed = added
            .iter()
            .find(|added| new.tools[**added].operation == before.operation)
            .or_else(|| added.iter().find(|added| new.tools[**added].route == before.route))
            .copied();
        match renamed {
            Some(new_name) => {
                added.remove(new_name);
                changes.push(change(ChangeKind::ToolRenamed, Some(new_name), None, format!("renamed from `{name}`")));
                tool_changes(new_name, before, &new.tools[new_name], &mut changes);
            }
            None => {
                changes.push(change(ChangeKind::ToolRemoved, Some(name), None, format!("removed ({})", before.route)))
            }
        }
    }
    for name in added {
        changes.push(change(ChangeKind::ToolAdded, Some(name), None, format!("added ({})", new.tools[name].route)));
    }
    for (name, before) in &old.tools {
        if let Some(after) = new.tools.get(name) {
            tool_changes(name, before, after, &mut changes);
        }
    }
    changes.sort_by(|a, b| (&a.tool, a.kind, &a.argument).cmp(&(&b.tool, b.kind, &b.argument)));
    let (breaking, non_breaking) = changes.into_iter().partition(|change| change.breaking);
    Report { breaking, non_breaking }
}

fn api_changes(old: &Surface, new: &Surface, changes: &mut Vec<Change>) {
    let (before, after): (BTreeSet<&String>, BTreeSet<&String>) =
        (old.auth.iter().collect(), new.auth.iter().collect());
    for gone in before.difference(&after) {
        changes.push(change(ChangeKind::AuthChanged, None, None, format!("authentication no longer {gone}")));
    }
    for new_auth in after.difference(&before) {
        changes.push(change(ChangeKind::AuthChanged, None, None, format!("authentication now {new_auth}")));
    }
    if old.base_url != new.base_url {
        let shown = |url: &Option<String>| url.clone().unwrap_or_else(|| "(none)".into());
        let detail = format!("default base URL {} -> {}", shown(&old.base_url), shown(&new.base_url));
        changes.push(change(ChangeKind::BaseUrlChanged, None, None, detail));
    }
}

fn tool_changes(name: &str, old: &ToolSurface, new: &ToolSurface, changes: &mut Vec<Change>) {
    if old.route != new.route {
        changes.push(change(
            ChangeKind::RouteChanged,
            Some(name),
            None,
            format!("calls {} (was {})", new.route, old.route),
        ));
    }
    for (path, before) in &old.arguments {
        match new.arguments.get(path) {
            None if parent_removed(path, &new.arguments) => {}
            None => changes.push(change(ChangeKind::ArgumentRemoved, Some(name), Some(path), "removed".into())),
            Some(after) => argument_changes(name, path, before, after, changes),
        }
    }
    for (path, after) in new.arguments.iter().filter(|(path, _)| !old.arguments.contains_key(*path)) {
        // Inside a new optional object, a required field is only required when the object is given.
        if parent_removed(path, &old.arguments) {
            continue;
        }
        let (kind, detail) = if after.required {
            (ChangeKind::ArgumentAddedRequired, format!("added, required ({})", after.kind))
        } else {
            (ChangeKind::ArgumentAddedOptional, format!("added, optional ({})", after.kind))
        };
        changes.push(change(kind, Some(name), Some(path), detail));
    }
}

/// Whether the argument's parent object is missing from `arguments` (then its own change says it all).
fn parent_removed(path: &str, arguments: &BTreeMap<String, Argument>) -> bool {
    let parent = path.rsplit_once('.').map(|(parent, _)| parent.trim_end_matches("[]"));
    parent.is_some_and(|parent| !arguments.contains_key(parent))
}

fn argument_changes(tool: &str, path: &str, old: &Argument, new: &Argument, changes: &mut Vec<Change>) {
    if old.kind != new.kind {
        // Accepting null as well, or a union that keeps the old type, rejects nothing accepted before.
        let widened = new.kind.split('|').collect::<BTreeSet<_>>().is_superset(&old.kind.split('|').collect());
        let mut retyped =
            change(ChangeKind::ArgumentRetyped, Some(tool), Some(path), format!("type {} -> {}", old.kind, new.kind));
        retyped.breaking = !widened;
        changes.push(retyped);
        return;
    }
    let mut push = |kind, detail: String| changes.push(change(kind, Some(tool), Some(path), detail));
    match (old.required, new.required) {
        (false, true) => push(ChangeKind::ArgumentMadeRequired, "now required".into()),
        (true, false) => push(ChangeKind::ArgumentMadeOptional, "now optional".into()),
        _ => {}
    }
    if let (Some(before), Some(after)) = (&old.enum_values, &new.enum_values) {
        let listed = |values: Vec<&String>| values.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", ");
        let gone: Vec<&String> = before.iter().filter(|value| !after.contains(value)).collect();
        let came: Vec<&String> = after.iter().filter(|value| !before.contains(value)).collect();
        if !gone.is_empty() {
            push(ChangeKind::EnumValuesRemoved, format!("no longer allows {}", listed(gone)));
        }
        if !came.is_empty() {
            push(ChangeKind::EnumValuesAdded, format!("now also allows {}", listed(came)));
        }
    } else if new.enum_values.is_some() {
        push(ChangeKind::EnumValuesRemoved, "now limited to an enum".into());
    } else if old.enum_values.is_some() {
        push(ChangeKind::EnumValuesAdded, "no longer limited to an enum".into());
    }
    let constraints = [
        ("format", &old.format, &new.format, ChangeKind::FormatTightened, ChangeKind::FormatLoosened),
        ("pattern", &old.pattern, &new.pattern, ChangeKind::PatternTightened, ChangeKind::PatternLoosened),
    ];
    for (keyword, before, after, tightened, loosened) in constraints {
        // A changed format or pattern cannot be shown to accept all it accepted before.
        match (before, after) {
            (Some(before), Some(after)) if before != after => {
                push(tightened, format!("{keyword} `{after}` (was `{before}`)"));
            }
            (None, Some(after)) => push(tightened, format!("{keyword} `{after}` added")),
            (Some(before), None) => push(loosened, format!("{keyword} `{before}` dropped")),
            _ => {}
        }
    }
    for bound in crate::surface::BOUNDS {
        let (before, after) = (old.bounds.get(bound), new.bounds.get(bound));
        let lower = bound.starts_with("min") || bound == "exclusiveMinimum";
        let tightened = match (before, after) {
            (None, Some(_)) => true,
            (Some(before), Some(after)) if before != after => (after > before) == lower,
            (Some(_), None) => false,
            _ => continue,
        };
        let shown = |value: Option<&f64>| value.map_or("none".to_string(), |value| value.to_string());
        let detail = format!("{bound} {} -> {}", shown(before), shown(after));
        push(if tightened { ChangeKind::BoundTightened } else { ChangeKind::BoundLoosened }, detail);
    }
}

fn change(kind: ChangeKind, tool: Option<&str>, argument: Option<&str>, detail: String) -> Change {
    let breaking = matches!(
        kind,
        ChangeKind::ToolRemoved
            | ChangeKind::ToolRenamed
            | ChangeKind::ArgumentAddedRequired
            | ChangeKind::ArgumentRemoved
            | ChangeKind::ArgumentRetyped
            | ChangeKind::ArgumentMadeRequired
            | ChangeKind::EnumValuesRemoved
            | ChangeKind::FormatTightened
            | ChangeKind::PatternTightened
            | ChangeKind::BoundTightened
            | ChangeKind::AuthChanged
    );
    Change { kind, tool: tool.map(str::to_string), argument: argument.map(str::to_string), detail, breaking }
}
