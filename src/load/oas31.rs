//! OpenAPI 3.1 constructs rewritten into the 3.0 model that `openapiv3` reads.
//!
//! `type: [X, "null"]` becomes `type: X` + `nullable`, `const` becomes a one-value `enum`, numeric
//! `exclusiveMinimum`/`exclusiveMaximum` become the boolean form, schema `examples` arrays become
//! `example`, boolean schemas become objects. What cannot be carried (several non-null types) is a
//! warning. Names (of properties, components, responses) are never read as keywords.

use serde_json::{Map, Value, json};

use crate::diag::{self, Diagnostic};

/// Keys whose values are data, not schemas or spec objects: never rewritten.
const DATA_KEYS: &[&str] = &["example", "default", "enum", "const", "x-examples", "value"];

/// Keys whose values map names (of properties, components, responses, media types...) to objects:
/// a name is never a keyword, so a property called `default`, `type` or `const` is a schema like
/// any other.
const NAME_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
    "paths",
    "content",
    "encoding",
    "examples",
];

/// Rewrites a 3.1 document in place into 3.0.3.
pub fn downgrade(doc: &mut Value, diagnostics: &mut Vec<Diagnostic>) {
    if let Value::Object(map) = doc {
        map.insert("openapi".into(), json!("3.0.3"));
        map.remove("webhooks");
        map.remove("jsonSchemaDialect");
    }
    normalize(doc, diagnostics);
}

/// Rewrites the 3.1 schema constructs of any document into their 3.0 forms: published 3.0 specs
/// use them too (`type: [string, "null"]`, boolean schemas), and their meaning is clear.
pub fn normalize(doc: &mut Value, diagnostics: &mut Vec<Diagnostic>) {
    rewrite(doc, "#", diagnostics);
}

fn rewrite(value: &mut Value, pointer: &str, diagnostics: &mut Vec<Diagnostic>) {
    match value {
        Value::Object(map) => {
            rewrite_schema_keywords(map, pointer, diagnostics);
            for (key, child) in map.iter_mut() {
                let pointer = diag::child(pointer, key);
                match (child, key.as_str()) {
                    (Value::Object(names), key) if NAME_MAPS.contains(&key) => {
                        // A property that may never appear is one the tool does not offer.
                        if key == "properties" {
                            names.retain(|_, item| *item != Value::Bool(false));
                        }
                        if key == "encoding" {
                            names.values_mut().for_each(explode_by_default);
                        }
                        for (name, item) in names.iter_mut() {
                            if let Value::Bool(admits_anything) = item {
                                *item = boolean_schema(*admits_anything);
                            }
                            rewrite(item, &diag::child(&pointer, name), diagnostics);
                        }
                    }
                    (child @ Value::Bool(_), "items" | "not" | "schema" | "contains" | "propertyNames") => {
                        *child = boolean_schema(child.as_bool() == Some(true));
                    }
                    (_, key) if DATA_KEYS.contains(&key) => {}
                    (child, _) => rewrite(child, &pointer, diagnostics),
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

/// Writes out the `explode` OpenAPI gives a form-style field by default (`true`): the model reads an
/// absent `explode` as `false`.
fn explode_by_default(encoding: &mut Value) {
    if let Value::Object(encoding) = encoding
        && encoding.get("style").is_none_or(|style| style == "form")
    {
        encoding.entry("explode").or_insert(Value::Bool(true));
    }
}

/// The object form of a boolean schema: `true` admits anything, `false` nothing.
fn boolean_schema(admits_anything: bool) -> Value {
    if admits_anything { json!({}) } else { json!({"not": {}}) }
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
    // The model keeps no `xml` object; as an extension it survives for XML bodies to read.
    if let Some(xml @ Value::Object(_)) = map.remove("xml") {
        map.insert("x-xml".into(), xml);
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
    fn properties_named_like_keywords_are_schemas() {
        let mut doc = json!({"components": {"schemas": {"A": {"type": "object", "properties": {
            "default": {"type": ["string", "null"]},
            "type": {"type": ["integer", "null"]},
            "const": {"const": "x"},
            "enum": {"type": ["boolean", "null"], "default": true},
            "example": {"type": ["string", "null"], "example": ["kept", "as data"]},
            "additionalProperties": false,
            "anything": true
        }}}, "responses": {"default": {"description": "d", "content": {"application/json": {"schema": {"type": ["string", "null"]}}}}}}});
        let mut diagnostics = Vec::new();
        downgrade(&mut doc, &mut diagnostics);
        let props = &doc["components"]["schemas"]["A"]["properties"];
        assert_eq!(props["default"], json!({"type": "string", "nullable": true}));
        assert_eq!(props["type"], json!({"type": "integer", "nullable": true}));
        assert_eq!(props["const"], json!({"enum": ["x"]}));
        assert_eq!(props["enum"], json!({"type": "boolean", "nullable": true, "default": true}));
        assert_eq!(props["example"]["example"], json!(["kept", "as data"]));
        assert!(props.get("additionalProperties").is_none(), "a property that may never appear is dropped");
        assert_eq!(props["anything"], json!({}));
        let default_response = &doc["components"]["responses"]["default"]["content"]["application/json"]["schema"];
        assert_eq!(default_response, &json!({"type": "string", "nullable": true}));
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }

    #[test]
    fn form_encodings_explode_by_default_and_xml_objects_survive() {
        let mut doc = json!({"paths": {"/a": {"post": {"requestBody": {"content": {"application/x-www-form-urlencoded": {
            "schema": {"type": "object", "xml": {"name": "Req"}, "properties": {"a": {"type": "array", "xml": {"name": "A"}}}},
            "encoding": {"a": {}, "b": {"style": "form", "explode": false}, "c": {"style": "deepObject"}, "d": {"style": "form"}}
        }}}}}}});
        normalize(&mut doc, &mut Vec::new());
        let media = &doc["paths"]["/a"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"];
        assert_eq!(
            media["encoding"],
            json!({"a": {"explode": true}, "b": {"style": "form", "explode": false}, "c": {"style": "deepObject"}, "d": {"style": "form", "explode": true}})
        );
        assert_eq!(media["schema"]["x-xml"], json!({"name": "Req"}));
        assert_eq!(media["schema"]["properties"]["a"]["x-xml"], json!({"name": "A"}));
    }

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
