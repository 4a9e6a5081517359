//! Strict checking of tool arguments against the tool's validation schema, compiled once.
//!
//! Every violation of a call is reported at once, with the field path, what was expected, what was
//! given and an example of a valid value. Free text is never echoed back: it may be patient or guest
//! data. Accepted values are normalized for the API: date-times go out in UTC with `Z`, and integer
//! IDs given as strings go out as numbers.

use regex::Regex;
use serde_json::{Map, Number, Value};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset, macros::format_description};

/// The largest integer a JSON number holds exactly in most clients (2^53).
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_992;

/// Example ID: above 2^53, so exact only as a string.
const EXAMPLE_ID: &str = "1752849161776013508";

/// One problem with a call's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: `patient.address.postcode`, `items[2]`; empty for the arguments as a whole.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdKind {
    /// The API takes the ID as a string.
    String,
    /// The API takes the ID as a number; the tool takes it as a string.
    Integer,
}

#[derive(Debug)]
enum Additional {
    Any,
    Denied,
    Schema(Box<Schema>),
}

/// A compiled validation schema.
#[derive(Debug)]
pub struct Schema {
    kind: Option<Kind>,
    nullable: bool,
    read_only: bool,
    id: Option<IdKind>,
    format: Option<String>,
    enumeration: Vec<Value>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<(String, Regex)>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    exclusive_minimum: Option<f64>,
    exclusive_maximum: Option<f64>,
    multiple_of: Option<f64>,
    items: Option<Box<Schema>>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    unique_items: bool,
    properties: Vec<(String, Schema)>,
    required: Vec<String>,
    additional: Additional,
    min_properties: Option<usize>,
    max_properties: Option<usize>,
    any_of: Vec<Schema>,
}

impl Schema {
    /// Compiles a validation schema from its JSON text.
    pub fn compile(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json).map_err(|error| format!("invalid schema JSON: {error}"))?;
        Self::from_value(&value)
    }

    /// Compiles a schema given as a JSON value.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let map = value.as_object().ok_or("a schema must be an object")?;
        let number = |key: &str| map.get(key).and_then(Value::as_f64);
        let size = |key: &str| map.get(key).and_then(Value::as_u64).and_then(|n| usize::try_from(n).ok());
        let kind = match map.get("type").and_then(Value::as_str) {
            Some("string") => Some(Kind::String),
            Some("integer") => Some(Kind::Integer),
            Some("number") => Some(Kind::Number),
            Some("boolean") => Some(Kind::Boolean),
            Some("object") => Some(Kind::Object),
            Some("array") => Some(Kind::Array),
            _ => None,
        };
        let pattern = match map.get("pattern").and_then(Value::as_str) {
            Some(text) => Some((text.to_string(), Regex::new(text).map_err(|e| format!("pattern {text}: {e}"))?)),
            None => None,
        };
        let mut properties = Vec::new();
        for (name, property) in map.get("properties").and_then(Value::as_object).into_iter().flatten() {
            properties.push((name.clone(), Self::from_value(property)?));
        }
        let additional = match map.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Denied,
            Some(schema @ Value::Object(_)) => Additional::Schema(Box::new(Self::from_value(schema)?)),
            _ => Additional::Any,
        };
        let any_of = map.get("anyOf").and_then(Value::as_array).into_iter().flatten().map(Self::from_value);
        Ok(Self {
            kind,
            nullable: map.get("nullable") == Some(&Value::Bool(true)),
            read_only: map.get("readOnly") == Some(&Value::Bool(true)),
            id: match map.get("x-id").and_then(Value::as_str) {
                Some("integer") => Some(IdKind::Integer),
                Some(_) => Some(IdKind::String),
                None => None,
            },
            format: map.get("format").and_then(Value::as_str).map(str::to_string),
            enumeration: map.get("enum").and_then(Value::as_array).cloned().unwrap_or_default(),
            min_length: size("minLength"),
            max_length: size("maxLength"),
            pattern,
            minimum: number("minimum"),
            maximum: number("maximum"),
            exclusive_minimum: number("exclusiveMinimum"),
            exclusive_maximum: number("exclusiveMaximum"),
            multiple_of: number("multipleOf"),
            items: map.get("items").map(Self::from_value).transpose()?.map(Box::new),
            min_items: size("minItems"),
            max_items: size("maxItems"),
            unique_items: map.get("uniqueItems") == Some(&Value::Bool(true)),
            properties,
            required: map
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(str::to_string))
                .collect(),
            additional,
            min_properties: size("minProperties"),
            max_properties: size("maxProperties"),
            any_of: any_of.collect::<Result<_, _>>()?,
        })
    }

    /// Checks `value`, normalizing accepted values in place; returns every violation.
    pub fn check(&self, value: &mut Value) -> Vec<Violation> {
        let mut violations = Vec::new();
        self.check_at(value, "", &mut violations);
        violations
    }

    fn check_at(&self, value: &mut Value, path: &str, out: &mut Vec<Violation>) {
        let mut fail = |message: String| out.push(Violation { path: path.to_string(), message });
        if value.is_null() {
            if !self.nullable && (self.kind.is_some() || self.id.is_some()) {
                fail(format!(
                    "null is not allowed; give {}{} or leave the field out",
                    self.expected(),
                    self.example_note()
                ));
            }
            return;
        }
        if !self.any_of.is_empty() {
            for branch in &self.any_of {
                let mut candidate = value.clone();
                if branch.check(&mut candidate).is_empty() {
                    *value = candidate;
                    return;
                }
            }
            let forms: Vec<String> = self.any_of.iter().map(Schema::expected).collect();
            fail(format!("matches none of the allowed forms ({}); got {}", forms.join(" or "), given(value, self)));
            return;
        }
        if let Some(id) = self.id {
            self.check_id(id, value, path, out);
            return;
        }
        if let Some(kind) = self.kind
            && !self.normalize_kind(kind, value)
        {
            fail(format!("expected {}{}; got {}", self.expected(), self.example_suffix(), given(value, self)));
            return;
        }
        if !self.enumeration.is_empty() && !self.enumeration.contains(value) {
            let allowed: Vec<String> = self.enumeration.iter().map(Value::to_string).collect();
            fail(format!("must be one of {}; got {}", allowed.join(", "), given(value, self)));
            return;
        }
        match value {
            Value::String(text) => self.check_string(text, path, out),
            Value::Number(number) => self.check_number(number, path, out),
            Value::Array(items) => self.check_array(items, path, out),
            Value::Object(map) => self.check_object(map, path, out),
            _ => {}
        }
    }

    /// Whether `value` is of `kind`, turning whole floats (`5.0`) into integers.
    fn normalize_kind(&self, kind: Kind, value: &mut Value) -> bool {
        match (kind, &*value) {
            (Kind::String, Value::String(_))
            | (Kind::Number, Value::Number(_))
            | (Kind::Boolean, Value::Bool(_))
            | (Kind::Object, Value::Object(_))
            | (Kind::Array, Value::Array(_)) => true,
            (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => true,
            (Kind::Integer, Value::Number(n)) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
                    *value = Value::from(f as i64);
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    fn check_id(&self, id: IdKind, value: &mut Value, path: &str, out: &mut Vec<Violation>) {
        let mut fail = |message: String| out.push(Violation { path: path.to_string(), message });
        match &*value {
            Value::Number(number) => {
                let precision = if number.as_u64().is_some_and(|n| n <= MAX_SAFE_INTEGER) {
                    "".to_string()
                } else {
                    format!(
                        " Above 2^53 ({MAX_SAFE_INTEGER}) a JSON number has already lost digits, so check the ID itself."
                    )
                };
                fail(format!(
                    "IDs are strings of digits, but a JSON number was given ({number}). Send the ID in quotes, e.g. \"{}\".{precision}",
                    number.as_u64().map_or_else(|| EXAMPLE_ID.to_string(), |n| n.to_string())
                ));
            }
            Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
                if id == IdKind::Integer {
                    match text.parse::<i64>() {
                        Ok(number) => *value = Value::Number(Number::from(number)),
                        Err(_) => fail(format!("ID {text:?} is larger than the API accepts")),
                    }
                }
            }
            Value::String(text) => {
                fail(format!("IDs are strings of digits only, e.g. \"{EXAMPLE_ID}\"; got {}", quote_short(text)))
            }
            other => {
                fail(format!("expected an ID as a string of digits, e.g. \"{EXAMPLE_ID}\"; got {}", given(other, self)))
            }
        }
    }

    fn check_string(&self, text: &mut String, path: &str, out: &mut Vec<Violation>) {
        let mut fail = |message: String| out.push(Violation { path: path.to_string(), message });
        let shown = |text: &str| if self.shows_values() { quote_short(text) } else { describe_text(text) };
        if let Some(format) = self.format.as_deref() {
            match check_format(format, text) {
                Ok(Some(normalized)) => *text = normalized,
                Ok(None) => {}
                Err(problem) => {
                    fail(format!("{problem}{}", self.example_suffix()));
                    return;
                }
            }
        }
        let length = text.chars().count();
        if let Some(min) = self.min_length.filter(|min| length < *min) {
            fail(format!("must have at least {min} characters; got {}", shown(text)));
        }
        if let Some(max) = self.max_length.filter(|max| length > *max) {
            fail(format!("must have at most {max} characters; got {length}"));
        }
        if let Some((source, regex)) = &self.pattern
            && !regex.is_match(text)
        {
            fail(format!("must match the pattern {source}; got {}", shown(text)));
        }
    }

    fn check_number(&self, number: &Number, path: &str, out: &mut Vec<Violation>) {
        let Some(value) = number.as_f64() else { return };
        let mut fail = |message: String| out.push(Violation { path: path.to_string(), message });
        if let Some(min) = self.minimum.filter(|min| value < *min) {
            fail(format!("must be at least {}; got {number}", show_number(min)));
        }
        if let Some(min) = self.exclusive_minimum.filter(|min| value <= *min) {
            fail(format!("must be greater than {}; got {number}", show_number(min)));
        }
        if let Some(max) = self.maximum.filter(|max| value > *max) {
            fail(format!("must be at most {}; got {number}", show_number(max)));
        }
        if let Some(max) = self.exclusive_maximum.filter(|max| value >= *max) {
            fail(format!("must be less than {}; got {number}", show_number(max)));
        }
        if let Some(step) = self.multiple_of.filter(|step| *step > 0.0 && (value / step).fract().abs() > 1e-9) {
            fail(format!("must be a multiple of {}; got {number}", show_number(step)));
        }
    }

    fn check_array(&self, items: &mut [Value], path: &str, out: &mut Vec<Violation>) {
        if let Some(min) = self.min_items.filter(|min| items.len() < *min) {
            out.push(Violation {
                path: path.to_string(),
                message: format!("needs at least {min} items; got {}", items.len()),
            });
        }
        if let Some(max) = self.max_items.filter(|max| items.len() > *max) {
            out.push(Violation {
                path: path.to_string(),
                message: format!("allows at most {max} items; got {}", items.len()),
            });
        }
        if self.unique_items {
            // One pass over the items' JSON texts: long lists are checked in n log n, not n².
            let mut seen = std::collections::BTreeSet::new();
            let duplicate = items.iter().position(|item| !seen.insert(item.to_string()));
            if let Some(index) = duplicate {
                out.push(Violation {
                    path: format!("{path}[{index}]"),
                    message: "repeats an earlier item; items must be unique".into(),
                });
            }
        }
        if let Some(schema) = &self.items {
            for (index, item) in items.iter_mut().enumerate() {
                schema.check_at(item, &format!("{path}[{index}]"), out);
            }
        }
    }

    fn check_object(&self, map: &mut Map<String, Value>, path: &str, out: &mut Vec<Violation>) {
        let child = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
        if let Some(min) = self.min_properties.filter(|min| map.len() < *min) {
            out.push(Violation {
                path: path.to_string(),
                message: format!("needs at least {min} fields; got {}", map.len()),
            });
        }
        if let Some(max) = self.max_properties.filter(|max| map.len() > *max) {
            out.push(Violation {
                path: path.to_string(),
                message: format!("allows at most {max} fields; got {}", map.len()),
            });
        }
        for name in &self.required {
            if !map.contains_key(name) {
                let hint = self.property(name).map(|schema| format!("{}{}", schema.expected(), schema.example_note()));
                let message = match hint {
                    Some(hint) => format!("required but missing; give {hint}"),
                    None => "required but missing".to_string(),
                };
                out.push(Violation { path: child(name), message });
            }
        }
        for (name, schema) in &self.properties {
            let Some(value) = map.get_mut(name) else { continue };
            if schema.read_only {
                out.push(Violation {
                    path: child(name),
                    message: "read-only: the API sets it, so leave it out".into(),
                });
            } else if value.is_null() && !schema.nullable && self.required.contains(name) {
                let message =
                    format!("required, and null is not allowed; give {}{}", schema.expected(), schema.example_note());
                out.push(Violation { path: child(name), message });
            } else {
                schema.check_at(value, &child(name), out);
            }
        }
        let mut unknown = Vec::new();
        for (name, value) in map.iter_mut().filter(|(name, _)| self.property(name).is_none()) {
            match &self.additional {
                Additional::Any => {}
                Additional::Schema(schema) => schema.check_at(value, &child(name), out),
                Additional::Denied => unknown.push(name.clone()),
            }
        }
        if !unknown.is_empty() {
            let allowed: Vec<&str> =
                self.properties.iter().filter(|(_, schema)| !schema.read_only).map(|(name, _)| name.as_str()).collect();
            let allowed = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
            for name in unknown {
                out.push(Violation {
                    path: child(&name),
                    message: format!("not a field of this tool; allowed fields: {allowed}"),
                });
            }
        }
    }

    /// A configured default for property `name`, as the JSON type the property takes.
    pub fn default_value(&self, name: &str, text: &str) -> Value {
        match self.property(name).and_then(|schema| schema.kind.filter(|_| schema.id.is_none())) {
            Some(Kind::Integer) | Some(Kind::Number) => serde_json::from_str(text).unwrap_or_else(|_| text.into()),
            Some(Kind::Boolean) => text.parse::<bool>().map_or_else(|_| text.into(), Value::Bool),
            _ => text.into(),
        }
    }

    fn property(&self, name: &str) -> Option<&Schema> {
        self.properties.iter().find(|(property, _)| property == name).map(|(_, schema)| schema)
    }

    /// Whether a given value of this field may be quoted back (enums, IDs and formatted values,
    /// not free text).
    fn shows_values(&self) -> bool {
        !self.enumeration.is_empty()
            || self.id.is_some()
            || matches!(
                self.format.as_deref(),
                Some("date-time" | "date" | "time" | "uuid" | "int64" | "int32" | "decimal")
            )
    }

    /// What a valid value is, in words.
    fn expected(&self) -> String {
        if self.id.is_some() {
            return "an ID as a string of digits".into();
        }
        let format = self.format.as_deref().and_then(|format| {
            Some(match format {
                "date-time" => "a UTC date-time (RFC 3339)",
                "date" => "a date as YYYY-MM-DD",
                "time" => "a time as HH:MM:SS",
                "email" => "an e-mail address",
                "uuid" => "a UUID",
                "uri" => "an absolute URI",
                "decimal" => "a decimal number as a string",
                _ => return None,
            })
        });
        if let Some(format) = format {
            return format.into();
        }
        match self.kind {
            Some(Kind::String) => "a string",
            Some(Kind::Integer) => "a whole number",
            Some(Kind::Number) => "a number",
            Some(Kind::Boolean) => "true or false",
            Some(Kind::Object) => "an object",
            Some(Kind::Array) => "a list",
            None => "a value",
        }
        .into()
    }

    fn example_suffix(&self) -> String {
        self.example().map(|example| format!(", e.g. {example}")).unwrap_or_default()
    }

    fn example_note(&self) -> String {
        self.example().map(|example| format!(" (e.g. {example})")).unwrap_or_default()
    }

    /// A valid value, as JSON text.
    fn example(&self) -> Option<String> {
        if let Some(first) = self.enumeration.first() {
            return Some(first.to_string());
        }
        if self.id.is_some() {
            return Some(format!("\"{EXAMPLE_ID}\""));
        }
        let by_format = match self.format.as_deref() {
            Some("date-time") => Some("\"2025-09-05T10:00:00Z\""),
            Some("date") => Some("\"2025-09-05\""),
            Some("time") => Some("\"14:30:00\""),
            Some("email") => Some("\"name@example.com\""),
            Some("uuid") => Some("\"123e4567-e89b-12d3-a456-426614174000\""),
            Some("uri") => Some("\"https://example.com/\""),
            Some("decimal") => Some("\"12.50\""),
            _ => None,
        };
        if let Some(example) = by_format {
            return Some(example.into());
        }
        match self.kind? {
            Kind::Integer => {
                let low = self.minimum.or(self.exclusive_minimum.map(|m| m + 1.0)).unwrap_or(1.0);
                Some(show_number(low.ceil().max(low)))
            }
            Kind::Number => Some(show_number(self.minimum.unwrap_or(1.0))),
            Kind::Boolean => Some("true".into()),
            _ => None,
        }
    }
}

/// Checks a string format; `Ok(Some)` carries the normalized text.
fn check_format(format: &str, text: &str) -> Result<Option<String>, String> {
    let shown = quote_short(text);
    match format {
        "date-time" => match OffsetDateTime::parse(text, &Rfc3339) {
            Ok(moment) => {
                // The UTC form of a moment near the end of year 9999 is out of range: refused, not a panic.
                let utc = moment.checked_to_offset(UtcOffset::UTC).and_then(|utc| utc.format(&Rfc3339).ok());
                utc.map(Some).ok_or_else(|| format!("{shown} is out of the range of dates the API accepts"))
            }
            Err(_) if looks_like_local_time(text) => Err(format!(
                "{shown} has no UTC offset; expected an RFC 3339 date-time ending in Z (UTC) or the local offset such as +10:00"
            )),
            Err(_) => Err(format!("{shown} is not an RFC 3339 date-time with an offset")),
        },
        "date" => {
            let shaped = text.len() == 10
                && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
            if !shaped {
                Err(format!("{shown} is not a date as YYYY-MM-DD"))
            } else if Date::parse(text, format_description!("[year]-[month]-[day]")).is_err() {
                Err(format!("{shown} is not a real calendar date"))
            } else {
                Ok(None)
            }
        }
        "time" => {
            if is_time(text) {
                Ok(None)
            } else {
                Err(format!("{shown} is not a time as HH:MM:SS"))
            }
        }
        "email" => {
            let valid = text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }) && !text.chars().any(char::is_whitespace);
            if valid { Ok(None) } else { Err(format!("{} is not an e-mail address", describe_text(text))) }
        }
        "uuid" => {
            let valid = text.len() == 36
                && text
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() });
            if valid { Ok(None) } else { Err(format!("{shown} is not a UUID")) }
        }
        "uri" => {
            let scheme_end = text.find(':').unwrap_or(0);
            let scheme = &text[..scheme_end];
            let valid = scheme_end > 0
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !text.chars().any(char::is_whitespace);
            if valid { Ok(None) } else { Err(format!("{} is not an absolute URI", describe_text(text))) }
        }
        "ipv4" => {
            text.parse::<std::net::Ipv4Addr>().map(|_| None).map_err(|_| format!("{shown} is not an IPv4 address"))
        }
        "int64" => text.parse::<i64>().map(|_| None).map_err(|_| format!("{shown} is not a whole number")),
        "int32" => text.parse::<i32>().map(|_| None).map_err(|_| format!("{shown} is not a 32-bit whole number")),
        "decimal" => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
            let valid = !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit());
            if valid { Ok(None) } else { Err(format!("{shown} is not a decimal number such as \"12.50\"")) }
        }
        "byte" => {
            let valid = text.len().is_multiple_of(4)
                && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
            if valid { Ok(None) } else { Err(format!("{} is not base64", describe_text(text))) }
        }
        _ => Ok(None),
    }
}

/// `2025-09-05T10:00:00` or `2025-09-05 10:00`: a date and time with nothing after it.
fn looks_like_local_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 16
        && bytes[..10].iter().enumerate().all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() })
        && matches!(bytes[10], b'T' | b't' | b' ')
        && !text[11..].contains(['Z', 'z', '+', '-'])
}

/// `HH:MM`, `HH:MM:SS`, optional fraction, optional `Z` or `±HH:MM`.
fn is_time(text: &str) -> bool {
    let (clock, offset) = match text.find(['Z', 'z', '+', '-']) {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    };
    let valid_offset = offset.is_empty()
        || offset.eq_ignore_ascii_case("z")
        || (offset.len() == 6
            && two_digits(&offset[1..3], 23)
            && &offset[3..4] == ":"
            && two_digits(&offset[4..6], 59));
    let clock = clock.split_once('.').map_or(clock, |(whole, fraction)| {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) { "invalid" } else { whole }
    });
    let parts: Vec<&str> = clock.split(':').collect();
    let valid_clock = match parts.as_slice() {
        [hour, minute] => two_digits(hour, 23) && two_digits(minute, 59),
        [hour, minute, second] => two_digits(hour, 23) && two_digits(minute, 59) && two_digits(second, 60),
        _ => false,
    };
    valid_offset && valid_clock
}

fn two_digits(text: &str, max: u8) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u8>().is_ok_and(|n| n <= max)
}

/// A value as a message may show it: free text only as its length.
fn given(value: &Value, schema: &Schema) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(text) if schema.shows_values() => quote_short(text),
        Value::String(text) => describe_text(text),
        Value::Array(items) => format!("a list of {} items", items.len()),
        Value::Object(_) => "an object".into(),
    }
}

fn describe_text(text: &str) -> String {
    format!("a text of {} characters", text.chars().count())
}

fn quote_short(text: &str) -> String {
    if text.chars().count() <= 64 { format!("{text:?}") } else { describe_text(text) }
}

fn show_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(schema: Value, mut value: Value) -> (Vec<String>, Value) {
        let schema = Schema::from_value(&schema).unwrap();
        let violations = schema.check(&mut value).into_iter().map(|v| format!("{}: {}", v.path, v.message)).collect();
        (violations, value)
    }

    fn object(properties: Value, required: &[&str]) -> Value {
        json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let schema = object(
            json!({"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}, "kind": {"type": "string", "enum": ["a", "b"]}}),
            &["name", "age"],
        );
        let (violations, _) = check(schema, json!({"age": -1, "kind": "c", "extra": 1}));
        assert_eq!(
            violations,
            [
                "name: required but missing; give a string",
                "age: must be at least 0; got -1",
                "kind: must be one of \"a\", \"b\"; got \"c\"",
                "extra: not a field of this tool; allowed fields: name, age, kind",
            ]
        );
    }

    #[test]
    fn string_ids_refuse_numbers_and_explain_precision() {
        let schema = object(json!({"id": {"type": "string", "x-id": "string", "pattern": "^[0-9]+$"}}), &["id"]);
        let (violations, _) = check(schema.clone(), json!({"id": 1752849161776013508u64}));
        assert!(
            violations[0].contains("IDs are strings of digits") && violations[0].contains("2^53"),
            "{violations:?}"
        );
        assert!(violations[0].contains("\"1752849161776013508\""), "{violations:?}");
        let (violations, _) = check(schema.clone(), json!({"id": "12a"}));
        assert!(violations[0].contains("digits only"), "{violations:?}");
        let (violations, value) = check(schema, json!({"id": "1752849161776013508"}));
        assert!(violations.is_empty());
        assert_eq!(value["id"], "1752849161776013508");
    }

    #[test]
    fn integer_ids_are_taken_as_strings_and_sent_as_numbers() {
        let schema = object(json!({"patient": {"type": "string", "x-id": "integer"}}), &[]);
        let (violations, value) = check(schema.clone(), json!({"patient": "42"}));
        assert!(violations.is_empty());
        assert_eq!(value["patient"], 42);
        let (violations, _) = check(schema, json!({"patient": 42}));
        assert!(violations[0].contains("Send the ID in quotes, e.g. \"42\""), "{violations:?}");
    }

    #[test]
    fn date_times_need_an_offset_and_go_out_in_utc() {
        let schema = object(json!({"at": {"type": "string", "format": "date-time"}}), &[]);
        let (violations, value) = check(schema.clone(), json!({"at": "2025-09-05T20:00:00+10:00"}));
        assert!(violations.is_empty());
        assert_eq!(value["at"], "2025-09-05T10:00:00Z");
        let (_, value) = check(schema.clone(), json!({"at": "2025-09-05T10:00:00.250Z"}));
        assert_eq!(value["at"], "2025-09-05T10:00:00.25Z");
        let (violations, _) = check(schema.clone(), json!({"at": "2025-09-05T10:00:00"}));
        assert!(
            violations[0].contains("has no UTC offset") && violations[0].contains("2025-09-05T10:00:00Z"),
            "{violations:?}"
        );
        let (violations, _) = check(schema, json!({"at": "next tuesday"}));
        assert!(violations[0].contains("is not an RFC 3339 date-time"), "{violations:?}");
    }

    #[test]
    fn date_times_at_the_edge_of_the_calendar_are_refused_not_a_panic() {
        let schema = object(json!({"at": {"type": "string", "format": "date-time"}}), &[]);
        let (violations, _) = check(schema.clone(), json!({"at": "9999-12-31T23:59:59-01:00"}));
        assert_eq!(
            violations,
            [
                "at: \"9999-12-31T23:59:59-01:00\" is out of the range of dates the API accepts, e.g. \"2025-09-05T10:00:00Z\""
            ]
        );
        let (violations, value) = check(schema, json!({"at": "0000-01-01T00:00:00+01:00"}));
        assert!(violations.len() == 1 || value["at"].is_string(), "{violations:?}");
    }

    #[test]
    fn every_listed_format_is_checked_except_free_text() {
        for format in super::super::formats::CHECKED_FORMATS {
            let free_text = matches!(*format, "binary" | "password");
            assert_eq!(check_format(format, "not valid \u{0}").is_ok(), free_text, "{format}");
        }
    }

    #[test]
    fn dates_and_times_are_real() {
        let schema =
            object(json!({"d": {"type": "string", "format": "date"}, "t": {"type": "string", "format": "time"}}), &[]);
        assert!(check(schema.clone(), json!({"d": "2024-02-29", "t": "14:30:00"})).0.is_empty());
        let (violations, _) = check(schema.clone(), json!({"d": "2025-02-30", "t": "25:00"}));
        assert_eq!(violations.len(), 2);
        assert!(
            violations[0].contains("not a real calendar date") && violations[1].contains("not a time"),
            "{violations:?}"
        );
        let (violations, _) = check(schema, json!({"d": "05/09/2025"}));
        assert!(violations[0].contains("YYYY-MM-DD"), "{violations:?}");
    }

    #[test]
    fn formats_lengths_patterns_and_bounds() {
        let schema = object(
            json!({
                "email": {"type": "string", "format": "email"},
                "uuid": {"type": "string", "format": "uuid"},
                "uri": {"type": "string", "format": "uri"},
                "code": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[A-Z]+$"},
                "low": {"type": "number", "exclusiveMinimum": 0},
                "high": {"type": "integer", "exclusiveMaximum": 10, "maximum": 20},
                "step": {"type": "integer", "multipleOf": 5}
            }),
            &[],
        );
        let good = json!({"email": "a@b.co", "uuid": "123e4567-e89b-12d3-a456-426614174000", "uri": "https://x.io/a", "code": "AB", "low": 0.5, "high": 9, "step": 15});
        assert!(check(schema.clone(), good).0.is_empty());
        let bad = json!({"email": "ann smith", "uuid": "123", "uri": "not a uri", "code": "abcd", "low": 0, "high": 10, "step": 7});
        let (violations, _) = check(schema, bad);
        assert_eq!(violations.len(), 8, "{violations:?}");
        assert!(violations.iter().all(|v| !v.contains("ann smith")), "free text is not echoed: {violations:?}");
    }

    #[test]
    fn arrays_nested_objects_nullable_and_read_only() {
        let schema = object(
            json!({
                "tags": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}, "minItems": 1, "maxItems": 2, "uniqueItems": true},
                "patient": {"type": "object", "properties": {"address": {"type": "object", "properties": {"postcode": {"type": "string", "maxLength": 4}}}}},
                "notes": {"type": "string", "nullable": true},
                "name": {"type": "string"},
                "id": {"readOnly": true}
            }),
            &[],
        );
        let (violations, _) = check(
            schema.clone(),
            json!({"tags": ["x", "x", "z"], "patient": {"address": {"postcode": "123456"}}, "notes": null, "name": null, "id": "1"}),
        );
        assert_eq!(
            violations,
            [
                "tags: allows at most 2 items; got 3",
                "tags[1]: repeats an earlier item; items must be unique",
                "tags[2]: must be one of \"x\", \"y\"; got \"z\"",
                "patient.address.postcode: must have at most 4 characters; got 6",
                "name: null is not allowed; give a string or leave the field out",
                "id: read-only: the API sets it, so leave it out",
            ]
        );
    }

    #[test]
    fn map_sizes_are_bounded() {
        let schema = object(
            json!({"metadata": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 1}}),
            &[],
        );
        let (violations, _) = check(schema, json!({"metadata": {"a": "1", "b": 2}}));
        assert_eq!(
            violations,
            ["metadata: allows at most 1 fields; got 2", "metadata.b: expected a string; got the number 2"]
        );
    }

    #[test]
    fn wrong_types_and_unions() {
        let schema = object(
            json!({"n": {"type": "integer"}, "b": {"type": "boolean"}, "u": {"anyOf": [{"type": "integer"}, {"type": "string", "format": "date"}]}}),
            &[],
        );
        let (violations, value) = check(schema.clone(), json!({"n": 5.0, "b": true, "u": "2025-01-01"}));
        assert!(violations.is_empty(), "{violations:?}");
        assert_eq!(value["n"], 5);
        let (violations, _) = check(schema, json!({"n": "five", "b": "yes", "u": true}));
        assert_eq!(violations.len(), 3);
        assert!(
            violations[0].starts_with("n: expected a whole number, e.g. 1; got a text of 4 characters"),
            "{violations:?}"
        );
        assert!(violations[2].contains("matches none of the allowed forms"), "{violations:?}");
    }
}
