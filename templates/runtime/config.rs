//! Configuration from environment variables, checked as a whole: every missing or bad setting is
//! named at once.

use std::fmt;
use std::time::Duration;

use super::descriptor::{ApiDescriptor, AuthSpec, InjectedSpec, ParamLocation};

/// Default connect timeout.
const CONNECT_TIMEOUT_MS: u64 = 2_000;
/// Default per-request timeout.
const TIMEOUT_MS: u64 = 10_000;

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
    /// Per-request timeout.
    pub timeout: Duration,
    /// Credentials sent on every request.
    pub credentials: Vec<Credential>,
    /// Injected parameters with their values.
    pub injected: Vec<(InjectedSpec, String)>,
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
        let mut reader =
            Reader { lookup: |name: &str| lookup(name).filter(|v| !v.trim().is_empty()), problems: Vec::new() };
        let prefix = api.env_prefix;
        let base_var = format!("{prefix}_BASE_URL");
        let base_url = match reader.optional(&base_var).or_else(|| api.default_base_url.map(str::to_string)) {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_string()
            }
            Some(url) => {
                reader.problem(&base_var, format!("`{url}` is not an http:// or https:// URL"));
                String::new()
            }
            None => {
                reader.problem(&base_var, "is not set, and the API description names no absolute server URL");
                String::new()
            }
        };
        let connect_timeout = reader.millis(&format!("{prefix}_CONNECT_TIMEOUT_MS"), CONNECT_TIMEOUT_MS);
        let timeout = reader.millis(&format!("{prefix}_TIMEOUT_MS"), TIMEOUT_MS);
        let credentials = api.auth.iter().map(|spec| reader.credential(spec, &base_url)).collect();
        let injected = api
            .injected
            .iter()
            .filter_map(|spec| {
                let value = if spec.required { reader.required(spec.env_var) } else { reader.optional(spec.env_var) };
                value.map(|value| (*spec, value))
            })
            .collect();
        if reader.problems.is_empty() {
            Ok(Self { base_url, connect_timeout, timeout, credentials, injected })
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
        vars.push((format!("{prefix}_CONNECT_TIMEOUT_MS"), false));
        vars.push((format!("{prefix}_TIMEOUT_MS"), false));
        vars
    }
}

struct Reader<F> {
    lookup: F,
    problems: Vec<ConfigProblem>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    fn problem(&mut self, var: &str, message: impl Into<String>) {
        self.problems.push(ConfigProblem { var: var.to_string(), message: message.into() });
    }

    fn optional(&self, var: &str) -> Option<String> {
        (self.lookup)(var)
    }

    fn required(&mut self, var: &str) -> Option<String> {
        let value = (self.lookup)(var);
        if value.is_none() {
            self.problem(var, "is required but not set");
        }
        value
    }

    fn millis(&mut self, var: &str, default: u64) -> Duration {
        match (self.lookup)(var) {
            None => Duration::from_millis(default),
            Some(text) => match text.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Duration::from_millis(ms),
                _ => {
                    self.problem(var, format!("`{text}` is not a positive number of milliseconds"));
                    Duration::from_millis(default)
                }
            },
        }
    }

    fn credential(&mut self, spec: &AuthSpec, base_url: &str) -> Credential {
        match *spec {
            AuthSpec::Basic { username_var, password_var } => Credential::Basic {
                username: self.required(username_var).unwrap_or_default(),
                password: password_var.and_then(|var| self.required(var)).unwrap_or_default(),
            },
            AuthSpec::Bearer { token_var } => Credential::Bearer(self.required(token_var).unwrap_or_default()),
            AuthSpec::ApiKey { location, name, var } => {
                Credential::ApiKey { location, name, value: self.required(var).unwrap_or_default() }
            }
            AuthSpec::OAuth2ClientCredentials {
                client_id_var,
                client_secret_var,
                token_url_var,
                default_token_url,
                scope_var,
            } => {
                let token_url = match (self.optional(token_url_var), default_token_url) {
                    (Some(url), _) => url,
                    (None, Some(url)) if url.starts_with("http") => url.to_string(),
                    (None, Some(path)) => format!("{base_url}{path}"),
                    (None, None) => self.required(token_url_var).unwrap_or_default(),
                };
                Credential::OAuth2 {
                    client_id: self.required(client_id_var).unwrap_or_default(),
                    client_secret: self.required(client_secret_var).unwrap_or_default(),
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
        }],
    };

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
