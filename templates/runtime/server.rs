//! The MCP server: `tools/list` from the generated tool table, `tools/call` through the upstream.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, JsonObject, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::descriptor::{ApiDescriptor, ToolSpec};
use super::results::{self, CallContext};
use super::upstream::{CallPolicy, Upstream};
use super::validate;

/// The server state shared by every session.
#[derive(Clone)]
pub struct McpServer {
    api: &'static ApiDescriptor,
    tools: Arc<Vec<Tool>>,
    specs: Arc<BTreeMap<&'static str, &'static ToolSpec>>,
    validators: Arc<BTreeMap<&'static str, validate::Schema>>,
    upstream: Arc<Upstream>,
}

impl McpServer {
    /// A server for `tools`, calling `upstream`.
    pub fn new(
        api: &'static ApiDescriptor,
        tools: &'static [&'static [ToolSpec]],
        upstream: Upstream,
    ) -> Result<Self, String> {
        let specs: BTreeMap<_, _> = tools.iter().flat_map(|group| group.iter()).map(|spec| (spec.name, spec)).collect();
        let tools = specs.values().map(|spec| tool(spec)).collect::<Result<Vec<_>, _>>()?;
        let validators = specs
            .values()
            .map(|spec| {
                let schema = validate::Schema::compile(spec.validation).map_err(|e| format!("tool `{}`: {e}", spec.name))?;
                Ok((spec.name, schema))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        Ok(Self {
            api,
            tools: Arc::new(tools),
            specs: Arc::new(specs),
            validators: Arc::new(validators),
            upstream: Arc::new(upstream),
        })
    }
}

/// The `tools/list` entry of a tool.
pub fn tool(spec: &ToolSpec) -> Result<Tool, String> {
    let schema: JsonObject = serde_json::from_str(spec.input_schema)
        .map_err(|error| format!("tool `{}` has an invalid input schema: {error}", spec.name))?;
    let mut annotations = ToolAnnotations::new()
        .read_only(spec.read_only)
        .destructive(spec.destructive)
        .idempotent(spec.idempotent)
        .open_world(true);
    annotations.title = spec.title.map(str::to_string);
    let mut tool = Tool::new(spec.name, spec.description, Arc::new(schema)).with_annotations(annotations);
    if let Some(title) = spec.title {
        tool = tool.with_title(title);
    }
    Ok(tool)
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(self.api.crate_name, self.api.version).with_title(self.api.title))
            .with_instructions(format!("Tools for the {} API. Each tool calls one API operation.", self.api.title))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|tool| tool.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(spec) = self.specs.get(request.name.as_ref()) else {
            return Err(ErrorData::invalid_params(format!("unknown tool `{}`", request.name), None));
        };
        let started = Instant::now();
        let mut arguments = request.arguments.unwrap_or_default();
        for (input, var) in spec.defaults {
            if !arguments.contains_key(*input)
                && let Some(value) = self.upstream.param_default(var)
            {
                let value = self.validators.get(spec.name).map_or_else(|| value.into(), |v| v.default_value(input, value));
                arguments.insert(input.to_string(), value);
            }
        }
        let mut arguments = serde_json::Value::Object(arguments);
        if let Some(validator) = self.validators.get(spec.name) {
            let violations = validator.check(&mut arguments);
            if !violations.is_empty() {
                tracing::info!(tool = spec.name, outcome = "invalid_arguments", problems = violations.len(), "tool call refused");
                return Ok(results::invalid_arguments(spec, &violations).into());
            }
        }
        let serde_json::Value::Object(arguments) = arguments else {
            return Ok(results::unusable_arguments(spec, "the arguments are not an object").into());
        };
        let upstream_request = match (spec.build)(arguments) {
            Ok(upstream_request) => upstream_request,
            Err(detail) => {
                tracing::warn!(tool = spec.name, outcome = "unusable_arguments", "tool call refused");
                return Ok(results::unusable_arguments(spec, &detail).into());
            }
        };
        let path_params = upstream_request.path_params.clone();
        let call = CallContext { api: self.api, tool: spec, path_params: &path_params };
        let policy = CallPolicy { idempotent: spec.idempotent, idempotency_key: spec.idempotency_key, cacheable: spec.cacheable };
        let outcome = self.upstream.send(upstream_request, policy).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let result = match outcome {
            Ok(response) => {
                tracing::info!(tool = spec.name, status = response.status.as_u16(), elapsed_ms, "tool call");
                results::from_response(&call, response)
            }
            Err(error) => {
                tracing::warn!(tool = spec.name, elapsed_ms, "tool call failed before a response");
                results::from_error(&call, error)
            }
        };
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_tool_is_listable_and_names_are_unique_and_valid() {
        let mut names = BTreeSet::new();
        for spec in crate::tools::TOOLS.iter().flat_map(|group| group.iter()) {
            let listed = tool(spec).unwrap();
            assert_eq!(listed.input_schema.get("type").and_then(|t| t.as_str()), Some("object"), "{}", spec.name);
            assert!(
                spec.name.len() <= 64
                    && spec.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}",
                spec.name
            );
            assert!(names.insert(spec.name), "duplicate tool {}", spec.name);
        }
        assert!(!names.is_empty());
    }

    #[test]
    fn every_validation_schema_compiles_and_refuses_unknown_fields() {
        for spec in crate::tools::TOOLS.iter().flat_map(|group| group.iter()) {
            let validator = validate::Schema::compile(spec.validation).unwrap();
            let mut arguments = serde_json::json!({"surely_not_a_parameter": true});
            let violations = validator.check(&mut arguments);
            assert!(violations.iter().any(|v| v.path == "surely_not_a_parameter"), "{}: {violations:?}", spec.name);
        }
    }
}
