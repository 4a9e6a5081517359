//! Configuration from environment variables, checked as a whole: every missing or bad setting is
//! named at once.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::descriptor::{ApiDescriptor, AuthSpec, InjectedSpec, ParamLocation, ShardSpec};

/// Default connect timeout: a voice caller is waiting.
const CONNECT_TIMEOUT_MS: u64 = 2_000;
/// Default timeout of one request.
const TIMEOUT_MS: u64 = 10_000;
/// Default total time of a tool call, retries included.
const DEADLINE_MS: u64 = 15_000;
/// Default number of retries after the first attempt.
const MAX_RETRIES: u64 = 2;
/// Default consecutive failures that open the circuit breaker.
const BREAKER_THRESHOLD: u64 = 5;
/// Default seconds the breaker stays open before a probe.
const BREAKER_COOLDOWN_S: u64 = 60;
/// Default most bytes of an upstream response that are read: larger answers are refused.
const MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;
/// The longest timeout or deadline accepted: an hour.
const MAX_MILLIS: u64 = 3_600_000;
/// The lowest and highest non-zero client-side rates accepted, in requests per second.
pub const RATE_RANGE: (f64, f64) = (0.001, 1_000_000.0);

/// A credential, resolved from the environment. Its `Debug` never shows the secret.
pub enum Credential {
    /// HTTP Basic.
    Basic {
        /// User name.
        username: String,
        /// Password (may be empty).
        password: String,
    },
    /// Bearer token.
    Bearer(String),
    /// API key.
    ApiKey {
        /// Where it goes.
        location: ParamLocation,
        /// Its name.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// OAuth2 client credentials.
    OAuth2 {
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: String,
        /// Token endpoint.
        token_url: String,
        /// Requested scope.
        scope: Option<String>,
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self {
            Credential::Basic { .. } => "Basic",
            Credential::Bearer(_) => "Bearer",
            Credential::ApiKey { .. } => "ApiKey",
            Credential::OAuth2 { .. } => "OAuth2",
        };
        write!(f, "{kind}(<redacted>)")
    }
}

/// Everything the server needs to reach the upstream API.
#[derive(Debug)]
pub struct Config {
    /// Base URL, without a trailing slash.
    pub base_url: String,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Total time of a tool call, retries included.
    pub deadline: Duration,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Client-side rate limit: requests per second (0 = none) and burst.
    pub rate_limit: (f64, u32),
    /// Consecutive failures that open the breaker, and how long it stays open.
    pub breaker: (u32, Duration),
    /// GET cache time to live (zero = off).
    pub cache_ttl: Duration,
    /// The most bytes of a response that are read.
    pub max_response_bytes: usize,
    /// The `User-Agent` sent upstream.
    pub user_agent: String,
    /// Configured defaults of tool parameters, by variable.
    pub param_defaults: BTreeMap<String, String>,
    /// Credentials sent on every request.
    pub credentials: Vec<Credential>,
    /// Injected parameters with their values.
    pub injected: Vec<(InjectedSpec, String)>,
    /// URL prefixes (each ending in `/`) under which the server may fetch a file a tool is given
    /// by URL; empty: files come as content only.
    pub file_url_prefixes: Vec<String>,
}

/// One missing or bad setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The environment variable.
    pub var: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env(api: &ApiDescriptor) -> Result<Self, Vec<ConfigProblem>> {
        Self::from_lookup(api, |name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (empty values count as missing).
    pub fn from_lookup(
        api: &ApiDescriptor,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<ConfigProblem>> {
        let mut reader = Reader::new(lookup);
        let prefix = api.env_prefix;
        let base_var = format!("{prefix}_BASE_URL");
        let sharded =
            api.shard.and_then(|shard| reader.optional(shard.credential_var).map(|key| shard_url(shard, &key)));
        let base_url = match reader.optional(&base_var).or(sharded).or_else(|| api.default_base_url.map(str::to_string))
        {
            Some(url) => reader.check_url(&base_var, &url).trim_end_matches('/').to_string(),
            None => {
                reader.problem(&base_var, "is not set, and the API description names no absolute server URL");
                String::new()
            }
        };
        let connect_timeout = reader.millis(&format!("{prefix}_CONNECT_TIMEOUT_MS"), CONNECT_TIMEOUT_MS);
        let timeout = reader.millis(&format!("{prefix}_TIMEOUT_MS"), TIMEOUT_MS);
        let deadline = reader.millis(&format!("{prefix}_DEADLINE_MS"), DEADLINE_MS);
        let max_retries = reader.count(&format!("{prefix}_MAX_RETRIES"), MAX_RETRIES, 0..=10);
        let rps = reader.rate(&format!("{prefix}_RATE_LIMIT_RPS"), api.rate_limit_rps);
        let burst = reader.count(&format!("{prefix}_RATE_LIMIT_BURST"), u64::from(api.rate_limit_burst), 1..=1_000_000);
        let threshold = reader.count(&format!("{prefix}_BREAKER_THRESHOLD"), BREAKER_THRESHOLD, 1..=10_000);
        let cooldown = reader.number(&format!("{prefix}_BREAKER_COOLDOWN_S"), BREAKER_COOLDOWN_S, 1..=86_400);
        let cache_ttl = reader.number(&format!("{prefix}_CACHE_TTL_S"), api.cache_ttl_seconds, 0..=86_400);
        let max_response_bytes =
            reader.number(&format!("{prefix}_MAX_RESPONSE_BYTES"), MAX_RESPONSE_BYTES, 1024..=256 * 1024 * 1024);
        let default_agent =
            api.user_agent.map_or_else(|| format!("{}/{}", api.crate_name, api.version), str::to_string);
        let agent_var = format!("{prefix}_USER_AGENT");
        let user_agent = reader.optional(&agent_var).map(|agent| reader.check_printable(&agent_var, agent));
        let user_agent = user_agent.unwrap_or(default_agent);
        let credentials = api.auth.iter().map(|spec| reader.credential(spec, &base_url)).collect();
        let files_var = format!("{prefix}_FILE_URL_PREFIXES");
        let file_url_prefixes = reader
            .optional(&files_var)
            .iter()
            .flat_map(|list| list.split(','))
            .map(str::trim)
            .filter(|prefix| !prefix.is_empty())
            .map(|prefix| {
                // A prefix ends at a path boundary: `https://files.example.com` must not admit
                // `https://files.example.com.attacker.net/`.
                let prefix = reader.check_url(&files_var, prefix);
                if prefix.ends_with('/') { prefix } else { format!("{prefix}/") }
            })
            .collect();
        let injected = api
            .injected
            .iter()
            .filter_map(|spec| {
                let value = if spec.required { reader.required(spec.env_var) } else { reader.optional(spec.env_var) };
                let value = value?;
                reader.check_pattern(spec, &value);
                let value = reader.check_printable(spec.env_var, value);
                Some((*spec, value))
            })
            .collect();
        let param_defaults =
            api.default_vars.iter().filter_map(|var| Some((var.to_string(), reader.optional(var)?))).collect();
        if reader.problems.is_empty() {
            Ok(Self {
                base_url,
                connect_timeout,
                timeout,
                deadline,
                max_retries,
                rate_limit: (rps, burst),
                breaker: (threshold, Duration::from_secs(cooldown)),
                cache_ttl: Duration::from_secs(cache_ttl),
                max_response_bytes: usize::try_from(max_response_bytes).unwrap_or(usize::MAX),
                user_agent,
                param_defaults,
                credentials,
                injected,
                file_url_prefixes,
            })
        } else {
            Err(reader.problems)
        }
    }

    /// Every environment variable the server reads, with whether it must be set.
    pub fn variables(api: &ApiDescriptor) -> Vec<(String, bool)> {
        let prefix = api.env_prefix;
        let mut vars = vec![(format!("{prefix}_BASE_URL"), api.default_base_url.is_none())];
        vars.extend(api.credential_vars().into_iter().map(|var| (var.to_string(), true)));
        for spec in api.auth {
            if let AuthSpec::OAuth2ClientCredentials { token_url_var, default_token_url, scope_var, .. } = spec {
                vars.push((token_url_var.to_string(), default_token_url.is_none()));
                vars.push((scope_var.to_string(), false));
            }
        }
        vars.extend(api.injected.iter().map(|spec| (spec.env_var.to_string(), spec.required)));
        vars.extend(api.default_vars.iter().map(|var| (var.to_string(), false)));
        for tuning in [
            "USER_AGENT",
            "CONNECT_TIMEOUT_MS",
            "TIMEOUT_MS",
            "DEADLINE_MS",
            "MAX_RETRIES",
            "RATE_LIMIT_RPS",
            "RATE_LIMIT_BURST",
            "BREAKER_THRESHOLD",
            "BREAKER_COOLDOWN_S",
            "CACHE_TTL_S",
            "MAX_RESPONSE_BYTES",
            "FILE_URL_PREFIXES",
        ] {
            vars.push((format!("{prefix}_{tuning}"), false));
        }
        vars
    }
}

/// The base URL of the shard a credential names by its suffix (`KEY-au2` -> `au2`), or the
/// default shard.
fn shard_url(shard: ShardSpec, credential: &str) -> String {
    let suffix = credential.rsplit_once('-').map(|(_, suffix)| suffix.to_ascii_lowercase());
    let is_shard = |s: &str| {
        s.len() >= 3
            && s.len() <= 4
            && s[..2].bytes().all(|b| b.is_ascii_lowercase())
            && s[2..].bytes().all(|b| b.is_ascii_digit())
    };
    let name = suffix.filter(|s| is_shard(s)).unwrap_or_else(|| shard.default.to_string());
    shard.template.replace("{shard}", &name)
}

/// Reads settings through a lookup, collecting every problem instead of stopping at the first.
pub struct Reader<F> {
    lookup: F,
    problems: Vec<ConfigProblem>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    /// A reader over `lookup`; empty and all-blank values count as unset.
    pub fn new(lookup: F) -> Self {
        Self { lookup, problems: Vec::new() }
    }

    /// The problems found so far.
    pub fn into_problems(self) -> Vec<ConfigProblem> {
        self.problems
    }

    /// Records a problem with `var`.
    pub fn problem(&mut self, var: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem { var: var.to_string(), message: message.into() });
    }

    /// The value of `var`, trimmed, when it is set.
    pub fn optional(&self, var: &str) -> Option<String> {
        (self.lookup)(var).map(|value| value.trim().to_string()).filter(|value| !value.is_empty())
    }

    fn required(&mut self, var: &str) -> Option<String> {
        let value = self.optional(var);
        if value.is_none() {
            self.problem(var, "is required but not set");
        }
        value
    }

    /// A required credential: set, and without spaces or control characters (a pasted newline).
    fn secret(&mut self, var: &str) -> Option<String> {
        let value = (self.lookup)(var).filter(|value| !value.trim().is_empty());
        let Some(value) = value else {
            self.problem(var, "is required but not set");
            return None;
        };
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            self.problem(var, "contains spaces or control characters; check for a stray newline or quote");
        }
        Some(value)
    }

    fn check_pattern(&mut self, spec: &InjectedSpec, value: &str) {
        let Some(pattern) = spec.pattern else { return };
        match regex::Regex::new(pattern) {
            Ok(regex) if !regex.is_match(value) => {
                self.problem(
                    spec.env_var,
                    format!("does not match the pattern the API requires for `{}` ({pattern})", spec.name),
                );
            }
            _ => {}
        }
    }

    /// A value sent in a header or cookie: printable ASCII, or a problem (a pasted line break would
    /// fail every request instead of the start).
    fn check_printable(&mut self, var: &str, value: String) -> String {
        if !value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            self.problem(var, "must be printable ASCII without line breaks or control characters");
        }
        value
    }

    /// An absolute http(s) URL with a host and without user info (credentials in a URL would be
    /// sent as a second `Authorization` header, and logged by proxies), query or fragment.
    pub fn check_url(&mut self, var: &str, text: &str) -> String {
        match reqwest::Url::parse(text) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() => {
                self.problem(var, format!("`{text}` is not an http:// or https:// URL with a host"));
            }
            Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                self.problem(
                    var,
                    "holds a user name or password: give credentials in their own variables, not in the URL",
                );
            }
            Ok(url) if url.query().is_some() || url.fragment().is_some() => {
                self.problem(var, "must not have a query (`?`) or fragment (`#`)");
            }
            Ok(_) => {}
            Err(error) => self.problem(var, format!("`{text}` is not a URL ({error})")),
        }
        text.to_string()
    }

    /// A whole number in `range`, or `default` when unset.
    pub fn number(&mut self, var: &str, default: u64, range: std::ops::RangeInclusive<u64>) -> u64 {
        match self.optional(var) {
            None => default,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if range.contains(&n) => n,
                _ => {
                    let (low, high) = (range.start(), range.end());
                    self.problem(var, format!("`{text}` is not a whole number from {low} to {high}"));
                    default
                }
            },
        }
    }

    /// A whole number in `range` (which fits in 32 bits), or `default` when unset.
    pub fn count(&mut self, var: &str, default: u64, range: std::ops::RangeInclusive<u32>) -> u32 {
        let wide = u64::from(*range.start())..=u64::from(*range.end());
        u32::try_from(self.number(var, default, wide)).unwrap_or(*range.end())
    }

    /// A rate in requests per second: 0 (no limit) or from [`RATE_RANGE`]'s low to high.
    pub fn rate(&mut self, var: &str, default: f64) -> f64 {
        match self.optional(var) {
            None => default,
            Some(text) => match text.parse::<f64>() {
                Ok(rate) if rate == 0.0 || (RATE_RANGE.0..=RATE_RANGE.1).contains(&rate) => rate,
                _ => {
                    let (low, high) = RATE_RANGE;
                    self.problem(
                        var,
                        format!("`{text}` is not a rate in requests per second: 0 for none, or {low} to {high}"),
                    );
                    default
                }
            },
        }
    }

    /// Milliseconds from 1 to an hour.
    pub fn millis(&mut self, var: &str, default: u64) -> Duration {
        Duration::from_millis(self.number(var, default, 1..=MAX_MILLIS))
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`); `false` when unset.
    pub fn flag(&mut self, var: &str) -> bool {
        match self.optional(var).map(|text| text.to_ascii_lowercase()).as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                self.problem(var, format!("`{other}` is not true or false"));
                false
            }
        }
    }

    /// A socket address such as `127.0.0.1:8080`, when set.
    pub fn address(&mut self, var: &str) -> Option<std::net::SocketAddr> {
        let text = self.optional(var)?;
        let address = text.parse().ok();
        if address.is_none() {
            self.problem(var, format!("`{text}` is not an address such as 127.0.0.1:8080"));
        }
        address
    }

    /// A comma-separated list, blanks dropped.
    pub fn list(&self, var: &str) -> Vec<String> {
        self.optional(var)
            .map(|text| text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    fn credential(&mut self, spec: &AuthSpec, base_url: &str) -> Credential {
        match *spec {
            AuthSpec::Basic { username_var, password_var } => Credential::Basic {
                username: self.secret(username_var).unwrap_or_default(),
                password: password_var.and_then(|var| self.secret(var)).unwrap_or_default(),
            },
            AuthSpec::Bearer { token_var } => Credential::Bearer(self.secret(token_var).unwrap_or_default()),
            AuthSpec::ApiKey { location, name, var } => {
                Credential::ApiKey { location, name, value: self.secret(var).unwrap_or_default() }
            }
            AuthSpec::OAuth2ClientCredentials {
                client_id_var,
                client_secret_var,
                token_url_var,
                default_token_url,
                scope_var,
            } => {
                let token_url = match (self.optional(token_url_var), default_token_url) {
                    (Some(url), _) => self.check_url(token_url_var, &url),
                    (None, Some(url)) if url.starts_with("http") => url.to_string(),
                    (None, Some(path)) => format!("{base_url}{path}"),
                    (None, None) => self.required(token_url_var).unwrap_or_default(),
                };
                Credential::OAuth2 {
                    client_id: self.secret(client_id_var).unwrap_or_default(),
                    client_secret: self.secret(client_secret_var).unwrap_or_default(),
                    token_url,
                    scope: self.optional(scope_var),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static API: ApiDescriptor = ApiDescriptor {
        crate_name: "test-mcp",
        title: "Test",
        version: "0.0.0",
        env_prefix: "TEST",
        default_base_url: None,
        auth: &[AuthSpec::Bearer { token_var: "TEST_TOKEN" }],
        injected: &[InjectedSpec {
            name: "x-hotelid",
            location: ParamLocation::Header,
            env_var: "TEST_HOTEL_ID",
            required: true,
            pattern: Some("^[A-Z0-9]+$"),
        }],
        default_vars: &["TEST_BUSINESS_ID"],
        rate_limit_rps: 10.0,
        rate_limit_burst: 20,
        cache_ttl_seconds: 0,
        user_agent: Some("Vendor (ops@example.com)"),
        shard: Some(ShardSpec {
            credential_var: "TEST_TOKEN",
            template: "https://api.{shard}.example.com/v1",
            default: "au1",
        }),
        prompts: &[],
        profiles: &[],
        default_profile: "all",
        shared_schemas: &[],
    };

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
    }

    #[test]
    fn the_shard_comes_from_the_key_suffix_unless_a_base_url_is_set() {
        let config = Config::from_lookup(&API, lookup(&[("TEST_TOKEN", "abc-uk1"), ("TEST_HOTEL_ID", "H1")])).unwrap();
        assert_eq!(config.base_url, "https://api.uk1.example.com/v1");
        let config = Config::from_lookup(&API, lookup(&[("TEST_TOKEN", "abcdef"), ("TEST_HOTEL_ID", "H1")])).unwrap();
        assert_eq!(config.base_url, "https://api.au1.example.com/v1");
        let pairs = &[("TEST_TOKEN", "abc-uk1"), ("TEST_HOTEL_ID", "H1"), ("TEST_BASE_URL", "http://127.0.0.1:9")];
        assert_eq!(Config::from_lookup(&API, lookup(pairs)).unwrap().base_url, "http://127.0.0.1:9");
    }

    #[test]
    fn malformed_credentials_and_injected_values_stop_the_server() {
        let problems =
            Config::from_lookup(&API, lookup(&[("TEST_TOKEN", "abc\n"), ("TEST_HOTEL_ID", "hotel one")])).unwrap_err();
        let vars: Vec<&str> = problems.iter().map(|p| p.var.as_str()).collect();
        assert_eq!(vars, ["TEST_TOKEN", "TEST_HOTEL_ID"], "{problems:?}");
        assert!(problems[1].message.contains("x-hotelid"));
    }

    #[test]
    fn values_sent_in_headers_must_be_printable() {
        let pairs = &[("TEST_TOKEN", "abc"), ("TEST_HOTEL_ID", "H1\u{7}"), ("TEST_USER_AGENT", "Vendor\u{0}(a@b.c)")];
        let problems = Config::from_lookup(&API, lookup(pairs)).unwrap_err();
        let vars: Vec<&str> = problems.iter().map(|p| p.var.as_str()).collect();
        assert_eq!(vars, ["TEST_USER_AGENT", "TEST_HOTEL_ID", "TEST_HOTEL_ID"], "{problems:?}");
    }

    #[test]
    fn tuning_and_defaults_are_read() {
        let pairs = &[
            ("TEST_TOKEN", "abc"),
            ("TEST_HOTEL_ID", "H1"),
            ("TEST_DEADLINE_MS", "500"),
            ("TEST_MAX_RETRIES", "4"),
            ("TEST_RATE_LIMIT_RPS", "0.5"),
            ("TEST_BUSINESS_ID", "77"),
        ];
        let config = Config::from_lookup(&API, lookup(pairs)).unwrap();
        assert_eq!(
            (config.deadline, config.max_retries, config.rate_limit),
            (Duration::from_millis(500), 4, (0.5, 20))
        );
        assert_eq!(config.user_agent, "Vendor (ops@example.com)");
        assert_eq!(config.param_defaults.get("TEST_BUSINESS_ID").map(String::as_str), Some("77"));
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let problems =
            Config::from_lookup(&API, |name| (name == "TEST_TIMEOUT_MS").then(|| "soon".to_string())).unwrap_err();
        let vars: Vec<&str> = problems.iter().map(|p| p.var.as_str()).collect();
        assert_eq!(vars, ["TEST_BASE_URL", "TEST_TIMEOUT_MS", "TEST_TOKEN", "TEST_HOTEL_ID"]);
    }

    #[test]
    fn a_complete_environment_is_accepted_and_secrets_stay_hidden() {
        let config = Config::from_lookup(&API, |name| match name {
            "TEST_BASE_URL" => Some("http://127.0.0.1:9/v1/".into()),
            "TEST_TOKEN" => Some("secret-token".into()),
            "TEST_HOTEL_ID" => Some("H1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.base_url, "http://127.0.0.1:9/v1");
        assert!(!format!("{config:?}").contains("secret-token"));
    }
}
