//! Bytes to a JSON value: YAML or JSON, with syntax errors located.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
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
    let yaml: Lenient = yaml_serde::from_str(text).map_err(|error| {
        let diagnostic =
            Diagnostic::error("#", format!("invalid YAML: {error}"), "fix the YAML syntax at this position");
        match error.location() {
            Some(location) => located_box(diagnostic, location.line(), location.column()),
            None => Box::new(diagnostic),
        }
    })?;
    let mut yaml = yaml.0;
    yaml.apply_merge().map_err(|error| {
        Box::new(Diagnostic::error("#", format!("invalid YAML merge key: {error}"), "`<<` must merge a mapping"))
    })?;
    Ok(to_json(yaml))
}

/// A YAML value read as `yaml_serde::Value` is, except that integers beyond 64 bits (which it
/// refuses) become floats, as they do in JSON, and a repeated key keeps its last value.
struct Lenient(yaml_serde::Value);

impl<'de> Deserialize<'de> for Lenient {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor)
    }
}

struct LenientVisitor;

impl<'de> Visitor<'de> for LenientVisitor {
    type Value = Lenient;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::Bool(b)))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::Number(i.into())))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::Number(u.into())))
    }

    fn visit_i128<E: de::Error>(self, i: i128) -> Result<Lenient, E> {
        self.visit_f64(i as f64)
    }

    fn visit_u128<E: de::Error>(self, u: u128) -> Result<Lenient, E> {
        self.visit_f64(u as f64)
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::Number(f.into())))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::String(s.to_owned())))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::String(s)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Lenient, E> {
        Ok(Lenient(yaml_serde::Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Lenient, D::Error> {
        Lenient::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Lenient, A::Error> {
        let mut sequence = yaml_serde::Sequence::new();
        while let Some(Lenient(item)) = items.next_element()? {
            sequence.push(item);
        }
        Ok(Lenient(yaml_serde::Value::Sequence(sequence)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Lenient, A::Error> {
        let mut mapping = yaml_serde::Mapping::new();
        while let Some((Lenient(key), Lenient(value))) = entries.next_entry()? {
            mapping.insert(key, value);
        }
        Ok(Lenient(yaml_serde::Value::Mapping(mapping)))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, tagged: A) -> Result<Lenient, A::Error> {
        let (tag, contents): (String, _) = tagged.variant()?;
        let Lenient(value) = contents.newtype_variant()?;
        let tag = yaml_serde::value::Tag::new(tag);
        Ok(Lenient(yaml_serde::Value::Tagged(Box::new(yaml_serde::value::TaggedValue { tag, value }))))
    }
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
    fn numbers_beyond_64_bits_are_read_as_json_reads_them() {
        let value = parse("minimum: -9223372036854776000\nmaximum: 340282366920938463463374607431768211455\n").unwrap();
        assert_eq!(value["minimum"].as_f64(), Some(-9_223_372_036_854_776_000.0));
        assert!(value["maximum"].as_f64().is_some_and(|m| m > 3.4e38));
        let value = parse("{\"minimum\": -9223372036854776000}").unwrap();
        assert_eq!(value["minimum"].as_f64(), Some(-9_223_372_036_854_776_000.0));
    }

    #[test]
    fn anchors_merges_and_tags_still_work() {
        let value =
            parse("base: &b {type: string}\nuse: {<<: *b, format: date}\nbin: !!binary aGk=\nn: !custom 5\n").unwrap();
        assert_eq!(value["use"], serde_json::json!({"type": "string", "format": "date"}));
        assert_eq!(value["bin"], "aGk=");
        assert_eq!(value["n"], 5);
    }

    #[test]
    fn syntax_errors_are_located() {
        let error = parse("a: [1, 2\nb: c").unwrap_err();
        assert!(error.position.is_some(), "{error:?}");
        let error = parse("{\"a\": }").unwrap_err();
        assert_eq!(error.position, Some(Position { line: 1, column: 7 }));
    }
}
