//! Streamable HTTP at `/mcp`: bearer tokens (several, for rotation, compared in constant time), Host
//! and Origin checks, a body-size limit, JSON-RPC parse errors, a per-client rate limit and a cap on
//! sessions; `/healthz`, `/readyz` and `/metrics` beside it. Connections are capped, and each must
//! send its request headers in time (which also ends idle keep-alive connections). Shutdown lets
//! calls in flight finish.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use governor::{Quota, RateLimiter};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::metrics::gauge::Gauge;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::config::{ConfigProblem, Reader};
use super::server::McpServer;
use super::sessions::Sessions;

/// The default request-body limit: 1 MiB.
const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// The default most MCP sessions held at once.
const MAX_SESSIONS: u64 = 1000;
/// The default seconds a session may stay without a request before it is closed.
const SESSION_IDLE_S: u64 = 300;
/// The default most connections open at once.
const MAX_CONNECTIONS: u64 = 512;
/// The default seconds a connection has to send a request's headers, and to start the next request
/// on a kept-alive connection.
const HEADER_READ_TIMEOUT_S: u64 = 10;
/// The default per-client rate limit: requests per second and burst.
const CLIENT_RATE: (u64, u64) = (20, 40);
/// How often idle sessions are closed and the per-client limiter forgets quiet clients.
const HOUSEKEEPING: Duration = Duration::from_secs(15);
/// How long shutdown waits for tool calls in flight: a little more than a call's default deadline.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// How long shutdown lets finished calls' responses flush before it ends the MCP sessions.
const RESPONSE_FLUSH: Duration = Duration::from_millis(500);

/// Who a client is, for the per-client rate limit: the accepted token (by its position, so no
/// token is kept twice), or the peer address when the server takes no tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ClientKey {
    Token(usize),
    Peer(IpAddr),
}

type ClientLimiter =
    RateLimiter<ClientKey, governor::state::keyed::HashMapStateStore<ClientKey>, governor::clock::DefaultClock>;

/// Settings of the HTTP transport, from `MCP_*` variables and flags.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Accepted bearer tokens (`MCP_AUTH_TOKENS`, comma-separated); empty means none required.
    pub tokens: Vec<String>,
    /// Accepted `Host` values (`MCP_ALLOWED_HOSTS`); empty keeps loopback only.
    pub allowed_hosts: Vec<String>,
    /// Accepted `Origin` values (`MCP_ALLOWED_ORIGINS`); empty accepts only this server's own
    /// loopback origins. Requests without `Origin` (non-browser clients) are not affected.
    pub allowed_origins: Vec<String>,
    /// Request-body limit (`MCP_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Serve every client statelessly (`MCP_STATELESS`), for replicas behind a load balancer.
    pub stateless: bool,
    /// Serve `/metrics` on its own address (`MCP_METRICS_LISTEN`).
    pub metrics_listen: Option<SocketAddr>,
    /// Per-client requests per second (`MCP_CLIENT_RATE_LIMIT_RPS`, 0 = none) and burst
    /// (`MCP_CLIENT_RATE_LIMIT_BURST`).
    pub client_rate: (u32, u32),
    /// Allow a non-loopback address without tokens (`MCP_ALLOW_UNAUTHENTICATED=true`).
    pub allow_unauthenticated: bool,
    /// The most MCP sessions at once (`MCP_MAX_SESSIONS`).
    pub max_sessions: usize,
    /// How long a session may go without a request before it is closed (`MCP_SESSION_IDLE_S`).
    pub session_idle: Duration,
    /// The most connections open at once (`MCP_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// How long a connection has to send a request's headers (`MCP_HEADER_READ_TIMEOUT_S`).
    pub header_read_timeout: Duration,
}

impl HttpOptions {
    /// Reads the `MCP_*` variables; `listen` comes from the flag or `MCP_LISTEN`.
    pub fn from_env(listen: SocketAddr) -> Result<Self, Vec<ConfigProblem>> {
        Self::from_lookup(listen, |name| std::env::var(name).ok())
    }

    /// Reads the `MCP_*` settings through `lookup`, naming every bad one.
    pub fn from_lookup(
        listen: SocketAddr,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<ConfigProblem>> {
        let mut reader = Reader::new(lookup);
        let metrics_listen = reader.address("MCP_METRICS_LISTEN");
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let options = Self {
            listen,
            tokens: reader.list("MCP_AUTH_TOKENS"),
            allowed_hosts: reader.list("MCP_ALLOWED_HOSTS"),
            allowed_origins: reader.list("MCP_ALLOWED_ORIGINS"),
            max_body_bytes: size(reader.number("MCP_MAX_BODY_BYTES", MAX_BODY_BYTES, 1024..=64 * 1024 * 1024)),
            stateless: reader.flag("MCP_STATELESS"),
            metrics_listen,
            client_rate: (
                reader.count("MCP_CLIENT_RATE_LIMIT_RPS", CLIENT_RATE.0, 0..=100_000),
                reader.count("MCP_CLIENT_RATE_LIMIT_BURST", CLIENT_RATE.1, 1..=1_000_000),
            ),
            allow_unauthenticated: reader.flag("MCP_ALLOW_UNAUTHENTICATED"),
            max_sessions: size(reader.number("MCP_MAX_SESSIONS", MAX_SESSIONS, 1..=1_000_000)),
            session_idle: Duration::from_secs(reader.number("MCP_SESSION_IDLE_S", SESSION_IDLE_S, 1..=86_400)),
            max_connections: size(reader.number("MCP_MAX_CONNECTIONS", MAX_CONNECTIONS, 1..=1_000_000)),
            header_read_timeout: Duration::from_secs(reader.number(
                "MCP_HEADER_READ_TIMEOUT_S",
                HEADER_READ_TIMEOUT_S,
                1..=3600,
            )),
        };
        if !options.listen.ip().is_loopback() && options.tokens.is_empty() && !options.allow_unauthenticated {
            reader.problem(
                "MCP_AUTH_TOKENS",
                format!(
                    "listening on {} without tokens would let anyone call the API; set tokens, or MCP_ALLOW_UNAUTHENTICATED=true behind your own gateway",
                    options.listen
                ),
            );
        }
        let problems = reader.into_problems();
        if problems.is_empty() { Ok(options) } else { Err(problems) }
    }

    /// The `Origin` values a browser may send: the configured ones, else this server's own
    /// loopback origins (so a page on another site cannot drive a local server: DNS rebinding).
    fn origins(&self) -> Vec<String> {
        if !self.allowed_origins.is_empty() {
            return self.allowed_origins.clone();
        }
        let port = self.listen.port();
        ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .flat_map(|host| [format!("http://{host}:{port}"), format!("https://{host}:{port}")])
            .collect()
    }
}

struct Guard {
    tokens: Vec<String>,
    origins: Vec<String>,
    limiter: Option<ClientLimiter>,
    sessions: Option<Arc<Sessions>>,
    max_body_bytes: usize,
    server: McpServer,
}

/// Serves MCP over HTTP until SIGINT or SIGTERM; calls in flight finish first.
pub async fn serve(server: McpServer, options: HttpOptions) -> Result<(), String> {
    let end_sessions = CancellationToken::new();
    let sessions = Arc::new(Sessions::new(options.max_sessions, options.session_idle));
    let mut config = StreamableHttpServerConfig::default()
        .with_cancellation_token(end_sessions.child_token())
        .with_max_request_body_bytes(options.max_body_bytes)
        .with_legacy_session_mode(!options.stateless);
    if !options.allowed_hosts.is_empty() {
        config = config.with_allowed_hosts(options.allowed_hosts.clone());
    }
    let factory = server.clone();
    let mcp = StreamableHttpService::new(move || Ok(factory.clone()), Arc::clone(&sessions), config);
    let limiter = (options.client_rate.0 > 0).then(|| {
        let rate = NonZeroU32::new(options.client_rate.0).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(options.client_rate.1).unwrap_or(NonZeroU32::MIN);
        RateLimiter::hashmap(Quota::per_second(rate).allow_burst(burst))
    });
    let guard = Arc::new(Guard {
        tokens: options.tokens.clone(),
        origins: options.origins(),
        limiter,
        sessions: (!options.stateless).then(|| Arc::clone(&sessions)),
        max_body_bytes: options.max_body_bytes,
        server: server.clone(),
    });
    let mut router = Router::new()
        .nest_service("/mcp", mcp)
        .route_layer(middleware::from_fn_with_state(Arc::clone(&guard), check_client))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(server.clone());
    if options.metrics_listen.is_none() {
        router = router.merge(metrics_router(server.clone()));
    }
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    tracing::info!(address = %options.listen, stateless = options.stateless, "serving MCP over HTTP at /mcp");
    let stop_accepting = CancellationToken::new();
    if let Some(address) = options.metrics_listen {
        let metrics =
            TcpListener::bind(address).await.map_err(|error| format!("cannot listen on {address}: {error}"))?;
        let open = server.metrics().http_connections.clone();
        tokio::spawn(accept(metrics, metrics_router(server.clone()), options.clone(), stop_accepting.clone(), open));
    }
    tokio::spawn(housekeeping(guard, end_sessions.clone()));
    // On a signal: stop accepting connections at once, let calls in flight finish (their responses
    // stream on open connections), then end the MCP sessions so long-lived streams close.
    let stopping = stop_accepting.clone();
    let server_connections = server.metrics().http_connections.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing calls in flight");
        stopping.cancel();
        server.drain(SHUTDOWN_GRACE).await;
        // A finished call's result is still being written to its response stream: let it flush.
        tokio::time::sleep(RESPONSE_FLUSH).await;
        end_sessions.cancel();
    });
    let open = server_connections;
    accept(listener, router, options, stop_accepting, open).await;
    Ok(())
}

/// Accepts connections until `stop`, at most `max_connections` open at once, each served over
/// HTTP/1.1 with the header-read timeout; then shuts each down gracefully and waits for them.
async fn accept(
    listener: TcpListener,
    router: Router,
    options: HttpOptions,
    stop: CancellationToken,
    open: Gauge<i64, AtomicI64>,
) {
    let permits = Arc::new(Semaphore::new(options.max_connections));
    let connections = TaskTracker::new();
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = stop.cancelled() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        // Keep-alive clients must see no added delay (Nagle's algorithm would add up to 40 ms).
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let stop = stop.clone();
        let header_read_timeout = options.header_read_timeout;
        let open = open.clone();
        open.inc();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request.map(Body::new))
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout).keep_alive(true);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            open.dec();
            drop(permit);
        });
    }
    connections.close();
    connections.wait().await;
}

/// Closes idle sessions and lets the per-client limiter forget quiet clients, until `stop`.
async fn housekeeping(guard: Arc<Guard>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(HOUSEKEEPING) => {}
            () = stop.cancelled() => return,
        }
        if let Some(sessions) = &guard.sessions {
            let closed = sessions.expire().await;
            if closed > 0 {
                tracing::info!(closed, open = sessions.len(), "closed idle MCP sessions");
            }
        }
        if let Some(limiter) = &guard.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn metrics_router(server: McpServer) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(server)
}

/// A JSON error response with this status.
fn refusal(status: StatusCode, error: &str, message: &str) -> Response {
    (status, axum::Json(json!({"error": error, "message": message}))).into_response()
}

/// A JSON-RPC error response (no request ID is known) with this HTTP status.
fn rpc_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

/// In front of `/mcp`: the Origin check, the bearer token, the per-client rate limit, then for a
/// POST the body limit, JSON parsing and the session cap.
async fn check_client(
    State(guard): State<Arc<Guard>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|origin| guard.origins.iter().any(|allowed| allowed == origin));
        if !allowed {
            tracing::warn!(client = %peer.ip(), "refused a request from a foreign Origin");
            return refusal(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "this Origin may not call the server; its operator can allow it with MCP_ALLOWED_ORIGINS",
            );
        }
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim);
    // Every token is compared, in constant time, so timing does not tell which one nearly matched.
    let accepted = presented.and_then(|presented| {
        guard.tokens.iter().enumerate().fold(None, |found, (index, token)| {
            found.or(bool::from(token.as_bytes().ct_eq(presented.as_bytes())).then_some(index))
        })
    });
    if !guard.tokens.is_empty() && accepted.is_none() {
        guard.server.metrics().inbound_auth_failures.inc();
        tracing::warn!(client = %peer.ip(), "refused a request without a valid bearer token");
        let mut response = refusal(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send `Authorization: Bearer <token>` with a token this server accepts",
        );
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    if let Some(limiter) = &guard.limiter {
        // An authenticated client is its token; others are their address, never a value they chose.
        let key = accepted.map_or(ClientKey::Peer(peer.ip()), ClientKey::Token);
        if limiter.check_key(&key).is_err() {
            guard.server.metrics().inbound_rate_limited.inc();
            let mut response = refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests from this client; retry after 1 second",
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return response;
        }
    }
    if request.method() != axum::http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, guard.max_body_bytes).await else {
        let message = format!("the request body is larger than {} bytes", guard.max_body_bytes);
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &message);
    };
    let Ok(message) = serde_json::from_slice::<Value>(&bytes) else {
        return rpc_error(StatusCode::BAD_REQUEST, -32700, "Parse error: the request body is not valid JSON");
    };
    if let Some(sessions) = &guard.sessions
        && opens_session(&message)
        && !parts.headers.contains_key("mcp-session-id")
    {
        if sessions.is_full() {
            sessions.expire().await;
        }
        if sessions.is_full() {
            let text = format!(
                "this server holds its maximum of {} MCP sessions; retry later, and end sessions you no longer use (DELETE /mcp)",
                sessions.max()
            );
            let mut response = rpc_error(StatusCode::SERVICE_UNAVAILABLE, -32000, &text);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return response;
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Whether a JSON-RPC message (or batch) is an `initialize` request, which opens a session.
fn opens_session(message: &Value) -> bool {
    match message {
        Value::Array(batch) => batch.iter().any(opens_session),
        message => message.get("method").and_then(Value::as_str) == Some("initialize"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &'static [(&'static str, &'static str)]) -> Result<HttpOptions, Vec<ConfigProblem>> {
        let listen = "127.0.0.1:8080".parse().expect("an address");
        HttpOptions::from_lookup(listen, |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn defaults_are_bounded_and_browsers_are_held_to_the_servers_own_origins() {
        let options = options(&[]).unwrap();
        assert_eq!((options.max_sessions, options.max_connections), (1000, 512));
        assert_eq!(
            (options.session_idle, options.header_read_timeout),
            (Duration::from_secs(300), Duration::from_secs(10))
        );
        assert!(options.origins().contains(&"http://127.0.0.1:8080".to_string()));
        assert!(options.origins().iter().all(|origin| origin.ends_with(":8080")));
    }

    #[test]
    fn out_of_range_settings_are_all_named() {
        let problems = options(&[
            ("MCP_CLIENT_RATE_LIMIT_RPS", "4294967296"),
            ("MCP_MAX_SESSIONS", "0"),
            ("MCP_METRICS_LISTEN", "everywhere"),
            ("MCP_STATELESS", "perhaps"),
        ])
        .unwrap_err();
        let vars: Vec<&str> = problems.iter().map(|p| p.var.as_str()).collect();
        assert_eq!(vars, ["MCP_METRICS_LISTEN", "MCP_STATELESS", "MCP_CLIENT_RATE_LIMIT_RPS", "MCP_MAX_SESSIONS"]);
    }

    #[test]
    fn sessions_open_with_initialize_alone() {
        assert!(opens_session(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize"})));
        assert!(opens_session(&json!([{"method": "ping"}, {"method": "initialize"}])));
        assert!(!opens_session(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})));
    }
}
