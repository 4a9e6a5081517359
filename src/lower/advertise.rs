//! From the validation schema to what `tools/list` advertises: format rules written into the
//! descriptions (so models get values right the first time), and the validator's markers removed.

use serde_json::{Map, Value, json};

/// Example ID used in descriptions and messages: above 2^53, so exact only as a string.
pub const EXAMPLE_ID: &str = "1752849161776013508";

/// The input schema of a file a tool sends: content in base64, or a URL the server fetches when its
/// configuration allows it, with an optional file name and media type.
pub fn file_input_schema() -> Value {
    json!({
        "type": "object",
        "description": "A file: its bytes in base64 as `content_base64`, or a `url` the server fetches (only URLs its configuration allows); with an optional `filename` and `content_type`.",
        "properties": {
            "content_base64": {"type": "string", "description": "The file's bytes, base64-encoded."},
            "url": {"type": "string", "description": "Where the server fetches the file instead."},
            "filename": {"type": "string", "description": "The file name sent with it."},
            "content_type": {"type": "string", "description": "Its media type, such as `application/pdf`."}
        },
        "additionalProperties": false
    })
}

/// Adds the format rule of every node with a format or an ID marker to its description.
pub fn add_hints(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    if let Some(hint) = hint(map) {
        let description = match map.get("description").and_then(Value::as_str) {
            Some(text) if !text.contains(&hint) => {
                let text = text.trim_end();
                let stop = if text.ends_with(['.', '!', '?', ':', ';']) { "" } else { "." };
                format!("{text}{stop} {hint}")
            }
            Some(text) => text.to_string(),
            None => hint,
        };
        map.insert("description".into(), Value::String(description));
    }
    for key in ["properties", "items", "additionalProperties", "anyOf"] {
        match map.get_mut(key) {
            Some(Value::Object(children)) if key == "properties" => children.values_mut().for_each(add_hints),
            Some(Value::Array(children)) => children.iter_mut().for_each(add_hints),
            Some(child @ Value::Object(_)) => add_hints(child),
            _ => {}
        }
    }
}

fn hint(map: &Map<String, Value>) -> Option<String> {
    if let Some(var) = map.get("x-default-env").and_then(Value::as_str) {
        return Some(format!("Optional: when omitted, the server's configured value ({var}) is used."));
    }
    if map.contains_key("x-id") {
        return Some(format!("String ID of digits, e.g. \"{EXAMPLE_ID}\"."));
    }
    // The format already names the syntax: a hint gives an example and what the server does.
    let text = match map.get("format").and_then(Value::as_str)? {
        "date-time" => "In UTC, e.g. \"2025-09-05T10:00:00Z\"; an offset such as +10:00 is converted.",
        "date" => "YYYY-MM-DD, e.g. \"2025-09-05\".",
        "time" => "HH:MM:SS, e.g. \"14:30:00\".",
        "email" => "E.g. \"name@example.com\".",
        "uuid" => "E.g. \"123e4567-e89b-12d3-a456-426614174000\".",
        "uri" => "Absolute, e.g. \"https://example.com/\".",
        "decimal" => "A decimal number as a string, e.g. \"12.50\".",
        _ => return None,
    };
    Some(text.to_string())
}

/// The schema without the validator's markers: no `nullable`, `x-` keywords or `readOnly`
/// properties (a read-only property is not an input). A nullable value with a type is published
/// as `anyOf: [<the value>, {type: null}]` (its description kept beside), which JSON Schema, and
/// so every major model provider, reads as "this, or null".
pub fn advertised(schema: &Value) -> Value {
    match schema {
        Value::Object(map) if map.get("nullable") == Some(&Value::Bool(true)) && map.contains_key("type") => {
            let mut value = map.clone();
            value.remove("nullable");
            let description = value.remove("description");
            let mut out = Map::new();
            if let Some(description) = description {
                out.insert("description".into(), description);
            }
            out.insert("anyOf".into(), json!([advertised(&Value::Object(value)), {"type": "null"}]));
            Value::Object(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "nullable" | "readOnly" | "writeOnly" => {}
                    _ if key.starts_with("x-") => {}
                    "enum" | "default" | "example" => {
                        out.insert(key.clone(), value.clone());
                    }
                    "required" => {
                        let defaulted = |name: &str| {
                            map.get("properties")
                                .and_then(|p| p.get(name))
                                .is_some_and(|p| p.get("x-default-env").is_some())
                        };
                        let required: Vec<Value> = value
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|name| !name.as_str().is_some_and(defaulted))
                            .cloned()
                            .collect();
                        if !required.is_empty() {
                            out.insert(key.clone(), Value::Array(required));
                        }
                    }
                    "properties" => {
                        let properties = value
                            .as_object()
                            .into_iter()
                            .flatten()
                            .filter(|(_, property)| property.get("readOnly") != Some(&Value::Bool(true)))
                            .map(|(name, property)| (name.clone(), advertised(property)))
                            .collect();
                        out.insert(key.clone(), Value::Object(properties));
                    }
                    _ => {
                        out.insert(key.clone(), advertised(value));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(advertised).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markers_are_stripped_and_read_only_properties_dropped() {
        let schema = json!({"type": "object", "properties": {
            "id": {"readOnly": true},
            "patient": {"type": "string", "x-id": "integer", "nullable": true, "enum": ["x-id"]}
        }, "required": ["patient"]});
        assert_eq!(
            advertised(&schema),
            json!({"type": "object", "properties": {
                "patient": {"anyOf": [{"type": "string", "enum": ["x-id"]}, {"type": "null"}]}
            }, "required": ["patient"]})
        );
    }

    #[test]
    fn nullable_values_are_published_as_this_or_null() {
        let schema = json!({"type": "object", "properties": {
            "email": {"type": "string", "format": "email", "nullable": true, "description": "Contact."},
            "any": {"nullable": true}
        }});
        assert_eq!(
            advertised(&schema)["properties"],
            json!({
                "email": {"description": "Contact.", "anyOf": [{"type": "string", "format": "email"}, {"type": "null"}]},
                "any": {}
            })
        );
    }

    #[test]
    fn format_rules_join_the_description() {
        let mut schema = json!({"type": "object", "properties": {
            "starts_at": {"type": "string", "format": "date-time", "description": "Start."},
            "ids": {"type": "array", "items": {"type": "string", "x-id": "string"}}
        }});
        add_hints(&mut schema);
        assert!(schema["properties"]["starts_at"]["description"].as_str().unwrap().starts_with("Start. In UTC, e.g."));
        assert!(schema["properties"]["ids"]["items"]["description"].as_str().unwrap().contains(EXAMPLE_ID));
    }
}
