//! `mcpgen.lock`, beside `mcpgen.toml`: for every spec fetched from a URL, where its copy is kept,
//! its SHA-256, when it was fetched and the server's ETag. `mcpgen update` writes it; `generate`
//! and `check` read the copies it records and never the network, so CI stays offline and
//! reproducible.

use serde::{Deserialize, Serialize};

/// The lock file's name, beside `mcpgen.toml`.
pub const FILE_NAME: &str = "mcpgen.lock";

const HEADER: &str = "# Written by `mcpgen update`: the spec each URL gave when last fetched, kept in the file named.\n# `mcpgen generate` and `mcpgen check` read those files and never the network. Do not edit.\n\n";

/// Every fetched spec of a project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lockfile {
    /// The fetched specs, by API in the order of their files.
    #[serde(default, rename = "spec")]
    pub specs: Vec<LockedSpec>,
}

/// One fetched spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedSpec {
    /// The API it belongs to.
    pub api: String,
    /// Where it was fetched from.
    pub url: String,
    /// Where its copy is kept, relative to the lock file, `/`-separated.
    pub file: String,
    /// SHA-256 of the copy, in lower-case hex.
    pub sha256: String,
    /// When it was fetched (RFC 3339, UTC).
    pub fetched_at: String,
    /// The server's ETag, sent back as `If-None-Match` on the next fetch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl Lockfile {
    /// Reads a lock file.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The lock file as written.
    pub fn render(&self) -> String {
        // Strings and a list of tables always serialize.
        format!("{HEADER}{}", toml::to_string(self).unwrap_or_default())
    }

    /// The entry of `url` in `api`.
    pub fn get(&self, api: &str, url: &str) -> Option<&LockedSpec> {
        self.specs.iter().find(|spec| spec.api == api && spec.url == url)
    }

    /// Records the specs of `api`, in order, replacing what was recorded for it.
    pub fn set(&mut self, api: &str, specs: Vec<LockedSpec>) {
        let at = self.specs.iter().position(|spec| spec.api.as_str() >= api).unwrap_or(self.specs.len());
        self.specs.retain(|spec| spec.api != api);
        let at = at.min(self.specs.len());
        self.specs.splice(at..at, specs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(api: &str, url: &str) -> LockedSpec {
        LockedSpec {
            api: api.into(),
            url: url.into(),
            file: format!("specs/{api}/openapi.json"),
            sha256: "ab".repeat(32),
            fetched_at: "2026-11-29T10:00:00Z".into(),
            etag: Some("\"v1\"".into()),
        }
    }

    #[test]
    fn reads_back_what_it_writes_and_replaces_one_api() {
        let mut lock = Lockfile::default();
        lock.set("cliniko", vec![spec("cliniko", "https://a")]);
        lock.set("calcom", vec![spec("calcom", "https://b")]);
        lock.set("opera", vec![spec("opera", "https://c"), spec("opera", "https://d")]);
        lock.set("cliniko", vec![spec("cliniko", "https://e")]);
        let apis: Vec<&str> = lock.specs.iter().map(|spec| spec.url.as_str()).collect();
        assert_eq!(apis, ["https://b", "https://e", "https://c", "https://d"]);
        let text = lock.render();
        assert!(text.starts_with("# Written by `mcpgen update`"));
        assert_eq!(Lockfile::parse(&text), Ok(lock.clone()));
        assert_eq!(lock.get("opera", "https://d").map(|spec| spec.url.as_str()), Some("https://d"));
        assert!(Lockfile::parse("[[spec]]\napi = 1").is_err());
    }
}
