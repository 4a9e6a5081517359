//! The surface an API shows a client that calls its tools: each tool's name, route and arguments
//! with the constraints validation enforces, plus the upstream authentication and base URL.
//!
//! Semantic diffs ([`crate::diff`]) compare two surfaces. A generated crate records its surface in
//! [`FILE_NAME`], one tool per line, so that the next regeneration can say what changed, and so that
//! a review of the regenerated crate shows the change in a few readable lines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ir::{Api, Auth, Tool};

/// The surface's file name in a generated crate.
pub const FILE_NAME: &str = ".mcpgen-surface.jsonl";

/// How deep nested arguments are followed (`body.items[].price.amount` is 4 deep).
const MAX_DEPTH: usize = 6;

/// Schema keywords that bound a value: adding one, or moving it inwards, rejects values accepted before.
pub const BOUNDS: [&str; 8] =
    ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems"];

/// What a client that calls an API's tools depends on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Surface {
    /// The API's version, as its spec gives it.
    pub api_version: String,
    /// The default upstream base URL.
    pub base_url: Option<String>,
    /// How the server authenticates upstream, one line per scheme.
    pub auth: Vec<String>,
    /// The tools, by name.
    pub tools: BTreeMap<String, ToolSurface>,
}

/// One tool's surface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolSurface {
    /// The operation the tool calls: its operationId, or `METHOD /path` without one.
    pub operation: String,
    /// `METHOD /path` upstream.
    pub route: String,
    /// Its arguments, by path: `patient_id`, `body.items[].name`.
    pub arguments: BTreeMap<String, Argument>,
}

/// One argument, with what validation checks about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Argument {
    /// The JSON type, `string`, `integer|null`, `array`, `object`, `any`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether a call must give it (when its parent is given).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The `format`, such as `date-time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The `pattern` a string must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The allowed values, as JSON text (stored apart: see [`Surface::render`]).
    #[serde(skip)]
    pub enum_values: Option<Vec<String>>,
    /// Bounds such as `maxLength`, by keyword.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bounds: BTreeMap<String, f64>,
}

/// One line of the surface file: the API line first, then one per tool. Enum value lists are
/// stored once, in the API line, and named by their index: a large API repeats a few long ones.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Line {
    Tool {
        tool: String,
        operation: String,
        route: String,
        arguments: BTreeMap<String, StoredArgument>,
    },
    Api {
        #[serde(default)]
        generated: String,
        api_version: String,
        base_url: Option<String>,
        auth: Vec<String>,
        enums: Vec<Vec<String>>,
    },
}

/// An argument as the file stores it: its enum by index into the API line's list.
#[derive(Serialize, Deserialize)]
struct StoredArgument {
    #[serde(flatten)]
    argument: Argument,
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    enum_index: Option<usize>,
}

/// The most bytes of one surface file; a larger surface goes on in `.mcpgen-surface.2.jsonl`, ...
const MAX_PART_BYTES: usize = 900_000;

impl Surface {
    /// The surface of a lowered API: every tool it generates, whatever the profile.
    pub fn of(api: &Api) -> Self {
        Self {
            api_version: api.api_version.clone(),
            base_url: api.default_base_url.clone(),
            auth: api.auth.iter().map(describe_auth).collect(),
            tools: api.tools().map(|tool| (tool.name.clone(), ToolSurface::of(tool))).collect(),
        }
    }

    /// The surface as its files hold it, by file name: one JSON object per line, in parts of at
    /// most [`MAX_PART_BYTES`] (one tool's line may pass it alone). The first line says how it was
    /// made: `header`, the `@generated` line of the crate.
    pub fn render(&self, header: &str) -> Vec<(String, String)> {
        let mut enums: Vec<Vec<String>> = Vec::new();
        let mut tool_lines = Vec::new();
        for (name, tool) in &self.tools {
            let arguments = tool
                .arguments
                .iter()
                .map(|(path, argument)| {
                    let enum_index = argument.enum_values.as_ref().map(|values| {
                        enums.iter().position(|known| known == values).unwrap_or_else(|| {
                            enums.push(values.clone());
                            enums.len() - 1
                        })
                    });
                    let argument = Argument { enum_values: None, ..argument.clone() };
                    (path.clone(), StoredArgument { argument, enum_index })
                })
                .collect();
            let line = Line::Tool {
                tool: name.clone(),
                operation: tool.operation.clone(),
                route: tool.route.clone(),
                arguments,
            };
            tool_lines.push(json_line(&line));
        }
        let api = Line::Api {
            generated: header.to_string(),
            api_version: self.api_version.clone(),
            base_url: self.base_url.clone(),
            auth: self.auth.clone(),
            enums,
        };
        let mut parts = vec![json_line(&api)];
        for line in tool_lines {
            match parts.last_mut() {
                Some(part) if part.len() + line.len() <= MAX_PART_BYTES => part.push_str(&line),
                _ => parts.push(line),
            }
        }
        parts.into_iter().enumerate().map(|(index, text)| (part_name(index), text)).collect()
    }

    /// Reads a surface from its files' text, in order.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut surface = Surface::default();
        let mut enums = Vec::new();
        for (number, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
            match serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1))? {
                Line::Api { api_version, base_url, auth, enums: listed, .. } => {
                    surface.api_version = api_version;
                    surface.base_url = base_url;
                    surface.auth = auth;
                    enums = listed;
                }
                Line::Tool { tool, operation, route, arguments } => {
                    let mut resolved = BTreeMap::new();
                    for (path, StoredArgument { mut argument, enum_index }) in arguments {
                        if let Some(index) = enum_index {
                            let values =
                                enums.get(index).ok_or_else(|| format!("line {}: no enum {index}", number + 1))?;
                            argument.enum_values = Some(values.clone());
                        }
                        resolved.insert(path, argument);
                    }
                    surface.tools.insert(tool, ToolSurface { operation, route, arguments: resolved });
                }
            }
        }
        Ok(surface)
    }
}

/// The file name of the surface's part `index` (from 0).
pub fn part_name(index: usize) -> String {
    match index {
        0 => FILE_NAME.to_string(),
        _ => format!(".mcpgen-surface.{}.jsonl", index + 1),
    }
}

fn json_line(line: &Line) -> String {
    // Maps of strings, numbers and booleans always serialize.
    let mut text = serde_json::to_string(line).unwrap_or_default();
    text.push('\n');
    text
}

impl ToolSurface {
    fn of(tool: &Tool) -> Self {
        let route = format!("{} {}", tool.method.as_str(), tool.path);
        let mut arguments = BTreeMap::new();
        flatten(&tool.input_schema, "", 0, &mut arguments);
        Self { operation: tool.operation_id.clone().unwrap_or_else(|| route.clone()), route, arguments }
    }
}

/// Adds the properties of an object schema to `out`, under `prefix`, and their own properties.
fn flatten(schema: &Value, prefix: &str, depth: usize, out: &mut BTreeMap<String, Argument>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    let required: Vec<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    for (name, property) in properties {
        let path = format!("{prefix}{name}");
        let (kind, constrained) = kind_of(property);
        out.insert(path.clone(), argument(kind, required.contains(&name.as_str()), constrained));
        if depth + 1 >= MAX_DEPTH {
            continue;
        }
        flatten(constrained, &format!("{path}."), depth + 1, out);
        if let Some(items) = constrained.get("items") {
            let (item_kind, item) = kind_of(items);
            if item.get("properties").is_some() {
                flatten(item, &format!("{path}[]."), depth + 1, out);
            } else if item_kind != "any" {
                out.insert(format!("{path}[]"), argument(item_kind, true, item));
            }
        }
    }
}

fn argument(kind: String, required: bool, schema: &Value) -> Argument {
    let text = |key: &str| schema.get(key).and_then(Value::as_str).map(str::to_string);
    Argument {
        kind,
        required,
        format: text("format"),
        pattern: text("pattern"),
        enum_values: schema
            .get("enum")
            .and_then(Value::as_array)
            .map(|values| values.iter().map(Value::to_string).collect()),
        bounds: BOUNDS.iter().filter_map(|key| Some((key.to_string(), schema.get(*key)?.as_f64()?))).collect(),
    }
}

/// The type of a schema, `string` or `integer|null`, and the schema that carries its constraints:
/// the one non-null branch of an `anyOf` with `null`.
fn kind_of(schema: &Value) -> (String, &Value) {
    if let Some(kind) = schema.get("type") {
        let kind = match kind {
            Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("|"),
            kind => kind.as_str().unwrap_or("any").to_string(),
        };
        return (kind, schema);
    }
    let Some(branches) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) else {
        return (if schema.get("enum").is_some() { "enum" } else { "any" }.to_string(), schema);
    };
    let is_null = |branch: &&Value| branch.get("type").and_then(Value::as_str) == Some("null");
    let values: Vec<&Value> = branches.iter().filter(|branch| !is_null(branch)).collect();
    let nullable = values.len() < branches.len();
    match values.as_slice() {
        [only] => {
            let (kind, constrained) = kind_of(only);
            (if nullable { format!("{kind}|null") } else { kind }, constrained)
        }
        _ => {
            let mut kinds: Vec<String> = values.iter().map(|branch| kind_of(branch).0).collect();
            kinds.dedup();
            if nullable {
                kinds.push("null".into());
            }
            (kinds.join("|"), schema)
        }
    }
}

/// One line about an authentication scheme: what the upstream receives, and from which variables.
fn describe_auth(auth: &Auth) -> String {
    match auth {
        Auth::Basic { username_var, password_var } => {
            format!(
                "HTTP Basic from {username_var}{}",
                password_var.as_ref().map(|var| format!(" and {var}")).unwrap_or_default()
            )
        }
        Auth::Bearer { token_var } => format!("bearer token from {token_var}"),
        Auth::ApiKey { location, name, var } => format!("API key in {} `{name}` from {var}", location.label()),
        Auth::OAuth2ClientCredentials { client_id_var, client_secret_var, default_token_url, .. } => format!(
            "OAuth2 client credentials from {client_id_var} and {client_secret_var}, token URL {}",
            default_token_url.as_deref().unwrap_or("(configured)")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_arguments_are_flattened_with_their_constraints() {
        let schema = json!({"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string", "pattern": "^[0-9]+$"},
            "note": {"anyOf": [{"type": "string", "maxLength": 10}, {"type": "null"}]},
            "items": {"type": "array", "items": {"type": "object", "required": ["sku"], "properties": {
                "sku": {"type": "string", "enum": ["a", "b"]}}}},
            "tags": {"type": "array", "items": {"type": "string", "format": "uuid"}}
        }});
        let mut out = BTreeMap::new();
        flatten(&schema, "", 0, &mut out);
        assert!(out["id"].required && out["id"].pattern.as_deref() == Some("^[0-9]+$"));
        assert_eq!(out["note"].kind, "string|null");
        assert_eq!(out["note"].bounds["maxLength"], 10.0);
        assert_eq!(out["items[].sku"].enum_values, Some(vec!["\"a\"".to_string(), "\"b\"".to_string()]));
        assert!(out["items[].sku"].required && !out["items"].required);
        assert_eq!(out["tags[]"].format.as_deref(), Some("uuid"));
    }

    #[test]
    fn the_file_reads_back_as_written() {
        let mut surface =
            Surface { api_version: "1.2".into(), base_url: Some("https://x".into()), ..Surface::default() };
        let argument = Argument {
            kind: "integer".into(),
            required: true,
            enum_values: Some(vec!["1".into(), "2".into()]),
            bounds: [("maximum".to_string(), 2.0)].into(),
            ..Argument::default()
        };
        let tool = ToolSurface {
            operation: "getX".into(),
            route: "GET /x".into(),
            arguments: [("n".to_string(), argument)].into(),
        };
        surface.tools.insert("get_x".into(), tool);
        let parts = surface.render("@generated by mcpgen");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].0, FILE_NAME);
        assert_eq!(parts[0].1.lines().count(), 2);
        assert_eq!(Surface::parse(&parts[0].1), Ok(surface));
    }
}
