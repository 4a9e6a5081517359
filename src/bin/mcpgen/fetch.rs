//! Fetching specs from their URLs: HTTPS (plain HTTP only to this machine), bounded in time, size
//! and redirects, conditional on the ETag of the copy already kept.

use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::Client;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::redirect::{Attempt, Policy};

/// The most redirects followed.
const MAX_REDIRECTS: usize = 5;

/// What a fetch brought.
pub enum Fetched {
    /// The server says the copy kept is current (`304 Not Modified`).
    NotModified,
    /// The document, and the server's ETag for it.
    Document {
        /// The body, at most the size limit.
        bytes: Vec<u8>,
        /// The `ETag` header.
        etag: Option<String>,
    },
}

/// A client for spec URLs.
pub struct Fetcher {
    client: Client,
    max_bytes: u64,
}

impl Fetcher {
    /// A client that gives up after `timeout` and refuses bodies over `max_bytes`.
    pub fn new(timeout: Duration, max_bytes: u64) -> Result<Self, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(Policy::custom(redirect))
            .user_agent(concat!("mcpgen/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
        Ok(Self { client, max_bytes })
    }

    /// Fetches `url`; with `etag`, a `304` answer means the copy kept is current.
    pub fn fetch(&self, url: &str, etag: Option<&str>) -> Result<Fetched, String> {
        let parsed = Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
        allowed(&parsed)?;
        let mut request = self.client.get(parsed);
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let response = request.send().map_err(|e| format!("cannot fetch {url}: {}", error_chain(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(format!("{url} answered HTTP {status}"));
        }
        if response.content_length().is_some_and(|length| length > self.max_bytes) {
            return Err(self.too_large(url));
        }
        let etag = response.headers().get(ETAG).and_then(|value| value.to_str().ok()).map(str::to_string);
        let mut bytes = Vec::new();
        response.take(self.max_bytes + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {url}: {e}"))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(self.too_large(url));
        }
        Ok(Fetched::Document { bytes, etag })
    }

    fn too_large(&self, url: &str) -> String {
        format!("{url} sent more than {} bytes; raise --max-spec-bytes if the spec is that large", self.max_bytes)
    }
}

/// Whether mcpgen may fetch from `url`: HTTPS anywhere, plain HTTP only to a loopback address,
/// since a spec fetched in the clear could be changed on the way.
pub fn allowed(url: &Url) -> Result<(), String> {
    let host = url.host_str().unwrap_or("").trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!(
            "{url}: plain http:// is allowed only to this machine (127.0.0.1, ::1, localhost); use https://"
        )),
        scheme => Err(format!("{url}: `{scheme}` URLs are not fetched; use https://")),
    }
}

fn redirect(attempt: Attempt<'_>) -> reqwest::redirect::Action {
    if attempt.previous().len() >= MAX_REDIRECTS {
        let error = format!("more than {MAX_REDIRECTS} redirects");
        return attempt.error(error);
    }
    match allowed(attempt.url()) {
        Ok(()) => attempt.follow(),
        Err(message) => attempt.error(format!("redirected to {message}")),
    }
}

/// An error with its causes: reqwest's own message says only "error sending request".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
