//! The upstream HTTP client: one pooled connection set; credentials and injected parameters on every
//! request; OAuth2 tokens cached, renewed before they expire and fetched once however many calls
//! wait; and every tool call bounded by a deadline, within which it may be retried when that is
//! safe, behind a circuit breaker and a client-side rate limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue, LOCATION};
use tokio::sync::Mutex;

use super::bodies::{File, FileContent, Part, PartValue};
use super::config::{Config, Credential};
use super::descriptor::ParamLocation;
use super::metrics::Metrics;
use super::request::{RequestBody, UpstreamRequest};
use super::resilience::{self, Breaker, BreakerState, RateLimit, ResponseCache};
use super::tls;
use super::validate::Violation;

/// Tokens are renewed this long before they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// The longest token lifetime believed, whatever `expires_in` says.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// The most of a token response that is read: a token is a few kilobytes.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;
/// After a failed token fetch, the first pause before the next one, and the longest.
const TOKEN_RETRY: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(30));
/// The longest wait a `Retry-After` or `X-RateLimit-Reset` is taken to ask for.
pub const MAX_RETRY_AFTER_S: u64 = 24 * 3600;
/// A multipart form of the parts; a part whose media type is not one is refused.
fn multipart(parts: &[Part]) -> Result<reqwest::multipart::Form, String> {
    let mut form = reqwest::multipart::Form::new();
    for part in parts {
        let (body, content_type) = match &part.value {
            PartValue::Text { text, content_type } => {
                (reqwest::multipart::Part::text(text.clone()), content_type.map(str::to_string))
            }
            PartValue::File(File { content: FileContent::Bytes(bytes), filename, content_type }) => {
                let body = reqwest::multipart::Part::bytes(bytes.clone());
                let body = match filename {
                    Some(filename) => body.file_name(filename.clone()),
                    None => body,
                };
                (body, Some(content_type.clone().unwrap_or_else(|| "application/octet-stream".into())))
            }
            PartValue::File(File { content: FileContent::Url(_), .. }) => {
                return Err(format!("the file of `{}` was not fetched", part.name));
            }
        };
        let body = match content_type {
            Some(content_type) => body
                .mime_str(&content_type)
                .map_err(|_| format!("`{content_type}` of `{}` is not a media type", part.name))?,
            None => body,
        };
        form = form.part(part.name.clone(), body);
    }
    Ok(form)
}

/// Same-origin redirects followed in a row, at most.
const MAX_REDIRECTS: usize = 5;
/// First backoff step, and the longest backoff wait.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(200), Duration::from_secs(2));
/// The most responses the GET cache keeps.
const CACHE_CAPACITY: usize = 256;

/// What the upstream answered.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    /// HTTP status.
    pub status: reqwest::StatusCode,
    /// The body, at most the configured response limit.
    pub body: Vec<u8>,
    /// Whether the body was longer than the limit, so [`Self::body`] holds only its start.
    pub truncated: bool,
    /// For a redirect that was not followed: where it pointed (scheme, host and port only).
    pub redirect_to: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// How long the API asks callers to wait (`Retry-After` in seconds or as an HTTP date, or a
    /// `X-RateLimit-Reset` UNIX time), at most [`MAX_RETRY_AFTER_S`].
    pub retry_after_seconds: Option<u64>,
}

/// Why no usable response came back.
#[derive(Debug)]
pub enum UpstreamError {
    /// The request could not be completed.
    Transport {
        /// What happened.
        detail: String,
        /// Whether the request may have reached the API (false when no connection was made).
        maybe_applied: bool,
    },
    /// No OAuth2 token could be obtained.
    Token {
        /// Why.
        detail: String,
        /// Whether the token endpoint was asked now (not: a recent failure was remembered).
        fetched: bool,
    },
    /// A value of the call cannot be carried by HTTP; nothing was sent.
    Unsendable(String),
    /// The circuit breaker is open: the API failed repeatedly and calls are paused.
    BreakerOpen {
        /// When a call may go through again.
        retry_in: Duration,
    },
    /// No rate-limit token came within the call's deadline.
    RateLimited,
    /// The call's deadline passed before an answer came.
    Deadline {
        /// Attempts made.
        attempts: u32,
        /// Whether a request may have reached the API.
        maybe_applied: bool,
    },
}

/// How one tool call may be sent.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// Repeating the call has the same effect as sending it once.
    pub idempotent: bool,
    /// The header of the operation's idempotency key, if it takes one.
    pub idempotency_key: Option<&'static str>,
    /// Successful responses may come from the cache.
    pub cacheable: bool,
    /// The operation, as metrics label it (the tool name).
    pub operation: &'static str,
}

/// The OAuth2 token as last fetched: a token until it must be renewed, or the failure of the last
/// fetch until the next one may be tried (so probes and calls do not hammer a failing endpoint).
enum TokenState {
    Valid { value: String, renew_at: Instant },
    Failed { detail: String, retry_at: Instant, pause: Duration },
}

/// The outcome of one attempt.
enum Attempt {
    Answered(UpstreamResponse),
    Failed {
        detail: String,
        sent: bool,
    },
    /// The request could not be built from the call's values; nothing was sent.
    Unsendable(String),
}

/// The client for the upstream API.
pub struct Upstream {
    client: reqwest::Client,
    /// Fetches files given by URL: no credentials, no default headers, no redirects.
    files: reqwest::Client,
    config: Config,
    token: Mutex<Option<TokenState>>,
    breaker: Breaker,
    rate_limit: RateLimit,
    cache: ResponseCache,
    metrics: Arc<Metrics>,
}

impl Upstream {
    /// A client for `config`.
    pub fn new(config: Config, metrics: Arc<Metrics>) -> Result<Self, String> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let client = client_builder()?
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .tcp_nodelay(true)
            .redirect(same_origin_redirects())
            .default_headers(headers)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        let files = client_builder()?
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Self {
            client,
            files,
            breaker: Breaker::new(config.breaker.0, config.breaker.1),
            rate_limit: RateLimit::new(config.rate_limit.0, config.rate_limit.1),
            cache: ResponseCache::new(config.cache_ttl, CACHE_CAPACITY),
            metrics,
            token: Mutex::new(None),
            config,
        })
    }

    /// The circuit breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// Whether credentials can be had now: an OAuth2 token is fetched (or reused) when one is used.
    pub async fn credentials_ready(&self) -> Result<(), String> {
        for credential in &self.config.credentials {
            if matches!(credential, Credential::OAuth2 { .. }) {
                self.access_token(credential).await.map_err(|error| match error {
                    UpstreamError::Token { detail, .. } => detail,
                    other => format!("{other:?}"),
                })?;
            }
        }
        Ok(())
    }

    fn note_breaker(&self) {
        let code = match self.breaker.state() {
            BreakerState::Closed { .. } => 0,
            BreakerState::HalfOpen { .. } => 1,
            BreakerState::Open { .. } => 2,
        };
        self.metrics.breaker_state.set(code);
    }

    /// The configured default of a tool parameter, by variable.
    pub fn param_default(&self, var: &str) -> Option<&str> {
        self.config.param_defaults.get(var).map(String::as_str)
    }

    /// Sends `request` within the call's deadline, retrying when `policy` makes it safe.
    pub async fn send(
        &self,
        mut request: UpstreamRequest,
        policy: CallPolicy,
    ) -> Result<UpstreamResponse, UpstreamError> {
        let deadline = Instant::now() + self.config.deadline;
        let cache_key = (policy.cacheable && self.cache.enabled()).then(|| cache_key(&request));
        if let Some(hit) = cache_key.as_deref().and_then(|key| self.cache.get(key)) {
            self.metrics.cache_hits.inc();
            return Ok(hit);
        }
        if request.method != reqwest::Method::GET && request.method != reqwest::Method::HEAD {
            self.cache.clear();
        }
        if let Some(header) = policy.idempotency_key {
            // One key per tool call, the same on every attempt: the API applies the call once.
            request.headers.push((header.to_string(), new_idempotency_key()));
        }
        let retry_safe = policy.idempotent || policy.idempotency_key.is_some();
        let mut attempts = 0;
        let mut maybe_applied = false;
        let mut refreshed_token = false;
        loop {
            let admitted = self.breaker.admit();
            self.note_breaker();
            admitted.map_err(|retry_in| UpstreamError::BreakerOpen { retry_in })?;
            match self.rate_limit.acquire(deadline).await {
                Ok(true) => {
                    self.metrics.rate_limit_waits.inc();
                }
                Ok(false) => {}
                Err(_) => {
                    self.metrics.rate_limit_rejections.inc();
                    self.breaker.release();
                    return Err(UpstreamError::RateLimited);
                }
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                self.breaker.release();
                return Err(UpstreamError::Deadline { attempts, maybe_applied });
            }
            attempts += 1;
            let attempt = match tokio::time::timeout(remaining.min(self.config.timeout), self.attempt(&request)).await {
                Ok(Ok(attempt)) => attempt,
                Ok(Err(token_error)) => {
                    // A failed fetch counts against the API; a remembered failure asked nothing of it.
                    match token_error {
                        UpstreamError::Token { fetched: true, .. } => self.breaker.record(false),
                        _ => self.breaker.release(),
                    }
                    return Err(token_error);
                }
                Err(_) => Attempt::Failed { detail: "the request timed out".into(), sent: true },
            };
            let wait = match attempt {
                Attempt::Answered(response) => {
                    let status = response.status.as_u16();
                    self.metrics.upstream(policy.operation, Some(status));
                    self.breaker.record(status < 500);
                    self.note_breaker();
                    if status == 401 && !refreshed_token && self.invalidate_token().await {
                        // The API refused the token before doing anything: fetch a new one, once.
                        refreshed_token = true;
                        continue;
                    }
                    let transient = matches!(status, 408 | 429 | 500 | 502 | 503 | 504);
                    if !transient || !retry_safe || attempts > self.config.max_retries {
                        if response.status.is_success()
                            && let Some(key) = cache_key
                        {
                            self.cache.put(key, response.clone());
                        }
                        return Ok(response);
                    }
                    let wait = response.retry_after_seconds.map(Duration::from_secs);
                    let wait = wait.unwrap_or_else(|| resilience::backoff(attempts - 1, BACKOFF.0, BACKOFF.1));
                    if passes(deadline, wait) {
                        // Waiting as asked would pass the deadline: answer now, with the API's words.
                        return Ok(response);
                    }
                    maybe_applied = true;
                    wait
                }
                Attempt::Unsendable(detail) => {
                    // The caller's values, not the API, are at fault: no breaker count, no retry.
                    self.breaker.release();
                    return Err(UpstreamError::Unsendable(detail));
                }
                Attempt::Failed { detail, sent } => {
                    self.metrics.upstream(policy.operation, None);
                    self.breaker.record(false);
                    self.note_breaker();
                    maybe_applied |= sent;
                    // A request that never reached the API is safe to send again whatever the method.
                    if (sent && !retry_safe) || attempts > self.config.max_retries {
                        return Err(UpstreamError::Transport { detail, maybe_applied });
                    }
                    let wait = resilience::backoff(attempts - 1, BACKOFF.0, BACKOFF.1);
                    if passes(deadline, wait) {
                        return Err(UpstreamError::Transport { detail, maybe_applied });
                    }
                    wait
                }
            };
            self.metrics.retries.inc();
            tokio::time::sleep(wait).await;
        }
    }

    /// One request and its response; `Err` only when no token could be had.
    async fn attempt(&self, request: &UpstreamRequest) -> Result<Attempt, UpstreamError> {
        let url = format!("{}{}", self.config.base_url, request.path);
        let mut builder = self.client.request(request.method.clone(), url);
        let mut query = request.query.clone();
        let mut cookies = request.cookies.clone();
        for (spec, value) in &self.config.injected {
            match spec.location {
                ParamLocation::Header => builder = builder.header(spec.name, value),
                ParamLocation::Query => query.push((spec.name.to_string(), value.clone())),
                ParamLocation::Cookie => cookies.push((spec.name.to_string(), value.clone())),
            }
        }
        for credential in &self.config.credentials {
            match credential {
                Credential::Basic { username, password } => builder = builder.basic_auth(username, Some(password)),
                Credential::Bearer(token) => builder = builder.bearer_auth(token),
                Credential::ApiKey { location: ParamLocation::Header, name, value } => {
                    builder = builder.header(*name, value)
                }
                Credential::ApiKey { location: ParamLocation::Query, name, value } => {
                    query.push((name.to_string(), value.clone()))
                }
                Credential::ApiKey { location: ParamLocation::Cookie, name, value } => {
                    cookies.push((name.to_string(), value.clone()))
                }
                Credential::OAuth2 { .. } => builder = builder.bearer_auth(self.access_token(credential).await?),
            }
        }
        for (name, value) in &request.headers {
            match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
                (Ok(name), Ok(value)) => builder = builder.header(name, value),
                _ => {
                    return Ok(Attempt::Unsendable(format!("header `{name}` has a value that cannot be sent in HTTP")));
                }
            }
        }
        if !query.is_empty() {
            builder = builder.query(&query);
        }
        if !cookies.is_empty() {
            let cookie = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            builder = builder.header(COOKIE, cookie);
        }
        builder = match &request.body {
            RequestBody::None => builder,
            RequestBody::Json(value) => builder
                .header(CONTENT_TYPE, request.content_type.unwrap_or("application/json"))
                .body(serde_json::to_vec(value).unwrap_or_default()),
            RequestBody::Form(fields) => builder.form(fields),
            RequestBody::Raw(bytes) => builder
                .header(CONTENT_TYPE, request.content_type.unwrap_or("application/octet-stream"))
                .body(bytes.clone()),
            RequestBody::File(File { content: FileContent::Bytes(bytes), content_type, .. }) => builder
                .header(
                    CONTENT_TYPE,
                    content_type.as_deref().or(request.content_type).unwrap_or("application/octet-stream"),
                )
                .body(bytes.clone()),
            RequestBody::Multipart(parts) => match multipart(parts) {
                Ok(form) => builder.multipart(form),
                Err(detail) => return Ok(Attempt::Unsendable(detail)),
            },
            RequestBody::File(File { content: FileContent::Url(_), .. }) => {
                return Ok(Attempt::Unsendable("a file given by URL was not fetched".into()));
            }
        };
        let response = match builder.send().await {
            Ok(response) => response,
            // A connect error means nothing was sent; anything later may have reached the API.
            Err(error) => return Ok(Attempt::Failed { sent: !error.is_connect(), detail: describe(&error) }),
        };
        Ok(match read(response, self.config.max_response_bytes).await {
            Ok(response) => Attempt::Answered(response),
            Err(detail) => Attempt::Failed { detail, sent: true },
        })
    }

    /// Fetches the files a request was given by URL, each only under a configured prefix
    /// (`PREFIX_FILE_URL_PREFIXES`), without credentials or redirects, at most the response limit.
    /// Each failure is a problem the caller can act on.
    pub async fn fetch_files(&self, request: &mut UpstreamRequest) -> Result<(), Vec<Violation>> {
        let files: Vec<(String, &mut File)> = match &mut request.body {
            RequestBody::File(file) => vec![("body".to_string(), file)],
            RequestBody::Multipart(parts) => parts
                .iter_mut()
                .filter_map(|part| match &mut part.value {
                    PartValue::File(file) => Some((part.name.clone(), file)),
                    PartValue::Text { .. } => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut problems = Vec::new();
        for (name, file) in files {
            let FileContent::Url(url) = &file.content else { continue };
            match self.fetch_file(url).await {
                Ok((bytes, content_type)) => {
                    file.content = FileContent::Bytes(bytes);
                    if file.content_type.is_none() {
                        file.content_type = content_type;
                    }
                }
                Err(message) => problems.push(Violation { path: name, message }),
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    async fn fetch_file(&self, url: &str) -> Result<(Vec<u8>, Option<String>), String> {
        let allowed = self.config.file_url_prefixes.iter().any(|prefix| url.starts_with(prefix.as_str()));
        let parsed = reqwest::Url::parse(url).map_err(|_| format!("`{url}` is not a URL"))?;
        // Dot segments could climb out of an allowed prefix once the URL is normalised.
        if !allowed || parsed.as_str() != url || !matches!(parsed.scheme(), "http" | "https") {
            return Err(if self.config.file_url_prefixes.is_empty() {
                "this server does not fetch files by URL: give the file as `content_base64`".to_string()
            } else {
                format!(
                    "this server fetches files only under {}: give the file as `content_base64`, or a URL there",
                    self.config.file_url_prefixes.join(", ")
                )
            });
        }
        let response = self.files.get(parsed).send().await.map_err(|error| describe(&error))?;
        let answer = read(response, self.config.max_response_bytes).await?;
        if !answer.status.is_success() {
            return Err(format!("fetching the file answered HTTP {}", answer.status.as_u16()));
        }
        if answer.truncated {
            return Err(format!("the file is larger than {} bytes", self.config.max_response_bytes));
        }
        Ok((answer.body, answer.content_type))
    }

    /// Drops the cached OAuth2 token; `true` when there is an OAuth2 credential to refresh.
    async fn invalidate_token(&self) -> bool {
        let uses_oauth = self.config.credentials.iter().any(|c| matches!(c, Credential::OAuth2 { .. }));
        if uses_oauth {
            *self.token.lock().await = None;
        }
        uses_oauth
    }

    async fn access_token(&self, credential: &Credential) -> Result<String, UpstreamError> {
        let Credential::OAuth2 { client_id, client_secret, token_url, scope } = credential else {
            return Err(UpstreamError::Token { detail: "not an OAuth2 credential".into(), fetched: false });
        };
        // One fetch at a time: callers that wait here reuse what the first one fetched, a token or
        // its failure, which stands until the next fetch may be tried.
        let mut state = self.token.lock().await;
        let now = Instant::now();
        let pause = match state.as_ref() {
            Some(TokenState::Valid { value, renew_at }) if now < *renew_at => return Ok(value.clone()),
            Some(TokenState::Failed { detail, retry_at, .. }) if now < *retry_at => {
                let wait = retry_at.saturating_duration_since(now).as_secs() + 1;
                let detail = format!("{detail} (the next attempt is in {wait} s)");
                return Err(UpstreamError::Token { detail, fetched: false });
            }
            Some(TokenState::Failed { pause, .. }) => (*pause * 2).min(TOKEN_RETRY.1),
            _ => TOKEN_RETRY.0,
        };
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        form.extend(scope.clone().map(|scope| ("scope", scope)));
        let mut builder = self.client.post(token_url).basic_auth(client_id, Some(client_secret)).form(&form);
        for (spec, value) in &self.config.injected {
            if spec.location == ParamLocation::Header {
                builder = builder.header(spec.name, value);
            }
        }
        match fetch_token(builder).await {
            Ok((value, lifetime)) => {
                let renew_at = Instant::now() + lifetime.min(MAX_TOKEN_LIFETIME).saturating_sub(TOKEN_MARGIN);
                *state = Some(TokenState::Valid { value: value.clone(), renew_at });
                Ok(value)
            }
            Err(detail) => {
                *state = Some(TokenState::Failed { detail: detail.clone(), retry_at: Instant::now() + pause, pause });
                Err(UpstreamError::Token { detail, fetched: true })
            }
        }
    }
}

/// Sends a token request and reads at most [`MAX_TOKEN_RESPONSE_BYTES`] of its answer: the token and
/// its lifetime (`expires_in` as a number or a string of digits; an hour when absent).
async fn fetch_token(builder: reqwest::RequestBuilder) -> Result<(String, Duration), String> {
    let response = builder.send().await.map_err(|error| describe(&error))?;
    let response = read(response, MAX_TOKEN_RESPONSE_BYTES).await?;
    let status = response.status;
    if response.truncated {
        return Err(format!(
            "the token endpoint answered HTTP {status} with more than {MAX_TOKEN_RESPONSE_BYTES} bytes"
        ));
    }
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    let value = body.get("access_token").and_then(serde_json::Value::as_str).filter(|_| status.is_success());
    let Some(value) = value else {
        return Err(format!("the token endpoint answered HTTP {status} without an access_token"));
    };
    let expires_in = match body.get("expires_in") {
        Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
        Some(value) => value.as_u64(),
        None => None,
    };
    Ok((value.to_string(), Duration::from_secs(expires_in.unwrap_or(3600))))
}

/// Whether waiting `wait` from now would pass `deadline`.
fn passes(deadline: Instant, wait: Duration) -> bool {
    Instant::now().checked_add(wait).is_none_or(|end| end >= deadline)
}

/// Redirects are followed only within the origin (scheme, host and port) of the request: injected
/// headers and bodies never go to another host. A redirect elsewhere is returned as the answer.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt.previous().first().is_some_and(|first| origin(first) == origin(attempt.url()));
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// `scheme://host:port` of a URL.
fn origin(url: &reqwest::Url) -> String {
    format!("{}://{}:{}", url.scheme(), url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(0))
}

/// A reqwest client builder with the servers' TLS configuration (see [`tls`]).
pub fn client_builder() -> Result<reqwest::ClientBuilder, String> {
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls::client_config()?))
}

/// A random version-4 UUID, for idempotency keys.
fn new_idempotency_key() -> String {
    let mut bytes = [0u8; 16];
    bytes.iter_mut().for_each(|b| *b = fastrand::u8(..));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The cache key of a request: everything that can change its answer (not the per-call request ID).
fn cache_key(request: &UpstreamRequest) -> String {
    let headers: Vec<&(String, String)> =
        request.headers.iter().filter(|(name, _)| !name.eq_ignore_ascii_case("x-request-id")).collect();
    format!("{} {} {:?} {:?} {:?}", request.method, request.path, request.query, headers, request.cookies)
}

/// Reads a response, keeping at most `limit` bytes of its body.
async fn read(mut response: reqwest::Response, limit: usize) -> Result<UpstreamResponse, String> {
    let status = response.status();
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let retry_after_seconds = retry_after(response.headers());
    let redirect_to = status
        .is_redirection()
        .then(|| response.headers().get(LOCATION).and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|location| response.url().join(location).ok())
        .map(|target| origin(&target));
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(|error| describe(&error))? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() > room {
            truncated = true;
            break;
        }
    }
    Ok(UpstreamResponse { status, body, truncated, redirect_to, content_type, retry_after_seconds })
}

/// Seconds to wait from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset` (UNIX time), at
/// most [`MAX_RETRY_AFTER_S`].
pub fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let now = std::time::SystemTime::now();
    if let Some(value) = text("retry-after") {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(seconds.min(MAX_RETRY_AFTER_S));
        }
        if let Ok(date) = httpdate::parse_http_date(value) {
            // The date has one-second resolution: wait until it has certainly passed.
            let wait = date
                .duration_since(now)
                .map_or(0, |wait| wait.as_secs().saturating_add(u64::from(wait.subsec_nanos() > 0)));
            return Some(wait.min(MAX_RETRY_AFTER_S));
        }
    }
    let reset = text("x-ratelimit-reset")?.parse::<u64>().ok()?;
    let now = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(reset.saturating_sub(now).min(MAX_RETRY_AFTER_S))
}

/// A transport error in words, without the URL (it may carry an API key in the query).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "the request timed out"
    } else if error.is_connect() {
        "the connection failed"
    } else if error.is_body() || error.is_decode() {
        "the response could not be read"
    } else {
        "the request failed"
    };
    format!("{kind}: {}", root_cause(error))
}

/// The innermost cause of an error, which names what failed without repeating the URL.
fn root_cause(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut deepest = None;
    while let Some(error) = source {
        deepest = Some(error.to_string());
        source = error.source();
    }
    deepest.unwrap_or_else(|| "no detail".to_string())
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::super::descriptor::InjectedSpec;
    use super::*;

    /// A one-request upstream on 127.0.0.1: returns the raw request it read.
    async fn one_request_upstream(
        status: &'static str,
        body: &'static str,
    ) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut raw = Vec::new();
            let mut buffer = [0u8; 4096];
            loop {
                let read = socket.read(&mut buffer).await.unwrap();
                raw.extend_from_slice(&buffer[..read]);
                let text = String::from_utf8_lossy(&raw);
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let length = text[..head_end]
                        .lines()
                        .find_map(|line| {
                            line.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if raw.len() >= head_end + 4 + length {
                        break;
                    }
                }
            }
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8(raw).unwrap()
        });
        (url, handle)
    }

    fn config(base_url: String, credentials: Vec<Credential>) -> Config {
        Config {
            base_url,
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(5),
            max_retries: 0,
            rate_limit: (0.0, 1),
            breaker: (5, Duration::from_secs(60)),
            cache_ttl: Duration::ZERO,
            max_response_bytes: 1024,
            user_agent: "test-mcp/0.0.0".into(),
            param_defaults: Default::default(),
            credentials,
            injected: vec![(
                InjectedSpec {
                    name: "x-hotelid",
                    location: ParamLocation::Header,
                    env_var: "TEST_HOTEL",
                    required: true,
                    pattern: None,
                },
                "H1".into(),
            )],
            file_url_prefixes: Vec::new(),
        }
    }

    #[tokio::test]
    async fn sends_credentials_injected_headers_query_and_json_body() {
        let (url, upstream) = one_request_upstream("201 Created", r#"{"id":"1"}"#).await;
        let credentials = vec![Credential::Basic { username: "key-au2".into(), password: String::new() }];
        let upstream_client =
            Upstream::new(config(format!("{url}/v1"), credentials), Arc::new(Metrics::new("test-mcp", "0"))).unwrap();
        let policy = CallPolicy { idempotent: false, idempotency_key: None, cacheable: false, operation: "test" };
        let mut request = UpstreamRequest::new(reqwest::Method::POST);
        request.push_literal("/patients/");
        request.push_segment("id", "a b/c");
        request.query("q[]", &vec!["x:=1".to_string()], true);
        request.json_field("first_name", &"Ann");
        request.set_content_type("application/json");
        let response = upstream_client.send(request, policy).await.unwrap();
        assert_eq!(response.status.as_u16(), 201);
        assert_eq!(response.body, br#"{"id":"1"}"#);
        let raw = upstream.await.unwrap();
        let lower = raw.to_ascii_lowercase();
        assert!(raw.starts_with("POST /v1/patients/a%20b%2Fc?q%5B%5D=x%3A%3D1 HTTP/1.1\r\n"), "{raw}");
        assert!(lower.contains("authorization: basic a2v5lwf1mjo=\r\n"), "{raw}");
        assert!(lower.contains("x-hotelid: h1\r\n"), "{raw}");
        assert!(lower.contains("content-type: application/json\r\n"), "{raw}");
        assert!(raw.ends_with(r#"{"first_name":"Ann"}"#), "{raw}");
    }

    #[test]
    fn retry_after_in_both_forms() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(7));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        headers.insert("retry-after", HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap());
        assert!(retry_after(&headers).is_some_and(|s| (115..=120).contains(&s)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn a_failed_token_fetch_is_remembered_and_counts_once_against_the_breaker() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://{}/token", listener.local_addr().unwrap());
        drop(listener);
        let oauth = Credential::OAuth2 {
            client_id: "id".into(),
            client_secret: "secret".into(),
            token_url: dead.clone(),
            scope: None,
        };
        let mut settings = config(dead, vec![oauth]);
        settings.breaker = (2, Duration::from_secs(60));
        let client = Upstream::new(settings, Arc::new(Metrics::new("test-mcp", "0"))).unwrap();
        let policy = CallPolicy { idempotent: true, idempotency_key: None, cacheable: false, operation: "test" };
        let first = client.send(UpstreamRequest::new(reqwest::Method::GET), policy).await.unwrap_err();
        assert!(matches!(first, UpstreamError::Token { fetched: true, .. }), "{first:?}");
        for _ in 0..5 {
            let again = client.send(UpstreamRequest::new(reqwest::Method::GET), policy).await.unwrap_err();
            assert!(
                matches!(&again, UpstreamError::Token { fetched: false, detail } if detail.contains("next attempt"))
            );
        }
        assert_eq!(client.breaker_state(), BreakerState::Closed { failures: 1 });
    }

    #[tokio::test]
    async fn an_unreachable_upstream_is_a_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let upstream_client = Upstream::new(config(url, Vec::new()), Arc::new(Metrics::new("test-mcp", "0"))).unwrap();
        let policy = CallPolicy { idempotent: true, idempotency_key: None, cacheable: false, operation: "test" };
        let error = upstream_client.send(UpstreamRequest::new(reqwest::Method::GET), policy).await.unwrap_err();
        let refused = matches!(&error, UpstreamError::Transport { detail, maybe_applied: false } if detail.contains("connection failed"));
        assert!(refused, "{error:?}");
    }
}
