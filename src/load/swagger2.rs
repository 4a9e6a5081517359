//! Swagger 2.0 to OpenAPI 3.0, at the JSON level (no maintained crate does this).
//!
//! host/basePath/schemes become servers; body and formData parameters become request bodies;
//! definitions, parameters and responses move under components; securityDefinitions become
//! security schemes. npm `swagger2openapi` is the reference behaviour.

use serde_json::{Map, Value, json};

use crate::diag::{self, Diagnostic};

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// Pointer prefixes of the upgraded document and where the same node lives in the original,
/// so diagnostics can be located in the file the user wrote.
pub const POINTER_ALIASES: &[(&str, &str)] = &[
    ("#/components/schemas/", "#/definitions/"),
    ("#/components/parameters/", "#/parameters/"),
    ("#/components/requestBodies/", "#/parameters/"),
    ("#/components/responses/", "#/responses/"),
    ("#/components/securitySchemes/", "#/securityDefinitions/"),
];

/// Upgrades a Swagger 2.0 document to OpenAPI 3.0.3.
pub fn upgrade(mut doc: Map<String, Value>, diagnostics: &mut Vec<Diagnostic>) -> Value {
    let consumes = strings(doc.get("consumes")).unwrap_or_else(|| vec!["application/json".to_string()]);
    let produces = strings(doc.get("produces")).unwrap_or_else(|| vec!["application/json".to_string()]);
    let shared_parameters = doc.remove("parameters").and_then(into_object).unwrap_or_default();
    let context = Context { consumes, produces, shared_parameters };

    let mut out = Map::new();
    out.insert("openapi".into(), json!("3.0.3"));
    out.insert("info".into(), doc.remove("info").unwrap_or_else(|| json!({"title": "API", "version": "0"})));
    out.insert("servers".into(), Value::Array(servers(&doc)));

    let mut components = Map::new();
    if let Some(definitions) = doc.remove("definitions").and_then(into_object) {
        let schemas = definitions.into_iter().map(|(name, schema)| (name, convert_schema(schema))).collect();
        components.insert("schemas".into(), Value::Object(schemas));
    }
    let (parameters, request_bodies) = context.shared_components();
    if !parameters.is_empty() {
        components.insert("parameters".into(), Value::Object(parameters));
    }
    if !request_bodies.is_empty() {
        components.insert("requestBodies".into(), Value::Object(request_bodies));
    }
    if let Some(responses) = doc.remove("responses").and_then(into_object) {
        let responses = responses
            .into_iter()
            .map(|(name, response)| (name, context.response(response, &context.produces)))
            .collect();
        components.insert("responses".into(), Value::Object(responses));
    }
    if let Some(definitions) = doc.remove("securityDefinitions").and_then(into_object) {
        let schemes = definitions
            .into_iter()
            .map(|(name, scheme)| {
                let pointer = diag::pointer(["securityDefinitions", name.as_str()]);
                let scheme = security_scheme(scheme, &pointer, diagnostics);
                (name, scheme)
            })
            .collect();
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    out.insert("components".into(), Value::Object(components));

    let paths = doc.remove("paths").and_then(into_object).unwrap_or_default();
    let paths = paths.into_iter().map(|(path, item)| (path, context.path_item(item))).collect();
    out.insert("paths".into(), Value::Object(paths));

    for key in ["security", "tags", "externalDocs"] {
        if let Some(value) = doc.remove(key) {
            out.insert(key.into(), value);
        }
    }
    for (key, value) in doc {
        if key.starts_with("x-") {
            out.insert(key, value);
        }
    }
    Value::Object(out)
}

struct Context {
    consumes: Vec<String>,
    produces: Vec<String>,
    shared_parameters: Map<String, Value>,
}

impl Context {
    /// Shared parameters split into 3.0 parameters and request bodies (from `in: body`).
    fn shared_components(&self) -> (Map<String, Value>, Map<String, Value>) {
        let mut parameters = Map::new();
        let mut bodies = Map::new();
        for (name, parameter) in &self.shared_parameters {
            match location(parameter) {
                Some("body") => {
                    bodies.insert(name.clone(), body_request(parameter.clone(), &self.consumes));
                }
                // formData parameters are merged into each operation's form body where used.
                Some("formData") => {}
                _ => {
                    parameters.insert(name.clone(), convert_parameter(parameter.clone()));
                }
            }
        }
        (parameters, bodies)
    }

    fn path_item(&self, item: Value) -> Value {
        let Value::Object(mut item) = item else { return item };
        let shared = item.remove("parameters").and_then(into_array).unwrap_or_default();
        let mut out = Map::new();
        let mut non_body = Vec::new();
        for parameter in &shared {
            if !matches!(self.location_of(parameter), Some("body" | "formData")) {
                non_body.push(self.parameter_or_ref(parameter.clone()));
            }
        }
        if !non_body.is_empty() {
            out.insert("parameters".into(), Value::Array(non_body));
        }
        for (key, value) in item {
            if METHODS.contains(&key.as_str()) {
                out.insert(key, self.operation(value, &shared));
            } else {
                out.insert(key, value);
            }
        }
        Value::Object(out)
    }

    fn operation(&self, operation: Value, path_parameters: &[Value]) -> Value {
        let Value::Object(mut op) = operation else { return operation };
        let consumes = strings(op.remove("consumes").as_ref()).unwrap_or_else(|| self.consumes.clone());
        let produces = strings(op.remove("produces").as_ref()).unwrap_or_else(|| self.produces.clone());
        let own = op.remove("parameters").and_then(into_array).unwrap_or_default();

        // Operation parameters override path-level ones with the same name and location.
        let mut all: Vec<Value> = path_parameters
            .iter()
            .filter(|p| {
                let key = self.key_of(p);
                !own.iter().any(|o| self.key_of(o) == key)
            })
            .cloned()
            .collect();
        all.extend(own);

        let mut parameters = Vec::new();
        let mut form = Vec::new();
        for parameter in all {
            match self.location_of(&parameter) {
                Some("body") => {
                    let body = match reference(&parameter).and_then(|r| r.strip_prefix("#/parameters/")) {
                        Some(name) => json!({"$ref": format!("#/components/requestBodies/{name}")}),
                        None => body_request(parameter, &consumes),
                    };
                    op.insert("requestBody".into(), body);
                }
                Some("formData") => form.push(self.resolved(parameter)),
                _ => parameters.push(self.parameter_or_ref(parameter)),
            }
        }
        if !form.is_empty() {
            op.insert("requestBody".into(), form_request(form, &consumes));
        }
        if !parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(parameters));
        }
        if let Some(responses) = op.remove("responses").and_then(into_object) {
            let responses =
                responses.into_iter().map(|(code, response)| (code, self.response(response, &produces))).collect();
            op.insert("responses".into(), Value::Object(responses));
        }
        Value::Object(op)
    }

    fn response(&self, response: Value, produces: &[String]) -> Value {
        if let Some(target) = reference(&response) {
            return json!({"$ref": target.replacen("#/responses/", "#/components/responses/", 1)});
        }
        let Value::Object(mut response) = response else { return response };
        let mut out = Map::new();
        out.insert(
            "description".into(),
            response.remove("description").unwrap_or_else(|| Value::String(String::new())),
        );
        if let Some(schema) = response.remove("schema") {
            let schema = convert_schema(schema);
            let content = produces.iter().map(|media| (media.clone(), json!({"schema": schema.clone()}))).collect();
            out.insert("content".into(), Value::Object(content));
        }
        if let Some(headers) = response.remove("headers").and_then(into_object) {
            let headers = headers
                .into_iter()
                .map(|(name, header)| {
                    let (schema, description) = split_simple_schema(header);
                    let mut header = Map::new();
                    if let Some(description) = description {
                        header.insert("description".into(), description);
                    }
                    header.insert("schema".into(), schema);
                    (name, Value::Object(header))
                })
                .collect();
            out.insert("headers".into(), Value::Object(headers));
        }
        Value::Object(out)
    }

    /// A parameter as a 3.0 parameter, keeping shared ones as `$ref`s.
    fn parameter_or_ref(&self, parameter: Value) -> Value {
        match reference(&parameter).and_then(|r| r.strip_prefix("#/parameters/")) {
            Some(name) => json!({"$ref": format!("#/components/parameters/{name}")}),
            None => convert_parameter(parameter),
        }
    }

    /// A parameter with a shared `$ref` replaced by its target.
    fn resolved(&self, parameter: Value) -> Value {
        reference(&parameter)
            .and_then(|r| r.strip_prefix("#/parameters/"))
            .and_then(|name| self.shared_parameters.get(name))
            .cloned()
            .unwrap_or(parameter)
    }

    fn location_of<'a>(&'a self, parameter: &'a Value) -> Option<&'a str> {
        match reference(parameter).and_then(|r| r.strip_prefix("#/parameters/")) {
            Some(name) => self.shared_parameters.get(name).and_then(location),
            None => location(parameter),
        }
    }

    fn key_of(&self, parameter: &Value) -> (String, String) {
        let resolved = self.resolved(parameter.clone());
        let text = |key: &str| resolved.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        (text("name"), text("in"))
    }
}

fn servers(doc: &Map<String, Value>) -> Vec<Value> {
    let base_path = doc.get("basePath").and_then(Value::as_str).unwrap_or("");
    match doc.get("host").and_then(Value::as_str) {
        Some(host) => {
            let schemes = strings(doc.get("schemes")).unwrap_or_else(|| vec!["https".to_string()]);
            schemes.iter().map(|scheme| json!({"url": format!("{scheme}://{host}{base_path}")})).collect()
        }
        None if !base_path.is_empty() => vec![json!({"url": base_path})],
        None => Vec::new(),
    }
}

fn body_request(parameter: Value, consumes: &[String]) -> Value {
    let Value::Object(mut parameter) = parameter else { return parameter };
    let schema = convert_schema(parameter.remove("schema").unwrap_or_else(|| json!({})));
    let media: Vec<&String> = consumes.iter().filter(|m| !is_form(m)).collect();
    let media = if media.is_empty() { vec![&consumes[0]] } else { media };
    let content: Map<String, Value> =
        media.into_iter().map(|m| (m.clone(), json!({"schema": schema.clone()}))).collect();
    let mut body = Map::new();
    if let Some(description) = parameter.remove("description") {
        body.insert("description".into(), description);
    }
    body.insert("content".into(), Value::Object(content));
    body.insert("required".into(), parameter.remove("required").unwrap_or(Value::Bool(false)));
    Value::Object(body)
}

fn form_request(parameters: Vec<Value>, consumes: &[String]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut has_file = false;
    for parameter in parameters {
        let Value::Object(mut parameter) = parameter else { continue };
        let name = parameter.remove("name").and_then(|n| n.as_str().map(str::to_string)).unwrap_or_default();
        if parameter.remove("required") == Some(Value::Bool(true)) {
            required.push(Value::String(name.clone()));
        }
        has_file |= parameter.get("type").and_then(Value::as_str) == Some("file");
        let (schema, description) = split_simple_schema(Value::Object(parameter));
        let mut schema = schema;
        if let (Some(description), Value::Object(schema)) = (description, &mut schema) {
            schema.insert("description".into(), description);
        }
        properties.insert(name, schema);
    }
    let multipart = has_file || consumes.iter().any(|m| m.starts_with("multipart/form-data"));
    let media = if multipart { "multipart/form-data" } else { "application/x-www-form-urlencoded" };
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    json!({"required": true, "content": {media: {"schema": schema}}})
}

fn convert_parameter(parameter: Value) -> Value {
    if reference(&parameter).is_some() {
        return parameter;
    }
    let Value::Object(mut parameter) = parameter else { return parameter };
    let mut out = Map::new();
    for key in ["name", "in", "description", "required", "deprecated"] {
        if let Some(value) = parameter.remove(key) {
            out.insert(key.into(), value);
        }
    }
    if let Some(format) = parameter.remove("collectionFormat").as_ref().and_then(Value::as_str) {
        let (style, explode) = match format {
            "multi" => ("form", true),
            "ssv" => ("spaceDelimited", false),
            "pipes" => ("pipeDelimited", false),
            _ => (if out.get("in").and_then(Value::as_str) == Some("query") { "form" } else { "simple" }, false),
        };
        out.insert("style".into(), json!(style));
        out.insert("explode".into(), json!(explode));
    }
    let (schema, _) = split_simple_schema(Value::Object(parameter));
    out.insert("schema".into(), schema);
    for (key, value) in extensions(&out) {
        out.insert(key, value);
    }
    Value::Object(out)
}

/// A 2.0 "simple" parameter or header definition split into a schema and its description.
fn split_simple_schema(definition: Value) -> (Value, Option<Value>) {
    let Value::Object(mut definition) = definition else { return (json!({}), None) };
    let description = definition.remove("description");
    let mut schema = Map::new();
    for (key, value) in definition {
        match key.as_str() {
            "name" | "in" | "required" | "allowEmptyValue" | "collectionFormat" => {}
            "items" => {
                schema.insert(key, split_simple_schema(value).0);
            }
            _ => {
                schema.insert(key, value);
            }
        }
    }
    (convert_schema(Value::Object(schema)), description)
}

/// Rewrites a 2.0 schema in place of its 3.0 equivalent.
pub fn convert_schema(schema: Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "$ref" => {
                        let target = value.as_str().unwrap_or_default();
                        out.insert(key, json!(target.replacen("#/definitions/", "#/components/schemas/", 1)));
                    }
                    "type" if value == "file" => {
                        out.insert("type".into(), json!("string"));
                        out.insert("format".into(), json!("binary"));
                    }
                    "x-nullable" => {
                        out.insert("nullable".into(), value);
                    }
                    "discriminator" if value.is_string() => {
                        out.insert(key, json!({"propertyName": value}));
                    }
                    "properties" | "definitions" => {
                        let converted = into_object(value)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(name, schema)| (name, convert_schema(schema)))
                            .collect();
                        out.insert(key, Value::Object(converted));
                    }
                    "items" | "additionalProperties" | "not" => {
                        out.insert(key, convert_schema(value));
                    }
                    "allOf" | "anyOf" | "oneOf" => {
                        let converted = into_array(value).unwrap_or_default().into_iter().map(convert_schema).collect();
                        out.insert(key, Value::Array(converted));
                    }
                    _ => {
                        out.insert(key, value);
                    }
                }
            }
            Value::Object(out)
        }
        other => other,
    }
}

fn security_scheme(scheme: Value, pointer: &str, diagnostics: &mut Vec<Diagnostic>) -> Value {
    let Value::Object(mut scheme) = scheme else { return scheme };
    let description = scheme.remove("description");
    let mut out = match scheme.get("type").and_then(Value::as_str) {
        Some("basic") => json!({"type": "http", "scheme": "basic"}),
        Some("apiKey") => json!({"type": "apiKey", "name": scheme.get("name"), "in": scheme.get("in")}),
        Some("oauth2") => {
            let flow = scheme.get("flow").and_then(Value::as_str).unwrap_or_default();
            let name = match flow {
                "application" => "clientCredentials",
                "accessCode" => "authorizationCode",
                "password" => "password",
                _ => "implicit",
            };
            let mut flow_object = Map::new();
            for key in ["authorizationUrl", "tokenUrl"] {
                if let Some(value) = scheme.get(key) {
                    flow_object.insert(key.into(), value.clone());
                }
            }
            flow_object.insert("scopes".into(), scheme.get("scopes").cloned().unwrap_or_else(|| json!({})));
            json!({"type": "oauth2", "flows": {name: flow_object}})
        }
        other => {
            diagnostics.push(Diagnostic::warning(
                pointer,
                format!("unknown security definition type {other:?}"),
                "use `basic`, `apiKey` or `oauth2`; this scheme is ignored",
            ));
            json!({"type": "http", "scheme": "unknown"})
        }
    };
    if let (Some(description), Value::Object(out)) = (description, &mut out) {
        out.insert("description".into(), description);
    }
    out
}

fn is_form(media: &str) -> bool {
    media.starts_with("application/x-www-form-urlencoded") || media.starts_with("multipart/form-data")
}

fn location(parameter: &Value) -> Option<&str> {
    parameter.get("in").and_then(Value::as_str)
}

fn reference(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    let list: Vec<String> = value?.as_array()?.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
    (!list.is_empty()).then_some(list)
}

fn extensions(map: &Map<String, Value>) -> Vec<(String, Value)> {
    map.iter().filter(|(k, _)| k.starts_with("x-")).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn into_object(value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn into_array(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(items),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upgraded(doc: Value) -> Value {
        let Value::Object(doc) = doc else { unreachable!() };
        upgrade(doc, &mut Vec::new())
    }

    #[test]
    fn servers_bodies_and_forms() {
        let doc = upgraded(json!({
            "swagger": "2.0", "info": {"title": "t", "version": "1"},
            "host": "api.example.com", "basePath": "/v1", "schemes": ["https"],
            "parameters": {
                "appKey": {"name": "x-app-key", "in": "header", "required": true, "type": "string"},
                "Body": {"name": "body", "in": "body", "schema": {"$ref": "#/definitions/Thing"}}
            },
            "paths": {"/things": {
                "post": {"parameters": [{"$ref": "#/parameters/appKey"}, {"$ref": "#/parameters/Body"}],
                         "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Thing"}}}},
                "put": {"consumes": ["application/x-www-form-urlencoded"],
                        "parameters": [{"name": "grant_type", "in": "formData", "type": "string", "required": true}],
                        "responses": {}}
            }},
            "definitions": {"Thing": {"type": "object", "properties": {"f": {"type": "file"}}}}
        }));
        assert_eq!(doc["servers"][0]["url"], "https://api.example.com/v1");
        let post = &doc["paths"]["/things"]["post"];
        assert_eq!(post["parameters"][0]["$ref"], "#/components/parameters/appKey");
        assert_eq!(post["requestBody"]["$ref"], "#/components/requestBodies/Body");
        assert_eq!(
            post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Thing"
        );
        let form = &doc["paths"]["/things"]["put"]["requestBody"]["content"]["application/x-www-form-urlencoded"];
        assert_eq!(form["schema"]["required"][0], "grant_type");
        assert_eq!(doc["components"]["schemas"]["Thing"]["properties"]["f"]["format"], "binary");
        assert_eq!(doc["components"]["parameters"]["appKey"]["schema"]["type"], "string");
    }
}
