//! Schema text stored once per crate: a JSON subtree of at least [`MIN_SHARED_BYTES`] that appears
//! more than once across the tools' schemas (a component schema inlined into many tools, mostly)
//! is written once in `src/schemas.rs` and replaced by `{"$shared": N}`; the runtime expands the
//! references when it first needs a tool's schema. What the tools list and validate is unchanged.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The key of a reference to a shared subtree.
pub const MARKER: &str = "$shared";
/// The smallest subtree worth sharing, in bytes of JSON.
const MIN_SHARED_BYTES: usize = 256;

/// Schemas with their repeated subtrees taken out.
#[derive(Debug, Default)]
pub struct Shared {
    /// The shared subtrees' JSON, by reference number; each may refer to others.
    pub texts: Vec<String>,
}

impl Shared {
    /// Takes the repeated subtrees out of `schemas` (in place) into the table. Schemas that hold
    /// an object that looks like a reference are left whole, with nothing shared.
    pub fn extract(schemas: &mut [&mut Value]) -> Self {
        if schemas.iter().any(|schema| has_marker(schema)) {
            return Self::default();
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for schema in schemas.iter() {
            count(schema, &mut counts);
        }
        let repeated: BTreeMap<String, usize> = counts.into_iter().filter(|(_, count)| *count > 1).collect();
        let mut shared = Self::default();
        let mut numbers: BTreeMap<String, usize> = BTreeMap::new();
        for schema in schemas.iter_mut() {
            replace(schema, &repeated, &mut numbers, &mut shared, true);
        }
        shared
    }
}

/// Counts each subtree of `value` at least [`MIN_SHARED_BYTES`] long, by its JSON text; returns
/// the text of `value`.
fn count(value: &Value, counts: &mut BTreeMap<String, usize>) -> String {
    let text = match value {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .map(|(key, child)| format!("{}:{}", Value::String(key.clone()), count(child, counts)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|item| count(item, counts)).collect();
            format!("[{}]", items.join(","))
        }
        scalar => return scalar.to_string(),
    };
    if text.len() >= MIN_SHARED_BYTES {
        *counts.entry(text.clone()).or_insert(0) += 1;
    }
    text
}

/// Replaces each repeated subtree below `value` (and `value` itself unless `root`) by a reference,
/// numbering subtrees as they are first met.
fn replace(
    value: &mut Value,
    repeated: &BTreeMap<String, usize>,
    numbers: &mut BTreeMap<String, usize>,
    shared: &mut Shared,
    root: bool,
) {
    let text = value.to_string();
    if text.len() < MIN_SHARED_BYTES {
        return;
    }
    if !root && repeated.contains_key(&text) {
        let number = match numbers.get(&text) {
            Some(number) => *number,
            None => {
                let number = shared.texts.len();
                numbers.insert(text.clone(), number);
                shared.texts.push(String::new());
                let mut own = value.clone();
                replace(&mut own, repeated, numbers, shared, true);
                shared.texts[number] = own.to_string();
                number
            }
        };
        let mut reference = Map::new();
        reference.insert(MARKER.into(), Value::from(number));
        *value = Value::Object(reference);
        return;
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(|child| replace(child, repeated, numbers, shared, false)),
        Value::Array(items) => items.iter_mut().for_each(|item| replace(item, repeated, numbers, shared, false)),
        _ => {}
    }
}

/// Whether `value` holds an object whose only key is [`MARKER`].
fn has_marker(value: &Value) -> bool {
    match value {
        Value::Object(map) => (map.len() == 1 && map.contains_key(MARKER)) || map.values().any(has_marker),
        Value::Array(items) => items.iter().any(has_marker),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Expands references the way the runtime does, for the round trip.
    fn expand(value: &Value, shared: &Shared) -> Value {
        match value {
            Value::Object(map) if map.len() == 1 && map.contains_key(MARKER) => {
                let number = map[MARKER].as_u64().unwrap() as usize;
                expand(&serde_json::from_str(&shared.texts[number]).unwrap(), shared)
            }
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), expand(v, shared))).collect()),
            Value::Array(items) => Value::Array(items.iter().map(|item| expand(item, shared)).collect()),
            scalar => scalar.clone(),
        }
    }

    #[test]
    fn repeated_subtrees_are_stored_once_and_expand_back() {
        let address = json!({"type": "object", "description": "A postal address. ".repeat(12), "properties": {"city": {"type": "string"}}});
        let mut first = json!({"type": "object", "properties": {"home": address.clone(), "work": address.clone()}});
        let mut second =
            json!({"type": "object", "properties": {"billing": address.clone(), "id": {"type": "string"}}});
        let (before_first, before_second) = (first.clone(), second.clone());
        let shared = Shared::extract(&mut [&mut first, &mut second]);
        assert_eq!(shared.texts.len(), 1);
        assert_eq!(first["properties"]["home"], json!({"$shared": 0}));
        assert_eq!(expand(&first, &shared), before_first);
        assert_eq!(expand(&second, &shared), before_second);
    }

    #[test]
    fn a_schema_that_looks_like_a_reference_shares_nothing() {
        let big = json!({"description": "x".repeat(300)});
        let mut first = json!({"default": {"$shared": 0}, "a": big.clone(), "b": big.clone()});
        let before = first.clone();
        let shared = Shared::extract(&mut [&mut first]);
        assert!(shared.texts.is_empty());
        assert_eq!(first, before);
    }
}
