//! OpenAPI 3.1 constructs rewritten into the 3.0 model that `openapiv3` reads.
//!
//! `type: [X, "null"]` becomes `type: X` + `nullable`, `const` becomes a one-value `enum`, numeric
//! `exclusiveMinimum`/`exclusiveMaximum` become the boolean form, schema `examples` arrays become
//! `example`. What cannot be carried (several non-null types) is a warning.

use serde_json::{Map, Value, json};

use crate::diag::{self, Diagnostic};

/// Keys whose values are data, not schemas or spec objects: never rewritten.
const DATA_KEYS: &[&str] = &["example", "default", "enum", "const", "x-examples"];

/// Rewrites a 3.1 document in place into 3.0.3.
pub fn downgrade(doc: &mut Value, diagnostics: &mut Vec<Diagnostic>) {
    if let Value::Object(map) = doc {
        map.insert("openapi".into(), json!("3.0.3"));
        map.remove("webhooks");
        map.remove("jsonSchemaDialect");
    }
    rewrite(doc, "#", diagnostics);
}

fn rewrite(value: &mut Value, pointer: &str, diagnostics: &mut Vec<Diagnostic>) {
    match value {
        Value::Object(map) => {
            rewrite_schema_keywords(map, pointer, diagnostics);
            for (key, child) in map.iter_mut() {
                if !DATA_KEYS.contains(&key.as_str()) {
                    rewrite(child, &diag::child(pointer, key), diagnostics);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                rewrite(item, &diag::child(pointer, index.to_string()), diagnostics);
            }
        }
        _ => {}
    }
}

fn rewrite_schema_keywords(map: &mut Map<String, Value>, pointer: &str, diagnostics: &mut Vec<Diagnostic>) {
    if let Some(Value::Array(types)) = map.get("type").cloned() {
        let non_null: Vec<&Value> = types.iter().filter(|t| t.as_str() != Some("null")).collect();
        if non_null.len() < types.len() {
            map.insert("nullable".into(), Value::Bool(true));
        }
        match non_null.as_slice() {
            [single] => {
                map.insert("type".into(), (*single).clone());
            }
            [] => {
                map.remove("type");
            }
            _ => {
                map.remove("type");
                diagnostics.push(Diagnostic::warning(
                    diag::child(pointer, "type"),
                    format!("a schema with several types ({}) cannot be expressed in OpenAPI 3.0", json!(types)),
                    "the value is accepted as any JSON type; split it with oneOf for precise validation",
                ));
            }
        }
    }
    if let Some(constant) = map.remove("const") {
        map.insert("enum".into(), Value::Array(vec![constant]));
    }
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(limit) = map.get(exclusive).filter(|v| v.is_number()).cloned() {
            map.insert(bound.into(), limit);
            map.insert(exclusive.into(), Value::Bool(true));
        }
    }
    if let Some(Value::Array(examples)) = map.get("examples").cloned() {
        map.remove("examples");
        if let Some(first) = examples.into_iter().next() {
            map.entry("example").or_insert(first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_arrays_const_and_exclusive_bounds() {
        let mut doc = json!({"openapi": "3.1.0", "components": {"schemas": {"A": {
            "type": "object",
            "properties": {
                "name": {"type": ["string", "null"], "examples": ["x"]},
                "kind": {"const": "a"},
                "n": {"type": "integer", "exclusiveMinimum": 0},
                "any": {"type": ["string", "integer"]},
                "enum": {"type": "string", "enum": ["const"]}
            }
        }}}});
        let mut diagnostics = Vec::new();
        downgrade(&mut doc, &mut diagnostics);
        let props = &doc["components"]["schemas"]["A"]["properties"];
        assert_eq!(props["name"], json!({"type": "string", "nullable": true, "example": "x"}));
        assert_eq!(props["kind"], json!({"enum": ["a"]}));
        assert_eq!(props["n"], json!({"type": "integer", "exclusiveMinimum": true, "minimum": 0}));
        assert_eq!(props["enum"]["enum"], json!(["const"]));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].pointer, "#/components/schemas/A/properties/any/type");
    }
}
