//! One operation to one tool (its name is settled later, across all operations).

use std::collections::BTreeSet;

use indexmap::IndexMap;

use openapiv3::{Operation, Parameter, ParameterData, ParameterSchemaOrContent, QueryStyle, ReferenceOr, RequestBody};
use serde_json::{Map, Value, json};

use crate::diag::{self, Diagnostic, SkipReason};
use crate::ir::{Annotations, Constant, Field, FieldType, Location, Method, PathPart, Tool};
use crate::lower::schema::{SchemaLowerer, SchemaRef};
use crate::lower::{advertise, body, text};
use crate::naming::{self, Scope};
use crate::settings::Settings;

/// Header parameters the HTTP client or the credentials set; never tool inputs.
const TRANSPORT_HEADERS: &[&str] = &["content-type", "accept", "content-length", "authorization"];

/// A parameter the operation takes from configuration.
#[derive(Debug, Clone)]
pub struct InjectedUse {
    /// Wire name.
    pub wire_name: String,
    /// Where it goes.
    pub location: Location,
    /// The variable that holds it.
    pub env_var: String,
    /// Whether the operation requires it.
    pub required: bool,
    /// The pattern the spec gives the value.
    pub pattern: Option<String>,
}

/// A tool whose name and type name are not settled yet, its tag, and the injected parameters it uses.
pub struct Lowered {
    /// The tool, with an empty name and type name.
    pub tool: Tool,
    /// The operation's first tag.
    pub tag: Option<String>,
    /// Parameters it takes from configuration.
    pub injected: Vec<InjectedUse>,
    /// What was approximated to make the tool (the tool is still right to call).
    pub diagnostics: Vec<Diagnostic>,
}

/// What lowering one operation needs.
pub struct OperationInput<'a> {
    /// The path template.
    pub path: &'a str,
    /// The method.
    pub method: Method,
    /// Path-level parameters.
    pub path_parameters: &'a [ReferenceOr<Parameter>],
    /// The operation.
    pub operation: &'a Operation,
    /// Its JSON pointer.
    pub pointer: String,
}

/// Lowers one operation; an operation that cannot be expressed is an `Err` warning.
pub fn lower<'a>(
    input: &OperationInput<'a>,
    spec: &'a openapiv3::OpenAPI,
    settings: &Settings,
    schemas: &mut SchemaLowerer<'a>,
) -> Result<Lowered, Box<Diagnostic>> {
    let mut fields = Vec::new();
    let mut injected = Vec::new();
    let mut constants = Vec::new();
    let mut idempotency_key = None;
    let mut defaults = Vec::new();
    let mut properties = Map::new();

    let mut parameters: Vec<(&'a ParameterData, Location, bool, String)> = Vec::new();
    let own_pointer = diag::child(&input.pointer, "parameters");
    let shared_pointer = diag::pointer(["paths", input.path, "parameters"]);
    let shared =
        input.path_parameters.iter().enumerate().map(|(i, p)| (p, diag::child(&shared_pointer, i.to_string())));
    let own = input.operation.parameters.iter().enumerate().map(|(i, p)| (p, diag::child(&own_pointer, i.to_string())));
    let mut seen: BTreeSet<(String, Location)> = BTreeSet::new();
    // Operation parameters override path-level ones: read them first and skip later duplicates.
    for (parameter, pointer) in own.chain(shared) {
        let Some(parameter) = resolve_parameter(parameter, spec) else {
            return Err(Box::new(
                Diagnostic::warning(
                    pointer,
                    "parameter `$ref` does not name a parameter under #/components/parameters",
                    "fix the reference; the operation is skipped",
                )
                .skipping(SkipReason::UnresolvedReference),
            ));
        };
        let (data, location, explode) = split(parameter);
        if seen.insert((data.name.clone(), location)) {
            parameters.push((data, location, explode, pointer));
        }
    }
    parameters.sort_by_key(|(_, location, _, _)| *location);

    let mut used_inputs = BTreeSet::new();
    let mut rust_names = Scope::default();
    for (data, location, explode, pointer) in parameters {
        if location == Location::Header && TRANSPORT_HEADERS.contains(&data.name.to_ascii_lowercase().as_str()) {
            continue;
        }
        if location == Location::Header && data.name.eq_ignore_ascii_case(&settings.idempotency_key_header) {
            idempotency_key = Some(data.name.clone());
            continue;
        }
        let (schema_ref, mut schema) = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => {
                (Some(SchemaRef::from(schema)), schemas.portable(schema, &pointer))
            }
            ParameterSchemaOrContent::Content(content) => {
                let schema = content.values().find_map(|media| media.schema.as_ref());
                (schema.map(SchemaRef::from), schema.map_or_else(|| json!({}), |s| schemas.portable(s, &pointer)))
            }
        };
        let ty = match (&data.format, schema_ref) {
            (ParameterSchemaOrContent::Schema(_), Some(schema)) => schemas.field_type(schema, &pointer),
            _ => FieldType::Json,
        };
        schemas.mark_integer_id(&data.name, &mut schema);
        if let Some(var) = settings.injected_var(&data.name).filter(|_| location != Location::Path) {
            let pattern = schema.get("pattern").and_then(Value::as_str).map(str::to_string);
            let wire_name = data.name.clone();
            injected.push(InjectedUse {
                wire_name,
                location,
                env_var: var.to_string(),
                required: data.required,
                pattern,
            });
            continue;
        }
        let default = schema.get("default").filter(|d| d.is_string() || d.is_number() || d.is_boolean()).cloned();
        if let (Location::Header, true, Some(value)) = (location, data.required, &default) {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            constants.push(Constant { wire_name: data.name.clone(), location, value });
            continue;
        }
        let description = data.description.as_deref().and_then(text::clean_description);
        let nullable = schema_ref.is_some_and(|s| schemas.is_nullable(s, &pointer));
        // A path cannot be built without each of its parameters: only a default makes one optional
        // (`null` is no segment).
        let required = match location {
            Location::Path => default.is_none(),
            _ => data.required && default.is_none() && !nullable,
        };
        let field = new_field(&data.name, location, required, ty, &mut used_inputs, &mut rust_names).with(
            default.filter(|_| data.required || location == Location::Path),
            explode,
            description.clone(),
        );
        let mut schema = with_description(schema, description);
        if let Some(var) = settings.default_var(&data.name) {
            schema["x-default-env"] = Value::String(var.to_string());
            defaults.push((field.input_name.clone(), var.to_string()));
        }
        properties.insert(field.input_name.clone(), schema);
        fields.push(field);
    }

    let mut diagnostics = Vec::new();
    for name in template_names(input.path) {
        if !fields.iter().any(|f| f.location == Location::Path && f.wire_name == name) {
            diagnostics.push(Diagnostic::warning(
                input.pointer.clone(),
                format!("path parameter `{{{name}}}` is not declared"),
                format!("add a parameter `{name}` with `in: path`; until then the tool takes it as a required string"),
            ));
            let field = new_field(name, Location::Path, true, FieldType::String, &mut used_inputs, &mut rust_names);
            properties.insert(field.input_name.clone(), json!({"type": "string"}));
            fields.push(field);
        }
    }
    let path_parts = path_parts(input.path, &fields, &input.pointer)?;

    let body = match &input.operation.request_body {
        Some(body) => {
            let body_pointer = diag::child(&input.pointer, "requestBody");
            let Some(body) = resolve_body(body, spec) else {
                return Err(Box::new(
                    Diagnostic::warning(
                        body_pointer,
                        "requestBody `$ref` does not name a request body under #/components/requestBodies",
                        "fix the reference; the operation is skipped",
                    )
                    .skipping(SkipReason::UnresolvedReference),
                ));
            };
            body::lower(body, &body_pointer, schemas, &mut fields, &mut properties, &mut used_inputs, &mut rust_names)?
        }
        None => None,
    };

    let required: Vec<&String> = fields.iter().filter(|f| f.required).map(|f| &f.input_name).collect();
    let mut validation_schema = json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        validation_schema["required"] = json!(required);
    }
    advertise::add_hints(&mut validation_schema);
    let input_schema = advertise::advertised(&validation_schema);

    let operation = input.operation;
    let summary = operation.summary.as_deref().and_then(text::clean_description);
    let details = operation.description.as_deref().and_then(text::clean_description);
    let mut description = match (summary.clone(), details) {
        (Some(s), Some(d)) if d.starts_with(s.trim_end_matches('.')) => d,
        (Some(s), Some(d)) => format!("{s}\n\n{d}"),
        (Some(s), None) => s,
        (None, Some(d)) => d,
        (None, None) => format!("{} {}", input.method.as_str(), input.path),
    };
    if operation.deprecated {
        description.push_str("\n\nDeprecated: prefer another tool where one exists.");
    }
    let description = text::clean_description(&description).unwrap_or_default();

    Ok(Lowered {
        tool: Tool {
            name: String::new(),
            title: operation.summary.as_deref().and_then(text::clean_title),
            description,
            operation_id: operation.operation_id.clone(),
            method: input.method,
            path: input.path.to_string(),
            pointer: input.pointer.clone(),
            args_type: String::new(),
            annotations: Annotations {
                read_only: input.method.is_read_only(),
                // PUT replaces the resource, DELETE removes it: both can destroy data.
                destructive: matches!(input.method, Method::Put | Method::Delete),
                idempotent: input.method.is_idempotent(),
            },
            path_parts,
            fields,
            constants,
            body,
            input_schema,
            validation_schema,
            deprecated: operation.deprecated,
            idempotency_key,
            cacheable: false,
            defaults,
        },
        tag: operation.tags.first().cloned(),
        injected,
        diagnostics,
    })
}

/// A new input field named after `wire_name`, prefixed by its location when the name is taken.
pub(super) fn new_field(
    wire_name: &str,
    location: Location,
    required: bool,
    ty: FieldType,
    used_inputs: &mut BTreeSet<String>,
    rust_names: &mut Scope,
) -> Field {
    let base = naming::input_property(wire_name);
    let mut input_name = base.clone();
    if used_inputs.contains(&input_name) {
        input_name = naming::input_property(&format!("{}_{base}", location.prefix()));
        let mut n = 2;
        while used_inputs.contains(&input_name) {
            input_name = naming::input_property(&format!("{}_{base}_{n}", location.prefix()));
            n += 1;
        }
    }
    used_inputs.insert(input_name.clone());
    Field {
        rust_name: rust_names.allocate(&naming::snake_ident(&input_name)),
        input_name,
        wire_name: wire_name.to_string(),
        location,
        required,
        nullable: false,
        ty,
        default: None,
        explode: true,
        form_style: None,
        description: None,
    }
}

impl Field {
    fn with(mut self, default: Option<Value>, explode: bool, description: Option<String>) -> Self {
        self.default = default;
        self.explode = explode;
        self.description = description;
        self
    }
}

/// `schema` with `description`, when there is one.
pub(super) fn with_description(mut schema: Value, description: Option<String>) -> Value {
    if let (Some(description), Value::Object(map)) = (description, &mut schema) {
        map.insert("description".into(), Value::String(description));
    }
    schema
}

fn path_parts(path: &str, fields: &[Field], pointer: &str) -> Result<Vec<PathPart>, Box<Diagnostic>> {
    let mut parts = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        if start > 0 {
            parts.push(PathPart::Literal(rest[..start].to_string()));
        }
        let Some(end) = rest[start..].find('}') else {
            return Err(Box::new(
                Diagnostic::warning(
                    pointer,
                    format!("path `{path}` has an unclosed `{{`"),
                    "close every path parameter with `}`; the operation is skipped",
                )
                .skipping(SkipReason::PathTemplate),
            ));
        };
        let name = &rest[start + 1..start + end];
        let Some(field) = fields.iter().find(|f| f.location == Location::Path && f.wire_name == name) else {
            return Err(Box::new(
                Diagnostic::warning(
                    pointer,
                    format!("path parameter `{{{name}}}` is not declared"),
                    format!("add a parameter `{name}` with `in: path`; the operation is skipped"),
                )
                .skipping(SkipReason::PathTemplate),
            ));
        };
        parts.push(PathPart::Param(field.rust_name.clone()));
        rest = &rest[start + end + 1..];
    }
    if !rest.is_empty() {
        parts.push(PathPart::Literal(rest.to_string()));
    }
    Ok(parts)
}

/// The parameter names of a path template (`/a/{id}/b/{name}` gives `id`, `name`).
fn template_names(path: &str) -> impl Iterator<Item = &str> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
}

fn split(parameter: &Parameter) -> (&ParameterData, Location, bool) {
    match parameter {
        Parameter::Query { parameter_data, style, .. } => {
            let explode = parameter_data.explode.unwrap_or(matches!(style, QueryStyle::Form));
            (parameter_data, Location::Query, explode)
        }
        Parameter::Header { parameter_data, .. } => (parameter_data, Location::Header, false),
        Parameter::Path { parameter_data, .. } => (parameter_data, Location::Path, false),
        Parameter::Cookie { parameter_data, .. } => (parameter_data, Location::Cookie, false),
    }
}

/// A parameter, following a `$ref` into `#/components/parameters`.
pub fn resolve_parameter<'a>(
    parameter: &'a ReferenceOr<Parameter>,
    spec: &'a openapiv3::OpenAPI,
) -> Option<&'a Parameter> {
    resolve_component(parameter, "#/components/parameters/", spec.components.as_ref().map(|c| &c.parameters))
}

fn resolve_body<'a>(body: &'a ReferenceOr<RequestBody>, spec: &'a openapiv3::OpenAPI) -> Option<&'a RequestBody> {
    resolve_component(body, "#/components/requestBodies/", spec.components.as_ref().map(|c| &c.request_bodies))
}

/// An item, or the component its `$ref` names under `prefix` (one level: a reference to a
/// reference is not followed).
fn resolve_component<'a, T>(
    item: &'a ReferenceOr<T>,
    prefix: &str,
    components: Option<&'a IndexMap<String, ReferenceOr<T>>>,
) -> Option<&'a T> {
    match item {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { reference } => {
            components?.get(&super::schema::unescape(reference.strip_prefix(prefix)?))?.as_item()
        }
    }
}
