//! The MCP server: tools from the generated table, called through the upstream; health as MCP
//! resources; prompts from the settings.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, GetPromptRequestParams, GetPromptResponse,
    GetPromptResult, Implementation, JsonObject, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, Prompt, PromptArgument, PromptMessage, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Resource, ResourceContents, Role, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};

use super::catalog::{Catalog, CatalogOptions};
use super::config::Config;
use super::descriptor::{ApiDescriptor, PromptSpec, ToolSpec};
use super::discovery::{self, Discovered};
use super::metrics::Metrics;
use super::results::{self, CallContext};
use super::upstream::{CallPolicy, Upstream, UpstreamError};

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
    catalog: Arc<Catalog>,
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
    /// A server for the profile of `tools` that `options` choose, calling the API that `config`
    /// describes.
    pub fn new(
        api: &'static ApiDescriptor,
        tools: &'static [&'static [ToolSpec]],
        config: Config,
        options: &CatalogOptions,
    ) -> Result<Self, String> {
        let catalog = Catalog::new(api, tools, options)?;
        let metrics = Arc::new(Metrics::new(api.crate_name, api.version));
        let upstream = Upstream::new(config, Arc::clone(&metrics))?;
        Ok(Self {
            api,
            catalog: Arc::new(catalog),
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
            "profile": self.catalog.profile(),
            "tools_mode": if self.catalog.is_discovery() { "discovery" } else { "all" },
            "tools": self.catalog.len(),
            "breaker": self.upstream.breaker_state().name(),
            "tool_calls": self.metrics.total_tool_calls(),
        })
    }

    async fn call(&self, spec: &'static ToolSpec, mut arguments: JsonObject) -> Called {
        let validator = match self.catalog.validator(spec.name) {
            Ok(validator) => validator,
            Err(error) => {
                tracing::error!(tool = spec.name, error, "the tool's schema does not compile");
                return Called::new(results::internal_error(spec), "internal_error");
            }
        };
        for (input, var) in spec.defaults {
            if !arguments.contains_key(*input)
                && let Some(value) = self.upstream.param_default(var)
            {
                arguments.insert(input.to_string(), validator.default_value(input, value));
            }
        }
        let mut arguments = Value::Object(arguments);
        let violations = validator.check(&mut arguments);
        if !violations.is_empty() {
            return Called::new(results::invalid_arguments(spec, &violations), "invalid_arguments");
        }
        let Value::Object(arguments) = arguments else {
            return Called::new(
                results::unusable_arguments(spec, "the arguments are not an object"),
                "invalid_arguments",
            );
        };
        let mut upstream_request = match (spec.build)(arguments) {
            Ok(upstream_request) => upstream_request,
            Err(detail) => return Called::new(results::unusable_arguments(spec, &detail), "invalid_arguments"),
        };
        let unsendable = upstream_request.unsendable();
        if !unsendable.is_empty() {
            return Called::new(results::invalid_arguments(spec, &unsendable), "invalid_arguments");
        }
        if let Err(problems) = self.upstream.fetch_files(&mut upstream_request).await {
            return Called::new(results::invalid_arguments(spec, &problems), "invalid_arguments");
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
                let outcome = if response.status.is_success() { "ok" } else { "upstream_error" };
                let result = results::from_response(&call, response);
                Called { result, outcome, request_id: Some(request_id), status: Some(status) }
            }
            Err(error) => {
                let outcome = if matches!(error, UpstreamError::BreakerOpen { .. } | UpstreamError::RateLimited) {
                    "unavailable"
                } else {
                    "upstream_error"
                };
                Called {
                    result: results::from_error(&call, error),
                    outcome,
                    request_id: Some(request_id),
                    status: None,
                }
            }
        }
    }
}

/// What a tool call did: its result and, for its metrics and its log line, its outcome, the request
/// ID sent upstream and the upstream's status.
struct Called {
    result: CallToolResult,
    outcome: &'static str,
    request_id: Option<String>,
    status: Option<u16>,
}

impl Called {
    /// A call answered without the upstream.
    fn new(result: CallToolResult, outcome: &'static str) -> Self {
        Self { result, outcome, request_id: None, status: None }
    }

    /// One log line per call; a warning when the upstream could not be reached.
    fn log(&self, tool: &str, elapsed: Duration) {
        let (outcome, request_id, status) = (self.outcome, self.request_id.as_deref(), self.status);
        let elapsed_ms = elapsed.as_millis() as u64;
        if status.is_none() && matches!(outcome, "upstream_error" | "unavailable") {
            tracing::warn!(tool, outcome, request_id, elapsed_ms, "tool call: no answer from the upstream");
        } else {
            tracing::info!(tool, outcome, status, request_id, elapsed_ms, "tool call");
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
            .with_instructions(if self.catalog.is_discovery() {
                format!(
                    "Tools for the {} API, {} operations: find the one for a task with search_tools, read its \
                     arguments with describe_tool, and run it with call_tool.",
                    self.api.title,
                    self.catalog.len()
                )
            } else {
                format!("Tools for the {} API. Each tool calls one API operation.", self.api.title)
            })
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        self.catalog.page(request.as_ref().and_then(|request| request.cursor.as_deref()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalog.listed(name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = Instant::now();
        let name = request.name.as_ref();
        let arguments = request.arguments.unwrap_or_default();
        let (spec, arguments) = match discovery::dispatch(&self.catalog, name, &arguments) {
            Some(Discovered::Answer(tool, result)) => {
                let outcome = if result.is_error == Some(true) { "invalid_arguments" } else { "ok" };
                self.metrics.tool_call(tool, outcome, started.elapsed());
                return Ok(result.into());
            }
            Some(Discovered::Call(spec, arguments)) => (spec, arguments),
            None => match self.catalog.get(name) {
                Some(spec) => (spec, arguments),
                None => {
                    let hint = if self.catalog.is_discovery() { "; search_tools finds tools by task" } else { "" };
                    return Err(ErrorData::invalid_params(format!("unknown tool `{name}`{hint}"), None));
                }
            },
        };
        let _in_flight = InFlight::new(&self.in_flight);
        // A panic in the call becomes an error result instead of a call that is never answered;
        // when the client cancels, the call is dropped, and with it the upstream request and any
        // retries.
        let call = AssertUnwindSafe(self.call(spec, arguments)).catch_unwind();
        let called = tokio::select! {
            finished = call => finished.unwrap_or_else(|_| {
                tracing::error!(tool = spec.name, "a tool call panicked inside the server");
                Called::new(results::internal_error(spec), "internal_error")
            }),
            () = context.ct.cancelled() => Called::new(results::cancelled(spec), "cancelled"),
        };
        let elapsed = started.elapsed();
        self.metrics.tool_call(spec.name, called.outcome, elapsed);
        called.log(spec.name, elapsed);
        Ok(called.result.into())
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
