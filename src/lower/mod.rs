//! OpenAPI to IR: every decision about the API is made here.

mod advertise;
mod auth;
mod body;
mod merge;
mod operation;
mod profiles;
mod schema;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::ReferenceOr;

use crate::diag::{self, Diagnostic};
use crate::ir::{Api, InjectedParam, Location, Method, Shard, Tool, ToolGroup};
use crate::load::Document;
use crate::naming::{self, Scope};
use crate::settings::Settings;
pub use merge::{Part, merge};
use operation::{InjectedUse, OperationInput};
pub use profiles::apply as apply_profiles;
pub use schema::CHECKED_FORMATS;
use schema::SchemaLowerer;

/// Module names the emitter uses itself.
const RESERVED_MODULES: &[&str] = &["mod", "runtime", "api", "tools", "tests"];

/// Lowers a loaded document. Diagnostics are returned unlocated (pointers into the document).
pub fn lower(document: &Document, settings: &Settings) -> (Api, Vec<Diagnostic>) {
    let spec = &document.spec;
    let mut diagnostics = Vec::new();
    let mut schemas = SchemaLowerer::new(spec.components.as_ref(), settings.max_schema_depth, &settings.id_fields);

    let operations = collect_operations(spec);
    let token_operation = settings.oauth2_token_operation.as_deref().and_then(|id| {
        let found = operations.iter().find(|op| op.operation.operation_id.as_deref() == Some(id));
        if found.is_none() {
            diagnostics.push(Diagnostic::error(
                "#/paths",
                format!("settings name `{id}` as the OAuth2 token operation, but no operation has that operationId"),
                "set `oauth2_token_operation` in mcpgen.toml to the operationId of the token endpoint",
            ));
        }
        found
    });
    let has_authorization_header = operations.iter().any(|op| {
        op.operation.parameters.iter().chain(op.path_parameters).any(|p| {
            operation::resolve_parameter(p, spec)
                .is_some_and(|p| p.parameter_data_ref().name.eq_ignore_ascii_case("authorization"))
        })
    });
    let hints = auth::AuthHints { token_operation_path: token_operation.map(|op| op.path), has_authorization_header };
    let auth = auth::lower(spec, settings, &hints, &mut diagnostics);

    let mut lowered = Vec::new();
    let mut injected_uses = Vec::new();
    for input in &operations {
        let id = input.operation.operation_id.as_deref();
        let method_path = format!("{} {}", input.method.as_str(), input.path);
        let is_token = token_operation.is_some_and(|t| std::ptr::eq(t.operation, input.operation));
        if is_token || id.is_some_and(|id| settings.exclude.contains(id)) || settings.exclude.contains(&method_path) {
            continue;
        }
        match lower_within_budget(input, spec, settings, &mut schemas) {
            Ok(tool) => {
                injected_uses.extend(tool.injected);
                diagnostics.extend(tool.diagnostics);
                lowered.push((tool.tag, tool.tool));
            }
            Err(diagnostic) => diagnostics.push(*diagnostic),
        }
    }
    diagnostics.append(&mut schemas.diagnostics);
    name_tools(&mut lowered, settings);
    for (_, tool) in &mut lowered {
        tool.cacheable = tool.method == Method::Get && settings.cache.tools.contains(&tool.name);
        let by_id = tool.operation_id.as_ref().and_then(|id| settings.annotations.get(id));
        if let Some(overrides) = settings.annotations.get(&tool.name).or(by_id) {
            let annotations = &mut tool.annotations;
            annotations.read_only = overrides.read_only.unwrap_or(annotations.read_only);
            annotations.destructive = overrides.destructive.unwrap_or(annotations.destructive);
            annotations.idempotent = overrides.idempotent.unwrap_or(annotations.idempotent);
        }
    }
    let default_vars: BTreeSet<String> =
        lowered.iter().flat_map(|(_, tool)| tool.defaults.iter().map(|(_, var)| var.clone())).collect();
    let groups = group_tools(lowered);
    let injected = injected_params(injected_uses);

    let title = settings.title.clone().unwrap_or_else(|| spec.info.title.clone());
    let api = Api {
        name: settings.name.clone(),
        crate_name: naming::crate_name(&settings.name),
        title,
        description: spec.info.description.as_deref().and_then(text::clean_description),
        api_version: spec.info.version.clone(),
        generator_version: settings.generator_version.clone(),
        env_prefix: settings.env_prefix.clone(),
        default_base_url: default_base_url(spec),
        auth,
        injected,
        default_vars: default_vars.into_iter().collect(),
        rate_limit: (settings.rate_limit.rps, settings.rate_limit.burst),
        cache_ttl_seconds: settings.cache.ttl_seconds,
        user_agent: settings.user_agent.clone(),
        shard: settings.shard.as_ref().map(|shard| Shard {
            credential_var: shard.credential.clone(),
            template: shard.template.clone(),
            default: shard.default.clone(),
        }),
        prompts: settings.prompts.clone(),
        profiles: Vec::new(),
        default_profile: profiles::ALL.to_string(),
        groups,
    };
    (api, diagnostics)
}

/// What the settings name that the API does not have: annotations, cached tools or injected
/// parameters of no operation; and an API without tools. Checked once on the whole API, whose
/// spec files `failed_to_load` tells apart ("no tools" would only mislead then).
pub fn settings_diagnostics(api: &Api, settings: &Settings, failed_to_load: bool) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for key in settings.annotations.keys() {
        let known = api.tools().any(|tool| &tool.name == key || tool.operation_id.as_ref() == Some(key));
        if !known {
            diagnostics.push(Diagnostic::warning(
                "#/paths",
                format!(
                    "settings give annotations for `{key}`, which is neither a tool nor an operationId of this API"
                ),
                "key `annotations` in mcpgen.toml by tool name (see `mcpgen inspect`) or operationId",
            ));
        }
    }
    for name in &settings.cache.tools {
        if !api.tools().any(|tool| &tool.name == name && tool.method == Method::Get) {
            diagnostics.push(Diagnostic::warning(
                "#/paths",
                format!("settings cache tool `{name}`, which is not a GET tool of this API"),
                "list GET tool names under `cache.tools` in mcpgen.toml",
            ));
        }
    }
    for name in settings.inject.keys() {
        if !api.injected.iter().any(|param| param.wire_name.eq_ignore_ascii_case(name)) {
            diagnostics.push(Diagnostic::warning(
                "#/paths",
                format!("settings inject parameter `{name}`, which no operation takes"),
                "check the parameter name in mcpgen.toml `inject`",
            ));
        }
    }
    if api.tools().next().is_none() && !failed_to_load {
        diagnostics.push(Diagnostic::warning(
            "#/paths",
            "the spec gives no tools",
            "add operations under `paths`, or check `exclude` in mcpgen.toml",
        ));
    }
    diagnostics
}

/// Lowers one operation within the input-schema budget: when its input schema passes
/// `settings.max_input_schema_bytes`, `$ref`s are inlined less and less deep until it fits (what
/// is no longer inlined is taken as any object of that name), with a warning.
fn lower_within_budget<'a>(
    input: &OperationInput<'a>,
    spec: &'a openapiv3::OpenAPI,
    settings: &Settings,
    schemas: &mut SchemaLowerer<'a>,
) -> Result<operation::Lowered, Box<Diagnostic>> {
    let size = |lowered: &operation::Lowered| lowered.tool.input_schema.to_string().len();
    let mut lowered = operation::lower(input, spec, settings, schemas)?;
    let (budget, full) = (settings.max_input_schema_bytes, size(&lowered));
    if full <= budget {
        return Ok(lowered);
    }
    let mut depth = settings.max_schema_depth;
    while depth > 0 && size(&lowered) > budget {
        depth -= 1;
        let mut shallower = SchemaLowerer::new(spec.components.as_ref(), depth, &settings.id_fields);
        if let Ok(attempt) = operation::lower(input, spec, settings, &mut shallower) {
            lowered = attempt;
        }
    }
    let kib = |bytes: usize| bytes.div_ceil(1024);
    let outcome = if size(&lowered) <= budget {
        format!("inlined {depth} levels deep it is {} KiB", kib(size(&lowered)))
    } else {
        format!("even with no `$ref` inlined it is {} KiB", kib(size(&lowered)))
    };
    lowered.diagnostics.push(Diagnostic::warning(
        input.pointer.clone(),
        format!(
            "the input schema of `{} {}` is {} KiB with `$ref`s inlined {} levels deep, over the {} KiB budget; {outcome}",
            input.method.as_str(),
            input.path,
            kib(full),
            settings.max_schema_depth,
            kib(budget)
        ),
        "what is no longer inlined takes any object; raise `max_input_schema_bytes` in mcpgen.toml to keep more",
    ));
    Ok(lowered)
}

/// Whether `spec` has an operation with this operationId.
pub fn has_operation_id(spec: &openapiv3::OpenAPI, id: &str) -> bool {
    collect_operations(spec).iter().any(|input| input.operation.operation_id.as_deref() == Some(id))
}

/// Operations in spec order.
fn collect_operations(spec: &openapiv3::OpenAPI) -> Vec<OperationInput<'_>> {
    let mut out = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else { continue };
        let methods = [
            (Method::Get, &item.get),
            (Method::Put, &item.put),
            (Method::Post, &item.post),
            (Method::Delete, &item.delete),
            (Method::Options, &item.options),
            (Method::Head, &item.head),
            (Method::Patch, &item.patch),
            (Method::Trace, &item.trace),
        ];
        for (method, operation) in methods {
            if let Some(operation) = operation {
                out.push(OperationInput {
                    path,
                    method,
                    path_parameters: &item.parameters,
                    operation,
                    pointer: diag::pointer(["paths", path.as_str(), &method.as_str().to_ascii_lowercase()]),
                });
            }
        }
    }
    out
}

/// Settles tool names: unique, and independent of spec order (a clash is settled by path and
/// method, not by which operation came first).
fn name_tools(tools: &mut [(Option<String>, Tool)], settings: &Settings) {
    tools.sort_by(|(_, a), (_, b)| (&a.path, a.method).cmp(&(&b.path, b.method)));
    let requested: Vec<String> = tools
        .iter()
        .map(|(_, tool)| {
            let id = tool.operation_id.as_deref();
            match id.and_then(|id| settings.tool_names.get(id)) {
                Some(name) => naming::tool_name(Some(name), tool.method.as_str(), &tool.path),
                None => naming::tool_name(id, tool.method.as_str(), &tool.path),
            }
        })
        .collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for name in &requested {
        *counts.entry(name).or_default() += 1;
    }
    let mut types = Scope::default();
    for ((_, tool), name) in tools.iter_mut().zip(&requested) {
        let mut candidate = name.clone();
        if counts[name.as_str()] > 1 || taken.contains(&candidate) {
            candidate = naming::with_suffix(name, &tool.method.as_str().to_ascii_lowercase());
            let mut n = 2;
            while taken.contains(&candidate) {
                candidate = naming::with_suffix(name, &n.to_string());
                n += 1;
            }
        }
        taken.insert(candidate.clone());
        tool.args_type = types.allocate(&format!("{}Args", naming::camel_ident(&candidate)));
        tool.name = candidate;
    }
}

/// One group per first tag (untagged operations go to `operations`), modules and tools by name.
fn group_tools(tools: Vec<(Option<String>, Tool)>) -> Vec<ToolGroup> {
    let mut by_tag: BTreeMap<String, Vec<Tool>> = BTreeMap::new();
    for (tag, tool) in tools {
        by_tag.entry(tag.unwrap_or_else(|| "operations".to_string())).or_default().push(tool);
    }
    let mut modules = Scope::with_reserved(RESERVED_MODULES);
    let mut groups: Vec<ToolGroup> = by_tag
        .into_iter()
        .map(|(tag, mut tools)| {
            tools.sort_by(|a, b| a.name.cmp(&b.name));
            ToolGroup { module: modules.allocate(&naming::module_ident(&tag)), tag, tools }
        })
        .collect();
    groups.sort_by(|a, b| a.module.cmp(&b.module));
    groups
}

fn injected_params(uses: Vec<InjectedUse>) -> Vec<InjectedParam> {
    let mut params: BTreeMap<(String, Location), InjectedParam> = BTreeMap::new();
    for use_ in uses {
        let key = (use_.wire_name.to_ascii_lowercase(), use_.location);
        let entry = params.entry(key).or_insert(InjectedParam {
            wire_name: use_.wire_name,
            location: use_.location,
            env_var: use_.env_var,
            required: false,
            pattern: use_.pattern,
        });
        entry.required |= use_.required;
    }
    params.into_values().collect()
}

/// The first server's URL with variables at their defaults, when it is absolute.
fn default_base_url(spec: &openapiv3::OpenAPI) -> Option<String> {
    server_url(spec).filter(|url| url.starts_with("https://") || url.starts_with("http://"))
}

/// The first server's URL with variables at their defaults, without a trailing slash; absolute,
/// or a path such as `/rsv/v1`.
pub fn server_url(spec: &openapiv3::OpenAPI) -> Option<String> {
    let server = spec.servers.first()?;
    let mut url = server.url.clone();
    for (name, variable) in server.variables.iter().flatten() {
        url = url.replace(&format!("{{{name}}}"), &variable.default);
    }
    Some(url.trim_end_matches('/').to_string())
}
