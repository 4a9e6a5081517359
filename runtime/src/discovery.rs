//! Discovery mode's three tools: `search_tools` finds the profile's tools for a task,
//! `describe_tool` gives one tool's whole description and input schema, and `call_tool` calls a
//! tool by name, validated and sent exactly as a direct call of the tool.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use super::catalog::{self, Catalog};
use super::descriptor::ToolSpec;

/// The tool that searches.
pub const SEARCH_TOOLS: &str = "search_tools";
/// The tool that describes.
pub const DESCRIBE_TOOL: &str = "describe_tool";
/// The tool that calls.
pub const CALL_TOOL: &str = "call_tool";
/// Search results when the caller gives no limit.
const DEFAULT_LIMIT: u64 = 5;
/// The most search results.
const MAX_LIMIT: u64 = 50;

/// What a call of a discovery tool comes to.
pub enum Discovered {
    /// An answer the discovery tool (named first) gives itself.
    Answer(&'static str, CallToolResult),
    /// A call of the profile's tool `spec` with these arguments.
    Call(&'static ToolSpec, JsonObject),
}

/// The three tools discovery mode lists.
pub fn tools() -> Vec<Tool> {
    vec![search_tools(), describe_tool(), call_tool()]
}

fn tool(name: &'static str, description: &'static str, schema: Value, read_only: bool) -> Tool {
    let schema = match schema {
        Value::Object(schema) => schema,
        _ => Map::new(),
    };
    let annotations = ToolAnnotations::new().read_only(read_only).destructive(!read_only).open_world(!read_only);
    Tool::new(name, description, Arc::new(schema)).with_annotations(annotations)
}

fn search_tools() -> Tool {
    tool(
        SEARCH_TOOLS,
        "Find this server's tools for a task. Describe the task in plain words; returns the best matching tools \
         (name, description, method, path), best first. Then call describe_tool for a tool's arguments and \
         call_tool to run it.",
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "The task, in plain words"},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT, "description": "The most tools to return"}
            },
            "required": ["query"],
            "additionalProperties": false
        }),
        true,
    )
}

/// The `describe_tool` entry, also listed in `all` mode when a listed description was cut.
pub fn describe_tool() -> Tool {
    tool(
        DESCRIBE_TOOL,
        "Describe one of this server's tools: its whole description, its input schema and its annotations.",
        json!({
            "type": "object",
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 128, "description": "The tool's name"}},
            "required": ["name"],
            "additionalProperties": false
        }),
        true,
    )
}

fn call_tool() -> Tool {
    tool(
        CALL_TOOL,
        "Call one of this server's tools by name with its arguments, as describe_tool gives its input schema. \
         The call is checked and sent exactly as the tool itself would be.",
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 128, "description": "The tool's name"},
                "arguments": {"type": "object", "description": "The tool's arguments"}
            },
            "required": ["name"],
            "additionalProperties": false
        }),
        false,
    )
}

/// Handles a call of the discovery tool `name`, or `None` when `name` is not one the catalog offers.
pub fn dispatch(catalog: &Catalog, name: &str, arguments: &JsonObject) -> Option<Discovered> {
    let offered = match name {
        SEARCH_TOOLS | CALL_TOOL => catalog.is_discovery(),
        DESCRIBE_TOOL => catalog.describes(),
        _ => false,
    };
    if !offered {
        return None;
    }
    Some(match name {
        SEARCH_TOOLS => Discovered::Answer(SEARCH_TOOLS, search(catalog, arguments)),
        DESCRIBE_TOOL => Discovered::Answer(DESCRIBE_TOOL, describe(catalog, arguments)),
        _ => match named_tool(catalog, arguments) {
            Err(message) => Discovered::Answer(CALL_TOOL, refused(CALL_TOOL, &message)),
            Ok(spec) => match arguments.get("arguments") {
                None | Some(Value::Null) => Discovered::Call(spec, Map::new()),
                Some(Value::Object(inner)) => Discovered::Call(spec, inner.clone()),
                Some(_) => Discovered::Answer(
                    CALL_TOOL,
                    refused(
                        CALL_TOOL,
                        "`arguments` must be an object of the tool's arguments; describe_tool gives its input schema",
                    ),
                ),
            },
        },
    })
}

fn search(catalog: &Catalog, arguments: &JsonObject) -> CallToolResult {
    if let Some(unknown) = arguments.keys().find(|key| !matches!(key.as_str(), "query" | "limit")) {
        return refused(SEARCH_TOOLS, &format!("`{unknown}` is not an argument; give `query` and optionally `limit`"));
    }
    let Some(query) = arguments.get("query").and_then(Value::as_str).filter(|query| !query.trim().is_empty()) else {
        return refused(SEARCH_TOOLS, "`query` is required: describe the task in a few words");
    };
    let limit = match arguments.get("limit") {
        None | Some(Value::Null) => DEFAULT_LIMIT,
        Some(limit) => match limit.as_u64().filter(|limit| (1..=MAX_LIMIT).contains(limit)) {
            Some(limit) => limit,
            None => return refused(SEARCH_TOOLS, &format!("`limit` must be a whole number from 1 to {MAX_LIMIT}")),
        },
    };
    let query: String = query.chars().take(1_000).collect();
    let found: Vec<Value> = catalog
        .search(&query, usize::try_from(limit).unwrap_or(usize::MAX))
        .into_iter()
        .map(|spec| {
            json!({
                "name": spec.name,
                "description": catalog::short_description(spec),
                "method": spec.method,
                "path": spec.path,
            })
        })
        .collect();
    CallToolResult::structured(json!({ "tools": found }))
}

fn describe(catalog: &Catalog, arguments: &JsonObject) -> CallToolResult {
    if let Some(unknown) = arguments.keys().find(|key| key.as_str() != "name") {
        return refused(DESCRIBE_TOOL, &format!("`{unknown}` is not an argument; give only `name`"));
    }
    let spec = match named_tool(catalog, arguments) {
        Ok(spec) => spec,
        Err(message) => return refused(DESCRIBE_TOOL, &message),
    };
    let schema = match catalog.input_schema(spec) {
        Ok(schema) => schema,
        Err(error) => return refused(DESCRIBE_TOOL, &format!("the tool's schema cannot be read ({error})")),
    };
    CallToolResult::structured(json!({
        "name": spec.name,
        "title": spec.title,
        "description": spec.description,
        "method": spec.method,
        "path": spec.path,
        "inputSchema": schema,
        "annotations": {
            "readOnlyHint": spec.read_only,
            "destructiveHint": spec.destructive,
            "idempotentHint": spec.idempotent,
        },
    }))
}

/// The profile's tool that `arguments.name` names, or what to do instead.
fn named_tool(catalog: &Catalog, arguments: &JsonObject) -> Result<&'static ToolSpec, String> {
    let Some(name) = arguments.get("name").and_then(Value::as_str) else {
        return Err("`name` is required: the name of a tool that search_tools returned".to_string());
    };
    catalog.get(name).ok_or_else(|| {
        let hint = if catalog.is_discovery() { "search_tools finds tools by task" } else { "tools/list names them" };
        let shown: String = name.chars().take(128).collect();
        format!("`{shown}` is not a tool of this server; {hint}")
    })
}

fn refused(tool: &str, message: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!("`{tool}` could not run: {message}."))])
}
