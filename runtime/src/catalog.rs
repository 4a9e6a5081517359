//! The tools a client sees: the profile chosen at start (`MCP_PROFILE`), listed whole in pages
//! (`MCP_TOOLS_MODE=all`) or behind the three tools of [`discovery`](super::discovery)
//! (`discovery`); `auto`, the default, chooses discovery when the whole list would pass a budget
//! of tools or bytes.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use rmcp::ErrorData;
use rmcp::model::{ListToolsResult, Tool, ToolAnnotations};
use serde_json::Value;

use super::config::{ConfigProblem, Reader};
use super::descriptor::{ApiDescriptor, ToolSpec};
use super::discovery;
use super::search::{self, SearchIndex, ToolText};
use super::shared::SharedSchemas;
use super::validate;

/// The profile that holds every tool; there is always one.
pub const ALL_PROFILE: &str = "all";
/// Default most tools `auto` lists before it switches to discovery.
const MAX_TOOLS: u64 = 50;
/// Default most bytes of `tools/list` `auto` lists before it switches to discovery.
const MAX_LIST_BYTES: u64 = 30_000;
/// Default most bytes of one `tools/list` page.
const PAGE_BYTES: u64 = 64 * 1024;
/// Default most characters of a listed description; `describe_tool` gives the whole text.
const DESCRIPTION_CHARS: u64 = 1_024;
/// The most characters of a description in search results.
const SEARCH_DESCRIPTION_CHARS: usize = 200;

/// How the tools are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolsMode {
    /// Every tool of the profile in `tools/list`.
    All,
    /// `search_tools`, `describe_tool` and `call_tool` only.
    Discovery,
    /// Discovery when the whole list would pass the budget, else all.
    Auto,
}

/// What `MCP_PROFILE`, `MCP_TOOLS_MODE` and the budgets say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogOptions {
    /// The profile (`MCP_PROFILE`; the API's default profile when unset).
    pub profile: String,
    /// The mode (`MCP_TOOLS_MODE`).
    pub mode: ToolsMode,
    /// `auto`'s budget of tools (`MCP_TOOLS_MAX`).
    pub max_tools: usize,
    /// `auto`'s budget of `tools/list` bytes (`MCP_TOOLS_MAX_BYTES`).
    pub max_list_bytes: usize,
    /// The most bytes of one `tools/list` page (`MCP_TOOLS_PAGE_BYTES`).
    pub page_bytes: usize,
    /// The most characters of a listed description (`MCP_TOOL_DESCRIPTION_CHARS`).
    pub description_chars: usize,
}

impl CatalogOptions {
    /// Reads the options from the process environment.
    pub fn from_env(api: &ApiDescriptor) -> Result<Self, Vec<ConfigProblem>> {
        Self::from_lookup(api, |name| std::env::var(name).ok())
    }

    /// Reads the options through `lookup`, naming every bad one.
    pub fn from_lookup(
        api: &ApiDescriptor,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<ConfigProblem>> {
        let mut reader = Reader::new(lookup);
        let profile = reader.optional("MCP_PROFILE").unwrap_or_else(|| api.default_profile.to_string());
        if profile != ALL_PROFILE && !api.profiles.iter().any(|known| known.name == profile) {
            let known: Vec<&str> =
                std::iter::once(ALL_PROFILE).chain(api.profiles.iter().map(|known| known.name)).collect();
            reader.problem(
                "MCP_PROFILE",
                format!("`{profile}` is not a profile of this server; it has {}", known.join(", ")),
            );
        }
        let mode = match reader.optional("MCP_TOOLS_MODE").map(|mode| mode.to_ascii_lowercase()).as_deref() {
            None | Some("auto") => ToolsMode::Auto,
            Some("all") => ToolsMode::All,
            Some("discovery") => ToolsMode::Discovery,
            Some(other) => {
                reader.problem("MCP_TOOLS_MODE", format!("`{other}` is not all, discovery or auto"));
                ToolsMode::Auto
            }
        };
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let options = Self {
            profile,
            mode,
            max_tools: size(reader.number("MCP_TOOLS_MAX", MAX_TOOLS, 1..=1_000_000)),
            max_list_bytes: size(reader.number("MCP_TOOLS_MAX_BYTES", MAX_LIST_BYTES, 1_000..=1 << 30)),
            page_bytes: size(reader.number("MCP_TOOLS_PAGE_BYTES", PAGE_BYTES, 4_096..=1 << 30)),
            description_chars: size(reader.number("MCP_TOOL_DESCRIPTION_CHARS", DESCRIPTION_CHARS, 80..=1_000_000)),
        };
        let problems = reader.into_problems();
        if problems.is_empty() { Ok(options) } else { Err(problems) }
    }
}

/// One tool of the profile.
struct Entry {
    spec: &'static ToolSpec,
    tags: &'static [&'static str],
    validator: OnceLock<Result<Arc<validate::Schema>, String>>,
}

/// The profile's tools and how they are listed.
pub struct Catalog {
    profile: String,
    discovery: bool,
    /// The profile's tools, sorted by name.
    entries: Vec<Entry>,
    /// What `tools/list` answers, page by page.
    pages: Vec<Vec<Tool>>,
    /// Whether `describe_tool` is offered (always in discovery; in `all` when a description was cut).
    describes: bool,
    index: OnceLock<SearchIndex>,
    shared: SharedSchemas,
}

impl Catalog {
    /// The catalog of `options.profile` over the crate's tool table.
    pub fn new(
        api: &'static ApiDescriptor,
        tools: &'static [&'static [ToolSpec]],
        options: &CatalogOptions,
    ) -> Result<Self, String> {
        let table: BTreeMap<&str, (&'static ToolSpec, &'static [&'static str])> =
            tools.iter().flat_map(|group| group.iter()).map(|spec| (spec.name, (spec, spec.tags))).collect();
        let mut entries = Vec::new();
        if options.profile == ALL_PROFILE {
            entries.extend(table.values().map(|&(spec, tags)| Entry { spec, tags, validator: OnceLock::new() }));
        } else {
            let profile = api
                .profiles
                .iter()
                .find(|profile| profile.name == options.profile)
                .ok_or_else(|| format!("`{}` is not a profile of this server", options.profile))?;
            for &(tool, name) in profile.tools {
                let &(spec, tags) =
                    table.get(tool).ok_or_else(|| format!("profile `{}` names no tool `{tool}`", profile.name))?;
                entries.push(Entry { spec: renamed(spec, name), tags, validator: OnceLock::new() });
            }
        }
        entries.sort_by_key(|entry| entry.spec.name);
        if let Some(pair) = entries.windows(2).find(|pair| pair[0].spec.name == pair[1].spec.name) {
            return Err(format!("two tools are named `{}`", pair[0].spec.name));
        }
        let discovery = match options.mode {
            ToolsMode::All => false,
            ToolsMode::Discovery => true,
            ToolsMode::Auto => entries.len() > options.max_tools,
        };
        let mut catalog = Self {
            profile: options.profile.clone(),
            discovery,
            entries,
            pages: Vec::new(),
            describes: discovery,
            index: OnceLock::new(),
            shared: SharedSchemas::new(api.shared_schemas),
        };
        if !discovery {
            let (listed, cut) = catalog.listing(options.description_chars)?;
            let bytes: usize = listed.iter().map(|(_, size)| size).sum();
            if options.mode == ToolsMode::Auto && bytes > options.max_list_bytes {
                catalog.discovery = true;
                catalog.describes = true;
            } else {
                catalog.describes = cut;
                catalog.pages = paginate(listed, cut, options.page_bytes);
            }
        }
        if catalog.discovery {
            catalog.pages = vec![discovery::tools()];
        }
        Ok(catalog)
    }

    /// Every tool of the profile as listed, with its size in bytes, and whether a description was cut.
    fn listing(&self, description_chars: usize) -> Result<(Vec<(Tool, usize)>, bool), String> {
        let mut cut = false;
        let listed = self
            .entries
            .iter()
            .map(|entry| {
                let (description, shortened) = shorten(entry.spec.description, description_chars);
                cut |= shortened;
                let tool = listed_tool(entry.spec, &description, self.input_schema(entry.spec)?)?;
                let size = serde_json::to_vec(&tool).map_or(0, |json| json.len());
                Ok((tool, size))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok((listed, cut))
    }

    /// Every tool of the profile as `tools/list` shows it, with the whole description.
    pub fn tools(&self) -> Result<Vec<Tool>, String> {
        self.entries
            .iter()
            .map(|entry| listed_tool(entry.spec, entry.spec.description, self.input_schema(entry.spec)?))
            .collect()
    }

    /// The names of the profile's tools, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|entry| entry.spec.name).collect()
    }

    /// A tool's input schema as clients see it, its shared parts expanded.
    pub fn input_schema(&self, spec: &ToolSpec) -> Result<Value, String> {
        self.shared.expand(spec.input_schema).map_err(|error| format!("tool `{}`: {error}", spec.name))
    }

    /// The profile's name.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// Whether the tools are offered through discovery.
    pub fn is_discovery(&self) -> bool {
        self.discovery
    }

    /// Whether `describe_tool` is offered.
    pub fn describes(&self) -> bool {
        self.describes
    }

    /// The number of tools in the profile.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the profile has no tool.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The profile's tool called `name`.
    pub fn get(&self, name: &str) -> Option<&'static ToolSpec> {
        self.position(name).map(|index| self.entries[index].spec)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.entries.binary_search_by(|entry| entry.spec.name.cmp(name)).ok()
    }

    /// The validator of the tool called `name`, compiled on first use (a server with a thousand
    /// tools starts without compiling a thousand schemas).
    pub fn validator(&self, name: &str) -> Result<Arc<validate::Schema>, String> {
        let entry = self.position(name).map(|index| &self.entries[index]).ok_or_else(|| format!("no tool `{name}`"))?;
        entry
            .validator
            .get_or_init(|| {
                let schema = self.shared.expand(entry.spec.validation)?;
                validate::Schema::from_value(&schema).map(Arc::new)
            })
            .clone()
            .map_err(|error| format!("tool `{name}`: {error}"))
    }

    /// One page of `tools/list`: `cursor` is the `nextCursor` of the page before, absent for the first.
    pub fn page(&self, cursor: Option<&str>) -> Result<ListToolsResult, ErrorData> {
        let index = match cursor {
            None => 0,
            Some(cursor) => cursor
                .strip_prefix("page-")
                .and_then(|number| number.parse::<usize>().ok())
                .filter(|index| (1..self.pages.len()).contains(index))
                .ok_or_else(|| {
                    ErrorData::invalid_params(
                        format!("`{cursor}` is not a cursor of this server's tool list; list again without one"),
                        None,
                    )
                })?,
        };
        let mut result = ListToolsResult::with_all_items(self.pages.get(index).cloned().unwrap_or_default());
        if index + 1 < self.pages.len() {
            result.next_cursor = Some(format!("page-{}", index + 1));
        }
        Ok(result)
    }

    /// The listed form of a tool that `tools/list` offers, by name.
    pub fn listed(&self, name: &str) -> Option<Tool> {
        self.pages.iter().flatten().find(|tool| tool.name == name).cloned()
    }

    /// The profile's tools that best match `query`, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&'static ToolSpec> {
        let index = self.index.get_or_init(|| {
            let fields: Vec<String> = self
                .entries
                .iter()
                .map(|entry| {
                    self.input_schema(entry.spec).map(|schema| search::input_words(&schema)).unwrap_or_default()
                })
                .collect();
            SearchIndex::new(self.entries.iter().zip(&fields).map(|(entry, fields)| ToolText {
                name: entry.spec.name,
                title: entry.spec.title,
                description: entry.spec.description,
                tags: entry.tags,
                method: entry.spec.method,
                path: entry.spec.path,
                fields,
            }))
        });
        index
            .search(query, limit)
            .into_iter()
            .filter_map(|position| self.entries.get(position))
            .map(|e| e.spec)
            .collect()
    }
}

/// A search result's short description.
pub fn short_description(spec: &ToolSpec) -> String {
    shorten(spec.description, SEARCH_DESCRIPTION_CHARS).0
}

/// `spec` under `name`: itself when the name is its own, else a copy made once at start and kept
/// for the life of the process (a profile's renames are few and fixed).
fn renamed(spec: &'static ToolSpec, name: &'static str) -> &'static ToolSpec {
    if spec.name == name { spec } else { Box::leak(Box::new(ToolSpec { name, ..*spec })) }
}

/// Pages of at most `page_bytes` (at least one tool each); `describe_tool` joins the last page
/// when a description was cut.
fn paginate(listed: Vec<(Tool, usize)>, describes: bool, page_bytes: usize) -> Vec<Vec<Tool>> {
    let mut pages = vec![Vec::new()];
    let mut bytes = 0;
    for (tool, size) in listed {
        if bytes + size > page_bytes && pages.last().is_some_and(|page| !page.is_empty()) {
            pages.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(page) = pages.last_mut() {
            page.push(tool);
        }
    }
    if describes && let Some(page) = pages.last_mut() {
        page.push(discovery::describe_tool());
    }
    pages
}

/// `text` cut to at most `max` characters at a sentence or word end, marked as cut; and whether it was.
fn shorten(text: &str, max: usize) -> (String, bool) {
    if text.chars().count() <= max {
        return (text.to_string(), false);
    }
    const MARK: &str = " […]";
    let budget = max.saturating_sub(MARK.chars().count()).max(1);
    let end = text.char_indices().nth(budget).map_or(text.len(), |(at, _)| at);
    let head = &text[..end];
    let sentence = head.rfind(". ").filter(|at| *at >= end / 2).map(|at| at + 1);
    let word = head.rfind(char::is_whitespace).filter(|at| *at >= end / 2);
    let cut = sentence.or(word).unwrap_or(end);
    (format!("{}{MARK}", head[..cut].trim_end()), true)
}

/// The `tools/list` entry of a tool, with `description` and its expanded input `schema`.
pub fn listed_tool(spec: &ToolSpec, description: &str, schema: Value) -> Result<Tool, String> {
    let Value::Object(schema) = schema else {
        return Err(format!("tool `{}` has an input schema that is not an object", spec.name));
    };
    let mut tool = Tool::new(spec.name, description.to_string(), Arc::new(schema));
    // A title that repeats the description tells a client nothing more.
    if let Some(title) = spec.title.filter(|title| *title != description) {
        tool = tool.with_title(title);
    }
    // Hints at their protocol defaults (not read-only, destructive, not idempotent, open world)
    // are left out; the destructive and idempotent hints mean something only for a tool that writes.
    let mut annotations = ToolAnnotations::new();
    if spec.read_only {
        annotations = annotations.read_only(true);
    } else {
        if !spec.destructive {
            annotations = annotations.destructive(false);
        }
        if spec.idempotent {
            annotations = annotations.idempotent(true);
        }
    }
    if annotations != ToolAnnotations::new() {
        tool = tool.with_annotations(annotations);
    }
    Ok(tool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_cut_at_a_sentence_or_word_end() {
        let text = "Lists the patients. Filters by name and date of birth, and pages through results.";
        assert_eq!(shorten(text, 200), (text.to_string(), false));
        assert_eq!(shorten(text, 40).0, "Lists the patients. […]");
        assert_eq!(shorten(text, 70).0, "Lists the patients. Filters by name and date of birth, and pages […]");
        let long_word = "x".repeat(100);
        assert_eq!(shorten(&long_word, 10).0.chars().count(), 10);
        assert!(shorten("ééééééééééé", 5).1, "multi-byte text is cut on a character boundary");
    }
}
