//! Profiles: the named tool subsets of `mcpgen.toml`, resolved against the lowered tools.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};

use crate::diag::Diagnostic;
use crate::ir::{Api, Profile, ProfileTool, Tool};
use crate::settings::{CONFIG_FILE, ProfileSettings, Settings, ToolSelector};

/// The profile that holds every tool; it always exists.
pub const ALL: &str = "all";

/// Resolves the settings' profiles and default profile into `api`. Diagnostics point into
/// `mcpgen.toml` by key (`apis.cliniko.profiles.voice.include[2]`).
pub fn apply(api: &mut Api, settings: &Settings) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let table = format!("apis.{}.profiles", settings.name);
    for (name, profile) in &settings.profiles {
        let at = format!("{table}.{name}");
        if name == ALL {
            diagnostics.push(Diagnostic::error(
                at,
                "`all` is the profile of every tool and cannot be defined",
                "give this profile another name",
            ));
        } else if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            diagnostics.push(Diagnostic::error(
                at,
                format!("profile name `{name}` is not made of letters, digits, `_` and `-`"),
                "rename the profile: its name is what MCP_PROFILE is set to",
            ));
        } else if let Some(resolved) = resolve(api, name, profile, &at, &mut diagnostics) {
            api.profiles.push(resolved);
        }
    }
    match &settings.default_profile {
        Some(default) if default == ALL || api.profiles.iter().any(|profile| &profile.name == default) => {
            api.default_profile.clone_from(default);
        }
        Some(default) => diagnostics.push(Diagnostic::error(
            format!("apis.{}.default_profile", settings.name),
            format!("the default profile `{default}` is not defined"),
            format!("define [{table}.{default}], or set default_profile to `all` or a defined profile"),
        )),
        None => api.default_profile = ALL.to_string(),
    }
    for diagnostic in &mut diagnostics {
        diagnostic.file = CONFIG_FILE.to_string();
    }
    diagnostics
}

/// The tools `profile` selects, renamed; `None` after an error.
fn resolve(
    api: &Api,
    name: &str,
    profile: &ProfileSettings,
    at: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Profile> {
    let errors = diagnostics.len();
    let include = compile_all(&profile.include, &format!("{at}.include"), diagnostics);
    let exclude = compile_all(&profile.exclude, &format!("{at}.exclude"), diagnostics);
    if diagnostics.len() > errors {
        return None;
    }
    let mut included = vec![false; include.len()];
    let mut excluded = vec![false; exclude.len()];
    let mut selected: Vec<&Tool> = Vec::new();
    for group in &api.groups {
        for tool in &group.tools {
            let matches = |selectors: &[Selector], used: &mut [bool]| {
                let mut any = false;
                for (selector, used) in selectors.iter().zip(used.iter_mut()) {
                    if selector.matches(tool, &group.tag) {
                        *used = true;
                        any = true;
                    }
                }
                any
            };
            let in_include = matches(&include, &mut included) || include.is_empty();
            if matches(&exclude, &mut excluded) || !in_include {
                continue;
            }
            selected.push(tool);
        }
    }
    for (kind, used) in [("include", &included), ("exclude", &excluded)] {
        for index in used.iter().enumerate().filter(|(_, used)| !**used).map(|(index, _)| index) {
            diagnostics.push(Diagnostic::warning(
                format!("{at}.{kind}[{index}]"),
                format!("this selector of profile `{name}` matches no tool"),
                "check it against the tool names, operationIds, tags and paths that `mcpgen inspect` shows",
            ));
        }
    }
    if selected.is_empty() {
        diagnostics.push(Diagnostic::error(
            at,
            format!("profile `{name}` selects no tool"),
            "add `include` selectors that match tools, or remove the profile",
        ));
        return None;
    }
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for tool in &selected {
        let renamed = profile.rename.get(&tool.name).unwrap_or(&tool.name);
        if let Some(other) = names.insert(renamed.clone(), tool.name.clone()) {
            diagnostics.push(Diagnostic::error(
                format!("{at}.rename"),
                format!("profile `{name}` would have two tools named `{renamed}` (`{other}` and `{}`)", tool.name),
                "rename one of them to a name no other tool of the profile has",
            ));
        }
    }
    for (from, to) in &profile.rename {
        if !selected.iter().any(|tool| &tool.name == from) {
            diagnostics.push(Diagnostic::warning(
                format!("{at}.rename.{from}"),
                format!("profile `{name}` renames `{from}`, which is not one of its tools"),
                "key `rename` by the tool's name as `mcpgen inspect` shows it",
            ));
        }
        if to.is_empty()
            || to.len() > 64
            || !to.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            diagnostics.push(Diagnostic::error(
                format!("{at}.rename.{from}"),
                format!("`{to}` is not a tool name"),
                "tool names are 1 to 64 lower-case letters, digits and underscores",
            ));
        }
    }
    if diagnostics[errors..].iter().any(Diagnostic::is_error) {
        return None;
    }
    let tools = names.into_iter().map(|(name, tool)| ProfileTool { tool, name }).collect();
    Some(Profile { name: name.to_string(), description: profile.description.clone(), tools })
}

/// `pattern` with each path parameter (`{id}`: braces around a name without a comma) made literal,
/// so paths copied from the spec match; `{a,b}` stays an alternation.
fn literal_parameters(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if !after[..close].contains([',', '{']) => {
                out.push_str(&format!("[{{]{}[}}]", &after[..close]));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A compiled selector: every given glob must match.
struct Selector {
    tool: Option<GlobMatcher>,
    operation: Option<GlobMatcher>,
    tag: Option<GlobMatcher>,
    path: Option<GlobMatcher>,
    method: Option<GlobMatcher>,
}

impl Selector {
    fn matches(&self, tool: &Tool, tag: &str) -> bool {
        let matches = |glob: &Option<GlobMatcher>, value: Option<&str>| {
            glob.as_ref().is_none_or(|glob| value.is_some_and(|value| glob.is_match(value)))
        };
        matches(&self.tool, Some(&tool.name))
            && matches(&self.operation, tool.operation_id.as_deref())
            && matches(&self.tag, Some(tag))
            && matches(&self.path, Some(&tool.path))
            && matches(&self.method, Some(tool.method.as_str()))
    }
}

fn compile_all(selectors: &[ToolSelector], at: &str, diagnostics: &mut Vec<Diagnostic>) -> Vec<Selector> {
    selectors
        .iter()
        .enumerate()
        .filter_map(|(index, selector)| compile(selector, &format!("{at}[{index}]"), diagnostics))
        .collect()
}

fn compile(selector: &ToolSelector, at: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<Selector> {
    let mut glob = |pattern: Option<&String>| -> Result<Option<GlobMatcher>, ()> {
        let Some(pattern) = pattern else { return Ok(None) };
        match GlobBuilder::new(&literal_parameters(pattern)).case_insensitive(true).build() {
            Ok(glob) => Ok(Some(glob.compile_matcher())),
            Err(error) => {
                diagnostics.push(Diagnostic::error(
                    at,
                    format!("`{pattern}` is not a glob: {}", error.kind()),
                    "write `*` for any text, `?` for one character, `{a,b}` for either",
                ));
                Err(())
            }
        }
    };
    let compiled = match selector {
        ToolSelector::Name(name) => {
            Selector { tool: glob(Some(name)).ok()?, operation: None, tag: None, path: None, method: None }
        }
        ToolSelector::Match(table) => Selector {
            tool: glob(table.tool.as_ref()).ok()?,
            operation: glob(table.operation.as_ref()).ok()?,
            tag: glob(table.tag.as_ref()).ok()?,
            path: glob(table.path.as_ref()).ok()?,
            method: glob(table.method.as_ref()).ok()?,
        },
    };
    let empty = [&compiled.tool, &compiled.operation, &compiled.tag, &compiled.path, &compiled.method]
        .iter()
        .all(|glob| glob.is_none());
    if empty {
        diagnostics.push(Diagnostic::error(
            at,
            "this selector gives no key",
            "give a tool-name glob as a string, or a table with `tool`, `operation`, `tag`, `path` or `method`",
        ));
        return None;
    }
    Some(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_literal_and_alternations_stay() {
        assert_eq!(literal_parameters("/patients/{id}"), "/patients/[{]id[}]");
        assert_eq!(literal_parameters("{GET,POST}"), "{GET,POST}");
        let glob = GlobBuilder::new(&literal_parameters("/patients/{id}/*")).build().expect("glob").compile_matcher();
        assert!(glob.is_match("/patients/{id}/archive") && !glob.is_match("/patients/id/archive"));
    }
}
