//! Every Rust identifier, tool name, input property name and environment variable name is made here.
//!
//! Spec text is never turned into an identifier anywhere else: these functions always return a
//! valid, non-empty name, whatever the input.

use std::collections::BTreeSet;

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// The most characters a tool name may have (MCP clients reject longer names).
pub const MAX_TOOL_NAME_LEN: usize = 64;

/// Keywords that can be used as raw identifiers (`r#type`).
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
    "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move", "mut",
    "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe",
    "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers; they get a `_` suffix.
const NON_RAW_KEYWORDS: &[&str] = &["self", "super", "crate", "Self", "extern"];

/// A snake_case Rust identifier for a field or module (`type` -> `r#type`, `q[]` -> `q`).
pub fn snake_ident(name: &str) -> String {
    escape_keyword(ascii_word(&name.to_snake_case(), "value"))
}

/// A snake_case module name: keywords get a `_` suffix, since a module file cannot be `r#type.rs`.
pub fn module_ident(name: &str) -> String {
    let ident = snake_ident(name);
    match ident.strip_prefix("r#") {
        Some(keyword) => format!("{keyword}_"),
        None => ident,
    }
}

/// An UpperCamelCase Rust identifier for a type (`list-patients` -> `ListPatients`).
pub fn camel_ident(name: &str) -> String {
    let camel: String = name.to_upper_camel_case().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let camel = if camel.is_empty() { "Value".to_string() } else { camel };
    escape_keyword(leading_digit(camel))
}

/// The property name a tool's input uses for a parameter or body field.
///
/// Clients accept property names matching `^[a-zA-Z0-9_.-]{1,64}$`; the wire name is kept when it
/// already does, otherwise other characters become `_` (`q[]` -> `q`, `o:errorCode` -> `o_errorCode`).
pub fn input_property(wire_name: &str) -> String {
    let replaced: String = wire_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') { c } else { '_' })
        .collect();
    let trimmed = if replaced == wire_name { replaced.as_str() } else { replaced.trim_matches('_') };
    let name = if trimmed.is_empty() { "value" } else { trimmed };
    truncate_with_hash(name, MAX_TOOL_NAME_LEN, wire_name)
}

/// The tool name an operation asks for, before uniqueness is enforced.
///
/// From the operationId when there is one, with framework noise removed (`ListPatients-Get` ->
/// `list_patients`, `BookingsController_2024_08_13_getBooking` -> `get_booking`); otherwise from
/// the method and path (`GET /patients/{id}` -> `get_patients_by_id`).
pub fn tool_name(operation_id: Option<&str>, method: &str, path: &str) -> String {
    let base = match operation_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => id_without_framework_noise(id, method).to_snake_case(),
        None => name_from_path(method, path),
    };
    let word = ascii_word(&base, "call");
    let word = if word.starts_with('_') { format!("op{word}") } else { word };
    truncate_with_hash(&word, MAX_TOOL_NAME_LEN, operation_id.unwrap_or(path))
}

/// `name` with `suffix` appended, shortened so the whole stays within the tool-name limit.
pub fn with_suffix(name: &str, suffix: &str) -> String {
    let room = MAX_TOOL_NAME_LEN.saturating_sub(suffix.len() + 1);
    let head: String = name.chars().take(room).collect();
    format!("{}_{suffix}", head.trim_end_matches('_'))
}

/// The environment variable for a value, under the API's prefix (`x-hotelid` -> `OPERA_HOTELID`).
pub fn env_var(prefix: &str, name: &str) -> String {
    let stem = name.strip_prefix("x-").or_else(|| name.strip_prefix("X-")).unwrap_or(name);
    let stem = ascii_word(&stem.to_shouty_snake_case(), "VALUE");
    format!("{prefix}_{}", stem.trim_start_matches('_'))
}

/// The crate and binary name of an API (`cliniko` -> `cliniko-mcp`): lower case, with every
/// character Cargo refuses in a package name (`.`, spaces) made `-`, and `api-` before a name that
/// does not start with a letter (`6-dot.appspot` -> `api-6-dot-appspot-mcp`).
pub fn crate_name(api_name: &str) -> String {
    let name: String = api_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => format!("{name}-mcp"),
        Some(_) => format!("api-{name}-mcp"),
        None => "api-mcp".to_string(),
    }
}

/// The default environment-variable prefix of an API (`cal-com` -> `CAL_COM`).
pub fn env_prefix(api_name: &str) -> String {
    ascii_word(&api_name.to_shouty_snake_case(), "API")
}

/// Hands out names within one scope (a struct's fields, a module's items), never the same twice.
#[derive(Debug, Default)]
pub struct Scope {
    used: BTreeSet<String>,
}

impl Scope {
    /// A scope in which `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Self { used: reserved.iter().map(|s| (*s).to_string()).collect() }
    }

    /// `name` if it is free, otherwise `name_2`, `name_3`, ... (raw identifiers keep their prefix).
    pub fn allocate(&mut self, name: &str) -> String {
        let mut candidate = name.to_string();
        let mut n = 2;
        while self.used.contains(candidate.trim_start_matches("r#")) {
            candidate = format!("{}_{n}", name.trim_start_matches("r#"));
            n += 1;
        }
        self.used.insert(candidate.trim_start_matches("r#").to_string());
        candidate
    }
}

/// Removes the method suffix of ids like `ListPatients-Get` and the NestJS controller prefix of
/// ids like `BookingsController_2024_08_13_getBooking`.
fn id_without_framework_noise<'a>(id: &'a str, method: &str) -> &'a str {
    let mut id = id;
    if let Some((_, rest)) = id.rsplit_once("Controller_") {
        id = strip_date_prefix(rest);
    }
    if let Some((head, tail)) = id.rsplit_once('-')
        && tail.eq_ignore_ascii_case(method)
        && !head.is_empty()
    {
        id = head;
    }
    id
}

/// `2024_08_13_getBooking` -> `getBooking`.
fn strip_date_prefix(id: &str) -> &str {
    let bytes = id.as_bytes();
    let is_date = bytes.len() > 11
        && bytes[..10].iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'_' } else { b.is_ascii_digit() })
        && bytes[10] == b'_';
    if is_date { &id[11..] } else { id }
}

fn name_from_path(method: &str, path: &str) -> String {
    let mut words = vec![method.to_lowercase()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => words.push(format!("by_{}", param.to_snake_case())),
            None => words.push(segment.to_snake_case()),
        }
    }
    words.join("_")
}

/// Lower-case ASCII letters, digits and single underscores; `fallback` when nothing is left.
/// A leading digit gets a `_` prefix.
fn ascii_word(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_end_matches('_');
    leading_digit(if out.is_empty() { fallback.to_string() } else { out.to_string() })
}

fn leading_digit(name: String) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) { format!("_{name}") } else { name }
}

fn escape_keyword(name: String) -> String {
    if NON_RAW_KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else if RAW_KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// Shortens `name` to `max` characters, replacing the tail with a hash of `original` so that two
/// long names that share a prefix stay distinct.
fn truncate_with_hash(name: &str, max: usize, original: &str) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let hash = format!("{:08x}", fnv1a(original.as_bytes()) as u32);
    let head: String = name.chars().take(max - hash.len() - 1).collect();
    format!("{}_{hash}", head.trim_end_matches(['_', '-', '.']))
}

/// FNV-1a: a stable hash (std's hasher is randomly seeded and may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_are_names_cargo_and_clippy_accept() {
        assert_eq!(crate_name("cliniko"), "cliniko-mcp");
        assert_eq!(crate_name("cliniko_reference"), "cliniko_reference-mcp");
        assert_eq!(crate_name("network-applicationGateway"), "network-applicationgateway-mcp");
        assert_eq!(crate_name("6-dot-authentiqio.appspot.com"), "api-6-dot-authentiqio-appspot-com-mcp");
        assert_eq!(crate_name(""), "api-mcp");
    }

    #[test]
    fn odd_names_become_valid_identifiers() {
        assert_eq!(snake_ident("type"), "r#type");
        assert_eq!(snake_ident("self"), "self_");
        assert_eq!(snake_ident("Self"), "self_");
        assert_eq!(snake_ident("q[]"), "q");
        assert_eq!(snake_ident("EndTime<"), "end_time");
        assert_eq!(snake_ident("$ref"), "r#ref");
        assert_eq!(snake_ident("+1"), "_1");
        assert_eq!(snake_ident("o:errorCode"), "o_error_code");
        assert_eq!(snake_ident(""), "value");
        assert_eq!(snake_ident("日本"), "value");
        assert_eq!(module_ident("Individual Appointment"), "individual_appointment");
        assert_eq!(module_ident("type"), "type_");
        assert_eq!(camel_ident("list-patients"), "ListPatients");
        assert_eq!(camel_ident("1st"), "_1st");
        assert_eq!(camel_ident("self"), "Self_");
    }

    #[test]
    fn every_produced_identifier_parses() {
        for name in ["type", "self", "crate", "super", "extern", "q[]", "+1", "", "a b", "async", "gen", "union"] {
            let ident = snake_ident(name);
            assert!(syn::parse_str::<syn::Ident>(&ident).is_ok() || ident.starts_with("r#"), "{ident}");
            assert!(syn::parse_str::<syn::Ident>(&camel_ident(name)).is_ok(), "{name}");
        }
    }

    #[test]
    fn input_properties_keep_valid_wire_names() {
        assert_eq!(input_property("x-app-key"), "x-app-key");
        assert_eq!(input_property("per_page"), "per_page");
        assert_eq!(input_property("q[]"), "q");
        assert_eq!(input_property("o:errorCode"), "o_errorCode");
        assert_eq!(input_property("+1"), "1");
        assert_eq!(input_property("[]"), "value");
    }

    #[test]
    fn tool_names_drop_framework_noise() {
        assert_eq!(tool_name(Some("ListPatients-Get"), "get", "/patients"), "list_patients");
        assert_eq!(tool_name(Some("CreatePatient-Post"), "post", "/patients"), "create_patient");
        assert_eq!(tool_name(Some("BookingsController_2024_08_13_getBooking"), "get", "/b"), "get_booking");
        assert_eq!(tool_name(Some("albums_like_create"), "post", "/a"), "albums_like_create");
        assert_eq!(tool_name(None, "GET", "/patients/{id}/notes"), "get_patients_by_id_notes");
        assert_eq!(tool_name(Some("123go"), "get", "/"), "_123go".replacen('_', "op_", 1));
        assert_eq!(tool_name(Some("  "), "delete", "/x"), "delete_x");
    }

    #[test]
    fn long_tool_names_are_cut_with_a_stable_hash() {
        let long = "a".repeat(100);
        let name = tool_name(Some(&long), "get", "/");
        assert_eq!(name.len(), MAX_TOOL_NAME_LEN);
        assert_eq!(name, tool_name(Some(&long), "get", "/"));
        assert_ne!(name, tool_name(Some(&format!("{long}b")), "get", "/"));
        assert!(with_suffix(&name, "2").len() <= MAX_TOOL_NAME_LEN);
    }

    #[test]
    fn scopes_never_hand_out_a_name_twice() {
        let mut scope = Scope::with_reserved(&["request"]);
        assert_eq!(scope.allocate("request"), "request_2");
        assert_eq!(scope.allocate("id"), "id");
        assert_eq!(scope.allocate("id"), "id_2");
        assert_eq!(scope.allocate("r#type"), "r#type");
        assert_eq!(scope.allocate("r#type"), "type_2");
    }

    #[test]
    fn env_vars_use_the_prefix() {
        assert_eq!(env_var("OPERA", "x-app-key"), "OPERA_APP_KEY");
        assert_eq!(env_var("OPERA", "x-hotelid"), "OPERA_HOTELID");
        assert_eq!(env_prefix("cal-com"), "CAL_COM");
    }
}
