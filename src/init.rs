//! The commented `mcpgen.toml` table `mcpgen init` writes for a spec: its name, output folder and
//! environment prefix, the credential variables its security schemes need, and commented examples
//! of the settings a user reaches for first, filled in from the spec's own tools.

use std::fmt::Write as _;

use crate::ir::{Api, Auth};
use crate::listing;

/// The header of a new `mcpgen.toml`.
pub const FILE_HEADER: &str = "# The MCP servers mcpgen generates: one [apis.NAME] table per server crate.\n# `mcpgen generate` (re)writes them; `mcpgen check` fails when they drift from the specs.\n";

/// The `[apis.NAME]` table for `api`, lowered from `spec` (a path relative to `mcpgen.toml`, or a URL).
pub fn api_table(spec: &str, api: &Api) -> String {
    let name = &api.name;
    let quoted = |text: &str| toml::Value::String(text.to_string()).to_string();
    let tools: Vec<_> = api.tools().collect();
    let mut table = String::new();
    let bare = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare { name.clone() } else { quoted(name) };
    let _ = writeln!(table, "\n[apis.{key}]");
    let where_from = if crate::settings::is_url(spec) {
        "fetched by `mcpgen update`, which records it in mcpgen.lock"
    } else {
        "relative to this file; or an https:// URL that `mcpgen update` fetches"
    };
    let _ = writeln!(table, "spec = {}   # {where_from}", quoted(spec));
    let _ = writeln!(
        table,
        "out = {}   # the crate folder; crate and binary `{}`",
        quoted(&format!("generated/{}", api.crate_name)),
        api.crate_name
    );
    let _ =
        writeln!(table, "env_prefix = {}   # prefix of the server's environment variables", quoted(&api.env_prefix));
    credentials(&mut table, api);
    let _ = writeln!(table, "\n# {} tools. Leave some out, rename them, or override their hints:", tools.len());
    let example = tools.iter().find(|tool| tool.annotations.destructive).or(tools.first());
    let operation = example.map_or_else(
        || "operationId".to_string(),
        |tool| tool.operation_id.clone().unwrap_or_else(|| format!("{} {}", tool.method.as_str(), tool.path)),
    );
    let tool_name = example.map_or("tool_name", |tool| tool.name.as_str());
    let _ = writeln!(table, "# exclude = [{}]   # operationIds, or \"METHOD /path\"", quoted(&operation));
    let _ = writeln!(table, "# tool_names = {{ {} = \"new_name\" }}", quoted(&operation));
    let _ = writeln!(table, "# annotations = {{ {tool_name} = {{ destructive = true }} }}");
    profile(&mut table, &key, api, &tools);
    table
}

/// A name for the API of a spec titled `title`: its words in snake case, without `API`, `REST`,
/// versions and the like; `fallback` when nothing is left.
pub fn name_from_title(title: &str, fallback: &str) -> String {
    const NOISE: [&str; 8] = ["api", "apis", "openapi", "rest", "the", "spec", "specification", "service"];
    // A domain in a title is one word: `Cal.com` is `calcom`.
    let chars: Vec<char> = title.chars().collect();
    let joined: String = chars
        .iter()
        .enumerate()
        .filter(|(at, c)| {
            **c != '.'
                || !(chars.get(at.wrapping_sub(1)).is_some_and(|c| c.is_alphabetic())
                    && chars.get(at + 1).is_some_and(|c| c.is_alphabetic()))
        })
        .map(|(_, c)| *c)
        .collect();
    let snake = heck::ToSnakeCase::to_snake_case(joined.as_str());
    let words: Vec<&str> = snake
        .split('_')
        .filter(|word| !word.is_empty() && word.is_ascii() && !NOISE.contains(word))
        .filter(|word| !(word.starts_with('v') && word[1..].chars().all(|c| c.is_ascii_digit())))
        .filter(|word| !word.chars().all(|c| c.is_ascii_digit()))
        .take(3)
        .collect();
    let name: String = words.join("_").chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if name.is_empty() { fallback.to_string() } else { name }
}

/// Which variables the server reads its upstream credentials from, and how to rename them.
fn credentials(table: &mut String, api: &Api) {
    if api.auth.is_empty() {
        let _ = writeln!(table, "\n# The spec declares no authentication; the server sends none.");
        return;
    }
    let _ = writeln!(table, "\n# The server authenticates upstream as the spec's security schemes say, from:");
    let mut roles = Vec::new();
    for auth in &api.auth {
        let (line, auth_roles): (String, &[(&str, &str)]) = match auth {
            Auth::Basic { username_var, password_var } => (
                format!(
                    "{username_var}{}: HTTP Basic",
                    password_var.as_ref().map(|var| format!(", {var}")).unwrap_or_default()
                ),
                &[("username", "_USER"), ("password", "_PASSWORD")],
            ),
            Auth::Bearer { token_var } => (format!("{token_var}: bearer token"), &[("token", "_TOKEN")]),
            Auth::ApiKey { location, name, var } => {
                (format!("{var}: API key in {} `{name}`", location.label()), &[("api_key", "_KEY")])
            }
            Auth::OAuth2ClientCredentials { client_id_var, client_secret_var, token_url_var, .. } => (
                format!(
                    "{client_id_var}, {client_secret_var} (and {token_url_var} to override the token URL): OAuth2 client credentials"
                ),
                &[("client_id", "_CLIENT_ID"), ("client_secret", "_CLIENT_SECRET")],
            ),
        };
        let _ = writeln!(table, "#   {line}");
        roles.extend(auth_roles.iter().map(|(role, suffix)| format!("{role} = \"MY{suffix}\"")));
    }
    let _ = writeln!(table, "# Other variable names, by role (\"\" sends none):");
    let _ = writeln!(table, "# credentials = {{ {} }}", roles.join(", "));
}

/// A commented profile of the first few reading tools, and what `auto` serves without one.
fn profile(table: &mut String, key: &str, api: &Api, tools: &[&crate::ir::Tool]) {
    let all = listing::profiles(api).into_iter().next();
    let served = all.as_ref().map_or("all", |profile| profile.auto_mode());
    let bytes = all.as_ref().map_or(0, |profile| profile.all_bytes);
    let _ = writeln!(
        table,
        "\n# Listed in full, the tools take {bytes} bytes of a model's context, so by default the server serves\n\
         # them {}. A profile serves a chosen few (MCP_PROFILE=NAME, or default_profile):",
        if served == "all" { "all" } else { "through search_tools, describe_tool and call_tool" }
    );
    let picked: Vec<String> = tools
        .iter()
        .filter(|tool| tool.annotations.read_only)
        .take(3)
        .map(|tool| format!("\"{}\"", tool.name))
        .collect();
    let _ = writeln!(table, "# default_profile = \"assistant\"");
    let _ = writeln!(table, "# [apis.{key}.profiles.assistant]");
    let _ = writeln!(table, "# description = \"What an assistant of this API needs.\"");
    let _ = writeln!(
        table,
        "# include = [{}]   # tool names or globs, or {{ tag = \"...\", method = \"GET\" }}",
        picked.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_title_without_noise() {
        assert_eq!(name_from_title("Cal.com API v2", "x"), "calcom");
        assert_eq!(name_from_title("Booking.com Connectivity", "x"), "bookingcom_connectivity");
        assert_eq!(name_from_title("Cliniko REST API", "x"), "cliniko");
        assert_eq!(name_from_title("OPERA Cloud Reservation API 26.1", "x"), "opera_cloud_reservation");
        assert_eq!(name_from_title("API", "petstore"), "petstore");
        assert_eq!(name_from_title("日本語", "fallback"), "fallback");
    }
}
