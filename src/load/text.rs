//! Bytes to a JSON value: YAML or JSON, with syntax errors located.

use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Position};

/// Parses `text` as JSON when it looks like JSON, else as YAML (a superset of JSON).
pub fn parse(text: &str) -> Result<Value, Box<Diagnostic>> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|error| {
            located_box(
                Diagnostic::error("#", format!("invalid JSON: {error}"), "fix the JSON syntax at this position"),
                error.line(),
                error.column(),
            )
        });
    }
    let yaml: yaml_serde::Value = yaml_serde::from_str(text).map_err(|error| {
        let diagnostic =
            Diagnostic::error("#", format!("invalid YAML: {error}"), "fix the YAML syntax at this position");
        match error.location() {
            Some(location) => located_box(diagnostic, location.line(), location.column()),
            None => Box::new(diagnostic),
        }
    })?;
    let mut yaml = yaml;
    yaml.apply_merge().map_err(|error| {
        Box::new(Diagnostic::error("#", format!("invalid YAML merge key: {error}"), "`<<` must merge a mapping"))
    })?;
    Ok(to_json(yaml))
}

fn located_box(mut diagnostic: Diagnostic, line: usize, column: usize) -> Box<Diagnostic> {
    diagnostic.position = Some(Position { line, column });
    Box::new(diagnostic)
}

/// YAML to JSON. Mapping keys that are not strings (`200:` response codes) become their text.
fn to_json(value: yaml_serde::Value) -> Value {
    match value {
        yaml_serde::Value::Null => Value::Null,
        yaml_serde::Value::Bool(b) => Value::Bool(b),
        yaml_serde::Value::Number(n) => number(&n),
        yaml_serde::Value::String(s) => Value::String(s),
        yaml_serde::Value::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        yaml_serde::Value::Mapping(mapping) => {
            let mut object = Map::new();
            for (key, value) in mapping {
                object.insert(key_text(key), to_json(value));
            }
            Value::Object(object)
        }
        yaml_serde::Value::Tagged(tagged) => to_json(tagged.value),
    }
}

fn number(n: &yaml_serde::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
    }
}

fn key_text(key: yaml_serde::Value) -> String {
    match key {
        yaml_serde::Value::String(s) => s,
        yaml_serde::Value::Null => "null".to_string(),
        yaml_serde::Value::Bool(b) => b.to_string(),
        yaml_serde::Value::Number(n) => n.to_string(),
        other => serde_json::to_string(&to_json(other)).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_integer_keys_become_strings() {
        let value = parse("responses:\n  200:\n    description: ok\n").unwrap();
        assert_eq!(value["responses"]["200"]["description"], "ok");
    }

    #[test]
    fn syntax_errors_are_located() {
        let error = parse("a: [1, 2\nb: c").unwrap_err();
        assert!(error.position.is_some(), "{error:?}");
        let error = parse("{\"a\": }").unwrap_err();
        assert_eq!(error.position, Some(Position { line: 1, column: 7 }));
    }
}
