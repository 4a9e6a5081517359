//! The MCP server: tools from the generated table, called through the upstream; health as MCP
//! resources; prompts from the settings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
    Implementation, JsonObject, ListPromptsResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    Prompt, PromptArgument, PromptMessage, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, Role, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use tokio_util::task::AbortOnDropHandle;

use super::config::Config;
use super::descriptor::{ApiDescriptor, PromptSpec, ToolSpec};
use super::metrics::Metrics;
use super::results::{self, CallContext};
use super::upstream::{CallPolicy, Upstream, UpstreamError};
use super::validate;

/// The MCP resources that report the server's health.
const HEALTH_RESOURCES: [(&str, &str); 3] = [
    ("health://live", "The process is running"),
    ("health://ready", "The server can serve calls: configuration, breaker and credentials"),
    ("health://status", "Version, uptime, tools, breaker state and call counts"),
];

/// The server state shared by every session.
#[derive(Clone)]
pub struct McpServer {
    api: &'static ApiDescriptor,
    tools: Arc<Vec<Tool>>,
    specs: Arc<BTreeMap<&'static str, &'static ToolSpec>>,
    validators: Arc<BTreeMap<&'static str, validate::Schema>>,
    upstream: Arc<Upstream>,
    metrics: Arc<Metrics>,
    started: Instant,
    in_flight: Arc<AtomicUsize>,
}

/// Counts a tool call as in flight until it is dropped.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl McpServer {
    /// A server for `tools`, calling the API that `config` describes.
    pub fn new(
        api: &'static ApiDescriptor,
        tools: &'static [&'static [ToolSpec]],
        config: Config,
    ) -> Result<Self, String> {
        let metrics = Arc::new(Metrics::new(api.crate_name, api.version));
        let upstream = Upstream::new(config, Arc::clone(&metrics))?;
        let specs: BTreeMap<_, _> = tools.iter().flat_map(|group| group.iter()).map(|spec| (spec.name, spec)).collect();
        let tools = specs.values().map(|spec| tool(spec)).collect::<Result<Vec<_>, _>>()?;
        let validators = specs
            .values()
            .map(|spec| {
                let schema =
                    validate::Schema::compile(spec.validation).map_err(|e| format!("tool `{}`: {e}", spec.name))?;
                Ok((spec.name, schema))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        Ok(Self {
            api,
            tools: Arc::new(tools),
            specs: Arc::new(specs),
            validators: Arc::new(validators),
            upstream: Arc::new(upstream),
            metrics,
            started: Instant::now(),
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Waits until no tool call is in flight, or `grace` has passed.
    pub async fn drain(&self, grace: Duration) {
        let deadline = Instant::now() + grace;
        while self.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Readiness (the breaker is not open and credentials can be had), with a JSON report of each check.
    pub async fn readiness(&self) -> (bool, Value) {
        let breaker = self.upstream.breaker_state();
        let credentials = self.upstream.credentials_ready().await;
        let ready = breaker.name() != "open" && credentials.is_ok();
        let report = json!({
            "status": if ready { "ready" } else { "not_ready" },
            "checks": {
                "configuration": "ok",
                "breaker": breaker.name(),
                "credentials": credentials.err().unwrap_or_else(|| "ok".to_string()),
            }
        });
        (ready, report)
    }

    /// Version, uptime, tools, breaker state and call counts.
    pub fn status(&self) -> Value {
        json!({
            "name": self.api.crate_name,
            "version": self.api.version,
            "uptime_seconds": self.started.elapsed().as_secs(),
            "tools": self.tools.len(),
            "breaker": self.upstream.breaker_state().name(),
            "tool_calls": self.metrics.total_tool_calls(),
        })
    }

    async fn call(
        &self,
        spec: &'static ToolSpec,
        request: CallToolRequestParams,
    ) -> (rmcp::model::CallToolResult, &'static str) {
        let mut arguments = request.arguments.unwrap_or_default();
        for (input, var) in spec.defaults {
            if !arguments.contains_key(*input)
                && let Some(value) = self.upstream.param_default(var)
            {
                let value =
                    self.validators.get(spec.name).map_or_else(|| value.into(), |v| v.default_value(input, value));
                arguments.insert(input.to_string(), value);
            }
        }
        let mut arguments = Value::Object(arguments);
        if let Some(validator) = self.validators.get(spec.name) {
            let violations = validator.check(&mut arguments);
            if !violations.is_empty() {
                return (results::invalid_arguments(spec, &violations), "invalid_arguments");
            }
        }
        let Value::Object(arguments) = arguments else {
            return (results::unusable_arguments(spec, "the arguments are not an object"), "invalid_arguments");
        };
        let mut upstream_request = match (spec.build)(arguments) {
            Ok(upstream_request) => upstream_request,
            Err(detail) => return (results::unusable_arguments(spec, &detail), "invalid_arguments"),
        };
        let unsendable = upstream_request.unsendable();
        if !unsendable.is_empty() {
            return (results::invalid_arguments(spec, &unsendable), "invalid_arguments");
        }
        if let Err(problems) = self.upstream.fetch_files(&mut upstream_request).await {
            return (results::invalid_arguments(spec, &problems), "invalid_arguments");
        }
        let request_id = adopt_request_id(&mut upstream_request.headers);
        let path_params = upstream_request.path_params.clone();
        let call = CallContext { api: self.api, tool: spec, path_params: &path_params };
        let policy = CallPolicy {
            idempotent: spec.retry_safe(),
            idempotency_key: spec.idempotency_key,
            cacheable: spec.cacheable,
            operation: spec.name,
        };
        match self.upstream.send(upstream_request, policy).await {
            Ok(response) => {
                let status = response.status.as_u16();
                tracing::info!(tool = spec.name, request_id, status, "upstream answered");
                let outcome = if response.status.is_success() { "ok" } else { "upstream_error" };
                (results::from_response(&call, response), outcome)
            }
            Err(error) => {
                let outcome = if matches!(error, UpstreamError::BreakerOpen { .. } | UpstreamError::RateLimited) {
                    "unavailable"
                } else {
                    "upstream_error"
                };
                tracing::warn!(tool = spec.name, request_id, outcome, "no answer from the upstream");
                (results::from_error(&call, error), outcome)
            }
        }
    }
}

/// The call's request ID, for logs and the upstream's `x-request-id`: the caller's own when it is
/// short and plain, else a new one, which then replaces the caller's in the headers.
fn adopt_request_id(headers: &mut Vec<(String, String)>) -> String {
    let plain = |id: &str| {
        (1..=64).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    let new_id = || format!("{:016x}", fastrand::u64(..));
    match headers.iter_mut().find(|(name, _)| name.eq_ignore_ascii_case("x-request-id")) {
        Some((_, id)) if plain(id) => id.clone(),
        Some((_, id)) => {
            *id = new_id();
            id.clone()
        }
        None => {
            let id = new_id();
            headers.push(("x-request-id".into(), id.clone()));
            id
        }
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

/// The `prompts/list` entry of a prompt.
fn prompt(spec: &PromptSpec) -> Prompt {
    let arguments = spec
        .arguments
        .iter()
        .map(|(name, description, required)| {
            PromptArgument::new(*name).with_description(*description).with_required(*required)
        })
        .collect();
    Prompt::new(spec.name, Some(spec.description), Some(arguments))
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build();
        ServerConfig::new(capabilities)
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
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(spec) = self.specs.get(request.name.as_ref()).copied() else {
            return Err(ErrorData::invalid_params(format!("unknown tool `{}`", request.name), None));
        };
        let _in_flight = InFlight::new(&self.in_flight);
        let started = Instant::now();
        // The call runs as its own task: a panic in it becomes an error result instead of a call
        // that is never answered, and dropping the handle (when the client cancels) aborts it, and
        // with it the upstream request and any retries.
        let server = self.clone();
        let call = AbortOnDropHandle::new(tokio::spawn(async move { server.call(spec, request).await }));
        let (result, outcome) = tokio::select! {
            joined = call => joined.unwrap_or_else(|error| {
                tracing::error!(tool = spec.name, panicked = error.is_panic(), "a tool call failed inside the server");
                (results::internal_error(spec), "internal_error")
            }),
            () = context.ct.cancelled() => (results::cancelled(spec), "cancelled"),
        };
        let elapsed = started.elapsed();
        self.metrics.tool_call(spec.name, outcome, elapsed);
        tracing::info!(tool = spec.name, outcome, elapsed_ms = elapsed.as_millis() as u64, "tool call");
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let resources = HEALTH_RESOURCES
            .iter()
            .map(|(uri, description)| {
                Resource::new(*uri, *uri).with_description(*description).with_mime_type("application/json")
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let body = match request.uri.as_str() {
            "health://live" => json!({"status": "alive"}),
            "health://ready" => self.readiness().await.1,
            "health://status" => self.status(),
            other => return Err(ErrorData::invalid_params(format!("unknown resource `{other}`"), None)),
        };
        let contents = ResourceContents::text(body.to_string(), request.uri).with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(self.api.prompts.iter().map(prompt).collect()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let Some(spec) = self.api.prompts.iter().find(|prompt| prompt.name == request.name) else {
            return Err(ErrorData::invalid_params(format!("unknown prompt `{}`", request.name), None));
        };
        let arguments = request.arguments.unwrap_or_default();
        let mut text = spec.template.to_string();
        for (name, _, required) in spec.arguments {
            let value = arguments.get(*name).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
            match value {
                Some(value) => text = text.replace(&format!("{{{name}}}"), &value),
                None if *required => {
                    return Err(ErrorData::invalid_params(format!("prompt argument `{name}` is required"), None));
                }
                None => text = text.replace(&format!("{{{name}}}"), "(not given)"),
            }
        }
        let result =
            GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)]).with_description(spec.description);
        Ok(result.into())
    }
}
