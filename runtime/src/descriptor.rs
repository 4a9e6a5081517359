//! Static descriptions of the API and its tools, written by the generator into `api.rs` and
//! `tools/`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::request::UpstreamRequest;

/// Where a parameter or credential goes in the upstream request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// The query string.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
}

/// How the server authenticates upstream; each names the environment variables it reads.
#[derive(Debug, Clone, Copy)]
pub enum AuthSpec {
    /// HTTP Basic; no password variable means an empty password.
    Basic {
        /// User name variable.
        username_var: &'static str,
        /// Password variable.
        password_var: Option<&'static str>,
    },
    /// `Authorization: Bearer`.
    Bearer {
        /// Token variable.
        token_var: &'static str,
    },
    /// An API key.
    ApiKey {
        /// Where it goes.
        location: ParamLocation,
        /// Header, parameter or cookie name.
        name: &'static str,
        /// Key variable.
        var: &'static str,
    },
    /// OAuth2 client credentials.
    OAuth2ClientCredentials {
        /// Client id variable.
        client_id_var: &'static str,
        /// Client secret variable.
        client_secret_var: &'static str,
        /// Token URL variable.
        token_url_var: &'static str,
        /// Token URL from the spec (absolute, or a path under the base URL).
        default_token_url: Option<&'static str>,
        /// Scope variable.
        scope_var: &'static str,
    },
}

/// A parameter whose value comes from configuration.
#[derive(Debug, Clone, Copy)]
pub struct InjectedSpec {
    /// Wire name.
    pub name: &'static str,
    /// Where it goes.
    pub location: ParamLocation,
    /// The variable that holds it.
    pub env_var: &'static str,
    /// Whether the server refuses to start without it.
    pub required: bool,
    /// The pattern the value must match, checked at start-up.
    pub pattern: Option<&'static str>,
}

/// A base URL chosen from the suffix of a credential (`KEY-au2` selects shard `au2`).
#[derive(Debug, Clone, Copy)]
pub struct ShardSpec {
    /// The variable holding the credential.
    pub credential_var: &'static str,
    /// The base URL, with `{shard}` where the shard goes.
    pub template: &'static str,
    /// The shard of a credential without a suffix.
    pub default: &'static str,
}

/// The API this server fronts.
#[derive(Debug)]
pub struct ApiDescriptor {
    /// Crate and binary name.
    pub crate_name: &'static str,
    /// Human-readable title.
    pub title: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// Environment-variable prefix.
    pub env_prefix: &'static str,
    /// The spec's absolute server URL, if any.
    pub default_base_url: Option<&'static str>,
    /// Credentials sent on every request.
    pub auth: &'static [AuthSpec],
    /// Parameters supplied by configuration.
    pub injected: &'static [InjectedSpec],
    /// Variables that give tool parameters their defaults.
    pub default_vars: &'static [&'static str],
    /// Default client-side rate limit (requests per second; 0 = none).
    pub rate_limit_rps: f64,
    /// Default burst of the rate limit.
    pub rate_limit_burst: u32,
    /// Default GET cache time to live in seconds (0 = off).
    pub cache_ttl_seconds: u64,
    /// Default `User-Agent`.
    pub user_agent: Option<&'static str>,
    /// A base URL chosen by a credential's suffix.
    pub shard: Option<ShardSpec>,
    /// Prompts the server offers.
    pub prompts: &'static [PromptSpec],
    /// Named subsets of the tools; `MCP_PROFILE` picks one at start.
    pub profiles: &'static [ProfileSpec],
    /// The profile served when `MCP_PROFILE` is unset (`all`: every tool).
    pub default_profile: &'static str,
    /// The schema text the tools share, in parts (see [`super::shared`]).
    pub shared_schemas: &'static [&'static [&'static str]],
}

/// A named subset of the tools, some perhaps under other names.
#[derive(Debug, Clone, Copy)]
pub struct ProfileSpec {
    /// Profile name.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Its tools: (tool name, name in this profile).
    pub tools: &'static [(&'static str, &'static str)],
}

/// An MCP prompt: a template with `{argument}` placeholders.
#[derive(Debug, Clone, Copy)]
pub struct PromptSpec {
    /// Prompt name.
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Arguments: (name, description, required).
    pub arguments: &'static [(&'static str, &'static str, bool)],
    /// The text, with `{name}` where each argument goes.
    pub template: &'static str,
}

/// One tool: what `tools/list` shows and how a call becomes an upstream request.
pub struct ToolSpec {
    /// Tool name.
    pub name: &'static str,
    /// Short title.
    pub title: Option<&'static str>,
    /// Description for the model.
    pub description: &'static str,
    /// Input JSON Schema, as JSON text, as `tools/list` shows it once its shared parts are expanded.
    pub input_schema: &'static str,
    /// The same schema with the validator's markers, as JSON text with shared parts.
    pub validation: &'static str,
    /// HTTP method, for logs.
    pub method: &'static str,
    /// Path template, for logs and errors.
    pub path: &'static str,
    /// Tags of the operation, for search.
    pub tags: &'static [&'static str],
    /// Read-only hint.
    pub read_only: bool,
    /// Destructive hint.
    pub destructive: bool,
    /// Idempotent hint.
    pub idempotent: bool,
    /// The header carrying an idempotency key, when the operation takes one.
    pub idempotency_key: Option<&'static str>,
    /// Whether successful responses may come from the GET cache.
    pub cacheable: bool,
    /// Inputs that default to a configured value: (input name, variable).
    pub defaults: &'static [(&'static str, &'static str)],
    /// Parses the arguments and builds the request.
    pub build: fn(Map<String, Value>) -> Result<UpstreamRequest, String>,
}

impl ToolSpec {
    /// Whether sending the tool's request twice has the effect of sending it once, by its HTTP
    /// method (GET, HEAD, OPTIONS, PUT, DELETE). This, not the `idempotent` hint a client sees,
    /// decides whether the server retries: a settings override of the hint cannot make a POST
    /// retried and book twice.
    pub fn retry_safe(&self) -> bool {
        matches!(self.method, "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE")
    }
}

impl ApiDescriptor {
    /// The environment variables that hold credentials, for messages about refused credentials.
    pub fn credential_vars(&self) -> Vec<&'static str> {
        let mut vars = Vec::new();
        for auth in self.auth {
            match *auth {
                AuthSpec::Basic { username_var, password_var } => {
                    vars.extend([Some(username_var), password_var].into_iter().flatten())
                }
                AuthSpec::Bearer { token_var } => vars.push(token_var),
                AuthSpec::ApiKey { var, .. } => vars.push(var),
                AuthSpec::OAuth2ClientCredentials { client_id_var, client_secret_var, .. } => {
                    vars.extend([client_id_var, client_secret_var])
                }
            }
        }
        vars
    }
}

/// A tool's typed, strict arguments.
pub trait ToolArgs: DeserializeOwned {
    /// The upstream request these arguments make.
    fn to_request(&self) -> UpstreamRequest;
}

/// Deserializes a field that may be left out (`None`), given as `null` (`Some(None)`) or given a
/// value, for `#[serde(default, deserialize_with = "present")]`: serde alone reads both of the first
/// two as `None`, and a field could not be cleared.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Parses `arguments` into `T` and builds its request; a parse failure is a message for the model.
pub fn build<T: ToolArgs>(arguments: Map<String, Value>) -> Result<UpstreamRequest, String> {
    serde_json::from_value::<T>(Value::Object(arguments)).map(|args| args.to_request()).map_err(|error| {
        format!("Invalid arguments: {error}. Fix the call to match the tool's input schema and try again.")
    })
}
