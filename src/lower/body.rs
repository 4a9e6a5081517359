//! A request body to tool fields: the media type the server sends, and its fields or its one
//! whole-body field.

use std::collections::BTreeSet;

use openapiv3::{QueryStyle, RequestBody};
use serde_json::{Map, Value, json};

use crate::diag::{self, Diagnostic, SkipReason};
use crate::ir::{Body, BodyMedia, BodyShape, Field, FieldType, FormStyle, Location};
use crate::lower::operation::{new_field, with_description};
use crate::lower::schema::SchemaLowerer;
use crate::lower::{advertise, text};
use crate::naming::Scope;

/// Lowers an operation's request body: its fields join the tool's `fields` and input `properties`.
/// `None` when the body carries nothing.
pub fn lower<'a>(
    body: &'a RequestBody,
    pointer: &str,
    schemas: &mut SchemaLowerer<'a>,
    fields: &mut Vec<Field>,
    properties: &mut Map<String, Value>,
    used_inputs: &mut BTreeSet<String>,
    rust_names: &mut Scope,
) -> Result<Option<Body>, Box<Diagnostic>> {
    // The media type the server sends best: JSON, then form, multipart, XML, text, bytes.
    let Some((content_type, media, media_type)) = body
        .content
        .iter()
        .filter_map(|(name, media_type)| Some((name, BodyMedia::of(name)?, media_type)))
        .min_by_key(|(_, media, _)| *media)
    else {
        if body.content.is_empty() {
            return Ok(None);
        }
        return Err(Box::new(
            Diagnostic::warning(
                pointer,
                "the request body's media type is empty",
                "name the media type under `content` (`application/json`, ...); the operation is skipped",
            )
            .skipping(SkipReason::BodyMediaType),
        ));
    };
    let schema = media_type.schema.as_ref();
    // An object that admits no field at all (payment APIs declare one on every GET and DELETE), or a
    // form without a schema, carries nothing: the operation has no body.
    let declares_nothing = match schema {
        Some(schema) => schemas.is_closed_empty_object(schema, pointer),
        None => media == BodyMedia::Form,
    };
    if declares_nothing {
        return Ok(None);
    }
    let takes_fields = matches!(media, BodyMedia::Json | BodyMedia::Form | BodyMedia::Multipart | BodyMedia::Xml);
    let properties_of = schema
        .filter(|_| takes_fields)
        .and_then(|schema| schemas.object_properties(schema, pointer))
        .filter(|p| !p.is_empty());
    let mut xml_root = None;
    let shape = match properties_of {
        Some(body_properties) => {
            for property in body_properties {
                if property.read_only {
                    properties.insert(property.name, json!({"readOnly": true}));
                    continue;
                }
                let property_pointer = diag::child(pointer, &property.name);
                let nullable = schemas.is_nullable(property.schema, &property_pointer);
                let required = body.required && property.required && !nullable;
                let multipart = media == BodyMedia::Multipart;
                let (ty, mut schema) = if multipart && schemas.is_binary(property.schema, &property_pointer) {
                    (FieldType::File, advertise::file_input_schema())
                } else if multipart && schemas.is_binary_list(property.schema, &property_pointer) {
                    let files = json!({"type": "array", "items": advertise::file_input_schema()});
                    (FieldType::Array(Box::new(FieldType::File)), files)
                } else {
                    (
                        schemas.field_type(property.schema, &property_pointer),
                        schemas.portable(property.schema, &property_pointer),
                    )
                };
                schemas.mark_integer_id(&property.name, &mut schema);
                let description = schema.get("description").and_then(Value::as_str).map(str::to_string);
                let field = new_field(&property.name, Location::Body, required, ty, used_inputs, rust_names);
                properties.insert(field.input_name.clone(), schema);
                let form_style =
                    (media == BodyMedia::Form).then(|| form_style(media_type.encoding.get(&property.name)));
                let nullable = nullable && media == BodyMedia::Json;
                // An XML element may be named apart from the property (`xml.name`).
                let xml_name = (media == BodyMedia::Xml).then(|| schemas.xml_name(property.schema, &property_pointer));
                let wire_name = xml_name.flatten().unwrap_or_else(|| field.wire_name.clone());
                fields.push(Field { description, nullable, form_style, wire_name, ..field });
            }
            if media == BodyMedia::Xml {
                xml_root =
                    Some(schema.and_then(|schema| schemas.xml_root(schema, pointer)).unwrap_or_else(|| "root".into()));
            }
            BodyShape::Properties
        }
        None => {
            let (ty, portable) = match media {
                BodyMedia::Text | BodyMedia::Xml => (FieldType::String, json!({"type": "string"})),
                BodyMedia::Binary => (FieldType::File, advertise::file_input_schema()),
                BodyMedia::Json | BodyMedia::Form | BodyMedia::Multipart => {
                    (FieldType::Json, schema.map_or_else(|| json!({}), |schema| schemas.portable(schema, pointer)))
                }
            };
            let description = body.description.as_deref().and_then(text::clean_description);
            let field = new_field("body", Location::Body, body.required, ty, used_inputs, rust_names);
            properties.insert(field.input_name.clone(), with_description(portable, description.clone()));
            let rust_name = field.rust_name.clone();
            fields.push(Field { description, ..field });
            BodyShape::Whole(rust_name)
        }
    };
    Ok(Some(Body {
        media,
        content_type: content_type.split(';').next().unwrap_or(content_type).trim().to_string(),
        shape,
        xml_root,
    }))
}

/// How a form field is spelled: its `encoding` entry, else `style: form` exploded (loading writes
/// out the `explode` OpenAPI defaults to).
fn form_style(encoding: Option<&openapiv3::Encoding>) -> FormStyle {
    match encoding.map(|encoding| (encoding.style.as_ref(), encoding.explode)) {
        None | Some((None | Some(QueryStyle::Form), true)) => FormStyle::Form,
        Some((None | Some(QueryStyle::Form), false)) => FormStyle::FormJoined,
        Some((Some(QueryStyle::SpaceDelimited), _)) => FormStyle::SpaceDelimited,
        Some((Some(QueryStyle::PipeDelimited), _)) => FormStyle::PipeDelimited,
        Some((Some(QueryStyle::DeepObject), _)) => FormStyle::DeepObject,
    }
}
