//! The upstream HTTP client: one pooled connection set, credentials and injected parameters on
//! every request, OAuth2 tokens cached until shortly before they expire.

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue};
use tokio::sync::Mutex;

use super::config::{Config, Credential};
use super::descriptor::{ApiDescriptor, ParamLocation};
use super::request::{RequestBody, UpstreamRequest};

/// Responses larger than this are cut (a tool result is read by a model, not stored).
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Tokens are renewed this long before they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// What the upstream answered.
#[derive(Debug)]
pub struct UpstreamResponse {
    /// HTTP status.
    pub status: reqwest::StatusCode,
    /// The body (at most [`MAX_RESPONSE_BYTES`]).
    pub body: Vec<u8>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// How long the API asks callers to wait (`Retry-After` in seconds or as an HTTP date, or a
    /// `X-RateLimit-Reset` UNIX time).
    pub retry_after_seconds: Option<u64>,
}

/// Why no response came back.
#[derive(Debug)]
pub enum UpstreamError {
    /// The request could not be sent or the response not read.
    Transport(String),
    /// No OAuth2 token could be obtained.
    Token(String),
}

struct CachedToken {
    value: String,
    renew_at: Instant,
}

/// The client for the upstream API.
pub struct Upstream {
    client: reqwest::Client,
    config: Config,
    token: Mutex<Option<CachedToken>>,
}

impl Upstream {
    /// A client for `config`.
    pub fn new(api: &ApiDescriptor, config: Config) -> Result<Self, String> {
        // reqwest's rustls needs a process-wide crypto provider; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let user_agent = format!("{}/{}", api.crate_name, api.version);
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .tcp_nodelay(true)
            .default_headers(headers)
            .user_agent(user_agent)
            .build()
            .map_err(|error| format!("cannot build the HTTP client: {error}"))?;
        Ok(Self { client, config, token: Mutex::new(None) })
    }

    /// Sends `request` with the credentials and injected parameters.
    pub async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse, UpstreamError> {
        let url = format!("{}{}", self.config.base_url, request.path);
        let mut builder = self.client.request(request.method.clone(), url);
        let mut query = request.query;
        let mut cookies = request.cookies;
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
                    return Err(UpstreamError::Transport(format!(
                        "header `{name}` has a value that cannot be sent in HTTP"
                    )));
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
        builder = match request.body {
            RequestBody::None => builder,
            RequestBody::Json(value) => builder
                .header(CONTENT_TYPE, request.content_type.unwrap_or("application/json"))
                .body(serde_json::to_vec(&value).unwrap_or_default()),
            RequestBody::Form(fields) => builder.form(&fields),
        };
        let response = builder.send().await.map_err(|error| UpstreamError::Transport(describe(&error)))?;
        read(response).await
    }

    async fn access_token(&self, credential: &Credential) -> Result<String, UpstreamError> {
        let Credential::OAuth2 { client_id, client_secret, token_url, scope } = credential else {
            return Err(UpstreamError::Token("not an OAuth2 credential".into()));
        };
        // One fetch at a time: callers that wait here reuse the token the first one fetched.
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        form.extend(scope.clone().map(|scope| ("scope", scope)));
        let mut builder = self.client.post(token_url).basic_auth(client_id, Some(client_secret)).form(&form);
        for (spec, value) in &self.config.injected {
            if spec.location == ParamLocation::Header {
                builder = builder.header(spec.name, value);
            }
        }
        let response = builder.send().await.map_err(|error| UpstreamError::Token(describe(&error)))?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let value = body.get("access_token").and_then(serde_json::Value::as_str).filter(|_| status.is_success());
        let Some(value) = value else {
            return Err(UpstreamError::Token(format!(
                "the token endpoint answered HTTP {status} without an access_token"
            )));
        };
        let lifetime = Duration::from_secs(body.get("expires_in").and_then(serde_json::Value::as_u64).unwrap_or(3600));
        let renew_at = Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN);
        *cached = Some(CachedToken { value: value.to_string(), renew_at });
        Ok(value.to_string())
    }
}

async fn read(mut response: reqwest::Response) -> Result<UpstreamResponse, UpstreamError> {
    let status = response.status();
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let retry_after_seconds = retry_after(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| UpstreamError::Transport(describe(&error)))? {
        let room = MAX_RESPONSE_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(UpstreamResponse { status, body, content_type, retry_after_seconds })
}

/// Seconds to wait from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset` (UNIX time).
fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let now = std::time::SystemTime::now();
    if let Some(value) = text("retry-after") {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(seconds);
        }
        if let Ok(date) = httpdate::parse_http_date(value) {
            return Some(date.duration_since(now).map_or(0, |wait| wait.as_secs()));
        }
    }
    let reset = text("x-ratelimit-reset")?.parse::<u64>().ok()?;
    let now = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(reset.saturating_sub(now))
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

    use super::*;
    use crate::runtime::descriptor::InjectedSpec;

    static API: ApiDescriptor = ApiDescriptor {
        crate_name: "test-mcp",
        title: "Test",
        version: "0.0.0",
        env_prefix: "TEST",
        default_base_url: None,
        auth: &[],
        injected: &[],
    };

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
            credentials,
            injected: vec![(
                InjectedSpec {
                    name: "x-hotelid",
                    location: ParamLocation::Header,
                    env_var: "TEST_HOTEL",
                    required: true,
                },
                "H1".into(),
            )],
        }
    }

    #[tokio::test]
    async fn sends_credentials_injected_headers_query_and_json_body() {
        let (url, upstream) = one_request_upstream("201 Created", r#"{"id":"1"}"#).await;
        let credentials = vec![Credential::Basic { username: "key-au2".into(), password: String::new() }];
        let upstream_client = Upstream::new(&API, config(format!("{url}/v1"), credentials)).unwrap();
        let mut request = UpstreamRequest::new(reqwest::Method::POST);
        request.push_literal("/patients/");
        request.push_segment("id", "a b/c");
        request.query("q[]", &vec!["x:=1".to_string()], true);
        request.json_field("first_name", &"Ann");
        request.set_content_type("application/json");
        let response = upstream_client.send(request).await.unwrap();
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
    async fn an_unreachable_upstream_is_a_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let upstream_client = Upstream::new(&API, config(url, Vec::new())).unwrap();
        let error = upstream_client.send(UpstreamRequest::new(reqwest::Method::GET)).await.unwrap_err();
        assert!(matches!(error, UpstreamError::Transport(ref text) if text.contains("connection failed")), "{error:?}");
    }
}
