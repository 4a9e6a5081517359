//! Security schemes and settings to the credentials the server sends.

use openapiv3::{APIKeyLocation, OpenAPI, ReferenceOr, SecurityScheme};

use crate::diag::{self, Diagnostic};
use crate::ir::{Auth, Location};
use crate::settings::Settings;

/// What lowering knows about auth beyond the security schemes.
pub struct AuthHints<'a> {
    /// Path of the OAuth2 token operation named in the settings, when it was found.
    pub token_operation_path: Option<&'a str>,
    /// Whether some operation takes an `Authorization` header parameter.
    pub has_authorization_header: bool,
}

/// The credentials of the API: the settings' OAuth2 token operation, else the first security
/// requirement (global, else the first scheme declared), else a bearer token when operations take
/// an `Authorization` header.
pub fn lower(
    spec: &OpenAPI,
    settings: &Settings,
    hints: &AuthHints<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Auth> {
    let var = |role: &str| settings.credential_var(role);
    if let Some(path) = hints.token_operation_path {
        return vec![oauth2(settings, Some(path.to_string()))];
    }
    let schemes = spec.components.as_ref().map(|c| &c.security_schemes);
    let requirement: Vec<String> = match spec.security.as_ref().and_then(|s| s.iter().find(|r| !r.is_empty())) {
        Some(requirement) => requirement.keys().cloned().collect(),
        None => schemes.and_then(|s| s.keys().next()).cloned().into_iter().collect(),
    };
    let mut auth = Vec::new();
    for name in requirement {
        let pointer = diag::pointer(["components", "securitySchemes", name.as_str()]);
        let scheme = match schemes.and_then(|s| s.get(&name)) {
            Some(ReferenceOr::Item(scheme)) => scheme,
            _ => {
                diagnostics.push(Diagnostic::warning(
                    "#/security",
                    format!("security requirement names `{name}`, which is not a security scheme"),
                    "declare it under #/components/securitySchemes",
                ));
                continue;
            }
        };
        match scheme {
            SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("basic") => auth.push(Auth::Basic {
                username_var: var("username").unwrap_or_else(|| format!("{}_USERNAME", settings.env_prefix)),
                password_var: var("password"),
            }),
            SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("bearer") => auth.push(Auth::Bearer {
                token_var: var("token").unwrap_or_else(|| format!("{}_TOKEN", settings.env_prefix)),
            }),
            SecurityScheme::APIKey { location, name: key_name, .. } => auth.push(Auth::ApiKey {
                location: match location {
                    APIKeyLocation::Query => Location::Query,
                    APIKeyLocation::Header => Location::Header,
                    APIKeyLocation::Cookie => Location::Cookie,
                },
                name: key_name.clone(),
                var: var("api_key").unwrap_or_else(|| format!("{}_API_KEY", settings.env_prefix)),
            }),
            SecurityScheme::OAuth2 { flows, .. } if flows.client_credentials.is_some() => {
                let token_url = flows.client_credentials.as_ref().map(|flow| flow.token_url.clone());
                auth.push(oauth2(settings, token_url));
            }
            other => diagnostics.push(Diagnostic::warning(
                pointer,
                format!("security scheme `{name}` ({}) is not supported", scheme_kind(other)),
                "supported: HTTP basic and bearer, API keys, OAuth2 client credentials; give the server a bearer token with settings `credentials.token` or pick another scheme",
            )),
        }
    }
    if auth.is_empty() && hints.has_authorization_header {
        auth.push(Auth::Bearer { token_var: var("token").unwrap_or_else(|| format!("{}_TOKEN", settings.env_prefix)) });
    }
    auth
}

fn oauth2(settings: &Settings, default_token_url: Option<String>) -> Auth {
    let var = |role: &str| {
        settings.credential_var(role).unwrap_or_else(|| format!("{}_{}", settings.env_prefix, role.to_uppercase()))
    };
    Auth::OAuth2ClientCredentials {
        client_id_var: var("client_id"),
        client_secret_var: var("client_secret"),
        token_url_var: var("token_url"),
        default_token_url,
        scope_var: var("scope"),
    }
}

fn scheme_kind(scheme: &SecurityScheme) -> &'static str {
    match scheme {
        SecurityScheme::APIKey { .. } => "apiKey",
        SecurityScheme::HTTP { .. } => "http",
        SecurityScheme::OAuth2 { .. } => "oauth2",
        SecurityScheme::OpenIDConnect { .. } => "openIdConnect",
    }
}
