//! Streamable HTTP at `/mcp`: bearer tokens (several, for rotation, compared in constant time), Host
//! and Origin checks, a body-size limit and a per-client rate limit; `/healthz`, `/readyz` and
//! `/metrics` beside it; graceful shutdown that lets calls in flight finish.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use governor::{Quota, RateLimiter};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

use super::server::McpServer;

/// The default request-body limit: 1 MiB.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long shutdown waits for tool calls in flight: a little more than a call's default deadline.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(20);
/// How long shutdown lets finished calls' responses flush before it ends the MCP sessions.
const RESPONSE_FLUSH: std::time::Duration = std::time::Duration::from_millis(500);

type ClientLimiter = RateLimiter<String, governor::state::keyed::HashMapStateStore<String>, governor::clock::DefaultClock>;

/// Settings of the HTTP transport, from `MCP_*` variables and flags.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Accepted bearer tokens (`MCP_AUTH_TOKENS`, comma-separated); empty means none required.
    pub tokens: Vec<String>,
    /// Accepted `Host` values (`MCP_ALLOWED_HOSTS`); empty keeps loopback only.
    pub allowed_hosts: Vec<String>,
    /// Accepted `Origin` values (`MCP_ALLOWED_ORIGINS`); empty disables the check.
    pub allowed_origins: Vec<String>,
    /// Request-body limit (`MCP_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Serve every client statelessly (`MCP_STATELESS`), for replicas behind a load balancer.
    pub stateless: bool,
    /// Serve `/metrics` on its own address (`MCP_METRICS_LISTEN`).
    pub metrics_listen: Option<SocketAddr>,
    /// Per-client requests per second (`MCP_CLIENT_RATE_LIMIT_RPS`, 0 = none) and burst.
    pub client_rate: (u32, u32),
    /// Allow a non-loopback address without tokens (`MCP_ALLOW_UNAUTHENTICATED=true`).
    pub allow_unauthenticated: bool,
}

impl HttpOptions {
    /// Reads the `MCP_*` variables; `listen` comes from the flag or `MCP_LISTEN`.
    pub fn from_env(listen: SocketAddr) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let list = |name: &str| -> Vec<String> {
            var(name).map(|text| text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
        };
        let mut number = |name: &str, default: u64| match var(name) {
            None => default,
            Some(text) => text.parse().unwrap_or_else(|_| {
                problems.push(format!("{name}: `{text}` is not a whole number"));
                default
            }),
        };
        let max_body_bytes = number("MCP_MAX_BODY_BYTES", MAX_BODY_BYTES as u64) as usize;
        let client_rps = number("MCP_CLIENT_RATE_LIMIT_RPS", 20) as u32;
        let client_burst = number("MCP_CLIENT_RATE_LIMIT_BURST", 40) as u32;
        let flag = |name: &str| var(name).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
        let metrics_listen = match var("MCP_METRICS_LISTEN") {
            Some(text) => match text.parse() {
                Ok(address) => Some(address),
                Err(_) => {
                    problems.push(format!("MCP_METRICS_LISTEN: `{text}` is not an address such as 127.0.0.1:9090"));
                    None
                }
            },
            None => None,
        };
        let options = Self {
            listen,
            tokens: list("MCP_AUTH_TOKENS"),
            allowed_hosts: list("MCP_ALLOWED_HOSTS"),
            allowed_origins: list("MCP_ALLOWED_ORIGINS"),
            max_body_bytes,
            stateless: flag("MCP_STATELESS"),
            metrics_listen,
            client_rate: (client_rps, client_burst),
            allow_unauthenticated: flag("MCP_ALLOW_UNAUTHENTICATED"),
        };
        if !options.listen.ip().is_loopback() && options.tokens.is_empty() && !options.allow_unauthenticated {
            problems.push(format!(
                "MCP_AUTH_TOKENS: listening on {} without tokens would let anyone call the API; set tokens, or MCP_ALLOW_UNAUTHENTICATED=true behind your own gateway",
                options.listen
            ));
        }
        if problems.is_empty() { Ok(options) } else { Err(problems) }
    }
}

struct Guard {
    tokens: Vec<String>,
    limiter: Option<ClientLimiter>,
    server: McpServer,
}

/// Serves MCP over HTTP until SIGINT or SIGTERM; calls in flight finish first.
pub async fn serve(server: McpServer, options: HttpOptions) -> Result<(), String> {
    let cancel = CancellationToken::new();
    let mut config = StreamableHttpServerConfig::default()
        .with_cancellation_token(cancel.child_token())
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_legacy_session_mode(!options.stateless);
    if !options.allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(options.allowed_hosts.clone());
    }
    if !options.allowed_origins.is_empty() {
        config = config.with_allowed_origins(options.allowed_origins.clone());
    }
    let factory = server.clone();
    let mcp = StreamableHttpService::new(move || Ok(factory.clone()), Arc::new(LocalSessionManager::default()), config);
    let limiter = (options.client_rate.0 > 0).then(|| {
        let rate = NonZeroU32::new(options.client_rate.0).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(options.client_rate.1.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimiter::hashmap(Quota::per_second(rate).allow_burst(burst))
    });
    let guard = Arc::new(Guard { tokens: options.tokens.clone(), limiter, server: server.clone() });
    let mut router = Router::new()
        .nest_service("/mcp", mcp)
        .route_layer(middleware::from_fn_with_state(guard, check_client))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(server.clone());
    if options.metrics_listen.is_none() {
        router = router.merge(metrics_router(server.clone()));
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?
        .tap_io(|stream| {
            // Keep-alive clients must see no added delay (Nagle's algorithm would add up to 40 ms).
            let _ = stream.set_nodelay(true);
        });
    tracing::info!(address = %options.listen, stateless = options.stateless, "serving MCP over HTTP at /mcp");
    if let Some(address) = options.metrics_listen {
        let metrics = tokio::net::TcpListener::bind(address).await.map_err(|error| format!("cannot listen on {address}: {error}"))?;
        let app = metrics_router(server.clone());
        let stop = cancel.clone();
        tokio::spawn(async move {
            let _ = axum::serve(metrics, app).with_graceful_shutdown(async move { stop.cancelled().await }).await;
        });
    }
    // On a signal: stop accepting connections at once, let calls in flight finish (their responses
    // stream on open connections), then end the MCP sessions so long-lived streams close.
    let stop_accepting = CancellationToken::new();
    let stopping = stop_accepting.clone();
    let draining = server.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing calls in flight");
        stopping.cancel();
        draining.drain(SHUTDOWN_GRACE).await;
        // A finished call's result is still being written to its response stream: let it flush.
        tokio::time::sleep(RESPONSE_FLUSH).await;
        cancel.cancel();
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move { stop_accepting.cancelled().await })
        .await
        .map_err(|error| format!("the HTTP server failed: {error}"))
}

fn metrics_router(server: McpServer) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(server)
}

/// Bearer-token check and per-client rate limit in front of `/mcp`.
async fn check_client(
    State(guard): State<Arc<Guard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim);
    if !guard.tokens.is_empty() {
        let accepted = presented.is_some_and(|presented| {
            guard.tokens.iter().fold(false, |found, token| found | bool::from(token.as_bytes().ct_eq(presented.as_bytes())))
        });
        if !accepted {
            guard.server.metrics().inbound_auth_failures.inc();
            tracing::warn!(client = %peer.ip(), "refused a request without a valid bearer token");
            let body = json!({"error": "unauthorized", "message": "send `Authorization: Bearer <token>` with a token this server accepts"});
            let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    if let Some(limiter) = &guard.limiter {
        // Clients are told apart by token, else by address; tokens are never logged.
        let key = presented.map_or_else(|| format!("ip:{}", peer.ip()), |token| format!("token:{token}"));
        if limiter.check_key(&key).is_err() {
            guard.server.metrics().inbound_rate_limited.inc();
            let body = json!({"error": "rate_limited", "message": "too many requests from this client; retry after 1 second"});
            let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
    }
    next.run(request).await
}

async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "alive"}))
}

async fn readyz(State(server): State<McpServer>) -> impl IntoResponse {
    let (ready, report) = server.readiness().await;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(report))
}

async fn metrics(State(server): State<McpServer>) -> impl IntoResponse {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], server.metrics().render())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
