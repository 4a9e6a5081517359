//! OpenAPI schemas to validation schemas and to Rust field types.
//!
//! A validation schema is portable JSON Schema (what every major MCP client accepts: no `type`
//! arrays, `items` on every array, references inlined with recursion and depth cut, `allOf` merged,
//! unions of objects merged) plus the markers the generated server's validator reads: `nullable`,
//! `readOnly` properties and `x-id`. [`crate::lower::advertise`] strips the markers for `tools/list`.

use std::collections::BTreeSet;

use openapiv3::{
    AdditionalProperties, Components, ReferenceOr, Schema, SchemaKind, StringFormat, Type, VariantOrUnknownOrEmpty,
};
use serde_json::{Map, Value, json};

use crate::diag::{self, Diagnostic};
use crate::ir::FieldType;
use crate::lower::text;

/// Turns schemas into portable JSON Schema and field types, resolving `$ref`s into `components`.
pub struct SchemaLowerer<'a> {
    components: Option<&'a Components>,
    max_depth: usize,
    id_fields: &'a [String],
    warned_formats: BTreeSet<String>,
    /// Problems found (unresolvable references).
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> SchemaLowerer<'a> {
    /// A lowerer that resolves into `components`, inlines `max_depth` levels deep, and treats integer
    /// fields whose names match `id_fields` as IDs.
    pub fn new(components: Option<&'a Components>, max_depth: usize, id_fields: &'a [String]) -> Self {
        Self { components, max_depth, id_fields, warned_formats: BTreeSet::new(), diagnostics: Vec::new() }
    }

    /// Marks an integer field named like an ID (settings `id_fields`) as a string of digits that the
    /// server sends as a number: IDs above 2^53 survive only as strings.
    pub fn mark_integer_id(&self, name: &str, schema: &mut Value) {
        let is_integer = schema.get("type").and_then(Value::as_str) == Some("integer");
        if !is_integer || !self.id_fields.iter().any(|pattern| matches_name(pattern, name)) {
            return;
        }
        if let Value::Object(map) = schema {
            for key in
                ["type", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "enum"]
            {
                map.remove(key);
            }
            map.insert("type".into(), json!("string"));
            map.insert("pattern".into(), json!(ID_PATTERN));
            map.insert("x-id".into(), json!("integer"));
        }
    }

    /// Follows `$ref`s to the schema they name (cycles of pure references end in `None`).
    pub fn resolve(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> Option<&'a Schema> {
        let mut current = schema.into();
        for _ in 0..32 {
            match current {
                SchemaRef::Item(schema) => return Some(schema),
                SchemaRef::Ref(reference) => current = self.target(reference, pointer)?,
            }
        }
        None
    }

    fn target(&mut self, reference: &str, pointer: &str) -> Option<SchemaRef<'a>> {
        let name = reference.strip_prefix("#/components/schemas/").map(unescape);
        let components = self.components;
        let found = name.as_deref().and_then(|name| components?.schemas.get(name)).map(SchemaRef::from);
        if found.is_none() {
            self.diagnostics.push(Diagnostic::warning(
                pointer,
                format!("`$ref: {reference}` does not name a schema under #/components/schemas"),
                "fix the reference; the value is accepted as any JSON",
            ));
        }
        found
    }

    /// The schema's properties, with `allOf` parts merged. `None` when the schema is not an object
    /// with properties.
    pub fn object_properties(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> Option<Vec<Property<'a>>> {
        let schema = self.resolve(schema, pointer)?;
        let (properties, required) = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => (&object.properties, &object.required),
            SchemaKind::Any(any) if !any.properties.is_empty() => (&any.properties, &any.required),
            SchemaKind::AllOf { all_of } => {
                let mut out = Vec::new();
                for part in all_of {
                    out.extend(self.object_properties(part, pointer)?);
                }
                return Some(out);
            }
            _ => return None,
        };
        let mut out = Vec::new();
        for (name, property) in properties {
            let schema = SchemaRef::from(property);
            let read_only = self.is_read_only(schema, pointer);
            out.push(Property { name: name.clone(), schema, required: required.contains(name), read_only });
        }
        Some(out)
    }

    /// Whether a schema is an object that admits no property: none declared, and no others allowed.
    pub fn is_closed_empty_object(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> bool {
        let closed = |extra: &Option<AdditionalProperties>| matches!(extra, Some(AdditionalProperties::Any(false)));
        match self.resolve(schema, pointer).map(|schema| &schema.schema_kind) {
            Some(SchemaKind::Type(Type::Object(object))) => {
                object.properties.is_empty() && closed(&object.additional_properties)
            }
            Some(SchemaKind::Any(any)) => {
                any.properties.is_empty()
                    && closed(&any.additional_properties)
                    && any.typ.as_deref().is_none_or(|t| t == "object")
            }
            _ => false,
        }
    }

    /// Whether the schema is a file's bytes (`type: string, format: binary`).
    pub fn is_binary(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> bool {
        matches!(
            self.resolve(schema, pointer).map(|s| &s.schema_kind),
            Some(SchemaKind::Type(Type::String(string)))
                if string.format == VariantOrUnknownOrEmpty::Item(StringFormat::Binary)
        )
    }

    /// Whether the schema is a list of files.
    pub fn is_binary_list(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> bool {
        match self.resolve(schema, pointer).map(|s| &s.schema_kind) {
            Some(SchemaKind::Type(Type::Array(array))) => {
                array.items.as_ref().is_some_and(|items| self.is_binary(SchemaRef::from(items), pointer))
            }
            _ => false,
        }
    }

    /// The element name of an XML document of this schema: its `xml.name`, else the name of the
    /// component it refers to, else its title.
    pub fn xml_root(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> Option<String> {
        let schema = schema.into();
        let component = match schema {
            SchemaRef::Ref(reference) => reference.rsplit('/').next().map(unescape),
            SchemaRef::Item(_) => None,
        };
        let title = self.resolve(schema, pointer).and_then(|s| s.schema_data.title.clone());
        self.xml_name(schema, pointer)
            .or(component.filter(|name| is_xml_name(name)))
            .or(title.filter(|name| is_xml_name(name)))
    }

    /// The schema's `xml.name`, when it is a valid element name.
    pub fn xml_name(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> Option<String> {
        let xml = self.resolve(schema, pointer)?.schema_data.extensions.get("x-xml")?;
        xml.get("name").and_then(Value::as_str).filter(|name| is_xml_name(name)).map(str::to_string)
    }

    fn is_read_only(&mut self, schema: SchemaRef<'a>, pointer: &str) -> bool {
        self.resolve(schema, pointer).is_some_and(|s| s.schema_data.read_only)
    }

    /// Whether the schema allows `null`.
    pub fn is_nullable(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> bool {
        self.resolve(schema, pointer).is_some_and(|s| s.schema_data.nullable)
    }

    /// The Rust type that holds a value of this schema.
    pub fn field_type(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> FieldType {
        let Some(schema) = self.resolve(schema, pointer) else { return FieldType::Json };
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(_)) => FieldType::String,
            SchemaKind::Type(Type::Integer(_)) => FieldType::Integer,
            SchemaKind::Type(Type::Number(_)) => FieldType::Number,
            SchemaKind::Type(Type::Boolean(_)) => FieldType::Boolean,
            SchemaKind::Type(Type::Array(array)) => match &array.items {
                Some(items) => FieldType::Array(Box::new(self.field_type(SchemaRef::from(items), pointer))),
                None => FieldType::Array(Box::new(FieldType::Json)),
            },
            _ => FieldType::Json,
        }
    }

    /// The portable JSON Schema of `schema`, with its description cleaned.
    pub fn portable(&mut self, schema: impl Into<SchemaRef<'a>>, pointer: &str) -> Value {
        self.portable_at(schema.into(), pointer, 0, &mut Vec::new())
    }

    fn portable_at(&mut self, schema: SchemaRef<'a>, pointer: &str, depth: usize, stack: &mut Vec<&'a str>) -> Value {
        let schema = match schema {
            SchemaRef::Item(schema) => schema,
            SchemaRef::Ref(reference) => {
                let Some(target) = self.target(reference, pointer) else { return json!({}) };
                let name = reference.rsplit('/').next().unwrap_or(reference);
                if stack.contains(&reference) || depth >= self.max_depth {
                    return self.cut(target, name, pointer, stack.contains(&reference));
                }
                stack.push(reference);
                let value = self.portable_at(target, pointer, depth + 1, stack);
                stack.pop();
                return value;
            }
        };
        let mut out = self.kind(schema, pointer, depth, stack);
        if schema.schema_data.nullable {
            out.insert("nullable".into(), Value::Bool(true));
        }
        if let Some(description) = schema.schema_data.description.as_deref().and_then(text::clean_description) {
            out.entry("description").or_insert(Value::String(description));
        }
        if let Some(default) = &schema.schema_data.default {
            out.entry("default").or_insert(default.clone());
        }
        Value::Object(out)
    }

    /// What stands in for a schema that is not inlined: its kind without its structure.
    fn cut(&mut self, target: SchemaRef<'a>, name: &str, pointer: &str, recursive: bool) -> Value {
        let note = if recursive { "recursive" } else { "nested" };
        match self.resolve(target, pointer).map(|s| &s.schema_kind) {
            Some(SchemaKind::Type(Type::Array(_))) => {
                json!({"type": "array", "items": {}, "description": format!("A list of `{}` ({note}; structure not expanded).", unescape(name))})
            }
            Some(SchemaKind::Type(Type::String(_) | Type::Integer(_) | Type::Number(_) | Type::Boolean(_))) => {
                self.portable_at(target, pointer, 0, &mut Vec::new())
            }
            _ => {
                json!({"type": "object", "description": format!("A `{}` object ({note}; structure not expanded).", unescape(name))})
            }
        }
    }

    fn kind(
        &mut self,
        schema: &'a Schema,
        pointer: &str,
        depth: usize,
        stack: &mut Vec<&'a str>,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) => {
                out.insert("type".into(), json!("string"));
                match &string.format {
                    VariantOrUnknownOrEmpty::Item(format) => {
                        out.insert("format".into(), json!(string_format(format)));
                    }
                    VariantOrUnknownOrEmpty::Unknown(format) if format == "int64" => {
                        out.insert("format".into(), json!(format));
                        out.insert("x-id".into(), json!("string"));
                    }
                    VariantOrUnknownOrEmpty::Unknown(format) => {
                        self.check_format(format, pointer);
                        out.insert("format".into(), json!(format));
                    }
                    VariantOrUnknownOrEmpty::Empty => {}
                }
                match &string.pattern {
                    Some(pattern) if regex::Regex::new(pattern).is_ok() => {
                        out.insert("pattern".into(), json!(pattern));
                    }
                    Some(pattern) => self.diagnostics.push(Diagnostic::warning(
                        pointer,
                        format!(
                            "pattern `{pattern}` is not a regular expression the server can check; it is not enforced"
                        ),
                        "write the pattern without look-around or back-references",
                    )),
                    None if out.contains_key("x-id") => {
                        out.insert("pattern".into(), json!(ID_PATTERN));
                    }
                    None => {}
                }
                let values: Vec<&String> = string.enumeration.iter().flatten().collect();
                if !values.is_empty() {
                    out.insert("enum".into(), json!(values));
                }
                insert_some(&mut out, "minLength", string.min_length);
                insert_some(&mut out, "maxLength", string.max_length);
            }
            SchemaKind::Type(Type::Integer(integer)) => {
                out.insert("type".into(), json!("integer"));
                if let VariantOrUnknownOrEmpty::Item(format) = &integer.format {
                    out.insert("format".into(), json!(format!("{format:?}").to_lowercase()));
                }
                bounds(&mut out, integer.minimum, integer.exclusive_minimum, "minimum", "exclusiveMinimum");
                bounds(&mut out, integer.maximum, integer.exclusive_maximum, "maximum", "exclusiveMaximum");
                let values: Vec<i64> = integer.enumeration.iter().flatten().copied().collect();
                if !values.is_empty() {
                    out.insert("enum".into(), json!(values));
                }
                insert_some(&mut out, "multipleOf", integer.multiple_of);
            }
            SchemaKind::Type(Type::Number(number)) => {
                out.insert("type".into(), json!("number"));
                bounds(&mut out, number.minimum, number.exclusive_minimum, "minimum", "exclusiveMinimum");
                bounds(&mut out, number.maximum, number.exclusive_maximum, "maximum", "exclusiveMaximum");
                let values: Vec<f64> = number.enumeration.iter().flatten().copied().collect();
                if !values.is_empty() {
                    out.insert("enum".into(), json!(values));
                }
                insert_some(&mut out, "multipleOf", number.multiple_of);
            }
            SchemaKind::Type(Type::Boolean(_)) => {
                out.insert("type".into(), json!("boolean"));
            }
            SchemaKind::Type(Type::Array(array)) => {
                out.insert("type".into(), json!("array"));
                let items = match &array.items {
                    Some(items) => self.portable_at(SchemaRef::from(items), pointer, depth + 1, stack),
                    None => json!({}),
                };
                out.insert("items".into(), items);
                insert_some(&mut out, "minItems", array.min_items);
                insert_some(&mut out, "maxItems", array.max_items);
                if array.unique_items {
                    out.insert("uniqueItems".into(), json!(true));
                }
            }
            SchemaKind::Type(Type::Object(object)) => {
                let properties = object.properties.iter().map(|(name, property)| (name, SchemaRef::from(property)));
                self.object(&mut out, properties, &object.required, pointer, depth, stack);
                match &object.additional_properties {
                    Some(AdditionalProperties::Any(allowed)) => {
                        out.insert("additionalProperties".into(), json!(allowed));
                    }
                    Some(AdditionalProperties::Schema(schema)) => {
                        let value = self.portable_at(SchemaRef::from(&**schema), pointer, depth + 1, stack);
                        out.insert("additionalProperties".into(), value);
                    }
                    None => {}
                }
                insert_some(&mut out, "minProperties", object.min_properties);
                insert_some(&mut out, "maxProperties", object.max_properties);
            }
            SchemaKind::AllOf { all_of } => {
                let parts: Vec<Value> =
                    all_of.iter().map(|p| self.portable_at(p.into(), pointer, depth, stack)).collect();
                out = merge_all(parts);
            }
            SchemaKind::OneOf { one_of: branches } | SchemaKind::AnyOf { any_of: branches } => {
                let mut parts = Vec::new();
                for branch in branches.iter().map(SchemaRef::from) {
                    if !self.is_null_only(branch, pointer) {
                        parts.push(self.portable_at(branch, pointer, depth, stack));
                    }
                }
                out = merge_union(parts);
            }
            SchemaKind::Not { .. } => self.diagnostics.push(Diagnostic::warning(
                pointer,
                "`not` schemas are not enforced by the generated server",
                "the value is accepted as any JSON; describe the allowed values positively (enum, oneOf) to have them checked",
            )),
            SchemaKind::Any(any) => {
                if !any.properties.is_empty() {
                    let properties = any.properties.iter().map(|(name, property)| (name, SchemaRef::from(property)));
                    self.object(&mut out, properties, &any.required, pointer, depth, stack);
                } else if let Some(items) = &any.items {
                    out.insert("type".into(), json!("array"));
                    let items = self.portable_at(SchemaRef::from(items), pointer, depth + 1, stack);
                    out.insert("items".into(), items);
                } else if let Some(kind) =
                    any.typ.as_deref().filter(|t| ["string", "integer", "number", "boolean", "object"].contains(t))
                {
                    out.insert("type".into(), json!(kind));
                }
                let values: Vec<&Value> = any.enumeration.iter().filter(|v| !v.is_null()).collect();
                if !values.is_empty() {
                    if let Some(kind) = common_type(&values) {
                        out.entry("type").or_insert(json!(kind));
                    }
                    out.insert("enum".into(), json!(values));
                }
            }
        }
        out
    }

    fn object<'p>(
        &mut self,
        out: &mut Map<String, Value>,
        properties: impl Iterator<Item = (&'p String, SchemaRef<'a>)>,
        required: &[String],
        pointer: &str,
        depth: usize,
        stack: &mut Vec<&'a str>,
    ) {
        out.insert("type".into(), json!("object"));
        let mut portable = Map::new();
        let mut read_only = BTreeSet::new();
        for (name, property) in properties {
            if self.is_read_only(property, pointer) {
                portable.insert(name.clone(), json!({"readOnly": true}));
                read_only.insert(name.as_str());
                continue;
            }
            let mut value = self.portable_at(property, &diag::child(pointer, name), depth + 1, stack);
            self.mark_integer_id(name, &mut value);
            portable.insert(name.clone(), value);
        }
        let required: Vec<&String> =
            required.iter().filter(|name| portable.contains_key(*name) && !read_only.contains(name.as_str())).collect();
        if !portable.is_empty() {
            out.insert("properties".into(), Value::Object(portable));
        }
        if !required.is_empty() {
            out.insert("required".into(), json!(required));
        }
    }

    /// `{enum: [null]}` or `{nullable: true}` with nothing else: the "or null" branch of a union.
    fn is_null_only(&mut self, schema: SchemaRef<'a>, pointer: &str) -> bool {
        match self.resolve(schema, pointer).map(|s| &s.schema_kind) {
            Some(SchemaKind::Any(any)) => !any.enumeration.is_empty() && any.enumeration.iter().all(Value::is_null),
            _ => false,
        }
    }
}

/// The formats the generated server checks: the runtime's own list, read from its source.
#[path = "../../runtime/src/formats.rs"]
mod formats;
pub use formats::CHECKED_FORMATS;

/// The pattern of a string ID.
const ID_PATTERN: &str = "^[0-9]+$";

impl SchemaLowerer<'_> {
    /// Warns (once per format) about a string format the server does not check.
    fn check_format(&mut self, format: &str, pointer: &str) {
        if !CHECKED_FORMATS.contains(&format) && self.warned_formats.insert(format.to_string()) {
            self.diagnostics.push(Diagnostic::warning(
                pointer,
                format!("string format `{format}` is not checked by the generated server"),
                format!("values are accepted as any string; checked formats are {}", CHECKED_FORMATS.join(", ")),
            ));
        }
    }
}

/// Whether a field name matches an `id_fields` pattern: exact, `*suffix` or `prefix*`.
fn matches_name(pattern: &str, name: &str) -> bool {
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(suffix), _) => name.ends_with(suffix) && name.len() > suffix.len(),
        (None, Some(prefix)) => name.starts_with(prefix) && name.len() > prefix.len(),
        (None, None) => name == pattern,
    }
}

/// `allOf`: one object with every part's properties and required names.
fn merge_all(parts: Vec<Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for part in parts {
        let Value::Object(mut part) = part else { continue };
        if let Some(Value::Object(props)) = part.remove("properties") {
            properties.extend(props);
        }
        if let Some(Value::Array(names)) = part.remove("required") {
            required.extend(names.into_iter().filter(|n| !required.contains(n)).collect::<Vec<_>>());
        }
        for (key, value) in part {
            out.entry(key).or_insert(value);
        }
    }
    if !properties.is_empty() {
        out.insert("type".into(), json!("object"));
        out.insert("properties".into(), Value::Object(properties));
    }
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out
}

/// `oneOf`/`anyOf`: one branch as itself; objects merged (a property is required only when every
/// branch requires it); anything else kept as a nested `anyOf`.
fn merge_union(parts: Vec<Value>) -> Map<String, Value> {
    let is_object = |v: &Value| v.get("type").and_then(Value::as_str) == Some("object");
    match parts.len() {
        0 => Map::new(),
        1 => match parts.into_iter().next() {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ if parts.iter().all(is_object) => {
            let required_everywhere: Vec<Value> = parts[0]
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|name| {
                    parts.iter().all(|p| p.get("required").and_then(Value::as_array).is_some_and(|r| r.contains(name)))
                })
                .cloned()
                .collect();
            let mut merged = merge_all(parts);
            merged.remove("required");
            if !required_everywhere.is_empty() {
                merged.insert("required".into(), Value::Array(required_everywhere));
            }
            merged
        }
        _ => {
            let mut out = Map::new();
            out.insert("anyOf".into(), Value::Array(parts));
            out
        }
    }
}

/// The JSON Schema type every value shares, if any.
fn common_type(values: &[&Value]) -> Option<&'static str> {
    let kind = |value: &Value| match value {
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::Number(_) => Some("number"),
        _ => None,
    };
    let first = kind(values.first()?)?;
    values.iter().all(|value| kind(value) == Some(first)).then_some(first)
}

fn bounds<T: Into<Value>>(
    out: &mut Map<String, Value>,
    limit: Option<T>,
    exclusive: bool,
    inclusive_key: &str,
    exclusive_key: &str,
) {
    if let Some(limit) = limit {
        let key = if exclusive { exclusive_key } else { inclusive_key };
        out.insert(key.into(), limit.into());
    }
}

fn insert_some<T: Into<Value>>(out: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(value) = value {
        out.insert(key.into(), value.into());
    }
}

fn string_format(format: &StringFormat) -> &'static str {
    match format {
        StringFormat::Date => "date",
        StringFormat::DateTime => "date-time",
        StringFormat::Password => "password",
        StringFormat::Byte => "byte",
        StringFormat::Binary => "binary",
    }
}

/// A JSON Pointer segment as the name it stands for (`~1` is `/`, `~0` is `~`).
pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// One property of an object schema.
pub struct Property<'a> {
    /// Its name.
    pub name: String,
    /// Its schema.
    pub schema: SchemaRef<'a>,
    /// Whether the object requires it.
    pub required: bool,
    /// Whether only the API sets it.
    pub read_only: bool,
}

/// A borrowed schema or reference, whether the spec boxes it (properties, items) or not.
#[derive(Debug, Clone, Copy)]
pub enum SchemaRef<'a> {
    /// `$ref` to this target.
    Ref(&'a str),
    /// An inline schema.
    Item(&'a Schema),
}

impl<'a> From<&'a ReferenceOr<Schema>> for SchemaRef<'a> {
    fn from(schema: &'a ReferenceOr<Schema>) -> Self {
        match schema {
            ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            ReferenceOr::Item(schema) => SchemaRef::Item(schema),
        }
    }
}

impl<'a> From<&'a ReferenceOr<Box<Schema>>> for SchemaRef<'a> {
    fn from(schema: &'a ReferenceOr<Box<Schema>>) -> Self {
        match schema {
            ReferenceOr::Reference { reference } => SchemaRef::Ref(reference),
            ReferenceOr::Item(schema) => SchemaRef::Item(schema),
        }
    }
}

/// Whether `name` can be an XML element name as the server writes it.
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
