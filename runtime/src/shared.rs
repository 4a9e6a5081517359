//! The schema text a crate's tools share, stored once in the generated `schemas` module: a tool's
//! schema holds `{"$shared": N}` where the N-th text goes. Expanded when a tool's schema is first
//! needed (to list, describe or validate it), so a large API starts without parsing them all.

use std::sync::OnceLock;

use serde_json::Value;

/// The key of a reference to a shared text.
const MARKER: &str = "$shared";
/// The deepest chain of references expanded: far more than the generator nests.
const MAX_DEPTH: usize = 64;

/// The shared texts of a crate, parsed and expanded on first use.
pub struct SharedSchemas {
    texts: Vec<&'static str>,
    expanded: OnceLock<Result<Vec<Value>, String>>,
}

impl SharedSchemas {
    /// The table of the generated crate, in its parts.
    pub fn new(parts: &'static [&'static [&'static str]]) -> Self {
        Self { texts: parts.iter().flat_map(|part| part.iter().copied()).collect(), expanded: OnceLock::new() }
    }

    /// The schema `text` with every reference replaced by the text it stands for.
    pub fn expand(&self, text: &str) -> Result<Value, String> {
        let mut value: Value = serde_json::from_str(text).map_err(|error| format!("invalid schema JSON: {error}"))?;
        if !self.texts.is_empty() {
            let table = self.expanded.get_or_init(|| self.expand_table()).as_ref().map_err(Clone::clone)?;
            substitute(&mut value, &|number| table.get(number).cloned(), 0)?;
        }
        Ok(value)
    }

    /// Every shared text, itself expanded (a text refers only to texts it was cut from, so the
    /// references form no cycle; depth is bounded all the same).
    fn expand_table(&self) -> Result<Vec<Value>, String> {
        let parsed: Vec<Value> = self
            .texts
            .iter()
            .map(|text| serde_json::from_str(text).map_err(|error| format!("invalid shared schema JSON: {error}")))
            .collect::<Result<_, _>>()?;
        let lookup = |number: usize| parsed.get(number).cloned();
        parsed
            .iter()
            .map(|value| {
                let mut value = value.clone();
                substitute(&mut value, &lookup, 0)?;
                Ok(value)
            })
            .collect()
    }
}

/// Replaces each reference in `value` by `lookup`'s value for it, expanded in turn.
fn substitute(value: &mut Value, lookup: &dyn Fn(usize) -> Option<Value>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("shared schema references nest too deep".into());
    }
    if let Some(number) = reference(value) {
        let mut target = lookup(number).ok_or_else(|| format!("no shared schema {number}"))?;
        substitute(&mut target, lookup, depth + 1)?;
        *value = target;
        return Ok(());
    }
    match value {
        Value::Object(map) => map.values_mut().try_for_each(|child| substitute(child, lookup, depth)),
        Value::Array(items) => items.iter_mut().try_for_each(|item| substitute(item, lookup, depth)),
        _ => Ok(()),
    }
}

/// The number a `{"$shared": N}` object refers to.
fn reference(value: &Value) -> Option<usize> {
    let map = value.as_object().filter(|map| map.len() == 1)?;
    map.get(MARKER)?.as_u64().and_then(|number| usize::try_from(number).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static PARTS: &[&[&str]] =
        &[&[r#"{"type":"object","properties":{"city":{"$shared":1}}}"#], &[r#"{"type":"string"}"#]];

    #[test]
    fn references_expand_across_parts_and_nest() {
        let shared = SharedSchemas::new(PARTS);
        let schema = shared.expand(r#"{"properties":{"home":{"$shared":0},"n":{"$shared":1}}}"#).unwrap();
        assert_eq!(
            schema,
            json!({"properties": {"home": {"type": "object", "properties": {"city": {"type": "string"}}}, "n": {"type": "string"}}})
        );
    }

    #[test]
    fn a_missing_or_cyclic_reference_is_an_error_not_a_panic() {
        assert!(SharedSchemas::new(PARTS).expand(r#"{"$shared":7}"#).is_err());
        static CYCLE: &[&[&str]] = &[&[r#"{"a":{"$shared":0}}"#]];
        assert!(SharedSchemas::new(CYCLE).expand(r#"{"$shared":0}"#).is_err());
        assert_eq!(SharedSchemas::new(&[]).expand(r#"{"$shared":0}"#).unwrap(), json!({"$shared": 0}));
    }
}
