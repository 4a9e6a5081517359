//! The intermediate representation: every decision about an API, as plain data.
//!
//! Lowering builds it from the spec and the settings; emitters read only this, never the spec.

use serde::Serialize;
use serde_json::Value;

/// One API, ready to be emitted as an MCP server crate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Api {
    /// Short name (`cliniko`).
    pub name: String,
    /// Crate and binary name (`cliniko-mcp`).
    pub crate_name: String,
    /// Human-readable title.
    pub title: String,
    /// The spec's description, cleaned.
    pub description: Option<String>,
    /// The spec's `info.version`.
    pub api_version: String,
    /// The mcpgen version that generated the crate.
    pub generator_version: String,
    /// Prefix of the server's environment variables (`CLINIKO`).
    pub env_prefix: String,
    /// The spec's server URL, when it is absolute; otherwise `PREFIX_BASE_URL` is required.
    pub default_base_url: Option<String>,
    /// Credentials the server sends upstream, all of them on every request.
    pub auth: Vec<Auth>,
    /// Parameters supplied by configuration rather than by the tool's caller.
    pub injected: Vec<InjectedParam>,
    /// Environment variables that give tool parameters their defaults.
    pub default_vars: Vec<String>,
    /// Client-side rate limit: requests per second and burst.
    pub rate_limit: (f64, u32),
    /// GET cache time to live in seconds (0 = off).
    pub cache_ttl_seconds: u64,
    /// The `User-Agent` sent upstream, when settings give one.
    pub user_agent: Option<String>,
    /// A base URL chosen by a credential's suffix.
    pub shard: Option<Shard>,
    /// MCP prompts from the settings.
    pub prompts: Vec<Prompt>,
    /// Named tool subsets, by name.
    pub profiles: Vec<Profile>,
    /// The profile served when `MCP_PROFILE` is unset (`all`: every tool).
    pub default_profile: String,
    /// The tools, in modules.
    pub groups: Vec<ToolGroup>,
}

impl Api {
    /// Every tool, in emission order.
    pub fn tools(&self) -> impl Iterator<Item = &Tool> {
        self.groups.iter().flat_map(|group| &group.tools)
    }
}

/// How the server authenticates to the upstream API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Auth {
    /// HTTP Basic.
    Basic {
        /// Variable holding the user name.
        username_var: String,
        /// Variable holding the password; `None` sends an empty password.
        password_var: Option<String>,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// Variable holding the token.
        token_var: String,
    },
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        /// Where the key goes.
        location: Location,
        /// The header, parameter or cookie name.
        name: String,
        /// Variable holding the key.
        var: String,
    },
    /// OAuth2 client credentials; the access token is sent as a bearer token.
    OAuth2ClientCredentials {
        /// Variable holding the client id.
        client_id_var: String,
        /// Variable holding the client secret.
        client_secret_var: String,
        /// Variable holding the token URL.
        token_url_var: String,
        /// Token URL from the spec: absolute, or a path under the base URL.
        default_token_url: Option<String>,
        /// Variable holding the requested scope.
        scope_var: String,
    },
}

/// An MCP prompt: a template with `{argument}` placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    /// Prompt name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its arguments.
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
    /// The text, with `{name}` where each argument goes.
    pub template: String,
}

/// One argument of a prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptArgument {
    /// Argument name.
    pub name: String,
    /// What to give.
    pub description: String,
    /// Whether it must be given.
    #[serde(default)]
    pub required: bool,
}

/// A base URL chosen from the suffix of a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// The variable holding the credential.
    pub credential_var: String,
    /// The base URL with `{shard}`.
    pub template: String,
    /// The shard of a credential without a suffix.
    pub default: String,
}

/// A parameter whose value comes from an environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectedParam {
    /// Name on the wire (`x-hotelid`).
    pub wire_name: String,
    /// Where it goes.
    pub location: Location,
    /// The variable (`OPERA_HOTEL_ID`).
    pub env_var: String,
    /// Whether some operation requires it (then the server refuses to start without it).
    pub required: bool,
    /// The pattern the spec gives the value, checked at start-up.
    pub pattern: Option<String>,
}

/// A named subset of the tools, chosen at start with `MCP_PROFILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Profile name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its tools, by name in the profile.
    pub tools: Vec<ProfileTool>,
}

/// A tool of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileTool {
    /// The tool's name.
    pub tool: String,
    /// Its name in the profile (the same unless renamed).
    pub name: String,
}

/// The tools of one tag, emitted as one module.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolGroup {
    /// Module name (`patients`).
    pub module: String,
    /// The tag it comes from.
    pub tag: String,
    /// The tools, by name.
    pub tools: Vec<Tool>,
}

/// One MCP tool: one upstream operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tool {
    /// Tool name: `[a-z0-9_]{1,64}`, unique.
    pub name: String,
    /// Short title from the summary.
    pub title: Option<String>,
    /// Description for the model.
    pub description: String,
    /// The operationId, when the spec has one.
    pub operation_id: Option<String>,
    /// HTTP method.
    pub method: Method,
    /// Path template as the spec writes it (`/patients/{id}`).
    pub path: String,
    /// JSON pointer of the operation in the spec.
    pub pointer: String,
    /// Name of the Rust arguments struct.
    pub args_type: String,
    /// MCP annotations.
    pub annotations: Annotations,
    /// The path, split into literal text and parameters.
    pub path_parts: Vec<PathPart>,
    /// Every input field, in input-schema order.
    pub fields: Vec<Field>,
    /// Values the request always carries, hidden from the tool (a required header with a default,
    /// such as Cal.com's `cal-api-version`).
    pub constants: Vec<Constant>,
    /// The request body, when there is one.
    pub body: Option<Body>,
    /// The portable JSON Schema of the tool's input, as `tools/list` shows it.
    pub input_schema: Value,
    /// The same schema with the markers the server's validator reads (`nullable`, `readOnly`
    /// properties, `x-id`).
    pub validation_schema: Value,
    /// Whether the operation is deprecated.
    pub deprecated: bool,
    /// The header carrying an idempotency key, when the operation takes one: such calls are
    /// retried with the same key.
    pub idempotency_key: Option<String>,
    /// Whether successful responses may be served from the GET cache.
    pub cacheable: bool,
    /// Inputs that default to an environment variable: (input name, variable).
    pub defaults: Vec<(String, String)>,
}

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// HEAD
    Head,
    /// PATCH
    Patch,
    /// TRACE
    Trace,
}

impl Method {
    /// The method in upper case (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }

    /// Whether repeating the request has the same effect as sending it once.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    /// Whether the request only reads.
    pub fn is_read_only(self) -> bool {
        matches!(self, Method::Get | Method::Head | Method::Options | Method::Trace)
    }
}

/// MCP tool annotations (hints for clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Annotations {
    /// The tool does not change anything.
    pub read_only: bool,
    /// The tool may delete or overwrite.
    pub destructive: bool,
    /// Calling twice equals calling once.
    pub idempotent: bool,
}

/// A piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PathPart {
    /// Literal text, sent as written.
    Literal(String),
    /// A path parameter: the Rust name of its field; percent-encoded as one segment.
    Param(String),
}

/// Where a value goes in the upstream request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// A path segment.
    Path,
    /// The query string.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
    /// The request body.
    Body,
}

impl Location {
    /// How documentation names a value in this location.
    pub fn label(self) -> &'static str {
        match self {
            Location::Path => "Path parameter",
            Location::Query => "Query parameter",
            Location::Header => "Header",
            Location::Cookie => "Cookie",
            Location::Body => "Body field",
        }
    }

    /// The prefix a clashing input name gets (`query_id`).
    pub fn prefix(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::Body => "body",
        }
    }
}

/// One input field of a tool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// Property name in the tool's input.
    pub input_name: String,
    /// Name on the wire.
    pub wire_name: String,
    /// Rust field name.
    pub rust_name: String,
    /// Where the value goes.
    pub location: Location,
    /// Whether the caller must give it.
    pub required: bool,
    /// Whether an explicit `null` is sent as such (a JSON body field the API lets callers clear);
    /// a field left out is not sent at all.
    pub nullable: bool,
    /// The Rust type of the value.
    pub ty: FieldType,
    /// Sent when the caller gives nothing (a required parameter with a default).
    pub default: Option<Value>,
    /// For arrays in the query: repeat the parameter (`true`) or join with commas (`false`).
    pub explode: bool,
    /// For a field of a form body: how its value is spelled (the body's `encoding`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form_style: Option<FormStyle>,
    /// Description, cleaned.
    pub description: Option<String>,
}

/// How a form body field's value is spelled (OpenAPI `encoding` `style` and `explode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormStyle {
    /// Lists repeat the name; an object's properties are fields of their own.
    Form,
    /// Lists and objects joined with commas (`style: form, explode: false`).
    FormJoined,
    /// Lists joined with spaces.
    SpaceDelimited,
    /// Lists joined with `|`.
    PipeDelimited,
    /// Brackets at every level: `metadata[order_id]=6735`, `expand[]=customer`.
    DeepObject,
}

/// A parameter sent with a fixed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Constant {
    /// Name on the wire.
    pub wire_name: String,
    /// Where it goes (header, query or cookie).
    pub location: Location,
    /// The value sent.
    pub value: String,
}

/// The Rust type of a field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// `String`
    String,
    /// `i64`
    Integer,
    /// `f64`
    Number,
    /// `bool`
    Boolean,
    /// `Vec<T>`
    Array(Box<FieldType>),
    /// Any JSON (objects, unions), sent as JSON.
    Json,
    /// A file: base64 content or a URL, with a file name and media type.
    File,
}

/// The request body of a tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Body {
    /// How it is encoded.
    pub media: BodyMedia,
    /// The content type header sent.
    pub content_type: String,
    /// Whether the body's properties are tool fields, or the whole body is one field.
    pub shape: BodyShape,
    /// For an XML body of fields: the root element's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml_root: Option<String>,
}

/// Body encodings the generated server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyMedia {
    /// JSON, and JSON-like media types (`application/*+json`, JSON Patch, Merge Patch).
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`: fields as parts, files with their names and media types.
    Multipart,
    /// XML, written from the same fields.
    Xml,
    /// Text sent as it is (`text/plain`, CSV, YAML).
    Text,
    /// Bytes: a file's content (`application/octet-stream`, images, documents).
    Binary,
}

impl BodyMedia {
    /// How a body of `media_type` is sent; `None` when it names no media type.
    pub fn of(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or(media_type).trim().to_ascii_lowercase();
        let (kind, subtype) = essence.split_once('/').unwrap_or((essence.as_str(), ""));
        Some(match (kind, subtype) {
            ("", _) => return None,
            ("*", "*") => BodyMedia::Json,
            (_, subtype) if subtype.contains("x-www-form-urlencoded") => BodyMedia::Form,
            ("multipart", _) | ("application", "form-data") => BodyMedia::Multipart,
            (_, "json" | "json-patch+json" | "merge-patch+json") => BodyMedia::Json,
            (_, subtype) if subtype.ends_with("+json") => BodyMedia::Json,
            (_, "xml") => BodyMedia::Xml,
            (_, subtype) if subtype.ends_with("+xml") => BodyMedia::Xml,
            ("text", _) | (_, "x-yaml" | "yaml" | "jwt" | "text" | "x-ndjson" | "ndjson" | "csv") => BodyMedia::Text,
            // A misspelt JSON type (`applicationjson;version=2`) is still JSON.
            (kind, "") if kind.contains("json") => BodyMedia::Json,
            _ => BodyMedia::Binary,
        })
    }
}

/// How body fields map to the tool's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "field", rename_all = "snake_case")]
pub enum BodyShape {
    /// Each body property is a tool field (location [`Location::Body`]).
    Properties,
    /// The whole body is the one field with this Rust name.
    Whole(String),
}
