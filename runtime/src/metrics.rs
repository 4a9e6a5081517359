//! Prometheus metrics: tool calls and their latency, upstream requests, retries, the breaker,
//! rate limits, inbound authentication failures and build information.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// Latency buckets in seconds: fine from 50 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 7.5, 10.0];

/// Labels of a tool call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToolLabels {
    /// The tool.
    pub tool: String,
    /// `ok`, `invalid_arguments`, `upstream_error` or `unavailable`.
    pub outcome: String,
}

/// Labels of a tool's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    /// The tool.
    pub tool: String,
}

/// Labels of an upstream request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    /// The operation (`GET /patients/{id}`).
    pub operation: String,
    /// The HTTP status, or `error` when no response came.
    pub status: String,
}

/// Labels of the build.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    crate_name: String,
    version: String,
}

/// Every metric of the server.
pub struct Metrics {
    registry: Registry,
    /// Tool calls by tool and outcome.
    pub tool_calls: Family<ToolLabels, Counter>,
    /// Tool call latency by tool.
    pub tool_latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    /// Upstream requests by operation and status.
    pub upstream_requests: Family<UpstreamLabels, Counter>,
    /// Upstream requests sent again after a failure.
    pub retries: Counter,
    /// Breaker state: 0 closed, 1 half open, 2 open.
    pub breaker_state: Gauge<i64, AtomicI64>,
    /// Calls that waited for a client-side rate-limit token.
    pub rate_limit_waits: Counter,
    /// Calls refused for lack of a client-side rate-limit token.
    pub rate_limit_rejections: Counter,
    /// GET calls answered from the cache.
    pub cache_hits: Counter,
    /// Inbound requests refused for a missing or wrong bearer token.
    pub inbound_auth_failures: Counter,
    /// Inbound requests refused by the per-client rate limit.
    pub inbound_rate_limited: Counter,
    /// HTTP connections open now.
    pub http_connections: Gauge<i64, AtomicI64>,
    calls: AtomicU64,
}

impl Metrics {
    /// Registers every metric under the `mcp_` prefix.
    pub fn new(crate_name: &str, version: &str) -> Self {
        let mut registry = Registry::with_prefix("mcp");
        let metrics = Self {
            tool_calls: Family::default(),
            tool_latency: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS)),
            upstream_requests: Family::default(),
            retries: Counter::default(),
            breaker_state: Gauge::default(),
            rate_limit_waits: Counter::default(),
            rate_limit_rejections: Counter::default(),
            cache_hits: Counter::default(),
            inbound_auth_failures: Counter::default(),
            inbound_rate_limited: Counter::default(),
            http_connections: Gauge::default(),
            calls: AtomicU64::new(0),
            registry: Registry::default(),
        };
        registry.register("tool_calls", "Tool calls by tool and outcome", metrics.tool_calls.clone());
        registry.register("tool_call_duration_seconds", "Tool call latency", metrics.tool_latency.clone());
        registry.register(
            "upstream_requests",
            "Upstream requests by operation and status",
            metrics.upstream_requests.clone(),
        );
        registry.register("upstream_retries", "Upstream requests sent again after a failure", metrics.retries.clone());
        registry.register(
            "breaker_state",
            "Circuit breaker: 0 closed, 1 half open, 2 open",
            metrics.breaker_state.clone(),
        );
        registry.register(
            "rate_limit_waits",
            "Calls that waited for a rate-limit token",
            metrics.rate_limit_waits.clone(),
        );
        registry.register(
            "rate_limit_rejections",
            "Calls refused for lack of a rate-limit token",
            metrics.rate_limit_rejections.clone(),
        );
        registry.register("cache_hits", "GET calls answered from the cache", metrics.cache_hits.clone());
        registry.register(
            "inbound_auth_failures",
            "Inbound requests with a missing or wrong token",
            metrics.inbound_auth_failures.clone(),
        );
        registry.register(
            "inbound_rate_limited",
            "Inbound requests refused by the per-client limit",
            metrics.inbound_rate_limited.clone(),
        );
        registry.register("http_connections_open", "HTTP connections open now", metrics.http_connections.clone());
        let build = BuildLabels { crate_name: crate_name.to_string(), version: version.to_string() };
        registry.register("build", "Build information", Info::new(build));
        Self { registry, ..metrics }
    }

    /// Records a finished tool call.
    pub fn tool_call(&self, tool: &str, outcome: &str, elapsed: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.tool_calls.get_or_create(&ToolLabels { tool: tool.to_string(), outcome: outcome.to_string() }).inc();
        self.tool_latency.get_or_create(&LatencyLabels { tool: tool.to_string() }).observe(elapsed.as_secs_f64());
    }

    /// Records an upstream response or failure.
    pub fn upstream(&self, operation: &str, status: Option<u16>) {
        let status = status.map_or_else(|| "error".to_string(), |s| s.to_string());
        self.upstream_requests.get_or_create(&UpstreamLabels { operation: operation.to_string(), status }).inc();
    }

    /// Total tool calls so far.
    pub fn total_tool_calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
