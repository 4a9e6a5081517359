//! The crate's non-Rust files, rendered from tera templates. Templates only loop and print:
//! everything they show is prepared here.

use serde::Serialize;
use tera::{Context, Tera};

use crate::emit::header;
use crate::ir::{Api, Auth, FieldType};

/// The templates, by the path of the file each renders.
const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../templates/Cargo.toml.tera")),
    ("README.md", include_str!("../../templates/README.md.tera")),
    (".env.example", include_str!("../../templates/env.example.tera")),
    ("Dockerfile", include_str!("../../templates/Dockerfile.tera")),
    (".dockerignore", include_str!("../../templates/dockerignore.tera")),
    ("docker-compose.yml", include_str!("../../templates/docker-compose.yml.tera")),
    ("deploy/prometheus/prometheus.yml", include_str!("../../templates/deploy/prometheus.yml.tera")),
    ("deploy/prometheus/alerts.yml", include_str!("../../templates/deploy/alerts.yml.tera")),
    ("deploy/prometheus/alerts.test.yml", include_str!("../../templates/deploy/alerts.test.yml.tera")),
    (
        "deploy/grafana/provisioning/datasources/prometheus.yml",
        include_str!("../../templates/deploy/grafana-datasources.yml.tera"),
    ),
    (
        "deploy/grafana/provisioning/dashboards/dashboards.yml",
        include_str!("../../templates/deploy/grafana-dashboards.yml.tera"),
    ),
    ("deploy/k8s/deployment.yaml", include_str!("../../templates/deploy/k8s/deployment.yaml.tera")),
    ("deploy/k8s/service.yaml", include_str!("../../templates/deploy/k8s/service.yaml.tera")),
    ("deploy/k8s/configmap.yaml", include_str!("../../templates/deploy/k8s/configmap.yaml.tera")),
    ("deploy/k8s/secret.example.yaml", include_str!("../../templates/deploy/k8s/secret.example.yaml.tera")),
    ("deploy/k8s/hpa.yaml", include_str!("../../templates/deploy/k8s/hpa.yaml.tera")),
    ("deploy/k8s/pdb.yaml", include_str!("../../templates/deploy/k8s/pdb.yaml.tera")),
    ("deploy/k8s/networkpolicy.yaml", include_str!("../../templates/deploy/k8s/networkpolicy.yaml.tera")),
    ("deploy/k8s/kustomization.yaml", include_str!("../../templates/deploy/k8s/kustomization.yaml.tera")),
];

/// The most tools the README's table lists: a huge API's whole table would pass 1 MB, and the
/// binary's `tools` command lists them all.
const MAX_README_TOOLS: usize = 500;

#[derive(Serialize)]
struct TemplateContext<'a> {
    api: &'a Api,
    header_hash: String,
    header_markdown: String,
    description_toml: String,
    dependencies: String,
    test_dependencies: String,
    env_vars: Vec<EnvVar>,
    tools: Vec<ToolRow>,
    tool_count: usize,
    tools_omitted: usize,
    config_vars: Vec<ConfigVar>,
    secret_vars: Vec<String>,
    claude_desktop_config: String,
    k8s_manifests: Vec<&'static str>,
}

#[derive(Serialize)]
struct ConfigVar {
    name: String,
    yaml_value: String,
}

#[derive(Serialize)]
struct EnvVar {
    name: String,
    required: bool,
    description: String,
    example: String,
}

#[derive(Serialize)]
struct ToolRow {
    name: String,
    method: &'static str,
    path: String,
    summary: String,
}

/// Renders every template: (file name, contents).
pub fn render(api: &Api) -> Result<Vec<(String, String)>, String> {
    let mut tera = Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    tera.add_raw_templates(TEMPLATES.iter().copied()).map_err(|e| format!("template error: {e}"))?;
    let context = TemplateContext {
        api,
        header_hash: format!("# {}", header::text(api)),
        header_markdown: format!("<!-- {} -->", header::text(api)),
        description_toml: toml_string(&format!("MCP server for the {} API", api.title)),
        dependencies: runtime_dependencies(API_DEPENDENCIES)?,
        test_dependencies: runtime_dependencies(TEST_DEPENDENCIES)?,
        env_vars: env_vars(api),
        tools: api
            .tools()
            .take(MAX_README_TOOLS)
            .map(|tool| ToolRow {
                name: tool.name.clone(),
                method: tool.method.as_str(),
                path: tool.path.replace('|', "\\|"),
                summary: table_cell(tool.title.as_deref().unwrap_or(&tool.description)),
            })
            .collect(),
        tool_count: api.tools().count(),
        tools_omitted: api.tools().count().saturating_sub(MAX_README_TOOLS),
        config_vars: config_vars(api),
        secret_vars: secret_vars(api),
        claude_desktop_config: claude_desktop_config(api)?,
        k8s_manifests: TEMPLATES
            .iter()
            .filter_map(|(path, _)| path.strip_prefix("deploy/k8s/"))
            .filter(|name| *name != "kustomization.yaml")
            .collect(),
    };
    let context = Context::from_serialize(&context).map_err(|e| format!("template context: {e}"))?;
    TEMPLATES
        .iter()
        .map(|(name, _)| {
            let text = tera.render(name, &context).map_err(|e| format!("rendering {name}: {e}"))?;
            Ok(((*name).to_string(), text))
        })
        .collect()
}

/// The crates the generated tables name besides the runtime: serde's derive, JSON values, HTTP methods.
const API_DEPENDENCIES: &[&str] = &["reqwest", "serde", "serde_json"];

/// The crates the generated crate's own tests name besides its dependencies and `rmcp`'s client.
const TEST_DEPENDENCIES: &[&str] = &["httpdate", "percent-encoding", "regex", "tokio"];

/// The lines of the runtime's `[dependencies]` table for `names`: the generated crate names those
/// crates with exactly the versions and features its runtime is built with.
fn runtime_dependencies(names: &[&str]) -> Result<String, String> {
    const MANIFEST: &str = include_str!("../../runtime/Cargo.toml");
    let start = MANIFEST.find("\n[dependencies]\n").ok_or("runtime/Cargo.toml has no [dependencies] table")? + 1;
    let table = &MANIFEST[start..];
    let table = &table[..table.find("\n\n[").map_or(table.len(), |end| end + 1)];
    names
        .iter()
        .map(|name| {
            table
                .lines()
                .find(|line| line.split_once(" = ").is_some_and(|(key, _)| key == *name))
                .map(|line| format!("{line}\n"))
                .ok_or_else(|| format!("runtime/Cargo.toml does not depend on `{name}`"))
        })
        .collect()
}

/// Every environment variable the generated server reads, in the order the README lists them.
fn env_vars(api: &Api) -> Vec<EnvVar> {
    let prefix = &api.env_prefix;
    let var = |name: String, required: bool, description: String, example: &str| EnvVar {
        name,
        required,
        description,
        example: example.to_string(),
    };
    let mut vars = vec![var(
        format!("{prefix}_BASE_URL"),
        api.default_base_url.is_none(),
        match &api.default_base_url {
            Some(url) => format!("Base URL of the API (default `{url}`)"),
            None => "Base URL of the API".to_string(),
        },
        api.default_base_url.as_deref().unwrap_or("https://api.example.com"),
    )];
    for auth in &api.auth {
        match auth {
            Auth::Basic { username_var, password_var } => {
                vars.push(var(username_var.clone(), true, "HTTP Basic user name".into(), "change-me"));
                if let Some(password_var) = password_var {
                    vars.push(var(password_var.clone(), true, "HTTP Basic password".into(), "change-me"));
                }
            }
            Auth::Bearer { token_var } => {
                vars.push(var(token_var.clone(), true, "Bearer token sent to the API".into(), "change-me"))
            }
            Auth::ApiKey { name, var: key_var, .. } => {
                vars.push(var(key_var.clone(), true, format!("API key, sent as `{name}`"), "change-me"))
            }
            Auth::OAuth2ClientCredentials {
                client_id_var,
                client_secret_var,
                token_url_var,
                default_token_url,
                scope_var,
            } => {
                vars.push(var(client_id_var.clone(), true, "OAuth2 client id".into(), "change-me"));
                vars.push(var(client_secret_var.clone(), true, "OAuth2 client secret".into(), "change-me"));
                let token_description = match default_token_url {
                    Some(url) => format!("OAuth2 token URL (default `{url}`, under the base URL when it is a path)"),
                    None => "OAuth2 token URL".into(),
                };
                vars.push(var(
                    token_url_var.clone(),
                    default_token_url.is_none(),
                    token_description,
                    "https://auth.example.com/token",
                ));
                vars.push(var(scope_var.clone(), false, "OAuth2 scope to request".into(), "scope"));
            }
        }
    }
    for param in &api.injected {
        vars.push(var(
            param.env_var.clone(),
            param.required,
            format!("Value of `{}`, sent with every request", param.wire_name),
            "change-me",
        ));
    }
    for var_name in &api.default_vars {
        let description = "Default of the tool parameters that name it, when a call leaves them out".to_string();
        vars.push(var(var_name.clone(), false, description, "change-me"));
    }
    let user_agent = api.user_agent.clone().unwrap_or_else(|| format!("{}/<version>", api.crate_name));
    let (rps, burst) = api.rate_limit;
    let cache_ttl = api.cache_ttl_seconds;
    let tuning = [
        ("USER_AGENT", format!("User-Agent sent to the API (default `{user_agent}`)"), user_agent.clone()),
        ("CONNECT_TIMEOUT_MS", "Connect timeout in milliseconds (default 2000)".to_string(), "2000".into()),
        ("TIMEOUT_MS", "Timeout of one request in milliseconds (default 10000)".to_string(), "10000".into()),
        (
            "DEADLINE_MS",
            "Time of a whole tool call, retries included, in milliseconds (default 15000)".to_string(),
            "15000".into(),
        ),
        ("MAX_RETRIES", "Retries of a call when that is safe (default 2)".to_string(), "2".into()),
        (
            "RATE_LIMIT_RPS",
            format!("Client-side limit in requests per second, 0 for none (default {rps})"),
            rps.to_string(),
        ),
        (
            "RATE_LIMIT_BURST",
            format!("Requests allowed at once before the limit applies (default {burst})"),
            burst.to_string(),
        ),
        ("BREAKER_THRESHOLD", "Consecutive failures that pause calls to the API (default 5)".to_string(), "5".into()),
        ("BREAKER_COOLDOWN_S", "Seconds calls stay paused before one probe (default 60)".to_string(), "60".into()),
        (
            "CACHE_TTL_S",
            format!("Seconds cacheable GET answers are kept, 0 for none (default {cache_ttl})"),
            "30".into(),
        ),
        (
            "MAX_RESPONSE_BYTES",
            "Most bytes of an answer read; a larger one is an error asking for less (default 4194304)".to_string(),
            "4194304".into(),
        ),
    ];
    for (name, description, example) in tuning {
        vars.push(var(format!("{prefix}_{name}"), false, description, &example));
    }
    let takes_files = api
        .tools()
        .flat_map(|tool| &tool.fields)
        .any(|field| field.ty == FieldType::File || field.ty == FieldType::Array(Box::new(FieldType::File)));
    if takes_files {
        let description = "URL prefixes, comma-separated, under which the server may fetch a file a tool is given by \
                           URL (default: none; files come as base64)";
        vars.push(var(
            format!("{prefix}_FILE_URL_PREFIXES"),
            false,
            description.to_string(),
            "https://files.example.com/uploads/",
        ));
    }
    vars
}

/// A Claude Desktop `mcpServers` entry that runs the server over stdio with its required variables.
fn claude_desktop_config(api: &Api) -> Result<String, String> {
    let env: serde_json::Map<String, serde_json::Value> =
        env_vars(api).into_iter().filter(|var| var.required).map(|var| (var.name, var.example.into())).collect();
    let config = serde_json::json!({"mcpServers": {api.name.clone(): {
        "command": format!("/usr/local/bin/{}", api.crate_name),
        "args": ["serve", "--transport", "stdio"],
        "env": env,
    }}});
    serde_json::to_string_pretty(&config).map_err(|error| error.to_string())
}

/// Variables that hold secrets (credentials and injected values): the Kubernetes Secret's keys.
fn secret_vars(api: &Api) -> Vec<String> {
    let mut vars: Vec<String> = env_vars(api)
        .into_iter()
        .filter(|var| var.required && !var.name.ends_with("_BASE_URL") && !var.name.ends_with("_TOKEN_URL"))
        .map(|var| var.name)
        .collect();
    vars.dedup();
    vars
}

/// Non-secret settings for the Kubernetes ConfigMap: the base URL and parameter defaults.
fn config_vars(api: &Api) -> Vec<ConfigVar> {
    let secrets = secret_vars(api);
    let base_url = api.default_base_url.clone().unwrap_or_else(|| "https://api.example.com".to_string());
    let mut vars = vec![(format!("{}_BASE_URL", api.env_prefix), base_url)];
    vars.extend(
        api.default_vars.iter().filter(|var| !secrets.contains(var)).map(|var| (var.clone(), "replace-me".to_string())),
    );
    vars.into_iter()
        .map(|(name, value)| ConfigVar { name, yaml_value: serde_json::Value::String(value).to_string() })
        .collect()
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// One line of a Markdown table cell.
fn table_cell(text: &str) -> String {
    text.lines().next().unwrap_or_default().replace('|', "\\|")
}
