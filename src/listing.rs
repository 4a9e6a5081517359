//! What a client is shown of a generated server: the `tools/list` entries the runtime builds, and
//! their size per profile and mode, for `mcpgen inspect`.

use serde_json::{Value, json};

use crate::ir::{Api, Tool};

/// The bytes of `tools/list` in discovery mode: the runtime's three discovery tools, whatever
/// the API (`tests/listing.rs` checks this against the runtime).
pub const DISCOVERY_LIST_BYTES: usize = 1_584;

/// The most tools `MCP_TOOLS_MODE=auto` lists whole by default (`MCP_TOOLS_MAX`).
pub const AUTO_MAX_TOOLS: usize = 50;
/// The most `tools/list` bytes `MCP_TOOLS_MODE=auto` lists whole by default (`MCP_TOOLS_MAX_BYTES`).
pub const AUTO_MAX_BYTES: usize = 30_000;

/// The `tools/list` entry of `tool` under `name`, as the runtime lists it (its description uncut):
/// no title that repeats the description, and no hint at its protocol default.
pub fn entry(tool: &Tool, name: &str) -> Value {
    let mut annotations = serde_json::Map::new();
    if tool.annotations.read_only {
        annotations.insert("readOnlyHint".into(), json!(true));
    } else {
        if !tool.annotations.destructive {
            annotations.insert("destructiveHint".into(), json!(false));
        }
        if tool.annotations.idempotent {
            annotations.insert("idempotentHint".into(), json!(true));
        }
    }
    let mut entry = serde_json::Map::new();
    entry.insert("name".into(), json!(name));
    if let Some(title) = tool.title.as_ref().filter(|title| **title != tool.description) {
        entry.insert("title".into(), json!(title));
    }
    entry.insert("description".into(), json!(tool.description));
    entry.insert("inputSchema".into(), tool.input_schema.clone());
    if !annotations.is_empty() {
        entry.insert("annotations".into(), Value::Object(annotations));
    }
    Value::Object(entry)
}

/// One profile as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileListing {
    /// The profile (`all` for every tool).
    pub profile: String,
    /// Its tools.
    pub tools: usize,
    /// The bytes of its whole `tools/list` in `all` mode (descriptions uncut).
    pub all_bytes: usize,
}

impl ProfileListing {
    /// What `MCP_TOOLS_MODE=auto` serves with the default budgets: `all` or `discovery`.
    pub fn auto_mode(&self) -> &'static str {
        if self.tools > AUTO_MAX_TOOLS || self.all_bytes > AUTO_MAX_BYTES { "discovery" } else { "all" }
    }
}

/// Every profile of `api`, `all` first.
pub fn profiles(api: &Api) -> Vec<ProfileListing> {
    let bytes = |entries: Vec<Value>| serde_json::to_vec(&Value::Array(entries)).map_or(0, |json| json.len());
    let every: Vec<Value> = api.tools().map(|tool| entry(tool, &tool.name)).collect();
    let mut listings = vec![ProfileListing { profile: "all".into(), tools: every.len(), all_bytes: bytes(every) }];
    for profile in &api.profiles {
        let entries: Vec<Value> = profile
            .tools
            .iter()
            .filter_map(|member| {
                api.tools().find(|tool| tool.name == member.tool).map(|tool| entry(tool, &member.name))
            })
            .collect();
        listings.push(ProfileListing {
            profile: profile.name.clone(),
            tools: entries.len(),
            all_bytes: bytes(entries),
        });
    }
    listings
}
