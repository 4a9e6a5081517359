//! `mcpgen.toml` and the per-API [`Settings`] that steer lowering.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::naming;

/// The project file that lists the APIs and their settings; diagnostics about settings name it.
pub const CONFIG_FILE: &str = "mcpgen.toml";

/// The default depth to which `$ref`s are inlined into a tool's input schema.
pub const DEFAULT_MAX_SCHEMA_DEPTH: usize = 4;

/// The default most bytes of one tool's input schema (about 16,000 tokens): past it, `$ref`s are
/// inlined less deep.
pub const DEFAULT_MAX_INPUT_SCHEMA_BYTES: usize = 64 * 1024;

/// The settings of one API: everything lowering needs beyond the spec itself.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Settings {
    /// Short name of the API (`cliniko`); the crate is `<name>-mcp`.
    pub name: String,
    /// Prefix of every environment variable of the server (`CLINIKO`).
    pub env_prefix: String,
    /// Human-readable title; the spec's `info.title` when absent.
    pub title: Option<String>,
    /// operationIds (or `METHOD /path`) that get no tool.
    pub exclude: BTreeSet<String>,
    /// Tool-name overrides by operationId.
    pub tool_names: BTreeMap<String, String>,
    /// Annotation overrides by tool name (or operationId): hints a client shows or acts on.
    pub annotations: BTreeMap<String, AnnotationSettings>,
    /// Environment-variable names for credentials, by role (`username`, `password`, `token`,
    /// `api_key`, `client_id`, `client_secret`, `token_url`, `scope`). An empty name means the
    /// credential is not used (Cliniko's empty Basic password).
    pub credential_env: BTreeMap<String, String>,
    /// Parameters supplied by configuration, by wire name (case-insensitive), with the
    /// environment variable that holds the value. They are hidden from the tool and injected.
    pub inject: BTreeMap<String, String>,
    /// The operationId of the spec's OAuth2 token operation: the server uses it for the client
    /// credentials flow and it becomes no tool.
    pub oauth2_token_operation: Option<String>,
    /// How deep `$ref`s are inlined into input schemas before the rest is cut to a plain object.
    pub max_schema_depth: usize,
    /// The most bytes of one tool's input schema: a larger one is inlined less deep, with a warning.
    pub max_input_schema_bytes: usize,
    /// Names of integer fields that are IDs (`id`, `*_id`, `patient`): the tool takes them as strings
    /// of digits, which survive above 2^53, and the server sends them as numbers.
    pub id_fields: Vec<String>,
    /// Client-side rate limit toward the API: requests per second and burst.
    pub rate_limit: RateLimitSettings,
    /// GET tools whose responses may be cached, and for how long (0 = off).
    pub cache: CacheSettings,
    /// Parameters that take a default from an environment variable when the caller gives none,
    /// by wire name: they become optional in the tool.
    pub defaults: BTreeMap<String, String>,
    /// The header that carries an idempotency key (a key is made per tool call and reused across
    /// retries, so POSTs that carry it are retried safely).
    pub idempotency_key_header: String,
    /// The `User-Agent` sent upstream (`Vendor (email)`); `PREFIX_USER_AGENT` overrides it.
    pub user_agent: Option<String>,
    /// A base URL chosen by a credential's suffix (Cliniko's `-au2` shards).
    pub shard: Option<ShardSettings>,
    /// MCP prompts the server offers.
    pub prompts: Vec<crate::ir::Prompt>,
    /// Named tool subsets, by profile name.
    pub profiles: BTreeMap<String, ProfileSettings>,
    /// The profile served when `MCP_PROFILE` is unset; every tool when `None`.
    pub default_profile: Option<String>,
    /// The generator version written into `@generated` headers (fixed in tests).
    pub generator_version: String,
}

/// Overrides of a tool's annotations; what is not given keeps the default the method implies
/// (GET read-only; PUT and DELETE destructive and idempotent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotationSettings {
    /// The tool changes nothing.
    pub read_only: Option<bool>,
    /// The tool may delete or overwrite data.
    pub destructive: Option<bool>,
    /// Calling twice has the effect of calling once.
    pub idempotent: Option<bool>,
}

/// Client-side rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Sustained requests per second.
    pub rps: f64,
    /// Requests allowed at once before the rate applies.
    pub burst: u32,
}

/// Optional GET cache.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Time to live in seconds (0 = off); `PREFIX_CACHE_TTL_S` overrides it.
    #[serde(default)]
    pub ttl_seconds: u64,
    /// Tool names whose GET responses may be cached.
    #[serde(default)]
    pub tools: BTreeSet<String>,
}

/// A named subset of an API's tools (`[apis.NAME.profiles.PROFILE]`): what `include` selects
/// (every tool when it is empty) less what `exclude` selects, some perhaps renamed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    /// What the profile is for.
    #[serde(default)]
    pub description: String,
    /// Selectors of the tools in the profile.
    #[serde(default)]
    pub include: Vec<ToolSelector>,
    /// Selectors of tools left out.
    #[serde(default)]
    pub exclude: Vec<ToolSelector>,
    /// Names in this profile, by tool name.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
}

/// Selects tools: a glob on the tool name (`"list_*"`), or a table of globs that must all match.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ToolSelector {
    /// Tools whose name matches the glob.
    Name(String),
    /// Tools that match every given key.
    Match(SelectorTable),
}

/// The keys of a selector table; each is a case-insensitive glob (`*`, `?`, `[abc]`, `{a,b}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorTable {
    /// The tool name.
    pub tool: Option<String>,
    /// The operationId.
    pub operation: Option<String>,
    /// The operation's tag.
    pub tag: Option<String>,
    /// The path template (`/patients/*`; `*` also matches `/`).
    pub path: Option<String>,
    /// The HTTP method (`GET`, `{PUT,PATCH}`).
    pub method: Option<String>,
}

/// A base URL chosen from the suffix of a credential (`KEY-au2` -> `https://api.au2.example.com`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardSettings {
    /// The environment variable holding the credential.
    pub credential: String,
    /// The base URL, with `{shard}` where the suffix goes.
    pub template: String,
    /// The shard of a credential without a suffix.
    pub default: String,
}

impl Settings {
    /// Settings with defaults for an API called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            env_prefix: naming::env_prefix(&name),
            name,
            title: None,
            exclude: BTreeSet::new(),
            tool_names: BTreeMap::new(),
            annotations: BTreeMap::new(),
            credential_env: BTreeMap::new(),
            inject: BTreeMap::new(),
            oauth2_token_operation: None,
            max_schema_depth: DEFAULT_MAX_SCHEMA_DEPTH,
            max_input_schema_bytes: DEFAULT_MAX_INPUT_SCHEMA_BYTES,
            id_fields: Vec::new(),
            rate_limit: RateLimitSettings { rps: 10.0, burst: 20 },
            cache: CacheSettings::default(),
            defaults: BTreeMap::new(),
            idempotency_key_header: "Idempotency-Key".to_string(),
            user_agent: None,
            shard: None,
            prompts: Vec::new(),
            profiles: BTreeMap::new(),
            default_profile: None,
            generator_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Sets the environment-variable prefix.
    pub fn with_env_prefix(&mut self, prefix: impl Into<String>) -> &mut Self {
        self.env_prefix = prefix.into();
        self
    }

    /// Sets the title.
    pub fn with_title(&mut self, title: impl Into<String>) -> &mut Self {
        self.title = Some(title.into());
        self
    }

    /// Excludes an operation (by operationId or `METHOD /path`).
    pub fn with_excluded(&mut self, operation: impl Into<String>) -> &mut Self {
        self.exclude.insert(operation.into());
        self
    }

    /// Names the environment variable of a credential role.
    pub fn with_credential_env(&mut self, role: impl Into<String>, var: impl Into<String>) -> &mut Self {
        self.credential_env.insert(role.into(), var.into());
        self
    }

    /// Injects a parameter from an environment variable.
    pub fn with_injected(&mut self, parameter: impl Into<String>, var: impl Into<String>) -> &mut Self {
        self.inject.insert(parameter.into(), var.into());
        self
    }

    /// Uses the operation with this operationId as the OAuth2 token endpoint.
    pub fn with_oauth2_token_operation(&mut self, operation_id: impl Into<String>) -> &mut Self {
        self.oauth2_token_operation = Some(operation_id.into());
        self
    }

    /// Sets the generator version written into headers.
    pub fn with_generator_version(&mut self, version: impl Into<String>) -> &mut Self {
        self.generator_version = version.into();
        self
    }

    /// The environment variable for a credential role: the settings' name or `PREFIX_ROLE`.
    /// `None` when the settings switch the credential off.
    pub fn credential_var(&self, role: &str) -> Option<String> {
        match self.credential_env.get(role) {
            Some(var) if var.is_empty() => None,
            Some(var) => Some(var.clone()),
            None => Some(format!("{}_{}", self.env_prefix, role.to_uppercase())),
        }
    }

    /// The environment variable that gives parameter `wire_name` a default, if settings name one.
    pub fn default_var(&self, wire_name: &str) -> Option<&str> {
        self.defaults.iter().find(|(name, _)| name.eq_ignore_ascii_case(wire_name)).map(|(_, var)| var.as_str())
    }

    /// The environment variable that supplies parameter `wire_name`, if settings inject it.
    pub fn injected_var(&self, wire_name: &str) -> Option<&str> {
        self.inject.iter().find(|(name, _)| name.eq_ignore_ascii_case(wire_name)).map(|(_, var)| var.as_str())
    }
}

/// One spec, or several that make one API (`spec = ["rsv.json", "fof.json"]`): each a file, or an
/// `https://` URL that `mcpgen update` fetches into `specs/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SpecFiles {
    /// One file.
    One(PathBuf),
    /// Several, merged in this order.
    Many(Vec<PathBuf>),
}

impl SpecFiles {
    /// The files, in order.
    pub fn files(&self) -> &[PathBuf] {
        match self {
            SpecFiles::One(file) => std::slice::from_ref(file),
            SpecFiles::Many(files) => files,
        }
    }
}

/// One API as `mcpgen.toml` lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiEntry {
    /// The spec file or files, relative to `mcpgen.toml`.
    pub spec: SpecFiles,
    /// The output folder, relative to `mcpgen.toml`.
    pub out: PathBuf,
    /// Environment-variable prefix (default: the API name in upper case).
    pub env_prefix: Option<String>,
    /// Title override.
    pub title: Option<String>,
    /// Operations to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Tool-name overrides by operationId.
    #[serde(default)]
    pub tool_names: BTreeMap<String, String>,
    /// Annotation overrides by tool name or operationId.
    #[serde(default)]
    pub annotations: BTreeMap<String, AnnotationSettings>,
    /// Credential environment-variable names by role.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    /// Injected parameters: wire name -> environment variable.
    #[serde(default)]
    pub inject: BTreeMap<String, String>,
    /// OAuth2 client-credentials token operation.
    pub oauth2_token_operation: Option<String>,
    /// Input-schema inlining depth.
    pub max_schema_depth: Option<usize>,
    /// The most bytes of one tool's input schema.
    pub max_input_schema_bytes: Option<usize>,
    /// Integer fields that are IDs (exact names, `*suffix` or `prefix*`).
    #[serde(default)]
    pub id_fields: Vec<String>,
    /// Client-side rate limit.
    pub rate_limit: Option<RateLimitSettings>,
    /// GET cache.
    #[serde(default)]
    pub cache: CacheSettings,
    /// Parameter defaults from environment variables, by wire name.
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    /// The idempotency-key header name.
    pub idempotency_key_header: Option<String>,
    /// The `User-Agent` sent upstream.
    pub user_agent: Option<String>,
    /// A base URL chosen by a credential's suffix.
    pub shard: Option<ShardSettings>,
    /// MCP prompts.
    #[serde(default)]
    pub prompts: Vec<crate::ir::Prompt>,
    /// Named tool subsets.
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileSettings>,
    /// The profile served when `MCP_PROFILE` is unset (default: every tool).
    pub default_profile: Option<String>,
}

/// The whole `mcpgen.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// The APIs, by name.
    pub apis: BTreeMap<String, ApiEntry>,
}

/// Where one spec of an API comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecSource {
    /// A file of the project.
    File(PathBuf),
    /// A URL; `generate` and `check` read the copy `mcpgen update` stored, never the network.
    Url {
        /// The URL, as `mcpgen.toml` gives it.
        url: String,
        /// Where the fetched copy is kept: `specs/<api>/<name>` beside `mcpgen.toml`.
        stored: PathBuf,
    },
    /// A URL given on the command line, fetched for this run only.
    Fetched {
        /// The URL.
        url: String,
        /// What it answered.
        text: String,
    },
}

impl SpecSource {
    /// The file generation reads (for a spec fetched for this run, its URL).
    pub fn path(&self) -> &Path {
        match self {
            SpecSource::File(path) | SpecSource::Url { stored: path, .. } => path,
            SpecSource::Fetched { url, .. } => Path::new(url),
        }
    }

    /// The URL, for a spec fetched from one.
    pub fn url(&self) -> Option<&str> {
        match self {
            SpecSource::File(_) => None,
            SpecSource::Url { url, .. } | SpecSource::Fetched { url, .. } => Some(url),
        }
    }
}

/// Whether a spec given in `mcpgen.toml` or on the command line names a URL rather than a file.
pub fn is_url(spec: &str) -> bool {
    let lower = spec.get(..8).unwrap_or(spec).to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// The file name a fetched spec is stored under: the URL's last path segment, reduced to
/// `[A-Za-z0-9._-]`, prefixed with its position when `taken` has it already.
fn stored_name(url: &str, index: usize, taken: &[String]) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    let after_scheme = without_query.split_once("://").map_or(without_query, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map_or("", |(_, path)| path);
    let segment = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let mut name: String =
        segment.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    if name.trim_matches('.').is_empty() {
        name = "openapi.json".into();
    }
    if taken.contains(&name) { format!("{}-{name}", index + 1) } else { name }
}

/// One API ready to generate: where its specs are, where it goes, and its settings.
#[derive(Debug, Clone)]
pub struct ApiJob {
    /// The specs, merged in this order (usually one).
    pub specs: Vec<SpecSource>,
    /// The output folder.
    pub out: PathBuf,
    /// Lowering settings.
    pub settings: Settings,
}

impl ProjectConfig {
    /// Parses `mcpgen.toml` text.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The generation jobs, with paths resolved against `root` (the folder of `mcpgen.toml`).
    pub fn jobs(&self, root: &Path) -> Vec<ApiJob> {
        self.apis
            .iter()
            .map(|(name, entry)| {
                let mut settings = Settings::new(name);
                if let Some(prefix) = &entry.env_prefix {
                    settings.with_env_prefix(prefix);
                }
                if let Some(title) = &entry.title {
                    settings.with_title(title);
                }
                for operation in &entry.exclude {
                    settings.with_excluded(operation);
                }
                for (role, var) in &entry.credentials {
                    settings.with_credential_env(role, var);
                }
                for (parameter, var) in &entry.inject {
                    settings.with_injected(parameter, var);
                }
                if let Some(operation) = &entry.oauth2_token_operation {
                    settings.with_oauth2_token_operation(operation);
                }
                settings.tool_names = entry.tool_names.clone();
                settings.annotations = entry.annotations.clone();
                settings.max_schema_depth = entry.max_schema_depth.unwrap_or(DEFAULT_MAX_SCHEMA_DEPTH);
                settings.max_input_schema_bytes =
                    entry.max_input_schema_bytes.unwrap_or(DEFAULT_MAX_INPUT_SCHEMA_BYTES);
                settings.id_fields.clone_from(&entry.id_fields);
                if let Some(rate_limit) = entry.rate_limit {
                    settings.rate_limit = rate_limit;
                }
                settings.cache = entry.cache.clone();
                settings.defaults = entry.defaults.clone();
                if let Some(header) = &entry.idempotency_key_header {
                    settings.idempotency_key_header.clone_from(header);
                }
                settings.user_agent.clone_from(&entry.user_agent);
                settings.shard.clone_from(&entry.shard);
                settings.prompts.clone_from(&entry.prompts);
                settings.profiles.clone_from(&entry.profiles);
                settings.default_profile.clone_from(&entry.default_profile);
                let mut taken = Vec::new();
                let specs = entry
                    .spec
                    .files()
                    .iter()
                    .enumerate()
                    .map(|(index, file)| match file.to_str().filter(|spec| is_url(spec)) {
                        Some(url) => {
                            let file_name = stored_name(url, index, &taken);
                            let stored = root.join("specs").join(name).join(&file_name);
                            taken.push(file_name);
                            SpecSource::Url { url: url.to_string(), stored }
                        }
                        None => SpecSource::File(root.join(file)),
                    })
                    .collect();
                ApiJob { specs, out: root.join(&entry.out), settings }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_config_resolves_jobs() {
        let config = ProjectConfig::parse(
            r#"
            [apis.cliniko]
            spec = "specs/cliniko.yaml"
            out = "generated/cliniko-mcp"
            credentials = { username = "CLINIKO_API_KEY", password = "" }
            inject = { "x-app-key" = "X_KEY" }
            "#,
        )
        .unwrap();
        let jobs = config.jobs(Path::new("/repo"));
        assert_eq!(jobs[0].specs, [SpecSource::File("/repo/specs/cliniko.yaml".into())]);
        let settings = &jobs[0].settings;
        assert_eq!(settings.env_prefix, "CLINIKO");
        assert_eq!(settings.credential_var("username").as_deref(), Some("CLINIKO_API_KEY"));
        assert_eq!(settings.credential_var("password"), None);
        assert_eq!(settings.credential_var("token").as_deref(), Some("CLINIKO_TOKEN"));
        assert_eq!(settings.injected_var("X-App-Key"), Some("X_KEY"));
    }

    #[test]
    fn url_specs_are_stored_under_the_api_name() {
        let config = ProjectConfig::parse(
            r#"
            [apis.opera]
            spec = ["https://h/rsv/openapi.json?v=2", "https://h/fof/openapi.json", "HTTP://127.0.0.1:8/", "local.yaml"]
            out = "generated/opera-mcp"
            "#,
        )
        .unwrap();
        let specs = &config.jobs(Path::new("/repo"))[0].specs;
        let stored: Vec<&Path> = specs.iter().map(SpecSource::path).collect();
        assert_eq!(
            stored,
            [
                Path::new("/repo/specs/opera/openapi.json"),
                Path::new("/repo/specs/opera/2-openapi.json"),
                Path::new("/repo/specs/opera/3-openapi.json"),
                Path::new("/repo/local.yaml"),
            ]
        );
        assert_eq!(specs[0].url(), Some("https://h/rsv/openapi.json?v=2"));
        assert_eq!(specs[3].url(), None);
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(ProjectConfig::parse("[apis.x]\nspec='a'\nout='b'\nsurprise=1").is_err());
    }
}
