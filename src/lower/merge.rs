//! One API from several spec files (OPERA publishes one per module): the lowered parts merged into
//! one server, paths under each file's own base path, tool-name clashes settled by spec order.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::Diagnostic;
use crate::ir::{Api, Auth, InjectedParam, PathPart, ToolGroup};
use crate::naming::{self, Scope};

use super::RESERVED_MODULES;

/// One lowered spec file of a multi-spec API.
pub struct Part {
    /// The API its spec gives.
    pub api: Api,
    /// The file's name, for messages and clash prefixes.
    pub file: String,
    /// Its first server URL as written (absolute, or a path such as `/rsv/v1`).
    pub server: Option<String>,
}

/// Merges `parts` (at least one) into one API. Each diagnostic comes with the index of the part
/// whose document locates it.
pub fn merge(mut parts: Vec<Part>) -> (Api, Vec<(usize, Diagnostic)>) {
    let mut diagnostics = Vec::new();
    if parts.len() == 1 {
        return (parts.remove(0).api, diagnostics);
    }
    let bases: Vec<(Option<String>, String)> = parts.iter().map(|part| split_server(part.server.as_deref())).collect();
    let origins: BTreeSet<&Option<String>> = bases.iter().map(|(origin, _)| origin).collect();
    if origins.len() > 1 {
        let shown: Vec<String> =
            origins.iter().map(|origin| origin.as_deref().unwrap_or("(relative)").to_string()).collect();
        diagnostics.push((
            0,
            Diagnostic::error(
                "#/servers",
                format!("the spec files of this API are served from different hosts: {}", shown.join(", ")),
                "give each host its own API in mcpgen.toml, or set the same server in every file",
            ),
        ));
    }
    let same_base = bases.iter().all(|base| base == &bases[0]);
    // The tools move into the merged groups below; the rest of the first part is the base.
    let groups: Vec<Vec<ToolGroup>> = parts.iter_mut().map(|part| std::mem::take(&mut part.api.groups)).collect();
    let mut merged = parts[0].api.clone();
    merged.default_base_url = if same_base { parts[0].api.default_base_url.clone() } else { bases[0].0.clone() };
    let mut by_tag: BTreeMap<String, Vec<crate::ir::Tool>> = BTreeMap::new();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    merged.auth = merged_auth(&mut parts, &bases, same_base);
    for (index, ((part, (_, base)), groups)) in parts.iter_mut().zip(&bases).zip(groups).enumerate() {
        merge_injected(&mut merged.injected, &part.api.injected);
        for var in &part.api.default_vars {
            if !merged.default_vars.contains(var) {
                merged.default_vars.push(var.clone());
            }
        }
        let stem =
            naming::snake_ident(part.file.rsplit('/').next().unwrap_or(&part.file).split('.').next().unwrap_or("spec"));
        for group in groups {
            for mut tool in group.tools {
                if !same_base && !base.is_empty() {
                    prefix_path(&mut tool, base);
                }
                if let Some(first) = taken.get(&tool.name) {
                    let mut renamed = naming::with_suffix(&stem, &tool.name);
                    let mut n = 2;
                    while taken.contains_key(&renamed) {
                        renamed = naming::with_suffix(&format!("{stem}_{}", tool.name), &n.to_string());
                        n += 1;
                    }
                    diagnostics.push((
                        index,
                        Diagnostic::warning(
                            tool.pointer.clone(),
                            format!(
                                "tool `{}` of {} is named `{renamed}`: {first} has a tool of that name",
                                tool.name, part.file
                            ),
                            "name it in mcpgen.toml `tool_names` by operationId to choose another name",
                        ),
                    ));
                    tool.name = renamed;
                }
                taken.insert(tool.name.clone(), part.file.clone());
                by_tag.entry(group.tag.clone()).or_default().push(tool);
            }
        }
    }
    merged.default_vars.sort();
    let mut modules = Scope::with_reserved(RESERVED_MODULES);
    let mut types = Scope::default();
    merged.groups = by_tag
        .into_iter()
        .map(|(tag, mut tools)| {
            tools.sort_by(|a, b| a.name.cmp(&b.name));
            for tool in &mut tools {
                tool.args_type = types.allocate(&format!("{}Args", naming::camel_ident(&tool.name)));
            }
            ToolGroup { module: modules.allocate(&naming::module_ident(&tag)), tag, tools }
        })
        .collect();
    merged.groups.sort_by(|a, b| a.module.cmp(&b.module));
    (merged, diagnostics)
}

/// The credentials of the whole API: the OAuth2 client credentials of the file that has the token
/// operation (its token path under that file's base path) when there is one, since they stand for
/// the `Authorization` header the other files declare; else every part's, once each.
fn merged_auth(parts: &mut [Part], bases: &[(Option<String>, String)], same_base: bool) -> Vec<Auth> {
    let oauth2 = |auth: &Auth| matches!(auth, Auth::OAuth2ClientCredentials { .. });
    let any_oauth2 = parts.iter().any(|part| part.api.auth.iter().any(oauth2));
    let mut merged: Vec<Auth> = Vec::new();
    for (part, (_, base)) in parts.iter_mut().zip(bases) {
        for auth in &mut part.api.auth {
            if let Auth::OAuth2ClientCredentials { default_token_url: Some(url), .. } = auth
                && url.starts_with('/')
                && !same_base
            {
                url.insert_str(0, base);
            }
            if (!any_oauth2 || oauth2(auth)) && !merged.contains(auth) {
                merged.push(auth.clone());
            }
        }
    }
    merged
}

/// A server URL split into its origin (`https://host`, absent when relative) and its path
/// without a trailing slash.
fn split_server(server: Option<&str>) -> (Option<String>, String) {
    let server = server.unwrap_or("").trim_end_matches('/');
    match server.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').map_or((rest, ""), |(host, path)| (host, path));
            let path = if path.is_empty() { String::new() } else { format!("/{path}") };
            (Some(format!("{scheme}://{host}")), path)
        }
        None if server.is_empty() => (None, String::new()),
        None => (None, if server.starts_with('/') { server.to_string() } else { format!("/{server}") }),
    }
}

/// Puts `base` before the tool's path.
fn prefix_path(tool: &mut crate::ir::Tool, base: &str) {
    tool.path = format!("{base}{}", tool.path);
    match tool.path_parts.first_mut() {
        Some(PathPart::Literal(first)) => first.insert_str(0, base),
        _ => tool.path_parts.insert(0, PathPart::Literal(base.to_string())),
    }
}

/// Adds `more` to `injected`: one parameter per wire name and location, required when any
/// part requires it.
fn merge_injected(injected: &mut Vec<InjectedParam>, more: &[InjectedParam]) {
    for param in more {
        let same = |known: &&mut InjectedParam| {
            known.wire_name.eq_ignore_ascii_case(&param.wire_name) && known.location == param.location
        };
        match injected.iter_mut().find(|known| same(known)) {
            Some(known) => known.required |= param.required,
            None => injected.push(param.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_split_into_origin_and_base_path() {
        assert_eq!(
            split_server(Some("https://api.example.com/rsv/v1/")),
            (Some("https://api.example.com".into()), "/rsv/v1".into())
        );
        assert_eq!(
            split_server(Some("https://api.example.com")),
            (Some("https://api.example.com".into()), String::new())
        );
        assert_eq!(split_server(Some("/fof/v1")), (None, "/fof/v1".into()));
        assert_eq!(split_server(None), (None, String::new()));
    }
}
